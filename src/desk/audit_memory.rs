//! The desk's memory of the audit chain: the last head and count it saw, kept on the
//! investigator's machine, so that a log cut short or rewritten on the server is noticed
//! by the next desk that looks.
//!
//! The record is a small file (by default `<identity file>.audit-head`, mode 0600, written
//! through a temporary file and a rename): the head in 64 hex digits and the count. At
//! start and on each case-list page the desk asks the server where that head sits in the
//! chain now. If the chain has fewer entries than the desk saw, no longer holds the head,
//! or does not verify, every page shows an alarm, and the record is left as it was, so that
//! the alarm stays until someone has looked. Otherwise the record moves to the new head.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use anyhow::{Context, bail};
use minijinja::{Value, context};

use super::client::{ClientError, Session};
use crate::api::AuditHeadWire;

/// What the desk saw last time it looked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// 64 lower-case hex digits.
    pub head: String,
    pub count: u64,
}

/// Why the chain on the server is not the one this desk saw, or could not be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alarm {
    /// The chain does not verify.
    Broken { reason: String },
    /// Fewer entries than the desk saw: entries were deleted.
    Shorter { seen: Seen, now: u64 },
    /// The head the desk saw is no longer in the chain: cut short and grown again, or
    /// rewritten.
    Forked { seen: Seen, now: u64 },
    /// The server did not answer the question.
    Unchecked { reason: String },
}

impl Alarm {
    /// One line for the terminal the desk was started from.
    pub fn line(&self) -> String {
        match self {
            Alarm::Broken { reason } => format!("the audit log does not verify: {reason}"),
            Alarm::Shorter { seen, now } => format!(
                "the audit log has {now} entries, fewer than the {} this desk saw (head {}): \
                 entries were deleted",
                seen.count, seen.head
            ),
            Alarm::Forked { seen, now } => format!(
                "the audit log ({now} entries) no longer holds the head this desk saw ({}, \
                 {} entries): it was cut short or rewritten",
                seen.head, seen.count
            ),
            Alarm::Unchecked { reason } => {
                format!("the audit log could not be checked against this desk's record: {reason}")
            }
        }
    }

    /// What the alarm block of every page shows.
    pub fn view(&self) -> Value {
        match self {
            Alarm::Broken { reason } => context! { kind => "broken", reason => reason },
            Alarm::Shorter { seen, now } | Alarm::Forked { seen, now } => context! {
                kind => if matches!(self, Alarm::Shorter { .. }) { "shorter" } else { "forked" },
                seen_head => seen.head,
                seen_count => seen.count,
                now => now,
            },
            Alarm::Unchecked { reason } => context! { kind => "unchecked", reason => reason },
        }
    }
}

/// Compares the server's answer with what the desk saw (asked with `seen.head` as
/// `known`).
pub fn judge(seen: Option<&Seen>, answer: &AuditHeadWire) -> Option<Alarm> {
    if let Some(reason) = &answer.broken {
        return Some(Alarm::Broken {
            reason: reason.clone(),
        });
    }
    let seen = seen?;
    if answer.count < seen.count {
        return Some(Alarm::Shorter {
            seen: seen.clone(),
            now: answer.count,
        });
    }
    match answer.known_at {
        Some(at) if at < answer.count => None,
        _ => Some(Alarm::Forked {
            seen: seen.clone(),
            now: answer.count,
        }),
    }
}

/// The record file, and a lock so that one check at a time reads and moves it.
pub struct AuditMemory {
    path: PathBuf,
    checking: Mutex<()>,
}

impl AuditMemory {
    /// Opens the record at `path`; refuses a record it cannot read, rather than forget
    /// what it saw.
    pub fn open(path: PathBuf) -> anyhow::Result<Self> {
        read(&path)?;
        Ok(AuditMemory {
            path,
            checking: Mutex::new(()),
        })
    }

    /// The default place of the record: next to the identity file.
    pub fn default_path(identity: &Path) -> PathBuf {
        let mut name = identity.as_os_str().to_owned();
        name.push(".audit-head");
        PathBuf::from(name)
    }

