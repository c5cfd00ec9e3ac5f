//! What each route of the desk does: read the request, call the investigator API, open
//! or seal with `crypto`, and render a page from `views` or redirect back to the case.
//!
//! Every API call blocks and runs through `spawn_blocking`, together with the decryption
//! and rendering it feeds, so that plaintext stays inside one blocking task per request.
//! Evidence downloads are the exception that streams: see `download`.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::client::{BlobRef, CaseQuery, CaseRef, ClientError};
use super::crypto;
use super::download;
use super::error::DeskError;
use super::ui::Desk;
use super::views;
use crate::api::{AssignRequest, GrantRequest, StatusRequest};
use crate::case::{Status, is_valid_investigator_name};
use crate::message::MessageContent;

/// Largest page size the desk asks the server for.
const MAX_PER_PAGE: u32 = 200;

/// Runs `work` (API calls, decryption, rendering) off the async workers.
async fn blocking<T, F>(desk: &Arc<Desk>, work: F) -> Result<T, DeskError>
where
    T: Send + 'static,
    F: FnOnce(&Desk) -> Result<T, DeskError> + Send + 'static,
{
    let desk = desk.clone();
    tokio::task::spawn_blocking(move || work(&desk))
        .await
        .map_err(|_| DeskError::Internal)?
}

