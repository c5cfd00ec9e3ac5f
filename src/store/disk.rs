//! What sled leaves to us on disk: making its files durable, and keeping them private.
//!
//! sled 0.34 writes `store/db` (its log), `store/conf`, `store/snap.*` (snapshots, which
//! it fsyncs itself) and `store/blobs/<lsn>` (values too large to sit inline in the log,
//! which it never fsyncs). `Db::flush` ends in `sync_file_range` on the log, which writes
//! the pages but neither the file's metadata nor the disk's cache: it does not survive a
//! power cut. So after each flush the store fsyncs the log through its own descriptor
//! (an fsync flushes the file, whichever descriptor it is called on), fsyncs every new
//! file of `store/` and `store/blobs/` once, and then the directories that gained them.
//!
//! sled creates its files with the process umask (0644 by default). The data directory
//! is 0700, so nobody else can reach them, but files are made 0600 anyway as they appear
//! and at every start: a copied or re-permissioned directory must not expose them.

use std::collections::HashSet;
use std::fs::File;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Directories: owner only.
pub const DIR_MODE: u32 = 0o700;
/// Files: owner read and write only.
pub const FILE_MODE: u32 = 0o600;

/// The sled directory's files, and which of them are already durable.
pub struct SledFiles {
    dir: PathBuf,
    log: File,
    /// Names (in `store/` and `store/blobs/`) already fsynced. sled never rewrites a file
    /// in place except its log, so each needs one fsync.
    synced: Mutex<HashSet<PathBuf>>,
}

impl SledFiles {
    /// Opens the sled directory `dir` (already opened by sled) and treats what is there
    /// now as durable once `sync` first runs.
    pub fn open(dir: &Path) -> io::Result<SledFiles> {
        let log = File::open(dir.join("db"))?;
        Ok(SledFiles {
            dir: dir.to_owned(),
            log,
            synced: Mutex::new(HashSet::new()),
        })
    }

    /// Makes everything sled has written so far durable. Call after `Db::flush`.
    pub fn sync(&self) -> io::Result<()> {
        self.log.sync_all()?;
        let mut synced = self.synced.lock().unwrap_or_else(|p| p.into_inner());
        sync_new_files(&self.dir, &mut synced)?;
        let blobs = self.dir.join("blobs");
        if blobs.is_dir() {
            sync_new_files(&blobs, &mut synced)?;
        }
        Ok(())
    }
}

/// Fsyncs (and makes private) each regular file of `dir` not yet in `synced`, then `dir`
/// itself if it gained any. Forgets files that are gone, so the set stays small.
fn sync_new_files(dir: &Path, synced: &mut HashSet<PathBuf>) -> io::Result<()> {
    let mut present = HashSet::new();
    let mut gained = false;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let path = entry.path();
        if !synced.contains(&path) {
            let file = match File::open(&path) {
                Ok(file) => file,
                // sled removed it meanwhile (a superseded blob or snapshot).
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
            file.sync_all()?;
            gained = true;
        }
        present.insert(path);
    }
    if gained {
        File::open(dir)?.sync_all()?;
    }
    *synced = present;
    Ok(())
}

/// Creates `dir` (and its parents) if needed, private to the service user.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)?;
    set_mode(dir, DIR_MODE)
}

fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot make {} private: {e}", path.display()),
        )
    })
}

/// Makes every directory under `dir` (and `dir` itself) 0700 and every regular file
/// 0600. Symbolic links are left alone, and not followed.
pub fn make_private(dir: &Path) -> io::Result<()> {
    set_mode(dir, DIR_MODE)?;
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = entry.path();
            let wanted = if kind.is_dir() {
                pending.push(path.clone());
                DIR_MODE
            } else if kind.is_file() {
                FILE_MODE
            } else {
                continue;
            };
            if entry.metadata()?.permissions().mode() & 0o7777 != wanted {
                set_mode(&path, wanted)?;
            }
        }
    }
    Ok(())
}
