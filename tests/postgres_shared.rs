//! PostgreSQL only: what must hold across instances beyond the records themselves (issue
//! 14). A guesser who spreads failed logins over two instances is slowed down as on one,
//! and the alerts of two instances are counted and sent once, by one of them, even when
//! the instance that took a report dies before the digest. Each test starts its own
//! throwaway cluster and skips, saying why, where PostgreSQL is not installed.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::accounts::{Account, register};
use common::postgres::{cluster_or_skip, dump};
use common::smtp::{Mail, SmtpSink};
use common::{Deployment, Server};
use serde_json::json;

/// A failed investigator login on `server`, and how long its answer took.
fn failed_login(server: &Server, name: &str) -> Duration {
    let started = Instant::now();
    let (status, reply) = server.post_json(
        "/api/v1/investigator/login",
        &json!({"name": name, "password": "not the password", "code": "000000"}),
    );
    assert_eq!(status, 401, "{reply}");
    started.elapsed()
}

#[test]
fn failed_logins_spread_over_two_instances_slow_the_next_as_on_one() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let a = Deployment::on_database(&cluster.fresh_database());
    let b = a.another_instance();
    let (identity, secret) = register(&a, "hana", "investigator");
    let server_a = a.start(&[]);
    let server_b = b.start(&[]);
    let mut hana = Account::enrol(&server_a, "hana", identity, &secret);

    // Four failures, two on each instance: within the free ones, answered at once.
    for server in [&server_a, &server_b, &server_a, &server_b] {
        let took = failed_login(server, "hana");
        eprintln!("a free failure answered in {took:?}");
        assert!(
            took < Duration::from_secs(1),
            "a free failure took {took:?}"
        );
    }
    // From the fifth failure in the name, wherever it lands, each answer is held back
    // 1, 2, then 4 seconds, as on one instance. Counted per instance, none would be
    // (A and B would each be at three or four).
    for (server, held) in [(&server_a, 1), (&server_b, 2), (&server_a, 4)] {
        let took = failed_login(server, "hana");
        eprintln!("a failure past the free ones answered in {took:?}");
        assert!(
            took >= Duration::from_secs(held),
            "failure held back {took:?}, not {held} s"
        );
    }

    // The right password and code still get in at once, on either instance (issue 10).
    let started = Instant::now();
    hana.login(&server_b);
    let took = started.elapsed();
    eprintln!("the right login answered in {took:?}");
    assert!(
        took < Duration::from_secs(2),
        "the right login took {took:?}"
    );
    // ...and that success cleared the count for both.
    let took = failed_login(&server_a, "hana");
    assert!(took < Duration::from_secs(1), "after a success: {took:?}");

    // People type passwords into the name field: what the database keeps of a typed name
    // must not be that name.
    let typed = "Tr0ub4dor-and-3-horses";
    failed_login(&server_b, typed);
    let copy = dump(a.database.as_deref().unwrap());
    assert!(
        !copy.windows(typed.len()).any(|w| w == typed.as_bytes()),
        "a typed name is in the database"
    );
    server_a.stop();
    server_b.stop();
}

/// The digest period of the alert test, in seconds.
const PERIOD: u64 = 4;

