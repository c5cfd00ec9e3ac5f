//! Unit tests of the sled store: reopening, refusals, the high-water mark, formats.
use super::*;
use crate::case::{Author, Role};
use crate::case::{Category, Day, DeadlinePolicy};

fn record(day: Day) -> CaseRecord {
    CaseRecord::new_report(
        Category::Other,
        false,
        day,
        DeadlinePolicy::default(),
        vec!["ana".into()],
    )
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
            proposed_by: None,
            alert_address: None,
            alert_digests: false,
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
fn the_token_check_key_is_fixed_at_first_init_and_survives_a_reopen() {
    use crate::crypto::{TokenCheckKey, TokenClass};
    let dir = tempfile::tempdir().unwrap();
    let token = {
        let store = SledStore::open(dir.path()).unwrap();
        let first = store.init_token_key(TokenCheckKey::generate(true)).unwrap();
        first.issue()
    };
    let store = SledStore::open(dir.path()).unwrap();
    let kept = store
        .init_token_key(TokenCheckKey::generate(false))
        .unwrap();
    assert_eq!(kept.classify(&token), TokenClass::Checked);
    assert!(kept.legacy_tokens(), "the stored key wins, flag and all");
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

/// Opens the sled database under `dir` directly. sled's background thread may hold the
/// file lock a moment after a store is dropped.
fn open_sled(dir: &Path) -> sled::Db {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match sled::open(dir.join("store")) {
            Ok(db) => return db,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// A store with one case, then given format 0 behind its back.
fn store_of_format_zero(dir: &Path) {
    SledStore::open(dir)
        .unwrap()
        .create_case(new_case(lookup(1)))
        .unwrap();
    let db = open_sled(dir);
    db.open_tree("meta")
        .unwrap()
        .insert("schema", b"0".as_slice())
        .unwrap();
    db.flush().unwrap();
}

/// A migration from format 0 to 1, for the tests: leaves a trace in `meta`.
fn fake_step(store: &SledStore) -> StoreResult<()> {
    store.trees().meta.insert("fake-step", b"ran".as_slice())?;
    Ok(())
}

static FAKE_STEPS: [Migration; 1] = [fake_step];

const FAKE_FORMATS: Formats = Formats {
    first: 0,
    steps: &FAKE_STEPS,
};

/// Runs `open` until it does not meet the lock of a database just dropped.
fn unlocked(open: impl Fn() -> StoreResult<SledStore>) -> StoreResult<SledStore> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match open() {
            Err(StoreError::Locked(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// Opens the store under `dir` knowing the fake formats.
fn open_fake(dir: &Path) -> StoreResult<SledStore> {
    unlocked(|| SledStore::open_with_formats(dir, OpenOptions::default(), FAKE_FORMATS))
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn an_older_store_is_copied_whole_before_it_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    store_of_format_zero(dir.path());
    let mark = std::fs::read(dir.path().join("store.mark")).unwrap();
    // This build does not know format 0: it refuses it, and keeps no copy.
    match unlocked(|| SledStore::open(dir.path())) {
        Err(StoreError::Damaged { detail, .. }) => assert!(detail.contains("format version 0")),
        other => panic!("{:?}", other.err()),
    }
    let copy = dir.path().join("before-format-0");
    assert!(!copy.exists());

    let store = open_fake(dir.path()).unwrap();
    assert_eq!(store.format().unwrap(), Some(1));
    assert_eq!(
        store
            .trees()
            .meta
            .get("fake-step")
            .unwrap()
            .unwrap()
            .as_ref(),
        b"ran"
    );
    assert_eq!(store.counts().cases, 1);
    drop(store);

    // The copy: the old mark, and a store of format 0 with the case and no trace of the
    // step, all private, and no temporary left.
    assert_eq!(mode(&copy), 0o700);
    assert_eq!(std::fs::read(copy.join("store.mark")).unwrap(), mark);
    let mut files = vec![];
    let mut pending = vec![copy.clone()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                assert_eq!(mode(&path), 0o700, "{}", path.display());
                pending.push(path);
            } else {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                files.push(path);
            }
        }
    }
    assert!(files.contains(&copy.join("store").join("db")), "{files:?}");
    let old = open_sled(&copy);
    let meta = old.open_tree("meta").unwrap();
    assert_eq!(meta.get("schema").unwrap().unwrap().as_ref(), b"0");
    assert!(meta.get("fake-step").unwrap().is_none());
    assert_eq!(old.open_tree("cases").unwrap().len(), 1);
    drop((meta, old));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".part")), "{names:?}");

    // Going back: the copy moved back opens as the old format again.
    std::fs::remove_dir_all(dir.path().join("store")).unwrap();
    std::fs::rename(copy.join("store"), dir.path().join("store")).unwrap();
    std::fs::rename(copy.join("store.mark"), dir.path().join("store.mark")).unwrap();
    std::fs::remove_dir(&copy).unwrap();
    let store = open_fake(dir.path()).unwrap();
    assert_eq!(store.counts().cases, 1);
    assert!(copy.join("store").join("db").exists());
}

#[test]
fn a_copy_left_by_an_interrupted_migration_is_kept_and_a_half_one_replaced() {
    let dir = tempfile::tempdir().unwrap();
    store_of_format_zero(dir.path());
    // A whole copy from an earlier attempt: kept as it is.
    let copy = dir.path().join("before-format-0");
    std::fs::create_dir(&copy).unwrap();
    std::fs::write(copy.join("earlier"), b"kept").unwrap();
    open_fake(dir.path()).unwrap();
    assert_eq!(std::fs::read(copy.join("earlier")).unwrap(), b"kept");
    assert!(!copy.join("store").exists());

    // A half copy under the temporary name: replaced by a whole one.
    let dir = tempfile::tempdir().unwrap();
    store_of_format_zero(dir.path());
    let part = dir.path().join(".before-format-0.part");
    std::fs::create_dir_all(part.join("store")).unwrap();
    std::fs::write(part.join("store").join("db"), b"half").unwrap();
    open_fake(dir.path()).unwrap();
    assert!(!part.exists());
    let copy = dir.path().join("before-format-0");
    assert_ne!(
        std::fs::read(copy.join("store").join("db")).unwrap(),
        b"half"
    );
    assert!(copy.join("store.mark").exists());

    // A store of the current format is not copied.
    let dir = tempfile::tempdir().unwrap();
    SledStore::open(dir.path()).unwrap();
    SledStore::open(dir.path()).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        !names.iter().any(|n| n.contains("before-format")),
        "{names:?}"
    );
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
    // The same bytes, then the fields appended since (confirmation, alert address).
    assert_eq!(encode(&now).unwrap()[..before.len()], before[..]);
}

#[test]
fn a_rewrite_keeps_everything_and_writes_during_it_wait_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(SledStore::open(dir.path()).unwrap());
    for n in 0..40 {
        store.create_case(new_case(lookup(n))).unwrap();
    }
    let before = store.counts();
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            (40..80)
                .map(|n| store.create_case(new_case(lookup(n))))
                .collect::<Vec<_>>()
        })
    };
    for _ in 0..3 {
        let done = store.rewrite_all().unwrap();
        assert!(done.records >= 40 * 4, "{done:?}");
    }
    assert!(writer.join().unwrap().iter().all(|r| r.is_ok()));
    assert_eq!(store.case_count().unwrap(), 80);
    for n in [0, 39, 40, 79] {
        let (id, _) = store.case_by_lookup(&lookup(n)).unwrap().unwrap();
        assert_eq!(store.thread(id).unwrap().len(), 1);
    }
    assert!(store.counts().cases > before.cases);
    for leftover in ["store.new", "store.new.done", "store.old"] {
        assert!(!dir.path().join(leftover).exists(), "{leftover}");
    }
    drop(store);
    let store = unlocked(|| SledStore::open(dir.path())).unwrap();
    assert_eq!(store.case_count().unwrap(), 80);
}

