import { html } from "lit";
import "../shared/log-folder";
import { backend, errorText, type CentreView } from "../shared/backend";
import { restoreStationDisplay } from "../shared/display-controls";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import { settled } from "../kiosk/flow";
import "../shared/centre-setup";
import "../console/console.css";
import "./office.css";
import "./settings-form";
import "./results-panel";

type Screen = "loading" | "setup" | "signin" | "dashboard";

/** The school office: signs in with the centre's administrator password (the centre is set up
 * once, here or on the console), then fetches or imports the published results and prints
 * certificates. */
export class OfficeApp extends LocalizedElement {
  static properties = { centre: { state: true }, error: { state: true }, screen: { state: true } };
  centre: CentreView | null = null;
  error = "";
  screen: Screen = "loading";

  async connectedCallback() {
    super.connectedCallback();
    restoreStationDisplay();
    try {
      this.centre = await backend.centre();
      this.screen = this.centre ? "signin" : "setup";
    } catch (e) {
      this.error = errorText(e, lang());
    }
  }

  private async go(screen: Screen) {
    this.screen = screen;
    await settled(this);
    this.querySelector<HTMLElement>("[data-screen-heading]")?.focus();
  }

  private async signIn(e: Event) {
    e.preventDefault();
    const password = String(new FormData(e.target as HTMLFormElement).get("password") ?? "");
    try {
      const ok = await backend.centreSignIn(password);
      this.error = ok ? "" : t("console.wrongPassword");
      if (ok) await this.go("dashboard");
    } catch (err) {
      this.error = errorText(err, lang());
    }
  }

  /** An office PC may be the centre's first: it sets the centre up like the console would. */
  private readonly setUp = async (centre: CentreView | null) => {
    this.centre = centre;
    this.error = "";
    await this.go("dashboard");
  };

  private signOut = async () => {
    await backend.centreSignOut().catch(() => {});
    await this.go("signin");
  };

  private renderScreen() {
    switch (this.screen) {
      case "loading":
        return html`<p>${t("app.loading")}</p>`;
      case "setup":
        return html`<centre-setup-form .onDone=${this.setUp} .onError=${(m: string) => (this.error = m)}></centre-setup-form>`;
      case "signin":
        return html`<form class="card" @submit=${this.signIn} aria-labelledby="signin-title">
          <h2 id="signin-title" tabindex="-1" data-screen-heading>${t("office.signInTitle")}</h2>
          <label for="password">${t("console.adminPassword")}</label>
          <input id="password" name="password" type="password" autocomplete="current-password" />
          <p><button type="submit" id="sign-in">${t("console.signIn")}</button></p>
        </form>`;
      case "dashboard":
        return html`<p class="row end"><button type="button" class="secondary" id="sign-out" @click=${this.signOut}>${t("console.signOut")}</button></p>
          <h2 tabindex="-1" data-screen-heading class="visually-hidden">${t("office.results")}</h2>
          <office-settings></office-settings>
          <office-results></office-results>`;
    }
  }

  render() {
    // The window's title names the role in the reader's language (WCAG 2.4.2).
    document.title = t("app.title.office");
    const c = this.centre;
    return html`
      <header class="toolbar"><strong>${t("office.title")}</strong><display-controls></display-controls></header>
      <main>
        <h1>${t("office.title")}</h1>
        ${c ? html`<p id="centre-line">${t("office.centre", { name: c.name, uai: c.uai })}</p>` : null}
        ${this.error ? html`<p class="error" role="alert" id="office-error">${this.error}</p>` : null}
        ${this.renderScreen()}
      </main>
      <log-folder></log-folder>`;
  }
}
customElements.define("office-app", OfficeApp);
