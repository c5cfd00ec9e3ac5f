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
use std::io::{self, BufWriter, Read, Write};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use tokio::sync::mpsc;

use super::AppState;
use super::error::Error;
use crate::crypto::CaseRecipient;
use crate::evidence::{self, Format};
use crate::message::Attachment;
use crate::reporting::Reporting;
use crate::store::{BlobId, PendingBlob};

/// Limits on what one request may upload.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    /// Largest single evidence file, in bytes.
    pub file_bytes: u64,
    /// Largest total of evidence files in one message, in bytes.
    pub message_bytes: u64,
    /// Largest text field, in bytes.
    pub text_bytes: usize,
    /// Most files in one message.
    pub files: usize,
}

/// Longest file name kept (in bytes); longer names are cut at a character boundary.
const MAX_NAME_BYTES: usize = 200;
/// Chunks in flight between the request and the blob writer: the memory bound.
const CHANNEL_CHUNKS: usize = 8;

/// What a reporter form carried.
#[derive(Default)]
pub struct Submission {
    fields: HashMap<String, String>,
    pub attachments: Vec<Attachment>,
    pub blobs: Vec<BlobId>,
}

impl Submission {
    /// A submission of text fields only (a URL-encoded form).
    pub fn from_fields(fields: HashMap<String, String>) -> Self {
        Submission {
            fields,
            ..Submission::default()
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
    limits: UploadLimits,
    recipient: F,
) -> (Submission, Result<(), Error>)
where
    F: FnMut(&Submission) -> Result<CaseRecipient, Error>,
{
    let mut submission = Submission::default();
    let result = read_parts(state, request, limits, recipient, &mut submission).await;
    if result.is_err() {
        submission.attachments.clear();
        submission.blobs.clear();
    }
    (submission, result)
}

async fn read_parts<F>(
    state: &Arc<AppState>,
    request: Request,
    limits: UploadLimits,
    mut recipient: F,
    submission: &mut Submission,
) -> Result<(), Error>
where
    F: FnMut(&Submission) -> Result<CaseRecipient, Error>,
{
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| Error::BadRequest(e.body_text()))?;
    // Until the end, any early return drops this guard and deletes what was written.
    let mut guard = BlobGuard {
        reporting: state.reporting.clone(),
        blobs: Vec::new(),
        keep: false,
    };
    let mut total: u64 = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let Some(file_name) = field.file_name().map(str::to_owned) else {
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                if text.len() + chunk.len() > limits.text_bytes {
                    return Err(Error::Unprocessable(format!(
                        "the field {name:?} is longer than {} bytes",
                        limits.text_bytes
                    )));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text)
                .map_err(|_| Error::BadRequest(format!("the field {name:?} is not UTF-8 text")))?;
            submission.fields.insert(name, text);
            continue;
        };
        // Browsers send an empty, nameless file part when no file was chosen.
        if file_name.is_empty() {
            while field.chunk().await.map_err(multipart_error)?.is_some() {}
            continue;
        }
        if submission.attachments.len() >= limits.files {
            return Err(Error::TooLarge);
        }
        let recipient = recipient(submission)?;
        let content_type = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .chars()
            .take(100)
            .collect();
        let pending = {
            let reporting = state.reporting.clone();
            super::blocking::run(move || reporting.new_blob()).await??
        };
        let (chunks, receiver) = mpsc::channel(CHANNEL_CHUNKS);
        let writer =
            tokio::task::spawn_blocking(move || write_evidence(pending, &recipient, receiver));
        let mut size: u64 = 0;
        let streamed: Result<(), Error> = async {
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
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
        let (blob, cleaning, plain_size) = written.map_err(|e| match e {
            WriteError::Evidence(e) => Error::Unprocessable(format!("{file_name}: {e}")),
            WriteError::Io(e) if e.kind() == io::ErrorKind::StorageFull => Error::StorageFull,
            WriteError::Io(e) => {
                tracing::error!(error = %e, "writing an evidence file failed");
                Error::Internal
            }
        })?;
        guard.blobs.push(blob);
        submission.blobs.push(blob);
        submission.attachments.push(Attachment {
            blob: blob.to_string(),
            name: truncate(&file_name, MAX_NAME_BYTES),
            content_type,
            size: plain_size,
            format: format_name(cleaning.format).to_owned(),
            cleaned: cleaning.cleaned,
            removed: cleaning.removed.iter().map(|r| (*r).to_owned()).collect(),
        });
    }
    // The caller takes over: it keeps the blobs once their message is committed.
    guard.keep();
    Ok(())
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> Error {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Error::TooLarge
    } else {
        Error::BadRequest(format!(
            "the upload was broken or interrupted: {}",
            e.body_text()
        ))
    }
}

fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

pub fn format_name(format: Format) -> &'static str {
    match format {
        Format::Jpeg => "jpeg",
        Format::Png => "png",
        Format::Pdf => "pdf",
        Format::Other => "other",
    }
}

enum Chunk {
    Data(Bytes),
    /// The whole file was received; without it, a closed channel means an aborted upload.
    End,
}

/// The file as the blob writer reads it, from the request's chunks.
struct ChannelReader {
    chunks: mpsc::Receiver<Chunk>,
    current: Bytes,
    ended: bool,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            if self.ended {
                return Ok(0);
            }
            match self.chunks.blocking_recv() {
                Some(Chunk::Data(bytes)) => self.current = bytes,
                Some(Chunk::End) => self.ended = true,
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the upload ended before the file was complete",
                    ));
                }
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

#[derive(Debug, thiserror::Error)]
enum WriteError {
    #[error(transparent)]
    Evidence(evidence::EvidenceError),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Counts what passes through, to report the cleaned size.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Blocking: sniffs, cleans, encrypts and writes one evidence file, then makes it durable.
fn write_evidence(
    mut pending: PendingBlob,
    recipient: &CaseRecipient,
    chunks: mpsc::Receiver<Chunk>,
) -> Result<(BlobId, evidence::Cleaning, u64), WriteError> {
    let mut reader = ChannelReader {
        chunks,
        current: Bytes::new(),
        ended: false,
    };
    let mut head = Vec::with_capacity(evidence::SNIFF_LEN);
    (&mut reader)
        .take(evidence::SNIFF_LEN as u64)
        .read_to_end(&mut head)?;
    let format = evidence::sniff(&head);
    let (cleaning, size) = {
        let file = BufWriter::with_capacity(64 * 1024, pending.file()?);
        let sealed = recipient.seal_stream(file).map_err(io::Error::other)?;
        let mut counting = Counting {
            inner: sealed,
            bytes: 0,
        };
        let cleaning = evidence::clean(format, io::Cursor::new(head).chain(reader), &mut counting)
            .map_err(|e| match e {
                evidence::EvidenceError::Io(io) => WriteError::Io(io),
                other => WriteError::Evidence(other),
            })?;
        let size = counting.bytes;
        counting.inner.finish()?.flush()?;
        (cleaning, size)
    };
    let blob = pending.complete()?;
    Ok((blob, cleaning, size))
}
