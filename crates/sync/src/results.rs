//! The office's side of the service: downloading the centre's signed results file (and the
//! console's declaration of its lab's PCs, over the same client). The file is
//! checked by `certroom_certificate::results::read` against the service key the office already
//! trusts, so a hostile network can withhold results but not forge them.

use std::time::Duration;

use certroom_core::message::UserMessage;
use http_body_util::{BodyExt, Limited};

use crate::upload::{client, SyncError};

/// A results file is a few MiB; the reader refuses more than this anyway.
const MAX_BODY: usize = certroom_certificate::results::MAX_FILE_BYTES;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("service unreachable: {0}")]
    Unreachable(String),
    #[error("centre token refused (HTTP {0})")]
    Unauthorized(u16),
    #[error("the service answered HTTP {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("unreadable answer: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Client(#[from] SyncError),
}

impl UserMessage for FetchError {
    fn code(&self) -> &'static str {
        match self {
            Self::Unreachable(_) => "fetch.unreachable",
            Self::Unauthorized(_) => "fetch.unauthorized",
            Self::Refused { .. } => "fetch.refused",
            Self::Unreadable(_) => "fetch.unreadable",
            Self::Client(_) => "fetch.client",
        }
    }

    fn message_fr(&self) -> String {
        match self {
            Self::Unreachable(why) => format!(
                "Le service de certification est injoignable ({why}) : vérifiez l'adresse et la \
                 connexion, ou importez le fichier de résultats."
            ),
            Self::Unauthorized(code) => format!(
                "Le service a refusé le jeton du centre (HTTP {code}) : vérifiez le jeton dans \
                 les réglages."
            ),
            Self::Refused { status, body } => {
                format!("Le service a répondu HTTP {status} : {body}")
            }
            Self::Unreadable(why) => format!("Réponse illisible du service ({why})."),
            Self::Client(e) => format!("Client HTTP indisponible ({e})."),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::Unreachable(why) => format!(
                "The certification service is unreachable ({why}): check the address and the \
                 connection, or import the results file."
            ),
            Self::Unauthorized(code) => format!(
                "The service refused the centre token (HTTP {code}): check the token in the \
                 settings."
            ),
            Self::Refused { status, body } => {
                format!("The service answered HTTP {status}: {body}")
            }
            Self::Unreadable(why) => format!("Unreadable answer from the service ({why})."),
            Self::Client(e) => format!("HTTP client unavailable ({e})."),
        }
    }
}

/// `GET {base}/v1/centres/{uai}/results.signed` with the centre's token: the signed file, as
/// received (not yet checked).
pub async fn fetch_results(base: &str, uai: &str, token: &str) -> Result<Vec<u8>, FetchError> {
    let url = format!(
        "{}/v1/centres/{}/results.signed",
        base.trim_end_matches('/'),
        uai.trim()
    );
    get(&url, Some(token)).await
}

/// `GET {base}/v1/server-key`: the service's public key (hex), for an office that was not given
/// it with the software. Whoever answers could lie: the caller shows the key so that it is
/// compared with the one the academy published.
pub async fn fetch_server_key(base: &str) -> Result<String, FetchError> {
    #[derive(serde::Deserialize)]
    struct ServerKey {
        public_key: String,
    }
    let url = format!("{}/v1/server-key", base.trim_end_matches('/'));
    let body = get(&url, None).await?;
    serde_json::from_slice::<ServerKey>(&body)
        .map(|k| k.public_key)
        .map_err(|e| FetchError::Unreadable(e.to_string()))
}

/// `GET {base}/v1/keys`: the service's key set, as received (the caller checks it against the
/// keys it trusts, `ServiceKeys::accept`).
pub async fn fetch_key_set(base: &str) -> Result<certroom_certificate::KeySet, FetchError> {
    let url = format!("{}/v1/keys", base.trim_end_matches('/'));
    let body = get(&url, None).await?;
    serde_json::from_slice(&body).map_err(|e| FetchError::Unreadable(e.to_string()))
}

/// `POST {base}/v1/stations`: the lab's PCs, declared with the console's signature
/// (certroom_protocol::stations). The service keeps when it first saw each.
pub async fn declare_stations(base: &str, signed: Vec<u8>) -> Result<(), FetchError> {
    let url = format!("{}/v1/stations", base.trim_end_matches('/'));
    let request = hyper::Request::post(&url)
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(signed)))
        .map_err(|e| FetchError::Unreachable(e.to_string()))?;
    exchange(request).await.map(drop)
}

async fn get(url: &str, bearer: Option<&str>) -> Result<Vec<u8>, FetchError> {
    let mut request = hyper::Request::get(url);
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .map_err(|e| FetchError::Unreachable(e.to_string()))?;
    exchange(request).await
}

/// One request, its body bounded and the whole exchange timed out; 2xx gives the body.
async fn exchange(
    request: hyper::Request<http_body_util::Full<bytes::Bytes>>,
) -> Result<Vec<u8>, FetchError> {
    let client = client()?;
    let answer = tokio::time::timeout(Duration::from_secs(60), async {
        let resp = client
            .request(request)
            .await
            .map_err(|e| FetchError::Unreachable(e.to_string()))?;
        let status = resp.status();
        let body = Limited::new(resp.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| FetchError::Unreadable(e.to_string()))?
            .to_bytes();
        Ok::<_, FetchError>((status, body))
    })
    .await
    .map_err(|_| FetchError::Unreachable("timeout".into()))??;
    let (status, body) = answer;
    match status.as_u16() {
        200..=299 => Ok(body.to_vec()),
        code @ (401 | 403) => Err(FetchError::Unauthorized(code)),
        code => Err(FetchError::Refused {
            status: code,
            body: String::from_utf8_lossy(&body).chars().take(300).collect(),
        }),
    }
}
