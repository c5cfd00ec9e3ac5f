//! JPEG: marker segments are parsed one by one and metadata segments dropped; image data is
//! copied byte for byte.
//!
//! A JPEG file is a start-of-image marker, then segments (`FF xx`, a 16-bit length, a
//! payload), a start-of-scan segment followed by entropy-coded image data, possibly more
//! segments and scans (progressive JPEGs have several), and an end-of-image marker. Metadata
//! lives in the APPn and COM segments; everything else is needed to decode. Inside
//! entropy-coded data a 0xFF byte is followed by 0x00 (a stuffed data byte) or a restart
//! marker; any other marker ends the scan.

use std::io::{BufRead, Write};

use super::{
    EvidenceError, Removed, copy_exact, fill_buf, has_trailing_data, read_array, read_byte,
    skip_exact,
};

const TEM: u8 = 0x01;
const RST0: u8 = 0xD0;
const RST7: u8 = 0xD7;
const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP13: u8 = 0xED;
const APP14: u8 = 0xEE;
const APP15: u8 = 0xEF;
const COM: u8 = 0xFE;

/// How much of an APPn payload is read to tell what it holds: enough for the longest
/// identifier we look for, the XMP extension's.
const IDENTIFIER_LEN: usize = 64;
/// JFIF's fixed header: "JFIF\0", version, density unit and values, thumbnail width and
/// height. A thumbnail, if any, follows it.
const JFIF_LEN: usize = 14;
/// Adobe's: "Adobe", version, two flag words and the colour transform.
const ADOBE_LEN: usize = 12;

