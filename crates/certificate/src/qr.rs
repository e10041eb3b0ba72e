//! The QR text: `<base URL>/v/<code>#<base64url(version ‖ key id ‖ claims bytes ‖ signature)>`.
//!
//! Version 2 names the service key that signed (a big-endian u16, docs/certificate-format.md
//! §7); version 1, written before keys were numbered, has no id and was signed by key 1.
//!
//! The fragment never reaches a web server, so the public page can check the signature in the
//! browser and a phone without network still has everything it needs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use certroom_core::codes::is_verification_code;
use certroom_core::signature::{Batch, Signed};
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};

use crate::claims::{self, Claims};
use crate::error::{CertificateError, Malformed, VerifyError};
use crate::keys::ServiceKeys;

/// Version byte of the payload this crate writes. It also reads [`VERSION_WITHOUT_KEY_ID`].
pub const VERSION: u8 = 2;
/// The first format: no key id, signed by key 1.
pub const VERSION_WITHOUT_KEY_ID: u8 = 1;

/// Prefixed to the payload before signing, so a signature made by the service's key for another
/// purpose can never pass for a certificate's. The NUL ends it: no other domain string of ours
/// can be read as this one followed by payload bytes.
pub const SIGNING_DOMAIN: &[u8] = b"certroom-certificate-v1\0";

/// Longest text a QR code holds (version 40, level L, byte mode). Anything longer was not read
/// from one, and is refused before any decoding work.
pub const MAX_QR_TEXT: usize = 2953;

const SIGNATURE_LEN: usize = 64;
const PATH: &str = "/v/";

fn strip_scheme(url: &str) -> Option<&str> {
    url.strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
}

/// The base URL without its trailing `/`, or why it cannot start a verification URL.
fn base_url(url: &str) -> Result<&str, CertificateError> {
    let base = url.strip_suffix('/').unwrap_or(url);
    let host_given =
        strip_scheme(base).is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    // A `?` or `#` would move the code out of the path or the payload out of the fragment.
    let plain = base
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'#' && b != b'?');
    if host_given && plain {
        Ok(base)
    } else {
        Err(CertificateError::BaseUrl(url.to_owned()))
    }
}

/// What the service signs: the domain, then the payload's version and claims bytes exactly.
fn message(body: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(SIGNING_DOMAIN.len() + body.len());
    msg.extend_from_slice(SIGNING_DOMAIN);
    msg.extend_from_slice(body);
    msg
}

/// Signs `claims` with the certification service's key number `key_id` and returns the QR
/// text, `<base_url>/v/P-XXXXXXXX#<payload>` (docs/certificate-format.md). Names are signed in
/// NFC, so [`verify`] returns them in NFC. `base_url` is the deployment's public verification
/// site (`https://verifier.certroom.fr`); a trailing `/` is dropped.
pub fn sign(
    claims: &Claims,
    key: &Ed25519KeyPair,
    key_id: u16,
    base_url: &str,
) -> Result<String, CertificateError> {
    sign_all(std::slice::from_ref(claims), key, key_id, base_url)
        .pop()
        .unwrap_or(Err(CertificateError::SelfCheck(VerifyError::BadSignature)))
}

/// [`sign`] for several claims, one result each in order. The texts' signatures are checked
/// together (`certroom_core::signature`), the rest of the self-check text by text: the central
/// service signs a session's certificates at once.
pub fn sign_all(
    claims: &[Claims],
    key: &Ed25519KeyPair,
    key_id: u16,
    base_url: &str,
) -> Vec<Result<String, CertificateError>> {
    let public = <[u8; 32]>::try_from(key.public_key().as_ref()).ok();
    let mut batch = Batch::new();
    let mut texts: Vec<Result<String, CertificateError>> = claims
        .iter()
        .map(|c| {
            let public = public.ok_or(CertificateError::SelfCheck(VerifyError::BadSignature))?;
            let (text, signed) = signed_text(c, key, key_id, base_url, public)?;
            batch.push(signed);
            Ok(text)
        })
        .collect();
    // A certificate is printed once and checked for years: never hand out one that our own
    // verifier would refuse. The rare batch that fails is checked again text by text.
    if batch.verify().is_err() {
        for text in texts.iter_mut() {
            if let (Ok(t), Some(public)) = (&*text, public) {
                if let Err(e) = verify_with(t, &public) {
                    *text = Err(CertificateError::SelfCheck(e));
                }
            }
        }
    }
    texts
}

/// The QR text for `claims`, checked as [`verify_with`] checks it except for the signature,
/// which is returned to be checked.
fn signed_text(
    claims: &Claims,
    key: &Ed25519KeyPair,
    key_id: u16,
    base_url: &str,
    public: [u8; 32],
) -> Result<(String, Signed), CertificateError> {
    let base = self::base_url(base_url)?;
    let invalid = |(field, problem)| CertificateError::InvalidField { field, problem };
    let canonical = claims.canonical().map_err(invalid)?;
    let mut payload = vec![VERSION];
    payload.extend_from_slice(&key_id.to_be_bytes());
    canonical.encode(&mut payload).map_err(invalid)?;
    let signature = key.sign(&message(&payload));
    payload.extend_from_slice(signature.as_ref());
    let text = format!(
        "{base}{PATH}{}#{}",
        canonical.code(),
        URL_SAFE_NO_PAD.encode(&payload)
    );
    let parsed = parse(&text).map_err(CertificateError::SelfCheck)?;
    let signed = Signed {
        public_key: public,
        message: message(&parsed.body),
        signature: <[u8; 64]>::try_from(parsed.signature.as_slice())
            .map_err(|_| CertificateError::SelfCheck(VerifyError::BadSignature))?,
    };
    claims_of(parsed).map_err(CertificateError::SelfCheck)?;
    Ok((text, signed))
}

