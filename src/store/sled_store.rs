//! The embedded default store, on sled.
//!
//! Trees: `meta` (schema version, KDF settings), `lookup` (lookup id → case id), `cases`
//! (case id → record), `wraps` (case id ‖ holder → wrapped case key), `thread` and `notes`
//! (case id ‖ big-endian sequence → entry), `investigators` (name → record), `seen`
//! (name ‖ 0 ‖ case id → entries seen), `sessions` (session digest → session), `audit`
//! (big-endian sequence → sealed entry). Values are postcard. Each write is one sled
//! transaction followed by a flush, so it is durable when the method returns.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Mutex, RwLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use super::{
    BlobId, Blobs, CaseId, Holder, InvestigatorRecord, InvestigatorSession, NewCase, NoteEntry,
    Store, StoreError, StoreResult, ThreadEntry,
};
use crate::audit;
use crate::case::{CaseRecord, TransitionError, TriageKey};
use crate::crypto::{KdfSettings, LookupId, Wrap};

const SCHEMA_VERSION: &[u8] = b"1";

pub struct SledStore {
    db: sled::Db,
    meta: sled::Tree,
    lookup: sled::Tree,
    cases: sled::Tree,
    wraps: sled::Tree,
    thread: sled::Tree,
    notes: sled::Tree,
    /// blob id → case id, for evidence files of committed messages.
    blobs: sled::Tree,
    files: Blobs,
    investigators: sled::Tree,
    seen: sled::Tree,
    sessions: sled::Tree,
    audit: sled::Tree,
    /// Serialises audit appends: each needs the previous entry's hash.
    audit_lock: Mutex<()>,
    /// Every case record in memory, in triage order, so that listing 100,000 cases does
    /// not decode 100,000 records from sled on every page. Built at open, updated after
    /// each durable write; sled stays the source of truth.
    index: RwLock<CaseIndex>,
    /// Held from a case write until its result is in the index, so that two racing
    /// writes of one case reach the index in the order they reached sled. Released
    /// before the flush: fsyncs of different writes still group.
    case_writes: Mutex<()>,
}

#[derive(Default)]
struct CaseIndex {
    records: HashMap<CaseId, CaseRecord>,
    order: BTreeSet<(TriageKey, CaseId)>,
}

impl CaseIndex {
    fn put(&mut self, id: CaseId, record: CaseRecord) {
        if let Some(old) = self.records.get(&id) {
            self.order.remove(&(old.triage_key(), id));
        }
        self.order.insert((record.triage_key(), id));
        self.records.insert(id, record);
    }
}

fn encode<T: Serialize>(value: &T) -> StoreResult<Vec<u8>> {
    postcard::to_stdvec(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> StoreResult<T> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        match e {
            sled::Error::Io(io) => StoreError::Io(io),
            sled::Error::Corruption { .. } => StoreError::Corrupt(e.to_string()),
            other => StoreError::Io(std::io::Error::other(other.to_string())),
        }
    }
}

fn from_tx(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => e.into(),
    }
}

fn seen_key(name: &str, case: CaseId) -> Vec<u8> {
    [name.as_bytes(), &[0], case.as_bytes()].concat()
}

fn seq_of(key: &[u8]) -> u64 {
    key.get(key.len().saturating_sub(8)..)
        .and_then(|tail| tail.try_into().ok())
        .map_or(u64::MAX, u64::from_be_bytes)
}

fn thread_key(case: CaseId, seq: u64) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..16].copy_from_slice(case.as_bytes());
    key[16..].copy_from_slice(&seq.to_be_bytes());
    key
}

fn wrap_key(case: CaseId, holder: &Holder) -> Vec<u8> {
    [case.as_bytes().as_slice(), &holder.key_part()].concat()
}

