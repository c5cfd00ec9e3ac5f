//! What each route of the desk does: read the request, call the investigator API, open
//! or seal with `crypto`, and render a page from `views` or redirect back to the case.
//!
//! Every API call blocks and runs through `spawn_blocking`, together with the decryption
//! and rendering it feeds, so that plaintext stays inside one blocking task per request.
//! Evidence downloads are the exception that streams: see `download`.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::client::{BlobRef, CaseRef, ClientError};
use super::crypto;
use super::download;
use super::error::DeskError;
use super::search::{CaseText, Query as TextQuery};
use super::ui::{Desk, PageLang};
use super::views;
use crate::api::{
    AssignRequest, CaseList, CaseListQuery, CaseSummary, GrantRequest, LabelsRequest, MAX_THREADS,
    StatusRequest,
};
use crate::case::{Category, Label, Status, is_valid_investigator_name};
use crate::i18n::Lang;
use crate::message::MessageContent;

/// Largest page size the desk asks the server for.
const MAX_PER_PAGE: u32 = 200;

/// Rows of a list page unless `per_page` says otherwise.
const DEFAULT_PER_PAGE: u32 = 50;

/// Runs `work` (API calls, decryption, rendering) off the async workers.
async fn blocking<T, F>(desk: &Arc<Desk>, work: F) -> Result<T, DeskError>
where
    T: Send + 'static,
    F: FnOnce(&Desk) -> Result<T, DeskError> + Send + 'static,
{
    let desk = desk.clone();
    tokio::task::spawn_blocking(move || work(&desk))
        .await
        .map_err(|_| DeskError::Internal)?
}

/// Case list filters as the filter form and the paging links send them: the list's
/// address is the view, so that a filtered view can be bookmarked. Everything is text, so
/// that an empty choice ("any status") is not a parse error; words the list does not
/// know are dropped.
#[derive(Deserialize, Default, Clone)]
pub(super) struct ListParams {
    status: Option<String>,
    assignee: Option<String>,
    category: Option<String>,
    urgent: Option<String>,
    /// `open` or `closed`.
    state: Option<String>,
    /// Assigned to the investigator at this desk.
    mine: Option<String>,
    /// The reporter waits for an answer.
    waiting: Option<String>,
    overdue: Option<String>,
    label: Option<String>,
    /// `triage`, `waiting` or `activity`.
    sort: Option<String>,
    /// Search in the decrypted text (see `search`).
    q: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

/// A checkbox or flag in the address: `1`, `on` (what a browser sends) or `true`.
fn flag(value: &Option<String>) -> Option<String> {
    matches!(value.as_deref(), Some("1" | "on" | "true")).then(|| "1".to_owned())
}

fn known(value: &Option<String>, ok: impl Fn(&str) -> bool) -> Option<String> {
    value.clone().filter(|v| ok(v))
}

impl ListParams {
    /// The filters and order as the list shows them, with unknown words dropped: what the
    /// filter form is filled from and what the paging links carry.
    pub(super) fn normalised(&self) -> ListParams {
        ListParams {
            status: known(&self.status, |s| Status::WORDS.contains(&s)),
            assignee: known(&self.assignee, is_valid_investigator_name),
            category: known(&self.category, |c| Category::parse(c).is_some()),
            urgent: flag(&self.urgent),
            state: known(&self.state, |s| matches!(s, "open" | "closed")),
            mine: flag(&self.mine),
            waiting: flag(&self.waiting),
            overdue: flag(&self.overdue),
            label: known(&self.label, |l| Label::parse(l).is_some()),
            sort: known(&self.sort, |s| matches!(s, "waiting" | "activity")),
            q: self
                .q
                .as_deref()
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(str::to_owned),
            page: None,
            per_page: self
                .per_page()
                .filter(|n| *n != DEFAULT_PER_PAGE)
                .map(|n| n.to_string()),
        }
    }

    fn per_page(&self) -> Option<u32> {
        let n = self.per_page.as_deref()?.parse::<u32>().ok()?;
        Some(n.clamp(1, MAX_PER_PAGE))
    }

