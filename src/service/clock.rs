//! The service's one source of time. Logic that expires or throttles takes its time from a
//! [`Clock`] passed in, so that tests can move time forward instead of sleeping.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::case::Day;

pub trait Clock: Send + Sync + 'static {
    /// Seconds since the Unix epoch.
    fn now(&self) -> u64;

    /// Today's date (UTC): the only time reporter actions are stamped with.
    fn today(&self) -> Day {
        Day::from_unix(self.now())
    }
}

/// The machine's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// The clock a service uses unless a test passes its own.
pub fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// A clock that moves only when told to, for tests of expiry and throttling.
#[cfg(test)]
pub struct ManualClock(std::sync::atomic::AtomicU64);

#[cfg(test)]
impl ManualClock {
    pub fn at(now: u64) -> Arc<Self> {
        Arc::new(ManualClock(std::sync::atomic::AtomicU64::new(now)))
    }

    pub fn advance(&self, seconds: u64) {
        self.0
            .fetch_add(seconds, std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(test)]
impl Clock for ManualClock {
    fn now(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}
