//! The service layer: the blocking core that both HTTP faces (JSON API and pages) call.
//! It decides; the store keeps. Case rules live in `crate::case`, so that every storage
//! backend shares them.
//!
//! - [`reporter`]: submit a report, open a case with its token, read, follow up;
//! - [`sessions`]: reporter sessions, in memory only;
//! - [`evidence`]: clean, seal and store evidence files as they stream in;
//! - [`accounts`]: investigator accounts, enrolment, login and sessions;
//! - [`throttle`]: the investigator login throttle, in memory or in the database;
//! - [`cases`]: the investigator's view of cases and their actions on them;
//! - [`stats`]: content-free figures;
//! - [`backups`]: encrypted snapshots, on a schedule and on demand;
//! - [`retention`]: deleting closed cases at the end of their retention period;
//! - [`clock`]: the one source of time, passed in so that tests need not sleep;
//! - [`health`]: whether the store still works, for `/healthz` and the watchdog.
//!
//! Every function here may block (argon2, age, fsync): async callers run them off the
//! runtime. Nothing here knows about HTTP.

pub mod accounts;
pub mod backups;
pub mod cases;
pub mod clock;
mod error;
pub mod evidence;
/// What can be checked of a sealed entry without its key (age header, payload length).
mod framing;
pub mod health;
pub mod reporter;
pub mod retention;
pub mod sessions;
pub mod stats;
pub mod throttle;

/// Evidence files are named by blob ids in requests that carry them.
pub use crate::store::BlobId;
pub use accounts::{Accounts, Confirmer, Investigator, SessionLimits};
pub use backups::{BackupTaken, Backups};
pub use cases::{CaseFilter, CaseOrder, Cases};
pub use clock::{Clock, SystemClock};
pub use error::{Error, MAX_SEALED_BYTES, Result};
pub use evidence::{Chunk, Naming, StoredFile, WriteError, write_evidence};
pub use health::Health;
pub use reporter::{
    CaseView, CheckedMessage, MessageLimits, MessageView, NewReport, OpenCase, Reporting,
};
pub use retention::{Retention, RetentionRun, Rewrites};
pub use sessions::ReporterSessions;

use crate::audit::{self, Action};
use crate::store::{CaseId, Store};

const SECONDS_PER_DAY: u64 = 86_400;

/// Appends an investigator's action to the audit chain.
pub(crate) fn record_audit(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &str,
    action: Action,
    case: Option<CaseId>,
    detail: &str,
) -> Result<()> {
    store.append_audit(audit::Entry {
        seq: 0,
        // The day only (see `audit::Entry::at`).
        at: clock.now() / SECONDS_PER_DAY * SECONDS_PER_DAY,
        actor: actor.to_owned(),
        action,
        case: case.map(|c| c.to_string()),
        detail: detail.to_owned(),
        prev: audit::GENESIS,
    })?;
    Ok(())
}
