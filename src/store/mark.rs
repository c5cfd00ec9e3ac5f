//! The high-water mark: how much the store has acknowledged, kept in `store.mark` beside
//! the store, so that a store that comes back smaller (a damaged log that sled silently
//! truncates, a deleted or half-restored `store/`) is noticed instead of served.
//!
//! sled recovers a damaged log by keeping what precedes the damage: it opens, and the
//! cases written after the damaged spot are simply gone (reporters get "unknown token").
//! Nothing inside sled can tell, so the mark lives outside it. It records counters that
//! only grow while the service runs: cases, thread entries, internal notes and audit
//! entries, with the newest day the store stamped (a day, like every time in the data
//! directory), which only moves back when an administrator accepts the clock.
//!
//! The file holds two fixed slots, each in its own 512-byte sector, written alternately
//! and each with its own SHA-256: an update is one `pwrite` and one `fdatasync`, with no
//! rename, and a write torn by a power cut damages only the slot being written, so the
//! other still holds the previous mark.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::case::Day;

const MAGIC: &[u8; 8] = b"QLMARK01";
const SLOT: u64 = 512;
const DIGEST: usize = 32;

/// Counters that only grow while the store is in use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub cases: u64,
    pub entries: u64,
    pub notes: u64,
    /// Audit entries, that is the next audit sequence number.
    pub audit: u64,
}

impl Counts {
    /// The larger of each counter.
    pub fn max(self, other: Counts) -> Counts {
        Counts {
            cases: self.cases.max(other.cases),
            entries: self.entries.max(other.entries),
            notes: self.notes.max(other.notes),
            audit: self.audit.max(other.audit),
        }
    }

    /// Whether any counter of `self` is below the same counter of `mark`.
    pub fn below(self, mark: Counts) -> bool {
        self.cases < mark.cases
            || self.entries < mark.entries
            || self.notes < mark.notes
            || self.audit < mark.audit
    }

    /// What `self` has beyond `other`, counter by counter (0 where it has less): what a
    /// store below its mark is missing.
    pub fn beyond(self, other: Counts) -> Counts {
        Counts {
            cases: self.cases.saturating_sub(other.cases),
            entries: self.entries.saturating_sub(other.entries),
            notes: self.notes.saturating_sub(other.notes),
            audit: self.audit.saturating_sub(other.audit),
        }
    }

