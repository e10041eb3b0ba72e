import { html, nothing } from "lit";
import { consoleBackend, errorText, isImportRefusal, type ImportErrorDto } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import { bytesToBase64Async, downloadText, readFileBytes, reportToCsv, type ReportLabels } from "./files";

export const IMPORTED = "console-imported";
export const IMPORT_ACCEPT = ".csv,.ods,.xlsx,.xml,.zip";

type Phase = "idle" | "reading" | "sending";

/** Import of the candidates' list into one session. Rust imports all lines or none: a refused
 * import comes back with every problem found, shown in full and exportable. */
export class ImportPanel extends LocalizedElement {
  static properties = {
    number: { type: Number },
    phase: { state: true },
    loaded: { state: true },
    total: { state: true },
    result: { state: true },
    error: { state: true },
    report: { state: true },
    reportFile: { state: true },
    copyShown: { state: true },
    copyStatus: { state: true },
  };
  number = 0;
  phase: Phase = "idle";
  loaded = 0;
  total = 0;
  result = "";
  error: unknown = null;
  report: ImportErrorDto[] | null = null;
  reportFile = "";
  copyShown = false;
  copyStatus = "";

  private input() {
    return this.querySelector<HTMLInputElement>("#import-file");
  }

  private async runImport() {
    if (this.phase !== "idle") return;
    const input = this.input();
    const file = input?.files?.[0];
    this.result = "";
    this.copyStatus = "";
    if (!file) {
      this.error = t("console.chooseFile");
      input?.focus();
      return;
    }
    this.error = null;
    this.report = null;
    this.copyShown = false;
    this.phase = "reading";
    this.loaded = 0;
    // Reading, then encoding, each count for half of the bar.
    this.total = Math.max(1, file.size) * 2;
    try {
      const bytes = await readFileBytes(file, (loaded) => (this.loaded = loaded));
      const base64 = await bytesToBase64Async(bytes, (done) => (this.loaded = file.size + done));
      this.phase = "sending";
      const { imported } = await consoleBackend.sessionImport(this.number, file.name, base64);
      if (input) input.value = "";
      this.result = t("console.imported", { count: imported });
      this.dispatchEvent(new CustomEvent(IMPORTED, { detail: { imported }, bubbles: true }));
    } catch (err) {
      if (isImportRefusal(err) && err.report.length > 0) {
        this.report = err.report;
        this.reportFile = file.name;
      } else {
        this.error = err;
      }
    } finally {
      this.phase = "idle";
    }
  }

  private labels(): ReportLabels {
    return {
      line: t("console.report.line"),
      column: t("console.report.column"),
      value: t("console.report.value"),
      message: t("console.report.message"),
      ine: t("console.report.ine"),
      wholeFile: t("console.report.wholeFile"),
    };
  }

  private csv() {
    return reportToCsv(this.report ?? [], lang(), this.labels());
  }

  private exportCsv() {
    const name = t("console.report.fileName", { number: this.number });
    if (!downloadText(this.csv(), name)) void this.showCopy(t("console.report.downloadUnavailable"));
    else this.copyStatus = t("console.report.downloaded", { name });
  }

  private async showCopy(message?: string) {
    this.copyShown = true;
    await this.updateComplete;
    const area = this.querySelector<HTMLTextAreaElement>("#import-report-text");
    area?.focus();
    area?.select();
    let copied = false;
    try {
      if (navigator.clipboard?.writeText) {
        await navigator.clipboard.writeText(area?.value ?? "");
        copied = true;
      }
    } catch {
      copied = false;
    }
    this.copyStatus = message ?? (copied ? t("console.report.copied") : t("console.report.selectToCopy"));
  }

  private renderProgress() {
    if (this.phase === "idle") return null;
    const reading = this.phase === "reading";
    return html`<div class="progress">
      <p id="import-phase">${reading ? t("console.importReading") : t("console.importSending")}</p>
      <progress id="import-progress" aria-labelledby="import-phase" max=${reading ? this.total : nothing} value=${reading ? this.loaded : nothing}></progress>
    </div>`;
  }

  private renderReport(report: ImportErrorDto[]) {
    const en = lang() === "en";
    const withIne = report.some((e) => e.ine);
    const none = t("console.report.none");
    return html`<section class="import-report" aria-labelledby="import-summary">
      <p class="error" role="alert" id="import-summary">${t("console.importRefused", { count: report.length })}</p>
      <div class="table-wrap">
        <table id="import-report" class="data">
          <caption>${t("console.report.caption", { name: this.reportFile })}</caption>
          <thead>
            <tr>
              <th scope="col">${t("console.report.line")}</th>
              <th scope="col">${t("console.report.column")}</th>
              <th scope="col">${t("console.report.value")}</th>
              ${withIne ? html`<th scope="col">${t("console.report.ine")}</th>` : null}
              <th scope="col">${t("console.report.message")}</th>
            </tr>
          </thead>
          <tbody>
            ${report.map(
              (e) => html`<tr>
                <th scope="row" class="num">${e.line === 0 ? t("console.report.wholeFile") : e.line}</th>
                <td>${e.column ?? none}</td>
                <td class="value">${e.value ?? none}</td>
                ${withIne ? html`<td>${e.ine ?? none}</td>` : null}
                <td>${en ? e.message_en : e.message_fr}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <p class="row">
        <button type="button" class="secondary" id="import-report-csv" @click=${this.exportCsv}>${t("console.report.exportCsv")}</button>
        <button type="button" class="secondary" id="import-report-copy" @click=${() => this.showCopy()}>${t("console.report.copy")}</button>
      </p>
      <p role="status" aria-live="polite" id="import-report-status">${this.copyStatus}</p>
      ${this.copyShown
        ? html`<label for="import-report-text">${t("console.report.text")}</label>
            <textarea id="import-report-text" readonly rows="8" .value=${this.csv().replace(/^\uFEFF/, "").replace(/\r\n/g, "\n")}></textarea>`
        : null}
    </section>`;
  }

  render() {
    const busy = this.phase !== "idle";
    return html`<section class="card" aria-labelledby="import-title" aria-busy=${busy ? "true" : "false"}>
      <h3 id="import-title">${t("console.importTitle")}</h3>
      <p class="hint" id="import-hint">${t("console.importHint")}</p>
      <label for="import-file">${t("console.importFile")}</label>
      <input id="import-file" type="file" accept=${IMPORT_ACCEPT} aria-describedby="import-hint" ?disabled=${busy} />
      <p class="row"><button type="button" id="import-button" aria-disabled=${busy ? "true" : "false"} @click=${this.runImport}>${t("console.importButton")}</button></p>
      ${this.renderProgress()}
      <p role="status" aria-live="polite" class="ok" id="import-result">${this.result}</p>
      ${this.error ? html`<p class="error" role="alert" id="import-error">${errorText(this.error, lang())}</p>` : null}
      ${this.report ? this.renderReport(this.report) : null}
    </section>`;
  }
}
customElements.define("console-import", ImportPanel);
