//! Configuration of `quietline serve`: every setting in one struct, each with a default, a
//! flag, an environment variable and one line of doc. The README's configuration table is
//! checked against this struct by a test, so the two cannot drift.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::case::DeadlinePolicy;
use crate::crypto::KdfParams;
use crate::service::{MessageLimits, SessionLimits};

/// Where the store lives; shared by every command that opens it.
#[derive(Debug, Clone, Args)]
pub struct DataDir {
    /// Directory of the sled store. Created (mode 0700) if missing.
    #[arg(
        long = "data-dir",
        env = "QUIETLINE_DATA_DIR",
        default_value = "quietline-data"
    )]
    pub path: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on. Port 0 picks a free port; the bound address is printed.
    #[arg(long, env = "QUIETLINE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Serve the investigator API on this address only (a VPN address, or an onion service
    /// with client authorisation), and not on --listen. Unset: both on --listen.
    #[arg(long, env = "QUIETLINE_INVESTIGATOR_LISTEN")]
    pub investigator_listen: Option<SocketAddr>,

    #[command(flatten)]
    pub data_dir: DataDir,

    /// Try-out mode: registers a throwaway investigator whose identity file is written
    /// outside the data directory. Never for real reports.
    #[arg(long, env = "QUIETLINE_DEMO")]
    pub demo: bool,

    /// argon2id memory per token derivation, in KiB. Fixed for a deployment at first start.
    #[arg(long, env = "QUIETLINE_KDF_MEMORY_KIB", default_value_t = KdfParams::default().memory_kib)]
    pub kdf_memory_kib: u32,

    /// argon2id passes. Fixed for a deployment at first start.
    #[arg(long, env = "QUIETLINE_KDF_ITERATIONS", default_value_t = KdfParams::default().iterations)]
    pub kdf_iterations: u32,

    /// argon2id lanes. Fixed for a deployment at first start.
    #[arg(long, env = "QUIETLINE_KDF_PARALLELISM", default_value_t = KdfParams::default().parallelism)]
    pub kdf_parallelism: u32,

    /// Token derivations that may run at once (each holds its argon2 memory).
    #[arg(long, env = "QUIETLINE_KDF_WORKERS", default_value_t = 2)]
    pub kdf_workers: usize,

    /// Token derivations that may wait for a worker; beyond that, 503 with Retry-After.
    #[arg(long, env = "QUIETLINE_KDF_QUEUE", default_value_t = 64)]
    pub kdf_queue: usize,

    /// Investigator password checks that may run at once, on workers of their own (each
    /// holds its argon2 memory).
    #[arg(long, env = "QUIETLINE_INVESTIGATOR_KDF_WORKERS", default_value_t = 1)]
    pub investigator_kdf_workers: usize,

    /// A reporter session ends after this many minutes without use.
    #[arg(long, env = "QUIETLINE_SESSION_IDLE_MINUTES", default_value_t = 15)]
    pub session_idle_minutes: u64,

    /// A reporter session ends this many minutes after login, used or not.
    #[arg(long, env = "QUIETLINE_SESSION_MAX_MINUTES", default_value_t = 60)]
    pub session_max_minutes: u64,

    /// An investigator session ends after this many seconds without use.
    #[arg(long, env = "QUIETLINE_INVESTIGATOR_IDLE_SECONDS", default_value_t = 30 * 60)]
    pub investigator_idle_seconds: u64,

    /// An investigator session ends this many seconds after login, used or not.
    #[arg(long, env = "QUIETLINE_INVESTIGATOR_MAX_SECONDS", default_value_t = 12 * 3600)]
    pub investigator_max_seconds: u64,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "QUIETLINE_MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,

    /// Connections served at once; past that, new ones are closed at once. Keep it below
    /// the process's descriptor limit (LimitNOFILE), with room for the store's files.
    #[arg(long, env = "QUIETLINE_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Uploads with evidence files received at once; past that, 503 with Retry-After.
    /// Each holds a blocking thread while its files are cleaned and encrypted.
    #[arg(long, env = "QUIETLINE_MAX_UPLOADS", default_value_t = 16)]
    pub max_uploads: usize,

    /// Largest evidence file, in bytes (default 500 MiB: a few minutes of phone video).
    #[arg(long, env = "QUIETLINE_MAX_FILE_BYTES", default_value_t = 500 * 1024 * 1024)]
    pub max_file_bytes: u64,

    /// Largest total of evidence files in one report or follow-up, in bytes.
    #[arg(long, env = "QUIETLINE_MAX_EVIDENCE_BYTES", default_value_t = 600 * 1024 * 1024)]
    pub max_evidence_bytes: u64,

    /// Longest report or follow-up text, in bytes.
    #[arg(long, env = "QUIETLINE_MAX_MESSAGE_BYTES", default_value_t = 100_000)]
    pub max_message_bytes: usize,

    /// Days an integrity unit has to acknowledge a report (EU Directive 2019/1937: 7).
    #[arg(long, env = "QUIETLINE_ACKNOWLEDGE_DAYS", default_value_t = DeadlinePolicy::default().acknowledge_days)]
    pub acknowledge_days: u32,

    /// Months an integrity unit has to give feedback (EU Directive 2019/1937: 3).
    #[arg(long, env = "QUIETLINE_FEEDBACK_MONTHS", default_value_t = DeadlinePolicy::default().feedback_months)]
    pub feedback_months: u32,

    /// Bytes that must stay free on the data directory's filesystem; below it, writes get
    /// 507 and reads go on, so that the store never meets a full disk. 0 turns it off.
    #[arg(long, env = "QUIETLINE_MIN_FREE_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub min_free_bytes: u64,

    /// Take the clock as right although the store holds a later day (the clock went
    /// back) or one years earlier: logged and audited. For one start, after checking.
    #[arg(long, env = "QUIETLINE_ACCEPT_CLOCK")]
    pub accept_clock: bool,

    /// Serve a store that holds less than it acknowledged, lowering its high-water mark:
    /// only with no backup to restore. Logged and audited. For one start; never leave it set.
    #[arg(long, env = "QUIETLINE_ACCEPT_DATA_LOSS")]
    pub accept_data_loss: bool,

    /// Where the "quick exit" button on every reporter page leads.
    #[arg(
        long,
        env = "QUIETLINE_QUICK_EXIT_URL",
        default_value = "https://www.wikipedia.org/"
    )]
    pub quick_exit_url: String,

    // --- Backups and retention (checked by `validate_upkeep`) --------------------------
    /// Directory for scheduled snapshots, age-encrypted to the backup recipients
    /// (`admin add-backup-recipient`). Backups are off when unset.
    #[arg(long, env = "QUIETLINE_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,

    /// How often to write a snapshot into --backup-dir: a number and a unit (s, m, h, d),
    /// such as 24h or 10s. The first is written one period after start.
    #[arg(long, env = "QUIETLINE_BACKUP_EVERY", default_value = "24h", value_parser = parse_every)]
    pub backup_every: Duration,

    /// Snapshots kept in --backup-dir; older ones are deleted once a new one is in place.
    #[arg(long, env = "QUIETLINE_BACKUP_KEEP", default_value_t = 7)]
    pub backup_keep: usize,

    /// Delete closed cases this many days after closure, with their thread, notes,
    /// evidence, wraps and sessions (checked at start, then every --rewrite-every). Off
    /// when unset.
    #[arg(long, env = "QUIETLINE_RETENTION_DAYS")]
    pub retention_days: Option<u32>,

    /// How often to rewrite the store and reset the evidence files' times, so that
    /// deleted bytes leave the disk and file order and times stop dating reports
    /// (retention runs just before; a purge at start is followed by one too): a number
    /// and a unit (s, m, h, d), such as 24h.
    #[arg(long, env = "QUIETLINE_REWRITE_EVERY", default_value = "24h", value_parser = parse_every)]
    pub rewrite_every: Duration,

    // Alerts to investigators (`crate::alerts`): content-free counts by mail or webhook.
    /// Mail server for alerts: smtps://user@host:port (implicit TLS), smtp://user@host:port
    /// (STARTTLS), or plain smtp://127.0.0.1:port to a local relay. Never a password here.
    #[arg(long, env = "QUIETLINE_ALERT_SMTP")]
    pub alert_smtp: Option<String>,

    /// File holding the SMTP password alone (readable by quietline only).
    #[arg(long, env = "QUIETLINE_ALERT_SMTP_PASSWORD_FILE")]
    pub alert_smtp_password_file: Option<PathBuf>,

    /// Sender address of alert mail.
    #[arg(long, env = "QUIETLINE_ALERT_FROM")]
    pub alert_from: Option<String>,

    /// Address that receives alert mail (a duty inbox); repeat for more.
    #[arg(long, env = "QUIETLINE_ALERT_TO", value_delimiter = ',')]
    pub alert_to: Vec<String>,

    /// Webhook that receives alerts as a JSON POST: https://, or http:// on loopback.
    #[arg(long, env = "QUIETLINE_ALERT_WEBHOOK")]
    pub alert_webhook: Option<String>,

    /// Period of the digest of new reports and reporter messages, sent at fixed times
    /// (multiples of it): 30s, 15m, 1h...
    #[arg(long, env = "QUIETLINE_ALERT_DIGEST_EVERY", default_value = "1h")]
    pub alert_digest_every: String,

    /// Hour of the day (UTC) of the daily digest of deadlines due within 2 days or past.
    #[arg(long, env = "QUIETLINE_ALERT_DEADLINE_HOUR", default_value_t = 7)]
    pub alert_deadline_hour: u8,

    /// Language of alerts: en, fr or es.
    #[arg(long, env = "QUIETLINE_ALERT_LANGUAGE", default_value = "en")]
    pub alert_language: String,
}

