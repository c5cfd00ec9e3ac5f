//! The PostgreSQL store: the same [`Store`] trait as sled, for deployments that run more
//! than one instance or must survive the loss of a machine. Selected by `--database-url`.
//!
//! **Client.** The `Store` trait is blocking and is called from blocking threads
//! (`spawn_blocking`, the KDF lanes), so this uses the synchronous `postgres` crate, a
//! wrapper of `tokio-postgres` that drives each connection on its own small runtime, with
//! the pool of `pool.rs`. An async client behind the blocking trait would need a runtime
//! handle and `block_on` in every method for nothing. The one rule it brings: a store
//! method must never be called on an async worker thread (the sync client would panic),
//! which the trait already demands.
//!
//! **Durability.** Every write is one transaction; a method returns once it committed,
//! which with PostgreSQL's default `synchronous_commit = on` means its WAL is flushed
//! (and, with synchronous replication, on the standbys). Nothing more is needed: this
//! is what sled's flush plus fsync achieves by hand.
//!
//! **What sled's guard does, and what replaces it here.** The free-space reserve and the
//! "failed, restart me" state protect sled from ENOSPC and I/O errors in its own files;
//! PostgreSQL has its own answer to both (a failed write is rolled back, the server
//! stays consistent), so an error is returned to the caller and the next request tries
//! again: [`Store::failure`] is always `None` and the service never exits because of the
//! database. A database that cannot be reached gives [`StoreError::Unavailable`] (503
//! with Retry-After), and the pool reconnects by itself when it returns. The high-water
//! mark is kept: each serving instance keeps its own in its `--data-dir` (`mark.rs`), so
//! that a database restored from an older dump is refused at start, as a sled store that
//! shrank is. The clock check is kept: the newest day stored is a row of `meta`, shared
//! by every instance (see `PgStore::check_day`).
//!
//! **Concurrency between instances.** Case record changes lock the case's row (`SELECT
//! ... FOR UPDATE`) for the read-modify-write; audit appends take a transaction-scoped
//! advisory lock, so two instances never fork the chain.
//!
//! Files: `pool.rs` (connections and their timeouts), `schema.rs` (migrations),
//! `mark.rs` (the high-water mark), `records.rs` (the `Store` methods), `upkeep.rs` (clock check, retention),
//! `blobs.rs` (evidence in 1 MiB rows), `sessions.rs`, `reporter_sessions.rs` and
//! `nonces.rs` (investigator and reporter sessions, form nonces: shared by the instances),
//! `shared_state.rs` (the login throttle's counts, the alerts' counters and claims).

mod blobs;
mod mark;
mod nonces;
mod pool;
mod records;
mod reporter_sessions;
mod schema;
mod sessions;
mod shared_state;
mod upkeep;

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::{StoreError, StoreResult};

pub use nonces::PgFormNonces;
pub use pool::Pool;
pub use reporter_sessions::PgReporterSessions;
pub use sessions::PgInvestigatorSessions;
pub use shared_state::{PgAlertCounts, PgLoginFailures};

/// Rows of evidence are this large: big enough that a 500 MiB file is 500 inserts, small
/// enough that a reader or writer holds one at a time in memory.
pub const CHUNK_BYTES: usize = 1024 * 1024;

/// A `postgres://` URL. It may hold a password, so it is never printed: no `Debug`, no
/// `Display`, zeroized on drop (the client library keeps its own parsed copy, which is
/// not).
#[derive(Clone)]
pub struct DatabaseUrl(Zeroizing<String>);

impl DatabaseUrl {
    /// Checks that `text` is a connection URL the client understands. The error never
    /// quotes the URL.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
            return Err("a database URL starts with postgres:// or postgresql://".into());
        }
        text.parse::<postgres::Config>()
            .map_err(|_| "the database URL cannot be read as a PostgreSQL connection URL")?;
        Ok(DatabaseUrl(Zeroizing::new(text.to_owned())))
    }

    /// Whether the URL carries a password (so it must not come from the command line).
    pub fn has_password(&self) -> bool {
        self.config().is_some_and(|c| c.get_password().is_some())
    }

    /// The same URL, compared without leaking timing (for where it came from).
    pub fn is(&self, text: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_bytes().ct_eq(text.trim().as_bytes()).into()
    }

    fn config(&self) -> Option<postgres::Config> {
        self.0.parse().ok()
    }
}

/// The PostgreSQL store. Cheap to share: it is a pool of connections.
pub struct PgStore {
    pool: std::sync::Arc<Pool>,
    /// Whether the clock check is refusing writes, so that it is logged once each way.
    clock_refused: std::sync::atomic::AtomicBool,
    /// This instance's high-water mark, when it serves (`PgStore::open_serving`);
    /// administrator commands and tools keep none.
    mark: Option<mark::PgMark>,
    /// What the database held and what the mark said, if opened despite a loss.
    accepted_loss: Option<(super::Counts, super::Counts)>,
}

