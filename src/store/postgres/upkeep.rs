//! What the PostgreSQL store does for its own upkeep, beside keeping records: the clock
//! check that sled's write guard does (the newest day stored is a row of `meta`, shared
//! by every instance), backup recipients, the closure days and purges of retention.
//! quietline's own snapshots are not written for this backend: the database's tools
//! back it up.

use postgres::Transaction;

use super::mark::PURGED_KEY;
use super::records::to_u64;
use super::{PgStore, decode, encode, failed};
use crate::case::{CaseRecord, Day};
use crate::crypto::TokenCheckKey;
use crate::store::{
    CaseId, Counts, MAX_DAYS_AHEAD, Purged, Rewritten, SnapshotSummary, StoreError, StoreResult,
    Upkeep,
};

impl PgStore {
    /// The deployment's token-check key, made by the first instance to start (as the KDF
    /// settings are); the others read it.
    pub(super) fn token_key_once(&self, proposed: TokenCheckKey) -> StoreResult<TokenCheckKey> {
        let bytes = proposed.to_bytes();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('token_check_key', $1) ON CONFLICT DO NOTHING",
                &[&bytes.as_slice()],
            )
            .map_err(failed)?;
            let row = tx
                .query_one("SELECT value FROM meta WHERE key = 'token_check_key'", &[])
                .map_err(failed)?;
            let stored: zeroize::Zeroizing<Vec<u8>> = zeroize::Zeroizing::new(row.get(0));
            TokenCheckKey::from_bytes(&stored)
                .ok_or_else(|| StoreError::Corrupt("the token-check key is unreadable".into()))
        })
    }

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

/// Adds `purged` to the `purged` row of `meta`, under its row lock, so that purges on
/// two instances add up. The row is made first if missing (an insert that waits for a
/// concurrent one), so that there is always a row to lock.
fn count_purged(tx: &mut Transaction<'_>, purged: Counts) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&PURGED_KEY, &encode(&Counts::default())?],
    )
    .map_err(failed)?;
    let row = tx
        .query_one(
            "SELECT value FROM meta WHERE key = $1 FOR UPDATE",
            &[&PURGED_KEY],
        )
        .map_err(failed)?;
    let before: Counts = decode(row.get(0))?;
    let after = Counts {
        cases: before.cases + purged.cases,
        entries: before.entries + purged.entries,
        notes: before.notes + purged.notes,
        audit: 0,
    };
    tx.execute(
        "UPDATE meta SET value = $2 WHERE key = $1",
        &[&PURGED_KEY, &encode(&after)?],
    )
    .map_err(failed)?;
    Ok(())
}

/// The tables that hold records, rewritten whole by `VACUUM FULL` at each scheduled
/// rewrite. Evidence chunks are not among them: their table can be large, and `VACUUM
/// FULL` holds an exclusive lock while it copies.
const RECORD_TABLES: &str =
    "meta, cases, wraps, thread, notes, investigators, seen, audit, backup_recipients, blobs";

impl Upkeep for PgStore {
    /// `VACUUM FULL` of the record tables writes them into fresh files, so purged rows
    /// leave the disk and the files' order no longer follows write order; writes from
    /// every instance wait for its lock meanwhile (milliseconds at thousands of cases).
    /// The evidence chunks get a plain `VACUUM`: their dead rows are marked free and
    /// overwritten by later uploads, not removed at once. The write-ahead log keeps
    /// deleted rows until the server recycles its segments (after the next checkpoints),
    /// and replicas and `pg_dump`s keep what they copied: SECURITY.md says so.
    fn rewrite(&self) -> StoreResult<Rewritten> {
        let mut conn = self.pool.get()?;
        let size = |conn: &mut postgres::Client| -> StoreResult<u64> {
            let row = conn
                .query_one("SELECT pg_database_size(current_database())", &[])
                .map_err(failed)?;
            Ok(to_u64(row.get::<_, i64>(0)))
        };
        let bytes_before = size(&mut conn)?;
        // VACUUM runs outside a transaction, and may take longer than the statement
        // limit set for requests; RESET brings the connection's limit back.
        conn.batch_execute("SET statement_timeout = 0")
            .map_err(failed)?;
        let started = std::time::Instant::now();
        let full = conn.batch_execute(&format!("VACUUM FULL {RECORD_TABLES}"));
        let writes_paused = started.elapsed();
        let chunks = full.and_then(|()| conn.batch_execute("VACUUM blob_chunks"));
        let reset = conn.batch_execute("RESET statement_timeout");
        chunks.map_err(failed)?;
        reset.map_err(failed)?;
        let records = conn
            .query_one(
                "SELECT (SELECT count(*) FROM cases) + (SELECT count(*) FROM thread)
                      + (SELECT count(*) FROM notes) + (SELECT count(*) FROM wraps)
                      + (SELECT count(*) FROM audit)",
                &[],
            )
            .map_err(failed)?;
        Ok(Rewritten {
            records: to_u64(records.get::<_, i64>(0)),
            bytes_before,
            bytes_after: size(&mut conn)?,
            evidence_files: 0,
            evidence_copied: 0,
            writes_paused,
        })
    }

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
                        "SELECT record, (SELECT count(*) FROM blobs WHERE case_id = $1),
                                (SELECT count(*) FROM thread WHERE case_id = $1),
                                (SELECT count(*) FROM notes WHERE case_id = $1)
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
                // The high-water marks count what was ever stored (`mark.rs`): what goes
                // is added to the purged totals in the same transaction.
                count_purged(
                    tx,
                    Counts {
                        cases: 1,
                        entries: to_u64(row.get(2)),
                        notes: to_u64(row.get(3)),
                        audit: 0,
                    },
                )?;
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
