//! Session ids: 256 random bits handed to a client after it proves a token (or, for
//! investigators, a password and second factor). Servers keep only their SHA-256 digest, so
//! a memory or store dump does not yield a usable session.

use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::base32;

const BYTES: usize = 32;
const SYMBOLS: usize = (BYTES * 8).div_ceil(5);

/// A bearer session id. No `Debug`/`Display`; [`SessionId::encoded`] is called once, to
/// hand it to the client.
pub struct SessionId(Zeroizing<[u8; BYTES]>);

/// What servers store and look sessions up by.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionDigest([u8; 32]);

impl SessionDigest {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl SessionId {
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; BYTES]);
        OsRng.fill_bytes(&mut bytes[..]);
        SessionId(bytes)
    }

    pub fn encoded(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(SYMBOLS));
        base32::encode_bits(&self.0[..], BYTES * 8, &mut s);
        s
    }

    /// Strict: exactly the form [`SessionId::encoded`] produces. Returns `None` otherwise.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != SYMBOLS || !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let mut values = Zeroizing::new(Vec::with_capacity(SYMBOLS));
        base32::decode_symbols(text, &mut values)?;
        let mut bytes = Zeroizing::new([0u8; BYTES]);
        for (i, &v) in values.iter().enumerate() {
            for b in 0..5 {
                let bit = i * 5 + b;
                if bit < BYTES * 8 && v & (0x10 >> b) != 0 {
                    bytes[bit / 8] |= 0x80 >> (bit % 8);
                }
            }
        }
        let id = SessionId(bytes);
        // Reject non-canonical spellings (padding bits set, look-alike letters) so that one
        // session has exactly one valid text.
        if id.encoded().as_str() != text {
            return None;
        }
        Some(id)
    }

    pub fn digest(&self) -> SessionDigest {
        SessionDigest(Sha256::digest(&self.0[..]).into())
    }

    /// An age identity derived from the session's secret (HKDF-SHA256), to seal what a
    /// session carries where other instances keep it: only the bearer of the id, never a
    /// copy of the database (which holds the digest), can open it.
    pub fn sealing_identity(&self) -> super::ReporterIdentity {
        let mut bytes = Zeroizing::new([0u8; 32]);
        hkdf::Hkdf::<Sha256>::new(Some(b"quietline session seal v1"), &self.0[..])
            .expand(b"age identity", &mut bytes[..])
            // Infallible: 32 bytes is far below HKDF-SHA256's limit.
            .expect("32 bytes of HKDF output");
        super::ReporterIdentity::from_bytes(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_ids_parse_back_to_the_same_digest() {
        let id = SessionId::generate();
        let text = id.encoded();
        assert_eq!(text.len(), SYMBOLS);
        let back = SessionId::parse(&text).unwrap();
        assert!(back.digest() == id.digest());
    }

    #[test]
    fn only_canonical_text_parses() {
        let id = SessionId::generate();
        let text = id.encoded();
        assert!(SessionId::parse(&text.to_lowercase()).is_none());
        assert!(SessionId::parse(&text[1..]).is_none());
        assert!(SessionId::parse("not a session").is_none());
    }
}