    /// Asks the server, compares, and moves the record on when all is well. Blocking. A
    /// session that has ended is returned as an error; any other failure becomes an alarm.
    pub fn check(&self, session: &Session) -> Result<Option<Alarm>, ClientError> {
        let _one_at_a_time = self.checking.lock().unwrap_or_else(PoisonError::into_inner);
        let found = match read(&self.path) {
            Err(e) => Some(Alarm::Unchecked {
                reason: format!("{e:#}"),
            }),
            Ok(seen) => match session.audit_head(seen.as_ref().map(|s| s.head.as_str())) {
                Err(ClientError::SessionEnded) => return Err(ClientError::SessionEnded),
                Err(e) => Some(Alarm::Unchecked {
                    reason: e.to_string(),
                }),
                Ok(answer) => match judge(seen.as_ref(), &answer) {
                    Some(found) => Some(found),
                    None => {
                        let now = Seen {
                            head: answer.head.to_ascii_lowercase(),
                            count: answer.count,
                        };
                        if answer.count == 0 || crate::audit::parse_head(&now.head).is_none() {
                            None
                        } else {
                            write(&self.path, &now).err().map(|e| Alarm::Unchecked {
                                reason: format!("{e:#}"),
                            })
                        }
                    }
                },
            },
        };
        if let Some(found) = &found {
            tracing::warn!(alarm = %found.line(), "audit log check");
        }
        Ok(found)
    }
}

/// The record at `path`, or `None` if there is none yet.
fn read(path: &Path) -> anyhow::Result<Option<Seen>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read {}", path.display()));
        }
    };
    let mut head = None;
    let mut count = None;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("head ") {
            head = crate::audit::parse_head(h).map(|_| h.trim().to_ascii_lowercase());
        } else if let Some(c) = line.strip_prefix("count ") {
            count = c.trim().parse::<u64>().ok();
        }
    }
    match (head, count) {
        (Some(head), Some(count)) => Ok(Some(Seen { head, count })),
        _ => bail!(
            "{} is not a record of the audit chain (a `head` and a `count` line); move it \
             aside only once you know why",
            path.display()
        ),
    }
}

/// Writes the record: a temporary file beside it (mode 0600), synced, then renamed over.
fn write(path: &Path, seen: &Seen) -> anyhow::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".tmp-{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = (|| -> std::io::Result<()> {
        let mut file = options.open(&temporary)?;
        write!(file, "head {}\ncount {}\n", seen.head, seen.count)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(Ok(dir)) = dir.map(std::fs::File::open) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(count: u64, known_at: Option<u64>, broken: Option<&str>) -> AuditHeadWire {
        AuditHeadWire {
            count,
            head: "b".repeat(64),
            known_at,
            broken: broken.map(str::to_owned),
        }
    }

    #[test]
    fn a_shorter_forked_or_broken_chain_raises_the_alarm() {
        let seen = Seen {
            head: "a".repeat(64),
            count: 10,
        };
        assert_eq!(judge(None, &answer(3, None, None)), None);
        assert_eq!(judge(Some(&seen), &answer(12, Some(9), None)), None);
        assert!(matches!(
            judge(Some(&seen), &answer(8, None, None)),
            Some(Alarm::Shorter { now: 8, .. })
        ));
        assert!(matches!(
            judge(Some(&seen), &answer(14, None, None)),
            Some(Alarm::Forked { now: 14, .. })
        ));
        assert!(matches!(
            judge(None, &answer(0, None, Some("entry 3"))),
            Some(Alarm::Broken { .. })
        ));
    }

    #[test]
    fn the_record_is_written_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = AuditMemory::default_path(&dir.path().join("me.age"));
        assert_eq!(path.file_name().unwrap(), "me.age.audit-head");
        assert_eq!(read(&path).unwrap(), None);
        let seen = Seen {
            head: "c".repeat(64),
            count: 7,
        };
        write(&path, &seen).unwrap();
        assert_eq!(read(&path).unwrap(), Some(seen));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        std::fs::write(&path, "garbage").unwrap();
        assert!(read(&path).is_err());
    }
}
