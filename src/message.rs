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
    /// What the service recognised from the first bytes: `jpeg`, `png`, `pdf` or `other`.
    pub format: String,
    /// Whether identifying metadata was removed (false: stored as it came).
    pub cleaned: bool,
    /// Which kinds of metadata were removed ("EXIF", "XMP", ...).
    pub removed: Vec<String>,
}

/// Sizes as people read them: bytes below 1 KiB, then KiB, MiB, GiB with one decimal.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if bytes == 1 {
        return "1 byte".into();
    }
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    // Exactness does not matter past the first decimal.
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
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
}
