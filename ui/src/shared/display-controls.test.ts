import { expect, it } from "vitest";
import { applyDisplay, nextScale } from "./display-controls";

it("steps text size within bounds", () => {
  expect(nextScale(1, 1)).toBe(1.15);
  expect(nextScale(1, -1)).toBe(0.85);
  expect(nextScale(0.85, -1)).toBe(0.85);
  expect(nextScale(2, 1)).toBe(2);
});

it("applies scale and contrast to the document, not through browser zoom", () => {
  applyDisplay(1.3, true);
  expect(document.documentElement.style.getPropertyValue("--scale")).toBe("1.3");
  expect(document.documentElement.classList.contains("contrast")).toBe(true);
  applyDisplay(1, false);
  expect(document.documentElement.classList.contains("contrast")).toBe(false);
});

it("keeps the console's and the office's settings on this PC, and ignores a damaged record", async () => {
  const { restoreStationDisplay } = await import("./display-controls");
  localStorage.setItem("certroom.display", JSON.stringify({ scale: 1.6, contrast: true }));
  restoreStationDisplay();
  expect(document.documentElement.style.getPropertyValue("--scale")).toBe("1.6");
  expect(document.documentElement.classList.contains("contrast")).toBe(true);
  localStorage.setItem("certroom.display", JSON.stringify({ scale: 40, contrast: false }));
  restoreStationDisplay();
  expect(document.documentElement.style.getPropertyValue("--scale")).toBe("2");
  localStorage.setItem("certroom.display", "{not json");
  restoreStationDisplay();
  expect(document.documentElement.style.getPropertyValue("--scale")).toBe("1");
  expect(document.documentElement.classList.contains("contrast")).toBe(false);
});
