//! The reporter's JSON API under `/api/v1`: submit a report, open a case with its token,
//! read the thread, follow up. Same core as the pages (`crate::reporting`).

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AppState;
use super::blocking;
use super::error::Error;
use crate::case::{Category, Day};
use crate::crypto::{CaseToken, SessionId};
use crate::reporting::{MessageContent, NewReport, OpenCase};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/reports", post(submit))
        .route(
            "/api/v1/case/session",
            post(open_session).delete(end_session),
        )
        .route("/api/v1/case", get(read_case))
        .route("/api/v1/case/messages", post(follow_up))
}

/// `Json` whose rejections become our [`Error`], so that every client mistake gets a clear
/// status and a JSON body like every other error.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
struct ApiJson<T>(T);

/// A live reporter session from `Authorization: Bearer <session>`. Handlers that take it
/// cannot run without one.
struct ReporterSession {
    id: SessionId,
    case: Arc<OpenCase>,
}

impl FromRequestParts<Arc<AppState>> for ReporterSession {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Error> {
        let id = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .and_then(|v| SessionId::parse(v.trim()))
            .ok_or(Error::NoSession)?;
        let case = state.sessions.get(&id).ok_or(Error::NoSession)?;
        Ok(ReporterSession { id, case })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitRequest {
    body: String,
    category: String,
    #[serde(default)]
    urgent: bool,
    #[serde(default)]
    where_when: Option<String>,
    #[serde(default)]
    people: Option<String>,
}

/// Turns an empty optional field into none, so that blank form fields store nothing.
pub fn non_blank(field: Option<String>) -> Option<String> {
    field.filter(|f| !f.trim().is_empty())
}

pub fn parse_category(text: &str) -> Result<Category, Error> {
    Category::parse(text).ok_or_else(|| {
        let names: Vec<_> = Category::ALL.iter().map(|c| c.as_str()).collect();
        Error::Unprocessable(format!(
            "unknown category; use one of: {}",
            names.join(", ")
        ))
    })
}

/// Submits a report: validates, then derives a new token and stores the encrypted case.
/// Shared with the report form.
pub async fn submit_report(state: &AppState, report: NewReport) -> Result<CaseToken, Error> {
    state.reporting.validate(&report.content)?;
    let reporting = state.reporting.clone();
    Ok(state
        .kdf_pool
        .run(move || reporting.submit(report, Day::today()))
        .await??)
}

async fn submit(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<SubmitRequest>,
) -> Result<(StatusCode, Json<serde_json::Value>), Error> {
    let report = NewReport {
        category: parse_category(&request.category)?,
        urgent: request.urgent,
        content: MessageContent {
            body: request.body,
            where_when: non_blank(request.where_when),
            people: non_blank(request.people),
            attachments: Vec::new(),
        },
    };
    let token = submit_report(&state, report).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": token.grouped().as_str() })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionRequest {
    token: String,
}

/// Opens a case with its token and starts a session on it. Shared with the login form.
pub async fn open_case(state: &AppState, typed_token: &str) -> Result<SessionId, Error> {
    let token = CaseToken::parse(typed_token)?;
    let reporting = state.reporting.clone();
    let case = state.kdf_pool.run(move || reporting.open(&token)).await??;
    state.sessions.create(case).ok_or(Error::Busy)
}

async fn open_session(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<SessionRequest>,
) -> Result<Json<serde_json::Value>, Error> {
    let session = open_case(&state, &request.token).await?;
    Ok(Json(json!({ "session": session.encoded().as_str() })))
}

async fn end_session(State(state): State<Arc<AppState>>, session: ReporterSession) -> StatusCode {
    state.sessions.end(&session.id);
    StatusCode::NO_CONTENT
}

#[derive(Serialize)]
struct MessageJson {
    from: crate::store::Author,
    body: String,
    day: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    where_when: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    people: Option<String>,
}

async fn read_case(
    State(state): State<Arc<AppState>>,
    session: ReporterSession,
) -> Result<Json<serde_json::Value>, Error> {
    let reporting = state.reporting.clone();
    let view = blocking::run(move || reporting.read(&session.case)).await??;
    let messages: Vec<MessageJson> = view
        .messages
        .iter()
        .map(|m| MessageJson {
            from: m.from,
            body: m.content.body.clone(),
            day: m.day.to_string(),
            where_when: m.content.where_when.clone(),
            people: m.content.people.clone(),
        })
        .collect();
    Ok(Json(json!({
        "status": view.status.as_str(),
        "category": view.category.as_str(),
        "urgent": view.urgent,
        "received": view.received.to_string(),
        "messages": messages,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FollowUpRequest {
    body: String,
}

/// Adds a follow-up to a session's case. Shared with the follow-up form.
pub async fn add_follow_up(
    state: &AppState,
    case: Arc<OpenCase>,
    body: String,
) -> Result<(), Error> {
    let reporting = state.reporting.clone();
    blocking::run(move || reporting.follow_up(&case, body, Day::today())).await??;
    Ok(())
}

async fn follow_up(
    State(state): State<Arc<AppState>>,
    session: ReporterSession,
    ApiJson(request): ApiJson<FollowUpRequest>,
) -> Result<(StatusCode, Json<serde_json::Value>), Error> {
    add_follow_up(&state, session.case, request.body).await?;
    Ok((StatusCode::CREATED, Json(json!({}))))
}
