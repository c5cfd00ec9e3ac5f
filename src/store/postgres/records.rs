//! The [`Store`] trait over the tables of `schema.rs`: each write one transaction,
//! committed (durable) before the method returns. (`upkeep.rs` has `Upkeep`.)

use postgres::Transaction;

use super::mark::added;
use super::{PgStore, decode, encode, failed};
use crate::audit;
use crate::case::{CaseRecord, Day, TransitionError};
use crate::crypto::{KdfSettings, LookupId, TokenCheckKey, Wrap};
use crate::store::{
    BlobId, CaseId, Holder, InvestigatorRecord, NewCase, NoteEntry, PendingBlob, Proposal, Store,
    StoreError, StoreResult, StoredBlob, ThreadEntry,
};

/// Key of the transaction-scoped advisory lock that orders audit appends ("qlaudit!").
const AUDIT_LOCK: i64 = 0x716c_6175_6469_7421;

fn case_id(bytes: &[u8]) -> StoreResult<CaseId> {
    let id: [u8; 16] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("bad case id".into()))?;
    Ok(CaseId(id))
}

/// The triage key as the three indexed columns.
fn triage(record: &CaseRecord) -> (i16, i32, i32) {
    let (urgency, next, received) = record.triage_key();
    (i16::from(urgency), next, received)
}

/// Reads the record of `case` with its row locked until the transaction ends, lets
/// `change` modify it and writes it back: the one read-modify-write of a case record.
/// Another instance changing the same case waits for the lock, so no update is lost.
fn change_record<R>(
    tx: &mut Transaction<'_>,
    case: CaseId,
    change: impl FnOnce(&mut CaseRecord) -> StoreResult<R>,
) -> StoreResult<(R, CaseRecord)> {
    let row = tx
        .query_opt(
            "SELECT record FROM cases WHERE id = $1 FOR UPDATE",
            &[&case.as_bytes().as_slice()],
        )
        .map_err(failed)?
        .ok_or(StoreError::NoSuchCase)?;
    let mut record: CaseRecord = decode(row.get(0))?;
    let result = change(&mut record)?;
    let (t0, t1, t2) = triage(&record);
    tx.execute(
        "UPDATE cases SET record = $2, t0 = $3, t1 = $4, t2 = $5 WHERE id = $1",
        &[
            &case.as_bytes().as_slice(),
            &encode(&record)?,
            &t0,
            &t1,
            &t2,
        ],
    )
    .map_err(failed)?;
    Ok((result, record))
}

/// Lists committed evidence files as belonging to `case`.
fn claim_blobs(tx: &mut Transaction<'_>, case: CaseId, blobs: &[BlobId]) -> StoreResult<()> {
    for blob in blobs {
        tx.execute(
            "UPDATE blobs SET case_id = $2 WHERE id = $1 AND complete",
            &[&blob.as_bytes().as_slice(), &case.as_bytes().as_slice()],
        )
        .map_err(failed)?;
    }
    Ok(())
}

pub(super) fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl PgStore {
    /// Runs `work` in one transaction on a pooled connection and commits it.
    pub(super) fn write<R>(
        &self,
        work: impl FnOnce(&mut Transaction<'_>) -> StoreResult<R>,
    ) -> StoreResult<R> {
        let mut conn = self.pool.get()?;
        let mut tx = conn.transaction().map_err(failed)?;
        let result = work(&mut tx)?;
        tx.commit().map_err(failed)?;
        Ok(result)
    }

    fn entries(&self, table: &str, case: CaseId) -> StoreResult<Vec<Vec<u8>>> {
        let sql = format!("SELECT entry FROM {table} WHERE case_id = $1 ORDER BY seq");
        let rows = self
            .pool
            .get()?
            .query(&sql, &[&case.as_bytes().as_slice()])
            .map_err(failed)?;
        Ok(rows.iter().map(|r| r.get::<_, Vec<u8>>(0)).collect())
    }

    pub(super) fn meta(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .pool
            .get()?
            .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])
            .map_err(failed)?
            .map(|r| r.get(0)))
    }
}

