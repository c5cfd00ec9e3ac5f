//! The reporter's JSON API under `/api/v1`: submit a report, open a case with its token,
//! read the thread, follow up, remove one of their files. What it shares with the pages is in `super::reporter`.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::blocking;
use super::error::Error;
use super::reporter::{Report, add_follow_up, open_case, submit_report, truthy};
use super::uploads::{self, FormKind, Submission};
use super::{ApiJson, AppState};
use crate::crypto::{CaseKey, SessionId};
use crate::message::Attachment;
use crate::service::OpenCase;

pub fn routes(upload_body_bytes: usize) -> Router<Arc<AppState>> {
    // Routes that take evidence files accept bodies up to the evidence limits (the
    // uploads module enforces the per-file and per-message limits exactly) and get the
    // long time limit of file transfers.
    let transfers = Router::new()
        .route("/api/v1/reports", post(submit))
        .route("/api/v1/case/messages", post(follow_up))
        .layer(DefaultBodyLimit::max(upload_body_bytes))
        .layer(super::transfer_timeout());
    Router::new()
        .route(
            "/api/v1/case/session",
            post(open_session).delete(end_session),
        )
        .route("/api/v1/case", get(read_case))
        .route(
            "/api/v1/case/attachments/{id}",
            axum::routing::delete(remove_file),
        )
        .layer(super::request_timeout())
        .merge(transfers)
}

/// A live reporter session from `Authorization: Bearer <session>`. Handlers that take it
/// cannot run without one.
struct ReporterSession {
    id: SessionId,
    case: Arc<OpenCase>,
}

impl FromRequestParts<Arc<AppState>> for ReporterSession {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Error> {
        let id = super::bearer_session(parts)?;
        let case = state.sessions.get(&id)?.ok_or(Error::NoSession)?;
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

/// Reads a JSON body on a route whose body limit is sized for evidence files: JSON gets
/// the ordinary limit, so it is never buffered beyond it.
async fn json_within<T: serde::de::DeserializeOwned>(
    request: Request,
    limit: usize,
) -> Result<T, Error> {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.starts_with("application/json")
                || (v.starts_with("application/") && v.contains("+json"))
        });
    if !is_json {
        return Err(Error::NotJsonOrMultipart);
    }
    let bytes = axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(Error::reading_body)?;
    // The body holds what the reporter typed: cleared once parsed.
    let bytes = zeroize::Zeroizing::new(Vec::from(bytes));
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::MalformedRequest(format!("Failed to parse the request body as JSON: {e}"))
    })
}

/// What the reporter is told about each evidence file: enough to decide whether a file
/// that could not be cleaned is safe to leave in the case, and its `id` to remove it
/// with. `deleted`: the ids of the files the reporter has removed.
pub fn attachments_json(attachments: &[Attachment], deleted: &[&str]) -> serde_json::Value {
    attachments
        .iter()
        .map(|a| {
            json!({
                "id": a.blob,
                "deleted": deleted.contains(&a.blob.as_str()),
                "name": a.name,
                "size": a.size,
                "format": a.format,
                "cleaned": a.cleaned,
                "removed": a.removed,
            })
        })
        .collect()
}

/// `POST /api/v1/reports`: JSON without files, or multipart/form-data with the same fields
/// and evidence files in fields named `evidence`.
async fn submit(
    State(state): State<Arc<AppState>>,
    request: Request,
) -> Result<(StatusCode, Json<serde_json::Value>), Error> {
    let key = CaseKey::generate();
    let (request, submission) = if uploads::is_multipart(&request) {
        let recipient = key.recipient();
        let (submission, read) =
            uploads::read_multipart(&state, request, FormKind::Report, |_| Ok(recipient.clone()))
                .await;
        read?;
        let fields = SubmitRequest {
            body: submission.text("body"),
            category: submission.text("category"),
            urgent: truthy(submission.field("urgent")),
            where_when: submission.field("where_when").map(str::to_owned),
            people: submission.field("people").map(str::to_owned),
        };
        (fields, submission)
    } else {
        (
            json_within(request, state.max_body_bytes).await?,
            Submission::default(),
        )
    };
    let report = Report {
        category: request.category,
        urgent: request.urgent,
        body: request.body,
        where_when: request.where_when,
        people: request.people,
    };
    let token = submit_report(&state, report, key, &submission).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "token": token.grouped().as_str(),
            "attachments": attachments_json(&submission.attachments, &[]),
        })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionRequest {
    token: String,
}

