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

/** A view the invigilator types the session code into. */
export interface CodeEntry extends Element {
  error: string;
  busy: boolean;
}

/** The invigilator's code at the kiosk: refused empty without asking Rust; sent, then either the
 * next screen is handed on or Rust's refusal is shown and the field cleared for another try.
 * Shared by the authorization screen and the alert panel. */
export async function submitInvigilatorCode(view: CodeEntry, input: HTMLInputElement | null, send: (code: string) => Promise<KioskScreen>): Promise<void> {
  const code = input?.value.trim() ?? "";
  if (!code) {
    view.error = t("kiosk.codeRequired");
    input?.focus();
    return;
  }
  view.busy = true;
  try {
    const next = await send(code);
    view.error = "";
    emitScreen(view, next);
  } catch (err) {
    view.error = errorText(err, lang()) || t("kiosk.codeRefused");
    if (input) input.value = "";
    input?.focus();
  } finally {
    view.busy = false;
  }
}
