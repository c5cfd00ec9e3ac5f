//! Shared test harness: runs the real `quietline` binary on 127.0.0.1 with a temporary data
//! directory, captures its output to files, and talks to it over HTTP.
#![allow(dead_code)] // Each test file uses a different part of the harness.

pub mod accounts;
pub mod desk;
pub mod disk;
pub mod postgres;
pub mod smtp;
pub mod store;
pub mod webdriver;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use quietline::crypto::InvestigatorIdentity;
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_quietline");

/// Small argon2 settings so tests run fast; the production defaults are checked in a unit
/// test of `crypto::kdf`.
pub const FAST_KDF: &[&str] = &["--kdf-memory-kib", "256", "--kdf-iterations", "1"];

/// A data directory with one registered investigator, whose identity the test keeps.
pub struct Deployment {
    pub data: tempfile::TempDir,
    pub logs: tempfile::TempDir,
    pub investigator: InvestigatorIdentity,
    /// The enrolment secret of "ana" (used once, by [`Deployment::new`]).
    ana_secret: String,
    /// The database its store is in, if PostgreSQL (see `postgres.rs`); else sled in
    /// `data`.
    pub database: Option<String>,
}

impl Deployment {
    /// A deployment whose investigator "ana" has enrolled (through a first start of the
    /// service, with fast KDF settings): new cases are wrapped to enrolled investigators
    /// only, so a deployment without one accepts no report.
    pub fn new() -> Self {
        let deployment = Deployment::unenrolled();
        deployment.enrol_ana();
        deployment
    }

    /// Enrols "ana" with the secret her registration printed, on a server started for
    /// that alone.
    fn enrol_ana(&self) {
        let server = self.start(&[]);
        enrol_on(&server, "ana", &self.ana_secret);
        server.stop();
    }

    /// [`Deployment::new`] with its store in the PostgreSQL database at `url`.
    pub fn on_database(url: &str) -> Self {
        let deployment = Deployment::unenrolled_on(Some(url.to_owned()));
        deployment.enrol_ana();
        deployment
    }

    /// Another instance of this deployment: its own data directory and logs, the same
    /// database (PostgreSQL only).
    pub fn another_instance(&self) -> Self {
        assert!(self.database.is_some(), "only a PostgreSQL store is shared");
        Deployment {
            data: tempfile::tempdir().unwrap(),
            logs: tempfile::tempdir().unwrap(),
            investigator: InvestigatorIdentity::generate(),
            ana_secret: String::new(),
            database: self.database.clone(),
        }
    }

    /// `--database-url URL` of this deployment's database, if it has one.
    pub fn database_args(&self) -> Vec<String> {
        match &self.database {
            Some(url) => vec!["--database-url".into(), url.clone()],
            None => Vec::new(),
        }
    }

    /// A deployment whose investigator "ana" is registered but has not enrolled, and
    /// whose KDF settings are not fixed yet (the first start fixes them).
    pub fn unenrolled() -> Self {
        Deployment::unenrolled_on(None)
    }

    /// [`Deployment::unenrolled`] on the database at `url`, or else on the suite's
    /// backend.
    fn unenrolled_on(url: Option<String>) -> Self {
        let data = tempfile::tempdir().unwrap();
        let database = url.or_else(|| postgres::database_for(data.path()));
        let mut deployment = Deployment {
            data,
            logs: tempfile::tempdir().unwrap(),
            investigator: InvestigatorIdentity::generate(),
            ana_secret: String::new(),
            database,
        };
        let recipient = deployment.investigator.recipient().to_string();
        let out = deployment.admin(&[
            "add-investigator",
            "--name",
            "ana",
            "--recipient",
            &recipient,
        ]);
        assert!(out.status.success(), "add-investigator failed: {out:?}");
        deployment.ana_secret = printed_secret(&out);
        let out = deployment.admin(&[
            "confirm-recipient",
            "--fingerprint",
            &printed_fingerprint(&out),
        ]);
        assert!(out.status.success(), "confirm-recipient failed: {out:?}");
        deployment
    }

    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    pub fn admin(&self, args: &[&str]) -> std::process::Output {
        Command::new(BIN)
            .arg("admin")
            .arg(args[0])
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(self.database_args())
            .args(&args[1..])
            .output()
            .unwrap()
    }

    /// Starts `quietline serve` on this deployment with `extra` args, and fast KDF settings
    /// unless `extra` sets them.
    pub fn start(&self, extra: &[&str]) -> Server {
        Server::start_on(
            self.data_dir(),
            self.database.as_deref(),
            self.logs.path(),
            extra,
        )
    }
}

/// `--database-url URL` of the data directory's database when the suite runs on
/// PostgreSQL (see `postgres.rs`), else nothing: the store is sled in the directory.
pub fn database_args(data_dir: &Path) -> Vec<String> {
    match postgres::database_for(data_dir) {
        Some(url) => vec!["--database-url".into(), url],
        None => Vec::new(),
    }
}

