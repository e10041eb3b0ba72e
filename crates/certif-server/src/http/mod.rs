//! The HTTP API (axum). Every route is registered through [`Routes::add`], which also records it,
//! so `route_table()` is the router's own list and the OpenAPI test can check that every route
//! is described.

pub mod budget;
pub mod jury;
pub mod upload;
pub mod verify_page;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use base64::Engine;
use certroom_core::codes::is_verification_code;

use crate::banks::GivenKey;
use crate::config::DEFAULT_MAX_BUNDLE_BYTES;
use crate::dto::{
    AddBank, CentreEnrolled, CentreResults, ConsoleDto, EnrolCentre, RegisterConsole, ServerKey,
    Verification,
};
use crate::error::ApiError;
use crate::service::{uai_ok, Service};

#[derive(Clone)]
pub struct AppState {
    pub service: Arc<Service>,
    /// SHA-256 of the admin token; `None` disables `/admin`.
    admin_token_sha256: Option<[u8; 32]>,
    /// Jury members signed in to the pages.
    sign_ins: Arc<jury::signin::SignIns>,
    /// Verifications left to each client.
    budget: Arc<budget::Budget>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    trusted_proxies: Arc<Vec<std::net::IpAddr>>,
    uploads: Arc<upload::Uploads>,
}

impl AppState {
    pub fn new(service: Arc<Service>, admin_token: Option<&str>) -> Self {
        AppState {
            service,
            admin_token_sha256: admin_token.map(sha256),
            sign_ins: Arc::default(),
            budget: Arc::default(),
            trusted_proxies: Arc::default(),
            uploads: Arc::default(),
        }
    }

    pub fn with_trusted_proxies(mut self, proxies: Vec<std::net::IpAddr>) -> Self {
        self.trusted_proxies = Arc::new(proxies);
        self
    }
}

fn sha256(s: &str) -> [u8; 32] {
    certroom_core::Hash::of(&[s.as_bytes()]).0
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self)).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The router under construction and the list of what it serves.
pub struct Routes {
    router: Router<AppState>,
    table: Vec<(Method, &'static str)>,
}

impl Routes {
    fn add(mut self, method: Method, path: &'static str, handler: MethodRouter<AppState>) -> Self {
        self.table.push((method, path));
        self.router = self.router.route(path, handler);
        self
    }
}

fn build(max_bundle_bytes: usize) -> Routes {
    let routes = Routes {
        router: Router::new(),
        table: Vec::new(),
    };
    routes
        .add(Method::GET, "/health", get(health))
        .add(Method::GET, "/healthz", get(healthz))
        .add(Method::GET, "/openapi.json", get(openapi))
        .add(Method::GET, "/v1/server-key", get(server_key))
        .add(Method::GET, "/v1/keys", get(key_set))
        .add(Method::POST, "/v1/bundles", post(post_bundle))
        .add(
            Method::GET,
            "/v1/bundles/{bundle_id}/status",
            get(bundle_status),
        )
        .add(
            Method::GET,
            "/v1/centres/{uai}/results",
            get(centre_results),
        )
        .add(
            Method::GET,
            "/v1/centres/{uai}/results.signed",
            get(centre_results_signed),
        )
        .add(
            Method::POST,
            "/v1/stations",
            post(post_stations).layer(DefaultBodyLimit::max(STATIONS_MAX_BYTES)),
        )
        .add(
            Method::GET,
            "/v1/centres/{uai}/stations",
            get(centre_stations),
        )
        .add(Method::GET, "/verify/{code}", get(verify))
        .add(Method::GET, "/v/{code}", get(verify))
        .add(Method::POST, "/admin/centres", post(enrol_centre))
        .add(
            Method::POST,
            "/admin/centres/{uai}/consoles",
            post(register_console),
        )
        .add(
            Method::POST,
            "/admin/centres/{uai}/consoles/{key}/revoke",
            post(revoke_console),
        )
        .add(
            Method::POST,
            "/admin/banks",
            // Base64 makes the pack a third larger.
            post(add_bank).layer(DefaultBodyLimit::max(max_bundle_bytes.saturating_mul(2))),
        )
        .add(Method::GET, "/v1/jury/sessions", get(jury::api_cases))
        .add(
            Method::GET,
            "/v1/jury/sessions/{session_id}",
            get(jury::api_case),
        )
        .add(
            Method::POST,
            "/v1/jury/sessions/{session_id}/decision",
            post(jury::api_decide),
        )
        .add(
            Method::POST,
            "/v1/jury/sessions/{session_id}/candidates/{candidate_id}",
            post(jury::api_decide_candidate),
        )
        .add(
            Method::POST,
            "/v1/jury/sessions/{session_id}/neutralizations",
            post(jury::api_neutralize),
        )
        .add(Method::GET, "/jury", get(jury::cases_page))
        .add(Method::GET, "/jury/connexion", get(jury::sign_in_page))
        .add(Method::POST, "/jury/connexion", post(jury::sign_in))
        .add(Method::POST, "/jury/deconnexion", post(jury::sign_out))
        .add(
            Method::GET,
            "/jury/sessions/{session_id}",
            get(jury::case_page),
        )
        .add(
            Method::POST,
            "/jury/sessions/{session_id}/candidats/{candidate_id}",
            post(jury::candidate_form),
        )
        .add(
            Method::POST,
            "/jury/sessions/{session_id}/neutralisations",
            post(jury::neutralize_form),
        )
        .add(
            Method::POST,
            "/jury/sessions/{session_id}/decision",
            post(jury::session_form),
        )
}

/// Every (method, path) the router serves, in registration order.
pub fn route_table() -> Vec<(String, String)> {
    build(DEFAULT_MAX_BUNDLE_BYTES)
        .table
        .into_iter()
        .map(|(m, p)| (m.as_str().to_owned(), p.to_owned()))
        .collect()
}

pub fn router(state: AppState) -> Router {
    let max = state.service.max_bundle_bytes;
    build(max)
        .router
        .fallback(not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn(security_headers))
}

async fn security_headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
             frame-ancestors 'none'",
        ),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

