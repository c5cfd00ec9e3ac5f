//! The [`Store`] trait over sled's trees: each write one transaction, then a durable
//! commit (`SledStore::commit`), inside the write guard that keeps the free-space reserve.

use super::*;
use crate::store::Proposal;

impl Store for SledStore {
    fn init_kdf(&self, proposed: KdfSettings) -> StoreResult<KdfSettings> {
        self.gated(Room::Bookkeeping, |t| {
            let bytes = encode(&proposed)?;
            match t
                .meta
                .compare_and_swap("kdf", None as Option<&[u8]>, Some(bytes))?
            {
                Ok(()) => {
                    self.commit()?;
                    Ok(proposed)
                }
                Err(existing) => {
                    let current = existing
                        .current
                        .ok_or_else(|| StoreError::Corrupt("KDF settings vanished".into()))?;
                    decode(&current)
                }
            }
        })
    }

    fn init_token_key(&self, proposed: TokenCheckKey) -> StoreResult<TokenCheckKey> {
        self.gated(Room::Bookkeeping, |t| {
            let bytes = proposed.to_bytes();
            let stored: &[u8] = bytes.as_slice();
            match t
                .meta
                .compare_and_swap(TOKEN_KEY, None as Option<&[u8]>, Some(stored))?
            {
                Ok(()) => {
                    self.commit()?;
                    Ok(proposed)
                }
                Err(existing) => existing
                    .current
                    .and_then(|current| TokenCheckKey::from_bytes(&current))
                    .ok_or_else(|| StoreError::Corrupt("the token-check key is unreadable".into())),
            }
        })
    }

