import { html, type PropertyValues } from "lit";
import type { ImportError } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import { downloadText, reportToCsv, type ReportLabels } from "./files";

/** A refused import's report: the summary (alert), every error in a table, and the report as CSV
 * or as text to copy. Shared by the candidates' import and the sessions' import; `prefix` keeps
 * the ids apart (`${prefix}-summary`, `${prefix}-report`, `${prefix}-report-csv`…). */
export class ImportReport extends LocalizedElement {
  static properties = {
    report: { attribute: false },
    summary: { attribute: false },
    source: { attribute: false },
    downloadName: { attribute: false },
    prefix: { attribute: false },
    copyShown: { state: true },
    copyStatus: { state: true },
  };
  report: ImportError[] = [];
  /** Already translated by the parent (it knows what was refused). */
  summary = "";
  /** The imported file's name, for the caption. */
  source = "";
  /** The CSV's file name. */
  downloadName = "rapport.csv";
  prefix = "import";
  copyShown = false;
  copyStatus = "";

  protected willUpdate(changed: PropertyValues<this>) {
    if (changed.has("report")) {
      this.copyShown = false;
      this.copyStatus = "";
    }
  }

  private idFor(suffix: string) {
    return `${this.prefix}-${suffix}`;
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
    return reportToCsv(this.report, lang(), this.labels());
  }

  private exportCsv() {
    const name = this.downloadName;
    if (!downloadText(this.csv(), name)) void this.showCopy(t("console.report.downloadUnavailable"));
    else this.copyStatus = t("console.report.downloaded", { name });
  }

  private async showCopy(message?: string) {
    this.copyShown = true;
    await this.updateComplete;
    const area = this.querySelector<HTMLTextAreaElement>(`#${this.idFor("report-text")}`);
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

  render() {
    const report = this.report;
    const en = lang() === "en";
    const withIne = report.some((e) => e.ine);
    const none = t("console.report.none");
    return html`<section class="import-report" aria-labelledby=${this.idFor("summary")}>
      <p class="error" role="alert" id=${this.idFor("summary")}>${this.summary}</p>
      <div class="table-wrap">
        <table id=${this.idFor("report")} class="data">
          <caption>${t("console.report.caption", { name: this.source })}</caption>
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
        <button type="button" class="secondary" id=${this.idFor("report-csv")} @click=${this.exportCsv}>${t("console.report.exportCsv")}</button>
        <button type="button" class="secondary" id=${this.idFor("report-copy")} @click=${() => this.showCopy()}>${t("console.report.copy")}</button>
      </p>
      <p role="status" aria-live="polite" id=${this.idFor("report-status")}>${this.copyStatus}</p>
      ${this.copyShown
        ? html`<label for=${this.idFor("report-text")}>${t("console.report.text")}</label>
            <textarea id=${this.idFor("report-text")} readonly rows="8" .value=${this.csv().replace(/^\uFEFF/, "").replace(/\r\n/g, "\n")}></textarea>`
        : null}
    </section>`;
  }
}
customElements.define("console-import-report", ImportReport);
