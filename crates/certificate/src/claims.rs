//! The signed fields of a certificate and their one byte encoding (docs/certificate-format.md §2).
//!
//! Every value has exactly one encoding: names are NFC, dates are binary calendar dates, levels
//! are nibbles, and the decoder refuses what the encoder would never write. The signature is
//! checked over the bytes received, and [`crate::verify`] also re-encodes what it decoded and
//! requires the same bytes, so two different byte strings never mean the same certificate.

use std::fmt;

use certroom_core::codes::is_verification_code;
use certroom_core::framework::{COMPETENCE_CODES, COMPETENCE_COUNT, LEVEL_COUNT};
use unicode_normalization::{is_nfc, UnicodeNormalization};

use crate::error::Malformed;

/// Longest first or last name, in bytes of UTF-8 after NFC normalisation. The length prefix is
/// one byte; 100 keeps the longest QR text near 440 characters (docs §4) while leaving room for
/// the longest compound French civil names.
pub const MAX_NAME_BYTES: usize = 100;

/// Characters after `P-` in a verification code.
const CODE_LEN: usize = 8;

/// What the certification service vouches for: the fields a verifier shows next to "authentic".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Claims {
    /// Verification code, `P-` + 8 distinct characters of
    /// [`certroom_core::codes::VERIFICATION_CHARS`].
    pub code: String,
    /// May be empty (some people have a single name). NFC after signing.
    pub first_name: String,
    /// As on the identity document (the PDF prints it in capitals). NFC after signing.
    pub last_name: String,
    /// `YYYY-MM-DD`.
    pub birthdate: String,
    /// Date of issue, `YYYY-MM-DD`.
    pub issued: String,
    pub pix: u16,
    pub pix_max: u16,
    /// 0 … [`LEVEL_COUNT`].
    pub global_level: u8,
    /// One level (0 … [`LEVEL_COUNT`]) per competence, framework order 1.1 … 5.2.
    pub levels: [u8; COMPETENCE_COUNT],
}

/// A field of [`Claims`], to say which one is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Code,
    FirstName,
    LastName,
    Birthdate,
    Issued,
    Pix,
    GlobalLevel,
    /// Index in framework order (0 is competence 1.1).
    Level(usize),
}

/// What is wrong with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Problem {
    /// Not `P-` + 8 distinct characters of the verification alphabet.
    NotVerificationCode,
    Empty,
    /// Longer than `max` bytes of UTF-8.
    TooLong {
        max: usize,
    },
    /// A control character, or one that reorders the text on screen (bidi override or
    /// isolate), which could make a verifier display a name other than the one signed.
    ControlCharacter,
    NotUtf8,
    /// Not in Unicode normalisation form C: a signer of this format never writes it.
    NotNfc,
    /// Not a real calendar date written `YYYY-MM-DD` (year 0001 … 9999).
    NotDate,
    /// The pix score is above the maximum score.
    AbovePixMax,
    /// A level above `max`.
    AboveLevel {
        max: u8,
    },
}

impl Field {
    fn competence(i: usize) -> &'static str {
        COMPETENCE_CODES.get(i).copied().unwrap_or("?")
    }

    pub(crate) fn label_fr(self) -> String {
        match self {
            Field::Code => "code de vérification".into(),
            Field::FirstName => "prénom".into(),
            Field::LastName => "nom".into(),
            Field::Birthdate => "date de naissance".into(),
            Field::Issued => "date de délivrance".into(),
            Field::Pix => "score pix".into(),
            Field::GlobalLevel => "niveau global".into(),
            Field::Level(i) => format!("niveau de la compétence {}", Self::competence(i)),
        }
    }

    pub(crate) fn label_en(self) -> String {
        match self {
            Field::Code => "verification code".into(),
            Field::FirstName => "first name".into(),
            Field::LastName => "last name".into(),
            Field::Birthdate => "birthdate".into(),
            Field::Issued => "date of issue".into(),
            Field::Pix => "pix score".into(),
            Field::GlobalLevel => "overall level".into(),
            Field::Level(i) => format!("level of competence {}", Self::competence(i)),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label_en())
    }
}

