//! The hash-chained audit log of investigator actions.
//!
//! Each entry carries the SHA-256 hash of the one before it, and its own hash covers its
//! whole content plus that link. Changing, removing or reordering any stored entry breaks
//! the chain from that entry on, and [`verify`] names the first entry that no longer fits.
//! Someone who controls the server can still rewrite the whole chain (SECURITY.md); the
//! chain head printed by `quietline audit verify` can be kept elsewhere to detect that.
//!
//! Pure: the store keeps the encoded entries, this module makes and checks them.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What happened. Names are stable: they are part of the hashed content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Login,
    LoginFailed,
    Logout,
    Enrolled,
    CaseOpened,
    Replied,
    NoteAdded,
    StatusChanged,
    Assigned,
    AccessGranted,
    InvestigatorAdded,
    InvestigatorDisabled,
    InvestigatorRemoved,
    /// An evidence file fetched (by the desk, to decrypt it on the investigator's machine).
    EvidenceFetched,
    /// The recovery recipient set or replaced; the detail is its fingerprint. Every new
    /// case is wrapped to it, so a silent change would let its holder read them all.
    RecoveryRecipientSet,
}

/// One audit entry. Its time is a day, like every time the store keeps: the audit log
/// sits in the same files as the reporters' writes, and second-precise investigator
/// times would bracket those writes (SECURITY.md). The order of entries is kept exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    /// Seconds since the Unix epoch (UTC) of the start of the day of the action.
    pub at: u64,
    /// Investigator name, or `admin-cli` for the command line.
    pub actor: String,
    pub action: Action,
    /// Case id (hex), when the action concerns one.
    pub case: Option<String>,
    /// Short, content-free detail: a new status, a colleague's name.
    pub detail: String,
    /// Hash of the previous entry; zeros for the first.
    pub prev: [u8; 32],
}

/// An entry as stored: the entry and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    pub entry: Entry,
    pub hash: [u8; 32],
}

pub const GENESIS: [u8; 32] = [0; 32];

fn hash(entry: &Entry) -> [u8; 32] {
    // Infallible: postcard encodes these plain structs into a Vec without error.
    let bytes = postcard::to_stdvec(entry).expect("audit entries encode");
    let mut hasher = Sha256::new();
    hasher.update(b"quietline/v1/audit");
    hasher.update(&bytes);
    hasher.finalize().into()
}

impl Entry {
    /// Seals an entry that follows `previous` (or starts the chain).
    pub fn seal(mut self, previous: Option<&Sealed>) -> Sealed {
        self.seq = previous.map_or(0, |p| p.entry.seq + 1);
        self.prev = previous.map_or(GENESIS, |p| p.hash);
        let hash = hash(&self);
        Sealed { entry: self, hash }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChainError {
    #[error("audit entry {0} cannot be read: it was altered or damaged")]
    Unreadable(u64),
    #[error("audit entry {0} was altered: its content does not match its hash")]
    Altered(u64),
    #[error("audit entry {0} does not follow entry {1}: an entry was removed or reordered")]
    Broken(u64, u64),
}

/// Checks a chain given as (sequence number of the store key, encoded [`Sealed`]) in
/// order. Returns the number of entries and the hash of the last one.
pub fn verify<I>(entries: I) -> Result<(u64, [u8; 32]), ChainError>
where
    I: IntoIterator<Item = (u64, Vec<u8>)>,
{
    let mut previous = GENESIS;
    let mut count = 0u64;
    for (key_seq, bytes) in entries {
        let sealed: Sealed =
            postcard::from_bytes(&bytes).map_err(|_| ChainError::Unreadable(key_seq))?;
        if sealed.entry.seq != key_seq || sealed.entry.seq != count {
            return Err(ChainError::Broken(key_seq, count.saturating_sub(1)));
        }
        if sealed.entry.prev != previous {
            return Err(ChainError::Broken(key_seq, count.saturating_sub(1)));
        }
        if hash(&sealed.entry) != sealed.hash {
            return Err(ChainError::Altered(key_seq));
        }
        previous = sealed.hash;
        count += 1;
    }
    Ok((count, previous))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(actor: &str, action: Action) -> Entry {
        Entry {
            seq: 0,
            at: 1_764_000_000,
            actor: actor.into(),
            action,
            case: None,
            detail: String::new(),
            prev: GENESIS,
        }
    }

    fn chain(n: usize) -> Vec<(u64, Vec<u8>)> {
        let mut last: Option<Sealed> = None;
        let mut out = Vec::new();
        for i in 0..n {
            let sealed = entry(&format!("inv{i}"), Action::CaseOpened).seal(last.as_ref());
            out.push((sealed.entry.seq, postcard::to_stdvec(&sealed).unwrap()));
            last = Some(sealed);
        }
        out
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let (count, _) = verify(chain(5)).unwrap();
        assert_eq!(count, 5);
        assert_eq!(verify(Vec::new()).unwrap(), (0, GENESIS));
    }

    #[test]
    fn every_single_byte_change_is_caught_at_its_entry() {
        let original = chain(4);
        for position in 0..original[2].1.len() {
            let mut tampered = original.clone();
            tampered[2].1[position] ^= 0x01;
            let error = verify(tampered).unwrap_err();
            let named = match error {
                ChainError::Unreadable(n) | ChainError::Altered(n) | ChainError::Broken(n, _) => n,
            };
            assert_eq!(named, 2, "byte {position}: {error}");
        }
    }

    #[test]
    fn removing_or_reordering_entries_is_caught() {
        let mut removed = chain(4);
        removed.remove(1);
        assert!(matches!(verify(removed), Err(ChainError::Broken(2, 0))));
        let mut swapped = chain(4);
        swapped.swap(1, 2);
        assert!(verify(swapped).is_err());
    }
}
