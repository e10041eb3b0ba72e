import { html } from "lit";
import { backend, errorText, type Centre } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";

export class OfficeApp extends LocalizedElement {
  static properties = { centre: { state: true }, error: { state: true }, loaded: { state: true } };
  centre: Centre | null = null;
  error = "";
  loaded = false;

  async connectedCallback() {
    super.connectedCallback();
    try {
      this.centre = await backend.centre();
    } catch (e) {
      this.error = errorText(e, lang());
    }
    this.loaded = true;
  }

  render() {
    const c = this.centre;
    return html`
      <header class="toolbar"><strong>${t("office.title")}</strong><display-controls></display-controls></header>
      <main>
        <h1>${t("office.title")}</h1>
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : null}
        ${!this.loaded ? html`<p>${t("app.loading")}</p>` : c
          ? html`<p>${t("office.centre", { name: c.name, uai: c.uai })}</p>
              <section class="card" aria-labelledby="results-title"><h2 id="results-title">${t("office.results")}</h2><p>${t("office.noResults")}</p></section>`
          : html`<p class="notice">${t("office.notSetUp")}</p>`}
      </main>`;
  }
}
customElements.define("office-app", OfficeApp);
