//! Wire types of the investigator API (`/api/v1/investigator/...`), shared by the service
//! (`http::investigator_api`) and the desk (`desk`), so that the two cannot disagree.
//!
//! Ciphertext travels as standard base64 of the age binary format. The server never sees
//! plaintext of anything here except metadata: the desk encrypts replies and notes and
//! makes new wraps on the investigator's machine.
//!
//! | method and path | body | answer |
//! | --- | --- | --- |
//! | `POST /enrol` | [`EnrolRequest`] | 200 [`EnrolResponse`] |
//! | `POST /enrol/confirm` | [`EnrolConfirm`] | 204 |
//! | `POST /login` | [`LoginRequest`] | 200 [`LoginResponse`], 401, 429 |
//! | `POST /logout` | — | 204 |
//! | `GET /cases?status=&assignee=&category=&urgent=&state=&waiting=&overdue=&label=&sort=&page=&per_page=` ([`CaseListQuery`]; page from 0, past the end gives the last page; 50 a page, at most 200) | — | 200 [`CaseList`] |
//! | `GET /cases/{id}` | — | 200 [`CaseDetail`]; 404 without a wrap |
//! | `POST /cases/{id}/replies` | [`SealedBody`] | 201 |
//! | `POST /cases/{id}/notes` | [`SealedBody`] | 201 |
//! | `POST /cases/{id}/status` | [`StatusRequest`] | 200 [`CaseSummary`]; 409 for a bad transition |
//! | `POST /cases/{id}/assignees` | [`AssignRequest`] | 200 [`CaseSummary`] |
//! | `GET /cases/{id}/access` | — | 200 [`CaseAccess`]; 404 without a wrap |
//! | `POST /cases/{id}/access` | [`GrantRequest`] | 201; 409 if they already hold one |
//! | `POST /cases/{id}/labels` | [`LabelsRequest`] | 200 [`CaseSummary`]; 422 for a label not in [`crate::case::Label`] |
//! | `POST /threads` | [`ThreadsRequest`] (at most [`MAX_THREADS`] ids) | 200 `[`[`CaseThread`]`]`: the cases the caller holds, without opening them (no read mark; one audit entry) |
//! | `GET /cases/{id}/attachments/{blob}` | — | 200 `application/octet-stream`: the evidence file, age-encrypted to the case key (decrypt with [`crate::crypto::CaseKey::open_stream`]); 404 without a wrap or if the file is not this case's |
//! | `GET /investigators` | — | 200 `[`[`InvestigatorWire`]`]` |
//! | `GET /stats` | — | 200 [`Stats`] |
//! | `GET /recovery` | — | 200 [`RecoveryRecipientWire`] |
//! | `GET /audit/head?known=HEAD` | — | 200 [`AuditHeadWire`] |
//! | `GET /alerts` | — | 200 [`AlertSettings`]: the caller's own alert address |
//! | `POST /alerts` | [`AlertSettings`] | 200 [`AlertSettings`]; 422 for an address that is not one |
//! | `GET /recipients/pending` | — | 200 `[`[`PendingRecipientWire`]`]`: recipients waiting for a second administrator |
//! | `POST /admin/investigators` (admin) | [`NewInvestigator`] | 201 [`EnrolmentSecret`] (the new recipient waits for confirmation) |
//! | `POST /admin/recipients/confirm` (admin) | [`ConfirmRecipient`] | 200 `[`[`PendingRecipientWire`]`]` (what was confirmed); 403 for one's own proposal or recipient; 404 if none waits with that fingerprint |
//! | `POST /admin/investigators/{name}/disable` (admin) | — | 204 |
//! | `DELETE /admin/investigators/{name}` (admin) | — | 204 |
//!
//! Every path is under [`INVESTIGATOR_API`]; all but enrol and login need
//! `Authorization: Bearer <session>`.

use serde::{Deserialize, Serialize};

pub const INVESTIGATOR_API: &str = "/api/v1/investigator";

/// Base64 (standard alphabet, padded) for byte fields.
pub mod b64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(|_| serde::de::Error::custom("expected standard base64"))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    pub name: String,
    pub enrolment_secret: String,
    pub password: String,
}

