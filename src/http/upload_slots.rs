//! The `--max-uploads` slots of uploads with evidence files, and who gives one up when
//! they are all taken.
//!
//! Each upload may hold a blocking thread while its files are cleaned and sealed, so their
//! number is fixed. A fixed number alone let an attacker hold every slot with trickles
//! just above the minimum rate (2 KiB/s, `uploads::Pace`), refusing every real reporter's
//! file for as long as they kept it up (issue 10).
//!
//! So when every slot is taken, a newcomer is put on probation: its first
//! [`PROOF_BYTES`] are read into memory (or all of it, if it is smaller), within
//! [`PROOF_TIME`]. A newcomer that proves it is no trickle that way takes the slot of the
//! slowest upload averaging under [`FLOOR_BYTES_PER_SECOND`] since it started (at least
//! [`HOLDER_GRACE`] ago), which is told to stop; one that does not, or finds no upload that
//! slow, is refused (503, Retry-After).
//!
//! Why this policy: an upload faster than the floor is never cut, and 32 KiB/s is well
//! below what Tor carries, so a real reporter's upload is cut only if it is that slow, the
//! slowest, and every slot is taken. A trickle can no longer hold a slot against a real
//! upload, and newcomers that cannot send faster than the floor (stalled or trickling
//! uploads re-opened as they are cut) cannot evict anyone, so they cannot churn the slots
//! either. Holding the slots now takes the floor's rate per slot. The evicted upload is
//! told why; it was not acknowledged, so nothing acknowledged is lost, and its partial
//! files are deleted like those of any failed upload. Probation holds what newcomers have
//! sent, at most [`PROOF_BYTES`] each and [`PROBATION_BYTES`] in all; it does not limit
//! how many are on probation (`--max-connections` does), so that stalled newcomers, which
//! hold almost nothing, cannot keep a real upload from its probation.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// An upload averaging less than this since it started may lose its slot to a newcomer
/// that proved faster, when every slot is taken.
pub const FLOOR_BYTES_PER_SECOND: f64 = 32.0 * 1024.0;
/// A newcomer proves itself by sending this much (or all of its request)...
pub const PROOF_BYTES: usize = 64 * 1024;
/// ...within this long: at the floor's rate.
pub const PROOF_TIME: Duration = Duration::from_secs(2);
/// An upload younger than this keeps its slot whatever its rate.
pub const HOLDER_GRACE: Duration = Duration::from_secs(2);
/// What all newcomers on probation may hold in memory at once.
pub const PROBATION_BYTES: usize = 4 * 1024 * 1024;

/// The slots; one lock around a short list, held for a scan of at most `--max-uploads`.
pub struct UploadSlots {
    max: usize,
    table: Arc<Mutex<Table>>,
    /// Bytes held by newcomers on probation, up to [`PROBATION_BYTES`].
    probation: Arc<AtomicUsize>,
}

#[derive(Default)]
struct Table {
    next_id: u64,
    held: Vec<Held>,
}

/// What the table knows of a slot's upload.
struct Held {
    id: u64,
    started: Instant,
    received: Arc<AtomicU64>,
    evicted: Arc<Notify>,
}

/// The bytes one newcomer holds on probation, given back when dropped.
pub struct Probation {
    held: usize,
    all: Arc<AtomicUsize>,
}

impl Probation {
    /// Counts `bytes` more in, or says no if all newcomers would then hold more than
    /// [`PROBATION_BYTES`].
    pub fn hold(&mut self, bytes: usize) -> bool {
        if self.all.fetch_add(bytes, Ordering::AcqRel) + bytes > PROBATION_BYTES {
            self.all.fetch_sub(bytes, Ordering::AcqRel);
            return false;
        }
        self.held += bytes;
        true
    }
}

impl Drop for Probation {
    fn drop(&mut self) {
        self.all.fetch_sub(self.held, Ordering::AcqRel);
    }
}

/// One upload's slot: given back when dropped.
pub struct Slot {
    id: u64,
    received: Arc<AtomicU64>,
    evicted: Arc<Notify>,
    table: Arc<Mutex<Table>>,
}

