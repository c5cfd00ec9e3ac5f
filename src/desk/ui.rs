//! The desk's web UI on loopback: routes, the access gate, and the form handlers.
//!
//! Only the browser that opened the printed address may use the desk. Loopback alone is
//! not enough: other users of the machine can connect to 127.0.0.1, and any web page the
//! investigator visits can make their browser send requests to it. So the first visit
//! must carry a random access key (`/?key=`), which is traded for an HttpOnly,
//! SameSite=Strict cookie; every other request without that cookie gets 403. Requests that
//! a browser marks as coming from another site (`Sec-Fetch-Site`), or that name another
//! host (DNS rebinding), are refused even with the cookie.
//!
//! Every API call blocks and runs through `spawn_blocking`, together with the decryption
//! and rendering it feeds, so that plaintext stays inside one blocking task per request.
//! Evidence downloads are the exception that streams: see `download`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use rand::RngCore;
use rand::rngs::OsRng;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tower_http::set_header::SetResponseHeaderLayer;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::client::{BlobRef, CaseQuery, CaseRef, ClientError, Session};
use super::download;
use super::views::{self, OpenError, Pages, RenderError};
use crate::api::{AssignRequest, GrantRequest, StatusRequest};
use crate::case::{Status, is_valid_investigator_name};
use crate::crypto::{
    CryptoError, InvestigatorIdentity, InvestigatorRecipient, seal_to_investigators,
};
use crate::message::MessageContent;

/// Largest page size the desk asks the server for.
const MAX_PER_PAGE: u32 = 200;

/// Everything the desk's handlers share. Nothing here changes after start except
/// `logged_out`, so no lock is needed.
pub struct Desk {
    session: Session,
    identity: InvestigatorIdentity,
    pages: Pages,
    gate: Gate,
    /// Set once the server session is ended, so that it is ended only once.
    logged_out: AtomicBool,
    /// Woken by the "log out" button to stop the desk.
    stop: tokio::sync::Notify,
}

impl Desk {
    pub fn new(session: Session, identity: InvestigatorIdentity, address: SocketAddr) -> Self {
        let pages = Pages::new(&session.name, session.server());
        Desk {
            session,
            identity,
            pages,
            gate: Gate::new(address),
            logged_out: AtomicBool::new(false),
            stop: tokio::sync::Notify::new(),
        }
    }

    /// The address to open, with the access key: printed once at start.
    pub fn entry_url(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "http://{}/?key={}",
            self.gate.address,
            self.gate.access_key.as_str()
        ))
    }

    /// Resolves when the investigator pressed "log out".
    pub async fn stopped(&self) {
        self.stop.notified().await;
    }

    /// Ends the session on the server, once. Blocking.
    pub fn logout(&self) {
        if self.logged_out.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Err(e) = self.session.logout() {
            // Carries no content: the error's kind and the server's status only.
            tracing::warn!(error = %e, "could not end the session on the server");
        }
    }
}

/// The access key and the cookie it is traded for, both random per start.
struct Gate {
    address: SocketAddr,
    access_key: Zeroizing<String>,
    cookie_value: Zeroizing<String>,
    /// Cookies do not separate ports: the name does, so that two desks on one machine do
    /// not overwrite each other's cookie.
    cookie_name: String,
    /// `Host` values a request may carry: the bound address, and `localhost` for it.
    hosts: Vec<String>,
}

impl Gate {
    fn new(address: SocketAddr) -> Self {
        let mut hosts = vec![address.to_string()];
        hosts.push(format!("localhost:{}", address.port()));
        Gate {
            address,
            access_key: random_hex(),
            cookie_value: random_hex(),
            cookie_name: format!("quietline_desk_{}", address.port()),
            hosts,
        }
    }

    fn host_allowed(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|h| self.hosts.iter().any(|allowed| allowed == h))
    }

    fn has_cookie(&self, headers: &HeaderMap) -> bool {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| {
                name == self.cookie_name
                    && bool::from(value.as_bytes().ct_eq(self.cookie_value.as_bytes()))
            })
    }

    fn key_matches(&self, key: &str) -> bool {
        bool::from(key.as_bytes().ct_eq(self.access_key.as_bytes()))
    }

    fn set_cookie(&self) -> HeaderValue {
        let cookie = Zeroizing::new(format!(
            "{}={}; Path=/; HttpOnly; SameSite=Strict",
            self.cookie_name,
            self.cookie_value.as_str()
        ));
        // Infallible: the name and the hex value are visible ASCII.
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

fn random_hex() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(&mut bytes[..]);
    let mut text = Zeroizing::new(String::with_capacity(64));
    for b in bytes.iter() {
        text.push_str(&format!("{b:02x}"));
    }
    text
}

