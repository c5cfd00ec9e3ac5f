//! What the desk's pages show: the templates, and the context each page is drawn from,
//! built from API answers and from what `crypto` decrypted: case rows with their
//! deadlines, the case page, statistics. Nothing here holds a key.
//!
//! Every word the desk shows comes from the `desk-*` block of web/i18n/{en,fr,es}, the
//! same Fluent files as the reporter pages: templates call `t("key")`, and the words built
//! here (deadlines, notices, outcomes, file formats) are looked up in the page's `Lang`.
//! Dates and sizes follow the language too; English keeps the desk's ISO dates.
//!
//! Plaintext is held in types that zeroize on drop. Rendering copies it into the page's
//! HTML, which axum sends and frees; that copy cannot practically be zeroized, and it never
//! leaves memory except over the loopback connection to the browser.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use minijinja::value::Kwargs;
use minijinja::{Environment, State, Value, context};
use serde::Serialize;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::api::{
    CaseDetail, CaseList, CaseSummary, InvestigatorWire, NoteWire, RecoveryRecipientWire, Stats,
    ThreadEntryWire,
};
use crate::case::{Category, Day, Label, Outcome, Status};
use crate::crypto::InvestigatorRecipient;
use crate::i18n::Lang;
use crate::message::{Attachment, MessageContent};

use super::client::BlobRef;
use super::crypto::OpenedCase;
use super::handlers::ListParams;
use super::templates::TEMPLATES;

/// The desk's stylesheet, its only static asset.
pub const STYLESHEET: &str = include_str!("../../web/static/desk.css");

/// One desk message in `lang`, with named arguments (numbers stay numbers, so that
/// Fluent picks the plural form).
pub(super) fn text(lang: Lang, key: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
    if args.is_empty() {
        return lang.text(key, None);
    }
    let args: HashMap<Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|(name, value)| (Cow::Borrowed(*name), value.clone()))
        .collect();
    lang.text(key, Some(&args))
}

/// The language of the page being rendered, from its `lang` variable.
fn page_lang(state: &State) -> Lang {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::from_code))
        .unwrap_or(Lang::En)
}

/// `t("key", name=value, ...)` in desk templates, in the language of the page.
fn translate(state: &State, key: &str, kwargs: Kwargs) -> Result<String, minijinja::Error> {
    let mut args = HashMap::new();
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        let value = match value.as_i64() {
            Some(n) => FluentValue::from(n),
            None => FluentValue::from(value.to_string()),
        };
        args.insert(Cow::Owned(name.to_owned()), value);
    }
    Ok(page_lang(state).text(key, (!args.is_empty()).then_some(&args)))
}

/// A day as the API gives it (`2026-11-26`), as the page's language writes it. English
/// keeps the ISO form the desk has always shown (investigators sort and compare by it);
/// French and Spanish pages show no ISO date.
fn day_words(lang: Lang, iso: &str) -> String {
    match (lang, Day::parse(iso)) {
        (Lang::En, _) | (_, None) => iso.to_owned(),
        (lang, Some(day)) => lang.date(day),
    }
}

/// The `|day` filter: `day_words` in the page's language.
fn day_filter(state: &State, iso: String) -> String {
    day_words(page_lang(state), &iso)
}

/// The `|month` filter: a month of the statistics (`2026-11`) in the page's language.
fn month_filter(state: &State, month: String) -> String {
    let lang = page_lang(state);
    let parsed = month
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u8>().ok()?)))
        .filter(|(_, m)| (1..=12).contains(m));
    match (lang, parsed) {
        (Lang::En, _) | (_, None) => month,
        (lang, Some((year, m))) => format!("{} {year}", lang.text(&format!("month-{m}"), None)),
    }
}

