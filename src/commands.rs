//! What each command does. `main` parses the command line and calls one of these.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use zeroize::Zeroizing;

use crate::alerts::{self, Alerts, Channel};
use crate::audit::Action;
use crate::case::Role;
use crate::cli::{AdminCommand, RoleArg};
use crate::config::ServeConfig;
use crate::crypto::identity_file::{self, ScryptWork};
use crate::crypto::{DeploymentSalt, InvestigatorIdentity, KdfParams, KdfSettings};
use crate::http::{self, AppState, Services};
use crate::service::{
    Accounts, Backups, Cases, Clock, Health, Reporting, Retention, SessionLimits, clock,
};
use crate::store::{MAX_DAYS_AHEAD, OpenOptions, SledStore, Store, StoreError};

/// Name under which `serve --demo` registers its throwaway investigator.
const DEMO_INVESTIGATOR: &str = "demo";
/// Audit actor of administrator commands run on the server's command line.
const ADMIN_CLI: &str = "admin-cli";
/// Command-line account work opens no sessions; any limits do.
const DESK_SESSIONS_FOR_CLI: SessionLimits = SessionLimits {
    idle: std::time::Duration::from_secs(1),
    max: std::time::Duration::from_secs(1),
};

pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    config.validate().map_err(anyhow::Error::msg)?;
    let dir = config.data_dir.path.clone();
    let options = OpenOptions {
        accept_loss: config.accept_data_loss,
        min_free_bytes: config.min_free_bytes,
        ..OpenOptions::default()
    };
    let clock = clock::for_serve();
    // Only serve sweeps evidence files, once, before any upload can start.
    let store = tokio::task::spawn_blocking(move || {
        let store = SledStore::open_with(&dir, options)?;
        store.sweep()?;
        Ok::<_, crate::store::StoreError>(store)
    })
    .await??;
    accept_what_was_asked(&store, &config, &*clock)?;
    let store: Arc<dyn Store> = Arc::new(store);

    let proposed = KdfSettings {
        salt: DeploymentSalt::generate(),
        params: config.kdf_params(),
    };
    proposed.validate()?;
    let kdf = store.init_kdf(proposed)?;
    if kdf.params != proposed.params {
        tracing::warn!(
            "this deployment's KDF parameters were fixed at its first start and differ from the configured ones; using the stored ones"
        );
    }
    check_investigators(&store, &config)?;
    let alerts = Alerts::start(alert_settings(&config)?, store.clone());

    let health = Arc::new(Health::new(store.clone(), clock.clone()));
    let (backups, retention) = upkeep_services(&config, &store, &clock)?;
    let services = Services {
        accounts: Accounts::new(
            store.clone(),
            KdfParams::default(),
            config.investigator_sessions(),
            clock.clone(),
        )?,
        cases: Cases::new(store.clone(), clock.clone()),
        reporting: Reporting::new(store, kdf, config.deadlines(), config.message_limits()),
        clock,
        health: health.clone(),
        backups: backups.clone(),
        alerts: alerts.clone(),
    };
    let state = Arc::new(AppState::new(services, &config));
    spawn_upkeep(&config, state.clone(), backups, retention);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    // Tests and scripts read this line to find the port when --listen asks for port 0.
    println!("quietline listening on http://{address}");
    let investigators = match config.investigator_listen {
        Some(at) => {
            let listener = tokio::net::TcpListener::bind(at)
                .await
                .with_context(|| format!("cannot listen on {at}"))?;
            println!(
                "quietline investigator API listening on http://{}",
                listener.local_addr()?
            );
            Some(listener)
        }
        None => None,
    };
    std::io::stdout().flush()?;
    let (store_failed, failed) = tokio::sync::oneshot::channel();
    let watchdog = tokio::spawn(watch_store(health.clone(), store_failed));
    let shutdown = async move {
        tokio::select! {
            () = crate::serving::shutdown_signal() => {}
            _ = failed => tracing::error!("stopping the service: its store can no longer write"),
        }
    };
    http::serve(listener, investigators, state, &config, shutdown).await?;
    watchdog.abort();
    alerts.stop();
    if let Some(why) = health.failure() {
        // Non-zero, so that systemd (Restart=on-failure) or the container restarts us.
        bail!("stopped because the store can no longer write ({why}); start quietline again");
    }
    tracing::info!("stopped");
    Ok(())
}

