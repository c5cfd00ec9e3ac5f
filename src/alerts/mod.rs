//! Content-free alerts to investigators, so that nobody has to open the desk to learn
//! that an urgent report has arrived.
//!
//! - A new urgent report is alerted at once.
//! - New reports and reporter messages are counted and sent in a digest at fixed times
//!   (`--alert-digest-every`, aligned to the clock: on the hour by default), so that a
//!   mail provider cannot time each report. A digest with nothing to count is not sent.
//! - Cases within two days of a deadline, and cases past one, go in a daily digest
//!   (`--alert-deadline-hour`, UTC), counted from the case records.
//!
//! What an alert says is in [`content`]: counts only. How it leaves is in [`channels`].
//!
//! Mail goes to the duty addresses (`--alert-to`) and, each in a message of its own, to
//! the address every enabled, enrolled investigator whose recipient is confirmed set for
//! themselves on the desk: urgent alerts to each of them, digests to those who asked for
//! digests too. Addresses are read from the store when an alert goes out, so that a
//! change on the desk counts from the next alert.
//!
//! Reporters never wait for an alert: [`Alerts::report_received`] and
//! [`Alerts::reporter_wrote`] only add to counters. A scheduler task turns counts into
//! alerts; each channel has a sender task of its own with a bounded queue, which retries
//! a failed send with backoff and gives up after [`ATTEMPTS`]. Memory is bounded by
//! construction: counters, and at most [`QUEUE`] alerts per channel, each to at most
//! [`ADDRESSEES`] addressees.
//!
//! On PostgreSQL, several instances serve one deployment: the counts and the right to
//! send each scheduled alert live in the database ([`shared`]), so that each alert goes
//! once, counting every instance's events, and an instance that dies keeps nothing back.
//! On sled, all of it stays in this process's memory.

pub mod channels;
pub mod content;
pub mod shared;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{Notify, mpsc};

use crate::case::Day;
use crate::i18n::Lang;
use crate::store::Store;
pub use channels::{Addressee, Channel};
pub use content::{Alert, Counts, Kind};
pub use shared::{SharedAlertCounts, Tally};

/// Alerts waiting per channel; past that, the newest is dropped and the drop is logged.
/// Alerts are counts, so a backlog this long means the channel is down, not that counts
/// are lost: the next digest counts again.
pub const QUEUE: usize = 32;
/// Addressees one alert may have on one channel (the duty inbox and the investigators'
/// own addresses): a unit has dozens of investigators. Deliveries past `QUEUE` times this
/// are dropped and logged, like alerts past a full queue.
pub const ADDRESSEES: usize = 100;
/// Tries per alert and channel before it is given up.
pub const ATTEMPTS: u32 = 10;
/// First wait after a failed send; doubled after each failure, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// What `serve` configured: channels, language and schedule.
pub struct Settings {
    pub channels: Vec<Channel>,
    pub language: Lang,
    /// Period of the activity digest; digests go out at multiples of it since the epoch.
    pub digest_every: Duration,
    /// Hour of the day (UTC) of the deadline digest.
    pub deadline_hour: u8,
}

/// Reads `--alert-digest-every`: a whole number of seconds, minutes or hours (`90s`,
/// `15m`, `1h`).
pub fn parse_period(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a period like 30s, 15m or 1h"))?;
    let seconds = match unit {
        "s" => number,
        "m" => number.saturating_mul(60),
        "h" => number.saturating_mul(3600),
        _ => return Err(format!("{text:?} is not a period like 30s, 15m or 1h")),
    };
    if seconds == 0 || seconds > 7 * 86_400 {
        return Err("--alert-digest-every must be between 1s and 168h".into());
    }
    Ok(Duration::from_secs(seconds))
}

/// Counts not yet turned into an alert.
#[derive(Default)]
struct Pending {
    urgent: AtomicU64,
    new_reports: AtomicU64,
    reporter_messages: AtomicU64,
    urgent_arrived: Notify,
    /// Something was counted: on PostgreSQL, the count goes to the database at once.
    counted: Notify,
}

