import { describe, expect, it } from "vitest";
import { buildResponse, emptyDraft, isAnswered, withChoice, withField, withToggled } from "./response";
import type { QuestionView } from "./screen";
import { question } from "./test-support";

const qroc: QuestionView = question({
  kind: "qrocm",
  proposals: [],
  form: [{ text_html: "Total : " }, { field: "total" }, { text_html: " € en " }, { field: "unit" }],
  fields: [
    { key: "total", aria_label: "Total", placeholder: "0,00", options: null, numeric: true },
    { key: "unit", aria_label: "Unité", placeholder: null, options: ["euros", "centimes"], numeric: false },
  ],
});

describe("QCU", () => {
  const q = question();
  it("is unanswered until a proposal is chosen, then sends it 1-based", () => {
    const d = emptyDraft(q);
    expect(isAnswered(q, d)).toBe(false);
    expect(buildResponse(q, d)).toBeNull();
    expect(buildResponse(q, withChoice(d, 2))).toEqual({ choice: 2 });
  });
  it("refuses a choice outside the proposals", () => {
    expect(buildResponse(q, withChoice(emptyDraft(q), 0))).toBeNull();
    expect(buildResponse(q, withChoice(emptyDraft(q), 4))).toBeNull();
  });
});

describe("QCM", () => {
  const q = question({ kind: "qcm" });
  it("sends the checked proposals sorted, without duplicates", () => {
    let d = emptyDraft(q);
    expect(isAnswered(q, d)).toBe(false);
    d = withToggled(d, 3, true);
    d = withToggled(d, 1, true);
    d = withToggled(d, 3, true);
    expect(buildResponse(q, d)).toEqual({ choices: [1, 3] });
  });
  it("sorts even a draft that was not built in order", () => {
    expect(buildResponse(q, { choice: null, choices: [3, 1, 3], fields: {} })).toEqual({ choices: [1, 3] });
  });
  it("forgets an unchecked proposal and is unanswered when none is left", () => {
    let d = withToggled(withToggled(emptyDraft(q), 2, true), 1, true);
    d = withToggled(d, 2, false);
    expect(buildResponse(q, d)).toEqual({ choices: [1] });
    expect(isAnswered(q, withToggled(d, 1, false))).toBe(false);
  });
});

describe("QROC / QROCM", () => {
  it("needs every field filled", () => {
    const d = withField(emptyDraft(qroc), "total", "12,5");
    expect(isAnswered(qroc, d)).toBe(false);
    expect(buildResponse(qroc, withField(d, "unit", "euros"))).toEqual({ fields: { total: "12,5", unit: "euros" } });
  });
  it("treats blank text as empty and trims what it sends", () => {
    const d = withField(withField(emptyDraft(qroc), "total", "   "), "unit", "euros");
    expect(isAnswered(qroc, d)).toBe(false);
    expect(buildResponse(qroc, withField(d, "total", "  42 "))).toEqual({ fields: { total: "42", unit: "euros" } });
  });
  it("accepts only one of the options in a drop-down", () => {
    const d = withField(withField(emptyDraft(qroc), "total", "1"), "unit", "dollars");
    expect(isAnswered(qroc, d)).toBe(false);
  });
  it("sends only the question's own fields", () => {
    const d = withField(withField(withField(emptyDraft(qroc), "total", "1"), "unit", "centimes"), "stale", "x");
    expect(buildResponse(qroc, d)).toEqual({ fields: { total: "1", unit: "centimes" } });
  });
  it("a single-field QROC", () => {
    const q = question({ kind: "qroc", proposals: [], form: [{ field: "a" }], fields: [{ key: "a", aria_label: "Réponse", placeholder: null, options: null, numeric: false }] });
    expect(buildResponse(q, emptyDraft(q))).toBeNull();
    expect(buildResponse(q, withField(emptyDraft(q), "a", "Paris"))).toEqual({ fields: { a: "Paris" } });
  });
});
