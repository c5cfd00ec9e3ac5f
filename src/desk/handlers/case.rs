//! One case: its page, and every form on it (reply, note, status, assignees, labels,
//! access), each returning to the page with its outcome or its problem.

use super::*;

#[derive(Deserialize)]
pub(in crate::desk) struct CaseParams {
    done: Option<String>,
}

pub(in crate::desk) async fn case_page(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    Query(params): Query<CaseParams>,
) -> Result<Html<String>, DeskError> {
    let id = case_ref(&id)?;
    blocking(&desk, move |desk| {
        Ok(Html(case_html(
            desk,
            lang,
            &id,
            params.done.as_deref(),
            None,
        )?))
    })
    .await
}

/// The case page, with a notice after a finished form or a problem above a failed one.
pub(super) fn case_html(
    desk: &Desk,
    lang: Lang,
    id: &CaseRef,
    notice: Option<&str>,
    problem: Option<&views::FormProblem>,
) -> Result<String, DeskError> {
    let detail = desk.session.case(id)?;
    let investigators = desk.session.investigators()?;
    let key = crypto::case_key(&detail.wrap, &desk.identity)?;
    let opened = crypto::open_case(&detail.thread, &detail.notes, &key, &desk.identity);
    // The case is open anyway: its text in the search is brought up to date for free.
    desk.texts.insert(
        detail.summary.id.clone(),
        CaseText::new(detail.summary.entries, &opened.thread),
    );
    let recovery = desk.session.recovery()?;
    let ctx = views::case_page(
        lang,
        &detail,
        opened,
        &investigators,
        &recovery,
        notice,
        problem,
    );
    Ok(desk.pages.render("case.html", lang, ctx)?)
}

/// What a case form answers: back to the case with a notice when it worked; when it did
/// not, the case page again with the problem above the form and the typed text kept
/// there, not a separate error page that loses it. If even the case page cannot be had
/// (the server is unreachable), a page with the problem and the form alone, text kept.
pub(super) async fn after_form(
    desk: &Arc<Desk>,
    lang: Lang,
    id: CaseRef,
    form: &'static str,
    kept: Option<Zeroizing<String>>,
    result: Result<Redirect, DeskError>,
) -> Result<Response, DeskError> {
    let error = match result {
        Ok(redirect) => return Ok(redirect.into_response()),
        // Logged out: the error page says to start again; nothing on this page would work.
        Err(e @ DeskError::Client(ClientError::SessionEnded)) => return Err(e),
        Err(e) => e,
    };
    let status = error.status();
    let problem = views::FormProblem {
        form,
        message: error.message(lang),
        text: kept,
    };
    let page = blocking(desk, move |desk| {
        let html = match case_html(desk, lang, &id, None, Some(&problem)) {
            Ok(html) => html,
            Err(_) => {
                desk.pages
                    .render("retry.html", lang, views::retry_page(id.as_str(), &problem))?
            }
        };
        Ok(html)
    })
    .await?;
    Ok((status, Html(page)).into_response())
}

/// A text field of a form (reply or note), zeroized when the request is done.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
pub(in crate::desk) struct TextForm {
    body: String,
}

impl TextForm {
    /// The text as the plaintext JSON of a thread entry or note: `{"body": ...}`.
    pub(in crate::desk) fn plaintext(&mut self) -> Result<Zeroizing<Vec<u8>>, DeskError> {
        if self.body.trim().is_empty() {
            return Err(DeskError::EmptyText);
        }
        let content = MessageContent {
            body: std::mem::take(&mut self.body),
            where_when: None,
            people: None,
            attachments: Vec::new(),
            removed_file: None,
        };
        serde_json::to_vec(&content)
            .map(Zeroizing::new)
            .map_err(|_| DeskError::Internal)
    }
}

impl TextForm {
    /// The text as typed, to put back in the form if sending fails.
    pub(in crate::desk) fn kept(&self) -> Zeroizing<String> {
        Zeroizing::new(self.body.clone())
    }
}

/// What every form on the case page does: a value checked here (or why it was refused),
/// sent on a blocking thread, then back to the case with the outcome; on failure the
/// problem shows above the form, with `kept` (typed text) put back in it.
async fn act<T: Send + 'static>(
    desk: Arc<Desk>,
    lang: Lang,
    id: CaseRef,
    done: &'static str,
    kept: Option<Zeroizing<String>>,
    checked: Result<T, DeskError>,
    send: impl FnOnce(&Desk, &CaseRef, T) -> Result<(), DeskError> + Send + 'static,
) -> Result<Response, DeskError> {
    let target = id.clone();
    let result = match checked {
        Err(e) => Err(e),
        Ok(value) => {
            blocking(&desk, move |desk| {
                send(desk, &target, value)?;
                Ok(back_to(&target, done))
            })
            .await
        }
    };
    after_form(&desk, lang, id, done, kept, result).await
}

