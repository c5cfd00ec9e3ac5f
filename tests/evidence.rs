//! Evidence files through the real binary: a photo with GPS EXIF is cleaned, encrypted and
//! stored under a random name; investigators get it back without the metadata; files over
//! the limit and aborted uploads leave nothing behind; blob files hold nothing in clear.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::accounts::{Account, download, register};
use common::{BOUNDARY, Deployment, Server, agent, contains, files_under, json, read};
use quietline::crypto::{CaseKey, Wrap};
use quietline::evidence::{self, Format};

const PHOTO: &[u8] = include_bytes!("fixtures/evidence/photo.jpg");
/// A multipart body with text fields and files (field name `evidence`).
fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let files: Vec<_> = files
        .iter()
        .map(|(name, bytes)| common::Evidence {
            name,
            content_type: "image/jpeg",
            bytes,
        })
        .collect();
    common::multipart(fields, &files)
}

fn post_multipart(server: &Server, path: &str, body: &[u8], bearer: Option<&str>) -> (u16, String) {
    let mut request = agent().post(&server.url(path)).set(
        "Content-Type",
        &format!("multipart/form-data; boundary={BOUNDARY}"),
    );
    if let Some(session) = bearer {
        request = request.set("Authorization", &format!("Bearer {session}"));
    }
    read(request.send_bytes(body))
}

/// The stored evidence files (name and bytes), complete or being written: files under
/// `blobs/` for sled, rows of the `blobs` table for PostgreSQL.
fn blob_files(deployment: &Deployment) -> Vec<(String, Vec<u8>)> {
    if let Some(url) = common::postgres::database_for(deployment.data_dir()) {
        return common::postgres::stored_blobs(&url);
    }
    let dir = deployment.data_dir().join("blobs");
    if !dir.exists() {
        return Vec::new();
    }
    files_under(&dir)
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            (name, std::fs::read(&path).unwrap_or_default())
        })
        .collect()
}

