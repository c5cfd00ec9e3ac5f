//! Rewriting the store into fresh files, so that a seized disk stops showing the order
//! and the time in which things were written, and so that purged bytes leave the disk.
//!
//! sled 0.34 appends every write to its log and cannot compact on demand: the log keeps
//! deleted records until it reuses their segments, and its byte order follows the order
//! of writes, so that a reporter's message sits between whatever was written just before
//! and after it. A rewrite copies every tree, in key order, into a new sled directory.
//! Tree by tree, what key order says: `lookup`, `cases`, `blobs` and `closed` are keyed
//! by random ids (lookup, case and evidence ids), and `wraps`, `thread` and `notes` by
//! their case's id first, so nothing of when a record was written. Within a case, thread
//! entries and notes follow their sequence numbers, which are in their keys; `seen` is
//! keyed by investigator name, then case id; `audit` follows its sequence numbers, an
//! order the hash chain makes public anyway; `meta` and `investigators` hold no reporter
//! data. sled's default tree is copied too (the store leaves it empty).
//!
//! Steps, each durable before the next, so that a crash at any point leaves a store that
//! opens whole (`finish_interrupted` runs at every open):
//! 1. evidence files (`Blobs::refresh`), then an empty `store.new/`;
//! 2. with every write waiting at the gate, each tree is copied into `store.new/`,
//!    flushed and fsynced, and counted: it must hold exactly what the store holds, and
//!    no less than the high-water mark (`mark.rs`). Else it is discarded;
//! 3. `store.new.done` is written and fsynced: from here the copy is the store;
//! 4. with reads waiting too, `store/` becomes `store.old/`, `store.new/` becomes
//!    `store/`, `store.new.done` goes, and the new store is opened in place;
//! 5. `store.old/` is deleted.
//!
//! At open: a `store.new/` without `store.new.done` is an unfinished copy and is
//! deleted (the store is intact); with it, the swap is finished; a `store.old/` beside
//! a store that opened and passed its mark is deleted.

use std::fs::File;
use std::io;
use std::time::{Duration, Instant};

use super::*;

/// The copy being written.
const NEW: &str = "store.new";
/// Written once the copy is whole and durable.
const DONE: &str = "store.new.done";
/// The store a finished rewrite replaced, until it is deleted.
const OLD: &str = "store.old";

/// How long a rewrite waits for reads in progress before it swaps the directories; it
/// gives up (and keeps the store as it was) rather than wait for ever.
const READERS_WAIT: Duration = Duration::from_secs(10);

/// Debug builds only: a rewrite sleeps this many milliseconds at each of its steps, so
/// that `tests/durability.rs` can kill the process in the middle of one. Release builds
/// never read it.
pub const TEST_PAUSE_VARIABLE: &str = "QUIETLINE_TEST_REWRITE_PAUSE_MS";

fn test_pause() {
    if !cfg!(debug_assertions) {
        return;
    }
    if let Some(ms) = std::env::var(TEST_PAUSE_VARIABLE)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// What a rewrite did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rewritten {
    /// Records copied, over all trees.
    pub records: u64,
    /// Size of the store's directory before and after.
    pub bytes_before: u64,
    pub bytes_after: u64,
    /// Evidence files whose times were reset, and those copied into new files.
    pub evidence_files: u64,
    pub evidence_copied: u64,
    /// How long writes waited at the gate (the trees' copy and the swap).
    pub writes_paused: Duration,
}

impl SledStore {
    /// Rewrites the evidence files' times and the store into fresh files (see above).
    /// Writes wait while the trees are copied, reads only while the directories swap.
    pub(super) fn rewrite_all(&self) -> StoreResult<Rewritten> {
        let dir = &self.data_dir;
        let new = dir.join(NEW);
        discard_unfinished(dir)?;
        // The birth time of the store directory is when the last rewrite made it.
        let since = std::fs::metadata(dir.join("store"))
            .and_then(|m| m.created())
            .ok();
        let evidence = self
            .files
            .refresh(since, || disk::create_private_dir(&new))?;
        test_pause();
        let mut done = self.rewrite_trees(&new)?;
        done.evidence_files = evidence.files;
        done.evidence_copied = evidence.copied;
        Ok(done)
    }

