//! The snapshot format: everything a deployment needs to come back, as one stream, and
//! its restore into an empty data directory.
//!
//! A snapshot holds every sled tree (cases, lookup index, wraps, thread, notes, evidence
//! index, investigators, seen-marks, audit chain, and `meta` with the deployment salt, the
//! KDF parameters, the store format and the backup recipients), every evidence file the
//! store lists, and the counts the high-water mark is checked against. Investigator
//! sessions are left out: a restored service asks everyone to log in again.
//!
//! This module writes and reads the plain stream; the service encrypts it to the backup
//! recipients with age as it is written (`crate::service::backups`), so that no plaintext
//! snapshot ever touches a disk. Both directions stream record by record: memory stays
//! flat whatever the size of the store or of an evidence file.
//!
//! Layout: the magic `QLSNAP01`, then records, each a tag byte:
//! - `T` name: the trees that follow belong to this tree;
//! - `K` key value: one entry of the current tree;
//! - `B` id length bytes: one evidence file;
//! - `E` trailer: the counts and totals, which the restore checks; a stream that ends
//!   without it was cut short.
//!
//! Lengths are big-endian `u32` (names, keys, values) or `u64` (evidence files).

use std::io::{self, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::mark::{Counts, MarkFile};
use super::{BlobId, Blobs};

const MAGIC: &[u8; 8] = b"QLSNAP01";

/// Trees a snapshot leaves out. Investigator sessions end with a restore; the trees sled
/// keeps for itself are not ours.
const SKIPPED_TREES: [&[u8]; 2] = [b"sessions", b"__sled__default"];

/// Longest key or value a restore accepts: far above anything the store writes (sealed
/// messages are capped at a few hundred KiB), so that a damaged length cannot make the
/// restore allocate without bound.
const MAX_VALUE_BYTES: u32 = 64 * 1024 * 1024;

/// What a snapshot holds, as its trailer records it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotSummary {
    /// The counts of the high-water mark: cases, thread entries, notes, audit entries.
    pub counts: Counts,
    /// Entries over all trees.
    pub records: u64,
    pub evidence_files: u64,
    pub evidence_bytes: u64,
}

/// Why a snapshot could not be read or restored.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("reading or writing failed: {0}")]
    Io(#[from] io::Error),
    #[error("this is not a quietline snapshot (or it was encrypted to another identity)")]
    NotASnapshot,
    #[error("the snapshot is damaged or cut short: {0}")]
    Damaged(&'static str),
    #[error("the store could not be written: {0}")]
    Store(#[from] sled::Error),
}

fn write_bytes(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    let len = u32::try_from(bytes.len()).map_err(|_| io::Error::other("value too large"))?;
    out.write_all(&len.to_be_bytes())?;
    out.write_all(bytes)
}

/// Writes the magic and every tree of `db` but the skipped ones. Returns the entries
/// written and the ids of the evidence files the `blobs` tree lists, which
/// [`write_evidence`] copies next. The caller holds whatever locks make this a
/// consistent view.
pub(super) fn write_trees(db: &sled::Db, out: &mut dyn Write) -> io::Result<(u64, Vec<BlobId>)> {
    let sled_error = |e: sled::Error| io::Error::other(e.to_string());
    out.write_all(MAGIC)?;
    let mut records = 0;
    let mut evidence = Vec::new();
    for name in db.tree_names() {
        if SKIPPED_TREES.contains(&name.as_ref()) {
            continue;
        }
        let tree = db.open_tree(&name).map_err(sled_error)?;
        out.write_all(b"T")?;
        write_bytes(out, &name)?;
        let is_blobs = name.as_ref() == b"blobs";
        for item in tree.iter() {
            let (key, value) = item.map_err(sled_error)?;
            out.write_all(b"K")?;
            write_bytes(out, &key)?;
            write_bytes(out, &value)?;
            records += 1;
            if is_blobs && let Ok(id) = <[u8; 16]>::try_from(key.as_ref()) {
                evidence.push(BlobId::from_bytes(id));
            }
        }
    }
    Ok((records, evidence))
}

/// Copies the evidence files `ids` from `files` into the snapshot; returns their total
/// size. Evidence files are never changed once complete, so this needs no lock, only
/// that no purge deletes them meanwhile.
pub(super) fn write_evidence(
    files: &Blobs,
    ids: &[BlobId],
    out: &mut dyn Write,
) -> io::Result<u64> {
    let mut total = 0;
    for id in ids {
        let path = files.path(*id);
        let mut file = std::fs::File::open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let len = file.metadata()?.len();
        out.write_all(b"B")?;
        out.write_all(id.as_bytes())?;
        out.write_all(&len.to_be_bytes())?;
        let copied = io::copy(&mut (&mut file).take(len), out)?;
        if copied != len {
            return Err(io::Error::other(format!(
                "{} shrank while it was copied",
                path.display()
            )));
        }
        total += len;
    }
    Ok(total)
}

/// Ends the snapshot with its trailer.
pub(super) fn write_trailer(summary: &SnapshotSummary, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"E")?;
    let trailer = postcard::to_stdvec(summary).map_err(io::Error::other)?;
    write_bytes(out, &trailer)
}

fn read_exact_or(
    input: &mut dyn Read,
    buf: &mut [u8],
    what: &'static str,
) -> Result<(), SnapshotError> {
    input.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => SnapshotError::Damaged(what),
        _ => SnapshotError::Io(e),
    })
}

