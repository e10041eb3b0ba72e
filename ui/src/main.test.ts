import { expect, it } from "vitest";
import { roleFromHash } from "./main";

it("chooses the role from the hash and never defaults to a privileged one", () => {
  expect(roleFromHash("#/kiosk")).toBe("kiosk");
  expect(roleFromHash("#/console")).toBe("console");
  expect(roleFromHash("#/office")).toBe("office");
  expect(roleFromHash("")).toBe("office");
  expect(roleFromHash("#/admin")).toBe("office");
});
