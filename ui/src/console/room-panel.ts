import { html, nothing } from "lit";
import { repeat } from "lit/directives/repeat.js";
import { consoleBackend, errorText, type OutboxStatus, type StandbyStatus } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import { LocalizedElement } from "../shared/localized";
import { clock, Countdown, formatClock } from "../kiosk/timer";
import "./form-dialog";

/** How long "Open pairing" lets PCs ask: long enough to walk round a lab. */
const PAIRING_MINUTES = 15;
import { FieldError, type FormDialog, type FormRequest } from "./form-dialog";
import {
  ALERT_CODES,
  clockRunning,
  INCIDENT_CODES,
  isoDate,
  newlyNeedsAction,
  stationLabel,
  tileActions,
  withPairing,
  withTile,
  type AbortReason,
  type ConsoleCommand,
  type ConsoleEvent,
  type RoomInfo,
  type RoomView,
  type Tile,
} from "./room";

export const DEFAULT_BIND = "0.0.0.0:7443";

/** The result of the last action, shown in `#room-message`: a status, or an alert for a refusal. */
type Message = { ok: string; path?: string } | { error: unknown };

/** Whether PCs nobody paired may ask now. */
function pairingOpen(v: RoomView): boolean {
  return v.pairing_until !== null && new Date(v.pairing_until).getTime() > Date.now();
}

/** A chosen file's bytes (FileReader: older webviews lack `Blob.arrayBuffer`). */
function readBytes(file: Blob): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(file);
  });
}

const fullName = (tile: Tile) => `${tile.first_name} ${tile.birth_name}`;

/** The value of a dialog's field, trimmed. */
function field(form: HTMLFormElement, id: string): string {
  return (form.querySelector<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(`#${id}`)?.value ?? "").trim();
}

/** The session's live room, hosted by this console: opening it (the hub listens for the lab PCs),
 * pairing the PCs, then one tile per candidate pushed by the hub (`room://event`, never polled) with
 * the invigilator's actions, and the room's own: pause, end all, comment, finalize, report. */
export class RoomPanel extends LocalizedElement {
  static properties = {
    number: { type: Number },
    info: { state: true },
    loaded: { state: true },
    otherSession: { state: true },
    opening: { state: true },
    message: { state: true },
    announce: { state: true },
    now: { state: true },
    outbox: { state: true },
    sending: { state: true },
    setupChoice: { state: true },
    standby: { state: true },
  };
  /** The copy a spare PC would take the room over from; null: no medium chosen yet. */
  standby: StandbyStatus | null = null;
  /** Whether the invigilator unfolded (or folded) the room's set-up: address, pairing, bank, PCs.
   *  Until then it is unfolded only while it is needed, so the candidates get the screen. */
  setupChoice: boolean | null = null;
  outbox: OutboxStatus | null = null;
  sending = false;
  number = 0;
  info: RoomInfo | null = null;
  loaded = false;
  /** A room open in this console for another session. */
  otherSession: number | null = null;
  opening = false;
  message: Message | null = null;
  /** Polite announcement of a candidate who newly needs the invigilator. */
  announce = "";
  now = clock.now();
  /** Each tile counts down from the moment it arrived; a push starts afresh. */
  private countdowns = new WeakMap<Tile, Countdown>();
  private unlisten: Promise<() => void> | null = null;
  private ticker: number | undefined;

  connectedCallback() {
    super.connectedCallback();
    this.unlisten = consoleBackend.onRoomEvent((ev) => void this.onEvent(ev));
    let ticks = 0;
    this.ticker = window.setInterval(() => {
      if (!this.info) return;
      this.now = clock.now();
      // The copy is the console's own affair, not pushed by the hub: looked at every 5 s.
      if (++ticks % 5 === 0) void this.loadStandby();
    }, 1000);
    void this.load();
  }

  disconnectedCallback() {
    document.documentElement.classList.remove("room-live");
    window.clearInterval(this.ticker);
    void this.unlisten?.then((off) => off()).catch(() => {});
    this.unlisten = null;
    super.disconnectedCallback();
  }

  /** The room may already be open in this console (the page was left and came back to). */
  private async load() {
    try {
      const info = await consoleBackend.roomView();
      if (info && info.view.session === this.number) {
        this.setInfo(info);
      void this.loadStandby();
        void this.loadStandby();
        // The room is live: it is what the invigilator came for.
        await this.updateComplete;
        this.querySelector("#room-title")?.scrollIntoView?.({ block: "start" });
      }
      else this.otherSession = info ? info.view.session : null;
    } catch (err) {
      this.message = { error: err };
    } finally {
      this.loaded = true;
    }
  }

  private async loadStandby() {
    try {
      this.standby = await consoleBackend.standbyStatus();
    } catch {
      // Shown at the next look; the room itself does not depend on it.
    }
  }

  private async chooseStandby() {
    this.message = null;
    try {
      const status = await consoleBackend.standbyChoose();
      if (status) {
        this.standby = status;
        this.message = { ok: t("console.room.standby.started", { folder: status.folder }) };
      }
    } catch (err) {
      this.message = { error: err };
    }
  }

