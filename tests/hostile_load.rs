//! What an attacker on the network can do for free, against the real binary on 127.0.0.1:
//! half-sent requests, stalled and trickling uploads, oversized forms, running out of
//! descriptors. Each test is bounded in count and time and stops by itself. (Login floods
//! and one token opening sessions in a loop are in `login_floods.rs`.)

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Deployment, agent, read};
use serde_json::json;

/// The server's header-read timeout (`http::server::HEADER_TIMEOUT`), plus slack.
const HEADER_TIMEOUT_BOUND: Duration = Duration::from_secs(25);

fn connect(base: &str) -> TcpStream {
    let address = base.trim_start_matches("http://");
    let stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(40)))
        .unwrap();
    stream
}

/// Reads until the server closes the connection (or the read timeout), and returns how
/// long that took.
fn time_until_closed(mut stream: TcpStream) -> Duration {
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    while let Ok(n) = stream.read(&mut buffer) {
        if n == 0 {
            break;
        }
    }
    started.elapsed()
}

#[test]
fn a_half_sent_request_is_closed_within_the_header_timeout() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    let mut stream = connect(&server.base);
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .unwrap();
    let took = time_until_closed(stream);
    assert!(
        took < HEADER_TIMEOUT_BOUND,
        "a half-sent request held its connection for {took:?}"
    );
}

#[test]
fn an_idle_kept_alive_connection_is_closed() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    let mut stream = connect(&server.base);
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let took = time_until_closed(stream);
    assert!(
        took < HEADER_TIMEOUT_BOUND,
        "an idle connection stayed open for {took:?}"
    );
}

/// Starts an upload with evidence files that sends 100 bytes of the file and stops.
fn stalled_upload(base: &str) -> TcpStream {
    let mut stream = connect(base);
    let boundary = "stalledstalledstalled";
    let head = format!(
        "POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: 10000000\r\n\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"a.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&[0xFF; 100]).unwrap();
    stream
}

#[test]
fn stalled_uploads_do_not_stop_a_normal_report() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    let stalled: Vec<TcpStream> = (0..300).map(|_| stalled_upload(&server.base)).collect();
    let started = Instant::now();
    let token = server.submit("a report sent while 300 uploads stall");
    let session = server.session(&token);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a report and a login took {:?} behind stalled uploads",
        started.elapsed()
    );
    assert_eq!(server.case(&session).0, 200);
    drop(stalled);
}

/// Posts `body` on a raw connection and returns the status the server answers with. The
/// server may answer (and close) before the body is sent: a refused write is expected.
fn post_raw(base: &str, path: &str, content_type: &str, body: &[u8]) -> u16 {
    let mut stream = connect(base);
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(body);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {answer:?}"))
}

#[test]
fn a_two_megabyte_url_encoded_form_is_refused() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    let body = format!("category=other&body={}", "x".repeat(2_000_000));
    for path in ["/report", "/case/messages"] {
        let status = post_raw(
            &server.base,
            path,
            "application/x-www-form-urlencoded",
            body.as_bytes(),
        );
        assert_eq!(status, 413, "{path}");
    }
}

#[test]
fn multipart_forms_take_only_their_own_fields() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    let form = common::multipart(
        &[("body", "text"), ("category", "other"), ("padding", "x")],
        &[],
    );
    let (status, text) = read(
        agent()
            .post(&server.url("/api/v1/reports"))
            .set("Content-Type", &common::multipart_type())
            .send_bytes(&form),
    );
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("no field \\\"padding\\\""), "{text}");
    let form = common::multipart(&[("body", "text"), ("category", &"x".repeat(200))], &[]);
    let (status, text) = read(
        agent()
            .post(&server.url("/api/v1/reports"))
            .set("Content-Type", &common::multipart_type())
            .send_bytes(&form),
    );
    assert_eq!(status, 422, "{text}");
}

#[test]
fn sigterm_ends_the_service_despite_a_half_sent_request() {
    let deployment = Deployment::new();
    let server = deployment.start(&[]);
    let mut stream = connect(&server.base);
    stream
        .write_all(
            b"POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{",
        )
        .unwrap();
    let _upload = stalled_upload(&server.base);
    // `stop` fails the test if the process has not exited 20 s after SIGTERM.
    server.stop();
}

