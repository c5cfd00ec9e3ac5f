//! The case record: what the service knows about a case in clear, and the case's own
//! rules over it (a new entry, a status change, deadlines, triage order, retention). Every
//! storage backend keeps records; none decides what they mean.

use serde::{Deserialize, Serialize};

use super::labels::Label;
use super::{Author, Category, Day, DeadlinePolicy, Deadlines, Status, TransitionError};

/// What the service knows about a case in clear: what triage, deadlines and statistics
/// need, and nothing the reporter wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRecord {
    pub status: Status,
    pub category: Category,
    pub urgent: bool,
    pub received: Day,
    pub deadlines: Deadlines,
    pub acknowledged: Option<Day>,
    /// Day the reporter was first given feedback: a reply after acknowledgement, or the
    /// closing of the case.
    pub first_feedback: Option<Day>,
    pub assignees: Vec<String>,
    /// Investigators holding a wrap of the case key.
    pub holders: Vec<String>,
    /// Entries in the thread; the next entry's sequence number.
    pub entries: u64,
    /// Sequence number of the reporter's latest message, for "unread" marks.
    pub last_reporter_entry: u64,
    /// Internal notes; the next note's sequence number.
    pub notes: u64,
    /// How many thread entries the reporter had been shown when they last opened the
    /// case: what "new message from the integrity unit" is measured from. A count, never
    /// a time or a day, so that it dates no visit (see SECURITY.md).
    ///
    /// Added after the store's first format (see [`added_later`]).
    #[serde(default, deserialize_with = "added_later")]
    pub reporter_seen: u64,
    /// Labels investigators set (case metadata, in clear like the category).
    #[serde(default, deserialize_with = "added_later")]
    pub labels: Vec<Label>,
    /// Day of the latest thread entry or status change; none in records written before it
    /// was kept (see [`CaseRecord::last_activity`]).
    #[serde(default, deserialize_with = "added_later")]
    pub last_activity: Option<Day>,
    /// Day of the reporter's latest message; none in records written before it was kept.
    #[serde(default, deserialize_with = "added_later")]
    pub last_reporter_day: Option<Day>,
}

/// Reads a field appended to [`CaseRecord`] after records were first stored.
///
/// In JSON a missing field simply takes its default. The store's postcard encoding has no
/// field names: a record written before the field existed ends where the field would
/// start, and postcard reports the end of input instead of letting serde use the default.
/// In that binary format, a field that cannot be read takes its default. Only fields
/// appended at the end of the record use this, so the fields before them are read
/// strictly; a damaged value in one of these fields costs that field only (labels, the
/// days of the last activity), which the desk shows as absent.
pub(crate) fn added_later<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    if d.is_human_readable() {
        T::deserialize(d)
    } else {
        Ok(T::deserialize(d).unwrap_or_default())
    }
}

/// What the reporter waits for next, as their case page says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// The unit has to acknowledge the report by this day.
    Acknowledgement(Day),
    /// The unit has acknowledged, and has to give feedback by this day.
    Feedback(Day),
    /// The unit gave its first feedback on this day; more may come.
    Answered(Day),
    /// The case is closed.
    Closed,
}

impl CaseRecord {
    /// The record of a report received on `received`: new, with its deadlines fixed by
    /// `policy`, held by `holders` (the investigators its key is wrapped to), and the
    /// report as its first entry.
    pub fn new_report(
        category: Category,
        urgent: bool,
        received: Day,
        policy: DeadlinePolicy,
        holders: Vec<String>,
    ) -> Self {
        CaseRecord {
            status: Status::New,
            category,
            urgent,
            received,
            deadlines: policy.for_case_received(received),
            acknowledged: None,
            first_feedback: None,
            assignees: Vec::new(),
            holders,
            entries: 1,
            last_reporter_entry: 0,
            notes: 0,
            reporter_seen: 0,
            labels: Vec::new(),
            last_activity: Some(received),
            last_reporter_day: Some(received),
        }
    }

    /// Updates the record for a new thread entry. An investigator's first reply to a new
    /// case acknowledges it; a reply to an acknowledged case is feedback.
    pub fn record_entry(&mut self, seq: u64, author: Author, day: Day) {
        self.entries = seq + 1;
        self.last_activity = Some(day);
        match author {
            Author::Reporter => {
                self.last_reporter_entry = seq;
                self.last_reporter_day = Some(day);
            }
            Author::Investigator if self.status == Status::New => {
                self.status = Status::Acknowledged;
                self.acknowledged.get_or_insert(day);
            }
            Author::Investigator => {
                self.first_feedback.get_or_insert(day);
            }
        }
    }

