//! Session access codes, invigilator passwords and certificate verification codes.
//!
//! Generators take the caller's RNG (a CSPRNG in production) and own none; alphabets leave out
//! look-alike characters (0/O, 1/I/L, 5/S…).

use crate::rng::below;
use rand_chacha::rand_core::Rng;

/// Letters of a session access code.
pub const ACCESS_LETTERS: &str = "BCDFGHJKMPQRTVWXY";
/// Digits of a session access code.
pub const ACCESS_DIGITS: &str = "2346789";
/// Characters of an invigilator password.
pub const PASSWORD_CHARS: &str = "23456789bcdfghjkmpqrstvwxyBCDFGHJKMPQRSTVWXY!*?";
/// Characters of a verification code (after `P-`).
pub const VERIFICATION_CHARS: &str = "2346789BCDFGHJKMPQRTVWXY";

fn pick<R: Rng + ?Sized>(rng: &mut R, alphabet: &str) -> char {
    let n = alphabet.len() as u32; // ASCII alphabets: bytes are characters
    alphabet.chars().nth(below(rng, n) as usize).unwrap_or('?')
}

/// A session access code: 4 letters then 2 digits, e.g. `BCDF23`.
pub fn access_code<R: Rng + ?Sized>(rng: &mut R) -> String {
    let mut s: String = (0..4).map(|_| pick(rng, ACCESS_LETTERS)).collect();
    s.extend((0..2).map(|_| pick(rng, ACCESS_DIGITS)));
    s
}

/// Whether `s` is a well-formed access code.
pub fn is_access_code(s: &str) -> bool {
    s.len() == 6
        && s.chars().take(4).all(|c| ACCESS_LETTERS.contains(c))
        && s.chars().skip(4).all(|c| ACCESS_DIGITS.contains(c))
}

/// An invigilator password: 6 characters.
pub fn invigilator_password<R: Rng + ?Sized>(rng: &mut R) -> String {
    (0..6).map(|_| pick(rng, PASSWORD_CHARS)).collect()
}

/// Whether `s` is a well-formed invigilator password.
pub fn is_invigilator_password(s: &str) -> bool {
    s.chars().count() == 6 && s.chars().all(|c| PASSWORD_CHARS.contains(c))
}

/// A verification code: `P-` and 8 distinct characters.
pub fn verification_code<R: Rng + ?Sized>(rng: &mut R) -> String {
    let mut pool: Vec<char> = VERIFICATION_CHARS.chars().collect();
    let mut s = String::from("P-");
    // Partial Fisher–Yates: distinct characters, each position uniform.
    for i in 0..8 {
        let j = i + below(rng, (pool.len() - i) as u32) as usize;
        pool.swap(i, j);
        s.push(pool.get(i).copied().unwrap_or('?'));
    }
    s
}

/// Whether `s` is a well-formed verification code.
pub fn is_verification_code(s: &str) -> bool {
    let Some(body) = s.strip_prefix("P-") else {
        return false;
    };
    let chars: Vec<char> = body.chars().collect();
    chars.len() == 8
        && chars.iter().all(|c| VERIFICATION_CHARS.contains(*c))
        && chars
            .iter()
            .enumerate()
            .all(|(i, c)| !chars.iter().skip(i + 1).any(|d| d == c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn generated_codes_validate() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..2000 {
            let a = access_code(&mut rng);
            assert!(is_access_code(&a), "{a}");
            let p = invigilator_password(&mut rng);
            assert!(is_invigilator_password(&p), "{p}");
            let v = verification_code(&mut rng);
            assert!(is_verification_code(&v), "{v}");
        }
    }

    #[test]
    fn validators_refuse_look_alikes_and_repeats() {
        assert!(is_access_code("BCDF23"));
        assert!(!is_access_code("BCDF25"), "5 is not a code digit");
        assert!(!is_access_code("ACDF23"), "vowels excluded");
        assert!(!is_access_code("BCD234"));
        assert!(!is_access_code("BCDF2"));
        assert!(is_invigilator_password("b2!*?X"));
        assert!(!is_invigilator_password("b2!*?0"));
        assert!(!is_invigilator_password("b2!*?"));
        assert!(is_verification_code("P-2346789B"));
        assert!(!is_verification_code("P-2346789 "));
        assert!(!is_verification_code("P-22467893"), "distinct");
        assert!(!is_verification_code("X-2346789B"));
        assert!(!is_verification_code("P-2346789B1"));
    }

    #[test]
    fn every_letter_can_appear() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..500 {
            seen.extend(access_code(&mut rng).chars());
        }
        assert_eq!(seen.len(), ACCESS_LETTERS.len() + ACCESS_DIGITS.len());
    }
}