/// What to do with an APPn or COM segment.
enum Verdict {
    Keep,
    /// Keep only the fixed header (JFIF without its thumbnail, Adobe) and drop what follows,
    /// which is of the named kind.
    KeepHeader(usize, &'static str),
    Drop(&'static str),
}

pub(super) fn clean(
    input: &mut impl BufRead,
    output: &mut impl Write,
    removed: &mut Removed,
) -> Result<(), EvidenceError> {
    let start = match read_array(input, "the JPEG start marker") {
        Err(EvidenceError::Truncated(_)) => return Err(EvidenceError::NotJpeg),
        start => start?,
    };
    if start != [0xFF, SOI] {
        return Err(EvidenceError::NotJpeg);
    }
    output.write_all(&start)?;

    let mut marker = next_marker(input)?;
    loop {
        match marker {
            EOI => {
                output.write_all(&[0xFF, EOI])?;
                break;
            }
            TEM => output.write_all(&[0xFF, TEM])?,
            SOS => {
                copy_segment(input, output, SOS)?;
                marker = copy_entropy_coded_data(input, output)?;
                continue;
            }
            // Also after the first scan, where they are rare but just as identifying.
            APP0..=APP15 | COM => application_segment(input, output, marker, removed)?,
            // Frame headers (SOFn), Huffman and arithmetic-coding tables (DHT, DAC),
            // quantisation tables (DQT), restart interval (DRI), number of lines (DNL),
            // hierarchical progression (DHP, EXP): all needed to decode, none metadata.
            0xC0..=0xC7 | 0xC9..=0xCF | 0xDB..=0xDF => copy_segment(input, output, marker)?,
            // SOI again, restart markers outside image data, reserved markers, and the JPEG
            // extensions (JPG, JPGn: JPEG-LS and others) whose data we cannot vouch for.
            _ => {
                return Err(EvidenceError::MalformedJpeg(format!(
                    "unexpected or unsupported marker 0xFF{marker:02X} between segments"
                )));
            }
        }
        marker = next_marker(input)?;
    }

    if has_trailing_data(input)? {
        removed.note("trailing data");
    }
    Ok(())
}

/// Reads the next marker between segments: 0xFF, optional 0xFF fill bytes, the marker code.
fn next_marker(input: &mut impl BufRead) -> Result<u8, EvidenceError> {
    let first = read_byte(input, "the JPEG segments (no end-of-image marker)")?;
    if first != 0xFF {
        return Err(EvidenceError::MalformedJpeg(format!(
            "expected a marker between segments, found the byte 0x{first:02X}"
        )));
    }
    loop {
        match read_byte(input, "a JPEG marker")? {
            0xFF => continue,
            0x00 => {
                return Err(EvidenceError::MalformedJpeg(
                    "a stuffed 0xFF00 byte between segments, outside image data".into(),
                ));
            }
            marker => return Ok(marker),
        }
    }
}

/// Reads a segment's length field and gives the length of its payload.
fn payload_len(input: &mut impl BufRead, marker: u8) -> Result<u16, EvidenceError> {
    let len = u16::from_be_bytes(read_array(input, "a JPEG segment length")?);
    // The length counts its own two bytes.
    len.checked_sub(2).ok_or_else(|| {
        EvidenceError::MalformedJpeg(format!(
            "segment 0xFF{marker:02X} declares length {len}, below the minimum of 2"
        ))
    })
}

fn write_segment_header(
    output: &mut impl Write,
    marker: u8,
    payload_len: u16,
) -> Result<(), EvidenceError> {
    // At most 0xFFFF - 2 + 2: payload lengths come from a u16 length field, or are shorter.
    let [hi, lo] = (payload_len + 2).to_be_bytes();
    output.write_all(&[0xFF, marker, hi, lo])?;
    Ok(())
}

fn copy_segment(
    input: &mut impl BufRead,
    output: &mut impl Write,
    marker: u8,
) -> Result<(), EvidenceError> {
    let len = payload_len(input, marker)?;
    write_segment_header(output, marker, len)?;
    copy_exact(input, output, u64::from(len), "a JPEG segment")
}

fn application_segment(
    input: &mut impl BufRead,
    output: &mut impl Write,
    marker: u8,
    removed: &mut Removed,
) -> Result<(), EvidenceError> {
    let len = payload_len(input, marker)?;
    let mut identifier = [0; IDENTIFIER_LEN];
    let identifier = &mut identifier[..usize::from(len).min(IDENTIFIER_LEN)];
    input
        .read_exact(identifier)
        .map_err(|e| super::eof_means(e, "a JPEG segment"))?;
    // Fits: the identifier is at most the payload.
    let rest = u64::from(len) - identifier.len() as u64;

    match verdict(marker, identifier) {
        Verdict::Keep => {
            write_segment_header(output, marker, len)?;
            output.write_all(identifier)?;
            copy_exact(input, output, rest, "a JPEG segment")
        }
        Verdict::KeepHeader(header_len, what) => {
            let header = &mut identifier[..header_len];
            if marker == APP0 {
                // JFIF thumbnail width and height: none any more.
                header[JFIF_LEN - 2..].fill(0);
            }
            // Fits: header_len is JFIF_LEN or ADOBE_LEN.
            write_segment_header(output, marker, header_len as u16)?;
            output.write_all(header)?;
            skip_exact(input, rest, "a JPEG segment")?;
            removed.note(what);
            Ok(())
        }
        Verdict::Drop(what) => {
            skip_exact(input, rest, "a JPEG segment")?;
            removed.note(what);
            Ok(())
        }
    }
}

/// Tells what an APPn or COM segment holds from its marker and the start of its payload.
fn verdict(marker: u8, identifier: &[u8]) -> Verdict {
    match marker {
        // JFIF: pixel density and aspect, kept for decoders that want it; its optional
        // thumbnail is dropped, since a thumbnail can show what an edit removed.
        APP0 if identifier.starts_with(b"JFIF\0") && identifier.len() >= JFIF_LEN => {
            let thumbnail = identifier[JFIF_LEN - 2..JFIF_LEN] != [0, 0];
            if thumbnail {
                Verdict::KeepHeader(JFIF_LEN, "thumbnail")
            } else if identifier.len() > JFIF_LEN {
                Verdict::KeepHeader(JFIF_LEN, "other application data")
            } else {
                Verdict::Keep
            }
        }
        APP0 if identifier.starts_with(b"JFXX\0") => Verdict::Drop("thumbnail"),
        // EXIF: camera make, model and serial number, owner, dates, GPS position, maker
        // notes, and a thumbnail.
        APP1 if identifier.starts_with(b"Exif\0") => Verdict::Drop("EXIF"),
        APP1 if identifier.starts_with(b"http://ns.adobe.com/xap/1.0/\0")
            || identifier.starts_with(b"http://ns.adobe.com/xmp/extension/\0") =>
        {
            Verdict::Drop("XMP")
        }
        // ICC profiles can name the device, its vendor and the software that made them.
        // Without one, decoders assume sRGB: colours of wide-gamut photos may shift
        // slightly, which does not change what the picture shows.
        APP2 if identifier.starts_with(b"ICC_PROFILE\0") => Verdict::Drop("ICC profile"),
        // Photoshop resource blocks, which carry IPTC: author, place names, captions.
        APP13 if identifier.starts_with(b"Photoshop 3.0\0") => Verdict::Drop("IPTC"),
        // Adobe: says which colour transform the image data uses; decoding CMYK and some
        // YCbCr files needs it.
        APP14 if identifier.starts_with(b"Adobe") && identifier.len() >= ADOBE_LEN => {
            if identifier.len() > ADOBE_LEN {
                Verdict::KeepHeader(ADOBE_LEN, "other application data")
            } else {
                Verdict::Keep
            }
        }
        COM => Verdict::Drop("comment"),
        // Everything else in APP0..APP15 is vendor data (multi-picture indexes, FlashPix,
        // camera and phone vendors' own blocks): none is needed to decode.
        _ => Verdict::Drop("other application data"),
    }
}

/// Copies entropy-coded data (stuffed bytes and restart markers included) and gives the
/// marker that ends it. Fill bytes before that marker are dropped.
fn copy_entropy_coded_data(
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> Result<u8, EvidenceError> {
    const PART: &str = "the JPEG image data (no end-of-image marker)";
    loop {
        let buffered = fill_buf(input)?;
        if buffered.is_empty() {
            return Err(EvidenceError::Truncated(PART));
        }
        let Some(ff) = buffered.iter().position(|&b| b == 0xFF) else {
            output.write_all(buffered)?;
            let len = buffered.len();
            input.consume(len);
            continue;
        };
        output.write_all(&buffered[..ff])?;
        input.consume(ff + 1);

        let mut next = read_byte(input, PART)?;
        while next == 0xFF {
            next = read_byte(input, PART)?;
        }
        match next {
            0x00 | RST0..=RST7 => output.write_all(&[0xFF, next])?,
            marker => return Ok(marker),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{CountingOutput, LazyInput, contains, fixture};
    use super::super::{BUFFER_SIZE, Cleaning, Format, clean};
    use super::*;

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let len = u16::try_from(payload.len() + 2).unwrap();
        [&[0xFF, marker][..], &len.to_be_bytes(), payload].concat()
    }

    /// The header segments of a JPEG up to and including the first SOS: (marker, start,
    /// end) offsets.
    fn header_segments(jpeg: &[u8]) -> Vec<(u8, usize, usize)> {
        let mut segments = vec![];
        let mut at = 2;
        loop {
            assert_eq!(jpeg[at], 0xFF);
            let marker = jpeg[at + 1];
            let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
            segments.push((marker, at, at + 2 + len));
            at += 2 + len;
            if marker == SOS {
                return segments;
            }
        }
    }

    fn clean_jpeg(input: &[u8]) -> Result<(Cleaning, Vec<u8>), EvidenceError> {
        let mut out = vec![];
        let cleaning = clean(Format::Jpeg, input, &mut out)?;
        Ok((cleaning, out))
    }

    /// What a phone adds and a reporter must not leak, as written by the fixture script.
    const IDENTIFYING: [&[u8]; 8] = [
        b"Exif\0",
        b"http://ns.adobe.com",
        b"ICC_PROFILE",
        b"Jeanne Testowner",
        b"SN-CAMERA-0042",
        b"MAKERNOTE",
        b"PhoneMaker",
        b"PhoneModel",
    ];

    fn check_photo_fixture(name: &str) {
        let photo = fixture(name);
        for needle in IDENTIFYING {
            assert!(
                contains(&photo, needle),
                "the fixture should carry {needle:?}"
            );
        }
        let (cleaning, out) = clean_jpeg(&photo).unwrap();

        assert_eq!(
            cleaning,
            Cleaning {
                format: Format::Jpeg,
                removed: vec!["EXIF", "XMP", "ICC profile", "comment"],
                cleaned: true
            }
        );
        for needle in IDENTIFYING {
            assert!(!contains(&out, needle), "{needle:?} is still there");
        }
        // The fixture is JFIF, EXIF, XMP, ICC, COM, then what decoding needs. What comes
        // out is SOI and JFIF, then all the rest byte for byte: tables, frame, scan
        // headers, image data and EOI.
        let segments = header_segments(&photo);
        let markers: Vec<u8> = segments.iter().map(|s| s.0).collect();
        assert_eq!(markers[..5], [APP0, APP1, APP1, APP2, COM]);
        let (_, _, jfif_end) = segments[0];
        let (_, decoding_start, _) = segments[5];
        assert_eq!(out, [&photo[..jfif_end], &photo[decoding_start..]].concat());
        assert!(
            header_segments(&out)
                .iter()
                .all(|s| !(APP1..=COM).contains(&s.0))
        );
        assert_eq!(out[out.len() - 2..], [0xFF, EOI]);
    }

    #[test]
    fn a_phone_photo_loses_exif_gps_maker_notes_xmp_icc_and_comment_and_keeps_its_image() {
        check_photo_fixture("photo.jpg");
    }

    #[test]
    fn a_progressive_photo_keeps_every_scan_and_the_tables_between_them() {
        let photo = fixture("photo-progressive.jpg");
        let scans = |jpeg: &[u8]| jpeg.windows(2).filter(|w| w == &[0xFF, SOS]).count();
        assert!(scans(&photo) > 1);
        check_photo_fixture("photo-progressive.jpg");
        let (_, out) = clean_jpeg(&photo).unwrap();
        assert_eq!(scans(&out), scans(&photo));
    }

    #[test]
    fn every_kind_of_metadata_segment_is_dropped_also_between_scans_and_after_the_end() {
        let jfif_with_thumbnail = b"JFIF\0\x01\x02\x00\x00\x48\x00\x48\x01\x01\xAA\xBB\xCC";
        let jfif_without = b"JFIF\0\x01\x02\x00\x00\x48\x00\x48\x00\x00";
        let adobe = b"Adobe\x00\x64\x00\x00\x00\x00\x01";
        let tables = [
            segment(0xDB, &[0; 65]),                                // DQT
            segment(0xC2, b"\x08\x00\x10\x00\x10\x01\x01\x11\x00"), // SOF2
            segment(0xC4, &[0x00; 17]),                             // DHT
            segment(0xDD, &[0x00, 0x04]),                           // DRI
        ]
        .concat();
        // Stuffed 0xFF00 bytes and restart markers belong to the image data.
        let scan_1 = [
            &segment(SOS, b"\x01\x01\x00\x00\x00\x00")[..],
            &[
                0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, RST0, 0x78, 0xFF, 0x00, 0xFF, RST7, 0x9A,
            ],
        ]
        .concat();
        let between_scans = segment(0xC4, &[0x10; 17]);
        let scan_2 = [
            &segment(SOS, b"\x01\x01\x00\x01\x05\x00")[..],
            &[0xFF, 0x00, 0x01],
        ]
        .concat();

        let input = [
            &[0xFF, SOI][..],
            &segment(APP0, jfif_with_thumbnail),
            &segment(APP0, b"JFXX\0\x10thumbnail"),
            &segment(APP1, b"Exif\0\0MM\0*GPSLatitude"),
            &segment(APP1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>"),
            &segment(APP1, b"http://ns.adobe.com/xmp/extension/\0<rest/>"),
            &segment(APP13, b"Photoshop 3.0\08BIM\x04\x04IPTC"),
            &segment(APP2, b"ICC_PROFILE\0\x01\x01vendor"),
            &segment(APP2, b"MPF\0index of a second image"),
            &segment(0xEA, b"AROT\0vendor data"),
            &segment(APP15, b"anything"),
            &segment(APP14, adobe),
            &segment(COM, b"taken by Jeanne"),
            &tables,
            &scan_1,
            &[0xFF, 0xFF], // fill bytes before a marker
            &between_scans,
            &segment(COM, b"a comment after the first scan"),
            &segment(APP1, b"Exif\0\0after the first scan"),
            &scan_2,
            &[0xFF, EOI],
            b"MotionPhoto_Data: a video with sound",
        ]
        .concat();

        let (cleaning, out) = clean_jpeg(&input).unwrap();

        let expected = [
            &[0xFF, SOI][..],
            &segment(APP0, jfif_without),
            &segment(APP14, adobe),
            &tables,
            &scan_1,
            &between_scans,
            &scan_2,
            &[0xFF, EOI],
        ]
        .concat();
        assert_eq!(out, expected);
        assert_eq!(
            cleaning.removed,
            [
                "thumbnail",
                "EXIF",
                "XMP",
                "IPTC",
                "ICC profile",
                "other application data",
                "comment",
                "trailing data"
            ]
        );
    }

    #[test]
    fn a_bare_jfif_segment_and_a_tables_only_file_pass_unchanged() {
        let input = [
            &[0xFF, SOI][..],
            &segment(APP0, b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            &segment(0xDB, &[0; 65]),
            &[0xFF, 0x01], // TEM, a marker without a length
            &[0xFF, EOI],
        ]
        .concat();
        let (cleaning, out) = clean_jpeg(&input).unwrap();
        assert_eq!(out, input);
        assert!(cleaning.removed.is_empty());
        assert!(cleaning.cleaned);
    }

    #[test]
    fn oversized_jfif_and_adobe_segments_are_cut_to_their_fixed_headers() {
        let input = [
            &[0xFF, SOI][..],
            &segment(APP0, b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00extra"),
            &segment(APP14, b"Adobe\x00\x64\x00\x00\x00\x00\x02extra"),
            &[0xFF, EOI],
        ]
        .concat();
        let (cleaning, out) = clean_jpeg(&input).unwrap();
        let expected = [
            &[0xFF, SOI][..],
            &segment(APP0, b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            &segment(APP14, b"Adobe\x00\x64\x00\x00\x00\x00\x02"),
            &[0xFF, EOI],
        ]
        .concat();
        assert_eq!(out, expected);
        assert_eq!(cleaning.removed, ["other application data"]);
    }

    #[test]
    fn files_that_are_not_jpeg_are_refused() {
        for input in [&b""[..], b"\xFF", b"\x89PNG\r\n\x1a\n", b"\xFF\xD9\xFF\xD8"] {
            assert!(
                matches!(clean_jpeg(input), Err(EvidenceError::NotJpeg)),
                "{input:?}"
            );
        }
    }

    #[test]
    fn every_truncation_of_a_photo_is_an_error() {
        let photo = fixture("photo-progressive.jpg");
        for len in 0..photo.len() {
            let result = clean_jpeg(&photo[..len]);
            match len {
                0..2 => assert!(matches!(result, Err(EvidenceError::NotJpeg)), "{len}"),
                _ => assert!(matches!(result, Err(EvidenceError::Truncated(_))), "{len}"),
            }
        }
    }

    #[test]
    fn malformed_structures_are_errors() {
        let soi = [0xFF, SOI];
        let cases: [(&str, Vec<u8>); 7] = [
            (
                "length below 2",
                [&soi[..], &[0xFF, 0xDB, 0x00, 0x01]].concat(),
            ),
            (
                "data byte where a marker belongs",
                [&soi[..], &[0x00, 0xFF, EOI]].concat(),
            ),
            (
                "stuffed byte between segments",
                [&soi[..], &[0xFF, 0x00]].concat(),
            ),
            ("a second SOI", [&soi[..], &soi, &[0xFF, EOI]].concat()),
            (
                "restart marker between segments",
                [&soi[..], &[0xFF, RST0, 0xFF, EOI]].concat(),
            ),
            (
                "reserved marker",
                [&soi[..], &segment(0x02, b"x"), &[0xFF, EOI]].concat(),
            ),
            (
                "JPEG-LS frame",
                [&soi[..], &segment(0xF7, b"x"), &[0xFF, EOI]].concat(),
            ),
        ];
        for (what, input) in cases {
            assert!(
                matches!(clean_jpeg(&input), Err(EvidenceError::MalformedJpeg(_))),
                "{what}"
            );
        }
    }

    #[test]
    fn damaged_photos_give_results_or_errors_never_panics_or_hangs() {
        let photo = fixture("photo-progressive.jpg");
        // A fixed linear congruential generator: the same damage on every run.
        let mut state: u64 = 0x5EED;
        let mut random = |below: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % below
        };
        for _ in 0..3000 {
            let mut damaged = photo.clone();
            for _ in 0..=random(4) {
                let at = random(damaged.len());
                damaged[at] = random(256) as u8;
            }
            damaged.truncate(damaged.len() - random(8));
            if let Ok((_, out)) = clean_jpeg(&damaged) {
                assert!(out.len() <= damaged.len());
            }
        }
    }

    #[test]
    fn a_large_scan_streams_through_bounded_buffers() {
        // 16 MiB of image data, produced on demand: stuffed 0xFF00 pairs and restart
        // markers at fixed intervals, other bytes never 0xFF.
        const DATA_LEN: u64 = 16 << 20;
        fn image_data(offset: u64) -> u8 {
            match offset % 1000 {
                998 => 0xFF,
                999 if offset % 3000 == 2999 => RST0 + (offset / 3000 % 8) as u8,
                999 => 0x00,
                n => (n % 251) as u8,
            }
        }
        let kept_head = [
            &[0xFF, SOI][..],
            &segment(APP0, b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            &segment(0xDB, &[0; 65]),
            &segment(0xC0, b"\x08\x10\x00\x10\x00\x01\x01\x11\x00"),
            &segment(0xC4, &[0; 17]),
            &segment(SOS, b"\x01\x01\x00\x00\x3F\x00"),
        ]
        .concat();
        let exif = segment(APP1, b"Exif\0\0GPSLatitude 48.85");
        let head = [&kept_head[..4 + 16], &exif, &kept_head[4 + 16..]].concat();
        let tail = vec![0xFF, EOI];
        let mut input = LazyInput::new(head, DATA_LEN, image_data, tail.clone());

        let kept_len = kept_head.len() as u64;
        let mut output = CountingOutput {
            written: 0,
            largest_write: 0,
            check: |at: u64, byte: u8| {
                let expected = if at < kept_len {
                    kept_head[at as usize]
                } else if at < kept_len + DATA_LEN {
                    image_data(at - kept_len)
                } else {
                    tail[(at - kept_len - DATA_LEN) as usize]
                };
                assert_eq!(byte, expected, "at offset {at}");
            },
        };
        let cleaning = clean(Format::Jpeg, &mut input, &mut output).unwrap();

        assert_eq!(cleaning.removed, ["EXIF"]);
        assert_eq!(output.written, kept_len + DATA_LEN + 2);
        // Neither side ever saw more than one buffer's worth at a time.
        assert!(input.largest_read <= BUFFER_SIZE, "{}", input.largest_read);
        assert!(
            output.largest_write <= BUFFER_SIZE,
            "{}",
            output.largest_write
        );
    }
}
