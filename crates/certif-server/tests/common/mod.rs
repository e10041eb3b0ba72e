//! A real server on a loopback port, a simulated room, and an HTTP client: what every
//! integration test starts from. Each scenario runs on SQLite, and on PostgreSQL when
//! `CERTIF_TEST_POSTGRES` holds a URL (each run in its own schema, dropped afterwards).

#![allow(dead_code)]

pub mod browser;

use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use certif_server::bench::{self, RoomSim, Running, SessionSpec};
use certif_server::config::DEFAULT_MAX_BUNDLE_BYTES;
use certif_server::service::uai_for;
use certif_server::signer::Signer;
use certif_server::{App, Database, Service};
use serde_json::{json, Value};

pub const ADMIN: &str = "test-admin-token-0123456789";
pub const BASE_URL: &str = "https://verifier.certroom.example";

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

/// SQLite always; PostgreSQL when `CERTIF_TEST_POSTGRES` holds a URL. Without it a developer's
/// run says PostgreSQL is skipped; a strict run (CI) fails.
pub fn backends(test: &str) -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    let what = format!("{test}: PostgreSQL (scripts/start-postgres prints the URL)");
    if let Some(u) = certroom_testkit::require_env("CERTIF_TEST_POSTGRES", &what) {
        v.push(Backend::Postgres(u));
    }
    v
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub app: App,
    pub server: Running,
    pub room: RoomSim,
    pub http: reqwest::Client,
    pub uai: String,
    pub centre_token: String,
    /// The credential of a jury member, "Mme Durand".
    pub jury: String,
    pg: Option<(String, String)>,
    next_session: i64,
}

fn schema_name() -> String {
    let mut b = [0u8; 6];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b).unwrap();
    format!("certif_test_{}", certroom_core::hash::to_hex(&b))
}

pub async fn service_on(
    backend: &Backend,
    dir: &Path,
    code_seed: Option<u64>,
) -> (Arc<Service>, Option<(String, String)>) {
    service_with(
        backend,
        dir,
        Signer::ephemeral(BASE_URL, code_seed).unwrap(),
    )
    .await
}

pub async fn service_with(
    backend: &Backend,
    dir: &Path,
    signer: Signer,
) -> (Arc<Service>, Option<(String, String)>) {
    let (db, pg) = match backend {
        Backend::Sqlite => (Database::Sqlite(dir.join("certif.db")), None),
        Backend::Postgres(url) => {
            let schema = schema_name();
            (
                Database::Postgres {
                    url: url.clone(),
                    schema: Some(schema.clone()),
                },
                Some((url.clone(), schema)),
            )
        }
    };
    let store = certif_server::store::open(&db).await.unwrap();
    (
        Arc::new(Service::new(
            store,
            Arc::new(signer),
            DEFAULT_MAX_BUNDLE_BYTES,
        )),
        pg,
    )
}

impl Env {
    /// A server with one centre enrolled, its console registered and the bank uploaded, all
    /// through the admin API.
    pub async fn new(backend: &Backend) -> Env {
        Self::with_signer(backend, Signer::ephemeral(BASE_URL, None).unwrap()).await
    }

