//! Where investigator sessions live: the [`InvestigatorSessions`] trait, and the memory
//! implementation that a sled deployment (one process) uses.
//!
//! Sessions are keyed by the SHA-256 digest of their id; the id itself is never kept.
//! A PostgreSQL deployment keeps them in the database instead
//! (`store::postgres::PgInvestigatorSessions`), so that any instance serves a session
//! that another made, and a log-out or a disabled account ends it on all of them. Which
//! one runs is chosen once, at start (`commands::serve`).

use std::collections::HashMap;
use std::sync::Mutex;

use super::SessionLimits;
use crate::store::StoreResult;

/// Live investigator sessions, keyed by the digest of the session id. Times are seconds
/// since the Unix epoch from the service's clock; a session is live while `now` is before
/// both its idle limit (renewed by each use) and its absolute limit. Every method blocks.
pub trait InvestigatorSessions: Send + Sync {
    /// Starts a session for `name` at `now`.
    fn open(
        &self,
        digest: &[u8; 32],
        name: &str,
        now: u64,
        limits: SessionLimits,
    ) -> StoreResult<()>;
    /// The name behind a live session, whose idle limit this use renews; `None` for an
    /// unknown or expired one (which is forgotten).
    fn touch(
        &self,
        digest: &[u8; 32],
        now: u64,
        limits: SessionLimits,
    ) -> StoreResult<Option<String>>;
    /// Ends one session.
    fn end(&self, digest: &[u8; 32]) -> StoreResult<()>;
    /// Ends every session of `name`.
    fn end_all_of(&self, name: &str) -> StoreResult<()>;
}

/// A session held in memory, with times in seconds since the Unix epoch.
struct LiveSession {
    name: String,
    created: u64,
    last_used: u64,
}

/// Most investigator sessions held at once in memory (a unit has dozens of
/// investigators, each with a few); past it, the least recently used ends.
const MAX_INVESTIGATOR_SESSIONS: usize = 1_000;

/// Sessions in this process's memory, ending with it, so that no file records when
/// investigators act: their times on disk would bracket the reporters' writes in sled's
/// log (SECURITY.md). One lock; each critical section is a lookup, insert or removal.
#[derive(Default)]
pub struct MemorySessions {
    live: Mutex<HashMap<[u8; 32], LiveSession>>,
}

impl MemorySessions {
    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], LiveSession>> {
        // Every update is a single insert, change or removal: a poisoned map is whole.
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl InvestigatorSessions for MemorySessions {
    fn open(&self, digest: &[u8; 32], name: &str, now: u64, _: SessionLimits) -> StoreResult<()> {
        let mut live = self.live();
        if live.len() >= MAX_INVESTIGATOR_SESSIONS {
            let oldest = live
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(d, _)| *d);
            if let Some(oldest) = oldest {
                live.remove(&oldest);
            }
        }
        live.insert(
            *digest,
            LiveSession {
                name: name.to_owned(),
                created: now,
                last_used: now,
            },
        );
        Ok(())
    }

    fn touch(
        &self,
        digest: &[u8; 32],
        now: u64,
        limits: SessionLimits,
    ) -> StoreResult<Option<String>> {
        let mut live = self.live();
        let Some(session) = live.get_mut(digest) else {
            return Ok(None);
        };
        let idle = now.saturating_sub(session.last_used) >= limits.idle.as_secs();
        let old = now.saturating_sub(session.created) >= limits.max.as_secs();
        if idle || old {
            live.remove(digest);
            return Ok(None);
        }
        session.last_used = now;
        Ok(Some(session.name.clone()))
    }

    fn end(&self, digest: &[u8; 32]) -> StoreResult<()> {
        self.live().remove(digest);
        Ok(())
    }

    fn end_all_of(&self, name: &str) -> StoreResult<()> {
        self.live().retain(|_, s| s.name != name);
        Ok(())
    }
}
