import { html } from "lit";
import { errorText } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";

export interface ConfirmRequest {
  title: string;
  body: string;
  confirmLabel: string;
  /** Runs on confirmation; if it rejects (Rust refused), its message stays in the dialog. */
  action: () => Promise<void>;
  /** The control that opened the dialog (focus returns to it); by default the focused element.
   * Passed explicitly because a mouse click does not focus a button in WebKit. */
  opener?: HTMLElement | null;
  /** Where focus goes after closing when the button that opened the dialog is gone. */
  fallbackFocus?: () => HTMLElement | null;
}

/** A modal confirmation (native `<dialog>`: focus trapped, Escape cancels) that returns focus to
 * the control that opened it. */
export class ConfirmDialog extends LocalizedElement {
  static properties = { request: { state: true }, error: { state: true }, busy: { state: true } };
  request: ConfirmRequest | null = null;
  error: unknown = null;
  busy = false;
  private opener: HTMLElement | null = null;

  async ask(request: ConfirmRequest): Promise<void> {
    this.opener = request.opener ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
    this.request = request;
    this.error = null;
    await this.updateComplete;
    const dialog = this.dialog();
    if (dialog && !dialog.open) dialog.showModal();
    // The safe choice has focus first: Enter on an unread dialog must not delete anything.
    this.querySelector<HTMLElement>(".confirm-cancel")?.focus();
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

  private async confirm() {
    const r = this.request;
    if (!r || this.busy) return;
    this.busy = true;
    try {
      await r.action();
      this.close();
    } catch (err) {
      this.error = err;
      await this.updateComplete;
      this.querySelector<HTMLElement>(".confirm-cancel")?.focus();
    } finally {
      this.busy = false;
    }
  }

  render() {
    const r = this.request;
    return html`<dialog aria-labelledby="confirm-title" aria-describedby="confirm-body" @close=${this.onClose}>
      <h2 id="confirm-title">${r?.title ?? ""}</h2>
      <p id="confirm-body">${r?.body ?? ""}</p>
      ${this.error ? html`<p class="error" role="alert" id="confirm-error">${errorText(this.error, lang())}</p>` : null}
      <p class="row">
        <button type="button" id="confirm-ok" class="danger" ?disabled=${this.busy || !!this.error} @click=${this.confirm}>${r?.confirmLabel ?? ""}</button>
        <button type="button" class="secondary confirm-cancel" @click=${this.close}>${this.error ? t("console.close") : t("console.cancel")}</button>
      </p>
    </dialog>`;
  }
}
customElements.define("console-confirm", ConfirmDialog);
