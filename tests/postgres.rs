//! PostgreSQL only: two instances of the service on one database, as a deployment that
//! outgrows one machine runs them, and what happens when the database goes away. Each
//! test starts its own throwaway cluster (see `common/postgres.rs`) and skips, saying
//! why, where PostgreSQL is not installed.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::accounts::{Account, decrypt, download, open_case, register};
use common::postgres::cluster_or_skip;
use common::{BIN, Deployment, agent, read};

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
    let (status, reply) = common::post_report_with_file(&server_a, "the ledger they keep", &file);
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
    let downloaded = download(&server_b, &hana_on_b, &key, &id, &blob);
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
