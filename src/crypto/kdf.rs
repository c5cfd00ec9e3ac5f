//! From a case token to what the store is keyed by and to the reporter's age identity.
//!
//! `seed = argon2id(token, deployment salt)`, then HKDF-SHA256 with distinct labels gives
//! the [`LookupId`] and the [`ReporterIdentity`]. The salt is one per deployment, not per
//! case, on purpose: a case must be found from its token without scanning. The token's
//! 100 bits, not the KDF, put brute force out of reach; argon2id is defence in depth, kept
//! moderate because every login costs the server one hash (DESIGN.md, "Keys").
//!
//! argon2id's working memory is a [`KdfMemory`] that the caller owns and reuses: freeing a
//! 19 MiB buffer after every derivation lets the allocator keep it, and under concurrent
//! load the process grew to hundreds of MiB. With one buffer per worker, memory is
//! bounded by workers × buffer size, however many requests arrive.

use argon2::{Algorithm, Argon2, Block, Params, Version};
use hkdf::Hkdf;
use rand::RngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use super::{CaseToken, ReporterIdentity};

const LOOKUP_LABEL: &[u8] = b"quietline/v1/lookup-id";
const REPORTER_IDENTITY_LABEL: &[u8] = b"quietline/v1/reporter-identity";

/// argon2id cost. Chosen at `init`, then read from the store: changing it later would make
/// every existing token unreadable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// 19 MiB, t = 2, p = 1 (the OWASP argon2id baseline): a median of 37 ms on one core of the
    /// 2-core CI machine (`cargo bench --bench reporter`), inside the 19-64 MiB,
    /// t = 2-3 band of DESIGN.md.
    fn default() -> Self {
        KdfParams {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KdfError {
    #[error("argon2 parameters are not usable: {0}")]
    Params(argon2::Error),
}

/// argon2id's working memory, owned by the caller so that it can be reused across
/// derivations (one per worker) instead of being allocated and freed each time.
///
/// It starts empty and grows, once, to the largest parameters it is used with. It holds
/// values derived from a token or password only while a derivation runs: it is wiped
/// after each one and when dropped. Reused and wiped, a derivation is still a little
/// faster than with fresh memory (`cargo bench --bench reporter`: median 15.8 ms against
/// 17.5 ms at the defaults).
///
/// A long-running process should not free one either: the first 19 MiB block freed raises
/// glibc's mmap threshold past its size, and later ones freed may then stay in the heap
/// for the life of the process (README, Figures: `flood`).
pub struct KdfMemory(Vec<Block>);

impl KdfMemory {
    pub fn new() -> Self {
        KdfMemory(Vec::new())
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.0.len() * Block::SIZE
    }

    /// Hashes `secret` with `argon`, in this memory, then wipes the memory.
    pub(super) fn argon2id(
        &mut self,
        argon: &Argon2<'_>,
        secret: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), KdfError> {
        let needed = argon.params().block_count();
        if self.0.len() < needed {
            // Replaced rather than resized, so that no reallocation copies blocks out of
            // reach of the wipe.
            self.wipe();
            self.0 = vec![Block::default(); needed];
        }
        let blocks = &mut self.0[..needed];
        let hashed = argon.hash_password_into_with_memory(secret, salt, out, &mut *blocks);
        blocks.iter_mut().for_each(Zeroize::zeroize);
        hashed.map_err(KdfError::Params)
    }

    fn wipe(&mut self) {
        self.0.iter_mut().for_each(Zeroize::zeroize);
    }
}

impl Default for KdfMemory {
    fn default() -> Self {
        KdfMemory::new()
    }
}

impl Drop for KdfMemory {
    fn drop(&mut self) {
        self.wipe();
    }
}

/// The per-deployment argon2 salt: random, made once at init. Not secret, but it must not
/// be lost: without it no token finds its case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentSalt([u8; 16]);

impl DeploymentSalt {
    pub fn generate() -> Self {
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        DeploymentSalt(salt)
    }
}

/// What `init` stores in the `meta` tree: the salt and the parameters, together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfSettings {
    pub salt: DeploymentSalt,
    pub params: KdfParams,
}

impl KdfSettings {
    /// Checks the parameters without hashing anything, so bad configuration fails at start.
    pub fn validate(&self) -> Result<(), KdfError> {
        self.argon2().map(|_| ())
    }

    fn argon2(&self) -> Result<Argon2<'static>, KdfError> {
        let p = self.params;
        let params = Params::new(p.memory_kib, p.iterations, p.parallelism, Some(32))
            .map_err(KdfError::Params)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// The expensive step. Blocking and CPU-heavy: call it off the async workers. Its
    /// argon2 memory is allocated for this one call; a server derives with
    /// [`KdfSettings::derive_seed_in`] and a reused [`KdfMemory`] instead.
    pub fn derive_seed(&self, token: &CaseToken) -> Result<TokenSeed, KdfError> {
        self.derive_seed_in(token, &mut KdfMemory::new())
    }

    /// [`KdfSettings::derive_seed`] in caller-provided argon2 memory.
    pub fn derive_seed_in(
        &self,
        token: &CaseToken,
        memory: &mut KdfMemory,
    ) -> Result<TokenSeed, KdfError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        memory.argon2id(
            &self.argon2()?,
            token.canonical().as_bytes(),
            &self.salt.0,
            seed.as_mut(),
        )?;
        Ok(TokenSeed(seed))
    }
}

