// The only place the UI reaches Rust. Screens call these functions; tests replace `transport`.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

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

export interface DemoQuestion {
  index: number;
  total: number;
  instruction: string;
}

export const backend = {
  kioskStatus: () => transport.call<KioskStatus>("kiosk_status"),
  kioskExit: (code: string) => transport.call<void>("kiosk_exit", { code }),
  kioskDemoQuestion: () => transport.call<DemoQuestion>("kiosk_demo_question"),
  kioskDemoAnswer: (answer: string) => transport.call<{ saved: boolean }>("kiosk_demo_answer", { answer }),
  onCloseRequested: (h: () => void) => transport.on<null>("kiosk://close-requested", () => h()),
  onFocusChanged: (h: (focused: boolean) => void) => transport.on<boolean>("kiosk://focus", h),

  centre: () => transport.call<Centre | null>("centre_get"),
  centreSetup: (centre: Centre, password: string) => transport.call<void>("centre_setup", { centre, password }),
  centreSignIn: (password: string) => transport.call<boolean>("centre_sign_in", { password }),
};
