//! Investigator passwords: argon2id with a random salt per password, compared in constant
//! time. Only the hash, its salt and its parameters are stored. argon2's working memory is
//! a [`KdfMemory`] that the caller reuses, as for case tokens.

use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{KdfError, KdfMemory, KdfParams};

/// Shortest password accepted at enrolment. The second factor and the login rate limit
/// carry part of the load, but a leaked store allows offline guessing of this hash.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// A stored password hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordHash {
    salt: [u8; 16],
    params: KdfParams,
    hash: [u8; 32],
}

/// `params` as argon2's, with a 32-byte output, or why argon2 refuses them.
fn argon2_params(params: KdfParams) -> Result<Params, KdfError> {
    Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(KdfError::Params)
}

fn argon2id(
    password: &str,
    salt: &[u8; 16],
    params: KdfParams,
    memory: &mut KdfMemory,
) -> Result<Zeroizing<[u8; 32]>, KdfError> {
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon2_params(params)?);
    let mut out = Zeroizing::new([0u8; 32]);
    memory.argon2id(&argon, password.as_bytes(), salt, &mut out[..])?;
    Ok(out)
}

impl PasswordHash {
    /// Hashes a new password. Blocking and CPU-heavy. Its argon2 memory is allocated for
    /// this one call; a server hashes with [`PasswordHash::new_in`] instead.
    pub fn new(password: &str, params: KdfParams) -> Result<Self, KdfError> {
        PasswordHash::new_in(password, params, &mut KdfMemory::new())
    }

    /// [`PasswordHash::new`] in caller-provided argon2 memory.
    pub fn new_in(
        password: &str,
        params: KdfParams,
        memory: &mut KdfMemory,
    ) -> Result<Self, KdfError> {
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        let hash = *argon2id(password, &salt, params, memory)?;
        Ok(PasswordHash { salt, params, hash })
    }

    /// Checks a password in constant time, in caller-provided argon2 memory. Blocking and
    /// CPU-heavy.
    pub fn verify(&self, password: &str, memory: &mut KdfMemory) -> bool {
        argon2id(password, &self.salt, self.params, memory)
            .map(|h| bool::from(h[..].ct_eq(&self.hash)))
            .unwrap_or(false)
    }

    /// A hash to verify against when a name does not exist, so that a login for an
    /// unknown name costs the same argon2 run, at `params`, as one for a real name.
    ///
    /// Its hash is random bytes rather than the hash of a random password: no password
    /// matches either, and making it takes no argon2 run. That matters for memory: a
    /// server that allocated and freed a 19 MiB argon2 buffer at start had glibc raise its
    /// mmap threshold past 19 MiB, and the next such buffer freed on the main thread
    /// stayed in the heap for the life of the process (README, Figures: `flood`).
    pub fn decoy(params: KdfParams) -> Result<Self, KdfError> {
        argon2_params(params)?;
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        let mut hash = [0u8; 32];
        OsRng.fill_bytes(&mut hash);
        Ok(PasswordHash { salt, params, hash })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: KdfParams = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn the_right_password_verifies_and_others_do_not() {
        let hash = PasswordHash::new("correct horse battery", SMALL).unwrap();
        let memory = &mut KdfMemory::new();
        assert!(hash.verify("correct horse battery", memory));
        assert!(!hash.verify("correct horse batterY", memory));
        assert!(!hash.verify("", memory));
        let again = PasswordHash::new("correct horse battery", SMALL).unwrap();
        assert!(again.salt != hash.salt, "every hash has its own salt");
    }

    #[test]
    fn hashes_made_in_reused_memory_are_argon2id_unchanged() {
        let memory = &mut KdfMemory::new();
        for _ in 0..2 {
            let reused = PasswordHash::new_in("correct horse battery", SMALL, memory).unwrap();
            // argon2 allocating its own memory, as before memory was reused.
            let mut alone = [0u8; 32];
            Argon2::new(
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(64, 1, 1, Some(32)).unwrap(),
            )
            .hash_password_into(b"correct horse battery", &reused.salt, &mut alone)
            .unwrap();
            assert_eq!(reused.hash, alone);
        }
    }

    #[test]
    fn a_decoy_refuses_every_password_at_the_parameters_it_was_given() {
        let decoy = PasswordHash::decoy(SMALL).unwrap();
        // An unknown name's login runs argon2 at the same cost as a real name's.
        assert_eq!(decoy.params, SMALL);
        let memory = &mut KdfMemory::new();
        for guess in ["", "correct horse battery", "0000000000000000"] {
            assert!(!decoy.verify(guess, memory));
        }
        assert!(PasswordHash::decoy(SMALL).unwrap().salt != decoy.salt);
        let unusable = KdfParams {
            memory_kib: 1,
            ..SMALL
        };
        assert!(PasswordHash::decoy(unusable).is_err());
    }
}