  /** The copy on a USB key or another PC's share: where it goes, the code to write down, when
   *  it last wrote. */
  private renderStandby() {
    const s = this.standby;
    const when = s?.last_copy_at ? new Date(s.last_copy_at).toLocaleTimeString(lang(), { hour: "2-digit", minute: "2-digit", second: "2-digit" }) : null;
    return html`<div class="room-standby">
      <h5 id="room-standby-title">${t("console.room.standby.title")}</h5>
      <p class="hint" id="room-standby-hint">${t("console.room.standby.hint")}</p>
      ${s
        ? html`<dl class="details">
            <div class="wide"><dt>${t("console.room.standby.folder")}</dt><dd id="standby-folder" class="mono path">${s.folder}</dd></div>
            <div class="wide"><dt>${t("console.room.standby.code")}</dt><dd id="standby-code" class="mono standby-code">${s.code}</dd></div>
            <div><dt>${t("console.room.standby.last")}</dt><dd id="standby-last">${when ? t("console.room.standby.lastAt", { time: when, count: s.inputs_copied }) : t("console.room.standby.never")}</dd></div>
          </dl>
          <p class="hint">${t("console.room.standby.codeHint")}</p>`
        : null}
      <p><button type="button" class="secondary" id="standby-choose" aria-describedby="room-standby-hint" @click=${() => void this.chooseStandby()}>
        ${s ? t("console.room.standby.change") : t("console.room.standby.choose")}</button></p>
    </div>`;
  }

  /** A copy that stopped writing is shown above the candidates, folded set-up or not. */
  private renderStandbyError() {
    const e = this.standby?.error;
    if (!e) return null;
    return html`<p class="error" id="standby-error" role="alert">${lang() === "fr" ? e[0] : e[1]}</p>`;
  }

  private setInfo(info: RoomInfo) {
    this.stamp(info.view.tiles);
    this.info = info;
    this.otherSession = null;
    // The live room takes the whole width: thirty candidates on one screen.
    document.documentElement.classList.add("room-live");
  }

  private stamp(tiles: Tile[]) {
    this.now = clock.now();
    for (const tile of tiles) if (tile.time_left_s !== null) this.countdowns.set(tile, new Countdown(tile.time_left_s, this.now));
  }

  /** A push from the hub. Focus inside the panel stays where it was, or, when the control that had
   * it is gone (the action it offered is done), lands on the candidate's name. */
  private async onEvent(ev: ConsoleEvent) {
    const info = this.info;
    if (ev.type === "error") {
      this.message = { error: ev.error };
      return;
    }
    if (!info || ev.type === "reply") return;
    let view: RoomView;
    switch (ev.type) {
      case "signed_in":
      case "room":
        if (ev.room.session !== this.number) return;
        this.stamp(ev.room.tiles);
        view = ev.room;
        break;
      case "tile": {
        const before = info.view.tiles.find((x) => x.candidate === ev.tile.candidate);
        this.stamp([ev.tile]);
        view = withTile(info.view, ev.tile);
        if (newlyNeedsAction(before, ev.tile)) {
          const name = fullName(ev.tile);
          this.say(t(`console.room.announce.${ev.tile.status}`, { name, defaultValue: `${name} : ${t(`console.room.status.${ev.tile.status}`)}` }));
        }
        break;
      }
      case "pairing":
        view = withPairing(info.view, { station: ev.station, label: ev.label, code: ev.code });
        this.say(t("console.room.announce.pairing", { label: ev.label }));
        break;
    }
    const active = document.activeElement instanceof HTMLElement && this.contains(document.activeElement) ? document.activeElement : null;
    const tileId = active?.closest<HTMLElement>(".tile")?.dataset.candidate;
    this.info = { ...info, view };
    await this.updateComplete;
    if (!active || document.activeElement === active) return;
    // Only put focus back if nothing else took it (re-sorting moves the tile, which blurs it).
    if (document.activeElement && document.activeElement !== document.body) return;
    if (active.isConnected) active.focus();
    else (tileId ? this.querySelector<HTMLElement>(`#tile-name-${tileId}`) : this.querySelector<HTMLElement>("#tiles-title"))?.focus();
  }

  private async say(text: string) {
    // Empty first: the same sentence twice in a row would not be announced again.
    this.announce = "";
    await this.updateComplete;
    this.announce = text;
  }

  private dialog() {
    return this.querySelector<FormDialog>("console-form-dialog");
  }

  private async open(e: Event) {
    e.preventDefault();
    if (this.opening) return;
    const form = e.target as HTMLFormElement;
    const password = (form.querySelector<HTMLInputElement>("#room-password")?.value ?? "").trim();
    const bankKey = field(form, "room-bank-key");
    const bind = field(form, "room-bind") || DEFAULT_BIND;
    const missing = !password ? "room-password" : !bankKey ? "room-bank-key" : null;
    if (missing) {
      this.message = { error: t("errors.required", { field: t(missing === "room-password" ? "console.room.password" : "console.room.bankKey") }) };
      form.querySelector<HTMLElement>(`#${missing}`)?.focus();
      return;
    }
    this.opening = true;
    this.message = null;
    try {
      const info = await consoleBackend.roomOpen(this.number, password, bankKey, bind);
      this.setInfo(info);
      this.message = { ok: t("console.room.opened") };
      await this.updateComplete;
      this.querySelector<HTMLElement>("#room-connect-title")?.focus();
    } catch (err) {
      this.message = { error: err };
    } finally {
      this.opening = false;
    }
  }

