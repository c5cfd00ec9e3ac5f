//! The investigator's side of the harness: a passphrase-protected identity file, the real
//! `quietline enrol` and `quietline desk` processes fed on standard input (with codes from
//! `accounts::Authenticator`), an HTTP client of the desk that holds its
//! access cookie like a browser, and reports carrying evidence files for the desk to list.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

use quietline::crypto::InvestigatorIdentity;
use quietline::crypto::identity_file::{self, ScryptWork};

use super::accounts::Authenticator;
use super::{BIN, Server, agent, json, read};

pub const PASSPHRASE: &str = "identity passphrase for tests";
pub const PASSWORD: &str = "a long desk password";

/// Writes `identity` as `quietline keygen` would (`crypto::identity_file`), with the
/// smallest scrypt work factor to keep tests quick; keygen uses age's calibration.
pub fn write_identity_file(identity: &InvestigatorIdentity, passphrase: &str, path: &Path) {
    let sealed = identity_file::seal(identity, passphrase, ScryptWork::LogN(2)).unwrap();
    std::fs::write(path, sealed).unwrap();
}

/// Runs `quietline enrol` as a new investigator would, answering its prompts on standard
/// input: the enrolment secret, the password, then a code for the TOTP secret it prints.
pub fn enrol(server: &Server, name: &str, enrolment_secret: &str) -> Authenticator {
    let mut child = Command::new(BIN)
        .args(["enrol", "--server", &server.base, "--name", name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{enrolment_secret}\n{PASSWORD}").unwrap();

    let lines = lines_of(child.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    let secret = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                if let Some(secret) = line.strip_prefix("TOTP secret: ") {
                    break secret.trim().to_owned();
                }
            }
            Err(_) => panic!("enrol printed no TOTP secret: {}", finish(child)),
        }
    };
    let mut authenticator = Authenticator::new(&secret);
    writeln!(stdin, "{}", authenticator.fresh_code()).unwrap();
    drop(stdin);
    let output = finish(child);
    assert!(
        output.starts_with("exit status: 0"),
        "enrol failed: {output}"
    );
    // The process has exited: the reader thread ends at the end of its output.
    let rest: Vec<String> =
        std::iter::from_fn(|| lines.recv_timeout(Duration::from_secs(5)).ok()).collect();
    assert!(
        rest.iter().any(|l| l.contains("Enrolment complete")),
        "enrol did not confirm: {rest:?} {output}"
    );
    authenticator
}

/// Lines of a pipe, read on a thread so that the test can wait with a deadline.
fn lines_of(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Waits (at most 30 s) for a child to exit; its status and standard error.
fn finish(mut child: Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
    }
    format!("{status}\n{stderr}")
}

/// A running `quietline desk`. Killed when dropped.
pub struct Desk {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The printed entry address, with the access key.
    pub entry: String,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
    /// The desk's working, home and temporary directory: it must stay empty.
    pub home: tempfile::TempDir,
    /// The access cookie, once `open` has spent the entry address (it works once).
    cookie: OnceLock<String>,
}

impl Desk {
    /// Starts the desk against `server` and answers its three prompts (identity
    /// passphrase, password, code) on standard input.
    pub fn start(
        server: &Server,
        identity_file: &Path,
        name: &str,
        authenticator: &mut Authenticator,
        log_dir: &Path,
    ) -> Desk {
        let home = tempfile::tempdir().unwrap();
        let stdout = log_dir.join(format!("desk-{name}.stdout"));
        let stderr = log_dir.join(format!("desk-{name}.stderr"));
        let mut child = Command::new(BIN)
            .args(["desk", "--server", &server.base, "--name", name])
            .arg("--identity")
            .arg(identity_file)
            .args(["--listen", "127.0.0.1:0"])
            .current_dir(home.path())
            .env("HOME", home.path())
            .env("TMPDIR", home.path())
            .env("QUIETLINE_LOG", "trace")
            .stdin(Stdio::piped())
            .stdout(Stdio::from(File::create(&stdout).unwrap()))
            .stderr(Stdio::from(File::create(&stderr).unwrap()))
            .spawn()
            .unwrap();
        let code = authenticator.fresh_code();
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{PASSPHRASE}\n{PASSWORD}\n{code}").unwrap();
        drop(stdin);
        let mut desk = Desk {
            child,
            base: String::new(),
            entry: String::new(),
            stdout,
            stderr,
            home,
            cookie: OnceLock::new(),
        };
        desk.entry = desk.wait_for_entry();
        let rest = desk.entry.trim_start_matches("http://");
        desk.base = format!("http://{}", rest.split('/').next().unwrap());
        desk
    }

