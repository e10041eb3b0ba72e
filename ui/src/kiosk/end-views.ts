// The two screens where the candidate can do nothing more but wait for the invigilator.
import { html } from "lit";
import { lang, t } from "../shared/i18n";
import type { KioskScreen } from "./screen";

type Ended = Extract<KioskScreen, { screen: "ended" }>;
type Damaged = Extract<KioskScreen, { screen: "damaged" }>;

export function renderEnded(s: Ended) {
  return html`<section class="card" aria-labelledby="ended-title">
    <h2 id="ended-title" tabindex="-1" data-screen-heading>${t("kiosk.endedTitle")}</h2>
    <p>${t("kiosk.endedThanks")}</p>
    <p>${t(`kiosk.endedReason.${s.reason}`)}</p>
    <p class="notice">${t("kiosk.endedWait")}</p>
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
