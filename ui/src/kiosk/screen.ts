// What the Rust side sends the kiosk: exactly one screen, never the bank nor a solution.
// Mirrors `certroom_kiosk::screen` (crates/kiosk/src/screen.rs); field names are the JSON ones.

export type KioskScreen =
  | { screen: "welcome" }
  | {
      screen: "waiting_authorization";
      resume: boolean;
      candidate: string;
      /** In a live room: the candidate still has to type the session's access code. */
      access_code_needed: boolean;
    }
  | { screen: "question"; question: QuestionView; progress: Progress; time: TimeLeft; alert_open: boolean; focus_lost: boolean }
  | { screen: "ended"; reason: "completed" | "bank_exhausted" | "time_up" | "interrupted" }
  | { screen: "damaged"; message_fr: string; message_en: string };

export interface Progress {
  /** 1-based number of the question on screen. */
  index: number;
  total: number;
  answered: number;
}

export interface TimeLeft {
  /** Seconds left for the whole test (live time only: pauses are not charged). */
  remaining_s: number;
  /** Seconds left on this question's own timer, if it has one. */
  question_remaining_s: number | null;
}

export type QuestionKind = "qcu" | "qcm" | "qroc" | "qrocm";

export interface QuestionView {
  /** Opaque id, sent back with the answer. */
  item_id: string;
  kind: QuestionKind;
  /** Instruction rendered from Markdown by Rust; raw HTML in the source is escaped, so it is safe to insert. */
  instruction_html: string;
  /** QCU / QCM: the proposals (inline HTML, same guarantee), numbered from 1 in the response. */
  proposals: string[];
  /** QROC / QROCM: the text around the fields, in order. */
  form: FormSegment[];
  fields: FieldView[];
  illustration: { src: string; alt: string } | null;
  attachments: AttachmentRef[];
  timer_s: number | null;
}

export type FormSegment = { text_html: string } | { field: string };

export interface FieldView {
  key: string;
  aria_label: string;
  placeholder: string | null;
  /** A drop-down: the candidate picks one of these texts. */
  options: string[] | null;
  numeric: boolean;
}

export interface AttachmentRef {
  id: number;
  name: string;
  media_type: string;
}

/** An attachment opened in the kiosk's own viewer (`kiosk_attachment`). */
export type AttachmentView =
  | { kind: "table"; name: string; rows: string[][] }
  | { kind: "text"; name: string; text: string }
  | { kind: "image"; name: string; src: string };

/** What the kiosk sends for the question on screen. */
export type Response = { choice: number } | { choices: number[] } | { fields: Record<string, string> } | { skip: true };

/** The Rust side's answer to `kiosk_answer`: saved only once the journal committed. */
export interface AnswerAck {
  saved: boolean;
  next: KioskScreen;
}
