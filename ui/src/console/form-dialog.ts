import { html, type TemplateResult } from "lit";
import { keyed } from "lit/directives/keyed.js";
import { errorText } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { ModalDialog, type ModalRequest } from "./modal-dialog";

/** A value the dialog's own check refused: `key` is the i18n message, `field` the input's id. */
export class FieldError {
  constructor(
    readonly key: string,
    readonly field: string,
  ) {}
}

export interface FormRequest extends ModalRequest {
  title: string;
  body: string;
  /** The fields to fill (labelled inputs, named); none for a plain confirmation. */
  fields?: TemplateResult;
  confirmLabel: string;
  /** A destructive action: the confirm button shows it. */
  danger?: boolean;
  /** Runs on submission with the form; if it rejects (a FieldError, or Rust refused), the message
   * stays in the dialog, the dialog stays open and focus goes to the field to correct. */
  action: (form: HTMLFormElement) => Promise<void>;
}

/** A modal dialog asking for a few values before a command (the confirm-dialog pattern with a
 * form): native `<dialog>` (focus trapped, Escape cancels), focus on the first field (on Cancel when
 * there is none), errors as an alert inside, focus back to the control that opened it. */
export class FormDialog extends ModalDialog<FormRequest> {
  /** Each request gets fresh fields (nothing typed for the previous one survives). */
  private serial = 0;

  ask(request: FormRequest): Promise<void> {
    this.serial++;
    return super.ask(request);
  }

  /** The field to correct after a refusal, else the first field, else Cancel. */
  protected focusTarget() {
    const err = this.error;
    const field = err instanceof FieldError ? this.querySelector<HTMLElement>(`#${err.field}`) : null;
    return field ?? this.firstField() ?? this.querySelector<HTMLElement>("#dialog-cancel");
  }

  private firstField() {
    return this.querySelector<HTMLElement>(".dialog-fields input, .dialog-fields select, .dialog-fields textarea");
  }

  /** The refused field is marked invalid and described by the message. */
  updated() {
    const bad = this.error instanceof FieldError ? this.error.field : null;
    for (const el of this.querySelectorAll<HTMLElement>(".dialog-fields [id]")) {
      if (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement)) continue;
      if (el.id === bad) {
        el.setAttribute("aria-invalid", "true");
        el.setAttribute("aria-errormessage", "dialog-error");
      } else {
        el.removeAttribute("aria-invalid");
        el.removeAttribute("aria-errormessage");
      }
    }
  }

  private submit(e: Event) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    return this.run((r) => r.action(form));
  }

  render() {
    const r = this.request;
    return html`<dialog aria-labelledby="dialog-title" aria-describedby="dialog-body" @close=${this.onClose}>
      <form @submit=${this.submit} novalidate>
        <h2 id="dialog-title">${r?.title ?? ""}</h2>
        <p id="dialog-body">${r?.body ?? ""}</p>
        <div class="dialog-fields">${keyed(this.serial, r?.fields ?? null)}</div>
        ${this.error
          ? html`<p class="error" role="alert" id="dialog-error">${this.error instanceof FieldError ? t(this.error.key) : errorText(this.error, lang())}</p>`
          : null}
        <p class="row">
          <button type="submit" id="dialog-confirm" class=${r?.danger ? "danger" : ""} aria-disabled=${this.busy ? "true" : "false"}>${r?.confirmLabel ?? ""}</button>
          <button type="button" class="secondary" id="dialog-cancel" @click=${this.close}>${t("console.cancel")}</button>
        </p>
      </form>
    </dialog>`;
  }
}
customElements.define("console-form-dialog", FormDialog);
