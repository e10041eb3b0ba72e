import { expect, it } from "vitest";
import { Countdown, crossedThreshold, formatClock } from "./timer";

it("formats mm:ss without wrapping into hours", () => {
  expect(formatClock(0)).toBe("00:00");
  expect(formatClock(59)).toBe("00:59");
  expect(formatClock(61)).toBe("01:01");
  expect(formatClock(6300)).toBe("105:00");
  expect(formatClock(-5)).toBe("00:00");
});

it("counts down in whole seconds rounded up, never below zero", () => {
  const c = new Countdown(10, 1000);
  expect(c.remaining(1000)).toBe(10);
  expect(c.remaining(1001)).toBe(10);
  expect(c.remaining(2000)).toBe(9);
  expect(c.remaining(10_999)).toBe(1);
  expect(c.remaining(11_000)).toBe(0);
  expect(c.remaining(50_000)).toBe(0);
});

it("announces only when crossing 10, 5 and 1 minute(s) left", () => {
  expect(crossedThreshold(null, 600)).toBeNull(); // first reading: nothing crossed
  expect(crossedThreshold(601, 600)).toBe(10);
  expect(crossedThreshold(600, 599)).toBeNull();
  expect(crossedThreshold(420, 419)).toBeNull();
  expect(crossedThreshold(301, 300)).toBe(5);
  expect(crossedThreshold(61, 60)).toBe(1);
  expect(crossedThreshold(60, 0)).toBeNull();
  // A jump over several thresholds (resume) announces the most urgent one.
  expect(crossedThreshold(700, 250)).toBe(5);
});
