//! Retention: with `--retention-days N`, a case closed N days ago is deleted at start with
//! everything of it (record, lookup, wraps, thread, notes, evidence files, seen-marks,
//! closure day); its token then answers exactly as a token that never existed, the audit
//! chain records "case purged" without content and still verifies, cases still within
//! their period are kept, and the store starts again (its high-water mark was lowered).
//!
//! The service's clock cannot be moved from outside, so the test backdates the recorded
//! closure day in the stopped store, as a case closed 40 days ago would have it.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::accounts::{Account, register};
use common::store::{entries, open_status, submit_with_photo};
use common::{BIN, Deployment, Server};
use quietline::audit::{Action, Sealed};
use quietline::case::Day;
use quietline::crypto::CaseToken;
use serde_json::json;

fn submit(server: &Server, body: &str, category: &str) -> String {
    let (status, reply) = server.post_json(
        "/api/v1/reports",
        &json!({"body": body, "category": category, "urgent": false}),
    );
    assert_eq!(status, 201, "{reply}");
    reply["token"].as_str().unwrap().to_owned()
}

/// The answer to opening a case with `token`: status and body.
fn open_answer(server: &Server, token: &str) -> (u16, serde_json::Value) {
    server.post_json("/api/v1/case/session", &json!({ "token": token }))
}

fn days_ago(days: u64) -> Day {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    Day::from_unix(now - days * 86_400)
}

