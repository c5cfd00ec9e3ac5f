//! The reporter's HTML pages. They work with JavaScript disabled (there is none), load
//! nothing from other origins, and set no cookie: after login, the session id travels in
//! a hidden form field, so nothing of the case stays in the browser once the tab is closed.
//!
//! `report.rs`: making a report (the form, the token page and its confirmation);
//! `case.rs`: "My case" (log-in, the case page, follow-ups, leaving);
//! `remove.rs`: removing a file that could not be cleaned, from either page.

mod case;
mod remove;
mod report;

use case::*;
use remove::*;
use report::*;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use fluent_templates::fluent_bundle::FluentValue;
use minijinja::{Value, context};
use serde::Deserialize;

use super::AppState;
use super::blocking;
use super::error::Error;
use super::form_nonces::{self, Spent};
use super::render::{Lang, STYLESHEET};
use super::reporter::{Report, add_follow_up, open_case, submit_report};
use super::uploads::{self, FormKind, Submission};
use crate::case::{Author, Category, Day, NextStep};
use crate::crypto::{CaseKey, CaseRecipient, CaseToken, SessionId};
use crate::message::Attachment;
use crate::service::{CaseView, MessageView, OpenCase};

pub fn routes(upload_body_bytes: usize) -> Router<Arc<AppState>> {
    use axum::handler::Handler;
    let quick = super::request_timeout;
    // The two form posts that may carry evidence files accept large bodies and get the
    // long time limit of file transfers; everything else the ordinary one.
    let upload = || {
        (
            DefaultBodyLimit::max(upload_body_bytes),
            super::transfer_timeout(),
        )
    };
    Router::new()
        .route("/", get(landing.layer(quick())))
        .route(
            "/report",
            get(report_form.layer(quick())).post(report_submit.layer(upload())),
        )
        .route("/report/confirm", post(confirm_token.layer(quick())))
        .route("/report/remove", post(remove_after_sending.layer(quick())))
        .route("/case/remove", post(remove_from_case.layer(quick())))
        .route(
            "/case",
            get(login_form.layer(quick())).post(login.layer(quick())),
        )
        .route("/case/view", post(view.layer(quick())))
        .route("/case/messages", post(follow_up.layer(upload())))
        .route("/case/leave", post(leave.layer(quick())))
        .route("/static/style.css", get(stylesheet.layer(quick())))
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLESHEET,
    )
        .into_response()
}

async fn landing(State(state): State<Arc<AppState>>, lang: Lang) -> Response {
    state
        .pages
        .render(StatusCode::OK, lang, "index.html", context! { path => "/" })
}

/// Reads a page form: multipart (with evidence files) or URL-encoded (without).
async fn read_page_form<F>(
    state: &Arc<AppState>,
    request: Request,
    form: FormKind,
    recipient: F,
) -> (Submission, Result<(), Error>)
where
    F: FnMut(&Submission) -> Result<CaseRecipient, Error>,
{
    if uploads::is_multipart(&request) {
        return uploads::read_multipart(state, request, form, recipient).await;
    }
    match uploads::read_url_encoded(state, request).await {
        Ok(submission) => (submission, Ok(())),
        Err(e) => (Submission::default(), Err(e)),
    }
}

/// The site's own page for an address that has none (404), in the reporter's language,
/// with Quick exit and a way back.
pub async fn not_found(State(state): State<Arc<AppState>>, lang: Lang) -> Response {
    state.pages.render(
        StatusCode::NOT_FOUND,
        lang,
        "error.html",
        context! { path => "/", message_key => "error-not-found", replay => true },
    )
}

/// The site's own page for a method a route does not take (405).
pub async fn method_not_allowed(State(state): State<Arc<AppState>>, lang: Lang) -> Response {
    state.pages.render(
        StatusCode::METHOD_NOT_ALLOWED,
        lang,
        "error.html",
        context! { path => "/", message_key => "error-method-not-allowed", replay => true },
    )
}

/// Spends the nonce a page form brought back: [`Spent::Used`] for a form resent from
/// history.
fn spend(state: &AppState, submission: &Submission) -> Spent {
    state
        .form_nonces
        .spend(submission.field(form_nonces::FIELD))
}

/// The error a form gets when the database that records spent nonces cannot be asked:
/// 503 with Retry-After, nothing stored, and never "already used".
fn nonce_unavailable() -> Error {
    Error::Service(crate::service::Error::StoreStopped)
}

/// The answer to a form whose nonce could not be checked: the error page, 503.
fn nonce_unavailable_page(state: &AppState, lang: Lang) -> Response {
    state.pages.error(lang, nonce_unavailable(), context! {})
}

/// What the nonce of a page form with files says: [`Spent::Used`] if it is resent from
/// history. `fresh` is what spending the nonce said when a file arrived, if one did. A
/// form that could not be read (too large, broken) before its nonce arrived is answered
/// with its own error, and stores nothing.
fn spent_nonce(
    state: &AppState,
    fresh: Option<Spent>,
    read: &Result<(), Error>,
    submission: &Submission,
) -> Spent {
    match fresh {
        Some(spent) => spent,
        None if read.is_ok() || submission.field(form_nonces::FIELD).is_some() => {
            spend(state, submission)
        }
        None => Spent::Fresh,
    }
}

/// Evidence files as the pages show them, sizes in the page's language. `own`: the
/// reporter's own files, which they may remove (those that could not be cleaned get the
/// button); `deleted`: the blob ids of the files already removed.
fn attachment_values(
    lang: Lang,
    attachments: &[Attachment],
    own: bool,
    deleted: &[&str],
) -> Vec<Value> {
    attachments
        .iter()
        .map(|a| {
            let deleted = deleted.contains(&a.blob.as_str());
            context! {
                id => &a.blob,
                name => &a.name,
                size => lang.size(a.size),
                cleaned => a.cleaned,
                removed => a.removed.join(", "),
                deleted => deleted,
                removable => own && !a.cleaned && !deleted,
            }
        })
        .collect()
}

/// How many of these files could not be cleaned (and are still there).
fn uncleaned(attachments: &[Value]) -> usize {
    attachments
        .iter()
        .filter(|a| a.get_attr("removable").is_ok_and(|r| r.is_true()))
        .count()
}
