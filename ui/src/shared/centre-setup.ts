import { html } from "lit";
import { backend, errorText, type CentreDraft, type CentreView } from "./backend";
import { lang, t } from "./i18n";
import { LocalizedElement } from "./localized";

/** The centre's first launch, on the console or the office PC, whichever opens first: UAI, name,
 * address and the administrator password. Rust validates and signs in; the host screen shows
 * errors where it shows its own and moves on once the centre is saved. */
export class CentreSetupForm extends LocalizedElement {
  onDone: (centre: CentreView | null) => void = () => {};
  onError: (message: string) => void = () => {};

  private async submit(e: Event) {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const password = String(data.get("password") ?? "");
    if (password !== String(data.get("confirm") ?? "")) {
      this.onError(t("console.passwordMismatch"));
      return;
    }
    const centre: CentreDraft = {
      uai: String(data.get("uai") ?? "").trim(),
      name: String(data.get("name") ?? "").trim(),
      address: String(data.get("address") ?? "").trim(),
    };
    try {
      await backend.centreSetup(centre, password);
      this.onDone(await backend.centre());
    } catch (err) {
      this.onError(errorText(err, lang()));
    }
  }

  render() {
    const input = (id: string, label: string, type = "text") =>
      html`<label for=${id}>${t(label)}</label><input id=${id} name=${id} type=${type} autocomplete="off" required />`;
    return html`<form class="card" @submit=${this.submit} aria-labelledby="setup-title">
      <h2 id="setup-title" tabindex="-1" data-screen-heading>${t("console.setupTitle")}</h2>
      <p>${t("console.setupIntro")}</p>
      ${input("uai", "console.uai")} ${input("name", "console.centreName")} ${input("address", "console.address")}
      ${input("password", "console.adminPassword", "password")} ${input("confirm", "console.adminPasswordConfirm", "password")}
      <p><button type="submit">${t("console.save")}</button></p>
    </form>`;
  }
}
customElements.define("centre-setup-form", CentreSetupForm);
