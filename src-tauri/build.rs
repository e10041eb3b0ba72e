// Commands the webviews may call. Each window's capability file (capabilities/*.json) grants a
// subset: the kiosk gets only what the candidate screens need.
const COMMANDS: &[&str] = &[
    "kiosk_status",
    "kiosk_ready",
    "kiosk_exit",
    "kiosk_screen",
    "kiosk_join",
    "kiosk_authorize",
    "kiosk_answer",
    "kiosk_attachment",
    "kiosk_report_problem",
    "kiosk_resolve_alert",
    "kiosk_access_code",
    "kiosk_finish",
    "centre_get",
    "centre_setup",
    "centre_sign_in",
    "centre_sign_out",
    "session_list",
    "session_create",
    "session_update",
    "session_delete",
    "session_candidates",
    "candidate_add",
    "candidate_remove",
    "candidate_update",
    "session_import_file",
    "session_import",
    "session_export",
    "session_attendance",
    "room_open",
    "room_view",
    "room_command",
    "room_report",
    "room_bundle",
    "room_send",
    "outbox_list",
    "outbox_refresh",
    "outbox_send_again",
    "office_settings",
    "office_settings_save",
    "office_fetch",
    "office_import",
    "office_roster",
    "office_print",
    "office_open",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
