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
use crate::api::{
    CaseAccess, CaseDetail, CaseList, CaseListQuery, CaseSummary, CaseThread, MAX_THREADS,
    NoteWire, ThreadEntryWire,
};
use crate::audit::Action;
use crate::case::{Author, CaseRecord, Category, Day, Label, Status, case_reference};
use crate::crypto::Wrap;
use crate::store::{BlobId, CaseId, Holder, NoteEntry, Store, ThreadEntry};

/// Filters of the case list. Every filter that is set must match.
#[derive(Debug, Default, Clone)]
pub struct CaseFilter {
    pub status: Option<String>,
    pub assignee: Option<String>,
    pub category: Option<Category>,
    pub urgent: bool,
    /// `Some(true)`: open cases only; `Some(false)`: closed cases only.
    pub open: Option<bool>,
    /// Cases whose reporter waits for an answer.
    pub waiting: bool,
    /// Open cases past a deadline.
    pub overdue: bool,
    pub label: Option<Label>,
}

/// The order of the case list.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum CaseOrder {
    /// Urgent first, then nearest deadline: the store's own order.
    #[default]
    Triage,
    /// Reporters waiting for an answer first, the longest wait first; then triage order.
    Waiting,
    /// Latest activity first; then triage order.
    Activity,
}

impl CaseFilter {
    /// The filters of a list query. A word that names no status, category or label
    /// is refused rather than ignored, so that a mistyped filter does not list every case.
    pub fn from_query(query: &CaseListQuery) -> Result<(CaseFilter, CaseOrder)> {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let status = given(&query.status);
        if let Some(s) = &status
            && !Status::WORDS.contains(&s.as_str())
        {
            return Err(Error::BadFilter("status"));
        }
        let category = given(&query.category)
            .map(|c| Category::parse(&c).ok_or(Error::BadFilter("category")))
            .transpose()?;
        let label = given(&query.label)
            .map(|l| Label::parse(&l).ok_or(Error::BadFilter("label")))
            .transpose()?;
        let open = match given(&query.state).as_deref() {
            None => None,
            Some("open") => Some(true),
            Some("closed") => Some(false),
            Some(_) => return Err(Error::BadFilter("state")),
        };
        let order = match given(&query.sort).as_deref() {
            None | Some("triage") => CaseOrder::Triage,
            Some("waiting") => CaseOrder::Waiting,
            Some("activity") => CaseOrder::Activity,
            Some(_) => return Err(Error::BadFilter("sort")),
        };
        let filter = CaseFilter {
            status,
            assignee: given(&query.assignee),
            category,
            urgent: CaseListQuery::flag(&query.urgent),
            open,
            waiting: CaseListQuery::flag(&query.waiting),
            overdue: CaseListQuery::flag(&query.overdue),
            label,
        };
        Ok((filter, order))
    }

    fn matches(&self, r: &CaseRecord, today: Day) -> bool {
        let closed = matches!(r.status, Status::Closed(_));
        self.status
            .as_deref()
            .is_none_or(|s| r.status.as_str() == s)
            && self
                .assignee
                .as_deref()
                .is_none_or(|a| r.assignees.iter().any(|x| x == a))
            && self.category.is_none_or(|c| r.category == c)
            && (!self.urgent || r.urgent)
            && self.open.is_none_or(|open| open != closed)
            && (!self.waiting || r.reporter_waiting())
            && (!self.overdue || r.days_left(today).is_some_and(|d| d < 0))
            && self.label.is_none_or(|l| r.labels.contains(&l))
    }
}

