//! `quietline serve`: open the store, check what must hold before taking reports, wire the
//! service, and run it with its watchdog, alerts, backups and retention.

use super::admin::write_protected_identity;
use super::*;
use crate::service::Rewrites;
use crate::service::accounts::{InvestigatorSessions, MemorySessions};

/// The deployment's token-check key, made at the first start that needs one. A store that
/// already holds cases then may hold tokens issued without a check, and keeps reading
/// them; a store without cases never will.
fn token_check_key(store: &Arc<dyn Store>) -> anyhow::Result<crate::crypto::TokenCheckKey> {
    let mut has_cases = false;
    store.visit_cases(&mut |_, _| {
        has_cases = true;
        false
    })?;
    let key = store.init_token_key(crate::crypto::TokenCheckKey::generate(has_cases))?;
    if key.legacy_tokens() {
        tracing::info!(
            "case tokens issued before the token check still open their cases, in a lane of their own"
        );
    }
    Ok(key)
}

pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    config.validate().map_err(anyhow::Error::msg)?;
    let clock = clock::for_serve();
    let (store, shared) = open_serve_store(&config, &*clock).await?;
    // The store's calls block (the PostgreSQL client runs its own small runtime, which
    // must not start on an async worker): the set-up below leaves the async workers.
    let (services, backups, retention, rewrites, alerts, health, nonce_key) =
        tokio::task::block_in_place(|| {
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
            let token_key = token_check_key(&store)?;
            let nonce_key = crate::http::NonceKey::derive(&token_key);
            check_investigators(&store, &config)?;
            let alerts = Alerts::start(alert_settings(&config)?, store.clone(), shared.alerts);

            let health = Arc::new(Health::new(store.clone(), clock.clone()));
            let UpkeepServices {
                backups,
                retention,
                rewrites,
            } = upkeep_services(&config, &store, &clock)?;
            let mut accounts = Accounts::new(
                store.clone(),
                KdfParams::default(),
                config.investigator_sessions(),
                clock.clone(),
            )?
            .with_sessions(shared.investigator_sessions);
            if let Some(failures) = shared.login_failures {
                let key = crate::service::throttle::NameKey::derive(&token_key);
                accounts = accounts.with_shared_throttle(failures, key);
            }
            let services = Services {
                accounts,
                cases: Cases::new(store.clone(), clock.clone()),
                reporting: Reporting::new(
                    store,
                    kdf,
                    token_key,
                    config.deadlines(),
                    config.message_limits(),
                ),
                clock,
                health: health.clone(),
                backups: backups.clone(),
                alerts: alerts.clone(),
            };
            Ok::<_, anyhow::Error>((
                services, backups, retention, rewrites, alerts, health, nonce_key,
            ))
        })?;
    let mut state = AppState::new(services, &config);
    if let Some(nonces) = shared.form_nonces {
        state = state.with_shared_form_nonces(nonces, nonce_key);
    }
    if let Some(sessions) = shared.reporter_sessions {
        state = state.with_shared_reporter_sessions(sessions);
    }
    let state = Arc::new(state);
    spawn_upkeep(&config, state.clone(), backups, retention, rewrites);
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

/// Where investigator and reporter sessions, form nonces, login throttle counts and alert
/// counts live: in the database on PostgreSQL, shared by the instances; in this process's
/// memory on sled, which keeps them off disk (SECURITY.md).
struct Shared {
    investigator_sessions: Box<dyn InvestigatorSessions>,
    /// `None`: in memory.
    form_nonces: Option<Box<dyn crate::http::SharedNonces>>,
    /// `None`: in memory.
    reporter_sessions: Option<Box<dyn crate::service::sessions::SharedReporterSessions>>,
    /// `None`: in memory.
    login_failures: Option<Box<dyn crate::service::throttle::SharedLoginFailures>>,
    /// `None`: in memory.
    alerts: Option<Arc<dyn crate::alerts::SharedAlertCounts>>,
}

