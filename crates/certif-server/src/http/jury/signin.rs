//! A jury member signed in to the jury pages: a random session id in an HttpOnly, SameSite=Strict
//! cookie scoped to `/jury`, and a CSRF token of its own that every form posts back. Sessions
//! live in memory: a restart signs everyone out, which costs a member one sign-in and keeps no
//! session secret on disk.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use certroom_core::hash::to_hex;
use ring::rand::{SecureRandom, SystemRandom};

/// A sign-in lasts a working day.
pub const LIFETIME: Duration = Duration::from_secs(8 * 3600);
pub const COOKIE: &str = "certif_jury";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub member: String,
    pub csrf: String,
}

#[derive(Default)]
pub struct SignIns {
    /// By SHA-256 of the session id: a memory dump does not hand out live cookies.
    open: Mutex<HashMap<String, (SignedIn, Instant)>>,
}

fn random_hex() -> Option<String> {
    let mut raw = [0u8; 32];
    SystemRandom::new().fill(&mut raw).ok()?;
    Some(to_hex(&raw))
}

fn digest(sid: &str) -> String {
    certroom_core::Hash::of(&[sid.as_bytes()]).to_hex()
}

impl SignIns {
    /// Opens a session for `member`; returns the cookie value.
    pub fn open(&self, member: &str) -> Option<String> {
        let sid = random_hex()?;
        let csrf = random_hex()?;
        let mut open = self.open.lock().ok()?;
        let now = Instant::now();
        open.retain(|_, (_, expires)| *expires > now);
        open.insert(
            digest(&sid),
            (
                SignedIn {
                    member: member.to_owned(),
                    csrf,
                },
                now + LIFETIME,
            ),
        );
        Some(sid)
    }

    pub fn get(&self, sid: &str) -> Option<SignedIn> {
        let open = self.open.lock().ok()?;
        let (s, expires) = open.get(&digest(sid))?;
        (*expires > Instant::now()).then(|| s.clone())
    }

    pub fn close(&self, sid: &str) {
        if let Ok(mut open) = self.open.lock() {
            open.remove(&digest(sid));
        }
    }
}

/// Compares in time independent of where the strings differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_opens_is_found_and_closes() {
        let s = SignIns::default();
        let sid = s.open("Mme Durand").unwrap();
        let got = s.get(&sid).unwrap();
        assert_eq!(got.member, "Mme Durand");
        assert_eq!(got.csrf.len(), 64);
        assert!(s.get("not-a-session").is_none());
        let other = s.open("M. Petit").unwrap();
        assert_ne!(s.get(&other).unwrap().csrf, got.csrf);
        s.close(&sid);
        assert!(s.get(&sid).is_none());
        assert!(s.get(&other).is_some());
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
    }
}
