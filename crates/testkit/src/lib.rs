//! What tests share across the workspace: the external tools some of them need (poppler,
//! PostgreSQL, Chromium, strace…), found through `PATH`.
//!
//! A developer's machine may lack a tool: the test then says so and stops. In CI
//! (`CERTROOM_TEST_STRICT=1`, set by `.ci/run` and `scripts/test-all`) a missing tool fails the
//! test with its name, so nothing passes by not running.

use std::env;
use std::path::{Path, PathBuf};

/// The variable that turns a missing tool into a failure.
pub const STRICT: &str = "CERTROOM_TEST_STRICT";

/// Whether tests run strictly (CI): a missing tool is a failure, not a skip.
pub fn strict() -> bool {
    env::var(STRICT).is_ok_and(|v| v == "1")
}

/// The path of `tool` found through `PATH`, or `None` when it is absent and tests are not
/// strict. Strict, an absent tool panics with its name and the package that brings it.
///
/// ```no_run
/// let Some(pdftotext) = certroom_testkit::require_tool("pdftotext") else { return };
/// ```
pub fn require_tool(tool: &str) -> Option<PathBuf> {
    match find_in_path(tool, env::var_os("PATH").as_deref().map(Path::new)) {
        Some(path) => Some(path),
        None => missing(&format!("`{tool}` is not on PATH{}", hint(tool))),
    }
}

/// Every tool of `tools`, or `None` as soon as one is absent (see [`require_tool`]).
pub fn require_tools(tools: &[&str]) -> Option<Vec<PathBuf>> {
    tools.iter().map(|t| require_tool(t)).collect()
}

/// The value of the environment variable `var` (non-blank), or `None` when it is unset and tests
/// are not strict; strict, an unset variable panics naming `what` needs it.
pub fn require_env(var: &str, what: &str) -> Option<String> {
    match env::var(var).ok().filter(|v| !v.trim().is_empty()) {
        Some(v) => Some(v),
        None => missing(&format!("{what} is required: set {var}")),
    }
}

fn missing<T>(reason: &str) -> Option<T> {
    if strict() {
        panic!("{reason} ({STRICT}=1: a test that cannot run fails)");
    }
    eprintln!("SKIPPED: {reason}");
    None
}

/// The first executable file named `tool` in the folders of `path` (a `PATH` value).
fn find_in_path(tool: &str, path: Option<&Path>) -> Option<PathBuf> {
    let path = path?;
    env::split_paths(path.as_os_str())
        .map(|dir| dir.join(tool))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

fn hint(tool: &str) -> &'static str {
    match tool {
        "pdftotext" | "pdftoppm" | "pdfinfo" | "pdffonts" => " (apt-get install poppler-utils)",
        "strace" => " (apt-get install strace)",
        "chromium" => " (apt-get install chromium)",
        "Xvfb" => " (apt-get install xvfb)",
        "cage" => " (apt-get install cage)",
        "xdotool" => " (apt-get install xdotool)",
        "tauri-driver" => " (cargo install tauri-driver)",
        _ => " (scripts/install-prerequisites installs it)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn finds_an_executable_and_ignores_a_plain_file() {
        let dir = env::temp_dir().join(format!("certroom-testkit-{}", std::process::id()));
        let (bin, other) = (dir.join("bin"), dir.join("other"));
        fs::create_dir_all(&bin).unwrap();
        fs::create_dir_all(&other).unwrap();
        fs::write(other.join("tool"), "not executable").unwrap();
        let exe = bin.join("tool");
        fs::write(&exe, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let path = env::join_paths([&other, &bin]).unwrap();
        assert_eq!(find_in_path("tool", Some(Path::new(&path))), Some(exe));
        let only_other = env::join_paths([&other]).unwrap();
        assert_eq!(find_in_path("tool", Some(Path::new(&only_other))), None);
        assert_eq!(find_in_path("tool", None), None);
        fs::remove_dir_all(&dir).unwrap();
    }
}