/// Reads a period such as `24h`, `90m`, `10s` or `7d`.
pub fn parse_every(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a period such as 24h, 90m or 10s"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: the unit is s, m, h or d (such as 24h)")),
    };
    if number == 0 {
        return Err("a period must be longer than 0".into());
    }
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long"))
}

/// Limits on what one request may upload.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    /// Largest single evidence file, in bytes.
    pub file_bytes: u64,
    /// Largest total of evidence files in one message, in bytes.
    pub message_bytes: u64,
    /// Largest message text (a report's or follow-up's body), in bytes.
    pub text_bytes: usize,
    /// Largest optional report field (where and when, people involved), in bytes.
    pub field_bytes: usize,
    /// Most files in one message.
    pub files: usize,
}

/// Longest optional report field (where and when, people involved), in bytes.
const FIELD_BYTES: usize = 10_000;

impl ServeConfig {
    pub fn kdf_params(&self) -> KdfParams {
        KdfParams {
            memory_kib: self.kdf_memory_kib,
            iterations: self.kdf_iterations,
            parallelism: self.kdf_parallelism,
        }
    }

    pub fn deadlines(&self) -> DeadlinePolicy {
        DeadlinePolicy {
            acknowledge_days: self.acknowledge_days,
            feedback_months: self.feedback_months,
        }
    }

