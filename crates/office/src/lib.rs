//! `certroom-office`: what the school office does with the results the central service
//! published — no window, no network (the desktop shell and `certroom-sync` bring those).
//!
//! - [`settings`]: the service's address, the centre's token, the service key the office trusts,
//!   the certificates' validity;
//! - [`library`]: the centre's signed results file kept on the office PC, checked against that
//!   key every time it is read, whether it came from the service or from a USB key;
//! - [`roster`]: the candidates as the office lists them (by session, by class), with what
//!   would stop their certificate from printing;
//! - [`print`]: the chosen candidates' certificates, one PDF, with progress;
//! - [`printer`]: that PDF sent to the office's default printer (CUPS `lp`).

#![forbid(unsafe_code)]

pub mod library;
pub mod print;
pub mod printer;
pub mod roster;
pub mod settings;

mod error;

pub use error::OfficeError;
pub use library::{ImportSummary, Library};
pub use print::{
    certificates_for, exported_pdf, print, print_file_name, CandidateRef, KnownBirthplace,
    PrintOptions,
};
pub use roster::{roster, Roster, Row};
pub use settings::Settings;

/// `aaaa-mm-jj` (or an RFC 3339 time) → `jj/mm/aaaa`, as French documents print dates; any
/// other text is returned unchanged rather than guessed at.
pub fn french_date(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso.get(..10).unwrap_or(iso), "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|_| iso.to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn french_dates() {
        assert_eq!(super::french_date("2027-03-12"), "12/03/2027");
        assert_eq!(super::french_date("2027-03-12T08:30:00Z"), "12/03/2027");
        assert_eq!(super::french_date("bientôt"), "bientôt");
        assert_eq!(super::french_date(""), "");
    }
}
