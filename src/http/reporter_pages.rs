//! The reporter's HTML pages. They work with JavaScript disabled (there is none), load
//! nothing from other origins, and set no cookie: after login, the session id travels in
//! a hidden form field, so nothing of the case stays in the browser once the tab is closed.

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
use super::form_nonces;
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

/// What the report form holds, kept as typed so that an error re-renders it intact.
#[derive(Deserialize, Default)]
struct ReportForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    where_when: String,
    #[serde(default)]
    people: String,
    /// A checked checkbox sends "on"; an unchecked one sends nothing.
    #[serde(default)]
    urgent: Option<String>,
    /// "Keep my file names", kept ticked when the form comes back.
    #[serde(default)]
    keep_names: Option<String>,
}

fn categories() -> Value {
    Value::from_iter(Category::ALL.iter().map(|c| c.as_str()))
}

fn render_report_form(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    form: &ReportForm,
    problem: Option<String>,
) -> Response {
    state.pages.render(
        status,
        lang,
        "report.html",
        context! {
            path => "/report",
            categories => categories(),
            body => &form.body,
            category => &form.category,
            where_when => &form.where_when,
            people => &form.people,
            urgent => form.urgent.is_some(),
            keep_names => form.keep_names.is_some(),
            problem => problem,
            once => state.form_nonces.issue(),
        },
    )
}

