//! Holds the real `quietline serve` (release build, production argon2 parameters) under the
//! floods an attacker can start from anywhere (issue 10), one after the other, and prints
//! what a reporter and an investigator then get, and how much memory the service takes:
//!
//! - p50/p99 of a real report submission and a real token login, quiet and then while each
//!   [`Flood`] runs: guessed-token logins, stalled uploads, slow headers (slowloris), and
//!   one token logging in over and over, and one upload trickling 4 KiB/s per upload slot;
//!   a submission with a small evidence file, quiet and under stalled or trickling uploads
//!   (they take the upload slots);
//! - investigator logins during the login flood (their own argon2 workers: never 503);
//! - the service's peak RSS (VmHWM) after each flood, and with 1, 8 and 64 concurrent
//!   clients submitting reports on a fresh service;
//! - every response that is none of 2xx, 401, 413, 429 or 503 with Retry-After.
//!
//! Counts and durations are bounded; it takes about four minutes. Each flood runs in a
//! child process at low priority (see [`FloodProcess`]); `QUIETLINE_FLOOD_NICE=0` runs it
//! at the service's priority instead. `QUIETLINE_FLOOD_BIN=/path/to/quietline` measures
//! another build of the service (for before/after figures).
//! Run with `cargo bench --bench flood`.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use quietline::crypto::CaseToken;
use serde_json::json;

/// Sequential requests measured for each figure...
const SAMPLES: usize = 100;
/// ...unless they take longer than this (quiet); the row then shows fewer.
const FIGURE_LIMIT: Duration = Duration::from_secs(30);
/// Under a flood, the requests of each figure are spread over at least this long, so that
/// every flood outlasts the service's header (15 s) and body idle (30 s) timeouts and
/// what it re-opens is measured too...
const FLOOD_SPREAD: Duration = Duration::from_secs(36);
/// ...and stop after this long, whatever the count.
const FLOOD_FIGURES_LIMIT: Duration = Duration::from_secs(75);
/// Time a flood runs before its figures are taken, so that they see it at full strength.
const FLOOD_WARM_UP: Duration = Duration::from_secs(3);
/// The longest a flood process runs, whatever happens to the bench.
const FLOOD_LIMIT: Duration = Duration::from_secs(150);
/// How long each memory measurement keeps its clients busy.
const MEMORY_RUN: Duration = Duration::from_secs(4);
/// Declared size of a stalled upload: far more than it ever sends.
const STALLED_CONTENT_LENGTH: usize = 10_000_000;
/// Bytes of file a stalled upload sends before it stops.
const STALLED_FILE_BYTES: usize = 100;
/// A slow-headers connection sends one byte of its headers this often.
const SLOW_HEADER_INTERVAL: Duration = Duration::from_secs(3);
/// A trickling upload sends this many bytes of its file this often: 4 KiB/s, twice the
/// service's minimum rate.
const TRICKLE_BYTES: usize = 1024;
const TRICKLE_INTERVAL: Duration = Duration::from_millis(250);
/// How often a raw connection looks at the stop flag while it waits.
const RAW_POLL: Duration = Duration::from_millis(500);
/// The evidence file of a measured submission with a file.
const EVIDENCE_BYTES: usize = 4096;
const BOUNDARY: &str = "----quietline-flood-boundary-5c1e";
/// Goals of issue 10.
const FLOOD_P99_FACTOR: f64 = 3.0;
const PEAK_RSS_GOAL_MIB: f64 = 64.0;

/// The floods of issue 10, each from loopback in a process of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flood {
    /// HTTP clients sending guessed tokens to the login as fast as they can: each costs
    /// the service an argon2 derivation.
    Logins,
    /// Raw connections that start a multipart upload with a file, send 100 bytes of it and
    /// then nothing; re-opened as the service closes them.
    StalledUploads,
    /// Raw connections that send a request's headers one byte every few seconds
    /// (slowloris); re-opened as the service closes them.
    SlowHeaders,
    /// One real token (submitted by the flood itself) logging in again and again from a
    /// few clients: each login ends the token's previous session.
    SessionLoop,
    /// One upload with a file per upload slot, each trickling [`TRICKLE_BYTES`] every
    /// [`TRICKLE_INTERVAL`] (above the service's minimum rate), re-opened when cut.
    Trickles,
}

impl Flood {
    const ALL: [Flood; 5] = [
        Flood::Logins,
        Flood::StalledUploads,
        Flood::SlowHeaders,
        Flood::SessionLoop,
        Flood::Trickles,
    ];

