//! A full disk is a 507, not a poisoned store; a store that fails stops the process
//! instead of limping or hanging; an administrator with no backup can accept a loss.
//!
//! The full-disk tests mount a 24 MiB tmpfs, so they need root (CI runs as root); as
//! another user they print why they are skipped and pass.

mod common;

use std::time::{Duration, Instant};

use common::disk::{SmallDisk, exited_within, healthz, log_lines, report, terminate, upload};
use common::store::{Start, copy_tree, try_start};
use common::{Deployment, read};
use quietline::store::Store;

const MIB: u64 = 1024 * 1024;
/// The reserve the full-disk test runs with: small, to fit a 24 MiB disk.
const RESERVE: u64 = 6 * MIB;

#[test]
fn a_full_disk_refuses_writes_with_507_keeps_reads_and_recovers_when_space_returns() {
    if common::postgres::skip_sled_only(
        "sled's data directory on a full disk and its high-water mark; the database keeps its own disk",
    ) {
        return;
    }
    let Some(disk) = SmallDisk::mount("24m") else {
        return;
    };
    let data = disk.deployment();
    let mut server = disk.start(&data, RESERVE);
    let token = server.submit("written while there was room");
    let session = server.session(&token);

    // Leave 3 MiB above the reserve, held by a file the test can delete later.
    let filler = disk.fill("filler", disk.free() - RESERVE - 3 * MIB);
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let (status, body) = upload(&server, MIB as usize).expect("the server hung up");
        statuses.push(status);
        if status != 201 {
            assert_eq!(status, 507, "{body}");
            assert!(body.contains("no room"), "{body}");
            break;
        }
    }
    assert_eq!(
        statuses.last(),
        Some(&507),
        "uploads never refused: {statuses:?}"
    );
    assert!(
        disk.free() > RESERVE / 2,
        "the uploads ate into the reserve: {} bytes left",
        disk.free()
    );

    // The refused upload left nothing behind. Something else now takes the disk below
    // the reserve: every write is refused the same way, with nothing stored...
    let below = disk.fill("below", disk.free() - RESERVE / 2);
    for _ in 0..3 {
        let (status, body) = report(&server, "no room for this").unwrap();
        assert_eq!(status, 507, "{body}");
    }
    assert_eq!(server.follow_up(&session, "nor this"), 507);
    // ...and reads go on: the reporter opens and reads their case, /healthz stays up.
    // (A token keeps one session: opening it again replaces the first.)
    let session = server.session(&token);
    let (status, case) = server.case(&session);
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["messages"].as_array().unwrap().len(), 1, "{case}");
    let (status, body) = healthz(&server).unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("507"),
        "healthz does not say writes are refused: {body}"
    );
    // One log line for the episode, not one per refused request.
    assert_eq!(
        log_lines(&server, "below the free-space reserve"),
        1,
        "{}",
        server.logs()
    );

    // Space comes back: writes work again without a restart.
    std::fs::remove_file(filler).unwrap();
    std::fs::remove_file(below).unwrap();
    let (status, body) = report(&server, "room again").unwrap();
    assert_eq!(status, 201, "{body}");
    assert_eq!(server.follow_up(&session, "and a follow-up"), 201);
    assert_eq!(
        log_lines(&server, "free space is back"),
        1,
        "{}",
        server.logs()
    );

    let status = terminate(&mut server, Duration::from_secs(20)).expect("SIGTERM did not stop it");
    assert!(status.success(), "{status}: {}", server.logs());
}

