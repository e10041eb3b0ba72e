//! The service's settings, from the command line and the environment.

use std::path::{Path, PathBuf};

/// Where the data lives.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// The default: one SQLite file in the data directory.
    Sqlite(PathBuf),
    /// `postgres://…`. `schema`, when set, is created if missing and put first on the search
    /// path (tests and the bench each get their own).
    Postgres { url: String, schema: Option<String> },
}

impl std::fmt::Debug for Database {
    // The URL may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(p) => write!(f, "Sqlite({})", p.display()),
            Database::Postgres { schema, .. } => {
                write!(f, "Postgres {{ url: <redacted>, schema: {schema:?} }}")
            }
        }
    }
}

pub const SQLITE_FILE: &str = "certif.db";

impl Database {
    /// `--database`: a `postgres://` or `postgresql://` URL, a `sqlite:PATH`, or nothing (the
    /// data directory's `certif.db`).
    pub fn from_arg(arg: Option<&str>, data_dir: &Path) -> Database {
        match arg {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Database::Postgres {
                    url: u.to_owned(),
                    schema: None,
                }
            }
            Some(u) => Database::Sqlite(PathBuf::from(u.strip_prefix("sqlite:").unwrap_or(u))),
            None => Database::Sqlite(data_dir.join(SQLITE_FILE)),
        }
    }
}

/// The base URL when none is given: right for a demo on this machine, wrong everywhere else.
pub const DEFAULT_BASE_URL: &str = "http://localhost:8080";

/// Shortest admin token accepted: it is the only thing between the internet and enrolment.
pub const MIN_ADMIN_TOKEN: usize = 16;

/// Default body limit for `POST /v1/bundles`: a 30-candidate session is a few MiB.
pub const DEFAULT_MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;

#[derive(Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    pub database: Database,
    /// Public base URL of the verification site, written in every QR code.
    pub base_url: String,
    /// `None` disables every `/admin` route.
    pub admin_token: Option<String>,
    pub max_bundle_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client (the verification budget).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("data_dir", &self.data_dir)
            .field("database", &self.database)
            .field("base_url", &self.base_url)
            .field("admin_token", &self.admin_token.as_ref().map(|_| "<set>"))
            .field("max_bundle_bytes", &self.max_bundle_bytes)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_argument() {
        let d = Path::new("/data");
        assert_eq!(
            Database::from_arg(None, d),
            Database::Sqlite("/data/certif.db".into())
        );
        assert_eq!(
            Database::from_arg(Some("sqlite:/x.db"), d),
            Database::Sqlite("/x.db".into())
        );
        assert!(matches!(
            Database::from_arg(Some("postgres://u:secret@h/db"), d),
            Database::Postgres { .. }
        ));
        let shown = format!(
            "{:?}",
            Database::from_arg(Some("postgres://u:secret@h/db"), d)
        );
        assert!(!shown.contains("secret"));
    }
}