/// The TOTP secret to load into an authenticator app, shown once.
#[derive(Serialize, Deserialize)]
pub struct EnrolResponse {
    /// RFC 4648 base32, no padding.
    pub totp_secret: String,
    /// `otpauth://totp/...` for QR codes.
    pub otpauth_uri: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolConfirm {
    pub name: String,
    pub enrolment_secret: String,
    /// A current 6-digit code from the authenticator.
    pub code: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub name: String,
    pub password: String,
    pub code: String,
}

#[derive(Serialize, Deserialize)]
pub struct LoginResponse {
    pub session: String,
    pub name: String,
    /// `investigator` or `admin`.
    pub role: String,
}

/// A case as the case list shows it: metadata only.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CaseSummary {
    /// 32 hex digits.
    pub id: String,
    /// `new`, `acknowledged`, `investigating` or `closed`.
    pub status: String,
    /// For closed cases: `substantiated`, `unsubstantiated`, `referred`,
    /// `insufficient_information`.
    pub outcome: Option<String>,
    pub category: String,
    pub urgent: bool,
    /// Days as `YYYY-MM-DD`.
    pub received: String,
    pub acknowledge_by: String,
    pub feedback_by: String,
    pub acknowledged: Option<String>,
    /// Day of the first investigator reply.
    pub first_feedback: Option<String>,
    /// Days until the next deadline this case still has to meet (negative: overdue);
    /// none for closed cases.
    pub days_left: Option<i64>,
    pub overdue: bool,
    pub assignees: Vec<String>,
    /// Reporter messages this investigator has not opened yet.
    pub unread: bool,
    /// Messages in the thread: the report, follow-ups and replies.
    pub entries: u64,
    /// The short reference for the phone ([`crate::case::case_reference`]).
    #[serde(default)]
    pub reference: String,
    /// Day of the latest message or status change.
    #[serde(default)]
    pub last_activity: String,
    /// This investigator has opened the case at least once.
    #[serde(default)]
    pub opened: bool,
    /// An open case whose latest message is the reporter's: nobody has answered yet.
    #[serde(default)]
    pub reporter_waiting: bool,
    /// Day of the reporter's follow-up that nobody has answered yet (not set for the
    /// first report, or in records from before the day was kept: then `reporter_waiting`
    /// still says so).
    #[serde(default)]
    pub reporter_replied: Option<String>,
    /// Set only when the reporter wrote again after the first report.
    #[serde(default)]
    pub follow_up_waiting: bool,
    /// Label words ([`crate::case::Label`]).
    #[serde(default)]
    pub labels: Vec<String>,
}

/// Filters, order and page of the case list, as query parameters. Flags are on when
/// given as `1` or `true`.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct CaseListQuery {
    /// A status word.
    pub status: Option<String>,
    /// An investigator name.
    pub assignee: Option<String>,
    /// A category word.
    pub category: Option<String>,
    pub urgent: Option<String>,
    /// `open` (any status but closed) or `closed`.
    pub state: Option<String>,
    /// Only cases whose reporter waits for an answer.
    pub waiting: Option<String>,
    /// Only open cases past a deadline.
    pub overdue: Option<String>,
    /// A label word.
    pub label: Option<String>,
    /// `triage` (default: urgent first, then nearest deadline), `waiting` (reporters
    /// waiting first, longest wait first) or `activity` (latest activity first).
    pub sort: Option<String>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
}

