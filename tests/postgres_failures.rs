//! PostgreSQL only: what a reporter sees when the database fails under a login, and what
//! an instance does when the database comes back older than it was (a restored dump).
//! Each test starts its own throwaway cluster (see `common/postgres.rs`) and skips,
//! saying why, where PostgreSQL is not installed.

mod common;

use std::time::{Duration, Instant};

use common::postgres::cluster_or_skip;
use common::store::Start;
use common::{Deployment, Server, agent, form_nonce_in, json, read, read_with_retry_after};
use quietline::case::{Author, CaseRecord, Category, Day, DeadlinePolicy};
use quietline::crypto::{CaseToken, DeploymentSalt, KdfParams, KdfSettings, Wrap};
use quietline::store::{CaseId, DatabaseUrl, Holder, NewCase, PgStore, Store, ThreadEntry, Upkeep};

/// Posts a token login; its status, its Retry-After header and its body.
fn login(server: &Server, token: &str) -> (u16, Option<String>, serde_json::Value) {
    let (status, retry_after, body) = read_with_retry_after(
        agent()
            .post(&server.url("/api/v1/case/session"))
            .send_json(serde_json::json!({ "token": token })),
    );
    (status, retry_after, json(&body))
}

/// The case page of the API with `session`: its status and Retry-After header.
fn case_status(server: &Server, session: &str) -> (u16, Option<String>) {
    let (status, retry_after, _) = read_with_retry_after(
        agent()
            .get(&server.url("/api/v1/case"))
            .set("Authorization", &format!("Bearer {session}"))
            .call(),
    );
    (status, retry_after)
}

fn wait_healthy(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while read(agent().get(&server.url("/healthz")).call()).0 != 200 {
        assert!(Instant::now() < deadline, "the service did not recover");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A login whose token opened the case but whose session could not be stored answered
/// 200 with a session no instance could serve ("session expired" at the next page): the
/// error was only logged. It must be 503 with Retry-After, and a lookup the database
/// cannot answer must not say "log in again" either.
#[test]
fn a_session_the_database_cannot_store_is_503_never_a_broken_200() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let url = cluster.fresh_database();
    let deployment = Deployment::on_database(&url);
    let server = deployment.start(&[]);
    let token = server.submit("what they asked me to let through");

    // The sessions table takes no write (another client holds its lock) while the
    // cases are read as usual: the token derives and opens its case, the session's
    // insert waits, then fails (lock timeout).
    let mut holder = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut tx = holder.transaction().unwrap();
    tx.batch_execute("LOCK TABLE reporter_sessions IN EXCLUSIVE MODE")
        .unwrap();
    let (status, retry_after, reply) = login(&server, &token);
    assert_eq!(status, 503, "{reply}");
    assert!(retry_after.is_some(), "503 without Retry-After");
    assert!(reply.get("session").is_none(), "{reply}");
    tx.rollback().unwrap();

    // The table is free again: the same token logs in, and its session reads.
    let (status, _, reply) = login(&server, &token);
    assert_eq!(status, 200, "{reply}");
    let session = reply["session"].as_str().unwrap().to_owned();
    assert_eq!(case_status(&server, &session).0, 200);

    // The database stops: a login and a read of the live session are 503 with
    // Retry-After (not "unknown token", not "session expired").
    cluster.stop();
    let (status, retry_after, reply) = login(&server, &token);
    assert_eq!(status, 503, "{reply}");
    assert!(retry_after.is_some(), "503 without Retry-After");
    let (status, retry_after) = case_status(&server, &session);
    assert_eq!(status, 503);
    assert!(retry_after.is_some(), "503 without Retry-After");

    // It returns: the session made before the outage still reads, and a login works.
    cluster.restart();
    wait_healthy(&server);
    assert_eq!(case_status(&server, &session).0, 200);
    let (status, _, reply) = login(&server, &token);
    assert_eq!(status, 200, "{reply}");
    assert!(!server.logs().contains("panicked"), "{}", server.logs());
    server.stop();
}

/// Posts the report page's form with the nonce `once`; status, Retry-After and page.
fn post_report_page(server: &Server, once: &str, body: &str) -> (u16, Option<String>, String) {
    read_with_retry_after(agent().post(&server.url("/report")).send_form(&[
        ("once", once),
        ("body", body),
        ("category", "coercion_or_threat"),
    ]))
}

/// A report sent from the page while the database was away was answered "this report was
/// already sent" (409): the reporter would believe it stored. It must come back with its
/// text and 503, and the form it came back with must be accepted once the database is.
#[test]
fn a_report_page_posted_while_the_database_is_away_comes_back_never_already_sent() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let deployment = Deployment::on_database(&cluster.fresh_database());
    let server = deployment.start(&[]);
    let once = server.form_nonce("/report");

    cluster.stop();
    let written = "the shipment on the 14th is waved through";
    let (status, retry_after, page) = post_report_page(&server, &once, written);
    assert_eq!(status, 503, "{page}");
    assert!(retry_after.is_some(), "503 without Retry-After");
    assert!(page.contains(written), "the text did not come back: {page}");

    cluster.restart();
    wait_healthy(&server);
    let (status, _, page) = post_report_page(&server, &form_nonce_in(&page), written);
    assert_eq!(status, 201, "{page}");
    // The form sent during the outage stored nothing, so its nonce is still good once:
    // the reporter's Back and resend after the outage is taken, then refused.
    let (status, _, page) = post_report_page(&server, &once, written);
    assert_eq!(status, 201, "{page}");
    let (status, _, page) = post_report_page(&server, &once, written);
    assert_eq!(status, 409, "{page}");
    server.stop();
}