async fn not_found() -> ApiError {
    ApiError::not_found(
        "http.not_found",
        "Adresse inconnue (voir /openapi.json).",
        "Unknown path (see /openapi.json).",
    )
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn require_admin(state: &AppState, headers: &HeaderMap) -> ApiResult<()> {
    let Some(expected) = state.admin_token_sha256 else {
        return Err(ApiError::new(
            403,
            "auth.admin_disabled",
            "Administration désactivée : aucun jeton d'administration n'est configuré (CERTIF_ADMIN_TOKEN).",
            "Administration disabled: no admin token is configured (CERTIF_ADMIN_TOKEN).",
        ));
    };
    let given = bearer(headers).map(sha256);
    // Comparing digests: the time taken says nothing about the token itself.
    let same = given.is_some_and(|g| {
        g.iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    });
    if same {
        Ok(())
    } else {
        Err(ApiError::new(
            401,
            "auth.admin_token",
            "Jeton d'administration absent ou invalide.",
            "Missing or invalid admin token.",
        ))
    }
}

fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    body.map(|Json(t)| t).map_err(|e| {
        ApiError::bad_request(
            "http.bad_json",
            format!("Corps de requête JSON invalide : {}", e.body_text()),
            format!("Invalid JSON request body: {}", e.body_text()),
        )
    })
}

async fn health(State(s): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok", "backend": s.service.store.backend()}))
}

/// Readiness for a unit's or a load balancer's check: the database answers a read.
async fn healthz(State(s): State<AppState>) -> Response {
    let backend = s.service.store.backend();
    // Any read that touches the database will do; no centre has an empty UAI.
    match s.service.store.centre("").await {
        Ok(_) => Json(serde_json::json!({"status": "ok", "backend": backend, "database": "ok"}))
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "healthz: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable", "backend": backend, "database": "error"})),
            )
                .into_response()
        }
    }
}

pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
}

/// A declaration of a thousand PCs is about 150 kB.
const STATIONS_MAX_BYTES: usize = 512 * 1024;

async fn post_stations(
    State(s): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Vec<crate::model::RegisteredStation>>> {
    let body = body.map_err(|e| {
        ApiError::new(
            413,
            "stations.body",
            format!("Déclaration illisible ou trop grande : {e}"),
            format!("Unreadable or oversized declaration: {e}"),
        )
    })?;
    Ok(Json(s.service.declare_stations(&body).await?))
}

async fn centre_stations(
    State(s): State<AppState>,
    Path(uai): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<crate::model::RegisteredStation>>> {
    let token = bearer(&headers).unwrap_or_default();
    s.service.authorise_centre(&uai, token).await?;
    Ok(Json(s.service.store.stations(&uai).await?))
}

async fn server_key(State(s): State<AppState>) -> Json<ServerKey> {
    Json(ServerKey {
        public_key: s.service.signer.public_key_hex(),
        algorithm: "Ed25519".into(),
    })
}

/// Every key the service signed with, numbered, endorsed, revocations included
/// (docs/certificate-format.md §10).
async fn key_set(State(s): State<AppState>) -> Json<certroom_certificate::KeySet> {
    Json(s.service.signer.key_set().clone())
}

async fn post_bundle(State(s): State<AppState>, body: axum::body::Body) -> ApiResult<Response> {
    let service = s.service.clone();
    let stored = s
        .uploads
        .receive(body, s.service.max_bundle_bytes, async move |bytes| {
            service.ingest(bytes).await
        })
        .await?;
    let status = if stored.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(stored.receipt)).into_response())
}

