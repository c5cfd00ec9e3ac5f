//! The investigator's whole loop across two real processes: the service (`serve`) and the
//! investigator's desk (`desk`), both on 127.0.0.1. A reporter submits; a new investigator
//! enrols with `quietline enrol` (one-time secret, password, TOTP), starts the desk with a
//! passphrase-protected identity file, reads the decrypted report through the desk's
//! pages, answers, acknowledges, assigns, keeps notes and grants a colleague access; the
//! reporter then sees the answer and the status with their token. Along the way: the
//! desk's access gate, and that the desk writes nothing to disk. A second journey: evidence
//! files sent with a report are listed on the desk's case page and download decrypted,
//! without their metadata, and a damaged file never downloads as if it were whole.

mod common;

use std::io::Read;
use std::process::Command;
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::accounts::{Account, register};
use common::desk::{
    self, Desk, Evidence, PASSPHRASE, case_ids, submit_with_evidence, write_identity_file,
};
use common::{BIN, Deployment, agent, files_under, read};
use quietline::crypto::{CaseKey, Wrap};
use quietline::evidence::{self, Format};
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

/// A 16x16 photo whose EXIF holds a GPS position, a camera serial number and an owner.
const PHOTO: &[u8] = include_bytes!("fixtures/evidence/photo.jpg");
/// The reporter's name for it: markup to escape, and letters outside ASCII.
const PHOTO_NAME: &str = "Étage <2> reçu.jpg";

