//! The HTTP service: shared state, the router, security headers and the serve loop.
//!
//! One file per area: `reporter_api` (JSON) and `reporter_pages` (HTML), which share
//! `reporter` (what both reporter faces do, calling `crate::service`), `investigator_api`
//! (JSON), and `uploads` (multipart streamed into `crate::service::evidence`). Errors
//! become responses in `error` only. Nothing here logs requests: no addresses, user
//! agents, paths with ids, or bodies ever reach a log line.

mod blocking;
mod error;
mod form_nonces;
mod investigator_api;
mod render;
mod reporter;
mod reporter_api;
mod reporter_pages;
mod server;
mod upload_slots;
mod uploads;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

pub use error::Error;
pub use form_nonces::{NonceKey, SharedNonces, Spent};

use crate::config::{ServeConfig, UploadLimits};
use crate::service::health::State;
use crate::service::{Accounts, Backups, Cases, Clock, Health, ReporterSessions, Reporting};
use crate::store::CaseId;
use blocking::KdfPool;
use render::Pages;

/// The service layer's parts, as `serve` builds them.
pub struct Services {
    pub reporting: Reporting,
    pub accounts: Accounts,
    pub cases: Cases,
    pub clock: Arc<dyn Clock>,
    pub health: Arc<Health>,
    /// Shared with the scheduled backups of `serve`.
    pub backups: Arc<Backups>,
    /// Content-free alerts; reporter actions add to its counts and never wait for it.
    pub alerts: crate::alerts::Alerts,
}

/// What every handler shares. Each part documents its own locking.
pub struct AppState {
    reporting: Arc<Reporting>,
    accounts: Arc<Accounts>,
    cases: Arc<Cases>,
    clock: Arc<dyn Clock>,
    health: Arc<Health>,
    backups: Arc<Backups>,
    kdf_pool: KdfPool,
    sessions: ReporterSessions,
    /// Single-use nonces of the reporter forms (its own mutex; see `form_nonces`).
    form_nonces: form_nonces::FormNonces,
    pages: Pages,
    uploads: UploadLimits,
    /// One slot per upload with evidence files in progress (`--max-uploads`).
    upload_slots: upload_slots::UploadSlots,
    /// Largest body of requests without evidence files, including JSON sent to the routes
    /// that also take files.
    max_body_bytes: usize,
    alerts: crate::alerts::Alerts,
}

impl AppState {
    pub fn new(services: Services, config: &ServeConfig) -> Self {
        AppState {
            reporting: Arc::new(services.reporting),
            accounts: Arc::new(services.accounts),
            cases: Arc::new(services.cases),
            backups: services.backups,
            kdf_pool: KdfPool::new(config),
            sessions: ReporterSessions::new(
                config.session_idle(),
                config.session_max(),
                services.clock.clone(),
            ),
            form_nonces: form_nonces::FormNonces::default(),
            clock: services.clock,
            health: services.health,
            pages: Pages::new(&config.quick_exit_url, config.session_idle_minutes),
            uploads: config.upload_limits(),
            upload_slots: upload_slots::UploadSlots::new(config.max_uploads),
            max_body_bytes: config.max_body_bytes,
            alerts: services.alerts,
        }
    }
}

impl AppState {
    /// The same state with the reporter forms' nonces tagged with `key` and spent in
    /// `shared` (the database the instances share), so that a form rendered by one is
    /// posted to another, once.
    pub fn with_shared_form_nonces(mut self, shared: Box<dyn SharedNonces>, key: NonceKey) -> Self {
        self.form_nonces = form_nonces::FormNonces::shared(shared, key);
        self
    }

    /// The same state with reporter sessions kept, sealed, in `shared` (the database).
    pub fn with_shared_reporter_sessions(
        mut self,
        shared: Box<dyn crate::service::sessions::SharedReporterSessions>,
    ) -> Self {
        self.sessions = self.sessions.with_shared(shared);
        self
    }

    /// Ends the reporter sessions of deleted cases: their keys leave memory at once.
    pub fn end_reporter_sessions(&self, cases: &[CaseId]) {
        for case in cases {
            self.sessions.end_case(*case);
        }
    }
}

/// `Json` whose rejections become our [`Error`], so that every client mistake gets a clear
/// status and a JSON body like every other error.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
struct ApiJson<T>(T);

/// The session id of `Authorization: Bearer <id>`. Reporter and investigator sessions
/// share the format but live in different tables, so one never passes for the other.
fn bearer_session(parts: &axum::http::request::Parts) -> Result<crate::crypto::SessionId, Error> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|v| crate::crypto::SessionId::parse(v.trim()))
        .ok_or(Error::NoSession)
}

