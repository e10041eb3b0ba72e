//! The office's settings, one JSON file next to its results. The centre token is a secret (it
//! reads every result of the centre): the file is written owner-only.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::OfficeError;

/// The longest validity the office may print; the rule today is "without limit" (0).
pub const MAX_VALIDITY_YEARS: u8 = 10;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The certification service, e.g. `https://certification.example.fr`; empty for an office
    /// that only imports results files.
    pub service_url: String,
    /// The token the service gave the centre at enrolment.
    pub centre_token: String,
    /// The service's Ed25519 public key (64 hex digits): results and certificates are checked
    /// against it, never against a key that comes with them.
    pub service_key: String,
    /// Years a certificate is valid from its date of issue; 0 = without time limit (the current
    /// rule, facts §7; it was 3 years).
    pub validity_years: u8,
}

impl Settings {
    pub fn load(path: &Path) -> Result<Self, OfficeError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| OfficeError::Setting {
                field: "office.json",
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(OfficeError::io(path, e)),
        }
    }

    /// Checks and normalises the fields (trimmed, key in lower case), then writes the file
    /// atomically with mode 0600.
    pub fn save(mut self, path: &Path) -> Result<Self, OfficeError> {
        self.service_url = self.service_url.trim().trim_end_matches('/').to_owned();
        self.centre_token = self.centre_token.trim().to_owned();
        self.service_key = self
            .service_key
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if !self.service_url.is_empty() {
            self.service_url =
                certroom_core::service_url::checked(&self.service_url).map_err(|reason| {
                    OfficeError::Setting {
                        field: "service_url",
                        reason,
                    }
                })?;
        }
        if !self.service_key.is_empty() && self.key().is_none() {
            return Err(OfficeError::Setting {
                field: "service_key",
                reason: "64 hex digits expected / 64 caractères hexadécimaux attendus".into(),
            });
        }
        if self.validity_years > MAX_VALIDITY_YEARS {
            return Err(OfficeError::Setting {
                field: "validity_years",
                reason: format!("0–{MAX_VALIDITY_YEARS}"),
            });
        }
        let json = serde_json::to_vec_pretty(&self).map_err(|e| OfficeError::Setting {
            field: "office.json",
            reason: e.to_string(),
        })?;
        certroom_durable::write_atomically(path, &json, certroom_durable::Access::Private)
            .map_err(|e| OfficeError::io(path, e))?;
        Ok(self)
    }

    /// The service key, when one is recorded and well formed.
    pub fn key(&self) -> Option<[u8; 32]> {
        hex::decode(&self.service_key)
            .ok()
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_settings_are_normalised_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("office.json");
        assert_eq!(Settings::load(&path).unwrap(), Settings::default());
        let saved = Settings {
            service_url: " https://certif.example.fr/ ".into(),
            centre_token: " secret ".into(),
            service_key: "AB".repeat(16) + &" cd".repeat(16),
            validity_years: 3,
        }
        .save(&path)
        .unwrap();
        assert_eq!(saved.service_url, "https://certif.example.fr");
        assert_eq!(saved.centre_token, "secret");
        assert_eq!(saved.key().unwrap()[0], 0xab);
        assert_eq!(Settings::load(&path).unwrap(), saved);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn bad_settings_are_named_and_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("office.json");
        for (bad, field) in [
            (
                Settings {
                    service_key: "12".into(),
                    ..Settings::default()
                },
                "service_key",
            ),
            (
                Settings {
                    service_url: "ftp://x".into(),
                    ..Settings::default()
                },
                "service_url",
            ),
            (
                // The centre token would travel in clear.
                Settings {
                    service_url: "http://certif.example.fr".into(),
                    ..Settings::default()
                },
                "service_url",
            ),
            (
                Settings {
                    validity_years: 50,
                    ..Settings::default()
                },
                "validity_years",
            ),
        ] {
            match bad.save(&path) {
                Err(OfficeError::Setting { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        assert!(!path.exists());
    }
}
