//! Evidence files in the database: a `blobs` row per file and its ciphertext in
//! `blob_chunks` rows of [`CHUNK_BYTES`], written and read one chunk at a time, so that
//! memory stays bounded whatever the file size. The ciphertext is the same age stream
//! sled's files hold; nothing about the file is in clear but its size, rounded to chunks.
//!
//! Each chunk is committed on its own as it fills; the file counts only once
//! [`BlobWriter::complete`] marks it complete and a committed message claims it (sets its
//! case). A writer dropped unfinished deletes its rows. A process killed mid-upload
//! leaves an unfinished row behind, which `serve` deletes at a later start once it is
//! older than a day ([`PgStore::sweep`]): another instance may be writing one now.

use std::io::{self, Read, Write};
use std::sync::Arc;

use rand::RngCore;

use super::{CHUNK_BYTES, PgStore, failed};
use crate::store::{BlobId, BlobWriter, CaseId, StoreError, StoreResult, StoredBlob};

/// What a blob writer or reader holds: the pool, which outlives the request.
type Shared = Arc<super::Pool>;

fn delete(pool: &super::Pool, blob: BlobId) -> StoreResult<()> {
    pool.get()?
        .execute(
            "DELETE FROM blobs WHERE id = $1",
            &[&blob.as_bytes().as_slice()],
        )
        .map_err(failed)?;
    Ok(())
}

impl PgStore {
    pub(super) fn start_blob(&self) -> StoreResult<PgBlobWriter> {
        let mut id = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut id);
        self.start_blob_as(BlobId::from_bytes(id))
    }

    /// Starts a blob under a given id (`quietline migrate-store` keeps each file's id).
    pub(super) fn start_blob_as(&self, id: BlobId) -> StoreResult<PgBlobWriter> {
        self.pool
            .get()?
            .execute(
                "INSERT INTO blobs (id, started) VALUES ($1, $2)",
                &[
                    &id.as_bytes().as_slice(),
                    &crate::case::Day::today().julian(),
                ],
            )
            .map_err(failed)?;
        Ok(PgBlobWriter {
            pool: self.pool.clone(),
            id,
            buffer: Vec::with_capacity(CHUNK_BYTES),
            seq: 0,
            done: false,
        })
    }

    /// Deletes the uploads that a killed process left unfinished: incomplete, and started
    /// before yesterday, since an instance may be writing one now (an upload is hours at
    /// most). A complete file that no message claims is kept, as sled quarantines one.
    /// `serve` calls it once at start; returns how many it deleted.
    pub fn sweep(&self, today: crate::case::Day) -> StoreResult<u64> {
        let deleted = self
            .pool
            .get()?
            .execute(
                "DELETE FROM blobs WHERE NOT complete AND case_id IS NULL
                 AND (started IS NULL OR started < $1)",
                &[&(today.julian() - 1)],
            )
            .map_err(failed)?;
        if deleted > 0 {
            tracing::info!(deleted, "unfinished uploads of an earlier process deleted");
        }
        Ok(deleted)
    }

    pub(super) fn delete_blob(&self, blob: BlobId) -> StoreResult<()> {
        delete(&self.pool, blob)
    }

    pub(super) fn read_blob(&self, case: CaseId, blob: BlobId) -> StoreResult<Option<StoredBlob>> {
        let row = self
            .pool
            .get()?
            .query_opt(
                "SELECT (SELECT coalesce(sum(length(bytes)), 0) FROM blob_chunks WHERE blob = $1)
                 FROM blobs WHERE id = $1 AND case_id = $2 AND complete",
                &[&blob.as_bytes().as_slice(), &case.as_bytes().as_slice()],
            )
            .map_err(failed)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let length: i64 = row.get(0);
        Ok(Some(StoredBlob {
            reader: Box::new(PgBlobReader {
                pool: self.pool.clone(),
                id: blob,
                seq: 0,
                chunk: Vec::new(),
                at: 0,
                ended: false,
            }),
            length: u64::try_from(length).ok(),
        }))
    }
}

fn io_error(e: StoreError) -> io::Error {
    io::Error::other(e.to_string())
}

/// An evidence file being written to the database.
pub struct PgBlobWriter {
    pool: Shared,
    id: BlobId,
    buffer: Vec<u8>,
    seq: i32,
    done: bool,
}

impl PgBlobWriter {
    /// Commits the buffered chunk as the next row.
    fn write_chunk(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.pool
            .get()
            .map_err(io_error)?
            .execute(
                "INSERT INTO blob_chunks (blob, seq, bytes) VALUES ($1, $2, $3)",
                &[&self.id.as_bytes().as_slice(), &self.seq, &self.buffer],
            )
            .map_err(|e| io_error(failed(e)))?;
        self.seq += 1;
        self.buffer.clear();
        Ok(())
    }
}

impl Write for PgBlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = CHUNK_BYTES - self.buffer.len();
        let n = buf.len().min(room);
        self.buffer.extend_from_slice(&buf[..n]);
        if self.buffer.len() == CHUNK_BYTES {
            self.write_chunk()?;
        }
        Ok(n)
    }

    /// Buffered bytes stay until a chunk is full or the file completes: a row per
    /// `flush` would make chunks of any size.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BlobWriter for PgBlobWriter {
    fn id(&self) -> BlobId {
        self.id
    }

    fn complete(mut self: Box<Self>) -> io::Result<BlobId> {
        self.write_chunk()?;
        self.pool
            .get()
            .map_err(io_error)?
            .execute(
                "UPDATE blobs SET complete = true WHERE id = $1",
                &[&self.id.as_bytes().as_slice()],
            )
            .map_err(|e| io_error(failed(e)))?;
        self.done = true;
        Ok(self.id)
    }
}

impl Drop for PgBlobWriter {
    fn drop(&mut self) {
        if !self.done {
            let _ = delete(&self.pool, self.id);
        }
    }
}

/// An evidence file read back one chunk at a time.
struct PgBlobReader {
    pool: Shared,
    id: BlobId,
    seq: i32,
    chunk: Vec<u8>,
    at: usize,
    ended: bool,
}

impl Read for PgBlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.chunk.len() && !self.ended {
            let row = self
                .pool
                .get()
                .map_err(io_error)?
                .query_opt(
                    "SELECT bytes FROM blob_chunks WHERE blob = $1 AND seq = $2",
                    &[&self.id.as_bytes().as_slice(), &self.seq],
                )
                .map_err(|e| io_error(failed(e)))?;
            match row {
                Some(row) => {
                    self.chunk = row.get(0);
                    self.at = 0;
                    self.seq += 1;
                }
                None => self.ended = true,
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
