//! Browser history never reopens a case or makes a new one (issue 11).
//!
//! Every reporter form carries a single-use nonce, spent by the first POST that brings it
//! back. These tests use Debian's headless chromium with JavaScript off, and resend forms
//! the way a person would: Back, then Reload. chromedriver's `refresh` on a page that is
//! the result of a POST sends the same POST again (no "Confirm Form Resubmission"
//! interstitial comes up in headless mode), so the replays here go through the browser.

mod common;

use common::webdriver::Browser;
use serde_json::json;

const ALREADY_USED: &str = "This page was already used. Type your token again.";

fn back(browser: &Browser) {
    browser.command("POST", "/back", Some(json!({})));
}

/// Reload, which resends the POST a page is the result of.
fn resend(browser: &Browser) {
    browser.command("POST", "/refresh", Some(json!({})));
}

fn log_in(browser: &Browser, server: &common::Server, token: &str) {
    browser.goto(&server.url("/case"));
    browser.find("input[name=token]").type_text(token);
    browser.find("main form button[type=submit]").click();
    browser.find("#case-status");
}

/// The page says the form was already used, and shows nothing of the case.
fn assert_refused_as_used(browser: &Browser) {
    let problem = browser.find("p.problem").text();
    assert_eq!(problem, ALREADY_USED);
    let source = browser.source();
    assert!(
        !source.contains("case-status") && !source.contains("article class=\"message"),
        "a replay showed the case: {source}"
    );
}

#[test]
fn a_report_resent_from_history_creates_no_case_and_shows_no_token() {
    let deployment = common::Deployment::new();
    let server = deployment.start(&[]);
    let browser = Browser::start();
    browser.goto(&server.url("/report"));
    browser
        .find("textarea[name=body]")
        .type_text("history test report");
    browser
        .find("input[type=radio][name=category][value=coercion_or_threat]")
        .click();
    browser.find("main form button[type=submit]").click();
    let token = browser.find("#case-token").text();

    // Reload on the token page resends the report.
    resend(&browser);
    let problem = browser.find("p.problem").text();
    assert!(problem.contains("already sent"), "{problem}");
    let source = browser.source();
    assert!(
        !source.contains("case-token"),
        "a token was shown: {source}"
    );
    assert!(!source.contains(&token), "the old token was shown again");

    // Back to the form, forward to the token page, and resend again.
    back(&browser);
    browser.command("POST", "/forward", Some(json!({})));
    resend(&browser);
    browser.find("p.problem");
    assert!(!browser.source().contains("case-token"));
    drop(browser);
    server.stop();

    let store = common::open_store(deployment.data_dir());
    assert_eq!(store.case_count().unwrap(), 1);
}

#[test]
fn after_leaving_back_and_resend_does_not_reopen_the_case() {
    let deployment = common::Deployment::new();
    let server = deployment.start(&[]);
    let token = server.submit("history test: leave");
    let browser = Browser::start();
    log_in(&browser, &server, &token);

    browser
        .find("form[action^='/case/leave'] button[type=submit]")
        .click();
    let left = browser.find("p[role=status]").text();
    assert_eq!(left, "You have left your case.");
    assert!(browser.source().contains("New Identity"));

    // Back to the case page, the result of the login POST, and Reload: the token is sent
    // again, and must not open the case.
    back(&browser);
    resend(&browser);
    assert_refused_as_used(&browser);
}

#[test]
fn follow_up_and_language_switch_resent_from_history_do_nothing() {
    let deployment = common::Deployment::new();
    let server = deployment.start(&[]);
    let token = server.submit("history test: follow-up");
    let browser = Browser::start();
    log_in(&browser, &server, &token);

    // A follow-up, then Reload: not added twice, and the case is not shown.
    browser
        .find("form[action^='/case/messages'] textarea[name=body]")
        .type_text("only once");
    browser
        .find("form[action^='/case/messages'] button[type=submit]")
        .click();
    browser.find("p.notice");
    resend(&browser);
    assert_refused_as_used(&browser);
    let session = server.session(&token);
    let (_, case) = server.case(&session);
    assert_eq!(case["messages"].as_array().unwrap().len(), 2, "{case}");

    // The language switch, then Reload.
    log_in(&browser, &server, &token);
    browser.find("header nav button[lang=fr]").click();
    browser.find("html[lang=fr]");
    browser.find("#case-status");
    resend(&browser);
    let problem = browser.find("p.problem").text();
    assert!(problem.contains("déjà été utilisée"), "{problem}");
    assert!(!browser.source().contains("case-status"));
}
