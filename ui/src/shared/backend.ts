// The only place the UI reaches Rust. Screens call these functions; tests replace `transport`.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  AnswerAck,
  AppError,
  AttachmentView,
  CandidateFields,
  CandidateRef,
  CandidateView,
  CentreDraft,
  CentreView,
  ConsoleCommand,
  ConsoleEvent,
  Created,
  Fetched,
  Identity,
  Imported,
  ImportError,
  ImportSummary,
  KioskScreen,
  KioskStatus,
  LabStation,
  Lang,
  OfficeSettings,
  OfficeSettingsInput,
  OutboxStatus,
  Printed,
  PrintProgress,
  Response,
  RoomInfo,
  Roster,
  SessionDraft,
  SessionView,
  StandbyStatus,
  Written,
} from "../generated";

// The types that cross IPC are generated from the Rust ones (ui/src/generated, written by
// `cargo test -p certroom bindings`); the screens import the ones they use from here.
export type {
  CandidateFields,
  CandidateRef,
  CandidateView,
  CentreDraft,
  CentreView,
  CompetenceTitle,
  Identity,
  ImportError,
  ImportSummary,
  LabStation,
  OfficeSettings,
  OutboxItem,
  OutboxStatus,
  Printed,
  PrintProgress,
  Roster,
  RosterRow,
  SessionDraft,
  SessionStage,
  SessionView,
  StandbyStatus,
} from "../generated";

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

/** Commands reject with an `AppError`: its message in the interface language; anything else as text. */
export function errorText(e: unknown, lang: string): string {
  if (e && typeof e === "object" && "message_fr" in e) {
    const err = e as AppError;
    return lang === "en" ? err.message_en : err.message_fr;
  }
  return String(e);
}

export const backend = {
  kioskStatus: () => transport.call<KioskStatus>("kiosk_status"),
  kioskReady: (paintedAtEpochMs: number) => transport.call<void>("kiosk_ready", { paintedAtEpochMs }),
  kioskExit: (code: string) => transport.call<void>("kiosk_exit", { code }),
  // The candidate's test. Rust decides every screen; each call returns the next one. `lang` lets
  // Rust pick the language of the question texts and of its error messages.
  // Top-level argument names are camelCase (Tauri maps them to the Rust snake_case parameters).
  kioskScreen: (lang: Lang) => transport.call<KioskScreen>("kiosk_screen", { lang }),
  kioskJoin: (identity: Identity, lang: Lang) => transport.call<KioskScreen>("kiosk_join", { identity, lang }),
  kioskAuthorize: (code: string, lang: Lang) => transport.call<KioskScreen>("kiosk_authorize", { code, lang }),
  kioskAnswer: (itemId: string, response: Response, timeSpentMs: number, lang: Lang) =>
    transport.call<AnswerAck>("kiosk_answer", { itemId, response, timeSpentMs, lang }),
  kioskAttachment: (itemId: string, id: number, lang: Lang) => transport.call<AttachmentView>("kiosk_attachment", { itemId, id, lang }),
  kioskReportProblem: (itemId: string, lang: Lang) => transport.call<KioskScreen>("kiosk_report_problem", { itemId, lang }),
  kioskResolveAlert: (code: string, validated: boolean, lang: Lang) =>
    transport.call<KioskScreen>("kiosk_resolve_alert", { code, validated, lang }),
  // In a live room: the candidate types the session's access code; the invigilator authorizes
  // from the console. After an ended test, `kioskFinish` brings back a clean welcome screen.
  kioskAccessCode: (code: string, lang: Lang) => transport.call<KioskScreen>("kiosk_access_code", { code, lang }),
  kioskFinish: (lang: Lang) => transport.call<KioskScreen>("kiosk_finish", { lang }),
  /** The hub changed the sitting (authorized, alert handled, ended, extra time, pause): ask for the screen again. */
  onKioskScreenChanged: (h: () => void) => transport.on<null>("kiosk://screen", () => h()),
  onCloseRequested: (h: () => void) => transport.on<null>("kiosk://close-requested", () => h()),
  onFocusChanged: (h: (focused: boolean) => void) => transport.on<boolean>("kiosk://focus", h),

  centre: () => transport.call<CentreView | null>("centre_get"),
  /** The console's and the office's technical log folder, if this window writes one. */
  logsFolder: () => transport.call<string | null>("logs_folder"),
  centreSetup: (centre: CentreDraft, password: string) => transport.call<void>("centre_setup", { centre, password }),
  centreSignIn: (password: string) => transport.call<boolean>("centre_sign_in", { password }),
  centreSignOut: () => transport.call<void>("centre_sign_out"),
};

// ---------------------------------------------------------------------------------------------
// Console: session set-up before exam day (sessions, candidates, import, exports).
// Field names are the Rust DTOs' (serde snake_case); top-level argument names are camelCase.
// ---------------------------------------------------------------------------------------------