/// How often the watchdog looks at the store's state (a flag: cheap).
const WATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// How often it makes a small durable write, so that a store that can no longer write
/// is found even when nobody writes.
const PROBE_EVERY: u32 = 30;

/// Resolves `failed` once the store has failed (an I/O error, or a write that hung for
/// `store::STALL_LIMIT`), so that `serve` stops and exits non-zero.
async fn watch_store(health: Arc<Health>, failed: tokio::sync::oneshot::Sender<()>) {
    let mut every = tokio::time::interval(WATCH_EVERY);
    let mut probe: Option<tokio::task::JoinHandle<()>> = None;
    for tick in 0u32.. {
        every.tick().await;
        if health.failure().is_some() {
            let _ = failed.send(());
            return;
        }
        // One probe at a time: a probe that hangs is what the stall check notices.
        if tick % PROBE_EVERY == PROBE_EVERY - 1 && probe.as_ref().is_none_or(|p| p.is_finished()) {
            let health = health.clone();
            probe = Some(tokio::task::spawn_blocking(move || health.probe_write()));
        }
    }
}

/// Applies `--accept-data-loss` and `--accept-clock`, loudly and in the audit log, and
/// warns at start about a clock that the store's newest day says is wrong.
fn accept_what_was_asked(
    store: &SledStore,
    config: &ServeConfig,
    clock: &dyn clock::Clock,
) -> anyhow::Result<()> {
    if config.accept_data_loss {
        match store.accepted_loss() {
            Some((held, mark)) => {
                tracing::error!(
                    "--accept-data-loss: serving a store that lost data: it holds {}, but it \
                     had acknowledged {}. Reporters of the lost cases will be told their \
                     token matches nothing. Its high-water mark now matches what it holds.",
                    held.describe(),
                    mark.describe()
                );
                audit_admin(
                    store,
                    clock,
                    Action::DataLossAccepted,
                    &format!("held {}; had {}", held.describe(), mark.describe()),
                )?;
            }
            None => tracing::warn!(
                "--accept-data-loss was given, but the store lost nothing: remove the flag"
            ),
        }
    }
    let today = clock.today();
    let Some(newest) = store.newest_day() else {
        return Ok(());
    };
    let wrong = if today < newest {
        Some(StoreError::ClockBehind { today, newest })
    } else if newest.days_until(today) > MAX_DAYS_AHEAD {
        Some(StoreError::ClockAhead { today, newest })
    } else {
        None
    };
    match (wrong, config.accept_clock) {
        (None, false) => {}
        (None, true) => tracing::info!("the clock agrees with the store; nothing to accept"),
        (Some(wrong), false) => tracing::warn!(
            "{wrong}. Writes will be refused with 503 so that no report is dated wrongly for \
             good: fix the clock, or, if it is right, restart with --accept-clock"
        ),
        (Some(wrong), true) => {
            store.accept_clock(today)?;
            tracing::warn!("{wrong}; taking the clock as right, as asked (--accept-clock)");
            audit_admin(
                store,
                clock,
                Action::ClockAccepted,
                &format!("clock {today}; newest stored day {newest}"),
            )?;
        }
    }
    Ok(())
}

/// Appends an action of the administrator who started `serve` to the audit chain.
fn audit_admin(
    store: &SledStore,
    clock: &dyn clock::Clock,
    action: Action,
    detail: &str,
) -> anyhow::Result<()> {
    crate::service::record_audit(store, clock, ADMIN_CLI, action, None, detail)?;
    Ok(())
}

/// The alert channels of `serve`, checked at start so that a typo fails now rather than
/// at the first urgent report.
fn alert_settings(config: &ServeConfig) -> anyhow::Result<alerts::Settings> {
    let mut channels = Vec::new();
    if let Some(url) = &config.alert_smtp {
        let password = config
            .alert_smtp_password_file
            .as_deref()
            .map(read_password_file)
            .transpose()?;
        let smtp = alerts::channels::Smtp::parse(
            url,
            password,
            config.alert_from.as_deref(),
            &config.alert_to,
        )
        .map_err(anyhow::Error::msg)?;
        channels.push(Channel::Mail(smtp));
    }
    if let Some(url) = &config.alert_webhook {
        let hook = alerts::channels::Webhook::parse(url).map_err(anyhow::Error::msg)?;
        channels.push(Channel::Webhook(hook));
    }
    Ok(alerts::Settings {
        channels,
        // Checked by `ServeConfig::validate`.
        language: crate::i18n::Lang::from_code(&config.alert_language)
            .unwrap_or(crate::i18n::Lang::En),
        digest_every: alerts::parse_period(&config.alert_digest_every)
            .map_err(anyhow::Error::msg)?,
        deadline_hour: config.alert_deadline_hour,
    })
}

