//! The investigator's desk: `quietline enrol` (first login) and `quietline desk` (the
//! console), run on the investigator's own machine.
//!
//! The desk unlocks the investigator's identity, logs in to the service's investigator API
//! (`crate::api`) over HTTPS or through Tor, decrypts case content locally and serves its
//! pages on loopback only. The private key, the case keys and plaintext stay in this
//! process's memory and are never written to disk; the desk logs no content. The one file
//! it writes is its record of the audit chain's head and length (`audit_memory`), next to
//! the identity file unless `--audit-state` says otherwise: two numbers, no case content.
//!
//! - `client`: the API client (blocking, ureq).
//! - `audit_memory`: the last audit head and count this desk saw, and the alarm when the
//!   chain on the server is shorter, no longer holds that head, or does not verify.
//! - `prompt`: asking for passphrase, password and authenticator code.
//! - `unlock`: opening the passphrase-protected identity file.
//! - `crypto`: every use of a key: decrypting cases, notes and evidence, sealing replies
//!   and notes, wrapping the case key for a colleague.
//! - `ui`: the loopback web UI's shared state and router;
//!   - `gate`: the access key, its cookie and the origin checks in front of every route;
//!   - `handlers`: what each route does;
//!   - `views`: the templates and what each page shows;
//!   - `download`: evidence files streamed to the browser as downloads;
//!   - `search`: decrypted previews and the list's search, in memory only;
//!   - `error`: what can go wrong, and the status and page each failure becomes.

mod audit_memory;
mod client;
mod crypto;
mod download;
mod error;
mod gate;
mod handlers;
mod prompt;
pub mod search;
mod settings;
mod templates;
mod ui;
mod unlock;
mod views;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;
use zeroize::Zeroize;

use crate::api::{EnrolConfirm, EnrolRequest, LoginRequest};
use client::{ApiClient, ClientError, Session};
use prompt::Prompter;
use unlock::LockedIdentityFile;

/// How to reach the service; shared by `enrol` and `desk`.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// The service's address: https://HOST[:PORT], or http://ADDRESS.onion with
    /// --socks-proxy. Plain http:// is refused except to loopback.
    #[arg(long, env = "QUIETLINE_SERVER")]
    pub server: String,

    /// SOCKS5 proxy to reach the service through, such as Tor's 127.0.0.1:9050. Needed for
    /// .onion addresses; host names are resolved by the proxy.
    #[arg(long, env = "QUIETLINE_SOCKS_PROXY", value_name = "HOST:PORT")]
    pub socks_proxy: Option<String>,
}

/// `quietline enrol`: set a password and the second factor with the administrator's
/// one-time enrolment secret.
#[derive(Debug, Clone, Args)]
pub struct EnrolArgs {
    #[command(flatten)]
    pub server: ServerArgs,

    /// Your investigator name, as the administrator registered it.
    #[arg(long, env = "QUIETLINE_NAME")]
    pub name: String,
}

/// `quietline desk`: the console.
#[derive(Debug, Clone, Args)]
pub struct DeskArgs {
    #[command(flatten)]
    pub server: ServerArgs,

    /// Your passphrase-protected identity file, made by `quietline keygen`.
    #[arg(long, env = "QUIETLINE_IDENTITY")]
    pub identity: PathBuf,

    /// Your investigator name, as the administrator registered it.
    #[arg(long, env = "QUIETLINE_NAME")]
    pub name: String,

    /// Where the desk's pages listen. Loopback addresses only; port 0 picks a free port.
    #[arg(long, env = "QUIETLINE_DESK_LISTEN", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,

    /// Where the desk keeps the last audit head and count it saw, to notice a log cut
    /// short or rewritten on the server. Default: the identity file's path with
    /// `.audit-head` appended.
    #[arg(long, env = "QUIETLINE_AUDIT_STATE", value_name = "FILE")]
    pub audit_state: Option<PathBuf>,
}

/// First login of a new investigator. Asks, in this order (terminal without echo, or one
/// line each on standard input): the enrolment secret, the new password (twice on a
/// terminal), then, after showing the TOTP secret, a current code.
pub fn enrol(args: EnrolArgs) -> anyhow::Result<()> {
    let api = ApiClient::new(&args.server.server, args.server.socks_proxy.as_deref())?;
    let prompter = Prompter::new();
    let secret = prompter.secret(
        "One-time enrolment secret (from your administrator): ",
        "enrolment secret",
    )?;
    let password = prompter.new_password()?;
    let mut request = EnrolRequest {
        name: args.name.clone(),
        enrolment_secret: secret.trim().to_owned(),
        password: password.as_str().to_owned(),
    };
    let answer = api.enrol(&request);
    request.password.zeroize();
    request.enrolment_secret.zeroize();
    let answer = answer.map_err(|e| {
        anyhow::anyhow!(
            "enrolment failed: {e}.\nCheck --name and the enrolment secret; if the secret is \
             no longer accepted, ask your administrator for a new one."
        )
    })?;

    let mut out = std::io::stdout().lock();
    writeln!(out, "TOTP secret: {}", answer.totp_secret)?;
    writeln!(out, "otpauth URI: {}", answer.otpauth_uri)?;
    out.flush()?;
    drop(out);
    eprintln!(
        "\nAdd this secret to an authenticator app on your phone (\"enter a setup key\", \
         time-based, 6 digits), or turn the otpauth URI into a QR code on this machine. \
         Keep it nowhere else. Then type the code the app shows."
    );

    // On a terminal a mistyped or just-expired code can be retried; a script gets one go.
    let attempts = if prompter.is_terminal() { 3 } else { 1 };
    for attempt in 1..=attempts {
        let code = prompter.totp_code("Current 6-digit code from the app: ")?;
        let mut confirm = EnrolConfirm {
            name: args.name.clone(),
            enrolment_secret: secret.trim().to_owned(),
            code: code.as_str().to_owned(),
        };
        let result = api.confirm_enrolment(&confirm);
        confirm.enrolment_secret.zeroize();
        match result {
            Ok(()) => {
                println!(
                    "Enrolment complete. Start your desk with:\n  quietline desk --server {} \
                     --name {} --identity YOUR-IDENTITY-FILE",
                    api.server(),
                    args.name
                );
                return Ok(());
            }
            Err(ClientError::Rejected(why)) if attempt < attempts => {
                eprintln!("That code was not accepted ({why}). Wait for the next one and type it.");
            }
            Err(e) => bail!(
                "the code was not confirmed: {e}.\nCheck that the phone's clock is right and \
                 run `quietline enrol` again; if the enrolment secret is no longer accepted, \
                 ask your administrator for a new one."
            ),
        }
    }
    bail!("no code was accepted; run `quietline enrol` again")
}

