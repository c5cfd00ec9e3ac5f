//! Evidence files: format sniffing and metadata removal, before they are encrypted.
//!
//! A reporter's phone photo says more than its pixels. JPEG and PNG files carry EXIF with
//! the GPS position where the picture was taken, the camera's make, model and serial number,
//! the owner's name and vendor "maker notes"; XMP and IPTC packets add editing software,
//! author and place names; comments and text chunks carry whatever a tool put there. Any one
//! of these can lead an investigator, or whoever reads the case later, back to the reporter.
//! This module strips them from a file on its way into a case.
//!
//! It is pure and streaming: it reads a [`Read`], writes a [`Write`] and holds no more than
//! a few fixed buffers, so a 500 MiB video costs the same memory as a thumbnail. It works on
//! the container (JPEG marker segments, PNG chunks) and never decodes or re-encodes the
//! image: the picture data is copied byte for byte, so what investigators see is exactly
//! what the camera recorded.
//!
//! PDF files are the exception to streaming: they are loaded whole, up to
//! [`MAX_PDF_BYTES`], and written anew (`pdf.rs`). MP4 and QuickTime videos are walked box
//! by box and their metadata blanked in place (`mp4.rs`).
//!
//! Formats we do not clean (HEIC, other videos, anything else), and PDFs we cannot (too
//! large, encrypted, unreadable), are copied unchanged and reported with `cleaned: false`,
//! so that the reporter can be told that the file still carries whatever its device put
//! in it, and can remove it.
//!
//! ```
//! use std::io::{Cursor, Read};
//! use quietline::evidence::{self, Format};
//!
//! # fn main() -> Result<(), evidence::EvidenceError> {
//! let mut upload: &[u8] = b"GIF89a..."; // any Read: a request body, a temporary file
//! // Sniff the first bytes, then hand them back in front of the rest of the stream.
//! let mut head = [0; evidence::SNIFF_LEN];
//! let n = upload.read(&mut head)?;
//! let format = evidence::sniff(&head[..n]);
//! let mut cleaned = Vec::new(); // in the service: the age encryptor's writer
//! let cleaning = evidence::clean(format, Cursor::new(&head[..n]).chain(upload), &mut cleaned)?;
//! assert_eq!(cleaning.format, Format::Other);
//! assert!(!cleaning.cleaned); // tell the reporter this file was stored as it is
//! # Ok(())
//! # }
//! ```

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};

mod jpeg;
mod mp4;
mod pdf;
mod png;

pub use pdf::MAX_PDF_BYTES;

/// How many leading bytes [`sniff`] needs to recognise every format it knows (an MP4's
/// brand ends at the 12th).
pub const SNIFF_LEN: usize = 12;

/// Size of the read and write buffers: the whole memory cost of cleaning a file, whatever
/// its size.
const BUFFER_SIZE: usize = 64 * 1024;

/// The kind of an evidence file, told by its first bytes (never by its name, which the
/// reporter's device chose and which may lie).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Pdf,
    /// MP4 and its kin (M4V, 3GP): an ISO media file that is not a HEIF image.
    Mp4,
    /// QuickTime (MOV), as iPhones record.
    QuickTime,
    /// Anything else: copied unchanged.
    Other,
}

/// What [`clean`] did to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaning {
    pub format: Format,
    /// The kinds of metadata found and removed, each named once, in the order met: "EXIF",
    /// "XMP", "IPTC", "ICC profile", "comment", "thumbnail", "PNG text", "modification
    /// time", "other application data", "other ancillary data", "trailing data"; for PDF
    /// "document information", "document ID", "application data"; for video "recording
    /// time", "user data (place, device, software)", "metadata", "vendor data".
    pub removed: Vec<&'static str>,
    /// False when the format is not one we clean, or a PDF we could not: the output is
    /// then an exact copy.
    pub cleaned: bool,
}

/// Why a file could not be cleaned. The partial output written before the error must be
/// discarded.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("reading the file or writing its cleaned copy failed: {0}")]
    Io(#[from] io::Error),
    #[error("this is not a JPEG file: it does not start with the JPEG start-of-image marker")]
    NotJpeg,
    #[error("this is not a PNG file: it does not start with the PNG signature")]
    NotPng,
    #[error("the file is truncated: it ends inside {0}")]
    Truncated(&'static str),
    #[error("malformed JPEG file: {0}")]
    MalformedJpeg(String),
    #[error("malformed PNG file: {0}")]
    MalformedPng(String),
    #[error("malformed MP4 or QuickTime file: {0}")]
    MalformedVideo(String),
}

/// Tells the format of a file from its first bytes ([`SNIFF_LEN`] are enough; fewer may give
/// [`Format::Other`]).
pub fn sniff(first_bytes: &[u8]) -> Format {
    if first_bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Format::Jpeg
    } else if first_bytes.starts_with(&png::SIGNATURE) {
        Format::Png
    } else if first_bytes.starts_with(b"%PDF-") {
        Format::Pdf
    } else {
        match mp4::sniff(first_bytes) {
            Some(false) => Format::Mp4,
            Some(true) => Format::QuickTime,
            None => Format::Other,
        }
    }
}