#[test]
fn a_case_closed_longer_than_the_retention_period_is_deleted_with_everything_of_it() {
    let deployment = Deployment::new();
    let (identity, secret) = register(&deployment, "boss", "admin");
    let server = deployment.start(&[]);
    let mut boss = Account::enrol(&server, "boss", identity, &secret);
    let session = boss.login(&server);
    let old = submit_with_photo(&server, "closed long ago");
    let recent = submit(&server, "closed last week", "collusion");
    let open = submit(&server, "still open", "infiltration");
    let reporter = server.session(&old);
    assert_eq!(server.follow_up(&reporter, "and another thing"), 201);

    let (_, list) = server.inv_get(&session, "/cases");
    let id_of = |category: &str| {
        list["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["category"] == category)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (old_id, recent_id) = (id_of("coercion_or_threat"), id_of("collusion"));
    for id in [&old_id, &recent_id] {
        // Opening leaves a seen-mark; a note adds to what must go.
        let (status, _) = server.inv_get(&session, &format!("/cases/{id}"));
        assert_eq!(status, 200);
        let (status, reply) = server.inv_post(
            &session,
            &format!("/cases/{id}/status"),
            &json!({"status": "closed", "outcome": "referred"}),
        );
        assert_eq!(status, 200, "{reply}");
    }
    server.stop();
    if let Some(url) = &deployment.database {
        assert_eq!(common::postgres::stored_blobs(url).len(), 1);
    } else {
        assert_eq!(entries(&deployment.data_dir().join("blobs")).len(), 1);
    }

    // Backdate the closure: the old case was closed 40 days ago, the recent one 10.
    if let Some(url) = &deployment.database {
        let mut db = postgres::Client::connect(url, postgres::NoTls).unwrap();
        let closed: i64 = db
            .query_one(
                "SELECT count(*) FROM cases WHERE closed_on IS NOT NULL",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(closed, 2, "closing did not record the day");
        for (id, days) in [(&old_id, 40), (&recent_id, 10)] {
            let day = postcard::to_stdvec(&days_ago(days)).unwrap();
            db.execute(
                "UPDATE cases SET closed_on = $2 WHERE id = decode($1, 'hex')",
                &[&id.as_str(), &day],
            )
            .unwrap();
        }
    } else {
        let db = sled::open(deployment.data_dir().join("store")).unwrap();
        let closed = db.open_tree("closed").unwrap();
        assert_eq!(closed.len(), 2, "closing did not record the day");
        for (id, days) in [(&old_id, 40), (&recent_id, 10)] {
            let key = quietline::store::CaseId::parse(id).unwrap();
            let day = postcard::to_stdvec(&days_ago(days)).unwrap();
            closed.insert(key.as_bytes(), day).unwrap();
        }
        db.flush().unwrap();
    }

    let server = deployment.start(&["--retention-days", "30"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server.logs().contains("retention period") {
        assert!(
            Instant::now() < deadline,
            "no purge at start: {}",
            server.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let never = CaseToken::generate().grouped().to_string();
    assert_eq!(open_answer(&server, &old), open_answer(&server, &never));
    assert_eq!(open_answer(&server, &old).0, 401);
    assert_eq!(open_status(&server, &recent), 200);
    assert_eq!(open_status(&server, &open), 200);
    let session = boss.login(&server);
    let (_, list) = server.inv_get(&session, "/cases");
    assert_eq!(list["total"], 2, "{list}");
    let (status, _) = server.inv_get(&session, &format!("/cases/{old_id}"));
    assert_eq!(status, 404);
    server.stop();

    // Nothing of the case is left in the store or among the evidence files.
    let purged_entries = match &deployment.database {
        Some(url) => purged_from_database(url, &old_id),
        None => purged_from_sled(&deployment, &old_id),
    };
    assert_eq!(purged_entries.len(), 1);
    assert_eq!(
        purged_entries[0].entry.case.as_deref(),
        Some(old_id.as_str())
    );
    assert_eq!(purged_entries[0].entry.detail, "");
    let out = Command::new(BIN)
        .args(["audit", "verify", "--data-dir"])
        .arg(deployment.data_dir())
        .args(deployment.database_args())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    // The high-water mark fell with the purge: the store starts again as it is, and a
    // new report with evidence still works.
    let server = deployment.start(&[]);
    assert_eq!(open_status(&server, &recent), 200);
    assert_eq!(open_status(&server, &old), 401);
    submit_with_photo(&server, "after the purge");
    server.kill();
}

/// Checks that nothing of case `old_id` is left in the database; its purge entries.
fn purged_from_database(url: &str, old_id: &str) -> Vec<Sealed> {
    let mut db = postgres::Client::connect(url, postgres::NoTls).unwrap();
    assert!(common::postgres::stored_blobs(url).is_empty());
    for table in ["cases", "wraps", "thread", "notes", "seen", "blobs"] {
        let column = if table == "cases" { "id" } else { "case_id" };
        let left: i64 = db
            .query_one(
                &format!("SELECT count(*) FROM {table} WHERE {column} = decode($1, 'hex')"),
                &[&old_id],
            )
            .unwrap()
            .get(0);
        assert_eq!(left, 0, "{table} keeps rows of the purged case");
    }
    let chunks: i64 = db
        .query_one("SELECT count(*) FROM blob_chunks", &[])
        .unwrap()
        .get(0);
    assert_eq!(chunks, 0);
    let cases: i64 = db
        .query_one("SELECT count(*) FROM cases", &[])
        .unwrap()
        .get(0);
    assert_eq!(cases, 2);
    db.query("SELECT entry FROM audit ORDER BY seq", &[])
        .unwrap()
        .iter()
        .map(|r| postcard::from_bytes::<Sealed>(r.get(0)).unwrap())
        .filter(|s| s.entry.action == Action::CasePurged)
        .collect()
}

/// Checks that nothing of case `old_id` is left in sled's trees or among the evidence
/// files; its purge entries.
fn purged_from_sled(deployment: &Deployment, old_id: &str) -> Vec<Sealed> {
    assert!(entries(&deployment.data_dir().join("blobs")).is_empty());
    assert!(!deployment.data_dir().join("quarantine").exists());
    let old_key = quietline::store::CaseId::parse(old_id).unwrap();
    {
        let db = sled::open(deployment.data_dir().join("store")).unwrap();
        for tree in ["cases", "wraps", "thread", "notes", "closed"] {
            let tree = db.open_tree(tree).unwrap();
            assert_eq!(tree.scan_prefix(old_key.as_bytes()).count(), 0);
        }
        for tree in ["lookup", "blobs"] {
            let tree = db.open_tree(tree).unwrap();
            assert!(
                tree.iter()
                    .values()
                    .all(|v| v.unwrap().as_ref() != old_key.as_bytes())
            );
        }
        let seen = db.open_tree("seen").unwrap();
        assert!(
            seen.iter()
                .keys()
                .all(|k| !k.unwrap().ends_with(old_key.as_bytes()))
        );
        assert_eq!(db.open_tree("lookup").unwrap().len(), 2);
        db.open_tree("audit")
            .unwrap()
            .iter()
            .values()
            .map(|v| postcard::from_bytes::<Sealed>(&v.unwrap()).unwrap())
            .filter(|s| s.entry.action == Action::CasePurged)
            .collect::<Vec<_>>()
    }
}

/// Whether the file of PostgreSQL table `table` holds `needle`, once the server has
/// written what it holds in memory (a checkpoint): what a copy of the database's disk
/// would show. Needs the test to read the cluster's files (CI runs as root).
fn table_file_holds(url: &str, table: &str, needle: &[u8]) -> bool {
    let mut db = postgres::Client::connect(url, postgres::NoTls).unwrap();
    db.batch_execute("CHECKPOINT").unwrap();
    let row = db
        .query_one(
            "SELECT current_setting('data_directory'), pg_relation_filepath($1::text::regclass)",
            &[&table],
        )
        .unwrap();
    let file = std::path::Path::new(row.get::<_, &str>(0)).join(row.get::<_, &str>(1));
    std::fs::read(&file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()))
        .windows(needle.len())
        .any(|w| w == needle)
}

/// Whether any file under `dir` holds `needle`.
fn disk_holds(dir: &std::path::Path, needle: &[u8]) -> bool {
    common::files_under(dir).iter().any(|file| {
        std::fs::read(file)
            .unwrap_or_default()
            .windows(needle.len())
            .any(|w| w == needle)
    })
}

fn wait_for(server: &Server, what: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.logs().matches(what).count() < count {
        assert!(
            Instant::now() < deadline,
            "waited for {count} × {what:?}: {}",
            server.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The daily run, inside a service that keeps running: a case closed today is kept while
/// its period runs; once the clock passes its last day (a debug build reads its clock's
/// offset from `QUIETLINE_TEST_CLOCK_OFFSET_FILE` at every tick), the next run purges it
/// without a restart, and the store is rewritten right after, so that the case's bytes
/// leave the disk: neither its case id nor its lookup id (what the store keys it by, in
/// clear) is in any file of the data directory any more, while they were before.
#[test]
fn a_running_service_purges_a_case_when_its_period_ends_and_rewrites_its_bytes_away() {
    let deployment = Deployment::new();
    let (identity, secret) = register(&deployment, "boss", "admin");
    let server = deployment.start(&[]);
    let mut boss = Account::enrol(&server, "boss", identity, &secret);
    let session = boss.login(&server);
    let doomed = submit_with_photo(&server, "closed today");
    let kept = submit(&server, "still open", "infiltration");
    let (_, list) = server.inv_get(&session, "/cases");
    let doomed_id = list["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "coercion_or_threat")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, reply) = server.inv_post(
        &session,
        &format!("/cases/{doomed_id}/status"),
        &json!({"status": "closed", "outcome": "referred"}),
    );
    assert_eq!(status, 200, "{reply}");
    server.stop();

    let data = deployment.data_dir();
    let database = common::postgres::database_for(data);
    let case_id = *quietline::store::CaseId::parse(&doomed_id)
        .unwrap()
        .as_bytes();
    let kdf: quietline::crypto::KdfSettings = match &database {
        None => {
            let db = sled::open(data.join("store")).unwrap();
            postcard::from_bytes(&db.open_tree("meta").unwrap().get("kdf").unwrap().unwrap())
                .unwrap()
        }
        Some(url) => {
            let mut db = postgres::Client::connect(url, postgres::NoTls).unwrap();
            let row = db
                .query_one("SELECT value FROM meta WHERE key = 'kdf'", &[])
                .unwrap();
            postcard::from_bytes(row.get::<_, &[u8]>(0)).unwrap()
        }
    };
    let token = CaseToken::parse(&doomed).unwrap();
    let lookup = *kdf.derive_seed(&token).unwrap().lookup_id().as_bytes();
    let on_disk = |needle: &[u8]| match &database {
        None => disk_holds(data, needle),
        Some(url) => table_file_holds(url, "cases", needle),
    };
    assert!(on_disk(&case_id) && on_disk(&lookup));

    let clock = tempfile::tempdir().unwrap();
    let offset = clock.path().join("offset-days");
    std::fs::write(&offset, "0").unwrap();
    let env = format!("QUIETLINE_TEST_CLOCK_OFFSET_FILE={}", offset.display());
    let server = match common::store::try_start(
        data,
        deployment.logs.path(),
        &["env", &env],
        &["--retention-days", "30", "--rewrite-every", "2s"],
    ) {
        common::store::Start::Listening(server) => server,
        common::store::Start::Refused { said, .. } => panic!("{said}"),
    };
    // Runs go by while the case is within its period: nothing is purged.
    wait_for(&server, "rewrote the store", 2);
    assert_eq!(open_status(&server, &doomed), 200);
    assert!(!server.logs().contains("retention period"));

    // Thirty-one days later, for the running service.
    std::fs::write(&offset, "31").unwrap();
    wait_for(&server, "retention period", 1);
    let purged_at = server.logs().find("retention period").unwrap();
    let rewrites_before = server.logs()[..purged_at]
        .matches("rewrote the store")
        .count();
    wait_for(&server, "rewrote the store", rewrites_before + 1);
    let never = CaseToken::generate().grouped().to_string();
    assert_eq!(open_answer(&server, &doomed), open_answer(&server, &never));
    assert_eq!(open_status(&server, &kept), 200);
    server.stop();

    assert!(!on_disk(&case_id), "the purged case id is still on disk");
    assert!(!on_disk(&lookup), "the purged lookup id is still on disk");
    match &database {
        None => assert!(entries(&data.join("blobs")).is_empty()),
        Some(url) => assert!(common::postgres::stored_blobs(url).is_empty()),
    }
    let server = deployment.start(&[]);
    assert_eq!(open_status(&server, &kept), 200);
    server.kill();
}