/// Slow clients may hold a request this long at most...
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// ...except while they send or fetch evidence files: 500 MiB over Tor can take an hour.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(3 * 3600);

/// The time limit of ordinary requests. Applied per route, because the routes that move
/// evidence files need [`transfer_timeout`] instead and an outer limit would cut them.
fn request_timeout() -> TimeoutLayer {
    TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT)
}

/// Longest pause between two chunks of a request body: an upload that stalls for longer
/// is cut, so that stalled uploads cannot hold their slots for the whole transfer limit.
const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

fn transfer_timeout() -> TimeoutLayer {
    TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, TRANSFER_TIMEOUT)
}

/// Which routes a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Faces {
    /// Reporters and investigators on one listener (the default).
    All,
    /// The reporter pages and API only (with `--investigator-listen`).
    Reporters,
    /// The investigator API only, on a listener of its own (`--investigator-listen`).
    Investigators,
}

pub fn router(state: Arc<AppState>, max_body_bytes: usize, faces: Faces) -> Router {
    // Evidence plus the text fields and multipart framing around it.
    let upload_body_bytes = usize::try_from(state.uploads.message_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(max_body_bytes);
    let mut app = Router::new().route("/healthz", get(healthz).layer(request_timeout()));
    if faces != Faces::Investigators {
        app = app
            .merge(reporter_api::routes(upload_body_bytes))
            .merge(reporter_pages::routes(upload_body_bytes));
    }
    if faces != Faces::Reporters {
        app = app.merge(investigator_api::routes());
    }
    // Reporters get the site's own page for a wrong address or method (language, Quick
    // exit, a way back); the investigators' own listener answers in plain text.
    let app = if faces == Faces::Investigators {
        app.fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
    } else {
        app.fallback(reporter_pages::not_found)
            .method_not_allowed_fallback(reporter_pages::method_not_allowed)
    };
    let mut app = app
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(RequestBodyTimeoutLayer::new(BODY_IDLE_TIMEOUT));
    for (name, value) in crate::serving::SECURITY_HEADERS {
        app = app.layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    app.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    ))
    .with_state(state)
}

/// Longest a health check may take: a store that does not answer a read in this time
/// is not healthy.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);

/// `/healthz`: reads from the store (the watchdog of `serve` probes writes on a schedule).
/// 503 when the store failed or does not answer, so that the service gets restarted;
/// 200 with a warning when only writes are refused (a full disk or a wrong clock), which
/// a restart would not fix.
async fn healthz(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
) -> (StatusCode, &'static str) {
    let health = state.health.clone();
    let checked = tokio::time::timeout(
        HEALTH_TIMEOUT,
        tokio::task::spawn_blocking(move || health.check()),
    )
    .await;
    match checked {
        Ok(Ok(State::Ok)) => (StatusCode::OK, "ok\n"),
        Ok(Ok(State::NoRoom)) => (
            StatusCode::OK,
            "ok for reads; writes are refused with 507: the disk is below the free-space reserve\n",
        ),
        Ok(Ok(State::ClockWrong)) => (
            StatusCode::OK,
            "ok for reads; writes are refused with 503: the clock is wrong (see the log)\n",
        ),
        Ok(Ok(State::Failed)) | Ok(Err(_)) | Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable: the store failed; quietline is stopping so that it is restarted\n",
        ),
    }
}

/// Serves until `shutdown` resolves, then lets requests in flight finish within a grace
/// period (`server::GRACE`). With an `investigators` listener, the investigator API is
/// served there only, and the reporters' listener serves the reporter side only.
pub async fn serve(
    listener: TcpListener,
    investigators: Option<TcpListener>,
    state: Arc<AppState>,
    config: &ServeConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(30));
            loop {
                every.tick().await;
                state.sessions.sweep();
            }
        })
    };
    // One stop signal for every listener.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let max = config.max_connections;
    let result = match investigators {
        None => {
            let app = router(state, config.max_body_bytes, Faces::All);
            server::serve_connections(listener, app, max, until_stopped()).await
        }
        Some(investigators) => {
            let reporters = router(state.clone(), config.max_body_bytes, Faces::Reporters);
            let desk = router(state, config.max_body_bytes, Faces::Investigators);
            let (a, b) = tokio::join!(
                server::serve_connections(listener, reporters, max, until_stopped()),
                server::serve_connections(investigators, desk, max, until_stopped()),
            );
            a.and(b)
        }
    };
    sweeper.abort();
    result
}
