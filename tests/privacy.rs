//! What a seized server gives away: a report carrying unique markers is submitted and
//! followed up, then every file of the data directory and everything the process printed
//! (at the most verbose log level) is searched for the markers, the token, the session id,
//! the reporter's user agent and forwarded address. None may appear. The same data is
//! then shown to be readable by the registered investigator's identity, and only by it.

mod common;

use common::{Deployment, agent, files_under, read};
use quietline::crypto::{CaseToken, InvestigatorIdentity, KdfSettings};
use quietline::store::Holder;
use serde_json::json;

const BODY_MARKER: &str = "QLMARKER-body-5e1f0c";
const WHERE_MARKER: &str = "QLMARKER-where-77aa02";
const PEOPLE_MARKER: &str = "QLMARKER-people-c3d9b4";
const FOLLOW_UP_MARKER: &str = "QLMARKER-followup-91be3a";
const PAGE_MARKER: &str = "QLMARKER-page-0d4e88";
const USER_AGENT: &str = "QLMARKER-agent/1.0 (Officer's phone)";
const FORWARDED_FOR: &str = "203.0.113.77";

#[test]
fn nothing_identifying_reaches_the_disk_or_the_logs() {
    let deployment = Deployment::new();
    let recovery = InvestigatorIdentity::generate();
    let out = deployment.admin(&[
        "set-recovery-recipient",
        "--recipient",
        &recovery.recipient().to_string(),
    ]);
    assert!(out.status.success(), "{out:?}");
    common::confirm_on_host(deployment.data_dir(), &out);
    let server = deployment.start(&[]);

    let send = |path: &str, body: serde_json::Value, bearer: Option<&str>| {
        let mut request = agent()
            .post(&server.url(path))
            .set("User-Agent", USER_AGENT)
            .set("X-Forwarded-For", FORWARDED_FOR)
            .set("X-Real-IP", FORWARDED_FOR);
        if let Some(session) = bearer {
            request = request.set("Authorization", &format!("Bearer {session}"));
        }
        read(request.send_json(body))
    };
    let (status, reply) = send(
        "/api/v1/reports",
        json!({"body": format!("They paid me. {BODY_MARKER}"), "category": "bribe_offered",
               "where_when": WHERE_MARKER, "people": PEOPLE_MARKER}),
        None,
    );
    assert_eq!(status, 201);
    let token = common::json(&reply)["token"].as_str().unwrap().to_owned();
    let (status, reply) = send("/api/v1/case/session", json!({ "token": token }), None);
    assert_eq!(status, 200);
    let session = common::json(&reply)["session"].as_str().unwrap().to_owned();
    let (status, _) = send(
        "/api/v1/case/messages",
        json!({ "body": FOLLOW_UP_MARKER }),
        Some(&session),
    );
    assert_eq!(status, 201);
    // The HTML form path too, and a failing request whose body must not be echoed to logs.
    let once = server.form_nonce("/report");
    let (status, _) = read(
        agent()
            .post(&server.url("/report"))
            .set("User-Agent", USER_AGENT)
            .send_form(&[
                ("once", once.as_str()),
                ("body", PAGE_MARKER),
                ("category", "collusion"),
            ]),
    );
    assert_eq!(status, 201);
    let (status, _) = send(
        "/api/v1/reports",
        json!({"body": BODY_MARKER, "category": BODY_MARKER}),
        None,
    );
    assert_eq!(status, 422);

    // The markers did go through: the case reads back in clear with the token.
    let (_, case) = server.case(&session);
    assert!(case.to_string().contains(FOLLOW_UP_MARKER));
    let logs = server.logs();
    server.stop();

    let canonical = token.replace('-', "");
    let needles = [
        BODY_MARKER,
        WHERE_MARKER,
        PEOPLE_MARKER,
        FOLLOW_UP_MARKER,
        PAGE_MARKER,
        "QLMARKER-agent",
        FORWARDED_FOR,
        token.as_str(),
        canonical.as_str(),
        &canonical.to_lowercase(),
        session.as_str(),
    ];
    for needle in needles {
        assert!(
            !logs.contains(needle),
            "the process output contains {needle:?}"
        );
    }
    // What a seized server holds: the data directory, and on PostgreSQL a dump of the
    // database, where bytea columns appear in hex: searched in both forms.
    let mut stored: Vec<(String, Vec<u8>)> = files_under(deployment.data_dir())
        .into_iter()
        .map(|file| (file.display().to_string(), std::fs::read(&file).unwrap()))
        .collect();
    if let Some(url) = &deployment.database {
        stored.push((
            "pg_dump of the database".into(),
            common::postgres::dump(url),
        ));
    }
    assert!(!stored.is_empty());
    for (name, bytes) in &stored {
        for needle in needles {
            let hex: String = needle.bytes().map(|b| format!("{b:02x}")).collect();
            for form in [needle.as_bytes(), hex.as_bytes()] {
                assert!(
                    !bytes.windows(form.len()).any(|w| w == form),
                    "{name} contains {needle:?}"
                );
            }
        }
    }

    // The investigator's identity opens the case; a stranger's does not.
    let store = common::open_store(deployment.data_dir());
    let kdf: KdfSettings = store
        .init_kdf(KdfSettings {
            salt: quietline::crypto::DeploymentSalt::generate(),
            params: Default::default(),
        })
        .unwrap();
    let seed = kdf.derive_seed(&CaseToken::parse(&token).unwrap()).unwrap();
    let (case_id, record) = store.case_by_lookup(&seed.lookup_id()).unwrap().unwrap();
    assert_eq!(record.entries, 2);
    let wrap = store
        .wrap(case_id, &Holder::Investigator("ana".into()))
        .unwrap()
        .unwrap();
    let key =
        quietline::crypto::CaseKey::unwrap_with(&wrap, deployment.investigator.as_age()).unwrap();
    let thread = store.thread(case_id).unwrap();
    let report = String::from_utf8(key.open(&thread[0].ciphertext).unwrap().to_vec()).unwrap();
    assert!(report.contains(BODY_MARKER) && report.contains(WHERE_MARKER));
    let follow_up = String::from_utf8(key.open(&thread[1].ciphertext).unwrap().to_vec()).unwrap();
    assert!(follow_up.contains(FOLLOW_UP_MARKER));
    // The offline recovery identity opens it too, so a lost investigator key loses nothing.
    let recovery_wrap = store.wrap(case_id, &Holder::Recovery).unwrap().unwrap();
    let recovered =
        quietline::crypto::CaseKey::unwrap_with(&recovery_wrap, recovery.as_age()).unwrap();
    assert!(recovered.open(&thread[0].ciphertext).is_ok());
    let stranger = InvestigatorIdentity::generate();
    assert!(quietline::crypto::CaseKey::unwrap_with(&wrap, stranger.as_age()).is_err());
}

