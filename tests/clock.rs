//! The clock: a day stamped on a report stays on it for good, so the service refuses to
//! stamp a day earlier than the newest day it already stored (the clock went back) or
//! years after it (the clock jumped), until an administrator says the clock is right
//! with `--accept-clock`. Reads go on meanwhile.
//!
//! The clock is faked with `QUIETLINE_TEST_CLOCK_OFFSET_DAYS`, which only debug builds
//! (the ones `cargo test` runs) read.

mod common;

use common::store::{Start, open_status, try_start};
use common::{Deployment, Server};

/// Starts `serve` with its clock moved by `days`, and `extra` flags.
fn start_at(deployment: &Deployment, days: i64, extra: &[&str]) -> Server {
    let env = format!("QUIETLINE_TEST_CLOCK_OFFSET_DAYS={days}");
    match try_start(
        deployment.data_dir(),
        deployment.logs.path(),
        &["env", &env],
        extra,
    ) {
        Start::Listening(server) => server,
        Start::Refused { said, .. } => panic!("serve refused to start: {said}"),
    }
}

fn report(server: &Server, body: &str) -> (u16, serde_json::Value) {
    server.post_json(
        "/api/v1/reports",
        &serde_json::json!({"body": body, "category": "other", "urgent": false}),
    )
}

fn count(server: &Server, needle: &str) -> usize {
    server.logs().lines().filter(|l| l.contains(needle)).count()
}

#[test]
fn a_clock_that_went_back_stamps_nothing_until_it_is_accepted() {
    let deployment = Deployment::new();
    let server = start_at(&deployment, 0, &[]);
    let token = server.submit("stamped today");
    server.stop();

    // Three days back: warned at start, writes refused (one log line), reads go on.
    let server = start_at(&deployment, -3, &[]);
    assert_eq!(
        count(&server, "earlier than the newest day"),
        1,
        "{}",
        server.logs()
    );
    for _ in 0..2 {
        let (status, reply) = report(&server, "would be stamped three days ago");
        assert_eq!(status, 503, "{reply}");
        assert!(
            reply["error"].as_str().unwrap().contains("clock"),
            "{reply}"
        );
    }
    let session = server.session(&token);
    assert_eq!(server.follow_up(&session, "nor this"), 503);
    let (status, case) = server.case(&session);
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["messages"].as_array().unwrap().len(), 1);
    assert_eq!(count(&server, "refusing to stamp"), 1, "{}", server.logs());
    server.stop();

    // The administrator says the clock is right: accepted, logged, and it sticks.
    let server = start_at(&deployment, -3, &["--accept-clock"]);
    assert_eq!(count(&server, "--accept-clock"), 1, "{}", server.logs());
    let (status, reply) = report(&server, "stamped by the accepted clock");
    assert_eq!(status, 201, "{reply}");
    server.stop();
    let server = start_at(&deployment, -3, &[]);
    let (status, reply) = report(&server, "and again after a restart");
    assert_eq!(status, 201, "{reply}");
    assert_eq!(open_status(&server, &token), 200);
    server.stop();
}

#[test]
fn a_clock_years_ahead_is_refused_until_accepted() {
    let deployment = Deployment::new();
    let server = start_at(&deployment, 0, &[]);
    server.submit("stamped today");
    server.stop();

    let server = start_at(&deployment, 3 * 365, &[]);
    assert_eq!(
        count(&server, "days after the newest day"),
        1,
        "{}",
        server.logs()
    );
    let (status, reply) = report(&server, "would be stamped three years ahead");
    assert_eq!(status, 503, "{reply}");
    server.stop();

    // Without the offset the clock is right again: nothing was stamped in the future.
    let server = start_at(&deployment, 0, &[]);
    let (status, reply) = report(&server, "stamped today again");
    assert_eq!(status, 201, "{reply}");
    server.stop();
}
