//! A reporter's whole journey in a real browser with JavaScript disabled: from the landing
//! page, follow the link to the report form, fill it in (text, category radio, urgent
//! checkbox), send it, read the case token off the page, log in to the case with the token
//! typed sloppily (lower case, spaces), read the conversation, add a follow-up, and switch
//! the case page to French without losing the conversation.
//!
//! The browser is Debian's headless chromium driven by chromedriver over W3C WebDriver
//! (plain HTTP JSON on 127.0.0.1). The test first proves that JavaScript really is off in
//! that browser, so the journey proves the pages need none.

mod common;

use std::time::Instant;

use common::webdriver::Browser;

#[test]
fn reporter_journey_without_javascript() {
    let started = Instant::now();
    let deployment = common::Deployment::new();
    let server = deployment.start(&[]);
    let browser = Browser::start();

    assert_javascript_is_disabled(&browser);

    // Landing page → report form, by clicking the link.
    browser.goto(&server.url("/"));
    browser.find_by("link text", "Make a report").click();
    browser.wait_for_url_path("/report");

    // Fill in and send the report.
    let marker = format!("browser-test report {}", std::process::id());
    browser.find("textarea[name=body]").type_text(&marker);
    let radio = browser.find("input[type=radio][name=category][value=coercion_or_threat]");
    radio.click();
    assert!(
        radio.is_selected(),
        "the category radio did not get selected"
    );
    let urgent = browser.find("input[type=checkbox][name=urgent]");
    urgent.click();
    assert!(
        urgent.is_selected(),
        "the urgent checkbox did not get ticked"
    );
    browser.find("main form button[type=submit]").click();

    // The token page.
    let token = browser.find("#case-token").text();
    assert!(
        looks_like_token(&token),
        "case token {token:?} is not XXXX-XXXX-XXXX-XXXX-XXXX-XXXX"
    );

    // Log in with the token as someone might type it.
    browser.goto(&server.url("/case"));
    let typed = token.to_lowercase().replace('-', " ");
    browser.find("input[name=token]").type_text(&typed);
    browser.find("main form button[type=submit]").click();
    browser.find("#case-status");
    let facts = browser.find("dl.case-facts").text();
    assert!(
        facts.contains("Coercion or threat"),
        "category not shown: {facts}"
    );
    assert!(
        facts.contains("Yes, marked urgent"),
        "urgency not shown: {facts}"
    );
    let messages = browser.message_bodies();
    assert_eq!(messages, [marker.as_str()], "conversation after login");

    // Add a follow-up on the case page.
    let follow_up = format!("browser-test follow-up {}", std::process::id());
    browser
        .find("form[action^='/case/messages'] textarea[name=body]")
        .type_text(&follow_up);
    browser
        .find("form[action^='/case/messages'] button[type=submit]")
        .click();
    let notice = browser.find("p.notice").text();
    assert_eq!(notice, "Your message has been added to the case.");
    // With no reply yet, the latest exchange is the follow-up; the report is folded
    // behind a <details>, which opens without JavaScript.
    assert_eq!(browser.message_bodies(), ["", follow_up.as_str()]);
    browser.find("details.earlier summary").click();
    let messages = browser.message_bodies();
    assert_eq!(
        messages,
        [marker.as_str(), follow_up.as_str()],
        "conversation after follow-up"
    );

    // Switch the case page to French with the switcher's button.
    let french = browser.find("header nav button[lang=fr]");
    assert_eq!(french.text(), "Français");
    french.click();
    browser.find("html[lang=fr]");
    let source = browser.source();
    assert!(
        source.contains("<html lang=\"fr\">"),
        "page is not French: {source}"
    );
    browser.find("#case-status");
    browser.find("details.earlier summary").click();
    let messages = browser.message_bodies();
    assert_eq!(
        messages,
        [marker.as_str(), follow_up.as_str()],
        "conversation after switching to French"
    );

    eprintln!("browser journey took {:.1?}", started.elapsed());
}

/// A page whose inline script would change its title: with JavaScript off, it does not.
fn assert_javascript_is_disabled(browser: &Browser) {
    browser.goto(
        "data:text/html,<title>script%20did%20not%20run</title>\
         <script>document.title='script%20ran'</script><p%20id=loaded>loaded</p>",
    );
    browser.find("#loaded");
    let title = browser.get("/title");
    assert_eq!(
        title, "script did not run",
        "JavaScript is enabled in the test browser"
    );
}

/// Six groups of four symbols of the token alphabet (the last is its check), joined by
/// hyphens.
fn looks_like_token(token: &str) -> bool {
    let groups: Vec<&str> = token.split('-').collect();
    groups.len() == 6
        && groups.iter().all(|g| {
            g.len() == 4
                && g.bytes()
                    .all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b))
        })
}

