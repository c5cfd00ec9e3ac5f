//! PostgreSQL only: sessions and form nonces shared by two instances of the service on
//! one database: an investigator's or a reporter's session made on one instance serves on
//! the other and ends on both, a form rendered by one is spent once on either, and the
//! database's expiry matches the in-memory tables'. Each test starts its own throwaway
//! cluster (see `common/postgres.rs`) and skips, saying why, where PostgreSQL is not
//! installed.

mod common;

use std::time::Duration;

use common::accounts::{Account, register};
use common::postgres::cluster_or_skip;
use common::{Deployment, Server, agent, read};
use quietline::crypto::{CaseKey, Wrap};

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
