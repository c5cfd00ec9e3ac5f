//! Where cases live: the `Store` trait, the records it keeps, and the sled implementation.
//!
//! The trait is small on purpose, so that a second backend on a replicated database can
//! serve deployments that outgrow one machine; sled stays the embedded default. Every
//! method that writes returns only once the write is durable: callers may acknowledge it
//! to a client as soon as the method returns. Methods block (each write ends in fsyncs),
//! so async callers run them through `spawn_blocking`.
//!
//! Nothing is deleted because the store does not list it, and a store that opens with
//! less than it had acknowledged refuses to start: see `mark.rs` and [`SledStore::sweep`].

mod blobs;
mod disk;
mod guard;
mod mark;
mod postgres;
mod retention;
mod sled_store;
mod snapshot;

pub use blobs::Refreshed;
pub use blobs::{BlobId, Blobs, Sweep};
pub use disk::create_private_dir;
pub use guard::{MAX_DAYS_AHEAD, STALL_LIMIT};
pub use mark::Counts;
pub use postgres::{DatabaseUrl, PgStore};
pub use retention::Purged;
pub use sled_store::{Durability, OpenOptions, Rewritten, SledStore};
pub use snapshot::{SnapshotError, SnapshotSummary, restore as restore_snapshot};

use std::io::{Read, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::audit;
use crate::case::{Author, CaseRecord, Day, Role, TransitionError, added_later};
use crate::crypto::{
    InvestigatorRecipient, KdfSettings, LookupId, PasswordHash, TokenCheckKey, Wrap,
};

/// A case's id inside the service: random, unrelated to the token, and what investigators
/// refer to a case by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

    /// Reads the 32-hex-digit form that [`Display`](std::fmt::Display) writes.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 32 || !text.is_ascii() {
            return None;
        }
        let mut id = [0u8; 16];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(CaseId(id))
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
    /// The organisation's offline recovery identity (kept on paper or in a safe), so that
    /// a lost investigator key never makes a case unreadable.
    Recovery,
}

impl Holder {
    fn key_part(&self) -> Vec<u8> {
        match self {
            Holder::Reporter => b"r".to_vec(),
            Holder::Recovery => b"k".to_vec(),
            Holder::Investigator(name) => [b"i:".as_slice(), name.as_bytes()].concat(),
        }
    }
}

/// One message of a case thread, encrypted to the case key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadEntry {
    pub author: Author,
    pub day: Day,
    pub ciphertext: Vec<u8>,
}

/// Rows of each kind a store holds, to check a copy (`quietline migrate-store`) against
/// its source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableCounts {
    pub cases: u64,
    pub entries: u64,
    pub notes: u64,
    pub wraps: u64,
    /// Evidence files that a committed message lists.
    pub blobs: u64,
    pub audit: u64,
    pub investigators: u64,
}

/// Everything a new case is made of, written in one transaction.
pub struct NewCase {
    pub id: CaseId,
    pub lookup: LookupId,
    pub record: CaseRecord,
    pub wraps: Vec<(Holder, Wrap)>,
    pub report: ThreadEntry,
    /// Evidence files the report carries, already complete on disk.
    pub blobs: Vec<BlobId>,
}

/// An investigator as the server knows them: a name, a public age recipient, and the
/// credentials they log in with.
#[derive(Clone, Serialize, Deserialize)]
pub struct InvestigatorRecord {
    pub name: String,
    /// Their public age recipient (stored as its `age1...` text).
    #[serde(with = "recipient_text")]
    pub recipient: InvestigatorRecipient,
    pub role: Role,
    pub enabled: bool,
    /// A throwaway identity made by `serve --demo`, never for real reports.
    pub demo: bool,
    pub added: Day,
    pub credentials: Credentials,
    /// While their recipient waits for a second administrator's confirmation (issue 12):
    /// who proposed it (an investigator's name, or `admin-cli`). New cases are not
    /// wrapped to a recipient that waits. `None` once confirmed, and in records written
    /// before confirmation existed.
    #[serde(default, deserialize_with = "added_later")]
    pub proposed_by: Option<String>,
    /// The mail address their own alerts go to, set by them from the desk. Personal data
    /// that ties a person to the unit: held in clear because the server sends the mail,
    /// and nothing else (SECURITY.md).
    #[serde(default, deserialize_with = "added_later")]
    pub alert_address: Option<String>,
    /// Whether the activity and deadline digests go to `alert_address` too; urgent alerts
    /// always do.
    #[serde(default, deserialize_with = "added_later")]
    pub alert_digests: bool,
}

