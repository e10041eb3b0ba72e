import { html, nothing } from "lit";
import { consoleBackend, errorText, type CandidateFields, type CandidateView, type ExportFormat, type SessionView } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import "./confirm-dialog";
import "./import-panel";
import { IMPORTED } from "./import-panel";
import { BACK_TO_SESSIONS } from "./navigation";
import { RecordList, recordTable } from "./record-list";
import "./room-panel";
// Its UPLOAD_CHANGED event ("upload-changed") reloads the session's stage.
import "./upload-panel";

/** The add-candidate form's content as Rust's candidate draft: strings as typed (trimmed), "" = absent. */
export function candidateFromForm(form: HTMLFormElement): CandidateFields {
  const get = (id: string) => (form.querySelector<HTMLInputElement>(`#${id}`)?.value ?? "").trim();
  const sex = form.querySelector<HTMLInputElement>('input[name="cand-sex"]:checked')?.value ?? "";
  return {
    birth_name: get("cand-birth-name"),
    first_name: get("cand-first-name"),
    sex,
    birthdate: get("cand-birthdate"),
    insee: get("cand-insee"),
    postal_code: get("cand-postal-code"),
    town: get("cand-town"),
    country: get("cand-country"),
    local_id: get("cand-local-id"),
    extra_time: get("cand-extra-time"),
    adjusted_questions: form.querySelector<HTMLInputElement>("#cand-adjusted")?.checked ?? false,
    convocation_email: get("cand-convocation-email"),
    results_email: get("cand-results-email"),
  };
}

/** Fills the (reset) form with the candidate's values. The birthplace is known only as display
 * text, so its fields stay empty and must be typed again (Rust validates the whole candidate). */
function fillCandidateForm(form: HTMLFormElement, c: CandidateView) {
  const set = (id: string, v: string) => {
    const el = form.querySelector<HTMLInputElement>(`#${id}`);
    if (el) el.value = v;
  };
  set("cand-birth-name", c.birth_name);
  set("cand-first-name", c.first_name);
  const sex = form.querySelector<HTMLInputElement>(`#cand-sex-${c.sex.toLowerCase()}`);
  if (sex) sex.checked = true;
  set("cand-birthdate", c.birthdate);
  set("cand-local-id", c.local_id ?? "");
  set("cand-extra-time", c.extra_time_percent == null ? "" : String(c.extra_time_percent));
  const adjusted = form.querySelector<HTMLInputElement>("#cand-adjusted");
  if (adjusted) adjusted.checked = c.adjusted_questions;
  set("cand-convocation-email", c.convocation_email ?? "");
  set("cand-results-email", c.results_email ?? "");
}

/** One session: its details and the day's two secrets, the live room on exam day, its candidates
 * (imported or typed), and the exports. */
export class SessionDetail extends LocalizedElement {
  static properties = {
    number: { type: Number },
    session: { state: true },
    candidates: { state: true },
    loadError: { state: true },
    exporting: { state: true },
    exportPath: { state: true },
    exportError: { state: true },
  };
  number = 0;
  session: SessionView | null = null;
  candidates: CandidateView[] | null = null;
  loadError: unknown = null;
  exporting = false;
  exportPath = "";
  exportError: unknown = null;
  private readonly list = new RecordList<CandidateView, CandidateFields>(this, {
    prefix: "candidate",
    title: "candidates-title",
    load: () => this.load(),
    reloadOn: IMPORTED,
    key: (c) => c.id,
    draft: candidateFromForm,
    save: (draft, editing) => (editing ? consoleBackend.candidateUpdate(this.number, editing.id, draft) : consoleBackend.candidateAdd(this.number, draft)),
    saved: (c, updated) => t(updated ? "console.candidateUpdated" : "console.candidateAdded", { name: `${c.first_name} ${c.birth_name}` }),
    fill: fillCandidateForm,
    editButton: (c) => `edit-candidate-${c.id}`,
    nextField: "cand-birth-name",
  });

  /** Session and candidates always come fresh from Rust (there is no per-session command). */
  async load() {
    try {
      const [sessions, candidates] = await Promise.all([consoleBackend.sessionList(), consoleBackend.sessionCandidates(this.number)]);
      const session = sessions.find((s) => s.number === this.number) ?? null;
      if (!session) throw t("console.sessionMissing", { number: this.number });
      this.session = session;
      this.candidates = candidates;
      this.loadError = null;
    } catch (err) {
      this.loadError = err;
    }
  }

  private back() {
    this.dispatchEvent(new CustomEvent(BACK_TO_SESSIONS, { detail: { number: this.number }, bubbles: true }));
  }

  private removeCandidate(c: CandidateView, opener: HTMLElement) {
    const name = `${c.first_name} ${c.birth_name}`;
    this.list.remove(c, opener, {
      title: t("console.removeTitle", { name }),
      body: t("console.removeBody", { number: this.number }),
      confirmLabel: t("console.removeConfirm"),
      remove: () => consoleBackend.candidateRemove(this.number, c.id),
      removed: t("console.candidateRemoved", { name }),
    });
  }

