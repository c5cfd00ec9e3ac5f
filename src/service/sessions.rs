//! Reporter sessions: short-lived, in memory only, gone with the process.
//!
//! A session holds the case opened with the token (its unwrapped case key), so that the
//! reporter does not pay an argon2 run on every page. That is the one place a case key
//! outlives a request; the idle and absolute limits keep that window to minutes, and the
//! key is zeroized when the session ends. Sessions are keyed by the SHA-256 digest of
//! their id, so the map itself holds no usable session.
//!
//! A session also remembers a keyed fingerprint of the token that opened it (a key made
//! per process, never stored; see `crypto::TokenFingerprint`), not the token. A new login
//! with the same token while its session lives takes the case over from that session
//! instead of deriving the token again: the second login still ends the first session,
//! but one token logging in over and over costs two HMACs each time, not an argon2 run
//! that real reporters' logins would wait behind (issue 10: such a loop made their p99
//! 11 times the quiet one).
//!
//! Where instances share a PostgreSQL database, sessions live there instead, sealed to
//! the bearer of the session id (`shared.rs`): no case key stays in any instance's memory
//! between requests, and any instance serves any session. Take-over works on the
//! instance that made the session: each row also holds the case sealed to the token's
//! fingerprint, whose key never leaves this process, so that a login looping on one token
//! costs that instance no derivation (issue 10); elsewhere it pays one in the login lanes.
//!
//! A database error while starting, taking over or reading a shared session is returned
//! (503 with Retry-After when the database is unreachable), never read as "no session":
//! a login whose session was not stored must not answer 200 with a session no instance
//! can serve, and a reporter whose session is intact must not be told it expired. Only
//! ending and sweeping, which nobody waits for, log an error and go on.
//!
//! The calls to the database block, and run under `tokio::task::block_in_place` (see
//! [`ReporterSessions::shared_call`] for why not `spawn_blocking`).

mod shared;
pub use shared::{SessionRow, SharedReporterSessions};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Result;
use super::clock::Clock;
use super::reporter::OpenCase;
use crate::crypto::{CaseToken, FingerprintKey, SessionDigest, SessionId, TokenFingerprint};
use crate::store::{CaseId, StoreError};

/// Most sessions held at once. Each costs an argon2 run to create; past this the least
/// recently used session ends, so that a flood of logins can never shut a real reporter
/// out, and a case has one session at most, so that one token cannot fill the table.
const MAX_SESSIONS: usize = 20_000;

struct Entry {
    case: Arc<OpenCase>,
    /// The fingerprint of the token that opened the case.
    token: TokenFingerprint,
    /// Seconds since the Unix epoch; in memory only, never stored.
    created: u64,
    last_used: u64,
}

/// The sessions, and the one session of each case.
#[derive(Default)]
struct Table {
    entries: HashMap<SessionDigest, Entry>,
    by_case: HashMap<CaseId, SessionDigest>,
    /// The session each token fingerprint opened; in step with `entries`.
    by_token: HashMap<TokenFingerprint, SessionDigest>,
}

impl Table {
    fn remove(&mut self, digest: &SessionDigest) -> Option<Entry> {
        let entry = self.entries.remove(digest)?;
        self.by_case.remove(&entry.case.id());
        if self.by_token.get(&entry.token) == Some(digest) {
            self.by_token.remove(&entry.token);
        }
        Some(entry)
    }

    fn retain(&mut self, mut keep: impl FnMut(&Entry) -> bool) {
        let (by_case, by_token) = (&mut self.by_case, &mut self.by_token);
        self.entries.retain(|digest, entry| {
            let kept = keep(entry);
            if !kept {
                by_case.remove(&entry.case.id());
                if by_token.get(&entry.token) == Some(digest) {
                    by_token.remove(&entry.token);
                }
            }
            kept
        });
    }
}

pub struct ReporterSessions {
    /// One lock around three small maps; every critical section is a lookup, an insert or
    /// a removal, except eviction when full (a scan, paid for by an argon2 run).
    table: Mutex<Table>,
    fingerprints: FingerprintKey,
    idle: Duration,
    max: Duration,
    clock: Arc<dyn Clock>,
    /// Where sessions live instead of `table` when instances share a database.
    shared: Option<Box<dyn SharedReporterSessions>>,
}

