import { html } from "lit";
import { backend } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import { ACCESS_CODE, submitCode, submitInvigilatorCode, type WaitingScreen } from "./flow";

/** The candidate has joined and waits for the invigilator. In a live room the candidate first types
 * the session's access code, then waits while the invigilator authorizes from the console (the
 * kiosk is told by a push). Outside a room the invigilator comes to the kiosk and types the session
 * code. After a restart, `resume` says the test continues. */
export class KioskAuthorization extends LocalizedElement {
  static properties = { screen: { attribute: false }, room: { attribute: false }, error: { state: true }, busy: { state: true } };
  screen!: WaitingScreen;
  room = false;
  error = "";
  busy = false;

  private async authorize(e: Event) {
    e.preventDefault();
    const input = this.querySelector<HTMLInputElement>("#authorize-code");
    await submitInvigilatorCode(this, input, (code) => backend.kioskAuthorize(code, lang()));
  }

  private async accessCode(e: Event) {
    e.preventDefault();
    const input = this.querySelector<HTMLInputElement>("#access-code");
    await submitCode(this, input, (code) => backend.kioskAccessCode(code, lang()), ACCESS_CODE);
  }

  /** The candidate types the code the invigilator gives the room. */
  private renderAccessCode() {
    return html`<form id="access-code-form" @submit=${this.accessCode} novalidate>
      <p id="access-code-hint">${t("kiosk.accessCodeHint")}</p>
      <label for="access-code">${t("kiosk.accessCode")}</label>
      <input id="access-code" type="text" autocomplete="off" spellcheck="false" autocapitalize="characters"
        aria-describedby=${this.error ? "access-code-hint access-code-error" : "access-code-hint"} aria-invalid=${this.error ? "true" : "false"} />
      ${this.error ? html`<p class="error" role="alert" id="access-code-error">${this.error}</p>` : null}
      <p><button type="submit" id="access-code-submit" ?disabled=${this.busy}>${t("kiosk.accessCodeSubmit")}</button></p>
    </form>`;
  }

  /** The invigilator types the session code at this PC (no room hub). */
  private renderInvigilatorCode() {
    const s = this.screen;
    return html`<p class="notice">${t("kiosk.waitingCall")}</p>
      ${s.resume ? html`<p id="resume-text">${t("kiosk.waitingResume")}</p>` : null}
      <form @submit=${this.authorize} novalidate>
        <label for="authorize-code">${t("kiosk.authorizeCode")}</label>
        <input id="authorize-code" type="password" autocomplete="off" />
        ${this.error ? html`<p class="error" role="alert" id="authorize-error">${this.error}</p>` : null}
        <p><button type="submit" ?disabled=${this.busy}>${s.resume ? t("kiosk.authorizeResume") : t("kiosk.authorize")}</button></p>
      </form>`;
  }

  render() {
    const s = this.screen;
    let body;
    if (s.access_code_needed) body = this.renderAccessCode();
    else if (this.room) {
      body = html`<p class="notice" id="waiting-room" role="status">${s.resume ? t("kiosk.waitingRoomResume") : t("kiosk.waitingRoom")}</p>
        ${s.resume ? html`<p id="resume-text">${t("kiosk.waitingResume")}</p>` : null}`;
    } else body = this.renderInvigilatorCode();
    return html`<section class="card" aria-labelledby="waiting-title">
      <h2 id="waiting-title" tabindex="-1" data-screen-heading>${s.access_code_needed ? t("kiosk.accessCodeTitle") : t("kiosk.waitingTitle")}</h2>
      <p>${t("kiosk.waitingCandidate", { name: s.candidate })}</p>
      ${body}
    </section>`;
  }
}
customElements.define("kiosk-authorization", KioskAuthorization);