#[test]
fn the_investigator_api_can_have_a_listener_of_its_own() {
    let deployment = Deployment::new();
    let server = deployment.start(&["--investigator-listen", "127.0.0.1:0"]);
    let out = std::fs::read_to_string(&server.stdout).unwrap();
    let desk_base = out
        .split("investigator API listening on ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .expect("the investigator listener's address is printed")
        .trim()
        .to_owned();
    let login = json!({"name": "ana", "password": "not it", "code": "000000"});
    let on = |base: &str, path: &str| {
        read(
            agent()
                .post(&format!("{base}{path}"))
                .send_json(login.clone()),
        )
        .0
    };
    assert_eq!(on(&server.base, "/api/v1/investigator/login"), 404);
    assert_eq!(on(&desk_base, "/api/v1/investigator/login"), 401);
    assert_eq!(
        read(agent().get(&format!("{desk_base}/report")).call()).0,
        404
    );
    assert_eq!(read(agent().get(&server.url("/report")).call()).0, 200);
    // Reporters still report on their own listener.
    server.submit("a report while investigators use their own address");
}

/// Runs out of descriptors on purpose (a low `ulimit -n`) with half-sent connections:
/// the service says so in its log, and serves again once they are closed.
#[test]
fn running_out_of_descriptors_is_logged_and_the_service_recovers() {
    let deployment = Deployment::new();
    let log = deployment.logs.path().join("serve-fd.stderr");
    let out = deployment.logs.path().join("serve-fd.stdout");
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 96 && exec {} serve --listen 127.0.0.1:0 --data-dir {} {} {}",
            common::BIN,
            deployment.data_dir().display(),
            deployment.database_args().join(" "),
            common::FAST_KDF.join(" ")
        ))
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let base = loop {
        let printed = std::fs::read_to_string(&out).unwrap_or_default();
        if let Some(rest) = printed.split("listening on ").nth(1) {
            break rest.lines().next().unwrap().trim().to_owned();
        }
        assert!(Instant::now() < deadline, "the service did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut held: Vec<TcpStream> = Vec::new();
    for _ in 0..150 {
        let address = base.trim_start_matches("http://");
        if let Ok(mut stream) = TcpStream::connect(address) {
            let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n");
            held.push(stream);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("out of file descriptors")
    {
        assert!(
            Instant::now() < deadline,
            "running out of descriptors was not logged"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if read(agent().get(&format!("{base}/healthz")).call()).0 == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the service did not recover");
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// An upload that stalls gives its slot back within seconds (a minimum rate after a short
/// grace), not after the body idle limit: with one slot, a real reporter's file gets
/// through well before 30 s.
#[test]
fn a_stalled_upload_gives_its_slot_back_within_seconds() {
    let deployment = Deployment::new();
    let server = deployment.start(&["--max-uploads", "1"]);
    let started = Instant::now();
    let _stalled = stalled_upload(&server.base);
    std::thread::sleep(Duration::from_millis(300));
    let form = common::multipart(
        &[("body", "a real report with a file"), ("category", "other")],
        &[common::Evidence {
            name: "note.txt",
            content_type: "text/plain",
            bytes: b"the note",
        }],
    );
    loop {
        let (status, text) = read(
            agent()
                .post(&server.url("/api/v1/reports"))
                .set("Content-Type", &common::multipart_type())
                .send_bytes(&form),
        );
        if status == 201 {
            break;
        }
        assert_eq!(status, 503, "{text}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the stalled upload kept the only slot for {:?}",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Starts an upload with a file that then trickles `bytes_per_second`, above the minimum
/// rate and far below the preemption floor, until the server stops it or `lasting` has
/// passed. Returns a thread that gives the status the server answered, if any.
fn trickling_upload(
    base: &str,
    bytes_per_second: usize,
    lasting: Duration,
) -> std::thread::JoinHandle<Option<u16>> {
    let mut stream = connect(base);
    let mut reader = stream.try_clone().unwrap();
    let answer = std::thread::spawn(move || {
        let mut answer = Vec::new();
        let _ = reader.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer)
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
    });
    std::thread::spawn(move || {
        let boundary = "trickletrickletrickle";
        let head = format!(
            "POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Type: multipart/form-data; boundary={boundary}\r\n\
             Content-Length: 10000000\r\n\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"a.txt\"\r\n\
             Content-Type: text/plain\r\n\r\n"
        );
        let _ = stream.write_all(head.as_bytes());
        let chunk = vec![b'x'; bytes_per_second / 5];
        let deadline = Instant::now() + lasting;
        while Instant::now() < deadline && stream.write_all(&chunk).is_ok() {
            std::thread::sleep(Duration::from_millis(200));
        }
        drop(stream);
        answer.join().unwrap()
    })
}

#[test]
fn a_trickling_upload_gives_its_slot_to_a_real_reporter() {
    let deployment = Deployment::new();
    let server = deployment.start(&["--max-uploads", "1"]);
    let started = Instant::now();
    let trickle = trickling_upload(&server.base, 5 * 1024, Duration::from_secs(40));
    std::thread::sleep(Duration::from_millis(300));
    let form = common::multipart(
        &[("body", "a real report with a file"), ("category", "other")],
        &[common::Evidence {
            name: "note.txt",
            content_type: "text/plain",
            bytes: b"the note",
        }],
    );
    loop {
        let (status, text) = read(
            agent()
                .post(&server.url("/api/v1/reports"))
                .set("Content-Type", &common::multipart_type())
                .send_bytes(&form),
        );
        if status == 201 {
            break;
        }
        assert_eq!(status, 503, "{text}");
        assert!(
            started.elapsed() < Duration::from_secs(25),
            "a trickle at 5 KiB/s kept the only slot for {:?}",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let answered = trickle.join().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(35),
        "the trickle went on after losing its slot"
    );
    assert!(
        matches!(answered, None | Some(503)),
        "the trickle was told {answered:?}"
    );
}

#[test]
fn a_trickle_cannot_take_the_slot_of_another() {
    let deployment = Deployment::new();
    let server = deployment.start(&["--max-uploads", "1"]);
    let holder = trickling_upload(&server.base, 5 * 1024, Duration::from_secs(8));
    std::thread::sleep(Duration::from_secs(3));
    let started = Instant::now();
    let newcomer = trickling_upload(&server.base, 5 * 1024, Duration::from_secs(8));
    assert_eq!(
        newcomer.join().unwrap(),
        Some(503),
        "a newcomer as slow as the holder is refused"
    );
    assert!(started.elapsed() < Duration::from_secs(6));
    // The holder was not cut: it ends when it stops sending, 8 s after it began.
    assert_ne!(
        holder.join().unwrap(),
        Some(503),
        "the holder lost its slot"
    );
}

#[test]
fn stalled_newcomers_do_not_keep_a_real_upload_from_a_slot() {
    let deployment = Deployment::new();
    let server = deployment.start(&["--max-uploads", "2"]);
    let _holders: Vec<TcpStream> = (0..2).map(|_| stalled_upload(&server.base)).collect();
    // The holders pass their grace; then newcomers that send nothing more arrive, as an
    // attacker's re-opened uploads do, and wait on probation.
    std::thread::sleep(Duration::from_millis(2500));
    let _newcomers: Vec<TcpStream> = (0..40).map(|_| stalled_upload(&server.base)).collect();
    std::thread::sleep(Duration::from_millis(200));
    let form = common::multipart(
        &[("body", "a real report with a file"), ("category", "other")],
        &[common::Evidence {
            name: "note.txt",
            content_type: "text/plain",
            bytes: b"the note",
        }],
    );
    let (status, text) = read(
        agent()
            .post(&server.url("/api/v1/reports"))
            .set("Content-Type", &common::multipart_type())
            .send_bytes(&form),
    );
    assert_eq!(status, 201, "{text}");
}