    /// Polls the desk's stdout for its entry address, for at most 30 seconds (it decrypts
    /// the identity and logs in first).
    fn wait_for_entry(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = std::fs::read_to_string(&self.stdout).unwrap_or_default();
            if let Some(rest) = out.split("desk listening on ").nth(1) {
                return rest.lines().next().unwrap().trim().to_owned();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("desk exited ({status}) before listening: {}", self.logs());
            }
            assert!(
                Instant::now() < deadline,
                "desk did not start within 30 s: {}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The desk's process id, to read its memory use from /proc.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn logs(&self) -> String {
        let out = std::fs::read_to_string(&self.stdout).unwrap_or_default();
        let err = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        out + &err
    }

    /// Waits up to 20 s for the desk to exit on its own; its exit status.
    pub fn wait_for_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "desk did not stop within 20 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Visits the entry address and keeps the cookie it sets, as the browser would. The
    /// address works once: later calls hand out the same cookie.
    pub fn open(&self) -> DeskBrowser {
        let cookie = self.cookie.get_or_init(|| {
            let response = super::agent().get(&self.entry).call().unwrap();
            assert_eq!(response.status(), 303, "the entry address should redirect");
            assert_eq!(response.header("location"), Some("/"));
            let set_cookie = response.header("set-cookie").unwrap().to_owned();
            assert!(
                set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
                "{set_cookie}"
            );
            set_cookie.split(';').next().unwrap().to_owned()
        });
        self.browser_with(cookie.clone())
    }

    /// A client holding `cookie` (`NAME=VALUE`), such as one a real browser was given.
    pub fn browser_with(&self, cookie: String) -> DeskBrowser {
        DeskBrowser {
            base: self.base.clone(),
            cookie,
        }
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client of the desk holding its access cookie.
pub struct DeskBrowser {
    pub base: String,
    pub cookie: String,
}

impl DeskBrowser {
    /// Status and body of a GET.
    pub fn get(&self, path: &str) -> (u16, String) {
        read(
            super::agent()
                .get(&format!("{}{path}", self.base))
                .set("Cookie", &self.cookie)
                .call(),
        )
    }

    /// Posts a form as the desk's pages do; the status and the redirect target.
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let result = super::agent()
            .post(&format!("{}{path}", self.base))
            .set("Cookie", &self.cookie)
            .set("Origin", &self.base)
            .set("Sec-Fetch-Site", "same-origin")
            .send_form(fields);
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("request failed: {e}"),
        };
        let status = response.status();
        let location = response.header("location").unwrap_or_default().to_owned();
        let body = response.into_string().unwrap_or_default();
        (status, if status == 303 { location } else { body })
    }

    /// A GET whose response the test reads itself (headers, a streamed body), whatever
    /// its status.
    pub fn fetch(&self, path: &str) -> ureq::Response {
        let result = super::agent()
            .get(&format!("{}{path}", self.base))
            .set("Cookie", &self.cookie)
            .call();
        match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("request failed: {e}"),
        }
    }
}

pub use super::Evidence;

/// Submits a report with files as the reporter API takes one (multipart/form-data). The
/// status and the JSON answer.
pub fn submit_with_evidence(
    server: &Server,
    fields: &[(&str, &str)],
    files: &[Evidence],
) -> (u16, serde_json::Value) {
    let (status, text) = read(
        agent()
            .post(&server.url("/api/v1/reports"))
            .set("Content-Type", &super::multipart_type())
            .send_bytes(&super::multipart(fields, files)),
    );
    (status, json(&text))
}

/// Every case id a desk page links to, in page order.
pub fn case_ids(html: &str) -> Vec<String> {
    html.split("href=\"/cases/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|id| id.len() == 32)
        .map(str::to_owned)
        .collect()
}
