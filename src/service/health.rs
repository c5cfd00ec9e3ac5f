//! Whether the store still works: what `/healthz` answers and what `serve`'s watchdog
//! watches. A store that failed (an I/O error, or a write that hung) must end the
//! process, so that systemd or the container restarts it, instead of limping on with
//! every write failing; a full disk or a wrong clock only refuses writes, and a restart
//! would not help, so they leave the service healthy for reads.

use std::sync::Arc;

use super::clock::Clock;
use crate::store::{Store, StoreError};

/// What `/healthz` reports.
pub enum State {
    Ok,
    /// Reads work; writes are refused with 507 until space is freed.
    NoRoom,
    /// Reads work; writes are refused with 503 until the clock is fixed or accepted.
    ClockWrong,
    /// The store failed; the process is about to exit.
    Failed,
}

pub struct Health {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl Health {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Health { store, clock }
    }

    /// Blocking: reads from the store, then asks whether a write could go ahead now.
    pub fn check(&self) -> State {
        let today = self.clock.today();
        if self.store.probe(today, false).is_err() || self.store.failure().is_some() {
            return State::Failed;
        }
        match self.store.check_writable(today) {
            Ok(()) => State::Ok,
            Err(StoreError::Full { .. }) => State::NoRoom,
            Err(StoreError::ClockBehind { .. } | StoreError::ClockAhead { .. }) => {
                State::ClockWrong
            }
            Err(_) => State::Failed,
        }
    }

    /// Blocking: a small durable write, so that a store that can no longer write is
    /// found even when nobody writes. Its failure is recorded by the store.
    pub fn probe_write(&self) {
        let _ = self.store.probe(self.clock.today(), true);
    }

    /// Why the store stopped taking writes, if it did. Cheap.
    pub fn failure(&self) -> Option<String> {
        self.store.failure()
    }
}