  private async runExport(kind: ExportFormat | "attendance") {
    if (this.exporting) return;
    this.exporting = true;
    this.exportPath = "";
    this.exportError = null;
    try {
      const { path } = kind === "attendance" ? await consoleBackend.sessionAttendance(this.number) : await consoleBackend.sessionExport(this.number, kind);
      this.exportPath = path;
    } catch (err) {
      this.exportError = err;
    } finally {
      this.exporting = false;
    }
  }

  private renderHeader(s: SessionView) {
    const none = t("console.report.none");
    return html`<dl class="details">
        <div><dt>${t("console.date")}</dt><dd>${s.date}</dd></div>
        <div><dt>${t("console.startTime")}</dt><dd>${s.start_time}</dd></div>
        <div><dt>${t("console.site")}</dt><dd>${s.site}</dd></div>
        <div><dt>${t("console.roomName")}</dt><dd>${s.room}</dd></div>
        <div><dt>${t("console.invigilators")}</dt><dd>${s.invigilators.join(", ") || none}</dd></div>
        <div><dt>${t("console.status")}</dt><dd id="session-stage">${t(`console.stage.${s.stage}`)}</dd></div>
        <div class="wide"><dt>${t("console.observations")}</dt><dd>${s.observations || none}</dd></div>
      </dl>
      <dl class="secrets">
        <div>
          <dt>${t("console.accessCode")}</dt>
          <dd id="access-code" class="secret">${s.access_code}</dd>
          <dd class="hint">${t("console.accessCodeHint")}</dd>
        </div>
        <div>
          <dt>${t("console.invigilatorPassword")}</dt>
          <dd id="invigilator-password" class="secret">${s.invigilator_password}</dd>
          <dd class="hint">${t("console.invigilatorPasswordHint")}</dd>
        </div>
      </dl>`;
  }

  private renderExports() {
    const busy = this.exporting ? "true" : "false";
    return html`<section class="card" aria-labelledby="exports-title" aria-busy=${busy}>
      <h3 id="exports-title">${t("console.exportsTitle")}</h3>
      <p class="row">
        <button type="button" class="secondary" id="export-csv" aria-disabled=${busy} @click=${() => this.runExport("csv")}>${t("console.exportCsv")}</button>
        <button type="button" class="secondary" id="export-xlsx" aria-disabled=${busy} @click=${() => this.runExport("xlsx")}>${t("console.exportXlsx")}</button>
        <button type="button" class="secondary" id="attendance-pdf" aria-disabled=${busy} @click=${() => this.runExport("attendance")}>${t("console.attendancePdf")}</button>
      </p>
      ${this.exporting ? html`<p><progress id="export-progress" aria-label=${t("console.exporting")}></progress> ${t("console.exporting")}</p>` : null}
      <p role="status" aria-live="polite" class="ok" id="export-status">
        ${this.exportPath ? html`${t("console.exportSaved")} <code id="export-path" class="path">${this.exportPath}</code>` : null}
      </p>
      ${this.exportError ? html`<p class="error" role="alert" id="export-error">${errorText(this.exportError, lang())}</p>` : null}
    </section>`;
  }

  private renderCandidates(list: CandidateView[]) {
    const none = t("console.report.none");
    return recordTable({
      id: "candidates-table",
      caption: t("console.candidatesCaption", { count: list.length, number: this.number }),
      records: list,
      data: "candidate",
      key: (c) => c.id,
      columns: [
        { label: t("console.cand.birthName"), cell: (c) => c.birth_name },
        { label: t("console.cand.firstName"), cell: (c) => c.first_name },
        { label: t("console.cand.sex"), cell: (c) => c.sex },
        { label: t("console.cand.birthdate"), cell: (c) => c.birthdate },
        { label: t("console.cand.birthplace"), cell: (c) => c.birthplace },
        { label: t("console.cand.localId"), cell: (c) => c.local_id ?? none },
        { label: t("console.cand.extraTime"), cell: (c) => (c.extra_time_percent == null ? none : t("console.percent", { value: c.extra_time_percent })), num: true },
        { label: t("console.cand.adjusted"), cell: (c) => (c.adjusted_questions ? t("console.yes") : t("console.no")) },
      ],
      actions: (c) => html`<button type="button" class="secondary" id=${`edit-candidate-${c.id}`} aria-label=${t("console.editCandidateLabel", { name: `${c.first_name} ${c.birth_name}` })}
          @click=${() => this.list.edit(c)}>${t("console.edit")}</button>
        <button type="button" class="secondary danger" id=${`remove-${c.id}`} aria-label=${t("console.removeLabel", { name: `${c.first_name} ${c.birth_name}` })}
          @click=${(e: Event) => this.removeCandidate(c, e.currentTarget as HTMLElement)}>${t("console.remove")}</button>`,
      empty: html`<p id="no-candidates">${t("console.noCandidates")}</p>`,
    });
  }