    pub fn message_limits(&self) -> MessageLimits {
        MessageLimits {
            body_bytes: self.max_message_bytes,
            field_bytes: FIELD_BYTES.min(self.max_message_bytes),
        }
    }

    pub fn investigator_sessions(&self) -> SessionLimits {
        SessionLimits {
            idle: Duration::from_secs(self.investigator_idle_seconds),
            max: Duration::from_secs(self.investigator_max_seconds),
        }
    }

    pub fn upload_limits(&self) -> UploadLimits {
        UploadLimits {
            file_bytes: self.max_file_bytes,
            message_bytes: self.max_evidence_bytes,
            text_bytes: self.max_message_bytes,
            field_bytes: FIELD_BYTES.min(self.max_message_bytes),
            files: 20,
        }
    }

    pub fn session_idle(&self) -> Duration {
        Duration::from_secs(self.session_idle_minutes * 60)
    }

    pub fn session_max(&self) -> Duration {
        Duration::from_secs(self.session_max_minutes * 60)
    }

    /// Refuses backup and retention settings that cannot work.
    pub fn validate_upkeep(&self) -> Result<(), String> {
        if self.backup_keep == 0 {
            return Err("--backup-keep must be at least 1".into());
        }
        if self.retention_days == Some(0) {
            return Err(
                "--retention-days must be at least 1 (leave it unset to keep cases)".into(),
            );
        }
        if let Some(dir) = &self.backup_dir
            && dir.starts_with(&self.data_dir.path)
        {
            return Err(
                "--backup-dir must not be inside --data-dir: a backup must survive the loss of the data directory"
                    .into(),
            );
        }
        Ok(())
    }

