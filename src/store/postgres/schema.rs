//! The database schema, as versioned migrations applied at start.
//!
//! Each migration is an embedded SQL string with a number; `schema_migrations` records
//! the ones applied. They run in one transaction under a session advisory lock, so that
//! two instances starting together apply each migration once: the second waits, then
//! finds nothing left to do. A database whose newest applied migration is newer than
//! this binary knows is refused, as sled refuses a newer store format.
//!
//! What is in clear here is what is in clear in sled: record bytes are the same postcard
//! encoding (bytea); lookup ids, case ids, holder names and sequence numbers are keys in
//! both. The three `t*` columns are the case record's triage key (urgency, next deadline,
//! received day: all inside the record in clear in sled too), so that the case list is an
//! index scan.

use postgres::Client;

use crate::store::{StoreError, StoreResult};

/// Key of the advisory lock taken while migrating ("qlmigrat" in ASCII).
const MIGRATION_LOCK: i64 = 0x716c_6d69_6772_6174;

/// The migrations, in order; never edit one that was released, add the next.
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        "CREATE TABLE meta (key text PRIMARY KEY, value bytea NOT NULL);
     CREATE TABLE cases (
         id bytea PRIMARY KEY,
         lookup bytea NOT NULL UNIQUE,
         record bytea NOT NULL,
         t0 smallint NOT NULL,
         t1 integer NOT NULL,
         t2 integer NOT NULL,
         closed_on bytea
     );
     CREATE INDEX cases_triage ON cases (t0, t1, t2, id);
     CREATE TABLE wraps (
         case_id bytea NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
         holder bytea NOT NULL,
         wrap bytea NOT NULL,
         PRIMARY KEY (case_id, holder)
     );
     CREATE INDEX wraps_holder ON wraps (holder);
     CREATE TABLE thread (
         case_id bytea NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
         seq bigint NOT NULL,
         entry bytea NOT NULL,
         PRIMARY KEY (case_id, seq)
     );
     CREATE TABLE notes (
         case_id bytea NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
         seq bigint NOT NULL,
         entry bytea NOT NULL,
         PRIMARY KEY (case_id, seq)
     );
     CREATE TABLE investigators (name text PRIMARY KEY, record bytea NOT NULL);
     CREATE TABLE seen (
         name text NOT NULL,
         case_id bytea NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
         entries bigint NOT NULL,
         PRIMARY KEY (name, case_id)
     );
     CREATE TABLE audit (seq bigint PRIMARY KEY, entry bytea NOT NULL);
     CREATE TABLE backup_recipients (recipient text PRIMARY KEY);
     -- An evidence file: case_id is set when the message that carries it is committed.
     CREATE TABLE blobs (
         id bytea PRIMARY KEY,
         case_id bytea REFERENCES cases (id) ON DELETE CASCADE,
         complete boolean NOT NULL DEFAULT false
     );
     CREATE TABLE blob_chunks (
         blob bytea NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
         seq integer NOT NULL,
         bytes bytea NOT NULL,
         PRIMARY KEY (blob, seq)
     );",
    ),
    (
        2,
        // The day an upload started (as a blob file's day-rounded time in sled), so that
        // the start-up sweep can tell an upload abandoned by a killed instance from one
        // that another instance is writing now.
        "ALTER TABLE blobs ADD COLUMN started integer;",
    ),
    (
        3,
        // Investigator sessions shared by the instances (`sessions.rs`): the digest of
        // the session id, never the id; the limits are seconds since the Unix epoch.
        "CREATE TABLE investigator_sessions (
             digest bytea PRIMARY KEY,
             name text NOT NULL,
             idle_until bigint NOT NULL,
             ends_at bigint NOT NULL
         );
         CREATE INDEX investigator_sessions_name ON investigator_sessions (name);",
    ),
    (
        4,
        // Single-use form nonces shared by the instances (`nonces.rs`): the digest of the
        // nonce, and its expiry as a ten-minute slot.
        "CREATE TABLE form_nonces (digest bytea PRIMARY KEY, expires bigint NOT NULL);
         CREATE INDEX form_nonces_expires ON form_nonces (expires);",
    ),
    (
        5,
        // Reporter sessions shared by the instances (`reporter_sessions.rs`): the digest
        // of the session id, a slot only case-key holders compute (one session per case),
        // the case sealed to the session's bearer, the token's hashed fingerprint and the
        // case sealed to it (take-over on the same process), and limits in minutes.
        "CREATE TABLE reporter_sessions (
             digest bytea PRIMARY KEY,
             slot bytea NOT NULL UNIQUE,
             sealed bytea NOT NULL,
             token_lookup bytea NOT NULL,
             by_token bytea NOT NULL,
             idle_until bigint NOT NULL,
             ends_at bigint NOT NULL
         );
         CREATE INDEX reporter_sessions_token ON reporter_sessions (token_lookup);",
    ),
    (
        6,
        // What the instances share beyond records (`shared_state.rs`): the investigator
        // login throttle, by a keyed digest of the typed name (never the name), with its
        // failures and the second of the latest; the alert counters, one row per kind
        // and nothing else (no case, no time); and the claims that let one instance
        // alone send each scheduled alert, by kind and slot number.
        "CREATE TABLE login_failures (
             digest bytea PRIMARY KEY,
             failures integer NOT NULL,
             last bigint NOT NULL
         );
         CREATE INDEX login_failures_last ON login_failures (last);
         CREATE TABLE alert_counts (kind text PRIMARY KEY, n bigint NOT NULL);
         INSERT INTO alert_counts (kind, n)
             VALUES ('urgent', 0), ('new_reports', 0), ('reporter_messages', 0);
         CREATE TABLE alert_claims (
             kind text NOT NULL,
             slot bigint NOT NULL,
             PRIMARY KEY (kind, slot)
         );",
    ),
];

/// Applies the migrations this database lacks; returns the schema version in force.
pub fn migrate(client: &mut Client) -> StoreResult<i32> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .map_err(super::failed)?;
    let result = migrate_locked(client);
    // Released also when the session ends, if this fails.
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    let version = result?;
    unlocked.map_err(super::failed)?;
    Ok(version)
}

fn migrate_locked(client: &mut Client) -> StoreResult<i32> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .map_err(super::failed)?;
    let newest: Option<i32> = client
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .map_err(super::failed)?
        .get(0);
    let newest = newest.unwrap_or(0);
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if newest > known {
        return Err(StoreError::TooNew {
            found: newest as u32,
            known: known as u32,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > newest) {
        let mut tx = client.transaction().map_err(super::failed)?;
        tx.batch_execute(sql).map_err(super::failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[version],
        )
        .map_err(super::failed)?;
        tx.commit().map_err(super::failed)?;
        tracing::info!(version, "database migration applied");
    }
    Ok(known)
}