/// A session that age could not seal: an internal failure, never a session half-made.
fn unsealable() -> super::Error {
    super::Error::Store(StoreError::Io(std::io::Error::other(
        "a reporter session could not be sealed",
    )))
}

/// Minutes since the Unix epoch, rounded up: the shared table's time unit.
fn minutes_up(secs: u64) -> u64 {
    secs.div_ceil(60)
}

impl ReporterSessions {
    pub fn new(idle: Duration, max: Duration, clock: Arc<dyn Clock>) -> Self {
        ReporterSessions {
            table: Mutex::new(Table::default()),
            fingerprints: FingerprintKey::generate(),
            idle,
            max,
            clock,
            shared: None,
        }
    }

    /// The same sessions kept, sealed, in `shared` (the database the instances share).
    pub fn with_shared(mut self, shared: Box<dyn SharedReporterSessions>) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Runs a call to the shared table, which blocks. Callers are handlers on the async
    /// workers, in code that is synchronous (extractors, page helpers): `block_in_place`
    /// lets this worker's other tasks move to another worker while the call waits, with
    /// no copy of the sealed row into a `'static` closure and no thread hop per lookup, as
    /// `spawn_blocking` would need (and every caller made async). It needs the
    /// multi-threaded runtime, which `serve` runs; outside a runtime (benches, tools) it
    /// simply calls. Errors are the caller's to answer (see the module's doc).
    fn shared_call<T>(
        &self,
        shared: &dyn SharedReporterSessions,
        call: impl FnOnce(&dyn SharedReporterSessions) -> crate::store::StoreResult<T>,
    ) -> Result<T> {
        Ok(tokio::task::block_in_place(|| call(shared))?)
    }

