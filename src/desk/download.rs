//! Evidence downloads: an evidence file, decrypted on this machine, streamed to the
//! investigator's browser as a file to save.
//!
//! Files can be hundreds of MiB, so nothing here holds one whole: a blocking task reads the
//! decrypting reader (API response → age) in 64 KiB chunks into a small bounded channel,
//! and the response body is that channel. Memory stays at a few chunks whatever the size,
//! and a slow browser slows the download from the server instead of filling memory.
//!
//! Evidence is reporter-controlled: a "photo" can be an HTML page or an SVG with script.
//! It must never render inside the desk's origin, where it could read decrypted cases and
//! drive the desk's forms. So it is sent as `application/octet-stream`, as an attachment,
//! with `nosniff` and a content security policy that sandboxes it (a unique origin, no
//! script) even if a browser displayed it anyway. Its name, also reporter-controlled, is
//! cleaned before it goes into a header or onto the investigator's disk.
//!
//! The chunks are plaintext that cannot practically be zeroized once handed to the HTTP
//! stack, like the desk's rendered pages; they leave memory only over the loopback
//! connection, and the browser, not the desk, writes the file to disk.
//!
//! A download must never look complete when it is not: if decryption fails half-way (a
//! damaged or tampered file, a dropped connection), or the file is not the length its
//! message says, the body ends with an error, which aborts the response; the browser then
//! marks the download as failed rather than saving a truncated file as if it were whole.

use std::io::{self, Read};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

/// Bytes read from the decrypting reader at a time (age's own chunk size).
const CHUNK_BYTES: usize = 64 * 1024;

/// Chunks waiting for the browser at most: with one being read, the whole memory cost of
/// a download is about 5 × 64 KiB.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Stricter than the pages' policy: `sandbox` gives the file an opaque origin with no
/// script, forms or plugins, should a browser ever render it.
const SANDBOX_POLICY: &str = "sandbox; default-src 'none'; form-action 'none'; \
                              frame-ancestors 'none'; base-uri 'none'";

/// Where a file name is cut: long enough for any real name, short enough for every file
/// system.
const MAX_NAME_CHARS: usize = 120;

/// The response for one evidence file: `plaintext` (already decrypting) streamed as the
/// body, `size` bytes long, saved under a cleaned form of `name`.
pub fn response(name: &str, size: u64, plaintext: impl Read + Send + 'static) -> Response {
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        ),
        (header::CONTENT_DISPOSITION, content_disposition(name)),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SANDBOX_POLICY),
        ),
        // The length lets the browser show progress, and makes a short body a failed
        // download in every browser, chunked framing or not.
        (header::CONTENT_LENGTH, HeaderValue::from(size)),
    ];
    (headers, body(plaintext, size)).into_response()
}

/// A body that streams `plaintext`, which must be exactly `size` bytes long; anything else
/// (a read error, fewer or more bytes) ends the body with an error.
fn body(plaintext: impl Read + Send + 'static, size: u64) -> Body {
    let (sender, receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
    // Reading decrypts (CPU) and waits on the server (blocking I/O): off the async workers,
    // on one blocking thread for as long as the download runs. A desk serves one
    // investigator, so a few at most, well within tokio's blocking pool.
    tokio::task::spawn_blocking(move || pump(plaintext, size, &sender));
    let chunks = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    Body::from_stream(chunks)
}

/// Moves `plaintext` into `sender` chunk by chunk, then checks its length. Stops early,
/// dropping the reader and with it the connection to the server, when the browser goes
/// away (the receiver is dropped).
fn pump(mut plaintext: impl Read, size: u64, sender: &mpsc::Sender<io::Result<Bytes>>) {
    let mut sent: u64 = 0;
    loop {
        let mut chunk = vec![0u8; CHUNK_BYTES];
        let read = match plaintext.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // The kind only: nothing of the file or its name.
                tracing::warn!(kind = ?e.kind(), "evidence download failed part-way");
                let _ = sender.blocking_send(Err(e));
                return;
            }
        };
        chunk.truncate(read);
        sent += read as u64;
        if sent > size {
            let _ = sender.blocking_send(Err(wrong_length()));
            return;
        }
        if sender.blocking_send(Ok(Bytes::from(chunk))).is_err() {
            return;
        }
    }
    if sent != size {
        let _ = sender.blocking_send(Err(wrong_length()));
    }
}

