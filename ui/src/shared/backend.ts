// The only place the UI reaches Rust. Screens call these functions; tests replace `transport`.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { AnswerAck, AttachmentView, KioskScreen, Response } from "../kiosk/screen";
import type { ConsoleCommand, ConsoleEvent, RoomInfo } from "../console/room";

export interface Transport {
  call<T>(command: string, args?: Record<string, unknown>): Promise<T>;
  on<T>(event: string, handler: (payload: T) => void): Promise<UnlistenFn>;
}

export const tauriTransport: Transport = {
  call: (command, args) => invoke(command, args),
  on: (event, handler) => listen(event, (e) => handler(e.payload as never)),
};

let transport: Transport = tauriTransport;
export function useTransport(t: Transport): void {
  transport = t;
}

/** Errors from Rust arrive as `{ code, message_fr, message_en }`. */
export interface AppError {
  code: string;
  message_fr: string;
  message_en: string;
}

export function errorText(e: unknown, lang: string): string {
  if (e && typeof e === "object" && "message_fr" in e) {
    const err = e as AppError;
    return lang === "en" ? err.message_en : err.message_fr;
  }
  return String(e);
}

/** The console's outbox of signed result bundles (certroom-sync's `Item`). */
export interface OutboxItem {
  id: number;
  bundle_id: string;
  session: number;
  content_hash: string;
  state: "pending" | "sent" | "rejected";
  attempts: number;
  next_attempt_ms: number;
  last_error: string | null;
  receipt: string | null;
}

export interface OutboxStatus {
  items: OutboxItem[];
  service_url: string | null;
}

export interface Centre {
  uai: string;
  name: string;
  address: string;
}

export interface KioskStatus {
  demo: boolean;
  station: string;
  /** True when the kiosk is paired with a room hub: the invigilator acts from the console. */
  room: boolean;
}

/** What the candidate types on the welcome form, as `kiosk_join` receives it (serde field names).
 * `birthdate` is sent as typed and checked: jj/mm/aaaa. */
export interface Identity {
  session: string;
  first_name: string;
  birth_name: string;
  birthdate: string;
}

export const backend = {
  kioskStatus: () => transport.call<KioskStatus>("kiosk_status"),
  kioskReady: (paintedAtEpochMs: number) => transport.call<void>("kiosk_ready", { paintedAtEpochMs }),
  kioskExit: (code: string) => transport.call<void>("kiosk_exit", { code }),
  // The candidate's test. Rust decides every screen; each call returns the next one. `lang` lets
  // Rust pick the language of the question texts and of its error messages.
  // Top-level argument names are camelCase (Tauri maps them to the Rust snake_case parameters).
  kioskScreen: (lang: string) => transport.call<KioskScreen>("kiosk_screen", { lang }),
  kioskJoin: (identity: Identity, lang: string) => transport.call<KioskScreen>("kiosk_join", { identity, lang }),
  kioskAuthorize: (code: string, lang: string) => transport.call<KioskScreen>("kiosk_authorize", { code, lang }),
  kioskAnswer: (itemId: string, response: Response, timeSpentMs: number, lang: string) =>
    transport.call<AnswerAck>("kiosk_answer", { itemId, response, timeSpentMs, lang }),
  kioskAttachment: (itemId: string, id: number, lang: string) => transport.call<AttachmentView>("kiosk_attachment", { itemId, id, lang }),
  kioskReportProblem: (itemId: string, lang: string) => transport.call<KioskScreen>("kiosk_report_problem", { itemId, lang }),
  kioskResolveAlert: (code: string, validated: boolean, lang: string) =>
    transport.call<KioskScreen>("kiosk_resolve_alert", { code, validated, lang }),
  // In a live room: the candidate types the session's access code; the invigilator authorizes
  // from the console. After an ended test, `kioskFinish` brings back a clean welcome screen.
  kioskAccessCode: (code: string, lang: string) => transport.call<KioskScreen>("kiosk_access_code", { code, lang }),
  kioskFinish: (lang: string) => transport.call<KioskScreen>("kiosk_finish", { lang }),
  /** The hub changed the sitting (authorized, alert handled, ended, extra time, pause): ask for the screen again. */
  onKioskScreenChanged: (h: () => void) => transport.on<null>("kiosk://screen", () => h()),
  onCloseRequested: (h: () => void) => transport.on<null>("kiosk://close-requested", () => h()),
  onFocusChanged: (h: (focused: boolean) => void) => transport.on<boolean>("kiosk://focus", h),

  centre: () => transport.call<Centre | null>("centre_get"),
  centreSetup: (centre: Centre, password: string) => transport.call<void>("centre_setup", { centre, password }),
  centreSignIn: (password: string) => transport.call<boolean>("centre_sign_in", { password }),
  centreSignOut: () => transport.call<void>("centre_sign_out"),
};

