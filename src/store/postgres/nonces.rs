//! The reporter forms' spent nonces in the database, so that a form resent from history
//! is refused by every instance (`crate::http::form_nonces` says how nonces are made and
//! checked: issuing one touches no database).
//!
//! A row holds the SHA-256 digest of a spent nonce (never the nonce, which only the page
//! holds) and the nonce's expiry as a ten-minute slot number, signed into the nonce, rather
//! than a second: these rows are made when reporters post, and a second-precise time beside
//! them would date reporters' visits finer than the store dates anything of theirs. A row
//! is kept until its nonce has expired, and deleted by a later spend. Rows written by
//! earlier versions (nonces issued, not spent) name nonces that no longer verify; they go
//! the same way.

use super::{Pool, failed};
use crate::http::SharedNonces;
use crate::store::StoreResult;

/// The database's form nonces; a handle on the store's pool.
pub struct PgFormNonces {
    pub(super) pool: std::sync::Arc<Pool>,
}

fn slot(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl SharedNonces for PgFormNonces {
    fn spend(&self, key: &[u8; 32], expires: u64, now: u64) -> StoreResult<bool> {
        let mut conn = self.pool.get()?;
        conn.execute("DELETE FROM form_nonces WHERE expires <= $1", &[&slot(now)])
            .map_err(failed)?;
        let recorded = conn
            .execute(
                "INSERT INTO form_nonces (digest, expires) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&key.as_slice(), &slot(expires)],
            )
            .map_err(failed)?;
        Ok(recorded == 1)
    }
}
