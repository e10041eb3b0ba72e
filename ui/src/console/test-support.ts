// Test helpers for the console (imported by *.test.ts only, never by the app).
import type { CandidateView, SessionDraft, SessionView } from "../shared/backend";
import type { RoomInfo, RoomView, Tile } from "./room";
import { fakeTransport, flush, type Handler } from "../kiosk/test-support";

export { click, flush, polyfillDialog, type } from "../kiosk/test-support";

export const $ = <T extends Element = HTMLElement>(s: string) => document.querySelector<T>(s) as T;
export const $$ = (s: string) => [...document.querySelectorAll<HTMLElement>(s)];

export function session(over: Partial<SessionView> = {}): SessionView {
  return {
    number: 12,
    site: "Collège Jean Moulin",
    room: "Salle info 2",
    date: "14/05/2026",
    start_time: "09:00",
    invigilators: ["M. Durand", "Mme Petit"],
    observations: "",
    access_code: "K7QP-2M",
    invigilator_password: "lune-fer-42",
    status: "created",
    stage: "created",
    candidates: 0,
    ...over,
  };
}

export function candidate(over: Partial<CandidateView> = {}): CandidateView {
  return {
    id: 1,
    birth_name: "MARTIN",
    first_name: "Léa",
    sex: "F",
    birthdate: "03/02/2010",
    birthplace: "Paris 5e (75105)",
    local_id: "3A",
    extra_time_percent: null,
    adjusted_questions: false,
    convocation_email: null,
    results_email: null,
    ...over,
  };
}

/** A console backend over an in-memory store; `over` replaces any command. */
export function fakeConsole(sessions: SessionView[] = [], candidates: Record<number, CandidateView[]> = {}, over: Record<string, Handler> = {}) {
  const store = { sessions: [...sessions], candidates: { ...candidates } };
  let next = 100;
  const fromDraft = (draft: SessionDraft) => draft;
  const handlers: Record<string, Handler> = {
    centre_get: () => ({ uai: "0751234A", name: "Collège Jean Moulin", address: "Paris" }),
    centre_sign_in: () => true,
    centre_sign_out: () => null,
    session_list: () => store.sessions.map((s) => ({ ...s, candidates: (store.candidates[s.number] ?? []).length })),
    session_create: (a) => {
      const s = session({ ...fromDraft(a!.draft as SessionDraft), number: next++ });
      store.sessions.push(s);
      return s;
    },
    session_update: (a) => {
      const i = store.sessions.findIndex((s) => s.number === a!.number);
      store.sessions[i] = { ...store.sessions[i], ...(a!.draft as SessionDraft) };
      return store.sessions[i];
    },
    session_delete: (a) => {
      store.sessions = store.sessions.filter((s) => s.number !== a!.number);
      return null;
    },
    session_candidates: (a) => store.candidates[a!.number as number] ?? [],
    room_view: () => null,
    lab_stations: () => [],
    ...over,
  };
  const { calls, emit, listening } = fakeTransport(handlers);
  return { calls, store, emit, listening };
}

export async function mountConsole(): Promise<HTMLElement> {
  await import("./console-app");
  document.body.replaceChildren(document.createElement("console-app"));
  await flush();
  return document.body.querySelector("console-app") as HTMLElement;
}

/** Mounts the console and signs in: the sessions screen. */
export async function signedIn(): Promise<HTMLElement> {
  const app = await mountConsole();
  const form = document.querySelector<HTMLFormElement>("form")!;
  form.requestSubmit();
  await flush();
  return app;
}

/** Settles until `check` holds (FileReader and chunked encoding take a few macrotasks). */
export async function until(check: () => boolean, tries = 50): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await flush();
  }
  throw new Error("condition never met");
}

export function chooseFile(input: HTMLInputElement, file: File): void {
  Object.defineProperty(input, "files", { value: [file], configurable: true });
  input.dispatchEvent(new Event("change", { bubbles: true }));
}

export function tile(over: Partial<Tile> = {}): Tile {
  return {
    candidate: 1,
    first_name: "Léa",
    birth_name: "MARTIN",
    local_id: "3A",
    status: "in_test",
    needs_action: false,
    station: "s1",
    present: true,
    resume: false,
    question: 7,
    total: 32,
    answered: 6,
    time_left_s: 3600,
    alert_item: null,
    focus_losses: 0,
    extra_minutes: 0,
    ended_reason: null,
    abort_reason: null,
    incidents: [],
    test_id: "T1",
    synced_seq: 12,
    ...over,
  };
}

export function roomView(over: Partial<RoomView> = {}): RoomView {
  return { session: 12, paused: false, finalized: null, comment: "", tiles: [], pairings: [], pairing_until: null, stations: [["s1", "PC-01"], ["s2", "PC-02"]], bank: null, banks: [], readiness: [], speech: [], ...over };
}

export function roomInfo(view: RoomView = roomView()): RoomInfo {
  return { address: "192.168.1.10:7443", host_name: "salle12-console", fingerprint: "ab12 cd34 ef56 7890", view };
}
