//! The [`Store`] trait over sled's trees: each write one transaction, then a durable
//! commit (`SledStore::commit`), inside the write guard that keeps the free-space reserve.

use super::*;

impl Store for SledStore {
    fn init_kdf(&self, proposed: KdfSettings) -> StoreResult<KdfSettings> {
        self.guard.write(Room::Bookkeeping, || {
            let bytes = encode(&proposed)?;
            match self
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
        self.guard.write(Room::Bookkeeping, || {
            let bytes = proposed.to_bytes();
            let stored: &[u8] = bytes.as_slice();
            match self
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
        self.meta
            .get("recovery")?
            .map(|bytes| {
                String::from_utf8(bytes.to_vec()).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .transpose()
    }

    fn set_recovery_recipient(&self, recipient: &str) -> StoreResult<()> {
        self.guard.write(Room::Needed, || {
            self.meta.insert("recovery", recipient.as_bytes())?;
            self.commit()
        })
    }

    fn create_case(&self, case: NewCase) -> StoreResult<()> {
        self.guard.write(Room::Needed, || {
            let record = encode(&case.record)?;
            let report = encode(&case.report)?;
            let wraps: Vec<(Vec<u8>, Vec<u8>)> = case
                .wraps
                .iter()
                .map(|(holder, wrap)| (wrap_key(case.id, holder), wrap.0.clone()))
                .collect();
            let writing = self.write_lock();
            (
                &self.lookup,
                &self.cases,
                &self.wraps,
                &self.thread,
                &self.blobs,
            )
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
        let Some(id) = self.lookup.get(lookup.as_bytes())? else {
            return Ok(None);
        };
        let id: [u8; 16] = id
            .as_ref()
            .try_into()
            .map_err(|_| StoreError::Corrupt("bad case id in lookup".into()))?;
        let id = CaseId(id);
        let record = self
            .cases
            .get(id.as_bytes())?
            .ok_or_else(|| StoreError::Corrupt("lookup points at a missing case".into()))?;
        Ok(Some((id, decode(&record)?)))
    }

    fn case(&self, case: CaseId) -> StoreResult<Option<CaseRecord>> {
        self.cases
            .get(case.as_bytes())?
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    fn case_count(&self) -> StoreResult<usize> {
        Ok(self.cases.len())
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
        if let Err(e) = self.meta.get("schema") {
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
        self.guard.write(Room::Bookkeeping, || {
            self.meta.insert("probe", &today.julian().to_be_bytes())?;
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
        Ok(self
            .wraps
            .get(wrap_key(case, holder))?
            .map(|w| Wrap(w.to_vec())))
    }

    fn thread(&self, case: CaseId) -> StoreResult<Vec<ThreadEntry>> {
        self.thread
            .scan_prefix(case.as_bytes())
            .map(|item| decode(&item?.1))
            .collect()
    }

    fn append_entry(&self, case: CaseId, entry: ThreadEntry, blobs: &[BlobId]) -> StoreResult<u64> {
        self.guard.write(Room::Needed, || {
            let author = entry.author;
            let day = entry.day;
            let entry = encode(&entry)?;
            let writing = self.write_lock();
            let seq = (&self.cases, &self.thread, &self.blobs)
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
        Ok(self.files.create()?)
    }

    fn discard_blob(&self, blob: BlobId) {
        self.files.discard(blob);
    }

    fn blob_path(&self, case: CaseId, blob: BlobId) -> StoreResult<Option<std::path::PathBuf>> {
        let owner = self.blobs.get(blob.as_bytes())?;
        Ok(owner
            .filter(|owner| owner.as_ref() == case.as_bytes())
            .map(|_| self.files.path(blob)))
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
        self.guard.write(Room::Needed, || {
            // sled's transaction closure is `Fn` (it may be retried); `change` is `FnMut`.
            let change = std::cell::RefCell::new(change);
            let writing = self.write_lock();
            let ((), record) = self
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
        })
    }

    fn add_wrap(&self, case: CaseId, investigator: &str, wrap: Wrap) -> StoreResult<()> {
        self.guard.write(Room::Needed, || {
            let key = wrap_key(case, &Holder::Investigator(investigator.to_owned()));
            let writing = self.write_lock();
            let record = (&self.cases, &self.wraps)
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
        self.guard.write(Room::Needed, || {
            let note = encode(&note)?;
            let writing = self.write_lock();
            let seq = (&self.cases, &self.notes)
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
        self.notes
            .scan_prefix(case.as_bytes())
            .map(|item| decode(&item?.1))
            .collect()
    }

    fn seen(&self, investigator: &str, case: CaseId) -> StoreResult<u64> {
        Ok(self
            .seen
            .get(seen_key(investigator, case))?
            .map_or(0, |v| seq_of(&v)))
    }

    fn mark_seen(&self, investigator: &str, case: CaseId, entries: u64) -> StoreResult<()> {
        self.guard.write(Room::Bookkeeping, || {
            // Not flushed: losing an "unread" mark in a crash costs nothing.
            self.seen
                .insert(seen_key(investigator, case), &entries.to_be_bytes())?;
            Ok(())
        })
    }

    fn add_investigator(&self, investigator: InvestigatorRecord) -> StoreResult<()> {
        self.guard.write(Room::Needed, || {
            let name = investigator.name.clone();
            let bytes = encode(&investigator)?;
            match self.investigators.compare_and_swap(
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
        self.investigators
            .iter()
            .map(|item| decode(&item?.1))
            .collect()
    }

    fn investigator(&self, name: &str) -> StoreResult<Option<InvestigatorRecord>> {
        self.investigators
            .get(name.as_bytes())?
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    fn update_investigator(
        &self,
        name: &str,
        change: &mut dyn FnMut(&mut InvestigatorRecord),
    ) -> StoreResult<InvestigatorRecord> {
        self.guard.write(Room::Bookkeeping, || {
            loop {
                let Some(current) = self.investigators.get(name.as_bytes())? else {
                    return Err(StoreError::NoSuchInvestigator(name.to_owned()));
                };
                let mut record: InvestigatorRecord = decode(&current)?;
                change(&mut record);
                let updated = encode(&record)?;
                if self
                    .investigators
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
        self.guard.write(Room::Bookkeeping, || {
            let suffix = Holder::Investigator(name.to_owned()).key_part();
            let mut batch = sled::Batch::default();
            for item in self.wraps.iter() {
                let (key, _) = item?;
                if key.len() == 16 + suffix.len() && key[16..] == suffix[..] {
                    batch.remove(key);
                }
            }
            self.wraps.apply_batch(batch)?;
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
                self.update_case(id, &mut |r| {
                    r.holders.retain(|h| h != name);
                    r.assignees.retain(|a| a != name);
                    Ok(())
                })?;
            }
            let existed = self.investigators.remove(name.as_bytes())?.is_some();
            self.commit()?;
            Ok(existed)
        })
    }

    fn append_audit(&self, entry: audit::Entry) -> StoreResult<audit::Sealed> {
        self.guard.write(Room::Bookkeeping, || {
            let _one_at_a_time = self.audit_lock.lock().unwrap_or_else(|p| p.into_inner());
            let previous: Option<audit::Sealed> = self
                .audit
                .last()?
                .map(|(_, bytes)| decode(&bytes))
                .transpose()?;
            let sealed = entry.seal(previous.as_ref());
            self.audit
                .insert(sealed.entry.seq.to_be_bytes(), encode(&sealed)?)?;
            self.commit()?;
            Ok(sealed)
        })
    }

    fn audit_entries(&self) -> StoreResult<Vec<(u64, Vec<u8>)>> {
        self.audit
            .iter()
            .map(|item| {
                let (key, value) = item?;
                Ok((seq_of(&key), value.to_vec()))
            })
            .collect()
    }
}
