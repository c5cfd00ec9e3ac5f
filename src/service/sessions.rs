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
use crate::store::CaseId;

/// Most sessions held at once. Each costs an argon2 run to create; past this the least
/// recently used session ends, so that a flood of logins can never shut a real reporter
/// out, and a case has one session at most, so that one token cannot fill the table.
const MAX_SESSIONS: usize = 20_000;

struct Entry {
    case: Arc<OpenCase>,
    /// Seconds since the Unix epoch; in memory only, never stored.
    created: u64,
    last_used: u64,
}

/// The sessions, and the one session of each case.
#[derive(Default)]
struct Table {
    entries: HashMap<SessionDigest, Entry>,
    by_case: HashMap<CaseId, SessionDigest>,
}

impl Table {
    fn remove(&mut self, digest: &SessionDigest) {
        if let Some(entry) = self.entries.remove(digest) {
            self.by_case.remove(&entry.case.id());
        }
    }

    fn retain(&mut self, mut keep: impl FnMut(&Entry) -> bool) {
        let by_case = &mut self.by_case;
        self.entries.retain(|_, entry| {
            let kept = keep(entry);
            if !kept {
                by_case.remove(&entry.case.id());
            }
            kept
        });
    }
}

pub struct ReporterSessions {
    /// One lock around two small maps; every critical section is a lookup, an insert or
    /// a removal, except eviction when full (a scan, paid for by an argon2 run).
    table: Mutex<Table>,
    idle: Duration,
    max: Duration,
    clock: Arc<dyn Clock>,
}

impl ReporterSessions {
    pub fn new(idle: Duration, max: Duration, clock: Arc<dyn Clock>) -> Self {
        ReporterSessions {
            table: Mutex::new(Table::default()),
            idle,
            max,
            clock,
        }
    }

    fn live(&self, entry: &Entry, now: u64) -> bool {
        now.saturating_sub(entry.last_used) < self.idle.as_secs()
            && now.saturating_sub(entry.created) < self.max.as_secs()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        // Every update keeps the two maps in step before it returns, and none of them can
        // panic half-way, so a poisoned lock is safe to keep using.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a session for an opened case, ending any session the case already had: a
    /// token opens one session at a time.
    pub fn create(&self, case: OpenCase) -> (SessionId, Arc<OpenCase>) {
        let now = self.clock.now();
        let mut table = self.lock();
        if let Some(old) = table.by_case.get(&case.id()).copied() {
            table.remove(&old);
        }
        if table.entries.len() >= MAX_SESSIONS {
            table.retain(|e| self.live(e, now));
        }
        if table.entries.len() >= MAX_SESSIONS {
            let oldest = table
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(digest, _)| *digest);
            if let Some(oldest) = oldest {
                table.remove(&oldest);
            }
        }
        let id = SessionId::generate();
        let case = Arc::new(case);
        table.by_case.insert(case.id(), id.digest());
        table.entries.insert(
            id.digest(),
            Entry {
                case: case.clone(),
                created: now,
                last_used: now,
            },
        );
        (id, case)
    }

    /// The open case of a live session, which counts as a use of it.
    pub fn get(&self, id: &SessionId) -> Option<Arc<OpenCase>> {
        let now = self.clock.now();
        let digest = id.digest();
        let mut table = self.lock();
        let entry = table.entries.get_mut(&digest)?;
        if !self.live(entry, now) {
            table.remove(&digest);
            return None;
        }
        entry.last_used = now;
        Some(entry.case.clone())
    }

    pub fn end(&self, id: &SessionId) {
        self.lock().remove(&id.digest());
    }

    /// Ends the session of a case, if it has one (its case was deleted).
    pub fn end_case(&self, case: CaseId) {
        let mut table = self.lock();
        if let Some(digest) = table.by_case.get(&case).copied() {
            table.remove(&digest);
        }
    }

    /// Drops every expired session; called periodically so that keys of abandoned
    /// sessions do not wait in memory for a lookup that never comes.
    pub fn sweep(&self) {
        let now = self.clock.now();
        self.lock().retain(|e| self.live(e, now));
    }

    /// Sessions held now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().entries.len()
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
        let (id, _) = sessions.create(case());
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
        let (id, _) = sessions.create(case());
        for _ in 0..5 {
            clock.advance(10 * 60);
            assert!(sessions.get(&id).is_some());
        }
        clock.advance(10 * 60);
        assert!(sessions.get(&id).is_none(), "an hour after login");
    }

    #[test]
    fn a_new_login_to_a_case_ends_its_old_session() {
        let clock = ManualClock::at(1_000_000);
        let sessions = sessions(&clock);
        let id = CaseId::generate();
        let (first, _) = sessions.create(OpenCase::new(id, CaseKey::generate()));
        let (second, _) = sessions.create(OpenCase::new(id, CaseKey::generate()));
        assert!(sessions.get(&first).is_none());
        assert!(sessions.get(&second).is_some());
        assert_eq!(sessions.len(), 1);
    }

    #[test]
    fn a_full_table_ends_the_least_recently_used_session() {
        let clock = ManualClock::at(1_000_000);
        let sessions = sessions(&clock);
        let ids: Vec<_> = (0..MAX_SESSIONS)
            .map(|n| {
                clock.advance(u64::from(n == 2));
                sessions.create(case()).0
            })
            .collect();
        clock.advance(1);
        assert!(sessions.get(&ids[0]).is_some(), "the first is now recent");
        let (newest, _) = sessions.create(case());
        assert!(sessions.get(&newest).is_some());
        assert!(sessions.get(&ids[0]).is_some());
        assert!(
            sessions.get(&ids[1]).is_none(),
            "the least recently used ended"
        );
        assert_eq!(sessions.len(), MAX_SESSIONS);
    }

    #[test]
    fn an_ended_session_is_gone() {
        let clock = ManualClock::at(1_000_000);
        let sessions = sessions(&clock);
        let (id, _) = sessions.create(case());
        sessions.end(&id);
        assert!(sessions.get(&id).is_none());
    }
}