    fn recovery_recipient(&self) -> StoreResult<Option<String>> {
        let t = self.trees();
        t.meta
            .get("recovery")?
            .map(|bytes| {
                String::from_utf8(bytes.to_vec()).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .transpose()
    }

    fn set_recovery_recipient(&self, recipient: &str) -> StoreResult<()> {
        self.gated(Room::Needed, |t| {
            t.meta.insert("recovery", recipient.as_bytes())?;
            self.commit()
        })
    }

    fn proposed_recovery(&self) -> StoreResult<Option<Proposal>> {
        let t = self.trees();
        t.meta
            .get("recovery-proposed")?
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    fn set_proposed_recovery(&self, proposal: Option<&Proposal>) -> StoreResult<()> {
        self.gated(Room::Needed, |t| {
            match proposal {
                Some(p) => t.meta.insert("recovery-proposed", encode(p)?)?,
                None => t.meta.remove("recovery-proposed")?,
            };
            self.commit()
        })
    }

    fn create_case(&self, case: NewCase) -> StoreResult<()> {
        self.gated(Room::Needed, |t| {
            let record = encode(&case.record)?;
            let report = encode(&case.report)?;
            let wraps: Vec<(Vec<u8>, Vec<u8>)> = case
                .wraps
                .iter()
                .map(|(holder, wrap)| (wrap_key(case.id, holder), wrap.0.clone()))
                .collect();
            let writing = self.write_lock();
            (&t.lookup, &t.cases, &t.wraps, &t.thread, &t.blobs)
                .transaction(|(lookup, cases, wraps_tree, thread, blobs)| {
                    if lookup.get(case.lookup.as_bytes())?.is_some() {
                        return Err(ConflictableTransactionError::Abort(StoreError::LookupTaken));
                    }
                    lookup.insert(
                        case.lookup.as_bytes().as_slice(),
                        case.id.as_bytes().as_slice(),
                    )?;
                    cases.insert(case.id.as_bytes().as_slice(), record.as_slice())?;
                    for (key, wrap) in &wraps {
                        wraps_tree.insert(key.as_slice(), wrap.as_slice())?;
                    }
                    thread.insert(thread_key(case.id, 0).as_slice(), report.as_slice())?;
                    for blob in &case.blobs {
                        blobs.insert(blob.as_bytes().as_slice(), case.id.as_bytes().as_slice())?;
                    }
                    Ok(())
                })
                .map_err(from_tx)?;
            self.indexed(case.id, case.record);
            drop(writing);
            self.commit()
        })
    }

    fn case_by_lookup(&self, lookup: &LookupId) -> StoreResult<Option<(CaseId, CaseRecord)>> {
        let t = self.trees();
        let Some(id) = t.lookup.get(lookup.as_bytes())? else {
            return Ok(None);
        };
        let id: [u8; 16] = id
            .as_ref()
            .try_into()
            .map_err(|_| StoreError::Corrupt("bad case id in lookup".into()))?;
        let id = CaseId(id);
        let record = t
            .cases
            .get(id.as_bytes())?
            .ok_or_else(|| StoreError::Corrupt("lookup points at a missing case".into()))?;
        Ok(Some((id, decode(&record)?)))
    }

    fn case(&self, case: CaseId) -> StoreResult<Option<CaseRecord>> {
        let t = self.trees();
        t.cases
            .get(case.as_bytes())?
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    fn case_count(&self) -> StoreResult<usize> {
        let t = self.trees();
        Ok(t.cases.len())
    }

    fn check_writable(&self, today: Day) -> StoreResult<()> {
        if let Some(why) = self.guard.failure() {
            return Err(StoreError::Failed(why.to_owned()));
        }
        self.guard.check_day(today)?;
        self.guard.reserve.check()
    }

    fn probe(&self, today: Day, write: bool) -> StoreResult<()> {
        if let Some(why) = self.guard.failure() {
            return Err(StoreError::Failed(why.to_owned()));
        }
        // A temporary: no copy of the trees may be held while waiting at the gate below.
        if let Err(e) = self.trees().meta.get("schema") {
            return Err(match StoreError::from(e) {
                StoreError::Io(e) => self.guard.fail(e.to_string()),
                other => other,
            });
        }
        if !write {
            return Ok(());
        }
        // Records today only if the clock is plausible; the probe writes either way.
        let _ = self.guard.check_day(today);
        self.gated(Room::Bookkeeping, |t| {
            t.meta.insert("probe", &today.julian().to_be_bytes())?;
            self.commit()
        })
    }

    fn failure(&self) -> Option<String> {
        if self.guard.stalled() {
            self.guard.fail(format!(
                "a write made no progress for {} seconds",
                crate::store::STALL_LIMIT.as_secs()
            ));
        }
        self.guard.failure().map(str::to_owned)
    }

    fn wrap(&self, case: CaseId, holder: &Holder) -> StoreResult<Option<Wrap>> {
        let t = self.trees();
        Ok(t.wraps
            .get(wrap_key(case, holder))?
            .map(|w| Wrap(w.to_vec())))
    }

    fn thread(&self, case: CaseId) -> StoreResult<Vec<ThreadEntry>> {
        let t = self.trees();
        t.thread
            .scan_prefix(case.as_bytes())
            .map(|item| decode(&item?.1))
            .collect()
    }

    fn append_entry(&self, case: CaseId, entry: ThreadEntry, blobs: &[BlobId]) -> StoreResult<u64> {
        self.gated(Room::Needed, |t| {
            let author = entry.author;
            let day = entry.day;
            let entry = encode(&entry)?;
            let writing = self.write_lock();
            let seq = (&t.cases, &t.thread, &t.blobs)
                .transaction(|(cases, thread, blobs_tree)| {
                    let (seq, record) = change_record(cases, case, |record| {
                        let seq = record.entries;
                        record.record_entry(seq, author, day);
                        Ok(seq)
                    })?;
                    thread.insert(thread_key(case, seq).as_slice(), entry.as_slice())?;
                    for blob in blobs {
                        blobs_tree
                            .insert(blob.as_bytes().as_slice(), case.as_bytes().as_slice())?;
                    }
                    Ok((seq, record))
                })
                .map_err(from_tx)?;
            self.indexed(case, seq.1);
            drop(writing);
            self.commit()?;
            Ok(seq.0)
        })
    }

    fn new_blob(&self) -> StoreResult<crate::store::PendingBlob> {
        // Not through `guard.write`: an evidence file that meets ENOSPC is a clean 507
        // (its writer removes it); only sled's own I/O errors stop the store.
        if let Some(why) = self.guard.failure() {
            return Err(StoreError::Failed(why.to_owned()));
        }
        self.guard.reserve.check()?;
        Ok(Box::new(self.files.create()?))
    }

    fn discard_blob(&self, blob: BlobId) {
        self.files.discard(blob);
    }

    fn remove_blob(&self, case: CaseId, blob: BlobId) -> StoreResult<bool> {
        // Through the gate, so that a rewrite copying evidence files never meets one
        // half removed.
        self.gated(Room::Bookkeeping, |t| {
            if t.blobs
                .get(blob.as_bytes())?
                .is_some_and(|owner| owner.as_ref() != case.as_bytes())
            {
                return Ok(false);
            }
            // The file first, then its listing: a crash in between leaves a listed file
            // that is gone (the download says so), never an unlisted one that the start-up
            // sweep would keep in quarantine.
            let path = self.files.path(blob);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
            if let Some(dir) = path.parent() {
                std::fs::File::open(dir)?.sync_all()?;
            }
            t.blobs.remove(blob.as_bytes())?;
            self.commit()?;
            Ok(true)
        })
    }

    fn open_blob(
        &self,
        case: CaseId,
        blob: BlobId,
    ) -> StoreResult<Option<crate::store::StoredBlob>> {
        let t = self.trees();
        let owner = t.blobs.get(blob.as_bytes())?;
        if owner.is_none_or(|owner| owner.as_ref() != case.as_bytes()) {
            return Ok(None);
        }
        // A removal cut short between the file and its listing leaves a listed file
        // that is gone: it is gone for the reader too.
        let file = match std::fs::File::open(self.files.path(blob)) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let length = file.metadata()?.len();
        Ok(Some(crate::store::StoredBlob {
            reader: Box::new(file),
            length: Some(length),
        }))
    }

    fn visit_cases(&self, visit: &mut dyn FnMut(CaseId, &CaseRecord) -> bool) -> StoreResult<()> {
        let index = self.index.read().unwrap_or_else(|p| p.into_inner());
        for (_, id) in &index.order {
            if let Some(record) = index.records.get(id)
                && !visit(*id, record)
            {
                break;
            }
        }
        Ok(())
    }

    fn update_case(
        &self,
        case: CaseId,
        change: &mut dyn FnMut(&mut CaseRecord) -> Result<(), TransitionError>,
    ) -> StoreResult<CaseRecord> {
        self.gated(Room::Needed, |t| self.update_case_in(t, case, change))
    }

    fn add_wrap(&self, case: CaseId, investigator: &str, wrap: Wrap) -> StoreResult<()> {
        self.gated(Room::Needed, |t| {
            let key = wrap_key(case, &Holder::Investigator(investigator.to_owned()));
            let writing = self.write_lock();
            let record = (&t.cases, &t.wraps)
                .transaction(|(cases, wraps)| {
                    if wraps.get(&key)?.is_some() {
                        return Err(ConflictableTransactionError::Abort(StoreError::WrapExists(
                            investigator.to_owned(),
                        )));
                    }
                    let ((), record) = change_record(cases, case, |record| {
                        if !record.holders.iter().any(|h| h == investigator) {
                            record.holders.push(investigator.to_owned());
                        }
                        Ok(())
                    })?;
                    wraps.insert(key.as_slice(), wrap.0.as_slice())?;
                    Ok(record)
                })
                .map_err(from_tx)?;
            self.indexed(case, record);
            drop(writing);
            self.commit()
        })
    }

    fn append_note(&self, case: CaseId, note: NoteEntry) -> StoreResult<u64> {
        self.gated(Room::Needed, |t| {
            let note = encode(&note)?;
            let writing = self.write_lock();
            let seq = (&t.cases, &t.notes)
                .transaction(|(cases, notes)| {
                    let (seq, record) = change_record(cases, case, |record| {
                        let seq = record.notes;
                        record.notes += 1;
                        Ok(seq)
                    })?;
                    notes.insert(thread_key(case, seq).as_slice(), note.as_slice())?;
                    Ok((seq, record))
                })
                .map_err(from_tx)?;
            self.indexed(case, seq.1);
            drop(writing);
            self.commit()?;
            Ok(seq.0)
        })
    }

    fn notes(&self, case: CaseId) -> StoreResult<Vec<NoteEntry>> {
        let t = self.trees();
        t.notes
            .scan_prefix(case.as_bytes())
            .map(|item| decode(&item?.1))
            .collect()
    }

    fn seen(&self, investigator: &str, case: CaseId) -> StoreResult<u64> {
        let t = self.trees();
        Ok(t.seen
            .get(seen_key(investigator, case))?
            .map_or(0, |v| seq_of(&v)))
    }

    fn mark_seen(&self, investigator: &str, case: CaseId, entries: u64) -> StoreResult<()> {
        self.gated(Room::Bookkeeping, |t| {
            // Not flushed: losing an "unread" mark in a crash costs nothing.
            t.seen
                .insert(seen_key(investigator, case), &entries.to_be_bytes())?;
            Ok(())
        })
    }

    fn add_investigator(&self, investigator: InvestigatorRecord) -> StoreResult<()> {
        self.gated(Room::Needed, |t| {
            let name = investigator.name.clone();
            let bytes = encode(&investigator)?;
            match t.investigators.compare_and_swap(
                name.as_bytes(),
                None as Option<&[u8]>,
                Some(bytes),
            )? {
                Ok(()) => self.commit(),
                Err(_) => Err(StoreError::InvestigatorExists(name)),
            }
        })
    }

    fn investigators(&self) -> StoreResult<Vec<InvestigatorRecord>> {
        let t = self.trees();
        t.investigators
            .iter()
            .map(|item| decode(&item?.1))
            .collect()
    }

    fn investigator(&self, name: &str) -> StoreResult<Option<InvestigatorRecord>> {
        let t = self.trees();
        t.investigators
            .get(name.as_bytes())?
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    fn update_investigator(
        &self,
        name: &str,
        change: &mut dyn FnMut(&mut InvestigatorRecord),
    ) -> StoreResult<InvestigatorRecord> {
        self.gated(Room::Bookkeeping, |t| {
            loop {
                let Some(current) = t.investigators.get(name.as_bytes())? else {
                    return Err(StoreError::NoSuchInvestigator(name.to_owned()));
                };
                let mut record: InvestigatorRecord = decode(&current)?;
                change(&mut record);
                let updated = encode(&record)?;
                if t.investigators
                    .compare_and_swap(name.as_bytes(), Some(current), Some(updated))?
                    .is_ok()
                {
                    self.commit()?;
                    return Ok(record);
                }
            }
        })
    }

    fn remove_investigator(&self, name: &str) -> StoreResult<bool> {
        self.gated(Room::Bookkeeping, |t| {
            let suffix = Holder::Investigator(name.to_owned()).key_part();
            let mut batch = sled::Batch::default();
            for item in t.wraps.iter() {
                let (key, _) = item?;
                if key.len() == 16 + suffix.len() && key[16..] == suffix[..] {
                    batch.remove(key);
                }
            }
            t.wraps.apply_batch(batch)?;
            let mut affected = Vec::new();
            self.visit_cases(&mut |id, record| {
                if record.holders.iter().any(|h| h == name)
                    || record.assignees.iter().any(|a| a == name)
                {
                    affected.push(id);
                }
                true
            })?;
            for id in affected {
                // Already through the gate: the inner write, not `update_case`.
                self.update_case_in(t, id, &mut |r| {
                    r.holders.retain(|h| h != name);
                    r.assignees.retain(|a| a != name);
                    Ok(())
                })?;
            }
            let existed = t.investigators.remove(name.as_bytes())?.is_some();
            self.commit()?;
            Ok(existed)
        })
    }

    fn append_audit(&self, entry: audit::Entry) -> StoreResult<audit::Sealed> {
        self.gated(Room::Bookkeeping, |t| {
            let _one_at_a_time = self.audit_lock.lock().unwrap_or_else(|p| p.into_inner());
            let previous: Option<audit::Sealed> = t
                .audit
                .last()?
                .map(|(_, bytes)| decode(&bytes))
                .transpose()?;
            let sealed = entry.seal(previous.as_ref());
            t.audit
                .insert(sealed.entry.seq.to_be_bytes(), encode(&sealed)?)?;
            // Counted before the commit, so that the high-water mark covers it.
            self.audit_next
                .fetch_max(sealed.entry.seq + 1, Ordering::SeqCst);
            self.commit()?;
            Ok(sealed)
        })
    }

    fn audit_entries(&self) -> StoreResult<Vec<(u64, Vec<u8>)>> {
        let t = self.trees();
        t.audit
            .iter()
            .map(|item| {
                let (key, value) = item?;
                Ok((seq_of(&key), value.to_vec()))
            })
            .collect()
    }
}

impl SledStore {
    /// [`Store::update_case`] inside a write that is already through the gate.
    fn update_case_in(
        &self,
        t: &Trees,
        case: CaseId,
        change: &mut dyn FnMut(&mut CaseRecord) -> Result<(), TransitionError>,
    ) -> StoreResult<CaseRecord> {
        // sled's transaction closure is `Fn` (it may be retried); `change` is `FnMut`.
        let change = std::cell::RefCell::new(change);
        let writing = self.write_lock();
        let ((), record) = t
            .cases
            .transaction(|cases| {
                change_record(cases, case, |record| {
                    (change.borrow_mut())(record).map_err(StoreError::Refused)
                })
            })
            .map_err(from_tx)?;
        self.indexed(case, record.clone());
        drop(writing);
        self.commit()?;
        Ok(record)
    }
}