/// Reads the SMTP password: the file's first line. Refuses a file others may read.
fn read_password_file(path: &Path) -> anyhow::Result<Zeroizing<String>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .with_context(|| format!("cannot read --alert-smtp-password-file {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            bail!(
                "--alert-smtp-password-file {} can be read by other users; chmod 600 it",
                path.display()
            );
        }
    }
    let text =
        Zeroizing::new(std::fs::read_to_string(path).with_context(|| {
            format!("cannot read --alert-smtp-password-file {}", path.display())
        })?);
    let password = Zeroizing::new(text.lines().next().unwrap_or_default().to_owned());
    if password.is_empty() {
        bail!("--alert-smtp-password-file {} is empty", path.display());
    }
    Ok(password)
}

/// Refuses to run without someone able to read reports, and keeps demo keys and real
/// ones apart: a throwaway identity must never receive a real report.
fn check_investigators(store: &Arc<dyn Store>, config: &ServeConfig) -> anyhow::Result<()> {
    let investigators = store.investigators()?;
    let has_demo = investigators.iter().any(|i| i.demo);
    let has_real = investigators.iter().any(|i| !i.demo);
    let identity_file = demo_identity_path(&config.data_dir.path);
    if config.demo {
        if has_real {
            bail!(
                "--demo refuses a data directory with real investigators; use another --data-dir"
            );
        }
        if !has_demo {
            register_demo_investigator(store.clone(), &identity_file)?;
        }
        eprintln!(
            "\n*** DEMO MODE: for trying quietline out only. ***\n\
             *** Reports are encrypted to a throwaway investigator identity in {} ***\n\
             *** Never give this address to a real reporter. ***\n",
            identity_file.display()
        );
        return Ok(());
    }
    if has_demo {
        bail!(
            "this data directory was used with --demo and holds a throwaway investigator; \
             start with a fresh --data-dir for real use"
        );
    }
    if !investigators.iter().any(|i| i.can_log_in()) && investigators.iter().any(|i| i.enabled) {
        tracing::warn!(
            "no investigator has enrolled yet: reports are refused until one does (new cases \
             are wrapped to enrolled investigators only)"
        );
    }
    if !investigators.iter().any(|i| i.enabled) {
        bail!(
            "no investigator is registered, so reports could not be encrypted.\n\
             Register one: quietline admin add-investigator --name NAME --recipient age1... \
             (the recipient comes from `quietline keygen` on the investigator's machine),\n\
             or try it out: quietline serve --demo"
        );
    }
    Ok(())
}

/// The demo identity sits beside the data directory, never inside it: a data directory
/// must never hold a private key.
fn demo_identity_path(data_dir: &Path) -> PathBuf {
    let name = data_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "quietline-data".into());
    data_dir.with_file_name(format!("{name}.demo-investigator-identity.txt"))
}

fn register_demo_investigator(store: Arc<dyn Store>, path: &Path) -> anyhow::Result<()> {
    let identity = InvestigatorIdentity::generate();
    // A throwaway passphrase, printed once: the desk only reads protected identities.
    let passphrase = crate::crypto::CaseToken::generate().grouped();
    write_protected_identity(path, &identity, &passphrase)?;
    let accounts = cli_accounts(store)?;
    let secret = accounts.add_investigator(
        ADMIN_CLI,
        DEMO_INVESTIGATOR,
        &identity.recipient().to_string(),
        Role::Admin,
        true,
    )?;
    eprintln!(
        "Demo investigator {DEMO_INVESTIGATOR:?} registered (shown once, write them down to try the desk):\n  \
         enrolment secret:    {}\n  identity passphrase: {}",
        secret.as_str(),
        passphrase.as_str()
    );
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

/// Reads a passphrase: from the terminal without echo, or one line of standard input when
/// it is not a terminal (scripts, tests).
fn read_passphrase(prompt: &str) -> anyhow::Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        return Ok(Zeroizing::new(rpassword::prompt_password(prompt)?));
    }
    let mut line = Zeroizing::new(String::new());
    std::io::stdin().lock().read_line(&mut line)?;
    let trimmed = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
    Ok(trimmed)
}