/// The reporter's case conversation, read off the case page.
trait CaseConversation {
    /// The text of every message in the case conversation, oldest first; empty for a
    /// message folded away in a closed `<details>`.
    fn message_bodies(&self) -> Vec<String>;
}

impl CaseConversation for Browser {
    fn message_bodies(&self) -> Vec<String> {
        self.texts("article.message > div.body")
    }
}

/// The token page: the warning right under the token, each group unbroken at 320 px, and
/// the last group typed back before leaving (a wrong one shows the token again). Quick
/// exit is the first tab stop, and the site answers a wrong address or method with its
/// own page.
#[test]
fn the_token_page_asks_for_the_last_group_back() {
    let deployment = common::Deployment::new();
    let server = deployment.start(&[]);
    let browser = Browser::start();
    browser.command(
        "POST",
        "/window/rect",
        Some(serde_json::json!({"width": 320, "height": 800})),
    );
    browser.goto(&server.url("/report"));
    // Quick exit is the first thing a Tab reaches: the first link or control in the page.
    let source = browser.source();
    let body = &source[source.find("<body>").unwrap()..];
    let first = body.find("<a ").unwrap();
    assert!(
        body[first..].starts_with("<a class=\"quick-exit\""),
        "Quick exit is not the first tab stop: {body}"
    );
    browser
        .find("textarea[name=body]")
        .type_text("token page test");
    browser
        .find("input[type=radio][name=category][value=other]")
        .click();
    browser.find("main form button[type=submit]").click();
    let token = browser.find("#case-token").text();
    assert!(looks_like_token(&token), "{token:?}");

    // The warning comes right after the token.
    let source = browser.source();
    let after_token = &source[source.find("id=\"case-token\"").unwrap()..];
    let next_section = after_token.find("<section").unwrap();
    assert!(
        after_token[next_section..].starts_with("<section class=\"danger\">"),
        "the warning is not right under the token"
    );
    // Each group on one line at 320 px.
    let groups = browser.texts("#case-token .group");
    assert_eq!(groups.join("-"), token);
    for white_space in browser.texts_of_css("#case-token .group", "white-space") {
        assert_eq!(white_space, "nowrap");
    }

    // A wrong last group: the token again, with a problem.
    let last = token.rsplit('-').next().unwrap();
    let wrong = if last == "0000" { "1111" } else { "0000" };
    browser.find("input[name=last_group]").type_text(wrong);
    browser
        .find("form[action^='/report/confirm'] button")
        .click();
    browser.find("p.problem[role=alert]");
    assert_eq!(browser.find("#case-token").text(), token);

    // The right one, typed in lower case.
    browser
        .find("input[name=last_group]")
        .type_text(&last.to_lowercase());
    browser
        .find("form[action^='/report/confirm'] button")
        .click();
    browser.find("p.notice[role=status]");
    let source = browser.source();
    assert!(!source.contains(&token), "the token is still shown");
    assert!(source.contains("New Identity"));

    // A form that comes back with a problem keeps "keep my file names" ticked and says
    // that chosen files must be chosen again (a browser does not keep them).
    let once = server.form_nonce("/report");
    let (status, page) = common::read(common::agent().post(&server.url("/report")).send_form(&[
        ("once", once.as_str()),
        ("body", "no category"),
        ("keep_names", "on"),
    ]));
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("choose them again"), "{page}");
    assert!(
        page.contains(
            "name=\"keep_names\" value=\"on\" aria-describedby=\"keep-names-hint\" checked"
        ),
        "{page}"
    );

    // 404 and 405: the site's own page, in the asked language, with Quick exit.
    for (method, path, status) in [("GET", "/nowhere?lang=fr", 404), ("POST", "/?lang=fr", 405)] {
        let (got, page) = common::read(common::agent().request(method, &server.url(path)).call());
        assert_eq!(got, status, "{method} {path}: {page}");
        assert!(page.contains("<html lang=\"fr\">"), "{page}");
        assert!(page.contains("class=\"quick-exit\""), "{page}");
        assert!(page.contains("href=\"/?lang=fr\""), "{page}");
    }
}

trait ComputedStyle {
    /// The computed value of `property` of every element matching `css`.
    fn texts_of_css(&self, css: &str, property: &str) -> Vec<String>;
}

impl ComputedStyle for Browser {
    fn texts_of_css(&self, css: &str, property: &str) -> Vec<String> {
        let found = self.command(
            "POST",
            "/elements",
            Some(serde_json::json!({"using": "css selector", "value": css})),
        );
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let id = e[common::webdriver::ELEMENT_KEY].as_str().unwrap();
                self.get(&format!("/element/{id}/css/{property}"))
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }
}

