// The design tokens in both themes, checked by machine: every pair of colours that meet on a
// screen has the contrast WCAG 2.1 AA asks (1.4.3 text ≥ 4.5:1; 1.4.11 focus ring and control
// borders ≥ 3:1 against what they sit on).
import { describe, expect, it } from "vitest";
import css from "./design.css?raw";

/** The custom properties of the first rule whose selector is exactly `selector`. */
function tokens(selector: string): Record<string, string> {
  const start = css.indexOf(`${selector} {`);
  if (start < 0) throw new Error(`no ${selector} rule in design.css`);
  const body = css.slice(start, css.indexOf("}", start));
  return Object.fromEntries([...body.matchAll(/--([a-z-]+):\s*(#[0-9a-fA-F]{6})\s*;/g)].map((m) => [m[1], m[2]]));
}

/** WCAG relative luminance of #rrggbb. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const light = tokens(":root");
const dark = { ...light, ...tokens(":root.contrast") };

// Text colours, and the backgrounds they are written on.
const TEXT: [string, string][] = [
  ...["fg", "muted", "accent", "danger", "ok", "warn"].flatMap((fg) => ["bg", "surface"].map((bg) => [fg, bg] as [string, string])),
  ["accent-fg", "accent"],
];
// Non-text: the focus ring and controls' borders on every background they sit on.
const NON_TEXT: [string, string][] = [
  ["focus", "bg"],
  ["focus", "surface"],
  ["border", "bg"],
  ["border", "surface"],
];

describe.each([
  ["normal", light],
  ["high contrast", dark],
])("design tokens, %s theme", (_, theme) => {
  it.each(TEXT)("text %s on %s is at least 4.5:1", (fg, bg) => {
    expect(theme[fg], fg).toBeDefined();
    expect(contrast(theme[fg], theme[bg])).toBeGreaterThanOrEqual(4.5);
  });
  it.each(NON_TEXT)("%s on %s is at least 3:1", (fg, bg) => {
    expect(contrast(theme[fg], theme[bg])).toBeGreaterThanOrEqual(3);
  });
});

describe("contrast", () => {
  it("is WCAG's ratio", () => {
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrast("#777777", "#ffffff")).toBeCloseTo(4.48, 2);
    // The focus ring this test caught: amber on the page background.
    expect(contrast("#ffb000", "#f6f6f8")).toBeLessThan(3);
  });
});

describe("preferences the page respects", () => {
  it("reduces motion and follows forced colours", () => {
    expect(css).toMatch(/@media \(prefers-reduced-motion: reduce\)\s*{[^}]*animation-duration: 0\.01ms/);
    expect(css).toMatch(/@media \(forced-colors: active\)\s*{\s*:focus-visible { outline-color: Highlight; }/);
  });
});