  /** Sends a command; the hub's refusal is shown (and rethrown for a dialog to keep it open). */
  private async send(command: ConsoleCommand, ok: string, rethrow = false): Promise<void> {
    try {
      await consoleBackend.roomCommand(command);
      this.message = { ok };
    } catch (err) {
      if (rethrow) throw err;
      this.message = { error: err };
    }
  }

  /** A prompt before a command: the dialog keeps the refusal, the panel announces the result. */
  private ask(opener: Event, request: Omit<FormRequest, "opener" | "action">, command: (form: HTMLFormElement) => ConsoleCommand, ok: string, tile?: Tile) {
    this.message = null;
    void this.dialog()?.ask({
      ...request,
      opener: opener.currentTarget as HTMLElement,
      fallbackFocus: () => this.querySelector<HTMLElement>(tile ? `#tile-name-${tile.candidate}` : "#room-title"),
      action: (form) => this.send(command(form), ok, true),
    });
  }

  private required(form: HTMLFormElement, id: string, label: string): string {
    const value = field(form, id);
    if (!value) throw new FieldError(`console.room.required.${label}`, id);
    return value;
  }

  private validateAlert(e: Event, tile: Tile) {
    const name = fullName(tile);
    this.ask(
      e,
      {
        title: t("console.room.validateTitle", { name }),
        body: t("console.room.validateBody"),
        confirmLabel: t("console.room.validate"),
        fields: html`<label for="alert-incident">${t("console.room.incidentCode")}</label>
          <select id="alert-incident" name="alert-incident" aria-required="true">
            <option value="">${t("console.room.chooseCode")}</option>
            ${ALERT_CODES.map((c) => html`<option value=${c}>${c} — ${t(`console.room.codes.${c}`)}</option>`)}
          </select>`,
      },
      (form) => ({ type: "resolve_alert", candidate: tile.candidate, validated: true, incident: this.required(form, "alert-incident", "code") }),
      t("console.room.done.validated", { name }),
      tile,
    );
  }

  private endTest(e: Event, tile: Tile) {
    const name = fullName(tile);
    this.ask(
      e,
      {
        title: t("console.room.endTitle", { name }),
        body: t("console.room.endBody"),
        confirmLabel: t("console.room.endTest"),
        danger: true,
        fields: html`<label for="end-reason">${t("console.room.reason")} <span aria-hidden="true">*</span></label>
          <textarea id="end-reason" name="end-reason" rows="3" aria-required="true" maxlength="500"></textarea>`,
      },
      (form) => ({ type: "end_test", candidate: tile.candidate, reason: this.required(form, "end-reason", "reason") }),
      t("console.room.done.ended", { name }),
      tile,
    );
  }

  private extraTime(e: Event, tile: Tile) {
    const name = fullName(tile);
    this.ask(
      e,
      {
        title: t("console.room.extraTitle", { name }),
        body: t("console.room.extraBody"),
        confirmLabel: t("console.room.extraConfirm"),
        fields: html`<label for="extra-minutes">${t("console.room.minutes")}</label>
          <input id="extra-minutes" name="extra-minutes" type="number" inputmode="numeric" min="1" max="240" step="1" aria-required="true" />`,
      },
      (form) => {
        const text = this.required(form, "extra-minutes", "minutes");
        const minutes = Number(text);
        if (!/^\d+$/.test(text) || minutes < 1 || minutes > 240) throw new FieldError("console.room.required.minutes", "extra-minutes");
        return { type: "extra_time", candidate: tile.candidate, minutes };
      },
      t("console.room.done.extra", { name }),
      tile,
    );
  }

  private recordIncident(e: Event, tile: Tile) {
    const name = fullName(tile);
    const current = tile.test_id !== null && tile.question > 0 ? t("console.room.currentQuestion", { n: tile.question }) : "";
    this.ask(
      e,
      {
        title: t("console.room.incidentTitle", { name }),
        body: t("console.room.incidentBody"),
        confirmLabel: t("console.room.incidentConfirm"),
        fields: html`<label for="incident-code">${t("console.room.incidentCode")}</label>
          <select id="incident-code" name="incident-code" aria-required="true">
            <option value="">${t("console.room.chooseCode")}</option>
            ${INCIDENT_CODES.map((c) => html`<option value=${c}>${c} — ${t(`console.room.codes.${c}`)}</option>`)}
          </select>
          <label for="incident-question">${t("console.room.incidentQuestion")}</label>
          <input id="incident-question" name="incident-question" type="number" inputmode="numeric" min="1" max=${tile.total || nothing} step="1"
            aria-describedby="incident-question-hint" />
          <p class="hint" id="incident-question-hint">${t("console.room.incidentQuestionHint")} ${current}</p>
          <label for="incident-note">${t("console.room.incidentNote")} <span aria-hidden="true">*</span></label>
          <textarea id="incident-note" name="incident-note" rows="3" aria-required="true" maxlength="1000"></textarea>`,
      },
      (form) => {
        const code = this.required(form, "incident-code", "code");
        const q = field(form, "incident-question");
        if (q && (!/^\d+$/.test(q) || Number(q) < 1 || (tile.total > 0 && Number(q) > tile.total))) throw new FieldError("console.room.required.question", "incident-question");
        const note = this.required(form, "incident-note", "note");
        return { type: "record_incident", candidate: tile.candidate, code, note, question: q ? Number(q) : null };
      },
      t("console.room.done.incident", { name }),
      tile,
    );
  }