fn wrong_length() -> io::Error {
    tracing::warn!("an evidence file is not the length its message gives");
    io::Error::new(
        io::ErrorKind::InvalidData,
        "the evidence file is not the length its message gives",
    )
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266, RFC 5987):
/// the exact name for browsers that read `filename*`, a plain ASCII one for the rest.
fn content_disposition(name: &str) -> HeaderValue {
    let name = safe_name(name);
    let ascii: String = name
        .chars()
        .map(|c| match c {
            ' ' => ' ',
            // Quote and backslash would end or escape the quoted string; '%' is read as an
            // escape by some browsers.
            '"' | '\\' | '%' => '_',
            c if c.is_ascii_graphic() => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        // RFC 5987 attr-char: everything else is percent-encoded.
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    let value = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    // Infallible: both forms are visible ASCII and spaces by construction.
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// The reporter's file name made safe to save: no folders (only the last part of a path),
/// no characters that file systems refuse or that hide the real extension (controls,
/// bidirectional overrides, zero-width characters), no leading dot (a hidden file),
/// bounded in length with its extension kept. `evidence` if nothing is left.
fn safe_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();
    // Windows drops trailing dots and spaces itself; a leading dot hides the file.
    let trimmed = cleaned.trim_matches(|c: char| c == '.' || c.is_whitespace());
    if trimmed.is_empty() {
        return "evidence".into();
    }
    if trimmed.chars().count() <= MAX_NAME_CHARS {
        return trimmed.to_owned();
    }
    let (stem, extension) = match trimmed.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.chars().count() <= 16 => (stem, ext),
        _ => (trimmed, ""),
    };
    let keep = MAX_NAME_CHARS - extension.chars().count() - 1;
    let stem: String = stem.chars().take(keep).collect();
    if extension.is_empty() {
        stem
    } else {
        format!("{stem}.{extension}")
    }
}

/// Unicode format characters that change how a name reads without showing: a
/// right-to-left override (U+202E) before `fdp.exe` makes `invoice` + RLO + `fdp.exe`
/// display as `invoiceexe.pdf`.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_folders_hidden_characters_and_leading_dots() {
        assert_eq!(safe_name("IMG_2041.jpg"), "IMG_2041.jpg");
        assert_eq!(safe_name("../../.bashrc"), "bashrc");
        assert_eq!(safe_name("C:\\Users\\ana\\photo.jpg"), "photo.jpg");
        assert_eq!(safe_name("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
        assert_eq!(safe_name("a\u{0}b\nc.pdf"), "abc.pdf");
        assert_eq!(safe_name("what?<now>.png"), "what__now_.png");
        assert_eq!(safe_name(" . "), "evidence");
        assert_eq!(safe_name(""), "evidence");
        let long = format!("{}.jpeg", "é".repeat(500));
        let cut = safe_name(&long);
        assert_eq!(cut.chars().count(), MAX_NAME_CHARS);
        assert!(cut.ends_with("é.jpeg"), "{cut}");
    }

    #[test]
    fn the_header_carries_an_ascii_name_and_the_exact_one() {
        let value = content_disposition("Étage 2 \"reçu\" 100%.jpg");
        assert_eq!(
            value.to_str().unwrap(),
            "attachment; filename=\"_tage 2 _re_u_ 100_.jpg\"; \
             filename*=UTF-8''%C3%89tage%202%20_re%C3%A7u_%20100%25.jpg"
        );
        let value = content_disposition("x\r\nSet-Cookie: a=b");
        assert_eq!(
            value.to_str().unwrap(),
            "attachment; filename=\"xSet-Cookie_ a=b\"; filename*=UTF-8''xSet-Cookie_%20a%3Db"
        );
    }

    /// Collects a body the way a client would, or the error that aborted it.
    async fn collect(body: Body) -> Result<Vec<u8>, axum::Error> {
        axum::body::to_bytes(body, usize::MAX)
            .await
            .map(|b| b.to_vec())
    }

    fn sealed(key: &crate::crypto::CaseKey, plaintext: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut out = Vec::new();
        let mut writer = key.recipient().seal_stream(&mut out).unwrap();
        writer.write_all(plaintext).unwrap();
        writer.finish().unwrap();
        out
    }

    #[tokio::test]
    async fn a_whole_file_streams_through() {
        let key = crate::crypto::CaseKey::generate();
        let file: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let encrypted = sealed(&key, &file);
        let plaintext = key.open_stream(std::io::Cursor::new(encrypted)).unwrap();
        let body = body(plaintext, file.len() as u64);
        assert_eq!(collect(body).await.unwrap(), file);
    }

    #[tokio::test]
    async fn damage_half_way_aborts_the_body() {
        let key = crate::crypto::CaseKey::generate();
        let file = vec![7u8; 300_000];
        let mut encrypted = sealed(&key, &file);
        // A byte in the third 64 KiB chunk: the first two decrypt and are sent.
        let at = encrypted.len() - 100_000;
        encrypted[at] ^= 1;
        let plaintext = key.open_stream(std::io::Cursor::new(encrypted)).unwrap();
        assert!(collect(body(plaintext, file.len() as u64)).await.is_err());
    }

    #[tokio::test]
    async fn a_file_of_another_length_than_listed_aborts_the_body() {
        let file = vec![1u8; 100_000];
        assert!(
            collect(body(std::io::Cursor::new(file.clone()), 100_001))
                .await
                .is_err()
        );
        assert!(
            collect(body(std::io::Cursor::new(file.clone()), 99_999))
                .await
                .is_err()
        );
        assert_eq!(
            collect(body(std::io::Cursor::new(file.clone()), 100_000))
                .await
                .unwrap(),
            file
        );
    }

    #[tokio::test]
    async fn the_response_is_a_sandboxed_attachment() {
        let response = response("page.html", 2, std::io::Cursor::new(b"<p".to_vec()));
        let header = |name| response.headers()[name].to_str().unwrap();
        assert_eq!(header("content-type"), "application/octet-stream");
        assert!(header("content-disposition").starts_with("attachment;"));
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert!(header("content-security-policy").starts_with("sandbox;"));
        assert_eq!(header("content-length"), "2");
    }
}