/// An investigator recipient in the store: its `age1...` text, so that records written
/// when the field was a plain string read the same. Parsed once, when a record is read.
mod recipient_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::crypto::InvestigatorRecipient;

    pub fn serialize<S: Serializer>(
        recipient: &InvestigatorRecipient,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_str(recipient)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<InvestigatorRecipient, D::Error> {
        let text = String::deserialize(d)?;
        InvestigatorRecipient::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// How an investigator proves who they are. Until enrolment is confirmed they can only
/// enrol, with the one-time secret the administrator gave them.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Credentials {
    /// SHA-256 of the one-time enrolment secret; gone once enrolment is confirmed.
    pub enrolment_digest: Option<[u8; 32]>,
    pub password: Option<PasswordHash>,
    /// The TOTP shared secret. The server must hold it to check codes.
    pub totp_secret: Option<Vec<u8>>,
    pub totp_confirmed: bool,
    /// Last TOTP time step accepted, so that a code works once.
    pub last_totp_step: u64,
}

impl InvestigatorRecord {
    pub fn can_log_in(&self) -> bool {
        self.enabled && self.credentials.totp_confirmed && self.credentials.password.is_some()
    }

    /// Whether new case keys are wrapped to them: enabled, enrolled (or a demo's
    /// throwaway account), and their recipient confirmed by a second administrator.
    pub fn receives_wraps(&self) -> bool {
        (self.can_log_in() || (self.enabled && self.demo)) && self.proposed_by.is_none()
    }
}

/// A recipient proposed by one administrator, waiting for another to confirm it: today
/// the recovery recipient (an investigator's waits in their record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// `age1...`
    pub recipient: String,
    /// An investigator's name, or `admin-cli`.
    pub proposed_by: String,
}