  private fixIdentity(e: Event, tile: Tile) {
    const name = fullName(tile);
    this.ask(
      e,
      {
        title: t("console.room.fixTitle", { name }),
        body: t("console.room.fixBody"),
        confirmLabel: t("console.room.fixConfirm"),
        fields: html`<label for="fix-first-name">${t("console.cand.firstName")}</label>
          <input id="fix-first-name" name="fix-first-name" type="text" autocomplete="off" aria-required="true" .value=${tile.first_name} />
          <label for="fix-birth-name">${t("console.cand.birthName")}</label>
          <input id="fix-birth-name" name="fix-birth-name" type="text" autocomplete="off" aria-required="true" .value=${tile.birth_name} />
          <label for="fix-birthdate">${t("console.cand.birthdateHint")}</label>
          <input id="fix-birthdate" name="fix-birthdate" type="text" inputmode="numeric" autocomplete="off" aria-required="true" placeholder=${t("console.datePlaceholder")} />`,
      },
      (form) => {
        const first = this.required(form, "fix-first-name", "firstName");
        const birth = this.required(form, "fix-birth-name", "birthName");
        const date = isoDate(field(form, "fix-birthdate"));
        if (!date) throw new FieldError("console.room.required.birthdate", "fix-birthdate");
        return { type: "fix_identity", candidate: tile.candidate, first_name: first, birth_name: birth, birthdate: date };
      },
      t("console.room.done.identity", { name }),
      tile,
    );
  }

  private move(e: Event, tile: Tile) {
    const name = fullName(tile);
    this.ask(
      e,
      {
        title: t("console.room.moveTitle", { name }),
        body: t("console.room.moveBody", { station: stationLabel(this.info!.view, tile.station) ?? "" }),
        confirmLabel: t("console.room.moveConfirm"),
      },
      () => ({ type: "move_candidate", candidate: tile.candidate }),
      t("console.room.done.moved", { name }),
      tile,
    );
  }

  private pause(e: Event) {
    this.ask(
      e,
      {
        title: t("console.room.pauseTitle"),
        body: t("console.room.pauseBody"),
        confirmLabel: t("console.room.pause"),
        fields: html`<label for="pause-reason">${t("console.room.reason")} <span aria-hidden="true">*</span></label>
          <textarea id="pause-reason" name="pause-reason" rows="2" aria-required="true" maxlength="500"></textarea>`,
      },
      (form) => ({ type: "pause_room", reason: this.required(form, "pause-reason", "reason") }),
      t("console.room.done.paused"),
    );
  }

  private endAll(e: Event) {
    this.ask(
      e,
      {
        title: t("console.room.endAllTitle"),
        body: t("console.room.endAllBody"),
        confirmLabel: t("console.room.endAll"),
        danger: true,
        fields: html`<label for="end-all-reason">${t("console.room.reason")} <span aria-hidden="true">*</span></label>
          <textarea id="end-all-reason" name="end-all-reason" rows="2" aria-required="true" maxlength="500"></textarea>`,
      },
      (form) => ({ type: "end_all", reason: this.required(form, "end-all-reason", "reason") }),
      t("console.room.done.endedAll"),
    );
  }

  private saveComment() {
    const text = this.querySelector<HTMLTextAreaElement>("#room-comment")?.value ?? "";
    void this.send({ type: "set_comment", text }, t("console.room.done.comment"));
  }

  private async report() {
    this.message = null;
    try {
      const { path } = await consoleBackend.roomReport();
      this.message = { ok: t("console.room.reportSaved"), path };
    } catch (err) {
      this.message = { error: err };
    }
  }

  private async bundle() {
    this.message = null;
    try {
      const { path } = await consoleBackend.roomBundle();
      this.message = { ok: t("console.room.bundleSaved"), path };
    } catch (err) {
      this.message = { error: err };
    }
  }

  /** Sends the finalized session's bundle through the outbox; what fails is retried in the
   * background, and the list shows every bundle's state and the service's receipt. */
  private async sendBundle(e: Event) {
    e.preventDefault();
    const url = this.querySelector<HTMLInputElement>("#room-service-url")?.value.trim() ?? "";
    this.message = null;
    this.sending = true;
    try {
      this.outbox = await consoleBackend.roomSend(url);
      const sent = this.outbox.items.some((i) => i.state === "sent");
      this.message = { ok: t(sent ? "console.room.outbox.sent" : "console.room.outbox.queued") };
    } catch (err) {
      this.message = { error: err };
    } finally {
      this.sending = false;
    }
  }

  private renderOutbox() {
    const box = this.outbox;
    return html`<form id="room-send-form" novalidate @submit=${this.sendBundle}>
        <label for="room-service-url">${t("console.room.outbox.url")}</label>
        <input id="room-service-url" type="url" autocomplete="off" .value=${box?.service_url ?? ""} placeholder="https://" />
        <p><button type="submit" id="room-send" ?disabled=${this.sending}>${t("console.room.outbox.send")}</button></p>
      </form>
      ${box && box.items.length
        ? html`<ul id="outbox" aria-label=${t("console.room.outbox.title")}>
            ${box.items.map(
              (i) => html`<li class="outbox-item" data-state=${i.state}>
                <code>${i.bundle_id}</code> — ${t(`console.room.outbox.state.${i.state}`)}
                ${i.attempts ? html`(${t("console.room.outbox.attempts", { count: i.attempts })})` : null}
                ${i.receipt ? html`— ${t("console.room.outbox.receipt", { status: receiptStatus(i.receipt) })}` : null}
                ${i.last_error ? html`<br /><span class="hint">${i.last_error}</span>` : null}
              </li>`,
            )}
          </ul>`
        : null}`;
  }

