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

use super::client::{BlobRef, CaseRef, ClientError};
use super::crypto;
use super::download;
use super::error::DeskError;
use super::search::{CaseText, Query as TextQuery};
use super::ui::{Desk, PageLang};
use super::views;
use crate::api::{
    AssignRequest, CaseList, CaseListQuery, CaseSummary, GrantRequest, LabelsRequest, MAX_THREADS,
    StatusRequest,
};
use crate::case::{Category, Label, Status, is_valid_investigator_name};
use crate::i18n::Lang;
use crate::message::MessageContent;

mod case;
mod list;

pub(super) use case::{add_note, assign, case_page, grant_access, reply, set_labels, set_status};
pub(super) use list::{ListParams, case_list};

/// Largest page size the desk asks the server for.
const MAX_PER_PAGE: u32 = 200;

/// Rows of a list page unless `per_page` says otherwise.
const DEFAULT_PER_PAGE: u32 = 50;

/// Runs `work` (API calls, decryption, rendering) off the async workers.
pub(super) async fn blocking<T, F>(desk: &Arc<Desk>, work: F) -> Result<T, DeskError>
where
    T: Send + 'static,
    F: FnOnce(&Desk) -> Result<T, DeskError> + Send + 'static,
{
    let desk = desk.clone();
    tokio::task::spawn_blocking(move || work(&desk))
        .await
        .map_err(|_| DeskError::Internal)?
}

fn case_ref(id: &str) -> Result<CaseRef, DeskError> {
    CaseRef::parse(id).ok_or(DeskError::Client(ClientError::NotFound))
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

pub(super) async fn stats(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
) -> Result<Html<String>, DeskError> {
    blocking(&desk, move |desk| {
        let stats = desk.session.stats()?;
        Ok(Html(desk.pages.render(
            "stats.html",
            lang,
            views::stats_page(lang, &stats),
        )?))
    })
    .await
}

/// The statistics as a CSV file, for the unit's own reports: the same figures as the page,
/// still content-free.
pub(super) async fn stats_csv(State(desk): State<Arc<Desk>>) -> Result<Response, DeskError> {
    let csv = blocking(&desk, |desk| Ok(views::stats_csv(&desk.session.stats()?))).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"quietline-statistics.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

/// Ends the server session and stops the desk: what to press before leaving the machine.
///
/// The page carries its styles inline: the desk stops right after sending it, so the
/// stylesheet could not be fetched. Its content security policy allows exactly that style
/// element, by hash.
pub(super) async fn logout(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
) -> Result<Response, DeskError> {
    let page = blocking(&desk, move |desk| {
        desk.logout();
        Ok(desk.pages.render(
            "stopped.html",
            lang,
            minijinja::context! { css => views::STYLESHEET },
        )?)
    })
    .await?;
    desk.stop();
    Ok((
        [(
            header::CONTENT_SECURITY_POLICY,
            views::stopped_page_policy(),
        )],
        Html(page),
    )
        .into_response())
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
        let params: ListParams = serde_urlencoded::from_str(
            "status=acknowledged&category=collusion&label=transparency&urgent=on&mine=on\
             &state=open&sort=waiting&page=2&per_page=100000",
        )
        .unwrap();
        let q = params.query("ana");
        assert_eq!(q.status.as_deref(), Some("acknowledged"));
        assert_eq!(
            q.assignee.as_deref(),
            Some("ana"),
            "mine is the desk's own name"
        );
        assert_eq!(q.category.as_deref(), Some("collusion"));
        assert_eq!(q.label.as_deref(), Some("transparency"));
        assert_eq!(q.urgent.as_deref(), Some("1"));
        assert_eq!(q.state.as_deref(), Some("open"));
        assert_eq!(q.sort.as_deref(), Some("waiting"));
        assert_eq!(q.page, Some(1), "page 2 of the desk is page 1 of the API");
        assert_eq!(q.per_page, Some(MAX_PER_PAGE as usize));
        let junk: ListParams = serde_urlencoded::from_str(
            "status=&assignee=a+b&category=gossip&label=x&state=maybe&sort=x&page=&urgent=0",
        )
        .unwrap();
        let q = junk.query("ana");
        assert!(q.status.is_none() && q.assignee.is_none() && q.category.is_none());
        assert!(q.label.is_none() && q.state.is_none() && q.sort.is_none());
        assert!(q.urgent.is_none());
        assert_eq!(q.page, Some(0));
        assert_eq!(junk.to_query_string(None), "");
    }
}
