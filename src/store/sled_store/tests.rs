//! Unit tests of the sled store: reopening, refusals, the high-water mark, formats.
use super::*;
use crate::case::{Author, Role};
use crate::case::{Category, Day, DeadlinePolicy, Status};

fn record(day: Day) -> CaseRecord {
    CaseRecord {
        status: Status::New,
        category: Category::Other,
        urgent: false,
        received: day,
        deadlines: DeadlinePolicy::default().for_case_received(day),
        acknowledged: None,
        first_feedback: None,
        assignees: vec![],
        holders: vec!["ana".into()],
        entries: 1,
        last_reporter_entry: 0,
        notes: 0,
        reporter_seen: 0,
        labels: vec![],
        last_activity: None,
        last_reporter_day: None,
    }
}

/// A lookup id per small number, stable within one test process.
fn lookup(byte: u8) -> LookupId {
    use crate::crypto::{CaseToken, DeploymentSalt, KdfParams};
    static SETTINGS: std::sync::OnceLock<KdfSettings> = std::sync::OnceLock::new();
    let settings = SETTINGS.get_or_init(|| KdfSettings {
        salt: DeploymentSalt::generate(),
        params: KdfParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
    });
    let token = CaseToken::parse(&format!("{byte:0>20}")).unwrap();
    settings.derive_seed(&token).unwrap().lookup_id()
}

fn new_case(lookup: LookupId) -> NewCase {
    let day = Day::from_ymd(2026, 11, 25).unwrap();
    NewCase {
        id: CaseId::generate(),
        lookup,
        record: record(day),
        wraps: vec![
            (Holder::Reporter, Wrap(b"r".to_vec())),
            (Holder::Investigator("ana".into()), Wrap(b"a".to_vec())),
        ],
        report: ThreadEntry {
            author: Author::Reporter,
            day,
            ciphertext: b"sealed".to_vec(),
        },
        blobs: vec![],
    }
}

#[test]
fn cases_survive_a_reopen_with_their_thread() {
    let dir = tempfile::tempdir().unwrap();
    let case = new_case(lookup(1));
    let id = case.id;
    {
        let store = SledStore::open(dir.path()).unwrap();
        store.create_case(case).unwrap();
        let reply = ThreadEntry {
            author: Author::Investigator,
            day: Day::from_ymd(2026, 11, 26).unwrap(),
            ciphertext: b"reply".to_vec(),
        };
        assert_eq!(store.append_entry(id, reply, &[]).unwrap(), 1);
    }
    let store = SledStore::open(dir.path()).unwrap();
    let (found, record) = store.case_by_lookup(&lookup(1)).unwrap().unwrap();
    assert_eq!(found, id);
    assert_eq!(record.entries, 2);
    let thread = store.thread(id).unwrap();
    assert_eq!(thread.len(), 2);
    assert_eq!(thread[1].ciphertext, b"reply");
    assert!(store.case_by_lookup(&lookup(2)).unwrap().is_none());
}

#[test]
fn a_taken_lookup_id_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    store.create_case(new_case(lookup(1))).unwrap();
    let second = new_case(lookup(1));
    let second_id = second.id;
    assert!(matches!(
        store.create_case(second),
        Err(StoreError::LookupTaken)
    ));
    assert!(store.thread(second_id).unwrap().is_empty());
}

#[test]
fn removing_an_investigator_deletes_their_wraps_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let case = new_case(lookup(1));
    let id = case.id;
    store.create_case(case).unwrap();
    store
        .add_investigator(InvestigatorRecord {
            name: "ana".into(),
            recipient: crate::crypto::InvestigatorIdentity::generate().recipient(),
            role: Role::Investigator,
            enabled: true,
            demo: false,
            added: Day::today(),
            credentials: Default::default(),
        })
        .unwrap();
    assert!(store.remove_investigator("ana").unwrap());
    assert!(store.case(id).unwrap().unwrap().holders.is_empty());
    assert!(
        store
            .wrap(id, &Holder::Investigator("ana".into()))
            .unwrap()
            .is_none()
    );
    assert!(store.wrap(id, &Holder::Reporter).unwrap().is_some());
    assert!(store.investigators().unwrap().is_empty());
}

