import { html } from "lit";
import { consoleBackend, errorText, type OutboxItem, type OutboxStatus, type SessionStage } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";

/** Fired when the outbox changed what the session page should say of the session's stage. */
export const UPLOAD_CHANGED = "upload-changed";

/** The session's latest bundle in the outbox (a bundle sent again replaces the one before). */
export function latestUpload(box: OutboxStatus | null, session: number): OutboxItem | null {
  const mine = (box?.items ?? []).filter((i) => i.session === session);
  return mine.reduce<OutboxItem | null>((a, b) => (a && a.id > b.id ? a : b), null);
}

/** When the service received the bundle, from its receipt (RFC 3339), shown as typed. */
export function receivedAt(item: OutboxItem): string {
  try {
    return String((JSON.parse(item.receipt ?? "") as { received_at?: string }).received_at ?? "");
  } catch {
    return "";
  }
}

/** The session's result bundle on its way to the certification service: waiting, being sent,
 * received (with the receipt), or refused with the service's own French message; "Renvoyer" puts
 * a waiting or refused bundle back in line. Opening the page asks the service where the bundle
 * stands, so a jury's decision shows here, after a restart too. */
export class UploadPanel extends LocalizedElement {
  static properties = {
    number: { type: Number },
    stage: { type: String },
    box: { state: true },
    busy: { state: true },
    error: { state: true },
    note: { state: true },
  };
  number = 0;
  stage: SessionStage = "created";
  box: OutboxStatus | null = null;
  busy = false;
  error: unknown = null;
  note = "";

  connectedCallback() {
    super.connectedCallback();
    void this.refresh();
  }

  /** Sends what is due and reads back the service's word; the stored state if it cannot. */
  async refresh() {
    this.busy = true;
    this.error = null;
    try {
      this.box = await consoleBackend.outboxRefresh();
    } catch (err) {
      this.error = err;
      this.box = await consoleBackend.outboxList().catch(() => this.box);
    } finally {
      this.busy = false;
    }
    this.dispatchEvent(new CustomEvent(UPLOAD_CHANGED, { bubbles: true }));
  }

  private async sendAgain(item: OutboxItem) {
    this.busy = true;
    this.error = null;
    this.note = "";
    try {
      this.box = await consoleBackend.outboxSendAgain(item.id);
      this.note = t("console.upload.requeued");
    } catch (err) {
      this.error = err;
    } finally {
      this.busy = false;
    }
    await this.refresh();
  }

  private renderItem(item: OutboxItem) {
    const again = html`<button type="button" class="secondary" id="upload-send-again" ?disabled=${this.busy}
      aria-label=${t("console.upload.sendAgainLabel", { number: this.number })} @click=${() => this.sendAgain(item)}>${t("console.upload.sendAgain")}</button>`;
    switch (item.state) {
      case "sent":
        return html`<p id="upload-state" data-state="sent">${t("console.upload.sent", { received: receivedAt(item), bundle: item.bundle_id })}</p>
          <p id="upload-stage">${t("console.upload.serviceSays", { asOf: item.service_status_as_of ?? receivedAt(item), stage: t(`console.stage.${this.stage}`) })}</p>`;
      case "rejected":
        return html`<p id="upload-state" data-state="rejected" class="error">${t("console.upload.rejected", { reason: item.last_error ?? "" })}</p>
          <p>${again}</p>`;
      default:
        return html`<p id="upload-state" data-state="pending">${t("console.upload.pending", { attempts: item.attempts })}</p>
          ${item.last_error ? html`<p class="hint" id="upload-last-error">${t("console.upload.lastError", { reason: item.last_error })}</p>` : null}
          <p>${again}</p>`;
    }
  }

  render() {
    const item = latestUpload(this.box, this.number);
    return html`<section class="card" aria-labelledby="upload-title" aria-busy=${this.busy ? "true" : "false"}>
      <h3 id="upload-title">${t("console.upload.title")}</h3>
      <div role="status" aria-live="polite" id="upload-status">
        ${this.busy ? html`<p>${t("console.upload.sending")}</p>` : item ? this.renderItem(item) : html`<p id="upload-none">${t("console.upload.none")}</p>`}
        ${this.note ? html`<p class="ok">${this.note}</p>` : null}
      </div>
      ${this.error ? html`<p class="error" role="alert" id="upload-error">${errorText(this.error, lang())}</p>` : null}
      <p><button type="button" class="secondary" id="upload-refresh" ?disabled=${this.busy} @click=${() => this.refresh()}>${t("console.upload.refresh")}</button></p>
    </section>`;
  }
}
customElements.define("console-upload", UploadPanel);