/// A template failure, by page and kind only: minijinja's detail text can quote values,
/// and values here are case content.
#[derive(Debug, thiserror::Error)]
#[error("page {0} could not be rendered: {1}")]
pub struct RenderError(&'static str, minijinja::ErrorKind);

pub struct Pages {
    env: Environment<'static>,
    /// The audit alarm (`audit_memory::Alarm::view`) every page shows while it stands.
    audit_alarm: std::sync::Mutex<Option<Value>>,
}

impl Pages {
    /// `me` and `server` appear in every page's header.
    pub fn new(me: &str, server: &str) -> Self {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // Infallible in practice: a template that does not parse fails every desk test.
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("desk template {name} does not parse: {e}"));
        }
        env.add_global("me", me.to_owned());
        env.add_global("server", server.to_owned());
        env.add_function("t", translate);
        env.add_filter("day", day_filter);
        env.add_filter("month", month_filter);
        env.add_global(
            "languages",
            Value::from_iter(
                Lang::ALL
                    .iter()
                    .map(|l| context! { code => l.code(), name => l.native_name() }),
            ),
        );
        Pages {
            env,
            audit_alarm: std::sync::Mutex::new(None),
        }
    }

    /// Sets or clears the audit alarm shown at the top of every page.
    pub fn set_audit_alarm(&self, alarm: Option<Value>) {
        *self
            .audit_alarm
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = alarm;
    }

    /// Renders a desk page in `lang`; `ctx` is merged with the page language.
    pub fn render(
        &self,
        name: &'static str,
        lang: Lang,
        ctx: Value,
    ) -> Result<String, RenderError> {
        let audit_alarm = self
            .audit_alarm
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let ctx = context! { lang => lang.code(), audit_alarm => audit_alarm, ..ctx };
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| RenderError(name, e.kind()))
    }
}

/// The next deadline of a case in words, or `None` for closed cases.
pub fn deadline_text(lang: Lang, case: &CaseSummary) -> Option<String> {
    let days = case.days_left?;
    // `days_left` counts to the next deadline still open: acknowledgement until there is
    // one, then feedback.
    let step = if case.acknowledged.is_none() {
        "acknowledge"
    } else {
        "feedback"
    };
    let (when, count) = match days {
        d if d < 0 => ("overdue", -d),
        0 => ("today", 0),
        d => ("left", d),
    };
    let key = format!("desk-deadline-{step}-{when}");
    Some(text(lang, &key, &[("days", FluentValue::from(count))]))
}

/// One row of the case list.
#[derive(Serialize)]
struct CaseRow<'a> {
    #[serde(flatten)]
    case: &'a CaseSummary,
    deadline: Option<String>,
    /// The start of the decrypted report, if the desk could read it.
    preview: Option<String>,
}

/// The case list page: a page of cases with their previews (in the order of
/// `list.cases`), the filter form as `params` fill it, and paging links that keep the
/// filters.
pub fn case_list(
    lang: Lang,
    list: &CaseList,
    previews: Vec<Option<String>>,
    investigators: &[InvestigatorWire],
    params: &ListParams,
) -> Value {
    let rows: Vec<CaseRow> = list
        .cases
        .iter()
        .zip(previews)
        .map(|(case, preview)| CaseRow {
            case,
            deadline: deadline_text(lang, case),
            preview,
        })
        .collect();
    // The API counts pages from 0; people, and the desk's links, from 1.
    let page = list.page + 1;
    let last_page = list.total.div_ceil(list.per_page.max(1)).max(1);
    let link = |page: usize| format!("/?{}", params.to_query_string(Some(page)));
    let shown = params.normalised();
    let chosen = |name: &str| shown.get(name).map(str::to_owned);
    context! {
        cases => rows,
        total => list.total,
        page => page,
        last_page => last_page,
        prev => (page > 1).then(|| link(page - 1)),
        next => (page < last_page).then(|| link(page + 1)),
        statuses => Status::WORDS,
        categories => Category::ALL.map(Category::as_str),
        labels => Label::ALL.map(Label::as_str),
        investigators => names(investigators),
        status => chosen("status"),
        assignee => chosen("assignee"),
        category => chosen("category"),
        state => chosen("state"),
        label => chosen("label"),
        sort => chosen("sort"),
        q => chosen("q"),
        urgent => chosen("urgent").is_some(),
        mine => chosen("mine").is_some(),
        waiting => chosen("waiting").is_some(),
        overdue => chosen("overdue").is_some(),
        filtered => !params.to_query_string(None).is_empty(),
    }
}

fn names(investigators: &[InvestigatorWire]) -> Vec<&str> {
    investigators.iter().map(|i| i.name.as_str()).collect()
}

/// One decrypted entry of the case thread.
#[derive(Serialize, Zeroize, ZeroizeOnDrop)]
struct MessageView {
    seq: u64,
    author: String,
    day: String,
    readable: bool,
    body: String,
    where_when: Option<String>,
    people: Option<String>,
    attachments: Vec<AttachmentView>,
    /// The name of the evidence file this entry says the reporter removed.
    removed_file: Option<String>,
}

