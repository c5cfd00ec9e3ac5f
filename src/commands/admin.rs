//! The command line's own work: making an investigator identity (keygen), administering
//! accounts and backup recipients with the service stopped, verifying the audit chain,
//! and restoring a backup.

use super::*;

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
pub(super) fn write_protected_identity(
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
    // On standard error, like the words around it: standard output stays the recipient
    // alone, for scripts.
    eprintln!(
        "Its fingerprint, to read out to the administrator who confirms it (by phone, not by \
         the channel the recipient went by):\nfingerprint: {}",
        identity.recipient().fingerprint()
    );
    Ok(())
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
            let fingerprint = InvestigatorRecipient::parse(&recipient)?.fingerprint();
            println!(
                "registered {name}; their recipient waits for confirmation: new reports are \
                 encrypted to them once it is confirmed and they have enrolled"
            );
            println!("enrolment secret: {}", secret.as_str());
            println!("fingerprint: {fingerprint}");
            eprintln!(
                "Give {name} the enrolment secret over a separate channel; it works once, with\n\
                 `quietline enrol --server URL --name {name}`, where they set a password and a\n\
                 second factor.\n\
                 Then have the recipient confirmed: a second administrator confirms it from \
                 their desk, which shows the fingerprint above; or, with a single \
                 administrator, have {name} read out the fingerprint their `quietline keygen` \
                 printed, over the phone, and run `quietline admin confirm-recipient \
                 --fingerprint ...` with what they read."
            );
        }
        AdminCommand::SetRecoveryRecipient {
            data_dir,
            recipient,
        } => {
            let fingerprint =
                open_accounts(&data_dir.path)?.propose_recovery_recipient(ADMIN_CLI, &recipient)?;
            println!(
                "recovery recipient proposed; once it is confirmed, cases reported from then on \
                 are also wrapped to it (earlier cases are not; until then, any recovery \
                 recipient in force goes on receiving them)"
            );
            println!("fingerprint: {fingerprint}");
            eprintln!(
                "Read this fingerprint out to a second administrator over another channel (a \
                 phone call): their desk shows the waiting recipient's fingerprint in the same \
                 form, and they confirm it there. With a single administrator, check it against \
                 the one `quietline keygen` printed for the recovery identity and run \
                 `quietline admin confirm-recipient --fingerprint ...`. Both steps are in the \
                 audit log."
            );
        }
        AdminCommand::ConfirmRecipient {
            data_dir,
            fingerprint,
        } => {
            let accounts = open_accounts(&data_dir.path)?;
            let confirmed =
                match accounts.confirm_recipient(Confirmer::Host(ADMIN_CLI), &fingerprint) {
                    Err(crate::service::Error::NoSuchProposal) => {
                        let waiting = accounts.pending_recipients()?;
                        bail!(
                            "no recipient with fingerprint {fingerprint:?} waits for confirmation \
                         ({} wait{}); nothing was changed. Check what was read out to you.",
                            waiting.len(),
                            if waiting.len() == 1 { "s" } else { "" }
                        );
                    }
                    other => other?,
                };
            for p in confirmed {
                match p.name {
                    Some(name) => println!(
                        "confirmed the recipient of {name} ({}); new reports are encrypted to \
                         them once they have enrolled",
                        p.fingerprint
                    ),
                    None => println!(
                        "confirmed the recovery recipient ({}); new reports are wrapped to it",
                        p.fingerprint
                    ),
                }
            }
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
                let waiting = if i.proposed_by.is_some() {
                    ", awaiting confirmation"
                } else {
                    ""
                };
                println!(
                    "{}\t{}\t{state}, {enrolled}{waiting}{demo}\t{}\tsince {}",
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