/// The console. Asks, in this order: the identity file's passphrase, the password, a
/// current authenticator code. Then serves the desk on loopback until Ctrl-C, SIGTERM or
/// "log out", and ends the server session on the way out.
pub fn run(args: DeskArgs) -> anyhow::Result<()> {
    if !args.listen.ip().is_loopback() {
        bail!(
            "--listen {} is not a loopback address: the desk shows decrypted cases and \
             serves this machine only (use 127.0.0.1:PORT)",
            args.listen
        );
    }
    let api = ApiClient::new(&args.server.server, args.server.socks_proxy.as_deref())?;
    let locked = LockedIdentityFile::read(&args.identity)?;
    let audit = audit_memory::AuditMemory::open(
        args.audit_state
            .clone()
            .unwrap_or_else(|| audit_memory::AuditMemory::default_path(&args.identity)),
    )?;
    let prompter = Prompter::new();
    let identity = {
        let passphrase = prompter.secret(
            &format!("Passphrase of {}: ", args.identity.display()),
            "identity passphrase",
        )?;
        locked.unlock(&passphrase)?
    };
    let password = prompter.secret("Password: ", "password")?;
    let code = prompter.totp_code("Authenticator code: ")?;
    let mut request = LoginRequest {
        name: args.name.clone(),
        password: password.as_str().to_owned(),
        code: code.as_str().to_owned(),
    };
    let session = api.login(&request);
    request.password.zeroize();
    let session = session.context("login failed")?;
    if let Err(e) = check_identity_is_registered(&session, &identity) {
        let _ = session.logout();
        return Err(e);
    }

    let runtime = tokio::runtime::Runtime::new()?;
    let desk = |address| ui::Desk::new(session, identity, audit, address);
    runtime.block_on(serve(desk, args.listen))
}

/// Refuses to start with an identity that is not the one registered for this name: it
/// would open no case, and the investigator would not know why.
fn check_identity_is_registered(
    session: &Session,
    identity: &crate::crypto::InvestigatorIdentity,
) -> anyhow::Result<()> {
    let ours = identity.recipient().to_string();
    let registered = session
        .investigators()?
        .into_iter()
        .find(|i| i.name == session.name)
        .map(|i| i.recipient);
    match registered {
        Some(recipient) if recipient == ours => Ok(()),
        Some(recipient) => bail!(
            "this identity file ({ours}) is not the one registered for {} ({recipient}); \
             use the file whose recipient you gave your administrator",
            session.name
        ),
        None => bail!(
            "the server does not list {} as an investigator",
            session.name
        ),
    }
}

async fn serve(
    desk: impl FnOnce(SocketAddr) -> ui::Desk,
    listen: SocketAddr,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    let desk = Arc::new(desk(address));
    let checking = desk.clone();
    match tokio::task::spawn_blocking(move || checking.check_audit()).await? {
        Ok(None) => {}
        Ok(Some(alarm)) => eprintln!(
            "\n!!! WARNING: {}.\n!!! Every desk page shows this until it is resolved; tell \
             another administrator, and compare with heads kept off the server \
             (`quietline audit verify --expect HEAD`).\n",
            alarm.line()
        ),
        Err(e) => {
            let ending = desk.clone();
            tokio::task::spawn_blocking(move || ending.logout()).await?;
            return Err(e).context("checking the audit log");
        }
    }
    {
        let mut out = std::io::stdout().lock();
        // Tests and the investigator read this line; the key in it is the desk's only door.
        writeln!(out, "desk listening on {}", desk.entry_url().as_str())?;
        out.flush()?;
    }
    let app = ui::router(desk.clone());
    let stopping = desk.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            tokio::select! {
                _ = crate::serving::shutdown_signal() => {},
                _ = stopping.stopped() => {},
            }
        })
        .await?;
    let ending = desk.clone();
    tokio::task::spawn_blocking(move || ending.logout()).await?;
    eprintln!("desk stopped; the session on the server has ended");
    Ok(())
}