async fn open_session(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<SessionRequest>,
) -> Result<Json<serde_json::Value>, Error> {
    let (session, _) = open_case(&state, &request.token).await?;
    Ok(Json(json!({ "session": session.encoded().as_str() })))
}

async fn end_session(State(state): State<Arc<AppState>>, session: ReporterSession) -> StatusCode {
    state.sessions.end(&session.id);
    StatusCode::NO_CONTENT
}

#[derive(Serialize)]
struct MessageJson {
    from: crate::case::Author,
    /// True for an entry that could not be read; its body is then empty.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    unreadable: bool,
    body: String,
    day: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    where_when: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    people: Option<String>,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    attachments: serde_json::Value,
    /// On the entry that records a removal: the name of the file the reporter removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    removed_file: Option<String>,
}

async fn read_case(
    State(state): State<Arc<AppState>>,
    session: ReporterSession,
) -> Result<Json<serde_json::Value>, Error> {
    let reporting = state.reporting.clone();
    let view = blocking::run(move || reporting.read(&session.case)).await??;
    let deleted: Vec<&str> = view
        .messages
        .iter()
        .filter_map(|m| m.content.as_ref()?.removed_file.as_ref())
        .map(|r| r.blob.as_str())
        .collect();
    let messages: Vec<MessageJson> = view
        .messages
        .iter()
        .map(|m| {
            let content = m.content.as_ref();
            let attachments = content.map(|c| &c.attachments[..]).unwrap_or_default();
            MessageJson {
                from: m.from,
                unreadable: content.is_none(),
                body: content.map(|c| c.body.clone()).unwrap_or_default(),
                day: m.day.to_string(),
                where_when: content.and_then(|c| c.where_when.clone()),
                people: content.and_then(|c| c.people.clone()),
                attachments: if attachments.is_empty() {
                    serde_json::Value::Null
                } else {
                    attachments_json(attachments, &deleted)
                },
                removed_file: content
                    .and_then(|c| c.removed_file.as_ref())
                    .map(|r| r.name.clone()),
            }
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

/// `POST /api/v1/case/messages`: JSON `{"body"}`, or multipart with `body` and `evidence`
/// files.
async fn follow_up(
    State(state): State<Arc<AppState>>,
    session: ReporterSession,
    request: Request,
) -> Result<(StatusCode, Json<serde_json::Value>), Error> {
    let (body, submission) = if uploads::is_multipart(&request) {
        let recipient = session.case.recipient();
        let (submission, read) =
            uploads::read_multipart(&state, request, FormKind::FollowUp, |_| {
                Ok(recipient.clone())
            })
            .await;
        read?;
        (submission.text("body"), submission)
    } else {
        let fields: FollowUpRequest = json_within(request, state.max_body_bytes).await?;
        (fields.body, Submission::default())
    };
    add_follow_up(&state, session.case, body, &submission).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "attachments": attachments_json(&submission.attachments, &[]) })),
    ))
}

/// `DELETE /api/v1/case/attachments/{id}`: deletes one of the reporter's own evidence
/// files for good; the thread records that they removed it. 404 for a file none of their
/// messages lists, or one already removed.
async fn remove_file(
    State(state): State<Arc<AppState>>,
    session: ReporterSession,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, Error> {
    let reporting = state.reporting.clone();
    let today = state.clock.today();
    let case = session.case;
    let removed = blocking::run(move || reporting.remove_file(&case, &id, today)).await??;
    Ok(Json(
        json!({ "removed": { "id": removed.blob, "name": removed.name } }),
    ))
}