/// `argon2id(token, salt)`. Never stored; it lives only while a request derives from it.
pub struct TokenSeed(Zeroizing<[u8; 32]>);

impl TokenSeed {
    fn expand(&self, label: &[u8]) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, self.0.as_ref())
            .expand(label, out.as_mut())
            // Infallible: 32 bytes is far below HKDF-SHA256's 8160-byte limit.
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        out
    }

    /// The key of the case in the store. It finds the case but opens nothing.
    pub fn lookup_id(&self) -> LookupId {
        LookupId(*self.expand(LOOKUP_LABEL))
    }

    /// The age identity that the reporter's wrap of the case key is encrypted to.
    pub fn reporter_identity(&self) -> ReporterIdentity {
        ReporterIdentity::from_bytes(&self.expand(REPORTER_IDENTITY_LABEL))
    }
}

/// What the `lookup` tree is keyed by. Derived from the token through argon2id, so a copy
/// of the store cannot be turned back into tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct LookupId([u8; 32]);

impl LookupId {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A lookup id as a store keeps it (`quietline migrate-store` copies them).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        LookupId(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> KdfSettings {
        KdfSettings {
            salt: DeploymentSalt([7; 16]),
            params: KdfParams {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
        }
    }

    #[test]
    fn defaults_are_those_of_the_design() {
        let p = KdfParams::default();
        assert!((19 * 1024..=64 * 1024).contains(&p.memory_kib));
        assert!((2..=3).contains(&p.iterations));
        assert_eq!(p.parallelism, 1);
    }

    #[test]
    fn same_token_same_lookup_and_identity() {
        let t = CaseToken::parse("7KQX-M2RT-9HVD-W3NB-P4ZE").unwrap();
        let again = CaseToken::parse("7kqx m2rt 9hvd w3nb p4ze").unwrap();
        let a = small().derive_seed(&t).unwrap();
        let b = small().derive_seed(&again).unwrap();
        assert!(a.lookup_id() == b.lookup_id());
        assert_eq!(
            a.reporter_identity().recipient().to_string(),
            b.reporter_identity().recipient().to_string()
        );
    }

    #[test]
    fn labels_and_salts_separate_keys() {
        let t = CaseToken::parse("7KQX-M2RT-9HVD-W3NB-P4ZE").unwrap();
        let seed = small().derive_seed(&t).unwrap();
        assert_ne!(
            &seed.expand(LOOKUP_LABEL)[..],
            &seed.expand(REPORTER_IDENTITY_LABEL)[..]
        );
        let mut other = small();
        other.salt = DeploymentSalt([8; 16]);
        assert!(other.derive_seed(&t).unwrap().lookup_id() != seed.lookup_id());
    }

    #[test]
    fn argon2id_vector_is_stable() {
        // Pins the whole derivation (argon2id v0x13, canonical token text, HKDF label), so
        // that an upgrade that changes any of them fails here before it strands every case.
        let t = CaseToken::parse("7KQX-M2RT-9HVD-W3NB-P4ZE").unwrap();
        let lookup = small().derive_seed(&t).unwrap().lookup_id();
        let hex: String = lookup.0.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, LOOKUP_VECTOR);
    }

    // Computed independently with Python (argon2-cffi hash_secret_raw, then RFC 5869 HKDF by
    // hand over hmac/hashlib), not copied from this code's own output.
    const LOOKUP_VECTOR: &str = "9227850fd1e989c46a361df27afe32a17499232d3df6f209353a4a2f013cecda";

    #[test]
    fn reused_memory_gives_the_vector_and_is_wiped_after_each_derivation() {
        let t = CaseToken::parse("7KQX-M2RT-9HVD-W3NB-P4ZE").unwrap();
        let mut memory = KdfMemory::new();
        for _ in 0..3 {
            let lookup = small().derive_seed_in(&t, &mut memory).unwrap().lookup_id();
            let hex: String = lookup.0.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, LOOKUP_VECTOR);
            assert_eq!(memory.bytes(), 64 * 1024, "grown once, to the parameters");
            assert!(memory.0.iter().all(|b| b.as_ref().iter().all(|w| *w == 0)));
        }
    }

    #[test]
    fn memory_grows_to_larger_parameters_and_keeps_its_size_for_smaller() {
        let t = CaseToken::parse("7KQX-M2RT-9HVD-W3NB-P4ZE").unwrap();
        let mut larger = small();
        larger.params.memory_kib = 256;
        let mut memory = KdfMemory::new();
        let big = larger.derive_seed_in(&t, &mut memory).unwrap().lookup_id();
        assert_eq!(memory.bytes(), 256 * 1024);
        let lookup = small().derive_seed_in(&t, &mut memory).unwrap().lookup_id();
        assert_eq!(memory.bytes(), 256 * 1024);
        assert!(lookup == small().derive_seed(&t).unwrap().lookup_id());
        assert!(big == larger.derive_seed(&t).unwrap().lookup_id());
    }

    #[test]
    fn bad_parameters_fail_validation() {
        let mut s = small();
        s.params.memory_kib = 1;
        assert!(s.validate().is_err());
    }
}
