//! The investigator login throttle, keyed by the name typed (whether or not it exists).
//! It slows failures down; it never refuses an attempt, so that nobody can lock an
//! investigator out by failing in their name. A guesser waits longer and longer for
//! each wrong answer, and the TOTP code (30-second steps, each usable once) keeps the
//! number of useful guesses tiny whatever the rate.
//!
//! On sled (one process) the counts live in this process's memory. On PostgreSQL, where
//! a guesser could spread failures over several instances and get a budget on each, they
//! live in the database ([`SharedLoginFailures`], `store::postgres::shared_state`), keyed
//! by a keyed digest of the typed name ([`NameKey`]): people type passwords into the name
//! field, and the name itself is never stored. A database that fails must neither lock
//! anyone out nor fail the login: the throttle then counts in memory, as on sled, and
//! says so in the log once (without the name), and again once the database answers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use zeroize::Zeroizing;

use crate::crypto::TokenCheckKey;
use crate::store::StoreResult;

/// Failed logins before waits begin; then each failure doubles the wait, up to
/// [`MAX_WAIT_SECONDS`].
const FREE_FAILURES: u32 = 5;
const MAX_WAIT_SECONDS: u64 = 300;
/// Longest hold on the answer to a failed login: long enough to make guessing slow, short
/// enough that a person who mistyped is not punished for long.
const MAX_FAILURE_DELAY_SECONDS: u64 = 8;
/// Failures across all names in a minute above which every failure is held back longer.
const GLOBAL_FAILURES_PER_MINUTE: u64 = 100;
/// Names tracked at once in memory; beyond that, entries older than the longest wait are
/// forgotten.
const MAX_TRACKED_NAMES: usize = 10_000;
/// A name's failures in the database are forgotten an hour after the latest: far longer
/// than the longest wait, so no wait is cut short, and short enough that a password typed
/// as a name does not stay there, even as a digest.
pub const FORGET_AFTER_SECONDS: u64 = 3600;
/// Separates this digest from every other use of HKDF in quietline.
const NAME_LABEL: &[u8] = b"quietline/v1/login-throttle-name";

/// A name's failures: how many, and the second (since the Unix epoch) of the latest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub last: u64,
}

/// What the database says for one typed name: its failures, if any are remembered, and
/// the failures of every name whose latest failure is after the time asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub name: Option<Failures>,
    pub recent: u64,
}

/// The database side: failure counts every instance shares, keyed by [`NameKey::digest`].
/// Times are seconds since the Unix epoch. Blocking.
pub trait SharedLoginFailures: Send + Sync {
    /// Adds one failure at `now`, in one statement; a row whose latest failure is before
    /// `forget_before` starts again from one, and other such rows are deleted.
    fn failed(&self, digest: &[u8; 32], now: u64, forget_before: u64) -> StoreResult<()>;
    /// The name's failures (none if its latest is before `forget_before`), and the sum
    /// of the failures of rows whose latest is after `recent_after`.
    fn standing(
        &self,
        digest: &[u8; 32],
        forget_before: u64,
        recent_after: u64,
    ) -> StoreResult<Standing>;
    /// Forgets the name's failures (a successful login).
    fn succeeded(&self, digest: &[u8; 32]) -> StoreResult<()>;
}

/// The key of the typed names' digests in the database, derived from the deployment's
/// token-check key (`crypto::token_check`), so that a copy of the throttle table alone
/// cannot be matched against guessed names or passwords. Whoever holds the whole store
/// holds the key too: the short life of a row ([`FORGET_AFTER_SECONDS`]) is what limits
/// that. Secret: no `Debug`, no `Display`, zeroized on drop.
pub struct NameKey(Zeroizing<[u8; 32]>);

impl NameKey {
    pub fn derive(deployment: &TokenCheckKey) -> Self {
        NameKey(deployment.derive_key(b"login throttle key"))
    }

    /// HKDF-SHA256 of the typed name under this key.
    fn digest(&self, name: &str) -> [u8; 32] {
        *crate::crypto::prf(self.0.as_ref(), name.as_bytes(), NAME_LABEL)
    }
}

/// Seconds a name with `failures` must still wait at `now`, if any.
fn wait_for(failures: Failures, now: u64) -> Option<u64> {
    if failures.count < FREE_FAILURES {
        return None;
    }
    let wait = (1u64 << (failures.count - FREE_FAILURES).min(9)).min(MAX_WAIT_SECONDS);
    let waited = now.saturating_sub(failures.last);
    (waited < wait).then(|| wait - waited)
}

/// How long to hold back a failure's answer, from the name's count and the failures of
/// the last minute across all names.
fn delay_for(count: u32, recent: u64) -> u64 {
    let per_name = count.checked_sub(FREE_FAILURES).map_or(0, |over| {
        (1u64 << over.min(9)).min(MAX_FAILURE_DELAY_SECONDS)
    });
    let global = u64::from(recent > GLOBAL_FAILURES_PER_MINUTE);
    (per_name + global).min(MAX_FAILURE_DELAY_SECONDS)
}

