//! Evidence on the investigator's desk, across two real processes (`serve` and `desk`,
//! both on 127.0.0.1): files sent with a report are listed on the desk's case page and
//! download decrypted, without their metadata; a damaged file never downloads as if it
//! were whole; and a large file streams through the desk in constant memory.

mod common;

use std::io::Read;

use common::accounts::register;
use common::desk::{
    self, Desk, Evidence, PASSPHRASE, case_ids, submit_with_evidence, write_identity_file,
};
use common::{Deployment, contains, files_under};
use quietline::evidence::{self, Format};

/// A 16x16 photo whose EXIF holds a GPS position, a camera serial number and an owner.
const PHOTO: &[u8] = include_bytes!("fixtures/evidence/photo.jpg");
/// The reporter's name for it: markup to escape, and letters outside ASCII.
const PHOTO_NAME: &str = "Étage <2> reçu.jpg";

/// The download links of a desk case page: (blob id, file name as shown), in page order.
fn download_links(page: &str, case: &str) -> Vec<(String, String)> {
    let prefix = format!("<a class=\"download\" href=\"/cases/{case}/attachments/");
    page.split(prefix.as_str())
        .skip(1)
        .map(|rest| {
            let blob = rest.split('"').next().unwrap().to_owned();
            let name = rest
                .split("<bdi class=\"file-name\">")
                .nth(1)
                .and_then(|n| n.split("</bdi>").next())
                .unwrap()
                .to_owned();
            (blob, name)
        })
        .collect()
}

/// Flips one bit of the evidence file stored under `blob`, at the position `at` picks
/// from its length: in its file under the data directory, or its database row.
fn flip_stored_byte(deployment: &Deployment, blob: &str, at: impl Fn(usize) -> usize) {
    if let Some(url) = &deployment.database {
        common::postgres::flip_blob_byte(url, blob, at);
        return;
    }
    let stored = files_under(&deployment.data_dir().join("blobs"))
        .into_iter()
        .find(|f| f.file_name().is_some_and(|n| n == blob))
        .unwrap_or_else(|| panic!("no blob file {blob}"));
    let mut bytes = std::fs::read(&stored).unwrap();
    let at = at(bytes.len());
    bytes[at] ^= 0x01;
    std::fs::write(&stored, bytes).unwrap();
}

