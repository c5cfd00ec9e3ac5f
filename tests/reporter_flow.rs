//! The reporter's journey through the JSON API, against the real binary on 127.0.0.1:
//! submit, get a token, open the case with it, read, follow up; and every way a reporter
//! or an attacker can get it wrong.

mod common;

use common::{Deployment, agent, json, read, today};
use serde_json::json;

#[test]
fn a_reporter_submits_comes_back_and_follows_up() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);

    let (status, reply) = server.post_json(
        "/api/v1/reports",
        &json!({
            "body": "Two men waited for me after my shift and asked for the scanner rota.",
            "category": "coercion_or_threat",
            "urgent": true,
            "where_when": "Car park, gate 4, last Tuesday",
            "people": "One called himself Marco"
        }),
    );
    assert_eq!(status, 201, "{reply}");
    let token = reply["token"].as_str().unwrap();
    assert_eq!(token.len(), 29, "six groups of four: {token}");
    assert_eq!(token.matches('-').count(), 5);

    let session = server.session(token);
    let (status, case) = server.case(&session);
    assert_eq!(status, 200);
    assert_eq!(case["status"], "new");
    assert_eq!(case["urgent"], true);
    assert_eq!(case["category"], "coercion_or_threat");
    let messages = case["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["from"], "reporter");
    assert_eq!(messages[0]["day"], today());
    assert!(
        messages[0]["body"]
            .as_str()
            .unwrap()
            .contains("scanner rota")
    );
    assert_eq!(messages[0]["where_when"], "Car park, gate 4, last Tuesday");
    assert_eq!(messages[0]["people"], "One called himself Marco");

    assert_eq!(
        server.follow_up(&session, "They came back today with a photo of my house."),
        201
    );
    let (_, case) = server.case(&session);
    let messages = case["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1]["from"], "reporter");
    assert_eq!(
        messages[1]["body"],
        "They came back today with a photo of my house."
    );
    assert!(messages[1].get("where_when").is_none());
}

#[test]
fn tokens_are_read_the_way_people_copy_them() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    // Only 0 and 1 have look-alikes (O; I and L), and about one token in five lacks one of
    // them: submit until a token has both, so the look-alike spellings always differ from
    // the real one. 100 tries fail with a probability below 1e-10.
    let token = (0..100)
        .map(|_| server.submit("rota"))
        .find(|t| t.contains('0') && t.contains('1'))
        .expect("no token with both a 0 and a 1 in 100 reports");
    let sloppy = format!(" {} ", token.to_lowercase().replace('-', " "));
    let with_lookalikes = token.replace('0', "O").replace('1', "l");
    let with_other_lookalikes = token.replace('0', "o").replace('1', "I");
    assert_ne!(with_lookalikes, token);
    assert_ne!(with_other_lookalikes, token);
    for typed in [
        sloppy.as_str(),
        with_lookalikes.as_str(),
        with_other_lookalikes.as_str(),
        &token.replace('-', ""),
    ] {
        let (status, reply) = server.post_json("/api/v1/case/session", &json!({ "token": typed }));
        assert_eq!(status, 200, "{typed:?} → {reply}");
    }
}

#[test]
fn every_wrong_token_gets_the_same_answer() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    let real = server.submit("a real case");
    // A token one symbol away from a real one, and two unrelated ones.
    let last = real.chars().last().unwrap();
    let near = format!(
        "{}{}",
        &real[..real.len() - 1],
        if last == 'Z' { 'Y' } else { 'Z' }
    );
    let mut answers = Vec::new();
    for wrong in [
        near.as_str(),
        "7KQX-M2RT-9HVD-W3NB-P4ZE",
        "0000-0000-0000-0000-0000",
    ] {
        answers.push(server.post_json("/api/v1/case/session", &json!({ "token": wrong })));
    }
    for answer in &answers {
        assert_eq!(answer.0, 401);
        assert_eq!(answer, &answers[0]);
    }
}

#[test]
fn sessions_are_needed_and_end_on_logout() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    let session = server.session(&server.submit("rota"));

    for bad in ["", "not-a-session", &session.to_lowercase(), &session[1..]] {
        let (status, _) = server.case(bad);
        assert_eq!(status, 401, "{bad:?}");
        assert_eq!(server.follow_up(bad, "hello"), 401);
    }
    let (status, _) = read(agent().get(&server.url("/api/v1/case")).call());
    assert_eq!(status, 401, "no Authorization header");

    let (status, _) = read(
        agent()
            .delete(&server.url("/api/v1/case/session"))
            .set("Authorization", &format!("Bearer {session}"))
            .call(),
    );
    assert_eq!(status, 204);
    assert_eq!(server.case(&session).0, 401);
}

