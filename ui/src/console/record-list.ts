import { html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from "lit";
import { repeat } from "lit/directives/repeat.js";
import { html as staticHtml, unsafeStatic } from "lit/static-html.js";
import { errorText } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import type { ConfirmDialog, ConfirmRequest } from "./confirm-dialog";

export interface RecordListSpec<R, D> {
  /** The form's ids: `${prefix}-form`, `-form-title`, `-form-error`, `-submit`, `-cancel`. */
  prefix: string;
  /** The id of the list's heading. */
  title: string;
  /** Reloads the list (and whatever the screen shows with it) from Rust. */
  load: () => Promise<void>;
  /** The event after which the list is stale (an import added records). */
  reloadOn: string;
  /** Identifies a record across reloads. */
  key: (record: R) => number;
  draft: (form: HTMLFormElement) => D;
  /** Adds the record, or updates `editing`; Rust validates. */
  save: (draft: D, editing: R | null) => Promise<R>;
  /** The status once saved; `updated`: an edit, not an addition. */
  saved: (record: R, updated: boolean) => string;
  /** Puts the record's values in the (just reset) form. */
  fill: (form: HTMLFormElement, record: R) => void;
  /** The id of the record's Edit button. */
  editButton: (record: R) => string;
  /** The field focused after an addition, for typing the next record in a row; without it focus
   * stays on the submit button. */
  nextField?: string;
}

/** The removal's confirmation: `remove` runs once confirmed, `removed` is the status after it. */
export type Removal = Pick<ConfirmRequest, "title" | "body" | "confirmLabel"> & { remove: () => Promise<unknown>; removed: string };

/** A list of records that Rust keeps, shown with a form that adds one or edits the chosen one, and
 * their removal after confirmation. Focus always lands somewhere that makes sense for a keyboard or
 * screen-reader user: the form's title when an edit starts, back to the row's Edit button when it
 * ends, the list's heading when the row that had focus is gone. */
export class RecordList<R, D> implements ReactiveController {
  /** The record whose values fill the form, or null: the form adds. */
  editing: R | null = null;
  /** Rust's refusal of the form; the typed values stay for the user to correct. */
  error: unknown = null;
  busy = false;
  /** The outcome of the last change, for the list's live region. */
  status = "";

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly spec: RecordListSpec<R, D>,
  ) {
    host.addController(this);
  }

  hostConnected() {
    this.host.addEventListener(this.spec.reloadOn, this.onStale);
    void this.spec.load();
  }

  hostDisconnected() {
    this.host.removeEventListener(this.spec.reloadOn, this.onStale);
  }

  private readonly onStale = () => void this.spec.load();

  private set(state: Partial<Pick<RecordList<R, D>, "editing" | "error" | "busy" | "status">>) {
    Object.assign(this, state);
    this.host.requestUpdate();
  }

  private form() {
    return this.host.querySelector<HTMLFormElement>(`#${this.spec.prefix}-form`);
  }

  private focus(id: string) {
    this.host.querySelector<HTMLElement>(`#${id}`)?.focus();
  }

  /** The id that the form's fields name in `aria-describedby` while Rust's refusal shows. */
  get describedBy() {
    return this.error ? `${this.spec.prefix}-form-error` : nothing;
  }

  async submit(e: Event) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    if (this.busy) return;
    const draft = this.spec.draft(form);
    const editing = this.editing;
    this.set({ busy: true, status: "" });
    try {
      const saved = await this.spec.save(draft, editing);
      this.set({ error: null, editing: null });
      form.reset();
      await this.spec.load();
      this.set({ status: this.spec.saved(saved, editing !== null) });
      const next = editing ? this.spec.editButton(saved) : this.spec.nextField;
      if (next) {
        await this.host.updateComplete;
        this.focus(next);
      }
    } catch (err) {
      this.set({ error: err });
    } finally {
      this.set({ busy: false });
    }
  }

  async edit(record: R) {
    this.set({ editing: record, error: null, status: "" });
    await this.host.updateComplete;
    const form = this.form();
    if (!form) return;
    form.reset();
    this.spec.fill(form, record);
    this.focus(`${this.spec.prefix}-form-title`);
  }

  async cancel() {
    const editing = this.editing;
    this.set({ editing: null, error: null });
    this.form()?.reset();
    await this.host.updateComplete;
    if (editing) this.focus(this.spec.editButton(editing));
  }

  remove(record: R, opener: HTMLElement, removal: Removal) {
    this.set({ status: "" });
    const { remove, removed, ...ask } = removal;
    void this.host.querySelector<ConfirmDialog>("console-confirm")?.ask({
      ...ask,
      opener,
      action: async () => {
        await remove();
        // The form must not go on editing a record that no longer exists.
        if (this.editing && this.spec.key(this.editing) === this.spec.key(record)) {
          this.set({ editing: null, error: null });
          this.form()?.reset();
        }
        await this.spec.load();
        this.set({ status: removed });
      },
      fallbackFocus: () => this.host.querySelector<HTMLElement>(`#${this.spec.title}`),
    });
  }

  /** The end of the form: Rust's refusal, the submit button, and Cancel while editing. */
  formEnd(submitLabel: string) {
    const p = this.spec.prefix;
    return html`${this.error ? html`<p class="error" role="alert" id=${`${p}-form-error`}>${errorText(this.error, lang())}</p>` : null}
      <p class="row">
        <button type="submit" id=${`${p}-submit`} aria-disabled=${this.busy ? "true" : "false"}>${submitLabel}</button>
        ${this.editing ? html`<button type="button" class="secondary" id=${`${p}-cancel`} @click=${() => this.cancel()}>${t("console.cancel")}</button>` : null}
      </p>`;
  }
}

export interface Column<R> {
  label: string;
  cell: (record: R) => unknown;
  /** A figure (aligned as such). */
  num?: boolean;
}

export interface RecordTable<R> {
  id: string;
  caption: string;
  /** The first column's cell heads its row: screen readers name the row with it. */
  columns: Column<R>[];
  records: R[];
  /** The rows' `data-` attribute, whose value is the record's key. */
  data: string;
  key: (record: R) => number;
  actions: (record: R) => TemplateResult;
  /** Shown instead of rows when there is none. */
  empty: TemplateResult;
}

/** A list's table: captioned, every column headed, each row's actions in its last cell. */
export function recordTable<R>(table: RecordTable<R>) {
  const [head, ...rest] = table.columns;
  // `data` names an attribute, which a binding cannot: a static part of the template can.
  const row = (r: R) => staticHtml`<tr data-${unsafeStatic(table.data)}=${table.key(r)}>
    <th scope="row">${head.cell(r)}</th>
    ${rest.map((c) => html`<td class=${c.num ? "num" : nothing}>${c.cell(r)}</td>`)}
    <td><div class="row actions">${table.actions(r)}</div></td>
  </tr>`;
  return html`<div class="table-wrap">
      <table id=${table.id} class="data">
        <caption>${table.caption}</caption>
        <thead>
          <tr>
            ${table.columns.map((c) => html`<th scope="col">${c.label}</th>`)}
            <th scope="col">${t("console.actions")}</th>
          </tr>
        </thead>
        <tbody>
          ${repeat(table.records, table.key, row)}
        </tbody>
      </table>
    </div>
    ${table.records.length === 0 ? table.empty : null}`;
}
