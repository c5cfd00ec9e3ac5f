//! The investigator API against the real binary: enrolment with a second factor, login,
//! sessions, who may see what, the reply loop back to the reporter, triage order, stats,
//! and the audit trail.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::accounts::{Account, PASSWORD, decrypt, open_case, register};
use common::{BIN, Deployment};
use quietline::crypto::CaseKey;
use serde_json::json;

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

#[test]
fn enrolment_needs_the_secret_and_a_working_second_factor() {
    let deployment = Deployment::new();
    let (identity, secret) = register(&deployment, "bruno", "investigator");
    let server = deployment.start(&[]);

    let enrol = |body: serde_json::Value| server.post_json("/api/v1/investigator/enrol", &body);
    let (status, _) = enrol(
        json!({"name": "bruno", "enrolment_secret": "0000-0000-0000-0000-0000", "password": PASSWORD}),
    );
    assert_eq!(status, 401, "a wrong enrolment secret");
    let (status, _) =
        enrol(json!({"name": "bruno", "enrolment_secret": secret, "password": "short"}));
    assert_eq!(status, 422, "a short password");
    // Before enrolment, the password alone cannot log in.
    let (status, _) = server.post_json(
        "/api/v1/investigator/login",
        &json!({"name": "bruno", "password": PASSWORD, "code": "123456"}),
    );
    assert_eq!(status, 401);

    // Enrolment through the harness checks each step; the secret then stops working.
    let mut bruno = Account::enrol(
        &server,
        "bruno",
        identity,
        &secret.to_lowercase().replace('-', " "),
    );
    let (status, _) =
        enrol(json!({"name": "bruno", "enrolment_secret": secret, "password": PASSWORD}));
    assert_eq!(status, 401, "the enrolment secret works once");

    let session = bruno.login(&server);
    let (status, list) = server.inv_get(&session, "/cases");
    assert_eq!(status, 200);
    assert_eq!(list["total"], 0, "bruno was added after no case: {list}");
}

#[test]
fn login_failures_look_alike_are_slowed_and_codes_work_once() {
    let deployment = Deployment::new();
    let (identity, secret) = register(&deployment, "carla", "investigator");
    let server = deployment.start(&[]);
    let mut carla = Account::enrol(&server, "carla", identity, &secret);

    let login = |name: &str, password: &str, code: &str| {
        server.post_json(
            "/api/v1/investigator/login",
            &json!({"name": name, "password": password, "code": code}),
        )
    };
    let code = carla.next_code();
    let wrong_password = login("carla", "not the password at all", &code);
    let wrong_code = login("carla", PASSWORD, "000000");
    let unknown_name = login("nobody", PASSWORD, &code);
    assert_eq!(wrong_password.0, 401);
    assert_eq!(wrong_password, wrong_code);
    assert_eq!(
        wrong_password, unknown_name,
        "an unknown name must look like a wrong password"
    );

    // The code was not consumed by the failures; it logs in once, and not twice.
    assert_eq!(login("carla", PASSWORD, &code).0, 200);
    assert_eq!(
        login("carla", PASSWORD, &code).0,
        401,
        "a TOTP code works once"
    );

    // A guesser is slowed down, never the real user: ten wrong logins at once (the
    // answers to later ones held back), then the right password and code get in at once.
    let started = Instant::now();
    let failures: Vec<_> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..10)
            .map(|_| scope.spawn(|| login("carla", "guess guess guess", "111111")))
            .collect();
        guesses.into_iter().map(|g| g.join().unwrap().0).collect()
    });
    assert!(failures.iter().all(|&s| s == 401), "{failures:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "failures past the free ones are held back"
    );
    let code = carla.next_code();
    assert_eq!(login("carla", PASSWORD, &code).0, 200);
}

#[test]
fn the_same_code_sent_by_eight_logins_at_once_is_accepted_once() {
    let deployment = Deployment::new();
    let (identity, secret) = register(&deployment, "dora", "investigator");
    let server = deployment.start(&[]);
    let mut dora = Account::enrol(&server, "dora", identity, &secret);
    let code = dora.next_code();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let logins: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    server
                        .post_json(
                            "/api/v1/investigator/login",
                            &json!({"name": "dora", "password": PASSWORD, "code": code}),
                        )
                        .0
                })
            })
            .collect();
        logins.into_iter().map(|l| l.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 401),
        "{statuses:?}"
    );
}