/// Sends raw bytes with a content type and returns status and body.
fn post_raw(server: &common::Server, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    read(
        agent()
            .post(&server.url(path))
            .set("Content-Type", content_type)
            .send_bytes(body),
    )
}

#[test]
fn bad_input_gets_a_clear_4xx_and_stores_nothing() {
    let deployment = Deployment::new();
    let server = deployment.start(&["--max-body-bytes", "4096", "--max-message-bytes", "2000"]);
    let report = |body: &str| json!({"body": body, "category": "other"}).to_string();
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            "/api/v1/reports",
            "text/plain",
            report("hi").into_bytes(),
            415,
            "Content-Type",
        ),
        (
            "/api/v1/reports",
            "application/json",
            b"{\"body\": \"unfinished".to_vec(),
            400,
            "JSON",
        ),
        (
            "/api/v1/reports",
            "application/json",
            report(&"x".repeat(5000)).into_bytes(),
            413,
            "too large",
        ),
        (
            "/api/v1/reports",
            "application/json",
            report(&"x".repeat(3000)).into_bytes(),
            422,
            "longer than",
        ),
        (
            "/api/v1/reports",
            "application/json",
            report("   ").into_bytes(),
            422,
            "empty",
        ),
        (
            "/api/v1/reports",
            "application/json",
            br#"{"body":"hi","category":"gossip"}"#.to_vec(),
            422,
            "category",
        ),
        (
            "/api/v1/reports",
            "application/json",
            br#"{"body":"hi","category":"other","name":"me"}"#.to_vec(),
            400,
            "unknown field",
        ),
        (
            "/api/v1/reports",
            "application/json",
            br#"{"category":"other"}"#.to_vec(),
            400,
            "body",
        ),
        (
            "/api/v1/case/session",
            "application/json",
            br#"{"token":"7KQX-M2RT"}"#.to_vec(),
            400,
            "24 letters",
        ),
        (
            "/api/v1/case/session",
            "application/json",
            br#"{"token":"7KQX-M2RT-9HVD-W3NB-P4Z!"}"#.to_vec(),
            400,
            "letters",
        ),
        (
            "/api/v1/case/session",
            "application/json",
            br#"{"token":12}"#.to_vec(),
            400,
            "string",
        ),
    ];
    for (path, content_type, body, expected, says) in cases {
        let (status, text) = post_raw(&server, path, content_type, &body);
        assert_eq!(status, expected, "{path} {content_type}: {text}");
        let error = json(&text)["error"].as_str().unwrap().to_owned();
        assert!(error.contains(says), "{error:?} should mention {says:?}");
    }
    // A session's follow-up is checked the same way.
    let session = server.session(&server.submit("the only case"));
    assert_eq!(server.follow_up(&session, ""), 422);
    assert_eq!(server.follow_up(&session, &"y".repeat(3000)), 422);
    let (_, case) = server.case(&session);
    assert_eq!(case["messages"].as_array().unwrap().len(), 1);
    server.stop();

    let store = common::open_store(deployment.data_dir());
    assert_eq!(store.case_count().unwrap(), 1);
}

#[test]
fn an_acknowledged_report_survives_a_crash_and_a_restart() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    let token = server.submit("written just before the power cut");
    let session = server.session(&token);
    assert_eq!(server.follow_up(&session, "and a follow-up"), 201);
    // SIGKILL right after the 201s: only what was flushed before answering survives.
    server.kill();

    let server = deployment.start(&[]);
    // On sled, sessions die with the process; on PostgreSQL they are sealed in the
    // database, for any instance, and outlive one.
    let (expected, why) = if common::postgres::suite_on_postgres() {
        (200, "a database session outlives the instance")
    } else {
        (401, "sessions die with the process")
    };
    assert_eq!(server.case(&session).0, expected, "{why}");
    let session = server.session(&token);
    assert_eq!(server.follow_up(&session, "after the restart"), 201);
    let (_, case) = server.case(&session);
    let bodies: Vec<_> = case["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        bodies,
        [
            "written just before the power cut",
            "and a follow-up",
            "after the restart"
        ]
    );
}

#[test]
fn health_and_unknown_paths() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    assert_eq!(read(agent().get(&server.url("/healthz")).call()).0, 200);
    assert_eq!(read(agent().get(&server.url("/admin")).call()).0, 404);
}