/// Refuses anything that is not a well-formed age file, so that nobody stores plaintext
/// by mistake, nor an entry nobody can read, through the investigator API.
fn check_sealed(bytes: &[u8]) -> Result<()> {
    if bytes.len() > MAX_SEALED_BYTES {
        return Err(Error::SealedTooLarge);
    }
    if !super::framing::well_formed(bytes) {
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
            reference: case_reference(&id.to_string()).unwrap_or_default(),
            last_activity: record.last_activity().to_string(),
            opened: seen > 0,
            reporter_waiting: record.reporter_waiting(),
            reporter_replied: record
                .reporter_replied()
                .then_some(record.last_reporter_day)
                .flatten()
                .map(|d| d.to_string()),
            follow_up_waiting: record.reporter_replied(),
            labels: record
                .labels
                .iter()
                .map(|l| l.as_str().to_owned())
                .collect(),
        })
    }

    /// The cases this investigator holds access to, in triage order, one page at a time.
    /// A page past the end gives the last page (its number is in the answer).
    pub fn list(
        &self,
        who: &Investigator,
        filter: &CaseFilter,
        page: usize,
        per_page: usize,
        today: Day,
    ) -> Result<CaseList> {
        self.list_in_order(who, filter, CaseOrder::Triage, page, per_page, today)
    }

    /// [`Cases::list`] in the order asked for.
    pub fn list_in_order(
        &self,
        who: &Investigator,
        filter: &CaseFilter,
        order: CaseOrder,
        page: usize,
        per_page: usize,
        today: Day,
    ) -> Result<CaseList> {
        let per_page = per_page.clamp(1, 200);
        // The store visits cases in triage order. In that order only the ids are kept
        // (one page is cut once the total is known); other orders keep what they sort by.
        let mut matching: Vec<(CaseId, (bool, i32))> = Vec::new();
        self.store.visit_cases(&mut |id, r| {
            if r.holders.contains(&who.name) && filter.matches(r, today) {
                let key = match order {
                    CaseOrder::Triage => (false, 0),
                    // Waiting first; the earliest last message first.
                    CaseOrder::Waiting => (
                        !r.reporter_waiting(),
                        r.last_reporter_day.unwrap_or(r.received).julian(),
                    ),
                    CaseOrder::Activity => (false, -r.last_activity().julian()),
                };
                matching.push((id, key));
            }
            true
        })?;
        if order != CaseOrder::Triage {
            // Stable: ties keep triage order.
            matching.sort_by_key(|(_, key)| *key);
        }
        let total = matching.len();
        let last_page = total.div_ceil(per_page).max(1) - 1;
        let page = page.min(last_page);
        let cases = matching
            .iter()
            .skip(page * per_page)
            .take(per_page)
            .map(|(id, _)| {
                let record = self.store.case(*id)?.ok_or(Error::NoSuchCase)?;
                self.summary(who, *id, &record, today)
            })
            .collect::<Result<_>>()?;
        Ok(CaseList {
            total,
            page,
            per_page,
            cases,
        })
    }

    /// The threads of several cases as ciphertext with the caller's wraps, for the desk's
    /// in-memory search and previews. Not "opening": no read mark, so "not opened yet"
    /// stays true; one audit entry records how many cases were fetched.
    pub fn threads(&self, who: &Investigator, ids: &[String]) -> Result<Vec<CaseThread>> {
        if ids.len() > MAX_THREADS {
            return Err(Error::TooManyIds(MAX_THREADS));
        }
        let mut answer = Vec::with_capacity(ids.len());
        for case in ids {
            let (id, record, wrap) = match self.accessible(who, case) {
                Ok(found) => found,
                Err(Error::NoSuchCase) => continue,
                Err(e) => return Err(e),
            };
            let thread = self.thread_wire(id)?;
            answer.push(CaseThread {
                id: id.to_string(),
                entries: record.entries,
                wrap: wrap.0,
                thread,
            });
        }
        if !answer.is_empty() {
            let count = answer.len().to_string();
            self.audit(who, Action::ThreadsFetched, None, &count)?;
        }
        Ok(answer)
    }

    /// Sets the labels of a case: exactly `labels`, in the order of [`Label::ALL`].
    pub fn set_labels(
        &self,
        who: &Investigator,
        case: &str,
        labels: &[String],
        today: Day,
    ) -> Result<CaseSummary> {
        let mut parsed = labels
            .iter()
            .map(|l| Label::parse(l).ok_or_else(|| Error::UnknownLabel(l.clone())))
            .collect::<Result<Vec<_>>>()?;
        parsed.sort();
        parsed.dedup();
        let (id, _, _) = self.accessible(who, case)?;
        let record = self.store.update_case(id, &mut |r| {
            r.labels = parsed.clone();
            Ok(())
        })?;
        let detail = parsed
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join(",");
        self.audit(who, Action::LabelsSet, Some(id), &detail)?;
        self.summary(who, id, &record, today)
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

    /// A case's thread as the API carries it: ciphertext, author and day of each entry.
    fn thread_wire(&self, id: CaseId) -> Result<Vec<ThreadEntryWire>> {
        Ok(self
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
            .collect())
    }

    pub fn open(&self, who: &Investigator, case: &str, today: Day) -> Result<CaseDetail> {
        let (id, record, wrap) = self.accessible(who, case)?;
        let summary = self.summary(who, id, &record, today)?;
        let thread = self.thread_wire(id)?;
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
        self.store.check_writable(today)?;
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
        self.store.check_writable(today)?;
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
        self.store.check_writable(today)?;
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
        self.store.check_writable(today)?;
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
        self.store.check_writable(self.clock.today())?;
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
