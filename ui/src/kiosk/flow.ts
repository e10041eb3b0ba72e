// How the kiosk's views hand the next screen from Rust back to the state machine (kiosk-app):
// each view calls its own command and dispatches the KioskScreen it got, never decides it.
import { errorText } from "../shared/backend";
import { lang, t } from "../shared/i18n";
import type { KioskScreen } from "./screen";

export type QuestionScreen = Extract<KioskScreen, { screen: "question" }>;
export type WaitingScreen = Extract<KioskScreen, { screen: "waiting_authorization" }>;

export const SCREEN_EVENT = "kiosk-screen";

export interface ScreenChange {
  screen: KioskScreen;
  /** True only when Rust acknowledged the answer as committed to the journal. */
  saved: boolean;
}

export function emitScreen(from: Element, screen: KioskScreen, saved = false): void {
  from.dispatchEvent(new CustomEvent<ScreenChange>(SCREEN_EVENT, { detail: { screen, saved }, bubbles: true }));
}

/** Waits until every Lit element under `root` has rendered (nested views update after their parent). */
export async function settled(root: Element): Promise<void> {
  let seen = -1;
  for (let pass = 0; pass < 5; pass++) {
    const views = [...root.querySelectorAll("*")].filter((el) => el.localName.includes("-") && "updateComplete" in el);
    const done = await Promise.all(views.map((el) => (el as unknown as { updateComplete: Promise<boolean> }).updateComplete));
    // Rendering may have created new views: stop once a pass finds the same set, all up to date.
    if (views.length === seen && done.every(Boolean)) return;
    seen = views.length;
  }
}

/** A view where a code is typed (the invigilator's session code, or the candidate's access code). */
export interface CodeEntry extends Element {
  error: string;
  busy: boolean;
}

/** What to say when the code is missing, or refused without a message from Rust (i18n keys). */
export interface CodeMessages {
  required: string;
  refused: string;
}

export const INVIGILATOR_CODE: CodeMessages = { required: "kiosk.codeRequired", refused: "kiosk.codeRefused" };
export const ACCESS_CODE: CodeMessages = { required: "kiosk.accessCodeRequired", refused: "kiosk.accessCodeRefused" };

/** A code typed at the kiosk: refused empty without asking Rust; sent, then either the next screen
 * is handed on or Rust's refusal is shown and the field cleared for another try. */
export async function submitCode(view: CodeEntry, input: HTMLInputElement | null, send: (code: string) => Promise<KioskScreen>, messages: CodeMessages): Promise<void> {
  const code = input?.value.trim() ?? "";
  if (!code) {
    view.error = t(messages.required);
    input?.focus();
    return;
  }
  view.busy = true;
  try {
    const next = await send(code);
    view.error = "";
    emitScreen(view, next);
  } catch (err) {
    view.error = errorText(err, lang()) || t(messages.refused);
    if (input) input.value = "";
    input?.focus();
  } finally {
    view.busy = false;
  }
}

/** The invigilator's code at the kiosk (outside a live room): the authorization screen and the alert panel. */
export function submitInvigilatorCode(view: CodeEntry, input: HTMLInputElement | null, send: (code: string) => Promise<KioskScreen>): Promise<void> {
  return submitCode(view, input, send, INVIGILATOR_CODE);
}

/** Whether `next` shows the candidate something else than `current` (another screen, another
 * question, the alert opened or closed): only then does focus move to the new heading. A push that
 * only refreshes the same view (extra time, the clock) leaves focus where the candidate is working. */
export function changesView(current: KioskScreen | null, next: KioskScreen): boolean {
  if (!current || current.screen !== next.screen) return true;
  if (current.screen === "question" && next.screen === "question") {
    return current.question.item_id !== next.question.item_id || current.alert_open !== next.alert_open;
  }
  if (current.screen === "waiting_authorization" && next.screen === "waiting_authorization") {
    return current.access_code_needed !== next.access_code_needed || current.resume !== next.resume;
  }
  return JSON.stringify(current) !== JSON.stringify(next);
}