/// Case list filters as the filter form and the paging links send them. Everything is
/// text, so that an empty choice ("any status") is not a parse error.
#[derive(Deserialize, Default)]
pub(super) struct ListParams {
    status: Option<String>,
    assignee: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

impl ListParams {
    fn query(&self) -> CaseQuery {
        let number = |text: &Option<String>| text.as_deref().and_then(|t| t.parse::<u32>().ok());
        CaseQuery {
            status: self
                .status
                .clone()
                .filter(|s| Status::WORDS.contains(&s.as_str())),
            assignee: self
                .assignee
                .clone()
                .filter(|a| is_valid_investigator_name(a)),
            // The desk's links count pages from 1, the API from 0.
            page: number(&self.page).and_then(|p| p.checked_sub(1)),
            per_page: number(&self.per_page).map(|n| n.clamp(1, MAX_PER_PAGE)),
        }
    }
}

pub(super) async fn case_list(
    State(desk): State<Arc<Desk>>,
    Query(params): Query<ListParams>,
) -> Result<Html<String>, DeskError> {
    let query = params.query();
    blocking(&desk, move |desk| {
        let list = desk.session.cases(&query)?;
        let investigators = desk.session.investigators()?;
        let ctx = views::case_list(
            &list,
            &investigators,
            query.status.as_deref(),
            query.assignee.as_deref(),
        );
        Ok(Html(desk.pages.render("cases.html", ctx)?))
    })
    .await
}

fn case_ref(id: &str) -> Result<CaseRef, DeskError> {
    CaseRef::parse(id).ok_or(DeskError::Client(ClientError::NotFound))
}

#[derive(Deserialize)]
pub(super) struct CaseParams {
    done: Option<String>,
}

pub(super) async fn case_page(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    Query(params): Query<CaseParams>,
) -> Result<Html<String>, DeskError> {
    let id = case_ref(&id)?;
    blocking(&desk, move |desk| {
        let detail = desk.session.case(&id)?;
        let investigators = desk.session.investigators()?;
        let key = crypto::case_key(&detail.wrap, &desk.identity)?;
        let opened = crypto::open_case(&detail.thread, &detail.notes, &key, &desk.identity);
        let ctx = views::case_page(&detail, opened, &investigators, params.done.as_deref());
        Ok(Html(desk.pages.render("case.html", ctx)?))
    })
    .await
}

/// An evidence file, decrypted here and streamed to the browser as a download.
///
/// Only a file that one of the case's decrypted messages lists is fetched: the blob id
/// in the address is checked against the case, not trusted. The case is read (the same
/// call as the case page, so the server's audit log records the case as opened) for its
/// messages and for the wrap that gives the key. The age header is read before the
/// response starts, so that a file the key does not open is an error page; damage
/// further on aborts the download (see `download`).
pub(super) async fn attachment(
    State(desk): State<Arc<Desk>>,
    Path((id, blob)): Path<(String, String)>,
) -> Result<Response, DeskError> {
    let id = case_ref(&id)?;
    let blob = BlobRef::parse(&blob).ok_or(DeskError::NoSuchFile)?;
    let (file, plaintext) = blocking(&desk, move |desk| {
        let detail = desk.session.case(&id)?;
        let key = crypto::case_key(&detail.wrap, &desk.identity)?;
        let file =
            crypto::find_attachment(&detail.thread, &key, &blob).ok_or(DeskError::NoSuchFile)?;
        let encrypted = desk.session.attachment(&id, &blob)?;
        let plaintext = crypto::open_evidence(&key, encrypted)?;
        Ok((file, plaintext))
    })
    .await?;
    Ok(download::response(&file.name, file.size, plaintext))
}

/// Where a finished form goes: back to the case, with a notice.
fn back_to(id: &CaseRef, done: &str) -> Redirect {
    Redirect::to(&format!("/cases/{}?done={done}", id.as_str()))
}

/// A text field of a form (reply or note), zeroized when the request is done.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
pub(super) struct TextForm {
    body: String,
}

impl TextForm {
    /// The text as the plaintext JSON of a thread entry or note: `{"body": ...}`.
    fn plaintext(&mut self) -> Result<Zeroizing<Vec<u8>>, DeskError> {
        if self.body.trim().is_empty() {
            return Err(DeskError::EmptyText);
        }
        let content = MessageContent {
            body: std::mem::take(&mut self.body),
            where_when: None,
            people: None,
            attachments: Vec::new(),
        };
        serde_json::to_vec(&content)
            .map(Zeroizing::new)
            .map_err(|_| DeskError::Internal)
    }
}

pub(super) async fn reply(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    Form(mut form): Form<TextForm>,
) -> Result<Redirect, DeskError> {
    let id = case_ref(&id)?;
    let plaintext = form.plaintext()?;
    blocking(&desk, move |desk| {
        let detail = desk.session.access(&id)?;
        let key = crypto::case_key(&detail.wrap, &desk.identity)?;
        desk.session
            .reply(&id, crypto::seal_reply(&key, &plaintext)?)?;
        Ok(back_to(&id, "reply"))
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct StatusForm {
    status: String,
    outcome: Option<String>,
}

pub(super) async fn set_status(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Redirect, DeskError> {
    let id = case_ref(&id)?;
    let outcome = form.outcome.filter(|o| !o.is_empty());
    // The same words the service reads, so that the desk refuses what it would refuse.
    Status::parse_change(&form.status, outcome.as_deref())?;
    let request = StatusRequest {
        status: form.status,
        outcome,
    };
    blocking(&desk, move |desk| {
        desk.session.set_status(&id, &request)?;
        Ok(back_to(&id, "status"))
    })
    .await
}

pub(super) async fn assign(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Redirect, DeskError> {
    let id = case_ref(&id)?;
    let mut assignees: Vec<String> = fields
        .into_iter()
        .filter(|(name, _)| name == "assignee")
        .map(|(_, value)| value)
        .collect();
    if let Some(bad) = assignees.iter().find(|a| !is_valid_investigator_name(a)) {
        return Err(DeskError::NotAnInvestigator(bad.clone()));
    }
    assignees.sort();
    assignees.dedup();
    blocking(&desk, move |desk| {
        desk.session.assign(&id, &AssignRequest { assignees })?;
        Ok(back_to(&id, "assignees"))
    })
    .await
}

pub(super) async fn add_note(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    Form(mut form): Form<TextForm>,
) -> Result<Redirect, DeskError> {
    let id = case_ref(&id)?;
    let plaintext = form.plaintext()?;
    blocking(&desk, move |desk| {
        let detail = desk.session.access(&id)?;
        let investigators = desk.session.investigators()?;
        let sealed =
            crypto::seal_note(&detail.holders, &investigators, &desk.identity, &plaintext)?;
        desk.session.add_note(&id, sealed)?;
        Ok(back_to(&id, "note"))
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct AccessForm {
    investigator: String,
}

/// Grants a colleague access: a new wrap of the case key, made here, where the key can
/// already be unwrapped. The server receives only the wrap.
pub(super) async fn grant_access(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    Form(form): Form<AccessForm>,
) -> Result<Redirect, DeskError> {
    let id = case_ref(&id)?;
    blocking(&desk, move |desk| {
        let detail = desk.session.access(&id)?;
        if detail.holders.contains(&form.investigator) {
            return Err(DeskError::AlreadyHasAccess(form.investigator));
        }
        let investigators = desk.session.investigators()?;
        let colleague = investigators
            .iter()
            .find(|i| i.name == form.investigator && i.enabled)
            .ok_or_else(|| DeskError::NotAnEnabledInvestigator(form.investigator.clone()))?;
        let key = crypto::case_key(&detail.wrap, &desk.identity)?;
        let wrap = crypto::wrap_for(&key, colleague)?;
        let request = GrantRequest {
            investigator: form.investigator.clone(),
            wrap: wrap.0,
        };
        desk.session.grant(&id, &request)?;
        Ok(back_to(&id, "access"))
    })
    .await
}

pub(super) async fn stats(State(desk): State<Arc<Desk>>) -> Result<Html<String>, DeskError> {
    blocking(&desk, |desk| {
        let stats = desk.session.stats()?;
        Ok(Html(
            desk.pages.render("stats.html", views::stats_page(&stats))?,
        ))
    })
    .await
}

/// Ends the server session and stops the desk: what to press before leaving the machine.
pub(super) async fn logout(State(desk): State<Arc<Desk>>) -> Result<Html<String>, DeskError> {
    let page = blocking(&desk, |desk| {
        desk.logout();
        Ok(desk.pages.render("stopped.html", minijinja::context! {})?)
    })
    .await?;
    desk.stop();
    Ok(Html(page))
}

pub(super) async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        views::STYLESHEET,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_filters_pass_only_what_the_api_knows() {
        let params = ListParams {
            status: Some("acknowledged".into()),
            assignee: Some("ana".into()),
            page: Some("2".into()),
            per_page: Some("100000".into()),
        };
        let q = params.query();
        assert_eq!(q.status.as_deref(), Some("acknowledged"));
        assert_eq!(q.assignee.as_deref(), Some("ana"));
        assert_eq!(q.page, Some(1), "page 2 of the desk is page 1 of the API");
        assert_eq!(q.per_page, Some(MAX_PER_PAGE));
        let empty = ListParams {
            status: Some(String::new()),
            assignee: Some("a b".into()),
            page: Some(String::new()),
            per_page: None,
        }
        .query();
        assert!(empty.status.is_none() && empty.assignee.is_none() && empty.page.is_none());
    }
}
