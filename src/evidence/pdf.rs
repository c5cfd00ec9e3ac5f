//! PDF: the document is parsed and written anew without what describes its author, its
//! software and its history.
//!
//! A PDF names its author, the program and computer account that made it, and its creation
//! and modification times to the second, in the trailer's document information dictionary
//! (`/Info`) and again in XMP packets (`/Metadata` streams on the catalog, on pages, on
//! images). Programs add their private data (`/PieceInfo`, with `/LastModified`), and the
//! trailer's `/ID` is a hash of the time, the file's path and more. An edited PDF keeps every
//! earlier revision after the `%%EOF`, with the old metadata inside. Writing the document
//! anew from its objects drops all of it, the old revisions included.
//!
//! Unlike the other formats, a PDF cannot be cleaned as it streams past (its cross-reference
//! table is at the end), so it is loaded whole, up to [`MAX_PDF_BYTES`]. A larger file, an
//! encrypted one, or one the parser cannot read is stored exactly as it came and reported as
//! not cleaned: the reporter is told, and can remove it.

use std::io::{self, Read, Write};

use lopdf::{Document, Object};

use super::{EvidenceError, Removed};

/// The largest PDF cleaned: 64 MiB. Parsing holds the file and its objects in memory
/// (a few times the file's size), and several uploads may be cleaned at once; scans and
/// phone "documents" are far below this. Larger files are stored unchanged, not cleaned.
pub const MAX_PDF_BYTES: u64 = 64 * 1024 * 1024;

/// Keys that, wherever they appear in a dictionary, hold metadata rather than content.
const METADATA_KEYS: [(&[u8], &str); 3] = [
    (b"Metadata", "XMP"),
    (b"PieceInfo", "application data"),
    (b"LastModified", "modification time"),
];

/// Cleans a PDF, or copies it unchanged when it cannot (too large, encrypted, unreadable).
/// Returns whether it was cleaned.
pub(super) fn clean(
    input: &mut impl Read,
    output: &mut impl Write,
    removed: &mut Removed,
) -> Result<bool, EvidenceError> {
    let mut whole = Vec::new();
    input.take(MAX_PDF_BYTES + 1).read_to_end(&mut whole)?;
    if whole.len() as u64 > MAX_PDF_BYTES {
        output.write_all(&whole)?;
        io::copy(input, output)?;
        return Ok(false);
    }
    let Some(cleaned) = rewrite(&whole, removed) else {
        output.write_all(&whole)?;
        return Ok(false);
    };
    output.write_all(&cleaned)?;
    Ok(true)
}

/// The document written anew without its metadata, or None if it cannot be (unreadable or
/// encrypted: rewriting an encrypted file would need its password, and would store it
/// decrypted).
fn rewrite(bytes: &[u8], removed: &mut Removed) -> Option<Vec<u8>> {
    // A parser of hostile input may panic; the file is then stored as it came, not cleaned,
    // rather than failing the upload (the panic hook logs where, never what).
    let mut found = Removed::default();
    let cleaned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rewrite_whole(bytes, &mut found)
    }))
    .unwrap_or(None)?;
    for what in found.0 {
        removed.note(what);
    }
    Some(cleaned)
}