/// One alert for one addressee on one channel: what a sender queues and retries.
struct Delivery {
    alert: Arc<Alert>,
    to: Addressee,
}

/// One channel's sender: its queue, and how many deliveries it still holds (queued or
/// being tried), for the log line at stop.
struct Outlet {
    queue: mpsc::Sender<Delivery>,
    holding: Arc<AtomicUsize>,
    name: &'static str,
    channel: Arc<Channel>,
}

/// The handle the reporter faces call. Cheap to clone; does nothing when no channel is
/// configured.
#[derive(Clone, Default)]
pub struct Alerts {
    inner: Option<Arc<Running>>,
}

struct Running {
    pending: Pending,
    outlets: Vec<Outlet>,
    /// Where the investigators' own addresses are read from.
    store: Arc<dyn Store>,
    /// The database's counts and claims, on PostgreSQL; `None` on sled (all in memory).
    shared: Option<Arc<dyn SharedAlertCounts>>,
}

impl Alerts {
    /// No channel configured: every call is a no-op.
    pub fn disabled() -> Self {
        Alerts::default()
    }

    /// Starts the scheduler and one sender per channel on the current tokio runtime.
    /// `store` is read once a day for the deadline digest. With `shared` (PostgreSQL),
    /// counts and scheduled alerts are shared with the other instances on the database.
    pub fn start(
        settings: Settings,
        store: Arc<dyn Store>,
        shared: Option<Arc<dyn SharedAlertCounts>>,
    ) -> Self {
        if settings.channels.is_empty() {
            return Alerts::disabled();
        }
        let outlets = settings.channels.into_iter().map(start_outlet).collect();
        let running = Arc::new(Running {
            pending: Pending::default(),
            outlets,
            store,
            shared,
        });
        tokio::spawn(schedule(
            running.clone(),
            settings.language,
            settings.digest_every,
            settings.deadline_hour,
        ));
        Alerts {
            inner: Some(running),
        }
    }

    /// A report was stored. Never blocks.
    pub fn report_received(&self, urgent: bool) {
        let Some(running) = &self.inner else { return };
        running.pending.new_reports.fetch_add(1, Ordering::Relaxed);
        if urgent {
            running.pending.urgent.fetch_add(1, Ordering::Relaxed);
            running.pending.urgent_arrived.notify_one();
        }
        running.counted();
    }

    /// A reporter added a message to their case. Never blocks.
    pub fn reporter_wrote(&self) {
        let Some(running) = &self.inner else { return };
        running
            .pending
            .reporter_messages
            .fetch_add(1, Ordering::Relaxed);
        running.counted();
    }

    /// Says in the log what a stop leaves unsent: alerts still queued, and counts that
    /// had not reached a digest yet. Call once the server has stopped.
    pub fn stop(&self) {
        let Some(running) = &self.inner else { return };
        if running.shared.is_some() {
            // What this instance counted goes to the database, for the next digest of
            // whichever instance sends it.
            tokio::task::block_in_place(|| running.flush_blocking());
        }
        let queued: usize = running
            .outlets
            .iter()
            .map(|o| o.holding.load(Ordering::SeqCst))
            .sum();
        let p = &running.pending;
        let uncounted = p.urgent.load(Ordering::SeqCst)
            + p.new_reports.load(Ordering::SeqCst)
            + p.reporter_messages.load(Ordering::SeqCst);
        if queued == 0 && uncounted == 0 {
            tracing::info!("alerts: nothing left unsent at stop");
            return;
        }
        for outlet in &running.outlets {
            let held = outlet.holding.load(Ordering::SeqCst);
            if held > 0 {
                tracing::warn!(
                    channel = outlet.name,
                    alerts = held,
                    "alerts still queued at stop, not sent"
                );
            }
        }
        tracing::warn!(
            queued,
            events_not_yet_in_a_digest = uncounted,
            "alerts: {queued} alert(s) still queued at stop, not sent; {uncounted} event(s) not yet in a digest"
        );
    }
}

