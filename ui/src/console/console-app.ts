import { html } from "lit";
import { backend, errorText, type Centre } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";

type Screen = "loading" | "setup" | "signin" | "dashboard";

export class ConsoleApp extends LocalizedElement {
  static properties = { screen: { state: true }, centre: { state: true }, error: { state: true } };
  screen: Screen = "loading";
  centre: Centre | null = null;
  error = "";

  async connectedCallback() {
    super.connectedCallback();
    try {
      this.centre = await backend.centre();
      this.screen = this.centre ? "signin" : "setup";
    } catch (e) {
      this.error = errorText(e, lang());
    }
  }

  private async setup(e: Event) {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const password = String(data.get("password") ?? "");
    if (password !== String(data.get("confirm") ?? "")) {
      this.error = t("console.passwordMismatch");
      return;
    }
    const centre: Centre = {
      uai: String(data.get("uai") ?? "").trim(),
      name: String(data.get("name") ?? "").trim(),
      address: String(data.get("address") ?? "").trim(),
    };
    try {
      await backend.centreSetup(centre, password);
      this.centre = await backend.centre();
      this.error = "";
      this.screen = "dashboard";
    } catch (err) {
      this.error = errorText(err, lang());
    }
  }

  private async signIn(e: Event) {
    e.preventDefault();
    const password = String(new FormData(e.target as HTMLFormElement).get("password") ?? "");
    const ok = await backend.centreSignIn(password);
    this.error = ok ? "" : t("console.wrongPassword");
    if (ok) this.screen = "dashboard";
  }

  private renderSetup() {
    const input = (id: string, label: string, type = "text") =>
      html`<label for=${id}>${t(label)}</label><input id=${id} name=${id} type=${type} autocomplete="off" required />`;
    return html`<form class="card" @submit=${this.setup} aria-labelledby="setup-title">
      <h2 id="setup-title">${t("console.setupTitle")}</h2>
      <p>${t("console.setupIntro")}</p>
      ${input("uai", "console.uai")} ${input("name", "console.centreName")} ${input("address", "console.address")}
      ${input("password", "console.adminPassword", "password")} ${input("confirm", "console.adminPasswordConfirm", "password")}
      <p><button type="submit">${t("console.save")}</button></p>
    </form>`;
  }

  private renderSignIn() {
    return html`<form class="card" @submit=${this.signIn} aria-labelledby="signin-title">
      <h2 id="signin-title">${t("console.signInTitle")}</h2>
      <label for="password">${t("console.adminPassword")}</label>
      <input id="password" name="password" type="password" autocomplete="current-password" />
      <p><button type="submit">${t("console.signIn")}</button></p>
    </form>`;
  }

  private renderDashboard() {
    return html`<section class="card" aria-labelledby="dash-title">
      <h2 id="dash-title">${t("console.dashboard")}</h2>
      <p>${t("console.noSessions")}</p>
      <button class="secondary" @click=${() => (this.screen = "signin")}>${t("console.signOut")}</button>
    </section>`;
  }

  render() {
    const c = this.centre;
    return html`
      <header class="toolbar"><strong>${t("console.title")}</strong><display-controls></display-controls></header>
      <main>
        <h1>${t("console.title")}</h1>
        ${c ? html`<p id="centre-line">${t("console.centre", { name: c.name, uai: c.uai })}</p>` : null}
        ${this.error ? html`<p class="error" role="alert" id="console-error">${this.error}</p>` : null}
        ${this.screen === "setup" ? this.renderSetup() : this.screen === "signin" ? this.renderSignIn() : this.screen === "dashboard" ? this.renderDashboard() : html`<p>${t("app.loading")}</p>`}
      </main>`;
  }
}
customElements.define("console-app", ConsoleApp);
