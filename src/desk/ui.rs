//! The desk's web UI on loopback: the state its handlers share, and the router that puts
//! every route behind the access gate (`gate`) and turns errors into pages (`error`).
//! What each route does is in `handlers`; what each page shows, in `views`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;
use zeroize::Zeroizing;

use super::audit_memory::{Alarm, AuditMemory};
use super::client::{ClientError, Session};
use super::error::{self, DeskError};
use super::gate::{self, Gate};
use super::handlers;
use super::search::TextIndex;
use super::settings;
use super::views::Pages;
use crate::crypto::InvestigatorIdentity;
use crate::i18n::Lang;

/// Everything the desk's handlers share. Nothing here changes after start except
/// `logged_out`, `language`, and `texts` and `audit`, which hold their own locks (as does
/// the audit alarm in `pages`).
pub struct Desk {
    pub(super) session: Session,
    pub(super) identity: InvestigatorIdentity,
    pub(super) pages: Pages,
    /// Decrypted previews and search text, in memory only; it locks itself.
    pub(super) texts: TextIndex,
    /// The record, on this machine, of the audit chain's head as this desk last saw it.
    audit: AuditMemory,
    gate: Arc<Gate>,
    /// Set once the server session is ended, so that it is ended only once.
    logged_out: AtomicBool,
    /// The language chosen with `?lang=`, remembered here rather than in a cookie: the
    /// desk serves one investigator on loopback, and forgets the choice when it stops.
    /// `None` follows the browser's Accept-Language. Locked only to read or set it.
    language: Mutex<Option<Lang>>,
    /// Woken by the "log out" button to stop the desk.
    stop: tokio::sync::Notify,
}

impl Desk {
    pub fn new(
        session: Session,
        identity: InvestigatorIdentity,
        audit: AuditMemory,
        address: SocketAddr,
    ) -> Self {
        let pages = Pages::new(&session.name, session.server());
        Desk {
            session,
            identity,
            pages,
            texts: TextIndex::default(),
            audit,
            gate: Arc::new(Gate::new(address)),
            logged_out: AtomicBool::new(false),
            language: Mutex::new(None),
            stop: tokio::sync::Notify::new(),
        }
    }

    /// Compares the audit chain with this desk's record of it, and raises (or clears) the
    /// alarm every page shows. Blocking.
    pub fn check_audit(&self) -> Result<Option<Alarm>, ClientError> {
        let alarm = self.audit.check(&self.session)?;
        self.pages.set_audit_alarm(alarm.as_ref().map(Alarm::view));
        Ok(alarm)
    }

    /// The address to open, with the access key: printed once at start.
    pub fn entry_url(&self) -> Zeroizing<String> {
        self.gate.entry_url()
    }

    /// Resolves when the investigator pressed "log out".
    pub async fn stopped(&self) {
        self.stop.notified().await;
    }

    /// Stops the desk: what the "log out" button does once the session has ended.
    pub(super) fn stop(&self) {
        self.stop.notify_one();
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

/// The language of a desk page: a `?lang=` in the address (which the desk then
/// remembers for every page after it), else the one remembered, else the browser's
/// Accept-Language, else English.
pub(super) struct PageLang(pub Lang);

impl FromRequestParts<Arc<Desk>> for PageLang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, desk: &Arc<Desk>) -> Result<Self, Infallible> {
        let asked = parts.uri.query().and_then(|q| {
            q.split('&')
                .find_map(|pair| pair.strip_prefix("lang="))
                .and_then(Lang::from_code)
        });
        let remembered = {
            let mut chosen = desk.language.lock().unwrap_or_else(PoisonError::into_inner);
            if asked.is_some() {
                *chosen = asked;
            }
            *chosen
        };
        let from_browser = || {
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::negotiate)
        };
        Ok(PageLang(
            remembered.or_else(from_browser).unwrap_or(Lang::En),
        ))
    }
}

pub fn router(desk: Arc<Desk>) -> Router {
    let mut app = Router::new()
        .route("/", get(handlers::case_list))
        .route("/cases/{id}", get(handlers::case_page))
        .route("/cases/{id}/reply", post(handlers::reply))
        .route("/cases/{id}/status", post(handlers::set_status))
        .route("/cases/{id}/assignees", post(handlers::assign))
        .route("/cases/{id}/notes", post(handlers::add_note))
        .route("/cases/{id}/access", post(handlers::grant_access))
        .route("/cases/{id}/labels", post(handlers::set_labels))
        .route("/cases/{id}/attachments/{blob}", get(handlers::attachment))
        .route("/stats", get(handlers::stats))
        .route("/stats.csv", get(handlers::stats_csv))
        .route("/settings", get(settings::settings_page))
        .route("/settings/alerts", post(settings::set_alerts))
        .route("/settings/confirm", post(settings::confirm_recipient))
        .route("/logout", post(handlers::logout))
        .route("/static/desk.css", get(handlers::stylesheet))
        .fallback(|| async { DeskError::NoSuchPage })
        .layer(middleware::map_response_with_state(
            desk.clone(),
            error::render_errors,
        ))
        .layer(middleware::from_fn_with_state(
            desk.gate.clone(),
            gate::check,
        ));
    for (name, value) in crate::serving::SECURITY_HEADERS {
        let (name, value) = (
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
        // Evidence downloads set a stricter policy of their own (a sandbox), which must
        // survive; no other response sets one, so every page gets the one above.
        // Same-origin requests must carry the desk's origin for the gate to check it:
        // under "no-referrer" a browser sends `Origin: null` on form posts, so the desk
        // sends referrers to itself only.
        let value = if name == header::REFERRER_POLICY {
            HeaderValue::from_static("same-origin")
        } else {
            value
        };
        app = app.layer(if name == header::CONTENT_SECURITY_POLICY {
            SetResponseHeaderLayer::if_not_present(name, value)
        } else {
            SetResponseHeaderLayer::overriding(name, value)
        });
    }
    app.with_state(desk)
}
