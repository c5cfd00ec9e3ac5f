//! Evidence files as the service stores them: each file is sniffed, stripped of
//! identifying metadata where its format allows (`crate::evidence`), encrypted to the case
//! recipient and written to a blob, while it is received.
//!
//! The HTTP layer turns a multipart field into [`Chunk`]s on a small bounded channel; the
//! blocking writer here reads them, so memory stays flat whatever the file size.

use std::io::{self, BufWriter, Read, Write};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::crypto::CaseRecipient;
use crate::evidence::{self, Format};
use crate::message::Attachment;
use crate::store::{BlobId, PendingBlob};

/// Longest file name kept (in bytes); longer names are cut at a character boundary.
const MAX_NAME_BYTES: usize = 200;
/// Longest declared content type kept, in characters.
const MAX_TYPE_CHARS: usize = 100;

/// A file stored and cleaned: what the message that carries it will say about it.
pub struct StoredFile {
    pub blob: BlobId,
    pub cleaning: evidence::Cleaning,
    /// Size after cleaning, before encryption.
    pub size: u64,
}

/// The name a file is stored under, inside the encrypted message.
#[derive(Debug, Clone, Copy)]
pub enum Naming {
    /// The name the reporter's device gave it, which the reporter asked to keep.
    Kept,
    /// A generic name from the detected format and the file's place in the message
    /// (`photo-1.jpg`): names such as `PXL_20261126_134502123.MP.jpg` give the capture
    /// time to the millisecond, the phone's brand and the app.
    Generic(usize),
}

/// `photo-2.jpg`, `document-1.pdf`; an unrecognised file keeps a short extension of its
/// own name (`file-3.heic`), so that the investigator's machine knows how to open it.
fn generic_name(format: Format, n: usize, original: &str) -> String {
    let stem = match format {
        Format::Jpeg => return format!("photo-{n}.jpg"),
        Format::Png => return format!("image-{n}.png"),
        Format::Pdf => return format!("document-{n}.pdf"),
        Format::Mp4 => return format!("video-{n}.mp4"),
        Format::QuickTime => return format!("video-{n}.mov"),
        Format::Other => format!("file-{n}"),
    };
    let extension = original
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .filter(|ext| {
            (1..=5).contains(&ext.len()) && ext.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    match extension {
        Some(ext) => format!("{stem}.{ext}"),
        None => stem,
    }
}

impl StoredFile {
    /// The description kept inside the encrypted message.
    pub fn attachment(&self, file_name: &str, content_type: &str, naming: Naming) -> Attachment {
        let name = match naming {
            Naming::Kept => truncate(file_name, MAX_NAME_BYTES),
            Naming::Generic(n) => generic_name(self.cleaning.format, n, file_name),
        };
        Attachment {
            blob: self.blob.to_string(),
            name,
            content_type: content_type.chars().take(MAX_TYPE_CHARS).collect(),
            size: self.size,
            format: format_name(self.cleaning.format).to_owned(),
            cleaned: self.cleaning.cleaned,
            removed: self
                .cleaning
                .removed
                .iter()
                .map(|r| (*r).to_owned())
                .collect(),
        }
    }
}

fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Jpeg => "jpeg",
        Format::Png => "png",
        Format::Pdf => "pdf",
        Format::Mp4 => "mp4",
        Format::QuickTime => "mov",
        Format::Other => "other",
    }
}

pub enum Chunk {
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

/// Why a file could not be stored. An evidence error is the reporter's file (broken);
/// an I/O error is ours (or a full disk).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
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
pub fn write_evidence(
    mut pending: PendingBlob,
    recipient: &CaseRecipient,
    chunks: mpsc::Receiver<Chunk>,
) -> Result<StoredFile, WriteError> {
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
        // Written through the blob, which stops at the free-space reserve.
        let file = BufWriter::with_capacity(64 * 1024, &mut pending);
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
    Ok(StoredFile {
        blob,
        cleaning,
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_names_say_the_kind_and_nothing_of_the_device() {
        assert_eq!(
            generic_name(Format::Jpeg, 1, "PXL_20261126_134502123.MP.jpg"),
            "photo-1.jpg"
        );
        assert_eq!(generic_name(Format::Pdf, 2, "scan.PDF"), "document-2.pdf");
        assert_eq!(
            generic_name(Format::Mp4, 8, "VID_20261126_134502.mp4"),
            "video-8.mp4"
        );
        assert_eq!(
            generic_name(Format::QuickTime, 9, "IMG_0042.MOV"),
            "video-9.mov"
        );
        assert_eq!(
            generic_name(Format::Png, 3, "Screenshot_2026.png"),
            "image-3.png"
        );
        assert_eq!(
            generic_name(Format::Other, 4, "IMG_0042.HEIC"),
            "file-4.heic"
        );
        assert_eq!(generic_name(Format::Other, 5, "notes"), "file-5");
        assert_eq!(generic_name(Format::Other, 6, "x.tar.gz"), "file-6.gz");
        assert_eq!(generic_name(Format::Other, 7, "x.<script>"), "file-7");
    }
}