/// Opens the store `serve` runs on: PostgreSQL with a database URL (migrated under an
/// advisory lock, so that instances may start together), else sled in the data
/// directory, checked and swept before any upload can start. With it comes where the
/// state of sessions and forms lives (see [`Shared`]).
async fn open_serve_store(
    config: &ServeConfig,
    clock: &dyn clock::Clock,
) -> anyhow::Result<(Arc<dyn Store>, Shared)> {
    if let Some(url) = config.data_dir.database().map_err(anyhow::Error::msg)? {
        // The data directory still holds what is local to this instance (the demo
        // identity beside it, its high-water mark, backups if configured), never the store.
        crate::store::create_private_dir(&config.data_dir.path)?;
        let today = clock.today();
        let (dir, accept_loss) = (config.data_dir.path.clone(), config.accept_data_loss);
        let store = tokio::task::spawn_blocking(move || {
            let store = PgStore::open_serving(&url, &dir, accept_loss)?;
            store.sweep(today)?;
            Ok::<_, crate::store::StoreError>(store)
        })
        .await??;
        tokio::task::block_in_place(|| {
            accept_loss_if_asked(&store, store.accepted_loss(), config, clock)?;
            accept_clock_if_asked(
                &store,
                store.newest_day()?,
                &|today| store.accept_clock(today),
                config,
                clock,
            )
        })?;
        let shared = Shared {
            investigator_sessions: Box::new(store.investigator_sessions()),
            form_nonces: Some(Box::new(store.form_nonces())),
            reporter_sessions: Some(Box::new(store.reporter_sessions())),
            login_failures: Some(Box::new(store.login_failures())),
            alerts: Some(Arc::new(store.alert_counts())),
        };
        return Ok((Arc::new(store), shared));
    }
    let dir = config.data_dir.path.clone();
    let options = OpenOptions {
        accept_loss: config.accept_data_loss,
        min_free_bytes: config.min_free_bytes,
        ..OpenOptions::default()
    };
    // Only serve sweeps evidence files, once, before any upload can start.
    let store = tokio::task::spawn_blocking(move || {
        let store = SledStore::open_with(&dir, options)?;
        store.sweep()?;
        Ok::<_, crate::store::StoreError>(store)
    })
    .await??;
    accept_what_was_asked(&store, config, clock)?;
    let local = Shared {
        investigator_sessions: Box::new(MemorySessions::default()),
        form_nonces: None,
        reporter_sessions: None,
        login_failures: None,
        alerts: None,
    };
    Ok((Arc::new(store), local))
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
    accept_loss_if_asked(store, store.accepted_loss(), config, clock)?;
    accept_clock_if_asked(
        store,
        store.newest_day(),
        &|today| store.accept_clock(today),
        config,
        clock,
    )
}

/// Says loudly, and in the audit log, that `--accept-data-loss` opened a store below its
/// high-water mark (`accepted`: what it held, what it had acknowledged); for either backend.
fn accept_loss_if_asked(
    store: &dyn Store,
    accepted: Option<(crate::store::Counts, crate::store::Counts)>,
    config: &ServeConfig,
    clock: &dyn clock::Clock,
) -> anyhow::Result<()> {
    if config.accept_data_loss {
        match accepted {
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
    Ok(())
}

/// Applies `--accept-clock` (loudly and in the audit log), or warns at start about a
/// clock that the store's newest day says is wrong; for either backend.
fn accept_clock_if_asked(
    store: &dyn Store,
    newest: Option<crate::case::Day>,
    accept: &dyn Fn(crate::case::Day) -> crate::store::StoreResult<()>,
    config: &ServeConfig,
    clock: &dyn clock::Clock,
) -> anyhow::Result<()> {
    let today = clock.today();
    let Some(newest) = newest else {
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
            accept(today)?;
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
    if investigators.iter().any(|i| i.can_log_in())
        && !investigators.iter().any(|i| i.receives_wraps())
    {
        tracing::warn!(
            "no enrolled investigator's recipient is confirmed yet: reports are refused until \
             a second administrator confirms one on their desk, or `quietline admin \
             confirm-recipient --fingerprint ...` does on this host"
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

/// The backup, retention and rewrite services of `serve`. They share one lock, so that a
/// purge never deletes an evidence file that a snapshot is copying, and a snapshot
/// never reads a store being swapped.
struct UpkeepServices {
    backups: Arc<Backups>,
    retention: Option<Arc<Retention>>,
    rewrites: Arc<Rewrites>,
}

fn upkeep_services(
    config: &ServeConfig,
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
) -> anyhow::Result<UpkeepServices> {
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
            upkeep.clone(),
        ))
    });
    let rewrites = Arc::new(Rewrites::new(store.clone(), upkeep));
    Ok(UpkeepServices {
        backups,
        retention,
        rewrites,
    })
}

/// Starts the scheduled jobs. Retention runs at once and then every `--rewrite-every`,
/// each run followed by a rewrite of the store (at start only if it purged something:
/// a service that restarts in a loop need not rewrite each time). Backups run every
/// `--backup-every` from one period after start (not at start: a service that restarts
/// in a loop must not rotate its good backups out). A failed run is logged and tried
/// again at the next period; the service goes on serving.
fn spawn_upkeep(
    config: &ServeConfig,
    state: Arc<AppState>,
    backups: Arc<Backups>,
    retention: Option<Arc<Retention>>,
    rewrites: Arc<Rewrites>,
) {
    use tokio::time::{Instant, MissedTickBehavior, interval_at};
    let period = config.rewrite_every;
    tokio::spawn(async move {
        let mut every = interval_at(Instant::now(), period);
        every.set_missed_tick_behavior(MissedTickBehavior::Delay);
        for run in 0u64.. {
            every.tick().await;
            let purged = match retention.clone() {
                Some(job) => match tokio::task::spawn_blocking(move || job.run()).await {
                    Ok(Ok(done)) => {
                        state.end_reporter_sessions(&done.cases);
                        done.purged.cases > 0
                    }
                    Ok(Err(e)) => {
                        tracing::error!(
                            error = %e,
                            "retention run failed; the cases due are kept until the next run"
                        );
                        false
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "retention run did not complete");
                        false
                    }
                },
                None => false,
            };
            if run == 0 && !purged {
                continue;
            }
            let job = rewrites.clone();
            match tokio::task::spawn_blocking(move || job.run()).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(
                    error = %e,
                    "rewriting the store failed; it is kept as it was and rewritten at the next period"
                ),
                Err(e) => tracing::error!(error = %e, "rewriting the store did not complete"),
            }
        }
    });
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
