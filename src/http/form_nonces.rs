//! Single-use form nonces for the reporter pages, so that browser history never reopens a
//! case or makes a new one.
//!
//! The reporter's pages are the results of POSTs, and a browser keeps what was posted:
//! Back followed by Reload would send a token, a report or a follow-up again. Every page
//! that holds a reporter form carries one fresh nonce; the first POST that brings it back
//! spends it, and any later POST with it is a replay from history, answered without
//! opening a case or storing anything. Nothing is set in the browser (no cookies): the
//! nonce travels in a hidden field and lives in this process's memory, or, when several
//! instances share a PostgreSQL database, in the database ([`SharedNonces`]), so that a
//! page rendered by one instance is posted to another, once.
//!
//! The map is keyed by a digest of the nonce, so that memory holds nothing a form could be
//! replayed with. Every nonce lives [`LIFETIME`] at most, and past [`CAPACITY`] the oldest
//! are dropped first: a flood of GETs costs a fixed amount of memory and at worst makes an
//! old page say "already used".

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// The name of the hidden field that carries the nonce.
pub const FIELD: &str = "once";
/// How long a rendered form stays usable: longer than anyone takes to write a report, and
/// the form comes back with a new nonce whenever it is re-rendered.
pub const LIFETIME: Duration = Duration::from_secs(30 * 60);
/// At most this many unspent nonces (about 3 MiB); the oldest are dropped first.
pub const CAPACITY: usize = 50_000;

type Key = [u8; 32];

fn key_of(nonce: &str) -> Key {
    Sha256::digest(nonce.as_bytes()).into()
}

/// Unspent nonces kept where every instance sees them (the PostgreSQL database), keyed by
/// the digest of the nonce. Blocking: [`FormNonces`] calls it off the async workers.
pub trait SharedNonces: Send + Sync {
    /// Records a nonce issued at `now` (seconds since the Unix epoch), spendable for
    /// `lifetime` at least.
    fn issued(&self, key: &[u8; 32], now: u64, lifetime: Duration)
    -> crate::store::StoreResult<()>;
    /// Spends a nonce: true the first time a live one comes back, on any instance.
    fn spend(&self, key: &[u8; 32], now: u64) -> crate::store::StoreResult<bool>;
}

/// The unspent nonces. One mutex: each operation is a hash lookup and a queue push or
/// pop, far shorter than anything else a request does.
pub struct FormNonces {
    inner: Mutex<Issued>,
    lifetime: Duration,
    capacity: usize,
    /// Where the nonces live instead of `inner` when instances share a database.
    shared: Option<Box<dyn SharedNonces>>,
}

/// Seconds since the Unix epoch, for nonces kept in a database shared by instances.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[derive(Default)]
struct Issued {
    /// Unspent nonces and when each was issued.
    live: HashMap<Key, Instant>,
    /// Every nonce in the order issued (spent ones included until they reach the front):
    /// all share one lifetime, so the front is always the next to expire.
    order: VecDeque<(Key, Instant)>,
}

impl Issued {
    /// Drops expired nonces, and the oldest past `capacity`.
    fn prune(&mut self, now: Instant, lifetime: Duration, capacity: usize) {
        while let Some(&(key, issued)) = self.order.front() {
            let expired = now.saturating_duration_since(issued) >= lifetime;
            if !expired && self.order.len() <= capacity {
                break;
            }
            self.order.pop_front();
            if self.live.get(&key) == Some(&issued) {
                self.live.remove(&key);
            }
        }
    }
}

impl Default for FormNonces {
    fn default() -> Self {
        FormNonces::new(LIFETIME, CAPACITY)
    }
}

impl FormNonces {
    pub fn new(lifetime: Duration, capacity: usize) -> Self {
        FormNonces {
            inner: Mutex::new(Issued::default()),
            lifetime,
            capacity: capacity.max(1),
            shared: None,
        }
    }

