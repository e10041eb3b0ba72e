import { html } from "lit";
import { backend } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import { submitInvigilatorCode } from "./flow";

/** Shown while a problem report is open on the question: the candidate waits. In a live room the
 * invigilator handles it from the console (the kiosk is told by a push). Otherwise the invigilator
 * comes to the kiosk, types the session code and either validates the alert (Rust replaces the
 * question) or rejects it (the same question comes back). */
export class KioskAlertPanel extends LocalizedElement {
  static properties = { room: { attribute: false }, error: { state: true }, busy: { state: true } };
  room = false;
  error = "";
  busy = false;

  private async resolve(validated: boolean) {
    const input = this.querySelector<HTMLInputElement>("#alert-code");
    await submitInvigilatorCode(this, input, (code) => backend.kioskResolveAlert(code, validated, lang()));
  }

  render() {
    if (this.room) {
      return html`<section class="card alert-panel" aria-labelledby="alert-title">
        <h3 id="alert-title" tabindex="-1" data-screen-heading>${t("kiosk.alertTitle")}</h3>
        <p class="notice" role="status" id="alert-waiting">${t("kiosk.alertRoom")}</p>
      </section>`;
    }
    return html`<section class="card alert-panel" aria-labelledby="alert-title">
      <h3 id="alert-title" tabindex="-1" data-screen-heading>${t("kiosk.alertTitle")}</h3>
      <p class="notice" role="status">${t("kiosk.alertBody")}</p>
      <form @submit=${(e: Event) => e.preventDefault()} novalidate>
        <h4>${t("kiosk.alertInvigilator")}</h4>
        <label for="alert-code">${t("kiosk.alertCode")}</label>
        <input id="alert-code" type="password" autocomplete="off" />
        ${this.error ? html`<p class="error" role="alert" id="alert-error">${this.error}</p>` : null}
        <p class="row">
          <button type="button" id="alert-validate" ?disabled=${this.busy} @click=${() => this.resolve(true)}>${t("kiosk.alertValidate")}</button>
          <button type="button" id="alert-reject" class="secondary" ?disabled=${this.busy} @click=${() => this.resolve(false)}>${t("kiosk.alertReject")}</button>
        </p>
      </form>
    </section>`;
  }
}
customElements.define("kiosk-alert-panel", KioskAlertPanel);
