//! Opening the investigator's identity file: the passphrase-protected (age scrypt) text of
//! an age identity that `quietline keygen` wrote. The private key is decrypted into memory
//! only and never written anywhere.

use std::io::Read;
use std::path::Path;

use age::secrecy::SecretString;
use anyhow::{Context, bail};
use zeroize::Zeroizing;

use crate::crypto::InvestigatorIdentity;

/// An identity file read from disk and checked to be passphrase-protected, before anyone is
/// asked for the passphrase.
pub struct LockedIdentity {
    sealed: Vec<u8>,
    path: String,
}

impl LockedIdentity {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let sealed = std::fs::read(path)
            .with_context(|| format!("cannot read the identity file {}", path.display()))?;
        let shown = path.display().to_string();
        if sealed.starts_with(b"AGE-SECRET-KEY-") || sealed.starts_with(b"# ") {
            bail!(
                "{shown} holds an unprotected private key; make a passphrase-protected one with \
                 `quietline keygen --out FILE` and have it registered"
            );
        }
        let decryptor = age::Decryptor::new_buffered(&sealed[..]).map_err(|_| {
            anyhow::anyhow!("{shown} is not an identity file made by `quietline keygen`")
        })?;
        if !decryptor.is_scrypt() {
            bail!(
                "{shown} is not passphrase-protected; make one with `quietline keygen --out FILE`"
            );
        }
        Ok(LockedIdentity {
            sealed,
            path: shown,
        })
    }

    pub fn unlock(&self, passphrase: &Zeroizing<String>) -> anyhow::Result<InvestigatorIdentity> {
        let decryptor = age::Decryptor::new_buffered(&self.sealed[..])?;
        let key = age::scrypt::Identity::new(SecretString::from(passphrase.as_str().to_owned()));
        let mut reader = decryptor
            .decrypt(std::iter::once(&key as &dyn age::Identity))
            .map_err(|e| match e {
                age::DecryptError::ExcessiveWork { .. } => anyhow::anyhow!(
                    "{} needs more work to open than this machine allows; open it on a faster machine",
                    self.path
                ),
                _ => anyhow::anyhow!("the passphrase does not open {}", self.path),
            })?;
        let mut text = Zeroizing::new(String::new());
        reader
            .read_to_string(&mut text)
            .with_context(|| format!("{} is damaged", self.path))?;
        InvestigatorIdentity::parse(&text)
            .with_context(|| format!("{} does not hold an age identity", self.path))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn sealed_with(passphrase: &str, text: &[u8]) -> tempfile::NamedTempFile {
        let mut recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
        // The smallest work factor keeps the test quick; real files use age's calibration.
        recipient.set_work_factor(2);
        let encryptor =
            age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .unwrap();
        let mut out = Vec::new();
        let mut writer = encryptor.wrap_output(&mut out).unwrap();
        writer.write_all(text).unwrap();
        writer.finish().unwrap();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&out).unwrap();
        file
    }

    #[test]
    fn the_right_passphrase_opens_the_identity_and_a_wrong_one_does_not() {
        let identity = InvestigatorIdentity::generate();
        let file = sealed_with("correct horse battery", identity.to_file_text().as_bytes());
        let locked = LockedIdentity::read(file.path()).unwrap();
        let opened = locked
            .unlock(&Zeroizing::new("correct horse battery".into()))
            .unwrap();
        assert_eq!(
            opened.recipient().to_string(),
            identity.recipient().to_string()
        );
        let wrong = locked.unlock(&Zeroizing::new("wrong horse battery".into()));
        let message = format!("{:#}", wrong.err().unwrap());
        assert!(message.contains("passphrase does not open"), "{message}");
    }

    #[test]
    fn unprotected_or_foreign_files_are_refused_before_any_prompt() {
        let identity = InvestigatorIdentity::generate();
        let mut plain = tempfile::NamedTempFile::new().unwrap();
        plain.write_all(identity.to_file_text().as_bytes()).unwrap();
        let message = format!("{:#}", LockedIdentity::read(plain.path()).err().unwrap());
        assert!(message.contains("unprotected"), "{message}");

        let mut to_recipient = tempfile::NamedTempFile::new().unwrap();
        let sealed = age::encrypt(
            &identity
                .recipient()
                .to_string()
                .parse::<age::x25519::Recipient>()
                .unwrap(),
            b"x",
        )
        .unwrap();
        to_recipient.write_all(&sealed).unwrap();
        let message = format!(
            "{:#}",
            LockedIdentity::read(to_recipient.path()).err().unwrap()
        );
        assert!(message.contains("not passphrase-protected"), "{message}");
    }
}
