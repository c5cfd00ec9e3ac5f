//! Investigator sessions in the database, so that every instance on it serves a session
//! another made, and a log-out or a disabled account ends it everywhere at once.
//!
//! A row holds the SHA-256 digest of the session id (never the id, which only the
//! investigator's browser holds), the investigator's name, and two instants in seconds
//! since the Unix epoch: when the idle limit runs out (moved on by each use) and when
//! the absolute limit does. Both limits are enforced by the query itself, so an expired
//! row never serves, whichever instance reads it. These instants are about investigators,
//! not reporters: no reporter data sits in this table (SECURITY.md says what it holds).
//! Expired rows are deleted when found and at each log-in.

use super::{Pool, failed};
use crate::service::accounts::{InvestigatorSessions, SessionLimits};
use crate::store::StoreResult;

/// The database's investigator sessions; cheap to clone (a handle on the store's pool).
pub struct PgInvestigatorSessions {
    pub(super) pool: std::sync::Arc<Pool>,
}

/// Seconds as the database's `bigint`; the clock and limits stay far below `i64::MAX`.
fn secs(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl InvestigatorSessions for PgInvestigatorSessions {
    fn open(
        &self,
        digest: &[u8; 32],
        name: &str,
        now: u64,
        limits: SessionLimits,
    ) -> StoreResult<()> {
        let now_s = secs(now);
        let idle_until = secs(now.saturating_add(limits.idle.as_secs()));
        let ends_at = secs(now.saturating_add(limits.max.as_secs()));
        let mut conn = self.pool.get()?;
        let mut tx = conn.transaction().map_err(failed)?;
        tx.execute(
            "DELETE FROM investigator_sessions WHERE idle_until <= $1 OR ends_at <= $1",
            &[&now_s],
        )
        .map_err(failed)?;
        tx.execute(
            "INSERT INTO investigator_sessions (digest, name, idle_until, ends_at) \
             VALUES ($1, $2, $3, $4)",
            &[&digest.as_slice(), &name, &idle_until, &ends_at],
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)
    }

    fn touch(
        &self,
        digest: &[u8; 32],
        now: u64,
        limits: SessionLimits,
    ) -> StoreResult<Option<String>> {
        let now_s = secs(now);
        let idle_until = secs(now.saturating_add(limits.idle.as_secs()));
        let mut conn = self.pool.get()?;
        let row = conn
            .query_opt(
                "UPDATE investigator_sessions SET idle_until = $3 \
                 WHERE digest = $1 AND idle_until > $2 AND ends_at > $2 RETURNING name",
                &[&digest.as_slice(), &now_s, &idle_until],
            )
            .map_err(failed)?;
        if let Some(row) = row {
            return Ok(Some(row.get(0)));
        }
        conn.execute(
            "DELETE FROM investigator_sessions WHERE digest = $1",
            &[&digest.as_slice()],
        )
        .map_err(failed)?;
        Ok(None)
    }

    fn end(&self, digest: &[u8; 32]) -> StoreResult<()> {
        self.pool
            .get()?
            .execute(
                "DELETE FROM investigator_sessions WHERE digest = $1",
                &[&digest.as_slice()],
            )
            .map_err(failed)?;
        Ok(())
    }

    fn end_all_of(&self, name: &str) -> StoreResult<()> {
        self.pool
            .get()?
            .execute(
                "DELETE FROM investigator_sessions WHERE name = $1",
                &[&name],
            )
            .map_err(failed)?;
        Ok(())
    }
}