impl CaseListQuery {
    /// A flag parameter as given: `1` or `true`.
    pub fn flag(value: &Option<String>) -> bool {
        matches!(value.as_deref(), Some("1" | "true"))
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CaseList {
    /// Cases matching the filters, over all pages.
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    /// Urgent first, then by nearest deadline.
    pub cases: Vec<CaseSummary>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ThreadEntryWire {
    pub seq: u64,
    /// `reporter` or `investigator`.
    pub author: String,
    pub day: String,
    #[serde(with = "b64")]
    pub ciphertext: Vec<u8>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct NoteWire {
    pub seq: u64,
    /// Investigator name.
    pub author: String,
    pub day: String,
    /// Encrypted to investigators' recipients, never to the case key.
    #[serde(with = "b64")]
    pub ciphertext: Vec<u8>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CaseDetail {
    pub summary: CaseSummary,
    /// The requesting investigator's wrap of the case key.
    #[serde(with = "b64")]
    pub wrap: Vec<u8>,
    pub thread: Vec<ThreadEntryWire>,
    pub notes: Vec<NoteWire>,
    /// Investigators holding a wrap of this case.
    pub holders: Vec<String>,
}

/// What a desk needs to act on a case without reading it: the caller's wrap (to seal a
/// reply or re-wrap for a colleague) and who holds access (to seal a note to them).
/// Fetching it is not "opening the case": no audit entry, no read mark.
#[derive(Debug, Serialize, Deserialize)]
pub struct CaseAccess {
    #[serde(with = "b64")]
    pub wrap: Vec<u8>,
    pub holders: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedBody {
    #[serde(with = "b64")]
    pub ciphertext: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    pub status: String,
    #[serde(default)]
    pub outcome: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    pub assignees: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    pub investigator: String,
    #[serde(with = "b64")]
    pub wrap: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelsRequest {
    /// Label words; the case's labels become exactly these.
    pub labels: Vec<String>,
}

/// Most case ids one [`ThreadsRequest`] may name.
pub const MAX_THREADS: usize = 200;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreadsRequest {
    /// Case ids (32 hex digits); ids the caller holds no wrap for are left out of the
    /// answer.
    pub ids: Vec<String>,
}

/// A case's thread as ciphertext with the caller's wrap, for a desk to decrypt for its
/// search and previews without opening the case.
#[derive(Debug, Serialize, Deserialize)]
pub struct CaseThread {
    pub id: String,
    /// Thread entries when read: the desk refreshes its copy when the count changes.
    pub entries: u64,
    #[serde(with = "b64")]
    pub wrap: Vec<u8>,
    pub thread: Vec<ThreadEntryWire>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvestigatorWire {
    pub name: String,
    /// `age1...`
    pub recipient: String,
    pub role: String,
    pub enabled: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInvestigator {
    pub name: String,
    pub recipient: String,
    /// `investigator` (default) or `admin`.
    #[serde(default)]
    pub role: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub struct EnrolmentSecret {
    pub enrolment_secret: String,
}

/// Figures integrity programmes report on; no content.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Stats {
    /// Every case received.
    #[serde(default)]
    pub total: usize,
    /// Cases not closed.
    #[serde(default)]
    pub open: usize,
    #[serde(default)]
    pub closed: usize,
    /// Cases whose reporter said they were in immediate danger.
    #[serde(default)]
    pub urgent: usize,
    /// One row per label set on at least one case, in the order of [`crate::case::Label`].
    #[serde(default)]
    pub labels: Vec<LabelCount>,
    /// One row per month and category with at least one case received.
    pub received: Vec<MonthCategoryCount>,
    pub acknowledgement: DeadlineStats,
    pub feedback: DeadlineStats,
    /// Open cases past a deadline today.
    pub overdue_now: usize,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct LabelCount {
    pub label: String,
    pub cases: usize,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct MonthCategoryCount {
    /// `YYYY-MM`
    pub month: String,
    pub category: String,
    pub cases: usize,
}

#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct DeadlineStats {
    /// Cases where the step happened.
    pub done: usize,
    /// Of those, how many within the deadline.
    pub within_deadline: usize,
    /// Median days from receipt to the step.
    pub median_days: Option<f64>,
    /// Open cases where the step has not happened and its deadline has passed: missed
    /// deadlines that `done` does not count yet.
    #[serde(default)]
    pub missed_pending: usize,
}

impl DeadlineStats {
    /// Deadlines met as a share of those that fell due: steps done within the deadline,
    /// over steps done plus steps still missing past their deadline. `None` when none
    /// fell due.
    pub fn met_share(&self) -> Option<f64> {
        let due = self.done + self.missed_pending;
        (due > 0).then(|| self.within_deadline as f64 / due as f64)
    }
}

/// `POST /admin/backups`: the snapshot an administrator asked for.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct BackupWire {
    /// File name in the service's backup directory.
    pub file: String,
    /// Size of the encrypted file.
    pub bytes: u64,
    pub cases: u64,
    pub evidence_files: u64,
}

// Who can read a case (issue 12): the recovery recipient, shown with its fingerprint.

/// `GET /recovery`: the organisation's offline recovery recipient, which every new case
/// key is also wrapped to, and its fingerprint to compare over a second channel with the
/// one `quietline admin set-recovery-recipient` printed.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct RecoveryRecipientWire {
    /// `age1...`, or none if no recovery recipient is registered.
    pub recipient: Option<String>,
    /// First 16 hex digits of SHA-256 of the recipient text, in groups of four.
    pub fingerprint: Option<String>,
}

/// `GET /audit/head`: the audit chain's length and head, for a desk to compare with what
/// it saw before. With `?known=HEAD` (64 hex digits), also where that head sits in the
/// chain: nowhere means the log was cut short or rewritten since.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct AuditHeadWire {
    pub count: u64,
    /// Hash of the newest entry, 64 hex digits, as `quietline audit verify` prints it.
    pub head: String,
    /// Sequence number of the entry whose hash is `known`, if it is in the chain.
    pub known_at: Option<u64>,
    /// Why the chain does not verify, if it does not.
    pub broken: Option<String>,
}

/// `GET /recipients/pending`: a recipient one administrator proposed (a new
/// investigator's, or a new recovery recipient) and no second one has confirmed yet.
/// New case keys are not wrapped to it until then.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PendingRecipientWire {
    /// `investigator` or `recovery`.
    pub kind: String,
    /// The investigator's name; none for the recovery recipient.
    pub name: Option<String>,
    /// `age1...`
    pub recipient: String,
    /// As `quietline admin` printed it when it was proposed (see
    /// [`RecoveryRecipientWire::fingerprint`]); a desk recomputes it from `recipient`.
    pub fingerprint: String,
    /// Who proposed it: an investigator's name, or `admin-cli` (the host's command line).
    pub proposed_by: String,
}

/// `POST /admin/recipients/confirm`: confirms the waiting recipient with this
/// fingerprint, as the confirming administrator saw it (spaces and case do not matter).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRecipient {
    pub fingerprint: String,
}

/// `GET /alerts` and `POST /alerts`: where the caller's own alerts go. Urgent alerts
/// reach the address whenever it is set; the activity and deadline digests only with
/// `digests`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    /// A mail address, or none for no alerts of one's own.
    pub address: Option<String>,
    #[serde(default)]
    pub digests: bool,
}

/// The query of `GET /audit/head`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AuditHeadQuery {
    pub known: Option<String>,
}
