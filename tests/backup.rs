//! Backups a service under threat can keep: a snapshot taken while reports keep arriving,
//! encrypted to a registered backup recipient, restored into a new directory with
//! `quietline restore`, serves every case it held, with its evidence, grants, notes and
//! audit chain; scheduled snapshots keep the newest N.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::accounts::{Account, register};
use common::store::{entries, open_status, submit_with_photo, try_start};
use common::{BIN, Deployment};
use quietline::crypto::identity_file::{ScryptWork, seal};
use quietline::crypto::{CaseKey, InvestigatorIdentity, Wrap, seal_to_investigators};
use serde_json::json;

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

fn add_backup_recipient(deployment: &Deployment, identity: &InvestigatorIdentity) {
    let recipient = identity.recipient().to_string();
    let out = deployment.admin(&["add-backup-recipient", "--recipient", &recipient]);
    assert!(out.status.success(), "{out:?}");
}

fn restore(from: &Path, identity: &Path, into: &Path, stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .arg("restore")
        .arg("--from")
        .arg(from)
        .arg("--identity")
        .arg(identity)
        .arg("--data-dir")
        .arg(into)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn backup_files(dir: &Path) -> Vec<String> {
    entries(dir)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("quietline-backup-") && n.ends_with(".age"))
        .collect()
}

