//! The reporter forms' single-use nonces in the database, so that a page rendered by one
//! instance can be posted to another, and a form resent from history is refused by all.
//!
//! A row holds the SHA-256 digest of a nonce (never the nonce, which only the page holds)
//! and when it expires, as a ten-minute slot number rather than a second: these rows are
//! made when a reporter's page is rendered, and a second-precise time beside them would
//! date reporters' visits finer than the store dates anything of theirs. A nonce thus
//! lives its lifetime and up to one slot more. Spending deletes the row; expired rows are
//! deleted as nonces are issued.

use std::time::Duration;

use super::{Pool, failed};
use crate::http::SharedNonces;
use crate::store::StoreResult;

/// Seconds in one expiry slot.
const SLOT_SECONDS: u64 = 600;

fn slot(secs: u64) -> i64 {
    i64::try_from(secs / SLOT_SECONDS).unwrap_or(i64::MAX)
}

/// The database's form nonces; a handle on the store's pool.
pub struct PgFormNonces {
    pub(super) pool: std::sync::Arc<Pool>,
}

impl SharedNonces for PgFormNonces {
    fn issued(&self, key: &[u8; 32], now: u64, lifetime: Duration) -> StoreResult<()> {
        // Rounded up: the nonce lives its whole lifetime at least.
        let expires = slot(now.saturating_add(lifetime.as_secs()) + SLOT_SECONDS);
        let mut conn = self.pool.get()?;
        conn.execute("DELETE FROM form_nonces WHERE expires <= $1", &[&slot(now)])
            .map_err(failed)?;
        conn.execute(
            "INSERT INTO form_nonces (digest, expires) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&key.as_slice(), &expires],
        )
        .map_err(failed)?;
        Ok(())
    }

    fn spend(&self, key: &[u8; 32], now: u64) -> StoreResult<bool> {
        let spent = self
            .pool
            .get()?
            .execute(
                "DELETE FROM form_nonces WHERE digest = $1 AND expires > $2",
                &[&key.as_slice(), &slot(now)],
            )
            .map_err(failed)?;
        Ok(spent == 1)
    }
}
