//! PNG: chunks are copied or dropped whole, their data streamed through a fixed buffer.
//!
//! A PNG file is an 8-byte signature, then chunks: a 32-bit length, a 4-letter type, the
//! data, a CRC. The type's first letter is upper case for critical chunks (needed to show
//! the image) and lower case for ancillary ones. Metadata lives in ancillary chunks; we keep
//! only those known to describe how to show the pixels.

use std::io::{BufRead, Write};

use super::{EvidenceError, Removed, copy_exact, has_trailing_data, read_array, skip_exact};

pub(super) const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];

/// The largest chunk length PNG allows: 2^31 - 1.
const MAX_CHUNK_LEN: u32 = 0x7FFF_FFFF;

/// Ancillary chunks that only say how to show the pixels: transparency, gamma,
/// chromaticities, sRGB intent, significant bits, background, histogram, pixel size, the
/// coding-independent code points and HDR mastering data (both spellings of the drafts and
/// the third edition), and the animation chunks of APNG.
const HARMLESS_ANCILLARY: [&[u8; 4]; 16] = [
    b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD", b"hIST", b"pHYs", b"cICP", b"mDCV",
    b"mDCv", b"cLLI", b"cLLi", b"acTL", b"fcTL", b"fdAT",
];

pub(super) fn clean(
    input: &mut impl BufRead,
    output: &mut impl Write,
    removed: &mut Removed,
) -> Result<(), EvidenceError> {
    let signature = match read_array(input, "the PNG signature") {
        Err(EvidenceError::Truncated(_)) => return Err(EvidenceError::NotPng),
        signature => signature?,
    };
    if signature != SIGNATURE {
        return Err(EvidenceError::NotPng);
    }
    output.write_all(&SIGNATURE)?;

    loop {
        let header: [u8; 8] = read_array(input, "the PNG chunks (no IEND chunk)")?;
        let [l0, l1, l2, l3, t0, t1, t2, t3] = header;
        let len = u32::from_be_bytes([l0, l1, l2, l3]);
        let kind = [t0, t1, t2, t3];
        if len > MAX_CHUNK_LEN {
            return Err(EvidenceError::MalformedPng(format!(
                "a chunk declares {len} bytes, above the PNG maximum of 2^31-1"
            )));
        }
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(EvidenceError::MalformedPng(format!(
                "chunk type {kind:02X?} is not four ASCII letters"
            )));
        }

        // The data and the 4-byte CRC, which is copied as it is: chunks are never changed.
        let rest = u64::from(len) + 4;
        match metadata_kind(kind) {
            None => {
                output.write_all(&header)?;
                copy_exact(input, output, rest, "a PNG chunk")?;
            }
            Some(what) => {
                skip_exact(input, rest, "a PNG chunk")?;
                removed.note(what);
            }
        }
        if &kind == b"IEND" {
            break;
        }
    }

    if has_trailing_data(input)? {
        removed.note("trailing data");
    }
    Ok(())
}

