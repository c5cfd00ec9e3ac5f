//! Evidence files on disk: age ciphertext under `blobs/` in the data directory, each named
//! by a random id and nothing else (its name and type live in the encrypted message).
//!
//! A file is written as `<id>.part` and becomes `<id>` only once it is complete and
//! fsynced, and it counts only once the message that references it is committed to sled
//! (the `blobs` tree). Anything else found at start-up (a `.part` left by a killed
//! process, a complete file whose message never committed) is deleted, so an aborted
//! upload leaves nothing behind.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use rand::RngCore;

/// The id of a stored evidence file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobId([u8; 16]);

impl BlobId {
    fn generate() -> Self {
        let mut id = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut id);
        BlobId(id)
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        BlobId(bytes)
    }

    /// Reads the 32-hex-digit form.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut id = [0u8; 16];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(BlobId(id))
    }
}

impl std::fmt::Display for BlobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// The `blobs/` directory.
pub struct Blobs {
    dir: PathBuf,
}

/// A blob being written. Dropped without [`PendingBlob::complete`], its partial file is
/// deleted.
pub struct PendingBlob {
    id: BlobId,
    part: PathBuf,
    done: PathBuf,
    file: Option<File>,
}

impl PendingBlob {
    pub fn id(&self) -> BlobId {
        self.id
    }

    /// The file to write the ciphertext into.
    pub fn file(&mut self) -> io::Result<&mut File> {
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("blob already completed"))
    }

    /// Makes the file durable and gives it its final name.
    pub fn complete(mut self) -> io::Result<BlobId> {
        if let Some(file) = self.file.take() {
            file.sync_all()?;
        }
        std::fs::rename(&self.part, &self.done)?;
        if let Some(dir) = self.done.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(self.id)
    }
}

impl Drop for PendingBlob {
    fn drop(&mut self) {
        if self.file.is_some() {
            self.file = None;
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

impl Blobs {
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        let dir = data_dir.join("blobs");
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)?;
        }
        #[cfg(not(unix))]
        std::fs::create_dir_all(&dir)?;
        Ok(Blobs { dir })
    }

    /// Starts a new blob file (readable by the service user only).
    pub fn create(&self) -> io::Result<PendingBlob> {
        let id = BlobId::generate();
        let part = self.dir.join(format!("{id}.part"));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&part)?;
        Ok(PendingBlob {
            id,
            done: self.dir.join(id.to_string()),
            part,
            file: Some(file),
        })
    }

    pub fn path(&self, id: BlobId) -> PathBuf {
        self.dir.join(id.to_string())
    }

    /// Deletes a completed blob whose message could not be committed.
    pub fn discard(&self, id: BlobId) {
        let _ = std::fs::remove_file(self.path(id));
    }

    /// Deletes every file that `is_committed` does not claim; returns how many.
    pub fn sweep(&self, is_committed: impl Fn(BlobId) -> bool) -> io::Result<usize> {
        let mut removed = 0;
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let keep = name
                .to_str()
                .and_then(BlobId::parse)
                .is_some_and(&is_committed);
            if !keep {
                std::fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn unfinished_blobs_leave_nothing_and_finished_ones_keep_their_id_only() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        {
            let mut abandoned = blobs.create().unwrap();
            abandoned.file().unwrap().write_all(b"half").unwrap();
        }
        assert_eq!(
            std::fs::read_dir(dir.path().join("blobs")).unwrap().count(),
            0
        );

        let mut kept = blobs.create().unwrap();
        kept.file().unwrap().write_all(b"sealed").unwrap();
        let id = kept.complete().unwrap();
        assert_eq!(std::fs::read(blobs.path(id)).unwrap(), b"sealed");
        let mut orphan = blobs.create().unwrap();
        orphan.file().unwrap().write_all(b"x").unwrap();
        let orphan = orphan.complete().unwrap();
        assert_eq!(blobs.sweep(|b| b == id).unwrap(), 1);
        assert!(!blobs.path(orphan).exists());
        assert!(blobs.path(id).exists());
        assert_eq!(BlobId::parse(&id.to_string()), Some(id));
    }
}
