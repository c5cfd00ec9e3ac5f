//! Age keys: per-case keys, their wraps, and the identities that can open the wraps.
//!
//! Everything in a case thread is encrypted to the case recipient. The case identity is
//! stored only wrapped: age-encrypted once per holder (the reporter identity, each
//! investigator with access). Granting access is one more wrap; removing it deletes one.

use std::str::FromStr;

use age::secrecy::ExposeSecret;
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("encryption failed: {0}")]
    Encrypt(#[from] age::EncryptError),
    #[error("decryption failed: {0}")]
    Decrypt(#[from] age::DecryptError),
    #[error("a wrap did not hold a case key")]
    BadWrap,
    #[error("not an age recipient (expected age1...): {0}")]
    BadRecipient(String),
    #[error("not an age identity (expected AGE-SECRET-KEY-1...)")]
    BadIdentity,
}

/// A case key wrapped to one holder: age ciphertext of the case identity.
#[derive(Clone)]
pub struct Wrap(pub Vec<u8>);

/// The per-case age identity. Lives in memory only while a request that needs it runs.
pub struct CaseKey(age::x25519::Identity);

impl CaseKey {
    pub fn generate() -> Self {
        CaseKey(age::x25519::Identity::generate())
    }

    /// Encrypts the case identity to one holder.
    pub fn wrap_to(&self, holder: &dyn age::Recipient) -> Result<Wrap, CryptoError> {
        let secret = self.0.to_string();
        let encryptor = age::Encryptor::with_recipients(std::iter::once(holder))?;
        let mut out = Vec::new();
        let mut writer = encryptor.wrap_output(&mut out).map_err(io_encrypt)?;
        std::io::Write::write_all(&mut writer, secret.expose_secret().as_bytes())
            .map_err(io_encrypt)?;
        writer.finish().map_err(io_encrypt)?;
        Ok(Wrap(out))
    }

    /// Opens a wrap with an identity that holds it.
    pub fn unwrap_with(wrap: &Wrap, holder: &dyn age::Identity) -> Result<Self, CryptoError> {
        let decryptor = age::Decryptor::new_buffered(&wrap.0[..])?;
        let mut reader = decryptor.decrypt(std::iter::once(holder))?;
        let mut text = Zeroizing::new(String::new());
        std::io::Read::read_to_string(&mut reader, &mut text).map_err(|_| CryptoError::BadWrap)?;
        let identity =
            age::x25519::Identity::from_str(text.trim()).map_err(|_| CryptoError::BadWrap)?;
        Ok(CaseKey(identity))
    }

    /// A value only holders of this case key can compute, the same each time: what a
    /// shared session table is keyed by to keep one session per case, without naming the
    /// case to a copy of the database.
    pub fn session_slot(&self) -> [u8; 32] {
        let secret = self.0.to_string();
        let mut slot = [0u8; 32];
        hkdf::Hkdf::<sha2::Sha256>::new(
            Some(b"quietline session slot v1"),
            secret.expose_secret().as_bytes(),
        )
        .expand(b"case", &mut slot)
        // Infallible: 32 bytes is far below HKDF-SHA256's limit.
        .expect("32 bytes of HKDF output");
        slot
    }

    /// The public half, to encrypt evidence files to this case as they stream in.
    pub fn recipient(&self) -> CaseRecipient {
        CaseRecipient(self.0.to_public())
    }

    /// Decrypts a stream sealed with [`CaseRecipient::seal_stream`] (an evidence file), in
    /// constant memory.
    pub fn open_stream<R: std::io::Read>(
        &self,
        input: R,
    ) -> Result<age::stream::StreamReader<R>, CryptoError> {
        let decryptor = age::Decryptor::new(input)?;
        Ok(decryptor.decrypt(std::iter::once(&self.0 as &dyn age::Identity))?)
    }

    /// Encrypts one thread entry to this case.
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        Ok(age::encrypt(&self.0.to_public(), plaintext)?)
    }

    /// Decrypts one thread entry of this case.
    pub fn open(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        Ok(Zeroizing::new(age::decrypt(&self.0, ciphertext)?))
    }
}