#[test]
fn reporter_pages_load_nothing_from_elsewhere_and_run_no_script() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    for path in ["/", "/report", "/case", "/?lang=fr", "/report?lang=es"] {
        let response = agent().get(&server.url(path)).call().unwrap();
        let csp = response
            .header("Content-Security-Policy")
            .unwrap()
            .to_owned();
        assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
        assert!(
            !csp.contains("script-src"),
            "no script may be allowed: {csp}"
        );
        assert_eq!(response.header("Referrer-Policy"), Some("no-referrer"));
        assert_eq!(response.header("X-Frame-Options"), Some("DENY"));
        assert_eq!(response.header("Cache-Control"), Some("no-store"));
        assert!(
            response.header("Set-Cookie").is_none(),
            "{path} sets a cookie"
        );
        let html = response.into_string().unwrap();
        assert!(!html.contains("<script"), "{path} has a script");
        for attribute in ["src=\"http", "href=\"//", "src=\"//", "url(http"] {
            assert!(
                !html.contains(attribute),
                "{path} loads from another origin"
            );
        }
        // Only the quick-exit link points elsewhere; the stylesheet is ours.
        assert!(html.contains("href=\"/static/style.css\""));
    }
    let css = agent()
        .get(&server.url("/static/style.css"))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(!css.contains("url(") && !css.contains("@import"));
}