async fn bundle_status(
    State(s): State<AppState>,
    Path(bundle_id): Path<String>,
) -> ApiResult<Json<certroom_protocol::BundleStatus>> {
    let status = s.service.store.bundle_status(&bundle_id).await?;
    let Some(status) = status else {
        return Err(ApiError::not_found(
            "bundle.unknown",
            "Aucun lot reçu sous cet identifiant.",
            "No bundle was received under this id.",
        ));
    };
    Ok(Json(s.service.signer.bundle_status(
        &bundle_id,
        status.as_str(),
        &crate::now(),
    )))
}

async fn centre_report(s: &AppState, uai: &str, headers: &HeaderMap) -> ApiResult<CentreResults> {
    let token = bearer(headers).unwrap_or_default();
    let centre = s.service.authorise_centre(uai, token).await?;
    let sessions = s.service.centre_results(uai).await?;
    let mut report = crate::dto::centre_results(
        &centre.uai,
        &centre.name,
        s.service.signer.public_key_hex(),
        &sessions,
    );
    // What a revoked key signed goes out signed again, so that the office's reprint verifies.
    for session in &mut report.sessions {
        for c in session
            .candidates
            .iter_mut()
            .filter_map(|c| c.certification.as_mut())
        {
            c.qr_text = c
                .qr_text
                .as_deref()
                .and_then(|t| s.service.signer.current_qr(t));
        }
    }
    Ok(report)
}

async fn centre_results(
    State(s): State<AppState>,
    Path(uai): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<CentreResults>> {
    Ok(Json(centre_report(&s, &uai, &headers).await?))
}

async fn centre_results_signed(
    State(s): State<AppState>,
    Path(uai): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let report = centre_report(&s, &uai, &headers).await?;
    let file =
        crate::results_file::write(&report, &s.service.signer).map_err(ApiError::internal)?;
    let disposition = format!("attachment; filename=\"resultats-{}.signed\"", report.uai);
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        file,
    )
        .into_response())
}

fn wants_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    accept.contains("application/json") && !accept.contains("text/html")
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// What a visitor may add to see the holder's full name: their birthdate, or the signed
/// payload of the certificate's QR code (the part after `#`).
#[derive(Debug, Default, serde::Deserialize)]
struct Proof {
    birthdate: Option<String>,
    payload: Option<String>,
}

/// Whether the visitor showed they hold the certificate (or know its holder's birthdate); a
/// wrong birthdate counts as a miss. A payload counts when it is this code's, signed by a key
/// of the service that is not revoked: the one stored, or the same claims signed again after a
/// revocation.
fn proof_holds(
    c: &crate::model::Certification,
    p: &Proof,
    keys: &certroom_certificate::ServiceKeys,
) -> Option<bool> {
    if let Some(b) = p.birthdate.as_deref().filter(|b| !b.trim().is_empty()) {
        return Some(b.trim() == c.draft.birthdate);
    }
    let payload = p.payload.as_deref()?.trim();
    if payload.is_empty() {
        return Some(false);
    }
    let text = format!("https://proof/v/{}#{payload}", c.code);
    Some(certroom_certificate::verify(&text, keys).is_ok_and(|claims| claims.code == c.code))
}

