//! The TypeScript types of everything that crosses IPC (command arguments and results, pushed
//! events, errors), written to `ui/src/generated` by `cargo test -p certroom bindings`, so the
//! page cannot drift from the Rust types. `scripts/test-all` fails when the committed folder
//! differs from what this test writes.

use std::any::{type_name, TypeId};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use certroom_centre::centre::CentreDraft;
use certroom_centre::enrolment::CandidateFields;
use certroom_centre::session::SessionDraft;
use certroom_console::{
    CandidateView, CentreView, LabStation, OutboxStatus, RoomInfo, SessionView, StandbyStatus,
};
use certroom_core::Response;
use certroom_kiosk::screen::AttachmentView;
use certroom_kiosk::{AnswerAck, Identity, Lang, Screen};
use certroom_office::{CandidateRef, ImportSummary, Roster};
use certroom_protocol::{ConsoleCommand, ConsoleEvent};
use ts_rs::{Config, TypeVisitor, TS};

use crate::commands::KioskStatus;
use crate::console::{Created, Imported, Written};
use crate::error::AppError;
use crate::office::{FetchDto, OfficeSettingsDto, OfficeSettingsInput, PrintDto, PrintProgress};

/// Every type a file is written for, by file: ts-rs would silently merge two types that share a
/// name into one file, so a second type for the same file fails the test instead.
#[derive(Default)]
struct Files {
    written: BTreeMap<PathBuf, (TypeId, &'static str, String)>,
    cfg: Config,
}

impl TypeVisitor for Files {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Containers (Option, Vec, Box…) have no file: their contents come as generics.
        let Some(path) = T::output_path() else {
            return;
        };
        match self.written.get(&path) {
            Some((id, _, _)) if *id == TypeId::of::<T>() => {}
            Some((_, other, _)) => panic!(
                "{other} and {} would both be written to {}: give one a #[ts(rename)]",
                type_name::<T>(),
                path.display()
            ),
            None => {
                let ident = T::ident(&self.cfg);
                self.written
                    .insert(path, (TypeId::of::<T>(), type_name::<T>(), ident));
                T::visit_dependencies(self);
            }
        }
    }
}

impl Files {
    fn export<T: TS + 'static>(&mut self) {
        T::export_all(&self.cfg).unwrap_or_else(|e| panic!("{}: {e}", type_name::<T>()));
        self.visit::<T>();
    }
}

fn generated_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("src-tauri sits in the workspace")
        .join("ui/src/generated")
}

#[test]
fn bindings() {
    let dir = generated_dir();
    // Written from scratch, so the file of a type that no longer crosses IPC goes too.
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Files {
        // The page's JSON.parse makes every integer a number, so `bigint` would be a lie; the
        // i64/u64 that cross IPC (ids, counters, milliseconds) stay far below 2^53.
        cfg: Config::new().with_large_int("number").with_out_dir(&dir),
        ..Files::default()
    };

    // The kiosk's commands.
    files.export::<KioskStatus>();
    files.export::<Lang>();
    files.export::<Screen>();
    files.export::<Identity>();
    files.export::<Response>();
    files.export::<AnswerAck>();
    files.export::<AttachmentView>();
    // The console's and the centre's commands, and `room://event`.
    files.export::<CentreView>();
    files.export::<CentreDraft>();
    files.export::<SessionView>();
    files.export::<SessionDraft>();
    files.export::<CandidateView>();
    files.export::<CandidateFields>();
    files.export::<Created>();
    files.export::<Imported>();
    files.export::<Written>();
    files.export::<RoomInfo>();
    files.export::<ConsoleCommand>();
    files.export::<ConsoleEvent>();
    files.export::<OutboxStatus>();
    files.export::<LabStation>();
    files.export::<StandbyStatus>();
    // The office's commands, and `office://progress`.
    files.export::<OfficeSettingsDto>();
    files.export::<OfficeSettingsInput>();
    files.export::<FetchDto>();
    files.export::<ImportSummary>();
    files.export::<Roster>();
    files.export::<CandidateRef>();
    files.export::<PrintDto>();
    files.export::<PrintProgress>();
    // What every command rejects with.
    files.export::<AppError>();

    let mut index = String::from(
        "// Written by `cargo test -p certroom bindings` (src-tauri/src/bindings.rs). Do not edit.\n",
    );
    for (path, (_, _, ident)) in &files.written {
        let stem = path.with_extension("");
        index.push_str(&format!(
            "export type {{ {ident} }} from \"./{}\";\n",
            stem.display()
        ));
    }
    std::fs::write(dir.join("index.ts"), index).unwrap();

    let on_disk = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(
        on_disk,
        files.written.len() + 1,
        "a file in {} is not one of the exported types",
        dir.display()
    );
}
