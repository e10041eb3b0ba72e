//! The jury's pages, rendered on the server (no script): sign-in, the sessions waiting and why,
//! and one session with each candidate's result, incidents, focus losses and their causes,
//! mismatches and identity differences, with a form for every act. Every form carries the
//! sign-in's CSRF token. maud escapes everything interpolated.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::http::verify_page::{date_fr, STYLE};
use crate::model::{ActKind, CandidateRow, Decision, JuryAct, JuryCase, JuryFlag, ResultStatus};

const JURY_STYLE: &str = "main{max-width:72rem}table td{text-align:left;width:auto}\
.alert{border-left:.4rem solid #b34000;padding:.5rem 1rem;background:#fdecea}\
.done{border-left:.4rem solid #18753c;padding:.5rem 1rem;background:#e6f4ea}\
section.candidate{border:1px solid #929292;padding:.5rem 1rem;margin:1rem 0}\
form{margin:.5rem 0}label{display:block;font-weight:700;margin-top:.4rem}\
textarea,input[type=text],input[type=password],select{font:inherit;width:100%;max-width:40rem}\
button{font:inherit;padding:.3rem .8rem;margin-top:.4rem}nav{margin-bottom:1rem}\
.en{color:#3a3a3a;font-size:.9em}";

fn page(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " — jury certroom" }
                style { (PreEscaped(STYLE)) (PreEscaped(JURY_STYLE)) }
            }
            body { main { (body) } }
        }
    }
    .into_string()
}

fn signed_in_bar(member: &str, csrf: &str) -> Markup {
    html! {
        nav aria-label="Jury" {
            "Connecté(e) : " strong { (member) } " · "
            a href="/jury" { "Sessions en attente" }
            form method="post" action="/jury/deconnexion" style="display:inline" {
                input type="hidden" name="csrf" value=(csrf);
                " · " button type="submit" { "Se déconnecter" }
            }
        }
    }
}

fn message(error: Option<(&str, &str)>, done: Option<&str>) -> Markup {
    html! {
        @if let Some((fr, en)) = error {
            div.alert role="alert" { p { (fr) } p.en lang="en" { (en) } }
        }
        @if let Some(done) = done {
            div.done role="status" { p { (done) } }
        }
    }
}

/// The sign-in form.
pub fn sign_in(error: Option<(&str, &str)>) -> String {
    page(
        "Connexion",
        html! {
            h1 { "Jury de certification — connexion" }
            p.en lang="en" { "Certification jury — sign in" }
            (message(error, None))
            form method="post" action="/jury/connexion" {
                label for="credential" { "Identifiant de membre du jury" }
                input type="password" id="credential" name="credential" autocomplete="current-password" required;
                button type="submit" { "Se connecter" }
            }
        },
    )
}

pub fn flag_fr(f: JuryFlag) -> &'static str {
    match f {
        JuryFlag::Incidents => "incidents signalés",
        JuryFlag::Comment => "commentaire de session",
        JuryFlag::Mismatch => "résultat recalculé différent du compte rendu de la salle",
        JuryFlag::Identity => "identité modifiée depuis l'entrée en salle (C1) : les deux identités sont montrées",
        JuryFlag::Station => "test signé par un poste que le centre n'avait pas déclaré avant l'épreuve",
        JuryFlag::Correction => "version corrigée d'une session déjà reçue : les attestations publiées restent valides jusqu'à votre décision",
    }
}

/// The sessions waiting for the jury, oldest first.
pub fn cases(member: &str, csrf: &str, cases: &[JuryCase], done: Option<&str>) -> String {
    page(
        "Sessions en attente",
        html! {
            (signed_in_bar(member, csrf))
            h1 { "Sessions en attente du jury" }
            (message(None, done))
            @if cases.is_empty() {
                p { "Aucune session n'attend le jury." }
            } @else {
                table {
                    caption { "Sessions à examiner (" (cases.len()) ")" }
                    thead { tr {
                        th scope="col" { "Session" }
                        th scope="col" { "Centre" }
                        th scope="col" { "Date" }
                        th scope="col" { "Candidats" }
                        th scope="col" { "Motifs" }
                    } }
                    tbody {
                        @for c in cases {
                            tr {
                                th scope="row" { a href={ "/jury/sessions/" (c.session_id) } { (c.session_id) } }
                                td { (c.centre_name) }
                                td { (date_fr(&c.session_date)) }
                                td { (c.candidates.len()) }
                                td { (c.flags.iter().map(|f| flag_fr(*f)).collect::<Vec<_>>().join(", ")) }
                            }
                        }
                    }
                }
            }
        },
    )
}

