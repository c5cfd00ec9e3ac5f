//! The HTTP layer's one error type, and the one place where errors become status codes
//! and page messages. Both matches are exhaustive, so a new meaning cannot go without a
//! status or a translation.
//!
//! Internal failures are logged by kind and never described to the client; nothing logged
//! here carries request content, tokens or addresses.

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::case::Category;
use crate::crypto::TokenError;
use crate::evidence::EvidenceError;
use crate::service;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What the service layer refused, in its own words.
    #[error(transparent)]
    Service(service::Error),
    #[error("malformed case token: {0}")]
    MalformedToken(#[from] TokenError),
    #[error("missing, malformed or expired session; open the case with its token again")]
    NoSession,
    #[error("expected Content-Type: application/json")]
    NotJson,
    #[error("expected Content-Type: application/json, or multipart/form-data with files")]
    NotJsonOrMultipart,
    #[error("expected Content-Type: application/x-www-form-urlencoded")]
    NotForm,
    /// A body or query the parser could not read; the parser's description says where.
    #[error("{0}")]
    MalformedRequest(String),
    /// A multipart body that broke off or does not parse.
    #[error("the upload was broken or interrupted: {0}")]
    BrokenUpload(String),
    #[error("the field {field:?} is longer than {limit} bytes")]
    FieldTooLong { field: String, limit: usize },
    #[error("the field {0:?} is not UTF-8 text")]
    FieldNotText(String),
    /// A form field this form does not have; forms accept only their own fields.
    #[error("this form has no field {0:?}")]
    UnexpectedField(String),
    #[error("the field {0:?} was sent twice")]
    DuplicateField(String),
    /// A request body that stopped arriving (a stalled upload).
    #[error("the request body stopped arriving; nothing was stored")]
    BodyStalled,
    /// An evidence file whose format claims to be one thing and breaks inside.
    #[error("{name}: {why}")]
    BrokenFile { name: String, why: EvidenceError },
    #[error("unknown category; use one of: {}", category_names())]
    UnknownCategory,
    #[error("unknown role; use investigator or admin")]
    UnknownRole,
    #[error("the request body is too large")]
    TooLarge,
    #[error(
        "an evidence file is over the limit: at most {file_bytes} bytes per file and {message_bytes} bytes per message; nothing was stored"
    )]
    FileTooLarge { file_bytes: u64, message_bytes: u64 },
    #[error("the service has no room to store this right now; nothing was stored")]
    StorageFull,
    #[error("the service is busy; try again in a moment")]
    Busy,
    /// An upload that lost its slot to a newcomer while every slot was taken, for being
    /// the slowest (`upload_slots`).
    #[error(
        "the upload was too slow while every upload place was taken, and gave its place to another; nothing was stored; try again in a moment"
    )]
    UploadPreempted,
    #[error("the service could not complete this request")]
    Internal,
}

fn category_names() -> String {
    let names: Vec<_> = Category::ALL.iter().map(|c| c.as_str()).collect();
    names.join(", ")
}

