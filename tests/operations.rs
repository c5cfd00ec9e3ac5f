//! What an administrator does on the command line: start the service, try it out with
//! `--demo`, make investigator identities and register them, and what happens under load.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{BIN, Deployment, Server, agent, read};
use serde_json::json;

fn serve_output(data_dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn serve_refuses_to_start_with_nobody_to_read_reports() {
    let dir = tempfile::tempdir().unwrap();
    let out = serve_output(&dir.path().join("data"), &[]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("no investigator is registered"), "{said}");
    assert!(
        said.contains("add-investigator") && said.contains("--demo"),
        "{said}"
    );
}

#[test]
fn demo_mode_keeps_its_throwaway_key_outside_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let logs = tempfile::tempdir().unwrap();
    let server = Server::start(&data, logs.path(), &["--demo"]);
    let token = server.submit("trying it out");
    let said = server.logs();
    server.stop();
    assert!(said.contains("DEMO MODE"), "{said}");

    let identity_file = dir.path().join("data.demo-investigator-identity.txt");
    assert!(said.contains(&identity_file.display().to_string()));
    // The identity is passphrase-protected, and the passphrase was printed once.
    let passphrase = said
        .lines()
        .find_map(|l| l.trim().strip_prefix("identity passphrase:"))
        .unwrap()
        .trim()
        .to_owned();
    let sealed = std::fs::read(&identity_file).unwrap();
    assert!(!sealed.windows(15).any(|w| w == b"AGE-SECRET-KEY-"));
    let decryptor = age::Decryptor::new(&sealed[..]).unwrap();
    let scrypt = age::scrypt::Identity::new(passphrase.into());
    let mut identity = String::new();
    std::io::Read::read_to_string(
        &mut decryptor
            .decrypt(std::iter::once(&scrypt as &dyn age::Identity))
            .unwrap(),
        &mut identity,
    )
    .unwrap();
    for file in common::files_under(&data) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(15).any(|w| w == b"AGE-SECRET-KEY-"),
            "{}",
            file.display()
        );
    }
    // The demo identity really opens the demo case.
    let store = common::open_store(&data);
    let kdf = store
        .init_kdf(quietline::crypto::KdfSettings {
            salt: quietline::crypto::DeploymentSalt::generate(),
            params: Default::default(),
        })
        .unwrap();
    let seed = kdf
        .derive_seed(&quietline::crypto::CaseToken::parse(&token).unwrap())
        .unwrap();
    let (case, _) = store.case_by_lookup(&seed.lookup_id()).unwrap().unwrap();
    let wrap = store
        .wrap(case, &quietline::store::Holder::Investigator("demo".into()))
        .unwrap()
        .unwrap();
    let demo = quietline::crypto::InvestigatorIdentity::parse(&identity).unwrap();
    assert!(quietline::crypto::CaseKey::unwrap_with(&wrap, demo.as_age()).is_ok());
    drop(store);

    // A demo directory never silently becomes a real deployment.
    let out = serve_output(&data, &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--demo"));
}

