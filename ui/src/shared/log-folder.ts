import { html } from "lit";
import { backend } from "./backend";
import { t } from "./i18n";
import { LocalizedElement } from "./localized";

/** Where this window writes its technical log: what to send to whoever supports the school. */
export class LogFolder extends LocalizedElement {
  static properties = { folder: { state: true } };
  folder: string | null = null;

  connectedCallback() {
    super.connectedCallback();
    backend
      .logsFolder()
      .then((f) => (this.folder = f))
      .catch(() => (this.folder = null));
  }

  render() {
    return this.folder ? html`<footer class="hint" id="log-folder">${t("app.logFolder", { folder: this.folder })}</footer>` : null;
  }
}
customElements.define("log-folder", LogFolder);
