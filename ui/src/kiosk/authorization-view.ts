import { html } from "lit";
import { backend } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import { submitInvigilatorCode, type WaitingScreen } from "./flow";

/** The candidate has joined and waits: the invigilator comes to the kiosk and types the session code
 * (until the room hub can authorise remotely). After a restart, `resume` says the test continues. */
export class KioskAuthorization extends LocalizedElement {
  static properties = { screen: { attribute: false }, error: { state: true }, busy: { state: true } };
  screen!: WaitingScreen;
  error = "";
  busy = false;

  private async authorize(e: Event) {
    e.preventDefault();
    const input = this.querySelector<HTMLInputElement>("#authorize-code");
    await submitInvigilatorCode(this, input, (code) => backend.kioskAuthorize(code, lang()));
  }

  render() {
    const s = this.screen;
    return html`<section class="card" aria-labelledby="waiting-title">
      <h2 id="waiting-title" tabindex="-1" data-screen-heading>${t("kiosk.waitingTitle")}</h2>
      <p>${t("kiosk.waitingCandidate", { name: s.candidate })}</p>
      <p class="notice">${t("kiosk.waitingCall")}</p>
      ${s.resume ? html`<p id="resume-text">${t("kiosk.waitingResume")}</p>` : null}
      <form @submit=${this.authorize} novalidate>
        <label for="authorize-code">${t("kiosk.authorizeCode")}</label>
        <input id="authorize-code" type="password" autocomplete="off" />
        ${this.error ? html`<p class="error" role="alert" id="authorize-error">${this.error}</p>` : null}
        <p><button type="submit" ?disabled=${this.busy}>${s.resume ? t("kiosk.authorizeResume") : t("kiosk.authorize")}</button></p>
      </form>
    </section>`;
  }
}
customElements.define("kiosk-authorization", KioskAuthorization);
