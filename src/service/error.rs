//! The service layer's one error type: one variant per meaning, so that the HTTP layer's
//! mapping to status codes and page messages is checked by the compiler.
//!
//! No variant carries content: at most a name the caller typed, a limit, or the kind of an
//! internal failure, so that any of them may be logged.

use crate::case::{StatusWordError, TransitionError};
use crate::crypto::{CryptoError, KdfError, MIN_PASSWORD_CHARS};
use crate::store::StoreError;

/// Largest ciphertext accepted for a reply, note or wrap.
pub const MAX_SEALED_BYTES: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    // --- what a reporter can get wrong ---------------------------------------------
    #[error("the message is empty")]
    EmptyMessage,
    #[error("the message is longer than {0} bytes")]
    TooLong(usize),
    /// The same for a token that never existed and one whose case is gone.
    #[error("no case matches this token")]
    UnknownToken,
    #[error("this service is not accepting reports yet: no investigator is registered")]
    NoInvestigators,
    /// A file to remove that none of the reporter's own messages lists, or one already
    /// removed.
    #[error("none of your messages lists this file, or it was already removed")]
    NoSuchFile,

    // --- what an investigator or administrator can get wrong -------------------------
    /// Deliberately the same for an unknown name, a wrong password and a wrong code.
    #[error("login failed: name, password or code is wrong")]
    LoginFailed,
    #[error("too many failed logins for this name; try again in {0} seconds")]
    Throttled(u64),
    #[error("the enrolment secret or code is wrong, or enrolment is already complete")]
    EnrolmentFailed,
    #[error("missing, expired or revoked session; log in again")]
    NoSession,
    #[error("this needs the admin role")]
    Forbidden,
    /// The same for a case that does not exist and one the investigator holds no wrap of.
    #[error("no such case, or you hold no access to it")]
    NoSuchCase,
    #[error("a name is 1 to 64 letters, digits, '.', '_' or '-'")]
    BadName,
    #[error(transparent)]
    BadRecipient(CryptoError),
    #[error("the password needs at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    #[error("an investigator named {0:?} already exists")]
    InvestigatorExists(String),
    #[error("no investigator named {0:?}")]
    NoSuchInvestigator(String),
    #[error("no enabled investigator named {0:?}")]
    NotEnabled(String),
    #[error("{0} already holds access to this case")]
    AlreadyHolds(String),
    #[error("ciphertext larger than {MAX_SEALED_BYTES} bytes")]
    SealedTooLarge,
    /// Anything that is not an age file, so that nobody stores plaintext by mistake.
    #[error("expected age ciphertext (binary format, base64 on the wire)")]
    NotSealed,
    #[error(transparent)]
    BadStatusWord(#[from] StatusWordError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// A case list filter in words the list does not know (the parameter's name).
    #[error("unknown value for the case list's {0} parameter")]
    BadFilter(&'static str),
    #[error("no label named {0:?}; labels are the fixed words of case::Label")]
    UnknownLabel(String),
    #[error("at most {0} case ids at once")]
    TooManyIds(usize),
    /// A confirmation the second-administrator rule forbids (the reason, fixed words).
    #[error("{0}")]
    NotYourConfirmation(&'static str),
    #[error("no recipient with this fingerprint waits for confirmation")]
    NoSuchProposal,
    #[error("not a mail address (name@domain, at most 254 characters)")]
    BadAddress,

    // --- what the store cannot take now: said to clients, logged once by the store ---
    #[error("the service has no room to store this right now; nothing was stored")]
    NoRoom,
    #[error(
        "the service cannot store anything right now and is restarting; nothing was stored, \
         please try again in a few minutes"
    )]
    StoreStopped,
    #[error(
        "the service's clock is wrong, so it cannot date this; nothing was stored, please \
         try again later"
    )]
    ClockWrong,
    /// A backup cannot be taken as configured (no backup directory, no recipient).
    #[error("{0}")]
    BackupUnavailable(&'static str),

    // --- failures of the service itself: logged by kind, never described to clients ---
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Kdf(#[from] KdfError),
    /// A decrypted entry that is not a message. Its decoder's words would quote the
    /// plaintext, so they are dropped here.
    #[error("a stored message could not be decoded")]
    UnreadableEntry,
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchCase => Error::NoSuchCase,
            StoreError::Refused(t) => Error::Transition(t),
            StoreError::InvestigatorExists(name) => Error::InvestigatorExists(name),
            StoreError::NoSuchInvestigator(name) => Error::NoSuchInvestigator(name),
            StoreError::WrapExists(name) => Error::AlreadyHolds(name),
            StoreError::Full { .. } => Error::NoRoom,
            StoreError::Failed(_) => Error::StoreStopped,
            StoreError::ClockBehind { .. } | StoreError::ClockAhead { .. } => Error::ClockWrong,
            other => Error::Store(other),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
