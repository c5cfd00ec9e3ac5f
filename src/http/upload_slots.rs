//! The `--max-uploads` slots of uploads with evidence files, and who gives one up when
//! they are all taken.
//!
//! Each upload may hold a blocking thread while its files are cleaned and sealed, so their
//! number is fixed. A fixed number alone let an attacker hold every slot with trickles
//! just above the minimum rate (2 KiB/s, `uploads::Pace`), refusing every real reporter's
//! file for as long as they kept it up (issue 10). So when every slot is taken, a new
//! upload takes the slot of the slowest upload whose average rate since it started is
//! below [`PREEMPT_BELOW_BYTES_PER_SECOND`], if one has run for [`PREEMPT_GRACE`] at least;
//! only when none is that slow is the newcomer refused (503, Retry-After).
//!
//! Why this policy: an upload faster than the floor is never cut, and 64 KiB/s is well
//! below what Tor carries, so a real reporter's upload is cut only if it is both that slow
//! and the slowest while every slot is taken. To hold a slot an attacker must now send
//! 64 KiB/s per slot, and the service stores what they send within the evidence limits.
//! The grace keeps newcomers, which have sent nothing yet, from evicting each other.
//! The evicted upload is told why (503, Retry-After); it was not acknowledged, so nothing
//! acknowledged is lost, and its partial files are deleted like those of any failed upload.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// An upload averaging less than this since it started may lose its slot to a newcomer
/// when every slot is taken.
pub const PREEMPT_BELOW_BYTES_PER_SECOND: f64 = 64.0 * 1024.0;
/// An upload younger than this keeps its slot whatever its rate.
pub const PREEMPT_GRACE: Duration = Duration::from_secs(10);

/// The slots; one lock around a short list, held for a scan of at most `--max-uploads`.
pub struct UploadSlots {
    max: usize,
    table: Arc<Mutex<Table>>,
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
        }
    }

    /// A slot for a new upload: a free one, or else the slot of the slowest upload below
    /// the floor, which is told to stop. `None` when every upload is fast enough or young.
    pub fn acquire(&self) -> Option<Slot> {
        self.acquire_at(Instant::now())
    }

    fn acquire_at(&self, now: Instant) -> Option<Slot> {
        // Every change is one push or one removal: a poisoned table is whole.
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if table.held.len() >= self.max {
            let slowest = table
                .held
                .iter()
                .enumerate()
                .filter(|(_, held)| now.duration_since(held.started) >= PREEMPT_GRACE)
                .map(|(at, held)| (at, held.rate(now)))
                .filter(|(_, rate)| *rate < PREEMPT_BELOW_BYTES_PER_SECOND)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(at, _)| at)?;
            let evicted = table.held.swap_remove(slowest);
            evicted.evicted.notify_one();
        }
        let id = table.next_id;
        table.next_id += 1;
        let slot = Slot {
            id,
            received: Arc::new(AtomicU64::new(0)),
            evicted: Arc::new(Notify::new()),
            table: self.table.clone(),
        };
        table.held.push(Held {
            id,
            started: now,
            received: slot.received.clone(),
            evicted: slot.evicted.clone(),
        });
        Some(slot)
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
    async fn a_newcomer_takes_the_slot_of_the_slowest_trickle_past_its_grace() {
        let slots = UploadSlots::new(2);
        let fast = slots.acquire().unwrap();
        let slow = slots.acquire().unwrap();
        assert!(slots.acquire().is_none(), "both young: the newcomer waits");
        let later = Instant::now() + PREEMPT_GRACE;
        fast.received(10 * 1024 * 1024);
        slow.received(20 * 1024);
        let newcomer = slots
            .acquire_at(later)
            .expect("the trickle gives its slot up");
        assert!(told(&slow).await, "the trickle is told");
        assert!(!told(&fast).await, "the fast upload keeps its slot");
        drop(slow);
        assert!(slots.acquire_at(later).is_none(), "no slot freed twice");
        drop(newcomer);
        assert!(
            slots.acquire_at(later).is_some(),
            "a dropped slot is free again"
        );
    }

    #[tokio::test]
    async fn uploads_above_the_floor_are_never_cut() {
        let slots = UploadSlots::new(1);
        let upload = slots.acquire().unwrap();
        upload.received((PREEMPT_BELOW_BYTES_PER_SECOND * 61.0) as u64);
        assert!(
            slots
                .acquire_at(Instant::now() + PREEMPT_GRACE * 6)
                .is_none()
        );
        assert!(!told(&upload).await);
    }
}
