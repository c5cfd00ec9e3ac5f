//! The investigator's side of the service: accounts (enrolment, password + TOTP login,
//! sessions), the case desk's data (triage list, case detail as ciphertext, replies,
//! notes, status, assignment, access grants), statistics, and the audit trail of it all.
//!
//! The server never holds an investigator's private key: what it hands out and takes in
//! here is ciphertext and metadata; the desk decrypts and encrypts on the investigator's
//! machine. Every function blocks (argon2, fsync): async callers run them off the runtime.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::api::{
    CaseAccess, CaseDetail, CaseList, CaseSummary, DeadlineStats, EnrolResponse, InvestigatorWire,
    MonthCategoryCount, NoteWire, Stats, ThreadEntryWire,
};
use crate::audit::{self, Action};
use crate::case::{
    Author, CaseRecord, Day, Role, Status, StatusWordError, TransitionError,
    is_valid_investigator_name,
};
use crate::crypto::{
    InvestigatorRecipient, KdfError, KdfParams, MIN_PASSWORD_CHARS, PasswordHash, SessionId, Wrap,
};
use crate::store::{
    CaseId, Credentials, Holder, InvestigatorRecord, InvestigatorSession, NoteEntry, Store,
    StoreError, ThreadEntry,
};

#[derive(Debug, thiserror::Error)]
pub enum InvestigatingError {
    /// Deliberately the same for an unknown name, a wrong password and a wrong code.
    #[error("login failed: name, password or code is wrong")]
    LoginFailed,
    #[error("too many failed logins for this name; try again in {0} seconds")]
    Throttled(u64),
    #[error("the enrolment secret or code is wrong, or enrolment is already complete")]
    EnrolmentFailed,
    #[error("missing, expired or revoked session; log in again")]
    NoSession,
    #[error("this needs the admin role")]
    Forbidden,
    #[error("no such case, or you hold no access to it")]
    NoSuchCase,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Conflict(#[from] TransitionError),
    #[error(transparent)]
    Status(#[from] StatusWordError),
    #[error("{0} already holds access to this case")]
    AlreadyHolds(String),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Kdf(#[from] KdfError),
}

impl From<StoreError> for InvestigatingError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchCase => InvestigatingError::NoSuchCase,
            StoreError::Refused(t) => InvestigatingError::Conflict(t),
            StoreError::InvestigatorExists(name) => InvestigatingError::Invalid(format!(
                "an investigator named {name:?} already exists"
            )),
            StoreError::WrapExists(name) => InvestigatingError::AlreadyHolds(name),
            StoreError::NoSuchInvestigator(name) => {
                InvestigatingError::Invalid(format!("no investigator named {name:?}"))
            }
            other => InvestigatingError::Store(other),
        }
    }
}

type Result<T> = std::result::Result<T, InvestigatingError>;

/// How long investigator sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle: Duration,
    pub max: Duration,
}

/// Failed logins before waits begin; then each failure doubles the wait, up to
/// [`MAX_WAIT`]. The real user, typing carefully, is never locked out for long; a guesser
/// gets a handful of tries per hour.
const FREE_FAILURES: u32 = 5;
const MAX_WAIT: Duration = Duration::from_secs(300);
/// Names tracked at once; beyond that the oldest entries are forgotten.
const MAX_TRACKED_NAMES: usize = 10_000;
/// Largest ciphertext accepted for a reply, note or wrap.
pub const MAX_SEALED_BYTES: usize = 256 * 1024;

struct Failures {
    count: u32,
    last: Instant,
}

/// In-memory login throttle, keyed by the name typed (whether or not it exists).
#[derive(Default)]
struct Throttle {
    names: Mutex<HashMap<String, Failures>>,
}

impl Throttle {
    fn wait_needed(&self, name: &str) -> Option<u64> {
        let names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        let failures = names.get(name)?;
        if failures.count < FREE_FAILURES {
            return None;
        }
        let wait =
            Duration::from_secs(1u64 << (failures.count - FREE_FAILURES).min(9)).min(MAX_WAIT);
        let waited = failures.last.elapsed();
        (waited < wait).then(|| (wait - waited).as_secs().max(1))
    }