/// Starts one channel's sender task.
fn start_outlet(channel: Channel) -> Outlet {
    let (queue, mut received) = mpsc::channel::<Delivery>(QUEUE * ADDRESSEES);
    let holding = Arc::new(AtomicUsize::new(0));
    let name = channel.name();
    let channel = Arc::new(channel);
    let (held, sender) = (holding.clone(), channel.clone());
    tokio::spawn(async move {
        while let Some(delivery) = received.recv().await {
            deliver(&sender, &delivery).await;
            held.fetch_sub(1, Ordering::SeqCst);
        }
    });
    Outlet {
        queue,
        holding,
        name,
        channel,
    }
}

/// Tries one delivery on one channel until it goes or [`ATTEMPTS`] have failed. Logs the
/// channel and the kind of failure, never an address or a server's answer.
async fn deliver(channel: &Arc<Channel>, delivery: &Delivery) {
    let alert = &delivery.alert;
    let mut wait = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        let (c, a, to) = (channel.clone(), alert.clone(), delivery.to.clone());
        let outcome = tokio::task::spawn_blocking(move || c.send(&a, &to))
            .await
            .unwrap_or(Err("sender panicked"));
        match outcome {
            Ok(()) => {
                tracing::info!(channel = channel.name(), kind = ?alert.kind, to = delivery.to.kind(), "alert sent");
                return;
            }
            Err(error) if attempt < ATTEMPTS => {
                tracing::warn!(channel = channel.name(), alert = ?alert.kind, to = delivery.to.kind(), error, attempt, retry_in_seconds = wait.as_secs(), "alert not sent; will retry");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_BACKOFF);
            }
            Err(error) => {
                tracing::error!(channel = channel.name(), alert = ?alert.kind, to = delivery.to.kind(), error, attempts = ATTEMPTS, "alert given up");
            }
        }
    }
}

impl Running {
    fn counted(&self) {
        if self.shared.is_some() {
            self.pending.counted.notify_one();
        }
    }

    /// Sends the alert of `kind` for `counts`, if there is anything to say.
    async fn send(&self, lang: Lang, kind: Kind, counts: Counts) {
        if let Some(alert) = content::compose(lang, kind, counts) {
            self.dispatch(alert).await;
        }
    }

    /// New urgent reports, at once.
    async fn urgent(self: &Arc<Self>, lang: Lang) {
        if self.shared.is_some() {
            return self.urgent_shared(lang).await;
        }
        let counts = Counts {
            urgent_reports: self.pending.urgent.swap(0, Ordering::SeqCst),
            ..Counts::default()
        };
        self.send(lang, Kind::Urgent, counts).await;
    }

    /// The activity digest of `slot` (its time divided by the period).
    async fn digest(self: &Arc<Self>, lang: Lang, slot: u64) {
        if self.shared.is_some() {
            return self.digest_shared(lang, slot).await;
        }
        let pending = &self.pending;
        let counts = Counts {
            new_reports: pending.new_reports.swap(0, Ordering::SeqCst),
            reporter_messages: pending.reporter_messages.swap(0, Ordering::SeqCst),
            ..Counts::default()
        };
        self.send(lang, Kind::Digest, counts).await;
    }

    /// The deadline digest of day `slot`, counted from the case records.
    async fn deadlines(self: &Arc<Self>, lang: Lang, slot: u64) {
        if !self.claimed(Kind::Deadlines, slot).await {
            return;
        }
        let store = self.store.clone();
        let counted = tokio::task::spawn_blocking(move || deadline_counts(&*store)).await;
        match counted {
            Ok(Ok(counts)) => self.send(lang, Kind::Deadlines, counts).await,
            _ => tracing::error!("alerts: the deadline digest could not read the cases"),
        }
    }

