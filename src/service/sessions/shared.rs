//! Reporter sessions kept where every instance sees them (the PostgreSQL database), with
//! no case key in server memory between requests.
//!
//! What a session carries (the case id, the case key and what the reporter had seen) is
//! sealed with age to an identity derived from the session secret by HKDF
//! (`SessionId::sealing_identity`): only the bearer of the id opens it. The row is keyed
//! by the SHA-256 digest of the id, and by a slot that only holders of the case key can
//! compute (`CaseKey::session_slot`), which keeps one live session per case without
//! naming the case. A copy of the table alone therefore opens no case and says which
//! case no row belongs to.

use serde::{Deserialize, Serialize};

use crate::crypto::{CaseKey, ReporterIdentity, SessionId, Wrap};
use crate::service::reporter::OpenCase;
use crate::store::{CaseId, StoreResult};

/// The database side: rows of sealed sessions. Times are minutes since the Unix epoch
/// (the idle and absolute limits are set in minutes), checked by the query. Blocking.
pub trait SharedReporterSessions: Send + Sync {
    /// Stores a session, replacing any other session of the same `slot` (case).
    fn put(&self, row: SessionRow<'_>) -> StoreResult<()>;
    /// The live session that the token of `token_lookup` opened, as sealed for a
    /// take-over (`SessionRow::by_token`).
    fn by_token(&self, token_lookup: &[u8; 32], now: u64) -> StoreResult<Option<Vec<u8>>>;
    /// Moves that live session to a new id in one statement (the old id ends), so that
    /// concurrent take-overs never find the row missing; false if it is gone.
    fn take_over(
        &self,
        token_lookup: &[u8; 32],
        now: u64,
        new: SessionRow<'_>,
    ) -> StoreResult<bool>;
    /// The sealed session of a live row, whose idle limit this use moves to `idle_until`.
    fn get(&self, digest: &[u8; 32], now: u64, idle_until: u64) -> StoreResult<Option<Vec<u8>>>;
    fn end(&self, digest: &[u8; 32]) -> StoreResult<()>;
    /// Deletes every expired row.
    fn sweep(&self, now: u64) -> StoreResult<()>;
}

/// One session as stored.
pub struct SessionRow<'a> {
    pub digest: &'a [u8; 32],
    pub slot: &'a [u8; 32],
    pub sealed: &'a [u8],
    /// The token's fingerprint, hashed (`TokenFingerprint::lookup`).
    pub token_lookup: &'a [u8; 32],
    /// The same session sealed to the token's fingerprint, for a take-over by a login
    /// with the same token on the same process.
    pub by_token: &'a [u8],
    pub idle_until: u64,
    pub ends_at: u64,
}

/// What is sealed: the case id and what the reporter had seen (age-encrypted as one),
/// and the case key wrapped to the same derived identity.
#[derive(Serialize, Deserialize)]
struct Sealed {
    about: Vec<u8>,
    wrap: Vec<u8>,
}

/// Seals `case` for the bearer of `id`.
pub fn seal(id: &SessionId, case: &OpenCase) -> Option<Vec<u8>> {
    seal_to(&id.sealing_identity(), case)
}

/// Opens what [`seal`] made, with the session id the reporter sent.
pub fn open(id: &SessionId, sealed: &[u8]) -> Option<OpenCase> {
    open_with(&id.sealing_identity(), sealed)
}

/// Seals `case` to a derived identity.
pub fn seal_to(identity: &ReporterIdentity, case: &OpenCase) -> Option<Vec<u8>> {
    let recipient = identity.recipient();
    let about = postcard::to_stdvec(&(case.id(), case.seen_before())).ok()?;
    let sealed = Sealed {
        about: age::encrypt(&recipient, &about).ok()?,
        wrap: case.key().wrap_to(&recipient).ok()?.0,
    };
    postcard::to_stdvec(&sealed).ok()
}

/// Opens what [`seal_to`] made.
pub fn open_with(identity: &ReporterIdentity, sealed: &[u8]) -> Option<OpenCase> {
    let sealed: Sealed = postcard::from_bytes(sealed).ok()?;
    let decryptor = age::Decryptor::new_buffered(&sealed.about[..]).ok()?;
    let mut reader = decryptor.decrypt(std::iter::once(identity.as_age())).ok()?;
    let mut about = zeroize::Zeroizing::new(Vec::new());
    std::io::Read::read_to_end(&mut reader, &mut about).ok()?;
    let (case, seen): (CaseId, u64) = postcard::from_bytes(&about).ok()?;
    let key = CaseKey::unwrap_with(&Wrap(sealed.wrap), identity.as_age()).ok()?;
    Some(OpenCase::resumed(case, key, seen))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_session_id_opens_a_sealed_session() {
        let case = OpenCase::new(CaseId::generate(), CaseKey::generate());
        let id = SessionId::generate();
        let sealed = seal(&id, &case).unwrap();
        let opened = open(&id, &sealed).expect("the bearer opens it");
        assert_eq!(opened.id(), case.id());
        assert_eq!(opened.key().session_slot(), case.key().session_slot());
        assert!(open(&SessionId::generate(), &sealed).is_none());
        let id_text = id.encoded();
        assert!(!sealed.windows(16).any(|w| w == &case.id().as_bytes()[..]));
        assert!(!sealed.windows(8).any(|w| w == &id_text.as_bytes()[..8]));
    }
}
