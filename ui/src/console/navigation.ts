// How the console's screens ask the app to change screen (the app owns which one is shown).
export const OPEN_SESSION = "console-open-session";
export const BACK_TO_SESSIONS = "console-back";

export interface OpenSession {
  number: number;
}