/// Streams `input` to `output`, removing identifying metadata when `format` is one we clean
/// (JPEG, PNG, PDF, MP4, QuickTime), and copying it unchanged otherwise.
///
/// `input` must be the whole file, including the bytes given to [`sniff`]. Memory use is a
/// few fixed buffers whatever the file size, except for a PDF (up to [`MAX_PDF_BYTES`],
/// held whole; a larger one is copied unchanged). Input that does not match `format`, or is
/// truncated or malformed, gives an error; the output written so far must then be discarded.
pub fn clean<R: Read, W: Write>(
    format: Format,
    input: R,
    output: W,
) -> Result<Cleaning, EvidenceError> {
    let mut input = BufReader::with_capacity(BUFFER_SIZE, input);
    let mut output = BufWriter::with_capacity(BUFFER_SIZE, output);
    let mut removed = Removed::default();
    let cleaned = match format {
        Format::Jpeg => {
            jpeg::clean(&mut input, &mut output, &mut removed)?;
            true
        }
        Format::Png => {
            png::clean(&mut input, &mut output, &mut removed)?;
            true
        }
        Format::Pdf => pdf::clean(&mut input, &mut output, &mut removed)?,
        Format::Mp4 | Format::QuickTime => {
            mp4::clean(&mut input, &mut output, &mut removed)?;
            true
        }
        Format::Other => {
            io::copy(&mut input, &mut output)?;
            false
        }
    };
    output.flush()?;
    Ok(Cleaning {
        format,
        removed: removed.0,
        cleaned,
    })
}

/// The kinds of metadata removed so far, each once.
#[derive(Default)]
struct Removed(Vec<&'static str>);

impl Removed {
    fn note(&mut self, what: &'static str) {
        if !self.0.contains(&what) {
            self.0.push(what);
        }
    }
}

/// Reads exactly `N` bytes; `part` names what was being read if the file ends first.
fn read_array<const N: usize>(
    input: &mut impl BufRead,
    part: &'static str,
) -> Result<[u8; N], EvidenceError> {
    let mut bytes = [0; N];
    input
        .read_exact(&mut bytes)
        .map_err(|e| eof_means(e, part))?;
    Ok(bytes)
}

fn read_byte(input: &mut impl BufRead, part: &'static str) -> Result<u8, EvidenceError> {
    let [byte] = read_array(input, part)?;
    Ok(byte)
}

/// Copies exactly `len` bytes through the reader's fixed buffer.
fn copy_exact(
    input: &mut impl BufRead,
    output: &mut impl Write,
    len: u64,
    part: &'static str,
) -> Result<(), EvidenceError> {
    let copied = io::copy(&mut input.take(len), output)?;
    if copied < len {
        return Err(EvidenceError::Truncated(part));
    }
    Ok(())
}

/// Skips exactly `len` bytes.
fn skip_exact(input: &mut impl BufRead, len: u64, part: &'static str) -> Result<(), EvidenceError> {
    copy_exact(input, &mut io::sink(), len, part)
}

/// Whether anything follows the end of the image. Such trailers are never needed to show
/// the image and often identify: phones append motion-photo videos (with sound), vendor
/// metadata blocks, or secondary images with their own EXIF. They are dropped unread.
fn has_trailing_data(input: &mut impl BufRead) -> Result<bool, EvidenceError> {
    Ok(!fill_buf(input)?.is_empty())
}

/// `fill_buf`, retried when interrupted (as `read_exact` and `io::copy` do).
fn fill_buf<R: BufRead>(input: &mut R) -> io::Result<&[u8]> {
    loop {
        match input.fill_buf() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
            Ok(_) => break,
        }
    }
    // Asked again rather than returned from the loop, which the borrow checker does not yet
    // accept; with bytes buffered, this second call does not read again.
    input.fill_buf()
}

