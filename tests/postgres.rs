//! PostgreSQL only: two instances of the service on one database, as a deployment that
//! outgrows one machine runs them, and what happens when the database goes away. Each
//! test starts its own throwaway cluster (see `common/postgres.rs`) and skips, saying
//! why, where PostgreSQL is not installed.

mod common;

use std::io::Read;
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::accounts::{Account, decrypt, open_case, register};
use common::postgres::cluster_or_skip;
use common::{BIN, Deployment, Evidence, Server, agent, json, read};
use quietline::crypto::{CaseKey, Wrap};

fn post_report_with_file(server: &Server, body: &str, file: &[u8]) -> (u16, serde_json::Value) {
    let form = common::multipart(
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
            .set("Content-Type", &common::multipart_type())
            .send_bytes(&form),
    );
    (status, json(&text))
}

/// Bytes that do not compress or repeat, over three 1 MiB database rows.
fn random_file(len: usize) -> Vec<u8> {
    use rand::RngCore;
    let mut bytes = vec![0u8; len];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

#[test]
fn two_instances_share_cases_investigators_and_evidence() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let a = Deployment::on_database(&cluster.fresh_database());
    let b = a.another_instance();
    let (hana_identity, hana_secret) = register(&a, "hana", "admin");
    let server_a = a.start(&[]);
    let server_b = b.start(&[]);
    let mut hana = Account::enrol(&server_a, "hana", hana_identity, &hana_secret);

    // A report with a file over three database rows, made on A...
    let file = random_file(2 * 1024 * 1024 + 12_345);
    let (status, reply) = post_report_with_file(&server_a, "the ledger they keep", &file);
    assert_eq!(status, 201, "{reply}");
    let token = reply["token"].as_str().unwrap().to_owned();

    // ...opens on B with its token, and a follow-up made there shows on A.
    let session_b = server_b.session(&token);
    let (status, case) = server_b.case(&session_b);
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["messages"][0]["body"], "the ledger they keep");
    assert_eq!(case["messages"][0]["attachments"][0]["name"], "file-1.bin");
    assert_eq!(server_b.follow_up(&session_b, "and one more thing"), 201);
    let session_a = server_a.session(&token);
    let (_, case) = server_a.case(&session_a);
    assert_eq!(case["messages"].as_array().unwrap().len(), 2, "{case}");
    assert_eq!(case["messages"][1]["body"], "and one more thing");

    // Hana, logged in on B, downloads the file from B: the ciphertext streams back out of
    // the database rows, and opens to the very bytes sent to A.
    let hana_on_b = hana.login(&server_b);
    let (_, list) = server_b.inv_get(&hana_on_b, "/cases");
    let id = list["cases"][0]["id"].as_str().unwrap().to_owned();
    let (detail, key) = open_case(&server_b, &hana_on_b, &hana, &id);
    let message = decrypt(&key, &detail["thread"][0]);
    let blob = message["attachments"][0]["blob"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = agent()
        .get(&server_b.url(&format!(
            "/api/v1/investigator/cases/{id}/attachments/{blob}"
        )))
        .set("Authorization", &format!("Bearer {hana_on_b}"))
        .call()
        .unwrap();
    let mut downloaded = Vec::new();
    key.open_stream(response.into_reader())
        .unwrap()
        .read_to_end(&mut downloaded)
        .unwrap();
    assert!(downloaded == file, "the file came back different");

    // The command line administers the deployment while both instances serve (sled
    // would refuse: it takes one process). Dora, added after the report, holds no wrap;
    // Hana grants her access on A, and Dora reads the case on B.
    let (dora_identity, dora_secret) = register(&a, "dora", "investigator");
    let mut dora = Account::enrol(&server_b, "dora", dora_identity, &dora_secret);
    let dora_on_b = dora.login(&server_b);
    let (status, _) = server_b.inv_get(&dora_on_b, &format!("/cases/{id}"));
    assert_eq!(status, 404, "no wrap, no case");
    let hana_on_a = hana.login(&server_a);
    let wrap = key.wrap_to(dora.identity.recipient().as_age()).unwrap();
    let (status, body) = server_a.inv_post(
        &hana_on_a,
        &format!("/cases/{id}/access"),
        &serde_json::json!({"investigator": "dora", "wrap": STANDARD.encode(&wrap.0)}),
    );
    assert_eq!(status, 201, "{body}");
    let (detail, dora_key) = open_case(&server_b, &dora_on_b, &dora, &id);
    assert_eq!(
        decrypt(&dora_key, &detail["thread"][0])["body"],
        "the ledger they keep"
    );

    // Disabled from the command line while both run: her session on B ends at once.
    let out = a.admin(&["disable-investigator", "dora"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(server_b.inv_get(&dora_on_b, "/cases").0, 401);

    // Both instances appended to one audit chain, and it verifies.
    let out = Command::new(BIN)
        .args(["audit", "verify", "--data-dir"])
        .arg(a.data_dir())
        .args(a.database_args())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("audit log intact"));

    // The servers log at trace level here; the database client's own debug lines would
    // print every statement's parameters (lookup ids, wraps, records): never.
    for server in [&server_a, &server_b] {
        let logs = server.logs();
        assert!(logs.contains("database store opened"), "{logs}");
        assert!(
            !logs.contains("with parameters"),
            "statement parameters in the logs"
        );
        assert!(
            !logs.contains("tokio_postgres"),
            "the client's own lines in the logs"
        );
    }
    server_a.stop();
    server_b.stop();
}

#[test]
fn killing_one_instance_mid_submission_loses_no_acknowledged_report() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let a = Deployment::on_database(&cluster.fresh_database());
    let b = a.another_instance();
    let server_a = a.start(&[]);
    let server_b = b.start(&[]);

    // Reports go to A as fast as it answers; each 201 is an acknowledgement.
    let base = server_a.base.clone();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = count.clone();
    let submitter = std::thread::spawn(move || {
        let mut acknowledged = Vec::new();
        for n in 0.. {
            let body = format!("report number {n}");
            let result = agent()
                .post(&format!("{base}/api/v1/reports"))
                .send_json(serde_json::json!({"body": body, "category": "coercion_or_threat", "urgent": false}));
            match result {
                Ok(response) => {
                    let reply: serde_json::Value = response.into_json().unwrap();
                    acknowledged.push((reply["token"].as_str().unwrap().to_owned(), body));
                    counted.store(acknowledged.len(), std::sync::atomic::Ordering::SeqCst);
                }
                // Killed: the connection is refused or cut.
                Err(ureq::Error::Transport(_)) => return acknowledged,
                Err(e) => panic!("unexpected answer: {e}"),
            }
        }
        unreachable!()
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while count.load(std::sync::atomic::Ordering::SeqCst) < 15 {
        assert!(Instant::now() < deadline, "A acknowledged too few reports");
        std::thread::sleep(Duration::from_millis(50));
    }
    server_a.kill();
    let acknowledged = submitter.join().unwrap();
    assert!(acknowledged.len() >= 15, "{}", acknowledged.len());

    // B never stopped serving: every acknowledged report opens there, and new ones go in.
    for (token, body) in &acknowledged {
        let session = server_b.session(token);
        let (status, case) = server_b.case(&session);
        assert_eq!(status, 200, "{case}");
        assert_eq!(case["messages"][0]["body"], body.as_str());
    }
    server_b.submit("after A went down");
    server_b.stop();
}

#[test]
fn a_lost_database_gives_503_with_retry_after_and_the_service_recovers() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let deployment = Deployment::on_database(&cluster.fresh_database());
    let server = deployment.start(&[]);
    let token = server.submit("before the outage");

    cluster.stop();
    // Health says so, and a report is refused at once with 503 and Retry-After: no 500,
    // no hang.
    let started = Instant::now();
    let (status, _) = read(agent().get(&server.url("/healthz")).call());
    assert_eq!(status, 503);
    let result = agent()
        .post(&server.url("/api/v1/reports"))
        .send_json(serde_json::json!({"body": "during the outage", "category": "coercion_or_threat", "urgent": false}));
    match result {
        Err(ureq::Error::Status(status, response)) => {
            assert_eq!(status, 503);
            assert!(
                response.header("Retry-After").is_some(),
                "503 without Retry-After"
            );
        }
        other => panic!("expected 503, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "refusing took {:?}",
        started.elapsed()
    );

    // The database returns; the service finds it again by itself.
    cluster.restart();
    let deadline = Instant::now() + Duration::from_secs(30);
    while read(agent().get(&server.url("/healthz")).call()).0 != 200 {
        assert!(Instant::now() < deadline, "the service did not recover");
        std::thread::sleep(Duration::from_millis(200));
    }
    let session = server.session(&token);
    let (status, case) = server.case(&session);
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["messages"][0]["body"], "before the outage");
    server.submit("after the outage");
    assert!(!server.logs().contains("panicked"), "{}", server.logs());
    server.stop();
}

#[test]
fn instances_starting_together_apply_each_migration_once() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let url = cluster.fresh_database();
    // The URL read from a file, as a deployment with a password keeps it.
    let keys = tempfile::tempdir().unwrap();
    let url_file = keys.path().join("database-url");
    std::fs::write(&url_file, format!("{url}\n")).unwrap();
    let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    // Started together, on a database with no schema yet: each migrates or waits for the
    // advisory lock, and finds the work done.
    let children: Vec<_> = dirs
        .iter()
        .map(|dir| {
            Command::new(BIN)
                .args(["admin", "list-investigators", "--data-dir"])
                .arg(dir.path())
                .arg("--database-url-file")
                .arg(&url_file)
                .env_remove("QUIETLINE_DATABASE_URL")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows = client
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .unwrap();
    let versions: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, vec![1, 2, 3, 4, 5, 6]);
}

/// A service on PostgreSQL that has used its connections stops cleanly on SIGTERM, and
/// one refused at start says why: the synchronous client closes its connections by
/// blocking, which panicked on the async worker where the store was dropped (the exit
/// status was not 0, and the refusal was lost behind the panic).
#[test]
fn a_service_on_postgresql_stops_cleanly_and_a_refusal_at_start_is_said() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let deployment = Deployment::on_database(&cluster.fresh_database());
    let server = deployment.start(&[]);
    let token = server.submit("before a clean stop");
    server.session(&token);
    let logs_dir = deployment.logs.path().to_owned();
    let status = server.stop_with_status();
    let logs: String = common::files_under(&logs_dir)
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect();
    assert!(status.success(), "exit status {status}: {logs}");
    assert!(!logs.contains("panicked"), "{logs}");

    let refused = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(deployment.data_dir())
        .args(deployment.database_args())
        .args(["--alert-smtp", "smtps://alerts:hunter2@mail.example:465"])
        .env("QUIETLINE_LOG", "info")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{said}");
    assert!(said.contains("--alert-smtp-password-file"), "{said}");
    assert!(!said.contains("panicked"), "{said}");
}