#[test]
fn evidence_is_listed_in_the_desk_and_downloads_decrypted_without_its_metadata() {
    let deployment = Deployment::new();
    let (bruno, bruno_secret) = register(&deployment, "bruno", "investigator");
    let keys = tempfile::tempdir().unwrap();
    let identity_file = keys.path().join("bruno.age");
    write_identity_file(&bruno, PASSPHRASE, &identity_file);
    let server = deployment.start(&[]);
    // Enrolled before the reports: new cases are wrapped to enrolled investigators only.
    let mut authenticator = desk::enrol(&server, "bruno", &bruno_secret);

    // The fixture really carries what must not reach the investigator.
    let gps_pointer: &[u8] = &[0x88, 0x25, 0x00, 0x04]; // GPS IFD tag, big-endian
    let latitude: &[u8] = &[0, 0, 0, 48, 0, 0, 0, 1, 0, 0, 0, 51, 0, 0, 0, 1];
    let traces: [&[u8]; 5] = [
        b"Exif\0\0",
        gps_pointer,
        latitude,
        b"SN-CAMERA-0042",
        b"Jeanne Testowner",
    ];
    for trace in traces {
        assert!(contains(PHOTO, trace), "fixture lacks {trace:?}");
    }
    // A file the service does not clean, over four of age's 64 KiB chunks.
    let recording: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let (status, reply) = submit_with_evidence(
        &server,
        &[
            ("body", "The note on my car, and the call (flow-evidence)"),
            ("category", "coercion_or_threat"),
            ("urgent", "true"),
            // The reporter asks to keep the names: they are shown escaped on the desk.
            ("keep_names", "on"),
        ],
        &[
            Evidence {
                name: PHOTO_NAME,
                content_type: "image/jpeg",
                bytes: PHOTO,
            },
            Evidence {
                name: "call.m4a",
                content_type: "audio/mp4",
                bytes: &recording,
            },
        ],
    );
    assert_eq!(status, 201, "{reply}");
    // Another case with a file: its blob must not be reachable through the first case.
    let (status, reply) = submit_with_evidence(
        &server,
        &[("body", "Another report"), ("category", "other")],
        &[Evidence {
            name: "other.jpg",
            content_type: "image/jpeg",
            bytes: PHOTO,
        }],
    );
    assert_eq!(status, 201, "{reply}");

    let desk = Desk::start(
        &server,
        &identity_file,
        "bruno",
        &mut authenticator,
        deployment.logs.path(),
    );
    let browser = desk.open();
    let (_, list) = browser.get("/");
    let ids = case_ids(&list);
    assert_eq!(ids.len(), 2, "{list}");
    let (case, other_case) = (&ids[0], &ids[1]);

    // The case page lists both files with what the service found, the name escaped.
    let mut cleaned = Vec::new();
    evidence::clean(Format::Jpeg, PHOTO, &mut cleaned).unwrap();
    let (status, page) = browser.get(&format!("/cases/{case}"));
    assert_eq!(status, 200, "{page}");
    let links = download_links(&page, case);
    let names: Vec<&str> = links.iter().map(|(_, name)| name.as_str()).collect();
    assert_eq!(names, ["Étage &lt;2&gt; reçu.jpg", "call.m4a"], "{page}");
    let listed = page.split("<li class=\"attachment\">").skip(1);
    let [photo_item, recording_item]: [&str; 2] = listed.collect::<Vec<_>>().try_into().unwrap();
    for text in [
        &format!("{} bytes", cleaned.len()),
        "detected: <span class=\"format\">JPEG image</span>",
        "declared: <bdi class=\"declared\">image&#x2f;jpeg</bdi>",
        "Metadata removed: EXIF",
    ] {
        assert!(photo_item.contains(text), "{text:?} not in {photo_item}");
    }
    for text in [
        "293.0 KiB",
        "detected: <span class=\"format\">not recognised</span>",
        "Not cleaned: may still carry device data",
    ] {
        assert!(
            recording_item.contains(text),
            "{text:?} not in {recording_item}"
        );
    }
    assert!(!photo_item.contains("Not cleaned"), "{photo_item}");

    // Downloading the photo: the cleaned JPEG, decrypted on the desk, as a sandboxed
    // attachment under a safe name.
    let (photo_blob, recording_blob) = (&links[0].0, &links[1].0);
    let response = browser.fetch(&format!("/cases/{case}/attachments/{photo_blob}"));
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(
        response.header("content-disposition"),
        Some(
            "attachment; filename=\"_tage _2_ re_u.jpg\"; \
             filename*=UTF-8''%C3%89tage%20_2_%20re%C3%A7u.jpg"
        )
    );
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    let policy = response.header("content-security-policy").unwrap();
    assert!(policy.starts_with("sandbox;"), "{policy}");
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let mut photo = Vec::new();
    response.into_reader().read_to_end(&mut photo).unwrap();
    assert!(photo.starts_with(&[0xFF, 0xD8]), "not a JPEG");
    for trace in traces {
        assert!(!contains(&photo, trace), "{trace:?} survived");
    }
    assert_eq!(photo, cleaned, "not what the evidence module makes of it");

    let response = browser.fetch(&format!("/cases/{case}/attachments/{recording_blob}"));
    assert_eq!(response.status(), 200);
    let mut downloaded = Vec::new();
    response.into_reader().read_to_end(&mut downloaded).unwrap();
    assert!(downloaded == recording, "the recording changed on the way");

    // Only files the case lists: not another case's, not a made-up or malformed id. The
    // desk says so itself, before asking the server for anything.
    let (_, other_page) = browser.get(&format!("/cases/{other_case}"));
    let other_blob = &download_links(&other_page, other_case)[0].0;
    for blob in [other_blob.as_str(), &"0".repeat(32)] {
        let (status, page) = browser.get(&format!("/cases/{case}/attachments/{blob}"));
        assert_eq!(status, 404, "{page}");
        assert!(page.contains("lists no such evidence file"), "{page}");
    }
    let (status, _) = browser.get(&format!("/cases/{case}/attachments/{}", &photo_blob[..31]));
    assert_eq!(status, 404);

    // Damage half-way through the recording (the fourth of five chunks): the download
    // starts, then fails; it never ends as if it were complete.
    flip_stored_byte(&deployment, recording_blob, |len| len - 80_000);
    let response = browser.fetch(&format!("/cases/{case}/attachments/{recording_blob}"));
    assert_eq!(response.status(), 200, "the damage is past the first chunk");
    let mut partial = Vec::new();
    let read = response.into_reader().read_to_end(&mut partial);
    assert!(read.is_err(), "a damaged file downloaded as whole");
    assert!(partial.len() < recording.len());

    // Damage in the header: the key cannot open it, and the desk says so on a page.
    flip_stored_byte(&deployment, photo_blob, |_| 40);
    let (status, page) = browser.get(&format!("/cases/{case}/attachments/{photo_blob}"));
    assert_eq!(status, 502, "{page}");
    assert!(
        page.contains("does not decrypt with the case key"),
        "{page}"
    );

    // Names and content stay out of the desk's output.
    let logs = desk.logs();
    for secret in ["Étage", "reçu", "call.m4a", "flow-evidence"] {
        assert!(!logs.contains(secret), "{secret:?} in the desk's output");
    }
}

