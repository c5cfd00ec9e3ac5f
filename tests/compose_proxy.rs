//! PostgreSQL only: the proxy of deploy/compose.yaml (deploy/nginx.compose.conf) in front
//! of two instances on one database, run with the real nginx on 127.0.0.1. The file is
//! used as written; only its addresses, pid file and error log are moved, as
//! `.ci/check-deploy` moves them. Skips, saying why, where PostgreSQL or nginx is missing.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::postgres::cluster_or_skip;
use common::{Deployment, Server, agent, json, read};

/// nginx running one configuration in the foreground; stopped when dropped.
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM, so that the master stops its workers: SIGKILL would leave them running.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn nginx_binary() -> Option<&'static str> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

/// deploy/nginx.compose.conf with the compose addresses replaced by `listen` and the two
/// instances' addresses, and its pid file and error log in `dir`.
fn proxy_config(dir: &Path, listen: &str, a: &str, b: &str) -> String {
    let written = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/nginx.compose.conf"
    ))
    .unwrap();
    let replacements = [
        ("server 172.30.80.11:8080 ", format!("server {a} ")),
        ("server 172.30.80.12:8080 ", format!("server {b} ")),
        ("listen 8080;", format!("listen {listen};")),
        (
            "pid /run/nginx.pid;",
            format!("pid {};", dir.join("nginx.pid").display()),
        ),
        (
            "error_log /var/log/nginx/error.log ",
            format!("error_log {} ", dir.join("error.log").display()),
        ),
    ];
    let mut config = written;
    for (from, to) in replacements {
        assert_eq!(
            config.matches(from).count(),
            1,
            "deploy/nginx.compose.conf no longer has {from:?}; update this test"
        );
        config = config.replace(from, &to);
    }
    config
}

fn start_proxy(nginx: &str, dir: &Path, a: &Server, b: &Server) -> (Nginx, String) {
    let listen = format!("127.0.0.1:{}", common::postgres::free_port());
    let host = |s: &Server| s.base.trim_start_matches("http://").to_owned();
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, proxy_config(dir, &listen, &host(a), &host(b))).unwrap();
    let child = Command::new(nginx)
        .arg("-c")
        .arg(&conf)
        .arg("-e")
        .arg(dir.join("startup.log"))
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let proxy = Nginx(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(&listen).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not listen within 10 s: {}",
            std::fs::read_to_string(dir.join("startup.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (proxy, format!("http://{listen}"))
}

fn submit_through(proxy: &str, body: &str) -> (u16, String) {
    read(agent().post(&format!("{proxy}/api/v1/reports")).send_json(
        serde_json::json!({"body": body, "category": "coercion_or_threat", "urgent": false}),
    ))
}

fn case_through(proxy: &str, token: &str) -> serde_json::Value {
    let (status, reply) = read(
        agent()
            .post(&format!("{proxy}/api/v1/case/session"))
            .send_json(serde_json::json!({ "token": token })),
    );
    assert_eq!(status, 200, "{reply}");
    let session = json(&reply)["session"].as_str().unwrap().to_owned();
    let (status, case) = read(
        agent()
            .get(&format!("{proxy}/api/v1/case"))
            .set("Authorization", &format!("Bearer {session}"))
            .call(),
    );
    assert_eq!(status, 200, "{case}");
    json(&case)
}

/// Reporters reach the service through the proxy whichever instance is lost: no report is
/// refused while the other instance runs, and every acknowledged report opens.
#[test]
fn the_compose_proxy_sends_reporters_to_the_instance_that_is_left() {
    let Some(cluster) = cluster_or_skip() else {
        return;
    };
    let Some(nginx) = nginx_binary() else {
        eprintln!("SKIPPED: this test needs nginx (Debian's nginx package)");
        return;
    };
    let a = Deployment::on_database(&cluster.fresh_database());
    let b = a.another_instance();
    let server_a = a.start(&[]);
    let server_b = b.start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (_proxy, proxy) = start_proxy(nginx, dir.path(), &server_a, &server_b);

    let mut acknowledged = Vec::new();
    let mut submit = |label: &str, n: usize| {
        for i in 0..n {
            let body = format!("{label} {i}");
            let (status, reply) = submit_through(&proxy, &body);
            assert_eq!(status, 201, "{label} {i}: {reply}");
            acknowledged.push((json(&reply)["token"].as_str().unwrap().to_owned(), body));
        }
    };
    submit("both running", 6);
    server_a.kill();
    // Round robin sends every second request to A, whose port now refuses: each must
    // go to B instead, not come back as an error.
    submit("A killed", 6);

    for (token, body) in &acknowledged {
        assert_eq!(
            case_through(&proxy, token)["messages"][0]["body"],
            body.as_str()
        );
    }
    server_b.stop();
}
