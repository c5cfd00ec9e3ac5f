//! Holds the real `quietline serve` (release build, production argon2 parameters) under a
//! flood of guessed-token logins from 127.0.0.1, and prints what a reporter and an
//! investigator then get, and how much memory the service takes:
//!
//! - p50/p99 of a real report submission and a real token login, quiet and then while
//!   [`FLOOD_CLIENTS`] clients send bogus tokens as fast as they can;
//! - investigator logins during the flood (their own argon2 workers: never 503);
//! - the service's peak RSS (VmHWM) with 1, 8 and 64 concurrent clients logging in;
//! - every response that is none of 2xx, 401, 413, 429 or 503 with Retry-After.
//!
//! Counts and durations are bounded; it takes about a minute. The flood of the latency
//! figures runs in a child process at low priority (see [`FloodProcess`]);
//! `QUIETLINE_FLOOD_NICE=0` runs it at the service's priority instead.
//! `QUIETLINE_FLOOD_BIN=/path/to/quietline` measures another build of the service (for
//! before/after figures).
//! Run with `cargo bench --bench flood`.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use quietline::crypto::{CaseToken, InvestigatorIdentity};
use serde_json::json;

const FLOOD_CLIENTS: usize = 100;
/// Sequential requests measured for each figure.
const SAMPLES: usize = 100;
/// How long each memory measurement keeps its clients busy.
const MEMORY_RUN: Duration = Duration::from_secs(4);
/// Goals of issue 10.
const FLOOD_P99_FACTOR: f64 = 3.0;
const PEAK_RSS_GOAL_MIB: f64 = 64.0;

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
        let data = tempfile::tempdir().unwrap();
        let recipient = InvestigatorIdentity::generate().recipient().to_string();
        let added = Command::new(binary())
            .args(["admin", "add-investigator", "--name", "ana"])
            .args(["--recipient", &recipient, "--data-dir"])
            .arg(data.path())
            .output()
            .unwrap();
        assert!(added.status.success(), "add-investigator failed: {added:?}");
        let mut child = Command::new(binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data.path())
            .env("QUIETLINE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = listening_address(&mut child);
        Server {
            child,
            base,
            _data: data,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
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
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
}

impl Tally {
    /// Status and body of a response, counted.
    fn read(&self, result: Result<ureq::Response, ureq::Error>) -> (u16, String) {
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(_) => {
                self.unexpected.fetch_add(1, Ordering::Relaxed);
                return (0, String::new());
            }
        };
        let status = response.status();
        let expected = match status {
            200..=299 | 401 | 413 | 429 => true,
            503 => response.header("Retry-After").is_some(),
            _ => false,
        };
        if !expected {
            self.unexpected.fetch_add(1, Ordering::Relaxed);
        }
        *self.by_status.lock().unwrap().entry(status).or_default() += 1;
        (status, response.into_string().unwrap_or_default())
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
    fn percentile(&self, p: f64) -> Option<Duration> {
        let mut took = self.took.clone();
        took.sort();
        let rank = ((p * took.len() as f64).ceil() as usize).max(1);
        took.get(rank - 1).copied()
    }

    fn row(&self, what: &str) -> String {
        let ms = |d: Option<Duration>| {
            d.map(|d| format!("{:.1}", d.as_secs_f64() * 1e3))
                .unwrap_or_else(|| "-".into())
        };
        format!(
            "{what:<44} {:>5} {:>9} {:>9} {:>9}",
            self.took.len(),
            ms(self.percentile(0.5)),
            ms(self.percentile(0.99)),
            self.refused
        )
    }
}

fn measure(want: u16, mut request: impl FnMut() -> u16) -> Sample {
    let mut sample = Sample {
        took: Vec::new(),
        refused: 0,
    };
    for _ in 0..SAMPLES {
        let start = Instant::now();
        if request() == want {
            sample.took.push(start.elapsed());
        } else {
            sample.refused += 1;
        }
    }
    sample
}

fn submit(server: &Server, tally: &Tally, agent: &ureq::Agent, tokens: &mut Vec<String>) -> u16 {
    let (status, body) = tally.read(agent.post(&server.url("/api/v1/reports")).send_json(
        json!({"body": "a report of about a hundred bytes, as a short first message would be written", "category": "coercion_or_threat", "urgent": false}),
    ));
    if status == 201 {
        let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
        tokens.push(reply["token"].as_str().unwrap().to_owned());
    }
    status
}

/// A token login; the session it opens is ended (untimed) so that sessions do not pile up.
fn log_in(server: &Server, tally: &Tally, agent: &ureq::Agent, token: &str) -> u16 {
    let url = server.url("/api/v1/case/session");
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
fn investigator_log_in(server: &Server, tally: &Tally, agent: &ureq::Agent, n: usize) -> u16 {
    let url = server.url("/api/v1/investigator/login");
    let wrong = json!({"name": format!("nobody{n}"), "password": "not the password at all", "code": "000000"});
    tally.read(agent.post(&url).send_json(wrong)).0
}

/// `clients` threads sending guessed tokens to `url` until `stop` is set or `until` passes.
fn flood(
    url: &str,
    tally: &Arc<Tally>,
    clients: usize,
    stop: &Arc<AtomicBool>,
    until: Instant,
) -> Vec<thread::JoinHandle<()>> {
    (0..clients)
        .map(|_| {
            let (url, tally, stop) = (url.to_owned(), tally.clone(), stop.clone());
            thread::spawn(move || {
                let agent = agent();
                while !stop.load(Ordering::Relaxed) && Instant::now() < until {
                    let guess = CaseToken::generate().grouped().to_string();
                    tally.read(agent.post(&url).send_json(json!({ "token": guess })));
                }
            })
        })
        .collect()
}

/// The flood of the latency measurement, in a child process (this program, `flood-client`)
/// at a lower priority (`nice`, 19 unless `QUIETLINE_FLOOD_NICE` says otherwise): on a
/// real deployment the attackers' CPU is not the service's, and on this machine the
/// clients would otherwise take cores from the service. The service still answers
/// every request they send.
struct FloodProcess(Child);

impl FloodProcess {
    fn start(url: &str, clients: usize) -> FloodProcess {
        let nice = std::env::var("QUIETLINE_FLOOD_NICE").unwrap_or_else(|_| "19".into());
        let child = Command::new("nice")
            .args(["-n", &nice])
            .arg(std::env::current_exe().unwrap())
            .args(["flood-client", url, &clients.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        FloodProcess(child)
    }

    /// Stops the flood and returns what its clients got.
    fn stop(mut self) -> Tally {
        drop(self.0.stdin.take());
        let mut out = String::new();
        self.0
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert!(self.0.wait().unwrap().success(), "the flood client failed");
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
        let unexpected = report["unexpected"].as_u64().unwrap() as usize;
        tally.unexpected.store(unexpected, Ordering::Relaxed);
        tally
    }
}

/// The child side of [`FloodProcess`]: floods `url` with `clients` threads until its
/// standard input closes (90 s at most), then prints what they got as JSON.
fn flood_client(url: &str, clients: usize) {
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let until = Instant::now() + Duration::from_secs(90);
    let flooding = flood(url, &tally, clients, &stop, until);
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
    println!(
        "{}",
        json!({"statuses": statuses, "unexpected": tally.unexpected()})
    );
}

fn statuses(tally: &Tally) -> String {
    let by_status = tally.by_status.lock().unwrap();
    let parts: Vec<_> = by_status.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    parts.join(", ")
}

struct Latency {
    quiet_submit: Sample,
    quiet_login: Sample,
    flood_submit: Sample,
    flood_login: Sample,
    flood_investigator: Sample,
    unexpected: usize,
}

/// Real submissions and logins, quiet and then under a flood, on one service.
fn latency() -> Latency {
    let server = Server::start();
    let tally = Arc::new(Tally::default());
    let agent = agent();
    let mut tokens = Vec::new();
    let quiet_submit = measure(201, || submit(&server, &tally, &agent, &mut tokens));
    let mut real = tokens.clone().into_iter().cycle();
    let quiet_login = measure(200, || {
        log_in(&server, &tally, &agent, &real.next().unwrap())
    });

    let flooding = FloodProcess::start(&server.url("/api/v1/case/session"), FLOOD_CLIENTS);
    // Let the flood fill the login lane before measuring.
    thread::sleep(Duration::from_secs(2));
    let flood_submit = measure(201, || submit(&server, &tally, &agent, &mut tokens));
    let flood_login = measure(200, || {
        log_in(&server, &tally, &agent, &real.next().unwrap())
    });
    let mut n = 0;
    let flood_investigator = measure(401, || {
        n += 1;
        investigator_log_in(&server, &tally, &agent, n)
    });
    let flood_tally = flooding.stop();
    println!("measuring client: {}", statuses(&tally));
    println!("flood clients:    {}", statuses(&flood_tally));
    Latency {
        quiet_submit,
        quiet_login,
        flood_submit,
        flood_login,
        flood_investigator,
        unexpected: tally.unexpected() + flood_tally.unexpected(),
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

/// Peak memory with `clients` clients logging in, on a fresh service.
fn peak_memory(clients: usize) -> Peak {
    let server = Server::start();
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let at_start = server.peak_rss_mib();
    let url = server.url("/api/v1/case/session");
    for client in flood(&url, &tally, clients, &stop, Instant::now() + MEMORY_RUN) {
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
    if let [_, mode, url, clients] = &args[..]
        && mode == "flood-client"
    {
        flood_client(url, clients.parse().unwrap());
        return;
    }
    println!("service: {}", binary());
    println!("load average before: {}", load_average());
    println!("production argon2id parameters (19 MiB, t = 2), default workers and queue\n");
    let latency = latency();
    let peaks: Vec<Peak> = [1, 8, 64].into_iter().map(peak_memory).collect();
    println!("load average after:  {}", load_average());
    let unexpected = latency.unexpected + peaks.iter().map(|p| p.unexpected).sum::<usize>();

    println!(
        "\n{:<44} {:>5} {:>9} {:>9} {:>9}",
        "request", "n ok", "p50 ms", "p99 ms", "refused"
    );
    let flood = format!("{FLOOD_CLIENTS}-client flood");
    println!("{}", latency.quiet_submit.row("report submission, quiet"));
    println!("{}", latency.quiet_login.row("token login, quiet"));
    println!(
        "{}",
        latency
            .flood_submit
            .row(&format!("report submission, {flood}"))
    );
    println!(
        "{}",
        latency.flood_login.row(&format!("token login, {flood}"))
    );
    println!(
        "{}",
        latency
            .flood_investigator
            .row(&format!("investigator login (401), {flood}"))
    );
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
        "\nunexpected responses (not 2xx/401/413/429/503+Retry-After, or none): {unexpected}\n"
    );

    let (quiet, flooded) = (&latency.quiet_submit, &latency.flood_submit);
    let factor = match (flooded.percentile(0.99), quiet.percentile(0.99)) {
        (Some(f), Some(q)) if flooded.refused == 0 => f.as_secs_f64() / q.as_secs_f64(),
        _ => f64::INFINITY,
    };
    println!(
        "goal: submission p99 under flood within {FLOOD_P99_FACTOR}x quiet, none refused: {factor:.2}x, {} refused -> {}",
        flooded.refused,
        met(factor <= FLOOD_P99_FACTOR)
    );
    let peak_64 = peaks
        .iter()
        .find(|p| p.clients == 64)
        .map_or(f64::INFINITY, |p| p.peak);
    println!(
        "goal: peak RSS <= {PEAK_RSS_GOAL_MIB} MiB at 64 clients: {peak_64:.1} MiB -> {}",
        met(peak_64 <= PEAK_RSS_GOAL_MIB)
    );
    let refused = latency.flood_investigator.refused;
    println!(
        "goal: no investigator login refused during the flood: {refused} refused -> {}",
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
