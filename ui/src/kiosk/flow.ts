// How the kiosk's views hand the next screen from Rust back to the state machine (kiosk-app):
// each view calls its own command and dispatches the KioskScreen it got, never decides it.
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