  private renderMessage() {
    const m = this.message;
    const error = m && "error" in m;
    return html`<p id="room-message" role=${error ? "alert" : "status"} class=${error ? "error" : "ok"}>
      ${m && "error" in m ? errorText(m.error, lang()) : null}
      ${m && "ok" in m ? html`${m.ok}${m.path ? html` <code id="room-report-path" class="path">${m.path}</code>` : null}` : null}
    </p>`;
  }

  private renderOpenForm() {
    return html`<form id="room-open-form" novalidate @submit=${this.open} aria-describedby="room-intro">
      <p id="room-intro">${t("console.room.intro")}</p>
      ${this.otherSession !== null ? html`<p class="notice" id="room-other">${t("console.room.otherSession", { number: this.otherSession })}</p>` : null}
      <div class="grid">
        <div>
          <label for="room-password">${t("console.room.password")}</label>
          <input id="room-password" type="password" autocomplete="off" aria-describedby="room-password-hint" />
          <p class="hint" id="room-password-hint">${t("console.room.passwordHint")}</p>
        </div>
        <div>
          <label for="room-bank-key">${t("console.room.bankKey")}</label>
          <input id="room-bank-key" type="text" autocomplete="off" spellcheck="false" class="mono" aria-describedby="room-bank-key-hint" />
          <p class="hint" id="room-bank-key-hint">${t("console.room.bankKeyHint")}</p>
        </div>
        <div>
          <label for="room-bind">${t("console.room.bind")}</label>
          <input id="room-bind" type="text" autocomplete="off" spellcheck="false" .value=${DEFAULT_BIND} aria-describedby="room-bind-hint" />
          <p class="hint" id="room-bind-hint">${t("console.room.bindHint")}</p>
        </div>
      </div>
      <p><button type="submit" id="room-open" aria-disabled=${this.opening ? "true" : "false"}>${t("console.room.open")}</button></p>
    </form>`;
  }

  private renderConnect(info: RoomInfo) {
    const v = info.view;
    const needed = v.stations.length === 0 || v.pairings.length > 0 || pairingOpen(v);
    const open = this.setupChoice ?? needed;
    return html`<details class="room-setup" ?open=${open} @toggle=${(e: Event) => {
      const now = (e.target as HTMLDetailsElement).open;
      if (now !== (this.setupChoice ?? needed)) this.setupChoice = now;
    }}>
      <summary id="room-setup-summary">${t("console.room.setup")}</summary>
      <section aria-labelledby="room-connect-title">
      <h4 id="room-connect-title" tabindex="-1">${t("console.room.connectTitle")}</h4>
      <dl class="details room-connect">
        ${info.host_name
          ? html`<div><dt>${t("console.room.hostName")}</dt><dd id="room-host-name" class="mono">${info.host_name}</dd></div>`
          : null}
        <div><dt>${t("console.room.address")}</dt><dd id="room-address" class="mono">${info.address}</dd></div>
        <div class="wide"><dt>${t("console.room.fingerprint")}</dt><dd id="room-fingerprint" class="fingerprint">${info.fingerprint}</dd></div>
      </dl>
      <p class="hint">${t("console.room.connectHint")}</p>
      <p id="room-stations">${t("console.room.stations", { count: v.stations.length })}</p>
      ${v.finalized ? null : this.renderPairingWindow(v)}
      ${v.pairings.length
        ? html`<ul class="pairings" aria-label=${t("console.room.pairingsTitle")}>
            ${repeat(
              v.pairings,
              (p) => p.station,
              (p) => html`<li class="pairing" data-station=${p.station}>
                <span id=${`pairing-${p.station}`}>${t("console.room.pairing", { label: p.label, station: p.station })}
                  <span class="pairing-code">${p.code}</span></span>
                ${v.finalized
                  ? null
                  : html`<button type="button" class="pairing-confirm" aria-describedby=${`pairing-${p.station}`}
                      @click=${() => this.send({ type: "confirm_pairing", station: p.station }, t("console.room.done.paired", { label: p.label }))}>
                      ${t("console.room.confirmPairing")}</button>`}
              </li>`,
            )}
          </ul>
          <p class="hint">${t("console.room.pairingHint")}</p>`
        : null}
      ${v.finalized ? null : this.renderBank(v)}
      ${v.readiness.length ? this.renderReadiness(v) : null}
      ${v.finalized || !v.stations.length ? null : this.renderSpeech(v)}
      ${v.finalized ? null : this.renderStandby()}
    </section>
    </details>`;
  }