/// Seals a typed text on this machine and sends it: the work both text forms share. An
/// empty text or a failure returns to the case with the text kept above the form.
async fn send_text(
    desk: Arc<Desk>,
    lang: Lang,
    id: &str,
    mut form: TextForm,
    done: &'static str,
    seal_and_send: impl FnOnce(&Desk, &CaseRef, &[u8]) -> Result<(), DeskError> + Send + 'static,
) -> Result<Response, DeskError> {
    let id = case_ref(id)?;
    let kept = form.kept();
    let checked = form.plaintext();
    act(
        desk,
        lang,
        id,
        done,
        Some(kept),
        checked,
        move |desk, target, plaintext| seal_and_send(desk, target, &plaintext),
    )
    .await
}

pub(in crate::desk) async fn reply(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    Form(form): Form<TextForm>,
) -> Result<Response, DeskError> {
    send_text(desk, lang, &id, form, "reply", |desk, target, plaintext| {
        let detail = desk.session.access(target)?;
        let key = crypto::case_key(&detail.wrap, &desk.identity)?;
        desk.session
            .reply(target, crypto::seal_reply(&key, plaintext)?)?;
        Ok(())
    })
    .await
}

#[derive(Deserialize)]
pub(in crate::desk) struct StatusForm {
    status: String,
    outcome: Option<String>,
}

pub(in crate::desk) async fn set_status(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, DeskError> {
    let id = case_ref(&id)?;
    let outcome = form.outcome.filter(|o| !o.is_empty());
    // The same words the service reads, so that the desk refuses what it would refuse.
    let checked = Status::parse_change(&form.status, outcome.as_deref())
        .map(|_| StatusRequest {
            status: form.status,
            outcome,
        })
        .map_err(DeskError::from);
    act(
        desk,
        lang,
        id,
        "status",
        None,
        checked,
        |desk, target, request| {
            desk.session.set_status(target, &request)?;
            Ok(())
        },
    )
    .await
}

/// The values of one repeated field (checkboxes) of a form.
pub(super) fn all_of(fields: Vec<(String, String)>, field: &str) -> Vec<String> {
    let mut values: Vec<String> = fields
        .into_iter()
        .filter(|(name, _)| name == field)
        .map(|(_, value)| value)
        .collect();
    values.sort();
    values.dedup();
    values
}

pub(in crate::desk) async fn assign(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, DeskError> {
    let id = case_ref(&id)?;
    let assignees = all_of(fields, "assignee");
    let checked = match assignees.iter().find(|a| !is_valid_investigator_name(a)) {
        Some(bad) => Err(DeskError::NotAnInvestigator(bad.clone())),
        None => Ok(AssignRequest { assignees }),
    };
    act(
        desk,
        lang,
        id,
        "assignees",
        None,
        checked,
        |desk, target, request| {
            desk.session.assign(target, &request)?;
            Ok(())
        },
    )
    .await
}

/// Sets the case's labels to the boxes ticked.
pub(in crate::desk) async fn set_labels(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, DeskError> {
    let id = case_ref(&id)?;
    let labels = all_of(fields, "label");
    let checked = match labels.iter().find(|l| Label::parse(l).is_none()) {
        Some(bad) => Err(DeskError::NotALabel(bad.clone())),
        None => Ok(LabelsRequest { labels }),
    };
    act(
        desk,
        lang,
        id,
        "labels",
        None,
        checked,
        |desk, target, request| {
            desk.session.set_labels(target, &request)?;
            Ok(())
        },
    )
    .await
}

pub(in crate::desk) async fn add_note(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    Form(form): Form<TextForm>,
) -> Result<Response, DeskError> {
    send_text(desk, lang, &id, form, "note", |desk, target, plaintext| {
        let detail = desk.session.access(target)?;
        let investigators = desk.session.investigators()?;
        let sealed = crypto::seal_note(&detail.holders, &investigators, &desk.identity, plaintext)?;
        desk.session.add_note(target, sealed)?;
        Ok(())
    })
    .await
}

#[derive(Deserialize)]
pub(in crate::desk) struct AccessForm {
    investigator: String,
}

/// Grants a colleague access: a new wrap of the case key, made here, where the key can
/// already be unwrapped. The server receives only the wrap.
pub(in crate::desk) async fn grant_access(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    Form(form): Form<AccessForm>,
) -> Result<Response, DeskError> {
    let id = case_ref(&id)?;
    act(
        desk,
        lang,
        id,
        "access",
        None,
        Ok(form),
        |desk, id, form| {
            let detail = desk.session.access(id)?;
            if detail.holders.contains(&form.investigator) {
                return Err(DeskError::AlreadyHasAccess(form.investigator));
            }
            let investigators = desk.session.investigators()?;
            let colleague = investigators
                .iter()
                .find(|i| i.name == form.investigator && i.enabled)
                .ok_or_else(|| DeskError::NotAnEnabledInvestigator(form.investigator.clone()))?;
            let key = crypto::case_key(&detail.wrap, &desk.identity)?;
            let wrap = crypto::wrap_for(&key, colleague)?;
            let request = GrantRequest {
                investigator: form.investigator.clone(),
                wrap: wrap.0,
            };
            desk.session.grant(id, &request)?;
            Ok(())
        },
    )
    .await
}
