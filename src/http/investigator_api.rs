//! The investigator API under `/api/v1/investigator` (contract: `crate::api`). The desk is
//! its client. Handlers only translate HTTP to `crate::service` (`accounts`,
//! `cases`) and back; access rules live there. A reporter session is a different kind of id in a different table,
//! so it can never pass the [`Session`] extractor here.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};

use super::blocking;
use super::error::Error;
use super::{ApiJson, AppState};
use crate::api::{
    AlertSettings, AssignRequest, BackupWire, CaseAccess, CaseDetail, CaseList, CaseListQuery,
    CaseSummary, CaseThread, ConfirmRecipient, EnrolConfirm, EnrolRequest, EnrolResponse,
    EnrolmentSecret, GrantRequest, InvestigatorWire, LabelsRequest, LoginRequest, LoginResponse,
    NewInvestigator, PendingRecipientWire, SealedBody, Stats, StatusRequest, ThreadsRequest,
};
use crate::case::Role;
use crate::service::{CaseFilter, Confirmer, Investigator};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/investigator/enrol", post(enrol))
        .route("/api/v1/investigator/enrol/confirm", post(confirm))
        .route("/api/v1/investigator/login", post(login))
        .route("/api/v1/investigator/logout", post(logout))
        .route("/api/v1/investigator/cases", get(list))
        .route("/api/v1/investigator/cases/{id}", get(open))
        .route("/api/v1/investigator/cases/{id}/replies", post(reply))
        .route("/api/v1/investigator/cases/{id}/notes", post(note))
        .route("/api/v1/investigator/cases/{id}/status", post(status))
        .route("/api/v1/investigator/cases/{id}/assignees", post(assign))
        .route(
            "/api/v1/investigator/cases/{id}/access",
            get(access).post(grant),
        )
        .route("/api/v1/investigator/cases/{id}/labels", post(set_labels))
        .route("/api/v1/investigator/threads", post(threads))
        .route("/api/v1/investigator/investigators", get(investigators))
        .route("/api/v1/investigator/stats", get(stats))
        .route("/api/v1/investigator/recovery", get(recovery))
        .route("/api/v1/investigator/audit/head", get(audit_head))
        .route(
            "/api/v1/investigator/alerts",
            get(alert_settings).post(set_alert_settings),
        )
        .route("/api/v1/investigator/recipients/pending", get(pending))
        .route(
            "/api/v1/investigator/admin/recipients/confirm",
            post(admin_confirm),
        )
        .route("/api/v1/investigator/admin/investigators", post(admin_add))
        .route(
            "/api/v1/investigator/admin/investigators/{name}/disable",
            post(admin_disable),
        )
        .route(
            "/api/v1/investigator/admin/investigators/{name}",
            delete(admin_remove),
        )
        .route("/api/v1/investigator/admin/backups", post(admin_backup))
        // A router layer wraps the routes added before it only: the download added after
        // gets the long limit of file transfers instead.
        .layer(super::request_timeout())
        .route(
            "/api/v1/investigator/cases/{id}/attachments/{blob}",
            get(attachment).layer(super::transfer_timeout()),
        )
}

/// Streams an evidence file as stored: age ciphertext to the case key, which the desk
/// decrypts. Only for investigators holding a wrap of the case, and only files of that
/// case.
async fn attachment(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
    Path((id, blob)): Path<(String, String)>,
) -> Result<Response, Error> {
    let cases = state.cases.clone();
    let stored = blocking::run(move || cases.attachment(&who, &id, &blob)).await??;
    let length = stored.length;
    // 64 KiB at a time, each read on a blocking thread (the store's reader may be a file
    // or database rows): memory stays flat whatever the file size.
    let chunks = futures_util::stream::unfold(Some(stored.reader), |reader| async move {
        let mut reader = reader?;
        let read = tokio::task::spawn_blocking(move || {
            let mut buffer = vec![0u8; 64 * 1024];
            let n = std::io::Read::read(&mut reader, &mut buffer);
            (reader, buffer, n)
        })
        .await;
        match read {
            Ok((_, _, Ok(0))) => None,
            Ok((reader, mut buffer, Ok(n))) => {
                buffer.truncate(n);
                Some((Ok(axum::body::Bytes::from(buffer)), Some(reader)))
            }
            Ok((_, _, Err(e))) => {
                tracing::error!(error = %e, "an evidence file listed in the store cannot be read");
                Some((Err(e), None))
            }
            Err(e) => Some((Err(std::io::Error::other(e)), None)),
        }
    });
    let mut response = Response::new(Body::from_stream(chunks));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Some(length) = length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    Ok(response)
}

/// A live investigator session from `Authorization: Bearer <session>`.
struct Session(Investigator);

impl FromRequestParts<Arc<AppState>> for Session {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Error> {
        let id = super::bearer_session(parts)?;
        let accounts = state.accounts.clone();
        let who = blocking::run(move || accounts.session(&id)).await??;
        Ok(Session(who))
    }
}

