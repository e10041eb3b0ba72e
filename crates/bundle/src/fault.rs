//! The first thing wrong with a bundle, named so that a person can find it: the check that
//! failed and where (byte offset, candidate, test, record).

use std::fmt;

use certroom_core::message::UserMessage;
use certroom_journal::Problem;

use crate::model::Outcome;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleFault {
    /// The file could not be read.
    Io {
        path: String,
        detail: String,
    },
    /// Empty, or does not start with `CRBUNDLE`.
    NotABundle,
    UnsupportedVersion {
        found: u16,
    },
    /// The file ends inside the preamble, a section header or a section.
    Truncated {
        offset: u64,
        needed: u64,
        available: u64,
    },
    TrailingBytes {
        offset: u64,
        extra: u64,
    },
    /// A length above its bound (see `limits`); nothing was allocated for it.
    TooLarge {
        what: &'static str,
        offset: u64,
        len: u64,
        max: u64,
    },
    /// Any other layout error of the container.
    Framing {
        offset: u64,
        detail: &'static str,
    },
    DuplicateSection {
        offset: u64,
        what: String,
    },
    /// The inside of a journal section does not follow its layout.
    JournalSection {
        index: u32,
        offset: u64,
        test_id: Option<String>,
        detail: &'static str,
    },
    BadSignature,
    UntrustedConsole {
        key: String,
    },
    ManifestUnreadable {
        detail: String,
    },
    ManifestVersion {
        found: String,
    },
    ManifestInvalid {
        field: String,
        detail: &'static str,
    },
    /// The manifest names another console key than the one that signed it.
    ConsoleKeyMismatch,
    /// Journal sections are not in the manifest's candidate order.
    JournalOrder {
        test_id: String,
    },
    JournalHash {
        candidate: i64,
        test_id: String,
    },
    Chain {
        candidate: i64,
        test_id: String,
        seq: u64,
        problem: Problem,
    },
    HeaderMismatch {
        candidate: i64,
        test_id: String,
        field: &'static str,
    },
    /// The manifest names someone else than the identity the station signed in the journal's
    /// header, and no identity fix (incident C1) explains it.
    IdentityMismatch {
        candidate: i64,
        test_id: String,
        /// `BIRTH NAME First name, YYYY-MM-DD`, as the journal and as the manifest say.
        journal: String,
        manifest: String,
    },
    HeadInvalid {
        candidate: i64,
        test_id: String,
        detail: String,
    },
    HeadUntrusted {
        candidate: i64,
        test_id: String,
        key: String,
    },
    HeadMismatch {
        candidate: i64,
        test_id: String,
        seq: u64,
        what: &'static str,
    },
    OutcomeMismatch {
        candidate: i64,
        declared: Outcome,
        /// `None`: the candidate has no journal.
        journal: Option<Outcome>,
    },
    AbortReasonMissing {
        candidate: i64,
    },
    DuplicateCandidate {
        candidate: i64,
    },
    DuplicateTest {
        test_id: String,
    },
    OrphanJournal {
        test_id: String,
    },
    MissingJournal {
        candidate: i64,
        test_id: String,
    },
}

fn head_what_fr(what: &str) -> String {
    match what {
        "truncated" => "le journal s'arrête avant l'enregistrement signé (fin supprimée)".into(),
        "extended" => "des enregistrements suivent l'enregistrement signé".into(),
        "hash" => "l'empreinte signée n'est pas celle du journal".into(),
        field => format!("la tête signée décrit un autre test ({field})"),
    }
}

fn head_what_en(what: &str) -> String {
    match what {
        "truncated" => "the journal stops before the signed record (tail cut)".into(),
        "extended" => "records follow the signed record".into(),
        "hash" => "the signed hash is not the journal's".into(),
        field => format!("the signed head describes another test ({field})"),
    }
}

fn outcome_fr(o: Option<Outcome>) -> &'static str {
    o.map_or("aucun journal", Outcome::label_fr)
}