  /** The screen reader of each paired PC: the invigilator turns it on before a candidate who
   *  needs it arrives (they must hear the welcome form to type their name). */
  private renderSpeech(v: RoomView) {
    return html`<div class="room-speech">
      <h5 id="room-speech-title">${t("console.room.speech.title")}</h5>
      <p class="hint" id="room-speech-hint">${t("console.room.speech.hint")}</p>
      <ul id="room-speech" aria-labelledby="room-speech-title">
        ${repeat(
          v.stations,
          ([station]) => station,
          ([station, label]) => {
            const on = v.speech.includes(station);
            return html`<li class="speech-station" data-station=${station} data-speech=${on ? "on" : "off"}>
              <button type="button" class="speech-toggle" aria-pressed=${on ? "true" : "false"} aria-describedby="room-speech-hint"
                @click=${() => this.send({ type: "speech", station, on: !on }, t(on ? "console.room.speech.doneOff" : "console.room.speech.doneOn", { label }))}>
                ${t("console.room.speech.toggle", { label })}</button>
            </li>`;
          },
        )}
      </ul>
    </div>`;
  }

  /** What each PC's own check said when it connected: the items that block, in the reader's
   *  language. */
  private renderReadiness(v: RoomView) {
    const french = lang() === "fr";
    return html`<div class="room-readiness">
      <h5 id="room-readiness-title">${t("console.room.readiness.title")}</h5>
      <p class="hint" id="room-readiness-hint">${t("console.room.readiness.hint")}</p>
      <ul id="room-readiness" aria-labelledby="room-readiness-title" aria-describedby="room-readiness-hint">
        ${repeat(
          v.readiness,
          (r) => r.station,
          (r) => {
            const blocking = r.items.filter((i) => !i.ok);
            return html`<li class="readiness-station" data-station=${r.station} data-ready=${blocking.length === 0 ? "true" : "false"}>
              ${blocking.length === 0
                ? t("console.room.readiness.ready", { label: r.label })
                : html`${t("console.room.readiness.blocked", { label: r.label, count: blocking.length })}
                    <ul>
                      ${blocking.map((i) => html`<li class="readiness-item" data-item=${i.item}>${french ? i.fr : i.en}</li>`)}
                    </ul>`}
            </li>`;
          },
        )}
      </ul>
    </div>`;
  }

  /** The session's sealed bank pack, sent to every paired PC through the room, and where each
   *  PC stands with it (pushed by the hub as it sends). */
  private renderBank(v: RoomView) {
    const state = (b: RoomView["banks"][number]) => {
      if (b.state === "installed") return t("console.room.bank.installed");
      if (b.state === "refused") return t("console.room.bank.refused", { reason: b.reason ?? "" });
      if (b.received > 0 && v.bank) return t("console.room.bank.receiving", { percent: Math.floor((100 * b.received) / v.bank.size) });
      return t("console.room.bank.waiting");
    };
    return html`<div class="room-bank">
      <h5 id="room-bank-title">${t("console.room.bank.title")}</h5>
      <p class="hint" id="room-bank-hint">${t("console.room.bank.hint")}</p>
      <label for="room-bank-file">${t("console.room.bank.file")}</label>
      <input id="room-bank-file" type="file" accept=".pack" aria-describedby="room-bank-hint" @change=${(e: Event) => void this.offerBank(e)} />
      ${v.bank && v.banks.length
        ? html`<ul id="room-banks" aria-label=${t("console.room.bank.listTitle")}>
            ${repeat(
              v.banks,
              (b) => b.station,
              (b) => html`<li class="bank-station" data-station=${b.station} data-state=${b.state}>${b.label} : ${state(b)}</li>`,
            )}
          </ul>`
        : null}
    </div>`;
  }

  private async offerBank(e: Event) {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    this.message = null;
    try {
      const bytes = await readBytes(file);
      await consoleBackend.roomOfferBank(Array.from(bytes));
      this.message = { ok: t("console.room.bank.offered", { name: file.name }) };
    } catch (err) {
      this.message = { error: err };
    } finally {
      input.value = "";
    }
  }

  /** PCs nobody paired may ask only while the invigilator holds pairing open (the hub refuses
   *  them otherwise, and always while a test runs). */
  private renderPairingWindow(v: RoomView) {
    const until = v.pairing_until === null ? null : new Date(v.pairing_until);
    const open = pairingOpen(v);
    const time = until?.toLocaleTimeString(lang(), { hour: "2-digit", minute: "2-digit" }) ?? "";
    return html`<p class="pairing-window">
      <span id="pairing-window-state">${open ? t("console.room.pairingOpenUntil", { time }) : t("console.room.pairingClosed")}</span>
      ${open
        ? html`<button type="button" class="secondary" id="pairing-close" aria-describedby="pairing-window-state"
            @click=${() => this.send({ type: "close_pairing" }, t("console.room.done.pairingClosed"))}>${t("console.room.closePairing")}</button>`
        : html`<button type="button" id="pairing-open" aria-describedby="pairing-window-state"
            @click=${() => this.send({ type: "open_pairing", minutes: PAIRING_MINUTES }, t("console.room.done.pairingOpened", { minutes: PAIRING_MINUTES }))}>
            ${t("console.room.openPairing", { minutes: PAIRING_MINUTES })}</button>`}
    </p>`;
  }

