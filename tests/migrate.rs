//! `quietline migrate-store`: a sled deployment in use (reports with evidence, a reply, a
//! note, a second investigator granted access, audit entries) is moved into an empty
//! PostgreSQL database, and the service started on the database serves it as sled did.
//! Each test starts its own throwaway cluster (see `common/postgres.rs`) and skips,
//! saying why, where PostgreSQL is not installed.

mod common;

use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::accounts::{Account, decrypt, download, open_case, register};
use common::postgres::{cluster_or_skip, skip_sled_only};
use common::{BIN, Deployment, Server};
use quietline::case::Day;
use quietline::crypto::Wrap;
use quietline::store::{CaseId, DatabaseUrl, Holder, PgStore, SledStore, Store, Upkeep};

fn report_with_file(server: &Server, body: &str, file: &[u8]) -> String {
    let (status, reply) = common::post_report_with_file(server, body, file);
    assert_eq!(status, 201, "{reply}");
    reply["token"].as_str().unwrap().to_owned()
}

/// The evidence file of a case's first message, downloaded and decrypted.
fn first_file(server: &Server, session: &str, account: &Account, id: &str) -> Vec<u8> {
    let (detail, key) = open_case(server, session, account, id);
    let message = decrypt(&key, &detail["thread"][0]);
    let blob = message["attachments"][0]["blob"]
        .as_str()
        .unwrap()
        .to_owned();
    download(server, session, &key, id, &blob)
}

