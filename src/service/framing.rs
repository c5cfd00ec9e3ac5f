//! What the service can check of a sealed thread entry or note without its key: that it
//! is a well-formed age file. A reply or note posted through the investigator API by a
//! buggy or hostile client is refused here, before it is stored, rather than found
//! unreadable later by the reporter or a colleague (issue 11, part 4).
//!
//! An age file (age-encryption.org/v1) is a text header (the version line, one or more
//! recipient stanzas, the `---` MAC line), then the payload: a 16-byte nonce and
//! STREAM chunks of 64 KiB of plaintext plus a 16-byte tag each, the last one possibly
//! shorter but never shorter than its tag. Both parts are checked as far as that goes:
//! the header by age's own parser, the payload by its length. Whether the MAC and the
//! tags are right only a key holder can tell.

use std::io::Cursor;

/// Length of a full payload chunk on disk: 64 KiB of plaintext and its 16-byte tag.
const CHUNK_ON_DISK: usize = 64 * 1024 + TAG_LEN;
const TAG_LEN: usize = 16;
const NONCE_LEN: usize = 16;

/// Whether `bytes` is a binary age file whose header parses and whose payload has a length
/// that STREAM chunks can make.
pub(super) fn well_formed(bytes: &[u8]) -> bool {
    if age::Decryptor::new(Cursor::new(bytes)).is_err() {
        return false;
    }
    let Some(header_len) = header_len(bytes) else {
        return false;
    };
    let Some(chunks) = (bytes.len() - header_len).checked_sub(NONCE_LEN) else {
        return false;
    };
    // At least one chunk (an empty plaintext still has its tag); a short last chunk
    // still holds its tag.
    chunks >= TAG_LEN && !(1..TAG_LEN).contains(&(chunks % CHUNK_ON_DISK))
}

/// Where the header ends: after the MAC line, `--- ` and the MAC in base64, then a line
/// feed. Stanza bodies are base64 lines and stanza openings start with `->`, so the first
/// line feed followed by `--- ` starts the MAC line.
fn header_len(bytes: &[u8]) -> Option<usize> {
    let mac_line = bytes.windows(5).position(|w| w == b"\n--- ")? + 1;
    let end = bytes[mac_line..].iter().position(|&b| b == b'\n')?;
    Some(mac_line + end + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::CaseKey;

    #[test]
    fn sealed_entries_of_every_size_pass() {
        let key = CaseKey::generate();
        for len in [0, 1, 100, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 200_000] {
            let sealed = key.seal(&vec![b'x'; len]).unwrap();
            assert!(well_formed(&sealed), "{len} bytes of plaintext");
        }
    }

    #[test]
    fn broken_headers_and_payloads_are_refused() {
        let key = CaseKey::generate();
        let sealed = key.seal(b"{\"body\":\"a reply\"}").unwrap();
        let header = header_len(&sealed).unwrap();
        let refused: [&[u8]; 6] = [
            b"",
            b"age-encryption.org/v1\n",
            b"age-encryption.org/v1\nnot a header at all\n",
            // The header alone, without a nonce; and with the nonce but no chunk.
            &sealed[..header],
            &sealed[..header + NONCE_LEN],
            // A last chunk shorter than its tag.
            &sealed[..header + NONCE_LEN + 5],
        ];
        for bytes in refused {
            assert!(!well_formed(bytes), "{:?}", String::from_utf8_lossy(bytes));
        }
        // Armored (text) age is not what the API carries.
        let mut armored = b"-----BEGIN AGE ENCRYPTED FILE-----\n".to_vec();
        armored.extend_from_slice(&sealed);
        assert!(!well_formed(&armored));
    }
}