/// A case's public key: what evidence files are encrypted to while they upload.
#[derive(Clone)]
pub struct CaseRecipient(age::x25519::Recipient);

impl CaseRecipient {
    /// A writer that encrypts everything written to it into `output`; call `finish` on it
    /// at the end, or the file is unreadable.
    pub fn seal_stream<W: std::io::Write>(
        &self,
        output: W,
    ) -> Result<age::stream::StreamWriter<W>, CryptoError> {
        let encryptor =
            age::Encryptor::with_recipients(std::iter::once(&self.0 as &dyn age::Recipient))?;
        encryptor.wrap_output(output).map_err(io_encrypt)
    }
}

fn io_encrypt(e: std::io::Error) -> CryptoError {
    CryptoError::Encrypt(age::EncryptError::Io(e))
}

/// The reporter's age identity, derived from the token (see `kdf`). Its only use is to
/// open the reporter's wrap of the case key.
pub struct ReporterIdentity(age::x25519::Identity);

impl ReporterIdentity {
    /// Builds an age identity from 32 derived bytes. age parses identities only from their
    /// Bech32 text, so the bytes go through that text, held in zeroizing memory.
    pub(crate) fn from_bytes(bytes: &[u8; 32]) -> Self {
        let hrp = bech32::Hrp::parse_unchecked("age-secret-key-");
        let mut text = Zeroizing::new(String::with_capacity(80));
        // Infallible: writing to a String cannot fail and 32 bytes fit a Bech32 string.
        bech32::encode_upper_to_fmt::<bech32::Bech32, _>(&mut *text, hrp, bytes)
            .expect("32 bytes encode as Bech32");
        let identity = age::x25519::Identity::from_str(&text)
            .expect("a Bech32 string with the age hrp is an age identity");
        ReporterIdentity(identity)
    }

    pub fn recipient(&self) -> age::x25519::Recipient {
        self.0.to_public()
    }

    pub fn as_age(&self) -> &dyn age::Identity {
        &self.0
    }
}

/// An investigator's public key, the only part of their identity the server ever holds.
#[derive(Clone)]
pub struct InvestigatorRecipient(age::x25519::Recipient);

impl InvestigatorRecipient {
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        age::x25519::Recipient::from_str(text.trim())
            .map(InvestigatorRecipient)
            .map_err(|e| CryptoError::BadRecipient(e.to_string()))
    }

    pub fn as_age(&self) -> &dyn age::Recipient {
        &self.0
    }

    /// A short form to read out over a second channel (a phone call) and compare with
    /// what the desk shows: the first 16 hex digits of SHA-256 of the `age1...` text, in
    /// groups of four (`3f2a 9c41 07be d5e8`).
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(self.to_string().as_bytes());
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let groups: Vec<&str> = (0..4).map(|i| &hex[4 * i..4 * i + 4]).collect();
        groups.join(" ")
    }
}

impl std::fmt::Display for InvestigatorRecipient {
    /// Public key text (`age1...`): safe to print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// An investigator's private identity. It exists on the investigator's own machine only
/// (`quietline keygen`, the desk, and the throwaway identity of `serve --demo`).
pub struct InvestigatorIdentity(age::x25519::Identity);

impl InvestigatorIdentity {
    pub fn generate() -> Self {
        InvestigatorIdentity(age::x25519::Identity::generate())
    }

    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("AGE-SECRET-KEY-"))
            .ok_or(CryptoError::BadIdentity)?;
        age::x25519::Identity::from_str(line)
            .map(InvestigatorIdentity)
            .map_err(|_| CryptoError::BadIdentity)
    }

    pub fn recipient(&self) -> InvestigatorRecipient {
        InvestigatorRecipient(self.0.to_public())
    }

    /// The identity file text, in the format of `age-keygen`.
    pub fn to_file_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "# public key: {}\n{}\n",
            self.0.to_public(),
            self.0.to_string().expose_secret()
        ))
    }

    pub fn as_age(&self) -> &dyn age::Identity {
        &self.0
    }

    /// Decrypts something sealed to this investigator, such as an internal note.
    pub fn open(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        Ok(Zeroizing::new(age::decrypt(&self.0, ciphertext)?))
    }
}

