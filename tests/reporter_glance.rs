//! The reporter's case page at a glance, in a real browser with JavaScript off: before the
//! thread, the status, what happens next and by which date, and a notice with a link when
//! the integrity unit has written since the reporter last looked; the thread folded to
//! the latest exchange; dates and sizes in the page's language, with no ISO date left on
//! the French page; a header that keeps Quick exit at the top right from 320 px to
//! 1280 px, on the reporter pages and on the desk.
//!
//! Screenshots go to `target/screenshots/` (the path is printed), so that a reviewer can
//! look at the pages this test looked at.

mod common;

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::accounts::{Account, register};
use common::desk::{Desk, PASSPHRASE, case_ids, write_identity_file};
use common::webdriver::{Browser, ELEMENT_KEY};
use common::{Evidence, Server, agent, multipart, multipart_type, read};
use quietline::case::Day;
use quietline::crypto::{CaseKey, Wrap};
use serde_json::{Value, json};

const REPLY: &str = "Thank you. Were you alone at the depot when they came? (glance-reply)";
const ENGLISH_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const FRENCH_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

fn english(day: Day) -> String {
    let month = ENGLISH_MONTHS[usize::from(day.month()) - 1];
    format!("{} {month} {}", day.day_of_month(), day.year())
}

fn french(day: Day) -> String {
    let month = FRENCH_MONTHS[usize::from(day.month()) - 1];
    match day.day_of_month() {
        1 => format!("1er {month} {}", day.year()),
        d => format!("{d} {month} {}", day.year()),
    }
}

/// The year is left out of the notice's date when it is this year's.
fn without_year(long: &str) -> String {
    long.rsplit_once(' ').unwrap().0.to_owned()
}

#[test]
fn a_new_reply_and_the_next_date_come_before_the_thread_in_english_and_french() {
    let deployment = common::Deployment::new();
    let (identity, secret) = register(&deployment, "fede", "investigator");
    let server = deployment.start(&[]);
    let mut fede = Account::enrol(&server, "fede", identity, &secret);
    let investigator = fede.login(&server);
    let today = Day::parse(&common::today()).unwrap();

    // A long report with a 2,765-byte file: 2.7 KiB, 2,7 Kio.
    let report = format!(
        "glance-report. {}",
        "They waited for me after my shift. ".repeat(60)
    );
    let file = vec![b'x'; 2765];
    let body = multipart(
        &[("body", &report), ("category", "coercion_or_threat")],
        &[Evidence {
            name: "notes.txt",
            content_type: "text/plain",
            bytes: &file,
        }],
    );
    let (status, reply) = read(
        agent()
            .post(&server.url("/api/v1/reports"))
            .set("Content-Type", &multipart_type())
            .send_bytes(&body),
    );
    assert_eq!(status, 201, "{reply}");
    let token = common::json(&reply)["token"].as_str().unwrap().to_owned();

    let browser = Browser::start();
    set_width(&browser, 390);
    log_in(&browser, &server, &token, "en");

    // Before any reply: when the unit will acknowledge, and no notice.
    let next = browser.find("#next-step").text();
    let acknowledge_by = english(today.plus_days(7));
    assert_eq!(
        next,
        format!("The integrity unit will acknowledge your report by {acknowledge_by}.")
    );
    assert!(count(&browser, ".new-reply") == 0, "no reply yet");
    assert_eq!(
        browser.find("#case-status").text(),
        "Received, not yet acknowledged"
    );
    assert_before(&browser.source(), "id=\"next-step\"", "<article");
    screenshot(&browser, "case-before-reply-390");

    // The unit answers; the reporter checks for new replies.
    reply_to_case(&server, &investigator, &fede, REPLY);
    browser
        .find("div.actions form[action^='/case/view'] button")
        .click();
    let notice = browser.find(".new-reply a");
    let short_today = without_year(&english(today));
    assert_eq!(
        notice.text(),
        format!("New message from the integrity unit ({short_today})")
    );
    assert_eq!(
        attribute(&browser, ".new-reply a", "href")
            .rsplit('#')
            .next(),
        Some("entry-1")
    );
    let feedback_by = english(today.plus_months(3));
    assert_eq!(
        browser.find("#next-step").text(),
        format!("The integrity unit will give you feedback by {feedback_by}.")
    );
    assert_eq!(browser.find("#case-status").text(), "Acknowledged");
    let source = browser.source();
    assert_before(&source, "class=\"new-reply\"", "<article");
    assert_before(&source, "id=\"next-step\"", "<article");
    // The reply the notice links to is in view; the long report is folded away.
    assert_eq!(browser.find("#entry-1 div.body").text(), REPLY);
    assert_eq!(
        browser.find("#entry-0 div.body").text(),
        "",
        "the report is folded"
    );
    assert_eq!(
        browser.find("details.earlier summary").text(),
        "1 earlier message"
    );
    screenshot(&browser, "case-after-reply-390");

    // The same session in French: the notice stays, dates and sizes are French, and no
    // ISO date is left anywhere on the page.
    browser.find("header nav button[lang=fr]").click();
    browser.find("html[lang=fr]");
    let notice = browser.find(".new-reply a").text();
    assert_eq!(
        notice,
        format!(
            "Nouveau message de la cellule d'intégrité ({})",
            without_year(&french(today))
        )
    );
    assert_eq!(
        browser.find("#next-step").text(),
        format!(
            "La cellule d'intégrité vous fera un retour au plus tard le {}.",
            french(today.plus_months(3))
        )
    );
    let source = browser.source();
    assert_before(&source, "class=\"new-reply\"", "<article");
    assert_before(&source, "id=\"next-step\"", "<article");
    assert_no_iso_date(&source);
    let size = property(&browser, "#entry-0 ul.attachments", "textContent");
    assert!(
        size.contains("2,7\u{a0}Kio"),
        "size not in French: {size:?}"
    );
    assert!(source.contains(&french(today)), "received day in French");
    screenshot(&browser, "case-after-reply-390-fr");

    // Open the folded report without JavaScript.
    browser.find("details.earlier summary").click();
    assert!(
        browser
            .find("#entry-0 div.body")
            .text()
            .starts_with("glance-report.")
    );

    // A new visit: the reply has been seen, so no notice; it stays in view.
    browser
        .find("div.actions form[action^='/case/leave'] button")
        .click();
    browser.find("input[name=token]");
    log_in(&browser, &server, &token, "en");
    assert_eq!(
        count(&browser, ".new-reply"),
        0,
        "the reply was seen last time"
    );
    assert_eq!(browser.find("#entry-1 div.body").text(), REPLY);
    assert_eq!(count(&browser, "article.new"), 0);
}

