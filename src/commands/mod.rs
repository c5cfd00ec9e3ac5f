//! What each command does. `main` parses the command line and calls one of these:
//! `serve` (serve.rs: the service, its watchdog and its scheduled upkeep) or the command
//! line's own work (admin.rs: keygen, admin, audit verify, restore; migrate.rs:
//! migrate-store).

mod admin;
mod migrate;
mod serve;

pub use admin::{admin, audit_verify, keygen, restore};
pub use migrate::{MigrateArgs, migrate_store};
pub use serve::serve;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use zeroize::Zeroizing;

use crate::alerts::{self, Alerts, Channel};
use crate::audit::Action;
use crate::case::Role;
use crate::cli::{AdminCommand, RoleArg};
use crate::config::{DataDir, ServeConfig};
use crate::crypto::identity_file::{self, ScryptWork};
use crate::crypto::{
    DeploymentSalt, InvestigatorIdentity, InvestigatorRecipient, KdfParams, KdfSettings,
};
use crate::http::{self, AppState, Services};
use crate::service::{
    Accounts, Backups, Cases, Clock, Confirmer, Health, Reporting, Retention, SessionLimits, clock,
};
use crate::store::{MAX_DAYS_AHEAD, OpenOptions, PgStore, SledStore, Store, StoreError};

/// Appends an action of the administrator who started `serve` to the audit chain.
fn audit_admin(
    store: &dyn Store,
    clock: &dyn clock::Clock,
    action: Action,
    detail: &str,
) -> anyhow::Result<()> {
    crate::service::record_audit(store, clock, ADMIN_CLI, action, None, detail)?;
    Ok(())
}

/// Creates a file readable by its owner only; never overwrites.
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// The accounts service as administrator commands use it: no sessions, the system clock.
fn cli_accounts(store: Arc<dyn Store>) -> anyhow::Result<Accounts> {
    Ok(Accounts::new(
        store,
        KdfParams::default(),
        DESK_SESSIONS_FOR_CLI,
        clock::system(),
    )?)
}

/// On PostgreSQL, the accounts end sessions in the database, so that disabling or
/// removing an investigator ends their sessions on every running instance.
fn open_accounts(data_dir: &DataDir) -> anyhow::Result<Accounts> {
    if let Some(url) = data_dir.database().map_err(anyhow::Error::msg)? {
        let store = PgStore::open(&url)?;
        let sessions = Box::new(store.investigator_sessions());
        return Ok(cli_accounts(Arc::new(store))?.with_sessions(sessions));
    }
    cli_accounts(open_store(data_dir)?)
}

/// The store a command works on: PostgreSQL with a database URL (any number of
/// instances may run meanwhile), else sled in the data directory (which takes one
/// process: stop `serve` first).
fn open_store(data_dir: &DataDir) -> anyhow::Result<Arc<dyn Store>> {
    match data_dir.database().map_err(anyhow::Error::msg)? {
        Some(url) => Ok(Arc::new(PgStore::open(&url)?)),
        None => Ok(Arc::new(SledStore::open(&data_dir.path)?)),
    }
}

/// Name under which `serve --demo` registers its throwaway investigator.
const DEMO_INVESTIGATOR: &str = "demo";
/// Audit actor of administrator commands run on the server's command line.
const ADMIN_CLI: &str = "admin-cli";
/// Command-line account work opens no sessions; any limits do.
const DESK_SESSIONS_FOR_CLI: SessionLimits = SessionLimits {
    idle: std::time::Duration::from_secs(1),
    max: std::time::Duration::from_secs(1),
};
