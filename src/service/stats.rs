//! Statistics an integrity unit reports: totals, cases received per month and category,
//! cases per label, and how well the legal deadlines were met. Figures only, never
//! content: labels are fixed words (`case::Label`), never free text.

use std::collections::HashMap;

use super::error::Result;
use crate::api::{DeadlineStats, LabelCount, MonthCategoryCount, Stats};
use crate::case::{Day, Label, Status};
use crate::store::Store;

/// Figures over every case, without content.
pub fn stats(store: &dyn Store, today: Day) -> Result<Stats> {
    let mut received: HashMap<(i32, u8, &'static str), usize> = HashMap::new();
    let mut ack_days = Vec::new();
    let mut ack_within = 0;
    let mut feedback_days = Vec::new();
    let mut feedback_within = 0;
    let mut overdue_now = 0;
    let (mut total, mut closed, mut urgent) = (0, 0, 0);
    let (mut ack_missed, mut feedback_missed) = (0, 0);
    let mut per_label = [0usize; Label::ALL.len()];
    store.visit_cases(&mut |_, r| {
        total += 1;
        let is_closed = matches!(r.status, Status::Closed(_));
        closed += usize::from(is_closed);
        urgent += usize::from(r.urgent);
        for label in &r.labels {
            per_label[*label as usize] += 1;
        }
        if !is_closed {
            ack_missed +=
                usize::from(r.acknowledged.is_none() && today > r.deadlines.acknowledge_by);
            feedback_missed +=
                usize::from(r.first_feedback.is_none() && today > r.deadlines.feedback_by);
        }
        let month = (r.received.year(), r.received.month());
        *received
            .entry((month.0, month.1, r.category.as_str()))
            .or_default() += 1;
        if let Some(day) = r.acknowledged {
            ack_days.push(r.received.days_until(day));
            ack_within += usize::from(day <= r.deadlines.acknowledge_by);
        }
        if let Some(day) = r.first_feedback {
            feedback_days.push(r.received.days_until(day));
            feedback_within += usize::from(day <= r.deadlines.feedback_by);
        }
        overdue_now += usize::from(r.days_left(today).is_some_and(|d| d < 0));
        true
    })?;
    let mut received: Vec<_> = received
        .into_iter()
        .map(|((year, month, category), cases)| MonthCategoryCount {
            month: format!("{year:04}-{month:02}"),
            category: category.to_owned(),
            cases,
        })
        .collect();
    received.sort_by(|a, b| (&a.month, &a.category).cmp(&(&b.month, &b.category)));
    let labels = Label::ALL
        .into_iter()
        .zip(per_label)
        .filter(|(_, cases)| *cases > 0)
        .map(|(label, cases)| LabelCount {
            label: label.as_str().to_owned(),
            cases,
        })
        .collect();
    Ok(Stats {
        total,
        open: total - closed,
        closed,
        urgent,
        labels,
        received,
        acknowledgement: DeadlineStats {
            done: ack_days.len(),
            within_deadline: ack_within,
            median_days: median(&mut ack_days),
            missed_pending: ack_missed,
        },
        feedback: DeadlineStats {
            done: feedback_days.len(),
            within_deadline: feedback_within,
            median_days: median(&mut feedback_days),
            missed_pending: feedback_missed,
        },
        overdue_now,
    })
}

fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) as f64 / 2.0
    } else {
        values[mid] as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3.0));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2.5));
    }
}
