//! The investigator's whole loop across two real processes: the service (`serve`) and the
//! investigator's desk (`desk`), both on 127.0.0.1. A reporter submits; a new investigator
//! enrols with `quietline enrol` (one-time secret, password, TOTP), starts the desk with a
//! passphrase-protected identity file, reads the decrypted report through the desk's
//! pages, answers, acknowledges, assigns, keeps notes and grants a colleague access; the
//! reporter then sees the answer and the status with their token. Along the way: the
//! desk's access gate, and that the desk writes nothing to disk. Evidence on the desk is
//! in `desk_evidence.rs`.

mod common;

use std::process::Command;
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::accounts::{Account, register};
use common::desk::{self, Desk, PASSPHRASE, case_ids, write_identity_file};
use common::{BIN, Deployment, agent, files_under, read};
use quietline::crypto::{CaseKey, Wrap};
use serde_json::json;

const REPORT: &str = "Two men waited after my shift and asked for the scanner rota (flow-7c1e).";
const WHERE_WHEN: &str = "Car park, gate 4, last Tuesday";
const PEOPLE: &str = "One called himself Marco";
const REPLY: &str = "Thank you. Are you safe tonight? (reply-52aa)";

#[test]
fn an_investigator_enrols_reads_in_the_desk_and_the_reporter_sees_the_answer() {
    let started = Instant::now();
    let deployment = Deployment::new();
    let (bruno, bruno_secret) = register(&deployment, "bruno", "investigator");
    let keys = tempfile::tempdir().unwrap();
    let identity_file = keys.path().join("bruno.age");
    write_identity_file(&bruno, PASSPHRASE, &identity_file);

    // Bruno enrols first: new cases are wrapped to enrolled investigators only.
    let server = deployment.start(&[]);
    let enrolling = Instant::now();
    let mut authenticator = desk::enrol(&server, "bruno", &bruno_secret);
    eprintln!("enrol took {:.1?}", enrolling.elapsed());

    // Two reports, the urgent one second: the desk must still list it first.
    let (status, reply) = server.post_json(
        "/api/v1/reports",
        &json!({"body": "A routine report (flow-calm)", "category": "other", "urgent": false}),
    );
    assert_eq!(status, 201, "{reply}");
    let (status, reply) = server.post_json(
        "/api/v1/reports",
        &json!({
            "body": REPORT, "category": "coercion_or_threat", "urgent": true,
            "where_when": WHERE_WHEN, "people": PEOPLE,
        }),
    );
    assert_eq!(status, 201, "{reply}");
    let token = reply["token"].as_str().unwrap().to_owned();

    // A colleague (an administrator) joins after the reports: she holds no wrap of them.
    server.stop();
    let (carla_identity, carla_secret) = register(&deployment, "carla", "admin");
    // A recovery key, set now: the desk shows it on every case with its fingerprint.
    let recovery = quietline::crypto::InvestigatorIdentity::generate()
        .recipient()
        .to_string();
    let out = deployment.admin(&["set-recovery-recipient", "--recipient", &recovery]);
    assert!(out.status.success(), "{out:?}");
    common::confirm_on_host(deployment.data_dir(), &out);
    let printed = String::from_utf8(out.stdout).unwrap();
    let fingerprint = printed
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint: "))
        .unwrap_or_else(|| panic!("no fingerprint in {printed:?}"))
        .to_owned();
    let server = deployment.start(&[]);
    let mut carla = Account::enrol(&server, "carla", carla_identity, &carla_secret);

    let starting = Instant::now();
    let mut desk = Desk::start(
        &server,
        &identity_file,
        "bruno",
        &mut authenticator,
        deployment.logs.path(),
    );
    eprintln!(
        "desk start (unlock + login) took {:.1?}",
        starting.elapsed()
    );

    assert_the_gate_holds(&desk);
    let browser = desk.open();

    // The case list: urgent first.
    let (status, list) = browser.get("/");
    assert_eq!(status, 200, "{list}");
    let ids = case_ids(&list);
    assert_eq!(ids.len(), 2, "{list}");
    let urgent = ids[0].clone();
    let first_row = list.split("<tr class=\"case").nth(1).unwrap();
    assert!(first_row.contains("URGENT"), "{first_row}");
    assert!(
        first_row.contains("not opened yet"),
        "unread mark: {first_row}"
    );
    assert!(
        first_row.contains("7 days left to acknowledge"),
        "{first_row}"
    );

    // The case page decrypts the report on the desk.
    let case_path = format!("/cases/{urgent}");
    let (status, page) = browser.get(&case_path);
    assert_eq!(status, 200, "{page}");
    for text in [REPORT, WHERE_WHEN, PEOPLE] {
        assert!(
            page.contains(text),
            "{text:?} not on the case page:\n{page}"
        );
    }

    // Who can read it: the holders of the case key, and the recovery key with the
    // fingerprint the command line printed, in the same grouped form.
    assert_eq!(element_text(&page, "case-holders"), "ana, bruno");
    let shown = element_text(&page, "case-recovery");
    assert!(
        shown.contains(&recovery) && shown.contains(&format!(">{fingerprint}<")),
        "{fingerprint} {recovery} not in {shown}"
    );

    // Acknowledge and reply through the desk's forms.
    let (status, location) = browser.post_form(
        &format!("{case_path}/status"),
        &[("status", "acknowledged"), ("outcome", "")],
    );
    assert_eq!(
        (status, location.as_str()),
        (303, &*format!("{case_path}?done=status"))
    );
    let (status, location) = browser.post_form(&format!("{case_path}/reply"), &[("body", REPLY)]);
    assert_eq!(
        (status, location.as_str()),
        (303, &*format!("{case_path}?done=reply"))
    );
    let (status, body) = browser.post_form(
        &format!("{case_path}/status"),
        &[("status", "closed"), ("outcome", "")],
    );
    assert_eq!(status, 422, "closing needs an outcome: {body}");
    assert!(body.contains("needs an outcome"), "{body}");

    // An internal note before Carla has access, access for Carla, a note after.
    let note = |text: &str| {
        let (status, location) =
            browser.post_form(&format!("{case_path}/notes"), &[("body", text)]);
        assert_eq!(status, 303, "{location}");
    };
    note("note before carla (note-1)");
    let (status, location) =
        browser.post_form(&format!("{case_path}/access"), &[("investigator", "carla")]);
    assert_eq!(status, 303, "{location}");
    note("note for carla too (note-2)");
    let (_, page) = browser.get(&case_path);
    assert_eq!(element_text(&page, "case-holders"), "ana, bruno, carla");
    let (status, location) = browser.post_form(
        &format!("{case_path}/assignees"),
        &[("assignee", "bruno"), ("assignee", "carla")],
    );
    assert_eq!(status, 303, "{location}");

    let (_, page) = browser.get(&format!("{case_path}?done=assignees"));
    assert!(
        page.contains(REPLY),
        "the reply is not in the thread:\n{page}"
    );
    assert!(page.contains("id=\"case-status\">acknowledged"), "{page}");
    assert!(page.contains("note before carla (note-1)") && page.contains("(note-2)"));
    assert!(page.contains("The assignees were changed."));

    // Carla's own wrap, made by Bruno's desk, opens the case; of the notes, she reads only
    // the one written after she was given access.
    let session = carla.login(&server);
    let (status, detail) = server.inv_get(&session, &format!("/cases/{urgent}"));
    assert_eq!(status, 200, "{detail}");
    let wrap = STANDARD.decode(detail["wrap"].as_str().unwrap()).unwrap();
    let key = CaseKey::unwrap_with(&Wrap(wrap), carla.identity.as_age()).unwrap();
    let report = STANDARD
        .decode(detail["thread"][0]["ciphertext"].as_str().unwrap())
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&key.open(&report).unwrap()).unwrap();
    assert_eq!(report["body"], REPORT);
    let notes = detail["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 2);
    let open_note = |n: &serde_json::Value| {
        let sealed = STANDARD.decode(n["ciphertext"].as_str().unwrap()).unwrap();
        carla.identity.open(&sealed).ok()
    };
    assert!(
        open_note(&notes[0]).is_none(),
        "note 1 predates carla's access"
    );
    let second: serde_json::Value = serde_json::from_slice(&open_note(&notes[1]).unwrap()).unwrap();
    assert_eq!(second, json!({"body": "note for carla too (note-2)"}));
    assert_eq!(detail["summary"]["assignees"], json!(["bruno", "carla"]));

    // Filters and paging pass through to the server.
    let (_, filtered) = browser.get("/?assignee=carla");
    assert_eq!(case_ids(&filtered), [urgent.as_str()]);
    let (_, filtered) = browser.get("/?status=closed");
    assert!(case_ids(&filtered).is_empty(), "{filtered}");
    let (_, first_page) = browser.get("/?per_page=1");
    assert_eq!(case_ids(&first_page), [urgent.as_str()]);
    assert!(first_page.contains("Page 1 of 2"), "{first_page}");
    let (_, second_page) = browser.get("/?per_page=1&page=2");
    assert_eq!(case_ids(&second_page), [ids[1].as_str()]);
    let (status, stats) = browser.get("/stats");
    assert_eq!(status, 200, "{stats}");
    assert!(stats.contains("coercion or threat"), "{stats}");

    // The reporter, with their token, sees the answer and the status.
    let reporter = server.session(&token);
    let (status, case) = server.case(&reporter);
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["status"], "acknowledged");
    let messages = case["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{case}");
    assert_eq!(messages[1]["from"], "investigator");
    assert_eq!(messages[1]["body"], REPLY);

    // An administrator disables Bruno: his server session ends, and the desk says what
    // to do instead of failing obscurely.
    let (status, reply) =
        server.inv_post(&session, "/admin/investigators/bruno/disable", &json!({}));
    assert_eq!(status, 204, "{reply}");
    let (status, page) = browser.get("/");
    assert_eq!(status, 401, "{page}");
    assert!(page.contains("restart the desk"), "{page}");

    // Log out: the desk stops, and wrote nothing to its home, working or temp directory.
    let (status, _) = browser.post_form("/logout", &[]);
    assert_eq!(status, 200);
    assert!(desk.wait_for_exit().success(), "{}", desk.logs());
    let written = files_under(desk.home.path());
    assert!(written.is_empty(), "the desk wrote {written:?}");
    let logs = desk.logs();
    for secret in [REPORT, REPLY, "note-1", PASSPHRASE, desk::PASSWORD] {
        assert!(!logs.contains(secret), "{secret:?} in the desk's output");
    }
    eprintln!("investigator flow took {:.1?}", started.elapsed());
}

