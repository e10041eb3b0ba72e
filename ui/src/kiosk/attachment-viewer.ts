import { html } from "lit";
import { t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import type { AttachmentView } from "./screen";

/** The kiosk's own viewer for a question's documents: nothing is opened outside the test window.
 * A modal <dialog>; closing it (button or Escape) puts focus back on the button that opened it. */
export class KioskAttachmentViewer extends LocalizedElement {
  static properties = { view: { state: true } };
  view: AttachmentView | null = null;
  private opener: HTMLElement | null = null;

  async open(view: AttachmentView, opener: HTMLElement | null): Promise<void> {
    this.view = view;
    this.opener = opener;
    await this.updateComplete;
    const dialog = this.dialog();
    if (dialog && !dialog.open) dialog.showModal();
    // The title first, so a screen reader says which document this is before its content.
    this.querySelector<HTMLElement>("#viewer-title")?.focus();
  }

  close(): void {
    const dialog = this.dialog();
    if (dialog?.open) dialog.close();
  }

  private dialog() {
    return this.querySelector<HTMLDialogElement>("dialog");
  }

  private readonly onClose = () => {
    const opener = this.opener;
    this.opener = null;
    this.view = null;
    opener?.focus();
  };

  // Escape is handled here rather than left to the engine's `cancel`, so it behaves the same on every
  // WebKit version and always goes through close() and the focus return.
  private readonly onKeydown = (e: KeyboardEvent) => {
    if (e.key !== "Escape") return;
    e.preventDefault();
    this.close();
  };

  private renderContent(v: AttachmentView) {
    switch (v.kind) {
      case "table": {
        const [head = [], ...body] = v.rows;
        return html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="viewer-title">
          <table>
            <caption class="visually-hidden">${v.name}</caption>
            <thead><tr>${head.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
            <tbody>${body.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody>
          </table>
        </div>`;
      }
      case "text":
        return html`<pre class="attachment-text" tabindex="0" role="region" aria-labelledby="viewer-title">${v.text}</pre>`;
      case "image":
        return html`<img class="attachment-image" src=${v.src} alt=${v.alt} />`;
    }
  }

  render() {
    const v = this.view;
    return html`<dialog class="viewer" aria-labelledby="viewer-title" @close=${this.onClose} @keydown=${this.onKeydown}>
      ${v
        ? html`<h2 id="viewer-title" tabindex="-1">${v.name}</h2>
            ${this.renderContent(v)}
            <p class="row"><button type="button" id="viewer-close" @click=${() => this.close()}>${t("kiosk.close")}</button></p>`
        : null}
    </dialog>`;
  }
}
customElements.define("kiosk-attachment-viewer", KioskAttachmentViewer);