pub fn router(desk: Arc<Desk>) -> Router {
    let mut app = Router::new()
        .route("/", get(case_list))
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/reply", post(reply))
        .route("/cases/{id}/status", post(set_status))
        .route("/cases/{id}/assignees", post(assign))
        .route("/cases/{id}/notes", post(add_note))
        .route("/cases/{id}/access", post(grant_access))
        .route("/cases/{id}/attachments/{blob}", get(attachment))
        .route("/stats", get(stats))
        .route("/logout", post(logout))
        .route("/static/desk.css", get(stylesheet))
        .fallback(|| async { DeskError::NoSuchPage })
        .layer(middleware::map_response_with_state(
            desk.clone(),
            render_errors,
        ))
        .layer(middleware::from_fn_with_state(desk.clone(), gate));
    for (name, value) in crate::serving::SECURITY_HEADERS {
        let (name, value) = (
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
        // Evidence downloads set a stricter policy of their own (a sandbox), which must
        // survive; no other response sets one, so every page gets the one above.
        app = app.layer(if name == header::CONTENT_SECURITY_POLICY {
            SetResponseHeaderLayer::if_not_present(name, value)
        } else {
            SetResponseHeaderLayer::overriding(name, value)
        });
    }
    app.with_state(desk)
}

/// The access gate (see the file's doc). Runs before every route.
async fn gate(State(desk): State<Arc<Desk>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let from_elsewhere = matches!(
        headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
        Some("cross-site" | "same-site")
    );
    if !desk.gate.host_allowed(headers) || from_elsewhere {
        return forbidden();
    }
    let key = request
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("key=")));
    if let Some(key) = key {
        if request.method() != Method::GET || !desk.gate.key_matches(key) {
            return forbidden();
        }
        // Trade the key for the cookie, and drop the key from the address bar.
        let mut response = Redirect::to("/").into_response();
        response
            .headers_mut()
            .insert(header::SET_COOKIE, desk.gate.set_cookie());
        return response;
    }
    if !desk.gate.has_cookie(headers) {
        return forbidden();
    }
    next.run(request).await
}

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        "403: this desk answers only the browser that opened the address `quietline desk` \
         printed (http://127.0.0.1:PORT/?key=...). Open that address again.\n",
    )
        .into_response()
}

#[derive(Debug, thiserror::Error)]
enum DeskError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("{0}")]
    Invalid(String),
    #[error("no such page")]
    NoSuchPage,
    #[error("this case lists no such evidence file")]
    NoSuchFile,
    #[error(
        "this evidence file does not decrypt with the case key: it is damaged, or not this \
         case's; nothing was saved"
    )]
    BadFile,
    #[error("the desk could not encrypt this; nothing was sent")]
    Crypto,
    #[error("the desk failed to show this page")]
    Render,
    #[error("the desk failed; see its terminal")]
    Internal,
}

