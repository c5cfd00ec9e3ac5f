//! MP4 and QuickTime (MOV): metadata boxes are blanked in place, times zeroed.
//!
//! Both formats are a tree of boxes: a 32-bit size (1: a 64-bit size follows; 0: to the
//! end of the file), a 4-letter type, the content. Phones put the place of recording
//! (`©xyz`, ISO 6709), the make, model and software in `udta` (user data) and `meta` boxes,
//! XMP in `XMP_` or `uuid` boxes, and the second of recording in the creation and
//! modification times of the movie, track and media headers (`mvhd`, `tkhd`, `mdhd`).
//!
//! Boxes are never removed or resized: the sample tables (`stco`, `co64`) locate the video
//! by absolute offsets in the file, and moving any byte before the media data would break
//! them. A metadata box becomes a `free` box of the same size, filled with zeros, which
//! every player skips; the header times become zero ("unknown"). The walk reads a box
//! header, then copies, blanks or enters the box, so memory is a few fixed buffers whatever
//! the file's size; only the three header boxes (some hundred bytes) are held whole.
//!
//! Not removed: timed metadata tracks (a GoPro's GPS track, an iPhone's `mebx` track) keep
//! their samples in the media data, which is copied as it is.

use std::io::{self, BufRead, Read, Write};

use super::{EvidenceError, Removed, copy_exact, fill_buf, read_array, skip_exact};

/// Boxes entered to reach the headers and metadata inside them.
const CONTAINERS: [&[u8; 4]; 6] = [b"moov", b"trak", b"mdia", b"minf", b"moof", b"traf"];

/// Boxes whose creation and modification times are zeroed.
const TIMED_HEADERS: [&[u8; 4]; 3] = [b"mvhd", b"tkhd", b"mdhd"];

/// The largest header box held whole to zero its times; real ones are 32 to 120 bytes.
const MAX_HEADER_BOX: u64 = 4096;

/// Boxes deeper than this are copied without being entered: no real file nests this deep,
/// and a crafted one must not recurse without end.
const MAX_DEPTH: usize = 8;

/// The major brands of image files built on the same boxes (HEIF, HEIC, AVIF): their
/// `meta` box holds the picture itself, so blanking it would destroy the image. They are
/// not treated as video.
const IMAGE_BRANDS: [&[u8; 4]; 10] = [
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis",
];

/// Whether the first bytes are an `ftyp` box of a video (not an image) brand. `Some(true)`
/// for QuickTime (brand `qt  `).
pub(super) fn sniff(first_bytes: &[u8]) -> Option<bool> {
    let brand: &[u8; 4] = first_bytes.get(8..12)?.try_into().ok()?;
    if first_bytes.get(4..8)? != b"ftyp" || IMAGE_BRANDS.contains(&brand) {
        return None;
    }
    Some(brand == b"qt  ")
}

pub(super) fn clean(
    input: &mut impl BufRead,
    output: &mut impl Write,
    removed: &mut Removed,
) -> Result<(), EvidenceError> {
    walk(input, output, removed, None, 0)
}

/// One box header: its type, its header bytes as read, and the length of its content
/// (None: to the end of the file).
struct BoxHeader {
    kind: [u8; 4],
    raw: Vec<u8>,
    content: Option<u64>,
}

fn read_header(input: &mut impl BufRead) -> Result<BoxHeader, EvidenceError> {
    let head: [u8; 8] = read_array(input, "an MP4 box header")?;
    let [s0, s1, s2, s3, t0, t1, t2, t3] = head;
    let size = u32::from_be_bytes([s0, s1, s2, s3]);
    let kind = [t0, t1, t2, t3];
    let mut raw = head.to_vec();
    let content = match size {
        0 => None,
        1 => {
            let large: [u8; 8] = read_array(input, "an MP4 box header")?;
            raw.extend_from_slice(&large);
            Some(u64::from_be_bytes(large).checked_sub(16).ok_or_else(|| {
                EvidenceError::MalformedVideo("a box is shorter than its header".into())
            })?)
        }
        2..=7 => {
            return Err(EvidenceError::MalformedVideo(
                "a box is shorter than its header".into(),
            ));
        }
        n => Some(u64::from(n) - 8),
    };
    Ok(BoxHeader { kind, raw, content })
}

/// Walks the boxes of one level: `limit` bytes of them, or (None) up to the end of the
/// file.
fn walk(
    input: &mut impl BufRead,
    output: &mut impl Write,
    removed: &mut Removed,
    limit: Option<u64>,
    depth: usize,
) -> Result<(), EvidenceError> {
    let mut left = limit;
    loop {
        match left {
            Some(0) => return Ok(()),
            None if fill_buf(input)?.is_empty() => return Ok(()),
            _ => {}
        }
        let header = read_header(input)?;
        let header_len = header.raw.len() as u64;
        let content = match (header.content, left) {
            (Some(len), Some(l)) if header_len + len > l => {
                return Err(EvidenceError::MalformedVideo(
                    "a box is larger than the box that holds it".into(),
                ));
            }
            (None, Some(_)) => {
                return Err(EvidenceError::MalformedVideo(
                    "a box inside another runs to the end of the file".into(),
                ));
            }
            (content, _) => content,
        };
        if let (Some(l), Some(len)) = (left.as_mut(), content) {
            *l -= header_len + len;
        }
        one_box(input, output, removed, header, content, depth)?;
        if content.is_none() {
            return Ok(());
        }
    }
}

