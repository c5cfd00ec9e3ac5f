//! Reporter sessions in the database, sealed to the bearer of each session id
//! (`service::sessions::shared` says what a row holds and why a copy opens nothing).
//! Times are minutes since the Unix epoch; both limits are checked by the query.

use super::{Pool, failed};
use crate::service::sessions::{SessionRow, SharedReporterSessions};
use crate::store::StoreResult;

/// The database's reporter sessions; a handle on the store's pool.
pub struct PgReporterSessions {
    pub(super) pool: std::sync::Arc<Pool>,
}

fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl SharedReporterSessions for PgReporterSessions {
    fn put(&self, row: SessionRow<'_>) -> StoreResult<()> {
        let mut conn = self.pool.get()?;
        let mut tx = conn.transaction().map_err(failed)?;
        // One live session per case: a new login ends the case's old session.
        tx.execute(
            "DELETE FROM reporter_sessions WHERE slot = $1",
            &[&row.slot.as_slice()],
        )
        .map_err(failed)?;
        tx.execute(
            "INSERT INTO reporter_sessions \
             (digest, slot, sealed, token_lookup, by_token, idle_until, ends_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &row.digest.as_slice(),
                &row.slot.as_slice(),
                &row.sealed,
                &row.token_lookup.as_slice(),
                &row.by_token,
                &int(row.idle_until),
                &int(row.ends_at),
            ],
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)
    }

    fn by_token(&self, token_lookup: &[u8; 32], now: u64) -> StoreResult<Option<Vec<u8>>> {
        let row = self
            .pool
            .get()?
            .query_opt(
                "SELECT by_token FROM reporter_sessions \
                 WHERE token_lookup = $1 AND idle_until > $2 AND ends_at > $2",
                &[&token_lookup.as_slice(), &int(now)],
            )
            .map_err(failed)?;
        Ok(row.map(|r| r.get(0)))
    }

    fn take_over(
        &self,
        token_lookup: &[u8; 32],
        now: u64,
        new: SessionRow<'_>,
    ) -> StoreResult<bool> {
        let moved = self
            .pool
            .get()?
            .execute(
                "UPDATE reporter_sessions SET digest = $3, sealed = $4, idle_until = $5, \
                 ends_at = $6 WHERE token_lookup = $1 AND idle_until > $2 AND ends_at > $2",
                &[
                    &token_lookup.as_slice(),
                    &int(now),
                    &new.digest.as_slice(),
                    &new.sealed,
                    &int(new.idle_until),
                    &int(new.ends_at),
                ],
            )
            .map_err(failed)?;
        Ok(moved > 0)
    }

    fn get(&self, digest: &[u8; 32], now: u64, idle_until: u64) -> StoreResult<Option<Vec<u8>>> {
        let mut conn = self.pool.get()?;
        let row = conn
            .query_opt(
                "UPDATE reporter_sessions SET idle_until = $3 \
                 WHERE digest = $1 AND idle_until > $2 AND ends_at > $2 RETURNING sealed",
                &[&digest.as_slice(), &int(now), &int(idle_until)],
            )
            .map_err(failed)?;
        if let Some(row) = row {
            return Ok(Some(row.get(0)));
        }
        conn.execute(
            "DELETE FROM reporter_sessions WHERE digest = $1",
            &[&digest.as_slice()],
        )
        .map_err(failed)?;
        Ok(None)
    }

    fn end(&self, digest: &[u8; 32]) -> StoreResult<()> {
        self.pool
            .get()?
            .execute(
                "DELETE FROM reporter_sessions WHERE digest = $1",
                &[&digest.as_slice()],
            )
            .map_err(failed)?;
        Ok(())
    }

    fn sweep(&self, now: u64) -> StoreResult<()> {
        self.pool
            .get()?
            .execute(
                "DELETE FROM reporter_sessions WHERE idle_until <= $1 OR ends_at <= $1",
                &[&int(now)],
            )
            .map_err(failed)?;
        Ok(())
    }
}