/// An internal note: investigators only, encrypted to their recipients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteEntry {
    pub author: String,
    pub day: Day,
    pub ciphertext: Vec<u8>,
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
    #[error(
        "the store {} is damaged and cannot be read ({detail}). quietline will not start on \
         it, and nothing was changed. Keep a copy of the whole data directory, then restore \
         store/ from the newest backup taken before the damage",
        store.display()
    )]
    Damaged { store: PathBuf, detail: String },
    #[error(
        "the store has format {found}, newer than this quietline knows (format {known}): a \
         newer quietline wrote it. Run that version or a later one; do not restore an older \
         backup over it"
    )]
    TooNew { found: u32, known: u32 },
    #[error(
        "the store {} holds {}, but it had acknowledged {} (last on {day}, as recorded in \
         {}): data was lost (a damaged, deleted, truncated or older store). quietline will \
         not start on it; nothing was changed and no evidence file was touched. Keep a copy \
         of the whole data directory, then restore store/ from the newest backup taken \
         before the loss, one that holds at least {} (the store was last known whole on \
         {day})",
        store.display(),
        held.describe(),
        mark.describe(),
        mark_file.display(),
        mark.describe()
    )]
    Shrunk {
        store: PathBuf,
        held: Counts,
        mark: Counts,
        day: Day,
        mark_file: PathBuf,
    },
    /// A PostgreSQL database below what this instance saw it acknowledge (a restored
    /// older dump, a lost database): see `postgres/mark.rs`.
    #[error(
        "the database is missing at least {} that this instance saw it acknowledge: it now \
         counts {} (purged cases included), but the high-water mark in {} says {}. It was \
         restored from an older dump, or lost data. quietline will not start on it, and \
         nothing was changed. Restore the newest dump or archive that holds them; if there \
         is none and the loss is accepted, start this instance once with `quietline serve \
         --accept-data-loss` (logged and audited), and each other instance likewise",
        mark.beyond(*held).describe(),
        held.describe(),
        mark_file.display(),
        mark.describe()
    )]
    DatabaseShrunk {
        held: Counts,
        mark: Counts,
        mark_file: PathBuf,
    },
    #[error(
        "the store {} is missing or empty, but blobs/ beside it holds {evidence} evidence \
         file(s) of an earlier store: that store was lost. quietline will not start a new \
         store over them. restore store/ from the newest backup, or use an empty data \
         directory for a new deployment",
        store.display()
    )]
    Lost { store: PathBuf, evidence: usize },
    #[error(
        "only {free} bytes are free on the data directory's filesystem, below the reserve \
         of {reserve} (--min-free-bytes)"
    )]
    Full { free: u64, reserve: u64 },
    #[error("the store stopped taking writes after an I/O error ({0}); restart quietline")]
    Failed(String),
    #[error(
        "the clock says {today}, earlier than the newest day the store holds ({newest}): \
         the clock went back"
    )]
    ClockBehind { today: Day, newest: Day },
    #[error(
        "the clock says {today}, {} days after the newest day the store holds ({newest}): \
         the clock jumped ahead",
        newest.days_until(*today)
    )]
    ClockAhead { today: Day, newest: Day },
    #[error("a case with this lookup id already exists")]
    LookupTaken,
    #[error("no such case")]
    NoSuchCase,
    #[error("an investigator named {0:?} already exists")]
    InvestigatorExists(String),
    #[error("no investigator named {0:?}")]
    NoSuchInvestigator(String),
    #[error("{0} already holds access to this case")]
    WrapExists(String),
    #[error(transparent)]
    Refused(#[from] TransitionError),
    /// The database cannot be reached or did not answer in time (PostgreSQL backend): the
    /// request is refused with 503 and the store recovers by itself when it returns.
    #[error("the database is unreachable or did not answer in time: {0}")]
    Unavailable(String),
    /// What this backend does not do (yet), and what to use instead.
    #[error("{0}")]
    Unsupported(&'static str),
}

/// An evidence file being written, whichever backend keeps it: ciphertext goes in through
/// [`Write`], and it becomes durable with [`BlobWriter::complete`]. Dropped without
/// completing, what was written is removed. It counts once a committed message lists it.
pub trait BlobWriter: Write + Send {
    fn id(&self) -> BlobId;
    /// Makes what was written durable; the blob may now be listed by a message.
    fn complete(self: Box<Self>) -> std::io::Result<BlobId>;
}

/// A blob being written (a file under `blobs/` for sled, database rows for PostgreSQL).
pub type PendingBlob = Box<dyn BlobWriter>;

/// The sled store's evidence files are written in place and renamed when complete.
impl BlobWriter for blobs::PendingBlob {
    fn id(&self) -> BlobId {
        blobs::PendingBlob::id(self)
    }

    fn complete(self: Box<Self>) -> std::io::Result<BlobId> {
        blobs::PendingBlob::complete(*self)
    }
}

/// A stored evidence file opened for reading: its ciphertext, read with bounded memory,
/// and its length when the backend knows it without reading it all.
pub struct StoredBlob {
    pub reader: Box<dyn Read + Send>,
    pub length: Option<u64>,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The storage the service needs. Implementations must make every write durable before
/// returning.
pub trait Store: Upkeep + Send + Sync + 'static {
    /// Stores `proposed` if the deployment has no KDF settings yet; returns the settings in
    /// force either way (stored ones win: changing them would strand every token).
    fn init_kdf(&self, proposed: KdfSettings) -> StoreResult<KdfSettings>;

    /// Stores `proposed` if the deployment has no token-check key yet; returns the key in
    /// force either way (a stored key wins: a new one would refuse every token it issued).
    /// Kept beside the KDF settings and in backups like them; secret from the network.
    fn init_token_key(&self, proposed: TokenCheckKey) -> StoreResult<TokenCheckKey>;

    /// The deployment's recovery recipient (`age1...`), if one is registered.
    fn recovery_recipient(&self) -> StoreResult<Option<String>>;

    fn set_recovery_recipient(&self, recipient: &str) -> StoreResult<()>;

    /// A recovery recipient proposed and not yet confirmed by a second administrator.
    fn proposed_recovery(&self) -> StoreResult<Option<Proposal>>;

    /// Records (or, with `None`, withdraws) the proposed recovery recipient.
    fn set_proposed_recovery(&self, proposal: Option<&Proposal>) -> StoreResult<()>;

    /// Writes a case, its lookup index, its wraps and its first thread entry atomically.
    fn create_case(&self, case: NewCase) -> StoreResult<()>;

    fn case_by_lookup(&self, lookup: &LookupId) -> StoreResult<Option<(CaseId, CaseRecord)>>;

    fn case(&self, case: CaseId) -> StoreResult<Option<CaseRecord>>;

    /// Visits every case in triage order until `visit` returns false. Implementations
    /// keep an index in this order, so that the desk's case list stays fast at 100,000
    /// cases (see `benches/desk.rs`).
    fn visit_cases(&self, visit: &mut dyn FnMut(CaseId, &CaseRecord) -> bool) -> StoreResult<()>;

    /// Changes a case record atomically; `change` may refuse (a bad status transition).
    fn update_case(
        &self,
        case: CaseId,
        change: &mut dyn FnMut(&mut CaseRecord) -> Result<(), TransitionError>,
    ) -> StoreResult<CaseRecord>;

    /// Stores a new wrap of a case key for an investigator and lists them as a holder,
    /// atomically. Refuses to replace a wrap they already hold: a faulty or hostile desk
    /// must not be able to swap a working wrap for one that opens nothing.
    fn add_wrap(&self, case: CaseId, investigator: &str, wrap: Wrap) -> StoreResult<()>;

    fn append_note(&self, case: CaseId, note: NoteEntry) -> StoreResult<u64>;

    fn notes(&self, case: CaseId) -> StoreResult<Vec<NoteEntry>>;

    /// The thread length an investigator had seen when they last opened a case.
    fn seen(&self, investigator: &str, case: CaseId) -> StoreResult<u64>;

    fn mark_seen(&self, investigator: &str, case: CaseId, entries: u64) -> StoreResult<()>;

    /// How many cases the store holds.
    fn case_count(&self) -> StoreResult<usize>;

    /// Whether a write stamped `today` may go ahead: refuses after an I/O error
    /// ([`StoreError::Failed`]), with a clock before the newest stored day or years after
    /// it ([`StoreError::ClockBehind`], [`StoreError::ClockAhead`]), and below the
    /// free-space reserve ([`StoreError::Full`]). The service calls it before every write
    /// a user asks for, before any costly work; writes check the reserve again themselves.
    fn check_writable(&self, today: Day) -> StoreResult<()>;

    /// Proves the store still answers: a read, and with `write`, a small durable write
    /// (which also records `today` as stored, if the clock is plausible). Refuses like
    /// [`Store::check_writable`] once the store failed.
    fn probe(&self, today: Day, write: bool) -> StoreResult<()>;

    /// Why the store stopped taking writes (an I/O error, or a write that hung), if it
    /// did. Cheap: `serve`'s watchdog asks every second.
    fn failure(&self) -> Option<String>;

    fn wrap(&self, case: CaseId, holder: &Holder) -> StoreResult<Option<Wrap>>;

    fn thread(&self, case: CaseId) -> StoreResult<Vec<ThreadEntry>>;

    /// Appends an entry to a case thread, with the evidence files it carries, and updates
    /// the case record; returns the entry's sequence number.
    fn append_entry(&self, case: CaseId, entry: ThreadEntry, blobs: &[BlobId]) -> StoreResult<u64>;

    /// Starts writing a new evidence file. It counts once a committed message lists it.
    fn new_blob(&self) -> StoreResult<PendingBlob>;

    /// Starts writing an evidence file under the id it had in another store (messages
    /// name their files by id): `quietline migrate-store` copies files with it. Only a
    /// store that can be migrated into offers it.
    fn import_blob(&self, _id: BlobId) -> StoreResult<PendingBlob> {
        Err(StoreError::Unsupported(
            "this store cannot take evidence files under a given id",
        ))
    }

    /// Deletes a completed evidence file whose message was not committed.
    fn discard_blob(&self, blob: BlobId);

    /// Deletes an evidence file of `case` for good, at its reporter's request: the file
    /// and its listing, durably. False if `blob` is listed for another case. Removing a
    /// file already removed does nothing and returns true, so that a retry after a crash
    /// completes.
    fn remove_blob(&self, case: CaseId, blob: BlobId) -> StoreResult<bool>;

    /// Opens an evidence file of `case` for reading, if `blob` is one of that case's files.
    fn open_blob(&self, case: CaseId, blob: BlobId) -> StoreResult<Option<StoredBlob>>;

    fn add_investigator(&self, investigator: InvestigatorRecord) -> StoreResult<()>;

    fn investigators(&self) -> StoreResult<Vec<InvestigatorRecord>>;

    fn investigator(&self, name: &str) -> StoreResult<Option<InvestigatorRecord>>;

    /// Changes an investigator record atomically.
    fn update_investigator(
        &self,
        name: &str,
        change: &mut dyn FnMut(&mut InvestigatorRecord),
    ) -> StoreResult<InvestigatorRecord>;

    /// Removes an investigator and every wrap they hold; returns whether they existed.
    /// (Investigator sessions live in the service's memory, never in the store.)
    fn remove_investigator(&self, name: &str) -> StoreResult<bool>;

    /// Appends an entry to the audit chain (its sequence number and link are set here).
    fn append_audit(&self, entry: audit::Entry) -> StoreResult<audit::Sealed>;

    /// The stored audit entries in order, as (key sequence number, encoded entry).
    fn audit_entries(&self) -> StoreResult<Vec<(u64, Vec<u8>)>>;
}

/// What a store offers for its own upkeep: backups and retention. Every [`Store`] is one;
/// callers of these methods bring the trait into scope.
pub trait Upkeep {
    /// The backup recipients (`age1...`) registered with `admin add-backup-recipient`.
    fn backup_recipients(&self) -> StoreResult<Vec<String>>;

    /// Registers a backup recipient; returns false if it already was registered.
    fn add_backup_recipient(&self, recipient: &str) -> StoreResult<bool>;

    /// Writes a consistent snapshot of the store and its evidence files to `out`, in the
    /// format of `snapshot.rs`. Case writes and audit appends wait while the records are
    /// read; evidence files are copied after, while writes go on. The caller must keep
    /// purges out until it returns.
    fn write_snapshot(&self, out: &mut dyn std::io::Write) -> StoreResult<SnapshotSummary>;

    /// The day a case was closed, if recorded.
    fn closed_on(&self, case: CaseId) -> StoreResult<Option<Day>>;

    /// Records (or, with `None`, forgets) the day a case was closed.
    fn set_closed_on(&self, case: CaseId, day: Option<Day>) -> StoreResult<()>;

    /// Deletes these cases for good, with everything that belongs to them (see
    /// `retention.rs`), and lowers the high-water mark to match. Unknown ids are skipped.
    fn purge_cases(&self, cases: &[CaseId]) -> StoreResult<Purged>;

    /// Rewrites what the store keeps into fresh files, so that deleted bytes leave the
    /// disk and the files' order and times stop dating the writes (for sled, see
    /// `sled_store/rewrite.rs`). Writes wait meanwhile; none fails for it. The caller
    /// keeps snapshots and purges out until it returns.
    fn rewrite(&self) -> StoreResult<Rewritten>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An investigator record written before the fields appended for confirmation and
    /// alerts reads with them empty: its recipient counts as confirmed, as it was.
    #[test]
    fn an_investigator_record_of_the_first_format_still_reads() {
        let record = InvestigatorRecord {
            name: "ana".into(),
            recipient: crate::crypto::InvestigatorIdentity::generate().recipient(),
            role: Role::Admin,
            enabled: true,
            demo: false,
            added: Day::today(),
            credentials: Credentials::default(),
            proposed_by: Some("root".into()),
            alert_address: Some("ana@unit.example".into()),
            alert_digests: true,
        };
        let bytes = postcard::to_stdvec(&record).unwrap();
        let read: InvestigatorRecord = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(read.proposed_by.as_deref(), Some("root"));
        assert_eq!(read.alert_address.as_deref(), Some("ana@unit.example"));
        assert!(read.alert_digests);
        // The first format ends after the credentials: the three appended fields are
        // one byte each when empty (`None`, `None`, `false`).
        let empty = InvestigatorRecord {
            proposed_by: None,
            alert_address: None,
            alert_digests: false,
            ..record
        };
        let bytes = postcard::to_stdvec(&empty).unwrap();
        let first_format = &bytes[..bytes.len() - 3];
        let read: InvestigatorRecord = postcard::from_bytes(first_format).unwrap();
        assert_eq!(read.name, "ana");
        assert!(read.proposed_by.is_none() && read.alert_address.is_none());
        assert!(!read.alert_digests);
    }
}
