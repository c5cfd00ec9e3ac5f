//! What stands between a write and a disk that cannot take it.
//!
//! - **The free-space reserve.** sled does not survive ENOSPC: once a write fails for lack
//!   of space, every later write fails until the process restarts, and it can deadlock
//!   (measured on a 24 MiB tmpfs, see `tests/disk.rs`). So the store never lets it get
//!   there: below `--min-free-bytes` free on the data directory's filesystem, writes that
//!   add content are refused ([`StoreError::Full`], a 507) while reads, logins and other
//!   bookkeeping go on inside the reserve.
//! - **The failed state.** If the store still meets an I/O error on a write, it does not
//!   limp on: every later write is refused at once ([`StoreError::Failed`]), and `serve`'s
//!   watchdog sees [`WriteGuard::failure`] and exits non-zero, so that systemd or the
//!   container restarts it. A write that makes no progress for [`STALL_LIMIT`] counts as
//!   failed too: that is what a deadlocked sled looks like from outside.
//! - **The clock.** A day stamped on a report stays on it. The newest day the store holds
//!   (the high-water mark's day) is kept here, and a day earlier than it (the clock went
//!   back) or more than [`MAX_DAYS_AHEAD`] after it (the clock jumped) is refused until an
//!   administrator accepts the clock (`serve --accept-clock`).
//!
//! Each condition is logged once when it starts (and once when it ends), never once per
//! refused request.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::{StoreError, StoreResult};
use crate::case::Day;

/// A clock this far after the newest stored day is taken for a wrong one: two years.
/// A deployment sees writes every day (the service's own write probe among them), so a
/// gap this long is a jumped clock, not an idle service.
pub const MAX_DAYS_AHEAD: i64 = 2 * 365;

/// A write that has made no progress for this long is taken for a hung store. An fsync
/// on a busy disk takes milliseconds to seconds, not this.
pub const STALL_LIMIT: Duration = Duration::from_secs(30);

/// How often, at most, a streaming write (an evidence file) checks the reserve.
pub const CHECK_EVERY_BYTES: u64 = 1024 * 1024;

/// The free-space reserve of one filesystem.
pub struct Reserve {
    dir: PathBuf,
    min_free: u64,
    /// Whether the last check found less than the reserve, so that a crossing is logged
    /// once each way.
    low: AtomicBool,
}

impl Reserve {
    /// A reserve of `min_free` bytes on the filesystem holding `dir`; 0 turns it off.
    pub fn new(dir: PathBuf, min_free: u64) -> Reserve {
        Reserve {
            dir,
            min_free,
            low: AtomicBool::new(false),
        }
    }

    /// Refuses when less than the reserve is free.
    pub fn check(&self) -> StoreResult<()> {
        if self.min_free == 0 {
            return Ok(());
        }
        let free = fs2::available_space(&self.dir)?;
        if free < self.min_free {
            if !self.low.swap(true, Ordering::SeqCst) {
                tracing::error!(
                    free,
                    reserve = self.min_free,
                    dir = %self.dir.display(),
                    "the data directory's filesystem is below the free-space reserve: \
                     refusing new reports, follow-ups, evidence and investigator writes \
                     with 507 until space is freed; reads go on"
                );
            }
            return Err(StoreError::Full {
                free,
                reserve: self.min_free,
            });
        }
        if self.low.swap(false, Ordering::SeqCst) {
            tracing::info!(
                free,
                reserve = self.min_free,
                "free space is back above the reserve; accepting writes again"
            );
        }
        Ok(())
    }

    /// The same check as an I/O error of kind `StorageFull`, for streaming writers.
    pub fn check_io(&self) -> io::Result<()> {
        match self.check() {
            Ok(()) => Ok(()),
            Err(StoreError::Io(e)) => Err(e),
            Err(other) => Err(io::Error::new(
                io::ErrorKind::StorageFull,
                other.to_string(),
            )),
        }
    }
}

/// Whether a write needs the reserve to be free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Room {
    /// Content: reports, follow-ups, replies, notes, grants, status changes, accounts.
    Needed,
    /// Small bookkeeping that keeps reads working (sessions, logins, the audit of
    /// them): allowed inside the reserve, which exists for it.
    Bookkeeping,
}

