//! The investigator's identity file, both ways: what `quietline keygen` (and
//! `serve --demo`) write, and what `quietline desk` opens.
//!
//! The file is the age identity text (`# public key: age1...` then `AGE-SECRET-KEY-1...`,
//! as `age-keygen` prints it) encrypted with a passphrase through age's scrypt recipient,
//! in age's binary format. Anyone can open it with `age -d`. A stolen laptop then gives an
//! attacker an scrypt guess per passphrase, not the key.
//!
//! These are pure functions over bytes: the callers read and write the files (keygen
//! creates it readable by its owner only; the desk reads it before it prompts).

use std::io::{Read, Write};

use age::secrecy::SecretString;
use zeroize::Zeroizing;

use super::keys::{CryptoError, InvestigatorIdentity};

/// How hard the passphrase is to guess, as scrypt's work factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScryptWork {
    /// age's calibration: about one second on the machine that seals. What keygen uses.
    Calibrated,
    /// A fixed work factor (log2 of scrypt's N). Tests use the smallest, 2, to stay quick;
    /// never for a real identity.
    LogN(u8),
}

/// What can be wrong with an identity file or its passphrase. The desk words each one for
/// its user, with the file's name.
#[derive(Debug, thiserror::Error)]
pub enum IdentityFileError {
    /// The file holds the private key in the clear (an `age-keygen` file): refused so that
    /// no investigator key lives unprotected on a laptop.
    #[error("the file holds an unprotected private key")]
    Unprotected,
    /// Not an age file at all.
    #[error("the file is not an identity file made by `quietline keygen`")]
    NotAnIdentityFile,
    /// An age file, but encrypted to a key rather than a passphrase.
    #[error("the file is not passphrase-protected")]
    NotPassphraseProtected,
    /// The passphrase does not open the file (or it was sealed some other way).
    #[error("the passphrase does not open the file")]
    WrongPassphrase,
    /// The file's scrypt work factor is above what age allows on this machine.
    #[error("the file needs more work to open than this machine allows")]
    ExcessiveWork,
    /// The passphrase opened the header, but the encrypted text is damaged.
    #[error("the file is damaged")]
    Damaged(#[source] std::io::Error),
    /// The file opened, but what it holds is not an age identity.
    #[error("the file does not hold an age identity")]
    NoIdentity(#[source] CryptoError),
    /// Encrypting the identity failed (in practice only if the system's random source does).
    #[error("the identity could not be encrypted: {0}")]
    Seal(#[from] age::EncryptError),
}

/// The identity file for `identity`, protected by `passphrase`.
pub fn seal(
    identity: &InvestigatorIdentity,
    passphrase: &str,
    work: ScryptWork,
) -> Result<Vec<u8>, IdentityFileError> {
    let mut recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
    if let ScryptWork::LogN(log_n) = work {
        recipient.set_work_factor(log_n);
    }
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))?;
    let mut sealed = Vec::new();
    // Writing into a Vec fails only if encryption does; age reports that as I/O.
    let io = |e| IdentityFileError::Seal(age::EncryptError::Io(e));
    let mut writer = encryptor.wrap_output(&mut sealed).map_err(io)?;
    writer
        .write_all(identity.to_file_text().as_bytes())
        .map_err(io)?;
    writer.finish().map_err(io)?;
    Ok(sealed)
}

/// An identity file checked to be passphrase-protected, before anyone is asked for the
/// passphrase: a wrong file is refused without a prompt.
pub struct LockedIdentity {
    sealed: Vec<u8>,
}

impl LockedIdentity {
    /// Checks the bytes of an identity file.
    pub fn new(sealed: Vec<u8>) -> Result<Self, IdentityFileError> {
        if sealed.starts_with(b"AGE-SECRET-KEY-") || sealed.starts_with(b"# ") {
            return Err(IdentityFileError::Unprotected);
        }
        let decryptor = age::Decryptor::new_buffered(&sealed[..])
            .map_err(|_| IdentityFileError::NotAnIdentityFile)?;
        if !decryptor.is_scrypt() {
            return Err(IdentityFileError::NotPassphraseProtected);
        }
        Ok(LockedIdentity { sealed })
    }