#[test]
fn a_database_password_is_never_taken_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["admin", "list-investigators", "--data-dir"])
        .arg(dir.path())
        .args([
            "--database-url",
            "postgres://quietline:s3cret-pw@127.0.0.1:1/quietline",
        ])
        .env_remove("QUIETLINE_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("--database-url-file"), "{said}");
    assert!(!said.contains("s3cret-pw"), "{said}");
}

#[test]
fn two_instances_writing_at_once_lose_no_update_and_keep_one_audit_chain() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let a = Deployment::on_database(&cluster.fresh_database());
    let b = a.another_instance();
    let (hana_identity, hana_secret) = register(&a, "hana", "investigator");
    let server_a = a.start(&[]);
    let server_b = b.start(&[]);
    let mut hana = Account::enrol(&server_a, "hana", hana_identity, &hana_secret);
    let token = server_a.submit("one case, written from two places");
    let hana_on_a = hana.login(&server_a);
    let hana_on_b = hana.login(&server_b);
    let (_, list) = server_a.inv_get(&hana_on_a, "/cases");
    let id = list["cases"][0]["id"].as_str().unwrap().to_owned();

    // The reporter follows up through A and B at the same time while Hana opens the case
    // on both (each opening is an audit entry): every follow-up lands with its own
    // number, and the audit chain does not fork.
    const EACH: usize = 12;
    // One reporter session (a case has one at a time, on whichever instance), used
    // through both.
    let session = server_a.session(&token);
    let (session_a, session_b) = (session.clone(), session);
    std::thread::scope(|scope| {
        for (server, session, inv) in [
            (&server_a, &session_a, &hana_on_a),
            (&server_b, &session_b, &hana_on_b),
        ] {
            let id = &id;
            scope.spawn(move || {
                for n in 0..EACH {
                    assert_eq!(server.follow_up(session, &format!("note {n}")), 201);
                }
            });
            scope.spawn(move || {
                for _ in 0..EACH {
                    assert_eq!(server.inv_get(inv, &format!("/cases/{id}")).0, 200);
                }
            });
        }
    });
    let (_, case) = server_b.case(&session_b);
    assert_eq!(
        case["messages"].as_array().unwrap().len(),
        1 + 2 * EACH,
        "{case}"
    );
    server_a.stop();
    server_b.stop();

    let out = Command::new(BIN)
        .args(["audit", "verify", "--data-dir"])
        .arg(a.data_dir())
        .args(a.database_args())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    let entries: usize = said
        .split("intact: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert!(entries >= 2 * EACH, "{said}");
}