/// Without the cookie, or from another site or origin, or under another host name, the
/// desk answers 403; a wrong key gets no cookie, and the right one only once.
fn assert_the_gate_holds(desk: &Desk) {
    let status = |request: ureq::Request| read(request.call()).0;
    assert_eq!(status(agent().get(&desk.url("/"))), 403);
    assert_eq!(status(agent().get(&desk.url("/static/desk.css"))), 403);
    assert_eq!(status(agent().get(&desk.url("/?key=0123"))), 403);
    let browser = desk.open();
    let with_cookie = |request: ureq::Request| status(request.set("Cookie", &browser.cookie));
    assert_eq!(with_cookie(agent().get(&desk.url("/static/desk.css"))), 200);
    assert_eq!(
        with_cookie(
            agent()
                .get(&desk.url("/"))
                .set("Sec-Fetch-Site", "cross-site")
        ),
        403
    );
    assert_eq!(
        with_cookie(agent().get(&desk.url("/")).set("Host", "evil.example")),
        403
    );
    let (status, _) = read(
        agent()
            .post(&desk.url("/logout"))
            .set("Sec-Fetch-Site", "same-site")
            .set("Cookie", &browser.cookie)
            .call(),
    );
    assert_eq!(
        status, 403,
        "a page on another local port must not drive the desk"
    );
    // The entry address works once: it stays in history and scrollback.
    let (status, page) = read(agent().get(&desk.entry).call());
    assert_eq!(status, 403, "a second use of the entry address: {page}");
    assert!(page.contains("already used"), "{page}");
    // A post must come from the desk's own origin, port included: a page on another local
    // port is the same site for the cookie, and older browsers send no Sec-Fetch-Site.
    // (`/nowhere` is no route: 404 means the gate let the request through.)
    let port: u16 = desk.base.rsplit(':').next().unwrap().parse().unwrap();
    let post_from = |origin: Option<&str>, referer: Option<&str>| {
        let mut request = agent()
            .post(&desk.url("/nowhere"))
            .set("Cookie", &browser.cookie);
        if let Some(origin) = origin {
            request = request.set("Origin", origin);
        }
        if let Some(referer) = referer {
            request = request.set("Referer", referer);
        }
        read(request.call()).0
    };
    let other_port = format!("http://127.0.0.1:{}", port.wrapping_add(1));
    assert_eq!(post_from(Some(&other_port), None), 403);
    assert_eq!(post_from(Some("http://evil.example"), None), 403);
    assert_eq!(post_from(Some("null"), None), 403);
    assert_eq!(post_from(None, Some(&format!("{other_port}/"))), 403);
    assert_eq!(post_from(None, None), 403, "a post that names no origin");
    assert_eq!(post_from(Some(&desk.base), None), 404);
    assert_eq!(post_from(None, Some(&desk.url("/cases"))), 404);

    let response = agent().get(&desk.url("/")).call();
    let headers = match response {
        Err(ureq::Error::Status(_, r)) => r,
        other => panic!("expected 403, got {other:?}"),
    };
    assert_eq!(headers.header("x-frame-options"), Some("DENY"));
    assert_eq!(headers.header("cache-control"), Some("no-store"));
}