fn eof_means(error: io::Error, part: &'static str) -> EvidenceError {
    if error.kind() == io::ErrorKind::UnexpectedEof {
        EvidenceError::Truncated(part)
    } else {
        EvidenceError::Io(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixture from tests/fixtures/evidence (see the README there).
    pub(super) fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/fixtures/evidence/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    pub(super) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// An input of `len` bytes produced on demand, never held whole: `head`, then the byte
    /// pattern `body(offset)` (offset counted from the end of `head`), then `tail`. It
    /// records the largest read asked of it, to show that the cleaner reads through a
    /// bounded buffer.
    pub(super) struct LazyInput {
        pub head: Vec<u8>,
        pub body_len: u64,
        pub body: fn(u64) -> u8,
        pub tail: Vec<u8>,
        pub pos: u64,
        pub largest_read: usize,
    }

    impl LazyInput {
        pub fn new(head: Vec<u8>, body_len: u64, body: fn(u64) -> u8, tail: Vec<u8>) -> Self {
            LazyInput {
                head,
                body_len,
                body,
                tail,
                pos: 0,
                largest_read: 0,
            }
        }
    }

    impl Read for LazyInput {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.largest_read = self.largest_read.max(buf.len());
            let head = self.head.len() as u64;
            let body_end = head + self.body_len;
            let mut n = 0;
            while n < buf.len() {
                let pos = self.pos;
                let byte = if pos < head {
                    self.head[pos as usize]
                } else if pos < body_end {
                    (self.body)(pos - head)
                } else if let Some(&b) = self.tail.get((pos - body_end) as usize) {
                    b
                } else {
                    break;
                };
                buf[n] = byte;
                n += 1;
                self.pos += 1;
            }
            Ok(n)
        }
    }

    /// An output that keeps nothing: it counts bytes, records the largest write, and checks
    /// each byte with `check(offset, byte)`.
    pub(super) struct CountingOutput<F: FnMut(u64, u8)> {
        pub written: u64,
        pub largest_write: usize,
        pub check: F,
    }

    impl<F: FnMut(u64, u8)> Write for CountingOutput<F> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.largest_write = self.largest_write.max(buf.len());
            for &b in buf {
                (self.check)(self.written, b);
                self.written += 1;
            }
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn sniff_tells_formats_by_their_first_bytes() {
        assert_eq!(sniff(&fixture("photo.jpg")[..SNIFF_LEN]), Format::Jpeg);
        assert_eq!(sniff(&fixture("screenshot.png")[..SNIFF_LEN]), Format::Png);
        assert_eq!(sniff(b"%PDF-1.7\n%\xE2\xE3"), Format::Pdf);
        assert_eq!(sniff(b"\x00\x00\x00\x18ftypmp42"), Format::Mp4);
        assert_eq!(sniff(b"\x00\x00\x00\x14ftypqt  "), Format::QuickTime);
        assert_eq!(sniff(b"\x00\x00\x00\x18ftypheic"), Format::Other);
        assert_eq!(sniff(b"GIF89a"), Format::Other);
        assert_eq!(sniff(b""), Format::Other);
        // A PNG signature cut short, or with its line-ending check damaged, is not a PNG.
        assert_eq!(sniff(&png::SIGNATURE[..4]), Format::Other);
        assert_eq!(sniff(b"\x89PNG\r\r\x1a\n"), Format::Other);
        assert_eq!(sniff(&[0xFF, 0xD8]), Format::Other);
    }

    #[test]
    fn other_formats_and_unreadable_pdfs_are_copied_unchanged_and_reported_as_not_cleaned() {
        for (format, file) in [
            (
                Format::Pdf,
                &b"%PDF-1.7\n1 0 obj << /Author (Jeanne) >> endobj\n%%EOF\n"[..],
            ),
            (
                Format::Other,
                &b"\x00\x00\x00\x18ftypheic any HEIF image bytes"[..],
            ),
        ] {
            let mut out = Vec::new();
            let cleaning = clean(format, file, &mut out).unwrap();
            assert_eq!(out, file);
            assert_eq!(
                cleaning,
                Cleaning {
                    format,
                    removed: vec![],
                    cleaned: false
                }
            );
        }
    }

    #[test]
    fn the_sniff_then_chain_pattern_hands_clean_the_whole_file() {
        let file = fixture("photo.jpg");
        let mut upload = &file[..];
        let mut head = [0; SNIFF_LEN];
        upload.read_exact(&mut head).unwrap();
        let format = sniff(&head);
        let mut out = Vec::new();
        let cleaning = clean(format, io::Cursor::new(head).chain(upload), &mut out).unwrap();
        assert!(cleaning.cleaned);
        assert!(cleaning.removed.contains(&"EXIF"));
    }
}
