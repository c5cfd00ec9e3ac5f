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

use std::fs::File;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// What to tell whoever runs the test on a machine without the browser.
const INSTALL_HINT: &str = "install Debian's chromium and chromium-driver; .ci/run does";
/// The key under which WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long to wait for an element or a page to show up after navigating or submitting.
const WAIT: Duration = Duration::from_secs(15);

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

/// A chromedriver process with one headless chromium session. Dropping it ends the
/// session and stops chromedriver, also when an assertion failed.
struct Browser {
    driver: Child,
    /// `http://127.0.0.1:PORT/session/ID`, or just the driver's base before the session.
    session: String,
    base: String,
    logs: tempfile::TempDir,
    profile: tempfile::TempDir,
}

/// An element of the current page.
struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Browser {
    fn start() -> Browser {
        for path in [CHROMIUM, CHROMEDRIVER] {
            assert!(Path::new(path).exists(), "{path} not found: {INSTALL_HINT}");
        }
        let port = free_port();
        let logs = tempfile::tempdir().unwrap();
        let log = |name: &str| Stdio::from(File::create(logs.path().join(name)).unwrap());
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(log("chromedriver.stdout"))
            .stderr(log("chromedriver.stderr"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {CHROMEDRIVER} ({e}): {INSTALL_HINT}"));
        let base = format!("http://127.0.0.1:{port}");
        let profile = tempfile::tempdir().unwrap();
        let mut browser = Browser {
            driver,
            session: String::new(),
            base,
            logs,
            profile,
        };
        browser.wait_until_ready();
        browser.new_session();
        browser
    }

    /// Polls chromedriver's `/status` until it says it is ready, for at most 20 seconds.
    fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let reply = agent().get(&format!("{}/status", self.base)).call();
            if let Ok(reply) = reply {
                let status: Value = reply.into_json().unwrap();
                if status["value"]["ready"] == true {
                    return;
                }
            }
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!("chromedriver exited ({status}): {}", self.logs());
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver not ready within 20 s: {}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn new_session(&mut self) {
        let profile = format!("--user-data-dir={}", self.profile.path().display());
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", profile,
                ],
                "prefs": {"profile.managed_default_content_settings.javascript": 2},
            },
            "timeouts": {"pageLoad": 30_000, "implicit": 0},
        }}});
        let reply = request(
            "POST",
            &format!("{}/session", self.base),
            Some(capabilities),
        )
        .unwrap_or_else(|e| panic!("cannot start chromium: {e}\n{}", self.logs()));
        let id = reply["sessionId"].as_str().expect("session id").to_owned();
        self.session = format!("{}/session/{id}", self.base);
    }

    fn logs(&self) -> String {
        let read =
            |name: &str| std::fs::read_to_string(self.logs.path().join(name)).unwrap_or_default();
        read("chromedriver.stdout") + &read("chromedriver.stderr")
    }

    /// A command on the session that must succeed; returns its `value`.
    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        request(method, &format!("{}{path}", self.session), body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path} failed: {e}"))
    }

    fn get(&self, path: &str) -> Value {
        self.command("GET", path, None)
    }

    fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({ "url": url })));
    }

    fn source(&self) -> String {
        self.get("/source").as_str().unwrap().to_owned()
    }

    fn find(&self, css: &str) -> Element<'_> {
        self.find_by("css selector", css)
    }

    /// Polls until one element matches, since a click may still be loading the next page.
    fn find_by(&self, using: &str, selector: &str) -> Element<'_> {
        let deadline = Instant::now() + WAIT;
        loop {
            let found = request(
                "POST",
                &format!("{}/element", self.session),
                Some(json!({ "using": using, "value": selector })),
            );
            match found {
                Ok(element) => {
                    let id = element[ELEMENT_KEY]
                        .as_str()
                        .expect("element id")
                        .to_owned();
                    return Element { browser: self, id };
                }
                Err(e) if Instant::now() > deadline => panic!(
                    "no element {using} {selector:?} within {WAIT:?} ({e}); page:\n{}",
                    self.source()
                ),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    fn wait_for_url_path(&self, path: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let url = self.get("/url");
            let url = url.as_str().unwrap();
            let after_host = url.splitn(4, '/').nth(3).unwrap_or("");
            let current = format!("/{}", after_host.split(['?', '#']).next().unwrap());
            if current == path {
                return;
            }
            assert!(Instant::now() < deadline, "still at {url}, expected {path}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The text of every message in the case conversation, oldest first.
    fn message_bodies(&self) -> Vec<String> {
        let found = self.command(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": "article.message > div.body"})),
        );
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let id = e[ELEMENT_KEY].as_str().unwrap().to_owned();
                Element { browser: self, id }.text()
            })
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = request("DELETE", &self.session, None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Element<'_> {
    fn path(&self, what: &str) -> String {
        format!("/element/{}/{what}", self.id)
    }

    fn click(&self) {
        self.browser
            .command("POST", &self.path("click"), Some(json!({})));
    }

    fn type_text(&self, text: &str) {
        self.browser
            .command("POST", &self.path("value"), Some(json!({ "text": text })));
    }

    fn text(&self) -> String {
        self.browser
            .get(&self.path("text"))
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn is_selected(&self) -> bool {
        self.browser.get(&self.path("selected")).as_bool().unwrap()
    }
}

/// A port that was free a moment ago on 127.0.0.1.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build()
}

/// One WebDriver request; the reply's `value`, or the WebDriver error as text.
fn request(method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
    let request = agent().request(method, url);
    let reply = match body {
        Some(body) => request.send_json(body),
        None => request.call(),
    };
    match reply {
        Ok(reply) => {
            let reply: Value = reply.into_json().map_err(|e| e.to_string())?;
            Ok(reply["value"].clone())
        }
        Err(ureq::Error::Status(code, reply)) => {
            // Keep WebDriver's error and the first line of its message, not its stack trace.
            let text = reply.into_string().unwrap_or_default();
            let error: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let message = error["value"]["message"].as_str().unwrap_or(&text);
            let first_line = message.lines().next().unwrap_or_default();
            Err(format!(
                "HTTP {code}: {}: {first_line}",
                error["value"]["error"]
            ))
        }
        Err(e) => Err(e.to_string()),
    }
}