#[test]
fn pages_follow_the_browser_language_and_the_switcher() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    let page = |path: &str, accept: &str| {
        agent()
            .get(&server.url(path))
            .set("Accept-Language", accept)
            .call()
            .unwrap()
            .into_string()
            .unwrap()
    };
    assert!(page("/", "fr-FR,fr;q=0.9,en;q=0.5").contains("<html lang=\"fr\">"));
    assert!(page("/", "es-ES,es;q=0.9").contains("<html lang=\"es\">"));
    assert!(page("/", "de-DE").contains("<html lang=\"en\">"));
    let switched = page("/report?lang=es", "fr-FR");
    assert!(switched.contains("<html lang=\"es\">"));
    assert!(switched.contains("action=\"/report?lang=es\""));
}

/// Every second-precise time of a run, as a seized disk could hold it: decimal text, and
/// 64-bit little- and big-endian and LEB128 (postcard's varint) integers.
fn time_encodings(from: u64, to: u64) -> Vec<(u64, Vec<u8>)> {
    let mut encodings = Vec::new();
    for t in from..=to {
        encodings.push((t, t.to_string().into_bytes()));
        encodings.push((t, t.to_le_bytes().to_vec()));
        encodings.push((t, t.to_be_bytes().to_vec()));
        let mut varint = Vec::new();
        let mut rest = t;
        loop {
            let byte = (rest & 0x7f) as u8;
            rest >>= 7;
            if rest == 0 {
                varint.push(byte);
                break;
            }
            varint.push(byte | 0x80);
        }
        encodings.push((t, varint));
    }
    encodings
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// SECURITY.md: reporter times are kept to the day in every file. A run with reports,
/// evidence, follow-ups and investigator log-ins, case lists and case openings leaves no
/// second of the run in any file of the data directory, and evidence files are dated to
/// the start of the day.
#[test]
fn the_data_directory_holds_no_time_finer_than_a_day() {
    if common::postgres::skip_sled_only(
        "it searches the sled data directory; a search of a pg_dump is not written yet",
    ) {
        return;
    }
    use common::accounts::{Account, register};
    let started = unix_now();
    let deployment = Deployment::new();
    let (identity, secret) = register(&deployment, "eva", "investigator");
    let server = deployment.start(&[]);
    let mut eva = Account::enrol(&server, "eva", identity, &secret);
    let session = eva.login(&server);
    for n in 0..3 {
        let form = common::multipart(
            &[("body", &format!("report {n}")), ("category", "other")],
            &[common::Evidence {
                name: "note.jpg",
                content_type: "image/jpeg",
                bytes: include_bytes!("fixtures/evidence/photo.jpg"),
            }],
        );
        let (status, reply) = read(
            agent()
                .post(&server.url("/api/v1/reports"))
                .set("Content-Type", &common::multipart_type())
                .send_bytes(&form),
        );
        assert_eq!(status, 201, "{reply}");
        let token = common::json(&reply)["token"].as_str().unwrap().to_owned();
        let reporter = server.session(&token);
        assert_eq!(server.follow_up(&reporter, "and one more thing"), 201);
        let (status, list) = server.inv_get(&session, "/cases");
        assert_eq!(status, 200);
        let id = list["cases"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(server.inv_get(&session, &format!("/cases/{id}")).0, 200);
        std::thread::sleep(std::time::Duration::from_millis(400));
    }
    server.stop();
    let ended = unix_now();

    let encodings = time_encodings(started - 2, ended + 2);
    for file in files_under(deployment.data_dir()) {
        let bytes = std::fs::read(&file).unwrap();
        for (t, pattern) in &encodings {
            assert!(
                !bytes.windows(pattern.len()).any(|w| w == &pattern[..]),
                "{} holds the time {t} as {pattern:?}",
                file.display()
            );
        }
    }
    let day_start = started / 86_400 * 86_400;
    let blobs = deployment.data_dir().join("blobs");
    let mut dated = 0;
    for file in files_under(&blobs) {
        let modified = std::fs::metadata(&file)
            .unwrap()
            .modified()
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(modified / 86_400 * 86_400, modified, "{}", file.display());
        assert!(modified >= day_start, "{}", file.display());
        dated += 1;
    }
    assert_eq!(dated, 3, "three evidence files");
}

/// Seconds since the epoch of a file time.
fn seconds(time: std::time::SystemTime) -> u64 {
    time.duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An evidence file's change time (ctime), in seconds.
fn changed(metadata: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    metadata.ctime().try_into().unwrap()
}

/// SECURITY.md: a file's change and birth times cannot be set, so the scheduled rewrite
/// (`serve --rewrite-every`) copies the evidence files that arrived since the last one
/// into new files and resets every file's times. After it, no evidence file's times fall
/// in the second of any upload: all share one modification and access time (the start of
/// the day), and their birth and change times are the rewrite's. The rewritten store
/// holds no second of the run either.
#[test]
fn after_a_rewrite_evidence_files_no_longer_date_their_upload() {
    if common::postgres::skip_sled_only(
        "evidence files of the data directory; on PostgreSQL evidence is rows, dated by nothing but the database's own files",
    ) {
        return;
    }
    let started = unix_now();
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    let mut uploads = Vec::new();
    for n in 0..3 {
        let before = unix_now();
        common::store::submit_with_photo(&server, &format!("report {n}"));
        uploads.push(before..=unix_now());
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    server.stop();
    let uploaded = unix_now();
    let blobs = deployment.data_dir().join("blobs");
    // Before the rewrite, each file's birth time is its upload's (where the filesystem
    // keeps one; the change time always is).
    let keeps_birth = files_under(&blobs)
        .iter()
        .all(|file| std::fs::metadata(file).unwrap().created().is_ok());
    for file in files_under(&blobs) {
        let metadata = std::fs::metadata(&file).unwrap();
        let at_upload = |t: u64| uploads.iter().any(|upload| upload.contains(&t));
        assert!(at_upload(changed(&metadata)), "{}", file.display());
        if keeps_birth {
            assert!(at_upload(seconds(metadata.created().unwrap())));
        }
    }

    let server = deployment.start(&["--rewrite-every", "2s"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !server.logs().contains("rewrote the store") {
        assert!(std::time::Instant::now() < deadline, "{}", server.logs());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    server.stop();
    let ended = unix_now();

    let files = files_under(&blobs);
    assert_eq!(files.len(), 3, "three evidence files");
    let day_start = started / 86_400 * 86_400;
    let mut modified = std::collections::BTreeSet::new();
    for file in &files {
        let metadata = std::fs::metadata(file).unwrap();
        let (m, a) = (
            seconds(metadata.modified().unwrap()),
            seconds(metadata.accessed().unwrap()),
        );
        assert_eq!(m, a, "{}", file.display());
        assert_eq!(m / 86_400 * 86_400, m, "{}", file.display());
        assert!(m >= day_start, "{}", file.display());
        modified.insert(m);
        let ctime = changed(&metadata);
        assert!(ctime >= uploaded, "{} changed at {ctime}", file.display());
        if let Ok(born) = metadata.created() {
            let born = seconds(born);
            assert!(born >= uploaded, "{} born at {born}", file.display());
        }
        for upload in &uploads {
            assert!(!upload.contains(&ctime), "{}", file.display());
        }
    }
    assert_eq!(modified.len(), 1, "all share one modification time");
    if !keeps_birth {
        eprintln!("this filesystem keeps no birth time: only change times were checked");
    }

    let encodings = time_encodings(started - 2, ended + 2);
    for file in files_under(&deployment.data_dir().join("store")) {
        let bytes = std::fs::read(&file).unwrap();
        for (t, pattern) in &encodings {
            assert!(
                !bytes.windows(pattern.len()).any(|w| w == &pattern[..]),
                "{} holds the time {t} as {pattern:?}",
                file.display()
            );
        }
    }
}
