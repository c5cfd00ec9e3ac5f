//! The HTTP layer's one error type, and the one place where errors become status codes.
//!
//! Internal failures are logged by kind and never described to the client; nothing logged
//! here carries request content, tokens or addresses.

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::crypto::TokenError;
use crate::investigating::InvestigatingError;
use crate::reporting::ReportingError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    BadRequest(String),
    #[error("malformed case token: {0}")]
    MalformedToken(#[from] TokenError),
    #[error("no case matches this token")]
    UnknownToken,
    #[error("missing, malformed or expired session; open the case with its token again")]
    NoSession,
    #[error("the request body is too large")]
    TooLarge,
    #[error(
        "an evidence file is over the limit: at most {file_bytes} bytes per file and {message_bytes} bytes per message; nothing was stored"
    )]
    FileTooLarge { file_bytes: u64, message_bytes: u64 },
    #[error("the service has no room to store this right now; nothing was stored")]
    StorageFull,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("unknown role; use investigator or admin")]
    UnknownRole,
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    #[error("the service is busy; try again in a moment")]
    Busy,
    #[error("this service is not accepting reports yet: no investigator is registered")]
    NotAccepting,
    #[error("the service could not complete this request")]
    Internal,
}

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) | Error::MalformedToken(_) => StatusCode::BAD_REQUEST,
            Error::UnknownToken | Error::NoSession | Error::Unauthorized(_) => {
                StatusCode::UNAUTHORIZED
            }
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::TooLarge | Error::FileTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Unprocessable(_) | Error::UnknownRole => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Busy | Error::NotAccepting => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The translation key of the message shown on HTML pages.
    pub fn message_key(&self) -> &'static str {
        match self {
            Error::BadRequest(_) | Error::UnsupportedMediaType(_) => "error-bad-request",
            Error::MalformedToken(_) => "error-malformed-token",
            Error::UnknownToken | Error::Unauthorized(_) => "error-unknown-token",
            Error::NoSession => "error-no-session",
            Error::Forbidden(_) | Error::NotFound(_) | Error::Conflict(_) => "error-bad-request",
            Error::TooManyRequests { .. } => "error-busy",
            Error::TooLarge => "error-too-large",
            Error::FileTooLarge { .. } => "error-file-too-large",
            Error::StorageFull => "error-internal",
            Error::Unprocessable(_) | Error::UnknownRole => "error-invalid",
            Error::Busy => "error-busy",
            Error::NotAccepting => "error-not-accepting",
            Error::Internal => "error-internal",
        }
    }

    /// Adds what a client needs to act on the error (Retry-After when busy).
    pub fn decorate(&self, response: &mut Response) {
        let retry_after = match self {
            Error::Busy | Error::NotAccepting => 5,
            Error::TooManyRequests { retry_after, .. } => *retry_after,
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

impl From<ReportingError> for Error {
    fn from(e: ReportingError) -> Self {
        match e {
            ReportingError::Invalid(why) => Error::Unprocessable(why.to_owned()),
            ReportingError::TooLong(_) => Error::Unprocessable(e.to_string()),
            ReportingError::UnknownToken => Error::UnknownToken,
            ReportingError::NoInvestigators => Error::NotAccepting,
            other => {
                // Store, crypto and KDF errors carry no content, only their kind.
                tracing::error!(error = %other, "request failed");
                Error::Internal
            }
        }
    }
}

impl From<InvestigatingError> for Error {
    fn from(e: InvestigatingError) -> Self {
        let message = e.to_string();
        match e {
            InvestigatingError::LoginFailed | InvestigatingError::EnrolmentFailed => {
                Error::Unauthorized(message)
            }
            InvestigatingError::NoSession => Error::NoSession,
            InvestigatingError::Throttled(retry_after) => Error::TooManyRequests {
                message,
                retry_after,
            },
            InvestigatingError::Forbidden => Error::Forbidden(message),
            InvestigatingError::NoSuchCase => Error::NotFound(message),
            InvestigatingError::Invalid(_) | InvestigatingError::Status(_) => {
                Error::Unprocessable(message)
            }
            InvestigatingError::Conflict(_) | InvestigatingError::AlreadyHolds(_) => {
                Error::Conflict(message)
            }
            InvestigatingError::Store(_) | InvestigatingError::Kdf(_) => {
                tracing::error!(error = %e, "investigator request failed");
                Error::Internal
            }
        }
    }
}

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                Error::UnsupportedMediaType("expected Content-Type: application/json".into())
            }
            JsonRejection::BytesRejection(_)
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Error::TooLarge
            }
            other => Error::BadRequest(other.body_text()),
        }
    }
}

impl From<FormRejection> for Error {
    fn from(rejection: FormRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Error::TooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::UnsupportedMediaType(
                "expected Content-Type: application/x-www-form-urlencoded".into(),
            ),
            _ => Error::BadRequest(rejection.body_text()),
        }
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        tracing::error!(panicked = e.is_panic(), "a blocking task did not complete");
        Error::Internal
    }
}
