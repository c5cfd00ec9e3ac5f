//! Evidence files on disk: age ciphertext under `blobs/` in the data directory, each named
//! by a random id and nothing else (its name and type live in the encrypted message).
//!
//! A file is written as `<id>.part` and becomes `<id>` only once it is complete and
//! fsynced, and it counts only once the message that references it is committed to sled
//! (the `blobs` tree). An aborted upload deletes its own file. What a killed process
//! leaves behind is dealt with by [`Blobs::sweep`], which `serve` calls once the store has
//! opened and looks whole: a `.part` is certainly garbage and is deleted; a complete file
//! the store does not list is moved to `quarantine/`, never deleted, because "the store
//! does not list it" is also what a damaged or lost store looks like.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use rand::RngCore;

use super::guard::{CHECK_EVERY_BYTES, Reserve};

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
    /// Checked while a file is written, so that a large upload stops at the reserve.
    reserve: Arc<Reserve>,
    /// Held for reading while a file is completed or discarded, and for writing while
    /// [`Blobs::refresh`] runs, so that every file it does not see is newer than it.
    settling: Arc<RwLock<()>>,
}

/// A blob being written. Dropped without [`PendingBlob::complete`], its partial file is
/// deleted.
pub struct PendingBlob {
    id: BlobId,
    part: PathBuf,
    done: PathBuf,
    file: Option<File>,
    reserve: Arc<Reserve>,
    /// Bytes written since the reserve was last checked.
    unchecked: u64,
    settling: Arc<RwLock<()>>,
}

impl PendingBlob {
    pub fn id(&self) -> BlobId {
        self.id
    }

    fn file(&mut self) -> io::Result<&mut File> {
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("blob already completed"))
    }

    /// Makes the file durable and gives it its final name.
    pub fn complete(mut self) -> io::Result<BlobId> {
        let _settled = self.settling.read().unwrap_or_else(|p| p.into_inner());
        if let Some(file) = self.file.take() {
            // A reporter's upload is dated to the day, like everything else they do: its
            // access and modification times are set to the start of the day (UTC). Its
            // change and birth times cannot be set: the next rewrite copies the file
            // and resets its times (`Blobs::refresh`, SECURITY.md).
            file.set_times(start_of_today())?;
            file.sync_all()?;
        }
        std::fs::rename(&self.part, &self.done)?;
        if let Some(dir) = self.done.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(self.id)
    }
}

/// Access and modification times of the start of today (UTC).
fn start_of_today() -> std::fs::FileTimes {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day = std::time::UNIX_EPOCH + std::time::Duration::from_secs(now / 86_400 * 86_400);
    std::fs::FileTimes::new()
        .set_accessed(day)
        .set_modified(day)
}

/// When `metadata`'s inode last changed (its ctime).
fn changed(metadata: &std::fs::Metadata) -> SystemTime {
    use std::os::unix::fs::MetadataExt;
    let (secs, nanos) = (metadata.ctime(), metadata.ctime_nsec());
    let secs = std::time::Duration::from_secs(secs.max(0).unsigned_abs());
    std::time::UNIX_EPOCH + secs + std::time::Duration::from_nanos(nanos.max(0).unsigned_abs())
}

/// What [`Blobs::refresh`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// Complete evidence files whose times were reset.
    pub files: u64,
    /// Those copied into a new file, to give them a new birth time.
    pub copied: u64,
}

/// The ciphertext is written through the blob itself, which stops with an error of kind
/// `StorageFull` once the filesystem falls below the reserve: an upload of hundreds of
/// megabytes must not eat the room that keeps the store writable.
impl Write for PendingBlob {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.unchecked >= CHECK_EVERY_BYTES {
            self.reserve.check_io()?;
            self.unchecked = 0;
        }
        let n = self.file()?.write(buf)?;
        self.unchecked += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file()?.flush()
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
    /// The blobs of a data directory, for reading and counting them (restore checks), or
    /// writing them where no reserve applies (a restore into a new directory).
    pub fn open_unreserved(data_dir: &Path) -> io::Result<Self> {
        Blobs::open(data_dir, Arc::new(Reserve::new(data_dir.to_path_buf(), 0)))
    }

