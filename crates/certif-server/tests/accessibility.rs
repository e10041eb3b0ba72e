//! The pages the service renders for people — the public verification page (found, with the
//! holder's birthdate, unknown code) and the jury's pages (sign-in, refused sign-in, sessions
//! waiting, a session, a candidate, a decision recorded) — checked by axe-core against WCAG 2.1
//! A and AA with the app's own runner (`ui/scripts/axe-pages.mjs`, node and the UI's packages).
//! Zero violations.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use certif_server::bench::Plan;
use common::browser::{csrf, Browser};
use common::{codes, Env};

fn runner() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/scripts/axe-pages.mjs")
}

#[tokio::test]
async fn every_page_for_people_passes_axe() {
    let Some(node) = certroom_testkit::require_tool("node") else {
        return;
    };
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/node_modules/axe-core");
    assert!(
        ui.exists(),
        "{} is missing: run `npm ci` in ui/ first",
        ui.display()
    );
    let mut env = Env::new(&common::Backend::Sqlite).await;
    let mut pages: Vec<(&str, String)> = Vec::new();

    // The public verification page.
    let spec = env.session_spec(2);
    let bundle = env.room.session(&spec).unwrap();
    assert_eq!(env.upload(&bundle).await.0, 201);
    let session = env.session(spec.number).await;
    let code = codes(&session).remove(0);
    let birthdate = session["candidates"][0]["birthdate"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = Browser::new(&env);
    for (name, path) in [
        ("verify-found", format!("/verify/{code}")),
        (
            "verify-birthdate",
            format!("/verify/{code}?birthdate={birthdate}"),
        ),
        ("verify-unknown", "/verify/P-BCDFGHJK".to_owned()),
    ] {
        let (_, page, _) = b.get(&path).await;
        pages.push((name, page));
    }

    // The jury's pages, for a session waiting on a fraud.
    let spec = env.session_spec(2).plan(1, Plan::Incident("C6".into()));
    let bundle = env.room.session(&spec).unwrap();
    assert_eq!(env.upload(&bundle).await.0, 201);
    let sid = format!("{}-{}", env.uai, spec.number);
    let mut b = Browser::new(&env);
    pages.push(("jury-sign-in", b.get("/jury/connexion").await.1));
    pages.push((
        "jury-sign-in-refused",
        b.post("/jury/connexion", &[("credential", "jury_0000")], None)
            .await
            .1,
    ));
    let credential = env.jury.clone();
    b.post("/jury/connexion", &[("credential", &credential)], None)
        .await;
    pages.push(("jury-sessions", b.get("/jury").await.1));
    let session_page = b.get(&format!("/jury/sessions/{sid}")).await.1;
    let token = csrf(&session_page);
    pages.push(("jury-session", session_page));
    let (_, case) = env.jury_get(&format!("/v1/jury/sessions/{sid}")).await;
    let fraud = case["candidates"][1]["candidate_id"].as_i64().unwrap();
    let candidate = format!("/jury/sessions/{sid}/candidats/{fraud}");
    let no_reason = [
        ("csrf", token.as_str()),
        ("decision", "reject"),
        ("reason", " "),
    ];
    pages.push((
        "jury-decision-refused",
        b.post(&candidate, &no_reason, None).await.1,
    ));
    let reject = [
        ("csrf", token.as_str()),
        ("decision", "reject"),
        ("reason", "Fraude constatée (C6)."),
    ];
    pages.push((
        "jury-decision-recorded",
        b.post(&candidate, &reject, None).await.1,
    ));
    env.finish().await;

    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, html) in &pages {
        assert!(html.contains("<html"), "{name} is a page: {html}");
        let file = dir.path().join(format!("{name}.html"));
        std::fs::write(&file, html).unwrap();
        files.push(file);
    }
    let out = Command::new(node)
        .arg(runner())
        .args(&files)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), pages.len(), "every page was checked");
    let failing: Vec<_> = lines
        .iter()
        .filter(|l| !l["violations"].as_array().unwrap().is_empty())
        .collect();
    assert!(failing.is_empty(), "{failing:#?}");
}