impl Store for PgStore {
    fn init_kdf(&self, proposed: KdfSettings) -> StoreResult<KdfSettings> {
        let bytes = encode(&proposed)?;
        self.write(|tx| {
            // The first instance to start fixes the settings; the others read them.
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('kdf', $1) ON CONFLICT DO NOTHING",
                &[&bytes],
            )
            .map_err(failed)?;
            let row = tx
                .query_one("SELECT value FROM meta WHERE key = 'kdf'", &[])
                .map_err(failed)?;
            decode(row.get(0))
        })
    }

    fn init_token_key(&self, proposed: TokenCheckKey) -> StoreResult<TokenCheckKey> {
        self.token_key_once(proposed)
    }

    fn recovery_recipient(&self) -> StoreResult<Option<String>> {
        self.meta("recovery")?
            .map(|bytes| String::from_utf8(bytes).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    fn set_recovery_recipient(&self, recipient: &str) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('recovery', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&recipient.as_bytes()],
            )
            .map_err(failed)?;
            Ok(())
        })
    }

    fn proposed_recovery(&self) -> StoreResult<Option<Proposal>> {
        self.meta("recovery-proposed")?
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    fn set_proposed_recovery(&self, proposal: Option<&Proposal>) -> StoreResult<()> {
        let bytes = proposal.map(encode).transpose()?;
        self.write(|tx| {
            match &bytes {
                Some(bytes) => tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('recovery-proposed', $1)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    &[bytes],
                ),
                None => tx.execute("DELETE FROM meta WHERE key = 'recovery-proposed'", &[]),
            }
            .map_err(failed)?;
            Ok(())
        })
    }

    fn create_case(&self, case: NewCase) -> StoreResult<()> {
        let record = encode(&case.record)?;
        let report = encode(&case.report)?;
        let (t0, t1, t2) = triage(&case.record);
        let id = case.id.as_bytes().as_slice();
        self.write_counted(added(1, 1, 0), |tx| {
            let inserted = tx
                .execute(
                    "INSERT INTO cases (id, lookup, record, t0, t1, t2)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (lookup) DO NOTHING",
                    &[
                        &id,
                        &case.lookup.as_bytes().as_slice(),
                        &record,
                        &t0,
                        &t1,
                        &t2,
                    ],
                )
                .map_err(failed)?;
            if inserted == 0 {
                return Err(StoreError::LookupTaken);
            }
            for (holder, wrap) in &case.wraps {
                tx.execute(
                    "INSERT INTO wraps (case_id, holder, wrap) VALUES ($1, $2, $3)",
                    &[&id, &holder.key_part(), &wrap.0],
                )
                .map_err(failed)?;
            }
            tx.execute(
                "INSERT INTO thread (case_id, seq, entry) VALUES ($1, 0, $2)",
                &[&id, &report],
            )
            .map_err(failed)?;
            claim_blobs(tx, case.id, &case.blobs)
        })
    }

    fn case_by_lookup(&self, lookup: &LookupId) -> StoreResult<Option<(CaseId, CaseRecord)>> {
        let row = self
            .pool
            .get()?
            .query_opt(
                "SELECT id, record FROM cases WHERE lookup = $1",
                &[&lookup.as_bytes().as_slice()],
            )
            .map_err(failed)?;
        row.map(|r| Ok((case_id(r.get(0))?, decode(r.get(1))?)))
            .transpose()
    }

    fn case(&self, case: CaseId) -> StoreResult<Option<CaseRecord>> {
        let row = self
            .pool
            .get()?
            .query_opt(
                "SELECT record FROM cases WHERE id = $1",
                &[&case.as_bytes().as_slice()],
            )
            .map_err(failed)?;
        row.map(|r| decode(r.get(0))).transpose()
    }

    fn visit_cases(&self, visit: &mut dyn FnMut(CaseId, &CaseRecord) -> bool) -> StoreResult<()> {
        // A portal reads the list a page of rows at a time, in triage order from the
        // index: the desk's first page does not fetch 100,000 records.
        let mut conn = self.pool.get()?;
        let mut tx = conn.transaction().map_err(failed)?;
        let portal = tx
            .bind("SELECT id, record FROM cases ORDER BY t0, t1, t2, id", &[])
            .map_err(failed)?;
        loop {
            let rows = tx.query_portal(&portal, 500).map_err(failed)?;
            if rows.is_empty() {
                return Ok(());
            }
            for row in &rows {
                let record: CaseRecord = decode(row.get(1))?;
                if !visit(case_id(row.get(0))?, &record) {
                    return Ok(());
                }
            }
        }
    }

    fn update_case(
        &self,
        case: CaseId,
        change: &mut dyn FnMut(&mut CaseRecord) -> Result<(), TransitionError>,
    ) -> StoreResult<CaseRecord> {
        self.write(|tx| {
            let ((), record) = change_record(tx, case, |record| {
                change(record).map_err(StoreError::Refused)
            })?;
            Ok(record)
        })
    }

    fn add_wrap(&self, case: CaseId, investigator: &str, wrap: Wrap) -> StoreResult<()> {
        let holder = Holder::Investigator(investigator.to_owned()).key_part();
        self.write(|tx| {
            change_record(tx, case, |record| {
                if !record.holders.iter().any(|h| h == investigator) {
                    record.holders.push(investigator.to_owned());
                }
                Ok(())
            })?;
            let inserted = tx
                .execute(
                    "INSERT INTO wraps (case_id, holder, wrap) VALUES ($1, $2, $3)
                     ON CONFLICT DO NOTHING",
                    &[&case.as_bytes().as_slice(), &holder, &wrap.0],
                )
                .map_err(failed)?;
            if inserted == 0 {
                return Err(StoreError::WrapExists(investigator.to_owned()));
            }
            Ok(())
        })
    }

    fn append_note(&self, case: CaseId, note: NoteEntry) -> StoreResult<u64> {
        let note = encode(&note)?;
        self.write_counted(added(0, 0, 1), |tx| {
            let (seq, _) = change_record(tx, case, |record| {
                let seq = record.notes;
                record.notes += 1;
                Ok(seq)
            })?;
            tx.execute(
                "INSERT INTO notes (case_id, seq, entry) VALUES ($1, $2, $3)",
                &[&case.as_bytes().as_slice(), &(seq as i64), &note],
            )
            .map_err(failed)?;
            Ok(seq)
        })
    }

    fn notes(&self, case: CaseId) -> StoreResult<Vec<NoteEntry>> {
        self.entries("notes", case)?
            .iter()
            .map(|bytes| decode(bytes))
            .collect()
    }

    fn seen(&self, investigator: &str, case: CaseId) -> StoreResult<u64> {
        let row = self
            .pool
            .get()?
            .query_opt(
                "SELECT entries FROM seen WHERE name = $1 AND case_id = $2",
                &[&investigator, &case.as_bytes().as_slice()],
            )
            .map_err(failed)?;
        Ok(row.map_or(0, |r| to_u64(r.get(0))))
    }

    fn mark_seen(&self, investigator: &str, case: CaseId, entries: u64) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO seen (name, case_id, entries) VALUES ($1, $2, $3)
                 ON CONFLICT (name, case_id) DO UPDATE SET entries = excluded.entries",
                &[
                    &investigator,
                    &case.as_bytes().as_slice(),
                    &(entries as i64),
                ],
            )
            .map_err(failed)?;
            Ok(())
        })
    }

    fn case_count(&self) -> StoreResult<usize> {
        let count: i64 = self
            .pool
            .get()?
            .query_one("SELECT count(*) FROM cases", &[])
            .map_err(failed)?
            .get(0);
        Ok(usize::try_from(count).unwrap_or(0))
    }

    fn check_writable(&self, today: Day) -> StoreResult<()> {
        // The database keeps its own disk (see the module doc); the clock is checked
        // against the newest day stored, as sled does.
        self.check_day(today)
    }

    fn probe(&self, today: Day, write: bool) -> StoreResult<()> {
        let mut conn = self.pool.get()?;
        conn.query_one("SELECT 1", &[]).map_err(failed)?;
        drop(conn);
        if !write {
            return Ok(());
        }
        // Records today only if the clock is plausible; the probe writes either way.
        if let Err(e @ StoreError::Unavailable(_)) = self.check_day(today) {
            return Err(e);
        }
        self.write(|tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('probe', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&encode(&today)?],
            )
            .map_err(failed)?;
            Ok(())
        })?;
        // Every 30 s, from the watchdog: the high-water mark takes in the totals (`mark.rs`).
        self.refresh_mark()
    }

    fn failure(&self) -> Option<String> {
        // Never "restart me": a database error fails one request, and the pool
        // reconnects when the database returns (see the module doc).
        None
    }

    fn wrap(&self, case: CaseId, holder: &Holder) -> StoreResult<Option<Wrap>> {
        let row = self
            .pool
            .get()?
            .query_opt(
                "SELECT wrap FROM wraps WHERE case_id = $1 AND holder = $2",
                &[&case.as_bytes().as_slice(), &holder.key_part()],
            )
            .map_err(failed)?;
        Ok(row.map(|r| Wrap(r.get(0))))
    }

    fn thread(&self, case: CaseId) -> StoreResult<Vec<ThreadEntry>> {
        self.entries("thread", case)?
            .iter()
            .map(|bytes| decode(bytes))
            .collect()
    }

    fn append_entry(&self, case: CaseId, entry: ThreadEntry, blobs: &[BlobId]) -> StoreResult<u64> {
        let author = entry.author;
        let day = entry.day;
        let entry = encode(&entry)?;
        self.write_counted(added(0, 1, 0), |tx| {
            let (seq, _) = change_record(tx, case, |record| {
                let seq = record.entries;
                record.record_entry(seq, author, day);
                Ok(seq)
            })?;
            tx.execute(
                "INSERT INTO thread (case_id, seq, entry) VALUES ($1, $2, $3)",
                &[&case.as_bytes().as_slice(), &(seq as i64), &entry],
            )
            .map_err(failed)?;
            claim_blobs(tx, case, blobs)?;
            Ok(seq)
        })
    }

    fn new_blob(&self) -> StoreResult<PendingBlob> {
        Ok(Box::new(self.start_blob()?))
    }

    fn import_blob(&self, id: BlobId) -> StoreResult<PendingBlob> {
        Ok(Box::new(self.start_blob_as(id)?))
    }

    fn discard_blob(&self, blob: BlobId) {
        if let Err(e) = self.delete_blob(blob) {
            tracing::warn!(error = %e, "an unused evidence file could not be deleted");
        }
    }

    fn remove_blob(&self, case: CaseId, blob: BlobId) -> StoreResult<bool> {
        self.write(|tx| {
            // One transaction: the rows and their chunks go together (ON DELETE CASCADE).
            let owner: Option<Option<Vec<u8>>> = tx
                .query_opt(
                    "SELECT case_id FROM blobs WHERE id = $1 FOR UPDATE",
                    &[&blob.as_bytes().as_slice()],
                )
                .map_err(failed)?
                .map(|r| r.get(0));
            match owner {
                // Already removed: a retry completes.
                None => Ok(true),
                Some(Some(owner)) if owner == case.as_bytes() => {
                    tx.execute(
                        "DELETE FROM blobs WHERE id = $1",
                        &[&blob.as_bytes().as_slice()],
                    )
                    .map_err(failed)?;
                    Ok(true)
                }
                Some(_) => Ok(false),
            }
        })
    }

    fn open_blob(&self, case: CaseId, blob: BlobId) -> StoreResult<Option<StoredBlob>> {
        self.read_blob(case, blob)
    }

    fn add_investigator(&self, investigator: InvestigatorRecord) -> StoreResult<()> {
        let bytes = encode(&investigator)?;
        self.write(|tx| {
            let inserted = tx
                .execute(
                    "INSERT INTO investigators (name, record) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING",
                    &[&investigator.name, &bytes],
                )
                .map_err(failed)?;
            if inserted == 0 {
                return Err(StoreError::InvestigatorExists(investigator.name.clone()));
            }
            Ok(())
        })
    }

    fn investigators(&self) -> StoreResult<Vec<InvestigatorRecord>> {
        let rows = self
            .pool
            .get()?
            .query("SELECT record FROM investigators ORDER BY name", &[])
            .map_err(failed)?;
        rows.iter().map(|r| decode(r.get(0))).collect()
    }

    fn investigator(&self, name: &str) -> StoreResult<Option<InvestigatorRecord>> {
        let row = self
            .pool
            .get()?
            .query_opt("SELECT record FROM investigators WHERE name = $1", &[&name])
            .map_err(failed)?;
        row.map(|r| decode(r.get(0))).transpose()
    }

    fn update_investigator(
        &self,
        name: &str,
        change: &mut dyn FnMut(&mut InvestigatorRecord),
    ) -> StoreResult<InvestigatorRecord> {
        self.write(|tx| {
            let row = tx
                .query_opt(
                    "SELECT record FROM investigators WHERE name = $1 FOR UPDATE",
                    &[&name],
                )
                .map_err(failed)?
                .ok_or_else(|| StoreError::NoSuchInvestigator(name.to_owned()))?;
            let mut record: InvestigatorRecord = decode(row.get(0))?;
            change(&mut record);
            tx.execute(
                "UPDATE investigators SET record = $2 WHERE name = $1",
                &[&name, &encode(&record)?],
            )
            .map_err(failed)?;
            Ok(record)
        })
    }

    fn remove_investigator(&self, name: &str) -> StoreResult<bool> {
        let holder = Holder::Investigator(name.to_owned()).key_part();
        self.write(|tx| {
            tx.execute("DELETE FROM wraps WHERE holder = $1", &[&holder])
                .map_err(failed)?;
            // The cases that list them, found from the records (holders and assignees
            // live inside them), each changed under its row lock.
            let rows = tx
                .query("SELECT id, record FROM cases", &[])
                .map_err(failed)?;
            for row in rows {
                let record: CaseRecord = decode(row.get(1))?;
                if record.holders.iter().any(|h| h == name)
                    || record.assignees.iter().any(|a| a == name)
                {
                    change_record(tx, case_id(row.get(0))?, |r| {
                        r.holders.retain(|h| h != name);
                        r.assignees.retain(|a| a != name);
                        Ok(())
                    })?;
                }
            }
            let removed = tx
                .execute("DELETE FROM investigators WHERE name = $1", &[&name])
                .map_err(failed)?;
            Ok(removed > 0)
        })
    }

    fn append_audit(&self, entry: audit::Entry) -> StoreResult<audit::Sealed> {
        let sealed = self.write(|tx| {
            // One append at a time across every instance, until this transaction ends:
            // each entry needs the previous one's hash, and two instances reading the
            // same head would fork the chain.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_LOCK])
                .map_err(failed)?;
            let previous: Option<audit::Sealed> = tx
                .query_opt("SELECT entry FROM audit ORDER BY seq DESC LIMIT 1", &[])
                .map_err(failed)?
                .map(|r| decode(r.get(0)))
                .transpose()?;
            let sealed = entry.seal(previous.as_ref());
            tx.execute(
                "INSERT INTO audit (seq, entry) VALUES ($1, $2)",
                &[&(sealed.entry.seq as i64), &encode(&sealed)?],
            )
            .map_err(failed)?;
            Ok(sealed)
        })?;
        self.audited(sealed.entry.seq);
        Ok(sealed)
    }

    fn audit_entries(&self) -> StoreResult<Vec<(u64, Vec<u8>)>> {
        let rows = self
            .pool
            .get()?
            .query("SELECT seq, entry FROM audit ORDER BY seq", &[])
            .map_err(failed)?;
        Ok(rows
            .iter()
            .map(|r| (to_u64(r.get(0)), r.get::<_, Vec<u8>>(1)))
            .collect())
    }
}
