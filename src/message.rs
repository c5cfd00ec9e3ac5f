//! The plaintext schema of a thread entry: what a message says and how it describes its
//! evidence files. The service seals it to the case key; the desk opens and writes it on
//! the investigator's machine. Both sides share this file, and nothing else of each other.

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// What a message says: the encrypted payload of one thread entry. The first entry of a
/// case (the report) may carry the optional fields; follow-ups carry a body only.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct MessageContent {
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub where_when: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<String>,
    /// Evidence files sent with this message. Their names and types live only here,
    /// encrypted with the message; on disk a file is a random id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Set on the entry that records that the reporter removed one of their evidence
    /// files (deleted for good): the thread keeps a visible line where the file was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_file: Option<RemovedFile>,
}

/// An evidence file the reporter removed after sending it: which one, in the words the
/// message that carried it used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize)]
pub struct RemovedFile {
    /// The blob id the file had.
    pub blob: String,
    /// The name it was listed under.
    pub name: String,
}

/// A thread entry's plaintext that is not a message. It carries nothing of the decoder's
/// own words, which can quote the plaintext: only that it failed.
#[derive(Debug, thiserror::Error)]
#[error("the plaintext is not a message")]
pub struct NotAMessage;

impl MessageContent {
    /// The one decoder of a thread entry's plaintext. The reporter's side reads entries
    /// with it, and the desk checks with it what it is about to seal, so that an entry the
    /// desk sends is one the reporter can read.
    pub fn decode(plaintext: &[u8]) -> Result<MessageContent, NotAMessage> {
        serde_json::from_slice(plaintext).map_err(|_| NotAMessage)
    }
}

/// One evidence file, as the (encrypted) message that carries it describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize)]
pub struct Attachment {
    /// The blob id: 32 hex digits, the file name under `blobs/` in the data directory.
    pub blob: String,
    /// The file name the reporter's device gave it.
    pub name: String,
    /// The content type the reporter's browser declared (not trusted for anything).
    pub content_type: String,
    /// Size in bytes after cleaning, before encryption.
    pub size: u64,
    /// What the service recognised from the first bytes: `jpeg`, `png`, `pdf`, `mp4`,
    /// `mov` or `other`.
    pub format: String,
    /// Whether identifying metadata was removed (false: stored as it came).
    pub cleaned: bool,
    /// Which kinds of metadata were removed ("EXIF", "XMP", ...).
    pub removed: Vec<String>,
}

/// How one language writes a size: the words for a count of bytes and for the units, and
/// the decimal separator. The reporter pages fill one from their translations; the desk
/// writes English ([`SizeWords::ENGLISH`]).
pub struct SizeWords<'a> {
    /// A size under 1 KiB, from its count of bytes: "1 byte", "1023 bytes".
    pub bytes: &'a dyn Fn(u64) -> String,
    /// KiB, MiB and GiB in the language ("Kio", "Mio", "Gio" in French).
    pub units: [&'a str; 3],
    /// What separates the whole part from the tenths: '.' or ','.
    pub decimal: char,
    /// What separates the number from the unit (French keeps them together with a
    /// no-break space).
    pub space: &'a str,
}

impl SizeWords<'static> {
    pub const ENGLISH: SizeWords<'static> = SizeWords {
        bytes: &english_bytes,
        units: ["KiB", "MiB", "GiB"],
        decimal: '.',
        space: " ",
    };
}

fn english_bytes(count: u64) -> String {
    if count == 1 {
        "1 byte".into()
    } else {
        format!("{count} bytes")
    }
}

/// Sizes as people read them, in English: bytes below 1 KiB, then KiB, MiB, GiB with one
/// decimal.
pub fn human_size(bytes: u64) -> String {
    human_size_in(bytes, &SizeWords::ENGLISH)
}

/// Sizes as people read them in the language of `words`: bytes below 1 KiB, then KiB,
/// MiB, GiB with one decimal ("2.7 KiB", "2,7 Kio").
pub fn human_size_in(bytes: u64, words: &SizeWords) -> String {
    if bytes < 1024 {
        return (words.bytes)(bytes);
    }
    // Exactness does not matter past the first decimal.
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < words.units.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let number = format!("{value:.1}").replace('.', words.decimal.encode_utf8(&mut [0; 4]));
    format!("{number}{}{}", words.space, words.units[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_size(0), "0 bytes");
        assert_eq!(human_size(1), "1 byte");
        assert_eq!(human_size(1023), "1023 bytes");
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(1_572_864), "1.5 MiB");
        assert_eq!(human_size(500 * 1024 * 1024), "500.0 MiB");
        assert_eq!(human_size(3 << 40), "3072.0 GiB");
    }

    #[test]
    fn sizes_take_the_language_s_words_and_decimal_separator() {
        let octets = |n: u64| format!("{n} octet{}", if n > 1 { "s" } else { "" });
        let french = SizeWords {
            bytes: &octets,
            units: ["Kio", "Mio", "Gio"],
            decimal: ',',
            space: "\u{a0}",
        };
        assert_eq!(human_size_in(1, &french), "1 octet");
        assert_eq!(human_size_in(1023, &french), "1023 octets");
        assert_eq!(human_size_in(2765, &french), "2,7\u{a0}Kio");
        assert_eq!(human_size_in(1_572_864, &french), "1,5\u{a0}Mio");
        assert_eq!(human_size_in(2765, &SizeWords::ENGLISH), "2.7 KiB");
    }
}
