//! Making a report: the form, the page with the token, and the token confirmation.

use super::*;

/// What the report form holds, kept as typed so that an error re-renders it intact.
#[derive(Deserialize, Default)]
pub(super) struct ReportForm {
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

pub(super) fn categories() -> Value {
    Value::from_iter(Category::ALL.iter().map(|c| c.as_str()))
}

pub(super) fn render_report_form(
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

pub(super) async fn report_form(State(state): State<Arc<AppState>>, lang: Lang) -> Response {
    render_report_form(&state, lang, StatusCode::OK, &ReportForm::default(), None)
}

pub(super) async fn report_submit(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    request: Request,
) -> Response {
    let key = CaseKey::generate();
    let recipient = key.recipient();
    // The form's nonce is spent before its first file is stored (the field comes first),
    // or else once the form is read: a report resent from history stores nothing.
    let mut fresh: Option<Spent> = None;
    let (submission, read) = read_page_form(&state, request, FormKind::Report, |fields| {
        let spent = *fresh.get_or_insert_with(|| spend(&state, fields));
        spent
            .is_fresh()
            .then(|| recipient.clone())
            .ok_or(Error::NoSession)
    })
    .await;
    let nonce = spent_nonce(&state, fresh, &read, &submission);
    if nonce == Spent::Used {
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
    // The form comes back with what was written, and 503: nothing was stored.
    if nonce == Spent::Unavailable {
        return problem_page(nonce_unavailable());
    }
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
            attachment_values(lang, &submission.attachments, true, &[]),
            None,
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
pub(super) fn render_token_page(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    token: &CaseToken,
    attachments: Vec<Value>,
    notice: Option<&str>,
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
            uncleaned => uncleaned(&attachments),
            attachments => attachments,
            notice => notice,
            problem => problem,
            once => state.form_nonces.issue(),
        },
    )
}

/// What the token page's "before you leave" form sends.
#[derive(Deserialize, Default, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub(super) struct ConfirmForm {
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
pub(super) async fn confirm_token(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    form: Result<Form<ConfirmForm>, FormRejection>,
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
            None,
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

/// The answer to a report form resent from history: no case, no token.
pub(super) fn report_already_sent(state: &AppState, lang: Lang) -> Response {
    state.pages.render(
        StatusCode::CONFLICT,
        lang,
        "error.html",
        context! { path => "/report", message_key => "form-report-already-sent", replay => true },
    )
}