/// The throttle's database and the key of its digests.
struct Shared {
    failures: Box<dyn SharedLoginFailures>,
    key: NameKey,
    /// Whether the last call failed, so that the fall-back is logged once each way.
    failing: AtomicBool,
}

impl Shared {
    /// `Some` with the database's answer, or `None` (logged) to fall back on memory.
    fn answer<T>(&self, result: StoreResult<T>) -> Option<T> {
        match result {
            Ok(value) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("login throttle: the database answers again; counting there");
                }
                Some(value)
            }
            Err(error) => {
                if !self.failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(%error, "login throttle: the database failed; counting failures in this instance's memory meanwhile");
                }
                None
            }
        }
    }

    fn standing(&self, name: &str, now: u64) -> Option<Standing> {
        let digest = self.key.digest(name);
        let forget_before = now.saturating_sub(FORGET_AFTER_SECONDS);
        self.answer(
            self.failures
                .standing(&digest, forget_before, now.saturating_sub(60)),
        )
    }
}

#[derive(Default)]
pub struct Throttle {
    /// One lock around a small map; every critical section is a lookup or an update.
    names: Mutex<HashMap<String, Failures>>,
    /// The database's counts, on PostgreSQL; `None` on sled.
    shared: Option<Shared>,
}

impl Throttle {
    /// A throttle whose counts live in the database, shared by every instance on it.
    pub fn shared(failures: Box<dyn SharedLoginFailures>, key: NameKey) -> Self {
        Throttle {
            names: Mutex::default(),
            shared: Some(Shared {
                failures,
                key,
                failing: AtomicBool::new(false),
            }),
        }
    }

