//! Time-based one-time codes (RFC 6238), the investigator's second factor: the code an
//! authenticator app shows for a shared secret and a 30-second time step.
//!
//! A code is accepted for the current step or a neighbour (clocks drift), and only for a
//! step later than the last one accepted, so that a code works once. The caller stores
//! the accepted step; deciding "later than" atomically is the store's job.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Seconds per step, as authenticator apps assume.
pub const TOTP_STEP_SECONDS: u64 = 30;
/// Bytes of a new shared secret (160 bits, as RFC 4226 recommends).
const SECRET_BYTES: usize = 20;

/// A TOTP shared secret. The server must hold it to check codes.
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl TotpSecret {
    pub fn generate() -> Self {
        let mut secret = Zeroizing::new(vec![0u8; SECRET_BYTES]);
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret[..]);
        TotpSecret(secret)
    }

    pub fn from_bytes(bytes: &[u8]) -> Self {
        TotpSecret(Zeroizing::new(bytes.to_vec()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn totp(&self) -> totp_rs::TOTP {
        totp_rs::TOTP::new_unchecked(
            totp_rs::Algorithm::SHA1,
            6,
            1,
            TOTP_STEP_SECONDS,
            self.0.to_vec(),
        )
    }

    /// Base32 (RFC 4648, no padding), as authenticator apps expect it typed in.
    pub fn base32(&self) -> Zeroizing<String> {
        Zeroizing::new(self.totp().get_secret_base32())
    }

    /// The `otpauth://` address an authenticator app reads (as a QR code or a link).
    pub fn otpauth_uri(&self, account: &str) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "otpauth://totp/quietline:{account}?secret={}&issuer=quietline&algorithm=SHA1&digits=6&period={TOTP_STEP_SECONDS}",
            self.base32().as_str()
        ))
    }

    /// The code for time step `step`.
    pub fn code_at_step(&self, step: u64) -> Zeroizing<String> {
        Zeroizing::new(self.totp().generate(step * TOTP_STEP_SECONDS))
    }

    /// The time step `code` is valid in, if it matches the step of `now` (seconds since
    /// the Unix epoch) or a neighbour and is later than `last_step`.
    pub fn accepts(&self, code: &str, now: u64, last_step: u64) -> Option<u64> {
        let current = now / TOTP_STEP_SECONDS;
        [current.saturating_sub(1), current, current + 1]
            .into_iter()
            .filter(|&step| step > last_step)
            .find(|&step| {
                let expected = self.code_at_step(step);
                bool::from(expected.as_bytes().ct_eq(code.trim().as_bytes()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_encode_as_rfc4648_base32() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890");
        assert_eq!(secret.base32().as_str(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn codes_match_rfc6238_and_work_once_per_step() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); 6 digits: 287082.
        let secret = TotpSecret::from_bytes(b"12345678901234567890");
        assert_eq!(secret.code_at_step(1).as_str(), "287082");
        assert_eq!(secret.accepts("287082", 59, 0), Some(1));
        assert_eq!(
            secret.accepts(" 287082 ", 59 + 30, 0),
            Some(1),
            "a neighbour step"
        );
        assert_eq!(secret.accepts("287082", 59, 1), None, "used once already");
        assert_eq!(secret.accepts("287082", 59 + 90, 0), None, "too old");
        assert_eq!(secret.accepts("000000", 59, 0), None);
    }
}
