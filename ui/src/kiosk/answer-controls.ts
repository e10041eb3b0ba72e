// The answer controls for each question kind, as native form controls so that the keyboard,
// screen readers and the design system's large targets all work without extra code.
import { html, nothing, type TemplateResult } from "lit";
import { unsafeHTML } from "lit/directives/unsafe-html.js";
import { t } from "../shared/i18n";
import type { Draft } from "./response";
import type { FieldView, FormSegment, QuestionView } from "./screen";

export interface AnswerHandlers {
  choose(choice: number): void;
  toggle(choice: number, checked: boolean): void;
  field(key: string, value: string): void;
}

/** `describedBy` points at the instruction, which is too rich (paragraphs, lists) to sit in a legend. */
export function renderAnswer(q: QuestionView, d: Draft, disabled: boolean, h: AnswerHandlers, describedBy: string): TemplateResult {
  switch (q.kind) {
    case "qcu":
      return html`<fieldset class="choices" aria-describedby=${describedBy}>
        <legend>${t("kiosk.chooseOne")}</legend>
        ${q.proposals.map((p, i) => html`<label class="choice">
          <input type="radio" name="choice" value=${i + 1} .checked=${d.choice === i + 1} ?disabled=${disabled}
            @change=${() => h.choose(i + 1)} />
          <span>${unsafeHTML(p)}</span></label>`)}
      </fieldset>`;
    case "qcm":
      return html`<fieldset class="choices" aria-describedby=${describedBy}>
        <legend>${t("kiosk.chooseMany")}</legend>
        ${q.proposals.map((p, i) => html`<label class="choice">
          <input type="checkbox" name="choices" value=${i + 1} .checked=${d.choices.includes(i + 1)} ?disabled=${disabled}
            @change=${(e: Event) => h.toggle(i + 1, (e.target as HTMLInputElement).checked)} />
          <span>${unsafeHTML(p)}</span></label>`)}
      </fieldset>`;
    case "qroc":
    case "qrocm":
      return html`<fieldset class="fill-in" aria-describedby=${describedBy}>
        <legend>${t("kiosk.fillIn")}</legend>
        <div class="fill-form">${q.form.map((s) => renderSegment(q, s, d, disabled, h))}</div>
        ${orphanFields(q).map((f) => html`<label class="orphan">${f.aria_label} ${renderField(f, d, disabled, h)}</label>`)}
      </fieldset>`;
  }
}

function renderSegment(q: QuestionView, s: FormSegment, d: Draft, disabled: boolean, h: AnswerHandlers) {
  if ("text_html" in s) return html`<span class="form-text">${unsafeHTML(s.text_html)}</span>`;
  const field = q.fields.find((f) => f.key === s.field);
  return field ? renderField(field, d, disabled, h) : nothing;
}

/** Fields the form text never places (should not happen): still shown, so the question stays answerable. */
function orphanFields(q: QuestionView): FieldView[] {
  const placed = new Set(q.form.flatMap((s) => ("field" in s ? [s.field] : [])));
  return q.fields.filter((f) => !placed.has(f.key));
}

function renderField(f: FieldView, d: Draft, disabled: boolean, h: AnswerHandlers) {
  const value = d.fields[f.key] ?? "";
  if (f.options) {
    // Options are marked selected one by one: a `.value` on the <select> would be set before its options exist.
    return html`<select name=${f.key} data-field=${f.key} aria-label=${f.aria_label} ?disabled=${disabled}
      @change=${(e: Event) => h.field(f.key, (e.target as HTMLSelectElement).value)}>
      <option value="" ?selected=${value === ""}>${t("kiosk.selectPlaceholder")}</option>
      ${f.options.map((o) => html`<option value=${o} ?selected=${value === o}>${o}</option>`)}
    </select>`;
  }
  return html`<input type="text" name=${f.key} data-field=${f.key} aria-label=${f.aria_label}
    placeholder=${f.placeholder ?? nothing} inputmode=${f.numeric ? "decimal" : nothing}
    autocomplete="off" spellcheck="false" .value=${value} ?disabled=${disabled}
    @input=${(e: Event) => h.field(f.key, (e.target as HTMLInputElement).value)} />`;
}