fn one_box(
    input: &mut impl BufRead,
    output: &mut impl Write,
    removed: &mut Removed,
    header: BoxHeader,
    content: Option<u64>,
    depth: usize,
) -> Result<(), EvidenceError> {
    let kind = header.kind;
    if let Some(what) = metadata_kind(&kind) {
        let len = content.ok_or_else(|| {
            EvidenceError::MalformedVideo("a metadata box runs to the end of the file".into())
        })?;
        blank(input, output, &header, len)?;
        removed.note(what);
        return Ok(());
    }
    output.write_all(&header.raw)?;
    let Some(len) = content else {
        io::copy(input, output)?;
        return Ok(());
    };
    if TIMED_HEADERS.contains(&&kind) && len <= MAX_HEADER_BOX {
        let mut bytes = vec![0; len as usize];
        input
            .read_exact(&mut bytes)
            .map_err(|e| super::eof_means(e, "an MP4 header box"))?;
        if zero_times(&mut bytes) {
            removed.note("recording time");
        }
        output.write_all(&bytes)?;
    } else if CONTAINERS.contains(&&kind) && depth < MAX_DEPTH {
        walk(input, output, removed, Some(len), depth + 1)?;
    } else {
        copy_exact(input, output, len, "an MP4 box")?;
    }
    Ok(())
}

/// None for a box to keep, or what kind of metadata it holds.
fn metadata_kind(kind: &[u8; 4]) -> Option<&'static str> {
    match kind {
        b"udta" => Some("user data (place, device, software)"),
        b"meta" => Some("metadata"),
        b"XMP_" => Some("XMP"),
        // Vendor boxes: XMP in MP4, camera makers' private data.
        b"uuid" => Some("vendor data"),
        _ => None,
    }
}

/// Writes a `free` box of the same size as the one read, its content zeros.
fn blank(
    input: &mut impl BufRead,
    output: &mut impl Write,
    header: &BoxHeader,
    len: u64,
) -> Result<(), EvidenceError> {
    let mut raw = header.raw.clone();
    raw[4..8].copy_from_slice(b"free");
    output.write_all(&raw)?;
    skip_exact(input, len, "an MP4 box")?;
    io::copy(&mut io::repeat(0).take(len), output)?;
    Ok(())
}

/// Zeroes the creation and modification times of a full box (version 0: two 32-bit
/// times after the version and flags; version 1: two 64-bit times). Returns whether any
/// was set.
fn zero_times(content: &mut [u8]) -> bool {
    let times = match content.first() {
        Some(0) => 4..12,
        Some(1) => 4..20,
        _ => return false,
    };
    let Some(times) = content.get_mut(times) else {
        return false;
    };
    let was_set = times.iter().any(|&b| b != 0);
    times.fill(0);
    was_set
}

#[cfg(test)]
mod tests {
    use super::super::tests::{CountingOutput, LazyInput, contains};
    use super::super::{Format, clean as clean_file, sniff as sniff_file};
    use super::*;