    /// The mode argument of the `flood-client` process.
    fn name(self) -> &'static str {
        match self {
            Flood::Logins => "logins",
            Flood::StalledUploads => "stalled-uploads",
            Flood::SlowHeaders => "slow-headers",
            Flood::SessionLoop => "session-loop",
            Flood::Trickles => "trickles",
        }
    }

    fn parse(name: &str) -> Option<Flood> {
        Flood::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Clients (threads, or raw connections) of the flood.
    fn clients(self) -> usize {
        match self {
            Flood::Logins => 100,
            Flood::StalledUploads | Flood::SlowHeaders => 300,
            Flood::SessionLoop => 8,
            // `--max-uploads`' default: every slot.
            Flood::Trickles => 16,
        }
    }

    fn describe(self) -> String {
        let n = self.clients();
        match self {
            Flood::Logins => format!("{n} clients sending guessed tokens (shaped like real ones)"),
            Flood::StalledUploads => {
                format!("{n} connections, each an upload stalled after {STALLED_FILE_BYTES} bytes")
            }
            Flood::SlowHeaders => format!(
                "{n} connections, each sending a header byte every {} s",
                SLOW_HEADER_INTERVAL.as_secs()
            ),
            Flood::SessionLoop => format!("{n} clients logging in with one real token"),
            Flood::Trickles => format!(
                "{n} uploads (every slot), each trickling {} KiB/s",
                TRICKLE_BYTES as f64 / 1024.0 / TRICKLE_INTERVAL.as_secs_f64()
            ),
        }
    }
}

fn binary() -> String {
    std::env::var("QUIETLINE_FLOOD_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_quietline").into())
}

/// A running `quietline serve` on a fresh data directory with one investigator. Killed when
/// dropped.
struct Server {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        // New cases are wrapped only to enrolled investigators; a demo's throwaway one
        // takes reports without an enrolment. Its identity file is written beside the
        // data directory, so both live in one temporary directory.
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(binary())
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data.path().join("data"))
            .env("QUIETLINE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = listening_address(&mut child);
        // The demo writes its identity file under an age passphrase (scrypt, hundreds of
        // MiB) at start: reset the peak (Linux's clear_refs "5") so that VmHWM measures
        // the service under load, not that.
        let reset = std::fs::write(format!("/proc/{}/clear_refs", child.id()), "5");
        assert!(reset.is_ok(), "could not reset the peak RSS: {reset:?}");
        Server {
            child,
            base,
            _data: data,
        }
    }

    fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the service is running");
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/PID/status");
        kib / 1024.0
    }

    fn descriptor_limit(&self) -> String {
        descriptor_limit(&format!("/proc/{}/limits", self.child.id()))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The soft "Max open files" limit in a `/proc/PID/limits` file (what `ulimit -n` says).
fn descriptor_limit(limits: &str) -> String {
    std::fs::read_to_string(limits)
        .ok()
        .and_then(|l| {
            l.lines()
                .find_map(|l| l.strip_prefix("Max open files"))
                .and_then(|v| v.split_whitespace().next().map(str::to_owned))
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Reads the service's stdout until it prints the address it bound (20 s at most).
fn listening_address(child: &mut Child) -> String {
    let (found, address) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on ").nth(1) {
                let _ = found.send(rest.trim().to_owned());
            }
        }
    });
    address
        .recv_timeout(Duration::from_secs(20))
        .expect("the service did not start within 20 s")
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .redirects(0)
        .build()
}

/// Responses that a client may get under load; anything else is counted as unexpected.
#[derive(Default)]
struct Tally {
    by_status: Mutex<std::collections::BTreeMap<u16, usize>>,
    unexpected: AtomicUsize,
    /// Raw floods: connections opened...
    opened: AtomicUsize,
    /// ...and closed by the service (or reset) without an answer.
    unanswered: AtomicUsize,
    /// HTTP clients: requests that got no response, by kind of failure.
    failures: Mutex<std::collections::BTreeMap<String, usize>>,
}

