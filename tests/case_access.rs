//! Who can read a case, and an audit log that cannot be cut short unnoticed (issue 12):
//! new cases are wrapped to enrolled investigators only (and the recovery recipient);
//! a new recipient (an investigator's, or a recovery recipient) receives wraps only once
//! a second administrator has confirmed it, on their desk or on the host;
//! every change of the recovery recipient is audited and shown with its fingerprint;
//! `audit verify --expect HEAD` catches a log whose newest entries were deleted, and so does
//! the desk, which remembers the last head it saw.

mod common;

use common::Deployment;
use common::accounts::{Account, register};
use quietline::audit::{Action, Sealed};
use quietline::crypto::InvestigatorIdentity;
use quietline::store::{CaseId, Holder, Store};
use serde_json::json;

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

/// Proposes a recovery recipient on the command line; returns the fingerprint printed.
fn propose_recovery(deployment: &Deployment, recipient: &str) -> String {
    let out = deployment.admin(&["set-recovery-recipient", "--recipient", recipient]);
    assert!(out.status.success(), "{out:?}");
    common::printed_fingerprint(&out)
}

/// Proposes a recovery recipient and confirms it on the host, as a single administrator.
fn set_recovery(deployment: &Deployment, recipient: &str) -> String {
    let fingerprint = propose_recovery(deployment, recipient);
    let out = deployment.admin(&["confirm-recipient", "--fingerprint", &fingerprint]);
    assert!(out.status.success(), "{out:?}");
    fingerprint
}

/// Every audit entry, decoded.
fn audit_log(store: &dyn Store) -> Vec<Sealed> {
    store
        .audit_entries()
        .unwrap()
        .into_iter()
        .map(|(_, bytes)| postcard::from_bytes::<Sealed>(&bytes).unwrap())
        .collect()
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
    let log = audit_log(&*store);
    for action in [Action::RecipientProposed, Action::RecipientConfirmed] {
        let changes: Vec<&Sealed> = log
            .iter()
            .filter(|s| s.entry.action == action && s.entry.detail.starts_with("recovery:"))
            .collect();
        assert_eq!(changes.len(), 2, "{action:?}");
        assert_eq!(changes[0].entry.detail, format!("recovery: {first_print}"));
        assert_eq!(
            changes[1].entry.detail,
            format!("recovery: {second_print} (replaces {first_print})")
        );
        assert_eq!(changes[1].entry.actor, "admin-cli");
    }
}

/// A new investigator added by one admin (through the API, while the service runs)
/// receives no wrap until another admin confirms their recipient from the desk, which
/// shows its fingerprint; the proposer cannot confirm it, nor can the newcomer.
#[test]
fn a_new_investigator_receives_wraps_only_once_a_second_admin_confirms_them() {
    use common::desk::{self, Desk, PASSPHRASE, write_identity_file};

    let deployment = Deployment::new();
    let (root_id, root_secret) = register(&deployment, "root", "admin");
    let (boss, boss_secret) = register(&deployment, "boss", "admin");
    let keys = tempfile::tempdir().unwrap();
    let boss_file = keys.path().join("boss.age");
    write_identity_file(&boss, PASSPHRASE, &boss_file);

    let server = deployment.start(&[]);
    let mut root = Account::enrol(&server, "root", root_id, &root_secret);
    let root_session = root.login(&server);
    let dora_id = InvestigatorIdentity::generate();
    let dora_recipient = dora_id.recipient();
    let (status, created) = server.inv_post(
        &root_session,
        "/admin/investigators",
        &json!({"name": "dora", "recipient": dora_recipient.to_string(), "role": "admin"}),
    );
    assert_eq!(status, 201, "{created}");
    let secret = created["enrolment_secret"].as_str().unwrap();
    let mut dora = Account::enrol(&server, "dora", dora_id, secret);
    let dora_session = dora.login(&server);

    // Enrolled but waiting: a case reported now is not wrapped to dora.
    server.submit("before dora was confirmed");
    let (_, list) = server.inv_get(&dora_session, "/cases");
    assert_eq!(list["total"], 0, "{list}");
    let fingerprint = dora_recipient.fingerprint();
    let (status, pending) = server.inv_get(&dora_session, "/recipients/pending");
    assert_eq!(status, 200, "{pending}");
    assert_eq!(pending[0]["fingerprint"], fingerprint.as_str(), "{pending}");
    assert_eq!(pending[0]["proposed_by"], "root", "{pending}");

    // Neither the admin who proposed it nor the newcomer (an admin too) may confirm it.
    let confirm = json!({ "fingerprint": fingerprint });
    let (status, said) = server.inv_post(&root_session, "/admin/recipients/confirm", &confirm);
    assert_eq!(status, 403, "{said}");
    assert!(
        said["error"].as_str().unwrap().contains("you proposed"),
        "{said}"
    );
    let (status, said) = server.inv_post(&dora_session, "/admin/recipients/confirm", &confirm);
    assert_eq!(status, 403, "{said}");
    server.submit("still before dora was confirmed");
    assert_eq!(server.inv_get(&dora_session, "/cases").1["total"], 0);

    // The second admin's desk shows the waiting recipient with its fingerprint, and
    // confirms it.
    let mut authenticator = desk::enrol(&server, "boss", &boss_secret);
    let desk = Desk::start(
        &server,
        &boss_file,
        "boss",
        &mut authenticator,
        deployment.logs.path(),
    );
    let browser = desk.open();
    let (status, page) = browser.get("/settings");
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(&format!("<code class=\"fingerprint\">{fingerprint}</code>")),
        "{fingerprint} not on {page}"
    );
    assert!(page.contains(&dora_recipient.to_string()), "{page}");
    let wrong = browser.post_form(
        "/settings/confirm",
        &[("fingerprint", "0000 0000 0000 0000")],
    );
    assert_eq!(wrong.0, 404, "{wrong:?}");
    let (status, to) = browser.post_form("/settings/confirm", &[("fingerprint", &fingerprint)]);
    assert_eq!((status, to.as_str()), (303, "/settings?done=confirmed"));
    let (_, page) = browser.get("/settings?done=confirmed");
    assert!(!page.contains(&fingerprint), "no longer waiting: {page}");

    // From now on new cases are wrapped to dora; the earlier ones stay as they were.
    server.submit("after dora was confirmed");
    let (_, list) = server.inv_get(&dora_session, "/cases");
    assert_eq!(list["total"], 1, "{list}");
    drop(desk);
    server.stop();

    let log = audit_log(&*common::open_store(deployment.data_dir()));
    let entry = |action: Action| {
        log.iter()
            .find(|s| s.entry.action == action && s.entry.detail.contains("dora"))
            .unwrap_or_else(|| panic!("no {action:?} for dora"))
            .entry
            .clone()
    };
    let proposed = entry(Action::RecipientProposed);
    assert_eq!(proposed.actor, "root");
    assert_eq!(proposed.detail, format!("investigator dora: {fingerprint}"));
    let confirmed = entry(Action::RecipientConfirmed);
    assert_eq!(confirmed.actor, "boss");
    assert_eq!(confirmed.detail, proposed.detail);
}