/// [`rewrite`]'s work, with what it removed noted in `found`.
fn rewrite_whole(bytes: &[u8], found: &mut Removed) -> Option<Vec<u8>> {
    let mut doc = match Document::load_mem(bytes) {
        Ok(doc) => doc,
        Err(_) => {
            // The kind only: a parser's message may quote the document.
            tracing::info!(kind = "pdf", "a PDF could not be parsed; stored as it came");
            return None;
        }
    };
    if doc.is_encrypted() || doc.was_encrypted() {
        return None;
    }
    if doc.trailer.remove(b"Info").is_some() {
        found.note("document information");
    }
    if doc.trailer.remove(b"ID").is_some() {
        found.note("document ID");
    }
    for object in doc.objects.values_mut() {
        let dict = match object {
            Object::Dictionary(dict) => dict,
            Object::Stream(stream) => &mut stream.dict,
            _ => continue,
        };
        for (key, what) in METADATA_KEYS {
            if dict.remove(key).is_some() {
                found.note(what);
            }
        }
    }
    // The information dictionary and the XMP streams, no longer referenced, go too.
    doc.prune_objects();
    let mut out = Vec::with_capacity(bytes.len());
    if doc.save_to(&mut out).is_err() {
        tracing::info!(
            kind = "pdf",
            "a PDF could not be written anew; stored as it came"
        );
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::tests::contains;
    use super::super::{Format, clean as clean_file};
    use super::*;
    use lopdf::{Dictionary, Stream, dictionary};

    /// A one-page PDF with an author, a creation date, XMP on the catalog, private
    /// application data on the page, and a document ID: what a word processor writes.
    pub(crate) fn pdf_with_metadata() -> Vec<u8> {
        let mut doc = Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let font_id = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        });
        let content = b"BT /F1 24 Tf 72 700 Td (QLPDF visible text) Tj ET".to_vec();
        let content_id = doc.add_object(Stream::new(Dictionary::new(), content));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
            "PieceInfo" => dictionary! { "QLPieceApp" => dictionary! {
                "LastModified" => Object::string_literal("D:20261126134502+01'00'"),
            }},
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
                "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
            }),
        );
        let xmp = Stream::new(
            dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
            b"<x:xmpmeta><dc:creator>QLXMP Jeanne Martin</dc:creator></x:xmpmeta>".to_vec(),
        );
        let xmp_id = doc.add_object(xmp);
        let catalog_id = doc.add_object(dictionary! {
            "Type" => "Catalog", "Pages" => pages_id, "Metadata" => xmp_id,
        });
        let info_id = doc.add_object(dictionary! {
            "Author" => Object::string_literal("QLAUTHOR Jeanne Martin"),
            "Creator" => Object::string_literal("QLCREATOR Writer on jmartin-laptop"),
            "CreationDate" => Object::string_literal("D:20261126134502+01'00'"),
        });
        doc.trailer.set("Root", catalog_id);
        doc.trailer.set("Info", info_id);
        doc.trailer.set(
            "ID",
            vec![
                Object::string_literal("QLIDQLIDQLIDQLID"),
                Object::string_literal("QLIDQLIDQLIDQLID"),
            ],
        );
        doc.compress();
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    #[test]
    fn author_dates_xmp_application_data_and_ids_go_and_the_page_stays() {
        let file = pdf_with_metadata();
        for marker in [
            &b"QLAUTHOR"[..],
            b"QLCREATOR",
            b"QLXMP",
            b"QLPieceApp",
            b"QLIDQLID",
        ] {
            assert!(contains(&file, marker), "the fixture lacks {marker:?}");
        }
        let mut out = Vec::new();
        let cleaning = clean_file(Format::Pdf, &file[..], &mut out).unwrap();
        assert!(cleaning.cleaned);
        assert_eq!(
            cleaning.removed,
            [
                "document information",
                "document ID",
                "application data",
                "XMP"
            ]
        );
        for marker in [
            &b"QLAUTHOR"[..],
            b"QLCREATOR",
            b"QLXMP",
            b"QLPieceApp",
            b"QLIDQLID",
            b"20261126",
        ] {
            assert!(!contains(&out, marker), "{marker:?} is still there");
        }
        // Still a PDF with its page and its text.
        let doc = Document::load_mem(&out).unwrap();
        assert_eq!(doc.get_pages().len(), 1);
        assert!(
            doc.extract_text(&[1])
                .unwrap()
                .contains("QLPDF visible text")
        );
    }

    #[test]
    fn unreadable_and_oversized_pdfs_are_stored_unchanged_and_not_cleaned() {
        let broken = b"%PDF-1.7\n1 0 obj << /Author (Jeanne) >> endobj\n%%EOF\n";
        let mut out = Vec::new();
        let cleaning = clean_file(Format::Pdf, &broken[..], &mut out).unwrap();
        assert!(!cleaning.cleaned);
        assert_eq!(out, broken);

        // Over the cap: copied through as it streams, never parsed.
        let mut big = pdf_with_metadata();
        big.resize(MAX_PDF_BYTES as usize + 10, b'\n');
        let mut out = Vec::new();
        let cleaning = clean_file(Format::Pdf, &big[..], &mut out).unwrap();
        assert!(!cleaning.cleaned && cleaning.removed.is_empty());
        assert!(out == big);
    }
}