    fn names(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        // Every update is a single insert, change or remove: a poisoned map is whole.
        self.names.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Seconds `name` must still wait before its next attempt, if any (`now` in seconds
    /// since the Unix epoch).
    pub fn wait_needed(&self, name: &str, now: u64) -> Option<u64> {
        if let Some(standing) = self.shared.as_ref().and_then(|s| s.standing(name, now)) {
            return wait_for(standing.name?, now);
        }
        wait_for(*self.names().get(name)?, now)
    }

    pub fn failed(&self, name: &str, now: u64) {
        if let Some(shared) = &self.shared {
            let digest = shared.key.digest(name);
            let forget_before = now.saturating_sub(FORGET_AFTER_SECONDS);
            if shared
                .answer(shared.failures.failed(&digest, now, forget_before))
                .is_some()
            {
                return;
            }
        }
        let mut names = self.names();
        if names.len() >= MAX_TRACKED_NAMES && !names.contains_key(name) {
            names.retain(|_, f| now.saturating_sub(f.last) < MAX_WAIT_SECONDS);
        }
        let entry = names.entry(name.to_owned()).or_insert(Failures {
            count: 0,
            last: now,
        });
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
    }

    /// How long to hold back the answer to a failed attempt in `name` (after recording
    /// it): per name, and more for everyone while many attempts fail at once.
    pub fn failure_delay(&self, name: &str, now: u64) -> u64 {
        if let Some(standing) = self.shared.as_ref().and_then(|s| s.standing(name, now)) {
            return delay_for(standing.name.map_or(0, |f| f.count), standing.recent);
        }
        let names = self.names();
        let count = names.get(name).map_or(0, |f| f.count);
        let recent = names
            .values()
            .filter(|f| now.saturating_sub(f.last) < 60)
            .map(|f| u64::from(f.count))
            .sum::<u64>();
        delay_for(count, recent)
    }

    pub fn succeeded(&self, name: &str) {
        if let Some(shared) = &self.shared {
            let digest = shared.key.digest(name);
            shared.answer(shared.failures.succeeded(&digest));
        }
        self.names().remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_begin_after_the_free_failures_and_double() {
        let throttle = Throttle::default();
        let now = 1_000_000;
        for _ in 0..FREE_FAILURES {
            assert_eq!(throttle.wait_needed("ana", now), None);
            throttle.failed("ana", now);
        }
        assert_eq!(throttle.wait_needed("ana", now), Some(1));
        assert_eq!(
            throttle.wait_needed("ana", now + 1),
            None,
            "the wait is over"
        );
        throttle.failed("ana", now + 1);
        assert_eq!(throttle.wait_needed("ana", now + 1), Some(2));
        assert_eq!(
            throttle.wait_needed("bruno", now + 1),
            None,
            "other names are not affected"
        );
        throttle.succeeded("ana");
        assert_eq!(throttle.wait_needed("ana", now + 1), None);
    }

    #[test]
    fn failures_are_held_back_longer_per_name_up_to_a_bound() {
        let throttle = Throttle::default();
        for _ in 0..FREE_FAILURES {
            throttle.failed("ana", 0);
        }
        assert_eq!(throttle.failure_delay("ana", 0), 1);
        throttle.failed("ana", 0);
        assert_eq!(throttle.failure_delay("ana", 0), 2);
        for _ in 0..20 {
            throttle.failed("ana", 0);
        }
        assert_eq!(throttle.failure_delay("ana", 0), MAX_FAILURE_DELAY_SECONDS);
        assert_eq!(throttle.failure_delay("bruno", 0), 0);
        for n in 0..=GLOBAL_FAILURES_PER_MINUTE {
            throttle.failed(&format!("guess-{n}"), 0);
        }
        assert_eq!(
            throttle.failure_delay("bruno", 0),
            1,
            "a flood slows everyone's failures"
        );
    }

    #[test]
    fn the_wait_never_exceeds_five_minutes() {
        let throttle = Throttle::default();
        for _ in 0..40 {
            throttle.failed("ana", 0);
        }
        assert_eq!(throttle.wait_needed("ana", 0), Some(MAX_WAIT_SECONDS));
        assert_eq!(throttle.wait_needed("ana", MAX_WAIT_SECONDS), None);
    }

    /// The database as a map from digest to failures, shared by the throttles of two
    /// "instances"; or, with `down`, a database that fails every call.
    #[derive(Clone, Default)]
    struct Table {
        rows: std::sync::Arc<Mutex<HashMap<[u8; 32], Failures>>>,
        down: bool,
    }

    impl SharedLoginFailures for Table {
        fn failed(&self, digest: &[u8; 32], now: u64, forget_before: u64) -> StoreResult<()> {
            if self.down {
                return Err(crate::store::StoreError::Unavailable("down".into()));
            }
            let mut rows = self.rows.lock().unwrap();
            rows.retain(|d, f| d == digest || f.last >= forget_before);
            let row = rows
                .entry(*digest)
                .or_insert(Failures { count: 0, last: 0 });
            row.count = if row.last < forget_before {
                1
            } else {
                row.count + 1
            };
            row.last = now;
            Ok(())
        }

        fn standing(&self, digest: &[u8; 32], forget: u64, after: u64) -> StoreResult<Standing> {
            if self.down {
                return Err(crate::store::StoreError::Unavailable("down".into()));
            }
            let rows = self.rows.lock().unwrap();
            Ok(Standing {
                name: rows.get(digest).copied().filter(|f| f.last >= forget),
                recent: rows
                    .values()
                    .filter(|f| f.last > after)
                    .map(|f| u64::from(f.count))
                    .sum(),
            })
        }

        fn succeeded(&self, digest: &[u8; 32]) -> StoreResult<()> {
            if self.down {
                return Err(crate::store::StoreError::Unavailable("down".into()));
            }
            self.rows.lock().unwrap().remove(digest);
            Ok(())
        }
    }

    /// The same deployment key every time, as two instances of one deployment have.
    fn key() -> NameKey {
        let mut bytes = [7u8; 33];
        bytes[32] = 0;
        NameKey::derive(&TokenCheckKey::from_bytes(&bytes).unwrap())
    }

    #[test]
    fn two_throttles_on_one_table_count_as_one_and_keep_no_name() {
        let table = Table::default();
        let a = Throttle::shared(Box::new(table.clone()), key());
        let b = Throttle::shared(Box::new(table.clone()), key());
        for n in 0..FREE_FAILURES + 2 {
            let on = if n % 2 == 0 { &a } else { &b };
            on.failed("ana", 0);
        }
        assert_eq!(
            a.failure_delay("ana", 0),
            4,
            "seven failures, wherever made"
        );
        assert_eq!(b.failure_delay("ana", 0), 4);
        assert_eq!(b.wait_needed("ana", 0), Some(4));
        let rows = table.rows.lock().unwrap().clone();
        assert_eq!(rows.len(), 1);
        assert!(rows.keys().all(|d| !d.windows(3).any(|w| w == b"ana")));
        assert_ne!(rows.keys().next(), Some(&[0u8; 32]));
        b.succeeded("ana");
        assert_eq!(a.failure_delay("ana", 0), 0, "a success clears it for all");
    }

    #[test]
    fn a_name_is_forgotten_an_hour_after_its_last_failure() {
        let throttle = Throttle::shared(Box::new(Table::default()), key());
        for _ in 0..FREE_FAILURES + 1 {
            throttle.failed("ana", 0);
        }
        assert_eq!(throttle.failure_delay("ana", 0), 2);
        let later = FORGET_AFTER_SECONDS + 1;
        assert_eq!(throttle.failure_delay("ana", later), 0);
        throttle.failed("ana", later);
        assert_eq!(throttle.failure_delay("ana", later), 0, "counting from one");
    }

    #[test]
    fn a_failing_database_falls_back_to_memory_and_locks_nobody_out() {
        let throttle = Throttle::shared(
            Box::new(Table {
                down: true,
                ..Table::default()
            }),
            key(),
        );
        for _ in 0..FREE_FAILURES + 1 {
            throttle.failed("ana", 0);
        }
        assert_eq!(throttle.failure_delay("ana", 0), 2, "counted in memory");
        assert_eq!(throttle.wait_needed("ana", 0), Some(2));
        throttle.succeeded("ana");
        assert_eq!(throttle.wait_needed("ana", 0), None);
    }
}