/// The code in the URL's path and the fragment.
fn split(text: &str) -> Result<(&str, &str), VerifyError> {
    if text.len() > MAX_QR_TEXT {
        return Err(VerifyError::NotCertificateUrl);
    }
    let (url, fragment) = text.split_once('#').ok_or(VerifyError::NotCertificateUrl)?;
    let rest = strip_scheme(url).ok_or(VerifyError::NotCertificateUrl)?;
    let (host, code) = rest
        .rsplit_once(PATH)
        .ok_or(VerifyError::NotCertificateUrl)?;
    if host.is_empty() || !is_verification_code(code) {
        return Err(VerifyError::NotCertificateUrl);
    }
    Ok((code, fragment))
}

/// A QR text taken apart, its structure checked but nothing trusted yet.
struct Parsed<'a> {
    url_code: &'a str,
    key_id: u16,
    /// Version, key id when present, claims: the bytes that were signed after the domain.
    body: Vec<u8>,
    signature: Vec<u8>,
    claims_at: usize,
}

fn parse(qr_text: &str) -> Result<Parsed<'_>, VerifyError> {
    let text = qr_text.trim_matches(|c: char| c.is_ascii_whitespace());
    let (url_code, fragment) = split(text)?;
    let mut payload = URL_SAFE_NO_PAD
        .decode(fragment)
        .map_err(|_| VerifyError::BadEncoding(Malformed::Base64))?;
    let truncated = VerifyError::BadEncoding(Malformed::Truncated);
    let (key_id, claims_at) = match payload.as_slice() {
        [] => return Err(truncated),
        [VERSION_WITHOUT_KEY_ID, ..] => (1, 1),
        [VERSION, hi, lo, ..] => (u16::from_be_bytes([*hi, *lo]), 3),
        [VERSION, ..] => return Err(truncated),
        [other, ..] => return Err(VerifyError::UnknownVersion(*other)),
    };
    let body_len = payload
        .len()
        .checked_sub(SIGNATURE_LEN)
        .filter(|len| *len >= claims_at)
        .ok_or(truncated)?;
    let signature = payload.split_off(body_len);
    // The structure is read before the signature is checked only so that a QR text cut short
    // is reported as such rather than as a forgery; nothing read is trusted until it passes.
    claims::decode(payload.get(claims_at..).unwrap_or_default())
        .map_err(VerifyError::BadEncoding)?;
    Ok(Parsed {
        url_code,
        key_id,
        body: payload,
        signature,
        claims_at,
    })
}

/// The number of the service key a QR text says it was signed with (1 for version 1).
pub fn key_id(qr_text: &str) -> Result<u16, VerifyError> {
    parse(qr_text).map(|p| p.key_id)
}

/// Checks a QR text against the certification service's keys and returns the signed claims:
/// the key it names must be trusted and not revoked. The host of the URL is not checked: the
/// signature, not the address, is what makes a certificate authentic, and deployments choose
/// their own address. Whitespace around the text (a scanner's trailing newline) is ignored.
pub fn verify(qr_text: &str, keys: &ServiceKeys) -> Result<Claims, VerifyError> {
    let parsed = parse(qr_text)?;
    let public = keys.key(parsed.key_id).map_err(VerifyError::Key)?;
    check(parsed, &public)
}

/// [`verify`] against one public key, whatever number the text names (the signer's self-check,
/// and the service re-signing what a revoked key signed).
pub fn verify_with(qr_text: &str, public: &[u8; 32]) -> Result<Claims, VerifyError> {
    check(parse(qr_text)?, public)
}

fn check(p: Parsed<'_>, public: &[u8; 32]) -> Result<Claims, VerifyError> {
    UnparsedPublicKey::new(&ED25519, public)
        .verify(&message(&p.body), &p.signature)
        .map_err(|_| VerifyError::BadSignature)?;
    claims_of(p)
}

/// The claims of a parsed text, once its signature holds: their byte form must be the one
/// canonical form, and their code the URL's.
fn claims_of(p: Parsed<'_>) -> Result<Claims, VerifyError> {
    let (header, claims_bytes) = p.body.split_at(p.claims_at);
    let raw = claims::decode(claims_bytes).map_err(VerifyError::BadEncoding)?;
    let invalid = |(field, problem)| VerifyError::InvalidField { field, problem };
    let claims = raw.claims().map_err(invalid)?;
    let mut again = header.to_vec();
    claims
        .canonical()
        .map_err(invalid)?
        .encode(&mut again)
        .map_err(invalid)?;
    if again != p.body {
        return Err(VerifyError::BadEncoding(Malformed::NonCanonical));
    }
    if claims.code != p.url_code {
        return Err(VerifyError::CodeMismatch {
            url: p.url_code.to_owned(),
            signed: claims.code,
        });
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_must_leave_the_path_and_fragment_to_the_format() {
        assert_eq!(
            base_url("https://verifier.certroom.fr/"),
            Ok("https://verifier.certroom.fr")
        );
        assert_eq!(
            base_url("http://10.0.0.2:8080/certif"),
            Ok("http://10.0.0.2:8080/certif")
        );
        for bad in [
            "",
            "verifier.certroom.fr",
            "https://",
            "https:///v",
            "ftp://verifier.certroom.fr",
            "https://verifier.certroom.fr/?a=1",
            "https://verifier.certroom.fr/#x",
            "https://verifier certroom.fr",
            "https://vérifieur.fr",
        ] {
            assert!(base_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_domain_separator_is_the_documented_one() {
        assert_eq!(SIGNING_DOMAIN, b"certroom-certificate-v1\0");
        assert_eq!(message(b"\x01ab"), b"certroom-certificate-v1\0\x01ab");
    }
}
