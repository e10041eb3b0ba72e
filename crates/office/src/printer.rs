//! Sending a printed PDF to the office's default printer, through CUPS's `lp`, as any desktop
//! application does: the printer the school set up, no driver of our own.

use std::path::Path;
use std::process::Command;

use certroom_core::message::UserMessage;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrinterError {
    #[error("no default printer")]
    NoDefault,
    #[error("no `lp` (CUPS) on this PC")]
    NotInstalled,
    #[error("the printer refused the document: {0}")]
    Refused(String),
}

impl UserMessage for PrinterError {
    fn code(&self) -> &str {
        match self {
            Self::NoDefault => "office.no_printer",
            Self::NotInstalled => "office.no_lp",
            Self::Refused(_) => "office.print_refused",
        }
    }

    fn message_fr(&self) -> String {
        match self {
            Self::NoDefault => "Aucune imprimante par défaut n'est définie sur ce PC : demandez au référent numérique d'en choisir une (paramètres d'impression), ou utilisez « Enregistrer sous… ».".into(),
            Self::NotInstalled => "L'impression n'est pas installée sur ce PC (commande `lp` absente) : demandez au référent numérique d'installer CUPS.".into(),
            Self::Refused(why) => format!("L'imprimante a refusé le document : {why}"),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::NoDefault => "No default printer is set on this PC: ask the school's IT contact to choose one, or use “Save as…”.".into(),
            Self::NotInstalled => "Printing is not installed on this PC (no `lp` command): ask the school's IT contact to install CUPS.".into(),
            Self::Refused(why) => format!("The printer refused the document: {why}"),
        }
    }
}

/// Sends `file` to the default printer with `lp` (the program, so tests can name another) and
/// returns the print job's id.
pub fn send(lp: &str, file: &Path) -> Result<String, PrinterError> {
    let out = Command::new(lp)
        .arg("--")
        .arg(file)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|_| PrinterError::NotInstalled)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(refusal(&stderr));
    }
    job_id(&stdout).ok_or_else(|| PrinterError::Refused(stdout.trim().to_owned()))
}

/// `request id is PDF-12 (1 file(s))` → `PDF-12`.
fn job_id(stdout: &str) -> Option<String> {
    let rest = stdout.split("request id is ").nth(1)?;
    rest.split_whitespace().next().map(str::to_owned)
}

fn refusal(stderr: &str) -> PrinterError {
    let text = stderr.trim();
    if text.contains("No default destination") || text.contains("Aucune destination par défaut") {
        PrinterError::NoDefault
    } else {
        PrinterError::Refused(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_lp_says_is_read() {
        assert_eq!(
            job_id("request id is PDF-12 (1 file(s))\n").as_deref(),
            Some("PDF-12")
        );
        assert_eq!(job_id("nothing"), None);
        assert_eq!(
            refusal("lp: Error - No default destination."),
            PrinterError::NoDefault
        );
        assert!(
            matches!(refusal("lp: Error - paper jam"), PrinterError::Refused(t) if t.contains("jam"))
        );
        assert!(PrinterError::NoDefault
            .message_fr()
            .starts_with("Aucune imprimante par défaut"));
    }

    #[test]
    fn a_pc_without_lp_is_told_so() {
        let e = send("/nonexistent/lp", Path::new("/tmp/x.pdf")).unwrap_err();
        assert_eq!(e, PrinterError::NotInstalled);
    }
}
