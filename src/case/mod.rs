//! Case life, pure: statuses and their transitions, categories, days and legal deadlines.
//!
//! Deadlines default to those of EU Directive 2019/1937 (art. 9(1)(b) and (f)): acknowledge
//! receipt within 7 days, give feedback within 3 months. Everything a reporter's action
//! stamps is a calendar day, never a time, so that the store cannot be matched against
//! network logs.

mod labels;
mod record;

pub use labels::{Label, case_reference};
pub(crate) use record::added_later;
pub use record::{CaseRecord, NextStep, Retention, TriageKey};

use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};

/// A calendar day (UTC), the only time granularity the store keeps for reporter actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(Date);

impl Day {
    pub fn today() -> Self {
        Day(OffsetDateTime::now_utc().date())
    }

    /// The day (UTC) of a time in seconds since the Unix epoch.
    pub fn from_unix(seconds: u64) -> Self {
        let at = i64::try_from(seconds).unwrap_or(i64::MAX);
        OffsetDateTime::from_unix_timestamp(at).map_or(Day(Date::MAX), |t| Day(t.date()))
    }

    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Self> {
        let month = Month::try_from(month).ok()?;
        Date::from_calendar_date(year, month, day).ok().map(Day)
    }

    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        let day = parts.next()?.parse().ok()?;
        Day::from_ymd(year, month, day)
    }

    pub fn plus_days(self, days: u32) -> Self {
        Day(self.0.saturating_add(time::Duration::days(i64::from(days))))
    }

    /// Adds calendar months, keeping the day of the month where it exists and otherwise
    /// taking the month's last day (31 January + 1 month = 28 or 29 February).
    pub fn plus_months(self, months: u32) -> Self {
        let total = self.0.year() * 12 + i32::from(u8::from(self.0.month())) - 1 + months as i32;
        let year = total.div_euclid(12);
        let month = Month::try_from((total.rem_euclid(12) + 1) as u8).unwrap_or(Month::December);
        let last = time::util::days_in_month(month, year);
        let day = self.0.day().min(last);
        Date::from_calendar_date(year, month, day)
            .map(Day)
            .unwrap_or(self)
    }

    pub fn year(self) -> i32 {
        self.0.year()
    }

    pub fn month(self) -> u8 {
        u8::from(self.0.month())
    }

    /// The day of the month, from 1.
    pub fn day_of_month(self) -> u8 {
        self.0.day()
    }

    /// The Julian day number: a day as one integer, for ordering and compact storage.
    pub fn julian(self) -> i32 {
        self.0.to_julian_day()
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Day) -> i64 {
        (later.0 - self.0).whole_days()
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

/// `YYYY-MM-DD` in human-readable formats (JSON); the Julian day number in the store's
/// binary format, which is compact and cheap to decode when 100,000 cases are listed.
impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_i32(self.0.to_julian_day())
        }
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            Day::parse(&text)
                .ok_or_else(|| serde::de::Error::custom("expected a day as YYYY-MM-DD"))
        } else {
            let julian = i32::deserialize(d)?;
            Date::from_julian_day(julian)
                .map(Day)
                .map_err(|_| serde::de::Error::custom("day out of range"))
        }
    }
}