impl Error {
    pub fn status(&self) -> StatusCode {
        use service::Error as S;
        match self {
            Error::Service(e) => match e {
                S::UnknownToken | S::LoginFailed | S::EnrolmentFailed | S::NoSession => {
                    StatusCode::UNAUTHORIZED
                }
                S::Forbidden | S::NotYourConfirmation(_) => StatusCode::FORBIDDEN,
                S::NoSuchCase | S::NoSuchProposal | S::NoSuchFile => StatusCode::NOT_FOUND,
                S::Transition(_) | S::AlreadyHolds(_) | S::BackupUnavailable(_) => {
                    StatusCode::CONFLICT
                }
                S::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
                S::NoInvestigators | S::StoreStopped | S::ClockWrong => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                S::NoRoom => StatusCode::INSUFFICIENT_STORAGE,
                // A body that is not age framing is a malformed request, whatever it says.
                S::NotSealed => StatusCode::BAD_REQUEST,
                S::EmptyMessage
                | S::TooLong(_)
                | S::BadName
                | S::BadRecipient(_)
                | S::WeakPassword
                | S::InvestigatorExists(_)
                | S::NoSuchInvestigator(_)
                | S::NotEnabled(_)
                | S::SealedTooLarge
                | S::BadFilter(_)
                | S::UnknownLabel(_)
                | S::TooManyIds(_)
                | S::BadAddress
                | S::BadStatusWord(_) => StatusCode::UNPROCESSABLE_ENTITY,
                S::Store(_) | S::Crypto(_) | S::Kdf(_) | S::UnreadableEntry => {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            },
            Error::MalformedToken(_) | Error::MalformedRequest(_) | Error::BrokenUpload(_) => {
                StatusCode::BAD_REQUEST
            }
            Error::FieldNotText(_) | Error::UnexpectedField(_) | Error::DuplicateField(_) => {
                StatusCode::BAD_REQUEST
            }
            Error::BodyStalled => StatusCode::REQUEST_TIMEOUT,
            Error::NoSession => StatusCode::UNAUTHORIZED,
            Error::NotJson | Error::NotJsonOrMultipart | Error::NotForm => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Error::FieldTooLong { .. }
            | Error::BrokenFile { .. }
            | Error::UnknownCategory
            | Error::UnknownRole => StatusCode::UNPROCESSABLE_ENTITY,
            Error::TooLarge | Error::FileTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            Error::Busy | Error::UploadPreempted => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The translation key of the message shown on HTML pages.
    pub fn message_key(&self) -> &'static str {
        use service::Error as S;
        match self {
            Error::Service(e) => match e {
                S::UnknownToken | S::LoginFailed | S::EnrolmentFailed => "error-unknown-token",
                S::NoSession => "error-no-session",
                S::NoInvestigators => "error-not-accepting",
                S::NoSuchFile => "error-no-such-file",
                S::Throttled(_) | S::StoreStopped => "error-busy",
                S::NoRoom | S::ClockWrong => "error-internal",
                S::Forbidden
                | S::NotYourConfirmation(_)
                | S::NoSuchProposal
                | S::NoSuchCase
                | S::Transition(_)
                | S::AlreadyHolds(_)
                | S::BackupUnavailable(_) => "error-bad-request",
                S::EmptyMessage
                | S::TooLong(_)
                | S::BadName
                | S::BadRecipient(_)
                | S::WeakPassword
                | S::InvestigatorExists(_)
                | S::NoSuchInvestigator(_)
                | S::NotEnabled(_)
                | S::SealedTooLarge
                | S::NotSealed
                | S::BadFilter(_)
                | S::UnknownLabel(_)
                | S::TooManyIds(_)
                | S::BadAddress
                | S::BadStatusWord(_) => "error-invalid",
                S::Store(_) | S::Crypto(_) | S::Kdf(_) | S::UnreadableEntry => "error-internal",
            },
            Error::MalformedToken(_) => "error-malformed-token",
            Error::NoSession => "error-no-session",
            Error::NotJson
            | Error::NotJsonOrMultipart
            | Error::NotForm
            | Error::MalformedRequest(_)
            | Error::BrokenUpload(_)
            | Error::FieldNotText(_)
            | Error::UnexpectedField(_)
            | Error::DuplicateField(_)
            | Error::BodyStalled => "error-bad-request",
            Error::FieldTooLong { .. }
            | Error::BrokenFile { .. }
            | Error::UnknownCategory
            | Error::UnknownRole => "error-invalid",
            Error::TooLarge => "error-too-large",
            Error::FileTooLarge { .. } => "error-file-too-large",
            Error::StorageFull | Error::Internal => "error-internal",
            Error::Busy | Error::UploadPreempted => "error-busy",
        }
    }

    /// Whether the reporter can fix this by changing what they typed: a page then shows
    /// the form again with their text in it.
    pub fn is_fixable_input(&self) -> bool {
        self.status() == StatusCode::UNPROCESSABLE_ENTITY
    }

    /// Adds what a client needs to act on the error (Retry-After when busy).
    pub fn decorate(&self, response: &mut Response) {
        let retry_after = match self {
            Error::Busy
            | Error::UploadPreempted
            | Error::Service(service::Error::NoInvestigators) => 5,
            // The watchdog restarts the service within a minute.
            Error::Service(service::Error::StoreStopped) => 60,
            Error::Service(service::Error::Throttled(retry_after)) => *retry_after,
            _ => return,
        };
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut response =
            (self.status(), Json(json!({ "error": self.to_string() }))).into_response();
        self.decorate(&mut response);
        response
    }
}

impl From<service::Error> for Error {
    fn from(e: service::Error) -> Self {
        use service::Error as S;
        match e {
            S::Store(_) | S::Crypto(_) | S::Kdf(_) | S::UnreadableEntry => {
                // These carry no content, only their kind.
                tracing::error!(error = %e, "request failed");
                Error::Internal
            }
            other => Error::Service(other),
        }
    }
}

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Error::NotJson,
            JsonRejection::BytesRejection(_)
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Error::TooLarge
            }
            other => Error::MalformedRequest(other.body_text()),
        }
    }
}

impl From<FormRejection> for Error {
    fn from(rejection: FormRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Error::TooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::NotForm,
            _ => Error::MalformedRequest(rejection.body_text()),
        }
    }
}

impl Error {
    /// Why a request body could not be read: over `limit`, or stalled.
    pub fn reading_body(e: axum::Error) -> Error {
        if e.into_inner().is::<tower_http::timeout::TimeoutError>() {
            Error::BodyStalled
        } else {
            Error::TooLarge
        }
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        tracing::error!(panicked = e.is_panic(), "a blocking task did not complete");
        Error::Internal
    }
}
