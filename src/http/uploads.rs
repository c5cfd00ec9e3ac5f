//! Reporter forms that may carry evidence files: `multipart/form-data` read as it streams
//! in, or plain URL-encoded forms and JSON without files.
//!
//! Each file is sniffed, stripped of identifying metadata where its format allows
//! (`crate::evidence`), encrypted to the case recipient and written to a blob file while
//! it is received: chunks go through a small bounded channel to a blocking writer, so
//! memory stays flat whatever the file size. A file over the limit, a broken or aborted
//! upload, or any later failure deletes every blob of the request: nothing is left
//! behind, and nothing is acknowledged.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use tokio::sync::mpsc;
use zeroize::{Zeroize, Zeroizing};

use super::AppState;
use super::error::Error;
use super::upload_slots::{PROOF_BYTES, PROOF_TIME, Slot, UploadSlots};
use crate::config::UploadLimits;
use crate::crypto::CaseRecipient;
use crate::message::Attachment;
use crate::service::{BlobId, Chunk, Naming, Reporting, WriteError, write_evidence};

/// The name of the file fields of every reporter form.
const EVIDENCE_FIELD: &str = "evidence";
/// The checkbox "keep my file names"; without it files get generic names.
pub const KEEP_NAMES_FIELD: &str = "keep_names";
/// Longest value of a short field (a category, a checkbox, a session id), in bytes.
const SHORT_FIELD_BYTES: usize = 128;

/// Which form a request carries, and so which text fields it may have.
#[derive(Debug, Clone, Copy)]
pub enum FormKind {
    /// A new report: the API's and the page's.
    Report,
    /// A follow-up: the API's (body only) and the page's (with its session field).
    FollowUp,
}

impl FormKind {
    /// The largest value a text field of this form may have; `None` for a field the form
    /// does not have, which is refused.
    fn field_limit(self, name: &str, limits: &UploadLimits) -> Option<usize> {
        match (self, name) {
            (_, "body") => Some(limits.text_bytes),
            (FormKind::Report, "where_when" | "people") => Some(limits.field_bytes),
            (FormKind::Report, "category" | "urgent") => Some(SHORT_FIELD_BYTES),
            (FormKind::FollowUp, "session") => Some(SHORT_FIELD_BYTES),
            // Sent before the files: a reporter may ask to keep their files' own names.
            (_, KEEP_NAMES_FIELD) => Some(SHORT_FIELD_BYTES),
            // The page forms' single-use nonce, also sent before the files (the API
            // ignores it).
            (_, super::form_nonces::FIELD) => Some(SHORT_FIELD_BYTES),
            _ => None,
        }
    }
}

/// Chunks in flight between the request and the blob writer: the memory bound.
const CHANNEL_CHUNKS: usize = 8;

/// What a reporter form carried.
#[derive(Default)]
pub struct Submission {
    fields: HashMap<String, String>,
    pub attachments: Vec<Attachment>,
    pub blobs: Vec<BlobId>,
}

/// What the reporter typed is cleared from memory when the request is done with it (the
/// copies this service owns; see SECURITY.md for those it does not).
impl Drop for Submission {
    fn drop(&mut self) {
        for value in self.fields.values_mut() {
            value.zeroize();
        }
        self.attachments.zeroize();
    }
}