impl Problem {
    pub(crate) fn describe_fr(self) -> String {
        match self {
            Problem::NotVerificationCode => "n'est pas « P- » suivi de 8 caractères distincts \
                                             parmi 2346789BCDFGHJKMPQRTVWXY"
                .into(),
            Problem::Empty => "est vide".into(),
            Problem::TooLong { max } => format!("dépasse {max} octets (UTF-8)"),
            Problem::ControlCharacter => {
                "contient un caractère de contrôle ou d'inversion du sens du texte".into()
            }
            Problem::NotUtf8 => "n'est pas du texte UTF-8 valide".into(),
            Problem::NotNfc => "n'est pas en forme normalisée NFC".into(),
            Problem::NotDate => "n'est pas une date réelle au format AAAA-MM-JJ".into(),
            Problem::AbovePixMax => "dépasse le score maximal".into(),
            Problem::AboveLevel { max } => format!("dépasse le niveau {max}"),
        }
    }

    pub(crate) fn describe_en(self) -> String {
        match self {
            Problem::NotVerificationCode => {
                "is not “P-” followed by 8 distinct characters of 2346789BCDFGHJKMPQRTVWXY".into()
            }
            Problem::Empty => "is empty".into(),
            Problem::TooLong { max } => format!("is longer than {max} bytes (UTF-8)"),
            Problem::ControlCharacter => "holds a control or text-direction character".into(),
            Problem::NotUtf8 => "is not valid UTF-8 text".into(),
            Problem::NotNfc => "is not in Unicode normalisation form NFC".into(),
            Problem::NotDate => "is not a real date written YYYY-MM-DD".into(),
            Problem::AbovePixMax => "is above the maximum score".into(),
            Problem::AboveLevel { max } => format!("is above level {max}"),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe_en())
    }
}

