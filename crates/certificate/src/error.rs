//! Errors of signing and of verifying, each with a stable code and a French then English message.

use certroom_core::message::UserMessage;

use crate::claims::{Field, Problem};
use crate::keys::KeyError;

/// Why the service could not sign a certificate. Nothing was produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("cannot sign: the {field} {problem}")]
    InvalidField { field: Field, problem: Problem },
    /// Not `http://` or `https://` followed by a host, or holding a space, `#` or `?`.
    #[error("verification base URL `{0}` is not an http(s) URL without query or fragment")]
    BaseUrl(String),
    /// The signed text failed this crate's own verification: a bug, never printed.
    #[error("the signed certificate does not verify: {0}")]
    SelfCheck(VerifyError),
}

/// What is wrong with the bytes of a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// The fragment is not unpadded base64url with zero trailing bits.
    Base64,
    /// Fewer bytes than the fields announce: usually a QR text cut short.
    Truncated,
    /// Bytes left over after the last field.
    TrailingBytes,
    /// The fields decode, but re-encoding them gives other bytes.
    NonCanonical,
}

impl Malformed {
    fn describe_fr(self) -> &'static str {
        match self {
            Malformed::Base64 => "le texte après « # » n'est pas du base64url",
            Malformed::Truncated => "le contenu est incomplet",
            Malformed::TrailingBytes => "des données suivent le dernier champ",
            Malformed::NonCanonical => "les champs ne sont pas écrits sous leur forme unique",
        }
    }

    fn describe_en(self) -> &'static str {
        match self {
            Malformed::Base64 => "the text after “#” is not base64url",
            Malformed::Truncated => "the content is incomplete",
            Malformed::TrailingBytes => "data follows the last field",
            Malformed::NonCanonical => "the fields are not written in their single form",
        }
    }
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe_en())
    }
}

/// Why a QR text is not an authentic certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not `http(s)://…/v/P-XXXXXXXX#…` (or longer than any QR code holds).
    #[error("not a certificate verification URL")]
    NotCertificateUrl,
    #[error("certificate payload cannot be decoded: {0}")]
    BadEncoding(Malformed),
    /// A payload format this version of the software does not know.
    #[error("unknown certificate format version {0}")]
    UnknownVersion(u8),
    /// The URL names another certificate than the one signed: the QR text was edited.
    #[error("the URL's code {url} differs from the signed code {signed}")]
    CodeMismatch { url: String, signed: String },
    /// Not signed by the holder of this public key, or altered after signing.
    #[error("the signature does not match the certification service's key")]
    BadSignature,
    /// Correctly signed, but a field breaks the format's rules: the signer is faulty.
    #[error("the signed {field} {problem}")]
    InvalidField { field: Field, problem: Problem },
    /// The key the payload names is unknown to this verifier, or revoked.
    #[error("{0}")]
    Key(KeyError),
}

impl UserMessage for CertificateError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidField { .. } => "certificate.claims_invalid",
            Self::BaseUrl(_) => "certificate.base_url",
            Self::SelfCheck(_) => "certificate.self_check",
        }
    }
    fn message_fr(&self) -> String {
        match self {
            Self::InvalidField { field, problem } => format!(
                "L'attestation n'a pas été signée : le champ « {} » {}. Corrigez-le puis \
                 recommencez.",
                field.label_fr(),
                problem.describe_fr()
            ),
            Self::BaseUrl(url) => format!(
                "L'adresse de vérification « {url} » est invalide : elle doit commencer par \
                 https:// (ou http://) suivi du nom du serveur, sans espace, « ? » ni « # ». \
                 Corrigez la configuration du service."
            ),
            Self::SelfCheck(e) => format!(
                "Erreur interne : l'attestation signée ne passe pas sa propre vérification ({}). \
                 Rien n'a été imprimé ; signalez-le à l'assistance.",
                e.message_fr()
            ),
        }
    }
    fn message_en(&self) -> String {
        match self {
            Self::InvalidField { field, problem } => format!(
                "The certificate was not signed: the field “{}” {}. Correct it and try again.",
                field.label_en(),
                problem.describe_en()
            ),
            Self::BaseUrl(url) => format!(
                "The verification address “{url}” is invalid: it must start with https:// (or \
                 http://) and the server name, without spaces, “?” or “#”. Correct the \
                 service's configuration."
            ),
            Self::SelfCheck(e) => format!(
                "Internal error: the signed certificate fails its own verification ({}). \
                 Nothing was printed; report it to support.",
                e.message_en()
            ),
        }
    }
}

