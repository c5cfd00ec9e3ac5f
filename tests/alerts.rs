//! Content-free alerts, against the real binary: a real SMTP conversation with a sink on
//! 127.0.0.1 (`common::smtp`) and a loopback webhook receiver. Every alert is held
//! against the list of what must never leave the server.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::smtp::{self, SmtpSink};
use common::{Deployment, Evidence, Server, agent, json, read};
use serde_json::Value;

const FROM: &str = "quietline@unit.example";
const TO: &str = "duty@unit.example";

/// A webhook receiver on 127.0.0.1 that answers 204 and keeps every JSON body.
struct Hook {
    port: u16,
    bodies: Arc<Mutex<Vec<Value>>>,
}

impl Hook {
    fn start() -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let kept = bodies.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                kept.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                let mut stream = stream;
                let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
            }
        });
        Hook { port, bodies }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook/s3cr3t-path", self.port)
    }

    fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }

    fn wait_for(&self, n: usize, limit: Duration) -> Vec<Value> {
        let deadline = Instant::now() + limit;
        while self.bodies().len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.bodies()
    }
}

fn alert_flags<'a>(sink: &'a str, hook: &'a str, every: &'a str) -> Vec<&'a str> {
    vec![
        "--alert-smtp",
        sink,
        "--alert-from",
        FROM,
        "--alert-to",
        TO,
        "--alert-webhook",
        hook,
        "--alert-digest-every",
        every,
    ]
}

/// What a reporter sent, and what identifies their case: none of it may be in an alert.
struct Secrets {
    words: Vec<String>,
}

impl Secrets {
    fn new() -> Secrets {
        // Every category, by its wire name and its English words.
        let mut words: Vec<String> = quietline::case::Category::ALL
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect();
        words.push("Coercion or threat".into());
        Secrets { words }
    }

    fn add(&mut self, word: impl Into<String>) {
        self.words.push(word.into());
    }

    /// The case ids, read from the store once the server has stopped.
    fn add_case_ids(&mut self, deployment: &Deployment) {
        let store = common::open_store(deployment.data_dir());
        store
            .visit_cases(&mut |id, _| {
                self.words.push(id.to_string());
                true
            })
            .unwrap();
    }

    fn check(&self, what: &str, text: &str) {
        let lower = text.to_lowercase();
        for word in &self.words {
            assert!(
                !lower.contains(&word.to_lowercase()),
                "{what} carries {word:?}:\n{text}"
            );
        }
    }

    /// Also no group of a token in the text people read (headers hold random ids).
    fn check_text(&self, what: &str, text: &str) {
        self.check(what, text);
        for word in &self.words {
            let groups = word.matches('-').count() + 1;
            if word.len() == groups * 5 - 1 && (groups == 5 || groups == 6) {
                for group in word.split('-') {
                    assert!(!text.contains(group), "{what} carries part of a token");
                }
            }
        }
    }
}

fn submit_urgent_with_file(server: &Server, body: &str, file_name: &str) -> String {
    let form = common::multipart(
        &[
            ("body", body),
            ("category", "coercion_or_threat"),
            ("urgent", "true"),
            ("keep_names", "true"),
        ],
        &[Evidence {
            name: file_name,
            content_type: "text/plain",
            bytes: b"ledger: 40 crates, container MSCU 1234567",
        }],
    );
    let (status, reply) = read(
        agent()
            .post(&server.url("/api/v1/reports"))
            .set("Content-Type", &common::multipart_type())
            .send_bytes(&form),
    );
    assert_eq!(status, 201, "{reply}");
    json(&reply)["token"].as_str().unwrap().to_owned()
}