/// One evidence file as the case page lists it, from the decrypted message that carries
/// it. The name and declared type are the reporter's own words, escaped like any content.
#[derive(Serialize, Zeroize, ZeroizeOnDrop)]
struct AttachmentView {
    name: String,
    /// What the reporter's browser declared, untrusted.
    content_type: String,
    /// What the service recognised from the first bytes, in words.
    format: String,
    size: String,
    cleaned: bool,
    /// Kinds of metadata removed, as a list in words.
    removed: String,
    /// The blob id for the download link, if well-formed: a message that names something
    /// else gets no link rather than a link somewhere unexpected.
    blob: Option<String>,
}

/// One internal note, decrypted if this investigator's key can.
#[derive(Serialize, Zeroize, ZeroizeOnDrop)]
struct NoteView {
    seq: u64,
    author: String,
    day: String,
    readable: bool,
    body: String,
}

/// A case form that failed: which form (`reply`, `note`, `status`, `assignees`,
/// `labels`, `access`), why, and the text typed into it, to show them again.
pub struct FormProblem {
    pub form: &'static str,
    pub message: String,
    pub text: Option<zeroize::Zeroizing<String>>,
}

impl FormProblem {
    fn context(&self) -> Value {
        context! {
            form => self.form,
            message => self.message,
            text => self.text.as_deref().map(String::as_str),
        }
    }
}

/// The page for a failed form when the case page itself cannot be had (the server is
/// unreachable): the problem, and the form again with the typed text.
pub fn retry_page(case_id: &str, problem: &FormProblem) -> Value {
    context! { case_id => case_id, problem => problem.context() }
}

/// The case page: the report and conversation and the notes as `opened` decrypted them,
/// and the forms, with `problem` above the form that failed.
pub fn case_page(
    lang: Lang,
    detail: &CaseDetail,
    opened: OpenedCase,
    investigators: &[InvestigatorWire],
    recovery: &RecoveryRecipientWire,
    notice: Option<&str>,
    problem: Option<&FormProblem>,
) -> Value {
    let messages: Vec<MessageView> = detail
        .thread
        .iter()
        .zip(opened.thread)
        .map(|(entry, content)| message_view(lang, entry, content))
        .collect();
    let notes: Vec<NoteView> = detail
        .notes
        .iter()
        .zip(opened.notes)
        .map(|(note, content)| note_view(note, content))
        .collect();
    let summary = &detail.summary;
    let enabled: Vec<&InvestigatorWire> = investigators.iter().filter(|i| i.enabled).collect();
    // Someone disabled since they were assigned stays listed (and ticked), so that saving
    // the form does not unassign them behind the investigator's back.
    let assignable: Vec<Value> = investigators
        .iter()
        .filter(|i| i.enabled || summary.assignees.contains(&i.name))
        .map(|i| {
            context! {
                name => i.name,
                assigned => summary.assignees.contains(&i.name),
                holder => detail.holders.contains(&i.name),
            }
        })
        .collect();
    let grantable: Vec<&str> = enabled
        .iter()
        .filter(|i| !detail.holders.contains(&i.name))
        .map(|i| i.name.as_str())
        .collect();
    context! {
        case => summary,
        deadline => deadline_text(lang, summary),
        messages => messages,
        notes => notes,
        holders => detail.holders,
        recovery => recovery_view(recovery),
        assignable => assignable,
        grantable => grantable,
        next_statuses => Status::parse(&summary.status, summary.outcome.as_deref())
            .map(next_statuses)
            .unwrap_or_default(),
        outcomes => Outcome::ALL
            .into_iter()
            .map(|o| {
                let label = text(lang, &format!("desk-outcome-choice-{}", o.as_str()), &[]);
                context! { code => o.as_str(), label => label }
            })
            .collect::<Vec<_>>(),
        notice => notice.and_then(notice_key).map(|key| text(lang, key, &[])),
        problem => problem.map(FormProblem::context),
        labels => Label::ALL
            .into_iter()
            .map(|l| context! { code => l.as_str(), set => summary.labels.iter().any(|s| s == l.as_str()) })
            .collect::<Vec<_>>(),
    }
}

/// The recovery recipient as the case page shows it: its `age1...` text and its
/// fingerprint in the grouped form `quietline admin set-recovery-recipient` prints, to be
/// compared over a second channel. The fingerprint is computed here from the recipient,
/// not taken from the server, so that a server cannot show one thing and wrap to another.
/// A text that is no age recipient is shown with no fingerprint.
fn recovery_view(recovery: &RecoveryRecipientWire) -> Option<Value> {
    let recipient = recovery.recipient.as_deref()?;
    let fingerprint = InvestigatorRecipient::parse(recipient)
        .ok()
        .map(|r| r.fingerprint());
    Some(context! { recipient => recipient, fingerprint => fingerprint })
}

