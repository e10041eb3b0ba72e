import { html, type PropertyValues } from "lit";
import { unsafeHTML } from "lit/directives/unsafe-html.js";
import { backend, errorText } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import "./alert-panel";
import { renderAnswer, type AnswerHandlers } from "./answer-controls";
import type { KioskAttachmentViewer } from "./attachment-viewer";
import "./attachment-viewer";
import { TIME_UP_EVENT } from "./clock";
import { emitScreen, type QuestionScreen } from "./flow";
import { buildResponse, emptyDraft, isAnswered, SKIP, withChoice, withField, withToggled, type Draft } from "./response";
import type { AttachmentRef, Response } from "./screen";
import { clock } from "./timer";

/** One question of the test, exactly as Rust sent it. The view keeps only the candidate's draft;
 * validating, skipping or reporting a problem sends it to Rust and hands the next screen on. */
export class KioskQuestion extends LocalizedElement {
  static properties = {
    screen: { attribute: false },
    room: { attribute: false },
    draft: { state: true },
    busy: { state: true },
    error: { state: true },
  };
  screen!: QuestionScreen;
  /** In a live room the invigilator handles an alert from the console. */
  room = false;
  draft: Draft = { choice: null, choices: [], fields: {} };
  busy = false;
  error = "";
  private itemId = "";
  private shownAt = 0;

  willUpdate(changed: PropertyValues<this>) {
    // Same item again (alert opened or rejected): keep what the candidate entered. A new item: start afresh.
    if (changed.has("screen") && this.screen.question.item_id !== this.itemId) {
      this.itemId = this.screen.question.item_id;
      this.draft = emptyDraft(this.screen.question);
      this.shownAt = clock.now();
      this.error = "";
    }
  }

  connectedCallback() {
    super.connectedCallback();
    this.addEventListener(TIME_UP_EVENT, this.onTimeUp);
  }

  disconnectedCallback() {
    this.removeEventListener(TIME_UP_EVENT, this.onTimeUp);
    super.disconnectedCallback();
  }

  /** The test's time ran out on screen: ask Rust for the screen now (normally `ended`, time_up)
   * rather than leave the candidate answering into the void until the next click. */
  private readonly onTimeUp = async () => {
    try {
      emitScreen(this, await backend.kioskScreen(lang()));
    } catch {
      // Nothing to show: the next answer will get Rust's verdict anyway.
    }
  };

  private readonly handlers: AnswerHandlers = {
    choose: (c) => (this.draft = withChoice(this.draft, c)),
    toggle: (c, checked) => (this.draft = withToggled(this.draft, c, checked)),
    field: (key, value) => (this.draft = withField(this.draft, key, value)),
  };

  private get locked() {
    return this.screen.alert_open || this.busy;
  }

  private async send(response: Response) {
    if (this.locked) return;
    this.busy = true;
    try {
      const spent = Math.max(0, Math.round(clock.now() - this.shownAt));
      const ack = await backend.kioskAnswer(this.itemId, response, spent, lang());
      this.error = "";
      emitScreen(this, ack.next, ack.saved);
    } catch (err) {
      this.error = errorText(err, lang());
    } finally {
      this.busy = false;
    }
  }

  private submit(e: Event) {
    e.preventDefault();
    // Enter in a field submits the form: only a complete answer goes out.
    const response = buildResponse(this.screen.question, this.draft);
    if (response) void this.send(response);
  }

  private skipDialog() {
    return this.querySelector<HTMLDialogElement>("#skip-dialog");
  }

  private openSkip() {
    const dialog = this.skipDialog();
    if (!dialog || dialog.open) return;
    dialog.showModal();
    // The harmless choice has focus: an accidental Enter does not skip.
    this.querySelector<HTMLElement>("#skip-cancel")?.focus();
  }

  private closeSkip(confirmed: boolean) {
    this.skipDialog()?.close();
    if (confirmed) void this.send(SKIP);
  }