#[test]
fn an_urgent_report_sends_one_content_free_alert_at_once() {
    let deployment = Deployment::new();
    let sink = SmtpSink::start();
    let hook = Hook::start();
    let (sink_url, hook_url) = (sink.url(), hook.url());
    let server = deployment.start(&alert_flags(&sink_url, &hook_url, "1h"));

    let body = "They threatened my daughter at the Calais terminal tonight";
    let file_name = "bribes-ledger-calais.txt";
    let sent = Instant::now();
    let token = submit_urgent_with_file(&server, body, file_name);

    let mails = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(mails.len(), 1, "no alert mail within 10 s");
    let hooks = hook.wait_for(1, Duration::from_secs(10));
    assert_eq!(hooks.len(), 1, "no webhook alert within 10 s");
    assert!(sent.elapsed() < Duration::from_secs(10));

    let mail = &mails[0];
    assert_eq!(mail.from, FROM);
    assert_eq!(mail.to, vec![TO.to_owned()]);
    assert!(
        mail.body().contains("1 new urgent report."),
        "{}",
        mail.data
    );
    assert!(mail.body().contains("Open the desk"), "{}", mail.data);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Urgent report waiting")
    );
    let alert = &hooks[0];
    assert_eq!(alert["kind"], "urgent");
    assert_eq!(alert["counts"]["urgent_reports"], 1);
    assert_eq!(alert["counts"]["new_reports"], 0);

    // One report, one urgent alert: nothing more follows (the digest is an hour away).
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(sink.mails().len(), 1);
    assert_eq!(hook.bodies().len(), 1);
    server.stop();

    let mut secrets = Secrets::new();
    secrets.add(body);
    secrets.add("Calais");
    secrets.add(file_name);
    secrets.add("bribes");
    secrets.add(token);
    secrets.add_case_ids(&deployment);
    secrets.check("the alert mail", &mail.data);
    secrets.check_text("the alert mail's text", mail.body());
    secrets.check_text("the webhook alert", &alert.to_string());
}

#[test]
fn a_digest_counts_new_reports_and_reporter_messages_at_fixed_times() {
    let deployment = Deployment::new();
    let sink = SmtpSink::start();
    let hook = Hook::start();
    let (sink_url, hook_url) = (sink.url(), hook.url());
    let server = deployment.start(&alert_flags(&sink_url, &hook_url, "2s"));

    let first = server.submit("The shift supervisor asked me to wave a truck through");
    let second = server.submit("A colleague is paid to leak the scanning schedule");
    let session = server.session(&first);
    assert_eq!(
        server.follow_up(&session, "He called again this morning"),
        201
    );

    // The three events may straddle a digest time: add the digests up until they
    // account for everything, then wait two more periods to see that nothing is counted
    // twice.
    let deadline = Instant::now() + Duration::from_secs(15);
    let totals = |bodies: &[Value]| {
        bodies.iter().fold((0, 0), |(n, m), b| {
            (
                n + b["counts"]["new_reports"].as_u64().unwrap(),
                m + b["counts"]["reporter_messages"].as_u64().unwrap(),
            )
        })
    };
    while totals(&hook.bodies()) != (2, 1) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(4));
    let bodies = hook.bodies();
    assert_eq!(totals(&bodies), (2, 1), "{bodies:?}");
    assert!(bodies.iter().all(|b| b["kind"] == "digest"), "{bodies:?}");
    assert!(bodies.len() <= 2, "{bodies:?}");

    let mails = sink.wait_for(bodies.len(), Duration::from_secs(5));
    assert_eq!(mails.len(), bodies.len());
    let all: String = mails.iter().map(|m| m.body().to_owned()).collect();
    if mails.len() == 1 {
        assert!(all.contains("2 new reports."), "{all}");
        assert!(all.contains("1 new message from a reporter."), "{all}");
    }
    server.stop();

    let mut secrets = Secrets::new();
    for word in [
        "truck",
        "supervisor",
        "scanning",
        "called again",
        &first,
        &second,
    ] {
        secrets.add(word);
    }
    secrets.add_case_ids(&deployment);
    for mail in &mails {
        secrets.check("a digest mail", &mail.data);
        secrets.check_text("a digest mail's text", mail.body());
    }
    for body in &bodies {
        secrets.check_text("a digest webhook", &body.to_string());
    }
}

