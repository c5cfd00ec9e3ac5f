//! Investigator accounts: registration by an administrator, enrolment (password and TOTP),
//! login, sessions, and disabling or removing an account.
//!
//! A session id is handed to the investigator once; the store keeps only its SHA-256
//! digest. Every function blocks (argon2, fsync): async callers run them off the runtime.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::clock::Clock;
use super::error::{Error, Result};
use super::record_audit;
use super::throttle::Throttle;
use crate::api::{EnrolResponse, InvestigatorWire};
use crate::audit::Action;
use crate::case::{Role, is_valid_investigator_name};
use crate::crypto::{
    CaseToken, InvestigatorRecipient, KdfMemory, KdfParams, MIN_PASSWORD_CHARS, PasswordHash,
    SessionId, TotpSecret,
};
use crate::store::{Credentials, InvestigatorRecord, Store};

mod live;
mod recipients;
pub use live::{InvestigatorSessions, MemorySessions};
pub use recipients::Confirmer;

/// How long investigator sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle: Duration,
    pub max: Duration,
}

/// A logged-in investigator, as handlers see them.
#[derive(Clone)]
pub struct Investigator {
    pub name: String,
    pub role: Role,
    digest: [u8; 32],
}

impl Investigator {
    pub fn require_admin(&self) -> Result<()> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Investigator => Err(Error::Forbidden),
        }
    }
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Normalises a typed enrolment secret the way tokens are: no case, spaces or hyphens.
fn normalise_secret(typed: &str) -> Zeroizing<String> {
    Zeroizing::new(
        typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    )
}

/// The TOTP step `code` is valid in for an account, if it is later than the last one
/// the account used.
fn totp_step(credentials: &Credentials, code: &str, now: u64) -> Option<u64> {
    let secret = TotpSecret::from_bytes(credentials.totp_secret.as_ref()?);
    secret.accepts(code, now, credentials.last_totp_step)
}

pub struct Accounts {
    store: Arc<dyn Store>,
    /// Live sessions: in memory on sled, in the database on PostgreSQL (`live.rs`).
    live: Box<dyn InvestigatorSessions>,
    clock: Arc<dyn Clock>,
    password_params: KdfParams,
    /// Checked when a name is unknown, so that an unknown name costs the same argon2 run
    /// as a wrong password.
    decoy: PasswordHash,
    sessions: SessionLimits,
    throttle: Throttle,
}

impl Accounts {
    pub fn new(
        store: Arc<dyn Store>,
        password_params: KdfParams,
        sessions: SessionLimits,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        Ok(Accounts {
            decoy: PasswordHash::decoy(password_params)?,
            store,
            clock,
            password_params,
            sessions,
            throttle: Throttle::default(),
            live: Box::new(MemorySessions::default()),
        })
    }

    /// The same service with its login throttle counting in `failures` (the database's,
    /// when several instances share one) under the deployment's `key`, so that failures
    /// made on any instance count on all.
    pub fn with_shared_throttle(
        mut self,
        failures: Box<dyn super::throttle::SharedLoginFailures>,
        key: super::throttle::NameKey,
    ) -> Self {
        self.throttle = Throttle::shared(failures, key);
        self
    }

    /// The same service with its sessions kept in `sessions` (the database's, when
    /// several instances share one) instead of this process's memory.
    pub fn with_sessions(mut self, sessions: Box<dyn InvestigatorSessions>) -> Self {
        self.live = sessions;
        self
    }

    fn audit(&self, actor: &str, action: Action, detail: &str) -> Result<()> {
        record_audit(&*self.store, &*self.clock, actor, action, None, detail)
    }

    /// The recovery recipient and its fingerprint, for the desk to show.
    pub fn recovery_recipient(&self) -> Result<crate::api::RecoveryRecipientWire> {
        let recipient = self
            .store
            .recovery_recipient()?
            .map(|r| InvestigatorRecipient::parse(&r))
            .transpose()
            .map_err(Error::BadRecipient)?;
        Ok(crate::api::RecoveryRecipientWire {
            fingerprint: recipient.as_ref().map(InvestigatorRecipient::fingerprint),
            recipient: recipient.map(|r| r.to_string()),
        })
    }

