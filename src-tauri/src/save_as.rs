//! Where « Enregistrer sous… » puts a file, and which folder the console keeps its standby
//! copy in: the desktop's own dialogs, or, for the end-to-end suite (a native dialog cannot be
//! driven through WebDriver), the folder named by `CERTROOM_SAVE_AS_DIR`, as if the secretary
//! or the invigilator had chosen it.

use std::path::PathBuf;
use std::sync::Arc;

use tauri_plugin_dialog::DialogExt;

pub trait SaveAs: Send + Sync {
    /// The path chosen for a file suggested as `name`, or `None` if the choice was cancelled.
    fn choose(&self, app: &tauri::AppHandle, name: &str) -> Option<PathBuf>;
    /// A folder chosen under `title`, or `None` if the choice was cancelled.
    fn choose_folder(&self, app: &tauri::AppHandle, title: &str) -> Option<PathBuf>;
}

/// GTK's file chooser, through tauri-plugin-dialog.
struct NativeDialog;

impl SaveAs for NativeDialog {
    fn choose(&self, app: &tauri::AppHandle, name: &str) -> Option<PathBuf> {
        app.dialog()
            .file()
            .set_title("Enregistrer sous…")
            .set_file_name(name)
            .add_filter("PDF", &["pdf"])
            .blocking_save_file()
            .and_then(|p| p.into_path().ok())
    }

    fn choose_folder(&self, app: &tauri::AppHandle, title: &str) -> Option<PathBuf> {
        app.dialog()
            .file()
            .set_title(title)
            .blocking_pick_folder()
            .and_then(|p| p.into_path().ok())
    }
}

/// The end-to-end suite's choice: always this folder, under the suggested name.
struct Folder(PathBuf);

impl SaveAs for Folder {
    fn choose(&self, _app: &tauri::AppHandle, name: &str) -> Option<PathBuf> {
        Some(self.0.join(name))
    }

    fn choose_folder(&self, _app: &tauri::AppHandle, _title: &str) -> Option<PathBuf> {
        Some(self.0.clone())
    }
}

/// The dialog this run uses.
pub fn from_env() -> Arc<dyn SaveAs> {
    match std::env::var_os("CERTROOM_SAVE_AS_DIR") {
        Some(dir) if !dir.is_empty() => Arc::new(Folder(PathBuf::from(dir))),
        _ => Arc::new(NativeDialog),
    }
}
