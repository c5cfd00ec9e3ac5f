//! Single-use form nonces for the reporter pages, so that browser history never reopens a
//! case or makes a new one.
//!
//! The reporter's pages are the results of POSTs, and a browser keeps what was posted:
//! Back followed by Reload would send a token, a report or a follow-up again. Every page
//! that holds a reporter form carries one fresh nonce; the first POST that brings it back
//! spends it, and any later POST with it is a replay from history, answered without
//! opening a case or storing anything. Nothing is set in the browser (no cookies): the
//! nonce travels in a hidden field.
//!
//! On sled, issued nonces live in this process's memory, keyed by a digest of the nonce,
//! so that memory holds nothing a form could be replayed with. Every nonce lives
//! [`LIFETIME`] at most, and past [`CAPACITY`] the oldest are dropped first: a flood of
//! GETs costs a fixed amount of memory and at worst makes an old page say "already used".
//!
//! When instances share a PostgreSQL database, a page rendered by one is posted to
//! another, so the nonce carries its own proof: its expiry slot and a tag under a key
//! every instance derives from the deployment's token-check key ([`NonceKey`]). Issuing
//! one touches no database, so a flood of GETs writes nothing and a page renders while
//! the database is away. Spending checks the tag and the expiry, then records the
//! nonce's digest as spent in the database ([`SharedNonces`]): the first instance to
//! record it wins, every later POST with it is a replay. A database that cannot be asked
//! gives [`Spent::Unavailable`] (503 with Retry-After), never "already used": a reporter
//! must not be told a report went in when it did not.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::crypto::TokenCheckKey;

/// The name of the hidden field that carries the nonce.
pub const FIELD: &str = "once";
/// How long a rendered form stays usable: longer than anyone takes to write a report, and
/// the form comes back with a new nonce whenever it is re-rendered.
pub const LIFETIME: Duration = Duration::from_secs(30 * 60);
/// At most this many unspent nonces (about 3 MiB); the oldest are dropped first.
pub const CAPACITY: usize = 50_000;
/// Seconds in one expiry slot of a signed nonce. Spent nonces are kept in the database
/// with their slot, not a second: the rows are made when reporters post, and a
/// second-precise time beside them would date reporters' visits finer than the store
/// dates anything of theirs. A nonce lives its lifetime and up to one slot more.
pub const SLOT_SECONDS: u64 = 600;

type Key = [u8; 32];

fn key_of(nonce: &str) -> Key {
    Sha256::digest(nonce.as_bytes()).into()
}

/// What spending a nonce said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spent {
    /// The first time a live nonce came back: go on.
    Fresh,
    /// A replay from history, an expired, forged or missing nonce: store nothing.
    Used,
    /// The database that records spent nonces could not be asked: store nothing, and say
    /// "try again shortly" (503), not "already used".
    Unavailable,
}

impl Spent {
    pub fn is_fresh(self) -> bool {
        self == Spent::Fresh
    }
}

/// Spent nonces kept where every instance sees them (the PostgreSQL database), keyed by
/// the digest of the nonce. Blocking: [`FormNonces`] calls it off the async workers.
pub trait SharedNonces: Send + Sync {
    /// Records a nonce that expires at slot `expires` as spent: true if no instance had
    /// recorded it before. May forget nonces whose slot is at or before `now` (slots of
    /// [`SLOT_SECONDS`] since the Unix epoch).
    fn spend(&self, key: &[u8; 32], expires: u64, now: u64) -> crate::store::StoreResult<bool>;
}

/// The key that tags nonces when instances share a database, derived from the deployment's
/// token-check key, which every instance reads from the database. Secret: no `Debug`, no
/// `Display`, zeroized on drop.
pub struct NonceKey(Zeroizing<[u8; 32]>);

/// Bytes of a signed nonce: 16 random, the expiry slot (8), the tag (16).
const SIGNED_BYTES: usize = 40;

impl NonceKey {
    pub fn derive(deployment: &TokenCheckKey) -> Self {
        NonceKey(deployment.derive_key(b"quietline form nonce key"))
    }

    fn tag(&self, body: &[u8]) -> [u8; 16] {
        let full = crate::crypto::prf(self.0.as_ref(), body, b"form nonce tag");
        let mut tag = [0u8; 16];
        tag.copy_from_slice(&full[..16]);
        tag
    }