    /// Queues an alert on every channel, once per addressee; a full queue drops it there,
    /// with a log line.
    async fn dispatch(&self, alert: Alert) {
        let store = self.store.clone();
        let kind = alert.kind;
        let own = tokio::task::spawn_blocking(move || own_addresses(&*store, kind))
            .await
            .unwrap_or(Ok(Vec::new()))
            .unwrap_or_else(|_| {
                tracing::error!("alerts: the investigators' own addresses could not be read");
                Vec::new()
            });
        let alert = Arc::new(alert);
        for outlet in &self.outlets {
            for to in outlet.channel.addressees(&own) {
                outlet.holding.fetch_add(1, Ordering::SeqCst);
                let delivery = Delivery {
                    alert: alert.clone(),
                    to,
                };
                if outlet.queue.try_send(delivery).is_err() {
                    outlet.holding.fetch_sub(1, Ordering::SeqCst);
                    tracing::error!(channel = outlet.name, alert = ?alert.kind, "alert queue full; alert dropped");
                }
            }
        }
    }
}

/// The investigators' own addresses an alert of `kind` goes to: every enabled, enrolled
/// investigator whose recipient is confirmed and who set an address; for digests, only
/// those who asked for digests too. Blocks (reads the store).
fn own_addresses(store: &dyn Store, kind: Kind) -> crate::store::StoreResult<Vec<String>> {
    Ok(store
        .investigators()?
        .into_iter()
        .filter(|i| i.can_log_in() && i.proposed_by.is_none())
        .filter(|i| kind == Kind::Urgent || i.alert_digests)
        .filter_map(|i| i.alert_address)
        .collect())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Seconds from `now` to the next multiple of `period` after it (a fixed time, the same
/// for every deployment with that period, whatever happened in between).
fn until_next_multiple(now: u64, period: u64, offset: u64) -> Duration {
    let period = period.max(1);
    // Shift so that the offset falls on a multiple, without going below zero.
    let shift = period - offset % period;
    let next = ((now + shift) / period + 1) * period - shift;
    Duration::from_secs(next - now)
}

/// The next fixed time of a schedule after `after` (and after now): when to wake, the
/// time in seconds since the Unix epoch, and its slot number (that time divided by the
/// period), which every instance of the deployment computes alike.
fn next_time(period: u64, offset: u64, after: u64) -> (tokio::time::Instant, u64, u64) {
    let now = unix_now();
    let from = now.max(after);
    let at = from + until_next_multiple(from, period, offset).as_secs();
    let wait = Duration::from_secs(at - now);
    (tokio::time::Instant::now() + wait, at, at / period.max(1))
}

/// Turns counts into alerts: urgent ones at once, the rest at fixed times. On PostgreSQL
/// it also moves each count to the database as it happens, and looks for urgent counts
/// that no instance alerted every [`shared::URGENT_POLL`].
async fn schedule(running: Arc<Running>, lang: Lang, digest_every: Duration, deadline_hour: u8) {
    let period = digest_every.as_secs();
    let deadline_offset = u64::from(deadline_hour) * 3600;
    let (mut next_digest, mut digest_at, mut digest_slot) = next_time(period, 0, 0);
    let (mut next_deadlines, mut deadlines_at, mut deadline_slot) =
        next_time(86_400, deadline_offset, 0);
    let mut next_poll = tokio::time::Instant::now() + shared::URGENT_POLL;
    let pending = &running.pending;
    let is_shared = running.shared.is_some();
    loop {
        tokio::select! {
            () = pending.urgent_arrived.notified() => running.urgent(lang).await,
            () = pending.counted.notified(), if is_shared => {
                running.flush().await;
            }
            () = tokio::time::sleep_until(next_poll), if is_shared => {
                running.poll_urgent(lang).await;
                next_poll = tokio::time::Instant::now() + shared::URGENT_POLL;
            }
            () = tokio::time::sleep_until(next_digest) => {
                running.digest(lang, digest_slot).await;
                (next_digest, digest_at, digest_slot) = next_time(period, 0, digest_at);
            }
            () = tokio::time::sleep_until(next_deadlines) => {
                running.deadlines(lang, deadline_slot).await;
                (next_deadlines, deadlines_at, deadline_slot) =
                    next_time(86_400, deadline_offset, deadlines_at);
            }
        }
    }
}

/// The deadline digest's counts, from every case record. Blocks (reads the store).
fn deadline_counts(store: &dyn Store) -> crate::store::StoreResult<Counts> {
    let today = Day::from_unix(unix_now());
    let mut records = Vec::new();
    store.visit_cases(&mut |_, record| {
        // Triage order puts closed cases last: none after the first can count.
        if matches!(record.status, crate::case::Status::Closed(_)) {
            return false;
        }
        records.push(record.clone());
        true
    })?;
    Ok(content::deadline_counts(&records, today))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_like_people_write_them() {
        assert_eq!(parse_period("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_period("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_period("2s"), Ok(Duration::from_secs(2)));
        assert!(parse_period("0s").is_err());
        assert!(parse_period("1d").is_err());
        assert!(parse_period("h").is_err());
    }

    /// Urgent alerts go to every enabled, enrolled, confirmed investigator with an
    /// address; digests only to those of them who asked for digests too.
    #[test]
    fn own_addresses_follow_each_investigators_choice_and_standing() {
        use crate::case::Role;
        use crate::crypto::{InvestigatorIdentity, KdfParams, PasswordHash};
        use crate::store::{Credentials, InvestigatorRecord, SledStore};

        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let params = KdfParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let enrolled_credentials = Credentials {
            password: Some(PasswordHash::new("a password of some length", params).unwrap()),
            totp_confirmed: true,
            ..Credentials::default()
        };
        let add = |name: &str, enabled: bool, enrolled: bool, waits: bool, digests: bool| {
            let credentials = if enrolled {
                enrolled_credentials.clone()
            } else {
                Credentials::default()
            };
            store
                .add_investigator(InvestigatorRecord {
                    name: name.into(),
                    recipient: InvestigatorIdentity::generate().recipient(),
                    role: Role::Investigator,
                    enabled,
                    demo: false,
                    added: Day::today(),
                    credentials,
                    proposed_by: waits.then(|| "root".to_owned()),
                    alert_address: Some(format!("{name}@unit.example")),
                    alert_digests: digests,
                })
                .unwrap();
        };
        add("urgent-only", true, true, false, false);
        add("both", true, true, false, true);
        add("disabled", false, true, false, true);
        add("never-enrolled", true, false, false, true);
        add("waiting", true, true, true, true);
        let mut urgent = own_addresses(&store, Kind::Urgent).unwrap();
        urgent.sort();
        assert_eq!(urgent, ["both@unit.example", "urgent-only@unit.example"]);
        for kind in [Kind::Digest, Kind::Deadlines] {
            assert_eq!(own_addresses(&store, kind).unwrap(), ["both@unit.example"]);
        }
    }

    /// Each scheduled time comes after the one before, even if the timer woke a little
    /// early, and its slot number is its time over the period: the same on every
    /// instance, one more each time.
    #[test]
    fn each_scheduled_time_has_the_next_slot() {
        let (_, at, slot) = next_time(3600, 0, 0);
        assert_eq!(at % 3600, 0);
        assert_eq!(slot, at / 3600);
        let (_, again, next) = next_time(3600, 0, at);
        assert_eq!((again, next), (at + 3600, slot + 1));
        let (_, day, _) = next_time(86_400, 7 * 3600, 0);
        assert_eq!(day % 86_400, 7 * 3600);
    }

    #[test]
    fn digests_go_out_at_fixed_times() {
        // 10:17:05 with an hourly digest: the next is at 11:00:00.
        let now = 10 * 3600 + 17 * 60 + 5;
        assert_eq!(until_next_multiple(now, 3600, 0).as_secs(), 42 * 60 + 55);
        // Exactly on a multiple: the next one, not now.
        assert_eq!(until_next_multiple(7200, 3600, 0).as_secs(), 3600);
        // Daily at 07:00: from 10:17:05 to tomorrow 07:00.
        assert_eq!(
            until_next_multiple(now, 86_400, 7 * 3600).as_secs(),
            86_400 - now + 7 * 3600
        );
        assert_eq!(
            until_next_multiple(3600, 86_400, 7 * 3600).as_secs(),
            6 * 3600
        );
    }
}
