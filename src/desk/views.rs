//! What the desk's pages show: the templates, and the context each page is drawn from,
//! built from API answers and from what `crypto` decrypted: case rows with their
//! deadlines, the case page, statistics. Nothing here holds a key.
//!
//! The desk UI is English-only for now: reporter pages are translated through
//! web/i18n, whose three languages a test keeps in step, and the desk's words are not
//! part of that set yet.
//!
//! Plaintext is held in types that zeroize on drop. Rendering copies it into the page's
//! HTML, which axum sends and frees; that copy cannot practically be zeroized, and it never
//! leaves memory except over the loopback connection to the browser.

use minijinja::{Environment, Value, context};
use serde::Serialize;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::api::{
    CaseDetail, CaseList, CaseSummary, InvestigatorWire, NoteWire, Stats, ThreadEntryWire,
};
use crate::case::{Outcome, Status};
use crate::message::{Attachment, MessageContent, human_size};

use super::client::BlobRef;
use super::crypto::OpenedCase;

/// Every desk template, compiled in, so that the binary is the whole desk.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../web/templates/desk/base.html"),
    ),
    (
        "cases.html",
        include_str!("../../web/templates/desk/cases.html"),
    ),
    (
        "case.html",
        include_str!("../../web/templates/desk/case.html"),
    ),
    (
        "stats.html",
        include_str!("../../web/templates/desk/stats.html"),
    ),
    (
        "error.html",
        include_str!("../../web/templates/desk/error.html"),
    ),
    (
        "stopped.html",
        include_str!("../../web/templates/desk/stopped.html"),
    ),
];

/// The desk's stylesheet, its only static asset.
pub const STYLESHEET: &str = include_str!("../../web/static/desk.css");

/// The words the desk shows for how a case can end.
fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Substantiated => "Substantiated",
        Outcome::Unsubstantiated => "Unsubstantiated",
        Outcome::Referred => "Referred to another authority",
        Outcome::InsufficientInformation => "Insufficient information",
    }
}

/// A template failure, by page and kind only: minijinja's detail text can quote values,
/// and values here are case content.
#[derive(Debug, thiserror::Error)]
#[error("page {0} could not be rendered: {1}")]
pub struct RenderError(&'static str, minijinja::ErrorKind);

pub struct Pages {
    env: Environment<'static>,
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
        env.add_filter("words", |code: String| code.replace('_', " "));
        Pages { env }
    }

    pub fn render(&self, name: &'static str, ctx: Value) -> Result<String, RenderError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| RenderError(name, e.kind()))
    }
}

/// The next deadline of a case in words, or `None` for closed cases.
pub fn deadline_text(case: &CaseSummary) -> Option<String> {
    let days = case.days_left?;
    // `days_left` counts to the next deadline still open: acknowledgement until there is
    // one, then feedback.
    let step = if case.acknowledged.is_none() {
        "acknowledge"
    } else {
        "give feedback"
    };
    Some(match days {
        d if d < 0 => format!("{} overdue to {step}", plural_days(-d)),
        0 => format!("today: last day to {step}"),
        d => format!("{} left to {step}", plural_days(d)),
    })
}

fn plural_days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// One row of the case list.
#[derive(Serialize)]
struct CaseRow<'a> {
    #[serde(flatten)]
    case: &'a CaseSummary,
    deadline: Option<String>,
}