fn too_many(wait: std::time::Duration, json: bool) -> Response {
    let secs = wait.as_secs().max(1);
    let err = ApiError::new(
        429,
        "verify.too_many",
        format!("Trop de vérifications depuis cette adresse : réessayez dans {secs} s."),
        format!("Too many verifications from this address: try again in {secs} s."),
    );
    let mut r = if json {
        err.into_response()
    } else {
        html(StatusCode::TOO_MANY_REQUESTS, verify_page::too_many(secs))
    };
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

async fn verify(
    State(s): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    axum::extract::Query(proof): axum::extract::Query<Proof>,
) -> ApiResult<Response> {
    let json = wants_json(&headers);
    let peer = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let client = budget::client(peer, forwarded, &s.trusted_proxies);
    if let Err(wait) = s.budget.may_ask(client, std::time::Instant::now()) {
        return Ok(too_many(wait, json));
    }
    // People type codes in lower case; the alphabet has no look-alikes to confuse.
    let code = code.trim().to_ascii_uppercase();
    let found = if is_verification_code(&code) {
        s.service.store.certification(&code).await?
    } else {
        None
    };
    match found {
        Some(c) if c.status == "valid" => {
            let held = proof_holds(&c, &proof, s.service.signer.trusted());
            if held == Some(false) {
                s.budget.charge_miss(client, std::time::Instant::now());
            }
            let full = held == Some(true);
            Ok(if json {
                Json(Verification::new(&c, full)).into_response()
            } else {
                html(
                    StatusCode::OK,
                    verify_page::certificate(&c, full, held == Some(false)),
                )
            })
        }
        Some(c) => {
            let err = ApiError::new(
                410,
                "verify.superseded",
                "Ce certificat a été remplacé après une correction de la session ; demandez le certificat corrigé.",
                "This certificate was replaced after the session was corrected; ask for the corrected certificate.",
            );
            Ok(if json {
                err.into_response()
            } else {
                html(StatusCode::GONE, verify_page::superseded(&c.code))
            })
        }
        None => {
            s.budget.charge_miss(client, std::time::Instant::now());
            let err = ApiError::not_found(
                "verify.unknown_code",
                format!(
                    "Aucune certification ne correspond au code {}.",
                    code.chars().take(40).collect::<String>()
                ),
                format!(
                    "No certification matches code {}.",
                    code.chars().take(40).collect::<String>()
                ),
            );
            Ok(if json {
                err.into_response()
            } else {
                html(StatusCode::NOT_FOUND, verify_page::unknown(&code))
            })
        }
    }
}

async fn enrol_centre(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<EnrolCentre>, JsonRejection>,
) -> ApiResult<Response> {
    require_admin(&s, &headers)?;
    let req = json_body(body)?;
    let token = s.service.enrol_centre(&req.uai, &req.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(CentreEnrolled {
            uai: req.uai,
            name: req.name.trim().to_owned(),
            centre_token: token,
        }),
    )
        .into_response())
}

async fn register_console(
    State(s): State<AppState>,
    Path(uai): Path<String>,
    headers: HeaderMap,
    body: Result<Json<RegisterConsole>, JsonRejection>,
) -> ApiResult<Response> {
    require_admin(&s, &headers)?;
    let req = json_body(body)?;
    if !uai_ok(&uai) {
        return Err(ApiError::not_found(
            "admin.unknown_centre",
            format!("Centre {uai} inconnu."),
            format!("Unknown centre {uai}."),
        ));
    }
    let key = s.service.register_console(&uai, &req.public_key).await?;
    Ok((StatusCode::CREATED, Json(ConsoleDto::from(key))).into_response())
}

async fn revoke_console(
    State(s): State<AppState>,
    Path((uai, key)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Json<ConsoleDto>> {
    require_admin(&s, &headers)?;
    Ok(Json(s.service.revoke_console(&uai, &key).await?.into()))
}

async fn add_bank(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<AddBank>, JsonRejection>,
) -> ApiResult<Response> {
    require_admin(&s, &headers)?;
    let req = json_body(body)?;
    let pack = base64::engine::general_purpose::STANDARD
        .decode(req.pack_base64.trim().trim_end_matches('='))
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(req.pack_base64.trim().trim_end_matches('='))
        })
        .map_err(|_| {
            ApiError::bad_request(
                "admin.pack_base64",
                "pack_base64 n'est pas du base64 valide.",
                "pack_base64 is not valid base64.",
            )
        })?;
    let key = match (req.passphrase, req.session_key) {
        (Some(p), None) => GivenKey::Passphrase(p),
        (None, Some(k)) => GivenKey::Session(k),
        _ => {
            return Err(ApiError::bad_request(
                "admin.bank_key",
                "Donnez soit passphrase, soit session_key (l'un des deux exactement).",
                "Give either passphrase or session_key (exactly one).",
            ))
        }
    };
    let summary = s
        .service
        .add_bank(pack, key, &req.publisher_public_key)
        .await?;
    let status = if summary.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(summary)).into_response())
}