impl Tally {
    /// Status and body of a response, counted.
    fn read(&self, result: Result<ureq::Response, ureq::Error>) -> (u16, String) {
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(failure)) => {
                self.unexpected.fetch_add(1, Ordering::Relaxed);
                let why = match std::error::Error::source(&failure) {
                    Some(cause) => format!("{}: {cause}", failure.kind()),
                    None => failure.kind().to_string(),
                };
                *self.failures.lock().unwrap().entry(why).or_default() += 1;
                return (0, String::new());
            }
        };
        let status = response.status();
        self.count(status, response.header("Retry-After").is_some(), &[]);
        (status, response.into_string().unwrap_or_default())
    }

    /// Counts a status; `also_expected` are statuses that are right for this client
    /// though not in the goal's list (408 for a body that stalled).
    fn count(&self, status: u16, retry_after: bool, also_expected: &[u16]) {
        let expected = match status {
            200..=299 | 401 | 413 | 429 => true,
            503 => retry_after,
            _ => also_expected.contains(&status),
        };
        if !expected {
            self.unexpected.fetch_add(1, Ordering::Relaxed);
        }
        *self.by_status.lock().unwrap().entry(status).or_default() += 1;
    }

    fn unexpected(&self) -> usize {
        self.unexpected.load(Ordering::Relaxed)
    }
}

/// Latencies (of the requests that got `want`) and how many got something else.
struct Sample {
    took: Vec<Duration>,
    refused: usize,
}

impl Sample {
    fn new() -> Sample {
        Sample {
            took: Vec::new(),
            refused: 0,
        }
    }

    /// Times one request, which should get `want`.
    fn take(&mut self, want: u16, request: impl FnOnce() -> u16) {
        let start = Instant::now();
        if request() == want {
            self.took.push(start.elapsed());
        } else {
            self.refused += 1;
        }
    }

    fn percentile(&self, p: f64) -> Option<Duration> {
        let mut took = self.took.clone();
        took.sort();
        let rank = ((p * took.len() as f64).ceil() as usize).max(1);
        took.get(rank - 1).copied()
    }

    /// This sample's p99 over `quiet`'s, infinite if any request was refused.
    fn factor(&self, quiet: &Sample) -> f64 {
        match (self.percentile(0.99), quiet.percentile(0.99)) {
            (Some(f), Some(q)) if self.refused == 0 => f.as_secs_f64() / q.as_secs_f64(),
            _ => f64::INFINITY,
        }
    }

    fn row(&self, what: &str, quiet: Option<&Sample>) -> String {
        let ms = |d: Option<Duration>| {
            d.map(|d| format!("{:.1}", d.as_secs_f64() * 1e3))
                .unwrap_or_else(|| "-".into())
        };
        let factor = quiet.map_or(String::new(), |q| {
            let f = self.factor(q);
            if f.is_finite() {
                format!("{f:.2}x")
            } else {
                "refused".into()
            }
        });
        format!(
            "{what:<46} {:>5} {:>9} {:>9} {:>8} {:>9}",
            self.took.len(),
            ms(self.percentile(0.5)),
            ms(self.percentile(0.99)),
            self.refused,
            factor
        )
    }
}

/// Up to [`SAMPLES`] sequential requests, within [`FIGURE_LIMIT`].
fn measure(want: u16, mut request: impl FnMut() -> u16) -> Sample {
    let mut sample = Sample::new();
    let until = Instant::now() + FIGURE_LIMIT;
    for _ in 0..SAMPLES {
        if Instant::now() >= until {
            break;
        }
        sample.take(want, &mut request);
    }
    sample
}

fn submit(base: &str, tally: &Tally, agent: &ureq::Agent, tokens: &mut Vec<String>) -> u16 {
    let (status, body) = tally.read(agent.post(&format!("{base}/api/v1/reports")).send_json(
        json!({"body": "a report of about a hundred bytes, as a short first message would be written", "category": "coercion_or_threat", "urgent": false}),
    ));
    if status == 201 {
        let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
        tokens.push(reply["token"].as_str().unwrap().to_owned());
    }
    status
}

