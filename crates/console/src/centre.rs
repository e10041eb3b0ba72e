//! The centre: its first set-up on this PC, and the administrator's sign-in that every other use
//! case of the console and the office needs (checked here, not by the screens).

use certroom_centre::centre::{Centre, CentreDraft};
use certroom_centre::store::StoreError;
use certroom_core::password::PasswordHash;
use serde::Serialize;

use crate::{Console, ConsoleError};

/// The centre as the screens show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CentreView {
    pub uai: String,
    pub name: String,
    pub address: String,
}

impl From<Centre> for CentreView {
    fn from(c: Centre) -> Self {
        Self {
            uai: c.uai.as_str().to_owned(),
            name: c.name,
            address: c.address,
        }
    }
}

impl Console {
    /// The centre, once set up (asked before sign-in: the first launch shows the set-up form).
    pub fn centre(&self) -> Result<Option<CentreView>, ConsoleError> {
        let centre = self
            .store()?
            .centre()
            .map_err(|e| ConsoleError::internal("console db", e))?;
        Ok(centre.map(CentreView::from))
    }

    /// The centre's first launch; whoever just chose the administrator password is signed in.
    pub fn set_up_centre(&self, draft: CentreDraft, password: &str) -> Result<(), ConsoleError> {
        let centre = draft
            .validate(password)
            .map_err(|e| ConsoleError::from_message(&e))?;
        let hash = PasswordHash::new(password, &ring::rand::SystemRandom::new())
            .map_err(|e| ConsoleError::internal("password", e))?;
        let result = self
            .store()?
            .set_up_centre(&centre, &hash)
            .map_err(|e| match e {
                StoreError::CentreExists => ConsoleError::new(
                    "centre.exists",
                    "Le centre est déjà configuré.",
                    "The centre is already set up.",
                ),
                other => ConsoleError::internal("console db", other),
            });
        self.set_signed_in(result.is_ok());
        result
    }

    /// Signs the administrator in; false (and signed out) on a wrong password.
    pub fn sign_in(&self, password: &str) -> Result<bool, ConsoleError> {
        let hash = self
            .store()?
            .admin_password()
            .map_err(|e| ConsoleError::internal("console db", e))?;
        let ok = hash.is_some_and(|h| h.verify(password));
        self.set_signed_in(ok);
        Ok(ok)
    }

    pub fn sign_out(&self) {
        self.set_signed_in(false);
    }
}
