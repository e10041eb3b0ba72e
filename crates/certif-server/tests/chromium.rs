//! The public verification page as a browser renders it: real headless Chromium loads the page
//! from the server over loopback and dumps the DOM it built. Needs `chromium` on `PATH` (strict
//! in CI; elsewhere skipped with the reason printed).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{codes, Env};

/// `chromium --dump-dom URL`, killed if it takes longer than a minute.
fn dump_dom(chromium: &Path, url: &str, profile: &Path) -> String {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-extensions",
            "--no-first-run",
            "--lang=fr-FR",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("chromium output");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn the_verification_page_renders_in_chromium() {
    let Some(chromium) = certroom_testkit::require_tool("chromium") else {
        return;
    };
    let mut env = Env::new(&common::Backend::Sqlite).await;
    let spec = env.session_spec(1);
    let bundle = env.room.session(&spec).unwrap();
    let (status, _) = env.upload(&bundle).await;
    assert_eq!(status, 201);
    let session = env.session(spec.number).await;
    let code = codes(&session).remove(0);
    let cand = &session["candidates"][0];
    let pix = cand["certification"]["pix"].as_u64().unwrap();
    let first = cand["first_name"].as_str().unwrap().to_owned();
    let last = cand["birth_name"].as_str().unwrap().to_uppercase();
    let birthdate = cand["birthdate"].as_str().unwrap().to_owned();

    let profile = tempfile::tempdir().unwrap();
    let url = env.url(&format!("/verify/{code}"));
    let (p, c) = (profile.path().to_owned(), chromium.clone());
    let dom = tokio::task::spawn_blocking(move || dump_dom(&c, &url, &p))
        .await
        .unwrap();
    assert!(dom.contains("lang=\"fr\""), "{dom}");
    assert!(dom.contains("Certificat authentique"), "{dom}");
    // A code alone: the first name and the last name's initial, and a form for the rest.
    let initial = format!("{first} {}.", last.chars().next().unwrap());
    assert!(dom.contains(&initial), "{dom}");
    assert!(!dom.contains(&last), "{dom}");
    assert!(dom.contains("Date de naissance du titulaire"), "{dom}");
    assert!(dom.contains(&format!("{pix} pix sur 895")), "{dom}");
    assert!(
        dom.contains("Niveau obtenu dans chaque compétence"),
        "{dom}"
    );
    assert_eq!(dom.matches("<th scope=\"row\">").count(), 16, "{dom}");
    assert!(dom.contains("1.1 "), "competences are named: {dom}");
    assert!(!dom.contains(&birthdate), "no birthdate on the public page");
    assert!(!dom.contains("<script"), "the page needs no script");

    // With the holder's birthdate, the full name.
    let url = env.url(&format!("/verify/{code}?birthdate={birthdate}"));
    let (p, c) = (profile.path().to_owned(), chromium.clone());
    let dom = tokio::task::spawn_blocking(move || dump_dom(&c, &url, &p))
        .await
        .unwrap();
    assert!(dom.contains(&format!("{first} {last}")), "{dom}");

    let url = env.url("/verify/P-BCDFGHJK");
    let (p, c) = (profile.path().to_owned(), chromium.clone());
    let dom = tokio::task::spawn_blocking(move || dump_dom(&c, &url, &p))
        .await
        .unwrap();
    assert!(dom.contains("Code de vérification inconnu"), "{dom}");
    assert!(dom.contains("P-BCDFGHJK"), "{dom}");
    env.finish().await;
}