    fn failed(&self, name: &str) {
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        if names.len() >= MAX_TRACKED_NAMES && !names.contains_key(name) {
            names.retain(|_, f| f.last.elapsed() < MAX_WAIT);
        }
        let entry = names.entry(name.to_owned()).or_insert(Failures {
            count: 0,
            last: Instant::now(),
        });
        entry.count = entry.count.saturating_add(1);
        entry.last = Instant::now();
    }

    fn succeeded(&self, name: &str) {
        self.names
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Normalises a typed enrolment secret the way tokens are: no case, spaces or hyphens.
fn normalise_secret(typed: &str) -> Zeroizing<String> {
    Zeroizing::new(
        typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    )
}

const TOTP_STEP: u64 = 30;

fn totp(secret: &[u8]) -> totp_rs::TOTP {
    totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, TOTP_STEP, secret.to_vec())
}

/// The time step a code is valid in, if it matches the current step or a neighbour and
/// is later than the last accepted one (a code works once).
fn totp_step(credentials: &Credentials, code: &str, now: u64) -> Option<u64> {
    let secret = credentials.totp_secret.as_ref()?;
    let totp = totp(secret);
    let current = now / TOTP_STEP;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .filter(|&step| step > credentials.last_totp_step)
        .find(|&step| {
            let expected = Zeroizing::new(totp.generate(step * TOTP_STEP));
            bool::from(expected.as_bytes().ct_eq(code.trim().as_bytes()))
        })
}

/// Base32 (RFC 4648, no padding), as authenticator apps expect TOTP secrets.
fn base32_rfc4648(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let bits = bytes.len() * 8;
    for s in 0..bits.div_ceil(5) {
        let mut value = 0usize;
        for b in 0..5 {
            let bit = s * 5 + b;
            let set = bit < bits && bytes[bit / 8] & (0x80 >> (bit % 8)) != 0;
            value = (value << 1) | usize::from(set);
        }
        out.push(ALPHABET[value] as char);
    }
    out
}

/// Refuses anything that is not an age file, so that nobody stores plaintext by mistake
/// through the investigator API.
fn check_sealed(bytes: &[u8]) -> Result<()> {
    if bytes.len() > MAX_SEALED_BYTES {
        return Err(InvestigatingError::Invalid(format!(
            "ciphertext larger than {MAX_SEALED_BYTES} bytes"
        )));
    }
    if !bytes.starts_with(b"age-encryption.org/v1\n") {
        return Err(InvestigatingError::Invalid(
            "expected age ciphertext (binary format, base64 on the wire)".into(),
        ));
    }
    Ok(())
}

/// A logged-in investigator, as handlers see them.
#[derive(Clone)]
pub struct Investigator {
    pub name: String,
    pub role: Role,
    digest: [u8; 32],
}

/// Filters of the case list.
#[derive(Debug, Default, Clone)]
pub struct CaseFilter {
    pub status: Option<String>,
    pub assignee: Option<String>,
}

pub struct Investigating {
    store: Arc<dyn Store>,
    password_params: KdfParams,
    decoy: PasswordHash,
    sessions: SessionLimits,
    throttle: Throttle,
}

impl Investigating {
    pub fn new(
        store: Arc<dyn Store>,
        password_params: KdfParams,
        sessions: SessionLimits,
    ) -> Result<Self> {
        Ok(Investigating {
            decoy: PasswordHash::decoy(password_params)?,
            store,
            password_params,
            sessions,
            throttle: Throttle::default(),
        })
    }

    fn audit(&self, actor: &str, action: Action, case: Option<CaseId>, detail: &str) -> Result<()> {
        self.store.append_audit(audit::Entry {
            seq: 0,
            at: now_unix(),
            actor: actor.to_owned(),
            action,
            case: case.map(|c| c.to_string()),
            detail: detail.to_owned(),
            prev: audit::GENESIS,
        })?;
        Ok(())
    }

    // --- accounts -------------------------------------------------------------------

