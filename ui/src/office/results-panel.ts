import { html, nothing } from "lit";
import { bytesToBase64Async, readFileBytes } from "../console/files";
import { errorText, officeBackend, type ImportSummary, type Printed, type PrintProgress, type Roster, type RosterRow } from "../shared/backend";
import { LANG_NAMES, LANGS, lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import { settled } from "../kiosk/flow";
import "./certificate-preview";
import { groupRows, refOf, rowKey, selectedRefs, toggleGroup, type Group, type Grouping } from "./roster";
import { SETTINGS_SAVED } from "./settings-form";

/** The published results: fetched from the service or imported from a file, listed by session
 * or by class, previewed, and printed one, a selection, or a whole group at a time. */
export class OfficeResults extends LocalizedElement {
  static properties = {
    roster: { state: true },
    grouping: { state: true },
    selected: { state: true },
    previewKey: { state: true },
    certLang: { state: true },
    busy: { state: true },
    progress: { state: true },
    status: { state: true },
    error: { state: true },
    afterPrint: { state: true },
    printed: { state: true },
  };
  roster: Roster | null = null;
  grouping: Grouping = "session";
  selected = new Set<string>();
  previewKey: string | null = null;
  certLang: "fr" | "en" = "fr";
  busy = false;
  progress: PrintProgress | null = null;
  status = "";
  error = "";
  /** What became of the printed PDF: saved where, or sent to which print job. */
  afterPrint = "";
  printed: Printed | null = null;

  async connectedCallback() {
    super.connectedCallback();
    this.certLang = lang() === "en" ? "en" : "fr";
    window.addEventListener(SETTINGS_SAVED, this.onSettings);
    await this.load();
  }

  disconnectedCallback() {
    window.removeEventListener(SETTINGS_SAVED, this.onSettings);
    super.disconnectedCallback();
  }

  private readonly onSettings = () => void this.load();

  private async load() {
    try {
      this.roster = await officeBackend.roster();
      this.error = "";
    } catch (e) {
      this.roster = null;
      this.error = errorText(e, lang());
    }
  }

  private summaryText(s: ImportSummary) {
    return t("office.imported", { sessions: s.sessions, candidates: s.candidates, certificates: s.certificates });
  }

  private async run(work: () => Promise<string>) {
    if (this.busy) return;
    this.busy = true;
    this.error = "";
    this.status = "";
    try {
      this.status = await work();
    } catch (e) {
      this.error = errorText(e, lang());
    } finally {
      this.busy = false;
    }
  }

  private fetchResults = () =>
    this.run(async () => {
      const r = await officeBackend.fetch();
      if (r.key_taken_from_service) window.dispatchEvent(new CustomEvent(SETTINGS_SAVED));
      await this.load();
      const key = r.key_taken_from_service ? ` ${t("office.keyTaken", { key: r.key_taken_from_service })}` : "";
      return this.summaryText(r.summary) + key;
    });

  private importFile = () =>
    this.run(async () => {
      const file = this.querySelector<HTMLInputElement>("#results-file")?.files?.[0];
      if (!file) throw new Error(t("office.chooseFile"));
      const bytes = await readFileBytes(file);
      const summary = await officeBackend.importFile(await bytesToBase64Async(bytes));
      await this.load();
      return this.summaryText(summary);
    });

  private async print(rows: RosterRow[], label: string) {
    const selection = rows.filter((r) => r.printable).map(refOf);
    await this.printRefs(selection, label);
  }

  private async printRefs(selection: ReturnType<typeof refOf>[], label: string) {
    if (selection.length === 0) {
      this.error = t("office.nothingToPrint");
      return;
    }
    this.printed = null;
    this.afterPrint = "";
    this.progress = { done: 0, total: selection.length };
    const stop = await officeBackend.onProgress((p) => (this.progress = p));
    await this.run(async () => {
      const r = await officeBackend.print(selection, this.certLang, label);
      this.printed = r;
      return t("office.printed", { count: r.count });
    });
    stop();
    this.progress = null;
    await settled(this);
    this.querySelector<HTMLElement>(this.printed ? "#print-result" : "[role=alert]")?.focus();
  }

  /** Does something with the printed PDF and says what came of it (nothing when cancelled). */
  private async withPrinted(act: (path: string) => Promise<string | null>) {
    if (!this.printed) return;
    this.error = "";
    this.afterPrint = "";
    try {
      this.afterPrint = (await act(this.printed.path)) ?? "";
    } catch (e) {
      this.error = errorText(e, lang());
    }
  }

  /** A copy where the secretary chooses, with the desktop's own dialog. */
  private saveAs = () =>
    this.withPrinted(async (path) => {
      const saved = await officeBackend.saveAs(path);
      return saved && t("office.saved", { path: saved });
    });

  /** The PDF to this PC's default printer. */
  private printPaper = () => this.withPrinted(async (path) => t("office.sentToPrinter", { job: await officeBackend.printPaper(path) }));

  private openPdf = async () => {
    if (!this.printed) return;
    try {
      await officeBackend.open(this.printed.path);
    } catch (e) {
      this.error = errorText(e, lang());
    }
  };

  private groupLabel(g: Group) {
    if (g.kind === "session") {
      const first = g.rows[0];
      return t("office.sessionGroup", { number: g.value, date: first?.session_date ?? "" });
    }
    return g.value ? t("office.classGroup", { name: g.value }) : t("office.noClass");
  }

  private async preview(row: RosterRow) {
    this.previewKey = rowKey(row);
    await settled(this);
    this.querySelector<HTMLElement>("#preview-title")?.focus();
  }

  /** Back to the button that opened the preview, so keyboard users keep their place. */
  private async closePreview() {
    const key = this.previewKey;
    this.previewKey = null;
    await settled(this);
    const row = [...this.querySelectorAll<HTMLElement>("tr[data-key]")].find((tr) => tr.dataset.key === key);
    row?.querySelector<HTMLElement>(".preview-button")?.focus();
  }

  private renderRow(r: RosterRow, g: Group) {
    const key = rowKey(r);
    const name = `${r.first_name} ${r.birth_name.toUpperCase()}`;
    const c = r.certificate;
    const problem = r.missing_glyphs.length
      ? t("office.missingGlyphs", { chars: r.missing_glyphs.join(" ") })
      : !c
        ? t(`office.status.${r.status}`, { defaultValue: r.status })
        : r.no_qr
          ? t("office.noQr")
          : "";
    return html`<tr data-key=${key}>
      <td><input type="checkbox" id=${`select-${key}`} aria-label=${t("office.selectOne", { name })} ?disabled=${!r.printable}
        .checked=${this.selected.has(key)} @change=${() => this.toggle(key)} /></td>
      <th scope="row">${r.birth_name.toUpperCase()}${problem
        ? html`<br /><span class=${r.missing_glyphs.length ? "error remark" : "hint remark"}>${problem}</span>`
        : nothing}</th>
      <td>${r.first_name}</td>
      <td>${g.kind === "session" ? r.class : r.session_number}</td>
      <td>${r.birthdate}</td>
      <td>${c ? html`${c.pix} / ${c.pix_max}` : nothing}</td>
      <td>${c ? c.global_level : nothing}</td>
      <td class="mono">${c?.verification_code ?? nothing}</td>
      <td class="actions">
        <button type="button" class="secondary preview-button" ?disabled=${!c} @click=${() => this.preview(r)} aria-label=${t("office.previewOne", { name })}>${t("office.previewButton")}</button>
        <button type="button" ?disabled=${!r.printable || this.busy} @click=${() => this.printRefs([refOf(r)], `${r.birth_name}-${r.first_name}`)}
          aria-label=${t("office.printOne", { name })}>${t("office.print")}</button>
      </td>
    </tr>`;
  }

  private toggle(key: string) {
    const next = new Set(this.selected);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    this.selected = next;
  }

  private renderGroup(g: Group, i: number) {
    const label = this.groupLabel(g);
    const printableCount = g.rows.filter((r) => r.printable).length;
    const headingId = `group-${i}`;
    return html`<section class="card" aria-labelledby=${headingId} data-group=${g.key}>
      <h3 id=${headingId}>${label}</h3>
      <p class="row">
        <button type="button" class="secondary" id=${`select-group-${i}`} ?disabled=${printableCount === 0}
          @click=${() => (this.selected = toggleGroup(this.selected, g))}>${t("office.selectGroup", { label })}</button>
        <button type="button" id=${`print-group-${i}`} ?disabled=${printableCount === 0 || this.busy}
          @click=${() => this.print(g.rows, `${g.kind}-${g.value}`)}>${t("office.printGroup", { label, count: printableCount })}</button>
      </p>
      <div class="table-scroll"><table class="roster">
        <caption class="visually-hidden">${label}</caption>
        <thead><tr>
          <th scope="col"><span class="visually-hidden">${t("office.col.select")}</span></th>
          <th scope="col">${t("office.col.lastName")}</th><th scope="col">${t("office.col.firstName")}</th>
          <th scope="col">${g.kind === "session" ? t("office.col.class") : t("office.col.session")}</th>
          <th scope="col">${t("office.col.birthdate")}</th><th scope="col">${t("office.col.score")}</th>
          <th scope="col">${t("office.col.level")}</th><th scope="col">${t("office.col.code")}</th>
<th scope="col"><span class="visually-hidden">${t("office.col.actions")}</span></th>
        </tr></thead>
        <tbody>${g.rows.map((r) => this.renderRow(r, g))}</tbody>
      </table></div>
    </section>`;
  }

  private renderList(roster: Roster) {
    if (roster.rows.length === 0) return html`<p>${t("office.noResults")}</p>`;
    const groups = groupRows(roster.rows, this.grouping);
    const chosen = selectedRefs(roster.rows, this.selected);
    const previewRow = roster.rows.find((r) => rowKey(r) === this.previewKey);
    return html`
      <div class="row controls">
        <fieldset class="inline">
          <legend>${t("office.groupBy")}</legend>
          ${(["session", "class"] as const).map(
            (g) => html`<label><input type="radio" name="grouping" id=${`group-by-${g}`} .checked=${this.grouping === g}
              @change=${() => (this.grouping = g)} /> ${t(`office.by.${g}`)}</label>`,
          )}
        </fieldset>
        <label for="certificate-lang">${t("office.certLang")}</label>
        <select id="certificate-lang" @change=${(e: Event) => (this.certLang = (e.target as HTMLSelectElement).value === "en" ? "en" : "fr")}>
          ${LANGS.map((l) => html`<option value=${l} ?selected=${this.certLang === l}>${LANG_NAMES[l]}</option>`)}
        </select>
        <button type="button" id="print-selection" ?disabled=${chosen.length === 0 || this.busy}
          @click=${() => this.printRefs(chosen, "selection")}>${t("office.printSelection", { count: chosen.length })}</button>
      </div>
      ${previewRow
        ? html`<certificate-preview .row=${previewRow} .competences=${roster.competences} .lang=${this.certLang}
            .centre=${`${roster.centre_name} (${roster.uai})`} @close=${() => this.closePreview()}></certificate-preview>`
        : nothing}
      ${groups.map((g, i) => this.renderGroup(g, i))}`;
  }

  render() {
    const r = this.roster;
    return html`<section class="card" aria-labelledby="results-title">
        <h2 id="results-title">${t("office.results")}</h2>
        <p class="row">
          <button type="button" id="fetch" ?disabled=${this.busy} @click=${this.fetchResults}>${t("office.fetch")}</button>
        </p>
        <p class="row">
          <label for="results-file">${t("office.importLabel")}</label>
          <input type="file" id="results-file" accept=".signed,text/plain" />
          <button type="button" class="secondary" id="import-button" ?disabled=${this.busy} @click=${this.importFile}>${t("office.import")}</button>
        </p>
        ${r ? html`<p id="results-generated" class="hint">${t("office.generatedAt", { when: r.generated_at })}</p>` : nothing}
        <p role="status" id="results-status">${this.status}</p>
        ${this.error ? html`<p class="error" role="alert" id="results-error" tabindex="-1">${this.error}</p>` : nothing}
        ${this.progress
          ? html`<p><label for="print-progress">${t("office.printing")}</label>
              <progress id="print-progress" max=${this.progress.total} .value=${this.progress.done}
                aria-valuetext=${t("office.progress", this.progress)}></progress>
              <span aria-live="polite">${this.progress.done < this.progress.total ? t("office.progress", this.progress) : t("office.finishing")}</span></p>`
          : nothing}
        ${this.printed
          ? html`<p id="print-result" tabindex="-1">${t("office.printedAt")} <code id="print-path">${this.printed.path}</code>
              ${t("office.printedSize", { count: this.printed.count, kb: Math.max(1, Math.round(this.printed.bytes / 1024)) })}
              <span class="row">
                <button type="button" id="save-as" @click=${this.saveAs}>${t("office.saveAs")}</button>
                <button type="button" id="print-paper" @click=${this.printPaper}>${t("office.printPaper")}</button>
                <button type="button" class="secondary" id="open-pdf" @click=${this.openPdf}>${t("office.openPdf")}</button>
              </span></p>
            ${this.afterPrint ? html`<p id="after-print" role="status">${this.afterPrint}</p>` : nothing}`
          : nothing}
      </section>
      ${r ? this.renderList(r) : html`<p id="no-results">${t("office.noResults")}</p>`}`;
  }
}
customElements.define("office-results", OfficeResults);