#[test]
fn a_photo_loses_its_gps_and_is_stored_encrypted_under_a_random_name() {
    let deployment = Deployment::new();
    let (identity, secret) = register(&deployment, "hana", "investigator");
    let server = deployment.start(&[]);
    // Enrolled before the report: new cases are wrapped to enrolled investigators only.
    let mut hana = Account::enrol(&server, "hana", identity, &secret);
    // The fixture really carries location data.
    assert!(contains(PHOTO, b"Exif\0\0"));

    let body = multipart(
        &[
            ("body", "The note left on my car"),
            ("category", "coercion_or_threat"),
            ("urgent", "true"),
        ],
        &[("IMG_2041 at home.jpg", PHOTO)],
    );
    let (status, reply) = post_multipart(&server, "/api/v1/reports", &body, None);
    assert_eq!(status, 201, "{reply}");
    let reply = json(&reply);
    let token = reply["token"].as_str().unwrap().to_owned();
    let attachment = &reply["attachments"][0];
    assert_eq!(attachment["format"], "jpeg");
    assert_eq!(attachment["cleaned"], true);
    assert!(
        attachment["removed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "EXIF"),
        "{attachment}"
    );

    // A follow-up can carry a file too.
    // Unless the reporter asks to keep them, names say the kind of file and nothing of
    // the device or the moment; this one asks.
    let session = server.session(&token);
    let body = multipart(
        &[("body", "and a second photo"), ("keep_names", "on")],
        &[("second.jpg", PHOTO)],
    );
    let (status, reply) = post_multipart(&server, "/api/v1/case/messages", &body, Some(&session));
    assert_eq!(status, 201, "{reply}");
    let (_, case) = server.case(&session);
    assert_eq!(case["messages"][0]["attachments"][0]["name"], "photo-1.jpg");
    assert!(!case.to_string().contains("IMG_2041"), "{case}");
    assert_eq!(case["messages"][1]["attachments"][0]["name"], "second.jpg");

    // On disk: two blobs, named by 32 hex digits, with nothing of the photo or its name.
    let blobs = blob_files(&deployment);
    assert_eq!(blobs.len(), 2, "{blobs:?}");
    let scan_data = &PHOTO[PHOTO.len() - 200..PHOTO.len() - 100];
    for (name, bytes) in &blobs {
        assert!(
            name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}"
        );
        assert!(bytes.starts_with(b"age-encryption.org/v1\n"));
        assert!(
            !contains(bytes, scan_data),
            "{name} holds image data in clear"
        );
        assert!(!contains(bytes, b"Exif") && !contains(bytes, b"IMG_2041"));
    }
    for file in files_under(deployment.data_dir()) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !contains(&bytes, b"IMG_2041"),
            "{} holds the file name",
            file.display()
        );
    }

    // The investigator downloads it and decrypts it on their side: the cleaned photo.
    let inv = hana.login(&server);
    let (_, list) = server.inv_get(&inv, "/cases");
    let id = list["cases"][0]["id"].as_str().unwrap().to_owned();
    let (_, access) = server.inv_get(&inv, &format!("/cases/{id}/access"));
    let wrap = STANDARD.decode(access["wrap"].as_str().unwrap()).unwrap();
    let key = CaseKey::unwrap_with(&Wrap(wrap), hana.identity.as_age()).unwrap();
    let (_, detail) = server.inv_get(&inv, &format!("/cases/{id}"));
    let sealed = STANDARD
        .decode(detail["thread"][0]["ciphertext"].as_str().unwrap())
        .unwrap();
    let message: serde_json::Value = serde_json::from_slice(&key.open(&sealed).unwrap()).unwrap();
    let blob = message["attachments"][0]["blob"]
        .as_str()
        .unwrap()
        .to_owned();
    let downloaded = download(&server, &inv, &key, &id, &blob);
    let mut expected = Vec::new();
    evidence::clean(Format::Jpeg, PHOTO, &mut expected).unwrap();
    assert_eq!(downloaded, expected);
    assert!(downloaded.starts_with(&[0xFF, 0xD8]) && !contains(&downloaded, b"Exif"));
    // A blob of another case, or a made-up one, is not served.
    let (status, _) = server.inv_get(&inv, &format!("/cases/{id}/attachments/{}", "0".repeat(32)));
    assert_eq!(status, 404);

    // The fetch is in the audit trail, with the case and the file's id.
    server.stop();
    let store = common::open_store(deployment.data_dir());
    let entries = store.audit_entries().unwrap();
    let fetched: Vec<quietline::audit::Sealed> = entries
        .iter()
        .map(|(_, bytes)| postcard::from_bytes::<quietline::audit::Sealed>(bytes).unwrap())
        .filter(|e| e.entry.action == quietline::audit::Action::EvidenceFetched)
        .collect();
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0].entry.actor, "hana");
    assert_eq!(fetched[0].entry.case.as_deref(), Some(id.as_str()));
    assert_eq!(fetched[0].entry.detail, blob);
}

#[test]
fn a_file_over_the_limit_is_refused_and_leaves_no_blob() {
    let deployment = Deployment::new();
    let server = deployment.start(&["--max-file-bytes", "100000"]);
    let big = vec![0x42u8; 150_000];
    let body = multipart(
        &[
            ("body", "video of the meeting"),
            ("category", "bribe_offered"),
        ],
        &[("meeting.mp4", &big)],
    );
    let (status, reply) = post_multipart(&server, "/api/v1/reports", &body, None);
    assert_eq!(status, 413, "{reply}");
    assert!(json(&reply)["error"].as_str().unwrap().contains("100000"));
    assert!(
        blob_files(&deployment).is_empty(),
        "{:?}",
        blob_files(&deployment)
    );
    // A file within the limit still works, and a bad file is refused without a trace.
    let body = multipart(
        &[("body", "a small one"), ("category", "bribe_offered")],
        &[("small.bin", &big[..50_000])],
    );
    assert_eq!(
        post_multipart(&server, "/api/v1/reports", &body, None).0,
        201
    );
    let broken = multipart(
        &[("body", "broken"), ("category", "other")],
        &[("x.jpg", &PHOTO[..PHOTO.len() / 2])],
    );
    assert_eq!(
        post_multipart(&server, "/api/v1/reports", &broken, None).0,
        422
    );
    assert_eq!(blob_files(&deployment).len(), 1);
    server.stop();
    let store = common::open_store(deployment.data_dir());
    assert_eq!(store.case_count().unwrap(), 1);
}