    /// Nonces kept in `shared` (the database every instance uses) instead of memory.
    pub fn shared(shared: Box<dyn SharedNonces>) -> Self {
        FormNonces {
            shared: Some(shared),
            ..FormNonces::default()
        }
    }

    /// A fresh nonce for a page about to be rendered: 128 random bits, base64url.
    pub fn issue(&self) -> String {
        self.issue_at(Instant::now())
    }

    /// Spends `nonce`: true the first time a live nonce comes back, false for a replay, an
    /// expired or unknown nonce, or none at all.
    pub fn spend(&self, nonce: Option<&str>) -> bool {
        self.spend_at(nonce, Instant::now())
    }

    fn issue_at(&self, now: Instant) -> String {
        let mut random = [0u8; 16];
        OsRng.fill_bytes(&mut random);
        let nonce = URL_SAFE_NO_PAD.encode(random);
        let key = key_of(&nonce);
        if let Some(shared) = &self.shared {
            // The database client blocks: this worker becomes a blocking thread meanwhile.
            // Pages render synchronously, so this is where the wait can go. A nonce the
            // database did not take is answered "already used" when it comes back; a
            // database that is down answers the rest of the request with 503 anyway.
            let recorded =
                tokio::task::block_in_place(|| shared.issued(&key, unix_now(), self.lifetime));
            if let Err(e) = recorded {
                tracing::warn!(error = %e, "a form nonce could not be recorded in the database");
            }
            return nonce;
        }
        let mut issued = self.lock();
        issued.order.push_back((key, now));
        issued.live.insert(key, now);
        issued.prune(now, self.lifetime, self.capacity);
        nonce
    }

    fn spend_at(&self, nonce: Option<&str>, now: Instant) -> bool {
        let Some(nonce) = nonce.filter(|n| !n.is_empty()) else {
            return false;
        };
        if let Some(shared) = &self.shared {
            let key = key_of(nonce);
            return match tokio::task::block_in_place(|| shared.spend(&key, unix_now())) {
                Ok(fresh) => fresh,
                Err(e) => {
                    // Refused: a form must never be taken twice because a check failed.
                    tracing::warn!(error = %e, "a form nonce could not be checked in the database");
                    false
                }
            };
        }
        let mut issued = self.lock();
        issued.prune(now, self.lifetime, self.capacity);
        issued.live.remove(&key_of(nonce)).is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Issued> {
        // A panic while holding this lock leaves a consistent map (every step is one
        // insert or remove), so a poisoned lock is still safe to use.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_spent_once() {
        let nonces = FormNonces::default();
        let nonce = nonces.issue();
        assert_eq!(nonce.len(), 22, "128 bits in base64url: {nonce}");
        assert!(nonces.spend(Some(&nonce)));
        assert!(!nonces.spend(Some(&nonce)), "a replay was accepted");
        assert!(!nonces.spend(None));
        assert!(!nonces.spend(Some("")));
        assert!(!nonces.spend(Some("made-up")));
    }

    #[test]
    fn a_nonce_expires() {
        let nonces = FormNonces::new(Duration::from_secs(60), 10);
        let start = Instant::now();
        let old = nonces.issue_at(start);
        let young = nonces.issue_at(start + Duration::from_secs(30));
        let later = start + Duration::from_secs(61);
        assert!(!nonces.spend_at(Some(&old), later));
        assert!(nonces.spend_at(Some(&young), later));
    }

    #[test]
    fn past_capacity_the_oldest_go_first() {
        let nonces = FormNonces::new(LIFETIME, 3);
        let now = Instant::now();
        let issued: Vec<String> = (0..5).map(|_| nonces.issue_at(now)).collect();
        assert!(!nonces.spend_at(Some(&issued[0]), now));
        assert!(!nonces.spend_at(Some(&issued[1]), now));
        for nonce in &issued[2..] {
            assert!(nonces.spend_at(Some(nonce), now));
        }
        assert!(nonces.lock().order.len() <= 3);
    }
}