/// The inner HTML of the `<dd>` with `id`.
fn element_text(page: &str, id: &str) -> String {
    let start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {page}"));
    let rest = &page[start..];
    let inner = &rest[rest.find('>').unwrap() + 1..];
    inner[..inner.find("</dd>").unwrap()].to_owned()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The download links of a desk case page: (blob id, file name as shown), in page order.
fn download_links(page: &str, case: &str) -> Vec<(String, String)> {
    let prefix = format!("<a class=\"download\" href=\"/cases/{case}/attachments/");
    page.split(prefix.as_str())
        .skip(1)
        .map(|rest| {
            let blob = rest.split('"').next().unwrap().to_owned();
            let name = rest
                .split("<bdi class=\"file-name\">")
                .nth(1)
                .and_then(|n| n.split("</bdi>").next())
                .unwrap()
                .to_owned();
            (blob, name)
        })
        .collect()
}

/// The file stored under `blob` in the data directory.
fn blob_file(deployment: &Deployment, blob: &str) -> std::path::PathBuf {
    files_under(&deployment.data_dir().join("blobs"))
        .into_iter()
        .find(|f| f.file_name().is_some_and(|n| n == blob))
        .unwrap_or_else(|| panic!("no blob file {blob}"))
}

#[test]
fn evidence_is_listed_in_the_desk_and_downloads_decrypted_without_its_metadata() {
    let deployment = Deployment::new();
    let (bruno, bruno_secret) = register(&deployment, "bruno", "investigator");
    let keys = tempfile::tempdir().unwrap();
    let identity_file = keys.path().join("bruno.age");
    write_identity_file(&bruno, PASSPHRASE, &identity_file);
    let server = deployment.start(&[]);
    // Enrolled before the reports: new cases are wrapped to enrolled investigators only.
    let mut authenticator = desk::enrol(&server, "bruno", &bruno_secret);

    // The fixture really carries what must not reach the investigator.
    let gps_pointer: &[u8] = &[0x88, 0x25, 0x00, 0x04]; // GPS IFD tag, big-endian
    let latitude: &[u8] = &[0, 0, 0, 48, 0, 0, 0, 1, 0, 0, 0, 51, 0, 0, 0, 1];
    let traces: [&[u8]; 5] = [
        b"Exif\0\0",
        gps_pointer,
        latitude,
        b"SN-CAMERA-0042",
        b"Jeanne Testowner",
    ];
    for trace in traces {
        assert!(contains(PHOTO, trace), "fixture lacks {trace:?}");
    }
    // A file the service does not clean, over four of age's 64 KiB chunks.
    let recording: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let (status, reply) = submit_with_evidence(
        &server,
        &[
            ("body", "The note on my car, and the call (flow-evidence)"),
            ("category", "coercion_or_threat"),
            ("urgent", "true"),
            // The reporter asks to keep the names: they are shown escaped on the desk.
            ("keep_names", "on"),
        ],
        &[
            Evidence {
                name: PHOTO_NAME,
                content_type: "image/jpeg",
                bytes: PHOTO,
            },
            Evidence {
                name: "call.m4a",
                content_type: "audio/mp4",
                bytes: &recording,
            },
        ],
    );
    assert_eq!(status, 201, "{reply}");
    // Another case with a file: its blob must not be reachable through the first case.
    let (status, reply) = submit_with_evidence(
        &server,
        &[("body", "Another report"), ("category", "other")],
        &[Evidence {
            name: "other.jpg",
            content_type: "image/jpeg",
            bytes: PHOTO,
        }],
    );
    assert_eq!(status, 201, "{reply}");

    let desk = Desk::start(
        &server,
        &identity_file,
        "bruno",
        &mut authenticator,
        deployment.logs.path(),
    );
    let browser = desk.open();
    let (_, list) = browser.get("/");
    let ids = case_ids(&list);
    assert_eq!(ids.len(), 2, "{list}");
    let (case, other_case) = (&ids[0], &ids[1]);

    // The case page lists both files with what the service found, the name escaped.
    let mut cleaned = Vec::new();
    evidence::clean(Format::Jpeg, PHOTO, &mut cleaned).unwrap();
    let (status, page) = browser.get(&format!("/cases/{case}"));
    assert_eq!(status, 200, "{page}");
    let links = download_links(&page, case);
    let names: Vec<&str> = links.iter().map(|(_, name)| name.as_str()).collect();
    assert_eq!(names, ["Étage &lt;2&gt; reçu.jpg", "call.m4a"], "{page}");
    let listed = page.split("<li class=\"attachment\">").skip(1);
    let [photo_item, recording_item]: [&str; 2] = listed.collect::<Vec<_>>().try_into().unwrap();
    for text in [
        &format!("{} bytes", cleaned.len()),
        "detected: <span class=\"format\">JPEG image</span>",
        "declared: <bdi class=\"declared\">image&#x2f;jpeg</bdi>",
        "Metadata removed: EXIF",
    ] {
        assert!(photo_item.contains(text), "{text:?} not in {photo_item}");
    }
    for text in [
        "293.0 KiB",
        "detected: <span class=\"format\">not recognised</span>",
        "Not cleaned: may still carry device data",
    ] {
        assert!(
            recording_item.contains(text),
            "{text:?} not in {recording_item}"
        );
    }
    assert!(!photo_item.contains("Not cleaned"), "{photo_item}");

    // Downloading the photo: the cleaned JPEG, decrypted on the desk, as a sandboxed
    // attachment under a safe name.
    let (photo_blob, recording_blob) = (&links[0].0, &links[1].0);
    let response = browser.fetch(&format!("/cases/{case}/attachments/{photo_blob}"));
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(
        response.header("content-disposition"),
        Some(
            "attachment; filename=\"_tage _2_ re_u.jpg\"; \
             filename*=UTF-8''%C3%89tage%20_2_%20re%C3%A7u.jpg"
        )
    );
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    let policy = response.header("content-security-policy").unwrap();
    assert!(policy.starts_with("sandbox;"), "{policy}");
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let mut photo = Vec::new();
    response.into_reader().read_to_end(&mut photo).unwrap();
    assert!(photo.starts_with(&[0xFF, 0xD8]), "not a JPEG");
    for trace in traces {
        assert!(!contains(&photo, trace), "{trace:?} survived");
    }
    assert_eq!(photo, cleaned, "not what the evidence module makes of it");

    let response = browser.fetch(&format!("/cases/{case}/attachments/{recording_blob}"));
    assert_eq!(response.status(), 200);
    let mut downloaded = Vec::new();
    response.into_reader().read_to_end(&mut downloaded).unwrap();
    assert!(downloaded == recording, "the recording changed on the way");

    // Only files the case lists: not another case's, not a made-up or malformed id. The
    // desk says so itself, before asking the server for anything.
    let (_, other_page) = browser.get(&format!("/cases/{other_case}"));
    let other_blob = &download_links(&other_page, other_case)[0].0;
    for blob in [other_blob.as_str(), &"0".repeat(32)] {
        let (status, page) = browser.get(&format!("/cases/{case}/attachments/{blob}"));
        assert_eq!(status, 404, "{page}");
        assert!(page.contains("lists no such evidence file"), "{page}");
    }
    let (status, _) = browser.get(&format!("/cases/{case}/attachments/{}", &photo_blob[..31]));
    assert_eq!(status, 404);

    // Damage half-way through the recording (the fourth of five chunks): the download
    // starts, then fails; it never ends as if it were complete.
    let stored = blob_file(&deployment, recording_blob);
    let mut bytes = std::fs::read(&stored).unwrap();
    let at = bytes.len() - 80_000;
    bytes[at] ^= 0x01;
    std::fs::write(&stored, bytes).unwrap();
    let response = browser.fetch(&format!("/cases/{case}/attachments/{recording_blob}"));
    assert_eq!(response.status(), 200, "the damage is past the first chunk");
    let mut partial = Vec::new();
    let read = response.into_reader().read_to_end(&mut partial);
    assert!(read.is_err(), "a damaged file downloaded as whole");
    assert!(partial.len() < recording.len());

    // Damage in the header: the key cannot open it, and the desk says so on a page.
    let stored = blob_file(&deployment, photo_blob);
    let mut bytes = std::fs::read(&stored).unwrap();
    bytes[40] ^= 0x01;
    std::fs::write(&stored, bytes).unwrap();
    let (status, page) = browser.get(&format!("/cases/{case}/attachments/{photo_blob}"));
    assert_eq!(status, 502, "{page}");
    assert!(
        page.contains("does not decrypt with the case key"),
        "{page}"
    );

    // Names and content stay out of the desk's output.
    let logs = desk.logs();
    for secret in ["Étage", "reçu", "call.m4a", "flow-evidence"] {
        assert!(!logs.contains(secret), "{secret:?} in the desk's output");
    }
}

/// Peak resident memory of a process so far (Linux `VmHWM`), in KiB.
#[cfg(target_os = "linux")]
fn peak_memory_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in {status}"))
}

