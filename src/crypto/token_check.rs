//! The keyed check on case tokens: how the service tells a real token from a guess before
//! it pays an argon2id run.
//!
//! A real token can only be told from a guess by deriving it, and every derivation costs
//! the server tens of milliseconds and 19 MiB: a flood of guessed tokens filled the login
//! lane, and real reporters' log-ins got 503 until it passed (issue 10). So case tokens
//! issued now carry four more symbols, the first 20 bits of a keyed PRF over their 100
//! random bits under a random key kept in the store beside the KDF salt. A guess passes
//! with probability 2^-20 and is otherwise refused at the cost of two HMACs; a real
//! token always passes and goes to argon2.
//!
//! The check adds symbols rather than taking any: the 100 random bits, and so everything
//! SECURITY.md promises about a token's strength, stay as they were. The key is secret
//! from the network only; whoever holds the store can compute checks, but that gives them
//! nothing they could not do with the store alone (the random part is still 100 bits and
//! each candidate still needs an argon2id run against the lookup index).
//!
//! Tokens issued before the check (20 symbols) still open their cases: they go to a lane
//! of their own (`http::blocking`), and only in deployments that held cases when the key
//! was made ([`TokenCheckKey::legacy_tokens`]). Elsewhere no such token can exist and a
//! 20-symbol token is refused like a failed check.

use hkdf::Hkdf;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::token::{CHECK_SYMBOLS, CaseToken, RANDOM_SYMBOLS};

/// Separates this PRF from every other use of HKDF in quietline.
const CHECK_LABEL: &[u8] = b"quietline/v1/token-check";
/// Separates the in-memory fingerprint of a token from its check.
const FINGERPRINT_LABEL: &[u8] = b"quietline/v1/token-fingerprint";
/// Bytes of a stored key: 32 of key, then 1 for [`TokenCheckKey::legacy_tokens`].
pub const TOKEN_CHECK_KEY_BYTES: usize = 33;

/// What the check says of a token, before any argon2 run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenClass {
    /// A token with a check that matches: a real token, or a guess that was lucky once in
    /// a million.
    Checked,
    /// A token from before the check (20 symbols), in a deployment that may hold some.
    Unchecked,
    /// A check that does not match, or a 20-symbol token where none can exist: not a token
    /// of this deployment. Answered like any unknown token.
    Refused,
}

/// The deployment's token-check key. Secret: no `Debug`, no `Display`, zeroized on drop.
pub struct TokenCheckKey {
    key: Zeroizing<[u8; 32]>,
    legacy_tokens: bool,
}

impl TokenCheckKey {
    /// A new key. `legacy_tokens`: the deployment already holds cases, whose tokens were
    /// issued without a check and must keep working.
    pub fn generate(legacy_tokens: bool) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(key.as_mut());
        TokenCheckKey { key, legacy_tokens }
    }

    /// A key for another purpose that every instance of the deployment derives alike
    /// (tagging form nonces, digesting typed names), separated by `purpose`.
    pub fn derive_key(&self, purpose: &[u8]) -> Zeroizing<[u8; 32]> {
        prf(self.key.as_ref(), purpose, b"quietline derived key")
    }

    /// Whether tokens without a check may exist in this deployment.
    pub fn legacy_tokens(&self) -> bool {
        self.legacy_tokens
    }

    /// The stored form: the key, then the legacy flag.
    pub fn to_bytes(&self) -> Zeroizing<[u8; TOKEN_CHECK_KEY_BYTES]> {
        let mut bytes = Zeroizing::new([0u8; TOKEN_CHECK_KEY_BYTES]);
        bytes[..32].copy_from_slice(self.key.as_ref());
        bytes[32] = u8::from(self.legacy_tokens);
        bytes
    }

    /// Reads the stored form; `None` if it is not one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != TOKEN_CHECK_KEY_BYTES || bytes[32] > 1 {
            return None;
        }
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&bytes[..32]);
        Some(TokenCheckKey {
            key,
            legacy_tokens: bytes[32] == 1,
        })
    }

    /// A new case token with its check: 100 random bits, then 20 bits of check.
    pub fn issue(&self) -> CaseToken {
        let random = CaseToken::generate();
        let check = self.check_symbols(random.values());
        random.with_check(check.as_slice())
    }

    /// Classifies a token before any argon2 run. Constant-time in the token's value: the
    /// comparison is `subtle`'s, and every 24-symbol token costs the same PRF.
    pub fn classify(&self, token: &CaseToken) -> TokenClass {
        let values = token.values();
        if values.len() == RANDOM_SYMBOLS {
            return if self.legacy_tokens {
                TokenClass::Unchecked
            } else {
                TokenClass::Refused
            };
        }
        let (random, check) = values.split_at(RANDOM_SYMBOLS);
        let expected = self.check_symbols(random);
        if bool::from(expected.as_slice().ct_eq(check)) {
            TokenClass::Checked
        } else {
            TokenClass::Refused
        }
    }

    /// The check of a token's random symbols: the first 20 bits of
    /// HKDF-SHA256(salt = key, input = symbols, info = label), as four 5-bit values.
    fn check_symbols(&self, random: &[u8]) -> Zeroizing<[u8; CHECK_SYMBOLS]> {
        let prf = prf(self.key.as_ref(), random, CHECK_LABEL);
        let bits = u32::from_be_bytes([prf[0], prf[1], prf[2], prf[3]]);
        let mut symbols = Zeroizing::new([0u8; CHECK_SYMBOLS]);
        for (i, symbol) in symbols.iter_mut().enumerate() {
            // Infallible cast: masked to 5 bits.
            *symbol = ((bits >> (27 - 5 * i)) & 0x1f) as u8;
        }
        symbols
    }
}

