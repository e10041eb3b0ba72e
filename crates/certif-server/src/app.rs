//! Wiring: the store, the key, the service and the router, from a [`ServerConfig`].

use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::ServerConfig;
use crate::http::{self, AppState};
use crate::service::Service;
use crate::signer::{Signer, SignerError};
use crate::store;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Store(#[from] crate::error::StoreError),
    #[error("{0}")]
    Signer(#[from] SignerError),
    #[error("répertoire de données {path} : {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("jeton d'administration trop court ({MIN} caractères au moins) / admin token too short", MIN = crate::config::MIN_ADMIN_TOKEN)]
    AdminToken,
    #[error("écoute sur {addr} impossible : {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("serveur : {0}")]
    Serve(std::io::Error),
}

pub struct App {
    pub service: Arc<Service>,
    state: AppState,
}

impl App {
    /// Opens the data directory (creating it and the service key on first start), the database
    /// (migrating it) and builds the service.
    pub async fn open(config: &ServerConfig) -> Result<App, AppError> {
        if config
            .admin_token
            .as_ref()
            .is_some_and(|t| t.chars().count() < crate::config::MIN_ADMIN_TOKEN)
        {
            return Err(AppError::AdminToken);
        }
        create_private_dir(&config.data_dir)?;
        let signer = Arc::new(Signer::load_or_create(&config.data_dir, &config.base_url)?);
        let store = store::open(&config.database).await?;
        let service = Arc::new(Service::new(store, signer, config.max_bundle_bytes));
        let mut app = App::from_service(service, config.admin_token.as_deref());
        app.state = app
            .state
            .with_trusted_proxies(config.trusted_proxies.clone());
        Ok(app)
    }

    pub fn from_service(service: Arc<Service>, admin_token: Option<&str>) -> App {
        App {
            state: AppState::new(service.clone(), admin_token),
            service,
        }
    }

    pub fn router(&self) -> axum::Router {
        http::router(self.state.clone())
    }

    /// Binds `addr` and serves until the future is dropped or ctrl-c.
    pub async fn serve(&self, addr: &str) -> Result<(), AppError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| AppError::Bind {
                addr: addr.to_owned(),
                source,
            })?;
        let local: Option<SocketAddr> = listener.local_addr().ok();
        tracing::info!(
            ?local,
            backend = self.service.store.backend(),
            "certif-server listening"
        );
        axum::serve(
            listener,
            self.router()
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop_signal())
        .await
        .map_err(AppError::Serve)?;
        tracing::info!("certif-server stopped");
        Ok(())
    }
}

/// Ctrl-C, or SIGTERM (systemd's stop): requests in flight finish, new ones are refused.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Whether the service may start: the base URL goes into every QR code, so the default one
/// (`http://localhost:8080`) is refused unless the service only listens on loopback (a test, a
/// demo), where nobody outside could follow it anyway.
pub fn base_url_allowed(base_url: &str, bind: &str) -> bool {
    let loopback = bind
        .parse::<SocketAddr>()
        .map(|a| a.ip().is_loopback())
        .unwrap_or_else(|_| bind.starts_with("localhost:"));
    loopback || base_url.trim_end_matches('/') != crate::config::DEFAULT_BASE_URL
}

impl App {}

/// The data directory holds the service key: owner-only on Unix.
fn create_private_dir(path: &std::path::Path) -> Result<(), AppError> {
    let err = |source| AppError::DataDir {
        path: path.display().to_string(),
        source,
    };
    if path.is_dir() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .map_err(err)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(path).map_err(err)
    }
}
