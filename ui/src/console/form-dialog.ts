import { html, type TemplateResult } from "lit";
import { keyed } from "lit/directives/keyed.js";
import { errorText } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";

/** A value the dialog's own check refused: `key` is the i18n message, `field` the input's id. */
export class FieldError {
  constructor(
    readonly key: string,
    readonly field: string,
  ) {}
}

export interface FormRequest {
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
  /** The control that opened the dialog (focus returns to it). */
  opener?: HTMLElement | null;
  /** Where focus goes after closing when the control that opened the dialog is gone. */
  fallbackFocus?: () => HTMLElement | null;
}

/** A modal dialog asking for a few values before a command (the confirm-dialog pattern with a
 * form): native `<dialog>` (focus trapped, Escape cancels), focus on the first field (on Cancel when
 * there is none), errors as an alert inside, focus back to the control that opened it. */
export class FormDialog extends LocalizedElement {
  static properties = { request: { state: true }, error: { state: true }, busy: { state: true } };
  request: FormRequest | null = null;
  error: unknown = null;
  busy = false;
  private opener: HTMLElement | null = null;
  /** Each request gets fresh fields (nothing typed for the previous one survives). */
  private serial = 0;

  async ask(request: FormRequest): Promise<void> {
    this.opener = request.opener ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
    this.serial++;
    this.request = request;
    this.error = null;
    await this.updateComplete;
    const dialog = this.dialog();
    if (dialog && !dialog.open) dialog.showModal();
    (this.firstField() ?? this.querySelector<HTMLElement>("#dialog-cancel"))?.focus();
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

  private dialog() {
    return this.querySelector<HTMLDialogElement>("dialog");
  }

  private close() {
    this.dialog()?.close();
  }

  private readonly onClose = () => {
    const fallback = this.request?.fallbackFocus;
    this.request = null;
    this.error = null;
    const target = this.opener?.isConnected ? this.opener : fallback?.();
    this.opener = null;
    target?.focus();
  };

  private async submit(e: Event) {
    e.preventDefault();
    const r = this.request;
    if (!r || this.busy) return;
    const form = e.target as HTMLFormElement;
    this.busy = true;
    try {
      await r.action(form);
      this.close();
    } catch (err) {
      this.error = err;
      await this.updateComplete;
      const field = err instanceof FieldError ? this.querySelector<HTMLElement>(`#${err.field}`) : null;
      (field ?? this.firstField() ?? this.querySelector<HTMLElement>("#dialog-cancel"))?.focus();
    } finally {
      this.busy = false;
    }
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
