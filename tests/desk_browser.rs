//! The investigator's desk in a real browser: open the address the desk prints (its
//! access key becomes a cookie), see the case list with the urgent case first, open it,
//! read the report decrypted on the desk with the evidence file it carries, answer through
//! the reply form and see the answer in the conversation.
//!
//! The browser is headless chromium with JavaScript turned off (tests/common/webdriver.rs):
//! the desk's pages need none, and its content security policy would block any.

mod common;

use std::time::Instant;

use common::accounts::register;
use common::desk::{self, Desk, Evidence, PASSPHRASE, submit_with_evidence, write_identity_file};
use common::webdriver::Browser;
use serde_json::json;

const CALM: &str = "A routine report about the rota (desk-browser-calm)";
const URGENT: &str = "They said they know where my children go to school (desk-browser-urgent)";
const WHERE_WHEN: &str = "Outside the depot, this morning";
const REPLY: &str = "We have read this. Please call the number we gave you (desk-browser-reply)";
const PHOTO: &[u8] = include_bytes!("fixtures/evidence/photo.jpg");

#[test]
fn an_investigator_reads_and_answers_a_case_in_the_browser() {
    let started = Instant::now();
    let deployment = common::Deployment::new();
    let (bruno, secret) = register(&deployment, "bruno", "investigator");
    let keys = tempfile::tempdir().unwrap();
    let identity_file = keys.path().join("bruno.age");
    write_identity_file(&bruno, PASSPHRASE, &identity_file);
    let server = deployment.start(&[]);
    // Enrolled before the reports: new cases are wrapped to enrolled investigators only.
    let mut authenticator = desk::enrol(&server, "bruno", &secret);
    let (status, reply) = server.post_json(
        "/api/v1/reports",
        &json!({
            "body": CALM, "category": "coercion_or_threat", "urgent": false,
            "where_when": WHERE_WHEN,
        }),
    );
    assert_eq!(status, 201, "{reply}");
    let (status, reply) = submit_with_evidence(
        &server,
        &[
            ("body", URGENT),
            ("category", "coercion_or_threat"),
            ("urgent", "true"),
            ("where_when", WHERE_WHEN),
            ("keep_names", "on"),
        ],
        &[Evidence {
            name: "school <gate>.jpg",
            content_type: "image/jpeg",
            bytes: PHOTO,
        }],
    );
    assert_eq!(status, 201, "{reply}");
    let desk = Desk::start(
        &server,
        &identity_file,
        "bruno",
        &mut authenticator,
        deployment.logs.path(),
    );
    let browser = Browser::start();

    // The printed address: the key is traded for a cookie, and the case list shows.
    browser.goto(&desk.entry);
    browser.wait_for_url_path("/");
    browser.find("table.cases");
    let rows = browser.texts("table.cases tbody tr td.reference");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0].ends_with("URGENT") && !rows[1].contains("URGENT"),
        "the urgent case comes first: {rows:?}"
    );
    // Rows tell cases apart: a reference, the start of the report, two marks.
    assert!(rows.iter().all(|r| r.starts_with("QL-")), "{rows:?}");
    assert_eq!(
        browser.texts("table.cases tbody tr td.preview"),
        [URGENT, CALM],
        "previews decrypted on this machine"
    );
    assert_eq!(
        browser
            .texts("table.cases tbody tr td.marks .not-opened")
            .len(),
        2
    );
    let urgent_reference = rows[0].split_whitespace().next().unwrap().to_owned();

    // Search runs on the decrypted text; a bookmarkable address.
    browser.find("#q").type_text("DEPOT this");
    browser.find("form.search button[type=submit]").click();
    browser.find("#count");
    assert_eq!(
        browser.texts("table.cases tbody tr td.preview").len(),
        2,
        "both reports name the depot"
    );
    browser.goto(&desk.url("/?q=school&urgent=1"));
    assert_eq!(browser.texts("table.cases tbody tr td.preview"), [URGENT]);
    browser.goto(&desk.url(&format!("/?q={urgent_reference}")));
    assert_eq!(browser.texts("table.cases tbody tr td.preview"), [URGENT]);
    // Filters: the calm case is the only one not urgent; a page past the end is the last.
    browser.goto(&desk.url("/?waiting=1&state=open&page=99"));
    assert_eq!(browser.find("nav.paging span").text(), "Page 1 of 1");
    browser.goto(&desk.url("/"));

    // Open the urgent case by its link.
    browser
        .find("table.cases tbody tr:first-child a.open")
        .click();
    browser.find("#case-status");
    let url = browser.get("/url");
    assert!(
        url.as_str().unwrap().contains("/cases/"),
        "not on a case page: {url}"
    );
    assert_eq!(browser.texts("article.message > div.text"), [URGENT]);
    assert_eq!(browser.find("div.where-when").text(), WHERE_WHEN);
    // The photo is listed under the report, its name shown as text, with a download link.
    assert_eq!(
        browser.texts("li.attachment a.download .file-name"),
        ["school <gate>.jpg"]
    );
    let listed = browser.find("li.attachment").text();
    assert!(
        listed.contains("detected: JPEG image") && listed.contains("declared: image/jpeg"),
        "{listed}"
    );
    assert!(listed.contains("Metadata removed: EXIF"), "{listed}");

    // Answer through the reply form; the answer shows in the conversation.
    browser
        .find("form.reply textarea[name=body]")
        .type_text(REPLY);
    browser.find("form.reply button[type=submit]").click();
    let notice = browser.find("p.notice").text();
    assert_eq!(notice, "Your reply was encrypted and sent to the reporter.");
    assert_eq!(
        browser.texts("article.message > div.text"),
        [URGENT, REPLY],
        "conversation after the reply"
    );
    assert_eq!(
        browser.texts("article.message > header"),
        [
            format!("Reporter · {}", common::today()),
            format!("Integrity unit · {}", common::today())
        ]
    );
    // A first reply to a new case acknowledges it.
    assert_eq!(browser.find("#case-status").text(), "acknowledged");
    assert_eq!(browser.find("#reference").text(), urgent_reference);
    assert_eq!(
        browser.find(".reply-panel .audience").text(),
        "Visible to the reporter"
    );
    assert_eq!(
        browser.find(".note-panel .audience").text(),
        "Internal only — never shown to the reporter"
    );

    // Labels: ticked on the case, filtered on the list, counted in the statistics.
    browser
        .find("form.labels input[value=transparency]")
        .click();
    browser
        .find("form.labels input[value=code_of_conduct]")
        .click();
    browser.find("form.labels button[type=submit]").click();
    // Only the page after saving has labels (the one before says "none").
    browser.find("#case-labels .label");
    assert_eq!(browser.find("p.notice").text(), "The labels were saved.");
    assert_eq!(
        browser.texts("#case-labels .label"),
        ["transparency", "code of conduct"]
    );
    browser.goto(&desk.url("/?label=code_of_conduct"));
    assert_eq!(
        browser
            .texts("table.cases tbody tr td.preview .label")
            .len(),
        2
    );
    assert_eq!(browser.texts("table.cases tbody tr").len(), 1);
    browser.goto(&desk.url("/stats"));
    assert_eq!(browser.find("#total").text(), "2");
    assert_eq!(browser.find("#urgent").text(), "1");
    assert_eq!(
        browser.texts("table.per-label tbody tr"),
        ["transparency 1", "code of conduct 1"]
    );
    // The entry address works once: the CSV is fetched with the browser's own cookie.
    let port = desk.base.rsplit(':').next().unwrap();
    let cookie = browser.get(&format!("/cookie/quietline_desk_{port}"));
    let cookie = format!(
        "quietline_desk_{port}={}",
        cookie["value"].as_str().unwrap()
    );
    let (status, csv) = desk.browser_with(cookie).get("/stats.csv");
    assert_eq!(status, 200);
    assert!(csv.contains("cases,total,2\r\n"), "{csv}");
    assert!(csv.contains("label,code_of_conduct,1\r\n"), "{csv}");
    assert!(!csv.contains(CALM) && !csv.contains(&urgent_reference));

    // A reply that cannot be sent (the server is gone) comes back with the problem above
    // the form and the text typed, not on a page that loses it.
    let case_url = url.as_str().unwrap().to_owned();
    browser.goto(&case_url);
    let draft = "A long answer that took a while to write";
    browser
        .find("form.reply textarea[name=body]")
        .type_text(draft);
    server.kill();
    browser.find("form.reply button[type=submit]").click();
    browser.find("p.problem");
    assert_eq!(browser.find("form.reply textarea[name=body]").text(), draft);

    eprintln!("desk browser journey took {:.1?}", started.elapsed());
}