#[test]
fn serve_deletes_uploads_a_killed_process_left_unfinished_and_keeps_the_rest() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let url = cluster.fresh_database();
    let deployment = Deployment::on_database(&url);
    let today = quietline::case::Day::today().julian();
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    // Left by a process killed three days ago mid-upload; one being written now by
    // another instance; a complete file whose message never committed.
    for (id, started, complete) in [
        ("aa", today - 3, false),
        ("bb", today, false),
        ("cc", today - 3, true),
    ] {
        db.execute(
            "INSERT INTO blobs (id, started, complete) VALUES (decode($1, 'hex'), $2, $3)",
            &[&id.repeat(16), &started, &complete],
        )
        .unwrap();
        db.execute(
            "INSERT INTO blob_chunks (blob, seq, bytes) VALUES (decode($1, 'hex'), 0, $2)",
            &[&id.repeat(16), &vec![7u8; 100]],
        )
        .unwrap();
    }
    let server = deployment.start(&[]);
    let mut left: Vec<String> = common::postgres::stored_blobs(&url)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    left.sort();
    assert_eq!(left, ["bb".repeat(16), "cc".repeat(16)]);
    let chunks: i64 = db
        .query_one("SELECT count(*) FROM blob_chunks", &[])
        .unwrap()
        .get(0);
    assert_eq!(chunks, 2);
    server.stop();
}