/// The server binaries' directory (psql, pg_dump), as `common/postgres.rs` finds them.
fn pg_tool(name: &str) -> std::path::PathBuf {
    ["17", "16", "15"]
        .iter()
        .map(|v| std::path::PathBuf::from(format!("/usr/lib/postgresql/{v}/bin/{name}")))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("no {name} in /usr/lib/postgresql/*/bin"))
}

/// Replaces the database at `url` (named `name` on `cluster`) by a plain-SQL dump, as an
/// operator restoring a backup does: drop, create, `psql -f`.
fn restore(cluster: &common::postgres::Cluster, name: &str, dump: &[u8]) {
    let mut admin = postgres::Client::connect(&cluster.url("postgres"), postgres::NoTls).unwrap();
    // One statement each: several in one batch run as one transaction, which DROP
    // DATABASE refuses.
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), dump).unwrap();
    let out = std::process::Command::new(pg_tool("psql"))
        .args(["--quiet", "--set", "ON_ERROR_STOP=1", "--dbname"])
        .arg(cluster.url(name))
        .arg("--file")
        .arg(file.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "psql failed: {out:?}");
}

/// Starts `serve` on `deployment` (its own data directory, the shared database), which
/// may refuse to start.
fn try_start(deployment: &Deployment, extra: &[&str]) -> Start {
    common::store::try_start_on(
        deployment.data_dir(),
        deployment.database.as_deref(),
        deployment.logs.path(),
        &[],
        extra,
    )
}

