//! Helpers for the full-disk tests: a small tmpfs the test mounts (as root only), a
//! deployment on it, uploads of a given size, and waiting for the server to exit.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use super::store::{Start, try_start};
use super::{BIN, BOUNDARY, Evidence, Server, read};

/// A tmpfs of a fixed size mounted on a temporary directory; unmounted when dropped.
pub struct SmallDisk {
    dir: tempfile::TempDir,
    pub logs: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts a tmpfs of `size` (as `mount -o size=` reads it), or says why it cannot and
    /// returns `None`: the test is then skipped, with the reason printed.
    pub fn mount(size: &str) -> Option<SmallDisk> {
        let uid = Command::new("id").arg("-u").output().ok()?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            eprintln!(
                "SKIPPED: mounting a small tmpfs needs root (CI runs as root); \
                 run `cargo test --test disk` as root to run this test"
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .status();
        if !mounted.is_ok_and(|s| s.success()) {
            eprintln!("SKIPPED: `mount -t tmpfs` failed here (a container without CAP_SYS_ADMIN?)");
            return None;
        }
        Some(SmallDisk {
            dir,
            logs: tempfile::tempdir().unwrap(),
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The data directory, on the small disk, with one enrolled investigator.
    pub fn deployment(&self) -> PathBuf {
        let data = self.path().join("data");
        let recipient = quietline::crypto::InvestigatorIdentity::generate()
            .recipient()
            .to_string();
        let out = Command::new(BIN)
            .args(["admin", "add-investigator", "--data-dir"])
            .arg(&data)
            .args(["--name", "ana", "--recipient", &recipient])
            .output()
            .unwrap();
        assert!(out.status.success(), "add-investigator failed: {out:?}");
        super::confirm_on_host(&data, &out);
        super::enrol_on_own_start(&data, self.logs.path(), "ana", &super::printed_secret(&out));
        data
    }

    /// Starts `serve` on `data` with `QUIETLINE_MIN_FREE_BYTES=min_free` (set through the
    /// environment, so that a build without the setting still runs the test).
    pub fn start(&self, data: &Path, min_free: u64) -> Server {
        let env = format!("QUIETLINE_MIN_FREE_BYTES={min_free}");
        match try_start(data, self.logs.path(), &["env", &env], &[]) {
            Start::Listening(server) => server,
            Start::Refused { said, .. } => panic!("serve refused to start: {said}"),
        }
    }

    /// Bytes free for an unprivileged writer on the small disk.
    pub fn free(&self) -> u64 {
        fs2::available_space(self.path()).unwrap()
    }

    /// Writes a file of `bytes` zero bytes (or as many as fit) at `name` on the disk.
    pub fn fill(&self, name: &str, bytes: u64) -> PathBuf {
        let path = self.path().join(name);
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        let mut written = 0;
        while written < bytes {
            let n = chunk.len().min((bytes - written) as usize);
            if file.write_all(&chunk[..n]).is_err() {
                break;
            }
            written += n as u64;
        }
        let _ = file.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// An agent patient enough to see a hung server out: it waits longer than the service's
/// own watchdog does.
pub fn patient() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(90))
        .redirects(0)
        .build()
}

/// Status and body of a response, or `None` if the connection broke (the server exited).
pub fn try_read(result: Result<ureq::Response, ureq::Error>) -> Option<(u16, String)> {
    match result {
        Err(ureq::Error::Transport(_)) => None,
        other => Some(read(other)),
    }
}

/// Submits a report carrying one evidence file of `size` random-looking bytes.
pub fn upload(server: &Server, size: usize) -> Option<(u16, String)> {
    let mut bytes = vec![0u8; size];
    // Not compressible and not all zeros; content does not matter.
    let mut x: u32 = 0x9e37_79b9;
    for b in bytes.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    let form = super::multipart(
        &[("body", "a report with a file"), ("category", "other")],
        &[Evidence {
            name: "notes.bin",
            content_type: "application/octet-stream",
            bytes: &bytes,
        }],
    );
    try_read(
        patient()
            .post(&server.url("/api/v1/reports"))
            .set(
                "Content-Type",
                &format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .send_bytes(&form),
    )
}

/// Submits a report without files.
pub fn report(server: &Server, body: &str) -> Option<(u16, String)> {
    try_read(
        patient()
            .post(&server.url("/api/v1/reports"))
            .send_json(serde_json::json!({"body": body, "category": "other", "urgent": false})),
    )
}

pub fn healthz(server: &Server) -> Option<(u16, String)> {
    try_read(patient().get(&server.url("/healthz")).call())
}

/// Waits up to `within` for the server to exit by itself; its exit status if it did.
pub fn exited_within(server: &mut Server, within: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends SIGTERM and waits up to `within` for the exit status.
pub fn terminate(server: &mut Server, within: Duration) -> Option<ExitStatus> {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(server.child.id().to_string())
        .status();
    exited_within(server, within)
}

/// How many lines of the server's logs contain `needle`.
pub fn log_lines(server: &Server, needle: &str) -> usize {
    server.logs().lines().filter(|l| l.contains(needle)).count()
}
