//! The certification centre: the school as the national service knows it, identified by its UAI.

use crate::UserMessage;
use serde::{Deserialize, Serialize};

/// Letters of the UAI check key: the alphabet without I, O and Q, indexed by the number mod 23.
const UAI_KEY_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

/// A validated UAI (unité administrative immatriculée): 7 digits and a check letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uai(String);

impl Uai {
    pub fn parse(text: &str) -> Result<Self, CentreError> {
        let upper = text.trim().to_ascii_uppercase();
        let bytes = upper.as_bytes();
        let shaped = bytes.len() == 8
            && bytes[..7].iter().all(u8::is_ascii_digit)
            && bytes[7].is_ascii_uppercase();
        if !shaped {
            return Err(CentreError::UaiShape(text.trim().to_owned()));
        }
        let number: u32 = upper[..7]
            .parse()
            .map_err(|_| CentreError::UaiShape(upper.clone()))?;
        let expected = UAI_KEY_LETTERS[(number % 23) as usize];
        if bytes[7] != expected {
            return Err(CentreError::UaiKey(upper));
        }
        Ok(Self(upper))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Uai {
    type Error = CentreError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Uai> for String {
    fn from(value: Uai) -> Self {
        value.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Centre {
    pub uai: Uai,
    pub name: String,
    pub address: String,
}

/// What the set-up screen sends before validation.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
pub struct CentreDraft {
    pub uai: String,
    pub name: String,
    pub address: String,
}

pub const MIN_ADMIN_PASSWORD_LEN: usize = 10;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CentreError {
    #[error("UAI code `{0}` is not 7 digits and a letter")]
    UaiShape(String),
    #[error("UAI code `{0}` has a wrong check letter")]
    UaiKey(String),
    #[error("field `{0}` is required")]
    Required(&'static str),
    #[error("administrator password too short")]
    PasswordWeak,
}

impl UserMessage for CentreError {
    fn code(&self) -> &'static str {
        match self {
            Self::UaiShape(_) => "centre.uai_shape",
            Self::UaiKey(_) => "centre.uai_key",
            Self::Required(_) => "centre.required",
            Self::PasswordWeak => "centre.password_weak",
        }
    }
    fn message_fr(&self) -> String {
        match self {
            Self::UaiShape(v) => format!("Le code UAI « {v} » doit comporter 7 chiffres suivis d'une lettre (par exemple 0750654D)."),
            Self::UaiKey(v) => format!("La lettre de contrôle du code UAI « {v} » est incorrecte."),
            Self::Required(f) => format!("Le champ « {} » est obligatoire.", field_fr(f)),
            Self::PasswordWeak => format!("Le mot de passe administrateur doit comporter au moins {MIN_ADMIN_PASSWORD_LEN} caractères."),
        }
    }
    fn message_en(&self) -> String {
        match self {
            Self::UaiShape(v) => format!("The UAI code “{v}” must be 7 digits followed by a letter (for example 0750654D)."),
            Self::UaiKey(v) => format!("The check letter of UAI code “{v}” is wrong."),
            Self::Required(f) => format!("The field “{f}” is required."),
            Self::PasswordWeak => format!("The administrator password must be at least {MIN_ADMIN_PASSWORD_LEN} characters long."),
        }
    }
}

fn field_fr(field: &str) -> &str {
    match field {
        "name" => "Nom du centre",
        "address" => "Adresse",
        _ => field,
    }
}

impl CentreDraft {
    /// Validates the whole draft; the first problem found is reported, in field order.
    pub fn validate(self, admin_password: &str) -> Result<Centre, CentreError> {
        let uai = Uai::parse(&self.uai)?;
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            return Err(CentreError::Required("name"));
        }
        let address = self.address.trim().to_owned();
        if address.is_empty() {
            return Err(CentreError::Required("address"));
        }
        if admin_password.chars().count() < MIN_ADMIN_PASSWORD_LEN {
            return Err(CentreError::PasswordWeak);
        }
        Ok(Centre { uai, name, address })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_uai_codes_with_their_check_letter() {
        for code in ["0750654D", "0130040Y", "0750654d", " 0750654D "] {
            assert_eq!(
                Uai::parse(code).unwrap().as_str(),
                code.trim().to_ascii_uppercase()
            );
        }
    }

    #[test]
    fn refuses_wrong_shape_or_key() {
        assert_eq!(
            Uai::parse("0750654E"),
            Err(CentreError::UaiKey("0750654E".into()))
        );
        for bad in ["", "075065D", "07506540", "A750654D", "0750654DD"] {
            assert!(
                matches!(Uai::parse(bad), Err(CentreError::UaiShape(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn draft_validation_names_the_field() {
        let draft = |name: &str| CentreDraft {
            uai: "0750654D".into(),
            name: name.into(),
            address: "1 rue de l'École".into(),
        };
        assert_eq!(
            draft(" ").validate("long enough pw").unwrap_err(),
            CentreError::Required("name")
        );
        assert_eq!(
            draft("Lycée Henri-IV").validate("short").unwrap_err(),
            CentreError::PasswordWeak
        );
        assert_eq!(
            draft("Lycée Henri-IV")
                .validate("long enough pw")
                .unwrap()
                .name,
            "Lycée Henri-IV"
        );
        assert!(CentreError::Required("name")
            .message_fr()
            .contains("Nom du centre"));
    }
}