    /// Registers an investigator and returns the one-time enrolment secret to hand them.
    pub fn add_investigator(
        &self,
        actor: &str,
        name: &str,
        recipient: &str,
        role: Role,
        demo: bool,
    ) -> Result<Zeroizing<String>> {
        if !is_valid_investigator_name(name) {
            return Err(InvestigatingError::Invalid(
                "a name is 1 to 64 letters, digits, '.', '_' or '-'".into(),
            ));
        }
        let recipient = InvestigatorRecipient::parse(recipient)
            .map_err(|e| InvestigatingError::Invalid(e.to_string()))?;
        let secret = crate::crypto::CaseToken::generate().grouped();
        self.store.add_investigator(InvestigatorRecord {
            name: name.to_owned(),
            recipient,
            role,
            enabled: true,
            demo,
            added: Day::today(),
            credentials: Credentials {
                enrolment_digest: Some(digest(&normalise_secret(&secret))),
                ..Credentials::default()
            },
        })?;
        self.audit(actor, Action::InvestigatorAdded, None, name)?;
        Ok(secret)
    }

    fn check_enrolment(&self, name: &str, secret: &str) -> Result<InvestigatorRecord> {
        let record = self
            .store
            .investigator(name)?
            .ok_or(InvestigatingError::EnrolmentFailed)?;
        let expected = record
            .credentials
            .enrolment_digest
            .ok_or(InvestigatingError::EnrolmentFailed)?;
        let given = digest(&normalise_secret(secret));
        if !bool::from(given.ct_eq(&expected)) || !record.enabled {
            return Err(InvestigatingError::EnrolmentFailed);
        }
        Ok(record)
    }

