//! A real browser for page tests: Debian's headless chromium driven by chromedriver over
//! W3C WebDriver (plain HTTP JSON on 127.0.0.1), with JavaScript turned off by preference.
//! Shared by the reporter journey (tests/browser.rs) and the desk (tests/desk_browser.rs).

use std::fs::File;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// What to tell whoever runs the test on a machine without the browser.
pub const INSTALL_HINT: &str = "install Debian's chromium and chromium-driver; .ci/run does";
/// The key under which WebDriver returns an element reference.
pub const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long to wait for an element or a page to show up after navigating or submitting.
pub const WAIT: Duration = Duration::from_secs(15);

/// A chromedriver process with one headless chromium session. Dropping it ends the
/// session and stops chromedriver, also when an assertion failed.
pub struct Browser {
    driver: Child,
    /// `http://127.0.0.1:PORT/session/ID`, or just the driver's base before the session.
    session: String,
    base: String,
    logs: tempfile::TempDir,
    profile: tempfile::TempDir,
}

/// An element of the current page.
pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Browser {
    pub fn start() -> Browser {
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

    pub fn logs(&self) -> String {
        let read =
            |name: &str| std::fs::read_to_string(self.logs.path().join(name)).unwrap_or_default();
        read("chromedriver.stdout") + &read("chromedriver.stderr")
    }

    /// A command on the session that must succeed; returns its `value`.
    pub fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        request(method, &format!("{}{path}", self.session), body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path} failed: {e}"))
    }

    pub fn get(&self, path: &str) -> Value {
        self.command("GET", path, None)
    }

    pub fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn source(&self) -> String {
        self.get("/source").as_str().unwrap().to_owned()
    }

    pub fn find(&self, css: &str) -> Element<'_> {
        self.find_by("css selector", css)
    }

    /// Polls until one element matches, since a click may still be loading the next page.
    pub fn find_by(&self, using: &str, selector: &str) -> Element<'_> {
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

    pub fn wait_for_url_path(&self, path: &str) {
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

    /// The text of every element matching `css`, in page order.
    pub fn texts(&self, css: &str) -> Vec<String> {
        let found = self.command(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
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

    pub fn click(&self) {
        self.browser
            .command("POST", &self.path("click"), Some(json!({})));
    }

    pub fn type_text(&self, text: &str) {
        self.browser
            .command("POST", &self.path("value"), Some(json!({ "text": text })));
    }

    pub fn text(&self) -> String {
        self.browser
            .get(&self.path("text"))
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn is_selected(&self) -> bool {
        self.browser.get(&self.path("selected")).as_bool().unwrap()
    }
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build()
}

/// One WebDriver request; the reply's `value`, or the WebDriver error as text.
pub fn request(method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
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