    fn rewrite_trees(&self, new: &Path) -> StoreResult<Rewritten> {
        let dir = &self.data_dir;
        let store = dir.join("store");
        let bytes_before = size_of(&store);
        let gate = self.gate.write().unwrap_or_else(|p| p.into_inner());
        let paused = Instant::now();
        let old = self.trees();
        let copied = self.copy_into(&old, new);
        let records = match copied {
            Ok(records) => records,
            Err(e) => {
                let _ = std::fs::remove_dir_all(new);
                return Err(e);
            }
        };
        test_pause();
        sync_dir(dir)?;
        durable_file(&dir.join(DONE))?;
        sync_dir(dir)?;
        test_pause();

        let mut slot = self.trees.write().unwrap_or_else(|p| p.into_inner());
        drop(old);
        let waiting = Instant::now();
        while Arc::strong_count(&slot) > 1 {
            if waiting.elapsed() > READERS_WAIT {
                drop(slot);
                std::fs::remove_file(dir.join(DONE))?;
                sync_dir(dir)?;
                let _ = std::fs::remove_dir_all(new);
                return Err(StoreError::Io(io::Error::other(
                    "reads held the store for too long; the rewrite was abandoned and the \
                     store kept as it was",
                )));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let swapped = swap(dir).and_then(|()| {
            let db = reopen(&store)?;
            Trees::of(db, &store)
        });
        match swapped {
            Ok(trees) => *slot = Arc::new(trees),
            Err(e) => {
                // The old trees still answer reads from the files they hold open; a
                // restart opens the new store, which is whole.
                return Err(self
                    .guard
                    .fail(format!("reopening the rewritten store: {e}")));
            }
        }
        drop(slot);
        drop(gate);
        let writes_paused = paused.elapsed();
        test_pause();
        remove_old_copy(dir);
        Ok(Rewritten {
            records,
            bytes_before,
            bytes_after: size_of(&store),
            writes_paused,
            ..Rewritten::default()
        })
    }

    /// Copies every tree of `old` into a new sled store in `new`, durably, and checks
    /// that it holds what this store holds (called with writes held at the gate).
    fn copy_into(&self, old: &Trees, new: &Path) -> StoreResult<u64> {
        let db = open_sled(new)?;
        let mut records = 0;
        for name in old.db.tree_names() {
            let from = old.db.open_tree(&name)?;
            let to = db.open_tree(&name)?;
            let mut batch = sled::Batch::default();
            for (n, item) in from.iter().enumerate() {
                let (key, value) = item?;
                batch.insert(key, value);
                records += 1;
                if n % 1000 == 999 {
                    to.apply_batch(std::mem::take(&mut batch))?;
                }
            }
            to.apply_batch(batch)?;
        }
        db.flush()?;
        let trees = Trees::of(db, new)?;
        trees.sled_files.sync()?;
        let held = count(&trees)?;
        let expected = self.counts();
        let mark = self.mark.current().map(|m| m.counts);
        if held != expected || mark.is_some_and(|mark| held.below(mark)) {
            return Err(StoreError::Corrupt(format!(
                "the rewritten store holds {}, but the store holds {}; the rewrite was \
                 abandoned and the store kept as it was",
                held.describe(),
                expected.describe()
            )));
        }
        Ok(records)
    }
}

/// Opens the rewritten store in place. sled's background threads may hold its lock a
/// moment after the copy was closed: a lock is waited for, briefly.
fn reopen(store: &Path) -> StoreResult<sled::Db> {
    let waiting = Instant::now();
    loop {
        match open_sled(store) {
            Ok(db) => return Ok(db),
            Err(sled::Error::Io(e))
                if waiting.elapsed() < READERS_WAIT
                    && (e.kind() == io::ErrorKind::WouldBlock
                        || e.to_string().contains("lock")) =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// What a store's trees hold, by the counters of the high-water mark, read from sled.
fn count(trees: &Trees) -> StoreResult<Counts> {
    let mut counts = Counts::default();
    for item in trees.cases.iter() {
        let record: CaseRecord = decode(&item?.1)?;
        counts.cases += 1;
        counts.entries += record.entries;
        counts.notes += record.notes;
    }
    counts.audit = match trees.audit.last()? {
        Some((_, bytes)) => decode::<audit::Sealed>(&bytes)?.entry.seq + 1,
        None => 0,
    };
    Ok(counts)
}

/// Steps 4: `store/` → `store.old/`, `store.new/` → `store/`, then `store.new.done`
/// goes; each step fsynced.
fn swap(dir: &Path) -> StoreResult<()> {
    std::fs::rename(dir.join("store"), dir.join(OLD))?;
    test_pause();
    std::fs::rename(dir.join(NEW), dir.join("store"))?;
    sync_dir(dir)?;
    std::fs::remove_file(dir.join(DONE))?;
    sync_dir(dir)?;
    Ok(())
}

/// Brings a data directory whose rewrite was interrupted back to one store (see the
/// module's doc). Called at open, with the data directory locked, before sled opens.
pub(super) fn finish_interrupted(dir: &Path) -> StoreResult<()> {
    let (store, new, done, old) = (
        dir.join("store"),
        dir.join(NEW),
        dir.join(DONE),
        dir.join(OLD),
    );
    if done.exists() {
        if new.exists() {
            if store.exists() {
                if old.exists() {
                    return Err(StoreError::Corrupt(format!(
                        "{}, {} and {} are all there: a rewrite was interrupted in a way \
                         quietline does not know; nothing was changed. Keep a copy of the \
                         data directory and restore from a backup",
                        store.display(),
                        new.display(),
                        old.display()
                    )));
                }
                std::fs::rename(&store, &old)?;
            }
            std::fs::rename(&new, &store)?;
            sync_dir(dir)?;
        }
        std::fs::remove_file(&done)?;
        sync_dir(dir)?;
        tracing::warn!("finished a rewrite of the store that a stop had interrupted");
    } else if new.exists() {
        std::fs::remove_dir_all(&new)?;
        sync_dir(dir)?;
        tracing::warn!(
            "deleted an unfinished rewrite of the store that a stop had interrupted; the \
             store is as it was before it"
        );
    }
    if !store.exists() && old.exists() {
        std::fs::rename(&old, &store)?;
        sync_dir(dir)?;
    }
    Ok(())
}

/// A rewrite that failed before its copy was done leaves it: delete it (the store in use
/// is whole), and the `store.old/` a finished one may have left.
fn discard_unfinished(dir: &Path) -> StoreResult<()> {
    if !dir.join(DONE).exists() && dir.join(NEW).exists() {
        std::fs::remove_dir_all(dir.join(NEW))?;
    }
    remove_old_copy(dir);
    Ok(())
}

/// Deletes the store a finished rewrite replaced, if it is still there: it holds the
/// bytes the rewrite was for. Called once the store in use opened and passed its mark.
pub(super) fn remove_old_copy(dir: &Path) {
    let old = dir.join(OLD);
    if !old.exists() {
        return;
    }
    match std::fs::remove_dir_all(&old).and_then(|()| sync_dir(dir)) {
        Ok(()) => tracing::info!("deleted the store a rewrite replaced"),
        Err(e) => tracing::warn!(
            error = %e,
            "could not delete the store a rewrite replaced; deleting it again at the next rewrite"
        ),
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates an empty file, fsynced.
fn durable_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, disk::FILE_MODE);
    options.open(path)?.sync_all()
}

/// Bytes of the regular files under `dir`, for the log and the bench.
fn size_of(dir: &Path) -> u64 {
    let mut total = 0;
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => pending.push(entry.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}