    /// The page asked for, counted from 1 as the desk's links do.
    fn page(&self) -> usize {
        self.page
            .as_deref()
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1)
    }

    /// The query string of this view (normalised) for links, with `page` if given.
    pub(super) fn to_query_string(&self, page: Option<usize>) -> String {
        let n = self.normalised();
        let fields = [
            ("q", n.q),
            ("status", n.status),
            ("category", n.category),
            ("state", n.state),
            ("urgent", n.urgent),
            ("mine", n.mine),
            ("assignee", n.assignee),
            ("waiting", n.waiting),
            ("overdue", n.overdue),
            ("label", n.label),
            ("sort", n.sort),
            ("per_page", n.per_page),
            ("page", page.map(|p| p.to_string())),
        ];
        let set: Vec<(&str, String)> = fields
            .into_iter()
            .filter_map(|(name, value)| value.map(|v| (name, v)))
            .collect();
        serde_urlencoded::to_string(set).unwrap_or_default()
    }

    /// What the server is asked for; `me` stands in for "assigned to me".
    fn query(&self, me: &str) -> CaseListQuery {
        let n = self.normalised();
        CaseListQuery {
            status: n.status,
            assignee: if n.mine.is_some() {
                Some(me.to_owned())
            } else {
                n.assignee
            },
            category: n.category,
            urgent: n.urgent,
            state: n.state,
            waiting: n.waiting,
            overdue: n.overdue,
            label: n.label,
            sort: n.sort,
            // The desk's links count pages from 1, the API from 0.
            page: Some(self.page() - 1),
            per_page: Some(self.per_page().unwrap_or(DEFAULT_PER_PAGE) as usize),
        }
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        match name {
            "status" => self.status.as_deref(),
            "assignee" => self.assignee.as_deref(),
            "category" => self.category.as_deref(),
            "urgent" => self.urgent.as_deref(),
            "state" => self.state.as_deref(),
            "mine" => self.mine.as_deref(),
            "waiting" => self.waiting.as_deref(),
            "overdue" => self.overdue.as_deref(),
            "label" => self.label.as_deref(),
            "sort" => self.sort.as_deref(),
            "q" => self.q.as_deref(),
            _ => None,
        }
    }
}

pub(super) async fn case_list(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    Query(params): Query<ListParams>,
) -> Result<Html<String>, DeskError> {
    blocking(&desk, move |desk| {
        let query = params.query(&desk.session.name);
        let list = match params.normalised().q.as_deref().and_then(TextQuery::parse) {
            None => {
                let list = desk.session.cases(&query)?;
                refresh_texts(desk, &list.cases)?;
                list
            }
            Some(search) => search_cases(desk, &query, &search)?,
        };
        let previews: Vec<Option<String>> = list
            .cases
            .iter()
            .map(|c| desk.texts.preview(&c.id))
            .collect();
        let investigators = desk.session.investigators()?;
        let ctx = views::case_list(lang, &list, previews, &investigators, &params);
        Ok(Html(desk.pages.render("cases.html", lang, ctx)?))
    })
    .await
}

/// Brings the desk's copy of the text of `cases` up to date: fetches, without opening
/// them, the threads of those it has not read or that have new entries, and decrypts them
/// here.
fn refresh_texts(desk: &Desk, cases: &[CaseSummary]) -> Result<(), DeskError> {
    let stale: Vec<String> = cases
        .iter()
        .filter(|c| desk.texts.is_stale(&c.id, c.entries))
        .map(|c| c.id.clone())
        .collect();
    for ids in stale.chunks(MAX_THREADS) {
        for case in desk.session.threads(ids.to_vec())? {
            let text = match crypto::case_key(&case.wrap, &desk.identity) {
                Ok(key) => {
                    let opened = crypto::open_case(&case.thread, &[], &key, &desk.identity);
                    CaseText::new(case.entries, &opened.thread)
                }
                // Remembered as empty, so that a case this key cannot open is not
                // fetched again on every page; the case page says why it cannot be read.
                Err(_) => CaseText::new(case.entries, &[]),
            };
            desk.texts.insert(case.id, text);
        }
    }
    Ok(())
}

