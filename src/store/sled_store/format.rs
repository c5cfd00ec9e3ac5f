//! The store's format version and its migrations, and the copy of the store kept before
//! the first migration step.
//!
//! A store of an older format is copied whole (`store/` and `store.mark`, as they are
//! when it is opened) to `DATA_DIR/before-format-N/`, N being the format found, before
//! any step runs. The copy is written under a temporary name, every file and directory
//! fsynced, and renamed into place: a crash leaves either no copy or a whole one. A copy
//! already there (from an interrupted attempt) is kept as it is. To go back: stop the
//! service, move `store/` and `store.mark` aside, move the copy's back, and run the build
//! that wrote that format.

use std::fs::File;
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{SledStore, StoreError, StoreResult, damaged, disk};

/// The store format this build writes, kept in `meta` under `schema` as decimal text.
/// Raise it with every change a previous build would misread, and add the migration
/// from the previous format to [`MIGRATIONS`].
pub(super) const FORMAT_VERSION: u32 = 1;

/// `MIGRATIONS[n]` turns a store of format `n + 1` into one of format `n + 2`, in place.
/// Each must be safe to run again if interrupted (the version is raised after it).
pub(super) type Migration = fn(&SledStore) -> StoreResult<()>;
pub(super) const MIGRATIONS: [Migration; FORMAT_VERSION as usize - 1] = [];

/// The formats a build can open: `first`, and each one `steps` leads to from it.
#[derive(Clone, Copy)]
pub(super) struct Formats {
    pub first: u32,
    /// `steps[n]` turns format `first + n` into `first + n + 1`.
    pub steps: &'static [Migration],
}

impl Formats {
    /// What this build knows: format 1 and [`MIGRATIONS`] up to [`FORMAT_VERSION`].
    pub const BUILT: Formats = Formats {
        first: 1,
        steps: &MIGRATIONS,
    };

    /// The format these steps end at, the one a new store is given.
    fn current(&self) -> u32 {
        self.first + self.steps.len() as u32
    }
}

/// Where the copy of a store of format `found` is kept, in `data_dir`.
pub(super) fn copy_dir(data_dir: &Path, found: u32) -> PathBuf {
    data_dir.join(format!("before-format-{found}"))
}

impl SledStore {
    /// The format version recorded in `meta`; `None` for a store never written to.
    pub(super) fn format(&self) -> StoreResult<Option<u32>> {
        let t = self.trees();
        let Some(bytes) = t.meta.get("schema")? else {
            return Ok(None);
        };
        std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| text.parse().ok())
            .map(Some)
            .ok_or_else(|| {
                damaged(
                    &self.data_dir,
                    StoreError::Corrupt("unreadable format version".into()),
                )
            })
    }

    /// Brings the store to the current format of `formats`: records it in a new store,
    /// refuses a newer one, and migrates an older one step by step, after keeping a copy
    /// of it as it was.
    pub(super) fn migrate(&self, found: Option<u32>, formats: Formats) -> StoreResult<()> {
        let current = formats.current();
        let found = found.unwrap_or(current);
        if found < formats.first {
            return Err(damaged(
                &self.data_dir,
                StoreError::Corrupt(format!("format version {found}")),
            ));
        }
        if found > current {
            return Err(StoreError::TooNew {
                found,
                known: current,
            });
        }
        if found < current {
            self.keep_copy_before_migrating(found)?;
        }
        for version in found..current {
            tracing::info!(from = version, to = version + 1, "migrating the store");
            formats.steps[(version - formats.first) as usize](self)?;
            self.set_format(version + 1)?;
        }
        if self.trees().meta.get("schema")?.is_none() {
            self.set_format(current)?;
        }
        Ok(())
    }

    pub(super) fn set_format(&self, version: u32) -> StoreResult<()> {
        let t = self.trees();
        t.meta.insert("schema", version.to_string().as_bytes())?;
        self.commit()
    }

    /// Copies `store/` and `store.mark` to `before-format-{found}/`, unless a copy is
    /// already there, and logs where it is.
    fn keep_copy_before_migrating(&self, found: u32) -> StoreResult<()> {
        let copy = copy_dir(&self.data_dir, found);
        if std::fs::symlink_metadata(&copy).is_ok() {
            tracing::warn!(
                copy = %copy.display(),
                "a copy of the store from an earlier, interrupted migration is there; \
                 keeping it as it is"
            );
            return Ok(());
        }
        // What sled holds in memory is on disk, so that its files are what a restart
        // would read. Nothing was written since the store was opened.
        self.trees().db.flush()?;
        let part = self.data_dir.join(format!(".before-format-{found}.part"));
        let context = |e: io::Error| {
            StoreError::Io(io::Error::new(
                e.kind(),
                format!(
                    "cannot keep a copy of the store in {} before migrating it: {e}",
                    copy.display()
                ),
            ))
        };
        write_copy(&self.data_dir, &part, &copy).map_err(context)?;
        tracing::info!(
            copy = %copy.display(),
            format = found,
            "kept a copy of the store as it was before migrating; to go back, stop the \
             service and move the copy's store/ and store.mark back into the data directory"
        );
        Ok(())
    }
}

/// Writes the copy under `part` (removing a half one a crash left), then renames it to
/// `copy` and fsyncs `data_dir`.
fn write_copy(data_dir: &Path, part: &Path, copy: &Path) -> io::Result<()> {
    if std::fs::symlink_metadata(part).is_ok() {
        std::fs::remove_dir_all(part)?;
    }
    new_private_dir(part)?;
    copy_tree(&data_dir.join("store"), &part.join("store"))?;
    let mark = data_dir.join("store.mark");
    if mark.is_file() {
        copy_file(&mark, &part.join("store.mark"))?;
    }
    File::open(part)?.sync_all()?;
    std::fs::rename(part, copy)?;
    File::open(data_dir)?.sync_all()
}

fn new_private_dir(dir: &Path) -> io::Result<()> {
    std::fs::DirBuilder::new()
        .mode(disk::DIR_MODE)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(disk::DIR_MODE))
}

/// Copies the directory `from` to the new `to`: directories 0700, regular files 0600,
/// each fsynced, and each directory fsynced after what it holds. Other entries (sled
/// makes none) are skipped.
fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    new_private_dir(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            copy_file(&entry.path(), &target)?;
        }
    }
    File::open(to)?.sync_all()
}

fn copy_file(from: &Path, to: &Path) -> io::Result<()> {
    let mut source = File::open(from)?;
    let mut target = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(disk::FILE_MODE)
        .open(to)?;
    target.set_permissions(std::fs::Permissions::from_mode(disk::FILE_MODE))?;
    io::copy(&mut source, &mut target)?;
    target.sync_all()
}