impl UploadSlots {
    pub fn new(max: usize) -> Self {
        UploadSlots {
            max,
            table: Arc::new(Mutex::new(Table::default())),
            probation: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A free slot, if there is one.
    pub fn acquire(&self) -> Option<Slot> {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        (table.held.len() < self.max).then(|| self.push(&mut table, Instant::now(), 0))
    }

    /// A newcomer's account of the bytes it holds on probation.
    pub fn probation(&self) -> Probation {
        Probation {
            held: 0,
            all: self.probation.clone(),
        }
    }

    /// A slot for a newcomer that proved itself, having sent `received` bytes since
    /// `started`: a free one, or else the slot of the slowest upload below the floor,
    /// which is told to stop. `None` when every upload is fast enough or young.
    pub fn acquire_proven(&self, started: Instant, received: u64) -> Option<Slot> {
        self.acquire_proven_at(Instant::now(), started, received)
    }

    fn acquire_proven_at(&self, now: Instant, started: Instant, received: u64) -> Option<Slot> {
        // Every change is one push or one removal: a poisoned table is whole.
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if table.held.len() >= self.max {
            let slowest = table
                .held
                .iter()
                .enumerate()
                .filter(|(_, held)| now.duration_since(held.started) >= HOLDER_GRACE)
                .map(|(at, held)| (at, held.rate(now)))
                .filter(|(_, rate)| *rate < FLOOR_BYTES_PER_SECOND)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(at, _)| at)?;
            let evicted = table.held.swap_remove(slowest);
            evicted.evicted.notify_one();
        }
        Some(self.push(&mut table, started, received))
    }

    fn push(&self, table: &mut Table, started: Instant, received: u64) -> Slot {
        let id = table.next_id;
        table.next_id += 1;
        let slot = Slot {
            id,
            received: Arc::new(AtomicU64::new(received)),
            evicted: Arc::new(Notify::new()),
            table: self.table.clone(),
        };
        table.held.push(Held {
            id,
            started,
            received: slot.received.clone(),
            evicted: slot.evicted.clone(),
        });
        slot
    }
}

impl Held {
    /// Bytes per second since the upload started.
    fn rate(&self, now: Instant) -> f64 {
        let seconds = now.duration_since(self.started).as_secs_f64().max(0.001);
        self.received.load(Ordering::Relaxed) as f64 / seconds
    }
}

impl Slot {
    /// Counts bytes received by this upload.
    pub fn received(&self, bytes: u64) {
        self.received.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Completes when this upload has lost its slot to a newcomer.
    pub async fn evicted(&self) {
        self.evicted.notified().await;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        // Absent if it was evicted: its place already went to the newcomer.
        if let Some(at) = table.held.iter().position(|held| held.id == self.id) {
            table.held.swap_remove(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn told(slot: &Slot) -> bool {
        tokio::time::timeout(Duration::from_millis(10), slot.evicted())
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn a_proven_newcomer_takes_the_slot_of_the_slowest_trickle_past_its_grace() {
        let slots = UploadSlots::new(2);
        let fast = slots.acquire().unwrap();
        let slow = slots.acquire().unwrap();
        assert!(slots.acquire().is_none(), "every slot is taken");
        let now = Instant::now();
        assert!(
            slots.acquire_proven_at(now, now, 0).is_none(),
            "both young: even a proven newcomer waits"
        );
        let later = now + HOLDER_GRACE * 5;
        fast.received(10 * 1024 * 1024);
        slow.received(20 * 1024);
        let newcomer = slots
            .acquire_proven_at(later, later, PROOF_BYTES as u64)
            .expect("the trickle gives its slot up");
        assert!(told(&slow).await, "the trickle is told");
        assert!(!told(&fast).await, "the fast upload keeps its slot");
        drop(slow);
        assert!(slots.acquire().is_none(), "no slot freed twice");
        drop(newcomer);
        assert!(slots.acquire().is_some(), "a dropped slot is free again");
    }

    #[test]
    fn probation_holds_a_bounded_total() {
        let slots = UploadSlots::new(1);
        let mut first = slots.probation();
        assert!(first.hold(PROBATION_BYTES - 10));
        let mut second = slots.probation();
        assert!(!second.hold(11), "over the total");
        assert!(second.hold(10));
        drop(first);
        assert!(second.hold(PROOF_BYTES), "given back when dropped");
    }

    #[tokio::test]
    async fn uploads_above_the_floor_are_never_cut() {
        let slots = UploadSlots::new(1);
        let upload = slots.acquire().unwrap();
        upload.received((FLOOR_BYTES_PER_SECOND * 61.0) as u64);
        let later = Instant::now() + HOLDER_GRACE * 30;
        assert!(slots.acquire_proven_at(later, later, 0).is_none());
        assert!(!told(&upload).await);
    }
}
