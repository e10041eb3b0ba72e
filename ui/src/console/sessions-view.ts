import { html, nothing } from "lit";
import { repeat } from "lit/directives/repeat.js";
import { consoleBackend, errorText, type SessionDraft, type SessionDto } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import "./confirm-dialog";
import type { ConfirmDialog } from "./confirm-dialog";
import { OPEN_SESSION, type OpenSession } from "./navigation";
import "./sessions-file";
import { SESSIONS_IMPORTED } from "./sessions-file";

/** The invigilators textarea: one name a line, blank lines ignored. */
export function parseInvigilators(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** The form's content as Rust's `SessionDraft` (trimmed; Rust validates). */
export function draftFromForm(form: HTMLFormElement): SessionDraft {
  const get = (id: string) => (form.querySelector<HTMLInputElement | HTMLTextAreaElement>(`#${id}`)?.value ?? "");
  return {
    site: get("session-site").trim(),
    room: get("session-room").trim(),
    date: get("session-date").trim(),
    start_time: get("session-time").trim(),
    invigilators: parseInvigilators(get("session-invigilators")),
    observations: get("session-observations").trim(),
  };
}

/** The sessions screen: the table of sessions with their actions, and the form that creates a
 * session or edits the chosen one. */
export class SessionsView extends LocalizedElement {
  static properties = {
    sessions: { state: true },
    loadError: { state: true },
    formError: { state: true },
    editing: { state: true },
    saving: { state: true },
    status: { state: true },
  };
  sessions: SessionDto[] | null = null;
  loadError: unknown = null;
  formError: unknown = null;
  editing: SessionDto | null = null;
  saving = false;
  status = "";

  connectedCallback() {
    super.connectedCallback();
    this.addEventListener(SESSIONS_IMPORTED, this.onImported);
    void this.load();
  }

  disconnectedCallback() {
    this.removeEventListener(SESSIONS_IMPORTED, this.onImported);
    super.disconnectedCallback();
  }

  private readonly onImported = () => void this.load();

  async load() {
    try {
      this.sessions = await consoleBackend.sessionList();
      this.loadError = null;
    } catch (err) {
      this.loadError = err;
    }
  }

  private form() {
    return this.querySelector<HTMLFormElement>("#session-form");
  }

  private async submit(e: Event) {
    e.preventDefault();
    const form = this.form();
    if (!form || this.saving) return;
    const draft = draftFromForm(form);
    const editing = this.editing;
    this.saving = true;
    this.status = "";
    try {
      const saved = editing ? await consoleBackend.sessionUpdate(editing.number, draft) : await consoleBackend.sessionCreate(draft);
      this.formError = null;
      this.editing = null;
      form.reset();
      await this.load();
      this.status = t(editing ? "console.sessionUpdated" : "console.sessionCreated", { number: saved.number });
      if (editing) {
        await this.updateComplete;
        this.querySelector<HTMLElement>(`#edit-${saved.number}`)?.focus();
      }
    } catch (err) {
      // The typed values stay in the form: the référent corrects the field Rust named.
      this.formError = err;
    } finally {
      this.saving = false;
    }
  }

  private async edit(s: SessionDto) {
    this.editing = s;
    this.formError = null;
    this.status = "";
    await this.updateComplete;
    const set = (id: string, v: string) => {
      const el = this.querySelector<HTMLInputElement | HTMLTextAreaElement>(`#${id}`);
      if (el) el.value = v;
    };
    set("session-site", s.site);
    set("session-room", s.room);
    set("session-date", s.date);
    set("session-time", s.start_time);
    set("session-invigilators", s.invigilators.join("\n"));
    set("session-observations", s.observations);
    this.querySelector<HTMLElement>("#session-form-title")?.focus();
  }

  private async cancelEdit() {
    const number = this.editing?.number;
    this.editing = null;
    this.formError = null;
    this.form()?.reset();
    await this.updateComplete;
    this.querySelector<HTMLElement>(`#edit-${number}`)?.focus();
  }

  private open(s: SessionDto) {
    this.dispatchEvent(new CustomEvent<OpenSession>(OPEN_SESSION, { detail: { number: s.number }, bubbles: true }));
  }

  private askDelete(s: SessionDto, opener: HTMLElement) {
    this.status = "";
    void this.querySelector<ConfirmDialog>("console-confirm")?.ask({
      opener,
      title: t("console.deleteTitle", { number: s.number }),
      body: t("console.deleteBody", { count: s.candidates }),
      confirmLabel: t("console.deleteConfirm"),
      action: async () => {
        await consoleBackend.sessionDelete(s.number);
        if (this.editing?.number === s.number) {
          this.editing = null;
          this.form()?.reset();
        }
        await this.load();
        this.status = t("console.sessionDeleted", { number: s.number });
      },
      fallbackFocus: () => this.querySelector<HTMLElement>("#sessions-title"),
    });
  }

  private renderTable() {
    if (this.loadError) return html`<p class="error" role="alert" id="sessions-error">${errorText(this.loadError, lang())}</p>`;
    if (!this.sessions) return html`<p>${t("app.loading")}</p>`;
    const rows = this.sessions;
    return html`<div class="table-wrap">
        <table id="sessions-table" class="data">
          <caption>${t("console.sessionsCaption", { count: rows.length })}</caption>
          <thead>
            <tr>
              <th scope="col">${t("console.number")}</th>
              <th scope="col">${t("console.date")}</th>
              <th scope="col">${t("console.startTime")}</th>
              <th scope="col">${t("console.site")}</th>
              <th scope="col">${t("console.roomName")}</th>
              <th scope="col">${t("console.invigilators")}</th>
              <th scope="col">${t("console.candidateCount")}</th>
              <th scope="col">${t("console.status")}</th>
              <th scope="col">${t("console.actions")}</th>
            </tr>
          </thead>
          <tbody>
            ${repeat(
              rows,
              (s) => s.number,
              (s) => html`<tr data-session=${s.number}>
                <th scope="row">${s.number}</th>
                <td>${s.date}</td>
                <td>${s.start_time}</td>
                <td>${s.site}</td>
                <td>${s.room}</td>
                <td>${s.invigilators.join(", ")}</td>
                <td class="num">${s.candidates}</td>
                <td>${t(`console.statusValue.${s.status}`)}</td>
                <td>
                  <div class="row actions">
                    <button type="button" id=${`open-${s.number}`} aria-label=${t("console.openLabel", { number: s.number })} @click=${() => this.open(s)}>${t("console.open")}</button>
                    <button type="button" class="secondary" id=${`edit-${s.number}`} aria-label=${t("console.editLabel", { number: s.number })} @click=${() => this.edit(s)}>${t("console.edit")}</button>
                    <button type="button" class="secondary danger" id=${`delete-${s.number}`} aria-label=${t("console.deleteLabel", { number: s.number })} @click=${(e: Event) => this.askDelete(s, e.currentTarget as HTMLElement)}>${t("console.delete")}</button>
                  </div>
                </td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${rows.length === 0 ? html`<p>${t("console.noSessions")}</p>` : null}`;
  }

  private renderForm() {
    const e = this.editing;
    const err = this.formError;
    const code = err && typeof err === "object" && "code" in err ? String((err as { code: unknown }).code) : "";
    const described = err ? "session-form-error" : nothing;
    const field = (id: string, key: string, opts: { hint?: string; required?: boolean; invalid?: boolean; mode?: string } = {}) =>
      html`<label for=${id}>${t(key)}${opts.required ? html` <span aria-hidden="true">*</span>` : null}</label>
        <input id=${id} name=${id} type="text" autocomplete="off" inputmode=${opts.mode ?? "text"} placeholder=${opts.hint ?? nothing}
          aria-required=${opts.required ? "true" : "false"} aria-invalid=${opts.invalid ? "true" : "false"} aria-describedby=${described} />`;
    return html`<form id="session-form" class="card" novalidate aria-labelledby="session-form-title" @submit=${this.submit}>
      <h2 id="session-form-title" tabindex="-1">${e ? t("console.editTitle", { number: e.number }) : t("console.newSession")}</h2>
      <p class="hint">${t("console.requiredHint")}</p>
      <div class="grid">
        <div>${field("session-site", "console.site", { required: true })}</div>
        <div>${field("session-room", "console.roomName", { required: true })}</div>
        <div>${field("session-date", "console.dateHint", { hint: t("console.datePlaceholder"), required: true, invalid: code === "session.date", mode: "numeric" })}</div>
        <div>${field("session-time", "console.timeHint", { hint: t("console.timePlaceholder"), required: true, invalid: code === "session.time", mode: "numeric" })}</div>
      </div>
      <label for="session-invigilators">${t("console.invigilatorsHint")} <span aria-hidden="true">*</span></label>
      <textarea id="session-invigilators" name="session-invigilators" rows="3" aria-required="true" aria-describedby=${described}></textarea>
      <label for="session-observations">${t("console.observations")}</label>
      <textarea id="session-observations" name="session-observations" rows="3" aria-describedby=${described}></textarea>
      ${err ? html`<p class="error" role="alert" id="session-form-error">${errorText(err, lang())}</p>` : null}
      <p class="row">
        <button type="submit" id="session-submit" aria-disabled=${this.saving ? "true" : "false"}>${e ? t("console.saveSession") : t("console.createSession")}</button>
        ${e ? html`<button type="button" class="secondary" id="session-cancel" @click=${this.cancelEdit}>${t("console.cancel")}</button>` : null}
      </p>
    </form>`;
  }

  render() {
    return html`<section aria-labelledby="sessions-title">
      <h2 id="sessions-title" tabindex="-1" data-screen-heading>${t("console.dashboard")}</h2>
      <p role="status" aria-live="polite" class="ok" id="sessions-status">${this.status}</p>
      ${this.renderTable()} ${this.renderForm()}
      <console-sessions-file></console-sessions-file>
      <console-confirm></console-confirm>
    </section>`;
  }
}
customElements.define("console-sessions", SessionsView);