    /// The audit chain's length and head, and where `known` (a head a desk saw earlier)
    /// sits in it. A chain that does not verify is reported, not an error: the desk must
    /// be able to say so loudly.
    pub fn audit_head(&self, known: Option<&[u8; 32]>) -> Result<crate::api::AuditHeadWire> {
        let hex = |h: &[u8; 32]| h.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let entries = self.store.audit_entries()?;
        let checked = crate::audit::verify_expecting(entries, known.unwrap_or(&[0; 32]));
        Ok(match checked {
            Ok(checked) => crate::api::AuditHeadWire {
                count: checked.count,
                head: hex(&checked.head),
                known_at: known.and(checked.expected_at),
                broken: None,
            },
            Err(e) => crate::api::AuditHeadWire {
                count: 0,
                head: String::new(),
                known_at: None,
                broken: Some(e.to_string()),
            },
        })
    }

    /// Registers an investigator and returns the one-time enrolment secret to hand them.
    /// Their recipient waits for a second administrator (see `recipients`) before new
    /// cases are wrapped to it; a demo's throwaway account does not.
    pub fn add_investigator(
        &self,
        actor: &str,
        name: &str,
        recipient: &str,
        role: Role,
        demo: bool,
    ) -> Result<Zeroizing<String>> {
        if !is_valid_investigator_name(name) {
            return Err(Error::BadName);
        }
        let recipient = InvestigatorRecipient::parse(recipient).map_err(Error::BadRecipient)?;
        self.store.check_writable(self.clock.today())?;
        let secret = CaseToken::generate().grouped();
        let fingerprint = recipient.fingerprint();
        self.store.add_investigator(InvestigatorRecord {
            name: name.to_owned(),
            recipient,
            role,
            enabled: true,
            demo,
            added: self.clock.today(),
            credentials: Credentials {
                enrolment_digest: Some(digest(&normalise_secret(&secret))),
                ..Credentials::default()
            },
            // A demo's throwaway account has nobody to confirm it, and reads no real case.
            proposed_by: (!demo).then(|| actor.to_owned()),
            alert_address: None,
            alert_digests: false,
        })?;
        self.audit(actor, Action::InvestigatorAdded, name)?;
        if !demo {
            let detail = format!("investigator {name}: {fingerprint}");
            self.audit(actor, Action::RecipientProposed, &detail)?;
        }
        Ok(secret)
    }

    fn check_enrolment(&self, name: &str, secret: &str) -> Result<InvestigatorRecord> {
        let record = self
            .store
            .investigator(name)?
            .ok_or(Error::EnrolmentFailed)?;
        let expected = record
            .credentials
            .enrolment_digest
            .ok_or(Error::EnrolmentFailed)?;
        let given = digest(&normalise_secret(secret));
        if !bool::from(given.ct_eq(&expected)) || !record.enabled {
            return Err(Error::EnrolmentFailed);
        }
        Ok(record)
    }