/// Shortest passphrase `keygen` accepts. The identity file is scrypt-protected, but a
/// stolen laptop gives an attacker unlimited offline guesses.
const MIN_PASSPHRASE_CHARS: usize = 12;

/// Writes an identity file as `quietline desk` reads it (`crypto::identity_file`),
/// readable by its owner only.
fn write_protected_identity(
    path: &Path,
    identity: &InvestigatorIdentity,
    passphrase: &str,
) -> anyhow::Result<()> {
    let sealed = identity_file::seal(identity, passphrase, ScryptWork::Calibrated)?;
    write_private_file(path, &sealed).with_context(|| format!("cannot write {}", path.display()))
}

pub fn keygen(out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        bail!(
            "{} exists; choose another --out (keygen never overwrites an identity)",
            out.display()
        );
    }
    let passphrase = read_passphrase("Passphrase for the new identity: ")?;
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        bail!("the passphrase must have at least {MIN_PASSPHRASE_CHARS} characters");
    }
    if std::io::stdin().is_terminal() {
        let again = read_passphrase("The same passphrase again: ")?;
        if again != passphrase {
            bail!("the two passphrases differ; nothing was written");
        }
    }
    let identity = InvestigatorIdentity::generate();
    write_protected_identity(out, &identity, &passphrase)?;
    eprintln!(
        "Identity written to {} (passphrase-protected). Keep it on this machine.\n\
         Give this public recipient to your administrator:",
        out.display()
    );
    println!("{}", identity.recipient());
    Ok(())
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

fn open_accounts(data_dir: &Path) -> anyhow::Result<Accounts> {
    cli_accounts(Arc::new(SledStore::open(data_dir)?))
}

pub fn admin(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::AddInvestigator {
            data_dir,
            name,
            recipient,
            role,
        } => {
            if name == DEMO_INVESTIGATOR {
                bail!("the name {DEMO_INVESTIGATOR:?} is reserved for serve --demo");
            }
            let role = match role {
                RoleArg::Investigator => Role::Investigator,
                RoleArg::Admin => Role::Admin,
            };
            let secret = open_accounts(&data_dir.path)?
                .add_investigator(ADMIN_CLI, &name, &recipient, role, false)?;
            println!("registered {name}; new reports will be encrypted to them too");
            println!("enrolment secret: {}", secret.as_str());
            eprintln!(
                "Give {name} the enrolment secret over a separate channel; it works once, with\n\
                 `quietline enrol --server URL --name {name}`, where they set a password and a\n\
                 second factor."
            );
        }
        AdminCommand::SetRecoveryRecipient {
            data_dir,
            recipient,
        } => {
            let fingerprint =
                open_accounts(&data_dir.path)?.set_recovery_recipient(ADMIN_CLI, &recipient)?;
            println!(
                "recovery recipient set; cases reported from now on are also wrapped to it \
                 (earlier cases are not)"
            );
            println!("fingerprint: {fingerprint}");
            eprintln!(
                "Read this fingerprint out to a second administrator over another channel (a \
                 phone call): their desk shows the recovery recipient's fingerprint in the same \
                 form, and the change is in the audit log."
            );
        }
        AdminCommand::AddBackupRecipient {
            data_dir,
            recipient,
        } => add_backup_recipient(&data_dir.path, &recipient)?,
        AdminCommand::ListInvestigators { data_dir } => {
            let store = SledStore::open(&data_dir.path)?;
            for i in store.investigators()? {
                let state = if i.enabled { "enabled" } else { "disabled" };
                let enrolled = if i.credentials.totp_confirmed {
                    "enrolled"
                } else {
                    "not enrolled"
                };
                let demo = if i.demo { " (demo)" } else { "" };
                println!(
                    "{}\t{}\t{state}, {enrolled}{demo}\t{}\tsince {}",
                    i.name,
                    i.role.as_str(),
                    i.recipient,
                    i.added
                );
            }
        }
        AdminCommand::DisableInvestigator { data_dir, name } => {
            open_accounts(&data_dir.path)?.disable(ADMIN_CLI, &name)?;
            println!("disabled {name}; their sessions have ended");
        }
        AdminCommand::RemoveInvestigator { data_dir, name } => {
            if !open_accounts(&data_dir.path)?.remove(ADMIN_CLI, &name)? {
                bail!("no investigator named {name:?}");
            }
            println!("removed {name} and every case-key wrap they held");
        }
    }
    Ok(())
}

