//! Alerts when several instances serve one deployment (PostgreSQL): counts and claims in
//! the database, so that each alert is sent once, by one instance, and counts every
//! instance's events.
//!
//! - **Counts.** Each event is added to this instance's counters in memory (a reporter
//!   never waits for the database), then moved at once to the database's counters, one
//!   row per kind, in one statement ([`SharedAlertCounts::add`]). The rows hold numbers
//!   only: no case, no time. If the database fails, the counts stay in memory and are
//!   tried again at the next event or poll, and the failure is logged.
//! - **Digests.** At each digest time every instance moves its counts, then tries to
//!   claim the digest's slot ([`SharedAlertCounts::claim`]); the one that gets it takes
//!   the counts in one statement ([`SharedAlertCounts::take`]) and sends the digest. The
//!   daily deadline digest is claimed the same way. Instances of one deployment must run
//!   with the same `--alert-digest-every` and `--alert-deadline-hour`, so that their
//!   slots agree.
//! - **Urgent reports.** The instance that took the report moves the count and takes it
//!   back at once, and alerts; whichever instance takes an urgent count alerts it, so it
//!   is alerted once. Every instance also takes urgent counts every [`URGENT_POLL`] and
//!   at each digest time, so that a count left by an instance that died before alerting
//!   is alerted all the same. If the database fails, the instance alerts from its own
//!   count at once: an urgent alert does not wait for the database.
//!
//! A count whose addition committed but whose answer was lost is added again on the next
//! try, and may be counted twice: alerts may over-count, never lose an event.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::Running;
use super::content::{Counts, Kind};
use crate::i18n::Lang;
use crate::store::StoreResult;

/// How often every instance looks for urgent counts that no instance alerted.
pub const URGENT_POLL: Duration = Duration::from_secs(30);

/// Which counters a digest takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tally {
    /// Urgent reports.
    Urgent,
    /// New reports and reporter messages.
    Activity,
}

/// The database side: the deployment's alert counters and claims. Blocking.
pub trait SharedAlertCounts: Send + Sync {
    /// Adds the urgent, new-report and reporter-message counts of `counts` to the
    /// counters, in one statement.
    fn add(&self, counts: Counts) -> StoreResult<()>;
    /// Takes the counters of `tally`: what they held, leaving them at zero, in one
    /// statement, so that two instances never take the same event.
    fn take(&self, tally: Tally) -> StoreResult<Counts>;
    /// Claims the scheduled alert of `kind` at `slot`: true for one caller only.
    fn claim(&self, kind: Kind, slot: u64) -> StoreResult<bool>;
}

impl Running {
    /// Moves this instance's counts to the database; false (logged) if they stay in
    /// memory because it failed. Blocks.
    pub(super) fn flush_blocking(&self) -> bool {
        let Some(shared) = &self.shared else {
            return true;
        };
        let p = &self.pending;
        let counts = Counts {
            urgent_reports: p.urgent.swap(0, Ordering::SeqCst),
            new_reports: p.new_reports.swap(0, Ordering::SeqCst),
            reporter_messages: p.reporter_messages.swap(0, Ordering::SeqCst),
            ..Counts::default()
        };
        if counts.is_empty() {
            return true;
        }
        match shared.add(counts) {
            Ok(()) => true,
            Err(error) => {
                p.urgent.fetch_add(counts.urgent_reports, Ordering::SeqCst);
                p.new_reports
                    .fetch_add(counts.new_reports, Ordering::SeqCst);
                p.reporter_messages
                    .fetch_add(counts.reporter_messages, Ordering::SeqCst);
                tracing::error!(%error, "alerts: counts could not reach the database; kept in memory, tried again at the next event or within 30 s");
                false
            }
        }
    }

    /// [`Running::flush_blocking`] off the async workers.
    pub(super) async fn flush(self: &Arc<Self>) -> bool {
        let running = self.clone();
        tokio::task::spawn_blocking(move || running.flush_blocking())
            .await
            .unwrap_or(false)
    }

    /// Takes the database's counters of `tally` and sends what they held.
    async fn take_and_send(&self, lang: Lang, tally: Tally) {
        let Some(shared) = self.shared.clone() else {
            return;
        };
        match tokio::task::spawn_blocking(move || shared.take(tally)).await {
            Ok(Ok(counts)) => {
                let kind = match tally {
                    Tally::Urgent => Kind::Urgent,
                    Tally::Activity => Kind::Digest,
                };
                self.send(lang, kind, counts).await;
            }
            Ok(Err(error)) => {
                tracing::error!(?tally, %error, "alerts: counts could not be taken from the database; they wait there for the next try")
            }
            Err(_) => {}
        }
    }

