//! Who can read a case, and an audit log that cannot be cut short unnoticed (issue 12):
//! new cases are wrapped to enrolled investigators only (and the recovery recipient);
//! every change of the recovery recipient is audited and shown with its fingerprint;
//! `audit verify --expect HEAD` catches a log whose newest entries were deleted, and so does
//! the desk, which remembers the last head it saw.

mod common;

use common::Deployment;
use common::accounts::{Account, register};
use quietline::audit::{Action, Sealed};
use quietline::crypto::InvestigatorIdentity;
use quietline::store::{CaseId, Holder, Store};

/// Every case id in the store, in triage order.
fn case_ids(store: &dyn Store) -> Vec<CaseId> {
    let mut ids = Vec::new();
    store
        .visit_cases(&mut |id, _| {
            ids.push(id);
            true
        })
        .unwrap();
    ids
}

fn set_recovery(deployment: &Deployment, recipient: &str) -> String {
    let out = deployment.admin(&["set-recovery-recipient", "--recipient", recipient]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint: "))
        .unwrap_or_else(|| panic!("no fingerprint in {stdout:?}"))
        .to_owned()
}

#[test]
fn an_account_that_never_enrolled_receives_no_wraps() {
    let deployment = Deployment::new();
    let (mallory_id, mallory_secret) = register(&deployment, "mallory", "investigator");
    let recovery = InvestigatorIdentity::generate();
    set_recovery(&deployment, &recovery.recipient().to_string());

    let server = deployment.start(&[]);
    server.submit("before mallory enrolled");
    server.stop();
    let first = {
        let store = common::open_store(deployment.data_dir());
        let ids = case_ids(&*store);
        assert_eq!(ids.len(), 1);
        let id = ids[0];
        let mallory = Holder::Investigator("mallory".into());
        assert!(store.wrap(id, &mallory).unwrap().is_none());
        assert!(
            store
                .wrap(id, &Holder::Investigator("ana".into()))
                .unwrap()
                .is_some()
        );
        assert!(store.wrap(id, &Holder::Recovery).unwrap().is_some());
        assert_eq!(store.case(id).unwrap().unwrap().holders, vec!["ana"]);
        id
    };

    // Once mallory has enrolled (set a password and a second factor), new cases are
    // wrapped to them too; earlier ones stay as they were.
    let server = deployment.start(&[]);
    Account::enrol(&server, "mallory", mallory_id, &mallory_secret);
    server.submit("after mallory enrolled");
    server.stop();
    let store = common::open_store(deployment.data_dir());
    let mallory = Holder::Investigator("mallory".into());
    let ids = case_ids(&*store);
    assert_eq!(ids.len(), 2);
    let second = ids.into_iter().find(|id| *id != first).unwrap();
    assert!(store.wrap(second, &mallory).unwrap().is_some());
    assert!(store.wrap(first, &mallory).unwrap().is_none());
}

#[test]
fn every_recovery_recipient_change_is_audited_and_shown_with_its_fingerprint() {
    let deployment = Deployment::new();
    let (gus_id, gus_secret) = register(&deployment, "gus", "investigator");
    let first = InvestigatorIdentity::generate().recipient().to_string();
    let second = InvestigatorIdentity::generate().recipient().to_string();
    let first_print = set_recovery(&deployment, &first);
    let second_print = set_recovery(&deployment, &second);
    assert_ne!(first_print, second_print);
    // Four groups of four hex digits: short enough to read out on the phone.
    assert_eq!(second_print.len(), 19, "{second_print}");
    assert!(
        second_print
            .split(' ')
            .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_hexdigit()))
    );

    let server = deployment.start(&[]);
    let mut gus = Account::enrol(&server, "gus", gus_id, &gus_secret);
    let session = gus.login(&server);
    let (status, shown) = server.inv_get(&session, "/recovery");
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["recipient"], second.as_str());
    assert_eq!(shown["fingerprint"], second_print.as_str());
    // Not without a session.
    let (status, _) = common::read(
        common::agent()
            .get(&server.url("/api/v1/investigator/recovery"))
            .call(),
    );
    assert_eq!(status, 401);
    server.stop();

    let store = common::open_store(deployment.data_dir());
    let changes: Vec<Sealed> = store
        .audit_entries()
        .unwrap()
        .into_iter()
        .map(|(_, bytes)| postcard::from_bytes::<Sealed>(&bytes).unwrap())
        .filter(|s| s.entry.action == Action::RecoveryRecipientSet)
        .collect();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0].entry.detail, first_print);
    assert_eq!(
        changes[1].entry.detail,
        format!("{second_print} (replaces {first_print})")
    );
    assert_eq!(changes[1].entry.actor, "admin-cli");
}