/// Recomputes the audit chain and names the first entry that does not fit; with
/// `expect`, also fails unless the chain still holds that head (kept off the server).
pub fn audit_verify(data_dir: &Path, expect: Option<&str>) -> anyhow::Result<()> {
    let hex = |h: &[u8; 32]| h.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let store = SledStore::open(data_dir)?;
    let Some(expect) = expect else {
        let (count, head) = crate::audit::verify(store.audit_entries()?)?;
        println!(
            "audit log intact: {count} entries; chain head {}",
            hex(&head)
        );
        return Ok(());
    };
    let Some(expected) = crate::audit::parse_head(expect) else {
        bail!("--expect takes a chain head as `audit verify` prints it: 64 hex digits");
    };
    let checked = crate::audit::verify_expecting(store.audit_entries()?, &expected)?;
    let Some(at) = checked.expected_at else {
        bail!(
            "the audit log does NOT hold the expected head {expect}: its {} entries end at \
             head {}. Entries were deleted from its end, or the chain was rewritten. Keep \
             the data directory as it is, and compare with the backups and the heads kept \
             elsewhere to find when.",
            checked.count,
            hex(&checked.head)
        );
    };
    println!(
        "audit log intact: {} entries; chain head {}; it holds the expected head at entry \
         {at} ({} entries since)",
        checked.count,
        hex(&checked.head),
        checked.count - at - 1
    );
    Ok(())
}

/// How often retention runs after its run at start.
const RETENTION_EVERY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The backup and retention services of `serve`. They share one lock, so that a purge
/// never deletes an evidence file that a snapshot is copying.
fn upkeep_services(
    config: &ServeConfig,
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
) -> anyhow::Result<(Arc<Backups>, Option<Arc<Retention>>)> {
    config.validate_upkeep().map_err(anyhow::Error::msg)?;
    let upkeep = Arc::new(std::sync::Mutex::new(()));
    let backups = Arc::new(Backups::new(
        store.clone(),
        clock.clone(),
        config.backup_dir.clone(),
        config.backup_keep,
        upkeep.clone(),
    ));
    if config.backup_dir.is_some() && store.backup_recipients()?.is_empty() {
        bail!(
            "--backup-dir is set but no backup recipient is registered, so no backup could \
             be encrypted. Register one first: quietline admin add-backup-recipient \
             --recipient age1..."
        );
    }
    let retention = config.retention_days.map(|days| {
        Arc::new(Retention::new(
            store.clone(),
            clock.clone(),
            crate::case::Retention {
                days_after_closure: days,
            },
            upkeep,
        ))
    });
    Ok((backups, retention))
}

/// Starts the scheduled jobs: retention at once and then daily, backups every
/// `--backup-every` from one period after start (not at start: a service that restarts
/// in a loop must not rotate its good backups out). A failed run is logged and tried
/// again at the next period; the service goes on serving.
fn spawn_upkeep(
    config: &ServeConfig,
    state: Arc<AppState>,
    backups: Arc<Backups>,
    retention: Option<Arc<Retention>>,
) {
    use tokio::time::{Instant, MissedTickBehavior, interval_at};
    if let Some(retention) = retention {
        tokio::spawn(async move {
            let mut every = interval_at(Instant::now(), RETENTION_EVERY);
            every.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let job = retention.clone();
                match tokio::task::spawn_blocking(move || job.run()).await {
                    Ok(Ok(run)) => state.end_reporter_sessions(&run.cases),
                    Ok(Err(e)) => tracing::error!(
                        error = %e,
                        "retention run failed; the cases due are kept until the next run"
                    ),
                    Err(e) => tracing::error!(error = %e, "retention run did not complete"),
                }
            }
        });
    }
    if config.backup_dir.is_some() {
        let period = config.backup_every;
        tokio::spawn(async move {
            let mut every = interval_at(Instant::now() + period, period);
            every.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let job = backups.clone();
                match tokio::task::spawn_blocking(move || job.take(SCHEDULE)).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "scheduled backup failed"),
                    Err(e) => tracing::error!(error = %e, "scheduled backup did not complete"),
                }
            }
        });
    }
}

