//! Logins an attacker can send for free, against the real binary on 127.0.0.1: guessed
//! tokens in the shape of real ones, one token logging in over and over, and tokens from
//! before the token check. A real reporter must still log in. Each test is bounded in
//! count and time and stops by itself. (Connections, uploads and forms are in
//! `hostile_load.rs`.)

mod common;

use std::time::{Duration, Instant};

use common::{Deployment, agent, read};
use serde_json::json;

#[test]
fn a_token_has_one_session_and_a_login_loop_shuts_nobody_out() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    let token = server.submit("the attacker's own report");
    let first = server.session(&token);
    let second = server.session(&token);
    assert_eq!(
        server.case(&first).0,
        401,
        "a new login ends the old session"
    );
    assert_eq!(server.case(&second).0, 200);

    for _ in 0..2_000 {
        let (status, _) = server.post_json("/api/v1/case/session", &json!({ "token": token }));
        assert_eq!(status, 200);
    }
    let other = server.submit("a real reporter's report");
    let started = Instant::now();
    let session = server.session(&other);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.case(&session).0, 200);
}

/// A guess in the shape of `like`: as many random symbols as a real token has.
fn guess_like(like: &str) -> String {
    let random = quietline::crypto::CaseToken::generate()
        .grouped()
        .to_string();
    let symbols = like.chars().filter(|c| *c != '-').count();
    if symbols <= 20 {
        random
    } else {
        let more = quietline::crypto::CaseToken::generate().grouped();
        format!("{random}-{}", &more[..symbols - 20])
    }
}

/// Clients logging in with `token_for` in a loop, until `stop`; they count what they got.
fn login_flood(
    base: &str,
    clients: usize,
    stop: &std::sync::Arc<std::sync::atomic::AtomicBool>,
    token_for: impl Fn(usize) -> String + Send + Sync + Clone + 'static,
) -> Vec<std::thread::JoinHandle<std::collections::BTreeMap<u16, usize>>> {
    (0..clients)
        .map(|n| {
            let (base, stop, token_for) = (base.to_owned(), stop.clone(), token_for.clone());
            std::thread::spawn(move || {
                let mut seen = std::collections::BTreeMap::new();
                let deadline = Instant::now() + Duration::from_secs(60);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < deadline
                {
                    let (status, _) = read(
                        agent()
                            .post(&format!("{base}/api/v1/case/session"))
                            .send_json(json!({ "token": token_for(n) })),
                    );
                    *seen.entry(status).or_insert(0) += 1;
                }
                seen
            })
        })
        .collect()
}

fn end_flood(
    stop: &std::sync::Arc<std::sync::atomic::AtomicBool>,
    clients: Vec<std::thread::JoinHandle<std::collections::BTreeMap<u16, usize>>>,
) -> std::collections::BTreeMap<u16, usize> {
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut all = std::collections::BTreeMap::new();
    for client in clients {
        for (status, n) in client.join().unwrap() {
            *all.entry(status).or_insert(0) += n;
        }
    }
    all
}

/// A real reporter logs in `n` times; returns the statuses other than 200.
fn real_logins(server: &common::Server, token: &str, n: usize) -> Vec<(u16, String)> {
    (0..n)
        .filter_map(|_| {
            let (status, reply) =
                server.post_json("/api/v1/case/session", &json!({ "token": token }));
            (status != 200).then(|| (status, reply.to_string()))
        })
        .collect()
}

/// One argon2 worker and one waiting place: a login flood fills what logins may use at
/// once, so that a real token's login got 503 whenever a guess held it.
const ONE_LOGIN_PLACE: &[&str] = &["--kdf-workers", "1", "--kdf-queue", "1"];

