import { html, nothing } from "lit";
import { consoleBackend, errorText, isChooseClasses, isImportRefusal, type ImportError } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import { bytesToBase64Async, readFileBytes } from "./files";
import "./import-report";

export const IMPORTED = "console-imported";
export const IMPORT_ACCEPT = ".csv,.ods,.xlsx,.xml,.zip";

type Phase = "idle" | "reading" | "sending";

/** Import of the candidates' list into one session. Rust imports all lines or none: a refused
 * import comes back with every problem found, shown in full and exportable. A SIECLE file with
 * several classes comes back asking which classes to import; the file is then sent again, from
 * the bytes already read, with the classes ticked. */
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
    classes: { state: true },
    classesError: { state: true },
  };
  number = 0;
  phase: Phase = "idle";
  loaded = 0;
  total = 0;
  result = "";
  error: unknown = null;
  report: ImportError[] | null = null;
  reportFile = "";
  /** The classes Rust offered, while it waits for a choice. */
  classes: string[] | null = null;
  classesError = "";
  /** The file already read and encoded, kept for the second attempt with the classes. */
  private pending: { fileName: string; base64: string } | null = null;

  private input() {
    return this.querySelector<HTMLInputElement>("#import-file");
  }

  private clearOutcome() {
    this.result = "";
    this.error = null;
    this.report = null;
    this.classes = null;
    this.classesError = "";
    this.pending = null;
  }

  private async runImport() {
    if (this.phase !== "idle") return;
    const input = this.input();
    const file = input?.files?.[0];
    this.clearOutcome();
    if (!file) {
      this.error = t("console.chooseFile");
      input?.focus();
      return;
    }
    this.phase = "reading";
    this.loaded = 0;
    // Reading, then encoding, each count for half of the bar.
    this.total = Math.max(1, file.size) * 2;
    try {
      const bytes = await readFileBytes(file, (loaded) => (this.loaded = loaded));
      const base64 = await bytesToBase64Async(bytes, (done) => (this.loaded = file.size + done));
      await this.send(file.name, base64);
    } catch (err) {
      this.error = err;
      this.phase = "idle";
    }
  }

  /** Sends the encoded file (with the chosen classes on a second attempt) and shows the outcome. */
  private async send(fileName: string, base64: string, classes?: string[]) {
    this.phase = "sending";
    try {
      const { imported } = await consoleBackend.sessionImport(this.number, fileName, base64, classes);
      const input = this.input();
      if (input) input.value = "";
      this.result = t("console.imported", { count: imported });
      this.dispatchEvent(new CustomEvent(IMPORTED, { detail: { imported }, bubbles: true }));
    } catch (err) {
      if (isChooseClasses(err)) {
        this.pending = { fileName, base64 };
        this.classes = err.classes;
        this.phase = "idle";
        await this.updateComplete;
        this.querySelector<HTMLElement>("#siecle-classes-legend")?.focus();
      } else if (isImportRefusal(err) && err.report.length > 0) {
        this.report = err.report;
        this.reportFile = fileName;
      } else {
        this.error = err;
      }
    } finally {
      this.phase = "idle";
    }
  }

  private async importClasses() {
    if (this.phase !== "idle" || !this.pending) return;
    const chosen = [...this.querySelectorAll<HTMLInputElement>('#siecle-classes input[type="checkbox"]:checked')].map((c) => c.value);
    if (chosen.length === 0) {
      this.classesError = t("console.siecle.chooseOne");
      this.querySelector<HTMLInputElement>('#siecle-classes input[type="checkbox"]')?.focus();
      return;
    }
    const { fileName, base64 } = this.pending;
    this.classes = null;
    this.classesError = "";
    this.pending = null;
    await this.send(fileName, base64, chosen);
  }

  private renderClasses(classes: string[]) {
    const described = this.classesError ? "siecle-classes-error" : "siecle-classes-hint";
    return html`<fieldset id="siecle-classes" aria-describedby=${described}>
        <legend id="siecle-classes-legend" tabindex="-1">${t("console.siecle.legend")}</legend>
        <p class="hint" id="siecle-classes-hint">${t("console.siecle.hint")}</p>
        ${classes.map(
          (c, i) => html`<label class="check"><input type="checkbox" id=${`siecle-class-${i}`} name="siecle-class" value=${c} /> ${c}</label>`,
        )}
        ${this.classesError ? html`<p class="error" role="alert" id="siecle-classes-error">${this.classesError}</p>` : null}
      </fieldset>
      <p class="row"><button type="button" id="siecle-import" @click=${this.importClasses}>${t("console.siecle.import")}</button></p>`;
  }

  private renderProgress() {
    if (this.phase === "idle") return null;
    const reading = this.phase === "reading";
    return html`<div class="progress">
      <p id="import-phase">${reading ? t("console.importReading") : t("console.importSending")}</p>
      <progress id="import-progress" aria-labelledby="import-phase" max=${reading ? this.total : nothing} value=${reading ? this.loaded : nothing}></progress>
    </div>`;
  }

  render() {
    const busy = this.phase !== "idle";
    return html`<section class="card" aria-labelledby="import-title" aria-busy=${busy ? "true" : "false"}>
      <h3 id="import-title">${t("console.importTitle")}</h3>
      <p class="hint" id="import-hint">${t("console.importHint")}</p>
      <label for="import-file">${t("console.importFile")}</label>
      <input id="import-file" type="file" accept=${IMPORT_ACCEPT} aria-describedby="import-hint" ?disabled=${busy} />
      <p class="row"><button type="button" id="import-button" aria-disabled=${busy ? "true" : "false"} @click=${this.runImport}>${t("console.importButton")}</button></p>
      ${this.classes && !busy ? this.renderClasses(this.classes) : null}
      ${this.renderProgress()}
      <p role="status" aria-live="polite" class="ok" id="import-result">${this.result}</p>
      ${this.error ? html`<p class="error" role="alert" id="import-error">${errorText(this.error, lang())}</p>` : null}
      ${this.report
        ? html`<console-import-report
            .report=${this.report}
            .summary=${t("console.importRefused", { count: this.report.length })}
            .source=${this.reportFile}
            .downloadName=${t("console.report.fileName", { number: this.number })}
            .prefix=${"import"}
          ></console-import-report>`
        : null}
    </section>`;
  }
}
customElements.define("console-import", ImportPanel);
