//! Helpers for the durability tests: start `serve` when it may refuse to start, submit
//! reports with evidence, and look at what is on disk.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{BIN, BOUNDARY, Evidence, FAST_KDF, Server, agent, json, read};

pub const PHOTO: &[u8] = include_bytes!("../fixtures/evidence/photo.jpg");

/// How an attempt to start `serve` ended.
pub enum Start {
    Listening(Server),
    /// The process exited before listening, with this status and what it printed.
    Refused {
        success: bool,
        said: String,
    },
}

impl Start {
    pub fn listening(self) -> Server {
        match self {
            Start::Listening(server) => server,
            Start::Refused { said, .. } => panic!("serve refused to start: {said}"),
        }
    }

    pub fn refusal(self) -> String {
        match self {
            Start::Listening(server) => {
                let said = server.logs();
                panic!("serve started, but should have refused: {said}")
            }
            Start::Refused { success, said } => {
                assert!(!success, "serve exited with success: {said}");
                said
            }
        }
    }
}

/// Starts `quietline serve` (optionally under `wrapper`, such as strace) and waits, for
/// at most 30 seconds, until it either listens or exits. Its store is the suite's for
/// `data_dir` (see `postgres.rs`).
pub fn try_start(data_dir: &Path, log_dir: &Path, wrapper: &[&str], extra: &[&str]) -> Start {
    let database = super::postgres::database_for(data_dir);
    try_start_on(data_dir, database.as_deref(), log_dir, wrapper, extra)
}

/// [`try_start`] with its store in `database` if given, else sled in `data_dir`.
pub fn try_start_on(
    data_dir: &Path,
    database: Option<&str>,
    log_dir: &Path,
    wrapper: &[&str],
    extra: &[&str],
) -> Start {
    let n = std::fs::read_dir(log_dir).map(|d| d.count()).unwrap_or(0);
    let stdout = log_dir.join(format!("serve-{n}.stdout"));
    let stderr = log_dir.join(format!("serve-{n}.stderr"));
    let mut command = match wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(BIN);
            c
        }
        None => Command::new(BIN),
    };
    let child = command
        .arg("serve")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--data-dir")
        .arg(data_dir)
        .args(
            database
                .map(|url| ["--database-url", url])
                .into_iter()
                .flatten(),
        )
        .args(FAST_KDF)
        .args(extra)
        .env("QUIETLINE_LOG", "info")
        .stdout(Stdio::from(File::create(&stdout).unwrap()))
        .stderr(Stdio::from(File::create(&stderr).unwrap()))
        .spawn()
        .unwrap();
    let mut server = Server {
        child,
        base: String::new(),
        stdout,
        stderr,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = std::fs::read_to_string(&server.stdout).unwrap_or_default();
        if let Some(rest) = out.split("listening on ").nth(1) {
            server.base = rest.lines().next().unwrap().trim().to_owned();
            return Start::Listening(server);
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            return Start::Refused {
                success: status.success(),
                said: server.logs(),
            };
        }
        assert!(
            Instant::now() < deadline,
            "serve neither listened nor exited"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Submits a report carrying one photo; returns its token.
pub fn submit_with_photo(server: &Server, body: &str) -> String {
    let form = super::multipart(
        &[("body", body), ("category", "coercion_or_threat")],
        &[Evidence {
            name: "photo.jpg",
            content_type: "image/jpeg",
            bytes: PHOTO,
        }],
    );
    let (status, reply) = read(
        agent()
            .post(&server.url("/api/v1/reports"))
            .set(
                "Content-Type",
                &format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .send_bytes(&form),
    );
    assert_eq!(status, 201, "{reply}");
    json(&reply)["token"].as_str().unwrap().to_owned()
}

/// The status a reporter gets when opening a case with `token`.
pub fn open_status(server: &Server, token: &str) -> u16 {
    let (status, _) = server.post_json(
        "/api/v1/case/session",
        &serde_json::json!({ "token": token }),
    );
    status
}

/// Every entry directly under `dir`, sorted.
pub fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(d) => d.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    };
    found.sort();
    found
}

/// Copies a directory tree (files and directories only).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Unix permission bits of a path.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}