#[test]
fn the_desk_refuses_other_than_loopback_and_a_wrong_passphrase() {
    let keys = tempfile::tempdir().unwrap();
    let identity_file = keys.path().join("ana.age");
    write_identity_file(
        &quietline::crypto::InvestigatorIdentity::generate(),
        PASSPHRASE,
        &identity_file,
    );
    let desk = |listen: &str, stdin: &str| {
        let mut child = Command::new(BIN)
            .args(["desk", "--server", "http://127.0.0.1:9", "--name", "ana"])
            .arg("--identity")
            .arg(&identity_file)
            .args(["--listen", listen])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    let refused = desk("0.0.0.0:0", "");
    assert!(refused.contains("not a loopback address"), "{refused}");
    let wrong = desk("127.0.0.1:0", "not the passphrase\n");
    assert!(wrong.contains("passphrase does not open"), "{wrong}");
    let plain = Command::new(BIN)
        .args([
            "desk",
            "--server",
            "http://quietline.example",
            "--name",
            "ana",
        ])
        .arg("--identity")
        .arg(&identity_file)
        .output()
        .unwrap();
    let message = String::from_utf8(plain.stderr).unwrap();
    assert!(message.contains("unencrypted"), "{message}");
}

/// The inner HTML of the `<dd>` with `id`.
fn element_text(page: &str, id: &str) -> String {
    let start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {page}"));
    let rest = &page[start..];
    let inner = &rest[rest.find('>').unwrap() + 1..];
    inner[..inner.find("</dd>").unwrap()].to_owned()
}