#[test]
fn a_flood_of_guessed_tokens_does_not_refuse_a_real_token() {
    let deployment = Deployment::new();
    let server = deployment.start(ONE_LOGIN_PLACE);
    let token = server.submit("a real reporter's report");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Half the guesses look like the tokens the service issues, half like old tokens.
    let shape = token.clone();
    let flood = login_flood(&server.base, 12, &stop, move |n| {
        if n % 2 == 0 {
            guess_like(&shape)
        } else {
            quietline::crypto::CaseToken::generate()
                .grouped()
                .to_string()
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    let refused = real_logins(&server, &token, 40);
    let guesses = end_flood(&stop, flood);
    assert!(
        refused.is_empty(),
        "a real token was refused during the flood: {refused:?} (guesses got {guesses:?})"
    );
    assert_eq!(
        guesses.keys().copied().collect::<Vec<_>>(),
        vec![401],
        "every guess is an unknown token: {guesses:?}"
    );
}

#[test]
fn a_guess_refused_by_the_check_gets_the_answer_of_any_unknown_token() {
    let deployment = Deployment::new();
    // A token that passes the check but opens no case: refused after argon2.
    let checked = common::token_check_key(deployment.data_dir())
        .issue()
        .grouped()
        .to_string();
    let server = deployment.start(&[]);
    let real = server.submit("a report");
    let unknown =
        |token: &str| server.post_json("/api/v1/case/session", &json!({ "token": token }));
    let after_argon2 = unknown(&checked);
    let by_check = unknown(&guess_like(&real));
    assert_eq!(after_argon2.0, 401);
    assert_eq!(by_check, after_argon2, "the same status and words");
    let page = |token: &str| {
        read(
            agent()
                .post(&server.url("/case"))
                .send_form(&[("token", token), ("once", &server.form_nonce("/case"))]),
        )
    };
    let (status, text) = page(&checked);
    let (check_status, check_text) = page(&guess_like(&real));
    assert_eq!((check_status, check_text.len()), (status, text.len()));
}

/// A case made the way cases were before tokens carried a check: its token has 20
/// symbols. Written straight into the store, as a deployment upgraded to this version
/// holds them, before the service's first start.
fn case_with_an_old_token(deployment: &Deployment) -> String {
    use quietline::case::{Author, CaseRecord, Category, Day, DeadlinePolicy};
    use quietline::crypto::{CaseKey, CaseToken, DeploymentSalt, KdfParams, KdfSettings};
    use quietline::store::{CaseId, Holder, NewCase, Store, ThreadEntry};
    let store = quietline::store::SledStore::open(deployment.data_dir()).unwrap();
    let kdf = store
        .init_kdf(KdfSettings {
            salt: DeploymentSalt::generate(),
            params: KdfParams {
                memory_kib: 256,
                iterations: 1,
                parallelism: 1,
            },
        })
        .unwrap();
    let token = CaseToken::generate();
    let seed = kdf.derive_seed(&token).unwrap();
    let key = CaseKey::generate();
    let message = quietline::message::MessageContent {
        body: "reported before tokens had a check".into(),
        where_when: None,
        people: None,
        attachments: Vec::new(),
        removed_file: None,
    };
    let today = Day::today();
    store
        .create_case(NewCase {
            id: CaseId::generate(),
            lookup: seed.lookup_id(),
            record: CaseRecord::new_report(
                Category::Other,
                false,
                today,
                DeadlinePolicy::default(),
                vec!["ana".into()],
            ),
            wraps: vec![
                (
                    Holder::Reporter,
                    key.wrap_to(&seed.reporter_identity().recipient()).unwrap(),
                ),
                (
                    Holder::Investigator("ana".into()),
                    key.wrap_to(deployment.investigator.recipient().as_age())
                        .unwrap(),
                ),
            ],
            report: ThreadEntry {
                author: Author::Reporter,
                day: today,
                ciphertext: key.seal(&serde_json::to_vec(&message).unwrap()).unwrap(),
            },
            blobs: Vec::new(),
        })
        .unwrap();
    token.grouped().to_string()
}

#[test]
fn a_token_issued_before_the_check_still_opens_its_case() {
    if common::postgres::skip_sled_only(
        "writes a case into sled's store as a binary from before the token check did; no PostgreSQL store is older than the check",
    ) {
        return;
    }
    let deployment = Deployment::unenrolled();
    let old = case_with_an_old_token(&deployment);
    let server = deployment.start(&[]);
    let session = server.session(&old);
    let (status, case) = server.case(&session);
    assert_eq!(status, 200);
    assert_eq!(
        case["messages"][0]["body"], "reported before tokens had a check",
        "{case}"
    );
}

#[test]
fn one_token_logging_in_over_and_over_does_not_refuse_another_reporter() {
    let deployment = Deployment::new();
    let server = deployment.start(ONE_LOGIN_PLACE);
    let attacker = server.submit("the attacker's own report");
    let real = server.submit("a real reporter's report");
    server.session(&attacker);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let looped = attacker.clone();
    let flood = login_flood(&server.base, 8, &stop, move |_| looped.clone());
    std::thread::sleep(Duration::from_millis(500));
    let refused = real_logins(&server, &real, 40);
    let loop_statuses = end_flood(&stop, flood);
    assert!(
        refused.is_empty(),
        "the real reporter was refused: {refused:?} (the loop got {loop_statuses:?})"
    );
    // The loop's own logins succeed, and each ends the session before it.
    let first = server.session(&attacker);
    let second = server.session(&attacker);
    assert_eq!(server.case(&first).0, 401);
    assert_eq!(server.case(&second).0, 200);
}