impl UserMessage for VerifyError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotCertificateUrl => "certificate.not_certificate_url",
            Self::BadEncoding(_) => "certificate.bad_encoding",
            Self::UnknownVersion(_) => "certificate.unknown_version",
            Self::CodeMismatch { .. } => "certificate.code_mismatch",
            Self::BadSignature => "certificate.bad_signature",
            Self::InvalidField { .. } => "certificate.invalid_field",
            Self::Key(e) => e.code(),
        }
    }
    fn message_fr(&self) -> String {
        match self {
            Self::NotCertificateUrl => "Ce texte n'est pas le QR code d'une attestation : il \
                                        doit être une adresse de la forme \
                                        https://…/v/P-XXXXXXXX#… ."
                .into(),
            Self::BadEncoding(m) => format!(
                "Le contenu du QR code est illisible ({}). Scannez-le de nouveau ; si l'erreur \
                 persiste, l'attestation a été abîmée ou modifiée.",
                m.describe_fr()
            ),
            Self::UnknownVersion(v) => format!(
                "Ce QR code suit un format d'attestation (version {v}) que ce logiciel ne \
                 connaît pas. Mettez à jour le logiciel de vérification."
            ),
            Self::CodeMismatch { url, signed } => format!(
                "Attestation NON AUTHENTIQUE : l'adresse porte le code {url} mais l'attestation \
                 signée porte le code {signed}. Le QR code a été modifié."
            ),
            Self::BadSignature => "Attestation NON AUTHENTIQUE : la signature ne correspond \
                                   pas à la clé du service de certification. L'attestation a \
                                   été modifiée ou n'a pas été délivrée par ce service."
                .into(),
            Self::InvalidField { field, problem } => format!(
                "L'attestation est signée mais son champ « {} » {} : elle ne suit pas le \
                 format. Signalez-le au service de certification.",
                field.label_fr(),
                problem.describe_fr()
            ),
            Self::Key(e) => e.message_fr(),
        }
    }
    fn message_en(&self) -> String {
        match self {
            Self::NotCertificateUrl => "This text is not a certificate's QR code: it must be \
                                        an address like https://…/v/P-XXXXXXXX#…."
                .into(),
            Self::BadEncoding(m) => format!(
                "The QR code's content is unreadable ({}). Scan it again; if the error \
                 persists, the certificate was damaged or altered.",
                m.describe_en()
            ),
            Self::UnknownVersion(v) => format!(
                "This QR code follows a certificate format (version {v}) this software does \
                 not know. Update the verification software."
            ),
            Self::CodeMismatch { url, signed } => format!(
                "Certificate NOT AUTHENTIC: the address carries the code {url} but the signed \
                 certificate carries the code {signed}. The QR code was altered."
            ),
            Self::BadSignature => "Certificate NOT AUTHENTIC: the signature does not match \
                                   the certification service's key. The certificate was \
                                   altered or was not issued by this service."
                .into(),
            Self::InvalidField { field, problem } => format!(
                "The certificate is signed but its field “{}” {}: it does not follow the \
                 format. Report it to the certification service.",
                field.label_en(),
                problem.describe_en()
            ),
            Self::Key(e) => e.message_en(),
        }
    }
}