impl Submission {
    /// A submission of text fields only (a URL-encoded form).
    pub fn from_fields(fields: HashMap<String, String>) -> Self {
        Submission {
            fields,
            attachments: Vec::new(),
            blobs: Vec::new(),
        }
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    pub fn text(&self, name: &str) -> String {
        self.field(name).unwrap_or_default().to_owned()
    }
}

/// Deletes the blobs of a request unless it was acknowledged.
pub struct BlobGuard {
    reporting: Arc<Reporting>,
    blobs: Vec<BlobId>,
    keep: bool,
}

impl BlobGuard {
    pub fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for BlobGuard {
    fn drop(&mut self) {
        if !self.keep {
            self.reporting.discard_blobs(&self.blobs);
        }
    }
}

impl Submission {
    /// A guard that deletes this submission's blobs when dropped without `keep()`.
    pub fn guard(&self, reporting: Arc<Reporting>) -> BlobGuard {
        BlobGuard {
            reporting,
            blobs: self.blobs.clone(),
            keep: false,
        }
    }
}

pub fn is_multipart(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// Reads a multipart form. `recipient` is asked for when the first file arrives, with
/// the text fields seen so far (a page form sends its session field before its files).
///
/// On failure the text fields read so far still come back, so that a page can show the
/// reporter what they wrote; the files are then already deleted.
pub async fn read_multipart<F>(
    state: &Arc<AppState>,
    request: Request,
    form: FormKind,
    recipient: F,
) -> (Submission, Result<(), Error>)
where
    F: FnMut(&Submission) -> Result<CaseRecipient, Error>,
{
    let mut submission = Submission::default();
    // Each upload may hold a blocking thread while its files are cleaned and sealed: a
    // fixed number at once, so that stalled uploads cannot exhaust threads or starve
    // token derivation. When all are taken, a newcomer that proves faster than a
    // trickle takes the trickle's slot (`upload_slots`); else it is told to come back.
    let (request, slot) = match state.upload_slots.acquire() {
        Some(slot) => (request, slot),
        None => match on_probation(&state.upload_slots, request).await {
            Ok(admitted) => admitted,
            Err(e) => return (submission, Err(e)),
        },
    };
    let result = read_parts(state, request, form, recipient, &mut submission, &slot).await;
    if result.is_err() {
        submission.attachments.clear();
        submission.blobs.clear();
    }
    (submission, result)
}

/// Reads the first bytes of a newcomer that arrived while every upload slot was taken,
/// and gives it the slot of the slowest trickle if those bytes came at least as fast as
/// the floor (`upload_slots`). The bytes read go back in front of the rest of the body.
async fn on_probation(slots: &UploadSlots, request: Request) -> Result<(Request, Slot), Error> {
    use futures_util::StreamExt;
    let mut probation = slots.probation();
    let started = tokio::time::Instant::now();
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    // Grows with what arrives: a stalled newcomer holds a few bytes, not PROOF_BYTES.
    let mut head = Vec::new();
    let read = tokio::time::timeout(PROOF_TIME, async {
        while head.len() < PROOF_BYTES {
            match stream.next().await {
                Some(Ok(chunk)) => {
                    if !probation.hold(chunk.len()) {
                        return Err(Error::Busy);
                    }
                    head.extend_from_slice(&chunk);
                }
                Some(Err(e)) => return Err(Error::reading_body(e)),
                None => break,
            }
        }
        Ok(())
    })
    .await;
    // Too slow to prove anything: the slots stay with those who hold them.
    read.map_err(|_| Error::Busy)??;
    let slot = slots
        .acquire_proven(started, head.len() as u64)
        .ok_or(Error::Busy)?;
    let head = futures_util::stream::iter([Ok::<_, axum::Error>(bytes::Bytes::from(head))]);
    let body = axum::body::Body::from_stream(head.chain(stream));
    Ok((Request::from_parts(parts, body), slot))
}

async fn read_parts<F>(
    state: &Arc<AppState>,
    request: Request,
    form: FormKind,
    mut recipient: F,
    submission: &mut Submission,
    slot: &Slot,
) -> Result<(), Error>
where
    F: FnMut(&Submission) -> Result<CaseRecipient, Error>,
{
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| Error::MalformedRequest(e.body_text()))?;
    // Until the end, any early return drops this guard and deletes what was written.
    let mut guard = BlobGuard {
        reporting: state.reporting.clone(),
        blobs: Vec::new(),
        keep: false,
    };
    let limits = state.uploads;
    let mut total: u64 = 0;
    let mut pace = Pace::new(slot);
    while let Some(mut field) = pace.next(multipart.next_field(), |_| 0).await? {
        let name = field.name().unwrap_or_default().to_owned();
        let Some(file_name) = field.file_name().map(str::to_owned) else {
            let limit = form
                .field_limit(&name, &limits)
                .ok_or_else(|| Error::UnexpectedField(name.clone()))?;
            if submission.fields.contains_key(&name) {
                return Err(Error::DuplicateField(name));
            }
            // Sized once, so that growing it leaves no copies behind; cleared if refused.
            let mut text = Zeroizing::new(Vec::with_capacity(limit));
            while let Some(chunk) = pace.next(field.chunk(), |c| c.len()).await? {
                if text.len() + chunk.len() > limit {
                    return Err(Error::FieldTooLong { field: name, limit });
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(std::mem::take(&mut *text))
                .map_err(|_| Error::FieldNotText(name.clone()))?;
            submission.fields.insert(name, text);
            continue;
        };
        if name != EVIDENCE_FIELD {
            return Err(Error::UnexpectedField(name));
        }
        // Browsers send an empty, nameless file part when no file was chosen.
        if file_name.is_empty() {
            while pace.next(field.chunk(), |c| c.len()).await?.is_some() {}
            continue;
        }
        if submission.attachments.len() >= limits.files {
            return Err(Error::TooLarge);
        }
        let recipient = recipient(submission)?;
        let content_type = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let pending = {
            let reporting = state.reporting.clone();
            super::blocking::run(move || reporting.new_blob()).await??
        };
        let (chunks, receiver) = mpsc::channel(CHANNEL_CHUNKS);
        let writer =
            tokio::task::spawn_blocking(move || write_evidence(pending, &recipient, receiver));
        let mut size: u64 = 0;
        let streamed: Result<(), Error> = async {
            while let Some(chunk) = pace.next(field.chunk(), |c| c.len()).await? {
                size += chunk.len() as u64;
                total += chunk.len() as u64;
                if size > limits.file_bytes || total > limits.message_bytes {
                    return Err(Error::FileTooLarge {
                        file_bytes: limits.file_bytes,
                        message_bytes: limits.message_bytes,
                    });
                }
                if chunks.send(Chunk::Data(chunk)).await.is_err() {
                    break; // the writer failed; its error is reported below
                }
            }
            Ok(())
        }
        .await;
        if streamed.is_ok() {
            let _ = chunks.send(Chunk::End).await;
        }
        drop(chunks);
        let written = writer.await?;
        streamed?;
        let stored = written.map_err(|e| match e {
            WriteError::Evidence(why) => Error::BrokenFile {
                name: file_name.clone(),
                why,
            },
            WriteError::Io(e) if e.kind() == io::ErrorKind::StorageFull => Error::StorageFull,
            WriteError::Io(e) => {
                tracing::error!(error = %e, "writing an evidence file failed");
                Error::Internal
            }
        })?;
        guard.blobs.push(stored.blob);
        submission.blobs.push(stored.blob);
        let naming = if super::reporter::truthy(submission.field(KEEP_NAMES_FIELD)) {
            Naming::Kept
        } else {
            Naming::Generic(submission.attachments.len() + 1)
        };
        submission
            .attachments
            .push(stored.attachment(&file_name, &content_type, naming));
    }
    // The caller takes over: it keeps the blobs once their message is committed.
    guard.keep();
    Ok(())
}

/// The slowest an upload may arrive on average, after [`UPLOAD_GRACE`]: 2 KiB/s, far
/// below what Tor carries. An upload that stalls or trickles gives its slot back within
/// seconds instead of holding it, and a blocking thread, for the whole transfer limit.
const MIN_UPLOAD_BYTES_PER_SECOND: f64 = 2048.0;
const UPLOAD_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Tracks an upload's progress against its minimum rate, and its slot.
struct Pace<'a> {
    started: tokio::time::Instant,
    received: u64,
    slot: &'a Slot,
}

impl<'a> Pace<'a> {
    fn new(slot: &'a Slot) -> Self {
        Pace {
            started: tokio::time::Instant::now(),
            received: 0,
            slot,
        }
    }

    /// Waits for the next part or chunk of the upload, until the time by which the bytes
    /// received so far, plus the next, are due at the minimum rate, or until the upload
    /// loses its slot to a newcomer.
    async fn next<T>(
        &mut self,
        next: impl std::future::Future<
            Output = Result<Option<T>, axum::extract::multipart::MultipartError>,
        >,
        size: impl Fn(&T) -> usize,
    ) -> Result<Option<T>, Error> {
        let due = self.started
            + UPLOAD_GRACE
            + std::time::Duration::from_secs_f64(
                self.received as f64 / MIN_UPLOAD_BYTES_PER_SECOND,
            );
        let next = tokio::select! {
            next = tokio::time::timeout_at(due, next) => next,
            () = self.slot.evicted() => return Err(Error::UploadPreempted),
        };
        match next {
            Ok(Ok(item)) => {
                let bytes = item.as_ref().map_or(0, |i| size(i) as u64);
                self.received += bytes;
                self.slot.received(bytes);
                Ok(item)
            }
            Ok(Err(e)) => Err(multipart_error(e)),
            Err(_) => Err(Error::BodyStalled),
        }
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> Error {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Error::TooLarge
    } else if stalled(&e) {
        Error::BodyStalled
    } else {
        Error::BrokenUpload(e.body_text())
    }
}

/// Whether an error was caused by the body idle timeout (`super::BODY_IDLE_TIMEOUT`).
fn stalled(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(error) = cause {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = error.source();
    }
    false
}

/// Reads a URL-encoded form (a page form without files) within the ordinary body limit,
/// even on routes whose limit is sized for evidence files.
pub async fn read_url_encoded(state: &AppState, request: Request) -> Result<Submission, Error> {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(Error::NotForm);
    }
    let bytes = axum::body::to_bytes(request.into_body(), state.max_body_bytes)
        .await
        .map_err(Error::reading_body)?;
    // The body holds what the reporter typed: cleared once parsed.
    let bytes = Zeroizing::new(Vec::from(bytes));
    let fields = serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| Error::MalformedRequest(format!("Failed to deserialize form body: {e}")))?;
    Ok(Submission::from_fields(fields))
}
