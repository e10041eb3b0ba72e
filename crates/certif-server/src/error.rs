//! Errors a caller can act on: a stable code, a coarse reason a program can branch on, and a
//! sentence in French then English. Every refusal of a bundle is one of these, never a bare
//! status code.

use certroom_bundle::BundleFault;
use certroom_core::message::UserMessage;

/// Why a bundle was refused. The `reason()` groups the precise codes into what an operator
/// does next (resend, re-register the console, upload the bank, call the centre...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("{0}")]
    Bundle(BundleFault),
    #[error("unknown centre {uai}")]
    UnknownCentre { uai: String },
    #[error("unknown console {key}")]
    UnknownConsole { key: String },
    #[error("revoked console {key}")]
    RevokedConsole { key: String, revoked_at: String },
    #[error("console {key} belongs to {registered}, bundle names {named}")]
    ConsoleOfAnotherCentre {
        key: String,
        registered: String,
        named: String,
    },
    #[error("unknown bank {hash}")]
    UnknownBank { hash: String },
    #[error("unsupported engine {version}")]
    UnsupportedEngine { version: String },
    #[error("bundle id {bundle_id} already received with other contents")]
    BundleIdConflict { bundle_id: String },
    #[error("bundle too large")]
    TooLarge { max: u64 },
}

impl Rejection {
    /// The coarse reason: `malformed`, `bad_signature`, `tampered`, `untrusted_station`,
    /// `inconsistent`, `unknown_centre`, `unknown_console`, `revoked_console`, `unknown_bank`,
    /// `unsupported_engine`, `conflict`, `too_large`.
    pub fn reason(&self) -> &'static str {
        use BundleFault as F;
        match self {
            Self::Bundle(f) => match f {
                F::BadSignature => "bad_signature",
                F::UntrustedConsole { .. } => "unknown_console",
                F::JournalHash { .. }
                | F::Chain { .. }
                | F::HeaderMismatch { .. }
                | F::IdentityMismatch { .. }
                | F::HeadInvalid { .. }
                | F::HeadMismatch { .. }
                | F::ConsoleKeyMismatch => "tampered",
                F::HeadUntrusted { .. } => "untrusted_station",
                F::OutcomeMismatch { .. }
                | F::AbortReasonMissing { .. }
                | F::DuplicateCandidate { .. }
                | F::DuplicateTest { .. }
                | F::OrphanJournal { .. }
                | F::MissingJournal { .. }
                | F::JournalOrder { .. } => "inconsistent",
                F::TooLarge { .. } => "too_large",
                F::Io { .. }
                | F::NotABundle
                | F::UnsupportedVersion { .. }
                | F::Truncated { .. }
                | F::TrailingBytes { .. }
                | F::Framing { .. }
                | F::DuplicateSection { .. }
                | F::JournalSection { .. }
                | F::ManifestUnreadable { .. }
                | F::ManifestVersion { .. }
                | F::ManifestInvalid { .. } => "malformed",
            },
            Self::UnknownCentre { .. } => "unknown_centre",
            Self::UnknownConsole { .. } => "unknown_console",
            Self::RevokedConsole { .. } => "revoked_console",
            Self::ConsoleOfAnotherCentre { .. } => "unknown_console",
            Self::UnknownBank { .. } => "unknown_bank",
            Self::UnsupportedEngine { .. } => "unsupported_engine",
            Self::BundleIdConflict { .. } => "conflict",
            Self::TooLarge { .. } => "too_large",
        }
    }

    /// HTTP status for the refusal.
    pub fn http_status(&self) -> u16 {
        match self.reason() {
            "unknown_console" | "revoked_console" | "unknown_centre" => 403,
            "conflict" => 409,
            "too_large" => 413,
            _ => 422,
        }
    }
}

impl UserMessage for Rejection {
    fn code(&self) -> &str {
        match self {
            Self::Bundle(f) => f.code(),
            Self::UnknownCentre { .. } => "ingest.unknown_centre",
            Self::UnknownConsole { .. } => "ingest.unknown_console",
            Self::RevokedConsole { .. } => "ingest.revoked_console",
            Self::ConsoleOfAnotherCentre { .. } => "ingest.console_of_another_centre",
            Self::UnknownBank { .. } => "ingest.unknown_bank",
            Self::UnsupportedEngine { .. } => "ingest.unsupported_engine",
            Self::BundleIdConflict { .. } => "ingest.bundle_id_conflict",
            Self::TooLarge { .. } => "ingest.too_large",
        }
    }

