//! "My case": log-in with the token, the case page at a glance, follow-ups, leaving.

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct LoginForm {
    #[serde(default)]
    once: String,
    #[serde(default)]
    token: String,
    /// A follow-up that could not be sent because the session had ended.
    #[serde(default)]
    draft: String,
}

pub(super) fn render_login(
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

pub(super) async fn login_form(State(state): State<Arc<AppState>>, lang: Lang) -> Response {
    render_login(&state, lang, StatusCode::OK, None, "")
}

pub(super) async fn login(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => return state.pages.error(lang, rejection.into(), context! {}),
    };
    // A login resent from history (Back, then Reload) never opens the case again.
    match state.form_nonces.spend(Some(&form.once)) {
        Spent::Fresh => {}
        Spent::Used => return form_used(&state, lang),
        Spent::Unavailable => return busy_login(&state, lang, &form.draft),
    }
    match open_case(&state, &form.token).await {
        Ok((session, case)) => {
            render_case(&state, lang, &session, case, None, &form.draft, false).await
        }
        Err(
            e @ (Error::Service(crate::service::Error::UnknownToken) | Error::MalformedToken(_)),
        ) => render_login(&state, lang, e.status(), Some(e.message_key()), &form.draft),
        Err(e) => state.pages.error(lang, e, context! {}),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct SessionForm {
    #[serde(default)]
    once: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    body: String,
}

/// The live session named by a page form's `session` field, if any.
pub(super) fn session_of(
    state: &AppState,
    field: Option<&str>,
) -> Option<(SessionId, Arc<OpenCase>)> {
    let id = SessionId::parse(field.unwrap_or_default())?;
    // A page reaches this after spending its form nonce, which a database that fails
    // already refused; a lookup that fails here reads as an ended session.
    let case = state.sessions.get(&id).ok().flatten()?;
    Some((id, case))
}

/// The answer to a case form resent from history: the login page, empty, and nothing of
/// the case.
pub(super) fn form_used(state: &AppState, lang: Lang) -> Response {
    render_login(state, lang, StatusCode::CONFLICT, Some("form-used"), "")
}

/// A case form resent from history: the page is being used from the browser's history,
/// perhaps by someone else, so the session it names ends too.
pub(super) fn replayed_case_form(state: &AppState, lang: Lang, session: &str) -> Response {
    if let Some(id) = SessionId::parse(session) {
        state.sessions.end(&id);
    }
    form_used(state, lang)
}

/// The login page when the database could not check a form's nonce: 503 with
/// Retry-After, keeping any unsent text.
fn busy_login(state: &AppState, lang: Lang, draft: &str) -> Response {
    let error = nonce_unavailable();
    let mut page = render_login(
        state,
        lang,
        error.status(),
        Some(error.message_key()),
        draft,
    );
    error.decorate(&mut page);
    page
}

/// The login page after a session ended, keeping any unsent text.
pub(super) fn session_ended(state: &AppState, lang: Lang, form: &SessionForm) -> Response {
    render_login(
        state,
        lang,
        StatusCode::UNAUTHORIZED,
        Some("error-no-session"),
        &form.body,
    )
}

pub(super) async fn view(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    form: Result<Form<SessionForm>, FormRejection>,
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
    match session_of(&state, Some(&form.session)) {
        Some((id, case)) => render_case(&state, lang, &id, case, None, "", false).await,
        None => session_ended(&state, lang, &form),
    }
}

pub(super) async fn follow_up(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    request: Request,
) -> Response {
    // The session field comes before the file fields in the form, so the case (and the
    // key its files are encrypted to) is known when the first file arrives. The session
    // is looked up once, then kept for the rest of the request.
    // The nonce is spent the same way, before the first file is stored.
    let mut looked_up: Option<Option<(SessionId, Arc<OpenCase>)>> = None;
    let mut fresh: Option<Spent> = None;
    let (submission, read) = read_page_form(&state, request, FormKind::FollowUp, |fields| {
        if !fresh
            .get_or_insert_with(|| spend(&state, fields))
            .is_fresh()
        {
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
    // Kept ticked when the form comes back with a problem, as the report form does.
    let keep_names = submission.field(uploads::KEEP_NAMES_FIELD).is_some();
    match spent_nonce(&state, fresh, &read, &submission) {
        Spent::Fresh => {}
        Spent::Used => return replayed_case_form(&state, lang, &form.session),
        // The text comes back on the login page, as after an ended session.
        Spent::Unavailable => return busy_login(&state, lang, &form.body),
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
        let mut page = render_case(
            &state,
            lang,
            &id,
            case,
            Some(e.message_key()),
            &form.body,
            keep_names,
        )
        .await;
        e.decorate(&mut page);
        return page;
    }
    match add_follow_up(&state, case.clone(), form.body.clone(), &submission).await {
        Ok(()) => {
            render_case(
                &state,
                lang,
                &id,
                case,
                Some("case-message-sent"),
                "",
                false,
            )
            .await
        }
        // The message is shown again in the form, so nothing typed is lost.
        Err(e) if e.is_fixable_input() => {
            render_case(
                &state,
                lang,
                &id,
                case,
                Some(e.message_key()),
                &form.body,
                keep_names,
            )
            .await
        }
        Err(e) => state.pages.error(lang, e, context! {}),
    }
}

pub(super) async fn leave(
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

pub(super) async fn render_case(
    state: &AppState,
    lang: Lang,
    session: &SessionId,
    case: Arc<OpenCase>,
    notice: Option<&str>,
    draft: &str,
    keep_names: bool,
) -> Response {
    let reporting = state.reporting.clone();
    let view = match blocking::run(move || reporting.read(&case)).await {
        Ok(Ok(view)) => view,
        Ok(Err(e)) => return state.pages.error(lang, e.into(), context! {}),
        Err(e) => return state.pages.error(lang, e, context! {}),
    };
    let today = state.clock.today();
    let (earlier, latest) = view.messages.split_at(latest_exchange(&view));
    let deleted = deleted_files(&view);
    let messages = |list: &[MessageView]| -> Vec<Value> {
        list.iter()
            .map(|m| message_value(lang, m, view.new_from, &deleted))
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
            uncleaned_files => uncleaned_files(lang, &view, &deleted),
            notice => notice,
            // A follow-up that comes back with a problem lost its chosen files.
            files_again => notice.is_some_and(|n| {
                !["case-message-sent", "evidence-file-removed", "error-no-such-file"].contains(&n)
            }),
            draft => draft,
            keep_names => keep_names,
            once => state.form_nonces.issue(),
        },
    )
}

pub(super) fn is_new_reply(m: &MessageView, new_from: u64) -> bool {
    m.from == Author::Investigator && m.seq >= new_from
}

pub(super) fn message_value(lang: Lang, m: &MessageView, new_from: u64, deleted: &[&str]) -> Value {
    let own = m.from == Author::Reporter;
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
            .map(|c| attachment_values(lang, &c.attachments, own, deleted))
            .unwrap_or_default(),
        removed_file => m
            .content
            .as_ref()
            .and_then(|c| c.removed_file.as_ref())
            .map(|r| r.name.as_str()),
    }
}

/// Where the latest exchange starts: at the first reply the reporter has not seen yet,
/// or else at the unit's latest message, or else at the reporter's own latest message.
/// What comes before folds away behind a `<details>`, so that a reporter who wrote 2,000
/// words does not scroll past them to find a two-line question.
pub(super) fn latest_exchange(view: &CaseView) -> usize {
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
pub(super) fn next_step(lang: Lang, next: NextStep, today: Day) -> String {
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
pub(super) fn new_reply(lang: Lang, view: &CaseView, today: Day) -> Option<Value> {
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
