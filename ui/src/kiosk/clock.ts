import { html, type PropertyValues } from "lit";
import { t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import type { TimeLeft } from "./screen";
import { clock, Countdown, crossedThreshold, formatClock } from "./timer";

export const TIME_UP_EVENT = "kiosk-time-up";

/** The test's time left and, when the question has its own timer, the question's.
 * The visible figures are a `role="timer"` (not announced); a separate polite live region speaks
 * only at 10, 5 and 1 minute(s) left, so a screen-reader user is not interrupted every second. */
export class KioskClock extends LocalizedElement {
  static properties = { time: { attribute: false }, now: { state: true } };
  time!: TimeLeft;
  now = clock.now();
  private test = new Countdown(0, 0);
  private question: Countdown | null = null;
  private lastTestS: number | null = null;
  private announceMinutes: number | null = null;
  private ticker: number | undefined;

  connectedCallback() {
    super.connectedCallback();
    // A quarter second keeps the display within 250 ms of the true second; re-rendering is cheap.
    this.ticker = window.setInterval(() => (this.now = clock.now()), 250);
  }

  disconnectedCallback() {
    window.clearInterval(this.ticker);
    super.disconnectedCallback();
  }

  willUpdate(changed: PropertyValues<this>) {
    if (changed.has("time")) {
      // Each screen from Rust restarts both countdowns from its figures.
      this.now = clock.now();
      this.test = new Countdown(this.time.remaining_s, this.now);
      this.question = this.time.question_remaining_s === null ? null : new Countdown(this.time.question_remaining_s, this.now);
    }
    const testS = this.test.remaining(this.now);
    this.announceMinutes = crossedThreshold(this.lastTestS, testS) ?? this.announceMinutes;
    // Rust ends the test, but only when asked: tell the view the moment the local count reaches zero.
    if (testS === 0 && this.lastTestS !== null && this.lastTestS > 0) {
      this.dispatchEvent(new CustomEvent(TIME_UP_EVENT, { bubbles: true }));
    }
    this.lastTestS = testS;
  }

  render() {
    const testS = this.test.remaining(this.now);
    const questionS = this.question?.remaining(this.now) ?? null;
    return html`<div class="clock">
      <p class="clock-line">${t("kiosk.timeLeft")} <span role="timer" class="clock-figure" id="test-clock">${formatClock(testS)}</span></p>
      ${questionS === null
        ? null
        : html`<p class="clock-line">${t("kiosk.questionTimeLeft")}
            <span role="timer" class="clock-figure" id="question-clock">${formatClock(questionS)}</span></p>`}
      <p class="visually-hidden" aria-live="polite" id="clock-announce">
        ${this.announceMinutes === null ? "" : t("kiosk.minutesLeft", { count: this.announceMinutes })}
      </p>
    </div>
    ${questionS === 0 ? html`<p class="notice late" role="alert" id="question-late">${t("kiosk.questionTimeUp")}</p>` : null}`;
  }
}
customElements.define("kiosk-clock", KioskClock);
