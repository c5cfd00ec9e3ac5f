//! Opening the investigator's identity file on disk (`--identity`): read it, refuse a file
//! that is not passphrase-protected before anyone is asked for the passphrase, then
//! decrypt the identity into memory only. The format is `crypto::identity_file`; this file
//! reads the file and words each failure for the investigator, naming the file.

use std::path::Path;

use anyhow::Context;
use zeroize::Zeroizing;

use crate::crypto::InvestigatorIdentity;
use crate::crypto::identity_file::{IdentityFileError, LockedIdentity};

/// An identity file read from disk and checked, waiting for its passphrase.
pub struct LockedIdentityFile {
    locked: LockedIdentity,
    path: String,
}

impl LockedIdentityFile {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let sealed = std::fs::read(path)
            .with_context(|| format!("cannot read the identity file {}", path.display()))?;
        let path = path.display().to_string();
        match LockedIdentity::new(sealed) {
            Ok(locked) => Ok(LockedIdentityFile { locked, path }),
            Err(e) => Err(explain(e, &path)),
        }
    }

    pub fn unlock(&self, passphrase: &Zeroizing<String>) -> anyhow::Result<InvestigatorIdentity> {
        self.locked
            .unlock(passphrase)
            .map_err(|e| explain(e, &self.path))
    }
}

/// What went wrong and what to do next, naming the file.
fn explain(e: IdentityFileError, path: &str) -> anyhow::Error {
    match e {
        IdentityFileError::Unprotected => anyhow::anyhow!(
            "{path} holds an unprotected private key; make a passphrase-protected one with \
             `quietline keygen --out FILE` and have it registered"
        ),
        IdentityFileError::NotAnIdentityFile => {
            anyhow::anyhow!("{path} is not an identity file made by `quietline keygen`")
        }
        IdentityFileError::NotPassphraseProtected => anyhow::anyhow!(
            "{path} is not passphrase-protected; make one with `quietline keygen --out FILE`"
        ),
        IdentityFileError::WrongPassphrase => {
            anyhow::anyhow!("the passphrase does not open {path}")
        }
        IdentityFileError::ExcessiveWork => anyhow::anyhow!(
            "{path} needs more work to open than this machine allows; open it on a faster machine"
        ),
        IdentityFileError::Damaged(cause) => {
            anyhow::Error::new(cause).context(format!("{path} is damaged"))
        }
        IdentityFileError::NoIdentity(cause) => {
            anyhow::Error::new(cause).context(format!("{path} does not hold an age identity"))
        }
        // Only sealing fails this way; the desk never seals an identity file.
        IdentityFileError::Seal(cause) => anyhow::Error::new(cause),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::crypto::identity_file::{ScryptWork, seal};

    fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    #[test]
    fn failures_name_the_file_and_say_what_to_do() {
        let identity = InvestigatorIdentity::generate();
        let sealed = seal(&identity, "correct horse battery", ScryptWork::LogN(2)).unwrap();
        let file = file_with(&sealed);
        let shown = file.path().display().to_string();
        let locked = LockedIdentityFile::read(file.path()).unwrap();
        let opened = locked
            .unlock(&Zeroizing::new("correct horse battery".into()))
            .unwrap();
        assert_eq!(
            opened.recipient().to_string(),
            identity.recipient().to_string()
        );
        let wrong = locked.unlock(&Zeroizing::new("wrong horse battery".into()));
        let message = format!("{:#}", wrong.err().unwrap());
        assert_eq!(message, format!("the passphrase does not open {shown}"));

        let plain = file_with(identity.to_file_text().as_bytes());
        let message = format!(
            "{:#}",
            LockedIdentityFile::read(plain.path()).err().unwrap()
        );
        assert!(message.contains("unprotected"), "{message}");
        assert!(message.contains("quietline keygen --out FILE"), "{message}");

        let missing = LockedIdentityFile::read(Path::new("/nonexistent/identity.age"));
        let message = format!("{:#}", missing.err().unwrap());
        assert!(
            message.starts_with("cannot read the identity file /nonexistent/identity.age"),
            "{message}"
        );
    }
}