#[test]
fn a_snapshot_taken_under_load_restores_every_case_with_its_evidence_grants_and_notes() {
    if common::postgres::skip_sled_only(
        "quietline's own snapshots are of a sled store; a PostgreSQL store is backed up \
         with the database's tools (serve refuses --backup-dir with a database URL)",
    ) {
        return;
    }
    let deployment = Deployment::new();
    let (boss_identity, boss_secret) = register(&deployment, "boss", "admin");
    let backup_identity = InvestigatorIdentity::generate();
    add_backup_recipient(&deployment, &backup_identity);
    let backups = tempfile::tempdir().unwrap();
    let backup_dir = backups.path().display().to_string();
    let server = deployment.start(&["--backup-dir", &backup_dir]);
    let mut boss = Account::enrol(&server, "boss", boss_identity, &boss_secret);
    let boss_session = boss.login(&server);

    // A populated store: reports with and without evidence, a follow-up, a reply, a
    // grant and an internal note.
    let tokens: Vec<String> = (0..6)
        .map(|n| {
            if n % 2 == 0 {
                submit_with_photo(&server, &format!("report {n}"))
            } else {
                server.submit(&format!("report {n}"))
            }
        })
        .collect();
    // Carla joins after the reports: she holds no wrap of them until one is granted.
    let carla_identity = InvestigatorIdentity::generate();
    let (status, created) = server.inv_post(
        &boss_session,
        "/admin/investigators",
        &json!({"name": "carla", "recipient": carla_identity.recipient().to_string()}),
    );
    assert_eq!(status, 201, "{created}");
    let carla_secret = created["enrolment_secret"].as_str().unwrap();
    let mut carla = Account::enrol(&server, "carla", carla_identity, carla_secret);
    let reporter = server.session(&tokens[0]);
    assert_eq!(server.follow_up(&reporter, "one more thing"), 201);
    let (_, list) = server.inv_get(&boss_session, "/cases");
    let case_id = list["cases"][0]["id"].as_str().unwrap().to_owned();
    let (status, detail) = server.inv_get(&boss_session, &format!("/cases/{case_id}"));
    assert_eq!(status, 200, "{detail}");
    let wrap = STANDARD.decode(detail["wrap"].as_str().unwrap()).unwrap();
    let key = CaseKey::unwrap_with(&Wrap(wrap), boss.identity.as_age()).unwrap();
    let for_carla = key.wrap_to(carla.identity.recipient().as_age()).unwrap();
    let (status, reply) = server.inv_post(
        &boss_session,
        &format!("/cases/{case_id}/access"),
        &json!({"investigator": "carla", "wrap": b64(&for_carla.0)}),
    );
    assert_eq!(status, 201, "{reply}");
    let note = seal_to_investigators(
        &[boss.identity.recipient(), carla.identity.recipient()],
        b"{\"body\":\"internal\"}",
    )
    .unwrap();
    let (status, reply) = server.inv_post(
        &boss_session,
        &format!("/cases/{case_id}/notes"),
        &json!({"ciphertext": b64(&note)}),
    );
    assert_eq!(status, 201, "{reply}");

    // The snapshot is taken while reports keep arriving.
    let stop = AtomicBool::new(false);
    let started = AtomicUsize::new(0);
    let (during, taken) = std::thread::scope(|scope| {
        let load = scope.spawn(|| {
            let mut acknowledged = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                acknowledged.push(server.submit("written during the snapshot"));
                started.fetch_add(1, Ordering::SeqCst);
            }
            acknowledged
        });
        // Let the load get going before the snapshot starts.
        let deadline = Instant::now() + Duration::from_secs(20);
        while started.load(Ordering::SeqCst) < 2 {
            assert!(Instant::now() < deadline, "the write load did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        let taken = server.inv_post(&boss_session, "/admin/backups", &json!({}));
        stop.store(true, Ordering::SeqCst);
        (load.join().unwrap(), taken)
    });
    let (status, taken) = taken;
    assert_eq!(status, 201, "{taken}");
    assert!(
        !during.is_empty(),
        "no report was written during the snapshot"
    );
    let file = backups.path().join(taken["file"].as_str().unwrap());
    assert_eq!(
        backup_files(backups.path()),
        vec![taken["file"].as_str().unwrap()]
    );
    let size = std::fs::metadata(&file).unwrap().len();
    eprintln!(
        "snapshot: {} cases, {} evidence files, {size} bytes encrypted",
        taken["cases"], taken["evidence_files"]
    );

    // Only an administrator may take one.
    let carla_session = carla.login(&server);
    let (status, _) = server.inv_post(&carla_session, "/admin/backups", &json!({}));
    assert_eq!(status, 403);
    server.stop();
    let ciphertext = std::fs::read(&file).unwrap();
    assert!(ciphertext.starts_with(b"age-encryption.org/v1\n"));

    // Restore with a plain age identity file into a new directory.
    let keys = tempfile::tempdir().unwrap();
    let plain = keys.path().join("backup-identity.txt");
    std::fs::write(&plain, backup_identity.to_file_text().as_bytes()).unwrap();
    let target = tempfile::tempdir().unwrap();
    let restored = target.path().join("restored");
    let out = restore(&file, &plain, &restored, "");
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("audit log intact"), "{said}");
    assert!(said.contains("high-water mark"), "{said}");
    let cases = taken["cases"].as_u64().unwrap();
    assert!(said.contains(&format!("holds: {cases} cases")), "{said}");

    // A second restore into the same directory is refused and changes nothing.
    let again = restore(&file, &plain, &restored, "");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));

    // Evidence files come back byte for byte.
    let original_blobs = deployment.data_dir().join("blobs");
    let restored_blobs = entries(&restored.join("blobs"));
    assert_eq!(
        restored_blobs.len() as u64,
        taken["evidence_files"].as_u64().unwrap()
    );
    assert!(restored_blobs.len() >= 3);
    for blob in &restored_blobs {
        let name = blob.file_name().unwrap();
        assert_eq!(
            std::fs::read(blob).unwrap(),
            std::fs::read(original_blobs.join(name)).unwrap()
        );
    }

    // The restored directory serves: every token acknowledged before the snapshot opens;
    // one acknowledged while it was taken is either wholly there or wholly absent.
    let logs = tempfile::tempdir().unwrap();
    let server = try_start(&restored, logs.path(), &[], &[]).listening();
    for token in &tokens {
        assert_eq!(
            open_status(&server, token),
            200,
            "a token lost by the restore"
        );
    }
    let mut kept = 0;
    for token in &during {
        match open_status(&server, token) {
            200 => kept += 1,
            401 => {}
            other => panic!("a case written during the snapshot answers {other}"),
        }
    }
    eprintln!(
        "{kept} of {} reports written during the snapshot are in it",
        during.len()
    );
    assert_eq!(cases, tokens.len() as u64 + kept as u64);
    // The grant and the note survived: carla opens the case and reads the note.
    let carla_session = carla.login(&server);
    let (status, detail) = server.inv_get(&carla_session, &format!("/cases/{case_id}"));
    assert_eq!(status, 200, "{detail}");
    let notes = detail["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    let sealed = STANDARD
        .decode(notes[0]["ciphertext"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        carla.identity.open(&sealed).unwrap().as_slice(),
        b"{\"body\":\"internal\"}"
    );
    server.kill();

    // A passphrase-protected identity file, as `quietline keygen` writes, works too.
    let protected = keys.path().join("backup-identity.age");
    std::fs::write(
        &protected,
        seal(&backup_identity, "backup passphrase 1", ScryptWork::LogN(2)).unwrap(),
    )
    .unwrap();
    let second = target.path().join("second");
    let out = restore(&file, &protected, &second, "backup passphrase 1\n");
    assert!(out.status.success(), "{out:?}");

    // Another identity opens nothing.
    let stranger = keys.path().join("stranger.txt");
    std::fs::write(
        &stranger,
        InvestigatorIdentity::generate().to_file_text().as_bytes(),
    )
    .unwrap();
    let out = restore(&file, &stranger, &target.path().join("third"), "");
    assert!(!out.status.success());
}

#[test]
fn scheduled_snapshots_keep_the_newest_and_need_a_recipient() {
    if common::postgres::skip_sled_only(
        "quietline's own snapshots are of a sled store; a PostgreSQL store is backed up \
         with the database's tools (serve refuses --backup-dir with a database URL)",
    ) {
        return;
    }
    let deployment = Deployment::new();
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path().display().to_string();
    let flags = [
        "--backup-dir",
        dir.as_str(),
        "--backup-every",
        "1s",
        "--backup-keep",
        "2",
    ];
    let said = try_start(deployment.data_dir(), deployment.logs.path(), &[], &flags).refusal();
    assert!(said.contains("add-backup-recipient"), "{said}");

    add_backup_recipient(&deployment, &InvestigatorIdentity::generate());
    let server = deployment.start(&flags);
    server.submit("a report to keep");
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.logs().matches("backup written").count() < 3 {
        assert!(Instant::now() < deadline, "fewer than 3 backups in 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Once three were written, only two are ever kept (one more may be on its way).
    loop {
        if backup_files(backups.path()).len() == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{:?}",
            backup_files(backups.path())
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill();
    let names = backup_files(backups.path());
    assert!(names.len() <= 3, "{names:?}");
    // The audit chain records each backup, and still verifies.
    let out = Command::new(BIN)
        .args(["audit", "verify", "--data-dir"])
        .arg(deployment.data_dir())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}
