//! The public verification page: a short, accessible French page (no script, no external
//! resource) showing what the certificate shows — date of issue, score, levels — with the
//! holder's first name and last name's initial; the full name to whoever gives the holder's
//! birthdate (a form on the page) or the QR code's signed payload. Never the birthdate,
//! birthplace or e-mail, so that trying codes teaches nobody a pupil's identity.

use certroom_core::framework::{crcn, COMPETENCE_CODES};

use crate::model::Certification;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `2026-05-12` → `12 mai 2026`; anything else is shown as given.
pub fn date_fr(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [y, m, d] => match (m.parse::<usize>(), d.parse::<u32>()) {
            (Ok(m @ 1..=12), Ok(d @ 1..=31)) => {
                let day = if d == 1 {
                    "1er".to_owned()
                } else {
                    d.to_string()
                };
                format!("{day} {} {y}", MONTHS[m - 1])
            }
            _ => iso.to_owned(),
        },
        _ => iso.to_owned(),
    }
}

pub(crate) const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;\
line-height:1.5;margin:0;color:#1b1b1b;background:#fff}main{max-width:44rem;margin:0 auto;\
padding:1.5rem}h1{font-size:1.6rem}.ok{border-left:.4rem solid #18753c;padding:.5rem 1rem;\
background:#e6f4ea}.ko{border-left:.4rem solid #b34000;padding:.5rem 1rem;background:#fdecea}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1.2rem}dt{font-weight:700}\
dd{margin:0}table{border-collapse:collapse;width:100%;margin-top:1rem}caption{text-align:left;\
font-weight:700;font-size:1.2rem;padding:.5rem 0}th,td{border:1px solid #929292;padding:.4rem .6rem;\
text-align:left}td{text-align:center;width:6rem}tbody th{font-weight:400}small{color:#3a3a3a}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n<title>{}</title>\n<style>{STYLE}</style>\n\
         </head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n",
        escape(title)
    )
}

fn competence_title(i: usize) -> String {
    let code = COMPETENCE_CODES.get(i).copied().unwrap_or("?");
    let title = crcn()
        .ok()
        .and_then(|f| f.competence(code))
        .map(|c| c.title.fr.clone())
        .unwrap_or_default();
    if title.is_empty() {
        code.to_owned()
    } else {
        format!("{code} {title}")
    }
}

/// The page for a valid certification: the full name when `full`; `wrong_birthdate` when the
/// visitor gave a birthdate that is not the holder's.
pub fn certificate(c: &Certification, full: bool, wrong_birthdate: bool) -> String {
    let d = &c.draft;
    let holder = if full {
        format!("{} {}", d.first_name, d.last_name.to_uppercase())
    } else {
        format!(
            "{} {}",
            d.first_name,
            crate::dto::last_name_initial(&d.last_name)
        )
    };
    let reveal = if full {
        String::new()
    } else {
        format!(
            "{wrong}<form method=\"get\" action=\"/verify/{code}\">\n\
             <p>Pour voir le nom complet du titulaire, saisissez sa date de naissance.</p>\n\
             <label for=\"birthdate\">Date de naissance du titulaire</label>\n\
             <input type=\"date\" id=\"birthdate\" name=\"birthdate\" required \
             autocomplete=\"off\">\n<button type=\"submit\">Afficher le nom complet</button>\n\
             </form>\n",
            wrong = if wrong_birthdate {
                "<p class=\"ko\" role=\"alert\">Cette date de naissance n'est pas celle du \
                 titulaire.</p>\n"
            } else {
                ""
            },
            code = escape(&c.code),
        )
    };
    let mut rows = String::new();
    for (i, level) in d.levels.iter().enumerate() {
        rows.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{level}</td></tr>\n",
            escape(&competence_title(i))
        ));
    }
    let body = format!(
        "<h1>Certificat authentique</h1>\n\
         <p class=\"ok\" role=\"status\">Le code <strong>{code}</strong> correspond à une \
         certification des compétences numériques délivrée par le service de certification.</p>\n\
         <dl>\n<dt>Titulaire</dt><dd>{holder}</dd>\n\
         <dt>Date de délivrance</dt><dd>{issued}</dd>\n\
         <dt>Score</dt><dd>{pix} pix sur {pix_max}</dd>\n\
         <dt>Niveau global</dt><dd>{global}</dd>\n</dl>\n\
         <table>\n<caption>Niveau obtenu dans chaque compétence</caption>\n\
         <thead><tr><th scope=\"col\">Compétence</th><th scope=\"col\">Niveau</th></tr></thead>\n\
         <tbody>\n{rows}</tbody>\n</table>\n{reveal}\
         <p><small>Comparez ces informations avec celles du certificat présenté. \
         Le QR code du certificat peut aussi être vérifié sans connexion avec la clé publique \
         du service.</small></p>",
        code = escape(&c.code),
        holder = escape(&holder),
        issued = escape(&date_fr(&d.issued)),
        pix = d.pix,
        pix_max = d.pix_max,
        global = d.global_level,
    );
    page(&format!("Certificat {} authentique", c.code), &body)
}

/// The page for a client that verified too much too fast.
pub fn too_many(retry_after_s: u64) -> String {
    let body = format!(
        "<h1>Trop de vérifications</h1>\n\
         <p class=\"ko\" role=\"alert\">Trop de vérifications ont été demandées depuis \
         cette adresse. Réessayez dans {retry_after_s} secondes.</p>"
    );
    page("Trop de vérifications", &body)
}

/// The page for a code that names nothing.
pub fn unknown(code: &str) -> String {
    let shown: String = code.chars().take(40).collect();
    let body = format!(
        "<h1>Code de vérification inconnu</h1>\n\
         <p class=\"ko\" role=\"alert\">Aucune certification ne correspond au code \
         <strong>{}</strong>.</p>\n\
         <p>Vérifiez la saisie : un code de vérification commence par « P- » suivi de \
         8 caractères (chiffres 2 à 9 sauf 5, lettres majuscules sans voyelle). \
         Si le code est bien recopié, ce certificat n'a pas été délivré par le service de \
         certification.</p>",
        escape(&shown)
    );
    page("Code de vérification inconnu", &body)
}

/// The page for a certification replaced by a corrected session.
pub fn superseded(code: &str) -> String {
    let body = format!(
        "<h1>Certificat remplacé</h1>\n\
         <p class=\"ko\" role=\"alert\">Le certificat portant le code <strong>{}</strong> a été \
         remplacé après une correction de la session par le centre de certification.</p>\n\
         <p>Demandez au titulaire le certificat corrigé, qui porte un nouveau code.</p>",
        escape(code)
    );
    page("Certificat remplacé", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_dates() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(date_fr("2026-05-12"), "12 mai 2026");
        assert_eq!(date_fr("2026-08-01"), "1er août 2026");
        assert_eq!(date_fr("garbage"), "garbage");
        assert_eq!(date_fr("2026-13-01"), "2026-13-01");
        assert!(unknown("<script>").contains("&lt;script&gt;"));
    }
}
