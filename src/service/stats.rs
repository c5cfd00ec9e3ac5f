//! Statistics an integrity unit reports: cases received per month and category, and how
//! well the legal deadlines were met. Figures only, never content.

use std::collections::HashMap;

use super::error::Result;
use crate::api::{DeadlineStats, MonthCategoryCount, Stats};
use crate::case::Day;
use crate::store::Store;

/// Figures over every case, without content.
pub fn stats(store: &dyn Store, today: Day) -> Result<Stats> {
    let mut received: HashMap<(i32, u8, &'static str), usize> = HashMap::new();
    let mut ack_days = Vec::new();
    let mut ack_within = 0;
    let mut feedback_days = Vec::new();
    let mut feedback_within = 0;
    let mut overdue_now = 0;
    store.visit_cases(&mut |_, r| {
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
    Ok(Stats {
        received,
        acknowledgement: DeadlineStats {
            done: ack_days.len(),
            within_deadline: ack_within,
            median_days: median(&mut ack_days),
        },
        feedback: DeadlineStats {
            done: feedback_days.len(),
            within_deadline: feedback_within,
            median_days: median(&mut feedback_days),
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
