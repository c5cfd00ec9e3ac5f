//! Retention: closed cases are deleted for good once they have been closed for the
//! configured number of days (`serve --retention-days`), with everything that belongs to
//! them. A purged token then gets the same answer as one that never existed.
//!
//! The rule ("closed N days ago") is `crate::case::Retention`'s; the day of closure is
//! recorded when an investigator closes a case (`cases.rs`) and forgotten when it is
//! reopened. A closed case without a recorded day (closed before this version, or whose
//! day was lost in a crash between the two writes) gets today's: its period starts late,
//! never early. The audit chain records each purge as "case purged" with the case id and
//! nothing else; it is written before the purge, so that no deletion goes unrecorded.

use std::sync::{Arc, Mutex};

use super::clock::Clock;
use super::error::Result;
use super::record_audit;
use crate::audit::Action;
use crate::case::{Retention as Rule, Status};
use crate::store::{CaseId, Purged, Rewritten, Store};

/// Audit actor of the retention job.
pub const RETENTION_ACTOR: &str = "retention";

/// What one run deleted.
#[derive(Debug, Default)]
pub struct RetentionRun {
    pub purged: Purged,
    /// The cases deleted, so that their reporter sessions can be ended.
    pub cases: Vec<CaseId>,
}

pub struct Retention {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    rule: Rule,
    /// Shared with backups: no purge while a snapshot copies evidence files.
    upkeep: Arc<Mutex<()>>,
}

impl Retention {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        rule: Rule,
        upkeep: Arc<Mutex<()>>,
    ) -> Self {
        Retention {
            store,
            clock,
            rule,
            upkeep,
        }
    }

    /// Deletes every case due today. Blocks (fsync): run it off the async workers.
    pub fn run(&self) -> Result<RetentionRun> {
        let _one_at_a_time = self.upkeep.lock().unwrap_or_else(|p| p.into_inner());
        let today = self.clock.today();
        let mut closed = Vec::new();
        self.store.visit_cases(&mut |id, record| {
            if matches!(record.status, Status::Closed(_)) {
                closed.push((id, record.clone()));
            }
            true
        })?;
        let mut due = Vec::new();
        for (id, record) in closed {
            match self.store.closed_on(id)? {
                Some(day) if self.rule.due(&record, day, today) => due.push(id),
                Some(_) => {}
                None => self.store.set_closed_on(id, Some(today))?,
            }
        }
        for id in &due {
            record_audit(
                &*self.store,
                &*self.clock,
                RETENTION_ACTOR,
                Action::CasePurged,
                Some(*id),
                "",
            )?;
        }
        let purged = self.store.purge_cases(&due)?;
        if purged.cases > 0 {
            tracing::info!(
                cases = purged.cases,
                evidence_files = purged.evidence_files,
                "deleted closed cases at the end of their retention period"
            );
        }
        Ok(RetentionRun { purged, cases: due })
    }
}

/// The store's scheduled rewrite (`Upkeep::rewrite`): deleted bytes leave the disk, and
/// the files' order and times stop dating reports. It shares the upkeep lock with
/// retention and backups: a snapshot never copies a store being swapped.
pub struct Rewrites {
    store: Arc<dyn Store>,
    upkeep: Arc<Mutex<()>>,
}

impl Rewrites {
    pub fn new(store: Arc<dyn Store>, upkeep: Arc<Mutex<()>>) -> Self {
        Rewrites { store, upkeep }
    }

    /// Rewrites the store now. Blocks (copies and fsyncs): run it off the async workers.
    pub fn run(&self) -> Result<Rewritten> {
        let _one_at_a_time = self.upkeep.lock().unwrap_or_else(|p| p.into_inner());
        let started = std::time::Instant::now();
        let done = self.store.rewrite()?;
        tracing::info!(
            records = done.records,
            bytes_before = done.bytes_before,
            bytes_after = done.bytes_after,
            evidence_files = done.evidence_files,
            evidence_copied = done.evidence_copied,
            millis = started.elapsed().as_millis() as u64,
            writes_paused_millis = done.writes_paused.as_millis() as u64,
            "rewrote the store into fresh files"
        );
        Ok(done)
    }
}
