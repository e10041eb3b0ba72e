//! A certification session as the console prepares it: where, when, who invigilates, and the two
//! secrets handed out on the day (the candidates' access code, the invigilators' password).

use crate::UserMessage;
use certroom_core::codes;
use certroom_core::rand_core::SeedableRng;
use chrono::{NaiveDate, NaiveTime};
use rand_chacha::ChaCha20Rng;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

/// The lifecycle the console drives; the jury and publication states belong to the central service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Created,
    Finalized,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Finalized => "finalized",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "created" => Some(Self::Created),
            "finalized" => Some(Self::Finalized),
            _ => None,
        }
    }
}

/// What the référent types to create or edit a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SessionDraft {
    pub site: String,
    pub room: String,
    /// `jj/mm/aaaa`.
    pub date: String,
    /// `hh:mm`, local time.
    pub start_time: String,
    pub invigilators: Vec<String>,
    #[serde(default)]
    pub observations: String,
}

/// A validated session's details (without its number, codes and status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionDetails {
    pub site: String,
    pub room: String,
    pub date: NaiveDate,
    pub start_time: NaiveTime,
    pub invigilators: Vec<String>,
    pub observations: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub number: i64,
    pub details: SessionDetails,
    pub access_code: String,
    pub invigilator_password: String,
    pub status: SessionStatus,
    /// Someone joined the room: the session has started and its details are evidence.
    pub joined: bool,
    pub candidates: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("field `{0}` is required")]
    Required(&'static str),
    #[error("date `{0}` is not a real jj/mm/aaaa date")]
    Date(String),
    #[error("time `{0}` is not hh:mm")]
    Time(String),
    #[error("no session {0}")]
    Unknown(i64),
    #[error("session {0} already has candidates who joined")]
    Joined(i64),
    #[error("session {0} has started")]
    Started(i64),
    #[error("session {0} is finalized")]
    Finalized(i64),
    #[error("the system random generator failed")]
    Random,
}

impl UserMessage for SessionError {
    fn code(&self) -> &'static str {
        match self {
            Self::Required(_) => "session.required",
            Self::Date(_) => "session.date",
            Self::Time(_) => "session.time",
            Self::Unknown(_) => "session.unknown",
            Self::Joined(_) => "session.joined",
            Self::Started(_) => "session.started",
            Self::Finalized(_) => "session.finalized",
            Self::Random => "session.random",
        }
    }
    fn message_fr(&self) -> String {
        match self {
            Self::Required(f) => format!("Le champ « {} » est obligatoire.", field_fr(f)),
            Self::Date(v) => {
                format!("La date « {v} » n'est pas une date réelle au format jj/mm/aaaa.")
            }
            Self::Time(v) => format!("L'heure « {v} » doit être au format hh:mm (heure locale)."),
            Self::Unknown(n) => format!("La session n° {n} n'existe pas."),
            Self::Joined(n) => format!(
                "La session n° {n} ne peut plus être supprimée : des candidats l'ont rejointe."
            ),
            Self::Started(n) => format!(
                "La session n° {n} a commencé : ses informations et ses candidats inscrits ne peuvent plus être modifiés (une identité se corrige depuis la salle, incident C1). Vous pouvez encore ajouter des candidats jusqu'à la finalisation."
            ),
            Self::Finalized(n) => {
                format!("La session n° {n} est finalisée : elle ne peut plus être modifiée.")
            }
            Self::Random => "Erreur interne : générateur aléatoire indisponible.".into(),
        }
    }
    fn message_en(&self) -> String {
        match self {
            Self::Required(f) => format!("The field “{f}” is required."),
            Self::Date(v) => format!("“{v}” is not a real date written dd/mm/yyyy."),
            Self::Time(v) => format!("“{v}” must be a local time written hh:mm."),
            Self::Unknown(n) => format!("Session {n} does not exist."),
            Self::Joined(n) => {
                format!("Session {n} can no longer be deleted: candidates have joined it.")
            }
            Self::Started(n) => format!(
                "Session {n} has started: its details and enrolled candidates can no longer be changed (fix an identity from the room, incident C1). Candidates can still be added until finalization."
            ),
            Self::Finalized(n) => format!("Session {n} is finalized: it can no longer be changed."),
            Self::Random => "Internal error: random generator unavailable.".into(),
        }
    }
}