/// Copies a directory tree (files and directories only).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn an_interrupted_rewrite_is_undone_before_its_copy_is_done_and_finished_after() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    {
        let store = SledStore::open(data).unwrap();
        store.create_case(new_case(lookup(1))).unwrap();
    }
    // A copy without `store.new.done`: unfinished, deleted; the store opens as it was.
    copy_dir(&data.join("store"), &data.join("store.new"));
    let store = unlocked(|| SledStore::open(data)).unwrap();
    assert_eq!(store.case_count().unwrap(), 1);
    assert!(!data.join("store.new").exists());
    drop(store);

    // Killed between the two renames: the finished copy becomes the store.
    copy_dir(&data.join("store"), &data.join("store.new"));
    std::fs::write(data.join("store.new.done"), b"").unwrap();
    std::fs::rename(data.join("store"), data.join("store.old")).unwrap();
    let store = unlocked(|| SledStore::open(data)).unwrap();
    assert!(store.case_by_lookup(&lookup(1)).unwrap().is_some());
    for leftover in ["store.new", "store.new.done", "store.old"] {
        assert!(!data.join(leftover).exists(), "{leftover}");
    }
}

#[test]
fn audit_entries_appended_while_open_raise_the_high_water_mark() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    for _ in 0..3 {
        store
            .append_audit(audit::Entry {
                seq: 0,
                at: 0,
                actor: "ana".into(),
                action: audit::Action::CasePurged,
                case: None,
                detail: String::new(),
                prev: [0; 32],
            })
            .unwrap();
    }
    assert_eq!(store.mark.current().unwrap().counts.audit, 3);
}
