//! The case desk's data, as the service serves it to investigators: the triage list, a
//! case as ciphertext, replies, internal notes, status, assignment and access grants.
//!
//! The server never holds an investigator's private key: what it hands out and takes in
//! here is ciphertext and metadata; the desk decrypts and encrypts on the investigator's
//! machine. Every function blocks (fsync): async callers run them off the runtime.

use std::sync::Arc;

use super::accounts::Investigator;
use super::clock::Clock;
use super::error::{Error, MAX_SEALED_BYTES, Result};
use super::record_audit;
use crate::api::{CaseAccess, CaseDetail, CaseList, CaseSummary, NoteWire, ThreadEntryWire};
use crate::audit::Action;
use crate::case::{Author, CaseRecord, Day, Status};
use crate::crypto::Wrap;
use crate::store::{BlobId, CaseId, Holder, NoteEntry, Store, ThreadEntry};

/// Filters of the case list.
#[derive(Debug, Default, Clone)]
pub struct CaseFilter {
    pub status: Option<String>,
    pub assignee: Option<String>,
}

/// Refuses anything that is not an age file, so that nobody stores plaintext by mistake
/// through the investigator API.
fn check_sealed(bytes: &[u8]) -> Result<()> {
    if bytes.len() > MAX_SEALED_BYTES {
        return Err(Error::SealedTooLarge);
    }
    if !bytes.starts_with(b"age-encryption.org/v1\n") {
        return Err(Error::NotSealed);
    }
    Ok(())
}

pub struct Cases {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl Cases {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Cases { store, clock }
    }

    fn audit(
        &self,
        who: &Investigator,
        action: Action,
        case: Option<CaseId>,
        detail: &str,
    ) -> Result<()> {
        record_audit(&*self.store, &*self.clock, &who.name, action, case, detail)
    }

    fn summary(
        &self,
        who: &Investigator,
        id: CaseId,
        record: &CaseRecord,
        today: Day,
    ) -> Result<CaseSummary> {
        let seen = self.store.seen(&who.name, id)?;
        let days_left = record.days_left(today);
        Ok(CaseSummary {
            id: id.to_string(),
            status: record.status.as_str().to_owned(),
            outcome: record.status.outcome().map(|o| o.as_str().to_owned()),
            category: record.category.as_str().to_owned(),
            urgent: record.urgent,
            received: record.received.to_string(),
            acknowledge_by: record.deadlines.acknowledge_by.to_string(),
            feedback_by: record.deadlines.feedback_by.to_string(),
            acknowledged: record.acknowledged.map(|d| d.to_string()),
            first_feedback: record.first_feedback.map(|d| d.to_string()),
            days_left,
            overdue: days_left.is_some_and(|d| d < 0),
            assignees: record.assignees.clone(),
            unread: record.last_reporter_entry >= seen,
            entries: record.entries,
        })
    }

    /// The cases this investigator holds access to, in triage order, one page at a time.
    pub fn list(
        &self,
        who: &Investigator,
        filter: &CaseFilter,
        page: usize,
        per_page: usize,
        today: Day,
    ) -> Result<CaseList> {
        let per_page = per_page.clamp(1, 200);
        let start = page.saturating_mul(per_page);
        let mut total = 0;
        let mut on_page = Vec::with_capacity(per_page);
        // The store visits cases in triage order: filter, count, and keep one page.
        self.store.visit_cases(&mut |id, r| {
            let visible = r.holders.contains(&who.name)
                && filter
                    .status
                    .as_deref()
                    .is_none_or(|s| r.status.as_str() == s)
                && filter
                    .assignee
                    .as_deref()
                    .is_none_or(|a| r.assignees.iter().any(|x| x == a));
            if visible {
                if total >= start && on_page.len() < per_page {
                    on_page.push((id, r.clone()));
                }
                total += 1;
            }
            true
        })?;
        let cases = on_page
            .iter()
            .map(|(id, record)| self.summary(who, *id, record, today))
            .collect::<Result<_>>()?;
        Ok(CaseList {
            total,
            page,
            per_page,
            cases,
        })
    }

    /// The case record, if this investigator holds a wrap for it. A case without a wrap
    /// and a case that does not exist look the same.
    fn accessible(&self, who: &Investigator, case: &str) -> Result<(CaseId, CaseRecord, Wrap)> {
        let id = CaseId::parse(case).ok_or(Error::NoSuchCase)?;
        let wrap = self
            .store
            .wrap(id, &Holder::Investigator(who.name.clone()))?
            .ok_or(Error::NoSuchCase)?;
        let record = self.store.case(id)?.ok_or(Error::NoSuchCase)?;
        Ok((id, record, wrap))
    }