impl PgStore {
    /// Connects, applies missing migrations under the advisory lock, and checks that the
    /// database answers.
    pub fn open(url: &DatabaseUrl) -> StoreResult<Self> {
        let config = url
            .config()
            .ok_or_else(|| StoreError::Corrupt("unreadable database URL".into()))?;
        let store = PgStore {
            pool: std::sync::Arc::new(Pool::new(config)),
            clock_refused: std::sync::atomic::AtomicBool::new(false),
            mark: None,
            accepted_loss: None,
        };
        let version = schema::migrate(&mut *store.pool.get()?)?;
        let cases: i64 = store
            .pool
            .get()?
            .query_one("SELECT count(*) FROM cases", &[])
            .map_err(failed)?
            .get(0);
        tracing::info!(schema = version, cases, "database store opened");
        Ok(store)
    }

    /// [`PgStore::open`] for an instance that serves: checks the database against the
    /// high-water mark in `data_dir` and refuses it if it holds less
    /// ([`StoreError::DatabaseShrunk`]), unless `accept_loss` (`serve
    /// --accept-data-loss`), which lowers the mark to what it holds. The mark then rises
    /// with every write this instance acknowledges (`mark.rs`).
    pub fn open_serving(
        url: &DatabaseUrl,
        data_dir: &std::path::Path,
        accept_loss: bool,
    ) -> StoreResult<Self> {
        let mut store = PgStore::open(url)?;
        let held = mark::totals(&mut *store.pool.get()?)?;
        let (mark, accepted) = mark::PgMark::open(data_dir, held, accept_loss)?;
        store.mark = Some(mark);
        store.accepted_loss = accepted;
        Ok(store)
    }

    /// Investigator sessions kept in this database, for every instance on it to share.
    pub fn investigator_sessions(&self) -> PgInvestigatorSessions {
        PgInvestigatorSessions {
            pool: self.pool.clone(),
        }
    }

    /// Reporter sessions kept, sealed, in this database.
    pub fn reporter_sessions(&self) -> PgReporterSessions {
        PgReporterSessions {
            pool: self.pool.clone(),
        }
    }

    /// The reporter forms' single-use nonces kept in this database.
    pub fn form_nonces(&self) -> PgFormNonces {
        PgFormNonces {
            pool: self.pool.clone(),
        }
    }

    /// The investigator login throttle's counts kept in this database.
    pub fn login_failures(&self) -> PgLoginFailures {
        PgLoginFailures {
            pool: self.pool.clone(),
        }
    }

    /// The alerts' counters and claims kept in this database.
    pub fn alert_counts(&self) -> PgAlertCounts {
        PgAlertCounts {
            pool: self.pool.clone(),
        }
    }
}

impl PgStore {
    /// How many rows each record table holds (evidence files: those a message lists), to
    /// check a copy against its source (`quietline migrate-store`).
    pub fn table_counts(&self) -> StoreResult<super::TableCounts> {
        let row = self
            .pool
            .get()?
            .query_one(
                "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM thread),
                        (SELECT count(*) FROM notes), (SELECT count(*) FROM wraps),
                        (SELECT count(*) FROM blobs WHERE case_id IS NOT NULL),
                        (SELECT count(*) FROM audit), (SELECT count(*) FROM investigators)",
                &[],
            )
            .map_err(failed)?;
        let n = |i: usize| u64::try_from(row.get::<_, i64>(i)).unwrap_or(0);
        Ok(super::TableCounts {
            cases: n(0),
            entries: n(1),
            notes: n(2),
            wraps: n(3),
            blobs: n(4),
            audit: n(5),
            investigators: n(6),
        })
    }
}

/// What a client error means to the service. Connection failures, timeouts, a server
/// shutting down or out of resources are [`StoreError::Unavailable`] (503, try again);
/// the rest are internal errors. The server's message is kept (it names constraints and
/// states, never values: statements are parameterised).
fn failed(e: postgres::Error) -> StoreError {
    use postgres::error::SqlState;
    let Some(db) = e.as_db_error() else {
        // No server answer: the connection failed, closed or timed out.
        return StoreError::Unavailable(e.to_string());
    };
    let code = db.code();
    let class = &code.code()[..2];
    if matches!(class, "08" | "53" | "57" | "58")
        || *code == SqlState::QUERY_CANCELED
        || *code == SqlState::LOCK_NOT_AVAILABLE
    {
        return StoreError::Unavailable(db.message().to_owned());
    }
    StoreError::Io(std::io::Error::other(format!(
        "database error {}: {}",
        code.code(),
        db.message()
    )))
}

fn encode<T: Serialize>(value: &T) -> StoreResult<Vec<u8>> {
    postcard::to_stdvec(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> StoreResult<T> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}
