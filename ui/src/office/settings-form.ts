import { html } from "lit";
import { errorText, officeBackend, type OfficeSettings } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";

export const SETTINGS_SAVED = "office-settings-saved";

/** The link with the certification service: its address, the centre's token (never shown
 * again once saved), the service key results are checked against, the certificates' validity. */
export class OfficeSettingsForm extends LocalizedElement {
  static properties = { settings: { state: true }, error: { state: true }, saved: { state: true } };
  settings: OfficeSettings | null = null;
  error = "";
  saved = false;

  async connectedCallback() {
    super.connectedCallback();
    await this.load();
    window.addEventListener(SETTINGS_SAVED, this.reload);
  }

  disconnectedCallback() {
    window.removeEventListener(SETTINGS_SAVED, this.reload);
    super.disconnectedCallback();
  }

  /** Another screen changed the settings (a key taken from the service): show them. */
  private readonly reload = (e: Event) => {
    if ((e as CustomEvent).detail !== this) void this.load();
  };

  private async load() {
    try {
      this.settings = await officeBackend.settings();
    } catch (e) {
      this.error = errorText(e, lang());
    }
  }

  private async save(e: Event) {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const text = (k: string) => String(data.get(k) ?? "").trim();
    try {
      this.settings = await officeBackend.saveSettings({
        service_url: text("service-url"),
        centre_token: text("centre-token"),
        service_key: text("service-key"),
        validity_years: Number(text("validity-years") || 0),
      });
      (e.target as HTMLFormElement).reset();
      this.error = "";
      this.saved = true;
      window.dispatchEvent(new CustomEvent(SETTINGS_SAVED, { detail: this }));
    } catch (err) {
      this.saved = false;
      this.error = errorText(err, lang());
    }
  }

  render() {
    const s = this.settings;
    if (!s) return this.error ? html`<p class="error" role="alert">${this.error}</p>` : null;
    return html`<details class="card" id="office-settings" ?open=${!s.service_key}>
      <summary>${t("office.settings.title")}</summary>
      <form @submit=${this.save} @input=${() => (this.saved = false)}>
        <label for="service-url">${t("office.settings.serviceUrl")}</label>
        <input id="service-url" name="service-url" type="url" .value=${s.service_url} placeholder="https://" autocomplete="off" />
        <label for="centre-token">${t("office.settings.token")}</label>
        <input id="centre-token" name="centre-token" type="password" autocomplete="off" aria-describedby="token-hint" />
        <p class="hint" id="token-hint">${s.has_token ? t("office.settings.tokenKept") : t("office.settings.tokenNone")}</p>
        <label for="service-key">${t("office.settings.key")}</label>
        <input id="service-key" name="service-key" .value=${s.service_key} autocomplete="off" spellcheck="false" aria-describedby="key-hint" class="mono" />
        <p class="hint" id="key-hint">${t("office.settings.keyHint")}</p>
        <label for="validity-years">${t("office.settings.validity")}</label>
        <input id="validity-years" name="validity-years" type="number" min="0" max="10" .value=${String(s.validity_years)} aria-describedby="validity-hint" />
        <p class="hint" id="validity-hint">${t("office.settings.validityHint")}</p>
        ${this.error ? html`<p class="error" role="alert" id="settings-error">${this.error}</p>` : null}
        <p class="row"><button type="submit" id="settings-save">${t("console.save")}</button>
          <span role="status">${this.saved ? t("office.settings.saved") : ""}</span></p>
      </form>
    </details>`;
  }
}
customElements.define("office-settings", OfficeSettingsForm);