fn outcome_en(o: Option<Outcome>) -> &'static str {
    o.map_or("no journal", Outcome::label_en)
}

impl UserMessage for BundleFault {
    fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "bundle.io",
            Self::NotABundle => "bundle.not_a_bundle",
            Self::UnsupportedVersion { .. } => "bundle.unsupported_version",
            Self::Truncated { .. } => "bundle.truncated",
            Self::TrailingBytes { .. } => "bundle.trailing_bytes",
            Self::TooLarge { .. } => "bundle.too_large",
            Self::Framing { .. } => "bundle.framing",
            Self::DuplicateSection { .. } => "bundle.duplicate_section",
            Self::JournalSection { .. } => "bundle.journal_section",
            Self::BadSignature => "bundle.signature",
            Self::UntrustedConsole { .. } => "bundle.untrusted_console",
            Self::ManifestUnreadable { .. } => "bundle.manifest_unreadable",
            Self::ManifestVersion { .. } => "bundle.manifest_version",
            Self::ManifestInvalid { .. } => "bundle.manifest_invalid",
            Self::ConsoleKeyMismatch => "bundle.console_key_mismatch",
            Self::JournalOrder { .. } => "bundle.journal_order",
            Self::JournalHash { .. } => "bundle.journal_hash",
            Self::Chain { .. } => "bundle.chain",
            Self::HeaderMismatch { .. } => "bundle.header_mismatch",
            Self::IdentityMismatch { .. } => "bundle.identity_mismatch",
            Self::HeadInvalid { .. } => "bundle.head_invalid",
            Self::HeadUntrusted { .. } => "bundle.head_untrusted",
            Self::HeadMismatch { .. } => "bundle.head_mismatch",
            Self::OutcomeMismatch { .. } => "bundle.outcome_mismatch",
            Self::AbortReasonMissing { .. } => "bundle.abort_reason_missing",
            Self::DuplicateCandidate { .. } => "bundle.duplicate_candidate",
            Self::DuplicateTest { .. } => "bundle.duplicate_test",
            Self::OrphanJournal { .. } => "bundle.orphan_journal",
            Self::MissingJournal { .. } => "bundle.missing_journal",
        }
    }

    fn message_fr(&self) -> String {
        match self {
            Self::Io { path, detail } => format!("Impossible de lire le lot {path} : {detail}."),
            Self::NotABundle => "Ce fichier n'est pas un lot de résultats certroom (signature « CRBUNDLE » absente).".into(),
            Self::UnsupportedVersion { found } => format!("Version de lot {found} inconnue : mettez à jour le logiciel de vérification."),
            Self::Truncated { offset, needed, available } => format!("Lot tronqué : à l'octet {offset}, {needed} octet(s) attendu(s), {available} présent(s)."),
            Self::TrailingBytes { offset, extra } => format!("{extra} octet(s) en trop après la fin du lot (octet {offset})."),
            Self::TooLarge { what, offset, len, max } => format!("Taille hors limite ({what}, octet {offset}) : {len} pour un maximum de {max}."),
            Self::Framing { offset, detail } => format!("Structure du lot invalide à l'octet {offset} : {detail}."),
            Self::DuplicateSection { offset, what } => format!("Section en double ({what}) à l'octet {offset}."),
            Self::JournalSection { index, offset, test_id, detail } => format!(
                "Section de journal n°{index}{} mal formée à l'octet {offset} : {detail}.",
                test_id.as_deref().map(|t| format!(" (test {t})")).unwrap_or_default()
            ),
            Self::BadSignature => "La signature de la console ne correspond pas au manifeste : le lot a été modifié après sa signature.".into(),
            Self::UntrustedConsole { key } => format!("Lot signé par une console inconnue (clé {key}) : elle n'est pas dans la liste des consoles enregistrées."),
            Self::ManifestUnreadable { detail } => format!("Manifeste illisible : {detail}."),
            Self::ManifestVersion { found } => format!("Version de manifeste {found} inconnue."),
            Self::ManifestInvalid { field, detail } => format!("Manifeste : champ {field} invalide ({detail})."),
            Self::ConsoleKeyMismatch => "Le manifeste nomme une autre clé de console que celle qui l'a signé.".into(),
            Self::JournalOrder { test_id } => format!("Le journal du test {test_id} n'est pas à sa place (les journaux suivent l'ordre des candidats du manifeste)."),
            Self::JournalHash { candidate, test_id } => format!("Candidat {candidate}, test {test_id} : le journal a été modifié après la signature du lot (empreinte différente de celle du manifeste)."),
            Self::Chain { candidate, test_id, seq, problem } => format!("Candidat {candidate}, test {test_id}, enregistrement n°{seq} : {problem}"),
            Self::HeaderMismatch { candidate, test_id, field } => format!("Candidat {candidate}, test {test_id} : l'en-tête du journal ne correspond pas au manifeste ({field})."),
            Self::IdentityMismatch { candidate, test_id, journal, manifest } => format!("Candidat {candidate}, test {test_id} : le journal a été passé par {journal}, le manifeste nomme {manifest}, et aucun incident C1 (changement de nom ou de date de naissance) ne l'explique."),
            Self::HeadInvalid { candidate, test_id, detail } => format!("Candidat {candidate}, test {test_id} : tête signée invalide ({detail})."),
            Self::HeadUntrusted { candidate, test_id, key } => format!("Candidat {candidate}, test {test_id} : tête signée par un poste que la console n'a pas enregistré (clé {key})."),
            Self::HeadMismatch { candidate, test_id, seq, what } => format!("Candidat {candidate}, test {test_id}, enregistrement n°{seq} : {}.", head_what_fr(what)),
            Self::OutcomeMismatch { candidate, declared, journal } => format!("Candidat {candidate} : le manifeste indique « {} », le journal « {} ».", declared.label_fr(), outcome_fr(*journal)),
            Self::AbortReasonMissing { candidate } => format!("Candidat {candidate} : test non terminé sans motif d'abandon (candidat ou technique)."),
            Self::DuplicateCandidate { candidate } => format!("Le candidat {candidate} figure deux fois dans le manifeste."),
            Self::DuplicateTest { test_id } => format!("Le test {test_id} est attribué à deux candidats."),
            Self::OrphanJournal { test_id } => format!("Le journal du test {test_id} n'appartient à aucun candidat du manifeste."),
            Self::MissingJournal { candidate, test_id } => format!("Candidat {candidate} : le journal du test {test_id} manque dans le lot."),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::Io { path, detail } => format!("Cannot read bundle {path}: {detail}."),
            Self::NotABundle => "This file is not a certroom result bundle (no \"CRBUNDLE\" magic).".into(),
            Self::UnsupportedVersion { found } => format!("Unknown bundle version {found}: update the verifier."),
            Self::Truncated { offset, needed, available } => format!("Truncated bundle: at byte {offset}, {needed} byte(s) needed, {available} present."),
            Self::TrailingBytes { offset, extra } => format!("{extra} byte(s) after the end of the bundle (byte {offset})."),
            Self::TooLarge { what, offset, len, max } => format!("Size out of bounds ({what}, byte {offset}): {len} for a maximum of {max}."),
            Self::Framing { offset, detail } => format!("Invalid bundle layout at byte {offset}: {detail}."),
            Self::DuplicateSection { offset, what } => format!("Duplicate section ({what}) at byte {offset}."),
            Self::JournalSection { index, offset, test_id, detail } => format!(
                "Journal section {index}{} malformed at byte {offset}: {detail}.",
                test_id.as_deref().map(|t| format!(" (test {t})")).unwrap_or_default()
            ),
            Self::BadSignature => "The console's signature does not match the manifest: the bundle was changed after it was signed.".into(),
            Self::UntrustedConsole { key } => format!("Bundle signed by an unknown console (key {key}): it is not in the list of registered consoles."),
            Self::ManifestUnreadable { detail } => format!("Unreadable manifest: {detail}."),
            Self::ManifestVersion { found } => format!("Unknown manifest version {found}."),
            Self::ManifestInvalid { field, detail } => format!("Manifest: invalid field {field} ({detail})."),
            Self::ConsoleKeyMismatch => "The manifest names another console key than the one that signed it.".into(),
            Self::JournalOrder { test_id } => format!("The journal of test {test_id} is out of place (journals follow the manifest's candidate order)."),
            Self::JournalHash { candidate, test_id } => format!("Candidate {candidate}, test {test_id}: the journal was changed after the bundle was signed (hash differs from the manifest's)."),
            Self::Chain { candidate, test_id, seq, problem } => format!("Candidate {candidate}, test {test_id}, record {seq}: {problem}"),
            Self::HeaderMismatch { candidate, test_id, field } => format!("Candidate {candidate}, test {test_id}: the journal header disagrees with the manifest ({field})."),
            Self::IdentityMismatch { candidate, test_id, journal, manifest } => format!("Candidate {candidate}, test {test_id}: the journal was sat by {journal}, the manifest names {manifest}, and no C1 incident (name or birthdate change) explains it."),
            Self::HeadInvalid { candidate, test_id, detail } => format!("Candidate {candidate}, test {test_id}: invalid signed head ({detail})."),
            Self::HeadUntrusted { candidate, test_id, key } => format!("Candidate {candidate}, test {test_id}: head signed by a station the console did not enrol (key {key})."),
            Self::HeadMismatch { candidate, test_id, seq, what } => format!("Candidate {candidate}, test {test_id}, record {seq}: {}.", head_what_en(what)),
            Self::OutcomeMismatch { candidate, declared, journal } => format!("Candidate {candidate}: the manifest says \"{}\", the journal \"{}\".", declared.label_en(), outcome_en(*journal)),
            Self::AbortReasonMissing { candidate } => format!("Candidate {candidate}: unfinished test without an abort reason (candidate or technical)."),
            Self::DuplicateCandidate { candidate } => format!("Candidate {candidate} appears twice in the manifest."),
            Self::DuplicateTest { test_id } => format!("Test {test_id} is assigned to two candidates."),
            Self::OrphanJournal { test_id } => format!("The journal of test {test_id} belongs to no candidate of the manifest."),
            Self::MissingJournal { candidate, test_id } => format!("Candidate {candidate}: the journal of test {test_id} is missing from the bundle."),
        }
    }
}

impl fmt::Display for BundleFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {} / {}",
            self.code(),
            self.message_fr(),
            self.message_en()
        )
    }
}

impl std::error::Error for BundleFault {}

/// Why the console could not write a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    /// The system random generator failed (bundle id).
    Random,
    /// The input would make a bundle the verifier refuses; the fault says why.
    Rejected(BundleFault),
}

impl From<BundleFault> for BundleError {
    fn from(f: BundleFault) -> Self {
        BundleError::Rejected(f)
    }
}

impl UserMessage for BundleError {
    fn code(&self) -> &str {
        match self {
            Self::Random => "bundle.random",
            Self::Rejected(f) => f.code(),
        }
    }

    fn message_fr(&self) -> String {
        match self {
            Self::Random => "Le générateur aléatoire du système a échoué : lot non créé.".into(),
            Self::Rejected(f) => format!("Lot non créé : {}", f.message_fr()),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::Random => "The system random generator failed: no bundle written.".into(),
            Self::Rejected(f) => format!("No bundle written: {}", f.message_en()),
        }
    }
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {} / {}",
            self.code(),
            self.message_fr(),
            self.message_en()
        )
    }
}

impl std::error::Error for BundleError {}
