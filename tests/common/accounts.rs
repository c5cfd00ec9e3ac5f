//! Investigator accounts for tests: register, enrol with a TOTP secret, log in with codes
//! computed the way an authenticator app would (`Authenticator`, also the desk harness's),
//! and call the investigator API.

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use quietline::crypto::InvestigatorIdentity;
use serde_json::{Value, json};

use super::{Deployment, Server, agent, json, read};

pub const PASSWORD: &str = "a long investigator passphrase";

/// An enrolled investigator as their own machine knows them. It derefs to its
/// authenticator app, so that a test asks the account itself for a code
/// (`account.next_code()`).
pub struct Account {
    pub name: String,
    pub identity: InvestigatorIdentity,
    pub authenticator: Authenticator,
}

impl Deref for Account {
    type Target = Authenticator;
    fn deref(&self) -> &Authenticator {
        &self.authenticator
    }
}

impl DerefMut for Account {
    fn deref_mut(&mut self) -> &mut Authenticator {
        &mut self.authenticator
    }
}

/// An authenticator app for one account: the TOTP secret and the last step used, since
/// the server accepts each step's code once. Both the API harness (`Account`) and the
/// desk's (`desk::enrol`) use it.
pub struct Authenticator {
    secret: Vec<u8>,
    /// Last TOTP step used, so that each login uses a fresh code. A test that knows a code
    /// was refused unused may step this back to use it again.
    pub last_step: u64,
}

/// TOTP as the server configures it: SHA-1, 6 digits, 30-second steps.
const STEP: u64 = 30;

impl Authenticator {
    /// From the base32 secret the server shows at enrolment.
    pub fn new(encoded_secret: &str) -> Self {
        let secret = totp_rs::Secret::Encoded(encoded_secret.to_owned())
            .to_bytes()
            .unwrap();
        Authenticator {
            secret,
            last_step: 0,
        }
    }

    /// A code to use at once: the earliest step the server accepts (now ± one step) that
    /// has not been used yet, waiting (bounded) for the clock if all are used.
    pub fn next_code(&mut self) -> String {
        self.unused_code(1)
    }

    /// A code that stays valid for at least 30 s, for a process that logs in only after
    /// it has started (the desk decrypts its identity first): the current step's or the
    /// next one's, never one used before.
    pub fn fresh_code(&mut self) -> String {
        self.unused_code(0)
    }

    /// The code of the earliest unused step from `back` steps before the current one to
    /// the next one (the server accepts one step either side); polls (at most 70 s) until
    /// the clock reaches an unused step.
    fn unused_code(&mut self, back: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(70);
        loop {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let current = now / STEP;
            if let Some(step) =
                (current.saturating_sub(back)..=current + 1).find(|&s| s > self.last_step)
            {
                self.last_step = step;
                return totp_rs::TOTP::new_unchecked(
                    totp_rs::Algorithm::SHA1,
                    6,
                    1,
                    STEP,
                    self.secret.clone(),
                )
                .generate(step * STEP);
            }
            assert!(Instant::now() < deadline, "no fresh TOTP step within 70 s");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Registers an investigator with the command line (server stopped or not yet started),
/// confirms their recipient on the host as a single administrator would, and returns the
/// enrolment secret it printed.
pub fn register(deployment: &Deployment, name: &str, role: &str) -> (InvestigatorIdentity, String) {
    let (identity, secret, fingerprint) = propose(deployment, name, role);
    let out = deployment.admin(&["confirm-recipient", "--fingerprint", &fingerprint]);
    assert!(out.status.success(), "{out:?}");
    (identity, secret)
}

/// Registers an investigator with the command line and leaves their recipient waiting
/// for confirmation; returns the identity, the enrolment secret and the fingerprint the
/// command printed.
pub fn propose(
    deployment: &Deployment,
    name: &str,
    role: &str,
) -> (InvestigatorIdentity, String, String) {
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
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let secret = stdout
        .lines()
        .find_map(|l| l.strip_prefix("enrolment secret: "))
        .unwrap_or_else(|| panic!("no enrolment secret in {stdout:?}"))
        .to_owned();
    (identity, secret, super::printed_fingerprint(&out))
}

impl Account {
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
        let mut account = Account {
            name: name.to_owned(),
            identity,
            authenticator: Authenticator::new(&encoded),
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

/// Opens a case through the investigator API and unwraps its key with the account's
/// identity, as the desk does on the investigator's machine.
pub fn open_case(
    server: &Server,
    session: &str,
    account: &Account,
    id: &str,
) -> (Value, quietline::crypto::CaseKey) {
    use base64::Engine as _;
    let (status, detail) = server.inv_get(session, &format!("/cases/{id}"));
    assert_eq!(status, 200, "{detail}");
    let wrap = base64::engine::general_purpose::STANDARD
        .decode(detail["wrap"].as_str().unwrap())
        .unwrap();
    let key = quietline::crypto::CaseKey::unwrap_with(
        &quietline::crypto::Wrap(wrap),
        account.identity.as_age(),
    )
    .unwrap();
    (detail, key)
}

/// A thread entry of the API, decrypted with the case key.
pub fn decrypt(key: &quietline::crypto::CaseKey, entry: &Value) -> Value {
    use base64::Engine as _;
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(entry["ciphertext"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&key.open(&sealed).unwrap()).unwrap()
}

/// Evidence file `blob` of case `id`, downloaded from the investigator API with `session`
/// and decrypted with the case key.
pub fn download(
    server: &Server,
    session: &str,
    key: &quietline::crypto::CaseKey,
    id: &str,
    blob: &str,
) -> Vec<u8> {
    use std::io::Read;
    let response = agent()
        .get(&server.url(&format!(
            "/api/v1/investigator/cases/{id}/attachments/{blob}"
        )))
        .set("Authorization", &format!("Bearer {session}"))
        .call()
        .unwrap();
    let mut bytes = Vec::new();
    key.open_stream(response.into_reader())
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}