#[test]
fn the_header_keeps_quick_exit_top_right_from_320_to_1280_px() {
    let deployment = common::Deployment::new();
    let (bruno, secret) = register(&deployment, "bruno", "investigator");
    let keys = tempfile::tempdir().unwrap();
    let identity_file = keys.path().join("bruno.age");
    write_identity_file(&bruno, PASSPHRASE, &identity_file);
    let server = deployment.start(&[]);
    // Enrolled before the report, so that its key is wrapped to him too.
    let mut authenticator = common::desk::enrol(&server, "bruno", &secret);
    let token = server.submit("glance-header report");
    let browser = Browser::start();

    for width in [320, 390, 1280] {
        set_width(&browser, width);
        for (name, path) in [("landing", "/?lang=fr"), ("report", "/report?lang=es")] {
            browser.goto(&server.url(path));
            check_reporter_header(&browser, width);
            screenshot(&browser, &format!("{name}-{width}"));
        }
        log_in(&browser, &server, &token, "fr");
        check_reporter_header(&browser, width);
        screenshot(&browser, &format!("case-{width}"));
    }

    // The desk: the case id wraps instead of overflowing, and log-out sits in the header
    // row with the other items.
    let desk = Desk::start(
        &server,
        &identity_file,
        "bruno",
        &mut authenticator,
        deployment.logs.path(),
    );
    browser.goto(&desk.entry);
    browser.wait_for_url_path("/");
    let ids = case_ids(&browser.source());
    assert_eq!(ids.len(), 1, "one case on the desk");
    for width in [320, 390, 1280] {
        set_width(&browser, width);
        browser.goto(&desk.url(&format!("/cases/{}", ids[0])));
        browser.find("#case-status");
        let viewport = viewport_width(&browser);
        let id = rect(&browser, "h1 code");
        assert!(
            id.x + id.width <= viewport + 0.5,
            "at {width} px the case id overflows: {id:?}, viewport {viewport}"
        );
        let logout = rect(&browser, "header.top form button");
        let brand = rect(&browser, "header.top .brand");
        if width == 1280 {
            let (a, b) = (logout.middle(), brand.middle());
            assert!(
                (a - b).abs() <= 2.0,
                "log-out ({a}) is not level with the header ({b})"
            );
        }
        assert!(
            logout.x + logout.width <= viewport + 0.5,
            "log-out overflows"
        );
        screenshot(&browser, &format!("desk-case-{width}"));
    }
}

/// Quick exit on the brand's row, at the right edge; the languages on that row on a wide
/// screen and on a row of their own on a phone; links in the site's colour.
fn check_reporter_header(browser: &Browser, width: u32) {
    let viewport = viewport_width(browser);
    let brand = rect(browser, "header.top .brand");
    let exit = rect(browser, "header.top .quick-exit");
    let langs = rect(browser, "header.top .langs");
    assert!(
        exit.overlaps_vertically(&brand),
        "at {width} px Quick exit {exit:?} is not on the brand's row {brand:?}"
    );
    assert!(
        viewport - (exit.x + exit.width) < 24.0,
        "at {width} px Quick exit {exit:?} is not at the right (viewport {viewport})"
    );
    if width <= 390 {
        assert!(
            langs.y >= exit.y + exit.height - 0.5,
            "at {width} px the languages {langs:?} are not below Quick exit {exit:?}"
        );
    } else {
        assert!(
            langs.overlaps_vertically(&exit) && langs.x + langs.width <= exit.x,
            "at {width} px the languages {langs:?} are not left of Quick exit {exit:?}"
        );
    }
    for (selector, element) in [
        ("header.top .langs a", "link"),
        ("main a:not(.button)", "link"),
    ] {
        if count(browser, selector) > 0 {
            let colour = css(browser, selector, "color");
            assert_eq!(
                colour, "rgba(31, 95, 139, 1)",
                "{element} {selector} is not in the site's colour"
            );
        }
    }
}