    /// Whether this instance sends the scheduled alert of `kind` at `slot`: always on
    /// sled; on PostgreSQL, if it claimed the slot first. A failed claim sends nothing
    /// (logged): the counts wait in the database for the next slot.
    pub(super) async fn claimed(&self, kind: Kind, slot: u64) -> bool {
        let Some(shared) = self.shared.clone() else {
            return true;
        };
        match tokio::task::spawn_blocking(move || shared.claim(kind, slot)).await {
            Ok(Ok(claimed)) => claimed,
            Ok(Err(error)) => {
                tracing::error!(?kind, %error, "alerts: a scheduled alert could not be claimed in the database; not sent");
                false
            }
            Err(_) => false,
        }
    }

    /// An urgent report arrived here: its count goes to the database and is taken back
    /// at once by whichever instance is first (this one, unless another is polling).
    pub(super) async fn urgent_shared(self: &Arc<Self>, lang: Lang) {
        if self.flush().await {
            return self.take_and_send(lang, Tally::Urgent).await;
        }
        let counts = Counts {
            urgent_reports: self.pending.urgent.swap(0, Ordering::SeqCst),
            ..Counts::default()
        };
        tracing::warn!(
            "alerts: urgent alert sent from this instance's own count, since the database failed"
        );
        self.send(lang, Kind::Urgent, counts).await;
    }

    /// Moves counts still in memory, and alerts urgent counts no instance alerted.
    pub(super) async fn poll_urgent(self: &Arc<Self>, lang: Lang) {
        if self.flush().await {
            self.take_and_send(lang, Tally::Urgent).await;
        }
    }

    /// The digest of `slot`, from the database, by the instance that claims it.
    pub(super) async fn digest_shared(self: &Arc<Self>, lang: Lang, slot: u64) {
        self.poll_urgent(lang).await;
        if self.claimed(Kind::Digest, slot).await {
            self.take_and_send(lang, Tally::Activity).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::store::{SledStore, StoreError};

    /// A database that fails every call, or one that keeps what was added.
    #[derive(Default)]
    struct Database {
        down: bool,
        added: Mutex<Vec<Counts>>,
    }

    impl SharedAlertCounts for Database {
        fn add(&self, counts: Counts) -> StoreResult<()> {
            if self.down {
                return Err(StoreError::Unavailable("down".into()));
            }
            self.added.lock().unwrap().push(counts);
            Ok(())
        }
        fn take(&self, _: Tally) -> StoreResult<Counts> {
            Err(StoreError::Unavailable("not used".into()))
        }
        fn claim(&self, _: Kind, _: u64) -> StoreResult<bool> {
            Err(StoreError::Unavailable("not used".into()))
        }
    }

    #[test]
    fn counts_stay_in_memory_while_the_database_fails_and_move_once_it_answers() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SledStore::open(dir.path()).unwrap());
        let running_on = |database: Arc<Database>| Running {
            pending: super::super::Pending::default(),
            outlets: Vec::new(),
            store: store.clone(),
            shared: Some(database),
        };
        let down = running_on(Arc::new(Database {
            down: true,
            ..Database::default()
        }));
        down.pending.urgent.fetch_add(1, Ordering::SeqCst);
        down.pending.new_reports.fetch_add(2, Ordering::SeqCst);
        assert!(!down.flush_blocking());
        assert!(!down.flush_blocking(), "tried again, still down");
        assert_eq!(down.pending.urgent.load(Ordering::SeqCst), 1);
        assert_eq!(down.pending.new_reports.load(Ordering::SeqCst), 2);

        let database = Arc::new(Database::default());
        let up = running_on(database.clone());
        up.pending.urgent.fetch_add(1, Ordering::SeqCst);
        up.pending.new_reports.fetch_add(2, Ordering::SeqCst);
        assert!(up.flush_blocking());
        assert!(up.flush_blocking(), "nothing left to move");
        let added = database.added.lock().unwrap().clone();
        let expected = Counts {
            urgent_reports: 1,
            new_reports: 2,
            ..Counts::default()
        };
        assert_eq!(added, [expected]);
        assert_eq!(up.pending.new_reports.load(Ordering::SeqCst), 0);
    }
}