  private onSkipKeydown(e: KeyboardEvent) {
    if (e.key !== "Escape") return;
    e.preventDefault();
    this.closeSkip(false);
  }

  private async report() {
    if (this.locked) return;
    this.busy = true;
    try {
      emitScreen(this, await backend.kioskReportProblem(this.itemId, lang()));
    } catch (err) {
      this.error = errorText(err, lang());
    } finally {
      this.busy = false;
    }
  }

  private async openAttachment(a: AttachmentRef, e: Event) {
    const opener = e.currentTarget as HTMLElement;
    try {
      const view = await backend.kioskAttachment(this.itemId, a.id, lang());
      this.error = "";
      await this.querySelector<KioskAttachmentViewer>("kiosk-attachment-viewer")?.open(view, opener);
    } catch (err) {
      this.error = errorText(err, lang());
    }
  }

  render() {
    const { question: q, progress, time, alert_open: alertOpen } = this.screen;
    const answered = isAnswered(q, this.draft);
    return html`<section class="card question" aria-labelledby="question-title">
      <div class="question-head">
        <h2 id="question-title" tabindex="-1" ?data-screen-heading=${!alertOpen}>
          ${t("kiosk.question", { n: progress.index, total: progress.total })}
        </h2>
        <kiosk-clock .time=${time}></kiosk-clock>
      </div>
      <p class="progress-line">
        <span id="progress-text">${t("kiosk.progress", { answered: progress.answered, total: progress.total })}</span>
        <progress aria-labelledby="progress-text" max=${progress.total} .value=${progress.answered}></progress>
      </p>
      ${alertOpen ? html`<kiosk-alert-panel .room=${this.room}></kiosk-alert-panel>` : null}
      <div id="instruction" class="instruction">${unsafeHTML(q.instruction_html)}</div>
      ${q.illustration ? html`<figure class="illustration"><img src=${q.illustration.src} alt=${q.illustration.alt} /></figure>` : null}
      ${q.attachments.length
        ? html`<section class="attachments" aria-labelledby="attachments-title">
            <h3 id="attachments-title">${t("kiosk.attachmentsTitle")}</h3>
            <ul class="row">${q.attachments.map((a) => html`<li><button type="button" class="secondary"
              @click=${(e: Event) => this.openAttachment(a, e)}>${t("kiosk.openAttachment", { name: a.name })}</button></li>`)}</ul>
          </section>`
        : null}
      <form id="answer-form" @submit=${this.submit} novalidate>
        ${renderAnswer(q, this.draft, this.locked, this.handlers, "instruction")}
        ${this.error ? html`<p class="error" role="alert" id="answer-error">${this.error}</p>` : null}
        <p class="row">
          <button type="submit" id="validate" ?disabled=${!answered || this.locked}>${t("kiosk.validate")}</button>
          <button type="button" id="skip" class="secondary" ?disabled=${this.locked} @click=${this.openSkip}>${t("kiosk.skip")}</button>
          <button type="button" id="report" class="secondary" ?disabled=${this.locked} @click=${this.report}>${t("kiosk.reportProblem")}</button>
        </p>
      </form>
      <dialog id="skip-dialog" aria-labelledby="skip-title" aria-describedby="skip-body"
        @close=${() => this.querySelector<HTMLElement>("#skip")?.focus()} @keydown=${this.onSkipKeydown}>
        <h2 id="skip-title">${t("kiosk.skipTitle")}</h2>
        <p id="skip-body">${t("kiosk.skipBody")}</p>
        <p class="row">
          <button type="button" id="skip-confirm" @click=${() => this.closeSkip(true)}>${t("kiosk.skipConfirm")}</button>
          <button type="button" id="skip-cancel" class="secondary" @click=${() => this.closeSkip(false)}>${t("kiosk.skipCancel")}</button>
        </p>
      </dialog>
      <kiosk-attachment-viewer></kiosk-attachment-viewer>
    </section>`;
  }
}
customElements.define("kiosk-question", KioskQuestion);
