//! The school office's commands: thin adapters over certroom-office (results kept and checked,
//! roster, certificates) and certroom-sync (download). Every one needs the centre's
//! administrator sign-in, checked here in Rust.

use crate::console::Written;
use crate::error::AppError;
use crate::shell::AppState;
use base64::Engine as _;
use certroom_centre::candidate::Birthplace;
use certroom_office::{
    CandidateRef, ImportSummary, KnownBirthplace, Library, PrintOptions, Roster, Settings,
};
use certroom_pdf::CertificateLang;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tauri::{Emitter, State};

/// What the settings screen shows: never the token itself.
#[derive(Serialize, ts_rs::TS)]
#[ts(rename = "OfficeSettings")]
pub struct OfficeSettingsDto {
    uai: String,
    centre_name: String,
    service_url: String,
    has_token: bool,
    service_key: String,
    validity_years: u8,
}

#[derive(Deserialize, ts_rs::TS)]
pub struct OfficeSettingsInput {
    service_url: String,
    /// Empty: keep the recorded token.
    centre_token: String,
    service_key: String,
    validity_years: u8,
}

#[derive(Serialize, ts_rs::TS)]
#[ts(rename = "Fetched")]
pub struct FetchDto {
    summary: ImportSummary,
    /// Set when the service key was not configured and was taken from the service on this
    /// download: the screen asks to compare it with the published one.
    key_taken_from_service: Option<String>,
}

#[derive(Serialize, ts_rs::TS)]
#[ts(rename = "Printed")]
pub struct PrintDto {
    path: String,
    count: usize,
    bytes: usize,
}

#[derive(Clone, Serialize, ts_rs::TS)]
pub struct PrintProgress {
    done: usize,
    total: usize,
}

/// The centre (UAI, name) this office prints for, from the set-up it shares with the console;
/// only for the signed-in administrator.
fn centre(state: &AppState) -> Result<(String, String), AppError> {
    let console = state.console()?;
    if !console.is_signed_in() {
        return Err(certroom_console::ConsoleError::signed_out().into());
    }
    let c = console
        .centre()?
        .ok_or_else(|| AppError::internal("centre", "not set up"))?;
    Ok((c.uai, c.name))
}

fn library(state: &AppState) -> Result<Library, AppError> {
    Ok(Library::open(&state.data.office_dir())?)
}

fn settings_dto((uai, centre_name): (String, String), s: Settings) -> OfficeSettingsDto {
    OfficeSettingsDto {
        uai,
        centre_name,
        service_url: s.service_url,
        has_token: !s.centre_token.is_empty(),
        service_key: s.service_key,
        validity_years: s.validity_years,
    }
}

#[tauri::command]
pub fn office_settings(state: State<'_, AppState>) -> Result<OfficeSettingsDto, AppError> {
    let centre = centre(&state)?;
    Ok(settings_dto(centre, library(&state)?.settings()?))
}

#[tauri::command]
pub fn office_settings_save(
    state: State<'_, AppState>,
    input: OfficeSettingsInput,
) -> Result<OfficeSettingsDto, AppError> {
    let centre = centre(&state)?;
    let lib = library(&state)?;
    let kept = lib.settings()?;
    let saved = lib.save_settings(Settings {
        service_url: input.service_url,
        centre_token: if input.centre_token.trim().is_empty() {
            kept.centre_token
        } else {
            input.centre_token
        },
        service_key: input.service_key,
        validity_years: input.validity_years,
    })?;
    Ok(settings_dto(centre, saved))
}

/// Downloads the centre's signed results and keeps them once checked.
#[tauri::command]
pub async fn office_fetch(state: State<'_, AppState>) -> Result<FetchDto, AppError> {
    let (uai, _) = centre(&state)?;
    let lib = library(&state)?;
    let mut settings = lib.settings()?;
    if settings.service_url.is_empty() || settings.centre_token.is_empty() {
        return Err(AppError::new(
            "office.not_configured",
            "Saisissez l'adresse du service et le jeton du centre dans les réglages.",
            "Enter the service address and the centre token in the settings.",
        ));
    }
    let mut key_taken_from_service = None;
    if settings.service_key.is_empty() {
        settings.service_key = certroom_sync::fetch_server_key(&settings.service_url).await?;
        settings = lib.save_settings(settings)?;
        key_taken_from_service = Some(settings.service_key.clone());
    }
    // Keys the service added or revoked since (docs/certificate-format.md §10), taken only if
    // they follow from the key this office trusts.
    let set = certroom_sync::fetch_key_set(&settings.service_url).await?;
    lib.take_key_set(set)?;
    let bytes =
        certroom_sync::fetch_results(&settings.service_url, &uai, &settings.centre_token).await?;
    let summary = lib.import(&bytes, &uai)?;
    Ok(FetchDto {
        summary,
        key_taken_from_service,
    })
}

/// Imports a results file brought on a USB key (the file's bytes, base64).
#[tauri::command]
pub fn office_import(
    state: State<'_, AppState>,
    content_base64: String,
) -> Result<ImportSummary, AppError> {
    let (uai, _) = centre(&state)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content_base64.as_bytes())
        .map_err(|e| AppError::internal("import", e))?;
    Ok(library(&state)?.import(&bytes, &uai)?)
}

/// The candidates with their certificates; `None` before any results were kept.
#[tauri::command]
pub fn office_roster(state: State<'_, AppState>) -> Result<Option<Roster>, AppError> {
    centre(&state)?;
    Ok(library(&state)?
        .results()?
        .as_ref()
        .map(certroom_office::roster))
}