    /// Decrypts the identity into memory.
    pub fn unlock(&self, passphrase: &str) -> Result<InvestigatorIdentity, IdentityFileError> {
        // Checked in `new`: this parses what parsed before.
        let decryptor = age::Decryptor::new_buffered(&self.sealed[..])
            .map_err(|_| IdentityFileError::NotAnIdentityFile)?;
        let key = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
        let mut reader = decryptor
            .decrypt(std::iter::once(&key as &dyn age::Identity))
            .map_err(|e| match e {
                age::DecryptError::ExcessiveWork { .. } => IdentityFileError::ExcessiveWork,
                _ => IdentityFileError::WrongPassphrase,
            })?;
        let mut text = Zeroizing::new(String::new());
        reader
            .read_to_string(&mut text)
            .map_err(IdentityFileError::Damaged)?;
        InvestigatorIdentity::parse(&text).map_err(IdentityFileError::NoIdentity)
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    const PASSPHRASE: &str = "correct horse battery";

    fn sealed() -> (InvestigatorIdentity, Vec<u8>) {
        let identity = InvestigatorIdentity::generate();
        let sealed = seal(&identity, PASSPHRASE, ScryptWork::LogN(2)).unwrap();
        (identity, sealed)
    }

    #[test]
    fn the_right_passphrase_opens_the_identity_and_a_wrong_one_does_not() {
        let (identity, sealed) = sealed();
        let locked = LockedIdentity::new(sealed).unwrap();
        let opened = locked.unlock(PASSPHRASE).unwrap();
        assert_eq!(
            opened.recipient().to_string(),
            identity.recipient().to_string()
        );
        assert!(matches!(
            locked.unlock("wrong horse battery"),
            Err(IdentityFileError::WrongPassphrase)
        ));
    }

    #[test]
    fn unprotected_or_foreign_files_are_refused_before_any_prompt() {
        let identity = InvestigatorIdentity::generate();
        let plain = identity.to_file_text().as_bytes().to_vec();
        assert!(matches!(
            LockedIdentity::new(plain),
            Err(IdentityFileError::Unprotected)
        ));
        let bare_key = identity.to_file_text().lines().nth(1).unwrap().to_owned();
        assert!(matches!(
            LockedIdentity::new(bare_key.into_bytes()),
            Err(IdentityFileError::Unprotected)
        ));
        assert!(matches!(
            LockedIdentity::new(b"hello".to_vec()),
            Err(IdentityFileError::NotAnIdentityFile)
        ));
        let to_recipient = age::encrypt(
            &identity
                .recipient()
                .to_string()
                .parse::<age::x25519::Recipient>()
                .unwrap(),
            b"x",
        )
        .unwrap();
        assert!(matches!(
            LockedIdentity::new(to_recipient),
            Err(IdentityFileError::NotPassphraseProtected)
        ));
    }

    #[test]
    fn a_passphrase_protected_file_of_something_else_holds_no_identity() {
        let mut recipient = age::scrypt::Recipient::new(SecretString::from(PASSPHRASE.to_owned()));
        recipient.set_work_factor(2);
        let encryptor =
            age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .unwrap();
        let mut sealed = Vec::new();
        let mut writer = encryptor.wrap_output(&mut sealed).unwrap();
        writer.write_all(b"a shopping list").unwrap();
        writer.finish().unwrap();
        let locked = LockedIdentity::new(sealed).unwrap();
        assert!(matches!(
            locked.unlock(PASSPHRASE),
            Err(IdentityFileError::NoIdentity(_))
        ));
    }

    /// A file written by `quietline keygen` before this module existed (passphrase
    /// "old format passphrase 1"): existing identity files must keep opening.
    const KEYGEN_FILE: &str = "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IHNjcnlwdCBLY1NKekRWeEtQYXl0akdaT3hrMk5RIDEzClRHQ0hpQ0tmdHNBTTQyVzdaWnd4ZjNSZnArR3o4VXQrQ0txNENXMHMxM1kKLS0tIDVwK0hYRENpb003eEs3RUs3YVAreC84SFRFRkdwZEErZzBNekNhUXRabGcK3d1rYROSwqL/k+4h4zcEeN5QecQaQ2JpfjHRkmeXMLAiM/dlhysg59TGkEYsZ3L5KCaJEV+sgVIEPmS56/WHNkDMrYDp3HhxV4wZjIifpKWafO242WuCIOLDG5TNCUndiuOHqXOhtB60elnppYSheLfCOVjnHojdBfvf+EuPK00BwfPtgJLFk5BCtXhQnX7jXiw7OdP24dYylCWsJWC8DeJ5mS0nQj3NIg2WqFUkR7sHX3K3BTP+nQ==";
    const KEYGEN_RECIPIENT: &str = "age19zmeuw0q7wx93us6qr9x33upl5mdyglh8avjaxjsp7hs4s0pksgsrh28a6";

    #[test]
    fn files_from_earlier_keygen_still_open() {
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(KEYGEN_FILE)
            .unwrap();
        let identity = LockedIdentity::new(sealed)
            .unwrap()
            .unlock("old format passphrase 1")
            .unwrap();
        assert_eq!(identity.recipient().to_string(), KEYGEN_RECIPIENT);
    }

    #[test]
    fn sealed_files_are_what_age_opens_with_the_passphrase() {
        let (identity, sealed) = sealed();
        let key = age::scrypt::Identity::new(SecretString::from(PASSPHRASE.to_owned()));
        let text = age::decrypt(&key, &sealed).unwrap();
        assert_eq!(text, identity.to_file_text().as_bytes());
    }
}
