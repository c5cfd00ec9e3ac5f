//! PostgreSQL only: what a reporter sees when the database fails under a login, and what
//! an instance does when the database comes back older than it was (a restored dump).
//! Each test starts its own throwaway cluster (see `common/postgres.rs`) and skips,
//! saying why, where PostgreSQL is not installed.

mod common;

use std::time::{Duration, Instant};

use common::postgres::cluster_or_skip;
use common::{Deployment, Server, agent, json, read};

/// Posts a token login; its status, its Retry-After header and its body.
fn login(server: &Server, token: &str) -> (u16, Option<String>, serde_json::Value) {
    let response = agent()
        .post(&server.url("/api/v1/case/session"))
        .send_json(serde_json::json!({ "token": token }));
    let response = match response {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = response.status();
    let retry_after = response.header("Retry-After").map(str::to_owned);
    let body = response.into_string().unwrap();
    (status, retry_after, json(&body))
}

/// The case page of the API with `session`: its status and Retry-After header.
fn case_status(server: &Server, session: &str) -> (u16, Option<String>) {
    let response = agent()
        .get(&server.url("/api/v1/case"))
        .set("Authorization", &format!("Bearer {session}"))
        .call();
    let response = match response {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    (
        response.status(),
        response.header("Retry-After").map(str::to_owned),
    )
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
