//! What can go wrong behind a desk page, one variant per meaning, and the page each one
//! becomes. Handlers return `Result<_, DeskError>` and use `?`; the status code of every
//! variant is decided in `DeskError::status`, and the error page is drawn in
//! `render_errors`, so that no handler words or codes an error itself.
//!
//! The `#[error]` texts are the English words, for the terminal; pages show
//! `DeskError::message` in the page's language, from the `desk-error-*` keys.
//!
//! Messages are shown to the investigator, who may see anything the desk knows; they
//! never reach the log. What is logged (a failed encryption or template) says which
//! operation failed and never what it was working on.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use fluent_templates::fluent_bundle::FluentValue;

use super::client::ClientError;
use super::ui::{Desk, PageLang};
use super::views::{self, RenderError};
use crate::case::StatusWordError;
use crate::crypto::CryptoError;
use crate::i18n::Lang;

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
    /// A reply or note whose plaintext the reporter's side would not read back as a
    /// message: the desk checks its own framing before sealing (logged, by kind only).
    #[error("the desk made a message the reporter could not read; nothing was sent")]
    Unframed,
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
            DeskError::Crypto | DeskError::Unframed | DeskError::Render | DeskError::Internal => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl DeskError {
    /// What the page says, in `lang`: the `#[error]` words above, translated.
    pub(super) fn message(&self, lang: Lang) -> String {
        // `name` is a name as typed, quoted like `{:?}` does; `detail` is the server's or
        // the address's own words, shown as they are.
        let quoted = |name: &str| ("name", FluentValue::from(format!("{name:?}")));
        let plain = |name: &str| ("name", FluentValue::from(name.to_owned()));
        let detail = |d: String| ("detail", FluentValue::from(d));
        let (key, arg) = match self {
            DeskError::Client(e) => match e {
                ClientError::BadServer(d) => {
                    ("desk-error-bad-server", Some(detail(format!("{d:?}"))))
                }
                ClientError::PlainHttp(d) => ("desk-error-plain-http", Some(detail(d.clone()))),
                ClientError::OnionWithoutProxy(d) => {
                    ("desk-error-onion-without-proxy", Some(detail(d.clone())))
                }
                ClientError::BadProxy(d) => {
                    ("desk-error-bad-proxy", Some(detail(format!("{d:?}"))))
                }
                ClientError::Unreachable(d) => ("desk-error-unreachable", Some(detail(d.clone()))),
                ClientError::LoginRefused => ("desk-error-login-refused", None),
                ClientError::SessionEnded => ("desk-error-session-ended", None),
                ClientError::TooManyAttempts(d) => {
                    ("desk-error-too-many-attempts", Some(detail(d.clone())))
                }
                ClientError::Forbidden(d) => ("desk-error-forbidden", Some(detail(d.clone()))),
                ClientError::NotFound => ("desk-error-not-found", None),
                ClientError::Conflict(d) => ("desk-error-conflict", Some(detail(d.clone()))),
                ClientError::Rejected(d) => ("desk-error-rejected", Some(detail(d.clone()))),
                ClientError::Server(code) => ("desk-error-server", Some(detail(code.to_string()))),
                ClientError::BadAnswer(d) => ("desk-error-bad-answer", Some(detail(d.clone()))),
            },
            DeskError::WrongKey => ("desk-error-wrong-key", None),
            DeskError::EmptyText => ("desk-error-empty-text", None),
            DeskError::StatusWords(e) => match e {
                StatusWordError::UnknownStatus => ("desk-error-unknown-status", None),
                StatusWordError::UnknownOutcome => ("desk-error-unknown-outcome", None),
                StatusWordError::OutcomeNeeded => ("desk-error-outcome-needed", None),
                StatusWordError::OutcomeWithoutClosing => {
                    ("desk-error-outcome-without-closing", None)
                }
                StatusWordError::NotATarget => ("desk-error-not-a-target", None),
            },
            DeskError::NotAnInvestigator(n) => ("desk-error-not-an-investigator", Some(quoted(n))),
            DeskError::NotALabel(n) => ("desk-error-not-a-label", Some(quoted(n))),
            DeskError::AlreadyHasAccess(n) => ("desk-error-already-has-access", Some(plain(n))),
            DeskError::NotAnEnabledInvestigator(n) => ("desk-error-not-enabled", Some(quoted(n))),
            DeskError::NoSuchPage => ("desk-error-no-such-page", None),
            DeskError::NoSuchFile => ("desk-error-no-such-file", None),
            DeskError::BadFile => ("desk-error-bad-file", None),
            DeskError::Crypto => ("desk-error-crypto", None),
            DeskError::Unframed => ("desk-error-unframed", None),
            DeskError::Render => ("desk-error-render", None),
            DeskError::Internal => ("desk-error-internal", None),
        };
        views::text(lang, key, arg.as_slice())
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

/// What an error response carries until `render_errors` turns it into a page in the
/// page's language.
#[derive(Clone)]
struct ErrorMessage(Arc<DeskError>);

impl IntoResponse for DeskError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response
            .extensions_mut()
            .insert(ErrorMessage(Arc::new(self)));
        response
    }
}

/// Errors become pages here only, with the desk's header and a way back.
pub async fn render_errors(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    mut response: Response,
) -> Response {
    let Some(ErrorMessage(error)) = response.extensions_mut().remove::<ErrorMessage>() else {
        return response;
    };
    let message = error.message(lang);
    let status = response.status();
    let page = desk.pages.render(
        "error.html",
        lang,
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
            // The page's English is the terminal's English, word for word.
            assert_eq!(error.message(Lang::En), words);
            assert_ne!(error.message(Lang::Fr), words);
        }
        assert_eq!(DeskError::WrongKey.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            DeskError::Client(ClientError::SessionEnded).status(),
            StatusCode::UNAUTHORIZED
        );
    }
}
