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
        "case token {token:?} is not XXXX-XXXX-XXXX-XXXX-XXXX"
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

/// Five groups of four symbols of the token alphabet, joined by hyphens.
fn looks_like_token(token: &str) -> bool {
    let groups: Vec<&str> = token.split('-').collect();
    groups.len() == 5
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