/// None for a chunk to keep, or the kind of metadata it holds.
fn metadata_kind(kind: [u8; 4]) -> Option<&'static str> {
    // Critical chunks (IHDR, PLTE, IDAT, IEND, and others a decoder must understand or
    // refuse the file) are the image itself.
    if kind[0].is_ascii_uppercase() {
        return None;
    }
    match &kind {
        // Free text: author, software, comments, XMP packets (in iTXt).
        b"tEXt" | b"zTXt" | b"iTXt" => Some("PNG text"),
        // EXIF, as in JPEG: device, serial number, GPS position.
        b"eXIf" => Some("EXIF"),
        b"tIME" => Some("modification time"),
        // As in JPEG, a profile can name the device and its vendor; colours may shift
        // slightly without it.
        b"iCCP" => Some("ICC profile"),
        known if HARMLESS_ANCILLARY.contains(&known) => None,
        // Anything else is dropped rather than trusted: suggested palettes with names
        // (sPLT), vendors' private chunks, signatures, pre-standard EXIF chunks.
        _ => Some("other ancillary data"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{CountingOutput, LazyInput, contains, fixture};
    use super::super::{BUFFER_SIZE, Cleaning, Format, clean};
    use super::*;

    /// A chunk with a made-up CRC: the cleaner never checks or changes CRCs.
    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let len = u32::try_from(data.len()).unwrap();
        [&len.to_be_bytes()[..], kind, data, b"CRC!"].concat()
    }

    /// The chunks of a PNG: (type, whole chunk bytes).
    fn chunks(png: &[u8]) -> Vec<([u8; 4], &[u8])> {
        let mut chunks = vec![];
        let mut at = 8;
        while at < png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let kind = png[at + 4..at + 8].try_into().unwrap();
            chunks.push((kind, &png[at..at + 12 + len]));
            at += 12 + len;
        }
        chunks
    }

    fn clean_png(input: &[u8]) -> Result<(Cleaning, Vec<u8>), EvidenceError> {
        let mut out = vec![];
        let cleaning = clean(Format::Png, input, &mut out)?;
        Ok((cleaning, out))
    }

    const IHDR_DATA: &[u8; 13] = b"\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00";

    #[test]
    fn a_screenshot_loses_its_text_exif_time_and_profile_and_keeps_its_image() {
        let png = fixture("screenshot.png");
        let identifying: [&[u8]; 4] = [
            b"Jeanne Testowner",
            b"XML:com.adobe.xmp",
            b"Author",
            b"MM\0*",
        ];
        for needle in identifying {
            assert!(
                contains(&png, needle),
                "the fixture should carry {needle:?}"
            );
        }

        let (cleaning, out) = clean_png(&png).unwrap();

        assert_eq!(
            cleaning,
            Cleaning {
                format: Format::Png,
                removed: vec!["modification time", "ICC profile", "PNG text", "EXIF"],
                cleaned: true
            }
        );
        for needle in identifying {
            assert!(!contains(&out, needle), "{needle:?} is still there");
        }
        // Only the image and its pixel density remain, each chunk byte for byte (IDAT data
        // and CRCs included).
        let kept: Vec<_> = chunks(&png)
            .into_iter()
            .filter(|(kind, _)| [b"IHDR", b"pHYs", b"IDAT", b"IEND"].contains(&kind))
            .collect();
        assert_eq!(kept.len(), 4);
        assert_eq!(chunks(&out), kept);
        assert_eq!(out[..8], SIGNATURE);
    }

    #[test]
    fn display_and_animation_chunks_are_kept_and_unknown_ancillary_ones_dropped() {
        let keep = [
            chunk(b"IHDR", IHDR_DATA),
            chunk(b"gAMA", &[0, 0, 0xB1, 0x8F]),
            chunk(b"sRGB", &[0]),
            chunk(b"acTL", &[0; 8]),
            chunk(b"fcTL", &[0; 26]),
            chunk(b"PLTE", &[0; 6]),
            chunk(b"tRNS", &[0; 2]),
            chunk(b"IDAT", b"first frame"),
            chunk(b"fdAT", b"second frame"),
            chunk(b"IEND", b""),
        ];
        let input = [
            &SIGNATURE[..],
            &keep[0],
            &chunk(b"prVt", b"a vendor's private chunk"),
            &keep[1..=4].concat(),
            &chunk(b"sPLT", b"Jeanne's palette\0\x08"),
            &keep[5..].concat(),
            b"appended after IEND",
        ]
        .concat();

        let (cleaning, out) = clean_png(&input).unwrap();

        assert_eq!(out, [&SIGNATURE[..], &keep.concat()].concat());
        assert_eq!(cleaning.removed, ["other ancillary data", "trailing data"]);
    }

    #[test]
    fn files_that_are_not_png_are_refused() {
        for input in [
            &b""[..],
            b"\x89PNG",
            b"\x89PNG\r\n\x1a\r",
            b"\xFF\xD8\xFF\xE0\0\x10JFIF",
        ] {
            assert!(
                matches!(clean_png(input), Err(EvidenceError::NotPng)),
                "{input:?}"
            );
        }
    }

    #[test]
    fn every_truncation_of_a_screenshot_is_an_error() {
        let png = fixture("screenshot.png");
        for len in 0..png.len() {
            let result = clean_png(&png[..len]);
            match len {
                0..8 => assert!(matches!(result, Err(EvidenceError::NotPng)), "{len}"),
                _ => assert!(matches!(result, Err(EvidenceError::Truncated(_))), "{len}"),
            }
        }
    }

    #[test]
    fn chunk_lengths_above_the_png_maximum_and_bad_chunk_types_are_errors() {
        let ihdr = chunk(b"IHDR", IHDR_DATA);
        let too_long = [&SIGNATURE[..], &ihdr, &[0x80, 0, 0, 0], b"IDAT"].concat();
        assert!(matches!(
            clean_png(&too_long),
            Err(EvidenceError::MalformedPng(_))
        ));
        let bad_type = [&SIGNATURE[..], &ihdr, &chunk(b"ID\0T", b"")].concat();
        assert!(matches!(
            clean_png(&bad_type),
            Err(EvidenceError::MalformedPng(_))
        ));
        // The maximum itself is allowed; this file then ends long before 2 GiB.
        let longest = [
            &SIGNATURE[..],
            &ihdr,
            &[0x7F, 0xFF, 0xFF, 0xFF],
            b"IDAT",
            b"data",
        ]
        .concat();
        assert!(matches!(
            clean_png(&longest),
            Err(EvidenceError::Truncated(_))
        ));
    }

    #[test]
    fn a_64_mib_idat_streams_through_bounded_buffers() {
        // The IDAT is produced on demand by the input and checked byte by byte by the
        // output; neither keeps it, and the cleaner only ever holds its fixed buffers.
        const IDAT_LEN: u32 = 64 << 20;
        fn image_data(offset: u64) -> u8 {
            (offset % 251) as u8
        }
        let idat_header = [&IDAT_LEN.to_be_bytes()[..], b"IDAT"].concat();
        let head = [&SIGNATURE[..], &chunk(b"IHDR", IHDR_DATA), &idat_header].concat();
        let idat_crc_and_end = [&b"CRC!"[..], &chunk(b"IEND", b"")].concat();
        let tail = [
            &idat_crc_and_end[..4],
            &chunk(b"tEXt", b"Author\0Jeanne Testowner"),
            &idat_crc_and_end[4..],
        ]
        .concat();
        let mut input = LazyInput::new(head.clone(), u64::from(IDAT_LEN), image_data, tail);

        let head_len = head.len() as u64;
        let data_end = head_len + u64::from(IDAT_LEN);
        let mut output = CountingOutput {
            written: 0,
            largest_write: 0,
            check: |at: u64, byte: u8| {
                let expected = if at < head_len {
                    head[at as usize]
                } else if at < data_end {
                    image_data(at - head_len)
                } else {
                    idat_crc_and_end[(at - data_end) as usize]
                };
                assert_eq!(byte, expected, "at offset {at}");
            },
        };
        let cleaning = clean(Format::Png, &mut input, &mut output).unwrap();

        assert_eq!(cleaning.removed, ["PNG text"]);
        assert_eq!(output.written, data_end + idat_crc_and_end.len() as u64);
        assert!(input.largest_read <= BUFFER_SIZE, "{}", input.largest_read);
        assert!(
            output.largest_write <= BUFFER_SIZE,
            "{}",
            output.largest_write
        );
    }
}