/// The state every write of one store passes through.
pub struct WriteGuard {
    pub reserve: std::sync::Arc<Reserve>,
    failure: OnceLock<String>,
    /// Writes in progress, and when one last started or finished, to see a hung store.
    pending: AtomicUsize,
    progress: Mutex<Instant>,
    /// The newest day stored or stamped; `None` for a store that never recorded one.
    newest: Mutex<Option<Day>>,
    /// Whether the clock is being refused, so that it is logged once.
    clock_refused: AtomicBool,
}

impl WriteGuard {
    pub fn new(reserve: std::sync::Arc<Reserve>, newest: Option<Day>) -> WriteGuard {
        WriteGuard {
            reserve,
            failure: OnceLock::new(),
            pending: AtomicUsize::new(0),
            progress: Mutex::new(Instant::now()),
            newest: Mutex::new(newest),
            clock_refused: AtomicBool::new(false),
        }
    }

    /// Why the store stopped taking writes, if it did.
    pub fn failure(&self) -> Option<&str> {
        self.failure.get().map(String::as_str)
    }

    /// Whether a write has been in progress with nothing finishing for [`STALL_LIMIT`].
    pub fn stalled(&self) -> bool {
        self.pending.load(Ordering::SeqCst) > 0 && self.lock_progress().elapsed() > STALL_LIMIT
    }

    /// Stops the store for good (until restart), logging why once.
    pub fn fail(&self, why: String) -> StoreError {
        if self.failure.set(why.clone()).is_ok() {
            tracing::error!(
                error = %why,
                "the store failed: refusing every write from now on; quietline will exit \
                 so that its service manager restarts it"
            );
        }
        StoreError::Failed(self.failure().unwrap_or(&why).to_owned())
    }

    /// Runs one write: refused at once if the store failed (or, for content, if the
    /// reserve is not free); an I/O error it meets stops the store.
    pub fn write<T>(&self, room: Room, body: impl FnOnce() -> StoreResult<T>) -> StoreResult<T> {
        if let Some(why) = self.failure() {
            return Err(StoreError::Failed(why.to_owned()));
        }
        if room == Room::Needed {
            self.reserve.check()?;
        }
        if self.pending.fetch_add(1, Ordering::SeqCst) == 0 {
            *self.lock_progress() = Instant::now();
        }
        let result = body();
        self.pending.fetch_sub(1, Ordering::SeqCst);
        *self.lock_progress() = Instant::now();
        match result {
            Err(StoreError::Io(e)) => Err(self.fail(e.to_string())),
            other => other,
        }
    }

    fn lock_progress(&self) -> std::sync::MutexGuard<'_, Instant> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The newest day stored or stamped so far.
    pub fn newest(&self) -> Option<Day> {
        *self.newest.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `today` may be stamped: not before the newest day, not years after it.
    /// Refusals are logged once until the clock is right again.
    pub fn check_day(&self, today: Day) -> StoreResult<()> {
        let mut newest = self.newest.lock().unwrap_or_else(|p| p.into_inner());
        let Some(stored) = *newest else {
            *newest = Some(today);
            return Ok(());
        };
        let refusal = if today < stored {
            Some(StoreError::ClockBehind {
                today,
                newest: stored,
            })
        } else if stored.days_until(today) > MAX_DAYS_AHEAD {
            Some(StoreError::ClockAhead {
                today,
                newest: stored,
            })
        } else {
            None
        };
        if let Some(refusal) = refusal {
            if !self.clock_refused.swap(true, Ordering::SeqCst) {
                tracing::error!(
                    "refusing to stamp writes: {refusal}. Fix the clock, or, if it is right, \
                     restart with --accept-clock"
                );
            }
            return Err(refusal);
        }
        if self.clock_refused.swap(false, Ordering::SeqCst) {
            tracing::info!(%today, "the clock is plausible again; accepting writes");
        }
        *newest = Some(stored.max(today));
        Ok(())
    }

    /// Takes `today` as the newest day, even if that moves it back: the administrator
    /// said the clock is right.
    pub fn accept_day(&self, today: Day) {
        *self.newest.lock().unwrap_or_else(|p| p.into_inner()) = Some(today);
        self.clock_refused.store(false, Ordering::SeqCst);
    }
}