    /// A new nonce that expires at slot `expires`.
    fn sign(&self, expires: u64) -> String {
        let mut raw = [0u8; SIGNED_BYTES];
        OsRng.fill_bytes(&mut raw[..16]);
        raw[16..24].copy_from_slice(&expires.to_be_bytes());
        let tag = self.tag(&raw[..24]);
        raw[24..].copy_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The expiry slot of a nonce this key tagged, or None for anything else.
    fn verify(&self, nonce: &str) -> Option<u64> {
        let raw = URL_SAFE_NO_PAD.decode(nonce).ok()?;
        let raw: [u8; SIGNED_BYTES] = raw.try_into().ok()?;
        let (body, tag) = raw.split_at(24);
        if !bool::from(tag.ct_eq(&self.tag(body))) {
            return None;
        }
        Some(u64::from_be_bytes(body[16..24].try_into().ok()?))
    }
}

/// The nonces of this process, or the database's. One mutex: each operation is a hash
/// lookup and a queue push or pop, far shorter than anything else a request does.
pub struct FormNonces {
    inner: Mutex<Issued>,
    lifetime: Duration,
    capacity: usize,
    /// Where spent nonces are recorded instead of `inner` when instances share a
    /// database, and the key that tags the nonces they issue.
    shared: Option<(Box<dyn SharedNonces>, NonceKey)>,
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

    /// Nonces tagged with `key`, spent in `shared` (the database every instance uses).
    pub fn shared(shared: Box<dyn SharedNonces>, key: NonceKey) -> Self {
        FormNonces {
            shared: Some((shared, key)),
            ..FormNonces::default()
        }
    }

    pub fn issue(&self) -> String {
        self.issue_at(Instant::now(), unix_now())
    }

    /// Spends `nonce`: [`Spent::Fresh`] the first time a live nonce comes back.
    pub fn spend(&self, nonce: Option<&str>) -> Spent {
        self.spend_at(nonce, Instant::now(), unix_now())
    }

    fn issue_at(&self, now: Instant, unix: u64) -> String {
        if let Some((_, key)) = &self.shared {
            // Rounded up: the nonce lives its whole lifetime at least.
            let expires = unix.saturating_add(self.lifetime.as_secs()) / SLOT_SECONDS + 1;
            return key.sign(expires);
        }
        let mut random = [0u8; 16];
        OsRng.fill_bytes(&mut random);
        let nonce = URL_SAFE_NO_PAD.encode(random);
        let key = key_of(&nonce);
        let mut issued = self.lock();
        issued.order.push_back((key, now));
        issued.live.insert(key, now);
        issued.prune(now, self.lifetime, self.capacity);
        nonce
    }

    fn spend_at(&self, nonce: Option<&str>, now: Instant, unix: u64) -> Spent {
        let Some(nonce) = nonce.filter(|n| !n.is_empty()) else {
            return Spent::Used;
        };
        if let Some((shared, key)) = &self.shared {
            let slot = unix / SLOT_SECONDS;
            let Some(expires) = key.verify(nonce).filter(|&expires| expires > slot) else {
                return Spent::Used;
            };
            // The database client blocks, and the page handlers that spend are
            // synchronous here: this worker becomes a blocking thread meanwhile.
            return match tokio::task::block_in_place(|| shared.spend(&key_of(nonce), expires, slot))
            {
                Ok(true) => Spent::Fresh,
                Ok(false) => Spent::Used,
                Err(e) => {
                    tracing::warn!(error = %e, "a form nonce could not be checked in the database");
                    Spent::Unavailable
                }
            };
        }
        let mut issued = self.lock();
        issued.prune(now, self.lifetime, self.capacity);
        if issued.live.remove(&key_of(nonce)).is_some() {
            Spent::Fresh
        } else {
            Spent::Used
        }
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
    use std::collections::HashSet;
    use std::sync::Arc;

    #[test]
    fn a_nonce_is_spent_once() {
        let nonces = FormNonces::default();
        let nonce = nonces.issue();
        assert_eq!(nonce.len(), 22, "128 bits in base64url: {nonce}");
        assert_eq!(nonces.spend(Some(&nonce)), Spent::Fresh);
        assert_eq!(
            nonces.spend(Some(&nonce)),
            Spent::Used,
            "a replay was accepted"
        );
        assert_eq!(nonces.spend(None), Spent::Used);
        assert_eq!(nonces.spend(Some("")), Spent::Used);
        assert_eq!(nonces.spend(Some("made-up")), Spent::Used);
    }

    #[test]
    fn a_nonce_expires() {
        let nonces = FormNonces::new(Duration::from_secs(60), 10);
        let start = Instant::now();
        let old = nonces.issue_at(start, 0);
        let young = nonces.issue_at(start + Duration::from_secs(30), 0);
        let later = start + Duration::from_secs(61);
        assert_eq!(nonces.spend_at(Some(&old), later, 0), Spent::Used);
        assert_eq!(nonces.spend_at(Some(&young), later, 0), Spent::Fresh);
    }

    #[test]
    fn past_capacity_the_oldest_go_first() {
        let nonces = FormNonces::new(LIFETIME, 3);
        let now = Instant::now();
        let issued: Vec<String> = (0..5).map(|_| nonces.issue_at(now, 0)).collect();
        assert_eq!(nonces.spend_at(Some(&issued[0]), now, 0), Spent::Used);
        assert_eq!(nonces.spend_at(Some(&issued[1]), now, 0), Spent::Used);
        for nonce in &issued[2..] {
            assert_eq!(nonces.spend_at(Some(nonce), now, 0), Spent::Fresh);
        }
        assert!(nonces.lock().order.len() <= 3);
    }

    /// A table of spent nonces as the database keeps it, shared by "instances"; or one
    /// that fails, as a database that went away.
    #[derive(Clone, Default)]
    struct Table {
        spent: Arc<Mutex<HashSet<Key>>>,
        down: Arc<std::sync::atomic::AtomicBool>,
    }

    impl SharedNonces for Table {
        fn spend(&self, key: &Key, _expires: u64, _now: u64) -> crate::store::StoreResult<bool> {
            if self.down.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(crate::store::StoreError::Unavailable(
                    "the database is down".into(),
                ));
            }
            Ok(self.spent.lock().unwrap().insert(*key))
        }
    }

