//! Backups and retention over sled's trees: backup recipients, consistent snapshots, the
//! day each closed case was closed, and purging closed cases for good.

use super::*;
use crate::store::Upkeep;

impl Upkeep for SledStore {
    fn backup_recipients(&self) -> StoreResult<Vec<String>> {
        let t = self.trees();
        t.meta
            .get(BACKUP_RECIPIENTS)?
            .map_or(Ok(Vec::new()), |bytes| decode(&bytes))
    }

    fn add_backup_recipient(&self, recipient: &str) -> StoreResult<bool> {
        let t = self.passing();
        loop {
            let current = t.meta.get(BACKUP_RECIPIENTS)?;
            let mut list: Vec<String> = current
                .as_ref()
                .map_or(Ok(Vec::new()), |bytes| decode(bytes))?;
            if list.iter().any(|r| r == recipient) {
                return Ok(false);
            }
            list.push(recipient.to_owned());
            let updated = encode(&list)?;
            if t.meta
                .compare_and_swap(BACKUP_RECIPIENTS, current, Some(updated))?
                .is_ok()
            {
                self.commit()?;
                return Ok(true);
            }
        }
    }

    fn write_snapshot(&self, out: &mut dyn std::io::Write) -> StoreResult<SnapshotSummary> {
        let (records, evidence, counts) = {
            // Held for this block only: a rewrite waits for every copy of the trees.
            let t = self.trees();
            // Case writes and audit appends wait here, so that the records, the counts of
            // the index and the audit chain are read as of one moment. Other writes
            // (investigator records, seen-marks) are single entries, each read whole.
            let _cases = self.write_lock();
            let _audit = self.audit_lock.lock().unwrap_or_else(|p| p.into_inner());
            let (records, evidence) = snapshot::write_trees(&t.db, out)?;
            let mut counts = self.counts();
            counts.audit = match t.audit.last()? {
                Some((_, bytes)) => decode::<audit::Sealed>(&bytes)?.entry.seq + 1,
                None => 0,
            };
            (records, evidence, counts)
        };
        let evidence_bytes = snapshot::write_evidence(&self.files, &evidence, out)?;
        let summary = SnapshotSummary {
            counts,
            records,
            evidence_files: evidence.len() as u64,
            evidence_bytes,
        };
        snapshot::write_trailer(&summary, out)?;
        Ok(summary)
    }

    fn closed_on(&self, case: CaseId) -> StoreResult<Option<Day>> {
        let t = self.trees();
        t.db.open_tree(CLOSED)?
            .get(case.as_bytes())?
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    fn set_closed_on(&self, case: CaseId, day: Option<Day>) -> StoreResult<()> {
        let t = self.passing();
        let closed = t.db.open_tree(CLOSED)?;
        match day {
            Some(day) => closed.insert(case.as_bytes(), encode(&day)?)?,
            None => closed.remove(case.as_bytes())?,
        };
        self.commit()
    }

    fn rewrite(&self) -> StoreResult<Rewritten> {
        self.rewrite_all()
    }

    fn purge_cases(&self, cases: &[CaseId]) -> StoreResult<Purged> {
        // No commit may raise the mark from counts taken before the purge, and no case
        // write may run meanwhile (see `retention.rs`), nor a rewrite.
        let t = self.passing();
        let _upkeep = self.upkeep.write().unwrap_or_else(|p| p.into_inner());
        let writing = self.write_lock();
        let doomed: HashMap<CaseId, CaseRecord> = {
            let index = self.index.read().unwrap_or_else(|p| p.into_inner());
            cases
                .iter()
                .filter_map(|id| index.records.get(id).map(|r| (*id, r.clone())))
                .collect()
        };
        if doomed.is_empty() {
            return Ok(Purged::default());
        }
        let mut purged = Purged {
            cases: doomed.len() as u64,
            entries: doomed.values().map(|r| r.entries).sum(),
            notes: doomed.values().map(|r| r.notes).sum(),
            evidence_files: 0,
        };
        self.mark.lower(Counts {
            cases: purged.cases,
            entries: purged.entries,
            notes: purged.notes,
            audit: 0,
        })?;

        // Entries keyed by something else than the case id: one scan of each such tree.
        let owner = |bytes: &[u8]| {
            <[u8; 16]>::try_from(bytes)
                .ok()
                .map(CaseId)
                .filter(|id| doomed.contains_key(id))
        };
        let mut keyed_elsewhere: HashMap<CaseId, [Vec<sled::IVec>; 3]> = HashMap::new();
        for (slot, tree) in [&t.lookup, &t.blobs].into_iter().enumerate() {
            for item in tree.iter() {
                let (key, value) = item?;
                if let Some(id) = owner(&value) {
                    keyed_elsewhere.entry(id).or_default()[slot].push(key);
                }
            }
        }
        for item in t.seen.iter().keys() {
            let key = item?;
            if let Some(id) = owner(&key[key.len().saturating_sub(16)..]) {
                keyed_elsewhere.entry(id).or_default()[2].push(key);
            }
        }

        // Evidence files first: a crash after this leaves a case that is still due, not
        // files that the start-up sweep would quarantine and keep.
        for keys in keyed_elsewhere.values() {
            for key in &keys[1] {
                if let Ok(id) = <[u8; 16]>::try_from(key.as_ref()) {
                    self.files.discard(BlobId::from_bytes(id));
                    purged.evidence_files += 1;
                }
            }
        }
        if purged.evidence_files > 0 && self.durability == Durability::Fsync {
            std::fs::File::open(self.data_dir.join("blobs"))?.sync_all()?;
        }

        let closed = t.db.open_tree(CLOSED)?;
        let no_keys: [Vec<sled::IVec>; 3] = Default::default();
        for id in doomed.keys() {
            let [lookups, blobs, seen] = keyed_elsewhere.get(id).unwrap_or(&no_keys);
            let under = |tree: &sled::Tree| -> StoreResult<Vec<sled::IVec>> {
                Ok(tree
                    .scan_prefix(id.as_bytes())
                    .keys()
                    .collect::<Result<_, _>>()?)
            };
            let (wraps, thread, notes) = (under(&t.wraps)?, under(&t.thread)?, under(&t.notes)?);
            (
                &t.lookup, &t.cases, &t.wraps, &t.thread, &t.notes, &t.blobs, &t.seen, &closed,
            )
                .transaction(
                    |(lookup_t, cases_t, wraps_t, thread_t, notes_t, blobs_t, seen_t, closed_t)| {
                        for (tree, keys) in [
                            (lookup_t, lookups),
                            (wraps_t, &wraps),
                            (thread_t, &thread),
                            (notes_t, &notes),
                            (blobs_t, blobs),
                            (seen_t, seen),
                        ] {
                            for key in keys {
                                tree.remove(key)?;
                            }
                        }
                        cases_t.remove(id.as_bytes().as_slice())?;
                        closed_t.remove(id.as_bytes().as_slice())?;
                        Ok::<_, ConflictableTransactionError<StoreError>>(())
                    },
                )
                .map_err(from_tx)?;
        }
        {
            let mut index = self.index.write().unwrap_or_else(|p| p.into_inner());
            for id in doomed.keys() {
                index.remove(*id);
            }
        }
        drop(writing);
        // `commit` would wait for the `upkeep` lock held here: flush and sync directly.
        // The mark was lowered above and the counts only fell since.
        t.db.flush()?;
        if self.durability == Durability::Fsync {
            t.sled_files.sync()?;
        }
        Ok(purged)
    }
}