/// The case list page: the server's page of cases, filters and paging links.
pub fn case_list(
    list: &CaseList,
    investigators: &[InvestigatorWire],
    status: Option<&str>,
    assignee: Option<&str>,
) -> Value {
    let rows: Vec<CaseRow> = list
        .cases
        .iter()
        .map(|case| CaseRow {
            case,
            deadline: deadline_text(case),
        })
        .collect();
    // The API counts pages from 0; people, and the desk's links, from 1.
    let page = list.page + 1;
    let last_page = list.total.div_ceil(list.per_page.max(1)).max(1);
    // Filters reach here validated (known statuses, names of letters, digits, '.', '_'
    // and '-'), so they need no escaping in a query string.
    let link = |page: usize| {
        let mut query = format!("/?page={page}&per_page={}", list.per_page);
        if let Some(status) = status {
            query.push_str(&format!("&status={status}"));
        }
        if let Some(assignee) = assignee {
            query.push_str(&format!("&assignee={assignee}"));
        }
        query
    };
    context! {
        cases => rows,
        total => list.total,
        page => page,
        last_page => last_page,
        prev => (page > 1).then(|| link(page - 1)),
        next => (page < last_page).then(|| link(page + 1)),
        statuses => Status::WORDS,
        investigators => names(investigators),
        status => status,
        assignee => assignee,
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

/// The case page: the report and conversation and the notes as `opened` decrypted them,
/// and the forms.
pub fn case_page(
    detail: &CaseDetail,
    opened: OpenedCase,
    investigators: &[InvestigatorWire],
    notice: Option<&str>,
) -> Value {
    let messages: Vec<MessageView> = detail
        .thread
        .iter()
        .zip(opened.thread)
        .map(|(entry, content)| message_view(entry, content))
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
        deadline => deadline_text(summary),
        messages => messages,
        notes => notes,
        holders => detail.holders,
        assignable => assignable,
        grantable => grantable,
        next_statuses => Status::parse(&summary.status, summary.outcome.as_deref())
            .map(next_statuses)
            .unwrap_or_default(),
        outcomes => Outcome::ALL
            .into_iter()
            .map(|o| context! { code => o.as_str(), label => outcome_label(o) })
            .collect::<Vec<_>>(),
        notice => notice.and_then(notice_text),
    }
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

fn message_view(entry: &ThreadEntryWire, content: Option<MessageContent>) -> MessageView {
    let mut view = MessageView {
        seq: entry.seq,
        author: entry.author.clone(),
        day: entry.day.clone(),
        readable: content.is_some(),
        body: String::new(),
        where_when: None,
        people: None,
        attachments: Vec::new(),
    };
    if let Some(mut content) = content {
        // Moved out field by field: the content zeroizes whatever remains when dropped.
        view.body = std::mem::take(&mut content.body);
        view.where_when = content.where_when.take();
        view.people = content.people.take();
        view.attachments = content
            .attachments
            .iter_mut()
            .map(attachment_view)
            .collect();
    }
    view
}

fn attachment_view(attachment: &mut Attachment) -> AttachmentView {
    AttachmentView {
        name: std::mem::take(&mut attachment.name),
        content_type: std::mem::take(&mut attachment.content_type),
        format: format_words(&attachment.format).to_owned(),
        size: human_size(attachment.size),
        cleaned: attachment.cleaned,
        removed: attachment.removed.join(", "),
        blob: BlobRef::parse(&attachment.blob).map(|b| b.as_str().to_owned()),
    }
}

/// The format the service detected, as the page names it.
fn format_words(format: &str) -> &'static str {
    match format {
        "jpeg" => "JPEG image",
        "png" => "PNG image",
        "pdf" => "PDF document",
        _ => "not recognised",
    }
}

/// What a finished form says at the top of the case page (`?done=`).
fn notice_text(done: &str) -> Option<&'static str> {
    Some(match done {
        "reply" => "Your reply was encrypted and sent to the reporter.",
        "status" => "The case status was changed.",
        "assignees" => "The assignees were changed.",
        "note" => "The internal note was encrypted to every investigator with access and saved.",
        "access" => "Access was granted: the colleague can now open this case.",
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

/// The statistics page.
pub fn stats_page(stats: &Stats) -> Value {
    context! {
        received => stats.received,
        acknowledgement => stats.acknowledgement,
        feedback => stats.feedback,
        overdue_now => stats.overdue_now,
    }
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
        }
    }

    #[test]
    fn deadlines_read_as_words() {
        assert_eq!(
            deadline_text(&summary(Some(3), None)).as_deref(),
            Some("3 days left to acknowledge")
        );
        assert_eq!(
            deadline_text(&summary(Some(1), Some("2026-11-26"))).as_deref(),
            Some("1 day left to give feedback")
        );
        assert_eq!(
            deadline_text(&summary(Some(-2), None)).as_deref(),
            Some("2 days overdue to acknowledge")
        );
        assert_eq!(
            deadline_text(&summary(Some(0), None)).as_deref(),
            Some("today: last day to acknowledge")
        );
        assert_eq!(deadline_text(&summary(None, None)), None);
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
        let ctx = case_page(&detail, opened, &investigators, Some("reply"));
        let html = Pages::new("ana", "https://q.example")
            .render("case.html", ctx)
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
        let ctx = case_page(&detail, opened, &[wire("ana", &ana)], None);
        let html = Pages::new("ana", "https://q.example")
            .render("case.html", ctx)
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
        let html = pages
            .render(
                "cases.html",
                case_list(&list, &[], Some("new"), Some("ana")),
            )
            .unwrap();
        assert!(html.contains("Page 2 of 3"), "{html}");
        assert!(html.contains("?page=1&amp;per_page=50&amp;status=new&amp;assignee=ana\""));
        assert!(html.contains("?page=3&amp;per_page=50&amp;status=new&amp;assignee=ana\""));
        assert!(html.contains("class=\"case overdue"));
        assert!(html.contains("1 day overdue to acknowledge"));

        let stats = Stats {
            received: vec![crate::api::MonthCategoryCount {
                month: "2026-11".into(),
                category: "bribe_offered".into(),
                cases: 3,
            }],
            overdue_now: 4,
            ..Stats::default()
        };
        let html = pages.render("stats.html", stats_page(&stats)).unwrap();
        assert!(html.contains("bribe offered") && html.contains("<strong>4</strong>"));
        for page in ["error.html", "stopped.html"] {
            pages.render(page, context! { message => "m" }).unwrap();
        }
    }
}
