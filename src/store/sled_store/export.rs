//! Read-only views of a sled store that the `Store` trait does not offer, for
//! `quietline migrate-store` (src/commands/migrate.rs): which lookup id and which evidence
//! files belong to a case, and how many rows each tree holds, to check a copy against.

use super::{SledStore, StoreError, StoreResult};
use crate::crypto::LookupId;
use crate::store::{BlobId, CaseId, TableCounts};

fn id16(bytes: &[u8]) -> StoreResult<[u8; 16]> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("a stored id has the wrong length".into()))
}

impl SledStore {
    /// Every (case, lookup id) pair of the lookup index.
    pub fn lookups(&self) -> StoreResult<Vec<(CaseId, LookupId)>> {
        let t = self.trees();
        let mut out = Vec::new();
        for item in t.lookup.iter() {
            let (lookup, case) = item?;
            let lookup: [u8; 32] = lookup
                .as_ref()
                .try_into()
                .map_err(|_| StoreError::Corrupt("a lookup id has the wrong length".into()))?;
            out.push((CaseId(id16(&case)?), LookupId::from_bytes(lookup)));
        }
        Ok(out)
    }

    /// Every evidence file a committed message listed, with its case.
    pub fn listed_blobs(&self) -> StoreResult<Vec<(BlobId, CaseId)>> {
        let t = self.trees();
        let mut out = Vec::new();
        for item in t.blobs.iter() {
            let (blob, case) = item?;
            out.push((BlobId::from_bytes(id16(&blob)?), CaseId(id16(&case)?)));
        }
        Ok(out)
    }

    /// How many rows each record tree holds.
    pub fn table_counts(&self) -> StoreResult<TableCounts> {
        let t = self.trees();
        Ok(TableCounts {
            cases: t.cases.len() as u64,
            entries: t.thread.len() as u64,
            notes: t.notes.len() as u64,
            wraps: t.wraps.len() as u64,
            blobs: t.blobs.len() as u64,
            audit: t.audit.len() as u64,
            investigators: t.investigators.len() as u64,
        })
    }
}
