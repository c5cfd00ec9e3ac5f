//! Uploads 1 GiB of evidence to a real `quietline serve` (release build) on 127.0.0.1 and
//! prints the throughput and the service's peak memory (VmHWM), to show that uploads are
//! streamed: memory must stay flat whatever the file size. Printed, not asserted.
//! Run with `cargo bench --bench evidence`.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_quietline");
const SIZE: u64 = 1 << 30;
const BOUNDARY: &str = "----quietline-bench-boundary";

/// Bytes produced on the fly, so the client holds no more of the file than the service.
struct Pattern {
    left: u64,
    counter: u64,
}

impl Read for Pattern {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = (out.len() as u64).min(self.left) as usize;
        for byte in &mut out[..n] {
            self.counter = self
                .counter
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1);
            *byte = (self.counter >> 56) as u8;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn peak_memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let recipient = quietline::crypto::InvestigatorIdentity::generate()
        .recipient()
        .to_string();
    let added = Command::new(BIN)
        .args([
            "admin",
            "add-investigator",
            "--name",
            "bench",
            "--recipient",
            &recipient,
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let mut server = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--max-file-bytes",
            "2147483648",
            "--max-evidence-bytes",
            "2147483648",
            "--data-dir",
        ])
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut stdout = std::io::BufReader::new(server.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_owned();
    let idle = peak_memory_kib(server.id());

    let mut head = Vec::new();
    for (name, value) in [("body", "a long recording"), ("category", "other")] {
        write!(
            head,
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
        .unwrap();
    }
    write!(
        head,
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"recording.mp4\"\r\nContent-Type: video/mp4\r\n\r\n"
    )
    .unwrap();
    let tail = format!("\r\n--{BOUNDARY}--\r\n");
    let body = std::io::Cursor::new(head)
        .chain(Pattern {
            left: SIZE,
            counter: 7,
        })
        .chain(std::io::Cursor::new(tail.into_bytes()));

    let started = Instant::now();
    let response = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(1800))
        .build()
        .post(&format!("{base}/api/v1/reports"))
        .set(
            "Content-Type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .send(body);
    let took = started.elapsed();
    let status = match response {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(e) => panic!("upload failed: {e}"),
    };
    let peak = peak_memory_kib(server.id());
    let blobs: u64 = std::fs::read_dir(data.join("blobs"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    let _ = server.kill();
    let _ = server.wait();

    println!(
        "uploaded 1 GiB of evidence: HTTP {status} in {:.1} s",
        took.as_secs_f64()
    );
    println!(
        "throughput: {:.0} MiB/s (clean + age-encrypt + write + fsync)",
        SIZE as f64 / (1024.0 * 1024.0) / took.as_secs_f64()
    );
    println!(
        "service peak resident memory: {} MiB (at start: {} MiB)",
        peak.map_or("?".into(), |k| (k / 1024).to_string()),
        idle.map_or("?".into(), |k| (k / 1024).to_string())
    );
    println!(
        "stored ciphertext: {:.1} MiB",
        blobs as f64 / (1024.0 * 1024.0)
    );
}