/** A refused import rejects with an AppError carrying the full report. */
export interface ImportRefusal extends AppError {
  report: ImportError[];
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
  sessionList: () => transport.call<SessionView[]>("session_list"),
  sessionCreate: (draft: SessionDraft) => transport.call<SessionView>("session_create", { draft }),
  sessionUpdate: (number: number, draft: SessionDraft) => transport.call<SessionView>("session_update", { number, draft }),
  sessionDelete: (number: number) => transport.call<null>("session_delete", { number }),
  sessionCandidates: (number: number) => transport.call<CandidateView[]>("session_candidates", { number }),
  candidateAdd: (number: number, candidate: CandidateFields) => transport.call<CandidateView>("candidate_add", { number, candidate }),
  candidateUpdate: (number: number, id: number, candidate: CandidateFields) => transport.call<CandidateView>("candidate_update", { number, id, candidate }),
  candidateRemove: (number: number, id: number) => transport.call<null>("candidate_remove", { number, id }),
  /** The file travels as base64 (a JSON array of numbers would be several times larger). */
  /** `classes`: the SIECLE classes to import, after Rust asked for them (`import.choose_classes`). */
  sessionImport: (number: number, fileName: string, bytesBase64: string, classes?: string[]) =>
    transport.call<Imported>("session_import", classes ? { number, fileName, bytesBase64, classes } : { number, fileName, bytesBase64 }),
  /** Several sessions from one file; all or none (a refusal carries `report`). */
  sessionImportFile: (fileName: string, bytesBase64: string) => transport.call<Created>("session_import_file", { fileName, bytesBase64 }),
  sessionExport: (number: number, format: ExportFormat) => transport.call<Written>("session_export", { number, format }),
  sessionAttendance: (number: number) => transport.call<Written>("session_attendance", { number }),

  // The live room: this console hosts the hub; lab PCs pair with it and the hub pushes the room.
  /** Opens the session's room: the hub listens on `bind` (e.g. 0.0.0.0:7443). */
  roomOpen: (session: number, password: string, bankKey: string, bind: string) =>
    transport.call<RoomInfo>("room_open", { session, password, bankKey, bind }),
  /** The room open in this console, or null. */
  roomView: () => transport.call<RoomInfo | null>("room_view"),
  roomCommand: (command: ConsoleCommand) => transport.call<void>("room_command", { command }),
  roomOfferBank: (pack: number[]) => transport.call<void>("room_offer_bank", { pack }),
  /** The standby copy on a second medium: null until a medium is chosen. */
  standbyStatus: () => transport.call<StandbyStatus | null>("standby_status"),
  /** Opens the desktop's folder chooser; the copy starts in the chosen folder (null: cancelled). */
  standbyChoose: () => transport.call<StandbyStatus | null>("standby_choose"),
  /** Writes the session report (procès-verbal) PDF once the room is finalized. */
  roomReport: () => transport.call<Written>("room_report"),
  roomBundle: () => transport.call<Written>("room_bundle"),
  roomSend: (serviceUrl: string) => transport.call<OutboxStatus>("room_send", { serviceUrl }),
  outboxList: () => transport.call<OutboxStatus>("outbox_list"),
  /** Sends what is due and reads back where the sent bundles stand at the service. */
  outboxRefresh: () => transport.call<OutboxStatus>("outbox_refresh"),
  /** "Renvoyer": a refused or waiting bundle goes back in line at once. */
  outboxSendAgain: (item: number) => transport.call<OutboxStatus>("outbox_send_again", { item }),
  // The lab: PCs paired once, declared to the service before exam day.
  labStations: () => transport.call<LabStation[]>("lab_stations"),
  labForget: (publicKey: string) => transport.call<LabStation[]>("lab_forget", { publicKey }),
  /** Declares the paired PCs to the service; how many. */
  labDeclare: (serviceUrl: string) => transport.call<number>("lab_declare", { serviceUrl }),
  /** The signed declaration as a file, for a centre without a connection. */
  labExport: () => transport.call<Written>("lab_export"),
  onRoomEvent: (h: (ev: ConsoleEvent) => void) => transport.on<ConsoleEvent>("room://event", h),
};

// The school office: the centre's published results, checked against the service key, and the
// certificates printed from them.
export const officeBackend = {
  settings: () => transport.call<OfficeSettings>("office_settings"),
  saveSettings: (input: OfficeSettingsInput) => transport.call<OfficeSettings>("office_settings_save", { input }),
  fetch: () => transport.call<Fetched>("office_fetch"),
  importFile: (contentBase64: string) => transport.call<ImportSummary>("office_import", { contentBase64 }),
  roster: () => transport.call<Roster | null>("office_roster"),
  print: (selection: CandidateRef[], lang: string, label: string) =>
    transport.call<Printed>("office_print", { selection, lang, label }),
  /** Opens a PDF the office printed (in its exports folder) in the desktop's viewer. */
  open: (path: string) => transport.call<null>("office_open", { path }),
  printPaper: (path: string) => transport.call<string>("office_print_paper", { path }),
  saveAs: (path: string) => transport.call<string | null>("office_save_as", { path }),
  onProgress: (h: (p: PrintProgress) => void) => transport.on<PrintProgress>("office://progress", h),
};