fn read_bytes(input: &mut dyn Read, what: &'static str) -> Result<Vec<u8>, SnapshotError> {
    let mut len = [0u8; 4];
    read_exact_or(input, &mut len, what)?;
    let len = u32::from_be_bytes(len);
    if len > MAX_VALUE_BYTES {
        return Err(SnapshotError::Damaged("a length is out of range"));
    }
    let mut bytes = vec![0u8; len as usize];
    read_exact_or(input, &mut bytes, what)?;
    Ok(bytes)
}

/// Entries written to sled per batch during a restore.
const BATCH: usize = 1000;

/// Restores a snapshot into `data_dir`, which must be empty (the caller checks): the
/// sled store under `store/`, the evidence files under `blobs/` (each written to a
/// temporary name, fsynced and renamed), and a high-water mark with the snapshot's
/// counts. Returns the trailer. Opening the result with [`super::SledStore::open`]
/// then checks the store against that mark.
pub fn restore(input: &mut dyn Read, data_dir: &Path) -> Result<SnapshotSummary, SnapshotError> {
    let mut magic = [0u8; 8];
    read_exact_or(input, &mut magic, "no header")?;
    if &magic != MAGIC {
        return Err(SnapshotError::NotASnapshot);
    }
    super::disk::create_private_dir(data_dir)?;
    let db = sled::Config::new()
        .path(data_dir.join("store"))
        .flush_every_ms(None)
        .open()?;
    let files = Blobs::open_unreserved(data_dir)?;
    let mut tree: Option<sled::Tree> = None;
    let mut batch = sled::Batch::default();
    let mut pending = 0;
    let mut seen = SnapshotSummary::default();
    let trailer = loop {
        let mut tag = [0u8; 1];
        read_exact_or(input, &mut tag, "no trailer")?;
        match &tag {
            b"T" => {
                let name = read_bytes(input, "a tree name")?;
                if let Some(previous) = tree.take() {
                    previous.apply_batch(std::mem::take(&mut batch))?;
                }
                pending = 0;
                tree = Some(db.open_tree(name)?);
            }
            b"K" => {
                let key = read_bytes(input, "a key")?;
                let value = read_bytes(input, "a value")?;
                let Some(current) = &tree else {
                    return Err(SnapshotError::Damaged("an entry outside any tree"));
                };
                batch.insert(key, value);
                pending += 1;
                seen.records += 1;
                if pending == BATCH {
                    current.apply_batch(std::mem::take(&mut batch))?;
                    pending = 0;
                }
            }
            b"B" => {
                if let Some(previous) = tree.take() {
                    previous.apply_batch(std::mem::take(&mut batch))?;
                }
                let mut id = [0u8; 16];
                read_exact_or(input, &mut id, "an evidence file id")?;
                let mut len = [0u8; 8];
                read_exact_or(input, &mut len, "an evidence file length")?;
                let len = u64::from_be_bytes(len);
                restore_evidence(&files, BlobId::from_bytes(id), len, input)?;
                seen.evidence_files += 1;
                seen.evidence_bytes += len;
            }
            b"E" => {
                if let Some(previous) = tree.take() {
                    previous.apply_batch(std::mem::take(&mut batch))?;
                }
                let bytes = read_bytes(input, "the trailer")?;
                break postcard::from_bytes::<SnapshotSummary>(&bytes)
                    .map_err(|_| SnapshotError::Damaged("an unreadable trailer"))?;
            }
            _ => return Err(SnapshotError::Damaged("an unknown record")),
        }
    };
    if trailer.records != seen.records
        || trailer.evidence_files != seen.evidence_files
        || trailer.evidence_bytes != seen.evidence_bytes
    {
        return Err(SnapshotError::Damaged(
            "its totals do not match what it holds",
        ));
    }
    db.flush()?;
    drop(db);
    // A restored store is as durable as the service's own writes: fsync sled's files.
    super::disk::SledFiles::open(&data_dir.join("store"))?.sync()?;
    MarkFile::open(&data_dir.join("store.mark"))?.reset(trailer.counts)?;
    Ok(trailer)
}

/// Writes one evidence file of a snapshot under `blobs/`, durably.
fn restore_evidence(
    files: &Blobs,
    id: BlobId,
    len: u64,
    input: &mut dyn Read,
) -> Result<(), SnapshotError> {
    let mut pending = files.create_named(id)?;
    let copied = io::copy(&mut input.take(len), &mut pending)?;
    if copied != len {
        return Err(SnapshotError::Damaged("an evidence file is cut short"));
    }
    pending.complete()?;
    Ok(())
}