fn field_fr(field: &str) -> &str {
    match field {
        "site" => "Nom du site",
        "room" => "Nom de la salle",
        "date" => "Date",
        "start_time" => "Heure de début",
        "invigilators" => "Surveillant(s)",
        other => other,
    }
}

/// Parses `jj/mm/aaaa` strictly (real calendar dates only).
pub fn parse_french_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let mut parts = t.split('/');
    let (Some(d), Some(m), Some(y), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if d.len() != 2 || m.len() != 2 || y.len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

impl SessionDraft {
    pub fn validate(&self) -> Result<SessionDetails, SessionError> {
        let required = |v: &str, f: &'static str| {
            if v.trim().is_empty() {
                Err(SessionError::Required(f))
            } else {
                Ok(v.trim().to_owned())
            }
        };
        let site = required(&self.site, "site")?;
        let room = required(&self.room, "room")?;
        required(&self.date, "date")?;
        let date = parse_french_date(&self.date)
            .ok_or_else(|| SessionError::Date(self.date.trim().to_owned()))?;
        required(&self.start_time, "start_time")?;
        let start_time = NaiveTime::parse_from_str(self.start_time.trim(), "%H:%M")
            .map_err(|_| SessionError::Time(self.start_time.trim().to_owned()))?;
        let invigilators: Vec<String> = self
            .invigilators
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if invigilators.is_empty() {
            return Err(SessionError::Required("invigilators"));
        }
        Ok(SessionDetails {
            site,
            room,
            date,
            start_time,
            invigilators,
            observations: self.observations.trim().to_owned(),
        })
    }
}

/// Fresh access code and invigilator password from the system's secure generator.
pub fn new_secrets() -> Result<(String, String), SessionError> {
    let mut seed = [0u8; 32];
    SystemRandom::new()
        .fill(&mut seed)
        .map_err(|_| SessionError::Random)?;
    let mut rng = ChaCha20Rng::from_seed(seed);
    Ok((
        codes::access_code(&mut rng),
        codes::invigilator_password(&mut rng),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> SessionDraft {
        SessionDraft {
            site: "Lycée Henri-IV".into(),
            room: "Salle B12".into(),
            date: "12/03/2027".into(),
            start_time: "08:30".into(),
            invigilators: vec!["Mme Durand".into(), " ".into()],
            observations: String::new(),
        }
    }

    #[test]
    fn a_valid_draft_keeps_only_real_invigilators() {
        let d = draft().validate().unwrap();
        assert_eq!(d.invigilators, vec!["Mme Durand"]);
        assert_eq!(d.date, NaiveDate::from_ymd_opt(2027, 3, 12).unwrap());
    }

    #[test]
    fn each_field_is_checked() {
        assert_eq!(
            SessionDraft {
                site: " ".into(),
                ..draft()
            }
            .validate(),
            Err(SessionError::Required("site"))
        );
        assert_eq!(
            SessionDraft {
                date: "31/02/2027".into(),
                ..draft()
            }
            .validate(),
            Err(SessionError::Date("31/02/2027".into()))
        );
        assert_eq!(
            SessionDraft {
                date: "2027-03-12".into(),
                ..draft()
            }
            .validate(),
            Err(SessionError::Date("2027-03-12".into()))
        );
        assert_eq!(
            SessionDraft {
                start_time: "8h30".into(),
                ..draft()
            }
            .validate(),
            Err(SessionError::Time("8h30".into()))
        );
        assert_eq!(
            SessionDraft {
                invigilators: vec![],
                ..draft()
            }
            .validate(),
            Err(SessionError::Required("invigilators"))
        );
    }

    #[test]
    fn secrets_use_the_facts_alphabets() {
        let (code, password) = new_secrets().unwrap();
        assert!(codes::is_access_code(&code), "{code}");
        assert!(codes::is_invigilator_password(&password), "{password}");
        assert_ne!(new_secrets().unwrap(), (code, password));
    }
}

/// The sessions file of the national service: `;`-separated, UTF-8 with a BOM, one session a
/// line under this header (labels compared without case, accents, spaces or the leading `*`).
pub const SESSIONS_CSV_HEADER: [&str; 6] = [
    "* Nom du site",
    "* Nom de la salle",
    "* Date de début (format : jj/mm/aaaa)",
    "* Heure de début (heure locale format : hh:mm)",
    "* Surveillant(s)",
    "Observations (optionnel)",
];

/// One refused line of a sessions file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLineError {
    /// 1-based file line (the header is line 1); 0 for the whole file.
    pub line: u64,
    pub error: SessionError,
}

impl SessionLineError {
    pub fn message_fr(&self) -> String {
        match self.line {
            0 => format!("Fichier : {}", self.error.message_fr()),
            n => format!("Ligne {n} : {}", self.error.message_fr()),
        }
    }
}

fn header_key(label: &str) -> String {
    label
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            other => other,
        })
        .collect()
}