/// Audit actor of scheduled backups.
const SCHEDULE: &str = "schedule";

fn add_backup_recipient(data_dir: &Path, recipient: &str) -> anyhow::Result<()> {
    let store: Arc<dyn Store> = Arc::new(SledStore::open(data_dir)?);
    let backups = Backups::new(
        store,
        clock::system(),
        None,
        1,
        Arc::new(std::sync::Mutex::new(())),
    );
    if backups.add_recipient(ADMIN_CLI, recipient)? {
        println!("backup recipient registered; backups written from now on are encrypted to it");
    } else {
        println!("this backup recipient was already registered");
    }
    Ok(())
}

/// Reads a backup identity: a plain age identity file, or a passphrase-protected one as
/// `quietline keygen` writes.
fn read_backup_identity(path: &Path) -> anyhow::Result<InvestigatorIdentity> {
    let bytes = Zeroizing::new(
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
    );
    if bytes.starts_with(b"age-encryption.org/") {
        let locked = identity_file::LockedIdentity::new(bytes.to_vec())
            .with_context(|| format!("{}", path.display()))?;
        let passphrase = read_passphrase("Passphrase of the backup identity: ")?;
        return locked
            .unlock(&passphrase)
            .with_context(|| format!("{}", path.display()));
    }
    let text = std::str::from_utf8(&bytes)
        .ok()
        .with_context(|| format!("{} is not an age identity file", path.display()))?;
    InvestigatorIdentity::parse(text).with_context(|| {
        format!(
            "{} holds no age identity (expected AGE-SECRET-KEY-1... or a file from quietline keygen)",
            path.display()
        )
    })
}

/// Restores a backup into an empty directory, then opens the result as `serve` would
/// (which checks it against the restored high-water mark), verifies the audit chain and
/// prints what it holds.
pub fn restore(from: &Path, identity: &Path, data_dir: &Path) -> anyhow::Result<()> {
    let is_empty = match std::fs::read_dir(data_dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", data_dir.display())),
    };
    if !is_empty {
        bail!(
            "{} is not empty; restore only into a new or empty directory (nothing was changed)",
            data_dir.display()
        );
    }
    let identity = read_backup_identity(identity)?;
    let file =
        std::fs::File::open(from).with_context(|| format!("cannot open {}", from.display()))?;
    let decryptor = age::Decryptor::new(std::io::BufReader::with_capacity(1024 * 1024, file))
        .with_context(|| format!("{} is not an age-encrypted backup", from.display()))?;
    let mut plain = decryptor
        .decrypt(std::iter::once(identity.as_age()))
        .with_context(|| {
            format!(
                "{} does not open with this identity: was it encrypted to another backup recipient?",
                from.display()
            )
        })?;
    let summary = crate::store::restore_snapshot(&mut plain, data_dir).with_context(|| {
        format!(
            "restoring {} into {} failed; delete {} before trying again",
            from.display(),
            data_dir.display(),
            data_dir.display()
        )
    })?;
    let store = SledStore::open(data_dir).context("the restored store does not open")?;
    let (audit, head) = crate::audit::verify(store.audit_entries()?)
        .context("the restored audit chain does not verify")?;
    let cases = store.case_count()? as u64;
    if cases != summary.counts.cases || audit != summary.counts.audit {
        bail!(
            "the restored store holds {cases} cases and {audit} audit entries, but the backup \
             recorded {}",
            summary.counts.describe()
        );
    }
    let evidence = crate::store::Blobs::open_unreserved(data_dir)?.count()? as u64;
    if evidence != summary.evidence_files {
        bail!(
            "{evidence} evidence files were restored, but the backup holds {}",
            summary.evidence_files
        );
    }
    let head: String = head.iter().map(|b| format!("{b:02x}")).collect();
    println!("restored {} into {}", from.display(), data_dir.display());
    println!("holds: {}", summary.counts.describe());
    println!(
        "evidence files: {} ({} bytes)",
        summary.evidence_files, summary.evidence_bytes
    );
    println!("high-water mark: checked, the store holds what the backup recorded");
    println!("audit log intact: {audit} entries; chain head {head}");
    Ok(())
}