#[test]
fn who_may_see_what() {
    let deployment = Deployment::new();
    let (root_id, root_secret) = register(&deployment, "root", "admin");
    let (ana_id, ana_secret) = register(&deployment, "ana2", "investigator");
    let server = deployment.start(&[]);
    let mut root = Account::enrol(&server, "root", root_id, &root_secret);
    let mut ana = Account::enrol(&server, "ana2", ana_id, &ana_secret);
    let root_session = root.login(&server);
    let ana_session = ana.login(&server);

    // A case reported before "dora" exists: she holds no wrap for it.
    let token = server.submit("only for those with access");
    let reporter_session = server.session(&token);
    let (_, list) = server.inv_get(&ana_session, "/cases");
    let case_id = list["cases"][0]["id"].as_str().unwrap().to_owned();

    // Reporter sessions never pass the investigator API, nor investigator sessions the
    // reporter API.
    assert_eq!(server.inv_get(&reporter_session, "/cases").0, 401);
    assert_eq!(
        server
            .inv_get(&reporter_session, &format!("/cases/{case_id}"))
            .0,
        401
    );
    assert_eq!(server.case(&ana_session).0, 401);

    // An admin adds dora through the API; an investigator may not.
    let dora_identity = quietline::crypto::InvestigatorIdentity::generate();
    let new = json!({"name": "dora", "recipient": dora_identity.recipient().to_string()});
    assert_eq!(
        server
            .inv_post(&ana_session, "/admin/investigators", &new)
            .0,
        403
    );
    let (status, created) = server.inv_post(&root_session, "/admin/investigators", &new);
    assert_eq!(status, 201, "{created}");
    let mut dora = Account::enrol(
        &server,
        "dora",
        dora_identity,
        created["enrolment_secret"].as_str().unwrap(),
    );
    let dora_session = dora.login(&server);

    let (status, list) = server.inv_get(&dora_session, "/cases");
    assert_eq!((status, list["total"].as_u64()), (200, Some(0)));
    let (status, _) = server.inv_get(&dora_session, &format!("/cases/{case_id}"));
    assert_eq!(status, 404, "no wrap, no case");
    let (status, _) = server.inv_get(&dora_session, "/cases/00000000000000000000000000000000");
    assert_eq!(status, 404, "an unknown case looks the same");
    let sealed = b64(&CaseKey::generate().seal(b"{\"body\":\"x\"}").unwrap());
    assert_eq!(
        server
            .inv_post(
                &dora_session,
                &format!("/cases/{case_id}/replies"),
                &json!({"ciphertext": sealed})
            )
            .0,
        404
    );

    // Ana grants dora access: her machine re-wraps the case key to dora's recipient.
    let (_, key) = open_case(&server, &ana_session, &ana, &case_id);
    let wrap = key.wrap_to(dora.identity.recipient().as_age()).unwrap();
    let (status, body) = server.inv_post(
        &ana_session,
        &format!("/cases/{case_id}/access"),
        &json!({"investigator": "dora", "wrap": b64(&wrap.0)}),
    );
    assert_eq!(status, 201, "{body}");
    let (status, _) = server.inv_post(
        &ana_session,
        &format!("/cases/{case_id}/access"),
        &json!({"investigator": "dora", "wrap": b64(&wrap.0)}),
    );
    assert_eq!(status, 409, "a wrap is never replaced");
    let (detail, dora_key) = open_case(&server, &dora_session, &dora, &case_id);
    assert_eq!(
        decrypt(&dora_key, &detail["thread"][0])["body"],
        "only for those with access"
    );
    assert!(
        detail["holders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h == "dora")
    );

    // Plaintext is refused: the API takes well-formed age ciphertext only (a malformed
    // request, 400).
    let (status, _) = server.inv_post(
        &ana_session,
        &format!("/cases/{case_id}/notes"),
        &json!({"ciphertext": b64(b"plain words")}),
    );
    assert_eq!(status, 400);

    // Disabling dora ends her session at once and keeps her out.
    assert_eq!(
        server
            .inv_post(
                &root_session,
                "/admin/investigators/dora/disable",
                &json!({})
            )
            .0,
        204
    );
    assert_eq!(server.inv_get(&dora_session, "/cases").0, 401);
    let code = dora.next_code();
    let (status, _) = server.post_json(
        "/api/v1/investigator/login",
        &json!({"name": "dora", "password": PASSWORD, "code": code}),
    );
    assert_eq!(status, 401);

    // Logout revokes a session.
    assert_eq!(server.inv_post(&ana_session, "/logout", &json!({})).0, 204);
    assert_eq!(server.inv_get(&ana_session, "/cases").0, 401);
}

/// The serve flags reach the session limits. The limits themselves (idle renewal,
/// absolute end) are unit-tested against a manual clock in `service::accounts`; here
/// polling is allowed because the absolute limit ends a session however often it is used.
#[test]
fn sessions_end_at_the_configured_absolute_limit() {
    let deployment = Deployment::new();
    let (identity, secret) = register(&deployment, "emil", "investigator");
    let server = deployment.start(&[
        "--investigator-idle-seconds",
        "2",
        "--investigator-max-seconds",
        "2",
    ]);
    let mut emil = Account::enrol(&server, "emil", identity, &secret);
    let session = emil.login(&server);
    assert_eq!(server.inv_get(&session, "/cases").0, 200);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if server.inv_get(&session, "/cases").0 == 401 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the session outlived its 2 s limit"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn replies_and_status_reach_the_reporter_and_the_desk_sorts_by_urgency() {
    let deployment = Deployment::new();
    let (identity, secret) = register(&deployment, "fede", "investigator");
    let server = deployment.start(&[]);
    let mut fede = Account::enrol(&server, "fede", identity, &secret);
    let session = fede.login(&server);

    let calm = server.submit("an offer, no hurry");
    let (status, urgent) = server.post_json(
        "/api/v1/reports",
        &json!({"body": "they know where I live", "category": "coercion_or_threat", "urgent": true}),
    );
    assert_eq!(status, 201);
    let urgent_token = urgent["token"].as_str().unwrap().to_owned();

    let (_, list) = server.inv_get(&session, "/cases");
    assert_eq!(list["total"], 2);
    let first = &list["cases"][0];
    assert_eq!(first["urgent"], true, "urgent cases come first: {list}");
    assert_eq!(first["status"], "new");
    assert_eq!(first["days_left"], 7);
    assert_eq!(first["unread"], true);
    let (_, page) = server.inv_get(&session, "/cases?per_page=1&page=1");
    assert_eq!(page["cases"][0]["urgent"], false);
    assert_eq!(page["total"], 2);

    let id = first["id"].as_str().unwrap().to_owned();
    let (detail, key) = open_case(&server, &session, &fede, &id);
    assert_eq!(
        decrypt(&key, &detail["thread"][0])["body"],
        "they know where I live"
    );
    let reply = key
        .seal(br#"{"body":"We have your report. Are you safe tonight?"}"#)
        .unwrap();
    assert_eq!(
        server
            .inv_post(
                &session,
                &format!("/cases/{id}/replies"),
                &json!({"ciphertext": b64(&reply)})
            )
            .0,
        201
    );
    let (status, summary) = server.inv_post(
        &session,
        &format!("/cases/{id}/status"),
        &json!({"status": "investigating"}),
    );
    assert_eq!(status, 200, "{summary}");
    assert_eq!(
        summary["acknowledged"],
        common::today(),
        "the first reply acknowledged it"
    );
    let (status, _) = server.inv_post(
        &session,
        &format!("/cases/{id}/status"),
        &json!({"status": "acknowledged"}),
    );
    assert_eq!(status, 409, "cases do not move backwards");
    let (status, _) = server.inv_post(
        &session,
        &format!("/cases/{id}/assignees"),
        &json!({"assignees": ["fede"]}),
    );
    assert_eq!(status, 200);
    let (_, filtered) = server.inv_get(&session, "/cases?assignee=fede");
    assert_eq!(filtered["total"], 1);
    let (_, opened) = server.inv_get(&session, "/cases?status=investigating");
    assert_eq!(
        opened["cases"][0]["unread"], false,
        "opened cases are no longer unread"
    );

    // The reporter sees both with their token.
    let reporter = server.session(&urgent_token);
    let (_, case) = server.case(&reporter);
    assert_eq!(case["status"], "investigating");
    let messages = case["messages"].as_array().unwrap();
    assert_eq!(messages[1]["from"], "investigator");
    assert_eq!(
        messages[1]["body"],
        "We have your report. Are you safe tonight?"
    );
    assert_eq!(server.follow_up(&reporter, "Yes, at my sister's."), 201);
    let (_, list) = server.inv_get(&session, "/cases?status=investigating");
    assert_eq!(
        list["cases"][0]["unread"], true,
        "a new reporter message is marked"
    );

    // Internal notes are for investigators only: sealed to their recipients, never shown
    // to the reporter.
    let note = quietline::crypto::seal_to_investigators(
        &[fede.identity.recipient()],
        br#"{"body":"check rota"}"#,
    )
    .unwrap();
    assert_eq!(
        server
            .inv_post(
                &session,
                &format!("/cases/{id}/notes"),
                &json!({"ciphertext": b64(&note)})
            )
            .0,
        201
    );
    let (detail, _) = open_case(&server, &session, &fede, &id);
    assert_eq!(detail["notes"].as_array().unwrap().len(), 1);
    assert!(
        key.open(
            &STANDARD
                .decode(detail["notes"][0]["ciphertext"].as_str().unwrap())
                .unwrap()
        )
        .is_err()
    );
    let (_, case) = server.case(&reporter);
    assert!(!case.to_string().contains("check rota"));
    assert_eq!(case["messages"].as_array().unwrap().len(), 3);

    let (status, stats) = server.inv_get(&session, "/stats");
    assert_eq!(status, 200);
    let received: u64 = stats["received"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cases"].as_u64().unwrap())
        .sum();
    assert_eq!(received, 2);
    assert_eq!(stats["acknowledgement"]["done"], 1);
    assert_eq!(stats["acknowledgement"]["within_deadline"], 1);
    assert_eq!(stats["acknowledgement"]["median_days"], 0.0);
    drop(calm);
}

#[test]
fn the_audit_log_verifies_and_names_a_tampered_entry() {
    let deployment = Deployment::new();
    let (identity, secret) = register(&deployment, "gus", "investigator");
    let server = deployment.start(&[]);
    let mut gus = Account::enrol(&server, "gus", identity, &secret);
    let session = gus.login(&server);
    server.submit("audited");
    let (_, list) = server.inv_get(&session, "/cases");
    let id = list["cases"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(server.inv_get(&session, &format!("/cases/{id}")).0, 200);
    server.stop();

    let verify = || {
        Command::new(BIN)
            .args(["audit", "verify", "--data-dir"])
            .arg(deployment.data_dir())
            .args(deployment.database_args())
            .output()
            .unwrap()
    };
    let out = verify();
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    // ana added, her recipient proposed and confirmed, ana enrolled; the same four for
    // gus, who then logged in and opened the case.
    assert!(said.contains("intact: 10 entries"), "{said}");

    // Change one byte of entry 3 (ana's enrolment) directly in the store.
    if let Some(url) = &deployment.database {
        common::postgres::flip_audit_byte(url, 3, 40);
    } else {
        let db = sled::open(deployment.data_dir().join("store")).unwrap();
        let audit = db.open_tree("audit").unwrap();
        let key = 3u64.to_be_bytes();
        let mut value = audit.get(key).unwrap().unwrap().to_vec();
        let last = value.len() - 40; // inside the entry, before its stored hash
        value[last] ^= 0x01;
        audit.insert(key, value).unwrap();
        db.flush().unwrap();
    }
    let out = verify();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("audit entry 3"), "{said}");
}