fn alert_flags(sink: &str) -> Vec<String> {
    [
        "--alert-smtp",
        sink,
        "--alert-from",
        "quietline@unit.example",
        "--alert-to",
        "duty@unit.example",
        "--alert-digest-every",
        &format!("{PERIOD}s"),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Waits until the clock is just past a digest time, so that what the test does next
/// falls in one digest period.
fn just_after_a_digest_time() {
    loop {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis()
            % u128::from(PERIOD * 1000);
        if (200..1200).contains(&ms) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn with_subject<'a>(mails: &'a [Mail], subject: &str) -> Vec<&'a Mail> {
    mails
        .iter()
        .filter(|m| m.header("Subject").as_deref() == Some(subject))
        .collect()
}

/// The mails the sink received after the first `from`.
fn mails_since(sink: &SmtpSink, from: usize) -> Vec<Mail> {
    sink.mails().split_off(from)
}

/// Polls (at most 10 s) until a mail after the first `from` with `subject` says `line`;
/// the mails after `from`.
fn wait_for_mail_saying(sink: &SmtpSink, from: usize, subject: &str, line: &str) -> Vec<Mail> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mails = mails_since(sink, from);
        if with_subject(&mails, subject)
            .iter()
            .any(|m| m.body().contains(line))
            || Instant::now() > deadline
        {
            return mails;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

const DIGEST: &str = "New activity on the reporting service";
const URGENT: &str = "Urgent report waiting";

#[test]
fn two_instances_send_each_alert_once_counting_both() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let url = cluster.fresh_database();
    let a = Deployment::on_database(&url);
    let b = a.another_instance();
    let sink = SmtpSink::start();
    let flags = alert_flags(&sink.url());
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let server_a = a.start(&flags);
    let server_b = b.start(&flags);

    // One report on each instance within one digest period: one digest counts both.
    just_after_a_digest_time();
    server_a.submit("The shift supervisor asked me to wave a truck through");
    server_b.submit("A colleague is paid to leak the scanning schedule");
    let mails = wait_for_mail_saying(&sink, 0, DIGEST, "2 new reports.");
    // Another period, in case a second instance sends a digest of its own.
    std::thread::sleep(Duration::from_secs(PERIOD + 1));
    let mails_now = sink.mails();
    let digests = with_subject(&mails_now, DIGEST);
    assert_eq!(digests.len(), 1, "{:?}", bodies(&mails_now));
    assert!(digests[0].body().contains("2 new reports."), "{mails:?}");

    // An urgent report on B: one urgent alert, not one from each instance.
    let from = sink.mails().len();
    just_after_a_digest_time();
    let (status, reply) = server_b.post_json(
        "/api/v1/reports",
        &json!({"body": "They know where I live", "category": "coercion_or_threat", "urgent": true}),
    );
    assert_eq!(status, 201, "{reply}");
    wait_for_mail_saying(&sink, from, URGENT, "1 new urgent report.");
    std::thread::sleep(Duration::from_secs(2 * PERIOD));
    let mails = mails_since(&sink, from);
    assert_eq!(
        with_subject(&mails, URGENT).len(),
        1,
        "{:?}",
        bodies(&mails)
    );
    // The urgent report is also a new report, in the one digest that follows.
    assert_eq!(
        with_subject(&mails, DIGEST).len(),
        1,
        "{:?}",
        bodies(&mails)
    );

    // A report on A, which then dies before the digest: B's digest counts it.
    let from = sink.mails().len();
    just_after_a_digest_time();
    server_a.submit("They moved the container before the inspection");
    wait_until_counted(&url);
    server_a.kill();
    let mails = wait_for_mail_saying(&sink, from, DIGEST, "1 new report.");
    assert_eq!(
        with_subject(&mails, DIGEST).len(),
        1,
        "{:?}",
        bodies(&mails)
    );

    // An urgent count left by an instance that died before alerting is alerted by one
    // that lives, within a digest period.
    let from = sink.mails().len();
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .execute(
            "UPDATE alert_counts SET n = n + 1 WHERE kind = 'urgent'",
            &[],
        )
        .unwrap();
    let mails = wait_for_mail_saying(&sink, from, URGENT, "1 new urgent report.");
    assert_eq!(
        with_subject(&mails, URGENT).len(),
        1,
        "{:?}",
        bodies(&mails)
    );
    server_b.stop();
}

fn bodies(mails: &[Mail]) -> Vec<String> {
    mails.iter().map(|m| m.body().to_owned()).collect()
}

/// Polls (at most 5 s) until the database counts a new report, as it must before the
/// instance that took it can die without losing it.
fn wait_until_counted(url: &str) {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let counted: i64 = client
            .query_one("SELECT n FROM alert_counts WHERE kind = 'new_reports'", &[])
            .unwrap()
            .get(0);
        if counted > 0 {
            return;
        }
        assert!(Instant::now() < deadline, "the report was not counted");
        std::thread::sleep(Duration::from_millis(20));
    }
}
