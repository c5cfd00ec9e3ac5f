//! Where cases live: the `Store` trait, the records it keeps, and the sled implementation.
//!
//! The trait is small on purpose, so that a second backend on a replicated database can
//! serve deployments that outgrow one machine; sled stays the embedded default. Every
//! method that writes returns only once the write is durable: callers may acknowledge it
//! to a client as soon as the method returns. Methods block (sled's flush is an fsync), so
//! async callers run them through `spawn_blocking`.

mod sled_store;

pub use sled_store::SledStore;

use serde::{Deserialize, Serialize};

use crate::case::{Category, Day, Deadlines, Status};
use crate::crypto::{KdfSettings, LookupId, Wrap};

/// A case's id inside the service: random, unrelated to the token, and what investigators
/// refer to a case by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CaseId([u8; 16]);

impl CaseId {
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut id = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut id);
        CaseId(id)
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl std::fmt::Display for CaseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// Who holds a wrap of a case key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    Reporter,
    Investigator(String),
}

impl Holder {
    fn key_part(&self) -> Vec<u8> {
        match self {
            Holder::Reporter => b"r".to_vec(),
            Holder::Investigator(name) => [b"i:".as_slice(), name.as_bytes()].concat(),
        }
    }
}

/// Who wrote a thread entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Reporter,
    Investigator,
}

/// What the service knows about a case in clear: what triage, deadlines and statistics
/// need, and nothing the reporter wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRecord {
    pub status: Status,
    pub category: Category,
    pub urgent: bool,
    pub received: Day,
    pub deadlines: Deadlines,
    pub acknowledged: Option<Day>,
    pub assignees: Vec<String>,
    /// Entries in the thread; the next entry's sequence number.
    pub entries: u64,
    /// Day of the reporter's latest message, for "new reporter messages" marks.
    pub last_reporter_message: Day,
}

/// One message of a case thread, encrypted to the case key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadEntry {
    pub author: Author,
    pub day: Day,
    pub ciphertext: Vec<u8>,
}

/// Everything a new case is made of, written in one transaction.
pub struct NewCase {
    pub id: CaseId,
    pub lookup: LookupId,
    pub record: CaseRecord,
    pub wraps: Vec<(Holder, Wrap)>,
    pub report: ThreadEntry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Investigator,
    Admin,
}

/// An investigator as the server knows them: a name and a public age recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestigatorRecord {
    pub name: String,
    /// `age1...` text.
    pub recipient: String,
    pub role: Role,
    pub enabled: bool,
    /// A throwaway identity made by `serve --demo`, never for real reports.
    pub demo: bool,
    pub added: Day,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the data directory {0} is locked: is another quietline process using it? stop it first"
    )]
    Locked(String),
    #[error("storage failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the store is corrupt or of another version: {0}")]
    Corrupt(String),
    #[error("a case with this lookup id already exists")]
    LookupTaken,
    #[error("no such case")]
    NoSuchCase,
    #[error("an investigator named {0:?} already exists")]
    InvestigatorExists(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The storage the service needs. Implementations must make every write durable before
/// returning.
pub trait Store: Send + Sync + 'static {
    /// Stores `proposed` if the deployment has no KDF settings yet; returns the settings in
    /// force either way (stored ones win: changing them would strand every token).
    fn init_kdf(&self, proposed: KdfSettings) -> StoreResult<KdfSettings>;

    /// Writes a case, its lookup index, its wraps and its first thread entry atomically.
    fn create_case(&self, case: NewCase) -> StoreResult<()>;

    fn case_by_lookup(&self, lookup: &LookupId) -> StoreResult<Option<(CaseId, CaseRecord)>>;

    fn case(&self, case: CaseId) -> StoreResult<Option<CaseRecord>>;

    /// How many cases the store holds.
    fn case_count(&self) -> StoreResult<usize>;

    fn wrap(&self, case: CaseId, holder: &Holder) -> StoreResult<Option<Wrap>>;

    fn thread(&self, case: CaseId) -> StoreResult<Vec<ThreadEntry>>;

    /// Appends an entry to a case thread and updates the case record; returns the entry's
    /// sequence number.
    fn append_entry(&self, case: CaseId, entry: ThreadEntry) -> StoreResult<u64>;

    fn add_investigator(&self, investigator: InvestigatorRecord) -> StoreResult<()>;

    fn investigators(&self) -> StoreResult<Vec<InvestigatorRecord>>;

    /// Removes an investigator and every wrap they hold; returns whether they existed.
    fn remove_investigator(&self, name: &str) -> StoreResult<bool>;
}