  private renderTile(v: RoomView, tile: Tile) {
    const can = tileActions(tile, v.finalized !== null);
    const nameId = `tile-name-${tile.candidate}`;
    const station = stationLabel(v, tile.station);
    const countdown = tile.time_left_s === null ? null : this.countdowns.get(tile);
    const left = tile.time_left_s === null ? null : clockRunning(tile.status) && countdown ? countdown.remaining(this.now) : tile.time_left_s;
    const status = tile.status === "waiting_authorization" && tile.resume ? "waiting_resume" : tile.status;
    const btn = (cls: string, label: string, click: (e: Event) => void, extra = "secondary") =>
      html`<button type="button" class=${`${extra} ${cls}`.trim()} aria-describedby=${nameId} @click=${click}>${label}</button>`;
    // Compact, so that thirty fit one screen: what the invigilator scans for (status, PC,
    // progress, time, warnings) and the action a tile waits for; the rest on demand.
    const beforeTest = tile.status === "not_arrived" || tile.status === "joined" || (tile.status === "waiting_authorization" && !tile.resume);
    const warnings = tile.focus_losses > 0 || tile.incidents.length > 0;
    const presence = html`<label class="check tile-presence"><input type="checkbox" class="presence" .checked=${tile.present} ?disabled=${v.finalized !== null} aria-describedby=${nameId}
        @change=${(e: Event) => {
          const present = (e.target as HTMLInputElement).checked;
          void this.send({ type: "confirm_presence", candidate: tile.candidate, present }, t(present ? "console.room.done.present" : "console.room.done.absent", { name: fullName(tile) }));
        }} /> ${t("console.room.presentShort")}</label>`;
    return html`<li class=${`tile status-${tile.status}${tile.needs_action ? " needs-action" : ""}`} data-candidate=${tile.candidate} data-status=${tile.status}>
      <h5 id=${nameId} class="tile-name" tabindex="-1" title=${fullName(tile)}>${fullName(tile)}</h5>
      <p class="tile-status">
        <span class="badge">${t(`console.room.status.${status}`)}</span>
        ${tile.needs_action ? html`<strong class="needs-action-text visually-hidden">${t("console.room.needsAction")}</strong>` : null}
      </p>
      ${station !== null || tile.test_id !== null || tile.answered > 0 || left !== null || warnings
        ? html`<p class="tile-facts">
            ${station !== null ? html`<span class="tile-station" title=${t("console.room.station")}>${station}</span>` : null}
            ${tile.test_id !== null || tile.answered > 0
              ? html`<span class="tile-question" title=${t("console.room.questionLabel")}>${t("console.room.questionOf", { n: tile.question, total: tile.total })}</span>`
              : null}
            ${left !== null ? html`<span class="time-left" title=${t("console.room.timeLeft")}>${formatClock(left)}</span>` : null}
            ${tile.focus_losses > 0 ? html`<span class="tile-warnings">${t("console.room.exitsShort", { count: tile.focus_losses })}</span>` : null}
            ${tile.incidents.length > 0 ? html`<span class="tile-warnings">${t("console.room.incidentsShort", { count: tile.incidents.length })}</span>` : null}
          </p>`
        : null}
      ${can.abortReason
        ? html`<div class="tile-abort">
            <label for=${`abort-${tile.candidate}`}>${t("console.room.abortReason")}</label>
            <select id=${`abort-${tile.candidate}`} class="abort-reason" aria-describedby=${nameId} @change=${(e: Event) => this.setAbortReason(tile, (e.target as HTMLSelectElement).value)}>
              <option value="" ?selected=${tile.abort_reason === null}>${t("console.room.abortNone")}</option>
              <option value="candidate" ?selected=${tile.abort_reason === "candidate"}>${t("console.room.abortCandidate")}</option>
              <option value="technical" ?selected=${tile.abort_reason === "technical"}>${t("console.room.abortTechnical")}</option>
            </select>
          </div>`
        : null}
      <div class="tile-foot">
        ${beforeTest ? presence : null}
        ${can.authorize
          ? btn("authorize", tile.resume ? t("console.room.authorizeResume") : t("console.room.authorize"), () =>
              this.send({ type: "authorize", candidate: tile.candidate }, t("console.room.done.authorized", { name: fullName(tile) })), "")
          : null}
        ${can.resolveAlert
          ? html`${btn("alert-validate", t("console.room.validateShort"), (e) => this.validateAlert(e, tile), "")}
            ${btn("alert-dismiss", t("console.room.dismissShort"), () =>
              this.send({ type: "resolve_alert", candidate: tile.candidate, validated: false, incident: null }, t("console.room.done.dismissed", { name: fullName(tile) })))}`
          : null}
        <details class="tile-more">
          <summary aria-describedby=${nameId}>${t("console.room.more")}</summary>
          ${tile.local_id ? html`<p class="tile-local-id">${t("console.room.localId", { id: tile.local_id })}</p>` : null}
          ${tile.extra_minutes > 0 ? html`<p class="tile-extra">${t("console.room.extraLabel")} : ${t("console.room.extraValue", { count: tile.extra_minutes })}</p>` : null}
          <p class=${`focus-losses${tile.focus_losses > 0 ? " warn" : ""}`}>${t("console.room.focusLosses", { count: tile.focus_losses })}</p>
          <p class="incidents-count">${t("console.room.incidents", { count: tile.incidents.length })}</p>
          ${tile.ended_reason ? html`<p class="tile-ended-reason">${t("console.room.endedReason", { reason: tile.ended_reason })}</p>` : null}
          ${tile.incidents.length
            ? html`<ul class="tile-incidents">${tile.incidents.map(
                (i) => html`<li><strong>${i.code}</strong> ${t(`console.room.codes.${i.code}`, { defaultValue: "" })}${i.question !== null ? html` — ${t("console.room.questionN", { n: i.question })}` : null}${i.note ? html` — ${i.note}` : null}</li>`,
              )}</ul>`
            : null}
          ${beforeTest ? null : presence}
          <div class="row tile-actions">
            ${can.extraTime ? btn("extra-time", t("console.room.extraTime"), (e) => this.extraTime(e, tile)) : null}
            ${can.recordIncident ? btn("record-incident", t("console.room.recordIncident"), (e) => this.recordIncident(e, tile)) : null}
            ${can.fixIdentity ? btn("fix-identity", t("console.room.fixIdentity"), (e) => this.fixIdentity(e, tile)) : null}
            ${can.move ? btn("move-candidate", t("console.room.move"), (e) => this.move(e, tile)) : null}
            ${can.endTest ? btn("end-test", t("console.room.endTest"), (e) => this.endTest(e, tile), "secondary danger") : null}
          </div>
        </details>
      </div>
    </li>`;
  }

