//! The jury's routes: a JSON API under `/v1/jury` for a member's bearer credential, and the
//! server-rendered pages under `/jury` for a member signed in with a cookie. Both call the same
//! [`Service`](crate::Service) methods; the administrator's token opens neither.

pub mod pages;
pub mod signin;

use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

use super::{bearer, json_body, ApiResult, AppState};
use crate::dto::{
    CandidateDecision, JuryCandidate, JuryCaseDto, JuryDecided, JuryDecision, JurySessionDto,
    Neutralization,
};
use crate::error::ApiError;
use crate::model::Decision;
use signin::{same_token, SignedIn, COOKIE};

async fn member(s: &AppState, headers: &HeaderMap) -> ApiResult<String> {
    s.service
        .jury_member(bearer(headers).unwrap_or_default())
        .await
}

pub async fn api_cases(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<JuryCaseDto>>> {
    member(&s, &headers).await?;
    let cases = s.service.jury_cases().await?;
    Ok(Json(cases.iter().map(JuryCaseDto::from).collect()))
}

pub async fn api_case(
    State(s): State<AppState>,
    Path(session_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<JurySessionDto>> {
    member(&s, &headers).await?;
    let (case, acts) = s.service.jury_case(&session_id).await?;
    Ok(Json(JurySessionDto {
        case: JuryCaseDto::from(&case),
        acts: acts.iter().map(Into::into).collect(),
    }))
}

pub async fn api_decide(
    State(s): State<AppState>,
    Path(session_id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<JuryDecision>, JsonRejection>,
) -> ApiResult<Json<JuryDecided>> {
    let m = member(&s, &headers).await?;
    let req = json_body(body)?;
    let status = s
        .service
        .decide(&m, &session_id, req.decision, &req.comment)
        .await?;
    Ok(Json(JuryDecided { session_id, status }))
}

pub async fn api_decide_candidate(
    State(s): State<AppState>,
    Path((session_id, candidate_id)): Path<(String, i64)>,
    headers: HeaderMap,
    body: Result<Json<CandidateDecision>, JsonRejection>,
) -> ApiResult<Json<JuryCandidate>> {
    let m = member(&s, &headers).await?;
    let req = json_body(body)?;
    let row = s
        .service
        .decide_candidate(&m, &session_id, candidate_id, req.decision, &req.reason)
        .await?;
    Ok(Json(JuryCandidate::from(&row)))
}

pub async fn api_neutralize(
    State(s): State<AppState>,
    Path(session_id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<Neutralization>, JsonRejection>,
) -> ApiResult<Json<Vec<JuryCandidate>>> {
    let m = member(&s, &headers).await?;
    let req = json_body(body)?;
    let rows = s
        .service
        .neutralize(
            &m,
            &session_id,
            req.candidate_id,
            &req.item_id,
            &req.reason,
            req.undo,
        )
        .await?;
    Ok(Json(rows.iter().map(JuryCandidate::from).collect()))
}

// ---- pages ----

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// The signed-in member, if the cookie names a live sign-in of a member still in office.
async fn signed_in(s: &AppState, jar: &CookieJar) -> Option<SignedIn> {
    let sid = jar.get(COOKIE)?.value().to_owned();
    let found = s.sign_ins.get(&sid)?;
    // A member removed since signing in is out at once (removal is a CLI act, another process).
    let present = s
        .service
        .jury_members()
        .await
        .ok()?
        .into_iter()
        .any(|m| m.name == found.member && m.removed_at.is_none());
    present.then_some(found)
}

/// Refuses a form whose CSRF token is not the sign-in's, or that comes from another origin.
fn form_allowed(me: &SignedIn, csrf: &str, headers: &HeaderMap) -> bool {
    let same_origin = match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest == host),
        // Browsers send Origin on every cross-site POST; its absence is a same-site form or a
        // non-browser client, which the token alone decides.
        _ => true,
    };
    same_origin && same_token(&me.csrf, csrf)
}

/// The member a form acts for: signed in, posting from the jury's own pages with the sign-in's
/// CSRF token. Otherwise the answer to send instead (the sign-in page, or a refusal).
async fn acting(
    s: &AppState,
    jar: &CookieJar,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<SignedIn, Response> {
    let Some(me) = signed_in(s, jar).await else {
        return Err(see_other("/jury/connexion"));
    };
    if form_allowed(&me, csrf, headers) {
        Ok(me)
    } else {
        Err(forbidden())
    }
}

fn forbidden() -> Response {
    html(
        StatusCode::FORBIDDEN,
        pages::sign_in(Some((
            "Formulaire refusé : il ne vient pas de votre page du jury (jeton de sécurité absent ou périmé). Rechargez la page.",
            "Form refused: it does not come from your jury page (missing or stale security token). Reload the page.",
        ))),
    )
}

pub async fn sign_in_page(State(s): State<AppState>, jar: CookieJar) -> Response {
    if signed_in(&s, &jar).await.is_some() {
        return see_other("/jury");
    }
    html(StatusCode::OK, pages::sign_in(None))
}

#[derive(Deserialize)]
pub struct SignInForm {
    credential: String,
}

pub async fn sign_in(
    State(s): State<AppState>,
    jar: CookieJar,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    let credential = form.map(|Form(f)| f.credential).unwrap_or_default();
    let Ok(member) = s.service.jury_member(credential.trim()).await else {
        return html(
            StatusCode::UNAUTHORIZED,
            pages::sign_in(Some((
                "Identifiant inconnu ou retiré.",
                "Unknown or withdrawn credential.",
            ))),
        );
    };
    let Some(sid) = s.sign_ins.open(&member) else {
        return ApiError::internal("system random generator failed").into_response();
    };
    let cookie = Cookie::build((COOKIE, sid))
        .path("/jury")
        .http_only(true)
        .same_site(SameSite::Strict)
        .build();
    (jar.add(cookie), see_other("/jury")).into_response()
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn sign_out(
    State(s): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let csrf = form.map(|Form(f)| f.csrf).unwrap_or_default();
    if let Err(refused) = acting(&s, &jar, &headers, &csrf).await {
        return refused;
    }
    if let Some(c) = jar.get(COOKIE) {
        s.sign_ins.close(c.value());
    }
    (
        jar.remove(Cookie::build(COOKIE).path("/jury")),
        see_other("/jury/connexion"),
    )
        .into_response()
}

pub async fn cases_page(State(s): State<AppState>, jar: CookieJar) -> Response {
    let Some(me) = signed_in(&s, &jar).await else {
        return see_other("/jury/connexion");
    };
    match s.service.jury_cases().await {
        Ok(cases) => html(
            StatusCode::OK,
            pages::cases(&me.member, &me.csrf, &cases, None),
        ),
        Err(e) => e.into_response(),
    }
}

/// The session page, with the outcome of the act just made (an error in both languages, or
/// what was done).
async fn session_page(
    s: &AppState,
    me: &SignedIn,
    session_id: &str,
    outcome: Result<String, ApiError>,
) -> Response {
    let (status, error, done) = match &outcome {
        Ok(done) => (StatusCode::OK, None, Some(done.as_str())),
        Err(e) => (
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            Some((e.message_fr.as_str(), e.message_en.as_str())),
            None,
        ),
    };
    match s.service.jury_case(session_id).await {
        Ok((case, acts)) => html(
            status,
            pages::session(&me.member, &me.csrf, &case, &acts, error, done),
        ),
        // Decided (or never waiting): back to the list, saying so.
        Err(_) => match s.service.jury_cases().await {
            Ok(cases) => html(
                status,
                pages::cases(
                    &me.member,
                    &me.csrf,
                    &cases,
                    Some(done.unwrap_or("Cette session n'attend plus le jury.")),
                ),
            ),
            Err(e) => e.into_response(),
        },
    }
}

pub async fn case_page(
    State(s): State<AppState>,
    Path(session_id): Path<String>,
    jar: CookieJar,
) -> Response {
    let Some(me) = signed_in(&s, &jar).await else {
        return see_other("/jury/connexion");
    };
    match s.service.jury_case(&session_id).await {
        Ok((case, acts)) => html(
            StatusCode::OK,
            pages::session(&me.member, &me.csrf, &case, &acts, None, None),
        ),
        Err(e) => html(
            StatusCode::NOT_FOUND,
            pages::cases(
                &me.member,
                &me.csrf,
                &[],
                Some(&format!("{} / {}", e.message_fr, e.message_en)),
            ),
        ),
    }
}

fn decision_of(word: &str) -> Result<Decision, ApiError> {
    match word {
        "validate" => Ok(Decision::Validate),
        "reject" => Ok(Decision::Reject),
        "cancel" => Ok(Decision::Cancel),
        _ => Err(ApiError::bad_request(
            "jury.decision",
            "Décision inconnue : valider, rejeter ou annuler.",
            "Unknown decision: validate, reject or cancel.",
        )),
    }
}

#[derive(Deserialize)]
pub struct CandidateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

pub async fn candidate_form(
    State(s): State<AppState>,
    Path((session_id, candidate_id)): Path<(String, i64)>,
    jar: CookieJar,
    headers: HeaderMap,
    form: Result<Form<CandidateForm>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return forbidden();
    };
    let me = match acting(&s, &jar, &headers, &f.csrf).await {
        Ok(me) => me,
        Err(refused) => return refused,
    };
    let outcome = match decision_of(&f.decision) {
        Ok(d) => s
            .service
            .decide_candidate(&me.member, &session_id, candidate_id, d, &f.reason)
            .await
            .map(|row| {
                format!(
                    "Décision enregistrée pour {} : {}.",
                    row.display_name(),
                    pages::status_fr(row.status)
                )
            }),
        Err(e) => Err(e),
    };
    session_page(&s, &me, &session_id, outcome).await
}

#[derive(Deserialize)]
pub struct NeutralizeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    item_id: String,
    #[serde(default)]
    candidate_id: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    undo: String,
}

pub async fn neutralize_form(
    State(s): State<AppState>,
    Path(session_id): Path<String>,
    jar: CookieJar,
    headers: HeaderMap,
    form: Result<Form<NeutralizeForm>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return forbidden();
    };
    let me = match acting(&s, &jar, &headers, &f.csrf).await {
        Ok(me) => me,
        Err(refused) => return refused,
    };
    let candidate = match f.candidate_id.trim() {
        "" => Ok(None),
        id => id.parse::<i64>().map(Some).map_err(|_| {
            ApiError::bad_request(
                "jury.candidate_id",
                "Numéro de candidat illisible.",
                "Unreadable candidate number.",
            )
        }),
    };
    let undo = !f.undo.trim().is_empty();
    let outcome = match candidate {
        Ok(candidate) => s
            .service
            .neutralize(
                &me.member,
                &session_id,
                candidate,
                &f.item_id,
                &f.reason,
                undo,
            )
            .await
            .map(|rows| {
                let who: Vec<String> = rows.iter().map(|r| r.display_name()).collect();
                format!(
                    "Question {} {} pour : {}. Scores recalculés.",
                    f.item_id.trim(),
                    if undo { "rendue" } else { "neutralisée" },
                    who.join(", ")
                )
            }),
        Err(e) => Err(e),
    };
    session_page(&s, &me, &session_id, outcome).await
}

#[derive(Deserialize)]
pub struct SessionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    comment: String,
}

pub async fn session_form(
    State(s): State<AppState>,
    Path(session_id): Path<String>,
    jar: CookieJar,
    headers: HeaderMap,
    form: Result<Form<SessionForm>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return forbidden();
    };
    let me = match acting(&s, &jar, &headers, &f.csrf).await {
        Ok(me) => me,
        Err(refused) => return refused,
    };
    let outcome = match decision_of(&f.decision) {
        Ok(d) => s
            .service
            .decide(&me.member, &session_id, d, &f.comment)
            .await
            .map(|status| {
                format!(
                    "Session {session_id} : décision enregistrée ({}).",
                    match status {
                        crate::model::SessionStatus::Validated => "validée, résultats publiés",
                        crate::model::SessionStatus::Rejected => "rejetée, rien n'est publié",
                        crate::model::SessionStatus::Cancelled => "annulée, rien n'est publié",
                        _ => status.as_str(),
                    }
                )
            }),
        Err(e) => Err(e),
    };
    session_page(&s, &me, &session_id, outcome).await
}
