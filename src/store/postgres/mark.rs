//! The high-water mark of a PostgreSQL store: what this instance knows the database
//! acknowledged, kept in `database.mark` in the instance's own `--data-dir` (the file of
//! `store/mark.rs`, same format), so that a database restored from an older dump, which
//! PostgreSQL serves without a word, is refused at the next start instead of telling the
//! reporters of the lost cases that their token matches nothing.
//!
//! **What is counted.** Cases, thread entries and internal notes *ever* stored: the rows
//! the tables hold plus what retention purged, which each purge adds to the `purged` row
//! of `meta` in its own transaction (`upkeep.rs`); and audit entries (the next sequence
//! number: the chain is never purged). These only grow, whichever instance writes or
//! purges, so every instance's mark stays at or below them, and a purge on one instance
//! needs no word to the others' marks (sled lowers its mark before a purge instead; it has
//! one process). A restored dump brings back its own older `purged` row with its older
//! tables: its totals are below the mark.
//!
//! **How it rises, cheaply.** No extra statement per write: each write that adds a case,
//! an entry or a note knows what it added, and an audit append knows its sequence number.
//! The mark is a snapshot of the totals (read at start, and again at each watchdog probe,
//! every 30 s, off the request path) plus what this instance committed since that
//! snapshot. A write counts only if its commit began after the snapshot had returned, so
//! that it is not counted twice: one whose commit overlapped a new snapshot's read is left
//! to the next read (within 30 s).
//!
//! **Durability of the mark.** Each raise is one `pwrite` and one `fdatasync` of the
//! local file, before the write is answered, as sled's is: the promise is that a restore
//! that lost an acknowledged write is noticed, and that must hold across a power cut of
//! the instance's machine too. Measured in `benches/postgres.rs` (this machine, against
//! a handle without a mark in the same run): new cases from one thread 572/s against
//! 685/s in one run, 830/s against 864/s in another; four threads within the noise; with
//! the `fdatasync` left to the 30 s snapshot instead, within 2%. A mark that cannot be
//! written is logged, not answered as an error: the write is committed, and a reporter
//! must get their token.
//!
//! **Two instances** each keep their own mark (each covers what it acknowledged and what
//! it read from the others); each refuses a database below its own.

use std::path::Path;
use std::sync::Mutex;

use postgres::GenericClient;

use super::{PgStore, decode, failed};
use crate::store::mark::{Counts, MarkFile};
use crate::store::{StoreError, StoreResult};

/// The file's name in the data directory: not sled's `store.mark`, so that a data
/// directory moved between backends never reads one backend's mark as the other's.
const MARK_FILE: &str = "database.mark";

/// The key of the `meta` row that sums what retention purged.
pub(super) const PURGED_KEY: &str = "purged";

/// The mark and what the next raise may claim.
pub(super) struct PgMark {
    file: MarkFile,
    counting: Mutex<Counting>,
}

#[derive(Default)]
struct Counting {
    /// Which snapshot `base` is; a write compares it before and after its commit.
    generation: u64,
    /// The totals the last snapshot read.
    base: Counts,
    /// What this instance committed after that snapshot had returned.
    since: Counts,
    /// Audit entries known to exist (an appended sequence number plus one).
    audit_floor: u64,
}

/// What one committed write added, and when it started (see [`PgMark::begin`]).
pub(super) struct Added {
    pub generation: u64,
    pub counts: Counts,
}

/// The totals the mark is compared with, read in one statement (one snapshot).
pub(super) fn totals(client: &mut impl GenericClient) -> StoreResult<Counts> {
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM thread),
                    (SELECT count(*) FROM notes), (SELECT coalesce(max(seq) + 1, 0) FROM audit),
                    (SELECT value FROM meta WHERE key = $1)",
            &[&PURGED_KEY],
        )
        .map_err(failed)?;
    let n = |i: usize| u64::try_from(row.get::<_, i64>(i)).unwrap_or(0);
    let purged: Counts = row
        .get::<_, Option<Vec<u8>>>(4)
        .map(|bytes| decode(&bytes))
        .transpose()?
        .unwrap_or_default();
    Ok(Counts {
        cases: n(0) + purged.cases,
        entries: n(1) + purged.entries,
        notes: n(2) + purged.notes,
        audit: n(3),
    })
}

