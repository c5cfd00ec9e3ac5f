//! The embedded default store, on sled.
//!
//! Trees: `meta` (schema version, KDF settings), `lookup` (lookup id → case id), `cases`
//! (case id → record), `wraps` (case id ‖ holder → wrapped case key), `thread` and `notes`
//! (case id ‖ big-endian sequence → entry), `investigators` (name → record), `seen`
//! (name ‖ 0 ‖ case id → entries seen), `sessions` (session digest → session), `audit`
//! (big-endian sequence → sealed entry). Values are postcard.
//!
//! Each write is one sled transaction followed by [`SledStore::commit`]: sled's flush, an
//! fsync of sled's files (see `disk.rs`: the flush alone does not survive a power cut) and
//! a raise of the high-water mark (see `mark.rs`), so it is durable, and would be missed
//! if lost, when the method returns.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::Transactional;
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionError,
    TransactionalTree,
};

use super::disk::{self, SledFiles};
use super::guard::{Reserve, Room, WriteGuard};
use super::mark::{Counts, MarkFile};
use super::snapshot::{self, SnapshotSummary};
use super::{
    BlobId, Blobs, CaseId, Holder, InvestigatorRecord, InvestigatorSession, NewCase, NoteEntry,
    Purged, Store, StoreError, StoreResult, Sweep, ThreadEntry,
};
use crate::audit;
use crate::case::{CaseRecord, Day, TransitionError, TriageKey};
use crate::crypto::{KdfSettings, LookupId, Wrap};

/// The store format this build writes, kept in `meta` under `schema` as decimal text.
/// Raise it with every change a previous build would misread, and add the migration
/// from the previous format to [`MIGRATIONS`].
const FORMAT_VERSION: u32 = 1;

/// `MIGRATIONS[n]` turns a store of format `n + 1` into one of format `n + 2`, in place.
/// Each must be safe to run again if interrupted (the version is raised after it).
type Migration = fn(&SledStore) -> StoreResult<()>;
const MIGRATIONS: [Migration; FORMAT_VERSION as usize - 1] = [];

/// How far a write goes before the method returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// sled's flush, an fsync of its files and of the high-water mark: survives a power
    /// cut. What the service uses.
    Fsync,
    /// sled's flush only (`sync_file_range`): survives a crash of the process, not of the
    /// machine. Only for benchmarks and throwaway stores.
    FlushOnly,
}

/// How to open a store.
#[derive(Debug, Clone, Copy)]
pub struct OpenOptions {
    pub durability: Durability,
    /// Open a store that holds less than its high-water mark, and lower the mark to what
    /// it holds. Only for an administrator who has no backup to restore and accepts the
    /// loss; such a store is never swept.
    pub accept_loss: bool,
    /// Bytes that must stay free on the data directory's filesystem for a write that adds
    /// content to go ahead (see `guard.rs`); 0 turns the reserve off. `serve` sets it
    /// from `--min-free-bytes`; administrator commands keep 0.
    pub min_free_bytes: u64,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            durability: Durability::Fsync,
            accept_loss: false,
            min_free_bytes: 0,
        }
    }
}

pub struct SledStore {
    db: sled::Db,
    data_dir: PathBuf,
    durability: Durability,
    /// sled's own files, fsynced after each flush.
    sled_files: SledFiles,
    /// The high-water mark beside the store.
    mark: MarkFile,
    /// The free-space reserve, the failed state and the clock check every write passes.
    guard: WriteGuard,
    /// Why this store must not be swept, if it must not (new, empty, or opened despite
    /// a loss).
    no_sweep: Option<&'static str>,
    /// What it held and what its mark said, if it was opened despite a loss.
    accepted_loss: Option<(Counts, Counts)>,
    /// When this process opened the store: files older than this are not its uploads.
    opened_at: SystemTime,
    /// The next audit sequence number, for the high-water mark.
    audit_next: AtomicU64,
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
    /// Held for reading by every [`SledStore::commit`] and for writing by a purge, which
    /// lowers the high-water mark: a commit that counted before the purge must not raise
    /// the mark after it (see `retention.rs`).
    upkeep: RwLock<()>,
}