fn note_view(note: &NoteWire, content: Option<MessageContent>) -> NoteView {
    let (readable, body) = match content {
        Some(mut c) => (true, std::mem::take(&mut c.body)),
        None => (false, String::new()),
    };
    NoteView {
        seq: note.seq,
        author: note.author.clone(),
        day: note.day.clone(),
        readable,
        body,
    }
}

fn message_view(
    lang: Lang,
    entry: &ThreadEntryWire,
    content: Option<MessageContent>,
) -> MessageView {
    let mut view = MessageView {
        seq: entry.seq,
        author: entry.author.clone(),
        day: entry.day.clone(),
        readable: content.is_some(),
        body: String::new(),
        where_when: None,
        people: None,
        attachments: Vec::new(),
        removed_file: None,
    };
    if let Some(mut content) = content {
        // Moved out field by field: the content zeroizes whatever remains when dropped.
        view.body = std::mem::take(&mut content.body);
        view.where_when = content.where_when.take();
        view.people = content.people.take();
        view.removed_file = content
            .removed_file
            .as_mut()
            .map(|r| std::mem::take(&mut r.name));
        view.attachments = content
            .attachments
            .iter_mut()
            .map(|a| attachment_view(lang, a))
            .collect();
    }
    view
}

fn attachment_view(lang: Lang, attachment: &mut Attachment) -> AttachmentView {
    AttachmentView {
        name: std::mem::take(&mut attachment.name),
        content_type: std::mem::take(&mut attachment.content_type),
        format: text(lang, format_key(&attachment.format), &[]),
        size: lang.size(attachment.size),
        cleaned: attachment.cleaned,
        removed: attachment.removed.join(", "),
        blob: BlobRef::parse(&attachment.blob).map(|b| b.as_str().to_owned()),
    }
}

/// The format the service detected, as the page names it.
fn format_key(format: &str) -> &'static str {
    match format {
        "jpeg" => "desk-format-jpeg",
        "png" => "desk-format-png",
        "pdf" => "desk-format-pdf",
        "mp4" => "desk-format-mp4",
        "mov" => "desk-format-mov",
        _ => "desk-format-other",
    }
}

/// What a finished form says at the top of the case page (`?done=`).
fn notice_key(done: &str) -> Option<&'static str> {
    Some(match done {
        "reply" => "desk-notice-reply",
        "status" => "desk-notice-status",
        "assignees" => "desk-notice-assignees",
        "note" => "desk-notice-note",
        "access" => "desk-notice-access",
        "labels" => "desk-notice-labels",
        _ => return None,
    })
}

/// The statuses a case can move to from `current`, as the service's case life allows
/// (`case::Status::transition`), so that the form offers no change the server refuses.
fn next_statuses(current: Status) -> Vec<&'static str> {
    let candidates = [
        Status::Acknowledged,
        Status::Investigating,
        // Any outcome: transitions do not depend on which.
        Status::Closed(Outcome::Referred),
    ];
    candidates
        .into_iter()
        .filter(|to| current.transition(*to).is_ok())
        .map(Status::as_str)
        .collect()
}

/// A share as a whole percentage, or none; the page writes it (`desk-percent`: "42%",
/// "42 %").
fn percent(share: Option<f64>) -> Option<i64> {
    // A share is within 0..=1: the cast cannot overflow.
    share.map(|s| (s * 100.0).round() as i64)
}

/// A number of days as the language writes it ("2.5", "2,5"): its decimal separator is
/// the one sizes use.
fn days_number(lang: Lang, days: f64) -> String {
    let decimal = lang.text("size-decimal", None);
    format!("{days}").replace('.', &decimal)
}

/// The statistics page.
pub fn stats_page(lang: Lang, stats: &Stats) -> Value {
    let step = |d: &crate::api::DeadlineStats| {
        context! {
            done => d.done,
            within_deadline => d.within_deadline,
            missed_pending => d.missed_pending,
            met => percent(d.met_share()),
            median_days => d.median_days.map(|m| days_number(lang, m)),
        }
    };
    context! {
        total => stats.total,
        open => stats.open,
        closed => stats.closed,
        urgent => stats.urgent,
        labels => stats.labels,
        received => stats.received,
        acknowledgement => step(&stats.acknowledgement),
        feedback => step(&stats.feedback),
        overdue_now => stats.overdue_now,
    }
}

