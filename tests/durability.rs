//! Never lose a report: every acknowledged write is fsynced before the reply, a store that
//! comes back smaller than it was refuses to start, evidence files are never deleted just
//! because the store does not list them, and the data directory stays private.
//!
//! The fsync test runs the binary under `strace`, which CI installs.

mod common;

use std::path::Path;
use std::process::Command;

use common::store::{
    PHOTO, Start, copy_tree, entries, mode, open_status, submit_with_photo, try_start,
};
use common::{Deployment, Server};

fn start(deployment: &Deployment) -> Start {
    try_start(deployment.data_dir(), deployment.logs.path(), &[], &[])
}

fn blob_names(data: &Path) -> Vec<String> {
    entries(&data.join("blobs"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// Lines of an strace log that record an fsync or fdatasync of a path ending in `suffix`.
fn syncs_of(trace: &Path, suffix: &str) -> usize {
    let text = std::fs::read_to_string(trace).unwrap_or_default();
    let needle = format!("{suffix}>");
    text.lines()
        .filter(|l| l.contains("sync(") && l.contains(&needle) && l.contains("= 0"))
        .count()
}

#[test]
fn every_acknowledged_write_is_fsynced_before_the_reply() {
    if common::postgres::skip_sled_only(
        "sled's own files: fsyncs, damage, the high-water mark and the evidence sweep; PostgreSQL commits are durable by synchronous_commit",
    ) {
        return;
    }
    let strace = Command::new("strace").arg("-V").output();
    assert!(
        strace.is_ok_and(|o| o.status.success()),
        "this test needs strace: apt-get install strace"
    );
    let deployment = Deployment::new();
    let trace = deployment.logs.path().join("fsync.trace");
    let trace_arg = trace.display().to_string();
    let wrapper = [
        "strace",
        "-f",
        "-qq",
        "-y",
        "-e",
        "trace=fsync,fdatasync",
        "-o",
        &trace_arg,
    ];
    let server =
        try_start(deployment.data_dir(), deployment.logs.path(), &wrapper, &[]).listening();

    let before = syncs_of(&trace, "store/db");
    let token = server.submit("they know where I live");
    let after_report = syncs_of(&trace, "store/db");
    assert!(
        after_report > before,
        "no fsync of store/db before the report was acknowledged"
    );
    assert!(
        syncs_of(&trace, "store.mark") > 0,
        "the high-water mark was not fsynced"
    );
    // Each follow-up is its own acknowledged write, fsynced before its reply (sled's own
    // timer-driven fsync is off, so only the store's explicit fsync can count here).
    let session = server.session(&token);
    let mut seen = after_report;
    for n in 0..4 {
        assert_eq!(server.follow_up(&session, &format!("follow-up {n}")), 201);
        let now = syncs_of(&trace, "store/db");
        assert!(now > seen, "follow-up {n} was acknowledged before an fsync");
        seen = now;
    }
    server.kill();
}

/// Builds a deployment with a few reports, some with evidence, and stops the service
/// the hard way (as a power cut would, so sled writes no snapshot); returns the tokens.
fn deployment_with_reports(reports: usize) -> (Deployment, Vec<String>) {
    let deployment = Deployment::new();
    let server = start(&deployment).listening();
    let tokens = (0..reports)
        .map(|n| {
            if n % 2 == 0 {
                submit_with_photo(&server, &format!("report {n}"))
            } else {
                server.submit(&format!("report {n}"))
            }
        })
        .collect();
    server.kill();
    (deployment, tokens)
}

#[test]
fn a_flipped_byte_in_the_store_never_starts_with_cases_missing() {
    if common::postgres::skip_sled_only(
        "sled's own files: fsyncs, damage, the high-water mark and the evidence sweep; PostgreSQL commits are durable by synchronous_commit",
    ) {
        return;
    }
    let (deployment, tokens) = deployment_with_reports(6);
    let data = deployment.data_dir();
    let blobs = blob_names(data);
    assert_eq!(blobs.len(), 3);
    let log = std::fs::read(data.join("store/db")).unwrap();
    let used = log.iter().rposition(|&b| b != 0).unwrap() + 1;

    let trials = 12;
    let mut refused = Vec::new();
    for trial in 0..trials {
        let at = used * (2 * trial + 1) / (2 * trials);
        let copy = tempfile::tempdir().unwrap();
        let logs = tempfile::tempdir().unwrap();
        let dir = copy.path().join("data");
        copy_tree(data, &dir);
        let mut damaged = log.clone();
        damaged[at] ^= 0x20;
        std::fs::write(dir.join("store/db"), &damaged).unwrap();

        match try_start(&dir, logs.path(), &[], &[]) {
            Start::Refused { success, said } => {
                assert!(!success, "{said}");
                assert!(
                    said.contains("store") && said.contains("restore"),
                    "byte {at}: the refusal does not say what happened and what to do: {said}"
                );
                refused.push(
                    said.lines()
                        .last()
                        .unwrap_or_default()
                        .chars()
                        .take(60)
                        .collect::<String>(),
                );
            }
            Start::Listening(server) => {
                for token in &tokens {
                    assert_eq!(
                        open_status(&server, token),
                        200,
                        "byte {at} of {used} flipped: the service started with a case missing"
                    );
                }
                server.kill();
            }
        }
        assert_eq!(blob_names(&dir), blobs, "byte {at}: evidence files changed");
    }
    eprintln!(
        "{} of {trials} damaged stores refused to start: {refused:#?}",
        refused.len()
    );
}

#[test]
fn a_deleted_store_refuses_to_start_and_keeps_the_evidence() {
    if common::postgres::skip_sled_only(
        "sled's own files: fsyncs, damage, the high-water mark and the evidence sweep; PostgreSQL commits are durable by synchronous_commit",
    ) {
        return;
    }
    let (deployment, _) = deployment_with_reports(1);
    let data = deployment.data_dir();
    let blobs = blob_names(data);
    assert_eq!(blobs.len(), 1);
    std::fs::remove_dir_all(data.join("store")).unwrap();

    let said = start(&deployment).refusal();
    assert!(said.contains("restore"), "{said}");
    assert!(said.contains("1 case"), "{said}");
    // Administrator commands refuse too, and touch nothing.
    let out = deployment.admin(&["list-investigators"]);
    assert!(!out.status.success());
    assert_eq!(blob_names(data), blobs);
    assert!(!data.join("quarantine").exists());
}

#[test]
fn evidence_is_only_swept_by_serve_and_then_quarantined_not_deleted() {
    if common::postgres::skip_sled_only(
        "sled's own files: fsyncs, damage, the high-water mark and the evidence sweep; PostgreSQL commits are durable by synchronous_commit",
    ) {
        return;
    }
    let (deployment, tokens) = deployment_with_reports(1);
    let data = deployment.data_dir();
    let kept = blob_names(data);
    let blobs = data.join("blobs");
    let unlisted = "0123456789abcdef0123456789abcdef";
    std::fs::write(blobs.join(unlisted), b"age-encryption.org/v1\nsomething").unwrap();
    std::fs::write(blobs.join("fedcba9876543210fedcba9876543210.part"), b"half").unwrap();
    std::fs::create_dir(blobs.join("lost+found")).unwrap();

    // Administrator and audit commands open the store but never sweep.
    assert!(deployment.admin(&["list-investigators"]).status.success());
    let out = Command::new(common::BIN)
        .args(["audit", "verify", "--data-dir"])
        .arg(data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(blob_names(data).len(), kept.len() + 3);

    // serve sweeps: the unfinished part goes, the unlisted file is moved aside, the
    // directory is named and left alone, and the service starts.
    let server = start(&deployment).listening();
    assert_eq!(open_status(&server, &tokens[0]), 200);
    let said = server.logs();
    server.kill();
    let mut expected = kept.clone();
    expected.push("lost+found".into());
    expected.sort();
    assert_eq!(blob_names(data), expected);
    assert_eq!(
        std::fs::read(data.join("quarantine").join(unlisted)).unwrap(),
        b"age-encryption.org/v1\nsomething"
    );
    assert!(said.contains("quarantine"), "{said}");
    assert!(said.contains("lost+found"), "{said}");
    assert!(
        said.contains("cases=1"),
        "the case count is not logged: {said}"
    );
}

#[test]
fn a_store_without_cases_quarantines_nothing() {
    if common::postgres::skip_sled_only(
        "sled's own files: fsyncs, damage, the high-water mark and the evidence sweep; PostgreSQL commits are durable by synchronous_commit",
    ) {
        return;
    }
    let deployment = Deployment::new();
    let blobs = deployment.data_dir().join("blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    let name = "00112233445566778899aabbccddeeff";
    std::fs::write(blobs.join(name), PHOTO).unwrap();
    let server = start(&deployment).listening();
    let said = server.logs();
    server.kill();
    assert!(blobs.join(name).exists(), "{said}");
    assert!(said.contains("not sweeping"), "{said}");
}

#[test]
fn a_store_of_a_newer_format_is_refused() {
    if common::postgres::skip_sled_only(
        "sled's own files: fsyncs, damage, the high-water mark and the evidence sweep; PostgreSQL commits are durable by synchronous_commit",
    ) {
        return;
    }
    let deployment = Deployment::new();
    {
        let db = sled::open(deployment.data_dir().join("store")).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert("schema", b"99".as_slice())
            .unwrap();
        db.flush().unwrap();
    }
    let said = start(&deployment).refusal();
    assert!(said.contains("format 99"), "{said}");
    assert!(said.contains("newer"), "{said}");
}

#[test]
fn the_data_directory_is_made_private_again_at_start() {
    if common::postgres::skip_sled_only(
        "sled's own files: fsyncs, damage, the high-water mark and the evidence sweep; PostgreSQL commits are durable by synchronous_commit",
    ) {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let (deployment, _) = deployment_with_reports(1);
    let data = deployment.data_dir();
    let open = |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
    open(data, 0o755).unwrap();
    open(&data.join("store"), 0o755).unwrap();
    open(&data.join("store/db"), 0o644).unwrap();
    open(&data.join("blobs"), 0o755).unwrap();

    let server: Server = start(&deployment).listening();
    server.kill();
    assert_eq!(mode(data), 0o700);
    let mut pending = vec![data.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for path in entries(&dir) {
            if path.is_dir() {
                assert_eq!(mode(&path), 0o700, "{}", path.display());
                pending.push(path);
            } else {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
            }
        }
    }
}

/// The store's scheduled rewrite (`serve --rewrite-every`) copies it into `store.new/`
/// and swaps it in. Killed (SIGKILL) at each of its steps in turn (a debug build sleeps
/// at each step when `QUIETLINE_TEST_REWRITE_PAUSE_MS` is set), with reports arriving
/// meanwhile, the service starts again every time, with every case it acknowledged and
/// no copy left beside the store.
#[test]
fn a_rewrite_killed_at_any_step_loses_no_acknowledged_case() {
    if common::postgres::skip_sled_only(
        "the rewrite of sled's directory; PostgreSQL rewrites its tables with VACUUM FULL, inside the server",
    ) {
        return;
    }
    const PAUSE_MS: u64 = 300;
    let (deployment, mut tokens) = deployment_with_reports(4);
    let data = deployment.data_dir().to_owned();
    let pause = format!("QUIETLINE_TEST_REWRITE_PAUSE_MS={PAUSE_MS}");
    let mut states = std::collections::BTreeSet::new();
    for round in 0..6u64 {
        let server = try_start(
            &data,
            deployment.logs.path(),
            &["env", &pause],
            &["--rewrite-every", "1s"],
        )
        .listening();
        let url = server.url("/api/v1/reports");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    n += 1;
                    let body = serde_json::json!({
                        "body": format!("written during a rewrite {round}.{n}"),
                        "category": "other",
                        "urgent": false,
                    });
                    match common::agent().post(&url).send_json(body) {
                        Ok(reply) if reply.status() == 201 => {
                            let reply: serde_json::Value = reply.into_json().unwrap();
                            acknowledged.push(reply["token"].as_str().unwrap().to_owned());
                        }
                        _ => break,
                    }
                }
                acknowledged
            })
        };
        // Wait for a rewrite to begin, then kill the service a step further each round.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !data.join("store.new").exists() {
            assert!(std::time::Instant::now() < deadline, "no rewrite began");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        std::thread::sleep(std::time::Duration::from_millis(
            round * PAUSE_MS + PAUSE_MS / 2,
        ));
        server.kill();
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        tokens.extend(writer.join().unwrap());
        let state: Vec<&str> = ["store", "store.new", "store.new.done", "store.old"]
            .into_iter()
            .filter(|name| data.join(name).exists())
            .collect();
        states.insert(state.join("+"));

        let server = start(&deployment).listening();
        for token in &tokens {
            assert_eq!(
                open_status(&server, token),
                200,
                "round {round}: an acknowledged case was lost (killed with {state:?})"
            );
        }
        server.stop();
        for leftover in ["store.new", "store.new.done", "store.old"] {
            assert!(
                !data.join(leftover).exists(),
                "{leftover} left after a start"
            );
        }
    }
    eprintln!("killed with: {states:?}");
    // The kills landed in different steps: before the copy was done, after, mid-swap.
    assert!(states.len() >= 3, "{states:?}");
    assert!(tokens.len() > 4);
}