// ---------------------------------------------------------------------------------------------
// Console: session set-up before exam day (sessions, candidates, import, exports).
// Field names are the Rust DTOs' (serde snake_case); top-level argument names are camelCase.
// ---------------------------------------------------------------------------------------------

export type SessionStatus = "created" | "finalized";

/** What the référent types in the session form; Rust validates it. */
export interface SessionDraft {
  site: string;
  room: string;
  /** jj/mm/aaaa */
  date: string;
  /** hh:mm */
  start_time: string;
  invigilators: string[];
  observations: string;
}

export interface SessionDto extends SessionDraft {
  number: number;
  access_code: string;
  invigilator_password: string;
  status: SessionStatus;
  /** How many candidates are registered. */
  candidates: number;
}

/** A candidate typed by hand, with the national template's fields: every value a string as typed
 * (empty = absent), Rust applies the same validation as to an imported line. */
export interface CandidateDraft {
  birth_name: string;
  first_name: string;
  sex: string;
  birthdate: string;
  insee: string;
  postal_code: string;
  town: string;
  country: string;
  local_id: string;
  extra_time: string;
  adjusted_questions: boolean;
  convocation_email: string;
  results_email: string;
}

export interface CandidateDto {
  id: number;
  birth_name: string;
  first_name: string;
  sex: "M" | "F";
  /** jj/mm/aaaa */
  birthdate: string;
  /** Display text, e.g. "Paris 5e (75105)" or "Madrid, Espagne". */
  birthplace: string;
  local_id: string | null;
  extra_time_percent: number | null;
  adjusted_questions: boolean;
  convocation_email: string | null;
  results_email: string | null;
}

/** One problem in a refused import. `line` is 1-based (the header is line 1); 0 means the whole file. */
export interface ImportErrorDto {
  line: number;
  column: string | null;
  value: string | null;
  /** SIECLE files only: the pupil's national student number. */
  ine?: string | null;
  code: string;
  message_fr: string;
  message_en: string;
}

/** A refused import rejects with an AppError carrying the full report. */
export interface ImportRefusal extends AppError {
  report: ImportErrorDto[];
}

export function isImportRefusal(e: unknown): e is ImportRefusal {
  return !!e && typeof e === "object" && "message_fr" in e && Array.isArray((e as { report?: unknown }).report);
}

/** A SIECLE file holding several classes: Rust asks which ones to import (`import.choose_classes`). */
export interface ChooseClasses extends AppError {
  classes: string[];
}

export function isChooseClasses(e: unknown): e is ChooseClasses {
  return !!e && typeof e === "object" && (e as { code?: unknown }).code === "import.choose_classes" && Array.isArray((e as { classes?: unknown }).classes);
}

export type ExportFormat = "csv" | "xlsx";