    /// First step of enrolment: sets the password and makes a TOTP secret.
    pub fn enrol(
        &self,
        name: &str,
        secret: &str,
        password: &str,
        memory: &mut KdfMemory,
    ) -> Result<EnrolResponse> {
        let now = self.clock.now();
        if self.throttle.wait_needed(name, now).is_some() {
            return Err(Error::EnrolmentFailed);
        }
        let record = self
            .check_enrolment(name, secret)
            .inspect_err(|_| self.throttle.failed(name, now))?;
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(Error::WeakPassword);
        }
        let hash = PasswordHash::new_in(password, self.password_params, memory)?;
        let totp = TotpSecret::generate();
        self.store.update_investigator(&record.name, &mut |r| {
            r.credentials.password = Some(hash.clone());
            r.credentials.totp_secret = Some(totp.as_bytes().to_vec());
            r.credentials.totp_confirmed = false;
        })?;
        Ok(EnrolResponse {
            otpauth_uri: totp.otpauth_uri(name).to_string(),
            totp_secret: totp.base32().to_string(),
        })
    }

    /// Second step: a code from the authenticator proves it holds the secret.
    pub fn confirm_enrolment(&self, name: &str, secret: &str, code: &str) -> Result<()> {
        let now = self.clock.now();
        let record = self
            .check_enrolment(name, secret)
            .inspect_err(|_| self.throttle.failed(name, now))?;
        let Some(step) = totp_step(&record.credentials, code, now) else {
            self.throttle.failed(name, now);
            return Err(Error::EnrolmentFailed);
        };
        self.store.update_investigator(name, &mut |r| {
            r.credentials.totp_confirmed = true;
            r.credentials.enrolment_digest = None;
            r.credentials.last_totp_step = step;
        })?;
        self.audit(name, Action::Enrolled, "")?;
        Ok(())
    }

    /// Password and TOTP login. Every failure looks the same and costs the same argon2
    /// run, whether or not the name exists. A correct password and code are never
    /// refused, however many attempts failed before in this name: failures are slowed
    /// down instead ([`Accounts::failure_delay`]), so nobody can lock an investigator out.
    pub fn login(
        &self,
        name: &str,
        password: &str,
        code: &str,
        memory: &mut KdfMemory,
    ) -> Result<(SessionId, Investigator)> {
        let now = self.clock.now();
        let record = self.store.investigator(name)?;
        let hash = record
            .as_ref()
            .and_then(|r| r.credentials.password.as_ref())
            .unwrap_or(&self.decoy);
        let password_ok = hash.verify(password, memory);
        let step = record
            .as_ref()
            .filter(|r| r.can_log_in() && password_ok)
            .and_then(|r| totp_step(&r.credentials, code, now));
        let (Some(record), Some(step)) = (record, step) else {
            return self.login_failed(name, now);
        };
        // The step is taken atomically: of several logins with the same code at once,
        // only the first moves the account's last step forward; the others fail.
        let mut taken = false;
        self.store.update_investigator(name, &mut |r| {
            taken = r.credentials.last_totp_step < step;
            if taken {
                r.credentials.last_totp_step = step;
            }
        })?;
        if !taken {
            return self.login_failed(name, now);
        }
        self.throttle.succeeded(name);
        let id = SessionId::generate();
        let digest = *id.digest().as_bytes();
        self.live.open(&digest, &record.name, now, self.sessions)?;
        self.audit(name, Action::Login, "")?;
        Ok((
            id,
            Investigator {
                name: record.name,
                role: record.role,
                digest,
            },
        ))
    }

    fn login_failed<T>(&self, name: &str, now: u64) -> Result<T> {
        self.throttle.failed(name, now);
        if self.store.investigator(name)?.is_some() {
            self.audit(name, Action::LoginFailed, "")?;
        }
        Err(Error::LoginFailed)
    }

    /// Seconds to hold back the answer to a failed login in `name`, so that guessing is
    /// slow. The caller waits without holding a thread. Blocks (the database's counts).
    pub fn failure_delay(&self, name: &str) -> u64 {
        self.throttle.failure_delay(name, self.clock.now())
    }

    /// The investigator behind a session id, if the session is live and they may still
    /// act. Each use renews the idle limit.
    pub fn session(&self, id: &SessionId) -> Result<Investigator> {
        let digest = *id.digest().as_bytes();
        let now = self.clock.now();
        let name = self
            .live
            .touch(&digest, now, self.sessions)?
            .ok_or(Error::NoSession)?;
        let Some(record) = self.store.investigator(&name)?.filter(|r| r.enabled) else {
            self.live.end(&digest)?;
            return Err(Error::NoSession);
        };
        Ok(Investigator {
            name: record.name,
            role: record.role,
            digest,
        })
    }

    pub fn logout(&self, who: &Investigator) -> Result<()> {
        self.live.end(&who.digest)?;
        self.audit(&who.name, Action::Logout, "")
    }

    pub fn admin_add(
        &self,
        who: &Investigator,
        name: &str,
        recipient: &str,
        role: Role,
    ) -> Result<Zeroizing<String>> {
        who.require_admin()?;
        self.add_investigator(&who.name, name, recipient, role, false)
    }

    /// Disables an investigator and ends their sessions at once.
    pub fn disable(&self, actor: &str, name: &str) -> Result<()> {
        self.store
            .update_investigator(name, &mut |r| r.enabled = false)?;
        self.live.end_all_of(name)?;
        self.audit(actor, Action::InvestigatorDisabled, name)
    }

    pub fn admin_disable(&self, who: &Investigator, name: &str) -> Result<()> {
        who.require_admin()?;
        self.disable(&who.name, name)
    }

    /// Removes an investigator with their wraps and sessions; returns whether they existed.
    pub fn remove(&self, actor: &str, name: &str) -> Result<bool> {
        let existed = self.store.remove_investigator(name)?;
        self.live.end_all_of(name)?;
        if existed {
            self.audit(actor, Action::InvestigatorRemoved, name)?;
        }
        Ok(existed)
    }

    pub fn admin_remove(&self, who: &Investigator, name: &str) -> Result<()> {
        who.require_admin()?;
        if self.remove(&who.name, name)? {
            Ok(())
        } else {
            Err(Error::NoSuchInvestigator(name.to_owned()))
        }
    }

    pub fn investigators(&self) -> Result<Vec<InvestigatorWire>> {
        Ok(self
            .store
            .investigators()?
            .into_iter()
            .map(|i| InvestigatorWire {
                role: i.role.as_str().to_owned(),
                name: i.name,
                recipient: i.recipient.to_string(),
                enabled: i.enabled,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{InvestigatorIdentity, TOTP_STEP_SECONDS};
    use crate::service::clock::ManualClock;
    use crate::store::SledStore;

    const PASSWORD: &str = "correct horse battery";

    struct Fixture {
        _dir: tempfile::TempDir,
        clock: Arc<ManualClock>,
        accounts: Accounts,
        totp: TotpSecret,
    }

    /// An enrolled investigator "ana" whose sessions idle out after 10 minutes and end
    /// an hour after login.
    fn enrolled() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
        let clock = ManualClock::at(1_800_000_000);
        let params = KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        };
        let limits = SessionLimits {
            idle: Duration::from_secs(600),
            max: Duration::from_secs(3600),
        };
        let accounts = Accounts::new(store, params, limits, clock.clone()).unwrap();
        let recipient = InvestigatorIdentity::generate().recipient().to_string();
        let secret = accounts
            .add_investigator("admin-cli", "ana", &recipient, Role::Investigator, false)
            .unwrap();
        let enrolled = accounts
            .enrol("ana", &secret, PASSWORD, &mut KdfMemory::new())
            .unwrap();
        let bytes = totp_rs::Secret::Encoded(enrolled.totp_secret)
            .to_bytes()
            .unwrap();
        let totp = TotpSecret::from_bytes(&bytes);
        let code = totp.code_at_step(clock.now() / TOTP_STEP_SECONDS);
        accounts.confirm_enrolment("ana", &secret, &code).unwrap();
        Fixture {
            _dir: dir,
            clock,
            accounts,
            totp,
        }
    }

    impl Fixture {
        /// Logs in with the code of the next step, as a person would a little later.
        fn login(&self) -> Result<(SessionId, Investigator)> {
            self.clock.advance(TOTP_STEP_SECONDS);
            let code = self.totp.code_at_step(self.clock.now() / TOTP_STEP_SECONDS);
            self.accounts
                .login("ana", PASSWORD, &code, &mut KdfMemory::new())
        }
    }

    #[test]
    fn a_session_ends_after_the_idle_limit_and_each_use_renews_it() {
        let f = enrolled();
        let (id, _) = f.login().unwrap();
        f.clock.advance(590);
        assert_eq!(f.accounts.session(&id).unwrap().name, "ana");
        f.clock.advance(590);
        assert!(
            f.accounts.session(&id).is_ok(),
            "the use renewed the idle limit"
        );
        f.clock.advance(600);
        assert!(matches!(f.accounts.session(&id), Err(Error::NoSession)));
    }

    #[test]
    fn a_session_ends_at_the_absolute_limit_however_often_it_is_used() {
        let f = enrolled();
        let (id, _) = f.login().unwrap();
        for _ in 0..7 {
            f.clock.advance(500);
            assert!(f.accounts.session(&id).is_ok());
        }
        f.clock.advance(500);
        assert!(matches!(f.accounts.session(&id), Err(Error::NoSession)));
    }

    #[test]
    fn a_code_works_once() {
        let f = enrolled();
        f.login().unwrap();
        let code = f.totp.code_at_step(f.clock.now() / TOTP_STEP_SECONDS);
        assert!(matches!(
            f.accounts
                .login("ana", PASSWORD, &code, &mut KdfMemory::new()),
            Err(Error::LoginFailed)
        ));
    }

    #[test]
    fn failed_logins_are_slowed_down_but_never_lock_the_right_credentials_out() {
        let f = enrolled();
        for _ in 0..10 {
            assert!(matches!(
                f.accounts
                    .login("ana", "wrong password", "000000", &mut KdfMemory::new()),
                Err(Error::LoginFailed)
            ));
        }
        assert!(f.accounts.failure_delay("ana") > 0);
        assert!(f.login().is_ok(), "the right password and code at once");
        assert_eq!(
            f.accounts.failure_delay("ana"),
            0,
            "success clears the record"
        );
    }

    #[test]
    fn disabling_an_account_ends_its_sessions() {
        let f = enrolled();
        let (id, _) = f.login().unwrap();
        f.accounts.disable("admin-cli", "ana").unwrap();
        assert!(matches!(f.accounts.session(&id), Err(Error::NoSession)));
    }
}
