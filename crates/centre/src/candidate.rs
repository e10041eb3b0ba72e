//! A candidate as a session knows them: civil-status identity (kept exactly as typed, because it
//! is printed on the certificate), birthplace, and the arrangements the school asked for.

use chrono::NaiveDate;

pub use certroom_core::identity::{match_key, normalise_name};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
pub enum Sex {
    M,
    F,
}

impl Sex {
    pub fn letter(self) -> &'static str {
        match self {
            Self::M => "M",
            Self::F => "F",
        }
    }
}

/// Where the candidate was born, as the national service records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Birthplace {
    /// `insee` is the commune's 5-character INSEE code (`2A004` in Corsica), checked against the
    /// official list; `town` is the spelling the school gave, or the official name when only the
    /// code was given.
    France {
        insee: String,
        postal_code: Option<String>,
        town: String,
    },
    /// `country` is the official French name of the country or territory, `insee` its code in
    /// the Code officiel géographique (`99` + three digits), `town` as the school gave it.
    Abroad {
        country: String,
        #[serde(default)]
        insee: String,
        town: String,
    },
}

impl Birthplace {
    pub fn town(&self) -> &str {
        match self {
            Self::France { town, .. } | Self::Abroad { town, .. } => town,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// Exact spelling (accents, hyphens, apostrophes, particles): it goes on the certificate.
    pub birth_name: String,
    pub first_name: String,
    pub sex: Sex,
    pub birthdate: NaiveDate,
    pub birthplace: Birthplace,
    /// Class (e.g. `3A`) or the school's student number.
    pub local_id: Option<String>,
    /// Extra time (tiers-temps) in percent, 1 to 100.
    pub extra_time_percent: Option<u8>,
    /// The candidate sits the accessible variant of the questions.
    pub adjusted_questions: bool,
    pub convocation_email: Option<String>,
    pub results_email: Option<String>,
}

impl Candidate {
    /// The identity used to spot duplicates and to match a candidate typing their name at the
    /// kiosk: normalised names plus birthdate (the national rule: same names + same birthdate).
    pub fn match_key(&self) -> String {
        match_key(&self.birth_name, &self.first_name, self.birthdate)
    }
}
