//! Reporter sessions: short-lived, in memory only, gone with the process.
//!
//! A session holds the case opened with the token (its unwrapped case key), so that the
//! reporter does not pay an argon2 run on every page. That is the one place a case key
//! outlives a request; the idle and absolute limits keep that window to minutes, and the
//! key is zeroized when the session ends. Sessions are keyed by the SHA-256 digest of
//! their id, so the map itself holds no usable session.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::crypto::{SessionDigest, SessionId};
use crate::reporting::OpenCase;

/// Most sessions held at once. Each costs an argon2 run to create, so reaching this takes
/// sustained work; beyond it new logins get 503 rather than memory growing without bound.
const MAX_SESSIONS: usize = 20_000;

struct Entry {
    case: Arc<OpenCase>,
    created: Instant,
    last_used: Instant,
}

pub struct ReporterSessions {
    /// One lock around a small map; every critical section is a lookup or an insert.
    entries: Mutex<HashMap<SessionDigest, Entry>>,
    idle: Duration,
    max: Duration,
}

impl ReporterSessions {
    pub fn new(idle: Duration, max: Duration) -> Self {
        ReporterSessions {
            entries: Mutex::new(HashMap::new()),
            idle,
            max,
        }
    }

    fn live(&self, entry: &Entry, now: Instant) -> bool {
        now.duration_since(entry.last_used) < self.idle
            && now.duration_since(entry.created) < self.max
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SessionDigest, Entry>> {
        // A panic while holding this lock cannot leave the map half-updated (every update
        // is a single insert or remove), so a poisoned lock is safe to keep using.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a session for an opened case. `None` when the session table is full.
    pub fn create(&self, case: OpenCase) -> Option<SessionId> {
        let now = Instant::now();
        let mut entries = self.lock();
        if entries.len() >= MAX_SESSIONS {
            entries.retain(|_, e| self.live(e, now));
            if entries.len() >= MAX_SESSIONS {
                return None;
            }
        }
        let id = SessionId::generate();
        entries.insert(
            id.digest(),
            Entry {
                case: Arc::new(case),
                created: now,
                last_used: now,
            },
        );
        Some(id)
    }

    /// The open case of a live session, which counts as a use of it.
    pub fn get(&self, id: &SessionId) -> Option<Arc<OpenCase>> {
        let now = Instant::now();
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
        let now = Instant::now();
        self.lock().retain(|_, e| self.live(e, now));
    }
}