/// The statistics as CSV (RFC 4180): one `section,item,value` row per figure. Every
/// field is a fixed word or a number, so none needs quoting.
pub fn stats_csv(stats: &Stats) -> String {
    let mut rows = vec!["section,item,value".to_owned()];
    for (item, value) in [
        ("total", stats.total),
        ("open", stats.open),
        ("closed", stats.closed),
        ("urgent", stats.urgent),
        ("overdue_now", stats.overdue_now),
    ] {
        rows.push(format!("cases,{item},{value}"));
    }
    for (step, d) in [
        ("acknowledgement", &stats.acknowledgement),
        ("feedback", &stats.feedback),
    ] {
        rows.push(format!("{step},done,{}", d.done));
        rows.push(format!("{step},within_deadline,{}", d.within_deadline));
        rows.push(format!("{step},missed_pending,{}", d.missed_pending));
        let met = d.met_share().map_or(String::new(), |s| format!("{s:.3}"));
        rows.push(format!("{step},met_share,{met}"));
        let median = d.median_days.map_or(String::new(), |m| format!("{m}"));
        rows.push(format!("{step},median_days,{median}"));
    }
    for label in &stats.labels {
        rows.push(format!("label,{},{}", label.label, label.cases));
    }
    for row in &stats.received {
        rows.push(format!(
            "received_{},{},{}",
            row.month, row.category, row.cases
        ));
    }
    rows.join("\r\n") + "\r\n"
}