/// What someone who controls the server can do: delete the newest audit entries, and
/// (on sled) the high-water mark that would refuse the smaller store.
fn drop_newest_audit_entries(deployment: &Deployment, count: i64) {
    if let Some(url) = common::postgres::database_for(deployment.data_dir()) {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let deleted = client
            .execute(
                "DELETE FROM audit WHERE seq IN (SELECT seq FROM audit ORDER BY seq DESC LIMIT $1)",
                &[&count],
            )
            .unwrap();
        assert_eq!(deleted, count as u64);
        return;
    }
    std::fs::remove_file(deployment.data_dir().join("store.mark")).unwrap();
    let db = sled::open(deployment.data_dir().join("store")).unwrap();
    let audit = db.open_tree("audit").unwrap();
    for _ in 0..count {
        audit.pop_max().unwrap().unwrap();
    }
    db.flush().unwrap();
}

fn verify(deployment: &Deployment, expect: Option<&str>) -> std::process::Output {
    let mut command = std::process::Command::new(common::BIN);
    command
        .args(["audit", "verify", "--data-dir"])
        .arg(deployment.data_dir())
        .args(common::database_args(deployment.data_dir()));
    if let Some(head) = expect {
        command.args(["--expect", head]);
    }
    command.output().unwrap()
}

/// The head `audit verify` printed.
fn head_of(out: &std::process::Output) -> String {
    let said = String::from_utf8_lossy(&out.stdout);
    said.split("chain head ")
        .nth(1)
        .unwrap_or_else(|| panic!("no head in {said}"))
        .chars()
        .take(64)
        .collect()
}

#[test]
fn audit_verify_expect_catches_a_log_cut_short() {
    let deployment = Deployment::new();
    let out = verify(&deployment, None);
    assert!(out.status.success(), "{out:?}");
    let kept = head_of(&out);

    // The log grows (two more entries): the kept head is still in it.
    register(&deployment, "ines", "investigator");
    register(&deployment, "jon", "investigator");
    let out = verify(&deployment, Some(&kept));
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("holds the expected head"), "{said}");
    let newest = head_of(&out);

    // Someone who controls the server deletes the two newest entries, and the store's
    // high-water mark that would refuse the smaller store. The rest still chains...
    drop_newest_audit_entries(&deployment, 2);
    let out = verify(&deployment, None);
    assert!(out.status.success(), "the links alone cannot tell: {out:?}");
    // ...but not to the head kept elsewhere.
    let out = verify(&deployment, Some(&newest));
    assert!(!out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("does NOT hold the expected head"), "{said}");
    assert!(said.contains("deleted from its end"), "{said}");
    // The older head is still there.
    assert!(verify(&deployment, Some(&kept)).status.success());
    let out = verify(&deployment, Some("not-a-head"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("64 hex digits"));
}

/// The desk keeps, next to the identity file, the last audit head and count it saw; after
/// the newest entries are deleted on the server, the next desk shows the alarm on its
/// pages and leaves its record as it was.
#[test]
fn the_desk_notices_an_audit_log_cut_short() {
    use common::desk::{self, Desk, PASSPHRASE, write_identity_file};

    let deployment = Deployment::new();
    let (bruno, bruno_secret) = register(&deployment, "bruno", "investigator");
    let keys = tempfile::tempdir().unwrap();
    let identity_file = keys.path().join("bruno.age");
    write_identity_file(&bruno, PASSPHRASE, &identity_file);
    let record = keys.path().join("bruno.age.audit-head");

    let server = deployment.start(&[]);
    let mut authenticator = desk::enrol(&server, "bruno", &bruno_secret);
    {
        let desk = Desk::start(
            &server,
            &identity_file,
            "bruno",
            &mut authenticator,
            deployment.logs.path(),
        );
        let (status, page) = desk.open().get("/");
        assert_eq!(status, 200, "{page}");
        assert!(!page.contains("audit-alarm"), "{page}");
    }
    let seen = std::fs::read_to_string(&record).unwrap();
    assert!(
        seen.starts_with("head ") && seen.contains("\ncount "),
        "{seen}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&record).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Nothing but the identity and the record beside it: the temporary file was renamed.
    assert_eq!(std::fs::read_dir(keys.path()).unwrap().count(), 2);
    server.stop();

    // Someone who controls the server deletes the newest entries (and the high-water
    // mark that would refuse the smaller store).
    drop_newest_audit_entries(&deployment, 4);

    let server = deployment.start(&[]);
    let desk = Desk::start(
        &server,
        &identity_file,
        "bruno",
        &mut authenticator,
        deployment.logs.path(),
    );
    assert!(desk.logs().contains("WARNING"), "{}", desk.logs());
    let browser = desk.open();
    for path in ["/", "/stats"] {
        let (status, page) = browser.get(path);
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("id=\"audit-alarm\""), "{path}: {page}");
        assert!(
            page.contains("WARNING: the audit log is not the one this desk saw"),
            "{page}"
        );
    }
    // The record stays as it was, so that the next desk warns too.
    assert_eq!(std::fs::read_to_string(&record).unwrap(), seen);
}
