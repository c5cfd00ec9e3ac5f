//! What the PostgreSQL store does for its own upkeep, beside keeping records: the clock
//! check that sled's write guard does (the newest day stored is a row of `meta`, shared
//! by every instance), backup recipients, the closure days and purges of retention.
//! quietline's own snapshots are not written for this backend: the database's tools
//! back it up.

use postgres::Transaction;

use super::records::to_u64;
use super::{PgStore, decode, encode, failed};
use crate::case::{CaseRecord, Day};
use crate::store::{
    CaseId, MAX_DAYS_AHEAD, Purged, SnapshotSummary, StoreError, StoreResult, Upkeep,
};

impl PgStore {
    /// The newest day the store holds a write of, as the clock check knows it.
    pub fn newest_day(&self) -> StoreResult<Option<Day>> {
        self.meta("newest_day")?
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    /// Takes the clock as right (`serve --accept-clock`): today becomes the newest day.
    pub fn accept_clock(&self, today: Day) -> StoreResult<()> {
        self.write(|tx| set_newest_day(tx, today))?;
        self.clock_refused
            .store(false, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// Whether `today` may be stamped: not before the newest day stored, not more than
    /// [`MAX_DAYS_AHEAD`] after it; a plausible later day becomes the newest (one write a
    /// day). Shared by every instance: one with a wrong clock is refused, whichever it
    /// is. A refusal is logged once until the clock is right again.
    pub(super) fn check_day(&self, today: Day) -> StoreResult<()> {
        use std::sync::atomic::Ordering;
        // A plain read on every check; the row is locked and written only on the first
        // check of a new day.
        let refusal = match self.newest_day()? {
            Some(newest) if today < newest => Some(StoreError::ClockBehind { today, newest }),
            Some(newest) if newest.days_until(today) > MAX_DAYS_AHEAD => {
                Some(StoreError::ClockAhead { today, newest })
            }
            Some(newest) if newest == today => None,
            _ => {
                self.write(|tx| {
                    let newest: Option<Day> = tx
                        .query_opt(
                            "SELECT value FROM meta WHERE key = 'newest_day' FOR UPDATE",
                            &[],
                        )
                        .map_err(failed)?
                        .map(|r| decode(r.get(0)))
                        .transpose()?;
                    if newest.is_none_or(|newest| newest < today) {
                        set_newest_day(tx, today)?;
                    }
                    Ok(())
                })?;
                None
            }
        };
        match refusal {
            Some(refusal) => {
                if !self.clock_refused.swap(true, Ordering::SeqCst) {
                    tracing::error!(
                        "refusing to stamp writes: {refusal}. Fix the clock, or, if it is \
                         right, restart with --accept-clock"
                    );
                }
                Err(refusal)
            }
            None => {
                if self.clock_refused.swap(false, Ordering::SeqCst) {
                    tracing::info!("the clock is plausible again; writes go ahead");
                }
                Ok(())
            }
        }
    }
}

fn set_newest_day(tx: &mut Transaction<'_>, day: Day) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('newest_day', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&encode(&day)?],
    )
    .map_err(failed)?;
    Ok(())
}

impl Upkeep for PgStore {
    fn backup_recipients(&self) -> StoreResult<Vec<String>> {
        let rows = self
            .pool
            .get()?
            .query(
                "SELECT recipient FROM backup_recipients ORDER BY recipient",
                &[],
            )
            .map_err(failed)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn add_backup_recipient(&self, recipient: &str) -> StoreResult<bool> {
        self.write(|tx| {
            let inserted = tx
                .execute(
                    "INSERT INTO backup_recipients (recipient) VALUES ($1) ON CONFLICT DO NOTHING",
                    &[&recipient],
                )
                .map_err(failed)?;
            Ok(inserted > 0)
        })
    }

    fn write_snapshot(&self, _out: &mut dyn std::io::Write) -> StoreResult<SnapshotSummary> {
        Err(StoreError::Unsupported(
            "quietline's own backups are not written for a PostgreSQL store yet: back the \
             database up with the database's tools (pg_dump, or continuous archiving)",
        ))
    }

    fn closed_on(&self, case: CaseId) -> StoreResult<Option<Day>> {
        let row = self
            .pool
            .get()?
            .query_opt(
                "SELECT closed_on FROM cases WHERE id = $1",
                &[&case.as_bytes().as_slice()],
            )
            .map_err(failed)?;
        row.and_then(|r| r.get::<_, Option<Vec<u8>>>(0))
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    fn set_closed_on(&self, case: CaseId, day: Option<Day>) -> StoreResult<()> {
        let bytes = day.map(|d| encode(&d)).transpose()?;
        self.write(|tx| {
            tx.execute(
                "UPDATE cases SET closed_on = $2 WHERE id = $1",
                &[&case.as_bytes().as_slice(), &bytes],
            )
            .map_err(failed)?;
            Ok(())
        })
    }

    fn purge_cases(&self, cases: &[CaseId]) -> StoreResult<Purged> {
        let mut purged = Purged::default();
        for case in cases {
            // One transaction per case; its wraps, thread, notes, marks and evidence go
            // with it (ON DELETE CASCADE).
            self.write(|tx| {
                let Some(row) = tx
                    .query_opt(
                        "SELECT record, (SELECT count(*) FROM blobs WHERE case_id = $1)
                         FROM cases WHERE id = $1 FOR UPDATE",
                        &[&case.as_bytes().as_slice()],
                    )
                    .map_err(failed)?
                else {
                    return Ok(());
                };
                let record: CaseRecord = decode(row.get(0))?;
                tx.execute(
                    "DELETE FROM cases WHERE id = $1",
                    &[&case.as_bytes().as_slice()],
                )
                .map_err(failed)?;
                purged.cases += 1;
                purged.entries += record.entries;
                purged.notes += record.notes;
                purged.evidence_files += to_u64(row.get(1));
                Ok(())
            })?;
        }
        Ok(purged)
    }
}
