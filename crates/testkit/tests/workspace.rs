//! The workspace's layout rules, checked against what Cargo builds: the arrows between crates
//! are exactly those of `crates/dependencies.txt`, the crates listed as forbidden never appear
//! in a crate's normal dependency tree, and ARCHITECTURE.md shows the rules and names every
//! crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

struct Rules {
    allowed: BTreeMap<String, BTreeSet<String>>,
    forbidden: BTreeMap<String, BTreeSet<String>>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn list(text: &str) -> BTreeSet<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn rules_text() -> String {
    std::fs::read_to_string(root().join("crates/dependencies.txt")).unwrap()
}

fn rules() -> Rules {
    let mut rules = Rules {
        allowed: BTreeMap::new(),
        forbidden: BTreeMap::new(),
    };
    for (n, line) in rules_text().lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((krate, deps)) = line.split_once("->") {
            let previous = rules.allowed.insert(krate.trim().to_owned(), list(deps));
            assert!(previous.is_none(), "line {}: {krate} listed twice", n + 1);
        } else if let Some((krate, deps)) = line.split_once("!>") {
            rules.forbidden.insert(krate.trim().to_owned(), list(deps));
        } else {
            panic!(
                "crates/dependencies.txt line {}: `{line}` is neither `->` nor `!>`",
                n + 1
            );
        }
    }
    rules
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Each workspace crate and the workspace crates it depends on (normal dependencies only).
fn actual_arrows() -> BTreeMap<String, BTreeSet<String>> {
    let out = cargo()
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    let names: BTreeSet<String> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].is_null())
                .map(|d| d["name"].as_str().unwrap().to_owned())
                .filter(|d| names.contains(d))
                .collect();
            (p["name"].as_str().unwrap().to_owned(), deps)
        })
        .collect()
}

/// The arrows the rules allow that the code lacks, and those the code has that they do not.
fn differences(
    allowed: &BTreeMap<String, BTreeSet<String>>,
    actual: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (krate, deps) in actual {
        let Some(ok) = allowed.get(krate) else {
            out.push(format!("{krate} is not in crates/dependencies.txt"));
            continue;
        };
        for d in deps.difference(ok) {
            out.push(format!("{krate} -> {d} is not an allowed arrow"));
        }
        for d in ok.difference(deps) {
            out.push(format!(
                "{krate} -> {d} is allowed but the code has no such arrow"
            ));
        }
    }
    for krate in allowed.keys().filter(|k| !actual.contains_key(*k)) {
        out.push(format!("{krate} is listed but is not a workspace crate"));
    }
    out
}

#[test]
fn the_arrows_between_crates_are_exactly_the_allowed_ones() {
    let problems = differences(&rules().allowed, &actual_arrows());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn an_arrow_outside_the_rules_is_caught() {
    let rules = rules();
    let mut actual = actual_arrows();
    actual
        .get_mut("certroom-kiosk")
        .unwrap()
        .insert("certroom-hub".into());
    let problems = differences(&rules.allowed, &actual);
    assert_eq!(
        problems,
        ["certroom-kiosk -> certroom-hub is not an allowed arrow"]
    );
}

#[test]
fn forbidden_crates_stay_out_of_normal_dependency_trees() {
    for (krate, forbidden) in rules().forbidden {
        let out = cargo()
            .args([
                "tree",
                "--offline",
                "-e",
                "normal",
                "--prefix",
                "none",
                "-p",
                &krate,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tree: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_owned)
            .collect();
        assert!(
            tree.len() > 5,
            "{krate}: cargo tree printed too little: {tree:?}"
        );
        let found: Vec<&String> = forbidden.intersection(&tree).collect();
        assert!(found.is_empty(), "{krate} depends on {found:?}");
    }
}

#[test]
fn architecture_shows_the_rules_and_names_every_crate() {
    let architecture = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let rules: String = rules_text()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        architecture.contains(&rules),
        "ARCHITECTURE.md must show crates/dependencies.txt (without its comments), as it is"
    );
    for krate in actual_arrows().keys() {
        assert!(
            architecture.contains(&format!("`{krate}`")),
            "ARCHITECTURE.md does not name the crate `{krate}`"
        );
    }
}