#[test]
fn an_investigator_session_made_on_one_instance_serves_and_ends_on_the_other() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let url = cluster.fresh_database();
    let a = Deployment::on_database(&url);
    let b = a.another_instance();
    let (hana_identity, hana_secret) = register(&a, "hana", "admin");
    let (dora_identity, dora_secret) = register(&a, "dora", "investigator");
    let server_a = a.start(&[]);
    let server_b = b.start(&[]);
    let mut hana = Account::enrol(&server_a, "hana", hana_identity, &hana_secret);
    let mut dora = Account::enrol(&server_b, "dora", dora_identity, &dora_secret);

    // Logged in on A, Hana works on B with the same session, as behind a load balancer
    // without sticky sessions.
    let session = hana.login(&server_a);
    let (status, list) = server_b.inv_get(&session, "/cases");
    assert_eq!(status, 200, "A's session is refused on B: {list}");
    let (status, _) = server_a.inv_get(&session, "/cases");
    assert_eq!(status, 200);

    // She logs out on B: A refuses the session at once.
    let (status, body) = server_b.inv_post(&session, "/logout", &serde_json::json!({}));
    assert_eq!(status, 204, "{body}");
    let (status, _) = server_a.inv_get(&session, "/cases");
    assert_eq!(status, 401, "a session logged out on B still works on A");
    let (status, _) = server_b.inv_get(&session, "/cases");
    assert_eq!(status, 401);

    // Dora, logged in on B, is disabled from the command line while both serve: her
    // session ends on both instances.
    let dora_session = dora.login(&server_b);
    assert_eq!(server_a.inv_get(&dora_session, "/cases").0, 200);
    let out = a.admin(&["disable-investigator", "dora"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(server_a.inv_get(&dora_session, "/cases").0, 401);
    assert_eq!(server_b.inv_get(&dora_session, "/cases").0, 401);
    // And nothing of the session is left in the database for her.
    let dump = String::from_utf8_lossy(&common::postgres::dump(&url)).into_owned();
    assert!(
        !dump.contains(&dora_session),
        "a session id is in the database"
    );
}

#[test]
fn a_form_nonce_issued_by_one_instance_is_spent_on_the_other_once() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let a = Deployment::on_database(&cluster.fresh_database());
    let b = a.another_instance();
    let server_a = a.start(&[]);
    let server_b = b.start(&[]);
    let token = server_a.submit("the page form crosses instances");

    // The login form rendered by A, sent to B (no sticky sessions): the case opens.
    let once = server_a.form_nonce("/case");
    let log_in = |server: &Server| {
        read(
            agent()
                .post(&server.url("/case"))
                .send_form(&[("token", &token), ("once", &once)]),
        )
    };
    let (status, page) = log_in(&server_b);
    assert_eq!(status, 200, "A's form was refused by B: {page}");
    assert!(page.contains("the page form crosses instances"), "{page}");

    // Resent from history, to either instance, it is spent.
    assert_eq!(log_in(&server_b).0, 409, "a spent nonce was accepted again");
    assert_eq!(
        log_in(&server_a).0,
        409,
        "a nonce spent on B was accepted on A"
    );
}