/// The list filtered by the server, then searched here in the decrypted text, and paged
/// here: the server cannot search what it cannot read.
fn search_cases(
    desk: &Desk,
    query: &CaseListQuery,
    search: &TextQuery,
) -> Result<CaseList, DeskError> {
    let mut all = Vec::new();
    let mut ask = CaseListQuery {
        page: Some(0),
        per_page: Some(MAX_PER_PAGE as usize),
        ..query.clone()
    };
    loop {
        let list = desk.session.cases(&ask)?;
        let (got, total, page) = (list.cases.len(), list.total, list.page);
        all.extend(list.cases);
        if got == 0 || all.len() >= total {
            break;
        }
        ask.page = Some(page + 1);
    }
    refresh_texts(desk, &all)?;
    let hits: Vec<CaseSummary> = match search.reference() {
        Some(reference) => all
            .into_iter()
            .filter(|c| c.reference == reference)
            .collect(),
        None => {
            let found: std::collections::HashSet<String> = desk
                .texts
                .search(search, all.iter().map(|c| c.id.as_str()))
                .into_iter()
                .map(str::to_owned)
                .collect();
            all.into_iter().filter(|c| found.contains(&c.id)).collect()
        }
    };
    let per_page = query.per_page.unwrap_or(DEFAULT_PER_PAGE as usize).max(1);
    let total = hits.len();
    let last = total.div_ceil(per_page).max(1) - 1;
    let page = query.page.unwrap_or(0).min(last);
    Ok(CaseList {
        total,
        page,
        per_page,
        cases: hits
            .into_iter()
            .skip(page * per_page)
            .take(per_page)
            .collect(),
    })
}

fn case_ref(id: &str) -> Result<CaseRef, DeskError> {
    CaseRef::parse(id).ok_or(DeskError::Client(ClientError::NotFound))
}

#[derive(Deserialize)]
pub(super) struct CaseParams {
    done: Option<String>,
}