    /// [`ReporterSessions::shared_call`] for what nobody waits on (ending a session,
    /// sweeping): an error is logged, and the row goes at its limit.
    fn shared_call_logged(
        &self,
        call: impl FnOnce(&dyn SharedReporterSessions) -> crate::store::StoreResult<()>,
    ) {
        let Some(shared) = self.shared.as_deref() else {
            return;
        };
        if let Err(e) = self.shared_call(shared, call) {
            tracing::warn!(error = %e, "the shared reporter session table failed");
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

    /// The fingerprint of a token, to find its session or to start one.
    pub fn fingerprint(&self, token: &CaseToken) -> TokenFingerprint {
        self.fingerprints.fingerprint(token)
    }

    /// A new session on the case that `token` opened in a session still live, which
    /// ends: what a login with the same token again gets without an argon2 run.
    pub fn take_over(&self, token: TokenFingerprint) -> Result<Option<(SessionId, Arc<OpenCase>)>> {
        if let Some(shared) = self.shared.as_deref() {
            return self.shared_take_over(shared, token);
        }
        let now = self.clock.now();
        let mut table = self.lock();
        let Some(old) = table.by_token.get(&token).copied() else {
            return Ok(None);
        };
        let Some(entry) = table.remove(&old) else {
            return Ok(None);
        };
        if !self.live(&entry, now) {
            return Ok(None);
        }
        Ok(Some(self.insert(&mut table, entry.case, token, now)))
    }

    /// [`ReporterSessions::take_over`] on a shared table. A row that does not open (not
    /// sealed by this process) is no session to take over: the login derives the token.
    fn shared_take_over(
        &self,
        shared: &dyn SharedReporterSessions,
        token: TokenFingerprint,
    ) -> Result<Option<(SessionId, Arc<OpenCase>)>> {
        let now = self.clock.now();
        let lookup = token.lookup();
        let Some(by_token) = self.shared_call(shared, |s| s.by_token(&lookup, now / 60))? else {
            return Ok(None);
        };
        let Some(case) = shared::open_with(&token.sealing_identity(), &by_token) else {
            return Ok(None);
        };
        let id = SessionId::generate();
        let (digest, slot) = (id.digest(), case.key().session_slot());
        let sealed = shared::seal(&id, &case).ok_or_else(unsealable)?;
        let row = SessionRow {
            digest: digest.as_bytes(),
            slot: &slot,
            sealed: &sealed,
            token_lookup: &lookup,
            by_token: &by_token,
            idle_until: minutes_up(now + self.idle.as_secs()),
            ends_at: minutes_up(now + self.max.as_secs()),
        };
        if !self.shared_call(shared, |s| s.take_over(&lookup, now / 60, row))? {
            return Ok(None);
        }
        Ok(Some((id, Arc::new(case))))
    }

    /// Starts a session for a case opened with the token of fingerprint `token`, ending
    /// any session the case already had: a token opens one session at a time. On a
    /// shared table, the session exists on every instance when this returns, or this
    /// fails (503 with Retry-After when the database is unreachable).
    pub fn create(
        &self,
        case: OpenCase,
        token: TokenFingerprint,
    ) -> Result<(SessionId, Arc<OpenCase>)> {
        let now = self.clock.now();
        if let Some(shared) = self.shared.as_deref() {
            let id = SessionId::generate();
            let (digest, slot) = (id.digest(), case.key().session_slot());
            let lookup = token.lookup();
            let by_token =
                shared::seal_to(&token.sealing_identity(), &case).ok_or_else(unsealable)?;
            let sealed = shared::seal(&id, &case).ok_or_else(unsealable)?;
            let row = SessionRow {
                digest: digest.as_bytes(),
                slot: &slot,
                sealed: &sealed,
                token_lookup: &lookup,
                by_token: &by_token,
                idle_until: minutes_up(now + self.idle.as_secs()),
                ends_at: minutes_up(now + self.max.as_secs()),
            };
            self.shared_call(shared, |s| s.put(row))?;
            return Ok((id, Arc::new(case)));
        }
        let mut table = self.lock();
        if let Some(old) = table.by_case.get(&case.id()).copied() {
            table.remove(&old);
        }
        Ok(self.insert(&mut table, Arc::new(case), token, now))
    }

    /// Inserts a session, first making room for it when the table is full.
    fn insert(
        &self,
        table: &mut Table,
        case: Arc<OpenCase>,
        token: TokenFingerprint,
        now: u64,
    ) -> (SessionId, Arc<OpenCase>) {
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
        table.by_case.insert(case.id(), id.digest());
        table.by_token.insert(token, id.digest());
        table.entries.insert(
            id.digest(),
            Entry {
                case: case.clone(),
                token,
                created: now,
                last_used: now,
            },
        );
        (id, case)
    }

    /// The open case of a live session, which counts as a use of it. A shared table that
    /// cannot be read is an error (503), not "no session".
    pub fn get(&self, id: &SessionId) -> Result<Option<Arc<OpenCase>>> {
        let now = self.clock.now();
        let digest = id.digest();
        if let Some(shared) = self.shared.as_deref() {
            let idle_until = minutes_up(now + self.idle.as_secs());
            let sealed =
                self.shared_call(shared, |s| s.get(digest.as_bytes(), now / 60, idle_until))?;
            return Ok(sealed
                .and_then(|sealed| shared::open(id, &sealed))
                .map(Arc::new));
        }
        let mut table = self.lock();
        let Some(entry) = table.entries.get_mut(&digest) else {
            return Ok(None);
        };
        if !self.live(entry, now) {
            table.remove(&digest);
            return Ok(None);
        }
        entry.last_used = now;
        Ok(Some(entry.case.clone()))
    }

    pub fn end(&self, id: &SessionId) {
        if self.shared.is_some() {
            self.shared_call_logged(|s| s.end(id.digest().as_bytes()));
            return;
        }
        self.lock().remove(&id.digest());
    }

    /// Ends the session of a case, if it has one (its case was deleted). A shared table
    /// cannot find a case's row by its id (rows name no case); a row of a deleted case
    /// opens nothing the store still holds, and goes at its limit.
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
        if self.shared.is_some() {
            self.shared_call_logged(|s| s.sweep(now / 60));
            return;
        }
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

    fn any_token(sessions: &ReporterSessions) -> TokenFingerprint {
        sessions.fingerprint(&CaseToken::generate())
    }

    #[test]
    fn the_same_token_again_takes_the_case_over_from_its_live_session() {
        let clock = ManualClock::at(1_000_000);
        let sessions = sessions(&clock);
        let token = CaseToken::generate();
        let typed_again = CaseToken::parse(&token.grouped().to_lowercase()).unwrap();
        let (first, opened) = sessions
            .create(case(), sessions.fingerprint(&token))
            .unwrap();
        let (second, same) = sessions
            .take_over(sessions.fingerprint(&typed_again))
            .unwrap()
            .expect("the token's session is live");
        assert!(Arc::ptr_eq(&opened, &same), "the case opened once");
        assert!(
            sessions.get(&first).unwrap().is_none(),
            "the first session ended"
        );
        assert!(sessions.get(&second).unwrap().is_some());
        assert_eq!(sessions.len(), 1);
        assert!(
            sessions.take_over(any_token(&sessions)).unwrap().is_none(),
            "another token finds nothing"
        );
        sessions.end(&second);
        assert!(
            sessions
                .take_over(sessions.fingerprint(&token))
                .unwrap()
                .is_none(),
            "an ended session is not taken over"
        );
        let (third, _) = sessions
            .create(case(), sessions.fingerprint(&token))
            .unwrap();
        clock.advance(15 * 60);
        assert!(
            sessions
                .take_over(sessions.fingerprint(&token))
                .unwrap()
                .is_none(),
            "nor an expired one"
        );
        assert!(sessions.get(&third).unwrap().is_none());
    }

    #[test]
    fn a_session_ends_after_the_idle_limit_without_use() {
        let clock = ManualClock::at(1_000_000);
        let sessions = sessions(&clock);
        let (id, _) = sessions.create(case(), any_token(&sessions)).unwrap();
        clock.advance(14 * 60);
        assert!(
            sessions.get(&id).unwrap().is_some(),
            "used within the idle limit"
        );
        clock.advance(14 * 60);
        assert!(
            sessions.get(&id).unwrap().is_some(),
            "each use renews the idle limit"
        );
        clock.advance(15 * 60);
        assert!(sessions.get(&id).unwrap().is_none(), "idle for 15 minutes");
    }

    #[test]
    fn a_session_ends_at_the_absolute_limit_however_often_it_is_used() {
        let clock = ManualClock::at(1_000_000);
        let sessions = sessions(&clock);
        let (id, _) = sessions.create(case(), any_token(&sessions)).unwrap();
        for _ in 0..5 {
            clock.advance(10 * 60);
            assert!(sessions.get(&id).unwrap().is_some());
        }
        clock.advance(10 * 60);
        assert!(sessions.get(&id).unwrap().is_none(), "an hour after login");
    }

    #[test]
    fn a_new_login_to_a_case_ends_its_old_session() {
        let clock = ManualClock::at(1_000_000);
        let sessions = sessions(&clock);
        let id = CaseId::generate();
        let (first, _) = sessions
            .create(OpenCase::new(id, CaseKey::generate()), any_token(&sessions))
            .unwrap();
        let (second, _) = sessions
            .create(OpenCase::new(id, CaseKey::generate()), any_token(&sessions))
            .unwrap();
        assert!(sessions.get(&first).unwrap().is_none());
        assert!(sessions.get(&second).unwrap().is_some());
        assert_eq!(sessions.len(), 1);
    }

    #[test]
    fn a_full_table_ends_the_least_recently_used_session() {
        let clock = ManualClock::at(1_000_000);
        let sessions = sessions(&clock);
        let ids: Vec<_> = (0..MAX_SESSIONS)
            .map(|n| {
                clock.advance(u64::from(n == 2));
                sessions.create(case(), any_token(&sessions)).unwrap().0
            })
            .collect();
        clock.advance(1);
        assert!(
            sessions.get(&ids[0]).unwrap().is_some(),
            "the first is now recent"
        );
        let (newest, _) = sessions.create(case(), any_token(&sessions)).unwrap();
        assert!(sessions.get(&newest).unwrap().is_some());
        assert!(sessions.get(&ids[0]).unwrap().is_some());
        assert!(
            sessions.get(&ids[1]).unwrap().is_none(),
            "the least recently used ended"
        );
        assert_eq!(sessions.len(), MAX_SESSIONS);
    }

    #[test]
    fn an_ended_session_is_gone() {
        let clock = ManualClock::at(1_000_000);
        let sessions = sessions(&clock);
        let (id, _) = sessions.create(case(), any_token(&sessions)).unwrap();
        sessions.end(&id);
        assert!(sessions.get(&id).unwrap().is_none());
    }
}