    /// A deployment's token-check key made of `byte` (its last byte says "no tokens
    /// from before the check").
    fn key_of_byte(byte: u8) -> TokenCheckKey {
        let mut bytes = [byte; crate::crypto::TOKEN_CHECK_KEY_BYTES];
        bytes[crate::crypto::TOKEN_CHECK_KEY_BYTES - 1] = 0;
        TokenCheckKey::from_bytes(&bytes).unwrap()
    }

    fn deployment_key() -> TokenCheckKey {
        key_of_byte(7)
    }

    fn instance(table: &Table, deployment: &TokenCheckKey) -> FormNonces {
        FormNonces::shared(Box::new(table.clone()), NonceKey::derive(deployment))
    }

    #[test]
    fn a_nonce_issued_by_one_instance_is_spent_once_on_any() {
        let table = Table::default();
        let (a, b) = (
            instance(&table, &deployment_key()),
            instance(&table, &deployment_key()),
        );
        let nonce = a.issue();
        assert!(
            table.spent.lock().unwrap().is_empty(),
            "issuing wrote to the database"
        );
        assert_eq!(b.spend(Some(&nonce)), Spent::Fresh);
        assert_eq!(
            a.spend(Some(&nonce)),
            Spent::Used,
            "a replay on the other instance"
        );
        assert_eq!(b.spend(Some(&nonce)), Spent::Used);
    }

    #[test]
    fn forged_altered_foreign_and_expired_nonces_are_refused_without_the_database() {
        let table = Table::default();
        let nonces = instance(&table, &deployment_key());
        let other = key_of_byte(8);
        let foreign = instance(&table, &other).issue();
        assert_eq!(nonces.spend(Some(&foreign)), Spent::Used);
        let mut raw = URL_SAFE_NO_PAD.decode(nonces.issue()).unwrap();
        // A later expiry, written over the signed one.
        raw[16..24].copy_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(
            nonces.spend(Some(&URL_SAFE_NO_PAD.encode(&raw))),
            Spent::Used
        );
        assert_eq!(nonces.spend(Some("made-up")), Spent::Used);
        let now = Instant::now();
        let old = nonces.issue_at(now, 1_000_000);
        let past_life = 1_000_000 + LIFETIME.as_secs() + SLOT_SECONDS;
        assert_eq!(nonces.spend_at(Some(&old), now, past_life), Spent::Used);
        assert!(
            table.spent.lock().unwrap().is_empty(),
            "refused nonces reached the table"
        );
        let young = nonces.issue_at(now, 1_000_000);
        assert_eq!(
            nonces.spend_at(Some(&young), now, 1_000_000 + LIFETIME.as_secs()),
            Spent::Fresh,
            "a nonce lives its whole lifetime"
        );
    }

    #[test]
    fn a_database_that_cannot_answer_is_unavailable_not_a_replay() {
        let table = Table::default();
        let nonces = instance(&table, &deployment_key());
        let nonce = nonces.issue();
        table.down.store(true, std::sync::atomic::Ordering::SeqCst);
        // Issuing needs no database: the form still renders.
        let rendered_meanwhile = nonces.issue();
        assert_eq!(nonces.spend(Some(&nonce)), Spent::Unavailable);
        table.down.store(false, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(
            nonces.spend(Some(&nonce)),
            Spent::Fresh,
            "the form works once it is back"
        );
        assert_eq!(nonces.spend(Some(&rendered_meanwhile)), Spent::Fresh);
    }
}