/// Opens the store of a stopped deployment, on whichever backend the suite runs.
pub fn open_store(data_dir: &Path) -> Box<dyn quietline::store::Store> {
    use quietline::store::{DatabaseUrl, PgStore, SledStore};
    match postgres::database_for(data_dir) {
        Some(url) => Box::new(PgStore::open(&DatabaseUrl::parse(&url).unwrap()).unwrap()),
        None => Box::new(SledStore::open(data_dir).unwrap()),
    }
}

/// The deployment's token-check key, read from its store (or made there first, as the
/// service's first start would) while no server runs: tokens it issues pass the service's
/// keyed check, so they go on to argon2 as real tokens do.
pub fn token_check_key(data_dir: &Path) -> quietline::crypto::TokenCheckKey {
    open_store(data_dir)
        .init_token_key(quietline::crypto::TokenCheckKey::generate(false))
        .unwrap()
}

/// The enrolment secret `admin add-investigator` printed.
pub fn printed_secret(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("enrolment secret: "))
        .expect("add-investigator prints the enrolment secret")
        .to_owned()
}

/// The recipient fingerprint `admin add-investigator` or `set-recovery-recipient`
/// printed.
pub fn printed_fingerprint(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint: "))
        .expect("the admin command prints the recipient's fingerprint")
        .to_owned()
}

/// Confirms on the host the recipient an admin command just proposed, as a deployment
/// with a single administrator does (`admin confirm-recipient --fingerprint`): new cases
/// are wrapped to a recipient only once it is confirmed.
pub fn confirm_on_host(data: &Path, proposed: &std::process::Output) {
    let out = Command::new(BIN)
        .args(["admin", "confirm-recipient", "--data-dir"])
        .arg(data)
        .args(database_args(data))
        .args(["--fingerprint", &printed_fingerprint(proposed)])
        .output()
        .unwrap();
    assert!(out.status.success(), "confirm-recipient failed: {out:?}");
}

/// Enrols a registered investigator on a server started for that alone: new cases are
/// wrapped to enrolled investigators only, so a deployment needs one to take reports.
pub fn enrol_on_own_start(data: &Path, logs: &Path, name: &str, secret: &str) {
    let server = Server::start(data, logs, &[]);
    enrol_on(&server, name, secret);
    server.stop();
}

/// Enrols a registered investigator on a running server.
pub fn enrol_on(server: &Server, name: &str, secret: &str) {
    let (status, reply) = server.post_json(
        "/api/v1/investigator/enrol",
        &serde_json::json!({"name": name, "enrolment_secret": secret, "password": accounts::PASSWORD}),
    );
    assert_eq!(status, 200, "{reply}");
    let mut app = accounts::Authenticator::new(reply["totp_secret"].as_str().unwrap());
    let code = app.next_code();
    let (status, reply) = server.post_json(
        "/api/v1/investigator/enrol/confirm",
        &serde_json::json!({"name": name, "enrolment_secret": secret, "code": code}),
    );
    assert_eq!(status, 204, "{reply}");
}

/// A running `quietline serve`. Killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

impl Server {
    /// Starts `quietline serve` on `data_dir`, and on the suite's database for it when
    /// the suite runs on PostgreSQL.
    pub fn start(data_dir: &Path, log_dir: &Path, extra: &[&str]) -> Server {
        let database = postgres::database_for(data_dir);
        Server::start_on(data_dir, database.as_deref(), log_dir, extra)
    }