impl DeskError {
    fn status(&self) -> StatusCode {
        match self {
            DeskError::Client(ClientError::SessionEnded) => StatusCode::UNAUTHORIZED,
            DeskError::Client(ClientError::NotFound)
            | DeskError::NoSuchPage
            | DeskError::NoSuchFile => StatusCode::NOT_FOUND,
            DeskError::Client(ClientError::Conflict(_)) => StatusCode::CONFLICT,
            DeskError::Client(ClientError::Forbidden(_)) => StatusCode::FORBIDDEN,
            DeskError::Client(ClientError::Rejected(_)) | DeskError::Invalid(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            DeskError::Client(ClientError::TooManyAttempts(_)) => StatusCode::TOO_MANY_REQUESTS,
            DeskError::Client(_) | DeskError::BadFile => StatusCode::BAD_GATEWAY,
            DeskError::Open(_) => StatusCode::FORBIDDEN,
            DeskError::Crypto | DeskError::Render | DeskError::Internal => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl From<CryptoError> for DeskError {
    fn from(e: CryptoError) -> Self {
        tracing::error!(error = %e, "encryption failed");
        DeskError::Crypto
    }
}

impl From<RenderError> for DeskError {
    fn from(e: RenderError) -> Self {
        tracing::error!(error = %e, "template failed");
        DeskError::Render
    }
}

/// What an error response carries until `render_errors` turns it into a page.
#[derive(Clone)]
struct ErrorMessage(String);

impl IntoResponse for DeskError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response
            .extensions_mut()
            .insert(ErrorMessage(self.to_string()));
        response
    }
}

/// Errors become pages here only, with the desk's header and a way back.
async fn render_errors(State(desk): State<Arc<Desk>>, mut response: Response) -> Response {
    let Some(ErrorMessage(message)) = response.extensions_mut().remove::<ErrorMessage>() else {
        return response;
    };
    let status = response.status();
    let page = desk.pages.render(
        "error.html",
        minijinja::context! { message, status => status.as_u16() },
    );
    match page {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, message).into_response(),
    }
}

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
struct ListParams {
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

async fn case_list(
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
struct CaseParams {
    done: Option<String>,
}

async fn case_page(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    Query(params): Query<CaseParams>,
) -> Result<Html<String>, DeskError> {
    let id = case_ref(&id)?;
    blocking(&desk, move |desk| {
        let detail = desk.session.case(&id)?;
        let investigators = desk.session.investigators()?;
        let key = views::case_key(&detail.wrap, &desk.identity)?;
        let ctx = views::case_page(
            &detail,
            &key,
            &desk.identity,
            &investigators,
            params.done.as_deref(),
        );
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
async fn attachment(
    State(desk): State<Arc<Desk>>,
    Path((id, blob)): Path<(String, String)>,
) -> Result<Response, DeskError> {
    let id = case_ref(&id)?;
    let blob = BlobRef::parse(&blob).ok_or(DeskError::NoSuchFile)?;
    let (file, plaintext) = blocking(&desk, move |desk| {
        let detail = desk.session.case(&id)?;
        let key = views::case_key(&detail.wrap, &desk.identity)?;
        let file = views::find_attachment(&detail, &key, &blob).ok_or(DeskError::NoSuchFile)?;
        let encrypted = desk.session.attachment(&id, &blob)?;
        let plaintext = key.open_stream(encrypted).map_err(|e| {
            tracing::warn!(error = %e, "an evidence file does not decrypt");
            DeskError::BadFile
        })?;
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
struct TextForm {
    body: String,
}

impl TextForm {
    /// The text as the plaintext JSON of a thread entry or note: `{"body": ...}`.
    fn sealed_content(&mut self) -> Result<Zeroizing<Vec<u8>>, DeskError> {
        if self.body.trim().is_empty() {
            return Err(DeskError::Invalid(
                "the text is empty; nothing was sent".into(),
            ));
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

async fn reply(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    Form(mut form): Form<TextForm>,
) -> Result<Redirect, DeskError> {
    let id = case_ref(&id)?;
    let plaintext = form.sealed_content()?;
    blocking(&desk, move |desk| {
        let detail = desk.session.access(&id)?;
        let key = views::case_key(&detail.wrap, &desk.identity)?;
        desk.session.reply(&id, key.seal(&plaintext)?)?;
        Ok(back_to(&id, "reply"))
    })
    .await
}

#[derive(Deserialize)]
struct StatusForm {
    status: String,
    outcome: Option<String>,
}

async fn set_status(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Redirect, DeskError> {
    let id = case_ref(&id)?;
    let outcome = form.outcome.filter(|o| !o.is_empty());
    // The same words the service reads, so that the desk refuses what it would refuse.
    if let Err(e) = Status::parse_change(&form.status, outcome.as_deref()) {
        return Err(DeskError::Invalid(e.to_string()));
    }
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

async fn assign(
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
        return Err(DeskError::Invalid(format!(
            "{bad:?} is not an investigator"
        )));
    }
    assignees.sort();
    assignees.dedup();
    blocking(&desk, move |desk| {
        desk.session.assign(&id, &AssignRequest { assignees })?;
        Ok(back_to(&id, "assignees"))
    })
    .await
}

async fn add_note(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    Form(mut form): Form<TextForm>,
) -> Result<Redirect, DeskError> {
    let id = case_ref(&id)?;
    let plaintext = form.sealed_content()?;
    blocking(&desk, move |desk| {
        let detail = desk.session.access(&id)?;
        let investigators = desk.session.investigators()?;
        let mut recipients = views::note_recipients(&detail.holders, &investigators);
        // The author can always read their own note, whatever the list says.
        let me = desk.identity.recipient();
        if !recipients.iter().any(|r| r.to_string() == me.to_string()) {
            recipients.push(me);
        }
        let sealed = seal_to_investigators(&recipients, &plaintext)?;
        desk.session.add_note(&id, sealed)?;
        Ok(back_to(&id, "note"))
    })
    .await
}

#[derive(Deserialize)]
struct AccessForm {
    investigator: String,
}

/// Grants a colleague access: a new wrap of the case key, made here, where the key can
/// already be unwrapped. The server receives only the wrap.
async fn grant_access(
    State(desk): State<Arc<Desk>>,
    Path(id): Path<String>,
    Form(form): Form<AccessForm>,
) -> Result<Redirect, DeskError> {
    let id = case_ref(&id)?;
    blocking(&desk, move |desk| {
        let detail = desk.session.access(&id)?;
        if detail.holders.contains(&form.investigator) {
            return Err(DeskError::Invalid(format!(
                "{} already has access to this case",
                form.investigator
            )));
        }
        let investigators = desk.session.investigators()?;
        let colleague = investigators
            .iter()
            .find(|i| i.name == form.investigator && i.enabled)
            .ok_or_else(|| {
                DeskError::Invalid(format!(
                    "{:?} is not an enabled investigator",
                    form.investigator
                ))
            })?;
        let recipient = InvestigatorRecipient::parse(&colleague.recipient)?;
        let key = views::case_key(&detail.wrap, &desk.identity)?;
        let wrap = key.wrap_to(recipient.as_age())?;
        let request = GrantRequest {
            investigator: form.investigator.clone(),
            wrap: wrap.0,
        };
        desk.session.grant(&id, &request)?;
        Ok(back_to(&id, "access"))
    })
    .await
}

async fn stats(State(desk): State<Arc<Desk>>) -> Result<Html<String>, DeskError> {
    blocking(&desk, |desk| {
        let stats = desk.session.stats()?;
        Ok(Html(
            desk.pages.render("stats.html", views::stats_page(&stats))?,
        ))
    })
    .await
}

/// Ends the server session and stops the desk: what to press before leaving the machine.
async fn logout(State(desk): State<Arc<Desk>>) -> Result<Html<String>, DeskError> {
    let page = blocking(&desk, |desk| {
        desk.logout();
        Ok(desk.pages.render("stopped.html", minijinja::context! {})?)
    })
    .await?;
    desk.stop.notify_one();
    Ok(Html(page))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        views::STYLESHEET,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> Gate {
        Gate::new("127.0.0.1:4242".parse().unwrap())
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn only_the_set_cookie_opens_the_gate() {
        let gate = gate();
        let cookie = format!("quietline_desk_4242={}", gate.cookie_value.as_str());
        assert!(gate.has_cookie(&headers(&[("cookie", &cookie)])));
        assert!(gate.has_cookie(&headers(&[("cookie", &format!("a=b; {cookie}"))])));
        assert!(!gate.has_cookie(&headers(&[])));
        assert!(!gate.has_cookie(&headers(&[("cookie", "quietline_desk_4242=00")])));
        let other_port = format!("quietline_desk_4243={}", gate.cookie_value.as_str());
        assert!(!gate.has_cookie(&headers(&[("cookie", &other_port)])));
        let set = gate.set_cookie();
        let set = set.to_str().unwrap();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );
    }

    #[test]
    fn keys_are_random_and_checked_whole() {
        let (a, b) = (gate(), gate());
        assert_ne!(a.access_key.as_str(), b.access_key.as_str());
        assert_eq!(a.access_key.len(), 64);
        assert!(a.key_matches(a.access_key.as_str()));
        assert!(!a.key_matches(&a.access_key[..63]));
        assert!(!a.key_matches(b.access_key.as_str()));
    }

    #[test]
    fn only_the_bound_host_is_served() {
        let gate = gate();
        assert!(gate.host_allowed(&headers(&[("host", "127.0.0.1:4242")])));
        assert!(gate.host_allowed(&headers(&[("host", "localhost:4242")])));
        assert!(!gate.host_allowed(&headers(&[("host", "evil.example:4242")])));
        assert!(!gate.host_allowed(&headers(&[])));
    }

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
