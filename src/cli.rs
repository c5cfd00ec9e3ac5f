//! The command line, as people read it in `--help`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{DataDir, ServeConfig};

/// quietline: anonymous reporting for officers under pressure, end-to-end encrypted.
#[derive(Debug, Parser)]
#[command(name = "quietline", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (reporter pages and API).
    Serve(Box<ServeConfig>),
    /// Make a new investigator identity on this machine, protected by a passphrase, and
    /// print its public recipient for the administrator.
    Keygen {
        /// Where to write the identity file (refuses to overwrite).
        #[arg(long)]
        out: PathBuf,
    },
    /// First login of a new investigator: with the administrator's one-time enrolment
    /// secret, set a password and add the second factor to an authenticator app.
    Enrol(crate::desk::EnrolArgs),
    /// The investigator's desk: unlock your identity, log in, and read and answer cases in
    /// your browser, decrypted on this machine only (served on 127.0.0.1).
    Desk(crate::desk::DeskArgs),
    /// Administer investigators (stop `serve` first: the store takes one process; a
    /// running service offers the same through the admin API of the desk).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Restore a backup (written by `serve --backup-dir` or the admin API) into a new,
    /// empty data directory, and check its audit chain, its counts and its high-water
    /// mark.
    Restore {
        /// The backup file (`quietline-backup-....age`).
        #[arg(long)]
        from: PathBuf,
        /// The backup identity: a plain age identity file (`AGE-SECRET-KEY-1...`, as
        /// `age-keygen` writes), or a passphrase-protected one from `quietline keygen`
        /// (the passphrase is asked for, or read from standard input).
        #[arg(long)]
        identity: PathBuf,
        /// Where to restore: a directory that does not exist or is empty.
        #[arg(long = "data-dir")]
        data_dir: PathBuf,
    },
    /// Move a sled deployment (stopped) into an empty PostgreSQL database: cases, evidence
    /// files, investigators, settings and the audit chain; then compare the counts and
    /// the audit chain heads of both, and print them.
    MigrateStore(crate::commands::MigrateArgs),
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain of the audit log; name the first altered entry.
    Verify {
        #[command(flatten)]
        data_dir: DataDir,
        /// A chain head printed by an earlier `audit verify` and kept off the server: fail
        /// unless the chain still holds it (entries deleted from the end, or a rewritten
        /// chain, are caught only this way).
        #[arg(long, value_name = "HEAD")]
        expect: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Investigator,
    Admin,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Register an investigator's public age recipient. New reports are wrapped to it once
    /// they have enrolled and a second administrator has confirmed it (their desk, or
    /// `admin confirm-recipient` here).
    AddInvestigator {
        #[command(flatten)]
        data_dir: DataDir,
        /// Short login name: letters, digits, '.', '_' or '-'.
        #[arg(long)]
        name: String,
        /// The `age1...` recipient printed by `quietline keygen` on their machine.
        #[arg(long)]
        recipient: String,
        #[arg(long, value_enum, default_value = "investigator")]
        role: RoleArg,
    },
    /// Propose the organisation's offline recovery recipient: once a second administrator
    /// confirms it, every new case key is also wrapped to it, so that a lost investigator
    /// key never makes a case unreadable (until then, the one it replaces goes on). Keep
    /// its identity off any networked machine (paper or a safe).
    SetRecoveryRecipient {
        #[command(flatten)]
        data_dir: DataDir,
        /// The `age1...` recipient of the recovery identity.
        #[arg(long)]
        recipient: String,
    },
    /// Confirm a waiting recipient (a new investigator's, or a new recovery recipient)
    /// on this host, as the second check when the deployment has a single
    /// administrator: have the recipient's owner read out the fingerprint their
    /// `quietline keygen` printed, over a channel other than the one the recipient came
    /// by (a phone call), and type it here. New cases are wrapped to it from then on.
    ConfirmRecipient {
        #[command(flatten)]
        data_dir: DataDir,
        /// The fingerprint as read out to you (`3f2a 9c41 07be d5e8`; spaces and case do
        /// not matter).
        #[arg(long)]
        fingerprint: String,
    },
    /// Register a backup recipient: snapshots are encrypted to it (and to every other
    /// backup recipient). Keep its identity off the server, where backups are restored.
    AddBackupRecipient {
        #[command(flatten)]
        data_dir: DataDir,
        /// The `age1...` recipient of the backup identity (`age-keygen` or `quietline
        /// keygen` prints it).
        #[arg(long)]
        recipient: String,
    },
    /// List registered investigators.
    ListInvestigators {
        #[command(flatten)]
        data_dir: DataDir,
    },
    /// Disable an investigator: they can no longer log in, and their sessions end.
    DisableInvestigator {
        #[command(flatten)]
        data_dir: DataDir,
        name: String,
    },
    /// Remove an investigator and delete every case-key wrap they hold.
    RemoveInvestigator {
        #[command(flatten)]
        data_dir: DataDir,
        name: String,
    },
}
