//! `certroom session …`: the console's session set-up, headless, for IT staff and tests.

use certroom_core::message::UserMessage;
use certroom_room::session::{Session, SessionDraft};
use certroom_room::store::{ConsoleStore, StoreError};
use std::path::Path;

pub fn open_store(db: &Path) -> Result<ConsoleStore, String> {
    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    ConsoleStore::open(db).map_err(|e| e.to_string())
}

pub fn store_error(e: StoreError) -> String {
    match e {
        StoreError::Session(s) => s.message_fr(),
        other => other.to_string(),
    }
}

pub fn create(db: &Path, draft: SessionDraft, json: bool) -> Result<(), String> {
    let details = draft.validate().map_err(|e| e.message_fr())?;
    let mut store = open_store(db)?;
    let session = store.create_session(&details).map_err(store_error)?;
    print_session(&session, json)
}

pub fn list(db: &Path, json: bool) -> Result<(), String> {
    let store = open_store(db)?;
    let sessions = store.sessions().map_err(store_error)?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&sessions).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    for s in &sessions {
        println!(
            "{:>6}  {}  {}  {} / {}  {} candidat(s)  {}",
            s.number,
            s.details.date.format("%d/%m/%Y"),
            s.details.start_time.format("%H:%M"),
            s.details.site,
            s.details.room,
            s.candidates,
            s.status.as_str()
        );
    }
    Ok(())
}

fn print_session(s: &Session, json: bool) -> Result<(), String> {
    if json {
        println!("{}", serde_json::to_string(s).map_err(|e| e.to_string())?);
    } else {
        println!("session {}", s.number);
        println!("code d'accès candidats : {}", s.access_code);
        println!("mot de passe surveillant : {}", s.invigilator_password);
    }
    Ok(())
}
