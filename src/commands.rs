//! What each command does. `main` parses the command line and calls one of these.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use zeroize::Zeroizing;

use crate::alerts::{self, Alerts, Channel};
use crate::case::Role;
use crate::cli::{AdminCommand, RoleArg};
use crate::config::ServeConfig;
use crate::crypto::identity_file::{self, ScryptWork};
use crate::crypto::{DeploymentSalt, InvestigatorIdentity, KdfParams, KdfSettings};
use crate::http::{self, AppState, Services};
use crate::service::{Accounts, Cases, Reporting, SessionLimits, clock};
use crate::store::{SledStore, Store};

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
    // Only serve sweeps evidence files, once, before any upload can start.
    let store = tokio::task::spawn_blocking(move || {
        let store = SledStore::open(&dir)?;
        store.sweep()?;
        Ok::<_, crate::store::StoreError>(store)
    })
    .await??;
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

    let clock = clock::system();
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
        alerts: alerts.clone(),
    };
    let state = Arc::new(AppState::new(services, &config));
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
    http::serve(
        listener,
        investigators,
        state,
        &config,
        crate::serving::shutdown_signal(),
    )
    .await?;
    alerts.stop();
    tracing::info!("stopped");
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