pub(super) async fn case_page(
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
fn case_html(
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
async fn after_form(
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

/// An evidence file, decrypted here and streamed to the browser as a download.
///
/// Only a file that one of the case's decrypted messages lists is fetched: the blob id
/// in the address is checked against the case, not trusted. The case is read (the same
/// call as the case page, so the server's audit log records the case as opened) for its
/// messages and for the wrap that gives the key. The age header is read before the
/// response starts, so that a file the key does not open is an error page; damage
/// further on aborts the download (see `download`).
pub(super) async fn attachment(
    State(desk): State<Arc<Desk>>,
    Path((id, blob)): Path<(String, String)>,
) -> Result<Response, DeskError> {
    let id = case_ref(&id)?;
    let blob = BlobRef::parse(&blob).ok_or(DeskError::NoSuchFile)?;
    let (file, plaintext) = blocking(&desk, move |desk| {
        let detail = desk.session.case(&id)?;
        let key = crypto::case_key(&detail.wrap, &desk.identity)?;
        let file =
            crypto::find_attachment(&detail.thread, &key, &blob).ok_or(DeskError::NoSuchFile)?;
        let encrypted = desk.session.attachment(&id, &blob)?;
        let plaintext = crypto::open_evidence(&key, encrypted)?;
        Ok((file, plaintext))
    })
    .await?;
    Ok(download::response(&file.name, file.size, plaintext))
}

/// Where a finished form goes: back to the case, with a notice.
fn back_to(id: &CaseRef, done: &str) -> Redirect {
    Redirect::to(&format!("/cases/{}?done={done}", id.as_str()))
}

/// A text field of a form (reply or note), zeroized when the request is done.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
pub(super) struct TextForm {
    body: String,
}

impl TextForm {
    /// The text as the plaintext JSON of a thread entry or note: `{"body": ...}`.
    fn plaintext(&mut self) -> Result<Zeroizing<Vec<u8>>, DeskError> {
        if self.body.trim().is_empty() {
            return Err(DeskError::EmptyText);
        }
        let content = MessageContent {
            body: std::mem::take(&mut self.body),
            where_when: None,
            people: None,
            attachments: Vec::new(),
        };
        serde_json::to_vec(&content)
            .map(Zeroizing::new)
            .map_err(|_| DeskError::Internal)
    }
}

impl TextForm {
    /// The text as typed, to put back in the form if sending fails.
    fn kept(&self) -> Zeroizing<String> {
        Zeroizing::new(self.body.clone())
    }
}

pub(super) async fn reply(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    Form(mut form): Form<TextForm>,
) -> Result<Response, DeskError> {
    let id = case_ref(&id)?;
    let kept = form.kept();
    let target = id.clone();
    let result = match form.plaintext() {
        Err(e) => Err(e),
        Ok(plaintext) => {
            blocking(&desk, move |desk| {
                let detail = desk.session.access(&target)?;
                let key = crypto::case_key(&detail.wrap, &desk.identity)?;
                desk.session
                    .reply(&target, crypto::seal_reply(&key, &plaintext)?)?;
                Ok(back_to(&target, "reply"))
            })
            .await
        }
    };
    after_form(&desk, lang, id, "reply", Some(kept), result).await
}

#[derive(Deserialize)]
pub(super) struct StatusForm {
    status: String,
    outcome: Option<String>,
}

pub(super) async fn set_status(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, DeskError> {
    let id = case_ref(&id)?;
    let outcome = form.outcome.filter(|o| !o.is_empty());
    let target = id.clone();
    // The same words the service reads, so that the desk refuses what it would refuse.
    let result = match Status::parse_change(&form.status, outcome.as_deref()) {
        Err(e) => Err(e.into()),
        Ok(_) => {
            let request = StatusRequest {
                status: form.status,
                outcome,
            };
            blocking(&desk, move |desk| {
                desk.session.set_status(&target, &request)?;
                Ok(back_to(&target, "status"))
            })
            .await
        }
    };
    after_form(&desk, lang, id, "status", None, result).await
}

/// The values of one repeated field (checkboxes) of a form.
fn all_of(fields: Vec<(String, String)>, field: &str) -> Vec<String> {
    let mut values: Vec<String> = fields
        .into_iter()
        .filter(|(name, _)| name == field)
        .map(|(_, value)| value)
        .collect();
    values.sort();
    values.dedup();
    values
}

pub(super) async fn assign(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, DeskError> {
    let id = case_ref(&id)?;
    let assignees = all_of(fields, "assignee");
    let target = id.clone();
    let result = match assignees.iter().find(|a| !is_valid_investigator_name(a)) {
        Some(bad) => Err(DeskError::NotAnInvestigator(bad.clone())),
        None => {
            blocking(&desk, move |desk| {
                desk.session.assign(&target, &AssignRequest { assignees })?;
                Ok(back_to(&target, "assignees"))
            })
            .await
        }
    };
    after_form(&desk, lang, id, "assignees", None, result).await
}

/// Sets the case's labels to the boxes ticked.
pub(super) async fn set_labels(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, DeskError> {
    let id = case_ref(&id)?;
    let labels = all_of(fields, "label");
    let target = id.clone();
    let result = match labels.iter().find(|l| Label::parse(l).is_none()) {
        Some(bad) => Err(DeskError::NotALabel(bad.clone())),
        None => {
            blocking(&desk, move |desk| {
                desk.session
                    .set_labels(&target, &LabelsRequest { labels })?;
                Ok(back_to(&target, "labels"))
            })
            .await
        }
    };
    after_form(&desk, lang, id, "labels", None, result).await
}

pub(super) async fn add_note(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    Form(mut form): Form<TextForm>,
) -> Result<Response, DeskError> {
    let id = case_ref(&id)?;
    let kept = form.kept();
    let target = id.clone();
    let result = match form.plaintext() {
        Err(e) => Err(e),
        Ok(plaintext) => {
            blocking(&desk, move |desk| {
                let detail = desk.session.access(&target)?;
                let investigators = desk.session.investigators()?;
                let sealed =
                    crypto::seal_note(&detail.holders, &investigators, &desk.identity, &plaintext)?;
                desk.session.add_note(&target, sealed)?;
                Ok(back_to(&target, "note"))
            })
            .await
        }
    };
    after_form(&desk, lang, id, "note", Some(kept), result).await
}

#[derive(Deserialize)]
pub(super) struct AccessForm {
    investigator: String,
}

/// Grants a colleague access: a new wrap of the case key, made here, where the key can
/// already be unwrapped. The server receives only the wrap.
pub(super) async fn grant_access(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    Path(id): Path<String>,
    Form(form): Form<AccessForm>,
) -> Result<Response, DeskError> {
    let id = case_ref(&id)?;
    let target = id.clone();
    let result = blocking(&desk, move |desk| {
        let id = target;
        let detail = desk.session.access(&id)?;
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
        desk.session.grant(&id, &request)?;
        Ok(back_to(&id, "access"))
    })
    .await;
    after_form(&desk, lang, id, "access", None, result).await
}

pub(super) async fn stats(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
) -> Result<Html<String>, DeskError> {
    blocking(&desk, move |desk| {
        let stats = desk.session.stats()?;
        Ok(Html(desk.pages.render(
            "stats.html",
            lang,
            views::stats_page(lang, &stats),
        )?))
    })
    .await
}

/// The statistics as a CSV file, for the unit's own reports: the same figures as the page,
/// still content-free.
pub(super) async fn stats_csv(State(desk): State<Arc<Desk>>) -> Result<Response, DeskError> {
    let csv = blocking(&desk, |desk| Ok(views::stats_csv(&desk.session.stats()?))).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"quietline-statistics.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

/// Ends the server session and stops the desk: what to press before leaving the machine.
///
/// The page carries its styles inline: the desk stops right after sending it, so the
/// stylesheet could not be fetched. Its content security policy allows exactly that style
/// element, by hash.
pub(super) async fn logout(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
) -> Result<Response, DeskError> {
    let page = blocking(&desk, move |desk| {
        desk.logout();
        Ok(desk.pages.render(
            "stopped.html",
            lang,
            minijinja::context! { css => views::STYLESHEET },
        )?)
    })
    .await?;
    desk.stop();
    Ok((
        [(
            header::CONTENT_SECURITY_POLICY,
            views::stopped_page_policy(),
        )],
        Html(page),
    )
        .into_response())
}

pub(super) async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        views::STYLESHEET,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_filters_pass_only_what_the_api_knows() {
        let params: ListParams = serde_urlencoded::from_str(
            "status=acknowledged&category=collusion&label=transparency&urgent=on&mine=on\
             &state=open&sort=waiting&page=2&per_page=100000",
        )
        .unwrap();
        let q = params.query("ana");
        assert_eq!(q.status.as_deref(), Some("acknowledged"));
        assert_eq!(
            q.assignee.as_deref(),
            Some("ana"),
            "mine is the desk's own name"
        );
        assert_eq!(q.category.as_deref(), Some("collusion"));
        assert_eq!(q.label.as_deref(), Some("transparency"));
        assert_eq!(q.urgent.as_deref(), Some("1"));
        assert_eq!(q.state.as_deref(), Some("open"));
        assert_eq!(q.sort.as_deref(), Some("waiting"));
        assert_eq!(q.page, Some(1), "page 2 of the desk is page 1 of the API");
        assert_eq!(q.per_page, Some(MAX_PER_PAGE as usize));
        let junk: ListParams = serde_urlencoded::from_str(
            "status=&assignee=a+b&category=gossip&label=x&state=maybe&sort=x&page=&urgent=0",
        )
        .unwrap();
        let q = junk.query("ana");
        assert!(q.status.is_none() && q.assignee.is_none() && q.category.is_none());
        assert!(q.label.is_none() && q.state.is_none() && q.sort.is_none());
        assert!(q.urgent.is_none());
        assert_eq!(q.page, Some(0));
        assert_eq!(junk.to_query_string(None), "");
    }
}