    /// Starts `quietline serve` on `data_dir`, with its store in `database` if given.
    pub fn start_on(
        data_dir: &Path,
        database: Option<&str>,
        log_dir: &Path,
        extra: &[&str],
    ) -> Server {
        let n = std::fs::read_dir(log_dir).map(|d| d.count()).unwrap_or(0);
        let stdout = log_dir.join(format!("serve-{n}.stdout"));
        let stderr = log_dir.join(format!("serve-{n}.stderr"));
        let kdf: &[&str] = if extra.contains(&"--kdf-memory-kib") {
            &[]
        } else {
            FAST_KDF
        };
        let child = Command::new(BIN)
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data_dir)
            .args(
                database
                    .map(|url| ["--database-url", url])
                    .into_iter()
                    .flatten(),
            )
            .args(kdf)
            .args(extra)
            .env("QUIETLINE_LOG", "trace")
            .stdout(Stdio::from(File::create(&stdout).unwrap()))
            .stderr(Stdio::from(File::create(&stderr).unwrap()))
            .spawn()
            .unwrap();
        let mut server = Server {
            child,
            base: String::new(),
            stdout,
            stderr,
        };
        server.base = server.wait_for_address();
        server
    }

    /// Polls the server's stdout for the address it bound, for at most 20 seconds.
    fn wait_for_address(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = std::fs::read_to_string(&self.stdout).unwrap_or_default();
            if let Some(rest) = out.split("listening on ").nth(1) {
                return rest.lines().next().unwrap().trim().to_owned();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "server exited ({status}) before listening: {}",
                    std::fs::read_to_string(&self.stderr).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "server did not start within 20 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server the hard way (SIGKILL), as a crash or power cut would.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Asks the server to stop (SIGTERM) and waits up to 20 s for it to exit.
    pub fn stop(self) {
        self.stop_with_status();
    }

    /// Stops the server with SIGTERM, as [`Server::stop`], and gives its exit status.
    pub fn stop_with_status(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn logs(&self) -> String {
        let out = std::fs::read_to_string(&self.stdout).unwrap_or_default();
        let err = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        out + &err
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that never follows redirects and gives up after 30 s.
pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .redirects(0)
        .build()
}

/// Status and body of a response, whatever the status.
pub fn read(result: Result<ureq::Response, ureq::Error>) -> (u16, String) {
    let (status, _, body) = read_with_retry_after(result);
    (status, body)
}

/// Status, Retry-After header and body of a response, whatever the status.
pub fn read_with_retry_after(
    result: Result<ureq::Response, ureq::Error>,
) -> (u16, Option<String>, String) {
    let response = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let retry_after = response.header("Retry-After").map(str::to_owned);
    (
        response.status(),
        retry_after,
        response.into_string().unwrap(),
    )
}

/// The single-use nonce of the reporter form on `page`.
pub fn form_nonce_in(page: &str) -> String {
    page.split("name=\"once\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no form nonce: {page}"))
        .to_owned()
}

pub fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

impl Server {
    pub fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let (status, text) = read(agent().post(&self.url(path)).send_json(body.clone()));
        (
            status,
            if text.is_empty() {
                Value::Null
            } else {
                json(&text)
            },
        )
    }

    pub fn submit(&self, body: &str) -> String {
        let (status, reply) = self.post_json(
            "/api/v1/reports",
            &serde_json::json!({"body": body, "category": "coercion_or_threat", "urgent": false}),
        );
        assert_eq!(status, 201, "{reply}");
        reply["token"].as_str().unwrap().to_owned()
    }

    pub fn session(&self, token: &str) -> String {
        let (status, reply) = self.post_json(
            "/api/v1/case/session",
            &serde_json::json!({ "token": token }),
        );
        assert_eq!(status, 200, "{reply}");
        reply["session"].as_str().unwrap().to_owned()
    }

    pub fn case(&self, session: &str) -> (u16, Value) {
        let (status, text) = read(
            agent()
                .get(&self.url("/api/v1/case"))
                .set("Authorization", &format!("Bearer {session}"))
                .call(),
        );
        (status, json(&text))
    }

    /// The single-use nonce of the page form at `path` (GET), which a POST of that form
    /// must carry.
    pub fn form_nonce(&self, path: &str) -> String {
        let (status, page) = read(agent().get(&self.url(path)).call());
        assert_eq!(status, 200, "{page}");
        form_nonce_in(&page)
    }

    pub fn follow_up(&self, session: &str, body: &str) -> u16 {
        read(
            agent()
                .post(&self.url("/api/v1/case/messages"))
                .set("Authorization", &format!("Bearer {session}"))
                .send_json(serde_json::json!({ "body": body })),
        )
        .0
    }
}

/// Posts a report through the API with one evidence file (`ledger.bin`); its status and
/// answer.
pub fn post_report_with_file(server: &Server, body: &str, file: &[u8]) -> (u16, Value) {
    let form = multipart(
        &[
            ("body", body),
            ("category", "coercion_or_threat"),
            ("urgent", "false"),
        ],
        &[Evidence {
            name: "ledger.bin",
            content_type: "application/octet-stream",
            bytes: file,
        }],
    );
    let (status, text) = read(
        agent()
            .post(&server.url("/api/v1/reports"))
            .set("Content-Type", &multipart_type())
            .send_bytes(&form),
    );
    (status, json(&text))
}

/// One evidence file of a form: its name, the content type a browser would declare, its
/// bytes.
pub struct Evidence<'a> {
    pub name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

pub const BOUNDARY: &str = "----quietline-test-boundary-7f3a";

/// The Content-Type of bodies made by [`multipart`].
pub fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// A multipart/form-data body as the reporter forms send one: text `fields`, then one
/// `evidence` part per file, written out by hand (ureq 2 has no multipart builder).
pub fn multipart(fields: &[(&str, &str)], files: &[Evidence]) -> Vec<u8> {
    use std::io::Write;
    let mut body = Vec::new();
    for (name, value) in fields {
        write!(
            body,
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
        .unwrap();
    }
    for file in files {
        write!(
            body,
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"evidence\"; \
             filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            file.name, file.content_type
        )
        .unwrap();
        body.extend_from_slice(file.bytes);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{BOUNDARY}--\r\n").unwrap();
    body
}

/// Whether `needle` occurs in `haystack` (a page, a stored file, a download).
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// Today as the service writes it (UTC).
pub fn today() -> String {
    let out = Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}
