//! One bad thread entry does not shut the reporter out (issue 11): a reply that decrypts
//! but is not a message (as a buggy or hostile investigator client could post) shows as a
//! placeholder on the reporter's page and in the reporter API, the rest of the thread
//! stays readable, and the server log holds nothing of it but the kind of error.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::accounts::{Account, register};
use common::{Deployment, agent, read};
use quietline::crypto::{CaseKey, Wrap};
use serde_json::json;

const REPORT: &str = "broken-entry test: the report";
const GOOD_REPLY: &str = "broken-entry test: a good reply";
const BAD_PLAINTEXT: &str = "QLMARKER-not-a-message-plaintext";

#[test]
fn an_unreadable_entry_leaves_the_thread_readable_and_the_log_clean() {
    let deployment = Deployment::new();
    let (identity, secret) = register(&deployment, "fede", "investigator");
    let server = deployment.start(&[]);
    let mut fede = Account::enrol(&server, "fede", identity, &secret);
    let investigator = fede.login(&server);
    let token = server.submit(REPORT);

    // Seal two replies as the desk would: one that is not the message JSON, one good.
    let (_, list) = server.inv_get(&investigator, "/cases");
    let id = list["cases"][0]["id"].as_str().unwrap().to_owned();
    let (status, detail) = server.inv_get(&investigator, &format!("/cases/{id}"));
    assert_eq!(status, 200, "{detail}");
    let wrap = STANDARD.decode(detail["wrap"].as_str().unwrap()).unwrap();
    let key = CaseKey::unwrap_with(&Wrap(wrap), fede.identity.as_age()).unwrap();
    let good = json!({ "body": GOOD_REPLY }).to_string();
    for plaintext in [BAD_PLAINTEXT, good.as_str()] {
        let sealed = key.seal(plaintext.as_bytes()).unwrap();
        let (status, reply) = server.inv_post(
            &investigator,
            &format!("/cases/{id}/replies"),
            &json!({ "ciphertext": STANDARD.encode(sealed) }),
        );
        assert_eq!(status, 201, "{reply}");
    }

    // The reporter API: three messages, the middle one marked unreadable.
    let session = server.session(&token);
    let (status, case) = server.case(&session);
    assert_eq!(status, 200, "{case}");
    let messages = case["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{case}");
    assert_eq!(messages[0]["body"], REPORT);
    assert_eq!(messages[1]["unreadable"], true, "{case}");
    assert_eq!(messages[1]["body"], "");
    assert_eq!(messages[2]["body"], GOOD_REPLY);

    // The reporter's page, logged in through the form.
    let once = server.form_nonce("/case");
    let (status, page) = read(
        agent()
            .post(&server.url("/case"))
            .send_form(&[("once", once.as_str()), ("token", token.as_str())]),
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("This message could not be read."), "{page}");
    assert!(page.contains(REPORT) && page.contains(GOOD_REPLY), "{page}");
    assert!(!page.contains(BAD_PLAINTEXT));

    let logs = server.logs();
    server.stop();
    assert!(
        logs.contains("could not be read"),
        "the failure is not logged: {logs}"
    );
    assert!(!logs.contains(BAD_PLAINTEXT), "the log quotes it: {logs}");
}

/// What the service can check without the key, it checks on receipt: a reply or note that
/// is not a well-formed age file is refused with 400 and nothing of it is stored.
#[test]
fn a_malformed_sealed_entry_is_refused_and_stores_nothing() {
    let deployment = Deployment::new();
    let (identity, secret) = register(&deployment, "gael", "investigator");
    let server = deployment.start(&[]);
    let mut gael = Account::enrol(&server, "gael", identity, &secret);
    let investigator = gael.login(&server);
    let token = server.submit(REPORT);
    let (_, list) = server.inv_get(&investigator, "/cases");
    let id = list["cases"][0]["id"].as_str().unwrap().to_owned();
    let (_, detail) = server.inv_get(&investigator, &format!("/cases/{id}"));
    let wrap = STANDARD.decode(detail["wrap"].as_str().unwrap()).unwrap();
    let key = CaseKey::unwrap_with(&Wrap(wrap), gael.identity.as_age()).unwrap();
    let sealed = key
        .seal(json!({ "body": GOOD_REPLY }).to_string().as_bytes())
        .unwrap();
    let header_end = sealed.windows(5).position(|w| w == b"\n--- ").unwrap();
    let mac_end = header_end
        + 1
        + sealed[header_end + 1..]
            .iter()
            .position(|&b| b == b'\n')
            .unwrap();

    let malformed: [&[u8]; 3] = [
        // The age version line, then no header.
        b"age-encryption.org/v1\nQLMARKER plaintext after the version line\n",
        // A real header cut off before the payload.
        &sealed[..=mac_end],
        // A payload cut inside its nonce.
        &sealed[..mac_end + 9],
    ];
    for bytes in malformed {
        for path in ["replies", "notes"] {
            let (status, reply) = server.inv_post(
                &investigator,
                &format!("/cases/{id}/{path}"),
                &json!({ "ciphertext": STANDARD.encode(bytes) }),
            );
            assert_eq!(status, 400, "{path}: {reply}");
        }
    }

    let (_, detail) = server.inv_get(&investigator, &format!("/cases/{id}"));
    assert_eq!(detail["thread"].as_array().unwrap().len(), 1, "{detail}");
    assert_eq!(
        detail["notes"].as_array().map_or(0, Vec::len),
        0,
        "{detail}"
    );
    let session = server.session(&token);
    let (_, case) = server.case(&session);
    assert_eq!(case["messages"].as_array().unwrap().len(), 1, "{case}");
    server.stop();
}