/// A keyed fingerprint of a token, for finding a token's live session without argon2
/// (`service::sessions`). Keyed with a random key made per process and never stored, so
/// neither the fingerprint nor a copy of memory's table leads back to a token without
/// that key, and then only by trying 2^100 tokens.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenFingerprint([u8; 32]);

impl TokenFingerprint {
    /// What a shared session table finds a token's session by, one way: the SHA-256 of
    /// the fingerprint, which is worthless without this process's key.
    pub fn lookup(&self) -> [u8; 32] {
        <Sha256 as sha2::Digest>::digest(self.0).into()
    }

    /// An age identity derived from the fingerprint, to seal a session for a take-over by
    /// the same token on this process (the fingerprint key never leaves its memory).
    pub fn sealing_identity(&self) -> super::ReporterIdentity {
        super::ReporterIdentity::from_bytes(&prf(&self.0, b"take-over", b"age identity"))
    }
}

/// The per-process key of [`TokenFingerprint`]s.
pub struct FingerprintKey(Zeroizing<[u8; 32]>);

impl FingerprintKey {
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(key.as_mut());
        FingerprintKey(key)
    }

    pub fn fingerprint(&self, token: &CaseToken) -> TokenFingerprint {
        TokenFingerprint(*prf(self.0.as_ref(), token.values(), FINGERPRINT_LABEL))
    }
}

/// HKDF-SHA256 with `key` as salt (its extract step is HMAC-SHA256 under `key`): a
/// 32-byte pseudo-random function of `input`, separated by `label`.
pub(crate) fn prf(key: &[u8], input: &[u8], label: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(key), input)
        .expand(label, out.as_mut())
        // Infallible: 32 bytes is far below HKDF-SHA256's 8160-byte limit.
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_are_six_groups_of_four_and_pass_their_check() {
        let key = TokenCheckKey::generate(false);
        for _ in 0..100 {
            let token = key.issue();
            let shown = token.grouped();
            assert_eq!(shown.len(), 29, "{}", shown.as_str());
            assert!(shown.split('-').all(|group| group.len() == 4));
            let typed = CaseToken::parse(&shown.to_lowercase()).unwrap();
            assert_eq!(key.classify(&typed), TokenClass::Checked);
        }
    }

    #[test]
    fn guesses_fail_the_check_and_another_deployment_s_tokens_too() {
        let key = TokenCheckKey::generate(true);
        let other = TokenCheckKey::generate(true);
        // Each guess passes with probability 2^-20: 1000 guesses all failing is the rule
        // (a false alarm here has probability about 1e-3).
        let passed = (0..1000)
            .filter(|_| key.classify(&other.issue()) == TokenClass::Checked)
            .count();
        assert!(passed <= 1, "{passed} of 1000 foreign tokens passed");
    }

    #[test]
    fn a_changed_symbol_fails_the_check() {
        let key = TokenCheckKey::generate(false);
        let shown = key.issue().grouped();
        for at in [0, 12, 25, 28] {
            let mut typed = shown.to_string().into_bytes();
            typed[at] = if typed[at] == b'7' { b'8' } else { b'7' };
            let token = CaseToken::parse(std::str::from_utf8(&typed).unwrap()).unwrap();
            assert_eq!(key.classify(&token), TokenClass::Refused, "symbol {at}");
        }
    }

    #[test]
    fn old_tokens_go_their_own_way_only_where_they_can_exist() {
        let old = CaseToken::parse("7KQX-M2RT-9HVD-W3NB-P4ZE").unwrap();
        assert_eq!(
            TokenCheckKey::generate(true).classify(&old),
            TokenClass::Unchecked
        );
        assert_eq!(
            TokenCheckKey::generate(false).classify(&old),
            TokenClass::Refused
        );
    }

    #[test]
    fn the_key_round_trips_through_its_stored_form() {
        let key = TokenCheckKey::generate(true);
        let token = key.issue();
        let again = TokenCheckKey::from_bytes(key.to_bytes().as_ref()).unwrap();
        assert!(again.legacy_tokens());
        assert_eq!(again.classify(&token), TokenClass::Checked);
        assert!(TokenCheckKey::from_bytes(&[0; 32]).is_none());
        assert!(TokenCheckKey::from_bytes(&[2; 33]).is_none());
    }

    #[test]
    fn fingerprints_match_for_the_same_token_only() {
        let key = FingerprintKey::generate();
        let token = TokenCheckKey::generate(false).issue();
        let typed = CaseToken::parse(&token.grouped().to_lowercase()).unwrap();
        assert!(key.fingerprint(&token) == key.fingerprint(&typed));
        assert!(key.fingerprint(&token) != key.fingerprint(&CaseToken::generate()));
        assert!(FingerprintKey::generate().fingerprint(&token) != key.fingerprint(&token));
    }
}