/// The idle and absolute limits of investigator sessions hold the same in the database
/// as in memory: checked by the query, with the service's clock.
#[test]
fn database_investigator_sessions_expire_as_memory_ones_do() {
    use quietline::service::SessionLimits;
    use quietline::service::accounts::{InvestigatorSessions, MemorySessions};
    use quietline::store::{DatabaseUrl, PgStore};
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let store = PgStore::open(&DatabaseUrl::parse(&cluster.fresh_database()).unwrap()).unwrap();
    let limits = SessionLimits {
        idle: Duration::from_secs(600),
        max: Duration::from_secs(3600),
    };
    let kinds: [(&str, Box<dyn InvestigatorSessions>); 2] = [
        ("memory", Box::new(MemorySessions::default())),
        ("database", Box::new(store.investigator_sessions())),
    ];
    for (kind, sessions) in kinds {
        let t0 = 1_800_000_000;
        let (idle, busy, ended) = ([1u8; 32], [2u8; 32], [3u8; 32]);
        for digest in [&idle, &busy, &ended] {
            sessions.open(digest, "hana", t0, limits).unwrap();
        }
        let name = |digest, at| sessions.touch(digest, at, limits).unwrap();
        assert_eq!(name(&idle, t0 + 599).as_deref(), Some("hana"), "{kind}");
        assert_eq!(name(&idle, t0 + 599 + 600), None, "{kind}: idle 10 minutes");
        assert_eq!(
            name(&idle, t0 + 600),
            None,
            "{kind}: an ended session stays ended"
        );
        // Used every 500 s, a session still ends an hour after it began.
        for step in 1..=7 {
            assert!(
                name(&busy, t0 + step * 500).is_some(),
                "{kind}: step {step}"
            );
        }
        assert_eq!(name(&busy, t0 + 3600), None, "{kind}: the absolute limit");
        sessions.end_all_of("hana").unwrap();
        assert_eq!(name(&ended, t0 + 1), None, "{kind}: ended with its account");
        assert_eq!(name(&[9u8; 32], t0), None, "{kind}: an unknown digest");
    }
}

#[test]
fn a_reporter_session_opened_on_one_instance_reads_on_the_other_and_a_dump_opens_nothing() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let url = cluster.fresh_database();
    let a = Deployment::on_database(&url);
    let b = a.another_instance();
    let server_a = a.start(&[]);
    let server_b = b.start(&[]);
    let token = server_a.submit("sealed to the bearer");

    // Opened on A, read and written on B: no instance holds the session.
    let session = server_a.session(&token);
    let (status, case) = server_b.case(&session);
    assert_eq!(status, 200, "A's reporter session is refused on B: {case}");
    assert_eq!(case["messages"][0]["body"], "sealed to the bearer");
    assert_eq!(server_b.follow_up(&session, "written on B"), 201);
    let (_, case) = server_a.case(&session);
    assert_eq!(case["messages"][1]["body"], "written on B");

    // The database holds one row for it: no session id, no case id, and a sealed case
    // key that only the session id opens.
    let dump = common::postgres::dump(&url);
    let text = String::from_utf8_lossy(&dump);
    assert!(
        !text.contains(&session),
        "the session id is in the database"
    );
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows = client
        .query("SELECT slot, sealed FROM reporter_sessions", &[])
        .unwrap();
    assert_eq!(rows.len(), 1);
    let case_ids: Vec<Vec<u8>> = client
        .query("SELECT id FROM cases", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let sealed: Vec<u8> = rows[0].get(1);
    let slot: Vec<u8> = rows[0].get(0);
    assert!(
        !sealed.windows(16).any(|w| w == &case_ids[0][..]),
        "the case id is in clear"
    );
    let (_, wrap): (Vec<u8>, Vec<u8>) = postcard::from_bytes(&sealed).unwrap();
    let stranger = quietline::crypto::SessionId::generate().sealing_identity();
    assert!(CaseKey::unwrap_with(&Wrap(wrap.clone()), stranger.as_age()).is_err());
    let bearer = quietline::crypto::SessionId::parse(&session)
        .unwrap()
        .sealing_identity();
    let key = CaseKey::unwrap_with(&Wrap(wrap), bearer.as_age()).expect("the bearer opens it");
    assert_eq!(
        key.session_slot().to_vec(),
        slot,
        "the sealed key is the case's"
    );

    // Leaving on B ends the session on A too.
    let (status, _) = read(
        agent()
            .delete(&server_b.url("/api/v1/case/session"))
            .set("Authorization", &format!("Bearer {session}"))
            .call(),
    );
    assert_eq!(status, 204);
    assert_eq!(
        server_a.case(&session).0,
        401,
        "a session ended on B lives on A"
    );
}