    /// As [`Env::new`], the service signing with `signer` (keys kept in a data folder).
    pub async fn with_signer(backend: &Backend, signer: Signer) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let (service, pg) = service_with(backend, dir.path(), signer).await;
        let app = App::from_service(service, Some(ADMIN));
        let server = bench::spawn(&app).await.unwrap();
        let room_dir = dir.path().join("room");
        std::fs::create_dir_all(&room_dir).unwrap();
        let room = RoomSim::new(&room_dir, Path::new(bench::SAMPLE_BANK_DIR), 7).unwrap();
        let http = reqwest::Client::new();
        let uai = uai_for(750_654);
        let mut env = Env {
            dir,
            app,
            server,
            room,
            http,
            uai: uai.clone(),
            centre_token: String::new(),
            jury: String::new(),
            pg,
            next_session: 4000,
        };
        let (status, body) = env
            .admin_post(
                "/admin/centres",
                json!({"uai": uai, "name": "Collège Jean Moulin"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        env.centre_token = body["centre_token"].as_str().unwrap().to_owned();
        let key = env.room.console_key_hex();
        let (status, body) = env
            .admin_post(
                &format!("/admin/centres/{uai}/consoles"),
                json!({"public_key": key}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        env.upload_bank().await;
        let (status, body) = env.declare_stations().await;
        assert_eq!(status, 200, "{body}");
        env.jury = env.app.service.add_jury_member("Mme Durand").await.unwrap();
        env
    }

    /// For tests that start other `serve` processes beside this server: on PostgreSQL (`None`,
    /// after saying why, without `CERTIF_TEST_POSTGRES`), the service's keys in a folder every
    /// server is given. Returns the server, that folder, the database URL and the schema.
    pub async fn with_shared_keys(why: &str) -> Option<(Env, tempfile::TempDir, String, String)> {
        let url = certroom_testkit::require_env("CERTIF_TEST_POSTGRES", why)?;
        let keys = tempfile::tempdir().unwrap();
        let signer = Signer::load_or_create(keys.path(), BASE_URL).unwrap();
        let env = Env::with_signer(&Backend::Postgres(url.clone()), signer).await;
        let (_, schema) = env.postgres().cloned().unwrap();
        Some((env, keys, url, schema))
    }

    /// The PostgreSQL URL and schema this server stores in, on PostgreSQL.
    pub fn postgres(&self) -> Option<&(String, String)> {
        self.pg.as_ref()
    }

    /// `GET path` without a token, its JSON body read as `T` (public endpoints).
    pub async fn get_public<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    /// The service restarted on the same database with other keys (after `certif-server keys
    /// rotate` or `revoke`): a new server on a new port.
    pub async fn restart_with(&mut self, signer: Signer) {
        let store = self.app.service.store.clone();
        let service = Arc::new(Service::new(
            store,
            Arc::new(signer),
            DEFAULT_MAX_BUNDLE_BYTES,
        ));
        self.app = App::from_service(service, Some(ADMIN));
        self.server = bench::spawn(&self.app).await.unwrap();
    }

    /// The console declares the lab's PC, as a centre does before exam day.
    pub async fn declare_stations(&self) -> (u16, Value) {
        self.post_stations(self.room.station_declaration(&self.uai))
            .await
    }

    pub async fn post_stations(&self, body: Vec<u8>) -> (u16, Value) {
        let r = self
            .http
            .post(self.url("/v1/stations"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn upload_bank(&self) {
        let (status, body) = self
            .admin_post(
                "/admin/banks",
                json!({
                    "pack_base64": base64::engine::general_purpose::STANDARD.encode(self.room.pack()),
                    "passphrase": bench::PASSPHRASE,
                    "publisher_public_key": self.room.publisher_hex(),
                }),
            )
            .await;
        assert!(status == 201 || status == 200, "{status} {body}");
        assert_eq!(body["content_hash"], self.room.bank_hash());
    }

    /// Drops the PostgreSQL schema (SQLite lives in the temp dir).
    pub async fn finish(self) {
        let pg = self.pg.clone();
        drop(self);
        if let Some((url, schema)) = pg {
            bench::drop_schema(&url, &schema).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base)
    }

    pub fn session_spec(&mut self, candidates: usize) -> SessionSpec {
        self.next_session += 1;
        SessionSpec::new(&self.uai, self.next_session, candidates)
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> (u16, Value) {
        self.post_as(ADMIN, path, body).await
    }

    pub async fn admin_get(&self, path: &str) -> (u16, Value) {
        self.get_as(ADMIN, path).await
    }

    /// As the jury member "Mme Durand".
    pub async fn jury_post(&self, path: &str, body: Value) -> (u16, Value) {
        self.post_as(&self.jury, path, body).await
    }

    pub async fn jury_get(&self, path: &str) -> (u16, Value) {
        self.get_as(&self.jury, path).await
    }

    /// A JSON POST with this bearer token: the status and the JSON answer.
    pub async fn post_as(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_as(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn upload(&self, bundle: &[u8]) -> (u16, Value) {
        let r = self
            .http
            .post(self.url("/v1/bundles"))
            .header("content-type", "application/octet-stream")
            .body(bundle.to_vec())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn results(&self) -> Value {
        let r = self
            .http
            .get(self.url(&format!("/v1/centres/{}/results", self.uai)))
            .bearer_auth(&self.centre_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        r.json().await.unwrap()
    }

    /// The session entry of the centre's results.
    pub async fn session(&self, number: i64) -> Value {
        let all = self.results().await;
        all["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["session_number"] == number)
            .cloned()
            .unwrap_or(Value::Null)
    }

    pub async fn verify_json(&self, code: &str) -> (u16, Value) {
        verify_json_at(&self.http, &self.server.base, code).await
    }

    pub async fn verify_html(&self, code: &str) -> (u16, String, String) {
        let r = self
            .http
            .get(self.url(&format!("/verify/{code}")))
            .header("accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let ctype = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, ctype, r.text().await.unwrap())
    }
}

/// `GET base/verify/code` as an app asks it (JSON): status and body.
pub async fn verify_json_at(http: &reqwest::Client, base: &str, code: &str) -> (u16, Value) {
    let r = http
        .get(format!("{base}/verify/{code}"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// What someone holding the console's key can do: change the manifest and sign it again.
pub fn forge(
    bytes: &[u8],
    key: &ring::signature::Ed25519KeyPair,
    edit: impl FnOnce(&mut Value),
) -> Vec<u8> {
    let mut c = certroom_bundle::Container::parse(bytes).unwrap();
    let mut m: Value = serde_json::from_slice(&c.manifest).unwrap();
    edit(&mut m);
    c.manifest = certroom_core::canonical::to_bytes(&m).unwrap();
    c.signature = certroom_bundle::sign_manifest(&c.manifest, key);
    c.to_bytes().unwrap()
}

/// Codes of the published certifications of a session entry.
pub fn codes(session: &Value) -> Vec<String> {
    session["candidates"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c["certification"]["verification_code"].as_str())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