/// The content security policy of the "desk stopped" page: the desk's, with its one
/// inline style element allowed by hash (the stylesheet cannot be fetched from a desk
/// that has stopped).
pub fn stopped_page_policy() -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLESHEET));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; form-action 'none'; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{CaseKey, InvestigatorIdentity};
    use crate::desk::crypto::{case_key, open_case};

    fn summary(days_left: Option<i64>, acknowledged: Option<&str>) -> CaseSummary {
        CaseSummary {
            id: "0".repeat(32),
            status: "new".into(),
            outcome: None,
            category: "other".into(),
            urgent: false,
            received: "2026-11-25".into(),
            acknowledge_by: "2026-12-02".into(),
            feedback_by: "2027-02-25".into(),
            acknowledged: acknowledged.map(str::to_owned),
            first_feedback: None,
            days_left,
            overdue: days_left.is_some_and(|d| d < 0),
            assignees: vec![],
            unread: false,
            entries: 1,
            reference: "QL-000000".into(),
            last_activity: "2026-11-25".into(),
            opened: false,
            reporter_waiting: true,
            reporter_replied: None,
            follow_up_waiting: false,
            labels: vec![],
        }
    }

    #[test]
    fn deadlines_read_as_words() {
        assert_eq!(
            deadline_text(Lang::En, &summary(Some(3), None)).as_deref(),
            Some("3 days left to acknowledge")
        );
        assert_eq!(
            deadline_text(Lang::En, &summary(Some(1), Some("2026-11-26"))).as_deref(),
            Some("1 day left to give feedback")
        );
        assert_eq!(
            deadline_text(Lang::En, &summary(Some(-2), None)).as_deref(),
            Some("2 days overdue to acknowledge")
        );
        assert_eq!(
            deadline_text(Lang::En, &summary(Some(0), None)).as_deref(),
            Some("today: last day to acknowledge")
        );
        assert_eq!(deadline_text(Lang::En, &summary(None, None)), None);
    }

    #[test]
    fn the_status_form_offers_only_allowed_changes() {
        assert_eq!(
            next_statuses(Status::New),
            ["acknowledged", "investigating", "closed"]
        );
        assert_eq!(
            next_statuses(Status::Acknowledged),
            ["investigating", "closed"]
        );
        assert_eq!(
            next_statuses(Status::Closed(Outcome::Substantiated)),
            ["investigating"]
        );
    }

    fn wire(name: &str, identity: &InvestigatorIdentity) -> InvestigatorWire {
        InvestigatorWire {
            name: name.into(),
            recipient: identity.recipient().to_string(),
            role: "investigator".into(),
            enabled: true,
        }
    }

    #[test]
    fn the_case_page_shows_decrypted_content_and_marks_unreadable_notes() {
        let ana = InvestigatorIdentity::generate();
        let bruno = InvestigatorIdentity::generate();
        let key = CaseKey::generate();
        let sealed = |content: &str| key.seal(content.as_bytes()).unwrap();
        let detail = CaseDetail {
            summary: summary(Some(2), None),
            wrap: key.wrap_to(ana.recipient().as_age()).unwrap().0,
            thread: vec![
                crate::api::ThreadEntryWire {
                    seq: 0,
                    author: "reporter".into(),
                    day: "2026-11-25".into(),
                    ciphertext: sealed(
                        r#"{"body":"They asked for the <rota>","where_when":"Gate 4","people":"Marco"}"#,
                    ),
                },
                crate::api::ThreadEntryWire {
                    seq: 1,
                    author: "investigator".into(),
                    day: "2026-11-26".into(),
                    ciphertext: sealed(r#"{"body":"Thank you; are you safe?"}"#),
                },
            ],
            notes: vec![
                crate::api::NoteWire {
                    seq: 0,
                    author: "bruno".into(),
                    day: "2026-11-26".into(),
                    ciphertext: seal_to(&[&bruno], "before ana had access"),
                },
                crate::api::NoteWire {
                    seq: 1,
                    author: "bruno".into(),
                    day: "2026-11-27".into(),
                    ciphertext: seal_to(&[&bruno, &ana], "check the rota"),
                },
            ],
            holders: vec!["ana".into(), "bruno".into()],
        };
        let investigators = [wire("ana", &ana), wire("bruno", &bruno)];
        let key = case_key(&detail.wrap, &ana).unwrap();
        let opened = open_case(&detail.thread, &detail.notes, &key, &ana);
        let none = RecoveryRecipientWire {
            recipient: None,
            fingerprint: None,
        };
        let ctx = case_page(
            Lang::En,
            &detail,
            opened,
            &investigators,
            &none,
            Some("reply"),
            None,
        );
        let html = Pages::new("ana", "https://q.example")
            .render("case.html", Lang::En, ctx)
            .unwrap();
        assert!(html.contains("They asked for the &lt;rota&gt;"), "{html}");
        assert!(html.contains("Gate 4") && html.contains("Marco"));
        assert!(html.contains("Thank you; are you safe?"));
        assert!(html.contains("check the rota"));
        assert!(!html.contains("before ana had access"));
        assert!(html.contains("Not readable with your key"));
        assert!(html.contains("Your reply was encrypted and sent"));
        assert!(html.contains("2 days left to acknowledge"));
    }

    #[test]
    fn evidence_files_are_listed_with_their_words_and_links() {
        let ana = InvestigatorIdentity::generate();
        let key = CaseKey::generate();
        let photo = "0123456789abcdef0123456789abcdef";
        let video = "fedcba9876543210fedcba9876543210";
        let content = serde_json::json!({
            "body": "see the files",
            "attachments": [
                {"blob": photo, "name": "<img src=x>.jpg", "content_type": "image/jpeg",
                 "size": 1_572_864, "format": "jpeg", "cleaned": true,
                 "removed": ["EXIF", "XMP"]},
                {"blob": video, "name": "meeting.mp4", "content_type": "video/mp4",
                 "size": 500, "format": "other", "cleaned": false, "removed": []},
                {"blob": "../../stats", "name": "odd.bin", "content_type": "",
                 "size": 1, "format": "other", "cleaned": false, "removed": []},
            ],
        });
        let mut detail = CaseDetail {
            summary: summary(Some(2), None),
            wrap: key.wrap_to(ana.recipient().as_age()).unwrap().0,
            thread: vec![crate::api::ThreadEntryWire {
                seq: 0,
                author: "reporter".into(),
                day: "2026-11-25".into(),
                ciphertext: key.seal(content.to_string().as_bytes()).unwrap(),
            }],
            notes: vec![],
            holders: vec!["ana".into()],
        };
        detail.summary.id = "ab".repeat(16);
        let opened = open_case(&detail.thread, &detail.notes, &key, &ana);
        let none = RecoveryRecipientWire {
            recipient: None,
            fingerprint: None,
        };
        let ctx = case_page(
            Lang::En,
            &detail,
            opened,
            &[wire("ana", &ana)],
            &none,
            None,
            None,
        );
        let html = Pages::new("ana", "https://q.example")
            .render("case.html", Lang::En, ctx)
            .unwrap();
        assert!(html.contains("&lt;img src=x&gt;.jpg"), "{html}");
        assert!(!html.contains("<img"), "the name is escaped: {html}");
        let link = format!("href=\"/cases/{}/attachments/{photo}\"", "ab".repeat(16));
        assert!(html.contains(&link), "{html}");
        assert!(html.contains("1.5 MiB") && html.contains("JPEG image"));
        assert!(html.contains("declared: <bdi class=\"declared\">image&#x2f;jpeg"));
        assert!(html.contains("Metadata removed: EXIF, XMP."));
        assert!(html.contains("500 bytes") && html.contains("not recognised"));
        assert!(html.contains("Not cleaned: may still carry device data"));
        // A blob id that is not one gets no link at all.
        assert!(
            html.contains("<bdi class=\"file-name\">odd.bin</bdi>")
                && !html.contains("attachments/..")
                && !html.contains("&#x2f;stats"),
            "{html}"
        );
        assert_eq!(html.matches("class=\"download\"").count(), 2);
    }

    fn seal_to(who: &[&InvestigatorIdentity], body: &str) -> Vec<u8> {
        let recipients: Vec<_> = who.iter().map(|i| i.recipient()).collect();
        let json = serde_json::json!({ "body": body }).to_string();
        crate::crypto::seal_to_investigators(&recipients, json.as_bytes()).unwrap()
    }

    #[test]
    fn the_list_and_stats_pages_render() {
        let pages = Pages::new("ana", "https://q.example");
        let list = CaseList {
            total: 120,
            page: 1,
            per_page: 50,
            cases: vec![summary(Some(-1), None)],
        };
        let params: ListParams =
            serde_urlencoded::from_str("status=new&assignee=ana&waiting=on&q=gate+4&label=x")
                .unwrap();
        let html = pages
            .render(
                "cases.html",
                Lang::En,
                case_list(
                    Lang::En,
                    &list,
                    vec![Some("They asked <me>".into())],
                    &[],
                    &params,
                ),
            )
            .unwrap();
        assert!(html.contains("Page 2 of 3"), "{html}");
        let link = "q=gate+4&amp;status=new&amp;assignee=ana&amp;waiting=1&amp;page=";
        assert!(html.contains(&format!("?{link}1\"")), "{html}");
        assert!(html.contains(&format!("?{link}3\"")), "{html}");
        assert!(html.contains("class=\"case overdue"));
        assert!(html.contains("1 day overdue to acknowledge"));
        assert!(html.contains("QL-000000") && html.contains("They asked &lt;me&gt;"));
        assert!(html.contains("not opened yet") && html.contains("reporter waiting"));

        let stats = Stats {
            received: vec![crate::api::MonthCategoryCount {
                month: "2026-11".into(),
                category: "bribe_offered".into(),
                cases: 3,
            }],
            overdue_now: 4,
            ..Stats::default()
        };
        let html = pages
            .render("stats.html", Lang::En, stats_page(Lang::En, &stats))
            .unwrap();
        assert!(html.contains("bribe offered") && html.contains("<strong>4</strong>"));
        let shares = Stats {
            acknowledgement: crate::api::DeadlineStats {
                done: 3,
                within_deadline: 2,
                median_days: Some(2.5),
                missed_pending: 1,
            },
            ..stats
        };
        let html = pages
            .render("stats.html", Lang::En, stats_page(Lang::En, &shares))
            .unwrap();
        assert!(html.contains(">50%<") && html.contains(">2.5<"), "{html}");
        let html = pages
            .render("stats.html", Lang::Fr, stats_page(Lang::Fr, &shares))
            .unwrap();
        assert!(
            html.contains(">50\u{202f}%<") && html.contains(">2,5<"),
            "{html}"
        );
        assert!(html.contains("novembre 2026") && html.contains("offre de pot-de-vin"));
        let stats = shares;
        let csv = stats_csv(&stats);
        assert!(csv.starts_with("section,item,value\r\n"), "{csv}");
        assert!(csv.contains("cases,overdue_now,4\r\n"));
        assert!(csv.contains("received_2026-11,bribe_offered,3\r\n"));
        let problem = FormProblem {
            form: "reply",
            message: "the server could not be reached".into(),
            text: Some(zeroize::Zeroizing::new("my <draft>".into())),
        };
        let html = pages
            .render(
                "retry.html",
                Lang::En,
                retry_page(&"ab".repeat(16), &problem),
            )
            .unwrap();
        assert!(html.contains(">my &lt;draft&gt;</textarea>"), "{html}");
        assert!(html.contains("the server could not be reached"));
        for page in ["error.html", "stopped.html"] {
            pages
                .render(page, Lang::En, context! { message => "m" })
                .unwrap();
        }
    }

    /// Message ids of one .ftl file (lines that start a message).
    fn ids(ftl: &str) -> std::collections::BTreeSet<String> {
        ftl.lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once('=').map(|(id, _)| id.trim().to_owned()))
            .collect()
    }

    /// Every key the desk uses: literal `t("desk-...")` in its templates, literal
    /// `"desk-..."` in its Rust (views, errors), and the keys completed from a prefix
    /// (`"desk-status-" ~ s`), one by one from the words that complete them.
    fn keys_the_desk_uses() -> std::collections::BTreeSet<String> {
        let mut used = std::collections::BTreeSet::new();
        let sources = TEMPLATES
            .iter()
            .map(|(_, source)| *source)
            .chain([include_str!("views.rs"), include_str!("error.rs")]);
        for source in sources {
            for piece in source.split("\"desk-").skip(1) {
                let Some((rest, _)) = piece.split_once('"') else {
                    continue;
                };
                // A prefix completed in a template or a format! ("desk-label-" ~ l),
                // checked below word by word, is not a key of its own.
                let word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
                if !rest.is_empty() && !rest.ends_with('-') && rest.chars().all(word) {
                    used.insert(format!("desk-{rest}"));
                }
            }
        }
        for s in Status::WORDS {
            used.insert(format!("desk-status-{s}"));
        }
        for o in Outcome::ALL {
            used.insert(format!("desk-outcome-{}", o.as_str()));
            used.insert(format!("desk-outcome-choice-{}", o.as_str()));
        }
        for c in Category::ALL {
            used.insert(format!("desk-category-{}", c.as_str()));
        }
        for l in Label::ALL {
            used.insert(format!("desk-label-{}", l.as_str()));
        }
        for step in ["acknowledge", "feedback"] {
            for when in ["overdue", "today", "left"] {
                used.insert(format!("desk-deadline-{step}-{when}"));
            }
        }
        used
    }

    #[test]
    fn every_key_the_desk_uses_exists_in_every_language() {
        let used = keys_the_desk_uses();
        assert!(used.len() > 150, "the scan found too few keys: {used:?}");
        for (code, ftl) in [
            ("en", include_str!("../../web/i18n/en/main.ftl")),
            ("fr", include_str!("../../web/i18n/fr/main.ftl")),
            ("es", include_str!("../../web/i18n/es/main.ftl")),
        ] {
            let have = ids(ftl);
            let missing: Vec<_> = used.difference(&have).collect();
            assert!(missing.is_empty(), "{code} lacks desk keys {missing:?}");
        }
        // The words of a template are keys, not English: no visible text outside t().
        for (name, source) in TEMPLATES {
            assert!(!source.contains("|words"), "{name} shows a code as English");
        }
    }

    #[test]
    fn a_french_case_page_has_french_words_dates_and_sizes() {
        let ana = InvestigatorIdentity::generate();
        let key = CaseKey::generate();
        let content = serde_json::json!({
            "body": "voir le fichier",
            "attachments": [
                {"blob": "0123456789abcdef0123456789abcdef", "name": "a.jpg",
                 "content_type": "image/jpeg", "size": 2765, "format": "jpeg",
                 "cleaned": true, "removed": ["EXIF"]},
            ],
        });
        let detail = CaseDetail {
            summary: summary(Some(3), None),
            wrap: key.wrap_to(ana.recipient().as_age()).unwrap().0,
            thread: vec![crate::api::ThreadEntryWire {
                seq: 0,
                author: "reporter".into(),
                day: "2026-11-25".into(),
                ciphertext: key.seal(content.to_string().as_bytes()).unwrap(),
            }],
            notes: vec![],
            holders: vec!["ana".into()],
        };
        let opened = open_case(&detail.thread, &detail.notes, &key, &ana);
        let none = RecoveryRecipientWire {
            recipient: None,
            fingerprint: None,
        };
        let ctx = case_page(
            Lang::Fr,
            &detail,
            opened,
            &[wire("ana", &ana)],
            &none,
            Some("labels"),
            None,
        );
        let html = Pages::new("ana", "https://q.example")
            .render("case.html", Lang::Fr, ctx)
            .unwrap();
        assert!(html.contains("<html lang=\"fr\">"), "{html}");
        assert!(
            html.contains("3 jours restants pour accuser réception"),
            "{html}"
        );
        assert!(html.contains("25 novembre 2026") && html.contains("2 décembre 2026"));
        assert!(
            html.contains("2,7\u{a0}Kio") && html.contains("image JPEG"),
            "{html}"
        );
        assert!(html.contains("Les étiquettes ont été enregistrées."));
        assert!(html.contains("contrainte") || html.contains("autre"));
        assert!(
            !html.contains("2026-11-25") && !html.contains("2027-02-25"),
            "{html}"
        );
        assert!(!html.contains("desk-"), "a key shown untranslated: {html}");
        assert_eq!(
            deadline_text(Lang::Es, &summary(Some(1), Some("2026-11-26"))).as_deref(),
            Some("queda 1 día para dar respuesta")
        );
    }
}
