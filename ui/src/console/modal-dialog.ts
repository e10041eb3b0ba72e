import { LocalizedElement } from "../shared/localized";

/** What every modal request says about focus once the dialog closes. */
export interface ModalRequest {
  /** The control that opened the dialog (focus returns to it); by default the focused element.
   * Passed explicitly because a mouse click does not focus a button in WebKit. */
  opener?: HTMLElement | null;
  /** Where focus goes after closing when the control that opened the dialog is gone. */
  fallbackFocus?: () => HTMLElement | null;
}

/** A modal native `<dialog>` (focus trapped, Escape cancels) that runs its request's action and
 * returns focus to the control that opened it, however it closes (action done, Cancel, Escape).
 * Subclasses render the `<dialog>` with `@close=${this.onClose}`. */
export abstract class ModalDialog<R extends ModalRequest> extends LocalizedElement {
  static properties = { request: { state: true }, error: { state: true }, busy: { state: true } };
  request: R | null = null;
  error: unknown = null;
  busy = false;
  private opener: HTMLElement | null = null;

  async ask(request: R): Promise<void> {
    this.opener = request.opener ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
    this.request = request;
    this.error = null;
    await this.updateComplete;
    const dialog = this.dialog();
    if (dialog && !dialog.open) dialog.showModal();
    this.focusTarget()?.focus();
  }

  /** The control inside the dialog that takes focus when it opens, and again after a refusal
   * (`error` is then set). */
  protected abstract focusTarget(): HTMLElement | null;

  private dialog() {
    return this.querySelector<HTMLDialogElement>("dialog");
  }

  protected close() {
    this.dialog()?.close();
  }

  protected readonly onClose = () => {
    const fallback = this.request?.fallbackFocus;
    this.request = null;
    this.error = null;
    const target = this.opener?.isConnected ? this.opener : fallback?.();
    this.opener = null;
    target?.focus();
  };

  /** The dialog closes once the action succeeds; if it rejects (Rust refused), the dialog stays
   * open with the message, so the user can read it and decide. */
  protected async run(action: (request: R) => Promise<void>) {
    const r = this.request;
    if (!r || this.busy) return;
    this.busy = true;
    try {
      await action(r);
      this.close();
    } catch (err) {
      this.error = err;
      await this.updateComplete;
      this.focusTarget()?.focus();
    } finally {
      this.busy = false;
    }
  }
}
