//! The embedded default store, on sled.
//!
//! Trees: `meta` (schema version, KDF settings, token-check key), `lookup` (lookup id →
//! case id), `cases` (case id → record), `wraps` (case id ‖ holder → wrapped case key),
//! `thread` and `notes` (case id ‖ big-endian sequence → entry), `investigators` (name →
//! record), `seen` (name ‖ 0 ‖ case id → entries seen), `audit` (big-endian sequence →
//! sealed entry). Values are postcard.
//!
//! Each write is one sled transaction followed by [`SledStore::commit`]: sled's flush, an
//! fsync of sled's files (see `disk.rs`: the flush alone does not survive a power cut) and
//! a raise of the high-water mark (see `mark.rs`), so it is durable, and would be missed
//! if lost, when the method returns.
//!
//! This file opens the store and keeps its invariants (high-water mark, the case index,
//! durable commits); `format.rs` keeps its format version and migrates an older one
//! after copying it; `records.rs` implements the [`Store`] trait over the trees,
//! and `upkeep.rs` backups and retention.

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

use super::disk;
use super::guard::{Reserve, Room, WriteGuard};
use super::mark::{Counts, MarkFile};
use super::snapshot::{self, SnapshotSummary};
use super::{
    BlobId, Blobs, CaseId, Holder, InvestigatorRecord, NewCase, NoteEntry, Purged, Store,
    StoreError, StoreResult, Sweep, ThreadEntry,
};
use crate::audit;
use crate::case::{CaseRecord, Day, TransitionError, TriageKey};
use crate::crypto::{KdfSettings, LookupId, TokenCheckKey, Wrap};

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
    /// An exclusive lock on `store.lock` in the data directory, held while open.
    _lock: std::fs::File,
    /// sled's database and its trees. Readers clone the `Arc` and let go of the lock at
    /// once; a rewrite (`rewrite.rs`) replaces it whole, holding the lock only while it
    /// swaps the directories, so reads wait for the swap and never see a closed store.
    trees: RwLock<Arc<Trees>>,
    /// Held for reading by every write, from before it picks the trees it writes to until
    /// it is durable, and for writing by a rewrite while it copies the trees: a write
    /// during a rewrite waits for it, and never lands in the copy being replaced. Never
    /// taken twice by one thread (a write that calls another works on the `Trees` it has).
    gate: RwLock<()>,
    data_dir: PathBuf,
    durability: Durability,
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
    files: Blobs,
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
        Self::open_with_formats(dir, options, Formats::BUILT)
    }

    /// [`SledStore::open_with`], knowing the formats `formats` (tests pass fake ones).
    fn open_with_formats(dir: &Path, options: OpenOptions, formats: Formats) -> StoreResult<Self> {
        let opened_at = SystemTime::now();
        disk::create_private_dir(dir)?;
        disk::make_private(dir)?;
        // One process at a time: sled locks its own log too, but a rewrite moves it, and
        // `finish_interrupted` must not touch a directory another process is using.
        let lock = lock_data_dir(dir)?;
        rewrite::finish_interrupted(dir)?;
        let db = open_sled(&dir.join("store")).map_err(|e| match &e {
            sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock => {
                StoreError::Locked(dir.display().to_string())
            }
            sled::Error::Io(io) if io.to_string().contains("lock") => {
                StoreError::Locked(dir.display().to_string())
            }
            _ => damaged(dir, e.into()),
        })?;
        // Investigator sessions once lived here, with second-precise times beside the
        // reporters' writes; they live in memory now, and old records are dropped.
        if db
            .tree_names()
            .iter()
            .any(|name| name.as_ref() == b"sessions")
        {
            db.drop_tree("sessions")?;
        }
        let mark = MarkFile::open(&dir.join("store.mark")).map_err(|e| damaged(dir, e.into()))?;
        let reserve = Arc::new(Reserve::new(dir.to_owned(), options.min_free_bytes));
        let guard = WriteGuard::new(reserve.clone(), mark.current().map(|m| m.day));
        let mut store = SledStore {
            _lock: lock,
            trees: RwLock::new(Arc::new(Trees::of(db, &dir.join("store"))?)),
            gate: RwLock::new(()),
            files: Blobs::open(dir, reserve)?,
            audit_lock: Mutex::new(()),
            index: RwLock::new(CaseIndex::default()),
            case_writes: Mutex::new(()),
            upkeep: RwLock::new(()),
            data_dir: dir.to_owned(),
            durability: options.durability,
            mark,
            guard,
            no_sweep: None,
            accepted_loss: None,
            opened_at,
            audit_next: AtomicU64::new(0),
        };
        let format = store.format()?;
        if format.is_none() {
            store.check_new_store_is_first()?;
            store.no_sweep = Some("the store is new");
        }
        store.load_index().map_err(|e| damaged(dir, e))?;
        store.check_mark(options.accept_loss)?;
        store.migrate(format, formats)?;
        let counts = store.counts();
        if counts.cases == 0 && store.no_sweep.is_none() {
            store.no_sweep = Some("the store holds no cases");
        }
        store.commit()?;
        rewrite::remove_old_copy(dir);
        tracing::info!(
            cases = counts.cases,
            entries = counts.entries,
            notes = counts.notes,
            audit = counts.audit,
            "store opened"
        );
        Ok(store)
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
        let t = self.trees();
        let mut index = CaseIndex::default();
        for item in t.cases.iter() {
            let (key, value) = item?;
            let id: [u8; 16] = key
                .as_ref()
                .try_into()
                .map_err(|_| StoreError::Corrupt("bad case key".into()))?;
            index.put(CaseId(id), decode(&value)?);
        }
        *self.index.write().unwrap_or_else(|p| p.into_inner()) = index;
        let next = match t.audit.last()? {
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

    /// The trees as they are now, for a read. Take them once per call: a rewrite waits
    /// for every copy to be dropped before it swaps the directories.
    fn trees(&self) -> Arc<Trees> {
        self.trees.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Lets a write through the gate (waiting for a rewrite in progress) and gives it the
    /// trees to write to.
    fn passing(&self) -> Passing<'_> {
        let gate = self.gate.read().unwrap_or_else(|p| p.into_inner());
        Passing {
            _gate: gate,
            trees: self.trees(),
        }
    }

    /// Runs a write through the gate and the write guard (see `guard.rs`). Waiting at
    /// the gate does not count as a stalled write.
    fn gated<T>(&self, room: Room, body: impl FnOnce(&Trees) -> StoreResult<T>) -> StoreResult<T> {
        let passing = self.passing();
        self.guard.write(room, || body(&passing))
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
        let t = self.trees();
        let counts = self.counts();
        t.db.flush()?;
        let sync = self.durability == Durability::Fsync;
        if sync {
            t.sled_files.sync()?;
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
        let t = self.trees();
        let sweep = self.files.sweep(
            |id| {
                t.blobs
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

/// `meta` key of the token-check key (`crypto::TokenCheckKey`'s stored form).
const TOKEN_KEY: &str = "token_check_key";

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

mod export;
mod format;
mod records;
mod rewrite;
mod trees;
mod upkeep;

use trees::{Passing, Trees, lock_data_dir, open_sled};

pub use rewrite::Rewritten;

use format::Formats;
#[cfg(test)]
use format::{FORMAT_VERSION, MIGRATIONS, Migration};

#[cfg(test)]
mod tests;
