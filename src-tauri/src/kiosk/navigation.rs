//! Which URLs the kiosk webview may show: the app's own pages, and nothing else.

use tauri::Url;

/// The app's pages are served by Tauri's own protocol (`tauri://localhost` on Linux and macOS,
/// `http(s)://tauri.localhost` on Windows). Every other URL — another origin, `file:`, `data:`,
/// `about:` — is refused.
pub fn is_app_page(url: &Url) -> bool {
    match (url.scheme(), url.host_str()) {
        ("tauri", Some("localhost")) => true,
        ("http" | "https", Some("tauri.localhost")) => url.port().is_none(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(url: &str) -> bool {
        is_app_page(&Url::parse(url).unwrap())
    }

    #[test]
    fn allows_only_the_apps_own_pages() {
        assert!(allowed("tauri://localhost/index.html#/kiosk"));
        assert!(allowed("http://tauri.localhost/"));
        for url in [
            "http://127.0.0.1:8080/",
            "https://www.google.com/",
            "http://localhost:1420/",
            "file:///etc/passwd",
            "data:text/html,<h1>x</h1>",
            "about:blank",
            "tauri://evil.example/",
            "http://tauri.localhost:8080/",
            "http://tauri.localhost.evil.example/",
        ] {
            assert!(!allowed(url), "{url} must be refused");
        }
    }
}
