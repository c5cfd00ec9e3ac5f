//! The investigator login throttle: in memory, keyed by the name typed (whether or not it
//! exists). It slows failures down; it never refuses an attempt, so that nobody can lock
//! an investigator out by failing in their name. A guesser waits longer and longer for
//! each wrong answer, and the TOTP code (30-second steps, each usable once) keeps the
//! number of useful guesses tiny whatever the rate.

use std::collections::HashMap;
use std::sync::Mutex;

/// Failed logins before waits begin; then each failure doubles the wait, up to
/// [`MAX_WAIT_SECONDS`].
const FREE_FAILURES: u32 = 5;
const MAX_WAIT_SECONDS: u64 = 300;
/// Longest hold on the answer to a failed login: long enough to make guessing slow, short
/// enough that a person who mistyped is not punished for long.
const MAX_FAILURE_DELAY_SECONDS: u64 = 8;
/// Failures across all names in a minute above which every failure is held back longer.
const GLOBAL_FAILURES_PER_MINUTE: u64 = 100;
/// Names tracked at once; beyond that, entries older than the longest wait are forgotten.
const MAX_TRACKED_NAMES: usize = 10_000;

struct Failures {
    count: u32,
    /// Seconds since the Unix epoch of the latest failure.
    last: u64,
}

#[derive(Default)]
pub struct Throttle {
    /// One lock around a small map; every critical section is a lookup or an update.
    names: Mutex<HashMap<String, Failures>>,
}

impl Throttle {
    fn names(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        // Every update is a single insert, change or remove: a poisoned map is whole.
        self.names.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Seconds `name` must still wait before its next attempt, if any (`now` in seconds
    /// since the Unix epoch).
    pub fn wait_needed(&self, name: &str, now: u64) -> Option<u64> {
        let names = self.names();
        let failures = names.get(name)?;
        if failures.count < FREE_FAILURES {
            return None;
        }
        let wait = (1u64 << (failures.count - FREE_FAILURES).min(9)).min(MAX_WAIT_SECONDS);
        let waited = now.saturating_sub(failures.last);
        (waited < wait).then(|| wait - waited)
    }

    pub fn failed(&self, name: &str, now: u64) {
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
        let names = self.names();
        let per_name = names.get(name).map_or(0, |f| {
            f.count.checked_sub(FREE_FAILURES).map_or(0, |over| {
                (1u64 << over.min(9)).min(MAX_FAILURE_DELAY_SECONDS)
            })
        });
        let recent = names
            .values()
            .filter(|f| now.saturating_sub(f.last) < 60)
            .map(|f| u64::from(f.count))
            .sum::<u64>();
        let global = u64::from(recent > GLOBAL_FAILURES_PER_MINUTE);
        (per_name + global).min(MAX_FAILURE_DELAY_SECONDS)
    }

    pub fn succeeded(&self, name: &str) {
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
}
