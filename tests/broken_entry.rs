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
