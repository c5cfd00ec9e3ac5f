//! What a purge deletes, and in which order, so that a crash at any point leaves a store
//! that opens and a purge that the next run finishes.
//!
//! The decision that a case is due ("closed N days ago") is the service's
//! (`crate::service::retention`, with the rule in `crate::case`); the store only deletes
//! what it is told to, completely: the lookup index entry (so the token finds nothing),
//! the case record, every wrap of the case key, the thread, the internal notes, the
//! evidence index and files, the investigators' seen-marks and the recorded closure day.
//!
//! Order (see `SledStore::purge_cases`):
//! 1. the high-water mark is lowered by what is about to go (`mark.rs`), fsynced;
//! 2. the evidence files are deleted and `blobs/` fsynced, so that a crash never leaves
//!    files of a purged case for the start-up sweep to quarantine (and keep);
//! 3. each case's records go in one sled transaction, then one flush and fsync.
//!
//! A crash after 1 leaves more than the mark (fine); after 2, a case whose files are gone
//! but which is still due, and is purged at the next start.

use serde::{Deserialize, Serialize};

/// What a purge deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purged {
    pub cases: u64,
    pub entries: u64,
    pub notes: u64,
    pub evidence_files: u64,
}