    /// First step of enrolment: sets the password and makes a TOTP secret.
    pub fn enrol(&self, name: &str, secret: &str, password: &str) -> Result<EnrolResponse> {
        if self.throttle.wait_needed(name).is_some() {
            return Err(InvestigatingError::EnrolmentFailed);
        }
        let record = match self.check_enrolment(name, secret) {
            Ok(record) => record,
            Err(e) => {
                self.throttle.failed(name);
                return Err(e);
            }
        };
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(InvestigatingError::Invalid(format!(
                "the password needs at least {MIN_PASSWORD_CHARS} characters"
            )));
        }
        let hash = PasswordHash::new(password, self.password_params)?;
        let mut totp_secret = Zeroizing::new(vec![0u8; 20]);
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut totp_secret[..]);
        let encoded = base32_rfc4648(&totp_secret);
        self.store.update_investigator(&record.name, &mut |r| {
            r.credentials.password = Some(hash.clone());
            r.credentials.totp_secret = Some(totp_secret.to_vec());
            r.credentials.totp_confirmed = false;
        })?;
        Ok(EnrolResponse {
            otpauth_uri: format!(
                "otpauth://totp/quietline:{name}?secret={encoded}&issuer=quietline&algorithm=SHA1&digits=6&period=30"
            ),
            totp_secret: encoded,
        })
    }

    /// Second step: a code from the authenticator proves it holds the secret.
    pub fn confirm_enrolment(&self, name: &str, secret: &str, code: &str) -> Result<()> {
        let record = self
            .check_enrolment(name, secret)
            .inspect_err(|_| self.throttle.failed(name))?;
        let Some(step) = totp_step(&record.credentials, code, now_unix()) else {
            self.throttle.failed(name);
            return Err(InvestigatingError::EnrolmentFailed);
        };
        self.store.update_investigator(name, &mut |r| {
            r.credentials.totp_confirmed = true;
            r.credentials.enrolment_digest = None;
            r.credentials.last_totp_step = step;
        })?;
        self.audit(name, Action::Enrolled, None, "")?;
        Ok(())
    }

    /// Password and TOTP login. Every failure looks the same and costs the same argon2
    /// run, whether or not the name exists.
    pub fn login(
        &self,
        name: &str,
        password: &str,
        code: &str,
    ) -> Result<(SessionId, Investigator)> {
        if let Some(wait) = self.throttle.wait_needed(name) {
            return Err(InvestigatingError::Throttled(wait));
        }
        let record = self.store.investigator(name)?;
        let hash = record
            .as_ref()
            .and_then(|r| r.credentials.password.as_ref())
            .unwrap_or(&self.decoy);
        let password_ok = hash.verify(password);
        let step = record
            .as_ref()
            .filter(|r| r.can_log_in() && password_ok)
            .and_then(|r| totp_step(&r.credentials, code, now_unix()));
        let (Some(record), Some(step)) = (record, step) else {
            self.throttle.failed(name);
            if self.store.investigator(name)?.is_some() {
                self.audit(name, Action::LoginFailed, None, "")?;
            }
            return Err(InvestigatingError::LoginFailed);
        };
        self.throttle.succeeded(name);
        self.store
            .update_investigator(name, &mut |r| r.credentials.last_totp_step = step)?;
        let id = SessionId::generate();
        let digest = *id.digest().as_bytes();
        let now = now_unix();
        self.store.put_session(
            &digest,
            &InvestigatorSession {
                name: record.name.clone(),
                created: now,
                last_used: now,
            },
        )?;
        self.audit(name, Action::Login, None, "")?;
        Ok((
            id,
            Investigator {
                name: record.name,
                role: record.role,
                digest,
            },
        ))
    }

    /// The investigator behind a session id, if the session is live and they may still
    /// act. Each use renews the idle limit.
    pub fn session(&self, id: &SessionId) -> Result<Investigator> {
        let digest = *id.digest().as_bytes();
        let session = self
            .store
            .session(&digest)?
            .ok_or(InvestigatingError::NoSession)?;
        let now = now_unix();
        let idle = now.saturating_sub(session.last_used) >= self.sessions.idle.as_secs();
        let old = now.saturating_sub(session.created) >= self.sessions.max.as_secs();
        let record = self.store.investigator(&session.name)?;
        let Some(record) = record.filter(|r| r.enabled && !idle && !old) else {
            self.store.delete_session(&digest)?;
            return Err(InvestigatingError::NoSession);
        };
        if now > session.last_used {
            self.store.put_session(
                &digest,
                &InvestigatorSession {
                    last_used: now,
                    ..session
                },
            )?;
        }
        Ok(Investigator {
            name: record.name,
            role: record.role,
            digest,
        })
    }

    pub fn logout(&self, who: &Investigator) -> Result<()> {
        self.store.delete_session(&who.digest)?;
        self.audit(&who.name, Action::Logout, None, "")
    }

    fn require_admin(who: &Investigator) -> Result<()> {
        match who.role {
            Role::Admin => Ok(()),
            Role::Investigator => Err(InvestigatingError::Forbidden),
        }
    }

    pub fn admin_add(
        &self,
        who: &Investigator,
        name: &str,
        recipient: &str,
        role: Role,
    ) -> Result<Zeroizing<String>> {
        Self::require_admin(who)?;
        self.add_investigator(&who.name, name, recipient, role, false)
    }

    /// Disables an investigator and ends their sessions at once.
    pub fn disable(&self, actor: &str, name: &str) -> Result<()> {
        self.store
            .update_investigator(name, &mut |r| r.enabled = false)?;
        self.store.delete_sessions_of(name)?;
        self.audit(actor, Action::InvestigatorDisabled, None, name)
    }

    pub fn admin_disable(&self, who: &Investigator, name: &str) -> Result<()> {
        Self::require_admin(who)?;
        self.disable(&who.name, name)
    }

    /// Removes an investigator with their wraps and sessions.
    pub fn remove(&self, actor: &str, name: &str) -> Result<bool> {
        let existed = self.store.remove_investigator(name)?;
        if existed {
            self.audit(actor, Action::InvestigatorRemoved, None, name)?;
        }
        Ok(existed)
    }

    pub fn admin_remove(&self, who: &Investigator, name: &str) -> Result<()> {
        Self::require_admin(who)?;
        if self.remove(&who.name, name)? {
            Ok(())
        } else {
            Err(InvestigatingError::Invalid(format!(
                "no investigator named {name:?}"
            )))
        }
    }

    pub fn investigators(&self) -> Result<Vec<InvestigatorWire>> {
        Ok(self
            .store
            .investigators()?
            .into_iter()
            .map(|i| InvestigatorWire {
                role: i.role.as_str().to_owned(),
                name: i.name,
                recipient: i.recipient.to_string(),
                enabled: i.enabled,
            })
            .collect())
    }

    // --- cases ----------------------------------------------------------------------

    fn summary(
        &self,
        who: &Investigator,
        id: CaseId,
        record: &CaseRecord,
        today: Day,
    ) -> Result<CaseSummary> {
        let seen = self.store.seen(&who.name, id)?;
        let days_left = record.days_left(today);
        Ok(CaseSummary {
            id: id.to_string(),
            status: record.status.as_str().to_owned(),
            outcome: record.status.outcome().map(|o| o.as_str().to_owned()),
            category: record.category.as_str().to_owned(),
            urgent: record.urgent,
            received: record.received.to_string(),
            acknowledge_by: record.deadlines.acknowledge_by.to_string(),
            feedback_by: record.deadlines.feedback_by.to_string(),
            acknowledged: record.acknowledged.map(|d| d.to_string()),
            first_feedback: record.first_feedback.map(|d| d.to_string()),
            days_left,
            overdue: days_left.is_some_and(|d| d < 0),
            assignees: record.assignees.clone(),
            unread: record.last_reporter_entry >= seen,
            entries: record.entries,
        })
    }

    /// The cases this investigator holds access to, in triage order, one page at a time.
    pub fn list(
        &self,
        who: &Investigator,
        filter: &CaseFilter,
        page: usize,
        per_page: usize,
        today: Day,
    ) -> Result<CaseList> {
        let per_page = per_page.clamp(1, 200);
        let start = page.saturating_mul(per_page);
        let mut total = 0;
        let mut on_page = Vec::with_capacity(per_page);
        // The store visits cases in triage order: filter, count, and keep one page.
        self.store.visit_cases(&mut |id, r| {
            let visible = r.holders.contains(&who.name)
                && filter
                    .status
                    .as_deref()
                    .is_none_or(|s| r.status.as_str() == s)
                && filter
                    .assignee
                    .as_deref()
                    .is_none_or(|a| r.assignees.iter().any(|x| x == a));
            if visible {
                if total >= start && on_page.len() < per_page {
                    on_page.push((id, r.clone()));
                }
                total += 1;
            }
            true
        })?;
        let cases = on_page
            .iter()
            .map(|(id, record)| self.summary(who, *id, record, today))
            .collect::<Result<_>>()?;
        Ok(CaseList {
            total,
            page,
            per_page,
            cases,
        })
    }

    /// The case record, if this investigator holds a wrap for it. A case without a wrap
    /// and a case that does not exist look the same.
    fn accessible(&self, who: &Investigator, case: &str) -> Result<(CaseId, CaseRecord, Wrap)> {
        let id = CaseId::parse(case).ok_or(InvestigatingError::NoSuchCase)?;
        let wrap = self
            .store
            .wrap(id, &Holder::Investigator(who.name.clone()))?
            .ok_or(InvestigatingError::NoSuchCase)?;
        let record = self.store.case(id)?.ok_or(InvestigatingError::NoSuchCase)?;
        Ok((id, record, wrap))
    }

    pub fn open(&self, who: &Investigator, case: &str, today: Day) -> Result<CaseDetail> {
        let (id, record, wrap) = self.accessible(who, case)?;
        let summary = self.summary(who, id, &record, today)?;
        let thread = self
            .store
            .thread(id)?
            .into_iter()
            .enumerate()
            .map(|(seq, e)| ThreadEntryWire {
                seq: seq as u64,
                author: e.author.as_str().to_owned(),
                day: e.day.to_string(),
                ciphertext: e.ciphertext,
            })
            .collect();
        let notes = self
            .store
            .notes(id)?
            .into_iter()
            .enumerate()
            .map(|(seq, n)| NoteWire {
                seq: seq as u64,
                author: n.author,
                day: n.day.to_string(),
                ciphertext: n.ciphertext,
            })
            .collect();
        self.store.mark_seen(&who.name, id, record.entries)?;
        self.audit(&who.name, Action::CaseOpened, Some(id), "")?;
        Ok(CaseDetail {
            summary,
            wrap: wrap.0,
            thread,
            notes,
            holders: record.holders,
        })
    }

    /// Where an evidence file of a case is, for an investigator holding access to the case.
    pub fn attachment_path(
        &self,
        who: &Investigator,
        case: &str,
        blob: &str,
    ) -> Result<std::path::PathBuf> {
        let (id, _, _) = self.accessible(who, case)?;
        let blob = crate::store::BlobId::parse(blob).ok_or(InvestigatingError::NoSuchCase)?;
        let path = self
            .store
            .blob_path(id, blob)?
            .ok_or(InvestigatingError::NoSuchCase)?;
        self.audit(
            &who.name,
            Action::EvidenceFetched,
            Some(id),
            &blob.to_string(),
        )?;
        Ok(path)
    }

    /// The caller's wrap and the holders of a case, without opening it.
    pub fn access(&self, who: &Investigator, case: &str) -> Result<CaseAccess> {
        let (_, record, wrap) = self.accessible(who, case)?;
        Ok(CaseAccess {
            wrap: wrap.0,
            holders: record.holders,
        })
    }

    pub fn reply(
        &self,
        who: &Investigator,
        case: &str,
        ciphertext: Vec<u8>,
        today: Day,
    ) -> Result<()> {
        check_sealed(&ciphertext)?;
        let (id, _, _) = self.accessible(who, case)?;
        self.store.append_entry(
            id,
            ThreadEntry {
                author: Author::Investigator,
                day: today,
                ciphertext,
            },
            &[],
        )?;
        self.audit(&who.name, Action::Replied, Some(id), "")
    }

    pub fn note(
        &self,
        who: &Investigator,
        case: &str,
        ciphertext: Vec<u8>,
        today: Day,
    ) -> Result<()> {
        check_sealed(&ciphertext)?;
        let (id, _, _) = self.accessible(who, case)?;
        self.store.append_note(
            id,
            NoteEntry {
                author: who.name.clone(),
                day: today,
                ciphertext,
            },
        )?;
        self.audit(&who.name, Action::NoteAdded, Some(id), "")
    }

    pub fn set_status(
        &self,
        who: &Investigator,
        case: &str,
        status: &str,
        outcome: Option<&str>,
        today: Day,
    ) -> Result<CaseSummary> {
        let to = Status::parse_change(status, outcome)?;
        let (id, _, _) = self.accessible(who, case)?;
        let record = self
            .store
            .update_case(id, &mut |r| r.change_status(to, today))?;
        let detail = to.to_string();
        self.audit(&who.name, Action::StatusChanged, Some(id), &detail)?;
        self.summary(who, id, &record, today)
    }

    pub fn assign(
        &self,
        who: &Investigator,
        case: &str,
        assignees: Vec<String>,
        today: Day,
    ) -> Result<CaseSummary> {
        let (id, _, _) = self.accessible(who, case)?;
        let known = self.store.investigators()?;
        if let Some(unknown) = assignees
            .iter()
            .find(|a| !known.iter().any(|k| &k.name == *a))
        {
            return Err(InvestigatingError::Invalid(format!(
                "no investigator named {unknown:?}"
            )));
        }
        let mut unique = assignees;
        unique.sort();
        unique.dedup();
        let detail = unique.join(",");
        let record = self.store.update_case(id, &mut |r| {
            r.assignees = unique.clone();
            Ok(())
        })?;
        self.audit(&who.name, Action::Assigned, Some(id), &detail)?;
        self.summary(who, id, &record, today)
    }

    /// Stores a wrap that the granting investigator's desk made for a colleague.
    pub fn grant(
        &self,
        who: &Investigator,
        case: &str,
        colleague: &str,
        wrap: Vec<u8>,
    ) -> Result<()> {
        check_sealed(&wrap)?;
        let (id, _, _) = self.accessible(who, case)?;
        let target = self
            .store
            .investigator(colleague)?
            .filter(|i| i.enabled)
            .ok_or_else(|| {
                InvestigatingError::Invalid(format!("no enabled investigator named {colleague:?}"))
            })?;
        self.store.add_wrap(id, &target.name, Wrap(wrap))?;
        self.audit(&who.name, Action::AccessGranted, Some(id), &target.name)
    }

    // --- statistics -----------------------------------------------------------------

    /// Figures over every case, without content.
    pub fn stats(&self, today: Day) -> Result<Stats> {
        let mut received: HashMap<(i32, u8, &'static str), usize> = HashMap::new();
        let mut ack_days = Vec::new();
        let mut ack_within = 0;
        let mut feedback_days = Vec::new();
        let mut feedback_within = 0;
        let mut overdue_now = 0;
        self.store.visit_cases(&mut |_, r| {
            let month = (r.received.year(), r.received.month());
            *received
                .entry((month.0, month.1, r.category.as_str()))
                .or_default() += 1;
            if let Some(day) = r.acknowledged {
                ack_days.push(r.received.days_until(day));
                ack_within += usize::from(day <= r.deadlines.acknowledge_by);
            }
            if let Some(day) = r.first_feedback {
                feedback_days.push(r.received.days_until(day));
                feedback_within += usize::from(day <= r.deadlines.feedback_by);
            }
            overdue_now += usize::from(r.days_left(today).is_some_and(|d| d < 0));
            true
        })?;
        let mut received: Vec<_> = received
            .into_iter()
            .map(|((year, month, category), cases)| MonthCategoryCount {
                month: format!("{year:04}-{month:02}"),
                category: category.to_owned(),
                cases,
            })
            .collect();
        received.sort_by(|a, b| (&a.month, &a.category).cmp(&(&b.month, &b.category)));
        Ok(Stats {
            received,
            acknowledgement: DeadlineStats {
                done: ack_days.len(),
                within_deadline: ack_within,
                median_days: median(&mut ack_days),
            },
            feedback: DeadlineStats {
                done: feedback_days.len(),
                within_deadline: feedback_within,
                median_days: median(&mut feedback_days),
            },
            overdue_now,
        })
    }
}

fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 0 {
        (values[mid - 1] + values[mid]) as f64 / 2.0
    } else {
        values[mid] as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_codes_work_once_and_only_near_now() {
        let secret = b"12345678901234567890".to_vec();
        let mut credentials = Credentials {
            totp_secret: Some(secret.clone()),
            ..Credentials::default()
        };
        // RFC 6238 test vector: SHA-1, T = 59 s gives 94287082 (8 digits); 6 digits: 287082.
        assert_eq!(totp(&secret).generate(59), "287082");
        let now = 59;
        let step = totp_step(&credentials, "287082", now).unwrap();
        credentials.last_totp_step = step;
        assert_eq!(totp_step(&credentials, "287082", now), None, "replayed");
        assert_eq!(
            totp_step(
                &Credentials {
                    last_totp_step: 0,
                    ..credentials.clone()
                },
                "287082",
                59 + 3600
            ),
            None
        );
        assert_eq!(totp_step(&credentials, "000000", now + 30), None);
    }

    #[test]
    fn throttle_waits_grow_after_free_failures_and_reset_on_success() {
        let throttle = Throttle::default();
        for _ in 0..FREE_FAILURES {
            assert!(throttle.wait_needed("ana").is_none());
            throttle.failed("ana");
        }
        assert!(throttle.wait_needed("ana").is_some());
        assert!(
            throttle.wait_needed("bruno").is_none(),
            "other names are not affected"
        );
        throttle.succeeded("ana");
        assert!(throttle.wait_needed("ana").is_none());
    }

    #[test]
    fn totp_secrets_encode_as_rfc4648_base32() {
        assert_eq!(
            base32_rfc4648(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }
}