pub fn status_fr(s: ResultStatus) -> &'static str {
    match s {
        ResultStatus::Validated => "validé",
        ResultStatus::Rejected => "rejeté",
        ResultStatus::Cancelled => "annulé",
        ResultStatus::Error => "erreur (journal non rejouable)",
        ResultStatus::Absent => "absent",
    }
}

fn decision_fr(d: Decision) -> &'static str {
    match d {
        Decision::Validate => "valider",
        Decision::Reject => "rejeter",
        Decision::Cancel => "annuler",
    }
}

fn act_fr(k: ActKind) -> &'static str {
    match k {
        ActKind::Validate => "validation",
        ActKind::Reject => "rejet",
        ActKind::Cancel => "annulation",
        ActKind::Neutralize => "neutralisation",
        ActKind::Restore => "neutralisation annulée",
    }
}

fn cause_fr(cause: &str) -> &'static str {
    match cause {
        "window" => "une autre fenêtre a pris le focus",
        "assistive_technology" => "aide technique (lecteur d'écran)",
        _ => "cause non enregistrée (journal version 1)",
    }
}

fn decision_select(id: &str) -> Markup {
    html! {
        select id=(id) name="decision" required {
            @for d in [Decision::Validate, Decision::Reject, Decision::Cancel] {
                option value=(d.as_str()) { (decision_fr(d)) }
            }
        }
    }
}

fn candidate(session_id: &str, csrf: &str, c: &CandidateRow) -> Markup {
    let id = c.candidate_id;
    html! {
        section.candidate aria-labelledby={ "c" (id) } {
            h3 id={ "c" (id) } { (c.display_name()) " — n°" (id) }
            dl {
                dt { "Né(e) le" } dd { (date_fr(&c.birthdate)) }
                @if let Some(l) = &c.local_id { dt { "Identifiant local" } dd { (l) } }
                dt { "Fin du test" } dd { (c.outcome) @if c.abort_reason != "none" { " (arrêt : " (c.abort_reason) ")" } }
                dt { "Résultat" } dd {
                    (status_fr(c.status))
                    @if let Some(j) = &c.jury {
                        " — décision de " (j.member) " le " (j.at) " : " (j.reason)
                        " (calculé : " (status_fr(j.computed)) ")"
                    }
                }
                @if let Some(s) = &c.score {
                    dt { "Score" } dd { (s.pix) " / " (s.pix_max) " pix, niveau global " (s.global_level)
                        " (" (s.correct) " bonnes réponses sur " (s.answered) ")" }
                }
                @if let Some(m) = &c.mismatch {
                    dt { "Écart au recalcul" } dd { strong { (m.kind) } " : " (m.detail) }
                }
                @if let Some(d) = &c.identity_difference {
                    dt { "Identité" } dd { (d) }
                }
                @if let Some(p) = &c.station_problem {
                    dt { "Poste" } dd { (p) }
                }
            }
            @if !c.incidents.is_empty() {
                h4 { "Incidents" }
                ul { @for i in &c.incidents {
                    li { strong { (i.code) } @if let Some(q) = i.question { " (question " (q) ")" } " : " (i.note) }
                } }
            }
            @if !c.focus_losses.is_empty() {
                h4 { "Pertes de focus" }
                ul { @for f in &c.focus_losses {
                    li { "question " (f.question) " : " (cause_fr(&f.cause)) }
                } }
            }
            @if !c.played.is_empty() {
                details {
                    summary { "Questions posées (" (c.played.len()) ")" }
                    table {
                        thead { tr { th scope="col" { "n°" } th scope="col" { "Question" } th scope="col" { "Comptée juste" } th scope="col" { "Neutralisation" } } }
                        tbody { @for (n, p) in c.played.iter().enumerate() {
                            @let neutralized = c.neutralized.contains(&p.item_id);
                            tr {
                                td { (n + 1) }
                                th scope="row" { (p.item_id) }
                                td { @if p.counted { "oui" } @else { "non" } @if p.focus_voided { " (perte de focus)" } }
                                td {
                                    form method="post" action={ "/jury/sessions/" (session_id) "/neutralisations" } {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="candidate_id" value=(id);
                                        input type="hidden" name="item_id" value=(p.item_id);
                                        @if neutralized { input type="hidden" name="undo" value="1"; }
                                        label for={ "r" (id) "-" (n) } { "Motif" }
                                        input type="text" id={ "r" (id) "-" (n) } name="reason" required;
                                        button type="submit" {
                                            @if neutralized { "Annuler la neutralisation" } @else { "Neutraliser pour ce candidat" }
                                        }
                                    }
                                }
                            }
                        } }
                    }
                }
            }
            @if c.jury.as_ref().map_or(c.status, |j| j.computed) != ResultStatus::Absent {
                form method="post" action={ "/jury/sessions/" (session_id) "/candidats/" (id) } {
                    input type="hidden" name="csrf" value=(csrf);
                    label for={ "d" (id) } { "Décision pour ce candidat" }
                    (decision_select(&format!("d{id}")))
                    label for={ "m" (id) } { "Motif (obligatoire)" }
                    textarea id={ "m" (id) } name="reason" rows="2" required {}
                    button type="submit" { "Enregistrer la décision" }
                }
            }
        }
    }
}

