import { html } from "lit";
import { backend, errorText } from "../shared/backend";
import { displayForCandidate, displayForNewCandidate } from "../shared/display-controls";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import "./authorization-view";
import { renderDamaged, renderEnded } from "./end-views";
import { changesView, SCREEN_EVENT, settled, type ScreenChange } from "./flow";
import "./kiosk.css";
import "./question-view";
import type { KioskScreen } from "./screen";
import "./welcome-view";

/** Text size and contrast follow the candidate: defaults for each new one, theirs again when
 *  their test resumes on this PC. */
function displayFor(before: KioskScreen | null, next: KioskScreen) {
  if (next.screen === "welcome" && before?.screen !== "welcome") displayForNewCandidate();
  else if (next.screen === "waiting_authorization") displayForCandidate(next.candidate);
}

/** The kiosk's state machine. Rust owns the state: the app renders the one screen Rust returned
 * (at start from `kiosk_screen`, then from whatever command a view called, or again from
 * `kiosk_screen` when the room hub changed the sitting) and nothing else.
 * It also owns what outlives a screen: the "saved" status, the focus-lost notice and the exit dialog. */
export class KioskApp extends LocalizedElement {
  static properties = {
    screen: { state: true },
    loadError: { state: true },
    savedShown: { state: true },
    demo: { state: true },
    room: { state: true },
    exitMessage: { state: true },
    focusLost: { state: true },
  };
  screen: KioskScreen | null = null;
  loadError = "";
  savedShown = false;
  demo = false;
  /** Paired with a room hub: the invigilator acts from the console, not at this PC. */
  room = false;
  exitMessage = "";
  focusLost = false;

  /** Settles once the status is known (never rejects): the first screen waits for it, so a room
   * kiosk never shows, even briefly, a code field meant for the invigilator. */
  private status: Promise<void> = Promise.resolve();
  private unlisten: Promise<() => void> | null = null;

  connectedCallback() {
    super.connectedCallback();
    this.addEventListener(SCREEN_EVENT, this.onScreen as EventListener);
    void backend.onCloseRequested(() => this.openExitDialog());
    void backend.onFocusChanged((focused) => {
      if (!focused) this.focusLost = true;
    });
    this.unlisten = backend.onKioskScreenChanged(() => void this.refresh());
    this.status = backend
      .kioskStatus()
      .then((s) => {
        this.demo = s.demo;
        this.room = !!s.room;
      })
      .catch(() => {});
    void this.load();
  }

  disconnectedCallback() {
    this.removeEventListener(SCREEN_EVENT, this.onScreen as EventListener);
    void this.unlisten?.then((off) => off()).catch(() => {});
    this.unlisten = null;
    super.disconnectedCallback();
  }

  /** Where the kiosk starts, or resumes after a restart (waiting_authorization with resume, or damaged). */
  private async load() {
    this.loadError = "";
    try {
      const [screen] = await Promise.all([backend.kioskScreen(lang()), this.status]);
      await this.show(screen, false);
    } catch (err) {
      this.loadError = errorText(err, lang());
      await this.updateComplete;
      this.querySelector<HTMLElement>("#load-retry")?.focus();
    }
  }

  /** The hub changed the sitting: the screen is asked again, as at start. Focus moves only if what
   * the candidate sees changed; a refusal keeps the screen on display (the next push or answer retries). */
  private async refresh() {
    if (!this.screen) return this.load();
    try {
      const next = await backend.kioskScreen(lang());
      await this.show(next, false, changesView(this.screen, next));
    } catch {
      // Keep what is on screen.
    }
  }

  private readonly onScreen = (e: CustomEvent<ScreenChange>) => {
    e.stopPropagation();
    void this.show(e.detail.screen, e.detail.saved);
  };

  private async show(screen: KioskScreen, saved: boolean, focus = true) {
    displayFor(this.screen, screen);
    if (!focus) {
      // The same view refreshed by a push: nothing to announce, focus stays where it is.
      this.screen = screen;
      await settled(this);
      return;
    }
    // Empty the live region first: the same sentence twice in a row would not be announced again.
    this.savedShown = false;
    this.screen = screen;
    await settled(this);
    if (saved) this.savedShown = true;
    // Each new screen (or a question's alert state) brings focus to its heading, for keyboard and screen readers.
    this.querySelector<HTMLElement>("[data-screen-heading]")?.focus();
  }

  private openExitDialog() {
    this.exitMessage = "";
    const dialog = this.querySelector<HTMLDialogElement>("#exit-dialog");
    if (dialog && !dialog.open) dialog.showModal();
    this.querySelector<HTMLInputElement>("#exit-code")?.focus();
  }

  private async submitExit(e: Event) {
    e.preventDefault();
    const input = this.querySelector<HTMLInputElement>("#exit-code");
    try {
      await backend.kioskExit(input?.value ?? "");
    } catch (err) {
      this.exitMessage = errorText(err, lang()) || t("kiosk.exitRefused");
      if (input) input.value = "";
    }
  }

  private renderScreen(s: KioskScreen) {
    switch (s.screen) {
      case "welcome":
        return html`<kiosk-welcome></kiosk-welcome>`;
      case "waiting_authorization":
        return html`<kiosk-authorization .screen=${s} .room=${this.room}></kiosk-authorization>`;
      case "question":
        return html`<kiosk-question .screen=${s} .room=${this.room}></kiosk-question>`;
      case "ended":
        return renderEnded(s, this.room);
      case "damaged":
        return renderDamaged(s);
    }
  }

  private renderBody() {
    if (this.screen) return this.renderScreen(this.screen);
    if (this.loadError) {
      return html`<section class="card">
        <p class="error" role="alert">${this.loadError}</p>
        <p><button type="button" id="load-retry" @click=${this.load}>${t("kiosk.retry")}</button></p>
      </section>`;
    }
    return html`<p>${t("app.loading")}</p>`;
  }

  render() {
    // The window's title names the role in the reader's language (WCAG 2.4.2).
    document.title = t("app.title.kiosk");
    const s = this.screen;
    const focusLost = this.focusLost || (s?.screen === "question" && s.focus_lost);
    return html`
      <header class="toolbar"><strong>${t("kiosk.title")}</strong><display-controls></display-controls></header>
      <main id="kiosk-main" class="kiosk">
        <h1>${t("kiosk.title")}</h1>
        ${this.demo ? html`<p class="notice">${t("kiosk.demoNotice")}</p>` : null}
        ${focusLost ? html`<p class="error" role="alert" id="focus-lost">${t("kiosk.focusLost")}</p>` : null}
        <p role="status" aria-live="polite" class="ok" id="kiosk-status">${this.savedShown ? t("kiosk.saved") : ""}</p>
        <div id="screen">${this.renderBody()}</div>
      </main>
      <dialog id="exit-dialog" aria-labelledby="exit-title">
        <form @submit=${this.submitExit}>
          <h2 id="exit-title">${t("kiosk.closeTitle")}</h2>
          <p>${t("kiosk.closeBody")}</p>
          <label for="exit-code">${t("kiosk.exitCode")}</label>
          <input id="exit-code" type="password" autocomplete="off" />
          ${this.exitMessage ? html`<p class="error" role="alert" id="exit-error">${this.exitMessage}</p>` : null}
          <p class="row">
            <button type="submit">${t("kiosk.exitConfirm")}</button>
            <button type="button" class="secondary" @click=${() => this.querySelector<HTMLDialogElement>("#exit-dialog")?.close()}>${t("kiosk.exitCancel")}</button>
          </p>
        </form>
      </dialog>`;
  }
}
customElements.define("kiosk-app", KioskApp);