#[test]
fn a_dead_mail_server_never_slows_a_submission_and_failures_are_logged_by_kind() {
    let deployment = Deployment::new();
    let stalled = smtp::stalling();
    let stalled_url = format!("smtp://{}", stalled.local_addr().unwrap());
    let dead_hook = format!("http://127.0.0.1:{}/hook/s3cr3t-path", smtp::dead_port());
    let server = deployment.start(&alert_flags(&stalled_url, &dead_hook, "1h"));

    for i in 0..4 {
        let started = Instant::now();
        let form_body = format!("Urgent report number {i}");
        let (status, reply) = server.post_json(
            "/api/v1/reports",
            &serde_json::json!({"body": form_body, "category": "infiltration", "urgent": true}),
        );
        assert_eq!(status, 201, "{reply}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "submission {i} took {:?}",
            started.elapsed()
        );
    }

    // The webhook's refusals are logged by kind, and retried.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.logs().contains("will retry") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let logs = server.logs();
    assert!(logs.contains("alert not sent; will retry"), "{logs}");
    assert!(
        logs.contains("channel=\"webhook\"") || logs.contains("channel=webhook"),
        "{logs}"
    );

    let stderr = server.stderr.clone();
    server.stop();
    let logs = std::fs::read_to_string(stderr).unwrap();
    assert!(logs.contains("still queued at stop"), "{logs}");
    for never in [TO, FROM, "s3cr3t-path", "Urgent report number"] {
        assert!(!logs.contains(never), "the log names {never:?}");
    }
    drop(stalled);
}

