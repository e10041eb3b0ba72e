import { html } from "lit";
import "../shared/log-folder";
import { keyed } from "lit/directives/keyed.js";
import { backend, consoleBackend, errorText, type CentreView } from "../shared/backend";
import { restoreStationDisplay } from "../shared/display-controls";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import { settled } from "../kiosk/flow";
import "../shared/centre-setup";
import "./console.css";
import { BACK_TO_SESSIONS, OPEN_SESSION, type OpenSession } from "./navigation";
import "./session-detail";
import "./sessions-view";

type Screen = "loading" | "setup" | "signin" | "dashboard";

/** The console window's address when it opens on the room it already hosts. */
export const LIVE_ROOM_HASH = "#/console/live-room";

export class ConsoleApp extends LocalizedElement {
  static properties = { screen: { state: true }, centre: { state: true }, error: { state: true }, openSession: { state: true } };
  screen: Screen = "loading";
  centre: CentreView | null = null;
  error = "";
  /** On the dashboard: the session shown in detail, or null for the sessions list. */
  openSession: number | null = null;

  async connectedCallback() {
    super.connectedCallback();
    restoreStationDisplay();
    this.addEventListener(OPEN_SESSION, this.onOpen as EventListener);
    this.addEventListener(BACK_TO_SESSIONS, this.onBack);
    try {
      this.centre = await backend.centre();
      this.screen = this.centre ? "signin" : "setup";
      // Opened on its live room (the demo signs in and opens one at start): straight to it.
      const live = this.centre !== null && location.hash === LIVE_ROOM_HASH;
      const room = live ? await consoleBackend.roomView().catch(() => null) : null;
      if (room) await this.go("dashboard", room.view.session);
    } catch (e) {
      this.error = errorText(e, lang());
    }
  }

  disconnectedCallback() {
    this.removeEventListener(OPEN_SESSION, this.onOpen as EventListener);
    this.removeEventListener(BACK_TO_SESSIONS, this.onBack);
    super.disconnectedCallback();
  }

  private readonly onOpen = (e: CustomEvent<OpenSession>) => {
    e.stopPropagation();
    void this.go("dashboard", e.detail.number);
  };

  private readonly onBack = (e: Event) => {
    e.stopPropagation();
    void this.go("dashboard", null);
  };

  /** Shows a screen and brings keyboard and screen reader focus to its heading. */
  private async go(screen: Screen, openSession: number | null = null) {
    this.screen = screen;
    this.openSession = openSession;
    await settled(this);
    this.querySelector<HTMLElement>("[data-screen-heading]")?.focus();
  }

  /** The Rust side forgets the sign-in too: the page's screens are not the lock. */
  private signOut = async () => {
    await backend.centreSignOut().catch(() => {});
    this.go("signin");
  };

  private async signIn(e: Event) {
    e.preventDefault();
    const password = String(new FormData(e.target as HTMLFormElement).get("password") ?? "");
    const ok = await backend.centreSignIn(password);
    this.error = ok ? "" : t("console.wrongPassword");
    if (ok) await this.go("dashboard");
  }

  private renderSetup() {
    return html`<centre-setup-form .onDone=${this.setUp} .onError=${(m: string) => (this.error = m)}></centre-setup-form>`;
  }

  private readonly setUp = async (centre: CentreView | null) => {
    this.centre = centre;
    this.error = "";
    await this.go("dashboard");
  };

  private renderSignIn() {
    return html`<form class="card" @submit=${this.signIn} aria-labelledby="signin-title">
      <h2 id="signin-title" tabindex="-1" data-screen-heading>${t("console.signInTitle")}</h2>
      <label for="password">${t("console.adminPassword")}</label>
      <input id="password" name="password" type="password" autocomplete="current-password" />
      <p><button type="submit">${t("console.signIn")}</button></p>
    </form>`;
  }

  private renderDashboard() {
    const n = this.openSession;
    // Keyed by session so that opening another session starts from a fresh view.
    return html`<p class="row end"><button type="button" class="secondary" id="sign-out" @click=${this.signOut}>${t("console.signOut")}</button></p>
      ${n === null ? html`<console-sessions></console-sessions>` : keyed(n, html`<console-session-detail .number=${n}></console-session-detail>`)}`;
  }

  render() {
    // The window's title names the role in the reader's language (WCAG 2.4.2).
    document.title = t("app.title.console");
    const c = this.centre;
    return html`
      <header class="toolbar"><strong>${t("console.title")}</strong><display-controls></display-controls></header>
      <main>
        <h1>${t("console.title")}</h1>
        ${c ? html`<p id="centre-line">${t("console.centre", { name: c.name, uai: c.uai })}</p>` : null}
        ${this.error ? html`<p class="error" role="alert" id="console-error">${this.error}</p>` : null}
        ${this.screen === "setup" ? this.renderSetup() : this.screen === "signin" ? this.renderSignIn() : this.screen === "dashboard" ? this.renderDashboard() : html`<p>${t("app.loading")}</p>`}
      </main>
      <log-folder></log-folder>`;
  }
}
customElements.define("console-app", ConsoleApp);