    /// Refuses settings that cannot work, at start rather than at the first report.
    pub fn validate(&self) -> Result<(), String> {
        if self.kdf_workers == 0 || self.investigator_kdf_workers == 0 {
            return Err("--kdf-workers and --investigator-kdf-workers must be at least 1".into());
        }
        if self.session_idle_minutes == 0 || self.session_max_minutes < self.session_idle_minutes {
            return Err("sessions need 0 < --session-idle-minutes <= --session-max-minutes".into());
        }
        if self.investigator_idle_seconds == 0
            || self.investigator_max_seconds < self.investigator_idle_seconds
        {
            return Err("investigator sessions need 0 < idle <= max seconds".into());
        }
        if self.max_connections == 0 || self.max_uploads == 0 {
            return Err("--max-connections and --max-uploads must be at least 1".into());
        }
        if self.max_body_bytes < 1024 {
            return Err("--max-body-bytes below 1024 would refuse every report".into());
        }
        if !self.quick_exit_url.starts_with("https://") {
            return Err("--quick-exit-url must be an https:// address".into());
        }
        crate::alerts::parse_period(&self.alert_digest_every)?;
        if self.alert_deadline_hour > 23 {
            return Err("--alert-deadline-hour must be 0 to 23 (UTC)".into());
        }
        if crate::i18n::Lang::from_code(&self.alert_language).is_none() {
            return Err("--alert-language must be en, fr or es".into());
        }
        if self.alert_smtp.is_none()
            && (self.alert_from.is_some()
                || !self.alert_to.is_empty()
                || self.alert_smtp_password_file.is_some())
        {
            return Err(
                "--alert-from, --alert-to and --alert-smtp-password-file need --alert-smtp".into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn periods_read_with_their_unit() {
        use super::parse_every;
        use std::time::Duration;
        assert_eq!(parse_every("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_every("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_every("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_every("7d"), Ok(Duration::from_secs(7 * 86_400)));
        for bad in ["", "24", "h", "0s", "1.5h", "24 hours", "-1h"] {
            assert!(parse_every(bad).is_err(), "{bad:?}");
        }
    }

    use crate::cli::Cli;

    #[test]
    fn the_readme_table_lists_every_serve_setting_with_its_default() {
        let readme = include_str!("../README.md");
        let cli = Cli::command();
        let serve = cli.find_subcommand("serve").unwrap();
        for arg in serve.get_arguments() {
            let Some(flag) = arg.get_long() else { continue };
            if flag == "help" {
                continue;
            }
            let env = arg.get_env().unwrap().to_string_lossy().into_owned();
            let row = readme
                .lines()
                .find(|l| l.starts_with(&format!("| `--{flag}` |")))
                .unwrap_or_else(|| panic!("README has no row for --{flag}"));
            assert!(
                row.contains(&format!("`{env}`")),
                "README row of --{flag} lacks {env}"
            );
            if let Some(default) = arg.get_default_values().first() {
                let default = default.to_string_lossy();
                assert!(
                    row.contains(&format!("`{default}`")),
                    "README row of --{flag} lacks default {default}"
                );
            }
        }
    }
}
