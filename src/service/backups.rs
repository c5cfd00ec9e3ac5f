//! Backups a service under threat can keep: snapshots of the whole deployment, encrypted
//! with age to backup recipients registered for that purpose, so that a copy that leaves
//! the server (to another disk, another site, a courier) reveals no more than the data
//! directory itself would, and only the organisation's backup identity opens it.
//!
//! A snapshot is one file named by the UTC date and time it was taken, written under a
//! hidden temporary name, fsynced, renamed into place and the directory fsynced, so that
//! a crash leaves either a whole backup or none under its final name. The snapshot is
//! encrypted as it streams out of the store: no plaintext copy ever touches a disk, and
//! memory stays flat whatever the size of the store (see `crate::store::snapshot`).
//! The newest `keep` are kept; older ones are deleted after a new one is in place.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::accounts::Investigator;
use super::clock::Clock;
use super::error::{Error, Result};
use super::record_audit;
use crate::audit::Action;
use crate::crypto::{CryptoError, InvestigatorRecipient};
use crate::store::{SnapshotSummary, Store, StoreError};

/// Backup files are `quietline-backup-YYYYMMDD-HHMMSS-NNN.age`: sorting by name sorts by
/// time (`NNN` tells apart backups taken within one second).
const PREFIX: &str = "quietline-backup-";
const SUFFIX: &str = ".age";

/// Written through a buffer this large: few, large writes to the backup disk.
const BUFFER_BYTES: usize = 1024 * 1024;

/// One backup written.
#[derive(Debug, Clone)]
pub struct BackupTaken {
    pub file: PathBuf,
    /// Size of the encrypted file.
    pub bytes: u64,
    pub summary: SnapshotSummary,
}

pub struct Backups {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    /// `serve --backup-dir`; `None` when backups are not configured.
    dir: Option<PathBuf>,
    keep: usize,
    /// Shared with retention: a purge must not delete evidence files while a snapshot
    /// copies them, and one snapshot at a time is enough.
    upkeep: Arc<Mutex<()>>,
}

fn io_error(e: std::io::Error) -> Error {
    Error::Store(StoreError::Io(e))
}

impl Backups {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        dir: Option<PathBuf>,
        keep: usize,
        upkeep: Arc<Mutex<()>>,
    ) -> Self {
        Backups {
            store,
            clock,
            dir,
            keep: keep.max(1),
            upkeep,
        }
    }

    /// Registers a backup recipient (`age1...`); returns false if it already was.
    /// Snapshots taken from now on are encrypted to it too.
    pub fn add_recipient(&self, actor: &str, recipient: &str) -> Result<bool> {
        let recipient = InvestigatorRecipient::parse(recipient).map_err(Error::BadRecipient)?;
        let text = recipient.to_string();
        let added = self.store.add_backup_recipient(&text)?;
        if added {
            record_audit(
                &*self.store,
                &*self.clock,
                actor,
                Action::BackupRecipientAdded,
                None,
                &text,
            )?;
        }
        Ok(added)
    }

    /// A snapshot taken on demand by an administrator (admin API).
    pub fn take_for(&self, who: &Investigator) -> Result<BackupTaken> {
        who.require_admin()?;
        self.take(&who.name)
    }

    /// Writes a snapshot into the backup directory and keeps the newest `keep`.
    pub fn take(&self, actor: &str) -> Result<BackupTaken> {
        let dir = self.dir.as_deref().ok_or(Error::BackupUnavailable(
            "backups are not configured: start serve with --backup-dir",
        ))?;
        let recipients = self
            .store
            .backup_recipients()?
            .iter()
            .map(|r| InvestigatorRecipient::parse(r))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if recipients.is_empty() {
            return Err(Error::BackupUnavailable(
                "no backup recipient is registered: run quietline admin add-backup-recipient",
            ));
        }
        let _one_at_a_time = self.upkeep.lock().unwrap_or_else(|p| p.into_inner());
        crate::store::create_private_dir(dir).map_err(io_error)?;
        let name = self.free_name(dir);
        let part = dir.join(format!(".{name}.part"));
        let written = self.write(&part, &recipients);
        let (bytes, summary) = match written {
            Ok(done) => done,
            Err(e) => {
                let _ = std::fs::remove_file(&part);
                return Err(e);
            }
        };
        let file = dir.join(&name);
        std::fs::rename(&part, &file).map_err(io_error)?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_error)?;
        self.prune(dir);
        record_audit(
            &*self.store,
            &*self.clock,
            actor,
            Action::BackupTaken,
            None,
            &name,
        )?;
        tracing::info!(
            file = %file.display(),
            bytes,
            cases = summary.counts.cases,
            evidence_files = summary.evidence_files,
            "backup written"
        );
        Ok(BackupTaken {
            file,
            bytes,
            summary,
        })
    }

    /// Streams the encrypted snapshot into `part` and makes it durable.
    fn write(
        &self,
        part: &Path,
        recipients: &[InvestigatorRecipient],
    ) -> Result<(u64, SnapshotSummary)> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(part).map_err(io_error)?;
        let encrypt = |e: std::io::Error| Error::Crypto(CryptoError::Encrypt(e.into()));
        let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r.as_age()))
            .map_err(|e| Error::Crypto(CryptoError::Encrypt(e)))?;
        let mut sealed = encryptor
            .wrap_output(BufWriter::with_capacity(BUFFER_BYTES, file))
            .map_err(encrypt)?;
        let summary = self.store.write_snapshot(&mut sealed)?;
        let file = sealed
            .finish()
            .and_then(|mut buffered| {
                buffered.flush()?;
                buffered.into_inner().map_err(|e| e.into_error())
            })
            .map_err(io_error)?;
        file.sync_all().map_err(io_error)?;
        let bytes = file.metadata().map_err(io_error)?.len();
        Ok((bytes, summary))
    }

    /// The name of a new backup: the UTC date and time, and the first unused number.
    fn free_name(&self, dir: &Path) -> String {
        let at = time::OffsetDateTime::from_unix_timestamp(self.clock.now() as i64)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let stamp = format!(
            "{:04}{:02}{:02}-{:02}{:02}{:02}",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        );
        (0..)
            .map(|n| format!("{PREFIX}{stamp}-{n:03}{SUFFIX}"))
            .find(|name| !dir.join(name).exists())
            .unwrap_or_default()
    }

    /// Deletes the backups beyond the newest `keep`, and temporary files of backups a
    /// crash interrupted. Failures are logged: a backup was written all the same.
    fn prune(&self, dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut backups = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(PREFIX) && name.ends_with(SUFFIX) {
                backups.push(name);
            } else if name.starts_with(&format!(".{PREFIX}")) && name.ends_with(".part") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        backups.sort();
        let old = backups.len().saturating_sub(self.keep);
        for name in &backups[..old] {
            if let Err(e) = std::fs::remove_file(dir.join(name)) {
                tracing::warn!(file = %name, error = %e, "could not delete an old backup");
            }
        }
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
}
