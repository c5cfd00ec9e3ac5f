//! The reporter's side of a case: submit a report, open a case with its token, read the
//! thread, add a follow-up. The JSON API and the HTML pages both call these, so the two
//! cannot drift apart.
//!
//! A message is checked once, into a [`CheckedMessage`], before any expensive work: bad
//! input costs no argon2 run, and the store never sees an unchecked message.
//!
//! Every function here blocks (argon2, age, fsync): async callers run them off the
//! runtime. Plaintext exists only in memory during a call and is zeroized after.

use std::sync::Arc;

use zeroize::Zeroizing;

use super::error::{Error, Result};
use crate::case::{Author, CaseRecord, Category, Day, DeadlinePolicy, NextStep, Status};
use crate::crypto::{
    CaseKey, CaseRecipient, CaseToken, InvestigatorRecipient, KdfMemory, KdfSettings,
    TokenCheckKey, TokenClass,
};
use crate::message::{Attachment, MessageContent, RemovedFile};
use crate::store::{
    BlobId, CaseId, Holder, InvestigatorRecord, NewCase, PendingBlob, Store, StoreError,
    ThreadEntry,
};

/// Limits on what a reporter may write, so that a single request cannot fill the disk.
#[derive(Debug, Clone, Copy)]
pub struct MessageLimits {
    /// Longest report or follow-up body, in bytes of UTF-8.
    pub body_bytes: usize,
    /// Longest optional field (where and when, people involved), in bytes.
    pub field_bytes: usize,
}

/// A message that passed [`Reporting::check`]: within the limits and not empty.
pub struct CheckedMessage(MessageContent);

impl CheckedMessage {
    pub fn content(&self) -> &MessageContent {
        &self.0
    }
}

/// A report as a reporter submits it.
pub struct NewReport {
    pub content: CheckedMessage,
    pub category: Category,
    pub urgent: bool,
    /// The new case's key, made before the report so that evidence files can be
    /// encrypted to it while they upload.
    pub key: CaseKey,
    /// Evidence files already written (encrypted to `key`), listed in `content`.
    pub blobs: Vec<BlobId>,
}

/// A case opened with its token: the case id and the unwrapped case key. It is what a
/// reporter session holds; dropping it zeroizes the key.
pub struct OpenCase {
    id: CaseId,
    key: CaseKey,
    /// How many thread entries the reporter had seen before this session: entries from
    /// here on are "new" for the whole session, so that the notice survives a refresh or
    /// a change of language, while the store already counts them as seen.
    seen_before: u64,
}

impl OpenCase {
    pub(crate) fn new(id: CaseId, key: CaseKey) -> Self {
        OpenCase {
            id,
            key,
            seen_before: 0,
        }
    }

    /// A case reopened from a sealed session (`sessions`), with what it had seen.
    pub(crate) fn resumed(id: CaseId, key: CaseKey, seen_before: u64) -> Self {
        OpenCase {
            id,
            key,
            seen_before,
        }
    }

    pub(crate) fn key(&self) -> &CaseKey {
        &self.key
    }

    pub(crate) fn seen_before(&self) -> u64 {
        self.seen_before
    }

    pub(crate) fn id(&self) -> CaseId {
        self.id
    }

    /// What evidence files for this case are encrypted to.
    pub fn recipient(&self) -> CaseRecipient {
        self.key.recipient()
    }
}

/// The content of one sealed thread entry, or `None` if it does not decrypt or decode.
/// Only the kind of failure is logged: a decoder's message can quote the plaintext, and a
/// decryption error says nothing the reporter or the operator can act on.
fn readable(case: &OpenCase, ciphertext: &[u8]) -> Option<MessageContent> {
    let Ok(plaintext) = case.key.open(ciphertext) else {
        tracing::warn!(kind = "decrypt", "a thread entry could not be read");
        return None;
    };
    match MessageContent::decode(&plaintext) {
        Ok(content) => Some(content),
        Err(_) => {
            tracing::warn!(kind = "decode", "a thread entry could not be read");
            None
        }
    }
}

/// One message as the reporter sees it.
pub struct MessageView {
    /// Its place in the thread, from 0 (the report).
    pub seq: u64,
    pub from: Author,
    pub day: Day,
    /// What it says, or `None` when the entry does not decrypt or decode: one bad entry
    /// (a buggy or hostile investigator client) must not shut the reporter out of the rest.
    pub content: Option<MessageContent>,
}

/// The reporter's view of their case.
pub struct CaseView {
    pub status: Status,
    pub category: Category,
    pub urgent: bool,
    pub received: Day,
    /// What the reporter waits for next, and by when.
    pub next: NextStep,
    /// The day the unit acknowledged the report, if it has.
    pub acknowledged: Option<Day>,
    /// Messages from this sequence number on are new to the reporter in this session.
    pub new_from: u64,
    pub messages: Vec<MessageView>,
}

