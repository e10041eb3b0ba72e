//! Where the certification service is, as the console and the office accept it: `https://`, or
//! `http://` to this very machine only (a demo, a test). Over plain HTTP on a network, the centre
//! token travels in clear and an office without a pinned key would take the service key from
//! whoever answers.

/// Trims, drops trailing slashes, and checks the scheme; the error is French then English.
pub fn checked(text: &str) -> Result<String, String> {
    let url = text.trim().trim_end_matches('/').to_owned();
    if let Some(rest) = url.strip_prefix("https://") {
        if host(rest).is_empty() {
            return Err(missing_host());
        }
        return Ok(url);
    }
    if let Some(rest) = url.strip_prefix("http://") {
        let h = host(rest);
        if h.is_empty() {
            return Err(missing_host());
        }
        if is_loopback(h) {
            return Ok(url);
        }
        return Err(format!(
            "« {url} » : le service doit être joint en https:// (http:// seulement vers ce poste \
             lui-même) / the service must be reached over https:// (http:// only to this machine)"
        ));
    }
    Err(format!(
        "« {url} » : adresse https://… attendue / https://… address expected"
    ))
}

fn missing_host() -> String {
    "adresse sans nom de serveur / address without a host name".into()
}

/// The host of what follows the scheme: up to the path, without port or user.
fn host(rest: &str) -> &str {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    authority.split(':').next().unwrap_or("")
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_to_this_machine() {
        assert_eq!(
            checked(" https://certif.example.fr/ ").unwrap(),
            "https://certif.example.fr"
        );
        assert!(checked("https://10.1.2.3:8443").is_ok());
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost:8080/",
            "http://[::1]:9000",
        ] {
            assert!(checked(local).is_ok(), "{local}");
        }
        for refused in [
            "http://certif.example.fr",
            "http://192.168.1.10:8080",
            "http://127.0.0.1.evil.example",
            "http://localhost@evil.example",
            "ftp://certif.example.fr",
            "certif.example.fr",
            "https://",
            "",
        ] {
            assert!(checked(refused).is_err(), "{refused}");
        }
        assert!(checked("http://certif.example.fr")
            .unwrap_err()
            .contains("https://"));
    }
}