/// What the reporter says the case is about. Stored in clear: triage and statistics need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    CoercionOrThreat,
    BribeOffered,
    Infiltration,
    Collusion,
    Other,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::CoercionOrThreat,
        Category::BribeOffered,
        Category::Infiltration,
        Category::Collusion,
        Category::Other,
    ];

    /// The wire and form name, also the suffix of its translation key.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::CoercionOrThreat => "coercion_or_threat",
            Category::BribeOffered => "bribe_offered",
            Category::Infiltration => "infiltration",
            Category::Collusion => "collusion",
            Category::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Category::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// How a closed case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Substantiated,
    Unsubstantiated,
    Referred,
    InsufficientInformation,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Substantiated,
        Outcome::Unsubstantiated,
        Outcome::Referred,
        Outcome::InsufficientInformation,
    ];

    /// The wire and form name, also the suffix of its translation key.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Substantiated => "substantiated",
            Outcome::Unsubstantiated => "unsubstantiated",
            Outcome::Referred => "referred",
            Outcome::InsufficientInformation => "insufficient_information",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == text)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a case is in its life: `new` → `acknowledged` → `investigating` → `closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Acknowledged,
    Investigating,
    Closed(Outcome),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a case cannot go from {from} to {to}")]
pub struct TransitionError {
    pub from: &'static str,
    pub to: &'static str,
}

/// Why a status named on the wire (a status word and, for `closed`, an outcome word) is
/// not one a case can be set to.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StatusWordError {
    #[error("unknown status; use acknowledged, investigating or closed")]
    UnknownStatus,
    #[error(
        "unknown outcome; use substantiated, unsubstantiated, referred or insufficient_information"
    )]
    UnknownOutcome,
    #[error(
        "closing a case needs an outcome: substantiated, unsubstantiated, referred or insufficient_information"
    )]
    OutcomeNeeded,
    #[error("only a closed case has an outcome")]
    OutcomeWithoutClosing,
    #[error("a case cannot be set back to new")]
    NotATarget,
}

impl Status {
    /// The status word on the wire and in forms; a closed case's outcome is a word of its
    /// own ([`Status::outcome`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Acknowledged => "acknowledged",
            Status::Investigating => "investigating",
            Status::Closed(_) => "closed",
        }
    }

    pub fn outcome(self) -> Option<Outcome> {
        match self {
            Status::Closed(outcome) => Some(outcome),
            _ => None,
        }
    }

    /// Reads a status as the wire carries it: a status word and, for `closed`, an outcome
    /// word. `new` is a status too: a case list shows it, even if no change leads to it.
    pub fn parse(status: &str, outcome: Option<&str>) -> Result<Status, StatusWordError> {
        let outcome = outcome
            .map(|o| Outcome::parse(o).ok_or(StatusWordError::UnknownOutcome))
            .transpose()?;
        match (status, outcome) {
            ("new", None) => Ok(Status::New),
            ("acknowledged", None) => Ok(Status::Acknowledged),
            ("investigating", None) => Ok(Status::Investigating),
            ("closed", Some(outcome)) => Ok(Status::Closed(outcome)),
            ("closed", None) => Err(StatusWordError::OutcomeNeeded),
            ("new" | "acknowledged" | "investigating", Some(_)) => {
                Err(StatusWordError::OutcomeWithoutClosing)
            }
            _ => Err(StatusWordError::UnknownStatus),
        }
    }

    /// Reads a status a case is to be set to: any status but `new`, which only a report
    /// starts.
    pub fn parse_change(status: &str, outcome: Option<&str>) -> Result<Status, StatusWordError> {
        match Status::parse(status, outcome)? {
            Status::New => Err(StatusWordError::NotATarget),
            to => Ok(to),
        }
    }

    /// The status words of the case list's filter, in the order of case life.
    pub const WORDS: [&'static str; 4] = ["new", "acknowledged", "investigating", "closed"];

    /// Cases move forward only, except that a closed case may be reopened for
    /// investigation when the reporter brings new material.
    pub fn transition(self, to: Status) -> Result<Status, TransitionError> {
        use Status::*;
        let allowed = matches!(
            (self, to),
            (New, Acknowledged)
                | (New, Investigating)
                | (New, Closed(_))
                | (Acknowledged, Investigating)
                | (Acknowledged, Closed(_))
                | (Investigating, Closed(_))
                | (Closed(_), Investigating)
        );
        if allowed {
            Ok(to)
        } else {
            Err(TransitionError {
                from: self.as_str(),
                to: to.as_str(),
            })
        }
    }
}

/// `acknowledged`, or `closed: referred`: how the audit log records a status change.
impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Closed(outcome) => write!(f, "closed: {outcome}"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// Who wrote a thread entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Reporter,
    Investigator,
}

impl Author {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Author::Reporter => "reporter",
            Author::Investigator => "investigator",
        }
    }
}

/// What an investigator account may do: admins also manage accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Investigator,
    Admin,
}

impl Role {
    /// The wire and command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Investigator => "investigator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Role::Investigator, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

/// The rule for investigator names, which appear in the audit log, in assignments and in
/// the store's keys: 1 to 64 ASCII letters, digits, '.', '_' or '-'.
pub fn is_valid_investigator_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// How long an integrity unit has, from the day a report is received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlinePolicy {
    pub acknowledge_days: u32,
    pub feedback_months: u32,
}

impl Default for DeadlinePolicy {
    /// EU Directive 2019/1937, art. 9(1)(b) and (f).
    fn default() -> Self {
        DeadlinePolicy {
            acknowledge_days: 7,
            feedback_months: 3,
        }
    }
}

/// The two dates a case must meet, fixed when it is received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    pub acknowledge_by: Day,
    pub feedback_by: Day,
}

impl DeadlinePolicy {
    pub fn for_case_received(self, received: Day) -> Deadlines {
        Deadlines {
            acknowledge_by: received.plus_days(self.acknowledge_days),
            feedback_by: received.plus_months(self.feedback_months),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u8, d: u8) -> Day {
        Day::from_ymd(y, m, d).unwrap()
    }

    #[test]
    fn a_case_is_due_for_deletion_only_once_closed_for_the_retention_period() {
        let received = day(2026, 1, 5);
        let mut record = CaseRecord {
            status: Status::Investigating,
            category: Category::Other,
            urgent: false,
            received,
            deadlines: DeadlinePolicy::default().for_case_received(received),
            acknowledged: Some(received),
            first_feedback: None,
            assignees: vec![],
            holders: vec![],
            entries: 1,
            last_reporter_entry: 0,
            notes: 0,
            reporter_seen: 0,
            labels: vec![],
            last_activity: None,
            last_reporter_day: None,
        };
        let keep = Retention {
            days_after_closure: 30,
        };
        let closed = day(2026, 3, 1);
        assert!(!keep.due(&record, closed, day(2027, 1, 1)), "not closed");
        record.status = Status::Closed(Outcome::Referred);
        assert!(!keep.due(&record, closed, day(2026, 3, 30)));
        assert!(keep.due(&record, closed, day(2026, 3, 31)));
    }

    #[test]
    fn default_deadlines_are_the_directive_s() {
        let d = DeadlinePolicy::default().for_case_received(day(2026, 11, 25));
        assert_eq!(d.acknowledge_by, day(2026, 12, 2));
        assert_eq!(d.feedback_by, day(2027, 2, 25));
    }

    #[test]
    fn months_clamp_to_the_end_of_short_months() {
        assert_eq!(day(2026, 11, 30).plus_months(3), day(2027, 2, 28));
        assert_eq!(day(2027, 11, 30).plus_months(3), day(2028, 2, 29));
        assert_eq!(day(2026, 1, 31).plus_months(1), day(2026, 2, 28));
        assert_eq!(day(2026, 12, 15).plus_months(1), day(2027, 1, 15));
    }

    #[test]
    fn days_print_and_parse_as_iso_dates() {
        let d = day(2027, 3, 4);
        assert_eq!(d.to_string(), "2027-03-04");
        assert_eq!(Day::parse("2027-03-04"), Some(d));
        assert_eq!(Day::parse("2027-02-30"), None);
        assert_eq!(day(2026, 11, 25).days_until(day(2026, 12, 2)), 7);
        assert_eq!(Day::from_unix(1_795_651_199), day(2026, 11, 25));
        assert_eq!(Day::from_unix(1_795_651_200), day(2026, 11, 26));
    }

    #[test]
    fn days_survive_both_encodings() {
        let d = day(2027, 3, 4);
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2027-03-04\"");
        assert_eq!(serde_json::from_str::<Day>("\"2027-03-04\"").unwrap(), d);
        let bytes = postcard::to_stdvec(&d).unwrap();
        assert!(bytes.len() <= 4);
        assert_eq!(postcard::from_bytes::<Day>(&bytes).unwrap(), d);
    }

    #[test]
    fn cases_move_forward_and_closed_cases_can_reopen() {
        let closed = Status::Closed(Outcome::Referred);
        assert_eq!(
            Status::New.transition(Status::Acknowledged),
            Ok(Status::Acknowledged)
        );
        assert_eq!(Status::Acknowledged.transition(closed), Ok(closed));
        assert_eq!(
            closed.transition(Status::Investigating),
            Ok(Status::Investigating)
        );
        assert!(Status::Investigating.transition(Status::New).is_err());
        assert!(
            Status::Acknowledged
                .transition(Status::Acknowledged)
                .is_err()
        );
        assert!(closed.transition(Status::Acknowledged).is_err());
    }

    #[test]
    fn statuses_parse_with_outcomes_only_when_closed() {
        assert_eq!(
            Status::parse_change("acknowledged", None),
            Ok(Status::Acknowledged)
        );
        assert_eq!(
            Status::parse_change("closed", Some("referred")),
            Ok(Status::Closed(Outcome::Referred))
        );
        assert_eq!(
            Status::parse_change("closed", None),
            Err(StatusWordError::OutcomeNeeded)
        );
        assert_eq!(
            Status::parse_change("investigating", Some("referred")),
            Err(StatusWordError::OutcomeWithoutClosing)
        );
        assert_eq!(
            Status::parse_change("closed", Some("dropped")),
            Err(StatusWordError::UnknownOutcome)
        );
        assert_eq!(
            Status::parse_change("new", None),
            Err(StatusWordError::NotATarget)
        );
        assert_eq!(Status::parse("new", None), Ok(Status::New));
        assert_eq!(
            Status::parse("reopened", None),
            Err(StatusWordError::UnknownStatus)
        );
        for outcome in Outcome::ALL {
            let closed = Status::Closed(outcome);
            assert_eq!(
                Status::parse(closed.as_str(), Some(outcome.as_str())),
                Ok(closed)
            );
        }
        assert_eq!(
            Status::Closed(Outcome::InsufficientInformation).to_string(),
            "closed: insufficient_information"
        );
    }

    #[test]
    fn names_and_roles_follow_one_rule() {
        assert!(is_valid_investigator_name("ana.m-2_b"));
        assert!(!is_valid_investigator_name(""));
        assert!(!is_valid_investigator_name("ana maria"));
        assert!(!is_valid_investigator_name(&"a".repeat(65)));
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(
            Role::parse(Role::Investigator.as_str()),
            Some(Role::Investigator)
        );
        assert_eq!(Role::parse("root"), None);
    }

    fn received(on: Day) -> CaseRecord {
        CaseRecord::new_report(
            Category::Other,
            false,
            on,
            DeadlinePolicy::default(),
            vec!["ana".into()],
        )
    }

    #[test]
    fn the_reporter_is_told_the_next_deadline_then_the_day_of_the_answer() {
        let mut record = received(day(2026, 11, 25));
        assert_eq!(
            record.next_step(),
            NextStep::Acknowledgement(day(2026, 12, 2))
        );
        record.record_entry(1, Author::Investigator, day(2026, 11, 26));
        assert_eq!(record.next_step(), NextStep::Feedback(day(2027, 2, 25)));
        record.record_entry(2, Author::Investigator, day(2026, 12, 10));
        assert_eq!(record.next_step(), NextStep::Answered(day(2026, 12, 10)));
        record
            .change_status(Status::Closed(Outcome::Referred), day(2027, 1, 5))
            .unwrap();
        assert_eq!(record.next_step(), NextStep::Closed);
    }

    #[test]
    fn what_the_reporter_has_seen_only_grows() {
        let mut record = received(day(2026, 11, 25));
        assert!(record.mark_seen_by_reporter(3));
        assert!(
            !record.mark_seen_by_reporter(3),
            "the same look changes nothing"
        );
        assert!(
            !record.mark_seen_by_reporter(2),
            "an older page changes nothing"
        );
        assert_eq!(record.reporter_seen, 3);
    }

    #[test]
    fn records_written_before_the_reporter_s_mark_still_read() {
        let mut record = received(day(2026, 11, 25));
        record.last_activity = None;
        record.last_reporter_day = None;
        let bytes = postcard::to_stdvec(&record).unwrap();
        // A record of the first store format is the same bytes without the four fields
        // added since (the reporter's mark, labels, two days), which at their defaults are
        // one byte each (postcard's varint, empty length, two `None`s).
        assert_eq!(bytes[bytes.len() - 4..], [0, 0, 0, 0]);
        let old = &bytes[..bytes.len() - 4];
        assert_eq!(postcard::from_bytes::<CaseRecord>(old).unwrap(), record);
        record.reporter_seen = 300;
        let bytes = postcard::to_stdvec(&record).unwrap();
        assert_eq!(postcard::from_bytes::<CaseRecord>(&bytes).unwrap(), record);
        let json = serde_json::to_value(&record).unwrap();
        let mut without = json.clone();
        without.as_object_mut().unwrap().remove("reporter_seen");
        assert_eq!(
            serde_json::from_value::<CaseRecord>(without)
                .unwrap()
                .reporter_seen,
            0
        );
        assert_eq!(serde_json::from_value::<CaseRecord>(json).unwrap(), record);
    }

    #[test]
    fn categories_round_trip_their_names() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        assert_eq!(Category::parse("gossip"), None);
    }

    fn new_record() -> CaseRecord {
        let received = day(2026, 11, 25);
        CaseRecord::new_report(
            Category::Other,
            false,
            received,
            DeadlinePolicy::default(),
            vec!["ana".into()],
        )
    }

    #[test]
    fn records_stored_before_labels_existed_still_read() {
        // The record as postcard stored it before labels and activity days were added.
        #[derive(Serialize)]
        struct Before {
            status: Status,
            category: Category,
            urgent: bool,
            received: Day,
            deadlines: Deadlines,
            acknowledged: Option<Day>,
            first_feedback: Option<Day>,
            assignees: Vec<String>,
            holders: Vec<String>,
            entries: u64,
            last_reporter_entry: u64,
            notes: u64,
        }
        let r = new_record();
        let before = Before {
            status: r.status,
            category: r.category,
            urgent: true,
            received: r.received,
            deadlines: r.deadlines,
            acknowledged: Some(day(2026, 11, 27)),
            first_feedback: None,
            assignees: vec!["ana".into()],
            holders: r.holders.clone(),
            entries: 3,
            last_reporter_entry: 2,
            notes: 1,
        };
        let old: CaseRecord = postcard::from_bytes(&postcard::to_stdvec(&before).unwrap()).unwrap();
        assert!(old.urgent && old.entries == 3 && old.assignees == ["ana"]);
        assert!(old.labels.is_empty() && old.last_reporter_day.is_none());
        assert_eq!(old.last_activity(), day(2026, 11, 27));

        let mut labelled = r.clone();
        labelled.labels = vec![Label::Transparency, Label::PrivateSectorRelationship];
        labelled.record_entry(1, Author::Reporter, day(2026, 12, 1));
        let bytes = postcard::to_stdvec(&labelled).unwrap();
        assert_eq!(
            postcard::from_bytes::<CaseRecord>(&bytes).unwrap(),
            labelled
        );
        let json = serde_json::to_string(&labelled).unwrap();
        assert_eq!(serde_json::from_str::<CaseRecord>(&json).unwrap(), labelled);
    }

    #[test]
    fn the_reporter_waits_until_the_unit_answers() {
        let mut r = new_record();
        assert!(r.reporter_waiting() && !r.reporter_replied());
        r.record_entry(1, Author::Investigator, day(2026, 11, 26));
        assert!(!r.reporter_waiting());
        r.record_entry(2, Author::Reporter, day(2026, 11, 29));
        assert!(r.reporter_waiting() && r.reporter_replied());
        assert_eq!(r.last_reporter_day, Some(day(2026, 11, 29)));
        assert_eq!(r.last_activity(), day(2026, 11, 29));
        r.change_status(Status::Closed(Outcome::Referred), day(2026, 12, 3))
            .unwrap();
        assert!(!r.reporter_waiting());
        assert_eq!(r.last_activity(), day(2026, 12, 3));
    }

    #[test]
    fn labels_round_trip_their_names() {
        for l in Label::ALL {
            assert_eq!(Label::parse(l.as_str()), Some(l));
        }
        assert_eq!(Label::parse("gate 4"), None);
    }

    #[test]
    fn references_are_short_stable_and_readable() {
        let id = "deadbeef0123456789abcdef01234567";
        let reference = case_reference(id).unwrap();
        assert_eq!(reference, case_reference(&id.to_uppercase()).unwrap());
        // 0xdeadbeef >> 2 in 5-bit groups: 27 26 22 27 29 27.
        assert_eq!(reference, "QL-VTPVXV");
        assert!(!reference[3..].contains(['I', 'L', 'O', 'U']));
        assert_eq!(
            case_reference("0".repeat(32).as_str()).unwrap(),
            "QL-000000"
        );
        assert_eq!(case_reference("xyz"), None);
    }
}
