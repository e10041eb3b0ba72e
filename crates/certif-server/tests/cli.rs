//! The binary as an operator uses it: set a centre up, import a bundle from a file (a USB key),
//! and serve.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use certif_server::bench::{self, RoomSim, SessionSpec};
use certif_server::service::uai_for;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_certif-server");

fn run(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("CERTIF_DATA_DIR", data)
        .env_remove("CERTIF_DATABASE")
        .env("CERTIF_LOG", "warn");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("binary runs")
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn set_up_then_import_a_bundle_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let room_dir = dir.path().join("room");
    std::fs::create_dir_all(&room_dir).unwrap();
    let mut room = RoomSim::new(&room_dir, Path::new(bench::SAMPLE_BANK_DIR), 5).unwrap();
    let uai = uai_for(750_654);

    let enrolled = json(&run(
        &data,
        &[
            "admin",
            "enrol-centre",
            "--uai",
            &uai,
            "--name",
            "Collège Jean Moulin",
        ],
        &[],
    ));
    assert!(enrolled["centre_token"]
        .as_str()
        .unwrap()
        .starts_with("crc_"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("server.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the service key is private");
    }
    let console = json(&run(
        &data,
        &[
            "admin",
            "register-console",
            "--uai",
            &uai,
            "--key",
            &room.console_key_hex(),
        ],
        &[],
    ));
    assert!(console["revoked_at"].is_null());
    let pack = dir.path().join("bank.pack");
    std::fs::write(&pack, room.pack()).unwrap();
    let bank = json(&run(
        &data,
        &[
            "admin",
            "add-bank",
            "--pack",
            pack.to_str().unwrap(),
            "--publisher",
            &room.publisher_hex(),
        ],
        &[("CERTIF_BANK_PASSPHRASE", bench::PASSPHRASE)],
    ));
    assert_eq!(bank["content_hash"], room.bank_hash());

    // The lab's PC, declared by the console in a file brought on a USB key.
    let declaration = dir.path().join("stations.json");
    std::fs::write(&declaration, room.station_declaration(&uai)).unwrap();
    let stations = json(&run(
        &data,
        &["import-stations", declaration.to_str().unwrap()],
        &[],
    ));
    assert_eq!(stations[0]["label"], "PC-01");

    let bundle = room.session(&SessionSpec::new(&uai, 77, 2)).unwrap();
    let file = dir.path().join("session-77.crbundle");
    std::fs::write(&file, &bundle).unwrap();
    let receipt = json(&run(&data, &["import", file.to_str().unwrap()], &[]));
    assert_eq!(receipt["status"], "published");
    let again = json(&run(&data, &["import", file.to_str().unwrap()], &[]));
    assert_eq!(again, receipt, "importing twice gives the same receipt");

    // Retention: the published bundle's journals go; its receipt stays.
    let purged = json(&run(
        &data,
        &["admin", "purge", "--older-than-days", "0"],
        &[],
    ));
    assert_eq!(purged["purged_bundles"], 1, "{purged}");
    let purged = json(&run(
        &data,
        &["admin", "purge", "--older-than-days", "0"],
        &[],
    ));
    assert_eq!(purged["purged_bundles"], 0, "nothing left to purge");
    let again = json(&run(&data, &["import", file.to_str().unwrap()], &[]));
    assert_eq!(again, receipt, "the receipt outlives the evidence");

    let mut bad = bundle.clone();
    let n = bad.len() - 1;
    bad[n] ^= 1;
    std::fs::write(&file, &bad).unwrap();
    let out = run(&data, &["import", file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bundle.journal_hash"), "{err}");
    assert!(err.contains("\"reason\":\"tampered\""), "{err}");

    let out = run(&data, &["import", "/nonexistent/file"], &[]);
    assert!(!out.status.success());
}

#[test]
fn serve_answers_on_the_bound_address() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", &addr])
        .env("CERTIF_DATA_DIR", dir.path().join("data"))
        .env("CERTIF_ADMIN_TOKEN", "serve-test-admin-token")
        .env("CERTIF_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut body = None;
    while Instant::now() < deadline {
        if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
            use std::io::{Read, Write};
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = write!(
                s,
                "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            );
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            // Until the server has bound the port, another test's listener may hold it a moment.
            if out.starts_with("HTTP/1.1 200") {
                body = Some(out);
                break;
            }
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // systemd stops a service with SIGTERM: it stops cleanly, with success.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    let stopped = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = child.kill();
    let _ = child.wait();
    let body = body.expect("server answered within 20 s");
    assert!(
        stopped.is_some_and(|s| s.success()),
        "SIGTERM stops the server cleanly: {stopped:?}"
    );
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(body.contains("\"backend\":\"sqlite\""), "{body}");
    assert!(body.contains("\"database\":\"ok\""), "{body}");
    assert!(body
        .to_ascii_lowercase()
        .contains("x-content-type-options: nosniff"));
}

#[test]
fn the_default_base_url_is_refused_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["serve", "--bind", "0.0.0.0:0"], &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("adresse par défaut"), "{err}");
    assert!(
        !dir.path().join("certif.db").exists(),
        "nothing was created"
    );
}

#[test]
fn a_short_admin_token_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &["serve", "--bind", "127.0.0.1:0"],
        &[("CERTIF_ADMIN_TOKEN", "short")],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("admin token too short"));
    // The token is read from a file too, and never taken from the command line (`ps`).
    let file = dir.path().join("admin-token");
    std::fs::write(&file, "short\n").unwrap();
    let out = run(
        dir.path(),
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--admin-token-file",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("admin token too short"));
    let out = run(
        dir.path(),
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--admin-token",
            "a-long-enough-admin-token",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unexpected argument"));
}

#[test]
fn jury_members_are_added_listed_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let added = json(&run(&data, &["jury", "add", "  Mme Durand "], &[]));
    assert_eq!(added["name"], "Mme Durand");
    assert!(added["credential"].as_str().unwrap().starts_with("jury_"));
    // The same name twice is refused in French, and changes nothing.
    let again = run(&data, &["jury", "add", "Mme Durand"], &[]);
    assert_eq!(again.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&again.stderr).contains("déjà"));
    let listed = json(&run(&data, &["jury", "list"], &[]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0]["removed_at"].is_null());
    assert!(run(&data, &["jury", "remove", "Mme Durand"], &[])
        .status
        .success());
    let listed = json(&run(&data, &["jury", "list"], &[]));
    assert!(listed[0]["removed_at"].is_string());
    let gone = run(&data, &["jury", "remove", "Mme Durand"], &[]);
    assert_eq!(gone.status.code(), Some(3));
}