    /// A box: 32-bit size, type, content.
    pub(crate) fn mp4_box(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
        let mut b = ((content.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(content);
        b
    }

    /// A version-0 header box with its creation and modification times set, then `rest`.
    fn timed(kind: &[u8; 4], rest: &[u8]) -> Vec<u8> {
        let mut content = vec![0, 0, 0, 0];
        content.extend_from_slice(&0xE1F0_1234u32.to_be_bytes());
        content.extend_from_slice(&0xE1F0_1235u32.to_be_bytes());
        content.extend_from_slice(rest);
        mp4_box(kind, &content)
    }

    /// A small MP4 as a phone writes one: `ftyp`, `moov` with a movie header, a track
    /// with its headers, the place of recording and the device in `udta`, Apple-style
    /// `meta`, then the media data.
    pub(crate) fn video_with_location(brand: &[u8; 4]) -> Vec<u8> {
        let mut ftyp = brand.to_vec();
        ftyp.extend_from_slice(&[0, 0, 2, 0]);
        ftyp.extend_from_slice(b"isommp42");
        let udta = [
            mp4_box(b"\xA9xyz", b"\x00\x12\x15\xC7+48.8583+002.2945/"),
            mp4_box(b"\xA9mak", b"\x00\x05\x00\x00QLMAKE Pixel"),
        ]
        .concat();
        let mdia = [
            timed(b"mdhd", &[0; 12]),
            mp4_box(b"hdlr", b"\0\0\0\0\0\0\0\0vide"),
        ]
        .concat();
        let trak = [
            timed(b"tkhd", &[0; 72]),
            mp4_box(b"mdia", &mdia),
            mp4_box(b"udta", b"QLTRACKUDTA"),
        ]
        .concat();
        let moov = [
            timed(b"mvhd", &[0; 88]),
            mp4_box(b"trak", &trak),
            mp4_box(b"udta", &udta),
            mp4_box(
                b"meta",
                b"\0\0\0\0QLAPPLE com.apple.quicktime.location.ISO6709",
            ),
        ]
        .concat();
        [
            mp4_box(b"ftyp", &ftyp),
            mp4_box(b"moov", &moov),
            mp4_box(b"mdat", b"QLVIDEO frames of the recording"),
        ]
        .concat()
    }

    #[test]
    fn sniff_tells_videos_from_heif_images() {
        assert_eq!(sniff_file(&video_with_location(b"mp42")), Format::Mp4);
        assert_eq!(sniff_file(&video_with_location(b"qt  ")), Format::QuickTime);
        assert_eq!(sniff_file(b"\0\0\0\x18ftypheic\0\0\0\0"), Format::Other);
        assert_eq!(sniff_file(b"\0\0\0\x18ftypavif\0\0\0\0"), Format::Other);
        assert_eq!(sniff_file(b"\0\0\0\x18ftyp"), Format::Other);
    }

    #[test]
    fn location_device_and_times_go_and_every_offset_stays() {
        let file = video_with_location(b"mp42");
        let mut out = Vec::new();
        let cleaning = clean_file(Format::Mp4, &file[..], &mut out).unwrap();
        assert!(cleaning.cleaned);
        assert_eq!(
            cleaning.removed,
            [
                "recording time",
                "user data (place, device, software)",
                "metadata"
            ]
        );
        // Same size, and the media data at the same offset, byte for byte.
        assert_eq!(out.len(), file.len());
        let at = |f: &[u8]| f.windows(7).position(|w| w == b"QLVIDEO").unwrap();
        assert_eq!(at(&out), at(&file));
        for marker in [
            &b"+48.8583"[..],
            b"QLMAKE",
            b"QLAPPLE",
            b"QLTRACKUDTA",
            b"\xE1\xF0\x12\x34",
        ] {
            assert!(contains(&file, marker));
            assert!(!contains(&out, marker), "{marker:?} is still there");
        }
        assert!(!contains(&out, b"udta") && contains(&out, b"free"));
        // The result walks as a well-formed file, and cleaning it again finds nothing.
        let mut again = Vec::new();
        let second = clean_file(Format::Mp4, &out[..], &mut again).unwrap();
        assert!(second.removed.is_empty());
        assert_eq!(again, out);
    }

    #[test]
    fn broken_box_trees_are_refused() {
        let file = video_with_location(b"mp42");
        for broken in [
            // Cut inside the movie box.
            &file[..60],
            // A box larger than its parent.
            &[
                mp4_box(b"ftyp", b"mp42\0\0\0\0"),
                mp4_box(b"moov", &[0, 0, 0, 99, b'u', b'd', b't', b'a']),
            ]
            .concat()[..],
            // A size of 4, shorter than a header.
            &[
                mp4_box(b"ftyp", b"mp42\0\0\0\0"),
                vec![0, 0, 0, 4, b'f', b'r', b'e', b'e'],
            ]
            .concat()[..],
        ] {
            let result = clean_file(Format::Mp4, broken, &mut Vec::new());
            assert!(
                matches!(
                    result,
                    Err(EvidenceError::Truncated(_) | EvidenceError::MalformedVideo(_))
                ),
                "{result:?}"
            );
        }
    }

    #[test]
    fn a_large_video_streams_through_fixed_buffers_with_a_64_bit_media_box() {
        // ftyp, a small moov, then an mdat with a 64-bit size holding 300 MiB.
        let body_len: u64 = 300 * 1024 * 1024;
        let mut head = video_with_location(b"mp42");
        head.truncate(head.len() - mp4_box(b"mdat", b"QLVIDEO frames of the recording").len());
        head.extend_from_slice(&1u32.to_be_bytes());
        head.extend_from_slice(b"mdat");
        head.extend_from_slice(&(body_len + 16).to_be_bytes());
        let head_len = head.len() as u64;
        let mut input = LazyInput::new(head, body_len, |i| (i % 251) as u8, Vec::new());
        let mut output = CountingOutput {
            written: 0,
            largest_write: 0,
            check: |offset: u64, byte: u8| {
                if offset >= head_len {
                    assert_eq!(byte, ((offset - head_len) % 251) as u8, "at {offset}");
                }
            },
        };
        let cleaning = clean_file(Format::Mp4, &mut input, &mut output).unwrap();
        assert!(cleaning.cleaned);
        assert_eq!(output.written, head_len + body_len);
        assert!(input.largest_read <= 64 * 1024, "{}", input.largest_read);
        assert!(
            output.largest_write <= 64 * 1024,
            "{}",
            output.largest_write
        );
    }
}