async fn report_form(State(state): State<Arc<AppState>>, lang: Lang) -> Response {
    render_report_form(&state, lang, StatusCode::OK, &ReportForm::default(), None)
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

async fn report_submit(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    request: Request,
) -> Response {
    let key = CaseKey::generate();
    let recipient = key.recipient();
    // The form's nonce is spent before its first file is stored (the field comes first),
    // or else once the form is read: a report resent from history stores nothing.
    let mut fresh: Option<bool> = None;
    let (submission, read) = read_page_form(&state, request, FormKind::Report, |fields| {
        let spent = *fresh.get_or_insert_with(|| spend(&state, fields));
        spent.then(|| recipient.clone()).ok_or(Error::NoSession)
    })
    .await;
    if replayed(&state, fresh, &read, &submission) {
        return report_already_sent(&state, lang);
    }
    let form = ReportForm {
        body: submission.text("body"),
        category: submission.text("category"),
        where_when: submission.text("where_when"),
        people: submission.text("people"),
        urgent: submission.field("urgent").map(str::to_owned),
        keep_names: submission
            .field(uploads::KEEP_NAMES_FIELD)
            .map(str::to_owned),
    };
    // Whatever fails comes back to the form with everything the reporter wrote.
    let problem_page = |e: Error| {
        let problem = lang.text(e.message_key(), None);
        let mut page = render_report_form(&state, lang, e.status(), &form, Some(problem));
        e.decorate(&mut page);
        page
    };
    if let Err(e) = read {
        return problem_page(e);
    }
    let report = Report {
        category: form.category.clone(),
        urgent: form.urgent.is_some(),
        body: form.body.clone(),
        where_when: Some(form.where_when.clone()),
        people: Some(form.people.clone()),
    };
    match submit_report(&state, report, key, &submission).await {
        Ok(token) => render_token_page(
            &state,
            lang,
            StatusCode::CREATED,
            &token,
            attachment_values(lang, &submission.attachments),
            false,
        ),
        Err(Error::UnknownCategory) => {
            let problem = lang.text("report-choose-category", None);
            render_report_form(
                &state,
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                Some(problem),
            )
        }
        Err(e) => problem_page(e),
    }
}

/// The token page: the token in unbreakable groups, the warning right under it, and the
/// form that asks for its last group back (`problem`: that form was answered wrongly).
fn render_token_page(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    token: &CaseToken,
    attachments: Vec<Value>,
    problem: bool,
) -> Response {
    let grouped = token.grouped();
    let groups: Vec<&str> = grouped.split('-').collect();
    state.pages.render(
        status,
        lang,
        "submitted.html",
        context! {
            path => "/report",
            token => grouped.as_str(),
            token_groups => groups,
            attachments => attachments,
            problem => problem,
            once => state.form_nonces.issue(),
        },
    )
}

/// What the token page's "before you leave" form sends.
#[derive(Deserialize, Default, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
struct ConfirmForm {
    #[serde(default)]
    once: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    last_group: String,
}

/// Checks that the reporter wrote their token down: they type its last group back. Lost
/// tokens are what reporters complain of most, and a token cannot be recovered. A wrong
/// answer shows the token again; the form is single-use like every other, so that the
/// token page cannot be brought back from history.
async fn confirm_token(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    form: Result<Form<ConfirmForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => return state.pages.error(lang, rejection.into(), context! {}),
    };
    if !state.form_nonces.spend(Some(&form.once)) {
        return report_already_sent(&state, lang);
    }
    let token = match CaseToken::parse(&form.token) {
        Ok(token) => token,
        Err(e) => return state.pages.error(lang, e.into(), context! {}),
    };
    // The typed group goes through the token parser, so that o for 0 and spaces are
    // read as at login; the comparison is constant-time like every token comparison.
    let grouped = token.grouped();
    let prefix = grouped.rsplit_once('-').map_or("", |(prefix, _)| prefix);
    let typed = zeroize::Zeroizing::new(format!("{prefix}-{}", form.last_group));
    let matches = CaseToken::parse(&typed).is_ok_and(|typed| {
        bool::from(subtle::ConstantTimeEq::ct_eq(
            typed.grouped().as_bytes(),
            grouped.as_bytes(),
        ))
    });
    if !matches {
        return render_token_page(
            &state,
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            &token,
            Vec::new(),
            true,
        );
    }
    state.pages.render(
        StatusCode::OK,
        lang,
        "submitted.html",
        context! { path => "/report", confirmed => true },
    )
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

/// Spends the nonce a page form brought back: false for a form resent from history.
fn spend(state: &AppState, submission: &Submission) -> bool {
    state
        .form_nonces
        .spend(submission.field(form_nonces::FIELD))
}

/// Whether a page form with files is resent from history. `fresh` is what spending the
/// nonce said when a file arrived, if one did. A form that could not be read (too large,
/// broken) before its nonce arrived is answered with its own error, and stores nothing.
fn replayed(
    state: &AppState,
    fresh: Option<bool>,
    read: &Result<(), Error>,
    submission: &Submission,
) -> bool {
    match fresh {
        Some(fresh) => !fresh,
        None if read.is_ok() || submission.field(form_nonces::FIELD).is_some() => {
            !spend(state, submission)
        }
        None => false,
    }
}

/// The answer to a report form resent from history: no case, no token.
fn report_already_sent(state: &AppState, lang: Lang) -> Response {
    state.pages.render(
        StatusCode::CONFLICT,
        lang,
        "error.html",
        context! { path => "/report", message_key => "form-report-already-sent", replay => true },
    )
}

/// Evidence files as the pages show them, sizes in the page's language.
fn attachment_values(lang: Lang, attachments: &[Attachment]) -> Vec<Value> {
    attachments
        .iter()
        .map(|a| {
            context! {
                name => &a.name,
                size => lang.size(a.size),
                cleaned => a.cleaned,
                removed => a.removed.join(", "),
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
struct LoginForm {
    #[serde(default)]
    once: String,
    #[serde(default)]
    token: String,
    /// A follow-up that could not be sent because the session had ended.
    #[serde(default)]
    draft: String,
}

fn render_login(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    notice: Option<&str>,
    draft: &str,
) -> Response {
    state.pages.render(
        status,
        lang,
        "login.html",
        context! {
            path => "/case",
            notice => notice,
            // Leaving is news, not a problem: it is announced as a status.
            notice_is_status => notice == Some("case-left"),
            draft => draft,
            once => state.form_nonces.issue(),
        },
    )
}

async fn login_form(State(state): State<Arc<AppState>>, lang: Lang) -> Response {
    render_login(&state, lang, StatusCode::OK, None, "")
}

async fn login(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => return state.pages.error(lang, rejection.into(), context! {}),
    };
    // A login resent from history (Back, then Reload) never opens the case again.
    if !state.form_nonces.spend(Some(&form.once)) {
        return form_used(&state, lang);
    }
    match open_case(&state, &form.token).await {
        Ok((session, case)) => render_case(&state, lang, &session, case, None, &form.draft).await,
        Err(
            e @ (Error::Service(crate::service::Error::UnknownToken) | Error::MalformedToken(_)),
        ) => render_login(&state, lang, e.status(), Some(e.message_key()), &form.draft),
        Err(e) => state.pages.error(lang, e, context! {}),
    }
}

#[derive(Deserialize, Default)]
struct SessionForm {
    #[serde(default)]
    once: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    body: String,
}

/// The live session named by a page form's `session` field, if any.
fn session_of(state: &AppState, field: Option<&str>) -> Option<(SessionId, Arc<OpenCase>)> {
    let id = SessionId::parse(field.unwrap_or_default())?;
    let case = state.sessions.get(&id)?;
    Some((id, case))
}

/// The answer to a case form resent from history: the login page, empty, and nothing of
/// the case.
fn form_used(state: &AppState, lang: Lang) -> Response {
    render_login(state, lang, StatusCode::CONFLICT, Some("form-used"), "")
}

/// A case form resent from history: the page is being used from the browser's history,
/// perhaps by someone else, so the session it names ends too.
fn replayed_case_form(state: &AppState, lang: Lang, session: &str) -> Response {
    if let Some(id) = SessionId::parse(session) {
        state.sessions.end(&id);
    }
    form_used(state, lang)
}

/// The login page after a session ended, keeping any unsent text.
fn session_ended(state: &AppState, lang: Lang, form: &SessionForm) -> Response {
    render_login(
        state,
        lang,
        StatusCode::UNAUTHORIZED,
        Some("error-no-session"),
        &form.body,
    )
}

async fn view(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    form: Result<Form<SessionForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => return state.pages.error(lang, rejection.into(), context! {}),
    };
    if !state.form_nonces.spend(Some(&form.once)) {
        return replayed_case_form(&state, lang, &form.session);
    }
    match session_of(&state, Some(&form.session)) {
        Some((id, case)) => render_case(&state, lang, &id, case, None, "").await,
        None => session_ended(&state, lang, &form),
    }
}

async fn follow_up(State(state): State<Arc<AppState>>, lang: Lang, request: Request) -> Response {
    // The session field comes before the file fields in the form, so the case (and the
    // key its files are encrypted to) is known when the first file arrives. The session
    // is looked up once, then kept for the rest of the request.
    // The nonce is spent the same way, before the first file is stored.
    let mut looked_up: Option<Option<(SessionId, Arc<OpenCase>)>> = None;
    let mut fresh: Option<bool> = None;
    let (submission, read) = read_page_form(&state, request, FormKind::FollowUp, |fields| {
        if !*fresh.get_or_insert_with(|| spend(&state, fields)) {
            return Err(Error::NoSession);
        }
        let found = looked_up.get_or_insert_with(|| session_of(&state, fields.field("session")));
        found
            .as_ref()
            .map(|(_, case)| case.recipient())
            .ok_or(Error::NoSession)
    })
    .await;
    let form = SessionForm {
        once: String::new(),
        session: submission.text("session"),
        body: submission.text("body"),
    };
    if replayed(&state, fresh, &read, &submission) {
        return replayed_case_form(&state, lang, &form.session);
    }
    let found = match looked_up {
        Some(found) => found,
        None => session_of(&state, Some(&form.session)),
    };
    let Some((id, case)) = found else {
        // A form that could not be read says why (too large, broken), whatever it held.
        return match read {
            Err(e) if !matches!(e, Error::NoSession) => state.pages.error(lang, e, context! {}),
            _ => session_ended(&state, lang, &form),
        };
    };
    if let Err(e) = read {
        let mut page =
            render_case(&state, lang, &id, case, Some(e.message_key()), &form.body).await;
        e.decorate(&mut page);
        return page;
    }
    match add_follow_up(&state, case.clone(), form.body.clone(), &submission).await {
        Ok(()) => render_case(&state, lang, &id, case, Some("case-message-sent"), "").await,
        // The message is shown again in the form, so nothing typed is lost.
        Err(e) if e.is_fixable_input() => {
            render_case(&state, lang, &id, case, Some(e.message_key()), &form.body).await
        }
        Err(e) => state.pages.error(lang, e, context! {}),
    }
}

async fn leave(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    form: Result<Form<SessionForm>, FormRejection>,
) -> Response {
    // Leaving ends the session whether or not the form is resent from history; the nonce
    // is spent all the same, so that the page cannot be used twice.
    if let Ok(Form(form)) = form {
        state.form_nonces.spend(Some(&form.once));
        if let Some(id) = SessionId::parse(&form.session) {
            state.sessions.end(&id);
        }
    }
    render_login(&state, lang, StatusCode::OK, Some("case-left"), "")
}

async fn render_case(
    state: &AppState,
    lang: Lang,
    session: &SessionId,
    case: Arc<OpenCase>,
    notice: Option<&str>,
    draft: &str,
) -> Response {
    let reporting = state.reporting.clone();
    let view = match blocking::run(move || reporting.read(&case)).await {
        Ok(Ok(view)) => view,
        Ok(Err(e)) => return state.pages.error(lang, e.into(), context! {}),
        Err(e) => return state.pages.error(lang, e, context! {}),
    };
    let today = state.clock.today();
    let (earlier, latest) = view.messages.split_at(latest_exchange(&view));
    let messages = |list: &[MessageView]| -> Vec<Value> {
        list.iter()
            .map(|m| message_value(lang, m, view.new_from))
            .collect()
    };
    state.pages.render(
        StatusCode::OK,
        lang,
        "case.html",
        context! {
            path => "/case",
            session => session.encoded().as_str(),
            status => view.status.as_str(),
            next_step => next_step(lang, view.next, today),
            new_reply => new_reply(lang, &view, today),
            category => view.category.as_str(),
            urgent => view.urgent,
            received => lang.date(view.received),
            acknowledged => view.acknowledged.map(|day| lang.date(day)),
            earlier => messages(earlier),
            latest => messages(latest),
            notice => notice,
            // A follow-up that comes back with a problem lost its chosen files.
            files_again => notice.is_some_and(|n| n != "case-message-sent"),
            draft => draft,
            once => state.form_nonces.issue(),
        },
    )
}

fn is_new_reply(m: &MessageView, new_from: u64) -> bool {
    m.from == Author::Investigator && m.seq >= new_from
}

fn message_value(lang: Lang, m: &MessageView, new_from: u64) -> Value {
    context! {
        seq => m.seq,
        from => m.from.as_str(),
        new => is_new_reply(m, new_from),
        day => lang.date(m.day),
        unreadable => m.content.is_none(),
        body => m.content.as_ref().map(|c| c.body.as_str()),
        where_when => m.content.as_ref().and_then(|c| c.where_when.as_deref()),
        people => m.content.as_ref().and_then(|c| c.people.as_deref()),
        attachments => m
            .content
            .as_ref()
            .map(|c| attachment_values(lang, &c.attachments))
            .unwrap_or_default(),
    }
}

/// Where the latest exchange starts: at the first reply the reporter has not seen yet,
/// or else at the unit's latest message, or else at the reporter's own latest message.
/// What comes before folds away behind a `<details>`, so that a reporter who wrote 2,000
/// words does not scroll past them to find a two-line question.
fn latest_exchange(view: &CaseView) -> usize {
    let messages = &view.messages;
    messages
        .iter()
        .position(|m| is_new_reply(m, view.new_from))
        .or_else(|| {
            messages
                .iter()
                .rposition(|m| m.from == Author::Investigator)
        })
        .unwrap_or(messages.len().saturating_sub(1))
}

/// What the reporter waits for next, with the date, as one sentence.
fn next_step(lang: Lang, next: NextStep, today: Day) -> String {
    let dated = |key: &str, day: Day| {
        let date = lang.date(day);
        lang.text(
            key,
            Some(&HashMap::from([(Cow::Borrowed("date"), date.into())])),
        )
    };
    match next {
        NextStep::Acknowledgement(by) if today > by => dated("case-next-acknowledge-late", by),
        NextStep::Acknowledgement(by) => dated("case-next-acknowledge", by),
        NextStep::Feedback(by) if today > by => dated("case-next-feedback-late", by),
        NextStep::Feedback(by) => dated("case-next-feedback", by),
        NextStep::Answered(on) => dated("case-next-answered", on),
        NextStep::Closed => lang.text("status-explain-closed", None),
    }
}

/// "New message from the integrity unit (26 November)", linking to the first new reply,
/// when the unit has written since the reporter last looked.
fn new_reply(lang: Lang, view: &CaseView, today: Day) -> Option<Value> {
    let new: Vec<&MessageView> = view
        .messages
        .iter()
        .filter(|m| is_new_reply(m, view.new_from))
        .collect();
    let (first, last) = (new.first()?, new.last()?);
    // The year only when it is not this one.
    let date = if last.day.year() == today.year() {
        lang.date_short(last.day)
    } else {
        lang.date(last.day)
    };
    let args = HashMap::from([
        (Cow::Borrowed("count"), FluentValue::from(new.len())),
        (Cow::Borrowed("date"), FluentValue::from(date)),
    ]);
    Some(context! {
        seq => first.seq,
        text => lang.text("case-new-reply", Some(&args)),
    })
}