    /// "3 cases, 12 thread entries, 0 internal notes and 7 audit entries".
    pub fn describe(self) -> String {
        format!(
            "{}, {}, {} and {}",
            plural(self.cases, "case", "cases"),
            plural(self.entries, "thread entry", "thread entries"),
            plural(self.notes, "internal note", "internal notes"),
            plural(self.audit, "audit entry", "audit entries"),
        )
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// What one slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub generation: u64,
    pub counts: Counts,
    /// The newest day the store stamped (moved back only by `serve --accept-clock`).
    pub day: Day,
}

/// The open `store.mark` file and the mark it holds.
pub struct MarkFile {
    path: PathBuf,
    state: Mutex<MarkState>,
}

struct MarkState {
    file: Option<File>,
    mark: Option<Mark>,
}

impl MarkFile {
    /// Reads `path` if it exists. A file with no readable slot is an error: the mark
    /// cannot vouch for the store, and guessing would defeat it.
    pub fn open(path: &Path) -> io::Result<MarkFile> {
        let (file, mark) = match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
        {
            Ok(file) => {
                let mark = read_slots(&file)?.ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("the high-water mark {} is unreadable", path.display()),
                    )
                })?;
                (Some(file), Some(mark))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => (None, None),
            Err(e) => return Err(e),
        };
        Ok(MarkFile {
            path: path.to_owned(),
            state: Mutex::new(MarkState { file, mark }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The mark as last written, if any.
    pub fn current(&self) -> Option<Mark> {
        self.lock().mark
    }

    /// Raises the mark to at least `counts`, and its day to at least `day` (the newest
    /// day the store stamped, if it knows one), writing it if either grew (or if there is
    /// no mark yet). With `sync`, it is on disk when this returns.
    pub fn raise(&self, counts: Counts, day: Option<Day>, sync: bool) -> io::Result<()> {
        let mut state = self.lock();
        let previous = state.mark;
        let counts = previous.map_or(counts, |m| m.counts.max(counts));
        let day = match (previous.map(|m| m.day), day) {
            (Some(before), Some(day)) => before.max(day),
            (Some(before), None) => before,
            (None, day) => day.unwrap_or_else(Day::today),
        };
        if previous.is_some_and(|m| m.counts == counts && m.day == day) {
            return Ok(());
        }
        self.write(&mut state, counts, day, sync)
    }

    /// Lowers the mark by what a purge is about to delete (`purged`), durably, before the
    /// purge itself is durable: a crash in between leaves a store holding more than its
    /// mark, which opens. The audit counter never falls: a purge adds to the chain. The
    /// caller must keep every other raise out meanwhile (a raise computed before the
    /// purge would put the deleted counts back).
    pub fn lower(&self, purged: Counts) -> io::Result<()> {
        let mut state = self.lock();
        let Some(current) = state.mark else {
            return Ok(());
        };
        let counts = Counts {
            cases: current.counts.cases.saturating_sub(purged.cases),
            entries: current.counts.entries.saturating_sub(purged.entries),
            notes: current.counts.notes.saturating_sub(purged.notes),
            audit: current.counts.audit,
        };
        self.write(&mut state, counts, current.day, true)
    }

    /// Sets the mark to `counts` even if that lowers it: only for an administrator who
    /// has accepted that data is lost.
    pub fn reset(&self, counts: Counts) -> io::Result<()> {
        let mut state = self.lock();
        let day = state.mark.map_or_else(Day::today, |m| m.day);
        self.write(&mut state, counts, day, true)
    }

    /// Sets the mark's day to `day` even if that moves it back: only for an administrator
    /// who said the clock is right (`serve --accept-clock`).
    pub fn set_day(&self, day: Day) -> io::Result<()> {
        let mut state = self.lock();
        let counts = state.mark.map(|m| m.counts).unwrap_or_default();
        self.write(&mut state, counts, day, true)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MarkState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self, state: &mut MarkState, counts: Counts, day: Day, sync: bool) -> io::Result<()> {
        let mark = Mark {
            generation: state.mark.map_or(0, |m| m.generation + 1),
            counts,
            day,
        };
        let slot = encode_slot(&mark)?;
        if let Some(file) = &state.file {
            file.write_all_at(&slot, (mark.generation % 2) * SLOT)?;
            if sync {
                file.sync_data()?;
            }
        } else {
            state.file = Some(self.create(&slot)?);
        }
        state.mark = Some(mark);
        Ok(())
    }

    /// Creates the file with its first slot, durably (file and directory entry).
    fn create(&self, slot: &[u8]) -> io::Result<File> {
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&self.path)?;
        file.write_all_at(slot, 0)?;
        file.sync_all()?;
        if let Some(dir) = self.path.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(file)
    }
}

fn encode_slot(mark: &Mark) -> io::Result<Vec<u8>> {
    let payload = postcard::to_stdvec(mark).map_err(io::Error::other)?;
    let mut slot = Vec::with_capacity(SLOT as usize);
    slot.extend_from_slice(MAGIC);
    // The payload is a few dozen bytes; a u8 length is ample and checked.
    slot.push(u8::try_from(payload.len()).map_err(io::Error::other)?);
    slot.extend_from_slice(&payload);
    let digest = Sha256::digest(&slot);
    slot.extend_from_slice(&digest);
    slot.resize(SLOT as usize, 0);
    Ok(slot)
}

fn decode_slot(slot: &[u8]) -> Option<Mark> {
    let len = usize::from(*slot.get(MAGIC.len())?);
    let end = MAGIC.len() + 1 + len;
    let (body, rest) = (slot.get(..end)?, slot.get(end..end + DIGEST)?);
    if &body[..MAGIC.len()] != MAGIC || Sha256::digest(body).as_slice() != rest {
        return None;
    }
    postcard::from_bytes(&body[MAGIC.len() + 1..]).ok()
}

/// The newest readable slot.
fn read_slots(file: &File) -> io::Result<Option<Mark>> {
    let mut best: Option<Mark> = None;
    for index in 0..2 {
        let mut slot = vec![0u8; SLOT as usize];
        let read = read_at_most(file, &mut slot, index * SLOT)?;
        if let Some(mark) = decode_slot(&slot[..read])
            && best.is_none_or(|b| mark.generation > b.generation)
        {
            best = Some(mark);
        }
    }
    Ok(best)
}

fn read_at_most(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], offset + filled as u64)? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(cases: u64) -> Counts {
        Counts {
            cases,
            entries: cases * 2,
            notes: 0,
            audit: 1,
        }
    }

    #[test]
    fn the_mark_only_rises_and_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.mark");
        let mark = MarkFile::open(&path).unwrap();
        assert!(mark.current().is_none());
        mark.raise(counts(3), None, true).unwrap();
        mark.raise(counts(5), None, true).unwrap();
        mark.raise(counts(4), None, true).unwrap();
        assert_eq!(mark.current().unwrap().counts, counts(5));
        drop(mark);
        let again = MarkFile::open(&path).unwrap();
        assert_eq!(again.current().unwrap().counts, counts(5));
        assert!(counts(4).below(counts(5)));
        assert!(!counts(5).below(counts(5)));
    }

    #[test]
    fn a_torn_slot_falls_back_to_the_previous_mark() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.mark");
        let mark = MarkFile::open(&path).unwrap();
        mark.raise(counts(1), None, true).unwrap();
        mark.raise(counts(2), None, true).unwrap();
        drop(mark);
        // Generation 1 lives in the second slot: damage it.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[SLOT as usize + 12] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let again = MarkFile::open(&path).unwrap();
        assert_eq!(again.current().unwrap().counts, counts(1));

        // Both slots damaged: refused, not guessed.
        bytes[12] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(MarkFile::open(&path).is_err());
    }

    #[test]
    fn counts_read_as_words() {
        assert_eq!(
            counts(1).describe(),
            "1 case, 2 thread entries, 0 internal notes and 1 audit entry"
        );
    }
}