/// A calendar date as it is encoded: year (big-endian u16), month, day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        ((1..=9999).contains(&year) && (1..=days).contains(&day)).then_some(Date {
            year,
            month,
            day,
        })
    }

    /// Exactly `YYYY-MM-DD`: no sign, no spaces, no shorter fields, so the text a verifier
    /// shows is the text that was signed.
    fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        let digits = |range: std::ops::Range<usize>| -> Option<u16> {
            let part = b.get(range)?;
            part.iter().try_fold(0u16, |acc, d| {
                d.is_ascii_digit().then(|| acc * 10 + u16::from(d - b'0'))
            })
        };
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        let month = u8::try_from(digits(5..7)?).ok()?;
        let day = u8::try_from(digits(8..10)?).ok()?;
        Date::new(digits(0..4)?, month, day)
    }

    fn from_bytes(b: [u8; 4]) -> Option<Date> {
        let [y0, y1, month, day] = b;
        Date::new(u16::from_be_bytes([y0, y1]), month, day)
    }

    fn to_bytes(self) -> [u8; 4] {
        let [y0, y1] = self.year.to_be_bytes();
        [y0, y1, self.month, self.day]
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Claims checked and in the only form the encoding admits.
pub(crate) struct Canonical {
    code: [u8; CODE_LEN],
    first_name: String,
    last_name: String,
    birthdate: Date,
    issued: Date,
    pix: u16,
    pix_max: u16,
    global_level: u8,
    levels: [u8; COMPETENCE_COUNT],
}

type Invalid = (Field, Problem);

/// Bidi embeddings, overrides and isolates, and the invisible direction marks: they change how a
/// name is displayed without showing themselves.
fn reorders_text(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The checks a name passes on both sides; `name` is already NFC.
fn check_name(field: Field, name: &str) -> Result<(), Invalid> {
    if field == Field::LastName && name.is_empty() {
        return Err((field, Problem::Empty));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err((
            field,
            Problem::TooLong {
                max: MAX_NAME_BYTES,
            },
        ));
    }
    if name.chars().any(|c| c.is_control() || reorders_text(c)) {
        return Err((field, Problem::ControlCharacter));
    }
    Ok(())
}

fn check_levels(claims: &Claims) -> Result<(), Invalid> {
    if claims.pix > claims.pix_max {
        return Err((Field::Pix, Problem::AbovePixMax));
    }
    let above = Problem::AboveLevel { max: LEVEL_COUNT };
    if claims.global_level > LEVEL_COUNT {
        return Err((Field::GlobalLevel, above));
    }
    match claims.levels.iter().position(|l| *l > LEVEL_COUNT) {
        Some(i) => Err((Field::Level(i), above)),
        None => Ok(()),
    }
}

impl Claims {
    /// Checks the claims and normalises the names to NFC, the form that is signed.
    pub(crate) fn canonical(&self) -> Result<Canonical, Invalid> {
        let code = self
            .code
            .strip_prefix("P-")
            .filter(|_| is_verification_code(&self.code))
            .and_then(|body| <[u8; CODE_LEN]>::try_from(body.as_bytes()).ok())
            .ok_or((Field::Code, Problem::NotVerificationCode))?;
        let first_name: String = self.first_name.nfc().collect();
        check_name(Field::FirstName, &first_name)?;
        let last_name: String = self.last_name.nfc().collect();
        check_name(Field::LastName, &last_name)?;
        let birthdate = Date::parse(&self.birthdate).ok_or((Field::Birthdate, Problem::NotDate))?;
        let issued = Date::parse(&self.issued).ok_or((Field::Issued, Problem::NotDate))?;
        check_levels(self)?;
        Ok(Canonical {
            code,
            first_name,
            last_name,
            birthdate,
            issued,
            pix: self.pix,
            pix_max: self.pix_max,
            global_level: self.global_level,
            levels: self.levels,
        })
    }
}

impl Canonical {
    /// Appends the claims bytes (docs §2), without the version byte.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), Invalid> {
        out.extend_from_slice(&self.code);
        for (field, name) in [
            (Field::FirstName, &self.first_name),
            (Field::LastName, &self.last_name),
        ] {
            let len = u8::try_from(name.len()).map_err(|_| {
                (
                    field,
                    Problem::TooLong {
                        max: MAX_NAME_BYTES,
                    },
                )
            })?;
            out.push(len);
            out.extend_from_slice(name.as_bytes());
        }
        out.extend_from_slice(&self.birthdate.to_bytes());
        out.extend_from_slice(&self.issued.to_bytes());
        out.extend_from_slice(&self.pix.to_be_bytes());
        out.extend_from_slice(&self.pix_max.to_be_bytes());
        out.push(self.global_level);
        // Levels are 0–8: two per byte, competence 1.1 in the high nibble of the first byte.
        for pair in self.levels.chunks(2) {
            let (hi, lo) = match pair {
                [hi, lo] => (*hi, *lo),
                [hi] => (*hi, 0),
                _ => (0, 0),
            };
            out.push((hi << 4) | (lo & 0x0F));
        }
        Ok(())
    }

    pub(crate) fn code(&self) -> String {
        let mut code = String::from("P-");
        code.extend(self.code.iter().map(|b| char::from(*b)));
        code
    }
}

/// The claims bytes split into fields, not yet checked.
pub(crate) struct Raw<'a> {
    code: &'a [u8],
    first_name: &'a [u8],
    last_name: &'a [u8],
    birthdate: [u8; 4],
    issued: [u8; 4],
    pix: u16,
    pix_max: u16,
    global_level: u8,
    levels: [u8; COMPETENCE_COUNT / 2],
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        let (head, tail) = self.rest.split_at_checked(n).ok_or(Malformed::Truncated)?;
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Malformed> {
        <[u8; N]>::try_from(self.take(N)?).map_err(|_| Malformed::Truncated)
    }

    fn byte(&mut self) -> Result<u8, Malformed> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    fn u16(&mut self) -> Result<u16, Malformed> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn name(&mut self) -> Result<&'a [u8], Malformed> {
        let len = self.byte()?;
        self.take(usize::from(len))
    }
}

/// Splits the claims bytes (after the version byte) into fields; every byte must be used.
pub(crate) fn decode(bytes: &[u8]) -> Result<Raw<'_>, Malformed> {
    let mut r = Reader { rest: bytes };
    let raw = Raw {
        code: r.take(CODE_LEN)?,
        first_name: r.name()?,
        last_name: r.name()?,
        birthdate: r.array()?,
        issued: r.array()?,
        pix: r.u16()?,
        pix_max: r.u16()?,
        global_level: r.byte()?,
        levels: r.array()?,
    };
    if r.rest.is_empty() {
        Ok(raw)
    } else {
        Err(Malformed::TrailingBytes)
    }
}

fn signed_name(field: Field, bytes: &[u8]) -> Result<String, Invalid> {
    let name = std::str::from_utf8(bytes).map_err(|_| (field, Problem::NotUtf8))?;
    if !is_nfc(name) {
        return Err((field, Problem::NotNfc));
    }
    check_name(field, name)?;
    Ok(name.to_owned())
}