  private setAbortReason(tile: Tile, value: string) {
    const reason = value === "candidate" || value === "technical" ? (value as AbortReason) : null;
    void this.send({ type: "set_abort_reason", candidate: tile.candidate, reason }, t("console.room.done.abortReason", { name: fullName(tile) }));
  }

  private renderRoomActions(v: RoomView) {
    const finalized = v.finalized !== null;
    return html`<section aria-labelledby="room-actions-title">
      <h4 id="room-actions-title">${t("console.room.actionsTitle")}</h4>
      ${finalized
        ? null
        : html`<p class="row">
            ${v.paused
              ? html`<button type="button" id="room-resume" @click=${() => this.send({ type: "resume_room" }, t("console.room.done.resumed"))}>${t("console.room.resume")}</button>`
              : html`<button type="button" class="secondary" id="room-pause" @click=${(e: Event) => this.pause(e)}>${t("console.room.pause")}</button>`}
            <button type="button" class="secondary danger" id="room-end-all" @click=${(e: Event) => this.endAll(e)}>${t("console.room.endAll")}</button>
          </p>`}
      <label for="room-comment">${t("console.room.comment")}</label>
      <textarea id="room-comment" rows="4" maxlength="5000" aria-describedby="room-comment-hint" .value=${v.comment}></textarea>
      <p class="hint" id="room-comment-hint">${t("console.room.commentHint")}</p>
      <p><button type="button" class="secondary" id="room-comment-save" @click=${this.saveComment}>${t("console.room.commentSave")}</button></p>
      <p class="row">
        ${finalized
          ? html`<button type="button" id="room-report" @click=${this.report}>${t("console.room.report")}</button>
              <button type="button" class="secondary" id="room-bundle" @click=${this.bundle}>${t("console.room.bundle")}</button>
              ${this.renderOutbox()}`
          : html`<button type="button" id="room-finalize" aria-describedby="room-finalize-hint"
                @click=${() => this.send({ type: "finalize" }, t("console.room.done.finalized"))}>${t("console.room.finalize")}</button>
              <span class="hint" id="room-finalize-hint">${t("console.room.finalizeHint")}</span>`}
      </p>
    </section>`;
  }

  private renderRoom(info: RoomInfo) {
    const v = info.view;
    const waiting = v.tiles.filter((x) => x.needs_action).length;
    return html`${this.renderConnect(info)}
      ${v.finalized ? null : this.renderStandbyError()}
      ${v.paused ? html`<p class="notice room-paused" id="room-paused">${t("console.room.paused")}</p>` : null}
      ${v.finalized !== null ? html`<p class="ok" id="room-finalized">${t("console.room.finalized", { at: v.finalized })}</p>` : null}
      <section aria-labelledby="tiles-title">
        <div class="tiles-head">
          <h4 id="tiles-title" tabindex="-1">${t("console.room.tilesTitle", { count: v.tiles.length })}</h4>
          <p id="tiles-summary" class=${waiting ? "warn-text" : "hint"}>${t("console.room.needsActionCount", { count: waiting })}</p>
        </div>
        ${v.tiles.length
          ? html`<ul class="tiles" aria-labelledby="tiles-title">${repeat(v.tiles, (x) => x.candidate, (x) => this.renderTile(v, x))}</ul>`
          : html`<p>${t("console.room.noTiles")}</p>`}
      </section>
      ${this.renderRoomActions(v)}`;
  }

  render() {
    const info = this.info;
    return html`<section class="card room-panel" id="room-panel" aria-labelledby="room-title">
      <h3 id="room-title" tabindex="-1">${t("console.room.title")}</h3>
      ${this.renderMessage()}
      <p id="room-live" class="visually-hidden" role="status" aria-live="polite">${this.announce}</p>
      ${info ? this.renderRoom(info) : this.loaded ? this.renderOpenForm() : html`<p>${t("app.loading")}</p>`}
      <console-form-dialog></console-form-dialog>
    </section>`;
  }
}
function receiptStatus(receipt: string): string {
  try {
    return String((JSON.parse(receipt) as { status?: string }).status ?? "");
  } catch {
    return "";
  }
}

customElements.define("console-room", RoomPanel);
