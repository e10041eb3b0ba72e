import { html } from "lit";
import { consoleBackend, errorText, type LabStation } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";

/** The lab's PCs: paired once with this console, they join every session without pairing again.
 * The certification service must know them before exam day (a test signed by a PC it learnt of
 * later waits for the jury): "Déclarer au service" when online, or a signed file for a centre
 * without a connection. */
export class LabPanel extends LocalizedElement {
  static properties = {
    stations: { state: true },
    serviceUrl: { state: true },
    busy: { state: true },
    error: { state: true },
    note: { state: true },
  };
  stations: LabStation[] = [];
  serviceUrl = "";
  busy = false;
  error: unknown = null;
  note = "";

  connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  async load() {
    try {
      this.stations = await consoleBackend.labStations();
      const box = await consoleBackend.outboxList().catch(() => null);
      this.serviceUrl ||= box?.service_url ?? "";
    } catch (err) {
      this.error = err;
    }
  }

  private async run(action: () => Promise<string>) {
    this.busy = true;
    this.error = null;
    this.note = "";
    try {
      this.note = await action();
    } catch (err) {
      this.error = err;
    } finally {
      this.busy = false;
    }
  }

  private forget(s: LabStation) {
    return this.run(async () => {
      this.stations = await consoleBackend.labForget(s.public_key);
      return t("console.lab.forgotten", { label: s.label });
    });
  }

  private declare(e: Event) {
    e.preventDefault();
    return this.run(async () => {
      const n = await consoleBackend.labDeclare(this.serviceUrl.trim());
      return t("console.lab.declared", { count: n });
    });
  }

  private exportFile() {
    return this.run(async () => t("console.lab.exported", { path: (await consoleBackend.labExport()).path }));
  }

  private renderTable() {
    if (this.stations.length === 0) return html`<p id="lab-none">${t("console.lab.none")}</p>`;
    return html`<table id="lab-table">
      <caption>${t("console.lab.caption", { count: this.stations.length })}</caption>
      <thead><tr><th scope="col">${t("console.lab.label")}</th><th scope="col">${t("console.lab.key")}</th><th scope="col">${t("console.lab.pairedAt")}</th><th scope="col"><span class="visually-hidden">${t("console.lab.actions")}</span></th></tr></thead>
      <tbody>${this.stations.map(
        (s) => html`<tr>
          <th scope="row">${s.label}</th>
          <td><code>${s.public_key.slice(0, 16)}…</code></td>
          <td>${s.paired_at}</td>
          <td><button type="button" class="secondary" ?disabled=${this.busy} aria-label=${t("console.lab.forgetLabel", { label: s.label })} @click=${() => this.forget(s)}>${t("console.lab.forget")}</button></td>
        </tr>`,
      )}</tbody>
    </table>`;
  }

  render() {
    return html`<section class="card" aria-labelledby="lab-title" aria-busy=${this.busy ? "true" : "false"}>
      <h3 id="lab-title">${t("console.lab.title")}</h3>
      <p class="hint">${t("console.lab.hint")}</p>
      ${this.renderTable()}
      <form id="lab-declare" @submit=${(e: Event) => this.declare(e)}>
        <label for="lab-service-url">${t("console.lab.serviceUrl")}</label>
        <input id="lab-service-url" type="url" required autocomplete="url" .value=${this.serviceUrl}
          @input=${(e: Event) => (this.serviceUrl = (e.target as HTMLInputElement).value)} />
        <button type="submit" ?disabled=${this.busy || this.stations.length === 0}>${t("console.lab.declare")}</button>
        <button type="button" class="secondary" id="lab-export" ?disabled=${this.busy || this.stations.length === 0} @click=${() => this.exportFile()}>${t("console.lab.export")}</button>
      </form>
      <div role="status" aria-live="polite" id="lab-status">${this.note ? html`<p class="ok">${this.note}</p>` : null}</div>
      ${this.error ? html`<p class="error" role="alert" id="lab-error">${errorText(this.error, lang())}</p>` : null}
    </section>`;
  }
}
customElements.define("console-lab", LabPanel);
