//! The flood bench's clients: the floods of issue 10 ([`Flood`]), each run from a child
//! process of the bench ([`FloodProcess`], [`flood_client`]), and the requests a reporter
//! and an investigator send, counted in a [`Tally`]. `main.rs` times them and prints the
//! figures.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use quietline::crypto::CaseToken;
use serde_json::json;

/// The longest a flood process runs, whatever happens to the bench.
const FLOOD_LIMIT: Duration = Duration::from_secs(150);
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
pub(crate) const EVIDENCE_BYTES: usize = 4096;
const BOUNDARY: &str = "----quietline-flood-boundary-5c1e";

/// The floods of issue 10, each from loopback in a process of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flood {
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
    pub(crate) const ALL: [Flood; 5] = [
        Flood::Logins,
        Flood::StalledUploads,
        Flood::SlowHeaders,
        Flood::SessionLoop,
        Flood::Trickles,
    ];

    /// The mode argument of the `flood-client` process.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Flood::Logins => "logins",
            Flood::StalledUploads => "stalled-uploads",
            Flood::SlowHeaders => "slow-headers",
            Flood::SessionLoop => "session-loop",
            Flood::Trickles => "trickles",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Flood> {
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

    pub(crate) fn describe(self) -> String {
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

pub(crate) fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .redirects(0)
        .build()
}

/// Responses that a client may get under load; anything else is counted as unexpected.
#[derive(Default)]
pub(crate) struct Tally {
    pub(crate) by_status: Mutex<std::collections::BTreeMap<u16, usize>>,
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

    pub(crate) fn unexpected(&self) -> usize {
        self.unexpected.load(Ordering::Relaxed)
    }
}

pub(crate) fn submit(
    base: &str,
    tally: &Tally,
    agent: &ureq::Agent,
    tokens: &mut Vec<String>,
) -> u16 {
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
pub(crate) fn submit_with_file(base: &str, tally: &Tally, agent: &ureq::Agent) -> u16 {
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
pub(crate) fn log_in(base: &str, tally: &Tally, agent: &ureq::Agent, token: &str) -> u16 {
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
pub(crate) fn investigator_log_in(base: &str, tally: &Tally, agent: &ureq::Agent, n: usize) -> u16 {
    let url = format!("{base}/api/v1/investigator/login");
    let wrong = json!({"name": format!("nobody{n}"), "password": "not the password at all", "code": "000000"});
    tally.read(agent.post(&url).send_json(wrong)).0
}

/// `clients` threads, each running a client made by `make` (in this thread) over and over
/// until `stop` is set or `until` passes.
pub(crate) fn spawn_clients<C: FnMut() + Send + 'static>(
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
pub(crate) struct FloodProcess {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

impl FloodProcess {
    /// Starts `mode` against the service at `base`, and returns once it is running.
    pub(crate) fn start(base: &str, mode: Flood) -> FloodProcess {
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
    pub(crate) fn stop(mut self) -> Tally {
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
pub(crate) fn flood_client(mode: Flood, base: &str, clients: usize) {
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

pub(crate) fn statuses(tally: &Tally) -> String {
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
