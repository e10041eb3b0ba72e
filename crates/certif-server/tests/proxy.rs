//! The deployment the docs show, tried on loopback: nginx with the packaged configuration
//! (packaging/certif-server/nginx-certif-server.conf) ends TLS in front of two servers on one
//! PostgreSQL database, given the same key files. A bundle goes up through the proxy, its codes
//! verify through it, and with one server stopped the other still answers.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use certif_server::bench::{schema_url, ServerProcess};
use common::Env;

/// A child process killed when the test ends however it ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `curl` against the proxy, trusting only the test's certificate; (status, body).
fn curl(cert: &Path, args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--cacert"])
        .arg(cert)
        .args(["--write-out", "\n%{http_code}"])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

/// The packaged site, pointed at this test's servers, certificate and port.
fn site(upstreams: &[u16], port: u16, cert: &Path, key: &Path) -> String {
    let packaged = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../packaging/certif-server/nginx-certif-server.conf"),
    )
    .unwrap();
    let servers: String = upstreams
        .iter()
        .map(|p| format!("    server 127.0.0.1:{p};\n"))
        .collect();
    let mut out = String::new();
    for line in packaged.lines() {
        let t = line.trim();
        if t.starts_with("server 127.0.0.1:") || t.starts_with("listen [::]") {
            if t == "server 127.0.0.1:8080;" {
                out.push_str(&servers);
            }
            continue;
        }
        let line = match t {
            "listen 443 ssl;" => format!("    listen 127.0.0.1:{port} ssl;"),
            "server_name verifier.example.fr;" => "    server_name localhost;".into(),
            t if t.starts_with("ssl_certificate ") => {
                format!("    ssl_certificate {};", cert.display())
            }
            t if t.starts_with("ssl_certificate_key ") => {
                format!("    ssl_certificate_key {};", key.display())
            }
            _ => line.to_owned(),
        };
        out.push_str(&line);
        out.push('\n');
    }
    assert!(
        out.contains(&format!("listen 127.0.0.1:{port} ssl;")),
        "{out}"
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_behind_nginx_answer_through_tls() {
    let (Some(nginx), Some(openssl), Some(_)) = (
        certroom_testkit::require_tool("nginx"),
        certroom_testkit::require_tool("openssl"),
        certroom_testkit::require_tool("curl"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some((mut env, keys, url, schema)) = Env::with_shared_keys(
        "the proxy test needs PostgreSQL (scripts/start-postgres prints the URL)",
    )
    .await
    else {
        return;
    };
    let keys = keys.path().to_owned();
    let database = schema_url(&url, &schema);

    // Two servers on the one database, with the same keys.
    let exe = Path::new(env!("CARGO_BIN_EXE_certif-server"));
    let mut servers = Vec::new();
    for _ in 0..2 {
        let extra = ["--trusted-proxy", "127.0.0.1"];
        servers.push(
            ServerProcess::start(exe, &keys, &database, &extra)
                .await
                .unwrap(),
        );
    }
    let ports: Vec<u16> = servers.iter().map(|s| s.port).collect();

    // A certificate for 127.0.0.1, and nginx with the packaged site.
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new(openssl)
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success());
    let proxy_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let prefix: PathBuf = dir.path().join("nginx");
    std::fs::create_dir_all(prefix.join("logs")).unwrap();
    std::fs::write(
        prefix.join("site.conf"),
        site(&ports, proxy_port, &cert, &key),
    )
    .unwrap();
    std::fs::write(
        prefix.join("nginx.conf"),
        format!(
            "pid {p}/nginx.pid;\nerror_log {p}/logs/error.log;\nevents {{}}\nhttp {{\n  access_log off;\n  client_body_temp_path {p}/body;\n  proxy_temp_path {p}/proxy;\n  include {p}/site.conf;\n}}\n",
            p = prefix.display()
        ),
    )
    .unwrap();
    let _proxy = Process(
        Command::new(nginx)
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(prefix.join("nginx.conf"))
            .args(["-g", "daemon off; user root;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("https://127.0.0.1:{proxy_port}");
    let end = Instant::now() + Duration::from_secs(30);
    while curl(&cert, &[&format!("{base}/health")]).0 != 200 {
        assert!(Instant::now() < end, "the proxy did not answer");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A session uploaded through the proxy; its codes verify through it.
    let spec = env.session_spec(2);
    let bundle = env.room.session(&spec).unwrap();
    let file = dir.path().join("session.bundle");
    std::fs::write(&file, &bundle).unwrap();
    let upload = |path: &Path| {
        curl(
            &cert,
            &[
                "--header",
                "content-type: application/octet-stream",
                "--data-binary",
                &format!("@{}", path.display()),
                &format!("{base}/v1/bundles"),
            ],
        )
    };
    let (status, receipt) = upload(&file);
    assert_eq!(status, 201, "{receipt}");
    let codes = common::codes(&env.session(spec.number).await);
    assert_eq!(codes.len(), 2);
    let verify = |code: &str| {
        curl(
            &cert,
            &[
                "--header",
                "accept: application/json",
                &format!("{base}/verify/{code}"),
            ],
        )
    };
    for code in &codes {
        let (status, body) = verify(code);
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(code.as_str()), "{body}");
    }

    // One server stops: the other answers everything, the same upload gives the same receipt.
    drop(servers.remove(0));
    for code in &codes {
        assert_eq!(verify(code).0, 200);
    }
    let (status, again) = upload(&file);
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&again).unwrap(),
        serde_json::from_str::<serde_json::Value>(&receipt).unwrap()
    );
    drop(servers);
    env.finish().await;
}
