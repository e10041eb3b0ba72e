// What the Rust side sends the kiosk: exactly one screen, never the bank nor a solution.
// Generated from `certroom_kiosk::screen` and `certroom_core::Response` (ui/src/generated);
// re-exported here for the kiosk's modules.
export type {
  AnswerAck,
  AttachmentRef,
  AttachmentView,
  FieldView,
  FormSegment,
  KioskScreen,
  QuestionView,
  Response,
  TimeLeft,
} from "../generated";
