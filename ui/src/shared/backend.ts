// The only place the UI reaches Rust. Screens call these functions; tests replace `transport`.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { AnswerAck, AttachmentView, KioskScreen, Response } from "../kiosk/screen";

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

export interface Centre {
  uai: string;
  name: string;
  address: string;
}

export interface KioskStatus {
  demo: boolean;
  station: string;
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
  onCloseRequested: (h: () => void) => transport.on<null>("kiosk://close-requested", () => h()),
  onFocusChanged: (h: (focused: boolean) => void) => transport.on<boolean>("kiosk://focus", h),

  centre: () => transport.call<Centre | null>("centre_get"),
  centreSetup: (centre: Centre, password: string) => transport.call<void>("centre_setup", { centre, password }),
  centreSignIn: (password: string) => transport.call<boolean>("centre_sign_in", { password }),
};