/// A large file goes through the desk in chunks: the desk's peak memory grows by a small
/// fraction of the file, not by the file (which buffering it whole would cost).
#[cfg(target_os = "linux")]
#[test]
fn a_large_evidence_file_streams_through_the_desk_in_constant_memory() {
    const SIZE: usize = 8 << 20;
    let content = |i: usize| (i.wrapping_mul(2_654_435_761) >> 13) as u8;
    let file: Vec<u8> = (0..SIZE).map(content).collect();
    let deployment = Deployment::new();
    let (bruno, bruno_secret) = register(&deployment, "bruno", "investigator");
    let keys = tempfile::tempdir().unwrap();
    let identity_file = keys.path().join("bruno.age");
    write_identity_file(&bruno, PASSPHRASE, &identity_file);
    let server = deployment.start(&[]);
    // Enrolled before the report: new cases are wrapped to enrolled investigators only.
    let mut authenticator = desk::enrol(&server, "bruno", &bruno_secret);
    let (status, reply) = submit_with_evidence(
        &server,
        &[("body", "The whole meeting"), ("category", "bribe_offered")],
        &[Evidence {
            name: "meeting.mov",
            content_type: "video/quicktime",
            bytes: &file,
        }],
    );
    assert_eq!(status, 201, "{reply}");
    drop(file);

    let desk = Desk::start(
        &server,
        &identity_file,
        "bruno",
        &mut authenticator,
        deployment.logs.path(),
    );
    let browser = desk.open();
    let (_, list) = browser.get("/");
    let case = case_ids(&list).remove(0);
    let (_, page) = browser.get(&format!("/cases/{case}"));
    let (blob, _) = download_links(&page, &case).remove(0);
    let before = peak_memory_kib(desk.pid());

    let response = browser.fetch(&format!("/cases/{case}/attachments/{blob}"));
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("content-length"), Some(&*SIZE.to_string()));
    // Compared as it arrives, so that the test does not hold the file either.
    let mut reader = response.into_reader();
    let mut chunk = vec![0u8; 1 << 16];
    let mut offset = 0;
    loop {
        let read = reader.read(&mut chunk).unwrap();
        if read == 0 {
            break;
        }
        for (i, byte) in chunk[..read].iter().enumerate() {
            assert_eq!(*byte, content(offset + i), "byte {}", offset + i);
        }
        offset += read;
    }
    assert_eq!(offset, SIZE);

    let growth = peak_memory_kib(desk.pid()).saturating_sub(before);
    eprintln!(
        "desk peak memory grew by {growth} KiB for a {} KiB file",
        SIZE >> 10
    );
    assert!(
        growth < 3 << 10,
        "the desk's peak memory grew by {growth} KiB for a {} KiB file",
        SIZE >> 10
    );
}
