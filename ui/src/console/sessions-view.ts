import { html, nothing } from "lit";
import { consoleBackend, errorText, type SessionDraft, type SessionView } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import "./confirm-dialog";
import { OPEN_SESSION, type OpenSession } from "./navigation";
import "./lab-panel";
import "./sessions-file";
import { SESSIONS_IMPORTED } from "./sessions-file";
import { RecordList, recordTable } from "./record-list";

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
  };
  sessions: SessionView[] | null = null;
  loadError: unknown = null;
  private readonly list = new RecordList<SessionView, SessionDraft>(this, {
    prefix: "session",
    title: "sessions-title",
    load: () => this.load(),
    reloadOn: SESSIONS_IMPORTED,
    key: (s) => s.number,
    draft: draftFromForm,
    save: (draft, editing) => (editing ? consoleBackend.sessionUpdate(editing.number, draft) : consoleBackend.sessionCreate(draft)),
    saved: (s, updated) => t(updated ? "console.sessionUpdated" : "console.sessionCreated", { number: s.number }),
    fill: (form, s) => {
      const set = (id: string, v: string) => {
        const el = form.querySelector<HTMLInputElement | HTMLTextAreaElement>(`#${id}`);
        if (el) el.value = v;
      };
      set("session-site", s.site);
      set("session-room", s.room);
      set("session-date", s.date);
      set("session-time", s.start_time);
      set("session-invigilators", s.invigilators.join("\n"));
      set("session-observations", s.observations);
    },
    editButton: (s) => `edit-${s.number}`,
  });

  async load() {
    try {
      this.sessions = await consoleBackend.sessionList();
      this.loadError = null;
    } catch (err) {
      this.loadError = err;
    }
  }

  private open(s: SessionView) {
    this.dispatchEvent(new CustomEvent<OpenSession>(OPEN_SESSION, { detail: { number: s.number }, bubbles: true }));
  }

  private askDelete(s: SessionView, opener: HTMLElement) {
    this.list.remove(s, opener, {
      title: t("console.deleteTitle", { number: s.number }),
      body: t("console.deleteBody", { count: s.candidates }),
      confirmLabel: t("console.deleteConfirm"),
      remove: () => consoleBackend.sessionDelete(s.number),
      removed: t("console.sessionDeleted", { number: s.number }),
    });
  }

  private renderTable() {
    if (this.loadError) return html`<p class="error" role="alert" id="sessions-error">${errorText(this.loadError, lang())}</p>`;
    if (!this.sessions) return html`<p>${t("app.loading")}</p>`;
    return recordTable({
      id: "sessions-table",
      caption: t("console.sessionsCaption", { count: this.sessions.length }),
      records: this.sessions,
      data: "session",
      key: (s) => s.number,
      columns: [
        { label: t("console.number"), cell: (s) => s.number },
        { label: t("console.date"), cell: (s) => s.date },
        { label: t("console.startTime"), cell: (s) => s.start_time },
        { label: t("console.site"), cell: (s) => s.site },
        { label: t("console.roomName"), cell: (s) => s.room },
        { label: t("console.invigilators"), cell: (s) => s.invigilators.join(", ") },
        { label: t("console.candidateCount"), cell: (s) => s.candidates, num: true },
        { label: t("console.status"), cell: (s) => t(`console.stage.${s.stage}`) },
      ],
      actions: (s) => html`<button type="button" id=${`open-${s.number}`} aria-label=${t("console.openLabel", { number: s.number })} @click=${() => this.open(s)}>${t("console.open")}</button>
        <button type="button" class="secondary" id=${`edit-${s.number}`} aria-label=${t("console.editLabel", { number: s.number })} @click=${() => this.list.edit(s)}>${t("console.edit")}</button>
        <button type="button" class="secondary danger" id=${`delete-${s.number}`} aria-label=${t("console.deleteLabel", { number: s.number })} @click=${(e: Event) => this.askDelete(s, e.currentTarget as HTMLElement)}>${t("console.delete")}</button>`,
      empty: html`<p>${t("console.noSessions")}</p>`,
    });
  }

  private renderForm() {
    const e = this.list.editing;
    const err = this.list.error;
    const code = err && typeof err === "object" && "code" in err ? String((err as { code: unknown }).code) : "";
    const described = this.list.describedBy;
    const field = (id: string, key: string, opts: { hint?: string; required?: boolean; invalid?: boolean; mode?: string } = {}) =>
      html`<label for=${id}>${t(key)}${opts.required ? html` <span aria-hidden="true">*</span>` : null}</label>
        <input id=${id} name=${id} type="text" autocomplete="off" inputmode=${opts.mode ?? "text"} placeholder=${opts.hint ?? nothing}
          aria-required=${opts.required ? "true" : "false"} aria-invalid=${opts.invalid ? "true" : "false"} aria-describedby=${described} />`;
    return html`<form id="session-form" class="card" novalidate aria-labelledby="session-form-title" @submit=${(ev: Event) => this.list.submit(ev)}>
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
      ${this.list.formEnd(e ? t("console.saveSession") : t("console.createSession"))}
    </form>`;
  }

  render() {
    return html`<section aria-labelledby="sessions-title">
      <h2 id="sessions-title" tabindex="-1" data-screen-heading>${t("console.dashboard")}</h2>
      <p role="status" aria-live="polite" class="ok" id="sessions-status">${this.list.status}</p>
      ${this.renderTable()} ${this.renderForm()}
      <console-sessions-file></console-sessions-file>
      <console-lab></console-lab>
      <console-confirm></console-confirm>
    </section>`;
  }
}
customElements.define("console-sessions", SessionsView);