    /// Records that the reporter has been shown the first `entries` thread entries. The
    /// count only grows: an older page cannot mark a newer reply as unseen again. Returns
    /// whether anything changed, so that a look that learns nothing writes nothing.
    pub fn mark_seen_by_reporter(&mut self, entries: u64) -> bool {
        if entries <= self.reporter_seen {
            return false;
        }
        self.reporter_seen = entries;
        true
    }

    /// What the reporter waits for next: the deadline the unit still has to meet, or the
    /// day it answered.
    pub fn next_step(&self) -> NextStep {
        if matches!(self.status, Status::Closed(_)) {
            return NextStep::Closed;
        }
        if self.acknowledged.is_none() {
            return NextStep::Acknowledgement(self.deadlines.acknowledge_by);
        }
        match self.first_feedback {
            Some(day) => NextStep::Answered(day),
            None => NextStep::Feedback(self.deadlines.feedback_by),
        }
    }

    /// Moves the case to `to`, recording the days the deadlines are measured by.
    pub fn change_status(&mut self, to: Status, day: Day) -> Result<(), TransitionError> {
        // Setting the status a case already has changes nothing (a first reply may have
        // acknowledged it a moment before the investigator pressed "acknowledge").
        if self.status == to {
            return Ok(());
        }
        self.status = self.status.transition(to)?;
        self.last_activity = Some(day);
        self.acknowledged.get_or_insert(day);
        if matches!(to, Status::Closed(_)) {
            self.first_feedback.get_or_insert(day);
        }
        Ok(())
    }

    /// Days left until the next deadline this case still has to meet (negative when it
    /// is overdue), or none when it has met both or is closed.
    pub fn days_left(&self, today: Day) -> Option<i64> {
        if matches!(self.status, Status::Closed(_)) {
            return None;
        }
        if self.acknowledged.is_none() {
            return Some(today.days_until(self.deadlines.acknowledge_by));
        }
        if self.first_feedback.is_none() {
            return Some(today.days_until(self.deadlines.feedback_by));
        }
        None
    }

    /// The day of the latest thing that happened to the case. Records from before that day
    /// was kept fall back on the latest day they do know.
    pub fn last_activity(&self) -> Day {
        let known = [
            Some(self.received),
            self.acknowledged,
            self.first_feedback,
            self.last_activity,
            self.last_reporter_day,
        ];
        known.into_iter().flatten().max().unwrap_or(self.received)
    }

    /// An open case whose latest thread entry is the reporter's: a report nobody has
    /// answered yet, or a follow-up that came after the unit's last reply.
    pub fn reporter_waiting(&self) -> bool {
        !matches!(self.status, Status::Closed(_))
            && self.entries > 0
            && self.last_reporter_entry + 1 == self.entries
    }

    /// The reporter wrote again after the first report, and nobody has answered since.
    pub fn reporter_replied(&self) -> bool {
        self.reporter_waiting() && self.last_reporter_entry > 0
    }

    /// Triage order: open urgent cases first, then other open cases, each by the date
    /// of the next deadline they still have to meet (oldest report first on a tie);
    /// closed cases last, newest first. It depends on dates only, not on today, so an
    /// index kept in this order stays valid from one day to the next.
    pub fn triage_key(&self) -> TriageKey {
        let received = self.received.julian();
        match self.status {
            Status::Closed(_) => (2, 0, -received),
            _ => {
                let next = if self.acknowledged.is_none() {
                    Some(self.deadlines.acknowledge_by)
                } else if self.first_feedback.is_none() {
                    Some(self.deadlines.feedback_by)
                } else {
                    None
                };
                (
                    u8::from(!self.urgent),
                    next.map_or(i32::MAX, Day::julian),
                    received,
                )
            }
        }
    }
}

/// See [`CaseRecord::triage_key`].
pub type TriageKey = (u8, i32, i32);

/// How long a closed case is kept before it is deleted for good (`serve
/// --retention-days`). Data protection law asks that reports be kept no longer than
/// needed (Directive 2019/1937, art. 18); how long that is, each organisation decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub days_after_closure: u32,
}

impl Retention {
    /// Whether a case is due for deletion on `today`: it is closed, and was closed on
    /// `closed_on`, at least `days_after_closure` days ago. A reopened case is never due.
    pub fn due(self, record: &CaseRecord, closed_on: Day, today: Day) -> bool {
        matches!(record.status, Status::Closed(_))
            && closed_on.plus_days(self.days_after_closure) <= today
    }
}