impl SledStore {
    /// Opens (creating if needed) the store in `dir`. The directory is made private to the
    /// service user: its contents are ciphertext, but case metadata is not.
    pub fn open(dir: &Path) -> StoreResult<Self> {
        create_private_dir(dir)?;
        let db = sled::Config::new()
            .path(dir.join("store"))
            .open()
            .map_err(|e| match &e {
                sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock => {
                    StoreError::Locked(dir.display().to_string())
                }
                sled::Error::Io(io) if io.to_string().contains("lock") => {
                    StoreError::Locked(dir.display().to_string())
                }
                _ => e.into(),
            })?;
        let store = SledStore {
            meta: db.open_tree("meta")?,
            lookup: db.open_tree("lookup")?,
            cases: db.open_tree("cases")?,
            wraps: db.open_tree("wraps")?,
            thread: db.open_tree("thread")?,
            notes: db.open_tree("notes")?,
            blobs: db.open_tree("blobs")?,
            files: Blobs::open(dir)?,
            investigators: db.open_tree("investigators")?,
            seen: db.open_tree("seen")?,
            sessions: db.open_tree("sessions")?,
            audit: db.open_tree("audit")?,
            audit_lock: Mutex::new(()),
            index: RwLock::new(CaseIndex::default()),
            case_writes: Mutex::new(()),
            db,
        };
        store.check_schema()?;
        store.load_index()?;
        // Evidence files of uploads that never completed (a killed process, a lost
        // connection) are deleted before anything else runs.
        let blobs = &store.blobs;
        let swept = store
            .files
            .sweep(|id| blobs.contains_key(id.as_bytes()).unwrap_or(true))?;
        if swept > 0 {
            tracing::info!(files = swept, "removed unfinished evidence files");
        }
        Ok(store)
    }

    fn check_schema(&self) -> StoreResult<()> {
        match self
            .meta
            .compare_and_swap("schema", None as Option<&[u8]>, Some(SCHEMA_VERSION))?
        {
            Ok(()) => {
                self.flush()?;
                Ok(())
            }
            Err(existing) if existing.current.as_deref() == Some(SCHEMA_VERSION) => Ok(()),
            Err(_) => Err(StoreError::Corrupt(
                "unknown schema version; this quietline is too old for this data".into(),
            )),
        }
    }

    fn load_index(&self) -> StoreResult<()> {
        let mut index = CaseIndex::default();
        for item in self.cases.iter() {
            let (key, value) = item?;
            let id: [u8; 16] = key
                .as_ref()
                .try_into()
                .map_err(|_| StoreError::Corrupt("bad case key".into()))?;
            index.put(CaseId(id), decode(&value)?);
        }
        *self.index.write().unwrap_or_else(|p| p.into_inner()) = index;
        Ok(())
    }

    fn write_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.case_writes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a write of a case in the index (called with `case_writes` held).
    fn indexed(&self, id: CaseId, record: CaseRecord) {
        // Each update is one `put`: a panic cannot leave the index half-changed.
        self.index
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .put(id, record);
    }