/// Prints the selection as one PDF in `exports/`, pushing `office://progress` after each page.
#[tauri::command]
pub async fn office_print(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    selection: Vec<CandidateRef>,
    lang: String,
    label: String,
) -> Result<PrintDto, AppError> {
    centre(&state)?;
    let lib = library(&state)?;
    let results = lib
        .results()?
        .ok_or(certroom_office::OfficeError::NoResults)?;
    let options = PrintOptions {
        lang: if lang == "en" {
            CertificateLang::En
        } else {
            CertificateLang::Fr
        },
        validity_years: lib.settings()?.validity_years,
        birthplaces: birthplaces(&state, &selection)?,
    };
    let certs = certroom_office::certificates_for(&results, &selection, &options)?;
    let count = certs.len();
    let bytes = tauri::async_runtime::spawn_blocking(move || {
        let mut last = std::time::Instant::now();
        certroom_office::print(&certs, options.lang, &mut |done, total| {
            // A page takes a few milliseconds: a push per page would flood the webview.
            if done == total || last.elapsed() >= std::time::Duration::from_millis(50) {
                last = std::time::Instant::now();
                let _ = app.emit("office://progress", PrintProgress { done, total });
            }
        })
    })
    .await
    .map_err(|e| AppError::internal("print", e))??;
    let name = certroom_office::print_file_name(&label, chrono::Local::now().naive_local());
    let Written { path } = Written::new(&state.console()?.write_export(&name, &bytes)?);
    Ok(PrintDto {
        path,
        count,
        bytes: bytes.len(),
    })
}

/// Opens a printed PDF in the desktop's viewer, to send it to the printer. Only a PDF this
/// office wrote in its `exports/` folder: the page cannot make the PC open anything else.
#[tauri::command]
pub fn office_open(state: State<'_, AppState>, path: String) -> Result<(), AppError> {
    centre(&state)?;
    let file = own_export(&state, &path)?;
    std::process::Command::new("xdg-open")
        .arg(&file)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| {
            AppError::new(
                "office.no_viewer",
                format!(
                    "Aucune visionneuse PDF n'a pu être lancée ({e}) : ouvrez {} vous-même.",
                    file.display()
                ),
                format!(
                    "No PDF viewer could be started ({e}): open {} yourself.",
                    file.display()
                ),
            )
        })
}

/// A PDF this office wrote in its `exports/` folder, or the refusal the page gets for any other.
fn own_export(state: &AppState, path: &str) -> Result<std::path::PathBuf, AppError> {
    let exports = state.data.path().join("exports");
    certroom_office::exported_pdf(&exports, std::path::Path::new(path)).ok_or_else(|| {
        AppError::new(
            "office.not_an_export",
            "Seuls les PDF imprimés par le secrétariat peuvent être ouverts.",
            "Only PDFs printed by the school office can be opened.",
        )
    })
}

/// Sends a printed PDF to this PC's default printer; returns the print job's id.
#[tauri::command]
pub async fn office_print_paper(
    state: State<'_, AppState>,
    path: String,
) -> Result<String, AppError> {
    centre(&state)?;
    let file = own_export(&state, &path)?;
    Ok(
        tauri::async_runtime::spawn_blocking(move || certroom_office::printer::send("lp", &file))
            .await
            .map_err(|e| AppError::internal("print", e))??,
    )
}

/// « Enregistrer sous… »: a copy of a printed PDF where the secretary chooses, with the
/// desktop's own dialog. `None` when the dialog was cancelled.
#[tauri::command]
pub async fn office_save_as(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    path: String,
) -> Result<Option<String>, AppError> {
    centre(&state)?;
    let file = own_export(&state, &path)?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let save_as = state.save_as.clone();
    let chosen = tauri::async_runtime::spawn_blocking(move || save_as.choose(&app, &name))
        .await
        .map_err(|e| AppError::internal("save as", e))?;
    let Some(target) = chosen else {
        return Ok(None);
    };
    let bytes = std::fs::read(&file).map_err(|e| AppError::internal("save as", e))?;
    certroom_durable::write_atomically(&target, &bytes, certroom_durable::Access::Shared).map_err(
        |e| {
            AppError::new(
                "office.save_failed",
                format!("Impossible d'enregistrer {} : {e}", target.display()),
                format!("Cannot save {}: {e}", target.display()),
            )
        },
    )?;
    Ok(Some(target.display().to_string()))
}

/// Birthplaces of the selected candidates from this PC's own candidate lists, when the office
/// runs where the sessions were set up; elsewhere the certificates print without them.
fn birthplaces(
    state: &AppState,
    selection: &[CandidateRef],
) -> Result<HashMap<(i64, i64), KnownBirthplace>, AppError> {
    let numbers: std::collections::BTreeSet<i64> = selection
        .iter()
        .filter_map(|r| r.session_id.rsplit_once('-')?.1.parse().ok())
        .collect();
    let console = state.console()?;
    {
        let mut out = HashMap::new();
        for number in numbers {
            let Ok(candidates) = console.enrolled(number) else {
                continue;
            };
            for (id, c) in candidates {
                let place = match &c.birthplace {
                    Birthplace::France { town, .. } => town.clone(),
                    Birthplace::Abroad { country, town, .. } => format!("{town} ({country})"),
                };
                out.insert(
                    (number, id),
                    KnownBirthplace {
                        birthdate: c.birthdate.format("%Y-%m-%d").to_string(),
                        birth_name: c.birth_name,
                        first_name: c.first_name,
                        place,
                    },
                );
            }
        }
        Ok(out)
    }
}
