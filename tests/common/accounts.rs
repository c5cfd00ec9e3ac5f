//! Investigator accounts for tests: register, enrol with a TOTP secret, log in with codes
//! computed the way an authenticator app would, and call the investigator API.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use quietline::crypto::InvestigatorIdentity;
use serde_json::{Value, json};

use super::{Deployment, Server, agent, json, read};

pub const PASSWORD: &str = "a long investigator passphrase";

/// An enrolled investigator as their own machine knows them.
pub struct Account {
    pub name: String,
    pub identity: InvestigatorIdentity,
    pub totp_secret: Vec<u8>,
    /// Last TOTP step used, so that each login uses a fresh code.
    pub last_step: u64,
}

/// Registers an investigator with the command line (server stopped or not yet started)
/// and returns the enrolment secret it prints.
pub fn register(deployment: &Deployment, name: &str, role: &str) -> (InvestigatorIdentity, String) {
    let identity = InvestigatorIdentity::generate();
    let recipient = identity.recipient().to_string();
    let out = deployment.admin(&[
        "add-investigator",
        "--name",
        name,
        "--recipient",
        &recipient,
        "--role",
        role,
    ]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let secret = stdout
        .lines()
        .find_map(|l| l.strip_prefix("enrolment secret: "))
        .unwrap_or_else(|| panic!("no enrolment secret in {stdout:?}"))
        .to_owned();
    (identity, secret)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn code_at(secret: &[u8], step: u64) -> String {
    totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, secret.to_vec())
        .generate(step * 30)
}

impl Account {
    /// A fresh code: the earliest step the server accepts (now ± one step) that this
    /// account has not used yet, waiting (bounded) for the clock if all are used.
    pub fn next_code(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(70);
        loop {
            let current = now() / 30;
            if let Some(step) = [current.saturating_sub(1), current, current + 1]
                .into_iter()
                .find(|&s| s > self.last_step)
            {
                self.last_step = step;
                return code_at(&self.totp_secret, step);
            }
            assert!(Instant::now() < deadline, "no fresh TOTP step within 70 s");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Enrols through the API: sets the password, receives the TOTP secret, confirms it.
    pub fn enrol(
        server: &Server,
        name: &str,
        identity: InvestigatorIdentity,
        secret: &str,
    ) -> Account {
        let (status, reply) = server.post_json(
            "/api/v1/investigator/enrol",
            &json!({"name": name, "enrolment_secret": secret, "password": PASSWORD}),
        );
        assert_eq!(status, 200, "{reply}");
        let encoded = reply["totp_secret"].as_str().unwrap().to_owned();
        assert!(reply["otpauth_uri"].as_str().unwrap().contains(&encoded));
        let totp_secret = totp_rs::Secret::Encoded(encoded).to_bytes().unwrap();
        let mut account = Account {
            name: name.to_owned(),
            identity,
            totp_secret,
            last_step: 0,
        };
        let code = account.next_code();
        let (status, reply) = server.post_json(
            "/api/v1/investigator/enrol/confirm",
            &json!({"name": name, "enrolment_secret": secret, "code": code}),
        );
        assert_eq!(status, 204, "{reply}");
        account
    }

    /// Logs in and returns the session id.
    pub fn login(&mut self, server: &Server) -> String {
        let code = self.next_code();
        let (status, reply) = server.post_json(
            "/api/v1/investigator/login",
            &json!({"name": self.name, "password": PASSWORD, "code": code}),
        );
        assert_eq!(status, 200, "{reply}");
        reply["session"].as_str().unwrap().to_owned()
    }
}

impl Server {
    /// GET on the investigator API with a bearer session.
    pub fn inv_get(&self, session: &str, path: &str) -> (u16, Value) {
        let (status, text) = read(
            agent()
                .get(&self.url(&format!("/api/v1/investigator{path}")))
                .set("Authorization", &format!("Bearer {session}"))
                .call(),
        );
        (
            status,
            if text.is_empty() {
                Value::Null
            } else {
                json(&text)
            },
        )
    }

    /// POST (JSON) on the investigator API with a bearer session.
    pub fn inv_post(&self, session: &str, path: &str, body: &Value) -> (u16, Value) {
        let (status, text) = read(
            agent()
                .post(&self.url(&format!("/api/v1/investigator{path}")))
                .set("Authorization", &format!("Bearer {session}"))
                .send_json(body.clone()),
        );
        (
            status,
            if text.is_empty() {
                Value::Null
            } else {
                json(&text)
            },
        )
    }
}