/// Peak resident memory of a process so far (Linux `VmHWM`), in KiB.
#[cfg(target_os = "linux")]
fn peak_memory_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in {status}"))
}

/// A large file goes through the desk in chunks: the desk's peak memory grows by a small
/// fraction of the file, not by the file (which buffering it whole would cost).
#[cfg(target_os = "linux")]
#[test]
fn a_large_evidence_file_streams_through_the_desk_in_constant_memory() {
    const SIZE: usize = 8 << 20;
    let content = |i: usize| (i.wrapping_mul(2_654_435_761) >> 13) as u8;
    let file: Vec<u8> = (0..SIZE).map(content).collect();
    let deployment = Deployment::new();
    let (bruno, bruno_secret) = register(&deployment, "bruno", "investigator");
    let keys = tempfile::tempdir().unwrap();
    let identity_file = keys.path().join("bruno.age");
    write_identity_file(&bruno, PASSPHRASE, &identity_file);
    let server = deployment.start(&[]);
    // Enrolled before the report: new cases are wrapped to enrolled investigators only.
    let mut authenticator = desk::enrol(&server, "bruno", &bruno_secret);
    let (status, reply) = submit_with_evidence(
        &server,
        &[("body", "The whole meeting"), ("category", "bribe_offered")],
        &[Evidence {
            name: "meeting.mov",
            content_type: "video/quicktime",
            bytes: &file,
        }],
    );
    assert_eq!(status, 201, "{reply}");
    drop(file);

    let desk = Desk::start(
        &server,
        &identity_file,
        "bruno",
        &mut authenticator,
        deployment.logs.path(),
    );
    let browser = desk.open();
    let (_, list) = browser.get("/");
    let case = case_ids(&list).remove(0);
    let (_, page) = browser.get(&format!("/cases/{case}"));
    let (blob, _) = download_links(&page, &case).remove(0);
    let before = peak_memory_kib(desk.pid());

    let response = browser.fetch(&format!("/cases/{case}/attachments/{blob}"));
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("content-length"), Some(&*SIZE.to_string()));
    // Compared as it arrives, so that the test does not hold the file either.
    let mut reader = response.into_reader();
    let mut chunk = vec![0u8; 1 << 16];
    let mut offset = 0;
    loop {
        let read = reader.read(&mut chunk).unwrap();
        if read == 0 {
            break;
        }
        for (i, byte) in chunk[..read].iter().enumerate() {
            assert_eq!(*byte, content(offset + i), "byte {}", offset + i);
        }
        offset += read;
    }
    assert_eq!(offset, SIZE);

    let growth = peak_memory_kib(desk.pid()).saturating_sub(before);
    eprintln!(
        "desk peak memory grew by {growth} KiB for a {} KiB file",
        SIZE >> 10
    );
    assert!(
        growth < 3 << 10,
        "the desk's peak memory grew by {growth} KiB for a {} KiB file",
        SIZE >> 10
    );
}
