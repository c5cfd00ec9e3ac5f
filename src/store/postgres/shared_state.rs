//! What the instances share beyond records: the investigator login throttle's counts
//! (`service::throttle`) and the alerts' counters and claims (`alerts::shared`). Each
//! change is one statement, so that two instances never lose or double an update.
//!
//! What the rows hold, and why it is safe in a copy of the database:
//! - `login_failures`: a keyed digest of a typed name (never the name: people type
//!   passwords there), how many failures, and the second of the latest. These are about
//!   investigators' log-ins, not reporters. A row is forgotten an hour after its latest
//!   failure (`throttle::FORGET_AFTER_SECONDS`); older rows are deleted at each failure.
//! - `alert_counts`: three numbers (urgent reports, new reports, reporter messages not
//!   yet alerted). No case, no time.
//! - `alert_claims`: which scheduled alert (kind, slot number: its time divided by its
//!   period) was claimed. Every slot is claimed whether or not anything happened, so a
//!   claim says nothing of reporters; claims older than the previous slot are deleted.

use super::{Pool, failed};
use crate::alerts::{Counts, Kind, SharedAlertCounts, Tally};
use crate::service::throttle::{Failures, SharedLoginFailures, Standing};
use crate::store::StoreResult;

/// The login throttle's counts in the database; a handle on the store's pool.
pub struct PgLoginFailures {
    pub(super) pool: std::sync::Arc<Pool>,
}

/// Seconds or counts as the database's `bigint`; far below `i64::MAX` in practice.
fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn unsigned(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl SharedLoginFailures for PgLoginFailures {
    fn failed(&self, digest: &[u8; 32], now: u64, forget_before: u64) -> StoreResult<()> {
        // The delete and the upsert touch different rows (`digest <> $1`), so one
        // statement does both; a row past its time counts again from one.
        self.pool
            .get()?
            .execute(
                "WITH forgotten AS (
                     DELETE FROM login_failures WHERE last < $3 AND digest <> $1
                 )
                 INSERT INTO login_failures AS f (digest, failures, last) VALUES ($1, 1, $2)
                 ON CONFLICT (digest) DO UPDATE SET
                     failures = CASE WHEN f.last < $3 THEN 1
                                     ELSE least(f.failures, 2147483646) + 1 END,
                     last = greatest(f.last, excluded.last)",
                &[&digest.as_slice(), &int(now), &int(forget_before)],
            )
            .map_err(failed)?;
        Ok(())
    }

    fn standing(
        &self,
        digest: &[u8; 32],
        forget_before: u64,
        recent_after: u64,
    ) -> StoreResult<Standing> {
        let row = self
            .pool
            .get()?
            .query_one(
                "SELECT (SELECT coalesce(sum(failures), 0)::bigint FROM login_failures
                         WHERE last > $3),
                        f.failures, f.last
                 FROM (SELECT 1) AS one
                 LEFT JOIN login_failures f ON f.digest = $1 AND f.last >= $2",
                &[&digest.as_slice(), &int(forget_before), &int(recent_after)],
            )
            .map_err(failed)?;
        let count: Option<i32> = row.get(1);
        let last: Option<i64> = row.get(2);
        Ok(Standing {
            name: count.zip(last).map(|(count, last)| Failures {
                count: u32::try_from(count).unwrap_or(0),
                last: unsigned(last),
            }),
            recent: unsigned(row.get(0)),
        })
    }

    fn succeeded(&self, digest: &[u8; 32]) -> StoreResult<()> {
        self.pool
            .get()?
            .execute(
                "DELETE FROM login_failures WHERE digest = $1",
                &[&digest.as_slice()],
            )
            .map_err(failed)?;
        Ok(())
    }
}

/// The alerts' counters and claims in the database; a handle on the store's pool.
pub struct PgAlertCounts {
    pub(super) pool: std::sync::Arc<Pool>,
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Urgent => "urgent",
        Kind::Digest => "digest",
        Kind::Deadlines => "deadlines",
    }
}

impl SharedAlertCounts for PgAlertCounts {
    fn add(&self, counts: Counts) -> StoreResult<()> {
        self.pool
            .get()?
            .execute(
                "UPDATE alert_counts SET n = n + CASE kind
                     WHEN 'urgent' THEN $1::bigint
                     WHEN 'new_reports' THEN $2::bigint
                     ELSE $3::bigint END
                 WHERE kind IN ('urgent', 'new_reports', 'reporter_messages')",
                &[
                    &int(counts.urgent_reports),
                    &int(counts.new_reports),
                    &int(counts.reporter_messages),
                ],
            )
            .map_err(failed)?;
        Ok(())
    }

    fn take(&self, tally: Tally) -> StoreResult<Counts> {
        let kinds: Vec<&str> = match tally {
            Tally::Urgent => vec!["urgent"],
            Tally::Activity => vec!["new_reports", "reporter_messages"],
        };
        // The rows are locked as read, and what was read is subtracted: an addition
        // that commits meanwhile is either in what is taken or left for the next take.
        // Rows at zero are left alone, so that the polls write nothing.
        let rows = self
            .pool
            .get()?
            .query(
                "WITH old AS (
                     SELECT kind, n FROM alert_counts WHERE kind = ANY($1) AND n > 0 FOR UPDATE
                 )
                 UPDATE alert_counts a SET n = a.n - old.n FROM old
                 WHERE a.kind = old.kind
                 RETURNING old.kind, old.n",
                &[&kinds],
            )
            .map_err(failed)?;
        let mut counts = Counts::default();
        for row in rows {
            let n = unsigned(row.get(1));
            match row.get::<_, &str>(0) {
                "urgent" => counts.urgent_reports = n,
                "new_reports" => counts.new_reports = n,
                _ => counts.reporter_messages = n,
            }
        }
        Ok(counts)
    }

    fn claim(&self, kind: Kind, slot: u64) -> StoreResult<bool> {
        let claimed = self
            .pool
            .get()?
            .execute(
                "WITH old AS (
                     DELETE FROM alert_claims WHERE kind = $1::text AND slot < $2::bigint - 1
                 )
                 INSERT INTO alert_claims (kind, slot) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&kind_name(kind), &int(slot)],
            )
            .map_err(failed)?;
        Ok(claimed == 1)
    }
}
