// Commands the webviews may call. Each window's capability file (capabilities/*.json) grants a
// subset: the kiosk gets only what the candidate screens need.
const COMMANDS: &[&str] = &[
    "kiosk_status",
    "kiosk_exit",
    "kiosk_demo_question",
    "kiosk_demo_answer",
    "centre_get",
    "centre_setup",
    "centre_sign_in",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
