import { html } from "lit";
import { errorText } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { ModalDialog, type ModalRequest } from "./modal-dialog";

export interface ConfirmRequest extends ModalRequest {
  title: string;
  body: string;
  confirmLabel: string;
  /** Runs on confirmation; if it rejects (Rust refused), its message stays in the dialog. */
  action: () => Promise<void>;
}

/** A modal confirmation that returns focus to the control that opened it. */
export class ConfirmDialog extends ModalDialog<ConfirmRequest> {
  /** The safe choice has focus first: Enter on an unread dialog must not delete anything. After a
   * refusal it is the only choice left. */
  protected focusTarget() {
    return this.querySelector<HTMLElement>(".confirm-cancel");
  }

  private confirm() {
    return this.run((r) => r.action());
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