  private renderCandidateForm() {
    const editing = this.list.editing;
    const described = this.list.describedBy;
    const field = (id: string, key: string, opts: { required?: boolean; type?: string; mode?: string; hint?: string; auto?: string } = {}) =>
      html`<div>
        <label for=${id}>${t(key)}${opts.required ? html` <span aria-hidden="true">*</span>` : null}</label>
        <input id=${id} name=${id} type=${opts.type ?? "text"} autocomplete=${opts.auto ?? "off"} inputmode=${opts.mode ?? nothing}
          placeholder=${opts.hint ?? nothing} aria-required=${opts.required ? "true" : "false"} aria-describedby=${described} />
      </div>`;
    return html`<form id="candidate-form" class="card" novalidate aria-labelledby="candidate-form-title" @submit=${(e: Event) => this.list.submit(e)}>
      <h3 id="candidate-form-title" tabindex="-1">
        ${editing ? t("console.editCandidateTitle", { name: `${editing.first_name} ${editing.birth_name}` }) : t("console.addCandidate")}
      </h3>
      <p class="hint">${t("console.requiredHint")}</p>
      <div class="grid">
        ${field("cand-birth-name", "console.cand.birthName", { required: true })}
        ${field("cand-first-name", "console.cand.firstName", { required: true })}
      </div>
      <fieldset class="inline" aria-describedby=${described}>
        <legend>${t("console.cand.sex")} <span aria-hidden="true">*</span></legend>
        <label><input type="radio" name="cand-sex" id="cand-sex-m" value="M" /> ${t("console.cand.sexM")}</label>
        <label><input type="radio" name="cand-sex" id="cand-sex-f" value="F" /> ${t("console.cand.sexF")}</label>
      </fieldset>
      <div class="grid">${field("cand-birthdate", "console.cand.birthdateHint", { required: true, mode: "numeric", hint: t("console.datePlaceholder") })}</div>
      <fieldset aria-describedby=${editing ? "birthplace-hint birthplace-edit-hint" : "birthplace-hint"}>
        <legend>${t("console.cand.birthplace")}</legend>
        <p class="hint" id="birthplace-hint">${t("console.cand.birthplaceHint")}</p>
        ${editing ? html`<p class="hint" id="birthplace-edit-hint">${t("console.cand.birthplaceEditHint", { birthplace: editing.birthplace })}</p>` : null}
        <div class="grid">
          ${field("cand-insee", "console.cand.insee", { mode: "numeric" })} ${field("cand-postal-code", "console.cand.postalCode", { mode: "numeric" })}
          ${field("cand-town", "console.cand.town")} ${field("cand-country", "console.cand.country")}
        </div>
      </fieldset>
      <div class="grid">
        ${field("cand-local-id", "console.cand.localId")} ${field("cand-extra-time", "console.cand.extraTimeInput", { mode: "numeric" })}
      </div>
      <label class="check"><input type="checkbox" id="cand-adjusted" /> ${t("console.cand.adjustedInput")}</label>
      <div class="grid">
        ${field("cand-convocation-email", "console.cand.convocationEmail", { type: "email" })}
        ${field("cand-results-email", "console.cand.resultsEmail", { type: "email" })}
      </div>
      ${this.list.formEnd(editing ? t("console.save") : t("console.addCandidateButton"))}
    </form>`;
  }

  render() {
    const s = this.session;
    return html`<section id="session-detail" aria-labelledby="detail-title">
      <p><button type="button" class="secondary" id="back-to-sessions" @click=${this.back}>${t("console.backToSessions")}</button></p>
      <h2 id="detail-title" tabindex="-1" data-screen-heading>${t("console.sessionTitle", { number: this.number })}</h2>
      ${this.loadError ? html`<p class="error" role="alert" id="detail-error">${errorText(this.loadError, lang())}</p>` : null}
      ${s ? this.renderHeader(s) : this.loadError ? null : html`<p>${t("app.loading")}</p>`}
      ${s
        ? html`<console-room .number=${this.number}></console-room>
            <console-upload .number=${this.number} .stage=${s.stage} @upload-changed=${() => this.load()}></console-upload>
            ${this.renderExports()}
            <console-import .number=${this.number}></console-import>
            <section class="card" aria-labelledby="candidates-title">
              <h3 id="candidates-title" tabindex="-1">${t("console.candidatesTitle")}</h3>
              <p role="status" aria-live="polite" class="ok" id="candidates-status">${this.list.status}</p>
              ${this.candidates ? this.renderCandidates(this.candidates) : null}
            </section>
            ${this.renderCandidateForm()}`
        : null}
      <console-confirm></console-confirm>
    </section>`;
  }
}
customElements.define("console-session-detail", SessionDetail);