fn random_file(len: usize) -> Vec<u8> {
    use rand::RngCore;
    let mut bytes = vec![0u8; len];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

fn migrate(from: &std::path::Path, url: &str) -> Output {
    // The URL of the throwaway cluster carries no password; a real one comes from
    // QUIETLINE_DATABASE_URL or --to-database-url-file.
    Command::new(BIN)
        .args(["migrate-store", "--from-data-dir"])
        .arg(from)
        .args(["--to-database-url", url])
        .output()
        .unwrap()
}

fn audit_head(data_dir: &std::path::Path, database: &[String]) -> String {
    let out = Command::new(BIN)
        .args(["audit", "verify", "--data-dir"])
        .arg(data_dir)
        .args(database)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    text.split("chain head ").nth(1).unwrap()[..64].to_owned()
}

/// Reads both stores in this process and compares what they hold, record by record.
fn same_content(data_dir: &std::path::Path, url: &str) {
    let sled = SledStore::open(data_dir).unwrap();
    let pg = PgStore::open(&DatabaseUrl::parse(url).unwrap()).unwrap();
    assert_eq!(
        sled.recovery_recipient().unwrap(),
        pg.recovery_recipient().unwrap()
    );
    assert_eq!(
        sled.proposed_recovery().unwrap(),
        pg.proposed_recovery().unwrap()
    );
    assert!(
        sled.proposed_recovery().unwrap().is_some(),
        "the waiting recovery proposal"
    );
    assert_eq!(
        sled.backup_recipients().unwrap(),
        pg.backup_recipients().unwrap()
    );
    assert_eq!(sled.backup_recipients().unwrap().len(), 1);
    let investigators = sled.investigators().unwrap();
    let encoded = |list: &[quietline::store::InvestigatorRecord]| -> Vec<Vec<u8>> {
        list.iter()
            .map(|r| postcard::to_stdvec(r).unwrap())
            .collect()
    };
    assert_eq!(
        encoded(&investigators),
        encoded(&pg.investigators().unwrap())
    );
    let mut ids = Vec::new();
    sled.visit_cases(&mut |id, _| {
        ids.push(id);
        true
    })
    .unwrap();
    let mut closed = 0;
    for id in ids {
        assert_eq!(sled.case(id).unwrap(), pg.case(id).unwrap());
        assert_eq!(sled.thread(id).unwrap(), pg.thread(id).unwrap());
        assert_eq!(sled.notes(id).unwrap(), pg.notes(id).unwrap());
        assert_eq!(sled.closed_on(id).unwrap(), pg.closed_on(id).unwrap());
        closed += usize::from(sled.closed_on(id).unwrap().is_some());
        let mut holders = vec![Holder::Reporter, Holder::Recovery];
        holders.extend(
            investigators
                .iter()
                .map(|i| Holder::Investigator(i.name.clone())),
        );
        for holder in &holders {
            let wrap = |w: Option<Wrap>| w.map(|w| w.0);
            assert_eq!(
                wrap(sled.wrap(id, holder).unwrap()),
                wrap(pg.wrap(id, holder).unwrap())
            );
        }
        for investigator in &investigators {
            let name = &investigator.name;
            assert_eq!(sled.seen(name, id).unwrap(), pg.seen(name, id).unwrap());
        }
    }
    assert_eq!(closed, 1, "the closure day");
    assert_eq!(sled.audit_entries().unwrap(), pg.audit_entries().unwrap());
}

#[test]
fn a_sled_deployment_moves_to_postgresql_and_serves_from_it() {
    if skip_sled_only("the source of a migration is a sled deployment") {
        return;
    }
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    // A sled deployment in use: Hana (admin) reads two reports with files, replies to
    // one and writes a note; Dora, added later, is granted access to it.
    let sled = Deployment::new();
    let (hana_identity, hana_secret) = register(&sled, "hana", "admin");
    let server = sled.start(&[]);
    let mut hana = Account::enrol(&server, "hana", hana_identity, &hana_secret);
    let files = [random_file(1024 * 1024 + 4321), random_file(777)];
    let tokens = [
        report_with_file(&server, "the ledger they keep", &files[0]),
        report_with_file(&server, "the second ledger", &files[1]),
    ];
    let session = server.session(&tokens[0]);
    assert_eq!(server.follow_up(&session, "and one more thing"), 201);
    let hana_session = hana.login(&server);
    let (_, list) = server.inv_get(&hana_session, "/cases");
    let ids: Vec<String> = list["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    // The case of the first token, and its key.
    let first = ids
        .iter()
        .find(|id| {
            let (detail, key) = open_case(&server, &hana_session, &hana, id);
            decrypt(&key, &detail["thread"][0])["body"] == "the ledger they keep"
        })
        .unwrap()
        .clone();
    let (_, key) = open_case(&server, &hana_session, &hana, &first);
    let reply = key.seal(br#"{"body":"we are looking into it"}"#).unwrap();
    let (status, body) = server.inv_post(
        &hana_session,
        &format!("/cases/{first}/replies"),
        &serde_json::json!({"ciphertext": STANDARD.encode(&reply)}),
    );
    assert_eq!(status, 201, "{body}");
    let note = quietline::crypto::seal_to_investigators(
        &[hana.identity.recipient()],
        br#"{"body":"check the ledger"}"#,
    )
    .unwrap();
    let (status, body) = server.inv_post(
        &hana_session,
        &format!("/cases/{first}/notes"),
        &serde_json::json!({"ciphertext": STANDARD.encode(&note)}),
    );
    assert_eq!(status, 201, "{body}");
    server.stop();
    let (dora_identity, dora_secret) = register(&sled, "dora", "investigator");
    let server = sled.start(&[]);
    let mut dora = Account::enrol(&server, "dora", dora_identity, &dora_secret);
    let hana_session = hana.login(&server);
    let wrap = key.wrap_to(dora.identity.recipient().as_age()).unwrap();
    let (status, body) = server.inv_post(
        &hana_session,
        &format!("/cases/{first}/access"),
        &serde_json::json!({"investigator": "dora", "wrap": STANDARD.encode(&wrap.0)}),
    );
    assert_eq!(status, 201, "{body}");

    // While the service holds the data directory, the migration is refused.
    let url = cluster.fresh_database();
    let out = migrate(sled.data_dir(), &url);
    assert!(
        !out.status.success(),
        "migrated a running deployment: {out:?}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("locked"),
        "{out:?}"
    );
    server.stop();
    // Settings that only the command line sets, and a closure day.
    let backup = quietline::crypto::InvestigatorIdentity::generate()
        .recipient()
        .to_string();
    let out = sled.admin(&["add-backup-recipient", "--recipient", &backup]);
    assert!(out.status.success(), "{out:?}");
    let recovery = quietline::crypto::InvestigatorIdentity::generate()
        .recipient()
        .to_string();
    let out = sled.admin(&["set-recovery-recipient", "--recipient", &recovery]);
    assert!(out.status.success(), "{out:?}");
    {
        let store = SledStore::open(sled.data_dir()).unwrap();
        let id = CaseId::parse(&first).unwrap();
        store.set_closed_on(id, Some(Day::today())).unwrap();
    }
    let head_before = audit_head(sled.data_dir(), &[]);

    // Stopped, it migrates, and prints equal counts and the same chain head.
    let out = migrate(sled.data_dir(), &url);
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{out:?}");
    eprintln!("{printed}");
    assert!(printed.contains("counts equal"), "{printed}");
    assert!(printed.contains("2 cases, 4 entries, 1 notes"), "{printed}");
    assert!(printed.contains(&head_before), "{printed}");

    same_content(sled.data_dir(), &url);

    // The database's own `audit verify` gives the head sled gave.
    let database = vec!["--database-url".to_owned(), url.clone()];
    let elsewhere = tempfile::tempdir().unwrap();
    assert_eq!(audit_head(elsewhere.path(), &database), head_before);

    // Served from the database (a new data directory): every token opens its case with
    // its messages and files, and both investigators log in and read.
    let logs = tempfile::tempdir().unwrap();
    let served = Server::start_on(elsewhere.path(), Some(&url), logs.path(), &[]);
    for (token, body) in tokens
        .iter()
        .zip(["the ledger they keep", "the second ledger"])
    {
        let session = served.session(token);
        let (status, case) = served.case(&session);
        assert_eq!(status, 200, "{case}");
        assert_eq!(case["messages"][0]["body"], body);
        assert_eq!(case["messages"][0]["attachments"][0]["name"], "file-1.bin");
    }
    let (_, case) = served.case(&served.session(&tokens[0]));
    let bodies: Vec<&str> = case["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert!(bodies.contains(&"and one more thing"), "{case}");
    assert!(bodies.contains(&"we are looking into it"), "{case}");
    let hana_session = hana.login(&served);
    for id in &ids {
        let bytes = first_file(&served, &hana_session, &hana, id);
        assert!(
            files.contains(&bytes),
            "an evidence file came back different"
        );
    }
    let (detail, _) = open_case(&served, &hana_session, &hana, &first);
    assert_eq!(detail["notes"].as_array().unwrap().len(), 1, "{detail}");
    let dora_session = dora.login(&served);
    let (detail, dora_key) = open_case(&served, &dora_session, &dora, &first);
    assert_eq!(
        decrypt(&dora_key, &detail["thread"][0])["body"],
        "the ledger they keep"
    );
    served.stop();

    // A second migration into the same database is refused, and changes nothing.
    let out = migrate(sled.data_dir(), &url);
    assert!(!out.status.success(), "migrated twice: {out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not empty"),
        "{out:?}"
    );
    let served = Server::start_on(elsewhere.path(), Some(&url), logs.path(), &[]);
    let hana_session = hana.login(&served);
    let (_, list) = served.inv_get(&hana_session, "/cases");
    assert_eq!(list["cases"].as_array().unwrap().len(), 2);
    served.stop();
}

#[test]
fn a_database_password_on_the_command_line_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["migrate-store", "--from-data-dir"])
        .arg(data.path())
        .args([
            "--to-database-url",
            "postgres://quietline:hunter2@127.0.0.1:1/quietline",
        ])
        .env_remove("QUIETLINE_DATABASE_URL")
        .env_remove("QUIETLINE_DATABASE_URL_FILE")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("must not carry a password"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
    // The same URL from a file is taken (and fails later, on the empty directory).
    let file = data.path().join("url");
    std::fs::write(&file, "postgres://quietline:hunter2@127.0.0.1:1/quietline").unwrap();
    let out = Command::new(BIN)
        .args(["migrate-store", "--from-data-dir"])
        .arg(data.path())
        .arg("--to-database-url-file")
        .arg(&file)
        .env_remove("QUIETLINE_DATABASE_URL")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(said.contains("no sled store"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
}