impl Raw<'_> {
    /// The fields as [`Claims`], with the same checks [`Claims::canonical`] makes before signing.
    pub(crate) fn claims(&self) -> Result<Claims, Invalid> {
        let code = std::str::from_utf8(self.code)
            .ok()
            .map(|body| format!("P-{body}"))
            .filter(|code| is_verification_code(code))
            .ok_or((Field::Code, Problem::NotVerificationCode))?;
        let first_name = signed_name(Field::FirstName, self.first_name)?;
        let last_name = signed_name(Field::LastName, self.last_name)?;
        let birthdate =
            Date::from_bytes(self.birthdate).ok_or((Field::Birthdate, Problem::NotDate))?;
        let issued = Date::from_bytes(self.issued).ok_or((Field::Issued, Problem::NotDate))?;
        let mut levels = [0u8; COMPETENCE_COUNT];
        for (pair, byte) in levels.chunks_mut(2).zip(self.levels) {
            if let [hi, lo] = pair {
                *hi = byte >> 4;
                *lo = byte & 0x0F;
            }
        }
        let claims = Claims {
            code,
            first_name,
            last_name,
            birthdate: birthdate.to_string(),
            issued: issued.to_string(),
            pix: self.pix,
            pix_max: self.pix_max,
            global_level: self.global_level,
            levels,
        };
        check_levels(&claims)?;
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_real_and_written_one_way() {
        for ok in [
            "2024-02-29",
            "2000-02-29",
            "0001-01-01",
            "9999-12-31",
            "2008-05-12",
        ] {
            let d = Date::parse(ok).unwrap_or_else(|| panic!("{ok}"));
            assert_eq!(d.to_string(), ok);
            assert_eq!(Date::from_bytes(d.to_bytes()), Some(d));
        }
        for bad in [
            "2023-02-29",
            "1900-02-29",
            "2024-04-31",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "0000-01-01",
            "2024-1-01",
            "24-01-01",
            "2024/01/01",
            "+024-01-01",
            "2024-01-01 ",
            "２０２４-01-01",
            "",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Date::from_bytes([0x07, 0xE8, 2, 30]), None);
        assert_eq!(Date::from_bytes([0, 0, 1, 1]), None);
    }

    #[test]
    fn levels_pack_two_per_byte_in_framework_order() {
        let claims = Claims {
            code: "P-2346789B".into(),
            last_name: "X".into(),
            birthdate: "2008-01-01".into(),
            issued: "2025-06-01".into(),
            levels: [1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5, 6, 7],
            ..Claims::default()
        };
        let mut out = Vec::new();
        claims.canonical().unwrap().encode(&mut out).unwrap();
        assert_eq!(
            out.get(out.len() - 8..),
            Some(&[0x12, 0x34, 0x56, 0x78, 0x01, 0x23, 0x45, 0x67][..])
        );
        assert_eq!(decode(&out).unwrap().claims().unwrap(), claims);
    }

    #[test]
    fn names_that_would_display_differently_are_refused() {
        for (name, problem) in [
            ("Ann\u{202E}eT", Problem::ControlCharacter),
            ("Ann\u{2067}e", Problem::ControlCharacter),
            ("Ann\u{200F}e", Problem::ControlCharacter),
            ("Ann\ne", Problem::ControlCharacter),
            ("Ann\u{7}e", Problem::ControlCharacter),
            ("", Problem::Empty),
        ] {
            assert_eq!(
                check_name(Field::LastName, name),
                Err((Field::LastName, problem))
            );
        }
        assert_eq!(check_name(Field::FirstName, ""), Ok(()));
        assert_eq!(
            signed_name(Field::LastName, "Zoe\u{301}".as_bytes()),
            Err((Field::LastName, Problem::NotNfc))
        );
        assert_eq!(
            signed_name(Field::LastName, &[0xC3]),
            Err((Field::LastName, Problem::NotUtf8))
        );
    }

    #[test]
    fn decoding_uses_every_byte() {
        let claims = Claims {
            code: "P-2346789B".into(),
            first_name: "Léa".into(),
            last_name: "Roux".into(),
            birthdate: "2008-01-01".into(),
            issued: "2025-06-01".into(),
            ..Claims::default()
        };
        let mut out = Vec::new();
        claims.canonical().unwrap().encode(&mut out).unwrap();
        for cut in 0..out.len() {
            assert!(
                matches!(decode(&out[..cut]), Err(Malformed::Truncated)),
                "cut at {cut}"
            );
        }
        out.push(0);
        assert!(matches!(decode(&out), Err(Malformed::TrailingBytes)));
    }
}
