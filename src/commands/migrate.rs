//! `quietline migrate-store`: moves a sled deployment into an empty PostgreSQL database
//! (issue 14), so that a unit that outgrows one machine keeps its cases, tokens,
//! investigators and audit chain.
//!
//! Everything goes through the [`Store`] trait: read from [`SledStore`], written into
//! [`PgStore`], so that the target holds what its own methods would have written. Where
//! the trait has no way in, small methods were added: the sled store lists its lookup
//! index and its evidence index (`sled_store/export.rs`), and a store may take an
//! evidence file under the id it had before ([`Store::import_blob`]), since messages name
//! their files by id. Audit entries are appended again with their own times, actors and
//! details: the chain's hashes come out the same, which is checked entry by entry.
//!
//! Evidence files are streamed (`io::copy`, one buffer at a time); a case's thread and
//! notes are held in memory one case at a time, as the service itself reads them.
//!
//! The source is opened as the service opens it, so a data directory that a running
//! `serve` holds is refused (sled's lock). A target that already holds cases, audit
//! entries or investigators is refused. After the copy, the row counts of both stores and
//! their audit chain heads are compared and printed.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::config::DataDir;
use crate::crypto::{DeploymentSalt, KdfParams, KdfSettings, TokenCheckKey};
use crate::store::{
    BlobId, CaseId, Holder, NewCase, PgStore, SledStore, Store, TableCounts, Upkeep,
};

/// Where to migrate from and to. The database URL is taken as `serve` takes it: from
/// the flag (without a password), the environment or a file.
#[derive(clap::Args)]
pub struct MigrateArgs {
    /// The sled deployment's data directory (stop `serve` on it first).
    #[arg(long = "from-data-dir", value_name = "DIR")]
    pub from_data_dir: PathBuf,

    /// The empty PostgreSQL database to move it into (postgres://user@host/db). A URL
    /// with a password is accepted from QUIETLINE_DATABASE_URL or the file only.
    #[arg(
        long = "to-database-url",
        env = "QUIETLINE_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true,
        value_parser = crate::store::DatabaseUrl::parse
    )]
    pub to_database_url: Option<crate::store::DatabaseUrl>,

    /// A file (mode 0600) holding the database URL, password included.
    #[arg(
        long = "to-database-url-file",
        env = "QUIETLINE_DATABASE_URL_FILE",
        value_name = "FILE",
        conflicts_with = "to_database_url"
    )]
    pub to_database_url_file: Option<PathBuf>,
}

/// Never prints the database URL (it may hold a password).
impl std::fmt::Debug for MigrateArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MigrateArgs")
            .field("from_data_dir", &self.from_data_dir)
            .field(
                "to_database_url",
                &self.to_database_url.as_ref().map(|_| "(set)"),
            )
            .field("to_database_url_file", &self.to_database_url_file)
            .finish()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn migrate_store(args: MigrateArgs) -> anyhow::Result<()> {
    let target_dir = DataDir {
        path: args.from_data_dir.clone(),
        database_url: args.to_database_url,
        database_url_file: args.to_database_url_file,
    };
    let Some(url) = target_dir.database().map_err(anyhow::Error::msg)? else {
        bail!(
            "name the database to migrate into: --to-database-url, QUIETLINE_DATABASE_URL or \
             --to-database-url-file"
        );
    };
    if !args.from_data_dir.join("store").is_dir() {
        // SledStore::open would make a new, empty store there: there is nothing to move.
        bail!(
            "{} holds no sled store (no store/ in it): nothing to migrate",
            args.from_data_dir.display()
        );
    }
    let source = SledStore::open(&args.from_data_dir)
        .with_context(|| format!("opening {}", args.from_data_dir.display()))?;
    let target = PgStore::open(&url).context("opening the target database")?;
    let held = target.table_counts()?;
    if held.cases > 0 || held.audit > 0 || held.investigators > 0 {
        bail!(
            "the target database is not empty ({} cases, {} audit entries, {} investigators): \
             quietline migrates into an empty database only, and changed nothing",
            held.cases,
            held.audit,
            held.investigators
        );
    }
    copy(&source, &target).context(
        "the migration stopped part way: the database holds part of the deployment, so drop \
         it and create it again (empty) before trying again; the sled store is unchanged",
    )?;
    println!(
        "migrated {} cases from {} into the database; the sled store was left as it was \
         (keep it until the service runs on the database)",
        source.table_counts()?.cases,
        args.from_data_dir.display()
    );
    Ok(())
}

/// Copies everything, then checks the copy.
fn copy(source: &SledStore, target: &PgStore) -> anyhow::Result<()> {
    copy_settings(source, target)?;
    let investigators = source.investigators()?;
    for investigator in &investigators {
        target.add_investigator(investigator.clone())?;
    }
    let names: Vec<String> = investigators.iter().map(|i| i.name.clone()).collect();
    copy_cases(source, target, &names)?;
    let head = copy_audit(source, target)?;
    verify(source, target, head)
}

