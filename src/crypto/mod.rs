//! Key material for quietline, pure and free of I/O.
//!
//! Everything here follows DESIGN.md "Keys": a case token read by a human, an argon2id
//! seed from it, HKDF labels that turn the seed into a store lookup id and a reporter age
//! identity, and per-case age keys stored only as wraps. Secret types have no
//! `Debug`/`Display`, are zeroized on drop and are compared in constant time, so that the
//! type system is the first line of the "nothing in logs" promise.
//!
//! `identity_file` is the passphrase-protected file that holds an investigator's
//! identity on their own machine: written by keygen, opened by the desk.

mod base32;
pub mod identity_file;
mod kdf;
mod keys;
mod password;
mod session;
mod token;
mod token_check;
mod totp;

pub use kdf::{DeploymentSalt, KdfError, KdfMemory, KdfParams, KdfSettings, LookupId, TokenSeed};
pub use keys::{
    CaseKey, CaseRecipient, CryptoError, InvestigatorIdentity, InvestigatorRecipient,
    ReporterIdentity, Wrap, seal_to_investigators,
};
pub use password::{MIN_PASSWORD_CHARS, PasswordHash};
pub use session::{SessionDigest, SessionId};
pub use token::{CaseToken, TOKEN_BITS, TokenError};
pub(crate) use token_check::prf;
pub use token_check::{
    FingerprintKey, TOKEN_CHECK_KEY_BYTES, TokenCheckKey, TokenClass, TokenFingerprint,
};
pub use totp::{TOTP_STEP_SECONDS, TotpSecret};