    fn message_fr(&self) -> String {
        match self {
            Self::Bundle(f) => f.message_fr(),
            Self::UnknownCentre { uai } => format!("Le centre {uai} n'est pas inscrit auprès du service de certification."),
            Self::UnknownConsole { key } => format!("Lot signé par une console non enregistrée (clé {key}) : faites enregistrer la clé de la console par l'administrateur."),
            Self::RevokedConsole { key, revoked_at } => format!("La clé de console {key} a été révoquée le {revoked_at} : ce lot ne peut pas être accepté."),
            Self::ConsoleOfAnotherCentre { key, registered, named } => format!("La console {key} est enregistrée pour le centre {registered}, pas pour {named}."),
            Self::UnknownBank { hash } => format!("Banque de questions inconnue ({hash}) : l'administrateur doit d'abord la déposer, puis renvoyez le lot."),
            Self::UnsupportedEngine { version } => format!("Version du moteur « {version} » inconnue de ce serveur : le lot ne peut pas être rejoué."),
            Self::BundleIdConflict { bundle_id } => format!("Un lot portant l'identifiant {bundle_id} a déjà été reçu avec un autre contenu."),
            Self::TooLarge { max } => format!("Lot trop volumineux (maximum {max} octets)."),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::Bundle(f) => f.message_en(),
            Self::UnknownCentre { uai } => format!("Centre {uai} is not enrolled with the certification service."),
            Self::UnknownConsole { key } => format!("Bundle signed by an unregistered console (key {key}): have the administrator register the console key."),
            Self::RevokedConsole { key, revoked_at } => format!("Console key {key} was revoked at {revoked_at}: this bundle cannot be accepted."),
            Self::ConsoleOfAnotherCentre { key, registered, named } => format!("Console {key} is registered for centre {registered}, not {named}."),
            Self::UnknownBank { hash } => format!("Unknown question bank ({hash}): the administrator must upload it first, then resend the bundle."),
            Self::UnsupportedEngine { version } => format!("Engine version \"{version}\" is unknown to this server: the bundle cannot be replayed."),
            Self::BundleIdConflict { bundle_id } => format!("A bundle with id {bundle_id} was already received with other contents."),
            Self::TooLarge { max } => format!("Bundle too large (at most {max} bytes)."),
        }
    }
}

/// A storage failure. Constraint violations the service expects are mapped to their own
/// variants by the backends; anything else is `Backend`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("invalid state: {0}")]
    State(String),
    #[error("stored data unreadable: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Backend(String),
    #[error("migrations: {0}")]
    Migration(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::Backend(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// An error as the API reports it: HTTP status, stable code, coarse reason (for ingest), and
/// both sentences. The CLI prints the same fields.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub message_fr: String,
    pub message_en: String,
}

impl ApiError {
    pub fn new(status: u16, code: &str, fr: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_owned(),
            reason: None,
            message_fr: fr.into(),
            message_en: en.into(),
        }
    }

    pub fn bad_request(code: &str, fr: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(400, code, fr, en)
    }

    pub fn not_found(code: &str, fr: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(404, code, fr, en)
    }

    pub fn conflict(code: &str, fr: impl Into<String>, en: impl Into<String>) -> Self {
        Self::new(409, code, fr, en)
    }

    /// Details stay in the log: a storage error message can name tables and values.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(
            500,
            "internal",
            "Erreur interne du service de certification ; réessayez plus tard.",
            "Internal error of the certification service; try again later.",
        )
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        ApiError {
            status: r.http_status(),
            code: r.code().to_owned(),
            reason: Some(r.reason().to_owned()),
            message_fr: r.message_fr(),
            message_en: r.message_en(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] {} / {}",
            self.code, self.message_fr, self.message_en
        )
    }
}

impl std::error::Error for ApiError {}