/// One session waiting for the jury.
pub fn session(
    member: &str,
    csrf: &str,
    case: &JuryCase,
    acts: &[JuryAct],
    error: Option<(&str, &str)>,
    done: Option<&str>,
) -> String {
    let sid = &case.session_id;
    let mut asked: Vec<&str> = case
        .candidates
        .iter()
        .flat_map(|c| c.played.iter().map(|p| p.item_id.as_str()))
        .collect();
    asked.sort_unstable();
    asked.dedup();
    page(
        &format!("Session {sid}"),
        html! {
            (signed_in_bar(member, csrf))
            h1 { "Session " (sid) " — " (case.centre_name) }
            (message(error, done))
            dl {
                dt { "Date" } dd { (date_fr(&case.session_date)) }
                dt { "Reçue le" } dd { (case.received_at) }
                dt { "Motifs d'examen" } dd { (case.flags.iter().map(|f| flag_fr(*f)).collect::<Vec<_>>().join(", ")) }
                @if !case.comment.trim().is_empty() {
                    dt { "Commentaire de la salle" } dd { (case.comment) }
                }
            }
            h2 { "Candidats" }
            @for c in &case.candidates { (candidate(sid, csrf, c)) }
            @if !asked.is_empty() {
                h2 { "Neutraliser une question pour toute la session" }
                form method="post" action={ "/jury/sessions/" (sid) "/neutralisations" } {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="item-all" { "Question" }
                    select id="item-all" name="item_id" required {
                        @for i in &asked { option value=(i) { (i) } }
                    }
                    label for="undo-all" { "Action" }
                    select id="undo-all" name="undo" {
                        option value="" { "neutraliser" }
                        option value="1" { "annuler la neutralisation" }
                    }
                    label for="reason-all" { "Motif (obligatoire)" }
                    input type="text" id="reason-all" name="reason" required;
                    button type="submit" { "Appliquer à la session" }
                }
            }
            h2 { "Décision sur la session" }
            p { "Valider publie les résultats tels que les décisions ci-dessus les ont fixés ; rejeter ou annuler ne publie rien." }
            form method="post" action={ "/jury/sessions/" (sid) "/decision" } {
                input type="hidden" name="csrf" value=(csrf);
                label for="session-decision" { "Décision" }
                (decision_select("session-decision"))
                label for="session-comment" { "Commentaire (obligatoire pour rejeter ou annuler)" }
                textarea id="session-comment" name="comment" rows="3" {}
                button type="submit" { "Enregistrer la décision sur la session" }
            }
            @if !acts.is_empty() {
                table {
                    caption { "Historique des actes du jury" }
                    thead { tr { th scope="col" { "Quand" } th scope="col" { "Membre" } th scope="col" { "Acte" } th scope="col" { "Candidat" } th scope="col" { "Motif" } } }
                    tbody { @for a in acts {
                        tr {
                            td { (a.at) }
                            td { (a.member) }
                            th scope="row" { (act_fr(a.kind)) @if let Some(i) = &a.item_id { " " (i) } }
                            td { @if let Some(c) = a.candidate_id { "n°" (c) } @else { "toute la session" } }
                            td { (a.reason) }
                        }
                    } }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_they_show() {
        let html = sign_in(Some(("<b>non</b>", "no")));
        assert!(html.contains("&lt;b&gt;non&lt;/b&gt;"));
        assert!(!html.contains("<b>non</b>"));
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("lang=\"fr\""));
    }
}
