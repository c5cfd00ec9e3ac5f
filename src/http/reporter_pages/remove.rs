//! "Remove this file": a reporter deletes one of their own evidence files for good,
//! typically one that could not be cleaned (issue 11: such files must not go through
//! silently). The button is on the page after sending, which holds the token, and on the
//! case page, which holds the session; both are single-use forms like every other, and
//! work without JavaScript. The thread keeps a line saying the file was removed.

use super::*;

/// The blob ids of the files the reporter has removed from the case.
pub(super) fn deleted_files(view: &CaseView) -> Vec<&str> {
    view.messages
        .iter()
        .filter_map(|m| m.content.as_ref()?.removed_file.as_ref())
        .map(|r| r.blob.as_str())
        .collect()
}

/// The reporter's own files that could not be cleaned and are still there, from every
/// message: listed at the top of the case page with their buttons, so that none is
/// hidden in the folded earlier messages.
pub(super) fn uncleaned_files(lang: Lang, view: &CaseView, deleted: &[&str]) -> Vec<Value> {
    let mine: Vec<Attachment> = view
        .messages
        .iter()
        .filter(|m| m.from == Author::Reporter)
        .filter_map(|m| m.content.as_ref())
        .flat_map(|c| c.attachments.iter())
        .filter(|a| !a.cleaned)
        .cloned()
        .collect();
    attachment_values(lang, &mine, true, deleted)
        .into_iter()
        .filter(|a| a.get_attr("removable").is_ok_and(|r| r.is_true()))
        .collect()
}

/// What the page says after a removal, or the error for a failure that is not the
/// reporter's (the store, the clock), which gets the error page.
fn outcome(
    removed: Result<Result<Attachment, crate::service::Error>, Error>,
) -> Result<&'static str, Error> {
    match removed? {
        Ok(_) => Ok("evidence-file-removed"),
        Err(crate::service::Error::NoSuchFile) => Ok("error-no-such-file"),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub(super) struct AfterSendingForm {
    #[serde(default)]
    once: String,
    /// The token the page shows, carried back as the confirmation form carries it.
    #[serde(default)]
    token: String,
    #[serde(default)]
    blob: String,
}

/// `POST /report/remove`: from the page after sending. The token opens the case (at the
/// cost of a log-in); the token page comes back with the file marked removed.
pub(super) async fn remove_after_sending(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    form: Result<Form<AfterSendingForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => return state.pages.error(lang, rejection.into(), context! {}),
    };
    match state.form_nonces.spend(Some(&form.once)) {
        Spent::Fresh => {}
        Spent::Used => return report_already_sent(&state, lang),
        Spent::Unavailable => return nonce_unavailable_page(&state, lang),
    }
    let token = match CaseToken::parse(&form.token) {
        Ok(token) => token,
        Err(e) => return state.pages.error(lang, e.into(), context! {}),
    };
    let opened = match super::super::reporter::open_token(&state, token).await {
        Ok(case) => case,
        Err(e) => return state.pages.error(lang, e, context! {}),
    };
    let reporting = state.reporting.clone();
    let today = state.clock.today();
    let blob = form.blob.clone();
    let done = blocking::run(move || {
        let removed = reporting.remove_file(&opened, &blob, today);
        (removed, reporting.read(&opened))
    })
    .await;
    let (removed, view) = match done {
        Ok((removed, view)) => (Ok(removed), view),
        Err(e) => return state.pages.error(lang, e, context! {}),
    };
    let notice = match outcome(removed) {
        Ok(notice) => notice,
        Err(e) => return state.pages.error(lang, e, context! {}),
    };
    let view = match view {
        Ok(view) => view,
        Err(e) => return state.pages.error(lang, e.into(), context! {}),
    };
    let deleted = deleted_files(&view);
    // The files of the report, the first message.
    let attachments = view
        .messages
        .first()
        .and_then(|m| m.content.as_ref())
        .map(|c| attachment_values(lang, &c.attachments, true, &deleted))
        .unwrap_or_default();
    // Parsed again: the first parse went into the log-in.
    match CaseToken::parse(&form.token) {
        Ok(token) => render_token_page(
            &state,
            lang,
            StatusCode::OK,
            &token,
            attachments,
            Some(notice),
            false,
        ),
        Err(e) => state.pages.error(lang, e.into(), context! {}),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct CaseRemoveForm {
    #[serde(default)]
    once: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    blob: String,
}

/// `POST /case/remove`: from the case page, in the reporter's session.
pub(super) async fn remove_from_case(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    form: Result<Form<CaseRemoveForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => return state.pages.error(lang, rejection.into(), context! {}),
    };
    match state.form_nonces.spend(Some(&form.once)) {
        Spent::Fresh => {}
        Spent::Used => return replayed_case_form(&state, lang, &form.session),
        Spent::Unavailable => return nonce_unavailable_page(&state, lang),
    }
    let Some((id, case)) = session_of(&state, Some(&form.session)) else {
        return render_login(
            &state,
            lang,
            StatusCode::UNAUTHORIZED,
            Some("error-no-session"),
            "",
        );
    };
    let reporting = state.reporting.clone();
    let today = state.clock.today();
    let open = case.clone();
    let blob = form.blob;
    let removed = blocking::run(move || reporting.remove_file(&open, &blob, today)).await;
    match outcome(removed) {
        Ok(notice) => render_case(&state, lang, &id, case, Some(notice), "", false).await,
        Err(e) => state.pages.error(lang, e, context! {}),
    }
}