impl PgMark {
    /// Opens the mark of `data_dir` and checks the database's totals against it: below
    /// it, the start is refused, unless `accept_loss`, which lowers the mark to them and
    /// says what was lost. Returns the mark and, if a loss was accepted, (held, mark).
    pub(super) fn open(
        data_dir: &Path,
        held: Counts,
        accept_loss: bool,
    ) -> StoreResult<(PgMark, Option<(Counts, Counts)>)> {
        let path = data_dir.join(MARK_FILE);
        let file = MarkFile::open(&path)?;
        let mut accepted = None;
        if let Some(mark) = file.current()
            && held.below(mark.counts)
        {
            if !accept_loss {
                return Err(StoreError::DatabaseShrunk {
                    held,
                    mark: mark.counts,
                    mark_file: path,
                });
            }
            tracing::warn!(
                held = held.describe(),
                mark = mark.counts.describe(),
                "opening a database that lost data, as asked; lowering this instance's high-water mark"
            );
            file.reset(held)?;
            accepted = Some((held, mark.counts));
        }
        file.raise(held, None, true)?;
        let mark = PgMark {
            file,
            counting: Mutex::new(Counting {
                base: held,
                ..Counting::default()
            }),
        };
        Ok((mark, accepted))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counting> {
        // Each update is a few assignments that cannot panic half-way.
        self.counting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Called before a write's transaction starts: which snapshot it follows.
    pub(super) fn begin(&self, counts: Counts) -> Added {
        Added {
            generation: self.lock().generation,
            counts,
        }
    }

    /// Called after the write committed: counts it if no snapshot was read meanwhile
    /// (else the next snapshot counts it), and raises the file, durably.
    pub(super) fn committed(&self, added: Added) {
        let claim = {
            let mut counting = self.lock();
            if counting.generation == added.generation {
                let since = &mut counting.since;
                since.cases += added.counts.cases;
                since.entries += added.counts.entries;
                since.notes += added.counts.notes;
            }
            counting.claim()
        };
        self.raise(claim);
    }

    /// An audit entry of sequence `seq` is committed: the chain holds at least `seq + 1`.
    pub(super) fn audited(&self, seq: u64) {
        let claim = {
            let mut counting = self.lock();
            counting.audit_floor = counting.audit_floor.max(seq + 1);
            counting.claim()
        };
        self.raise(claim);
    }

    /// Takes in a new snapshot of the totals (the other instances' writes with it).
    pub(super) fn refresh(&self, totals: Counts) {
        let claim = {
            let mut counting = self.lock();
            counting.generation += 1;
            counting.base = totals;
            counting.since = Counts::default();
            counting.claim()
        };
        self.raise(claim);
    }

    fn raise(&self, claim: Counts) {
        if let Err(e) = self.file.raise(claim, None, true) {
            tracing::error!(
                error = %e,
                file = %self.file.path().display(),
                "the high-water mark could not be raised; a restore that loses this write may go unnoticed"
            );
        }
    }
}

impl Counting {
    /// What the mark may claim now: never more than the database holds.
    fn claim(&self) -> Counts {
        Counts {
            cases: self.base.cases + self.since.cases,
            entries: self.base.entries + self.since.entries,
            notes: self.base.notes + self.since.notes,
            audit: self.base.audit.max(self.audit_floor),
        }
    }
}

/// What a write adds to the totals.
pub(super) const fn added(cases: u64, entries: u64, notes: u64) -> Counts {
    Counts {
        cases,
        entries,
        notes,
        audit: 0,
    }
}

impl PgStore {
    /// [`PgStore::write`] of a transaction that adds `adds` to the totals: once it
    /// committed, the mark rises (see the module's doc).
    pub(super) fn write_counted<R>(
        &self,
        adds: Counts,
        work: impl FnOnce(&mut postgres::Transaction<'_>) -> StoreResult<R>,
    ) -> StoreResult<R> {
        let Some(mark) = &self.mark else {
            return self.write(work);
        };
        let started = mark.begin(adds);
        let result = self.write(work)?;
        mark.committed(started);
        Ok(result)
    }

    /// Audit entry `seq` is committed: the mark rises to cover it.
    pub(super) fn audited(&self, seq: u64) {
        if let Some(mark) = &self.mark {
            mark.audited(seq);
        }
    }

    /// Reads the totals again and raises the mark to them (from the watchdog's probe).
    pub(super) fn refresh_mark(&self) -> StoreResult<()> {
        let Some(mark) = &self.mark else {
            return Ok(());
        };
        let totals = totals(&mut *self.pool.get()?)?;
        mark.refresh(totals);
        Ok(())
    }

    /// The totals and the mark, if this store was opened despite a loss (`serve
    /// --accept-data-loss`): (held, had acknowledged).
    pub fn accepted_loss(&self) -> Option<(Counts, Counts)> {
        self.accepted_loss
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(cases: u64) -> Counts {
        Counts {
            cases,
            entries: cases,
            notes: 0,
            audit: 2,
        }
    }

    #[test]
    fn a_database_below_the_mark_is_refused_unless_the_loss_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let (mark, _) = PgMark::open(dir.path(), counts(3), false).unwrap();
        mark.committed(mark.begin(counts(1)));
        drop(mark);
        // The database came back with the three cases it had at start, not four.
        let refused = PgMark::open(dir.path(), counts(3), false)
            .err()
            .expect("refused");
        let said = refused.to_string();
        assert!(said.contains("at least 1 case, 1 thread entry"), "{said}");
        assert!(said.contains("--accept-data-loss"), "{said}");
        let (_, accepted) = PgMark::open(dir.path(), counts(3), true).unwrap();
        assert_eq!(accepted, Some((counts(3), counts(4))));
        assert!(PgMark::open(dir.path(), counts(3), false).is_ok());
    }

    #[test]
    fn a_write_that_overlapped_a_snapshot_is_left_to_the_next_one() {
        let dir = tempfile::tempdir().unwrap();
        let (mark, _) = PgMark::open(dir.path(), counts(3), false).unwrap();
        let racing = mark.begin(counts(1));
        // A snapshot read while it committed may or may not hold it: not counted twice.
        mark.refresh(counts(4));
        mark.committed(racing);
        assert_eq!(mark.file.current().unwrap().counts, counts(4));
        mark.committed(mark.begin(counts(1)));
        assert_eq!(mark.file.current().unwrap().counts, counts(5));
        mark.audited(9);
        assert_eq!(mark.file.current().unwrap().counts.audit, 10);
    }
}