/// The database's reporter sessions keep the limits in the query (minutes), and one
/// session per case: a new session of the same case ends the old one.
#[test]
fn database_reporter_sessions_expire_and_keep_one_per_case() {
    use quietline::service::sessions::{SessionRow, SharedReporterSessions};
    use quietline::store::{DatabaseUrl, PgStore};
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let store = PgStore::open(&DatabaseUrl::parse(&cluster.fresh_database()).unwrap()).unwrap();
    let sessions = store.reporter_sessions();
    let t0 = 30_000_000; // minutes
    let row = |digest: &'static [u8; 32], slot: &'static [u8; 32], lookup: &'static [u8; 32]| {
        SessionRow {
            digest,
            slot,
            sealed: b"sealed",
            token_lookup: lookup,
            by_token: b"by token",
            idle_until: t0 + 15,
            ends_at: t0 + 60,
        }
    };
    sessions.put(row(&[1; 32], &[10; 32], &[20; 32])).unwrap();
    assert_eq!(
        sessions.get(&[1; 32], t0 + 14, t0 + 29).unwrap().as_deref(),
        Some(&b"sealed"[..])
    );
    assert_eq!(
        sessions.get(&[1; 32], t0 + 28, t0 + 43).unwrap().as_deref(),
        Some(&b"sealed"[..])
    );
    assert_eq!(
        sessions.get(&[1; 32], t0 + 43, t0 + 58).unwrap(),
        None,
        "idle 15 minutes"
    );

    sessions.put(row(&[2; 32], &[11; 32], &[21; 32])).unwrap();
    for minute in [14, 28, 42, 56] {
        assert!(
            sessions
                .get(&[2; 32], t0 + minute, t0 + minute + 15)
                .unwrap()
                .is_some()
        );
    }
    assert_eq!(
        sessions.get(&[2; 32], t0 + 60, t0 + 75).unwrap(),
        None,
        "an hour after login"
    );

    // A second session of the same case (slot) ends the first; a take-over moves it.
    sessions.put(row(&[3; 32], &[12; 32], &[22; 32])).unwrap();
    sessions.put(row(&[4; 32], &[12; 32], &[23; 32])).unwrap();
    assert_eq!(
        sessions.get(&[3; 32], t0, t0 + 15).unwrap(),
        None,
        "one session per case"
    );
    assert_eq!(
        sessions.by_token(&[23; 32], t0).unwrap().as_deref(),
        Some(&b"by token"[..])
    );
    assert!(
        sessions
            .take_over(&[23; 32], t0, row(&[5; 32], &[12; 32], &[23; 32]))
            .unwrap()
    );
    assert_eq!(
        sessions.get(&[4; 32], t0, t0 + 15).unwrap(),
        None,
        "taken over"
    );
    assert!(sessions.get(&[5; 32], t0, t0 + 15).unwrap().is_some());
    sessions.end(&[5; 32]).unwrap();
    assert_eq!(sessions.by_token(&[23; 32], t0).unwrap(), None, "ended");
}
