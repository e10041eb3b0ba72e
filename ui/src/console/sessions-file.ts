import { html } from "lit";
import { consoleBackend, errorText, isImportRefusal, type ImportError } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import { bytesToBase64Async, readFileBytes } from "./files";
import "./import-report";

export const SESSIONS_IMPORTED = "console-sessions-imported";
/** The national sessions file is a `;`-separated CSV with a BOM. */
export const SESSIONS_ACCEPT = ".csv";

/** Creation of several sessions from one file. Rust creates all of them or none: a refusal comes
 * back with every problem found, shown with the same report as the candidates' import. */
export class SessionsFile extends LocalizedElement {
  static properties = {
    busy: { state: true },
    result: { state: true },
    error: { state: true },
    report: { state: true },
    reportFile: { state: true },
  };
  busy = false;
  result = "";
  error: unknown = null;
  report: ImportError[] | null = null;
  reportFile = "";

  private async runImport() {
    if (this.busy) return;
    const input = this.querySelector<HTMLInputElement>("#sessions-file");
    const file = input?.files?.[0];
    this.result = "";
    this.error = null;
    this.report = null;
    if (!file) {
      this.error = t("console.chooseFile");
      input?.focus();
      return;
    }
    this.busy = true;
    try {
      const base64 = await bytesToBase64Async(await readFileBytes(file));
      const { created } = await consoleBackend.sessionImportFile(file.name, base64);
      if (input) input.value = "";
      this.result = t("console.sessionsFile.created", { count: created.length });
      this.dispatchEvent(new CustomEvent(SESSIONS_IMPORTED, { detail: { created }, bubbles: true }));
    } catch (err) {
      if (isImportRefusal(err) && err.report.length > 0) {
        this.report = err.report;
        this.reportFile = file.name;
      } else {
        this.error = err;
      }
    } finally {
      this.busy = false;
    }
  }

  render() {
    const busy = this.busy ? "true" : "false";
    return html`<section class="card" aria-labelledby="sessions-file-title" aria-busy=${busy}>
      <h2 id="sessions-file-title">${t("console.sessionsFile.title")}</h2>
      <p class="hint" id="sessions-file-hint">${t("console.sessionsFile.hint")}</p>
      <label for="sessions-file">${t("console.sessionsFile.file")}</label>
      <input id="sessions-file" type="file" accept=${SESSIONS_ACCEPT} aria-describedby="sessions-file-hint" ?disabled=${this.busy} />
      <p class="row"><button type="button" id="sessions-file-import" aria-disabled=${busy} @click=${this.runImport}>${t("console.importButton")}</button></p>
      ${this.busy ? html`<p><progress id="sessions-file-progress" aria-labelledby="sessions-file-phase"></progress> <span id="sessions-file-phase">${t("console.sessionsFile.sending")}</span></p>` : null}
      <p role="status" aria-live="polite" class="ok" id="sessions-file-result">${this.result}</p>
      ${this.error ? html`<p class="error" role="alert" id="sessions-file-error">${errorText(this.error, lang())}</p>` : null}
      ${this.report
        ? html`<console-import-report
            .report=${this.report}
            .summary=${t("console.sessionsFile.refused", { count: this.report.length })}
            .source=${this.reportFile}
            .downloadName=${t("console.sessionsFile.reportName")}
            .prefix=${"sessions-file"}
          ></console-import-report>`
        : null}
    </section>`;
  }
}
customElements.define("console-sessions-file", SessionsFile);