/// A database restored from an older dump was served as if nothing happened, and the
/// reporters whose cases it lost got "unknown token". Each instance's high-water mark
/// (in its own data directory) now refuses it at start, saying what is missing and how to
/// accept the loss; accepted on one instance, that one serves and the other still refuses
/// until accepted there too.
#[test]
fn a_database_restored_from_an_older_dump_is_refused_until_the_loss_is_accepted() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let url = cluster.fresh_database();
    let name = url.rsplit('/').next().unwrap().to_owned();
    let a = Deployment::on_database(&url);
    let b = a.another_instance();
    let server_a = a.start(&[]);
    let kept = server_a.submit("before the dump");
    server_a.stop();
    let dump = common::postgres::dump(&url);

    // After the dump: a case on A, a follow-up on B to the case the dump holds.
    let server_a = a.start(&[]);
    let server_b = b.start(&[]);
    let lost = server_a.submit("after the dump");
    let session = server_b.session(&kept);
    assert_eq!(server_b.follow_up(&session, "one more thing"), 201);
    server_a.stop();
    server_b.stop();

    restore(&cluster, &name, &dump);

    // Both instances refuse: each saw what the dump lacks.
    let said = try_start(&a, &[]).refusal();
    assert!(
        said.contains("missing at least 1 case, 1 thread entry"),
        "{said}"
    );
    assert!(said.contains("--accept-data-loss"), "{said}");
    assert!(said.contains("database.mark"), "{said}");
    let said = try_start(&b, &[]).refusal();
    assert!(
        said.contains("missing at least 0 cases, 1 thread entry"),
        "{said}"
    );

    // The administrator has no newer dump and accepts the loss on A: it serves what the
    // dump holds, says so in its log, and starts plainly after.
    let server_a = try_start(&a, &["--accept-data-loss"]).listening();
    assert!(server_a.logs().contains("serving a store that lost data"));
    assert_eq!(server_a.case(&server_a.session(&kept)).0, 200);
    let (status, _) = server_a.post_json(
        "/api/v1/case/session",
        &serde_json::json!({ "token": lost }),
    );
    assert_eq!(status, 401, "the lost case's token matches nothing");
    server_a.stop();
    try_start(&a, &[]).listening().stop();
    // B's own mark still refuses until the loss is accepted there too.
    try_start(&b, &[]).refusal();
    try_start(&b, &["--accept-data-loss"]).listening().stop();
    try_start(&b, &[]).listening().stop();
}

/// A case as the service would store it (the contents do not matter here).
fn new_case(kdf: &KdfSettings) -> NewCase {
    let day = Day::today();
    NewCase {
        id: CaseId::generate(),
        lookup: kdf.derive_seed(&CaseToken::generate()).unwrap().lookup_id(),
        record: CaseRecord::new_report(
            Category::Other,
            false,
            day,
            DeadlinePolicy::default(),
            vec!["ana".into()],
        ),
        wraps: vec![(Holder::Reporter, Wrap(vec![7; 200]))],
        report: ThreadEntry {
            author: Author::Reporter,
            day,
            ciphertext: vec![42; 300],
        },
        blobs: vec![],
    }
}

/// Retention deletes cases for good, which must not read as a loss at the next start on
/// any instance: each purge adds what it deleted to totals in the database, in the same
/// transaction, so an instance that had counted the purged cases still finds its mark
/// covered.
#[test]
fn a_purge_on_one_instance_is_no_loss_to_either_instance() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let raw_url = cluster.fresh_database();
    let url = DatabaseUrl::parse(&raw_url).unwrap();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let kdf = KdfSettings {
        salt: DeploymentSalt::generate(),
        params: KdfParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
    };
    let a = PgStore::open_serving(&url, dir_a.path(), false).unwrap();
    let b = PgStore::open_serving(&url, dir_b.path(), false).unwrap();
    let cases: Vec<NewCase> = (0..3).map(|_| new_case(&kdf)).collect();
    let ids: Vec<CaseId> = cases.iter().map(|c| c.id).collect();
    for case in cases {
        a.create_case(case).unwrap();
    }
    a.append_entry(ids[0], new_case(&kdf).report, &[]).unwrap();
    // B's watchdog probe takes in A's writes: B's mark now counts all three cases.
    b.probe(Day::today(), true).unwrap();
    let purged = b.purge_cases(&ids[..2]).unwrap();
    assert_eq!(purged.cases, 2);
    drop((a, b));
    PgStore::open_serving(&url, dir_a.path(), false).expect("A after the purge");
    PgStore::open_serving(&url, dir_b.path(), false).expect("B after the purge");

    // A loss that is no purge is still refused.
    let mut client = postgres::Client::connect(&raw_url, postgres::NoTls).unwrap();
    client
        .execute(
            "DELETE FROM cases WHERE id = $1",
            &[&ids[2].as_bytes().as_slice()],
        )
        .unwrap();
    let refused = PgStore::open_serving(&url, dir_a.path(), false)
        .err()
        .expect("a lost case went unnoticed");
    assert!(
        refused.to_string().contains("missing at least 1 case"),
        "{refused}"
    );
}