    pub fn open(data_dir: &Path, reserve: Arc<Reserve>) -> io::Result<Self> {
        let dir = data_dir.join("blobs");
        super::disk::create_private_dir(&dir)?;
        Ok(Blobs {
            dir,
            reserve,
            settling: Arc::new(RwLock::new(())),
        })
    }

    /// Starts a new blob file (readable by the service user only).
    pub fn create(&self) -> io::Result<PendingBlob> {
        self.create_named(BlobId::generate())
    }

    /// Starts a blob file under a given id: a restore keeps the ids its store lists.
    pub fn create_named(&self, id: BlobId) -> io::Result<PendingBlob> {
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
            reserve: self.reserve.clone(),
            unchecked: 0,
            settling: self.settling.clone(),
        })
    }

    pub fn path(&self, id: BlobId) -> PathBuf {
        self.dir.join(id.to_string())
    }

    /// How many complete evidence files there are.
    pub fn count(&self) -> io::Result<usize> {
        let mut count = 0;
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name();
            if name.to_str().and_then(BlobId::parse).is_some() {
                count += 1;
            }
        }
        Ok(count)
    }

    /// Deletes a completed blob whose message could not be committed.
    pub fn discard(&self, id: BlobId) {
        let _settled = self.settling.read().unwrap_or_else(|p| p.into_inner());
        let _ = std::fs::remove_file(self.path(id));
    }

    /// Stops evidence files from dating their upload beyond the day (the store's
    /// rewrite calls it). The access and modification times of every complete file are
    /// set to the start of today (UTC), which also moves its change time (ctime) to now;
    /// and each file that changed since `since` (completed since the last rewrite) is
    /// first copied into a new file renamed over it, so that its birth time is now
    /// rather than its upload's. Files are taken in random order, so that neither
    /// time orders them by upload.
    ///
    /// `since` is the birth time of the store directory the last rewrite made: `then`
    /// runs before completions resume and must create the next one, so that every file
    /// completed afterwards has a later change time. Without it, or on a filesystem
    /// that keeps no birth time, every file is copied, or none (there is no birth time
    /// to hide). Completions and discards wait meanwhile; downloads do not (a file open
    /// for reading keeps its old content, which is the same).
    pub fn refresh(
        &self,
        since: Option<SystemTime>,
        then: impl FnOnce() -> io::Result<()>,
    ) -> io::Result<Refreshed> {
        use rand::seq::SliceRandom;
        let _settling = self.settling.write().unwrap_or_else(|p| p.into_inner());
        let mut ids = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            if let Some(id) = entry.file_name().to_str().and_then(BlobId::parse)
                && entry.file_type()?.is_file()
            {
                ids.push(id);
            }
        }
        let times = start_of_today();
        let mut done = Refreshed::default();
        ids.shuffle(&mut rand::rngs::OsRng);
        for id in &ids {
            let metadata = match std::fs::metadata(self.path(*id)) {
                Ok(metadata) => metadata,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let fresh = since.is_none_or(|since| changed(&metadata) >= since);
            if fresh && metadata.created().is_ok() {
                self.copy_anew(*id, times)?;
                done.copied += 1;
            }
        }
        ids.shuffle(&mut rand::rngs::OsRng);
        for id in &ids {
            match std::fs::OpenOptions::new().write(true).open(self.path(*id)) {
                Ok(file) => file.set_times(times)?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
            done.files += 1;
        }
        File::open(&self.dir)?.sync_all()?;
        then()?;
        Ok(done)
    }

    /// Copies a complete file into a new one under the same name, durably; the old one
    /// stays whole until the rename, so a crash leaves one or the other (and a `.part`
    /// that the start-up sweep removes).
    fn copy_anew(&self, id: BlobId, times: std::fs::FileTimes) -> io::Result<()> {
        let path = self.path(id);
        let part = self.dir.join(format!("{id}.part"));
        let result = (|| {
            let mut from = File::open(&path)?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut to = options.open(&part)?;
            io::copy(&mut from, &mut to)?;
            to.set_times(times)?;
            to.sync_all()?;
            std::fs::rename(&part, &path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&part);
        }
        result
    }

    /// Deletes the `.part` files and quarantines the complete files that `is_committed`
    /// does not claim, among those last modified before `older_than` (files of uploads in
    /// progress are newer). Entries that are not regular files are left where they are
    /// and reported.
    pub fn sweep(
        &self,
        is_committed: impl Fn(BlobId) -> io::Result<bool>,
        older_than: SystemTime,
        quarantine: &Path,
    ) -> io::Result<Sweep> {
        let mut sweep = Sweep::default();
        let named = |e: io::Error, path: &Path| {
            io::Error::new(e.kind(), format!("{}: {e}", path.display()))
        };
        for entry in std::fs::read_dir(&self.dir).map_err(|e| named(e, &self.dir))? {
            let entry = entry.map_err(|e| named(e, &self.dir))?;
            let path = entry.path();
            let metadata = entry.metadata().map_err(|e| named(e, &path))?;
            if !metadata.is_file() {
                sweep.skipped.push(path);
                continue;
            }
            if metadata.modified().map_err(|e| named(e, &path))? >= older_than {
                continue;
            }
            let name = entry.file_name();
            let name = name.to_str().unwrap_or_default();
            if name.strip_suffix(".part").and_then(BlobId::parse).is_some() {
                std::fs::remove_file(&path).map_err(|e| named(e, &path))?;
                sweep.parts_removed += 1;
                continue;
            }
            if let Some(id) = BlobId::parse(name)
                && is_committed(id)?
            {
                continue;
            }
            move_aside(&path, quarantine).map_err(|e| named(e, &path))?;
            sweep.quarantined.push(path);
        }
        Ok(sweep)
    }
}

/// What a sweep did.
#[derive(Debug, Default)]
pub struct Sweep {
    pub parts_removed: usize,
    /// Where the quarantined files were (they are now in the quarantine directory under
    /// the same name).
    pub quarantined: Vec<PathBuf>,
    /// Entries that are not regular files, left in place.
    pub skipped: Vec<PathBuf>,
}

/// Moves `path` into `quarantine` under its own name (or with a numbered suffix if that
/// is taken), durably.
fn move_aside(path: &Path, quarantine: &Path) -> io::Result<()> {
    super::disk::create_private_dir(quarantine)?;
    let name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let mut target = quarantine.join(&name);
    let mut n = 1;
    while target.exists() {
        target = quarantine.join(format!("{name}.{n}"));
        n += 1;
    }
    std::fs::rename(path, &target)?;
    File::open(quarantine)?.sync_all()?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn unfinished_blobs_leave_nothing_and_finished_ones_keep_their_id_only() {
        let dir = tempfile::tempdir().unwrap();
        let reserve = Arc::new(Reserve::new(dir.path().to_owned(), 0));
        let blobs = Blobs::open(dir.path(), reserve).unwrap();
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
        let mut left = blobs.create().unwrap();
        left.file().unwrap().write_all(b"half").unwrap();
        std::mem::forget(left);
        std::fs::create_dir(dir.path().join("blobs/stray")).unwrap();
        let later = SystemTime::now() + std::time::Duration::from_secs(60);
        let quarantine = dir.path().join("quarantine");
        let sweep = blobs.sweep(|b| Ok(b == id), later, &quarantine).unwrap();
        assert_eq!(sweep.parts_removed, 1);
        assert_eq!(sweep.quarantined, vec![blobs.path(orphan)]);
        assert_eq!(sweep.skipped, vec![dir.path().join("blobs/stray")]);
        assert!(!blobs.path(orphan).exists());
        assert_eq!(
            std::fs::read(quarantine.join(orphan.to_string())).unwrap(),
            b"x"
        );
        assert!(blobs.path(id).exists());
        assert_eq!(BlobId::parse(&id.to_string()), Some(id));
    }
}