async fn enrol(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<EnrolRequest>,
) -> Result<Json<EnrolResponse>, Error> {
    let accounts = state.accounts.clone();
    let response = state
        .kdf_pool
        .run_investigator(move |memory| {
            accounts.enrol(
                &request.name,
                &request.enrolment_secret,
                &request.password,
                memory,
            )
        })
        .await??;
    Ok(Json(response))
}

async fn confirm(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<EnrolConfirm>,
) -> Result<StatusCode, Error> {
    let accounts = state.accounts.clone();
    blocking::run(move || {
        accounts.confirm_enrolment(&request.name, &request.enrolment_secret, &request.code)
    })
    .await??;
    Ok(StatusCode::NO_CONTENT)
}

async fn login(
    State(state): State<Arc<AppState>>,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, Error> {
    let accounts = state.accounts.clone();
    let name = request.name.clone();
    let result = state
        .kdf_pool
        .run_investigator(move |memory| {
            accounts.login(&request.name, &request.password, &request.code, memory)
        })
        .await?;
    let (session, who) = match result {
        Ok(logged_in) => logged_in,
        Err(e) => {
            // Guessing is slowed here, without holding a thread or a KDF worker. The
            // delay is read off the async workers (the counts may be in the database).
            let accounts = state.accounts.clone();
            let delay = blocking::run(move || accounts.failure_delay(&name))
                .await
                .unwrap_or(0);
            tokio::time::sleep(std::time::Duration::from_secs(delay)).await;
            return Err(e.into());
        }
    };
    Ok(Json(LoginResponse {
        session: session.encoded().as_str().to_owned(),
        name: who.name,
        role: who.role.as_str().to_owned(),
    }))
}

async fn logout(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
) -> Result<StatusCode, Error> {
    let accounts = state.accounts.clone();
    blocking::run(move || accounts.logout(&who)).await??;
    Ok(StatusCode::NO_CONTENT)
}

async fn list(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
    query: Result<Query<CaseListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<CaseList>, Error> {
    let today = state.clock.today();
    let Query(query) = query.map_err(|e| Error::MalformedRequest(e.body_text()))?;
    let (filter, order) = CaseFilter::from_query(&query)?;
    let cases = state.cases.clone();
    let page = query.page.unwrap_or(0);
    let per_page = query.per_page.unwrap_or(50);
    Ok(Json(
        blocking::run(move || cases.list_in_order(&who, &filter, order, page, per_page, today))
            .await??,
    ))
}

async fn set_labels(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<LabelsRequest>,
) -> Result<Json<CaseSummary>, Error> {
    let today = state.clock.today();
    let cases = state.cases.clone();
    Ok(Json(
        blocking::run(move || cases.set_labels(&who, &id, &request.labels, today)).await??,
    ))
}

async fn threads(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
    ApiJson(request): ApiJson<ThreadsRequest>,
) -> Result<Json<Vec<CaseThread>>, Error> {
    let cases = state.cases.clone();
    Ok(Json(
        blocking::run(move || cases.threads(&who, &request.ids)).await??,
    ))
}

async fn open(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
    Path(id): Path<String>,
) -> Result<Json<CaseDetail>, Error> {
    let today = state.clock.today();
    let cases = state.cases.clone();
    Ok(Json(
        blocking::run(move || cases.open(&who, &id, today)).await??,
    ))
}

async fn reply(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SealedBody>,
) -> Result<StatusCode, Error> {
    let today = state.clock.today();
    let cases = state.cases.clone();
    blocking::run(move || cases.reply(&who, &id, body.ciphertext, today)).await??;
    Ok(StatusCode::CREATED)
}

async fn note(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SealedBody>,
) -> Result<StatusCode, Error> {
    let today = state.clock.today();
    let cases = state.cases.clone();
    blocking::run(move || cases.note(&who, &id, body.ciphertext, today)).await??;
    Ok(StatusCode::CREATED)
}

async fn status(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<StatusRequest>,
) -> Result<Json<CaseSummary>, Error> {
    let today = state.clock.today();
    let cases = state.cases.clone();
    Ok(Json(
        blocking::run(move || {
            cases.set_status(
                &who,
                &id,
                &request.status,
                request.outcome.as_deref(),
                today,
            )
        })
        .await??,
    ))
}

async fn assign(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<AssignRequest>,
) -> Result<Json<CaseSummary>, Error> {
    let today = state.clock.today();
    let cases = state.cases.clone();
    Ok(Json(
        blocking::run(move || cases.assign(&who, &id, request.assignees, today)).await??,
    ))
}

async fn access(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
    Path(id): Path<String>,
) -> Result<Json<CaseAccess>, Error> {
    let cases = state.cases.clone();
    Ok(Json(blocking::run(move || cases.access(&who, &id)).await??))
}

async fn grant(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<GrantRequest>,
) -> Result<StatusCode, Error> {
    let cases = state.cases.clone();
    blocking::run(move || cases.grant(&who, &id, &request.investigator, request.wrap)).await??;
    Ok(StatusCode::CREATED)
}

async fn investigators(
    State(state): State<Arc<AppState>>,
    Session(_): Session,
) -> Result<Json<Vec<InvestigatorWire>>, Error> {
    let accounts = state.accounts.clone();
    Ok(Json(
        blocking::run(move || accounts.investigators()).await??,
    ))
}

async fn recovery(
    State(state): State<Arc<AppState>>,
    Session(_): Session,
) -> Result<Json<crate::api::RecoveryRecipientWire>, Error> {
    let accounts = state.accounts.clone();
    Ok(Json(
        blocking::run(move || accounts.recovery_recipient()).await??,
    ))
}

/// Any investigator may see the chain's head: every desk keeps its own record of it, so
/// that cutting the log short is noticed by whoever looks next.
async fn audit_head(
    State(state): State<Arc<AppState>>,
    Session(_): Session,
    Query(query): Query<crate::api::AuditHeadQuery>,
) -> Result<Json<crate::api::AuditHeadWire>, Error> {
    let known = match query.known.as_deref() {
        Some(text) => Some(crate::audit::parse_head(text).ok_or_else(|| {
            Error::MalformedRequest("known takes a chain head: 64 hex digits".to_owned())
        })?),
        None => None,
    };
    let accounts = state.accounts.clone();
    Ok(Json(
        blocking::run(move || accounts.audit_head(known.as_ref())).await??,
    ))
}

async fn stats(
    State(state): State<Arc<AppState>>,
    Session(_): Session,
) -> Result<Json<Stats>, Error> {
    let today = state.clock.today();
    let cases = state.cases.clone();
    Ok(Json(blocking::run(move || cases.stats(today)).await??))
}

async fn admin_add(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
    ApiJson(request): ApiJson<NewInvestigator>,
) -> Result<(StatusCode, Json<EnrolmentSecret>), Error> {
    let role = match request.role.as_deref() {
        None => Role::Investigator,
        Some(word) => Role::parse(word).ok_or(Error::UnknownRole)?,
    };
    let accounts = state.accounts.clone();
    let secret =
        blocking::run(move || accounts.admin_add(&who, &request.name, &request.recipient, role))
            .await??;
    Ok((
        StatusCode::CREATED,
        Json(EnrolmentSecret {
            enrolment_secret: secret.as_str().to_owned(),
        }),
    ))
}

async fn alert_settings(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
) -> Result<Json<AlertSettings>, Error> {
    let accounts = state.accounts.clone();
    Ok(Json(
        blocking::run(move || accounts.alert_settings(&who)).await??,
    ))
}

/// Each investigator sets their own address; nobody sets another's.
async fn set_alert_settings(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
    ApiJson(request): ApiJson<AlertSettings>,
) -> Result<Json<AlertSettings>, Error> {
    let accounts = state.accounts.clone();
    Ok(Json(
        blocking::run(move || accounts.set_alert_settings(&who, request)).await??,
    ))
}

/// Any investigator may see which recipients wait: who can read new cases is everyone's
/// business in the unit.
async fn pending(
    State(state): State<Arc<AppState>>,
    Session(_): Session,
) -> Result<Json<Vec<PendingRecipientWire>>, Error> {
    let accounts = state.accounts.clone();
    Ok(Json(
        blocking::run(move || accounts.pending_recipients()).await??,
    ))
}

async fn admin_confirm(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
    ApiJson(request): ApiJson<ConfirmRecipient>,
) -> Result<Json<Vec<PendingRecipientWire>>, Error> {
    let accounts = state.accounts.clone();
    Ok(Json(
        blocking::run(move || {
            accounts.confirm_recipient(Confirmer::Desk(&who), &request.fingerprint)
        })
        .await??,
    ))
}

async fn admin_disable(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
    Path(name): Path<String>,
) -> Result<StatusCode, Error> {
    let accounts = state.accounts.clone();
    blocking::run(move || accounts.admin_disable(&who, &name)).await??;
    Ok(StatusCode::NO_CONTENT)
}

async fn admin_remove(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
    Path(name): Path<String>,
) -> Result<StatusCode, Error> {
    let accounts = state.accounts.clone();
    blocking::run(move || accounts.admin_remove(&who, &name)).await??;
    Ok(StatusCode::NO_CONTENT)
}

/// A snapshot on demand, into the service's backup directory; admins only.
async fn admin_backup(
    State(state): State<Arc<AppState>>,
    Session(who): Session,
) -> Result<(StatusCode, Json<BackupWire>), Error> {
    let backups = state.backups.clone();
    let taken = blocking::run(move || backups.take_for(&who)).await??;
    Ok((
        StatusCode::CREATED,
        Json(BackupWire {
            file: taken
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            bytes: taken.bytes,
            cases: taken.summary.counts.cases,
            evidence_files: taken.summary.evidence_files,
        }),
    ))
}
