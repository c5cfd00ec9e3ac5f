//! Reporter sessions: short-lived, in memory only, gone with the process.
//!
//! A session holds the case opened with the token (its unwrapped case key), so that the
//! reporter does not pay an argon2 run on every page. That is the one place a case key
//! outlives a request; the idle and absolute limits keep that window to minutes, and the
//! key is zeroized when the session ends. Sessions are keyed by the SHA-256 digest of
//! their id, so the map itself holds no usable session.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::clock::Clock;
use super::reporter::OpenCase;
use crate::crypto::{SessionDigest, SessionId};

/// Most sessions held at once. Each costs an argon2 run to create, so reaching this takes
/// sustained work; beyond it new logins get 503 rather than memory growing without bound.
const MAX_SESSIONS: usize = 20_000;

struct Entry {
    case: Arc<OpenCase>,
    /// Seconds since the Unix epoch; in memory only, never stored.
    created: u64,
    last_used: u64,
}

pub struct ReporterSessions {
    /// One lock around a small map; every critical section is a lookup or an insert.
    entries: Mutex<HashMap<SessionDigest, Entry>>,
    idle: Duration,
    max: Duration,
    clock: Arc<dyn Clock>,
}

impl ReporterSessions {
    pub fn new(idle: Duration, max: Duration, clock: Arc<dyn Clock>) -> Self {
        ReporterSessions {
            entries: Mutex::new(HashMap::new()),
            idle,
            max,
            clock,
        }
    }

    fn live(&self, entry: &Entry, now: u64) -> bool {
        now.saturating_sub(entry.last_used) < self.idle.as_secs()
            && now.saturating_sub(entry.created) < self.max.as_secs()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SessionDigest, Entry>> {
        // A panic while holding this lock cannot leave the map half-updated (every update
        // is a single insert or remove), so a poisoned lock is safe to keep using.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a session for an opened case. `None` when the session table is full.
    pub fn create(&self, case: OpenCase) -> Option<(SessionId, Arc<OpenCase>)> {
        let now = self.clock.now();
        let mut entries = self.lock();
        if entries.len() >= MAX_SESSIONS {
            entries.retain(|_, e| self.live(e, now));
            if entries.len() >= MAX_SESSIONS {
                return None;
            }
        }
        let id = SessionId::generate();
        let case = Arc::new(case);
        entries.insert(
            id.digest(),
            Entry {
                case: case.clone(),
                created: now,
                last_used: now,
            },
        );
        Some((id, case))
    }

    /// The open case of a live session, which counts as a use of it.
    pub fn get(&self, id: &SessionId) -> Option<Arc<OpenCase>> {
        let now = self.clock.now();
        let digest = id.digest();
        let mut entries = self.lock();
        let entry = entries.get_mut(&digest)?;
        if !self.live(entry, now) {
            entries.remove(&digest);
            return None;
        }
        entry.last_used = now;
        Some(entry.case.clone())
    }

    pub fn end(&self, id: &SessionId) {
        self.lock().remove(&id.digest());
    }

    /// Drops every expired session; called periodically so that keys of abandoned
    /// sessions do not wait in memory for a lookup that never comes.
    pub fn sweep(&self) {
        let now = self.clock.now();
        self.lock().retain(|_, e| self.live(e, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::CaseKey;
    use crate::service::clock::ManualClock;
    use crate::store::CaseId;

    fn sessions(clock: &Arc<ManualClock>) -> ReporterSessions {
        ReporterSessions::new(
            Duration::from_secs(15 * 60),
            Duration::from_secs(60 * 60),
            clock.clone(),
        )
    }

    fn case() -> OpenCase {
        OpenCase::new(CaseId::generate(), CaseKey::generate())
    }

    #[test]
    fn a_session_ends_after_the_idle_limit_without_use() {
        let clock = ManualClock::at(1_000_000);
        let sessions = sessions(&clock);
        let (id, _) = sessions.create(case()).unwrap();
        clock.advance(14 * 60);
        assert!(sessions.get(&id).is_some(), "used within the idle limit");
        clock.advance(14 * 60);
        assert!(
            sessions.get(&id).is_some(),
            "each use renews the idle limit"
        );
        clock.advance(15 * 60);
        assert!(sessions.get(&id).is_none(), "idle for 15 minutes");
    }

    #[test]
    fn a_session_ends_at_the_absolute_limit_however_often_it_is_used() {
        let clock = ManualClock::at(1_000_000);
        let sessions = sessions(&clock);
        let (id, _) = sessions.create(case()).unwrap();
        for _ in 0..5 {
            clock.advance(10 * 60);
            assert!(sessions.get(&id).is_some());
        }
        clock.advance(10 * 60);
        assert!(sessions.get(&id).is_none(), "an hour after login");
    }

    #[test]
    fn an_ended_session_is_gone() {
        let clock = ManualClock::at(1_000_000);
        let sessions = sessions(&clock);
        let (id, _) = sessions.create(case()).unwrap();
        sessions.end(&id);
        assert!(sessions.get(&id).is_none());
    }
}