/// The KDF settings and salt, the token-check key, the recovery and backup recipients.
fn copy_settings(source: &SledStore, target: &PgStore) -> anyhow::Result<()> {
    // Each `init_*` returns the stored value: the source's is read, never replaced.
    let kdf = source.init_kdf(KdfSettings {
        salt: DeploymentSalt::generate(),
        params: KdfParams::default(),
    })?;
    if target.init_kdf(kdf)? != kdf {
        bail!(
            "the target database already has a deployment salt of its own (a service started \
             on it): migrate into a new database"
        );
    }
    let has_cases = source.case_count()? > 0;
    let key = source.init_token_key(TokenCheckKey::generate(has_cases))?;
    let stored = target.init_token_key(
        TokenCheckKey::from_bytes(&*key.to_bytes())
            .context("the source's token-check key cannot be read")?,
    )?;
    if *stored.to_bytes() != *key.to_bytes() {
        bail!("the target database already has a token-check key of its own: use a new database");
    }
    if let Some(recovery) = source.recovery_recipient()? {
        target.set_recovery_recipient(&recovery)?;
    }
    if let Some(proposal) = source.proposed_recovery()? {
        target.set_proposed_recovery(Some(&proposal))?;
    }
    for recipient in source.backup_recipients()? {
        target.add_backup_recipient(&recipient)?;
    }
    Ok(())
}

/// Every case with its wraps, thread, notes, evidence files, seen marks and closure day.
fn copy_cases(source: &SledStore, target: &PgStore, names: &[String]) -> anyhow::Result<u64> {
    let mut blobs: HashMap<CaseId, Vec<BlobId>> = HashMap::new();
    for (blob, case) in source.listed_blobs()? {
        blobs.entry(case).or_default().push(blob);
    }
    let mut copied = 0;
    for (id, lookup) in source.lookups()? {
        let record = source
            .case(id)?
            .with_context(|| format!("the lookup index lists case {id}, which is missing"))?;
        let mut thread = source.thread(id)?.into_iter();
        let report = thread
            .next()
            .with_context(|| format!("case {id} has no report"))?;
        let mut holders = vec![Holder::Reporter, Holder::Recovery];
        for name in record.holders.iter().chain(names) {
            let holder = Holder::Investigator(name.clone());
            if !holders.contains(&holder) {
                holders.push(holder);
            }
        }
        let mut wraps = Vec::new();
        for holder in holders {
            if let Some(wrap) = source.wrap(id, &holder)? {
                wraps.push((holder, wrap));
            }
        }
        let files = blobs.remove(&id).unwrap_or_default();
        for &blob in &files {
            let mut stored = source
                .open_blob(id, blob)?
                .with_context(|| format!("evidence file {blob} of case {id} cannot be opened"))?;
            let mut writer = target.import_blob(blob)?;
            std::io::copy(&mut stored.reader, &mut writer)
                .with_context(|| format!("copying evidence file {blob} of case {id}"))?;
            writer.complete()?;
        }
        // Appending entries and notes numbers them from the record's counts: start from
        // the first entry, then put the record back as it was.
        let mut first = record.clone();
        first.entries = 1;
        first.notes = 0;
        target.create_case(NewCase {
            id,
            lookup,
            record: first,
            wraps,
            report,
            blobs: files,
        })?;
        for entry in thread {
            target.append_entry(id, entry, &[])?;
        }
        for note in source.notes(id)? {
            target.append_note(id, note)?;
        }
        target.update_case(id, &mut |r| {
            *r = record.clone();
            Ok(())
        })?;
        if let Some(day) = source.closed_on(id)? {
            target.set_closed_on(id, Some(day))?;
        }
        for name in names {
            let seen = source.seen(name, id)?;
            if seen > 0 {
                target.mark_seen(name, id, seen)?;
            }
        }
        copied += 1;
        if copied % 1000 == 0 {
            eprintln!("{copied} cases copied");
        }
    }
    if let Some(case) = blobs.keys().next() {
        bail!("the evidence index lists files of case {case}, which the lookup index does not");
    }
    Ok(copied)
}

/// Appends the audit chain again, entry by entry; each must seal to the hash it had.
fn copy_audit(source: &SledStore, target: &PgStore) -> anyhow::Result<[u8; 32]> {
    let entries = source.audit_entries()?;
    let (_, head) = crate::audit::verify(entries.iter().cloned())
        .context("the source's audit chain does not verify: fix that before migrating")?;
    for (seq, bytes) in entries {
        let sealed: crate::audit::Sealed =
            postcard::from_bytes(&bytes).context("an audit entry cannot be read")?;
        let copy = target.append_audit(sealed.entry)?;
        if copy.hash != sealed.hash || copy.entry.seq != seq {
            bail!("audit entry {seq} came out different in the database: migration stopped");
        }
    }
    Ok(head)
}

/// Compares the row counts and the audit chain heads of both stores and prints them.
fn verify(source: &SledStore, target: &PgStore, head: [u8; 32]) -> anyhow::Result<()> {
    let before = source.table_counts()?;
    let after = target.table_counts()?;
    let line = |c: &TableCounts| {
        format!(
            "{} cases, {} entries, {} notes, {} wraps, {} evidence files, {} audit entries, {} \
             investigators",
            c.cases, c.entries, c.notes, c.wraps, c.blobs, c.audit, c.investigators
        )
    };
    println!("sled:       {}", line(&before));
    println!("postgresql: {}", line(&after));
    if before != after {
        bail!("the counts differ: the migration is incomplete; do not serve from the database");
    }
    let (count, copied_head) = crate::audit::verify(target.audit_entries()?)
        .context("the audit chain in the database does not verify")?;
    println!(
        "audit chain head: sled {}, postgresql {}",
        hex(&head),
        hex(&copied_head)
    );
    if copied_head != head || count != before.audit {
        bail!("the audit chain heads differ: do not serve from the database");
    }
    println!(
        "counts equal; audit log intact: {count} entries; chain head {}",
        hex(&head)
    );
    Ok(())
}
