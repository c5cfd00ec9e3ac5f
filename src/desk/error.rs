//! What can go wrong behind a desk page, one variant per meaning, and the page each one
//! becomes. Handlers return `Result<_, DeskError>` and use `?`; the status code of every
//! variant is decided in `DeskError::status`, and the error page is drawn in
//! `render_errors`, so that no handler words or codes an error itself.
//!
//! Messages are shown to the investigator, who may see anything the desk knows; they
//! never reach the log. What is logged (a failed encryption or template) says which
//! operation failed and never what it was working on.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::client::ClientError;
use super::ui::Desk;
use super::views::RenderError;
use crate::case::StatusWordError;
use crate::crypto::CryptoError;

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The server refused the request, failed, or could not be reached; the server's own
    /// status decides the page's.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// This investigator's identity does not open their wrap of the case key.
    #[error("your key does not open this case's key: is --identity the file registered for you?")]
    WrongKey,
    /// A reply or note with nothing but blanks in it.
    #[error("the text is empty; nothing was sent")]
    EmptyText,
    /// A status change in words the case's life does not know, or that it does not allow
    /// as a change (the same words the service reads).
    #[error(transparent)]
    StatusWords(#[from] StatusWordError),
    /// An assignee whose name cannot be an investigator's.
    #[error("{0:?} is not an investigator")]
    NotAnInvestigator(String),
    /// A label that is not one of the fixed words of `case::Label`.
    #[error("{0:?} is not a label")]
    NotALabel(String),
    /// Access granted to a colleague who already holds a wrap of the case key.
    #[error("{0} already has access to this case")]
    AlreadyHasAccess(String),
    /// Access granted to someone the server does not list as an enabled investigator.
    #[error("{0:?} is not an enabled investigator")]
    NotAnEnabledInvestigator(String),
    /// No route has this address.
    #[error("no such page")]
    NoSuchPage,
    /// An evidence download for a file none of the case's messages lists.
    #[error("this case lists no such evidence file")]
    NoSuchFile,
    /// An evidence file whose age header the case key does not open.
    #[error(
        "this evidence file does not decrypt with the case key: it is damaged, or not this \
         case's; nothing was saved"
    )]
    BadFile,
    /// Sealing a reply or note, or wrapping the case key, failed (logged).
    #[error("the desk could not encrypt this; nothing was sent")]
    Crypto,
    /// A template failed (logged).
    #[error("the desk failed to show this page")]
    Render,
    /// A blocking task died, or plaintext would not serialise.
    #[error("the desk failed; see its terminal")]
    Internal,
}

impl DeskError {
    pub(super) fn status(&self) -> StatusCode {
        match self {
            DeskError::Client(ClientError::SessionEnded) => StatusCode::UNAUTHORIZED,
            DeskError::Client(ClientError::NotFound)
            | DeskError::NoSuchPage
            | DeskError::NoSuchFile => StatusCode::NOT_FOUND,
            DeskError::Client(ClientError::Conflict(_)) => StatusCode::CONFLICT,
            DeskError::Client(ClientError::Forbidden(_)) => StatusCode::FORBIDDEN,
            DeskError::Client(ClientError::Rejected(_))
            | DeskError::EmptyText
            | DeskError::StatusWords(_)
            | DeskError::NotAnInvestigator(_)
            | DeskError::NotALabel(_)
            | DeskError::AlreadyHasAccess(_)
            | DeskError::NotAnEnabledInvestigator(_) => StatusCode::UNPROCESSABLE_ENTITY,
            DeskError::Client(ClientError::TooManyAttempts(_)) => StatusCode::TOO_MANY_REQUESTS,
            DeskError::Client(_) | DeskError::BadFile => StatusCode::BAD_GATEWAY,
            DeskError::WrongKey => StatusCode::FORBIDDEN,
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
pub async fn render_errors(State(desk): State<Arc<Desk>>, mut response: Response) -> Response {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_form_input_is_422_in_words_that_say_why() {
        let refused = [
            (DeskError::EmptyText, "the text is empty; nothing was sent"),
            (
                DeskError::StatusWords(StatusWordError::NotATarget),
                "a case cannot be set back to new",
            ),
            (
                DeskError::NotAnInvestigator("a b".into()),
                "\"a b\" is not an investigator",
            ),
            (
                DeskError::AlreadyHasAccess("ana".into()),
                "ana already has access to this case",
            ),
            (
                DeskError::NotAnEnabledInvestigator("zoe".into()),
                "\"zoe\" is not an enabled investigator",
            ),
        ];
        for (error, words) in refused {
            assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY, "{words}");
            assert_eq!(error.to_string(), words);
        }
        assert_eq!(DeskError::WrongKey.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            DeskError::Client(ClientError::SessionEnded).status(),
            StatusCode::UNAUTHORIZED
        );
    }
}
