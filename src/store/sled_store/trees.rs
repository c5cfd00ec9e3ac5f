//! The sled database behind a [`SledStore`](super::SledStore): its trees, opened
//! together so that a rewrite can replace them whole, the pass a write holds while it
//! uses them, and the lock that keeps a data directory to one process.

use std::path::Path;
use std::sync::Arc;

use super::super::disk::{self, SledFiles};
use super::{StoreError, StoreResult};

/// One sled database and its trees, as opened from one directory.
pub(super) struct Trees {
    pub(super) db: sled::Db,
    /// sled's own files, fsynced after each flush.
    pub(super) sled_files: SledFiles,
    pub(super) meta: sled::Tree,
    pub(super) lookup: sled::Tree,
    pub(super) cases: sled::Tree,
    pub(super) wraps: sled::Tree,
    pub(super) thread: sled::Tree,
    pub(super) notes: sled::Tree,
    /// blob id → case id, for evidence files of committed messages.
    pub(super) blobs: sled::Tree,
    pub(super) investigators: sled::Tree,
    pub(super) seen: sled::Tree,
    pub(super) audit: sled::Tree,
}

impl Trees {
    /// Opens the trees of the sled database in `dir` (already opened as `db`).
    pub(super) fn of(db: sled::Db, dir: &Path) -> StoreResult<Trees> {
        Ok(Trees {
            meta: db.open_tree("meta")?,
            lookup: db.open_tree("lookup")?,
            cases: db.open_tree("cases")?,
            wraps: db.open_tree("wraps")?,
            thread: db.open_tree("thread")?,
            notes: db.open_tree("notes")?,
            blobs: db.open_tree("blobs")?,
            investigators: db.open_tree("investigators")?,
            seen: db.open_tree("seen")?,
            audit: db.open_tree("audit")?,
            sled_files: SledFiles::open(dir)?,
            db,
        })
    }
}

/// Opens the sled database in `dir` the way the store uses it.
pub(super) fn open_sled(dir: &Path) -> sled::Result<sled::Db> {
    sled::Config::new()
        .path(dir)
        // The store fsyncs after each write itself; sled's timer-driven fsync would
        // only hide a write path that forgot to.
        .flush_every_ms(None)
        .open()
}

/// A write's pass through the gate, with the trees it writes to.
pub(super) struct Passing<'a> {
    pub(super) _gate: std::sync::RwLockReadGuard<'a, ()>,
    pub(super) trees: Arc<Trees>,
}

impl std::ops::Deref for Passing<'_> {
    type Target = Trees;
    fn deref(&self) -> &Trees {
        &self.trees
    }
}

/// Locks `store.lock` in the data directory for this process, or says who holds it.
pub(super) fn lock_data_dir(dir: &Path) -> StoreResult<std::fs::File> {
    use fs2::FileExt;
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, disk::FILE_MODE);
    let file = options.open(dir.join("store.lock"))?;
    file.try_lock_exclusive()
        .map_err(|_| StoreError::Locked(dir.display().to_string()))?;
    Ok(file)
}
