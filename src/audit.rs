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
    /// `serve --accept-data-loss` opened a store holding less than it had acknowledged.
    DataLossAccepted,
    /// `serve --accept-clock` took the clock as right although the store held a later
    /// day, or one years earlier.
    ClockAccepted,
    /// Labels set on a case; the detail lists them (fixed words, never content).
    LabelsSet,
    /// Thread ciphertext of several cases fetched for the desk's in-memory search and
    /// previews, without opening them; the detail is the number of cases.
    ThreadsFetched,
    /// A backup recipient registered (detail: the `age1...` recipient).
    BackupRecipientAdded,
    /// A snapshot written (detail: its file name).
    BackupTaken,
    /// A closed case deleted at the end of its retention period; nothing of its content
    /// is recorded.
    CasePurged,
    /// The recovery recipient set or replaced, before changes needed a second
    /// administrator; the detail is its fingerprint. Every new case is wrapped to it, so
    /// a silent change would let its holder read them all.
    RecoveryRecipientSet,
    /// A new recipient proposed: an investigator's (detail `investigator NAME: FP`) or a
    /// recovery recipient (detail `recovery: FP`, with the one it would replace). New
    /// cases are not wrapped to it until a second administrator confirms it.
    RecipientProposed,
    /// A proposed recipient confirmed (same detail); new cases are wrapped to it from now.
    RecipientConfirmed,
    /// An investigator set or cleared their own alert address; the detail says which,
    /// never the address.
    AlertAddressChanged,
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
    walk(entries, &mut |_, _| {})
}

/// Where a head kept elsewhere sits in the chain.
#[derive(Debug, PartialEq, Eq)]
pub struct Checked {
    pub count: u64,
    pub head: [u8; 32],
    /// Sequence number of the entry whose hash is the expected head, if any: the chain
    /// still holds everything up to it. None: the log was cut short or rewritten.
    pub expected_at: Option<u64>,
}

/// Like [`verify`], and also finds `expected` (a head printed earlier by `audit verify`)
/// among the entries' hashes. A log may grow after a head is kept, so finding it anywhere
/// is fine; not finding it means entries were removed from the end or the chain was
/// rewritten, which the links alone cannot show.
pub fn verify_expecting<I>(entries: I, expected: &[u8; 32]) -> Result<Checked, ChainError>
where
    I: IntoIterator<Item = (u64, Vec<u8>)>,
{
    let mut expected_at = None;
    let (count, head) = walk(entries, &mut |seq, hash| {
        if hash == expected {
            expected_at = Some(seq);
        }
    })?;
    Ok(Checked {
        count,
        head,
        expected_at,
    })
}

/// Reads a head as `audit verify` prints it: 64 hex digits.
pub fn parse_head(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut head = [0u8; 32];
    for (i, byte) in head.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(head)
}

/// Checks the chain and shows each entry's (sequence number, hash) to `seen`.
fn walk<I>(entries: I, seen: &mut dyn FnMut(u64, &[u8; 32])) -> Result<(u64, [u8; 32]), ChainError>
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
        seen(key_seq, &sealed.hash);
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
    fn a_kept_head_is_found_in_a_grown_chain_and_missed_in_a_cut_one() {
        let full = chain(6);
        let (_, head_at_4) = verify(full[..5].to_vec()).unwrap();
        let grown = verify_expecting(full.clone(), &head_at_4).unwrap();
        assert_eq!((grown.count, grown.expected_at), (6, Some(4)));
        let cut = verify_expecting(full[..3].to_vec(), &head_at_4).unwrap();
        assert_eq!((cut.count, cut.expected_at), (3, None));
        let text: String = head_at_4.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(parse_head(&text), Some(head_at_4));
        assert_eq!(parse_head("abc"), None);
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