fn log_in(browser: &Browser, server: &Server, token: &str, lang: &str) {
    browser.goto(&server.url(&format!("/case?lang={lang}")));
    browser.find("input[name=token]").type_text(token);
    browser.find("main form button[type=submit]").click();
    browser.find("#case-status");
}

/// Answers the only case as the desk would: unwrap the key, seal the reply, post it.
fn reply_to_case(server: &Server, session: &str, account: &Account, text: &str) {
    let (_, list) = server.inv_get(session, "/cases");
    let id = list["cases"][0]["id"].as_str().unwrap().to_owned();
    let (status, detail) = server.inv_get(session, &format!("/cases/{id}"));
    assert_eq!(status, 200, "{detail}");
    let wrap = STANDARD.decode(detail["wrap"].as_str().unwrap()).unwrap();
    let key = CaseKey::unwrap_with(&Wrap(wrap), account.identity.as_age()).unwrap();
    let sealed = key
        .seal(json!({ "body": text }).to_string().as_bytes())
        .unwrap();
    let (status, reply) = server.inv_post(
        session,
        &format!("/cases/{id}/replies"),
        &json!({ "ciphertext": STANDARD.encode(sealed) }),
    );
    assert_eq!(status, 201, "{reply}");
}

fn assert_before(source: &str, first: &str, then: &str) {
    let a = source
        .find(first)
        .unwrap_or_else(|| panic!("no {first} in {source}"));
    let b = source
        .find(then)
        .unwrap_or_else(|| panic!("no {then} in {source}"));
    assert!(a < b, "{first} comes after {then}");
}

/// No `YYYY-MM-DD` anywhere in the page.
fn assert_no_iso_date(source: &str) {
    let bytes = source.as_bytes();
    let shape = b"dddd-dd-dd";
    for start in 0..bytes.len().saturating_sub(shape.len()) {
        let found = shape.iter().zip(&bytes[start..]).all(|(s, b)| match s {
            b'd' => b.is_ascii_digit(),
            _ => b == s,
        });
        assert!(
            !found,
            "an ISO date on the French page: {:?}",
            &source[start.saturating_sub(40)..(start + 50).min(source.len())]
        );
    }
}

#[derive(Debug)]
struct Rect {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
}

impl Rect {
    fn middle(&self) -> f64 {
        self.y + self.height / 2.0
    }

    fn overlaps_vertically(&self, other: &Rect) -> bool {
        self.y < other.y + other.height && other.y < self.y + self.height
    }
}

fn set_width(browser: &Browser, width: u32) {
    browser.command(
        "POST",
        "/window/rect",
        Some(json!({"width": width, "height": 900})),
    );
}

/// The id of the first element matching `css`, waiting for it like `Browser::find`.
fn element(browser: &Browser, css: &str) -> String {
    browser.find(css);
    let found = browser.command(
        "POST",
        "/element",
        Some(json!({"using": "css selector", "value": css})),
    );
    found[ELEMENT_KEY].as_str().unwrap().to_owned()
}

fn count(browser: &Browser, css: &str) -> usize {
    browser
        .command(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )
        .as_array()
        .unwrap()
        .len()
}

fn rect(browser: &Browser, css: &str) -> Rect {
    let id = element(browser, css);
    let r = browser.get(&format!("/element/{id}/rect"));
    let n = |k: &str| r[k].as_f64().unwrap();
    Rect {
        x: n("x"),
        y: n("y"),
        width: n("width"),
        height: n("height"),
    }
}

fn viewport_width(browser: &Browser) -> f64 {
    rect(browser, "html").width
}

fn css(browser: &Browser, css: &str, property: &str) -> String {
    let id = element(browser, css);
    value_text(browser.get(&format!("/element/{id}/css/{property}")))
}

fn attribute(browser: &Browser, css: &str, name: &str) -> String {
    let id = element(browser, css);
    value_text(browser.get(&format!("/element/{id}/attribute/{name}")))
}

fn property(browser: &Browser, css: &str, name: &str) -> String {
    let id = element(browser, css);
    value_text(browser.get(&format!("/element/{id}/property/{name}")))
}

fn value_text(value: Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// Saves a screenshot of the page as `target/screenshots/NAME.png` and prints where.
fn screenshot(browser: &Browser, name: &str) {
    let png = STANDARD
        .decode(browser.get("/screenshot").as_str().unwrap())
        .unwrap();
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
}

fn screenshot_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is target/tmp; the screenshots sit beside it.
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(&tmp).join("screenshots")
}