/// A recovery recipient proposed on the command line stays pending: new cases go on being
/// wrapped to the one in force (and to no other) until a second admin confirms it; a
/// fingerprint that does not match confirms nothing.
#[test]
fn a_recovery_recipient_change_is_pending_until_confirmed() {
    let deployment = Deployment::new();
    let (root_id, root_secret) = register(&deployment, "root", "admin");
    let old = InvestigatorIdentity::generate();
    set_recovery(&deployment, &old.recipient().to_string());
    let new = InvestigatorIdentity::generate();
    let new_print = propose_recovery(&deployment, &new.recipient().to_string());
    let wrong = deployment.admin(&["confirm-recipient", "--fingerprint", "0123 4567 89ab cdef"]);
    assert!(!wrong.status.success(), "{wrong:?}");
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("nothing was changed"));

    let server = deployment.start(&[]);
    let mut root = Account::enrol(&server, "root", root_id, &root_secret);
    let session = root.login(&server);
    let (_, shown) = server.inv_get(&session, "/recovery");
    assert_eq!(shown["recipient"], old.recipient().to_string().as_str());
    let (_, pending) = server.inv_get(&session, "/recipients/pending");
    assert_eq!(pending[0]["kind"], "recovery", "{pending}");
    assert_eq!(pending[0]["fingerprint"], new_print.as_str());
    assert_eq!(pending[0]["proposed_by"], "admin-cli");
    server.submit("while the new recovery key waits");
    server.stop();
    let first = {
        let store = common::open_store(deployment.data_dir());
        let id = case_ids(&*store)[0];
        let wrap = store.wrap(id, &Holder::Recovery).unwrap().unwrap();
        assert!(quietline::crypto::CaseKey::unwrap_with(&wrap, old.as_age()).is_ok());
        assert!(quietline::crypto::CaseKey::unwrap_with(&wrap, new.as_age()).is_err());
        id
    };

    // A second administrator confirms it from their desk's API.
    let server = deployment.start(&[]);
    let session = root.login(&server);
    let (status, confirmed) = server.inv_post(
        &session,
        "/admin/recipients/confirm",
        &json!({ "fingerprint": new_print.to_uppercase().replace(' ', "-") }),
    );
    assert_eq!(status, 200, "{confirmed}");
    assert_eq!(confirmed[0]["kind"], "recovery");
    let (_, shown) = server.inv_get(&session, "/recovery");
    assert_eq!(shown["fingerprint"], new_print.as_str());
    server.submit("once the new recovery key is confirmed");
    server.stop();
    let store = common::open_store(deployment.data_dir());
    let second = case_ids(&*store)
        .into_iter()
        .find(|id| *id != first)
        .unwrap();
    let wrap = store.wrap(second, &Holder::Recovery).unwrap().unwrap();
    assert!(quietline::crypto::CaseKey::unwrap_with(&wrap, new.as_age()).is_ok());
    let confirmation = audit_log(&*store)
        .into_iter()
        .rfind(|s| s.entry.action == Action::RecipientConfirmed)
        .unwrap();
    assert_eq!(confirmation.entry.actor, "root");
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
        // The instance's own high-water mark, which would refuse the smaller database.
        std::fs::remove_file(deployment.data_dir().join("database.mark")).unwrap();
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

    // The log grows (each registration is a proposal and its confirmation): the kept
    // head is still in it.
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
