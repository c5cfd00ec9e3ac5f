//! The case token: the reporter's only key to their side of a case.
//!
//! 100 bits from the OS CSPRNG, shown once in groups of four Crockford base32 symbols.
//! A case token issued now is six groups, the 100 random bits then a four-symbol keyed
//! check (`7KQX-M2RT-9HVD-W3NB-P4ZE-H6QA`; see `token_check`); tokens issued before the
//! check are the first five groups alone, and still read. The token itself is never
//! stored; see `kdf` for what is.

use rand::RngCore;
use rand::rngs::OsRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::base32;

/// Strength of a token. 100 bits put brute force out of reach whatever the KDF costs.
pub const TOKEN_BITS: usize = 100;
/// One symbol carries 5 bits: the symbols of the random part.
pub(super) const RANDOM_SYMBOLS: usize = TOKEN_BITS / 5;
/// Symbols of the keyed check that follows the random part (20 bits).
pub(super) const CHECK_SYMBOLS: usize = 4;
/// Symbols of a token with its check.
const CHECKED_SYMBOLS: usize = RANDOM_SYMBOLS + CHECK_SYMBOLS;
/// Typed input longer than this cannot be a token, even with generous spacing; refusing it
/// early keeps the parser from being a work amplifier.
const MAX_TYPED_LEN: usize = 200;

/// Why typed text is not a token. Deliberately says nothing about whether a case exists.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error(
        "a case token has {CHECKED_SYMBOLS} letters and digits ({RANDOM_SYMBOLS} if it is an old one); this one has {0}"
    )]
    WrongLength(usize),
    #[error("a case token uses only the letters A-Z (without U) and the digits 0-9")]
    BadCharacter,
}

/// A case token in canonical form: 24 upper-case symbols (20 for a token from before the
/// check), no separators.
///
/// No `Debug`, no `Display`: the only way out is [`CaseToken::grouped`], called where the
/// token is shown to the reporter once.
pub struct CaseToken {
    /// One 5-bit value per symbol.
    values: Zeroizing<Vec<u8>>,
}

impl CaseToken {
    /// 100 bits from the operating system's CSPRNG, without a check: the random part of a
    /// case token (a case token is issued by `TokenCheckKey::issue`), or a one-time secret
    /// shown in the same readable form.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; RANDOM_SYMBOLS]);
        OsRng.fill_bytes(bytes.as_mut());
        // 256 is a multiple of 32, so masking keeps every symbol uniform.
        let values = bytes.iter().map(|b| b & 0x1f).collect();
        CaseToken {
            values: Zeroizing::new(values),
        }
    }

    /// Reads a token as a person typed it: any case, spaces and hyphens anywhere, O for 0
    /// and I or L for 1.
    pub fn parse(typed: &str) -> Result<Self, TokenError> {
        if typed.len() > MAX_TYPED_LEN {
            return Err(TokenError::WrongLength(typed.len()));
        }
        let mut values = Zeroizing::new(Vec::with_capacity(MAX_TYPED_LEN));
        base32::decode_symbols(typed, &mut values).ok_or(TokenError::BadCharacter)?;
        if values.len() != CHECKED_SYMBOLS && values.len() != RANDOM_SYMBOLS {
            return Err(TokenError::WrongLength(values.len()));
        }
        Ok(CaseToken { values })
    }

    /// The symbols' 5-bit values.
    pub(super) fn values(&self) -> &[u8] {
        &self.values
    }

    /// This token (its random part) followed by `check`.
    pub(super) fn with_check(&self, check: &[u8]) -> CaseToken {
        let mut values = Zeroizing::new(Vec::with_capacity(CHECKED_SYMBOLS));
        values.extend_from_slice(&self.values[..RANDOM_SYMBOLS]);
        values.extend_from_slice(check);
        CaseToken { values }
    }

    /// The canonical symbols, the input to the KDF.
    pub(crate) fn canonical(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(self.values.len()));
        s.extend(self.values.iter().map(|&v| base32::symbol(v)));
        s
    }

    /// The token as shown to a reporter: groups of four joined by hyphens.
    pub fn grouped(&self) -> Zeroizing<String> {
        let n = self.values.len();
        let mut s = Zeroizing::new(String::with_capacity(n + n / 4));
        for (i, &v) in self.values.iter().enumerate() {
            if i > 0 && i % 4 == 0 {
                s.push('-');
            }
            s.push(base32::symbol(v));
        }
        s
    }
}

impl PartialEq for CaseToken {
    fn eq(&self, other: &Self) -> bool {
        self.values.as_slice().ct_eq(other.values.as_slice()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_grouped_and_parse_back() {
        let token = CaseToken::generate();
        let shown = token.grouped();
        assert_eq!(shown.len(), 24);
        assert_eq!(shown.matches('-').count(), 4);
        assert!(CaseToken::parse(&shown).unwrap() == token);
    }

    #[test]
    fn typing_mistakes_of_form_are_forgiven() {
        let token = CaseToken::parse("7KQX-M2RT-9HVD-W3NB-P4ZE").unwrap();
        let sloppy = CaseToken::parse(" 7kqx m2rt 9hvd w3nb p4ze ").unwrap();
        assert!(token == sloppy);
        let with_lookalikes = CaseToken::parse("1OAA-AAAA-AAAA-AAAA-AAAA").unwrap();
        let with_digits = CaseToken::parse("l0AA-AAAA-AAAA-AAAA-AAAA").unwrap();
        assert!(with_lookalikes == with_digits);
    }

    #[test]
    fn different_tokens_differ() {
        let a = CaseToken::parse("7KQX-M2RT-9HVD-W3NB-P4ZE").unwrap();
        let b = CaseToken::parse("7KQX-M2RT-9HVD-W3NB-P4ZF").unwrap();
        assert!(a != b);
    }

    #[test]
    fn malformed_tokens_are_refused_with_a_reason() {
        assert_eq!(
            CaseToken::parse("7KQX-M2RT").err(),
            Some(TokenError::WrongLength(8))
        );
        assert_eq!(
            CaseToken::parse("7KQX-M2RT-9HVD-W3NB-P4Z!").err(),
            Some(TokenError::BadCharacter)
        );
        assert!(CaseToken::parse(&"A".repeat(10_000)).is_err());
        assert_eq!(
            CaseToken::parse("7KQX-M2RT-9HVD-W3NB-P4ZE-H6").err(),
            Some(TokenError::WrongLength(22))
        );
        assert!(CaseToken::parse("7KQX-M2RT-9HVD-W3NB-P4ZE-H6QA").is_ok());
    }

    #[test]
    fn generation_uses_the_whole_alphabet() {
        // 50 tokens are 1000 symbols; missing one of 32 symbols by chance has probability
        // about 32 * (31/32)^1000, far below 1e-10.
        let mut seen = [false; 32];
        for _ in 0..50 {
            for &v in CaseToken::generate().values.iter() {
                seen[v as usize] = true;
            }
        }
        assert!(seen.iter().all(|&s| s));
    }
}
