//! What an alert says, and nothing more: counts, in the configured language, and a line
//! telling the reader to open the desk. Pure, so that a unit test can hold every alert
//! against the list of what must never leave the server.
//!
//! Content-free is the whole point (DESIGN.md, "What leaves the server"): a mail provider
//! or chat bridge sees that something happened, never what. No text, category, case id,
//! token or file name can reach an [`Alert`], because nothing here is given one: the
//! functions take numbers only.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use serde::Serialize;

use crate::case::{CaseRecord, Day};
use crate::i18n::Lang;

/// Days before a deadline from which a case counts as due soon (issue 12: "2 days from due").
pub const DUE_SOON_DAYS: i64 = 2;

/// Which of the three alerts this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// New urgent reports, sent at once.
    Urgent,
    /// New reports and reporter messages, at fixed times.
    Digest,
    /// Deadlines close or past, once a day.
    Deadlines,
}

/// The counts an alert carries. Zero fields are left out of the text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub urgent_reports: u64,
    pub new_reports: u64,
    pub reporter_messages: u64,
    pub due_soon: u64,
    pub overdue: u64,
}

impl Counts {
    pub fn is_empty(&self) -> bool {
        *self == Counts::default()
    }
}

/// One alert as every channel sends it: a subject and a plain-text body for mail, and the
/// same with the counts as numbers for a webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub kind: Kind,
    pub subject: String,
    pub text: String,
    pub counts: Counts,
}

fn count_line(lang: Lang, key: &str, count: u64) -> Option<String> {
    if count == 0 {
        return None;
    }
    let mut args = HashMap::new();
    // Counts above i64::MAX cannot happen; saturate rather than wrap if they did.
    let n = i64::try_from(count).unwrap_or(i64::MAX);
    args.insert(Cow::Borrowed("count"), FluentValue::from(n));
    Some(lang.text(key, Some(&args)))
}

/// Writes the alert of `kind` for `counts`, or none when there is nothing to say.
pub fn compose(lang: Lang, kind: Kind, counts: Counts) -> Option<Alert> {
    let lines: Vec<String> = [
        ("alert-urgent", counts.urgent_reports),
        ("alert-new-reports", counts.new_reports),
        ("alert-reporter-messages", counts.reporter_messages),
        ("alert-due-soon", counts.due_soon),
        ("alert-overdue", counts.overdue),
    ]
    .into_iter()
    .filter_map(|(key, n)| count_line(lang, key, n))
    .collect();
    if lines.is_empty() {
        return None;
    }
    let subject = match kind {
        Kind::Urgent => "alert-subject-urgent",
        Kind::Digest => "alert-subject-digest",
        Kind::Deadlines => "alert-subject-deadlines",
    };
    let text = format!(
        "{}\n\n{}\n",
        lines.join("\n"),
        lang.text("alert-open-desk", None)
    );
    Some(Alert {
        kind,
        subject: lang.text(subject, None),
        text,
        counts,
    })
}

/// The deadline counts of the daily digest: open cases whose next deadline is at most
/// [`DUE_SOON_DAYS`] away, and those past it (the rules are `CaseRecord::days_left`).
pub fn deadline_counts<'a>(
    records: impl IntoIterator<Item = &'a CaseRecord>,
    today: Day,
) -> Counts {
    let mut counts = Counts::default();
    for record in records {
        match record.days_left(today) {
            Some(left) if left < 0 => counts.overdue += 1,
            Some(left) if left <= DUE_SOON_DAYS => counts.due_soon += 1,
            _ => {}
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Category, DeadlinePolicy};

    fn case(received: Day) -> CaseRecord {
        CaseRecord::new_report(
            Category::ALL[0],
            false,
            received,
            DeadlinePolicy::default(),
            Vec::new(),
        )
    }

    #[test]
    fn deadlines_count_cases_two_days_from_due_and_overdue() {
        let today = Day::from_ymd(2026, 3, 20).unwrap();
        // Acknowledge within 7 days: received 3 days ago (4 left), 5 days ago (2 left),
        // 6 days ago (1 left), 9 days ago (2 overdue).
        let mut records: Vec<CaseRecord> = [17, 15, 14, 11]
            .into_iter()
            .map(|d| case(Day::from_ymd(2026, 3, d).unwrap()))
            .collect();
        let mut acknowledged = case(Day::from_ymd(2026, 3, 1).unwrap());
        acknowledged.acknowledged = Some(Day::from_ymd(2026, 3, 2).unwrap());
        records.push(acknowledged);
        let counts = deadline_counts(&records, today);
        assert_eq!((counts.due_soon, counts.overdue), (2, 1));
    }

    #[test]
    fn alerts_say_counts_and_point_to_the_desk_in_every_language() {
        for lang in Lang::ALL {
            let counts = Counts {
                new_reports: 3,
                reporter_messages: 1,
                ..Counts::default()
            };
            let alert = compose(lang, Kind::Digest, counts).unwrap();
            assert!(alert.text.contains('3'), "{}", alert.text);
            assert!(
                !alert.text.contains("alert-"),
                "missing translation: {}",
                alert.text
            );
            assert!(!alert.subject.contains("alert-"));
            assert!(!alert.text.contains('\u{2068}'));
            assert_eq!(alert.text.lines().filter(|l| !l.is_empty()).count(), 3);
        }
        assert_eq!(compose(Lang::En, Kind::Digest, Counts::default()), None);
        let urgent = Counts {
            urgent_reports: 1,
            ..Counts::default()
        };
        let alert = compose(Lang::En, Kind::Urgent, urgent).unwrap();
        assert!(
            alert.text.starts_with("1 new urgent report."),
            "{}",
            alert.text
        );
    }
}