#[test]
fn keygen_makes_a_protected_identity_that_the_admin_can_register() {
    let dir = tempfile::tempdir().unwrap();
    let identity_file = dir.path().join("ana.age");
    let mut child = Command::new(BIN)
        .args(["keygen", "--out"])
        .arg(&identity_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse battery staple\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let recipient = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(recipient.starts_with("age1"), "{recipient}");

    // The file is passphrase-encrypted: no key in clear, and the passphrase opens it.
    let sealed = std::fs::read(&identity_file).unwrap();
    assert!(!sealed.windows(15).any(|w| w == b"AGE-SECRET-KEY-"));
    let decryptor = age::Decryptor::new(&sealed[..]).unwrap();
    let passphrase = age::scrypt::Identity::new("correct horse battery staple".to_owned().into());
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut decryptor
            .decrypt(std::iter::once(&passphrase as &dyn age::Identity))
            .unwrap(),
        &mut text,
    )
    .unwrap();
    let identity = quietline::crypto::InvestigatorIdentity::parse(&text).unwrap();
    assert_eq!(identity.recipient().to_string(), recipient);

    // keygen never overwrites an identity.
    let again = Command::new(BIN)
        .args(["keygen", "--out"])
        .arg(&identity_file)
        .output()
        .unwrap();
    assert!(!again.status.success());

    let deployment = Deployment::new();
    let out = deployment.admin(&[
        "add-investigator",
        "--name",
        "bruno",
        "--recipient",
        &recipient,
        "--role",
        "admin",
    ]);
    assert!(out.status.success(), "{out:?}");
    let listed = String::from_utf8(deployment.admin(&["list-investigators"]).stdout).unwrap();
    assert!(listed.contains("ana") && listed.contains("bruno") && listed.contains(&recipient));

    let duplicate = deployment.admin(&[
        "add-investigator",
        "--name",
        "bruno",
        "--recipient",
        &recipient,
    ]);
    assert!(!duplicate.status.success());
    let bad = deployment.admin(&[
        "add-investigator",
        "--name",
        "carla",
        "--recipient",
        "age1notakey",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("age1"));
    assert!(
        deployment
            .admin(&["remove-investigator", "bruno"])
            .status
            .success()
    );
    assert!(
        !deployment
            .admin(&["remove-investigator", "bruno"])
            .status
            .success()
    );
}

#[test]
fn admin_commands_refuse_a_directory_in_use() {
    if common::postgres::skip_sled_only(
        "sled takes one process; on PostgreSQL admin commands work while serve runs \
         (tests/postgres.rs checks that)",
    ) {
        return;
    }
    let deployment = Deployment::new();
    let _server = deployment.start(&[]);
    let out = deployment.admin(&["list-investigators"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("another quietline process"));
}

#[test]
fn slow_token_derivations_shed_load_and_never_stall_other_requests() {
    // Unenrolled: the first start must be this test's, with its heavy KDF settings.
    let deployment = Deployment::unenrolled();
    // Heavy argon2 (64 MiB, t = 3), one worker, a queue of one: a burst of logins must be
    // partly refused with 503 + Retry-After, and the health check must keep answering.
    // Tokens that pass the keyed check (and open no case): each costs a derivation.
    let key = common::token_check_key(deployment.data_dir());
    let tokens: Vec<String> = (0..6).map(|_| key.issue().grouped().to_string()).collect();
    let server = deployment.start(&[
        "--kdf-memory-kib",
        "65536",
        "--kdf-iterations",
        "3",
        "--kdf-workers",
        "1",
        "--kdf-queue",
        "1",
    ]);
    let url = server.url("/api/v1/case/session");
    // Each request reports its answer here as soon as it has one, so the test can act on
    // the first refusal instead of guessing how long the burst takes to arrive.
    let (answered, answers) = std::sync::mpsc::channel();
    let burst: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let url = url.clone();
            let answered = answered.clone();
            std::thread::spawn(move || {
                let result = agent().post(&url).send_json(json!({ "token": token }));
                let finished = std::time::Instant::now();
                let retry_after = match &result {
                    Err(ureq::Error::Status(_, r)) => r.header("Retry-After").map(str::to_owned),
                    _ => None,
                };
                let status = read(result).0;
                // The receiver may have stopped listening; the join below still counts us.
                let _ = answered.send(status);
                (status, retry_after, finished)
            })
        })
        .collect();
    drop(answered);
    // A 503 means the pool was full when it was refused: one derivation running and one
    // waiting, each taking hundreds of milliseconds at these settings. That is the moment
    // to check that the service still answers other requests.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut seen = Vec::new();
    while !seen.contains(&503) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match answers.recv_timeout(left) {
            Ok(status) => seen.push(status),
            Err(e) => panic!("no request of the burst was refused ({e}); answers: {seen:?}"),
        }
    }
    let (health, _) = read(agent().get(&server.url("/healthz")).call());
    let health_done = std::time::Instant::now();
    assert_eq!(health, 200);

    let results: Vec<_> = burst.into_iter().map(|h| h.join().unwrap()).collect();
    let refused = results.iter().filter(|r| r.0 == 503).count();
    let hashed = results.iter().filter(|r| r.0 == 401).count();
    assert_eq!(refused + hashed, 6, "{results:?}");
    assert!(refused >= 1, "a full queue must refuse: {results:?}");
    assert!(
        hashed >= 1,
        "queued derivations must still run: {results:?}"
    );
    assert!(
        results.iter().filter(|r| r.0 == 503).all(|r| r.1.is_some()),
        "503 without Retry-After"
    );
    let last_hash = results
        .iter()
        .filter(|r| r.0 == 401)
        .map(|r| r.2)
        .max()
        .unwrap();
    assert!(
        health_done < last_hash,
        "the health check waited for argon2"
    );
}