/// Encrypts to several investigators at once: what internal notes are sealed with, so
/// that every colleague with access can read them and the reporter (who holds only the
/// case key) never can.
pub fn seal_to_investigators(
    recipients: &[InvestigatorRecipient],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r.as_age()))?;
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).map_err(io_encrypt)?;
    std::io::Write::write_all(&mut writer, plaintext).map_err(io_encrypt)?;
    writer.finish().map_err(io_encrypt)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_holder_opens_its_own_wrap_and_no_other() {
        let case = CaseKey::generate();
        let reporter = ReporterIdentity::from_bytes(&[3; 32]);
        let investigator = InvestigatorIdentity::generate();
        let stranger = InvestigatorIdentity::generate();
        let for_reporter = case.wrap_to(&reporter.recipient()).unwrap();
        let for_investigator = case.wrap_to(investigator.recipient().as_age()).unwrap();

        let entry = case.seal(b"the report").unwrap();
        let via_reporter = CaseKey::unwrap_with(&for_reporter, reporter.as_age()).unwrap();
        let via_investigator =
            CaseKey::unwrap_with(&for_investigator, investigator.as_age()).unwrap();
        assert_eq!(via_reporter.open(&entry).unwrap().as_slice(), b"the report");
        assert_eq!(
            via_investigator.open(&entry).unwrap().as_slice(),
            b"the report"
        );
        assert!(CaseKey::unwrap_with(&for_investigator, stranger.as_age()).is_err());
        assert!(CaseKey::unwrap_with(&for_investigator, reporter.as_age()).is_err());
    }

    #[test]
    fn ciphertext_does_not_carry_the_plaintext() {
        let case = CaseKey::generate();
        let sealed = case.seal(b"MARKER-41c7").unwrap();
        assert!(!sealed.windows(11).any(|w| w == b"MARKER-41c7"));
    }

    #[test]
    fn notes_open_for_every_investigator_and_not_with_the_case_key() {
        let ana = InvestigatorIdentity::generate();
        let bruno = InvestigatorIdentity::generate();
        let note = seal_to_investigators(&[ana.recipient(), bruno.recipient()], b"note").unwrap();
        assert_eq!(ana.open(&note).unwrap().as_slice(), b"note");
        assert_eq!(bruno.open(&note).unwrap().as_slice(), b"note");
        assert!(CaseKey::generate().open(&note).is_err());
    }

    #[test]
    fn evidence_streams_round_trip_through_the_case_key() {
        use std::io::{Read, Write};
        let case = CaseKey::generate();
        let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut sealed = Vec::new();
        let mut writer = case.recipient().seal_stream(&mut sealed).unwrap();
        writer.write_all(&payload).unwrap();
        writer.finish().unwrap();
        assert!(!sealed.windows(64).any(|w| w == &payload[1000..1064]));
        let mut back = Vec::new();
        case.open_stream(&sealed[..])
            .unwrap()
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, payload);
        assert!(CaseKey::generate().open_stream(&sealed[..]).is_err());
    }

    #[test]
    fn identity_files_round_trip() {
        let id = InvestigatorIdentity::generate();
        let again = InvestigatorIdentity::parse(&id.to_file_text()).unwrap();
        assert_eq!(id.recipient().to_string(), again.recipient().to_string());
        assert!(InvestigatorRecipient::parse(&id.recipient().to_string()).is_ok());
        assert!(InvestigatorRecipient::parse("age1nope").is_err());
    }
}