    fn flush(&self) -> StoreResult<()> {
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

impl Store for SledStore {
    fn init_kdf(&self, proposed: KdfSettings) -> StoreResult<KdfSettings> {
        let bytes = encode(&proposed)?;
        match self
            .meta
            .compare_and_swap("kdf", None as Option<&[u8]>, Some(bytes))?
        {
            Ok(()) => {
                self.flush()?;
                Ok(proposed)
            }
            Err(existing) => {
                let current = existing
                    .current
                    .ok_or_else(|| StoreError::Corrupt("KDF settings vanished".into()))?;
                decode(&current)
            }
        }
    }

    fn recovery_recipient(&self) -> StoreResult<Option<String>> {
        self.meta
            .get("recovery")?
            .map(|bytes| {
                String::from_utf8(bytes.to_vec()).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .transpose()
    }

    fn set_recovery_recipient(&self, recipient: &str) -> StoreResult<()> {
        self.meta.insert("recovery", recipient.as_bytes())?;
        self.flush()
    }

    fn create_case(&self, case: NewCase) -> StoreResult<()> {
        let record = encode(&case.record)?;
        let report = encode(&case.report)?;
        let wraps: Vec<(Vec<u8>, Vec<u8>)> = case
            .wraps
            .iter()
            .map(|(holder, wrap)| (wrap_key(case.id, holder), wrap.0.clone()))
            .collect();
        let writing = self.write_lock();
        (
            &self.lookup,
            &self.cases,
            &self.wraps,
            &self.thread,
            &self.blobs,
        )
            .transaction(|(lookup, cases, wraps_tree, thread, blobs)| {
                if lookup.get(case.lookup.as_bytes())?.is_some() {
                    return Err(ConflictableTransactionError::Abort(StoreError::LookupTaken));
                }
                lookup.insert(
                    case.lookup.as_bytes().as_slice(),
                    case.id.as_bytes().as_slice(),
                )?;
                cases.insert(case.id.as_bytes().as_slice(), record.as_slice())?;
                for (key, wrap) in &wraps {
                    wraps_tree.insert(key.as_slice(), wrap.as_slice())?;
                }
                thread.insert(thread_key(case.id, 0).as_slice(), report.as_slice())?;
                for blob in &case.blobs {
                    blobs.insert(blob.as_bytes().as_slice(), case.id.as_bytes().as_slice())?;
                }
                Ok(())
            })
            .map_err(from_tx)?;
        self.indexed(case.id, case.record);
        drop(writing);
        self.flush()
    }

    fn case_by_lookup(&self, lookup: &LookupId) -> StoreResult<Option<(CaseId, CaseRecord)>> {
        let Some(id) = self.lookup.get(lookup.as_bytes())? else {
            return Ok(None);
        };
        let id: [u8; 16] = id
            .as_ref()
            .try_into()
            .map_err(|_| StoreError::Corrupt("bad case id in lookup".into()))?;
        let id = CaseId(id);
        let record = self
            .cases
            .get(id.as_bytes())?
            .ok_or_else(|| StoreError::Corrupt("lookup points at a missing case".into()))?;
        Ok(Some((id, decode(&record)?)))
    }

    fn case(&self, case: CaseId) -> StoreResult<Option<CaseRecord>> {
        self.cases
            .get(case.as_bytes())?
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    fn case_count(&self) -> StoreResult<usize> {
        Ok(self.cases.len())
    }

    fn wrap(&self, case: CaseId, holder: &Holder) -> StoreResult<Option<Wrap>> {
        Ok(self
            .wraps
            .get(wrap_key(case, holder))?
            .map(|w| Wrap(w.to_vec())))
    }

    fn thread(&self, case: CaseId) -> StoreResult<Vec<ThreadEntry>> {
        self.thread
            .scan_prefix(case.as_bytes())
            .map(|item| decode(&item?.1))
            .collect()
    }

    fn append_entry(&self, case: CaseId, entry: ThreadEntry, blobs: &[BlobId]) -> StoreResult<u64> {
        let author = entry.author;
        let day = entry.day;
        let entry = encode(&entry)?;
        let writing = self.write_lock();
        let seq = (&self.cases, &self.thread, &self.blobs)
            .transaction(|(cases, thread, blobs_tree)| {
                let Some(bytes) = cases.get(case.as_bytes())? else {
                    return Err(ConflictableTransactionError::Abort(StoreError::NoSuchCase));
                };
                let mut record: CaseRecord =
                    decode(&bytes).map_err(ConflictableTransactionError::Abort)?;
                let seq = record.entries;
                record.record_entry(seq, author, day);
                let encoded = encode(&record).map_err(ConflictableTransactionError::Abort)?;
                thread.insert(thread_key(case, seq).as_slice(), entry.as_slice())?;
                cases.insert(case.as_bytes().as_slice(), encoded)?;
                for blob in blobs {
                    blobs_tree.insert(blob.as_bytes().as_slice(), case.as_bytes().as_slice())?;
                }
                Ok((seq, record))
            })
            .map_err(from_tx)?;
        self.indexed(case, seq.1);
        drop(writing);
        self.flush()?;
        Ok(seq.0)
    }

    fn new_blob(&self) -> StoreResult<super::PendingBlob> {
        Ok(self.files.create()?)
    }

    fn discard_blob(&self, blob: BlobId) {
        self.files.discard(blob);
    }

    fn blob_path(&self, case: CaseId, blob: BlobId) -> StoreResult<Option<std::path::PathBuf>> {
        let owner = self.blobs.get(blob.as_bytes())?;
        Ok(owner
            .filter(|owner| owner.as_ref() == case.as_bytes())
            .map(|_| self.files.path(blob)))
    }

    fn visit_cases(&self, visit: &mut dyn FnMut(CaseId, &CaseRecord) -> bool) -> StoreResult<()> {
        let index = self.index.read().unwrap_or_else(|p| p.into_inner());
        for (_, id) in &index.order {
            if let Some(record) = index.records.get(id) {
                if !visit(*id, record) {
                    break;
                }
            }
        }
        Ok(())
    }

    fn update_case(
        &self,
        case: CaseId,
        change: &mut dyn FnMut(&mut CaseRecord) -> Result<(), TransitionError>,
    ) -> StoreResult<CaseRecord> {
        // Not a sled transaction: its closure may run several times, and `change` is
        // FnMut. Compare-and-swap in a loop gives the same atomicity.
        let writing = self.write_lock();
        loop {
            let Some(current) = self.cases.get(case.as_bytes())? else {
                return Err(StoreError::NoSuchCase);
            };
            let mut record: CaseRecord = decode(&current)?;
            change(&mut record)?;
            let updated = encode(&record)?;
            if self
                .cases
                .compare_and_swap(case.as_bytes(), Some(current), Some(updated))?
                .is_ok()
            {
                self.indexed(case, record.clone());
                drop(writing);
                self.flush()?;
                return Ok(record);
            }
        }
    }

    fn add_wrap(&self, case: CaseId, investigator: &str, wrap: Wrap) -> StoreResult<()> {
        let key = wrap_key(case, &Holder::Investigator(investigator.to_owned()));
        let writing = self.write_lock();
        let record = (&self.cases, &self.wraps)
            .transaction(|(cases, wraps)| {
                if wraps.get(&key)?.is_some() {
                    return Err(ConflictableTransactionError::Abort(StoreError::WrapExists(
                        investigator.to_owned(),
                    )));
                }
                let Some(bytes) = cases.get(case.as_bytes())? else {
                    return Err(ConflictableTransactionError::Abort(StoreError::NoSuchCase));
                };
                let mut record: CaseRecord =
                    decode(&bytes).map_err(ConflictableTransactionError::Abort)?;
                if !record.holders.iter().any(|h| h == investigator) {
                    record.holders.push(investigator.to_owned());
                }
                let encoded = encode(&record).map_err(ConflictableTransactionError::Abort)?;
                wraps.insert(key.as_slice(), wrap.0.as_slice())?;
                cases.insert(case.as_bytes().as_slice(), encoded)?;
                Ok(record)
            })
            .map_err(from_tx)?;
        self.indexed(case, record);
        drop(writing);
        self.flush()
    }

    fn append_note(&self, case: CaseId, note: NoteEntry) -> StoreResult<u64> {
        let note = encode(&note)?;
        let writing = self.write_lock();
        let seq = (&self.cases, &self.notes)
            .transaction(|(cases, notes)| {
                let Some(bytes) = cases.get(case.as_bytes())? else {
                    return Err(ConflictableTransactionError::Abort(StoreError::NoSuchCase));
                };
                let mut record: CaseRecord =
                    decode(&bytes).map_err(ConflictableTransactionError::Abort)?;
                let seq = record.notes;
                record.notes += 1;
                let encoded = encode(&record).map_err(ConflictableTransactionError::Abort)?;
                notes.insert(thread_key(case, seq).as_slice(), note.as_slice())?;
                cases.insert(case.as_bytes().as_slice(), encoded)?;
                Ok((seq, record))
            })
            .map_err(from_tx)?;
        self.indexed(case, seq.1);
        drop(writing);
        self.flush()?;
        Ok(seq.0)
    }

    fn notes(&self, case: CaseId) -> StoreResult<Vec<NoteEntry>> {
        self.notes
            .scan_prefix(case.as_bytes())
            .map(|item| decode(&item?.1))
            .collect()
    }

    fn seen(&self, investigator: &str, case: CaseId) -> StoreResult<u64> {
        Ok(self
            .seen
            .get(seen_key(investigator, case))?
            .map_or(0, |v| seq_of(&v)))
    }

    fn mark_seen(&self, investigator: &str, case: CaseId, entries: u64) -> StoreResult<()> {
        // Not flushed: losing an "unread" mark in a crash costs nothing.
        self.seen
            .insert(seen_key(investigator, case), &entries.to_be_bytes())?;
        Ok(())
    }

    fn add_investigator(&self, investigator: InvestigatorRecord) -> StoreResult<()> {
        let name = investigator.name.clone();
        let bytes = encode(&investigator)?;
        match self.investigators.compare_and_swap(
            name.as_bytes(),
            None as Option<&[u8]>,
            Some(bytes),
        )? {
            Ok(()) => self.flush(),
            Err(_) => Err(StoreError::InvestigatorExists(name)),
        }
    }

    fn investigators(&self) -> StoreResult<Vec<InvestigatorRecord>> {
        self.investigators
            .iter()
            .map(|item| decode(&item?.1))
            .collect()
    }

    fn investigator(&self, name: &str) -> StoreResult<Option<InvestigatorRecord>> {
        self.investigators
            .get(name.as_bytes())?
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    fn update_investigator(
        &self,
        name: &str,
        change: &mut dyn FnMut(&mut InvestigatorRecord),
    ) -> StoreResult<InvestigatorRecord> {
        loop {
            let Some(current) = self.investigators.get(name.as_bytes())? else {
                return Err(StoreError::NoSuchInvestigator(name.to_owned()));
            };
            let mut record: InvestigatorRecord = decode(&current)?;
            change(&mut record);
            let updated = encode(&record)?;
            if self
                .investigators
                .compare_and_swap(name.as_bytes(), Some(current), Some(updated))?
                .is_ok()
            {
                self.flush()?;
                return Ok(record);
            }
        }
    }

    fn remove_investigator(&self, name: &str) -> StoreResult<bool> {
        let suffix = Holder::Investigator(name.to_owned()).key_part();
        let mut batch = sled::Batch::default();
        for item in self.wraps.iter() {
            let (key, _) = item?;
            if key.len() == 16 + suffix.len() && key[16..] == suffix[..] {
                batch.remove(key);
            }
        }
        self.wraps.apply_batch(batch)?;
        let mut affected = Vec::new();
        self.visit_cases(&mut |id, record| {
            if record.holders.iter().any(|h| h == name)
                || record.assignees.iter().any(|a| a == name)
            {
                affected.push(id);
            }
            true
        })?;
        for id in affected {
            self.update_case(id, &mut |r| {
                r.holders.retain(|h| h != name);
                r.assignees.retain(|a| a != name);
                Ok(())
            })?;
        }
        self.delete_sessions_of(name)?;
        let existed = self.investigators.remove(name.as_bytes())?.is_some();
        self.flush()?;
        Ok(existed)
    }

    fn put_session(&self, digest: &[u8; 32], session: &InvestigatorSession) -> StoreResult<()> {
        self.sessions.insert(digest, encode(session)?)?;
        self.flush()
    }

    fn session(&self, digest: &[u8; 32]) -> StoreResult<Option<InvestigatorSession>> {
        self.sessions
            .get(digest)?
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    fn delete_session(&self, digest: &[u8; 32]) -> StoreResult<()> {
        self.sessions.remove(digest)?;
        self.flush()
    }

    fn delete_sessions_of(&self, name: &str) -> StoreResult<()> {
        let mut batch = sled::Batch::default();
        for item in self.sessions.iter() {
            let (key, value) = item?;
            let session: InvestigatorSession = decode(&value)?;
            if session.name == name {
                batch.remove(key);
            }
        }
        self.sessions.apply_batch(batch)?;
        self.flush()
    }

    fn append_audit(&self, entry: audit::Entry) -> StoreResult<audit::Sealed> {
        let _one_at_a_time = self.audit_lock.lock().unwrap_or_else(|p| p.into_inner());
        let previous: Option<audit::Sealed> = self
            .audit
            .last()?
            .map(|(_, bytes)| decode(&bytes))
            .transpose()?;
        let sealed = entry.seal(previous.as_ref());
        self.audit
            .insert(sealed.entry.seq.to_be_bytes(), encode(&sealed)?)?;
        self.flush()?;
        Ok(sealed)
    }

    fn audit_entries(&self) -> StoreResult<Vec<(u64, Vec<u8>)>> {
        self.audit
            .iter()
            .map(|item| {
                let (key, value) = item?;
                Ok((seq_of(&key), value.to_vec()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
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
                recipient: "age1x".into(),
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
}