/// Reads a sessions file, all or nothing: every bad line is reported.
pub fn read_sessions_csv(bytes: &[u8]) -> Result<Vec<SessionDetails>, Vec<SessionLineError>> {
    let text =
        String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).into_owned();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let file_error = |what: &'static str| {
        vec![SessionLineError {
            line: 0,
            error: SessionError::Required(what),
        }]
    };
    let header = match records.next() {
        Some(Ok(h)) => h,
        _ => return Err(file_error("header")),
    };
    let expected: Vec<String> = SESSIONS_CSV_HEADER.iter().map(|l| header_key(l)).collect();
    let found: Vec<String> = header.iter().map(header_key).collect();
    if found.len() < 5 || found[..5] != expected[..5] {
        return Err(file_error("header"));
    }
    let mut sessions = Vec::new();
    let mut errors = Vec::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(SessionLineError {
                    line,
                    error: SessionError::Required("line"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |i: usize| record.get(i).unwrap_or("").to_owned();
        let draft = SessionDraft {
            site: cell(0),
            room: cell(1),
            date: cell(2),
            start_time: cell(3),
            invigilators: cell(4).split([',', '/']).map(str::to_owned).collect(),
            observations: cell(5),
        };
        match draft.validate() {
            Ok(d) => sessions.push(d),
            Err(error) => errors.push(SessionLineError { line, error }),
        }
    }
    if errors.is_empty() {
        Ok(sessions)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod sessions_csv_tests {
    use super::*;

    const HEADER: &str = "\u{feff}* Nom du site;* Nom de la salle;* Date de début (format : jj/mm/aaaa);* Heure de début (heure locale format : hh:mm);* Surveillant(s);Observations (optionnel)";

    #[test]
    fn reads_a_sessions_file_with_bom() {
        let file = format!("{HEADER}\nLycée Henri-IV;B12;12/03/2027;08:30;Mme Durand, M. Petit;\nLycée Henri-IV;C3;13/03/2027;14:00;M. Petit;tiers-temps\n");
        let sessions = read_sessions_csv(file.as_bytes()).unwrap();
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions[0].invigilators, vec!["Mme Durand", "M. Petit"]);
        assert_eq!(sessions[1].observations, "tiers-temps");
    }

    #[test]
    fn reports_every_bad_line_and_keeps_nothing() {
        let file = format!("{HEADER}\nA;B12;31/02/2027;08:30;X;\nA;B12;12/03/2027;8h30;X;\nA;B12;12/03/2027;08:30;X;\n");
        let errors = read_sessions_csv(file.as_bytes()).unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert!(errors[0].message_fr().starts_with("Ligne 2 : La date"));
        assert!(read_sessions_csv(b"nom;salle\n").is_err());
    }
}
