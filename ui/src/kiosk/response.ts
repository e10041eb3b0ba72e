// Building the Response sent to `kiosk_answer` from what the candidate has entered.
// Pure functions: the question view keeps a Draft, these decide whether it is complete and what to send.
// Rust re-checks everything (the kiosk is not trusted); these checks only keep the Validate button honest.
import type { QuestionView, Response } from "./screen";

/** What the candidate has entered so far on the question on screen. */
export interface Draft {
  /** QCU: 1-based proposal, or null. */
  choice: number | null;
  /** QCM: 1-based proposals, kept sorted and unique. */
  choices: number[];
  /** QROC / QROCM: text typed or option picked, by field key. */
  fields: Record<string, string>;
}

export const SKIP: Response = { skip: true };

export function emptyDraft(q: QuestionView): Draft {
  return { choice: null, choices: [], fields: Object.fromEntries(q.fields.map((f) => [f.key, ""])) };
}

export function withChoice(d: Draft, choice: number): Draft {
  return { ...d, choice };
}

export function withToggled(d: Draft, choice: number, checked: boolean): Draft {
  const rest = d.choices.filter((c) => c !== choice);
  return { ...d, choices: (checked ? [...rest, choice] : rest).sort((a, b) => a - b) };
}

export function withField(d: Draft, key: string, value: string): Draft {
  return { ...d, fields: { ...d.fields, [key]: value } };
}

const inRange = (q: QuestionView, c: number) => Number.isInteger(c) && c >= 1 && c <= q.proposals.length;

/** A field counts as answered when it holds non-blank text, or one of its options for a drop-down. */
function fieldAnswered(q: QuestionView, key: string, d: Draft): boolean {
  const field = q.fields.find((f) => f.key === key);
  const value = (d.fields[key] ?? "").trim();
  if (!field || value === "") return false;
  return field.options ? field.options.includes(value) : true;
}

export function isAnswered(q: QuestionView, d: Draft): boolean {
  switch (q.kind) {
    case "qcu":
      return d.choice !== null && inRange(q, d.choice);
    case "qcm":
      return d.choices.length > 0 && d.choices.every((c) => inRange(q, c));
    case "qroc":
    case "qrocm":
      return q.fields.length > 0 && q.fields.every((f) => fieldAnswered(q, f.key, d));
  }
}

/** The Response for a complete draft, or null while the question is not answered. */
export function buildResponse(q: QuestionView, d: Draft): Response | null {
  if (!isAnswered(q, d)) return null;
  switch (q.kind) {
    case "qcu":
      return { choice: d.choice as number };
    case "qcm":
      return { choices: [...new Set(d.choices)].sort((a, b) => a - b) };
    case "qroc":
    case "qrocm":
      // Only the question's own fields, trimmed: surrounding spaces are never part of an answer.
      return { fields: Object.fromEntries(q.fields.map((f) => [f.key, (d.fields[f.key] ?? "").trim()])) };
  }
}