    pub fn open(&self, who: &Investigator, case: &str, today: Day) -> Result<CaseDetail> {
        let (id, record, wrap) = self.accessible(who, case)?;
        let summary = self.summary(who, id, &record, today)?;
        let thread = self
            .store
            .thread(id)?
            .into_iter()
            .enumerate()
            .map(|(seq, e)| ThreadEntryWire {
                seq: seq as u64,
                author: e.author.as_str().to_owned(),
                day: e.day.to_string(),
                ciphertext: e.ciphertext,
            })
            .collect();
        let notes = self
            .store
            .notes(id)?
            .into_iter()
            .enumerate()
            .map(|(seq, n)| NoteWire {
                seq: seq as u64,
                author: n.author,
                day: n.day.to_string(),
                ciphertext: n.ciphertext,
            })
            .collect();
        self.store.mark_seen(&who.name, id, record.entries)?;
        self.audit(who, Action::CaseOpened, Some(id), "")?;
        Ok(CaseDetail {
            summary,
            wrap: wrap.0,
            thread,
            notes,
            holders: record.holders,
        })
    }

    /// Where an evidence file of a case is, for an investigator holding access to the case.
    pub fn attachment_path(
        &self,
        who: &Investigator,
        case: &str,
        blob: &str,
    ) -> Result<std::path::PathBuf> {
        let (id, _, _) = self.accessible(who, case)?;
        let blob = BlobId::parse(blob).ok_or(Error::NoSuchCase)?;
        let path = self.store.blob_path(id, blob)?.ok_or(Error::NoSuchCase)?;
        self.audit(who, Action::EvidenceFetched, Some(id), &blob.to_string())?;
        Ok(path)
    }

    /// The caller's wrap and the holders of a case, without opening it.
    pub fn access(&self, who: &Investigator, case: &str) -> Result<CaseAccess> {
        let (_, record, wrap) = self.accessible(who, case)?;
        Ok(CaseAccess {
            wrap: wrap.0,
            holders: record.holders,
        })
    }

    pub fn reply(
        &self,
        who: &Investigator,
        case: &str,
        ciphertext: Vec<u8>,
        today: Day,
    ) -> Result<()> {
        check_sealed(&ciphertext)?;
        let (id, _, _) = self.accessible(who, case)?;
        self.store.append_entry(
            id,
            ThreadEntry {
                author: Author::Investigator,
                day: today,
                ciphertext,
            },
            &[],
        )?;
        self.audit(who, Action::Replied, Some(id), "")
    }

    pub fn note(
        &self,
        who: &Investigator,
        case: &str,
        ciphertext: Vec<u8>,
        today: Day,
    ) -> Result<()> {
        check_sealed(&ciphertext)?;
        let (id, _, _) = self.accessible(who, case)?;
        self.store.append_note(
            id,
            NoteEntry {
                author: who.name.clone(),
                day: today,
                ciphertext,
            },
        )?;
        self.audit(who, Action::NoteAdded, Some(id), "")
    }

    pub fn set_status(
        &self,
        who: &Investigator,
        case: &str,
        status: &str,
        outcome: Option<&str>,
        today: Day,
    ) -> Result<CaseSummary> {
        let to = Status::parse_change(status, outcome)?;
        let (id, before, _) = self.accessible(who, case)?;
        let record = self
            .store
            .update_case(id, &mut |r| r.change_status(to, today))?;
        if record.status != before.status {
            // The retention period runs from the day of closure; reopening stops it.
            let closed = matches!(record.status, Status::Closed(_)).then_some(today);
            self.store.set_closed_on(id, closed)?;
        }
        let detail = to.to_string();
        self.audit(who, Action::StatusChanged, Some(id), &detail)?;
        self.summary(who, id, &record, today)
    }

    pub fn assign(
        &self,
        who: &Investigator,
        case: &str,
        assignees: Vec<String>,
        today: Day,
    ) -> Result<CaseSummary> {
        let (id, _, _) = self.accessible(who, case)?;
        let known = self.store.investigators()?;
        if let Some(unknown) = assignees
            .iter()
            .find(|a| !known.iter().any(|k| &k.name == *a))
        {
            return Err(Error::NoSuchInvestigator(unknown.clone()));
        }
        let mut unique = assignees;
        unique.sort();
        unique.dedup();
        let detail = unique.join(",");
        let record = self.store.update_case(id, &mut |r| {
            r.assignees = unique.clone();
            Ok(())
        })?;
        self.audit(who, Action::Assigned, Some(id), &detail)?;
        self.summary(who, id, &record, today)
    }

    /// Stores a wrap that the granting investigator's desk made for a colleague.
    pub fn grant(
        &self,
        who: &Investigator,
        case: &str,
        colleague: &str,
        wrap: Vec<u8>,
    ) -> Result<()> {
        check_sealed(&wrap)?;
        let (id, _, _) = self.accessible(who, case)?;
        let target = self
            .store
            .investigator(colleague)?
            .filter(|i| i.enabled)
            .ok_or_else(|| Error::NotEnabled(colleague.to_owned()))?;
        self.store.add_wrap(id, &target.name, Wrap(wrap))?;
        self.audit(who, Action::AccessGranted, Some(id), &target.name)
    }

    /// Figures over every case, without content.
    pub fn stats(&self, today: Day) -> Result<crate::api::Stats> {
        super::stats::stats(&*self.store, today)
    }
}
