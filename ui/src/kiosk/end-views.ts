// The two screens where the candidate can do nothing more but wait for the invigilator.
import { html } from "lit";
import { backend, errorText } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import { emitScreen } from "./flow";
import type { KioskScreen } from "./screen";

type Ended = Extract<KioskScreen, { screen: "ended" }>;
type Damaged = Extract<KioskScreen, { screen: "damaged" }>;

/** In a live room, the ended screen offers "Finish": the PC leaves the room's sitting and comes
 * back to a clean welcome screen for the next candidate (Rust decides; the screen is handed on). */
export class KioskFinish extends LocalizedElement {
  static properties = { error: { state: true }, busy: { state: true } };
  error = "";
  busy = false;

  private async finish() {
    if (this.busy) return;
    this.busy = true;
    try {
      const next = await backend.kioskFinish(lang());
      this.error = "";
      emitScreen(this, next);
    } catch (err) {
      this.error = errorText(err, lang());
      this.busy = false;
      await this.updateComplete;
      this.querySelector<HTMLElement>("#finish")?.focus();
    } finally {
      this.busy = false;
    }
  }

  render() {
    return html`<p class="hint" id="finish-hint">${t("kiosk.finishHint")}</p>
      ${this.error ? html`<p class="error" role="alert" id="finish-error">${this.error}</p>` : null}
      <p><button type="button" id="finish" aria-describedby="finish-hint" ?disabled=${this.busy} @click=${this.finish}>${t("kiosk.finish")}</button></p>`;
  }
}
customElements.define("kiosk-finish", KioskFinish);

export function renderEnded(s: Ended, room = false) {
  return html`<section class="card" aria-labelledby="ended-title">
    <h2 id="ended-title" tabindex="-1" data-screen-heading>${t("kiosk.endedTitle")}</h2>
    <p>${t("kiosk.endedThanks")}</p>
    <p>${t(`kiosk.endedReason.${s.reason}`)}</p>
    <p class="notice">${t("kiosk.endedWait")}</p>
    ${room ? html`<kiosk-finish></kiosk-finish>` : null}
  </section>`;
}

/** Rust's own message (journal unreadable, clock tampered…), in the language on screen. */
export function renderDamaged(s: Damaged) {
  return html`<section class="card" aria-labelledby="damaged-title" role="alert">
    <h2 id="damaged-title" tabindex="-1" data-screen-heading>${t("kiosk.damagedTitle")}</h2>
    <p class="error">${lang() === "en" ? s.message_en : s.message_fr}</p>
    <p class="notice">${t("kiosk.damagedCall")}</p>
  </section>`;
}
