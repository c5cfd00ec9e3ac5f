//! The reporter's HTML pages. They work with JavaScript disabled (there is none), load
//! nothing from other origins, and set no cookie: after login, the session id travels in
//! a hidden form field, so nothing of the case stays in the browser once the tab is closed.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::{Value, context};
use serde::Deserialize;

use super::AppState;
use super::blocking;
use super::error::Error;
use super::render::{Lang, STYLESHEET};
use super::reporter_api::{add_follow_up, non_blank, open_case, parse_category, submit_report};
use crate::case::Category;
use crate::crypto::SessionId;
use crate::reporting::{MessageContent, NewReport, OpenCase};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(landing))
        .route("/report", get(report_form).post(report_submit))
        .route("/case", get(login_form).post(login))
        .route("/case/view", post(view))
        .route("/case/messages", post(follow_up))
        .route("/case/leave", post(leave))
        .route("/static/style.css", get(stylesheet))
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
            problem => problem,
        },
    )
}

async fn report_form(State(state): State<Arc<AppState>>, lang: Lang) -> Response {
    render_report_form(&state, lang, StatusCode::OK, &ReportForm::default(), None)
}

async fn report_submit(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    form: Result<Form<ReportForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => return state.pages.error(lang, rejection.into(), context! {}),
    };
    let category = match parse_category(&form.category) {
        Ok(c) => c,
        Err(_) => {
            let problem = lang.text("report-choose-category", None);
            return render_report_form(
                &state,
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                Some(problem),
            );
        }
    };
    let report = NewReport {
        category,
        urgent: form.urgent.is_some(),
        content: MessageContent {
            body: form.body.clone(),
            where_when: non_blank(Some(form.where_when.clone())),
            people: non_blank(Some(form.people.clone())),
            attachments: Vec::new(),
        },
    };
    match submit_report(&state, report).await {
        Ok(token) => state.pages.render(
            StatusCode::CREATED,
            lang,
            "submitted.html",
            context! { path => "/report", token => token.grouped().as_str() },
        ),
        // Any failure comes back to the form with everything the reporter wrote.
        Err(e) => {
            let problem = lang.text(e.message_key(), None);
            let mut page = render_report_form(&state, lang, e.status(), &form, Some(problem));
            e.decorate(&mut page);
            page
        }
    }
}

#[derive(Deserialize, Default)]
struct LoginForm {
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
        context! { path => "/case", notice => notice, draft => draft },
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
    let session = match open_case(&state, &form.token).await {
        Ok(session) => session,
        Err(e @ (Error::UnknownToken | Error::MalformedToken(_))) => {
            return render_login(&state, lang, e.status(), Some(e.message_key()), &form.draft);
        }
        Err(e) => return state.pages.error(lang, e, context! {}),
    };
    // Infallible unless the session expired within this request.
    match state.sessions.get(&session) {
        Some(case) => render_case(&state, lang, &session, case, None, &form.draft).await,
        None => render_login(
            &state,
            lang,
            StatusCode::UNAUTHORIZED,
            Some("error-no-session"),
            &form.draft,
        ),
    }
}

#[derive(Deserialize, Default)]
struct SessionForm {
    #[serde(default)]
    session: String,
    #[serde(default)]
    body: String,
}

/// The live session of a page form, if any.
fn session_of(state: &AppState, form: &SessionForm) -> Option<(SessionId, Arc<OpenCase>)> {
    SessionId::parse(&form.session).and_then(|id| state.sessions.get(&id).map(|case| (id, case)))
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
    match session_of(&state, &form) {
        Some((id, case)) => render_case(&state, lang, &id, case, None, "").await,
        None => session_ended(&state, lang, &form),
    }
}

async fn follow_up(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    form: Result<Form<SessionForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => return state.pages.error(lang, rejection.into(), context! {}),
    };
    let Some((id, case)) = session_of(&state, &form) else {
        return session_ended(&state, lang, &form);
    };
    match add_follow_up(&state, case.clone(), form.body.clone()).await {
        Ok(()) => render_case(&state, lang, &id, case, Some("case-message-sent"), "").await,
        // The message is shown again in the form, so nothing typed is lost.
        Err(e @ Error::Unprocessable(_)) => {
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
    if let Some(id) = form.ok().and_then(|Form(f)| SessionId::parse(&f.session)) {
        state.sessions.end(&id);
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
    let messages: Vec<Value> = view
        .messages
        .iter()
        .map(|m| {
            context! {
                from => match m.from {
                    crate::store::Author::Reporter => "reporter",
                    crate::store::Author::Investigator => "investigator",
                },
                day => m.day.to_string(),
                body => &m.content.body,
                where_when => &m.content.where_when,
                people => &m.content.people,
            }
        })
        .collect();
    state.pages.render(
        StatusCode::OK,
        lang,
        "case.html",
        context! {
            path => "/case",
            session => session.encoded().as_str(),
            status => view.status.as_str(),
            category => view.category.as_str(),
            urgent => view.urgent,
            received => view.received.to_string(),
            messages => messages,
            notice => notice,
            draft => draft,
        },
    )
}
