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

/// Moves the clock of a debug build by this many days, for the tests of what the service
/// does when the clock goes back or jumps ahead (`tests/clock.rs`). Release builds never
/// read it: a stray variable must not move a production clock.
pub const TEST_OFFSET_VARIABLE: &str = "QUIETLINE_TEST_CLOCK_OFFSET_DAYS";

/// Like [`TEST_OFFSET_VARIABLE`], but names a file holding the offset in days, read at
/// every tick, so that a test can move the clock of a running debug build (the daily
/// retention run in `tests/retention.rs`). Release builds never read it.
pub const TEST_OFFSET_FILE_VARIABLE: &str = "QUIETLINE_TEST_CLOCK_OFFSET_FILE";

/// The clock `serve` uses: the machine's, except in a debug build run with
/// [`TEST_OFFSET_VARIABLE`] or [`TEST_OFFSET_FILE_VARIABLE`] set, which move it (logged
/// as a warning).
pub fn for_serve() -> Arc<dyn Clock> {
    if !cfg!(debug_assertions) {
        return system();
    }
    if let Some(path) = std::env::var_os(TEST_OFFSET_FILE_VARIABLE) {
        tracing::warn!("TEST ONLY: {TEST_OFFSET_FILE_VARIABLE} moves this debug build's clock");
        return Arc::new(OffsetFileClock { path: path.into() });
    }
    let Some(days) = std::env::var(TEST_OFFSET_VARIABLE)
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
    else {
        return system();
    };
    tracing::warn!(
        days,
        "TEST ONLY: {TEST_OFFSET_VARIABLE} moves this debug build's clock"
    );
    Arc::new(OffsetClock {
        seconds: days.saturating_mul(86_400),
    })
}

/// The machine's clock moved by a fixed offset (tests only, see [`for_serve`]).
struct OffsetClock {
    seconds: i64,
}

impl Clock for OffsetClock {
    fn now(&self) -> u64 {
        SystemClock.now().saturating_add_signed(self.seconds)
    }
}

/// The machine's clock moved by the days a file says (tests only, see [`for_serve`]).
struct OffsetFileClock {
    path: std::path::PathBuf,
}

impl Clock for OffsetFileClock {
    fn now(&self) -> u64 {
        let days = std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|text| text.trim().parse::<i64>().ok())
            .unwrap_or(0);
        SystemClock
            .now()
            .saturating_add_signed(days.saturating_mul(86_400))
    }
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