#[test]
fn an_aborted_upload_leaves_no_blob() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    // Announce 10 MB, send the start of a file, then hang up.
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut start = multipart(&[("body", "cut off"), ("category", "other")], &[]);
    start.truncate(start.len() - format!("--{BOUNDARY}--\r\n").len());
    write!(
        start,
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"long.mp4\"\r\n\r\n"
    )
    .unwrap();
    start.extend(std::iter::repeat_n(0x17u8, 300_000));
    {
        let mut socket = std::net::TcpStream::connect(&address).unwrap();
        write!(
            socket,
            "POST /api/v1/reports HTTP/1.1\r\nHost: {address}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: 10000000\r\n\r\n"
        )
        .unwrap();
        socket.write_all(&start).unwrap();
        socket.flush().unwrap();
        // Wait (bounded) until the service has started writing the blob, then hang up.
        let deadline = Instant::now() + Duration::from_secs(10);
        while blob_files(&deployment).is_empty() {
            assert!(
                Instant::now() < deadline,
                "the upload never reached the blob writer"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !blob_files(&deployment).is_empty() {
        assert!(
            Instant::now() < deadline,
            "a partial blob stayed: {:?}",
            blob_files(&deployment)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server.stop();
    let store = common::open_store(deployment.data_dir());
    assert_eq!(store.case_count().unwrap(), 0);
}

#[test]
fn a_blob_left_by_a_killed_process_is_cleared_from_blobs_at_start() {
    if common::postgres::skip_sled_only(
        "the start-up sweep of blobs/ is sled's; PostgreSQL keeps evidence in rows",
    ) {
        return;
    }
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    // A store with no cases is never swept (it may be a lost store): give it one.
    server.submit("a report");
    server.kill();
    let blobs = deployment.data_dir().join("blobs");
    std::fs::write(blobs.join("0123456789abcdef0123456789abcdef.part"), b"half").unwrap();
    std::fs::write(
        blobs.join("fedcba9876543210fedcba9876543210"),
        b"never committed",
    )
    .unwrap();
    let server = deployment.start(&[]);
    assert!(
        blob_files(&deployment).is_empty(),
        "{:?}",
        blob_files(&deployment)
    );
    // The unfinished part is deleted; the complete file is kept aside, never deleted.
    let quarantine = deployment.data_dir().join("quarantine");
    assert!(quarantine.join("fedcba9876543210fedcba9876543210").exists());
    drop(server);
}

/// The value of the hidden field `name` of the first form on `page` that has one.
fn hidden(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no {name} field: {page}"))
        .to_owned()
}

/// The case page, opened with the token through the log-in form: (page, session, nonce).
fn case_page(server: &Server, token: &str) -> (String, String, String) {
    let once = server.form_nonce("/case");
    let (status, page) = read(
        agent()
            .post(&server.url("/case"))
            .send_form(&[("once", once.as_str()), ("token", token)]),
    );
    assert_eq!(status, 200, "{page}");
    let session = hidden(&page, "session");
    let once = hidden(&page, "once");
    (page, session, once)
}

#[test]
fn a_follow_up_that_comes_back_with_a_problem_keeps_keep_my_file_names_ticked() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    let token = server.submit("the report");
    let (page, session, once) = case_page(&server, &token);
    let ticked = "name=\"keep_names\" value=\"on\" aria-describedby=\"keep-names-hint\" checked";
    assert!(!page.contains(ticked), "ticked before anyone asked: {page}");

    // An empty text with "keep my file names" ticked: the form comes back with the problem.
    let body = multipart(
        &[
            ("session", session.as_str()),
            ("once", once.as_str()),
            ("keep_names", "on"),
            ("body", "   "),
        ],
        &[],
    );
    let (status, page) = post_multipart(&server, "/case/messages", &body, None);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("class=\"notice\" role=\"status\""), "{page}");
    assert!(page.contains(ticked), "the box is no longer ticked: {page}");
    assert!(page.contains("choose them again"), "{page}");
}

/// A one-page PDF as a word processor writes one: an author, the program and a creation
/// date in the document information, XMP on the catalog, a document ID.
fn pdf_with_author() -> Vec<u8> {
    use lopdf::{Dictionary, Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.7");
    let pages = doc.new_object_id();
    let content = doc.add_object(Stream::new(Dictionary::new(), b"BT ET".to_vec()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages, "Contents" => content,
    });
    doc.objects.insert(
        pages,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        }),
    );
    let xmp = doc.add_object(Stream::new(
        dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
        b"<x:xmpmeta><dc:creator>QLE2E-XMP Jeanne</dc:creator></x:xmpmeta>".to_vec(),
    ));
    let catalog = doc.add_object(dictionary! {
        "Type" => "Catalog", "Pages" => pages, "Metadata" => xmp,
    });
    let info = doc.add_object(dictionary! {
        "Author" => Object::string_literal("QLE2E-AUTHOR Jeanne Martin"),
        "CreationDate" => Object::string_literal("D:20261126134502+01'00'"),
    });
    doc.trailer.set("Root", catalog);
    doc.trailer.set("Info", info);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// An MP4 box: 32-bit size, type, content.
fn mp4_box(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
    let mut b = ((content.len() + 8) as u32).to_be_bytes().to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(content);
    b
}

/// A small MP4 with the place of recording in `udta/©xyz` and a recording time in `mvhd`.
fn mp4_with_location() -> Vec<u8> {
    let mut mvhd = vec![0, 0, 0, 0];
    mvhd.extend_from_slice(&0xE1F0_1234u32.to_be_bytes());
    mvhd.extend_from_slice(&0xE1F0_1234u32.to_be_bytes());
    mvhd.extend_from_slice(&[0; 88]);
    let udta = mp4_box(b"\xA9xyz", b"\x00\x12\x15\xC7+48.8583+002.2945/QLE2E-XYZ");
    let moov = [mp4_box(b"mvhd", &mvhd), mp4_box(b"udta", &udta)].concat();
    [
        mp4_box(b"ftyp", b"mp42\0\0\0\0isommp42"),
        mp4_box(b"moov", &moov),
        mp4_box(b"mdat", b"QLE2E-FRAMES of the recording"),
    ]
    .concat()
}

#[test]
fn a_pdf_loses_its_author_and_a_video_its_place_and_investigators_get_neither() {
    let deployment = Deployment::new();
    let (identity, secret) = register(&deployment, "ines", "investigator");
    let server = deployment.start(&[]);
    let mut ines = Account::enrol(&server, "ines", identity, &secret);
    let (pdf, video) = (pdf_with_author(), mp4_with_location());
    let secrets: [&[u8]; 6] = [
        b"QLE2E-AUTHOR",
        b"QLE2E-XMP",
        b"20261126134502",
        b"+48.8583",
        b"QLE2E-XYZ",
        b"\xE1\xF0\x12\x34",
    ];
    let originals = [&pdf[..], &video[..]].concat();
    for secret in secrets {
        assert!(contains(&originals, secret), "the fixtures lack {secret:?}");
    }

    let files = [
        common::Evidence {
            name: "Scan_Jeanne_Martin.pdf",
            content_type: "application/pdf",
            bytes: &pdf,
        },
        common::Evidence {
            name: "VID_20261126_134502.mp4",
            content_type: "video/mp4",
            bytes: &video,
        },
    ];
    let body = common::multipart(
        &[
            ("body", "the letter and the recording"),
            ("category", "coercion_or_threat"),
        ],
        &files,
    );
    let (status, reply) = post_multipart(&server, "/api/v1/reports", &body, None);
    assert_eq!(status, 201, "{reply}");
    let reply = json(&reply);
    let removed = |i: usize| -> Vec<String> {
        reply["attachments"][i]["removed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(reply["attachments"][0]["format"], "pdf");
    assert_eq!(reply["attachments"][0]["cleaned"], true, "{reply}");
    assert_eq!(removed(0), ["document information", "XMP"], "{reply}");
    assert_eq!(reply["attachments"][1]["format"], "mp4");
    assert_eq!(reply["attachments"][1]["cleaned"], true, "{reply}");
    assert_eq!(
        removed(1),
        ["recording time", "user data (place, device, software)"],
        "{reply}"
    );

    // The investigator's decrypted copies: generic names, none of the metadata.
    let inv = ines.login(&server);
    let (_, list) = server.inv_get(&inv, "/cases");
    let id = list["cases"][0]["id"].as_str().unwrap().to_owned();
    let (_, detail) = server.inv_get(&inv, &format!("/cases/{id}"));
    let wrap = STANDARD.decode(detail["wrap"].as_str().unwrap()).unwrap();
    let key = CaseKey::unwrap_with(&Wrap(wrap), ines.identity.as_age()).unwrap();
    let sealed = STANDARD
        .decode(detail["thread"][0]["ciphertext"].as_str().unwrap())
        .unwrap();
    let message: serde_json::Value = serde_json::from_slice(&key.open(&sealed).unwrap()).unwrap();
    let names: Vec<&str> = message["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["document-1.pdf", "video-2.mp4"]);
    for (i, attachment) in message["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let blob = attachment["blob"].as_str().unwrap();
        let copy = download(&server, &inv, &key, &id, blob);
        for secret in secrets {
            assert!(!contains(&copy, secret), "file {i} still holds {secret:?}");
        }
        if i == 0 {
            let doc = lopdf::Document::load_mem(&copy).unwrap();
            assert_eq!(doc.get_pages().len(), 1);
        } else {
            assert_eq!(copy.len(), video.len());
            assert!(contains(&copy, b"QLE2E-FRAMES"));
        }
    }
    server.stop();
}

/// Through the JSON API: a reporter removes a file that could not be cleaned, with their
/// session only; it is deleted for good, the thread says so, investigators see the line
/// and can no longer fetch the file, and nobody else can remove a file of the case.
#[test]
fn a_reporter_removes_an_uncleaned_file_through_the_api_and_investigators_see_the_line() {
    let deployment = Deployment::new();
    let (identity, secret) = register(&deployment, "joao", "investigator");
    let server = deployment.start(&[]);
    let mut joao = Account::enrol(&server, "joao", identity, &secret);
    const HEIC: &[u8] = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic QLHEIC-GPS";
    let body = multipart(
        &[("body", "the photo and the note"), ("category", "other")],
        &[("IMG_0042.HEIC", HEIC), ("note.jpg", PHOTO)],
    );
    let (status, reply) = post_multipart(&server, "/api/v1/reports", &body, None);
    assert_eq!(status, 201, "{reply}");
    let reply = json(&reply);
    assert_eq!(reply["attachments"][0]["cleaned"], false, "{reply}");
    assert_eq!(reply["attachments"][0]["deleted"], false, "{reply}");
    let heic = reply["attachments"][0]["id"].as_str().unwrap().to_owned();
    let token = reply["token"].as_str().unwrap().to_owned();
    assert_eq!(blob_files(&deployment).len(), 2);

    let delete = |session: Option<&str>, id: &str| {
        let mut request = agent().delete(&server.url(&format!("/api/v1/case/attachments/{id}")));
        if let Some(session) = session {
            request = request.set("Authorization", &format!("Bearer {session}"));
        }
        read(request.call())
    };
    // No session, or another case's session: refused, nothing deleted.
    assert_eq!(delete(None, &heic).0, 401);
    let other = server.session(&server.submit("another case"));
    assert_eq!(delete(Some(&other), &heic).0, 404);
    assert_eq!(blob_files(&deployment).len(), 2);

    let session = server.session(&token);
    let (status, answer) = delete(Some(&session), &heic);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(json(&answer)["removed"]["name"], "file-1.heic");
    assert_eq!(
        blob_files(&deployment).len(),
        1,
        "the file is still on disk"
    );
    // Once only.
    assert_eq!(delete(Some(&session), &heic).0, 404);

    let (_, case) = server.case(&session);
    let messages = case["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{case}");
    assert_eq!(messages[0]["attachments"][0]["deleted"], true, "{case}");
    assert_eq!(messages[0]["attachments"][1]["deleted"], false, "{case}");
    assert_eq!(messages[1]["from"], "reporter");
    assert_eq!(messages[1]["removed_file"], "file-1.heic", "{case}");

    // The investigators: the thread's new entry names the removed file; the file is gone.
    let inv = joao.login(&server);
    let (_, list) = server.inv_get(&inv, "/cases");
    let id = list["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .find(|id| {
            let (_, detail) = server.inv_get(&inv, &format!("/cases/{id}"));
            detail["thread"].as_array().unwrap().len() == 2
        })
        .unwrap();
    let (_, detail) = server.inv_get(&inv, &format!("/cases/{id}"));
    let wrap = STANDARD.decode(detail["wrap"].as_str().unwrap()).unwrap();
    let key = CaseKey::unwrap_with(&Wrap(wrap), joao.identity.as_age()).unwrap();
    let sealed = STANDARD
        .decode(detail["thread"][1]["ciphertext"].as_str().unwrap())
        .unwrap();
    let line: serde_json::Value = serde_json::from_slice(&key.open(&sealed).unwrap()).unwrap();
    assert_eq!(line["removed_file"]["name"], "file-1.heic", "{line}");
    let (status, _) = server.inv_get(&inv, &format!("/cases/{id}/attachments/{heic}"));
    assert_eq!(status, 404);
    server.stop();
}