#[derive(Default)]
struct CaseIndex {
    records: HashMap<CaseId, CaseRecord>,
    order: BTreeSet<(TriageKey, CaseId)>,
    /// Sums over all records, for the high-water mark.
    entries: u64,
    notes: u64,
}

impl CaseIndex {
    fn put(&mut self, id: CaseId, record: CaseRecord) {
        if let Some(old) = self.records.get(&id) {
            self.order.remove(&(old.triage_key(), id));
            self.entries -= old.entries;
            self.notes -= old.notes;
        }
        self.entries += record.entries;
        self.notes += record.notes;
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

/// Reads the record of `case` inside a transaction, lets `change` modify it, writes it
/// back and returns what `change` returned with the new record: the one read-modify-write
/// of a case record. `change` may run more than once if the transaction is retried.
fn change_record<R>(
    cases: &TransactionalTree,
    case: CaseId,
    change: impl FnOnce(&mut CaseRecord) -> StoreResult<R>,
) -> ConflictableTransactionResult<(R, CaseRecord), StoreError> {
    let abort = ConflictableTransactionError::Abort;
    let Some(bytes) = cases.get(case.as_bytes())? else {
        return Err(abort(StoreError::NoSuchCase));
    };
    let mut record: CaseRecord = decode(&bytes).map_err(abort)?;
    let result = change(&mut record).map_err(abort)?;
    cases.insert(case.as_bytes().as_slice(), encode(&record).map_err(abort)?)?;
    Ok((result, record))
}

impl SledStore {
    /// Opens (creating if needed) the store in `dir`, durable and refusing any sign of
    /// loss. See [`SledStore::open_with`].
    pub fn open(dir: &Path) -> StoreResult<Self> {
        Self::open_with(dir, OpenOptions::default())
    }

    /// Opens (creating if needed) the store in `dir`. The directory is made private to
    /// the service user: its contents are ciphertext, but case metadata is not.
    ///
    /// Refuses, touching nothing, a store that is damaged, of a newer format, or that
    /// holds less than its high-water mark (unless `options.accept_loss`), and a new store
    /// in a directory whose mark or evidence files show that a store was there before.
    /// Opening never removes or moves a file: see [`SledStore::sweep`].
    pub fn open_with(dir: &Path, options: OpenOptions) -> StoreResult<Self> {
        let opened_at = SystemTime::now();
        disk::create_private_dir(dir)?;
        disk::make_private(dir)?;
        let db = sled::Config::new()
            .path(dir.join("store"))
            // The store fsyncs after each write itself; sled's timer-driven fsync would
            // only hide a write path that forgot to.
            .flush_every_ms(None)
            .open()
            .map_err(|e| match &e {
                sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock => {
                    StoreError::Locked(dir.display().to_string())
                }
                sled::Error::Io(io) if io.to_string().contains("lock") => {
                    StoreError::Locked(dir.display().to_string())
                }
                _ => damaged(dir, e.into()),
            })?;
        let mark = MarkFile::open(&dir.join("store.mark")).map_err(|e| damaged(dir, e.into()))?;
        let reserve = Arc::new(Reserve::new(dir.to_owned(), options.min_free_bytes));
        let guard = WriteGuard::new(reserve.clone(), mark.current().map(|m| m.day));
        let mut store = SledStore {
            meta: db.open_tree("meta")?,
            lookup: db.open_tree("lookup")?,
            cases: db.open_tree("cases")?,
            wraps: db.open_tree("wraps")?,
            thread: db.open_tree("thread")?,
            notes: db.open_tree("notes")?,
            blobs: db.open_tree("blobs")?,
            files: Blobs::open(dir, reserve)?,
            investigators: db.open_tree("investigators")?,
            seen: db.open_tree("seen")?,
            sessions: db.open_tree("sessions")?,
            audit: db.open_tree("audit")?,
            audit_lock: Mutex::new(()),
            index: RwLock::new(CaseIndex::default()),
            case_writes: Mutex::new(()),
            upkeep: RwLock::new(()),
            sled_files: SledFiles::open(&dir.join("store"))?,
            data_dir: dir.to_owned(),
            durability: options.durability,
            mark,
            guard,
            no_sweep: None,
            accepted_loss: None,
            opened_at,
            audit_next: AtomicU64::new(0),
            db,
        };
        let format = store.format()?;
        if format.is_none() {
            store.check_new_store_is_first()?;
            store.no_sweep = Some("the store is new");
        }
        store.load_index().map_err(|e| damaged(dir, e))?;
        store.check_mark(options.accept_loss)?;
        store.migrate(format)?;
        let counts = store.counts();
        if counts.cases == 0 && store.no_sweep.is_none() {
            store.no_sweep = Some("the store holds no cases");
        }
        store.commit()?;
        tracing::info!(
            cases = counts.cases,
            entries = counts.entries,
            notes = counts.notes,
            audit = counts.audit,
            "store opened"
        );
        Ok(store)
    }

    /// The format version recorded in `meta`; `None` for a store never written to.
    fn format(&self) -> StoreResult<Option<u32>> {
        let Some(bytes) = self.meta.get("schema")? else {
            return Ok(None);
        };
        std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| text.parse().ok())
            .map(Some)
            .ok_or_else(|| {
                damaged(
                    &self.data_dir,
                    StoreError::Corrupt("unreadable format version".into()),
                )
            })
    }

    /// Brings the store to [`FORMAT_VERSION`]: records it in a new store, migrates an
    /// older one step by step, refuses a newer one.
    fn migrate(&self, found: Option<u32>) -> StoreResult<()> {
        let found = found.unwrap_or(FORMAT_VERSION);
        if found == 0 {
            return Err(damaged(
                &self.data_dir,
                StoreError::Corrupt("format version 0".into()),
            ));
        }
        if found > FORMAT_VERSION {
            return Err(StoreError::TooNew {
                found,
                known: FORMAT_VERSION,
            });
        }
        for version in found..FORMAT_VERSION {
            tracing::info!(from = version, to = version + 1, "migrating the store");
            MIGRATIONS[version as usize - 1](self)?;
            self.set_format(version + 1)?;
        }
        if self.meta.get("schema")?.is_none() {
            self.set_format(FORMAT_VERSION)?;
        }
        Ok(())
    }

    fn set_format(&self, version: u32) -> StoreResult<()> {
        self.meta.insert("schema", version.to_string().as_bytes())?;
        self.commit()
    }

    /// A store that has never been written to is fine in a new data directory only: if
    /// a high-water mark or evidence files are there, the store that was is lost.
    fn check_new_store_is_first(&self) -> StoreResult<()> {
        if let Some(mark) = self.mark.current() {
            return Err(StoreError::Shrunk {
                store: self.data_dir.join("store"),
                held: Counts::default(),
                mark: mark.counts,
                day: mark.day,
                mark_file: self.mark.path().to_owned(),
            });
        }
        let evidence = self.files.count()?;
        if evidence > 0 {
            return Err(StoreError::Lost {
                store: self.data_dir.join("store"),
                evidence,
            });
        }
        Ok(())
    }

    /// Refuses a store that holds less than its mark, or lowers the mark if the
    /// administrator accepted the loss.
    fn check_mark(&mut self, accept_loss: bool) -> StoreResult<()> {
        let Some(mark) = self.mark.current() else {
            return Ok(());
        };
        let held = self.counts();
        if !held.below(mark.counts) {
            return Ok(());
        }
        if !accept_loss {
            return Err(StoreError::Shrunk {
                store: self.data_dir.join("store"),
                held,
                mark: mark.counts,
                day: mark.day,
                mark_file: self.mark.path().to_owned(),
            });
        }
        tracing::warn!(
            held = held.describe(),
            mark = mark.counts.describe(),
            "opening a store that lost data, as asked; lowering its high-water mark"
        );
        self.mark.reset(held)?;
        self.no_sweep = Some("data loss was accepted at this start");
        self.accepted_loss = Some((held, mark.counts));
        Ok(())
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
        let next = match self.audit.last()? {
            Some((_, bytes)) => decode::<audit::Sealed>(&bytes)?.entry.seq + 1,
            None => 0,
        };
        self.audit_next.store(next, Ordering::SeqCst);
        Ok(())
    }

    /// What the store holds now, by the counters of the high-water mark.
    fn counts(&self) -> Counts {
        let index = self.index.read().unwrap_or_else(|p| p.into_inner());
        Counts {
            cases: index.records.len() as u64,
            entries: index.entries,
            notes: index.notes,
            audit: self.audit_next.load(Ordering::SeqCst),
        }
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

    /// Makes every write made so far durable and raises the high-water mark to cover
    /// them. The counts are taken before the flush: everything they count was committed
    /// to sled before, so is durable after it, and the mark never claims more than the
    /// disk holds.
    fn commit(&self) -> StoreResult<()> {
        let _upkeep = self.upkeep.read().unwrap_or_else(|p| p.into_inner());
        let counts = self.counts();
        self.db.flush()?;
        let sync = self.durability == Durability::Fsync;
        if sync {
            self.sled_files.sync()?;
        }
        self.mark.raise(counts, self.guard.newest(), sync)?;
        Ok(())
    }

    /// What the store held and what it had acknowledged, if it was opened with
    /// `accept_loss` and had lost data.
    pub fn accepted_loss(&self) -> Option<(Counts, Counts)> {
        self.accepted_loss
    }

    /// The newest day the store holds (its high-water mark's day), if it recorded one.
    pub fn newest_day(&self) -> Option<Day> {
        self.guard.newest()
    }

    /// Takes `today` as the newest day, even if the store holds later ones: for an
    /// administrator who says the clock is right (`serve --accept-clock`). Durable.
    pub fn accept_clock(&self, today: Day) -> StoreResult<()> {
        self.guard.accept_day(today);
        self.mark.set_day(today)?;
        Ok(())
    }

    /// Tidies `blobs/` after an unclean stop: deletes the `.part` files of uploads that
    /// never completed, and moves complete files that no committed message lists to
    /// `quarantine/` in the data directory (never deletes them). Only files older than
    /// this process's opening of the store are considered, so that uploads in progress
    /// are safe; call it once, from `serve`, after opening.
    ///
    /// Does nothing if the store is new, holds no cases, or was opened despite a loss:
    /// then "not listed" may mean "listed by the store that was lost". Administrator and
    /// audit commands never call it.
    pub fn sweep(&self) -> StoreResult<Sweep> {
        if let Some(reason) = self.no_sweep {
            tracing::info!(reason, "not sweeping evidence files");
            return Ok(Sweep::default());
        }
        let quarantine = self.data_dir.join("quarantine");
        let sweep = self.files.sweep(
            |id| {
                self.blobs
                    .contains_key(id.as_bytes())
                    .map_err(|e| std::io::Error::other(e.to_string()))
            },
            self.opened_at,
            &quarantine,
        )?;
        if sweep.parts_removed > 0 {
            tracing::info!(
                files = sweep.parts_removed,
                "removed unfinished evidence uploads"
            );
        }
        if !sweep.quarantined.is_empty() {
            tracing::warn!(
                files = sweep.quarantined.len(),
                quarantine = %quarantine.display(),
                "moved evidence files that no message lists to the quarantine directory; \
                 they are kept, not deleted"
            );
        }
        for path in &sweep.skipped {
            tracing::warn!(
                path = %path.display(),
                "left an entry in the evidence directory that is not a file"
            );
        }
        Ok(sweep)
    }
}

/// Wraps an error met while opening into one that says what to do.
fn damaged(dir: &Path, error: StoreError) -> StoreError {
    match error {
        StoreError::Io(e) if e.kind() != std::io::ErrorKind::InvalidData => StoreError::Io(e),
        other => StoreError::Damaged {
            store: dir.join("store"),
            detail: other.to_string(),
        },
    }
}

impl Store for SledStore {
    fn init_kdf(&self, proposed: KdfSettings) -> StoreResult<KdfSettings> {
        self.guard.write(Room::Bookkeeping, || {
            let bytes = encode(&proposed)?;
            match self
                .meta
                .compare_and_swap("kdf", None as Option<&[u8]>, Some(bytes))?
            {
                Ok(()) => {
                    self.commit()?;
                    Ok(proposed)
                }
                Err(existing) => {
                    let current = existing
                        .current
                        .ok_or_else(|| StoreError::Corrupt("KDF settings vanished".into()))?;
                    decode(&current)
                }
            }
        })
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
        self.guard.write(Room::Needed, || {
            self.meta.insert("recovery", recipient.as_bytes())?;
            self.commit()
        })
    }

    fn create_case(&self, case: NewCase) -> StoreResult<()> {
        self.guard.write(Room::Needed, || {
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
            self.commit()
        })
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

    fn check_writable(&self, today: Day) -> StoreResult<()> {
        if let Some(why) = self.guard.failure() {
            return Err(StoreError::Failed(why.to_owned()));
        }
        self.guard.check_day(today)?;
        self.guard.reserve.check()
    }

    fn probe(&self, today: Day, write: bool) -> StoreResult<()> {
        if let Some(why) = self.guard.failure() {
            return Err(StoreError::Failed(why.to_owned()));
        }
        if let Err(e) = self.meta.get("schema") {
            return Err(match StoreError::from(e) {
                StoreError::Io(e) => self.guard.fail(e.to_string()),
                other => other,
            });
        }
        if !write {
            return Ok(());
        }
        // Records today only if the clock is plausible; the probe writes either way.
        let _ = self.guard.check_day(today);
        self.guard.write(Room::Bookkeeping, || {
            self.meta.insert("probe", &today.julian().to_be_bytes())?;
            self.commit()
        })
    }

    fn failure(&self) -> Option<String> {
        if self.guard.stalled() {
            self.guard.fail(format!(
                "a write made no progress for {} seconds",
                super::STALL_LIMIT.as_secs()
            ));
        }
        self.guard.failure().map(str::to_owned)
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
        self.guard.write(Room::Needed, || {
            let author = entry.author;
            let day = entry.day;
            let entry = encode(&entry)?;
            let writing = self.write_lock();
            let seq = (&self.cases, &self.thread, &self.blobs)
                .transaction(|(cases, thread, blobs_tree)| {
                    let (seq, record) = change_record(cases, case, |record| {
                        let seq = record.entries;
                        record.record_entry(seq, author, day);
                        Ok(seq)
                    })?;
                    thread.insert(thread_key(case, seq).as_slice(), entry.as_slice())?;
                    for blob in blobs {
                        blobs_tree
                            .insert(blob.as_bytes().as_slice(), case.as_bytes().as_slice())?;
                    }
                    Ok((seq, record))
                })
                .map_err(from_tx)?;
            self.indexed(case, seq.1);
            drop(writing);
            self.commit()?;
            Ok(seq.0)
        })
    }

    fn new_blob(&self) -> StoreResult<super::PendingBlob> {
        // Not through `guard.write`: an evidence file that meets ENOSPC is a clean 507
        // (its writer removes it); only sled's own I/O errors stop the store.
        if let Some(why) = self.guard.failure() {
            return Err(StoreError::Failed(why.to_owned()));
        }
        self.guard.reserve.check()?;
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
            if let Some(record) = index.records.get(id)
                && !visit(*id, record)
            {
                break;
            }
        }
        Ok(())
    }

    fn update_case(
        &self,
        case: CaseId,
        change: &mut dyn FnMut(&mut CaseRecord) -> Result<(), TransitionError>,
    ) -> StoreResult<CaseRecord> {
        self.guard.write(Room::Needed, || {
            // sled's transaction closure is `Fn` (it may be retried); `change` is `FnMut`.
            let change = std::cell::RefCell::new(change);
            let writing = self.write_lock();
            let ((), record) = self
                .cases
                .transaction(|cases| {
                    change_record(cases, case, |record| {
                        (change.borrow_mut())(record).map_err(StoreError::Refused)
                    })
                })
                .map_err(from_tx)?;
            self.indexed(case, record.clone());
            drop(writing);
            self.commit()?;
            Ok(record)
        })
    }

    fn add_wrap(&self, case: CaseId, investigator: &str, wrap: Wrap) -> StoreResult<()> {
        self.guard.write(Room::Needed, || {
            let key = wrap_key(case, &Holder::Investigator(investigator.to_owned()));
            let writing = self.write_lock();
            let record = (&self.cases, &self.wraps)
                .transaction(|(cases, wraps)| {
                    if wraps.get(&key)?.is_some() {
                        return Err(ConflictableTransactionError::Abort(StoreError::WrapExists(
                            investigator.to_owned(),
                        )));
                    }
                    let ((), record) = change_record(cases, case, |record| {
                        if !record.holders.iter().any(|h| h == investigator) {
                            record.holders.push(investigator.to_owned());
                        }
                        Ok(())
                    })?;
                    wraps.insert(key.as_slice(), wrap.0.as_slice())?;
                    Ok(record)
                })
                .map_err(from_tx)?;
            self.indexed(case, record);
            drop(writing);
            self.commit()
        })
    }

    fn append_note(&self, case: CaseId, note: NoteEntry) -> StoreResult<u64> {
        self.guard.write(Room::Needed, || {
            let note = encode(&note)?;
            let writing = self.write_lock();
            let seq = (&self.cases, &self.notes)
                .transaction(|(cases, notes)| {
                    let (seq, record) = change_record(cases, case, |record| {
                        let seq = record.notes;
                        record.notes += 1;
                        Ok(seq)
                    })?;
                    notes.insert(thread_key(case, seq).as_slice(), note.as_slice())?;
                    Ok((seq, record))
                })
                .map_err(from_tx)?;
            self.indexed(case, seq.1);
            drop(writing);
            self.commit()?;
            Ok(seq.0)
        })
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
        self.guard.write(Room::Bookkeeping, || {
            // Not flushed: losing an "unread" mark in a crash costs nothing.
            self.seen
                .insert(seen_key(investigator, case), &entries.to_be_bytes())?;
            Ok(())
        })
    }

    fn add_investigator(&self, investigator: InvestigatorRecord) -> StoreResult<()> {
        self.guard.write(Room::Needed, || {
            let name = investigator.name.clone();
            let bytes = encode(&investigator)?;
            match self.investigators.compare_and_swap(
                name.as_bytes(),
                None as Option<&[u8]>,
                Some(bytes),
            )? {
                Ok(()) => self.commit(),
                Err(_) => Err(StoreError::InvestigatorExists(name)),
            }
        })
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
        self.guard.write(Room::Bookkeeping, || {
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
                    self.commit()?;
                    return Ok(record);
                }
            }
        })
    }