#[test]
fn a_second_open_of_the_same_directory_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let _first = SledStore::open(dir.path()).unwrap();
    assert!(matches!(
        SledStore::open(dir.path()),
        Err(StoreError::Locked(_))
    ));
}

#[test]
fn kdf_settings_are_fixed_at_first_init() {
    use crate::crypto::{DeploymentSalt, KdfParams};
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let first = KdfSettings {
        salt: DeploymentSalt::generate(),
        params: KdfParams::default(),
    };
    let mut second = first;
    second.salt = DeploymentSalt::generate();
    assert_eq!(store.init_kdf(first).unwrap(), first);
    assert_eq!(store.init_kdf(second).unwrap(), first);
}

#[test]
fn a_store_of_a_newer_format_is_refused_and_an_older_one_would_migrate() {
    let dir = tempfile::tempdir().unwrap();
    SledStore::open(dir.path()).unwrap();
    {
        let db = sled::open(dir.path().join("store")).unwrap();
        let meta = db.open_tree("meta").unwrap();
        assert_eq!(meta.get("schema").unwrap().unwrap().as_ref(), b"1");
        meta.insert("schema", b"2".as_slice()).unwrap();
        db.flush().unwrap();
    }
    match SledStore::open(dir.path()) {
        Err(StoreError::TooNew { found: 2, known: 1 }) => {}
        other => panic!("{:?}", other.err()),
    }
    assert_eq!(MIGRATIONS.len() as u32, FORMAT_VERSION - 1);
}

#[test]
fn a_store_that_lost_a_case_refuses_to_open_unless_the_loss_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let keep = new_case(lookup(1));
    let kept = keep.id;
    {
        let store = SledStore::open(dir.path()).unwrap();
        store.create_case(keep).unwrap();
        store.create_case(new_case(lookup(2))).unwrap();
    }
    // Simulate a loss behind the store's back: an older copy of the store. sled's
    // background thread may hold the file lock a moment after the store is dropped.
    {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let db = loop {
            match sled::open(dir.path().join("store")) {
                Ok(db) => break db,
                Err(e) if std::time::Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => panic!("{e}"),
            }
        };
        let cases = db.open_tree("cases").unwrap();
        let lost = cases
            .iter()
            .keys()
            .map(|k| k.unwrap())
            .find(|k| k.as_ref() != kept.as_bytes())
            .unwrap();
        cases.remove(lost).unwrap();
        db.flush().unwrap();
    }
    let refused = SledStore::open(dir.path()).err().unwrap();
    let said = refused.to_string();
    assert!(matches!(refused, StoreError::Shrunk { .. }), "{said}");
    assert!(said.contains("holds 1 case, 1 thread entry"), "{said}");
    assert!(said.contains("acknowledged 2 cases"), "{said}");

    let accepted = SledStore::open_with(
        dir.path(),
        OpenOptions {
            accept_loss: true,
            ..OpenOptions::default()
        },
    )
    .unwrap();
    assert_eq!(accepted.case_count().unwrap(), 1);
    assert!(accepted.sweep().unwrap().quarantined.is_empty());
    drop(accepted);
    // The mark was lowered: the next start is an ordinary one.
    SledStore::open(dir.path()).unwrap();
}

#[test]
fn investigator_records_written_with_a_text_recipient_read_typed() {
    #[derive(Serialize)]
    struct Before {
        name: String,
        recipient: String,
        role: Role,
        enabled: bool,
        demo: bool,
        added: Day,
        credentials: super::super::Credentials,
    }
    let recipient = crate::crypto::InvestigatorIdentity::generate().recipient();
    let before = encode(&Before {
        name: "ana".into(),
        recipient: recipient.to_string(),
        role: Role::Investigator,
        enabled: true,
        demo: false,
        added: Day::today(),
        credentials: Default::default(),
    })
    .unwrap();
    let now: InvestigatorRecord = decode(&before).unwrap();
    assert_eq!(now.recipient.to_string(), recipient.to_string());
    assert_eq!(encode(&now).unwrap(), before);
}