/// Files that cannot be cleaned do not go through silently (issue 11): the form says which
/// formats are cleaned before sending, the page after sending names each uncleaned file
/// with a warning and a "Remove this file" button, and so does the case page; each
/// removal deletes the encrypted file for good and leaves a line in the thread. All with
/// JavaScript off.
#[test]
fn a_file_that_cannot_be_cleaned_can_be_removed_after_sending_and_from_the_case() {
    let deployment = common::Deployment::new();
    let server = deployment.start(&[]);
    let browser = Browser::start();
    assert_javascript_is_disabled(&browser);
    let blobs = || match &deployment.database {
        Some(url) => common::postgres::stored_blobs(url).len(),
        None => common::files_under(&deployment.data_dir().join("blobs")).len(),
    };

    // Two HEIC photos: not a format the service can clean.
    let uploads = tempfile::tempdir().unwrap();
    let dir = uploads.path();
    let paths: Vec<String> = ["IMG_0042.HEIC", "IMG_0043.HEIC"]
        .iter()
        .map(|name| {
            let path = dir.join(name);
            std::fs::write(&path, b"\0\0\0\x18ftypheic\0\0\0\0mif1heic QLHEIC-GPS").unwrap();
            path.to_str().unwrap().to_owned()
        })
        .collect();

    browser.goto(&server.url("/report"));
    assert!(
        browser
            .source()
            .contains("PDF documents and MP4 or MOV videos"),
        "the form does not say what is cleaned"
    );
    browser
        .find("textarea[name=body]")
        .type_text("two photos of the car park");
    browser
        .find("input[type=radio][name=category][value=other]")
        .click();
    browser.find("input#evidence").type_text(&paths.join("\n"));
    browser.find("main form button[type=submit]").click();

    // After sending: the warning, each file named, a button for each.
    let token = browser.find("#case-token").text();
    let warning = browser.find("#uncleaned-warning").text();
    assert!(
        warning.contains("2 files could not be cleaned"),
        "{warning}"
    );
    assert_eq!(
        browser.texts(".attachments .file-name"),
        ["file-1.heic", "file-2.heic"]
    );
    assert_eq!(browser.texts(".attachments .not-cleaned").len(), 2);
    assert_eq!(browser.texts("form.remove-file button").len(), 2);
    assert_eq!(blobs(), 2);

    // Remove the first one from this page.
    browser
        .find("form[action^='/report/remove'] button")
        .click();
    let notice = browser.find("p.notice[role=status]").text();
    assert!(notice.contains("deleted for good"), "{notice}");
    assert_eq!(browser.find("#case-token").text(), token);
    assert_eq!(browser.texts(".attachments .deleted").len(), 1);
    assert_eq!(browser.texts("form.remove-file button").len(), 1);
    assert_eq!(blobs(), 1, "the file is still on disk");

    // The case page: the removal is in the thread, the other file can go from here.
    browser.goto(&server.url("/case"));
    browser.find("input[name=token]").type_text(&token);
    browser.find("main form button[type=submit]").click();
    browser.find("#case-status");
    assert_eq!(
        browser.texts(".file-removed"),
        ["You removed the file file-1.heic."]
    );
    // The report is folded away under "earlier messages"; the file that is left is
    // listed at the top of the page with its button.
    let warning = browser.find("#uncleaned-warning").text();
    assert!(
        warning.contains("One file could not be cleaned"),
        "{warning}"
    );
    assert_eq!(
        browser.texts("section.uncleaned .file-name"),
        ["file-2.heic"]
    );
    browser
        .find("section.uncleaned form[action^='/case/remove'] button")
        .click();
    let notice = browser.find("p.notice[role=status]").text();
    assert!(notice.contains("deleted for good"), "{notice}");
    assert_eq!(browser.texts(".attachments .deleted").len(), 2);
    assert!(browser.texts("form.remove-file button").is_empty());
    assert!(!browser.source().contains("id=\"uncleaned-warning\""));
    // Both removals are in the thread (the first one now folded under earlier messages).
    let source = browser.source();
    for name in ["file-1.heic", "file-2.heic"] {
        assert!(
            source.contains(&format!("You removed the file {name}.")),
            "{source}"
        );
    }
    assert_eq!(blobs(), 0, "a file is still on disk");
    // Nothing of the files survives anywhere in the data directory.
    for file in common::files_under(deployment.data_dir()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(10).any(|w| w == b"QLHEIC-GPS"),
            "{} holds the photo",
            file.display()
        );
    }
}