    fn remove_investigator(&self, name: &str) -> StoreResult<bool> {
        self.guard.write(Room::Bookkeeping, || {
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
            self.commit()?;
            Ok(existed)
        })
    }

    fn put_session(&self, digest: &[u8; 32], session: &InvestigatorSession) -> StoreResult<()> {
        self.guard.write(Room::Bookkeeping, || {
            self.sessions.insert(digest, encode(session)?)?;
            self.commit()
        })
    }

    fn session(&self, digest: &[u8; 32]) -> StoreResult<Option<InvestigatorSession>> {
        self.sessions
            .get(digest)?
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    fn delete_session(&self, digest: &[u8; 32]) -> StoreResult<()> {
        self.guard.write(Room::Bookkeeping, || {
            self.sessions.remove(digest)?;
            self.commit()
        })
    }

    fn delete_sessions_of(&self, name: &str) -> StoreResult<()> {
        self.guard.write(Room::Bookkeeping, || {
            let mut batch = sled::Batch::default();
            for item in self.sessions.iter() {
                let (key, value) = item?;
                let session: InvestigatorSession = decode(&value)?;
                if session.name == name {
                    batch.remove(key);
                }
            }
            self.sessions.apply_batch(batch)?;
            self.commit()
        })
    }

    fn append_audit(&self, entry: audit::Entry) -> StoreResult<audit::Sealed> {
        self.guard.write(Room::Bookkeeping, || {
            let _one_at_a_time = self.audit_lock.lock().unwrap_or_else(|p| p.into_inner());
            let previous: Option<audit::Sealed> = self
                .audit
                .last()?
                .map(|(_, bytes)| decode(&bytes))
                .transpose()?;
            let sealed = entry.seal(previous.as_ref());
            self.audit
                .insert(sealed.entry.seq.to_be_bytes(), encode(&sealed)?)?;
            self.commit()?;
            Ok(sealed)
        })
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

    fn backup_recipients(&self) -> StoreResult<Vec<String>> {
        self.meta
            .get(BACKUP_RECIPIENTS)?
            .map_or(Ok(Vec::new()), |bytes| decode(&bytes))
    }

    fn add_backup_recipient(&self, recipient: &str) -> StoreResult<bool> {
        loop {
            let current = self.meta.get(BACKUP_RECIPIENTS)?;
            let mut list: Vec<String> = current
                .as_ref()
                .map_or(Ok(Vec::new()), |bytes| decode(bytes))?;
            if list.iter().any(|r| r == recipient) {
                return Ok(false);
            }
            list.push(recipient.to_owned());
            let updated = encode(&list)?;
            if self
                .meta
                .compare_and_swap(BACKUP_RECIPIENTS, current, Some(updated))?
                .is_ok()
            {
                self.commit()?;
                return Ok(true);
            }
        }
    }

    fn write_snapshot(&self, out: &mut dyn std::io::Write) -> StoreResult<SnapshotSummary> {
        let (records, evidence, counts) = {
            // Case writes and audit appends wait here, so that the records, the counts of
            // the index and the audit chain are read as of one moment. Other writes
            // (investigator records, seen-marks) are single entries, each read whole.
            let _cases = self.write_lock();
            let _audit = self.audit_lock.lock().unwrap_or_else(|p| p.into_inner());
            let (records, evidence) = snapshot::write_trees(&self.db, out)?;
            let mut counts = self.counts();
            counts.audit = match self.audit.last()? {
                Some((_, bytes)) => decode::<audit::Sealed>(&bytes)?.entry.seq + 1,
                None => 0,
            };
            (records, evidence, counts)
        };
        let evidence_bytes = snapshot::write_evidence(&self.files, &evidence, out)?;
        let summary = SnapshotSummary {
            counts,
            records,
            evidence_files: evidence.len() as u64,
            evidence_bytes,
        };
        snapshot::write_trailer(&summary, out)?;
        Ok(summary)
    }

    fn closed_on(&self, case: CaseId) -> StoreResult<Option<Day>> {
        self.db
            .open_tree(CLOSED)?
            .get(case.as_bytes())?
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    fn set_closed_on(&self, case: CaseId, day: Option<Day>) -> StoreResult<()> {
        let closed = self.db.open_tree(CLOSED)?;
        match day {
            Some(day) => closed.insert(case.as_bytes(), encode(&day)?)?,
            None => closed.remove(case.as_bytes())?,
        };
        self.commit()
    }

    fn purge_cases(&self, cases: &[CaseId]) -> StoreResult<Purged> {
        // No commit may raise the mark from counts taken before the purge, and no case
        // write may run meanwhile (see `retention.rs`).
        let _upkeep = self.upkeep.write().unwrap_or_else(|p| p.into_inner());
        let writing = self.write_lock();
        let doomed: HashMap<CaseId, CaseRecord> = {
            let index = self.index.read().unwrap_or_else(|p| p.into_inner());
            cases
                .iter()
                .filter_map(|id| index.records.get(id).map(|r| (*id, r.clone())))
                .collect()
        };
        if doomed.is_empty() {
            return Ok(Purged::default());
        }
        let mut purged = Purged {
            cases: doomed.len() as u64,
            entries: doomed.values().map(|r| r.entries).sum(),
            notes: doomed.values().map(|r| r.notes).sum(),
            evidence_files: 0,
        };
        self.mark.lower(Counts {
            cases: purged.cases,
            entries: purged.entries,
            notes: purged.notes,
            audit: 0,
        })?;

        // Entries keyed by something else than the case id: one scan of each such tree.
        let owner = |bytes: &[u8]| {
            <[u8; 16]>::try_from(bytes)
                .ok()
                .map(CaseId)
                .filter(|id| doomed.contains_key(id))
        };
        let mut keyed_elsewhere: HashMap<CaseId, [Vec<sled::IVec>; 3]> = HashMap::new();
        for (slot, tree) in [&self.lookup, &self.blobs].into_iter().enumerate() {
            for item in tree.iter() {
                let (key, value) = item?;
                if let Some(id) = owner(&value) {
                    keyed_elsewhere.entry(id).or_default()[slot].push(key);
                }
            }
        }
        for item in self.seen.iter().keys() {
            let key = item?;
            if let Some(id) = owner(&key[key.len().saturating_sub(16)..]) {
                keyed_elsewhere.entry(id).or_default()[2].push(key);
            }
        }

        // Evidence files first: a crash after this leaves a case that is still due, not
        // files that the start-up sweep would quarantine and keep.
        for keys in keyed_elsewhere.values() {
            for key in &keys[1] {
                if let Ok(id) = <[u8; 16]>::try_from(key.as_ref()) {
                    self.files.discard(BlobId::from_bytes(id));
                    purged.evidence_files += 1;
                }
            }
        }
        if purged.evidence_files > 0 && self.durability == Durability::Fsync {
            std::fs::File::open(self.data_dir.join("blobs"))?.sync_all()?;
        }

        let closed = self.db.open_tree(CLOSED)?;
        let no_keys: [Vec<sled::IVec>; 3] = Default::default();
        for id in doomed.keys() {
            let [lookups, blobs, seen] = keyed_elsewhere.get(id).unwrap_or(&no_keys);
            let under = |tree: &sled::Tree| -> StoreResult<Vec<sled::IVec>> {
                Ok(tree
                    .scan_prefix(id.as_bytes())
                    .keys()
                    .collect::<Result<_, _>>()?)
            };
            let (wraps, thread, notes) = (
                under(&self.wraps)?,
                under(&self.thread)?,
                under(&self.notes)?,
            );
            (
                &self.lookup,
                &self.cases,
                &self.wraps,
                &self.thread,
                &self.notes,
                &self.blobs,
                &self.seen,
                &closed,
            )
                .transaction(
                    |(lookup_t, cases_t, wraps_t, thread_t, notes_t, blobs_t, seen_t, closed_t)| {
                        for (tree, keys) in [
                            (lookup_t, lookups),
                            (wraps_t, &wraps),
                            (thread_t, &thread),
                            (notes_t, &notes),
                            (blobs_t, blobs),
                            (seen_t, seen),
                        ] {
                            for key in keys {
                                tree.remove(key)?;
                            }
                        }
                        cases_t.remove(id.as_bytes().as_slice())?;
                        closed_t.remove(id.as_bytes().as_slice())?;
                        Ok::<_, ConflictableTransactionError<StoreError>>(())
                    },
                )
                .map_err(from_tx)?;
        }
        {
            let mut index = self.index.write().unwrap_or_else(|p| p.into_inner());
            for id in doomed.keys() {
                index.remove(*id);
            }
        }
        drop(writing);
        // `commit` would wait for the `upkeep` lock held here: flush and sync directly.
        // The mark was lowered above and the counts only fell since.
        self.db.flush()?;
        if self.durability == Durability::Fsync {
            self.sled_files.sync()?;
        }
        Ok(purged)
    }
}

/// `meta` key of the backup recipients (a list of `age1...` texts).
const BACKUP_RECIPIENTS: &str = "backup_recipients";

/// Tree of the day each closed case was closed (case id → day), for retention.
const CLOSED: &str = "closed";

impl CaseIndex {
    fn remove(&mut self, id: CaseId) {
        if let Some(old) = self.records.remove(&id) {
            self.order.remove(&(old.triage_key(), id));
            self.entries -= old.entries;
            self.notes -= old.notes;
        }
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
}