/// A report with one small file, as multipart/form-data: it needs an upload slot.
fn submit_with_file(base: &str, tally: &Tally, agent: &ureq::Agent) -> u16 {
    let mut body = Vec::new();
    for (name, value) in [
        ("body", "a report with the photo of a note"),
        ("category", "coercion_or_threat"),
    ] {
        write!(
            body,
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
        .unwrap();
    }
    write!(
        body,
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"note.txt\"\r\nContent-Type: text/plain\r\n\r\n"
    )
    .unwrap();
    body.extend(std::iter::repeat_n(b'a', EVIDENCE_BYTES));
    write!(body, "\r\n--{BOUNDARY}--\r\n").unwrap();
    let request = agent.post(&format!("{base}/api/v1/reports")).set(
        "Content-Type",
        &format!("multipart/form-data; boundary={BOUNDARY}"),
    );
    tally.read(request.send_bytes(&body)).0
}

/// A token login; the session it opens is ended (untimed) so that sessions do not pile up.
fn log_in(base: &str, tally: &Tally, agent: &ureq::Agent, token: &str) -> u16 {
    let url = format!("{base}/api/v1/case/session");
    let (status, body) = tally.read(agent.post(&url).send_json(json!({ "token": token })));
    if status == 200 {
        let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
        let session = reply["session"].as_str().unwrap_or_default();
        let _ = agent
            .delete(&url)
            .set("Authorization", &format!("Bearer {session}"))
            .call();
    }
    status
}

/// A failed investigator login: the same argon2 check as a real one, under a new name each
/// time so that the per-name throttle does not answer instead.
fn investigator_log_in(base: &str, tally: &Tally, agent: &ureq::Agent, n: usize) -> u16 {
    let url = format!("{base}/api/v1/investigator/login");
    let wrong = json!({"name": format!("nobody{n}"), "password": "not the password at all", "code": "000000"});
    tally.read(agent.post(&url).send_json(wrong)).0
}

/// `clients` threads, each running a client made by `make` (in this thread) over and over
/// until `stop` is set or `until` passes.
fn spawn_clients<C: FnMut() + Send + 'static>(
    clients: usize,
    stop: &Arc<AtomicBool>,
    until: Instant,
    make: impl Fn() -> C,
) -> Vec<thread::JoinHandle<()>> {
    (0..clients)
        .map(|_| {
            let (stop, mut client) = (stop.clone(), make());
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) && Instant::now() < until {
                    client();
                }
            })
        })
        .collect()
}

/// `clients` threads sending guessed tokens until `stop` is set or `until` passes.
fn flood(
    base: &str,
    tally: &Arc<Tally>,
    clients: usize,
    stop: &Arc<AtomicBool>,
    until: Instant,
) -> Vec<thread::JoinHandle<()>> {
    // Guesses take the shape of the tokens the service issues (24 symbols with the token
    // check, 20 before it), as an attacker's would: one report shows it.
    let mut tokens = Vec::new();
    while tokens.is_empty() && Instant::now() < until {
        submit(base, tally, &agent(), &mut tokens);
    }
    let symbols = tokens
        .pop()
        .map_or(20, |token| token.chars().filter(|c| *c != '-').count());
    let url = format!("{base}/api/v1/case/session");
    spawn_clients(clients, stop, until, || {
        let (url, tally, agent) = (url.clone(), tally.clone(), agent());
        move || {
            let guess = guessed_token(symbols);
            tally.read(agent.post(&url).send_json(json!({ "token": guess })));
        }
    })
}

/// A random token of `symbols` symbols (20 or more), grouped by four.
fn guessed_token(symbols: usize) -> String {
    let mut guess = CaseToken::generate().grouped().to_string();
    if symbols > 20 {
        let more = CaseToken::generate().grouped();
        guess.push('-');
        guess.push_str(&more[..symbols - 20]);
    }
    guess
}

/// `clients` threads logging in with one real token, never ending the sessions.
fn session_loop(
    base: &str,
    tally: &Arc<Tally>,
    clients: usize,
    stop: &Arc<AtomicBool>,
    until: Instant,
) -> Vec<thread::JoinHandle<()>> {
    let mut tokens = Vec::new();
    while tokens.is_empty() && Instant::now() < until {
        submit(base, tally, &agent(), &mut tokens);
    }
    let token = tokens.pop().expect("the flood could not submit its report");
    let url = format!("{base}/api/v1/case/session");
    spawn_clients(clients, stop, until, || {
        let (url, tally, agent) = (url.clone(), tally.clone(), agent());
        let login = json!({ "token": token });
        move || {
            tally.read(agent.post(&url).send_json(&login));
        }
    })
}

/// How a raw connection goes on after its opening: `bytes` bytes of `cycle` (in turn)
/// every `every`; nothing if `cycle` is empty.
#[derive(Clone, Copy)]
struct Drip {
    cycle: &'static [u8],
    bytes: usize,
    every: Duration,
}