/// With no reserve at all the store itself meets ENOSPC, as it did before the reserve
/// existed: sled then fails every later write, and could deadlock. The service must not
/// limp on: writes get 503 (never 500), /healthz turns 503, and the process exits
/// non-zero by itself, within its watchdog's limit, so that systemd restarts it.
#[test]
fn a_store_that_meets_enospc_stops_the_service_instead_of_limping_or_hanging() {
    if common::postgres::skip_sled_only(
        "sled's data directory on a full disk and its high-water mark; the database keeps its own disk",
    ) {
        return;
    }
    let Some(disk) = SmallDisk::mount("24m") else {
        return;
    };
    let data = disk.deployment();
    let mut server = disk.start(&data, 0);
    let token = server.submit("written while there was room");

    disk.fill("filler", u64::MAX); // every last byte
    let started = Instant::now();
    let mut refused = None;
    for i in 0..400 {
        match report(&server, &format!("report {i} on a full disk")) {
            Some((201, _)) => continue,
            Some((status, body)) => {
                refused = Some((status, body));
                break;
            }
            None => break, // the process exited under the request
        }
    }
    if let Some((status, body)) = &refused {
        assert_eq!(*status, 503, "a write on a failed store: {body}");
    }
    // Whatever still answers says the service is unhealthy, and no request hangs.
    while let Some((status, body)) = healthz(&server) {
        assert_eq!(status, 503, "healthz on a failed store: {body}");
        if let Some((status, body)) = report(&server, "another") {
            assert_eq!(status, 503, "{body}");
        }
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    let status = exited_within(&mut server, Duration::from_secs(60))
        .unwrap_or_else(|| panic!("the service limps on: {}", server.logs()));
    assert!(
        !status.success(),
        "a failed store must exit non-zero: {status}"
    );
    assert_eq!(
        log_lines(&server, "the store failed"),
        1,
        "{}",
        server.logs()
    );

    // After the restart (with room again), acknowledged reports are all there.
    drop(server);
    std::fs::remove_file(disk.path().join("filler")).unwrap();
    let server = disk.start(&data, 0);
    assert_eq!(common::store::open_status(&server, &token), 200);
}

#[test]
fn healthz_reads_the_store_and_says_ok() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    let (status, body) = read(common::agent().get(&server.url("/healthz")).call());
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("ok"), "{body}");
}

#[test]
fn accept_data_loss_opens_a_store_that_lost_data_loudly_and_audited() {
    if common::postgres::skip_sled_only(
        "sled's data directory on a full disk and its high-water mark; the database keeps its own disk",
    ) {
        return;
    }
    let deployment = Deployment::new();
    let before = deployment.logs.path().join("store-before");
    let server = deployment.start(&[]);
    let kept = server.submit("kept");
    server.stop();
    copy_tree(&deployment.data_dir().join("store"), &before);
    let server = deployment.start(&[]);
    let lost = server.submit("lost with the store");
    server.stop();
    // The store goes back to an older copy: one acknowledged case is gone.
    std::fs::remove_dir_all(deployment.data_dir().join("store")).unwrap();
    copy_tree(&before, &deployment.data_dir().join("store"));

    let refused = try_start(deployment.data_dir(), deployment.logs.path(), &[], &[]).refusal();
    assert!(refused.contains("data was lost"), "{refused}");

    let server = match try_start(
        deployment.data_dir(),
        deployment.logs.path(),
        &[],
        &["--accept-data-loss"],
    ) {
        Start::Listening(server) => server,
        Start::Refused { said, .. } => panic!("--accept-data-loss still refused: {said}"),
    };
    let logs = server.logs();
    assert!(
        logs.contains("ERROR") && logs.contains("--accept-data-loss"),
        "not said loudly: {logs}"
    );
    assert_eq!(common::store::open_status(&server, &kept), 200);
    assert_eq!(common::store::open_status(&server, &lost), 401);
    server.stop();

    let audit = std::process::Command::new(common::BIN)
        .args(["audit", "verify", "--data-dir"])
        .arg(deployment.data_dir())
        .output()
        .unwrap();
    assert!(audit.status.success(), "{audit:?}");
    let store = quietline::store::SledStore::open(deployment.data_dir()).unwrap();
    let actions: Vec<String> = store
        .audit_entries()
        .unwrap()
        .iter()
        .map(|(_, bytes)| {
            let sealed: quietline::audit::Sealed = postcard::from_bytes(bytes).unwrap();
            format!("{:?} {}", sealed.entry.action, sealed.entry.detail)
        })
        .collect();
    assert!(
        actions.iter().any(|a| a.starts_with("DataLossAccepted")),
        "not audited: {actions:?}"
    );
    drop(store);
    // The next start is an ordinary one: the loss was accepted once, not forever.
    let server = deployment.start(&[]);
    assert!(
        !server.logs().contains("--accept-data-loss"),
        "{}",
        server.logs()
    );
}
