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

mod clients;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread;
use std::time::{Duration, Instant};

use clients::{
    EVIDENCE_BYTES, Flood, FloodProcess, Tally, agent, flood_client, investigator_log_in, log_in,
    spawn_clients, statuses, submit, submit_with_file,
};

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