/// `connections` raw connections, each sending `opening` and then `drip`, and re-opened as
/// soon as the service closes it.
fn raw_flood(
    address: &str,
    tally: &Arc<Tally>,
    connections: usize,
    stop: &Arc<AtomicBool>,
    until: Instant,
    opening: Vec<u8>,
    drip: Drip,
) -> Vec<thread::JoinHandle<()>> {
    let address: std::net::SocketAddr = address.parse().expect("an IP address and port");
    spawn_clients(connections, stop, until, || {
        let (tally, stop, opening) = (tally.clone(), stop.clone(), opening.clone());
        move || {
            let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(5))
            else {
                tally.unanswered.fetch_add(1, Ordering::Relaxed);
                thread::sleep(RAW_POLL);
                return;
            };
            tally.opened.fetch_add(1, Ordering::Relaxed);
            if stream.write_all(&opening).is_err() {
                tally.unanswered.fetch_add(1, Ordering::Relaxed);
                return;
            }
            hold(stream, &tally, &stop, until, drip);
        }
    })
}

/// Keeps a raw connection open, dripping `drip`, until the service answers or closes it
/// (counted), or the flood stops.
fn hold(mut stream: TcpStream, tally: &Tally, stop: &AtomicBool, until: Instant, drip: Drip) {
    stream
        .set_read_timeout(Some(RAW_POLL.min(drip.every)))
        .unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 2048];
    let mut dripped = 0;
    let mut last_drip = Instant::now();
    loop {
        if stop.load(Ordering::Relaxed) || Instant::now() >= until {
            return;
        }
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if drip.cycle.is_empty() || last_drip.elapsed() < drip.every {
                    continue;
                }
                let bytes: Vec<u8> = (dripped..dripped + drip.bytes)
                    .map(|n| drip.cycle[n % drip.cycle.len()])
                    .collect();
                dripped += drip.bytes;
                last_drip = Instant::now();
                if stream.write_all(&bytes).is_err() {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    let head = String::from_utf8_lossy(&answer);
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse::<u16>().ok());
    match status {
        Some(status) => {
            let retry_after = head
                .lines()
                .any(|l| l.to_ascii_lowercase().starts_with("retry-after:"));
            // A stalled body is rightly answered 408.
            tally.count(status, retry_after, &[408]);
        }
        None => {
            tally.unanswered.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The opening of a stalled upload: a multipart report announcing
/// [`STALLED_CONTENT_LENGTH`] bytes, a file part's header and [`STALLED_FILE_BYTES`] of it.
fn stalled_upload(address: &str) -> Vec<u8> {
    let mut request = format!(
        "POST /api/v1/reports HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {STALLED_CONTENT_LENGTH}\r\n\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"video.mp4\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    request.extend(std::iter::repeat_n(b'v', STALLED_FILE_BYTES));
    request
}

/// The flood of the latency measurement, in a child process (this program, `flood-client`)
/// at a lower priority (`nice`, 19 unless `QUIETLINE_FLOOD_NICE` says otherwise): on a
/// real deployment the attackers' CPU is not the service's, and on this machine the
/// clients would otherwise take cores from the service. The service still answers
/// every request they send.
struct FloodProcess {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl FloodProcess {
    /// Starts `mode` against the service at `base`, and returns once it is running.
    fn start(base: &str, mode: Flood) -> FloodProcess {
        let nice = std::env::var("QUIETLINE_FLOOD_NICE").unwrap_or_else(|_| "19".into());
        let mut child = Command::new("nice")
            .args(["-n", &nice])
            .arg(std::env::current_exe().unwrap())
            .args([
                "flood-client",
                mode.name(),
                base,
                &mode.clients().to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut ready = String::new();
        stdout.read_line(&mut ready).unwrap();
        assert_eq!(ready.trim(), "started", "the flood client did not start");
        FloodProcess { child, stdout }
    }

    /// Stops the flood and returns what its clients got.
    fn stop(mut self) -> Tally {
        drop(self.child.stdin.take());
        let mut out = String::new();
        self.stdout.read_to_string(&mut out).unwrap();
        assert!(
            self.child.wait().unwrap().success(),
            "the flood client failed"
        );
        let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        let tally = Tally::default();
        for (status, n) in report["statuses"].as_object().unwrap() {
            let n = n.as_u64().unwrap() as usize;
            *tally
                .by_status
                .lock()
                .unwrap()
                .entry(status.parse().unwrap())
                .or_default() += n;
        }
        for (why, n) in report["failures"].as_object().unwrap() {
            let n = n.as_u64().unwrap() as usize;
            tally.failures.lock().unwrap().insert(why.clone(), n);
        }
        let number = |key: &str| report[key].as_u64().unwrap() as usize;
        tally
            .unexpected
            .store(number("unexpected"), Ordering::Relaxed);
        tally.opened.store(number("opened"), Ordering::Relaxed);
        tally
            .unanswered
            .store(number("unanswered"), Ordering::Relaxed);
        tally
    }
}

/// The child side of [`FloodProcess`]: runs `mode` against `base` with `clients` clients
/// until its standard input closes ([`FLOOD_LIMIT`] at most), then prints what they got
/// as JSON.
fn flood_client(mode: Flood, base: &str, clients: usize) {
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let until = Instant::now() + FLOOD_LIMIT;
    let address = base.trim_start_matches("http://");
    let flooding = match mode {
        Flood::Logins => flood(base, &tally, clients, &stop, until),
        Flood::SessionLoop => session_loop(base, &tally, clients, &stop, until),
        Flood::StalledUploads => {
            let opening = stalled_upload(address);
            let drip = Drip {
                cycle: b"",
                bytes: 0,
                every: RAW_POLL,
            };
            raw_flood(address, &tally, clients, &stop, until, opening, drip)
        }
        Flood::Trickles => {
            let opening = stalled_upload(address);
            let drip = Drip {
                cycle: b"t",
                bytes: TRICKLE_BYTES,
                every: TRICKLE_INTERVAL,
            };
            raw_flood(address, &tally, clients, &stop, until, opening, drip)
        }
        Flood::SlowHeaders => {
            let opening = format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\n").into_bytes();
            raw_flood(
                address,
                &tally,
                clients,
                &stop,
                until,
                opening,
                Drip {
                    cycle: b"X-Pad: a\r\n",
                    bytes: 1,
                    every: SLOW_HEADER_INTERVAL,
                },
            )
        }
    };
    println!("started");
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    stop.store(true, Ordering::Relaxed);
    for client in flooding {
        client.join().unwrap();
    }
    let statuses: serde_json::Map<String, serde_json::Value> = tally
        .by_status
        .lock()
        .unwrap()
        .iter()
        .map(|(status, n)| (status.to_string(), json!(n)))
        .collect();
    let failures: serde_json::Map<String, serde_json::Value> = tally
        .failures
        .lock()
        .unwrap()
        .iter()
        .map(|(why, n)| (why.clone(), json!(n)))
        .collect();
    println!(
        "{}",
        json!({
            "statuses": statuses,
            "failures": failures,
            "unexpected": tally.unexpected(),
            "opened": tally.opened.load(Ordering::Relaxed),
            "unanswered": tally.unanswered.load(Ordering::Relaxed),
        })
    );
}

fn statuses(tally: &Tally) -> String {
    let by_status = tally.by_status.lock().unwrap();
    let mut parts: Vec<_> = by_status.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    let opened = tally.opened.load(Ordering::Relaxed);
    if opened > 0 {
        parts.push(format!("connections opened: {opened}"));
    }
    let unanswered = tally.unanswered.load(Ordering::Relaxed);
    if unanswered > 0 {
        parts.push(format!("closed or refused unanswered: {unanswered}"));
    }
    for (why, n) in tally.failures.lock().unwrap().iter() {
        parts.push(format!("no response ({why}): {n}"));
    }
    parts.join(", ")
}

/// Figures of the reporter taken while one flood ran.
struct Flooded {
    flood: Flood,
    submit: Sample,
    login: Sample,
    /// Under stalled uploads only.
    submit_with_file: Option<Sample>,
    /// Under the login flood only.
    investigator: Option<Sample>,
    /// The service's VmHWM after this flood (it only grows over the run).
    peak_rss: f64,
    /// How long the flood ran.
    took: Duration,
    flood_statuses: String,
    /// What the flood's own clients got that they should not have.
    flood_unexpected: usize,
}

struct Latency {
    quiet_submit: Sample,
    quiet_login: Sample,
    quiet_submit_with_file: Sample,
    floods: Vec<Flooded>,
    after_submit: Sample,
    after_login: Sample,
    measuring_statuses: String,
    /// What the measuring client got that it should not have.
    unexpected: usize,
    service_descriptors: String,
}

/// Real submissions and logins, quiet, then under each flood in turn, then quiet again, on
/// one service.
fn latency() -> Latency {
    let server = Server::start();
    let base = server.base.clone();
    let tally = Arc::new(Tally::default());
    let agent = agent();
    let mut tokens = Vec::new();
    let quiet_submit = measure(201, || submit(&base, &tally, &agent, &mut tokens));
    let mut real = tokens.clone().into_iter().cycle();
    let quiet_login = measure(200, || log_in(&base, &tally, &agent, &real.next().unwrap()));
    let quiet_submit_with_file = measure(201, || submit_with_file(&base, &tally, &agent));
    println!("quiet figures taken");

    let mut floods = Vec::new();
    for mode in Flood::ALL {
        let began = Instant::now();
        let flooding = FloodProcess::start(&base, mode);
        thread::sleep(FLOOD_WARM_UP);
        let (mut submit, mut login) = (Sample::new(), Sample::new());
        let uploads = matches!(mode, Flood::StalledUploads | Flood::Trickles);
        let mut submit_with_file = uploads.then(Sample::new);
        let mut investigator = (mode == Flood::Logins).then(Sample::new);
        let (figures_began, mut scratch) = (Instant::now(), Vec::new());
        for i in 1..=SAMPLES {
            if figures_began.elapsed() >= FLOOD_FIGURES_LIMIT {
                break;
            }
            submit.take(201, || self::submit(&base, &tally, &agent, &mut scratch));
            login.take(200, || log_in(&base, &tally, &agent, &real.next().unwrap()));
            if let Some(file) = &mut submit_with_file {
                file.take(201, || self::submit_with_file(&base, &tally, &agent));
            }
            if let Some(investigator) = &mut investigator {
                investigator.take(401, || investigator_log_in(&base, &tally, &agent, i));
            }
            let next = figures_began + FLOOD_SPREAD * i as u32 / SAMPLES as u32;
            thread::sleep(next.saturating_duration_since(Instant::now()));
        }
        let flood_tally = flooding.stop();
        println!("flood {} measured", mode.name());
        floods.push(Flooded {
            flood: mode,
            submit,
            login,
            submit_with_file,
            investigator,
            peak_rss: server.peak_rss_mib(),
            took: began.elapsed(),
            flood_statuses: statuses(&flood_tally),
            flood_unexpected: flood_tally.unexpected(),
        });
    }
    let mut scratch = Vec::new();
    let after_submit = measure(201, || submit(&base, &tally, &agent, &mut scratch));
    let after_login = measure(200, || log_in(&base, &tally, &agent, &real.next().unwrap()));
    Latency {
        quiet_submit,
        quiet_login,
        quiet_submit_with_file,
        floods,
        after_submit,
        after_login,
        measuring_statuses: statuses(&tally),
        unexpected: tally.unexpected(),
        service_descriptors: server.descriptor_limit(),
    }
}

struct Peak {
    clients: usize,
    at_start: f64,
    peak: f64,
    answered: usize,
    statuses: String,
    unexpected: usize,
}

/// Peak memory with `clients` clients submitting reports, on a fresh service: each
/// submission is an argon2 derivation (guessed tokens no longer reach argon2 since tokens
/// carry a check), and an fsync.
fn peak_memory(clients: usize) -> Peak {
    let server = Server::start();
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let at_start = server.peak_rss_mib();
    let submitting = spawn_clients(clients, &stop, Instant::now() + MEMORY_RUN, || {
        let (base, tally, agent) = (server.base.clone(), tally.clone(), agent());
        move || {
            submit(&base, &tally, &agent, &mut Vec::new());
        }
    });
    for client in submitting {
        client.join().unwrap();
    }
    let answered = tally.by_status.lock().unwrap().values().sum();
    Peak {
        clients,
        at_start,
        peak: server.peak_rss_mib(),
        answered,
        statuses: statuses(&tally),
        unexpected: tally.unexpected(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, child, mode, base, clients] = &args[..]
        && child == "flood-client"
    {
        let mode = Flood::parse(mode).expect("a flood mode");
        flood_client(mode, base, clients.parse().unwrap());
        return;
    }
    let bench_descriptors = descriptor_limit("/proc/self/limits");
    println!("service: {}", binary());
    println!("load average before: {}", load_average());
    println!("production argon2id parameters (19 MiB, t = 2), default workers, queue and limits");
    println!("descriptor limit (ulimit -n) of this bench and its floods: {bench_descriptors}");
    if bench_descriptors.parse::<usize>().is_ok_and(|n| n < 1024) {
        println!(
            "  below 1024: the 300-connection floods may run out of descriptors; raise it with `ulimit -n 4096`"
        );
    }
    println!();
    let started = Instant::now();
    let latency = latency();
    let peaks: Vec<Peak> = [1, 8, 64].into_iter().map(peak_memory).collect();
    println!("load average after:  {}", load_average());
    println!("took {:.0} s", started.elapsed().as_secs_f64());
    println!(
        "descriptor limit of the service (inherited): {}",
        latency.service_descriptors
    );
    let unexpected = latency.unexpected
        + latency
            .floods
            .iter()
            .map(|f| f.flood_unexpected)
            .sum::<usize>()
        + peaks.iter().map(|p| p.unexpected).sum::<usize>();

    println!(
        "\n{:<46} {:>5} {:>9} {:>9} {:>8} {:>9}",
        "request", "n ok", "p50 ms", "p99 ms", "refused", "p99/quiet"
    );
    let (quiet_submit, quiet_login) = (&latency.quiet_submit, &latency.quiet_login);
    let quiet_file = &latency.quiet_submit_with_file;
    println!("{}", quiet_submit.row("report submission, quiet", None));
    println!("{}", quiet_login.row("token login, quiet", None));
    println!(
        "{}",
        quiet_file.row(
            &format!(
                "submission with a {} KiB file, quiet",
                EVIDENCE_BYTES / 1024
            ),
            None
        )
    );
    for f in &latency.floods {
        println!("flood {}: {}", f.flood.name(), f.flood.describe());
        println!(
            "{}",
            f.submit.row("  report submission", Some(quiet_submit))
        );
        println!("{}", f.login.row("  token login", Some(quiet_login)));
        if let Some(file) = &f.submit_with_file {
            let what = format!("  submission with a {} KiB file", EVIDENCE_BYTES / 1024);
            println!("{}", file.row(&what, Some(quiet_file)));
        }
        if let Some(investigator) = &f.investigator {
            println!("{}", investigator.row("  investigator login (401)", None));
        }
    }
    println!("quiet again, after the floods");
    println!(
        "{}",
        latency
            .after_submit
            .row("  report submission", Some(quiet_submit))
    );
    println!(
        "{}",
        latency.after_login.row("  token login", Some(quiet_login))
    );

    println!("\nmeasuring client: {}", latency.measuring_statuses);
    for f in &latency.floods {
        println!(
            "flood {:<16} {:>3.0} s, peak RSS so far {:>5.1} MiB; its clients got: {}",
            f.flood.name(),
            f.took.as_secs_f64(),
            f.peak_rss,
            f.flood_statuses
        );
    }
    println!(
        "\n{:<8} {:>13} {:>13} {:>9}  statuses",
        "clients", "RSS start MiB", "peak RSS MiB", "answered"
    );
    for p in &peaks {
        println!(
            "{:<8} {:>13.1} {:>13.1} {:>9}  {}",
            p.clients, p.at_start, p.peak, p.answered, p.statuses
        );
    }
    println!(
        "\nunexpected responses (not 2xx/401/413/429/503+Retry-After, 408 to a stalled upload, or none): {unexpected}\n"
    );

    for f in &latency.floods {
        let mut parts = vec![
            (
                "submission",
                f.submit.factor(quiet_submit),
                f.submit.refused,
            ),
            ("login", f.login.factor(quiet_login), f.login.refused),
        ];
        if let Some(file) = &f.submit_with_file {
            parts.push((
                "submission with a file",
                file.factor(quiet_file),
                file.refused,
            ));
        }
        let figures: Vec<String> = parts
            .iter()
            .map(|(what, factor, refused)| {
                format!(
                    "{what} {factor:.2}x, {refused} refused -> {}",
                    met(*factor <= FLOOD_P99_FACTOR)
                )
            })
            .collect();
        println!(
            "goal, flood {}: p99 within {FLOOD_P99_FACTOR}x quiet, none refused: {}",
            f.flood.name(),
            figures.join("; ")
        );
    }
    let peak_64 = peaks
        .iter()
        .find(|p| p.clients == 64)
        .map_or(f64::INFINITY, |p| p.peak);
    println!(
        "goal: peak RSS <= {PEAK_RSS_GOAL_MIB} MiB at 64 clients: {peak_64:.1} MiB -> {}",
        met(peak_64 <= PEAK_RSS_GOAL_MIB)
    );
    let refused = latency
        .floods
        .iter()
        .filter_map(|f| f.investigator.as_ref())
        .map(|s| s.refused)
        .sum::<usize>();
    println!(
        "goal: no investigator login refused during the login flood: {refused} refused -> {}",
        met(refused == 0)
    );
    println!(
        "goal: no unexpected response: {unexpected} -> {}",
        met(unexpected == 0)
    );
}

/// Other work on the machine moves these figures: printed next to them.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}