/// The reporter-side operations over one store.
pub struct Reporting {
    store: Arc<dyn Store>,
    kdf: KdfSettings,
    /// Issues tokens with their check, and tells a guess from a token before argon2.
    token_key: TokenCheckKey,
    deadlines: DeadlinePolicy,
    limits: MessageLimits,
}

impl Reporting {
    pub fn new(
        store: Arc<dyn Store>,
        kdf: KdfSettings,
        token_key: TokenCheckKey,
        deadlines: DeadlinePolicy,
        limits: MessageLimits,
    ) -> Self {
        Reporting {
            store,
            kdf,
            token_key,
            deadlines,
            limits,
        }
    }

    /// Checks a message before any expensive work, so that bad input costs no argon2 run.
    pub fn check(&self, content: MessageContent) -> Result<CheckedMessage> {
        if content.body.trim().is_empty() {
            return Err(Error::EmptyMessage);
        }
        if content.body.len() > self.limits.body_bytes {
            return Err(Error::TooLong(self.limits.body_bytes));
        }
        for field in [&content.where_when, &content.people].into_iter().flatten() {
            if field.len() > self.limits.field_bytes {
                return Err(Error::TooLong(self.limits.field_bytes));
            }
        }
        Ok(CheckedMessage(content))
    }

    /// Stores a new, encrypted case and returns the token that opens it. Durable when it
    /// returns.
    pub fn submit(
        &self,
        report: NewReport,
        today: Day,
        memory: &mut KdfMemory,
    ) -> Result<CaseToken> {
        // Before the argon2 run: a full disk or a wrong clock costs nothing.
        self.store.check_writable(today)?;
        let investigators: Vec<(String, InvestigatorRecipient)> = self
            .store
            .investigators()?
            .into_iter()
            // Enrolled investigators only (and a demo's throwaway one), whose recipient a
            // second administrator has confirmed: an account an admin adds must not read
            // new cases before its owner has set a password and a second factor, nor
            // before another admin has checked its key (issue 12: a compromised admin
            // adding a key of theirs).
            .filter(InvestigatorRecord::receives_wraps)
            .map(|i| (i.name, i.recipient))
            .collect();
        if investigators.is_empty() {
            return Err(Error::NoInvestigators);
        }

        let key = &report.key;
        let mut wraps = Vec::with_capacity(investigators.len() + 2);
        if let Some(recovery) = self.store.recovery_recipient()? {
            let recovery = InvestigatorRecipient::parse(&recovery)?;
            wraps.push((Holder::Recovery, key.wrap_to(recovery.as_age())?));
        }
        for (name, recipient) in &investigators {
            wraps.push((
                Holder::Investigator(name.clone()),
                key.wrap_to(recipient.as_age())?,
            ));
        }
        let plaintext = encode(report.content.content())?;
        let sealed = key.seal(&plaintext)?;

        // A fresh token colliding with an existing one has probability ~n/2^100; retrying
        // keeps even that from overwriting a case.
        loop {
            let token = self.token_key.issue();
            let seed = self.kdf.derive_seed_in(&token, memory)?;
            let reporter = seed.reporter_identity();
            let mut case_wraps = wraps.clone();
            case_wraps.push((Holder::Reporter, key.wrap_to(&reporter.recipient())?));
            let record = CaseRecord::new_report(
                report.category,
                report.urgent,
                today,
                self.deadlines,
                investigators.iter().map(|(name, _)| name.clone()).collect(),
            );
            let case = NewCase {
                id: CaseId::generate(),
                lookup: seed.lookup_id(),
                record,
                wraps: case_wraps,
                report: ThreadEntry {
                    author: Author::Reporter,
                    day: today,
                    ciphertext: sealed.clone(),
                },
                blobs: report.blobs.clone(),
            };
            match self.store.create_case(case) {
                Ok(()) => return Ok(token),
                Err(StoreError::LookupTaken) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// What the token's check says of it, before any argon2 run: a token that fails it
    /// opens nothing, and the caller answers it like any unknown token.
    pub fn token_class(&self, token: &CaseToken) -> TokenClass {
        self.token_key.classify(token)
    }

    /// Finds and unlocks a case from its token. Every unknown token costs the same argon2
    /// run and gets the same error, whether or not anything is near it in the store.
    pub fn open(&self, token: &CaseToken, memory: &mut KdfMemory) -> Result<OpenCase> {
        let seed = self.kdf.derive_seed_in(token, memory)?;
        let Some((id, record)) = self.store.case_by_lookup(&seed.lookup_id())? else {
            return Err(Error::UnknownToken);
        };
        let wrap = self
            .store
            .wrap(id, &Holder::Reporter)?
            .ok_or(Error::UnknownToken)?;
        let key = CaseKey::unwrap_with(&wrap, seed.reporter_identity().as_age())?;
        let mut case = OpenCase::new(id, key);
        case.seen_before = record.reporter_seen;
        Ok(case)
    }

    /// Decrypts the whole thread of an open case, and records that the reporter has now
    /// seen all of it.
    pub fn read(&self, case: &OpenCase) -> Result<CaseView> {
        let record = self.record(case)?;
        let messages: Vec<MessageView> = self
            .store
            .thread(case.id)?
            .into_iter()
            .zip(0u64..)
            .map(|(entry, seq)| MessageView {
                seq,
                from: entry.author,
                day: entry.day,
                content: readable(case, &entry.ciphertext),
            })
            .collect();
        self.mark_seen(case, &record, messages.len() as u64);
        Ok(CaseView {
            status: record.status,
            category: record.category,
            urgent: record.urgent,
            received: record.received,
            next: record.next_step(),
            acknowledged: record.acknowledged,
            new_from: case.seen_before,
            messages,
        })
    }

    /// Stores how many entries the reporter has now been shown: a count, written only
    /// when it grows (the first look after a reply), so that reading a case usually
    /// writes nothing. A failure costs a repeated "new message" notice, not the page.
    fn mark_seen(&self, case: &OpenCase, record: &CaseRecord, shown: u64) {
        if shown <= record.reporter_seen {
            return;
        }
        let marked = self.store.update_case(case.id, &mut |r| {
            r.mark_seen_by_reporter(shown);
            Ok(())
        });
        if let Err(e) = marked {
            tracing::warn!(error = %e, "could not record what the reporter has seen");
        }
    }

    /// Starts an evidence file in the store.
    pub fn new_blob(&self) -> Result<PendingBlob> {
        Ok(self.store.new_blob()?)
    }

    /// Deletes evidence files whose message could not be stored.
    pub fn discard_blobs(&self, blobs: &[BlobId]) {
        for blob in blobs {
            self.store.discard_blob(*blob);
        }
    }

    /// Adds a reporter follow-up, with any evidence files already written for it, to an
    /// open case. Durable when it returns.
    pub fn follow_up(
        &self,
        case: &OpenCase,
        content: CheckedMessage,
        blobs: &[BlobId],
        today: Day,
    ) -> Result<()> {
        self.store.check_writable(today)?;
        let plaintext = encode(content.content())?;
        let entry = ThreadEntry {
            author: Author::Reporter,
            day: today,
            ciphertext: case.key.seal(&plaintext)?,
        };
        self.store.append_entry(case.id, entry, blobs)?;
        Ok(())
    }

    /// Deletes one of the reporter's own evidence files for good, at their request (a
    /// file that could not be cleaned, most often), and adds an entry to the thread that
    /// says so, so that investigators see where the file was. Only a file that one of the
    /// reporter's own messages lists, and only once. Durable when it returns.
    pub fn remove_file(&self, case: &OpenCase, blob: &str, today: Day) -> Result<Attachment> {
        let id = BlobId::parse(blob).ok_or(Error::NoSuchFile)?;
        let mut listed = None;
        for entry in self.store.thread(case.id)? {
            if entry.author != Author::Reporter {
                continue;
            }
            let Some(content) = readable(case, &entry.ciphertext) else {
                continue;
            };
            if content
                .removed_file
                .as_ref()
                .is_some_and(|r| BlobId::parse(&r.blob) == Some(id))
            {
                return Err(Error::NoSuchFile);
            }
            if listed.is_none() {
                listed = content
                    .attachments
                    .iter()
                    .find(|a| BlobId::parse(&a.blob) == Some(id))
                    .cloned();
            }
        }
        let attachment = listed.ok_or(Error::NoSuchFile)?;
        self.store.check_writable(today)?;
        if !self.store.remove_blob(case.id, id)? {
            return Err(Error::NoSuchFile);
        }
        let content = MessageContent {
            body: String::new(),
            where_when: None,
            people: None,
            attachments: Vec::new(),
            removed_file: Some(RemovedFile {
                blob: attachment.blob.clone(),
                name: attachment.name.clone(),
            }),
        };
        let plaintext = encode(&content)?;
        let entry = ThreadEntry {
            author: Author::Reporter,
            day: today,
            ciphertext: case.key.seal(&plaintext)?,
        };
        self.store.append_entry(case.id, entry, &[])?;
        Ok(attachment)
    }

    fn record(&self, case: &OpenCase) -> Result<CaseRecord> {
        self.store
            .case(case.id)?
            .ok_or(Error::Store(StoreError::NoSuchCase))
    }
}

/// A message as it is sealed: JSON, in a buffer zeroized after use.
fn encode(content: &MessageContent) -> Result<Zeroizing<Vec<u8>>> {
    // Serialising plain strings and numbers to JSON cannot fail.
    serde_json::to_vec(content)
        .map(Zeroizing::new)
        .map_err(|_| Error::UnreadableEntry)
}