export const consoleBackend = {
  sessionList: () => transport.call<SessionDto[]>("session_list"),
  sessionCreate: (draft: SessionDraft) => transport.call<SessionDto>("session_create", { draft }),
  sessionUpdate: (number: number, draft: SessionDraft) => transport.call<SessionDto>("session_update", { number, draft }),
  sessionDelete: (number: number) => transport.call<null>("session_delete", { number }),
  sessionCandidates: (number: number) => transport.call<CandidateDto[]>("session_candidates", { number }),
  candidateAdd: (number: number, candidate: CandidateDraft) => transport.call<CandidateDto>("candidate_add", { number, candidate }),
  candidateUpdate: (number: number, id: number, candidate: CandidateDraft) => transport.call<CandidateDto>("candidate_update", { number, id, candidate }),
  candidateRemove: (number: number, id: number) => transport.call<null>("candidate_remove", { number, id }),
  /** The file travels as base64 (a JSON array of numbers would be several times larger). */
  /** `classes`: the SIECLE classes to import, after Rust asked for them (`import.choose_classes`). */
  sessionImport: (number: number, fileName: string, bytesBase64: string, classes?: string[]) =>
    transport.call<{ imported: number }>("session_import", classes ? { number, fileName, bytesBase64, classes } : { number, fileName, bytesBase64 }),
  /** Several sessions from one file; all or none (a refusal carries `report`). */
  sessionImportFile: (fileName: string, bytesBase64: string) => transport.call<{ created: number[] }>("session_import_file", { fileName, bytesBase64 }),
  sessionExport: (number: number, format: ExportFormat) => transport.call<{ path: string }>("session_export", { number, format }),
  sessionAttendance: (number: number) => transport.call<{ path: string }>("session_attendance", { number }),

  // The live room: this console hosts the hub; lab PCs pair with it and the hub pushes the room.
  /** Opens the session's room: the hub listens on `bind` (e.g. 0.0.0.0:7443). */
  roomOpen: (session: number, password: string, bankKey: string, bind: string) =>
    transport.call<RoomInfo>("room_open", { session, password, bankKey, bind }),
  /** The room open in this console, or null. */
  roomView: () => transport.call<RoomInfo | null>("room_view"),
  roomCommand: (command: ConsoleCommand) => transport.call<void>("room_command", { command }),
  /** Writes the session report (procès-verbal) PDF once the room is finalized. */
  roomReport: () => transport.call<{ path: string }>("room_report"),
  roomBundle: () => transport.call<{ path: string }>("room_bundle"),
  roomSend: (serviceUrl: string) => transport.call<OutboxStatus>("room_send", { serviceUrl }),
  outboxList: () => transport.call<OutboxStatus>("outbox_list"),
  onRoomEvent: (h: (ev: ConsoleEvent) => void) => transport.on<ConsoleEvent>("room://event", h),
};

// The school office: the centre's published results, checked against the service key, and the
// certificates printed from them.
export interface OfficeSettings {
  uai: string;
  centre_name: string;
  service_url: string;
  has_token: boolean;
  service_key: string;
  validity_years: number;
}

export interface OfficeSettingsInput {
  service_url: string;
  /** Empty: keep the recorded token. */
  centre_token: string;
  service_key: string;
  validity_years: number;
}

export interface ImportSummary {
  generated_at: string;
  sessions: number;
  candidates: number;
  certificates: number;
}

export interface CertificateSummary {
  verification_code: string;
  issued: string;
  pix: number;
  pix_max: number;
  global_level: number;
  levels: number[];
}

export interface RosterRow {
  session_id: string;
  session_number: number;
  session_date: string;
  session_status: string;
  candidate_id: number;
  class: string;
  birth_name: string;
  first_name: string;
  birthdate: string;
  status: string;
  certificate: CertificateSummary | null;
  missing_glyphs: string[];
  no_qr: boolean;
  /** Published, and every character of the names can be drawn (decided in Rust). */
  printable: boolean;
}

export interface Roster {
  uai: string;
  centre_name: string;
  generated_at: string;
  competences: { code: string; fr: string; en: string }[];
  rows: RosterRow[];
}

export interface CandidateRef {
  session_id: string;
  candidate_id: number;
}

export const officeBackend = {
  settings: () => transport.call<OfficeSettings>("office_settings"),
  saveSettings: (input: OfficeSettingsInput) => transport.call<OfficeSettings>("office_settings_save", { input }),
  fetch: () => transport.call<{ summary: ImportSummary; key_taken_from_service: string | null }>("office_fetch"),
  importFile: (contentBase64: string) => transport.call<ImportSummary>("office_import", { contentBase64 }),
  roster: () => transport.call<Roster | null>("office_roster"),
  print: (selection: CandidateRef[], lang: string, label: string) =>
    transport.call<{ path: string; count: number; bytes: number }>("office_print", { selection, lang, label }),
  /** Opens a PDF the office printed (in its exports folder) in the desktop's viewer. */
  open: (path: string) => transport.call<null>("office_open", { path }),
  onProgress: (h: (p: { done: number; total: number }) => void) => transport.on<{ done: number; total: number }>("office://progress", h),
};