#[test]
fn a_password_in_the_smtp_url_is_refused_at_start() {
    let deployment = Deployment::new();
    let start = common::store::try_start(
        deployment.data_dir(),
        deployment.logs.path(),
        &[],
        &[
            "--alert-smtp",
            "smtps://alerts:hunter2@mail.example:465",
            "--alert-from",
            FROM,
            "--alert-to",
            TO,
        ],
    );
    let said = start.refusal();
    assert!(said.contains("--alert-smtp-password-file"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
}

/// An investigator sets their own alert address on the desk's settings page: an urgent
/// report then reaches it, in a content-free mail of its own, next to the duty inbox's. An investigator whose recipient still waits for a second
/// administrator gets nothing; the address is never logged nor written to the audit log.
#[test]
fn an_investigator_own_address_receives_urgent_alerts() {
    use common::accounts::{Account, propose, register};
    use common::desk::{self, Desk, PASSPHRASE, write_identity_file};
    use serde_json::json;

    const OWN: &str = "bruno.private@home.example";
    const WAITING: &str = "pia@home.example";
    let deployment = Deployment::new();
    let (bruno_id, bruno_secret) = register(&deployment, "bruno", "investigator");
    let keys = tempfile::tempdir().unwrap();
    let bruno_file = keys.path().join("bruno.age");
    write_identity_file(&bruno_id, PASSPHRASE, &bruno_file);
    let (pia_id, pia_secret, _) = propose(&deployment, "pia", "investigator");
    let sink = SmtpSink::start();
    let hook = Hook::start();
    let (sink_url, hook_url) = (sink.url(), hook.url());
    let server = deployment.start(&alert_flags(&sink_url, &hook_url, "1h"));

    let mut authenticator = desk::enrol(&server, "bruno", &bruno_secret);
    let desk = Desk::start(
        &server,
        &bruno_file,
        "bruno",
        &mut authenticator,
        deployment.logs.path(),
    );
    let browser = desk.open();
    let (status, page) = browser.get("/settings");
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("id=\"address\" name=\"address\" value=\"\""),
        "{page}"
    );
    // An unticked checkbox sends nothing: urgent alerts only.
    let (status, to) = browser.post_form("/settings/alerts", &[("address", &format!(" {OWN} "))]);
    assert_eq!((status, to.as_str()), (303, "/settings?done=alerts"));
    let (_, page) = browser.get("/settings?done=alerts");
    assert!(page.contains(&format!("value=\"{OWN}\"")), "{page}");
    assert!(page.contains("Your alert settings are saved."), "{page}");

    let mut pia = Account::enrol(&server, "pia", pia_id, &pia_secret);
    let pia_session = pia.login(&server);
    let (status, said) = server.inv_post(&pia_session, "/alerts", &json!({"address": "not mail"}));
    assert_eq!(status, 422, "{said}");
    let (status, set) = server.inv_post(&pia_session, "/alerts", &json!({"address": WAITING}));
    assert_eq!(status, 200, "{set}");
    assert_eq!(set, json!({"address": WAITING, "digests": false}));
    assert_eq!(server.inv_get(&pia_session, "/alerts").1, set);

    let body = "The harbour master's men followed me home from the Rotterdam gate";
    let file_name = "plates-rotterdam.txt";
    let token = submit_urgent_with_file(&server, body, file_name);
    let mails = sink.wait_for(2, Duration::from_secs(10));
    assert_eq!(mails.len(), 2, "two alert mails within 10 s: {mails:?}");
    std::thread::sleep(Duration::from_millis(1500));
    let mails = sink.mails();
    assert_eq!(
        mails.len(),
        2,
        "nothing to the waiting investigator: {mails:?}"
    );
    let own = mails
        .iter()
        .find(|m| m.to == vec![OWN.to_owned()])
        .unwrap_or_else(|| panic!("no mail to the investigator's own address: {mails:?}"));
    assert!(
        mails.iter().any(|m| m.to == vec![TO.to_owned()]),
        "{mails:?}"
    );
    assert!(own.body().contains("1 new urgent report."), "{}", own.data);
    assert!(
        !own.data.contains(TO),
        "the duty inbox is not shown to investigators"
    );
    for mail in &mails {
        assert!(!mail.data.contains(WAITING), "{}", mail.data);
    }

    // Cleared on the desk: the next urgent report goes to the duty inbox only.
    let (status, _) = browser.post_form("/settings/alerts", &[("address", "")]);
    assert_eq!(status, 303);
    drop(desk);
    submit_urgent_with_file(&server, "second urgent report", "second.txt");
    let mails = sink.wait_for(3, Duration::from_secs(10));
    assert_eq!(mails.len(), 3, "{mails:?}");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(sink.mails().len(), 3);
    assert_eq!(sink.mails()[2].to, vec![TO.to_owned()]);
    let stderr = server.stderr.clone();
    server.stop();

    let mut secrets = Secrets::new();
    secrets.add(body);
    secrets.add("Rotterdam");
    secrets.add(file_name);
    secrets.add(token);
    secrets.add_case_ids(&deployment);
    secrets.check("the investigator's alert mail", &own.data);
    secrets.check_text("the investigator's alert mail's text", own.body());

    let logs = std::fs::read_to_string(stderr).unwrap();
    assert!(!logs.contains(OWN) && !logs.contains(WAITING), "{logs}");
    let store = common::open_store(deployment.data_dir());
    let changes: Vec<String> = store
        .audit_entries()
        .unwrap()
        .into_iter()
        .map(|(_, bytes)| postcard::from_bytes::<quietline::audit::Sealed>(&bytes).unwrap())
        .filter(|s| s.entry.action == quietline::audit::Action::AlertAddressChanged)
        .map(|s| format!("{} {}", s.entry.actor, s.entry.detail))
        .collect();
    assert_eq!(
        changes,
        [
            "bruno address set, urgent only",
            "pia address set, urgent only",
            "bruno address cleared"
        ]
    );
}
