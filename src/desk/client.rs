//! The desk's client of the investigator API (`crate::api`): one blocking function per
//! endpoint, over HTTPS, or plain HTTP to loopback or an onion address through Tor.
//!
//! Calls block (ureq); the desk's web handlers run them through `spawn_blocking`. Every
//! failure becomes a [`ClientError`] whose text says what happened and what to do next:
//! the investigator reads it on a page, not in a log.

use std::io::Read;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::api::{
    AlertSettings, AssignRequest, AuditHeadWire, CaseAccess, CaseDetail, CaseList, CaseListQuery,
    CaseSummary, CaseThread, ConfirmRecipient, EnrolConfirm, EnrolRequest, EnrolResponse,
    GrantRequest, INVESTIGATOR_API, InvestigatorWire, LabelsRequest, LoginRequest, LoginResponse,
    PendingRecipientWire, RecoveryRecipientWire, SealedBody, Stats, StatusRequest, ThreadsRequest,
};

/// How long to wait for a TCP (or SOCKS) connection. Onion circuits can take many seconds
/// to build, so this is generous.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(45);
/// How long one whole request may take, so that a stalled server cannot hang a page forever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// ...except an evidence download, which the request limit would cut off: 500 MiB over
/// Tor can take an hour. The server allows file transfers as long.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(3 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(
        "{0:?} is not a server address: give https://HOST[:PORT], or http://ADDRESS.onion with --socks-proxy"
    )]
    BadServer(String),
    #[error(
        "{0} would send passwords and case content unencrypted: use https://, or an .onion address through --socks-proxy"
    )]
    PlainHttp(String),
    #[error("{0} is an onion address: start Tor and pass --socks-proxy 127.0.0.1:9050")]
    OnionWithoutProxy(String),
    #[error("{0:?} is not a SOCKS proxy address: give HOST:PORT, such as 127.0.0.1:9050")]
    BadProxy(String),
    #[error("cannot reach the server ({0}); check the address, your network and Tor if you use it")]
    Unreachable(String),
    #[error("the server did not accept this name, password and code; check them and try again")]
    LoginRefused,
    #[error("the session with the server has ended: restart the desk to log in again")]
    SessionEnded,
    #[error("too many attempts: wait {0} and try again")]
    TooManyAttempts(String),
    #[error("your account may not do this: {0}")]
    Forbidden(String),
    #[error("no such case, or you have no access to it")]
    NotFound,
    #[error("the server refused this change: {0}")]
    Conflict(String),
    #[error("the server did not accept this request: {0}")]
    Rejected(String),
    #[error(
        "the server failed (HTTP {0}); try again later, and tell your administrator if it persists"
    )]
    Server(u16),
    #[error(
        "the server's answer was not what this desk understands ({0}); are the desk and the server the same version?"
    )]
    BadAnswer(String),
}

/// A case id as the API spells it: 32 hex digits. Checked before it goes into a URL path,
/// so that nothing a page submits can steer a request to another endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRef(String);

impl CaseRef {
    pub fn parse(text: &str) -> Option<Self> {
        lower_hex_32(text).map(CaseRef)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An evidence file id (a blob) as the API spells it: 32 hex digits, checked like
/// [`CaseRef`] before it goes into a URL path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef(String);

impl BlobRef {
    pub fn parse(text: &str) -> Option<Self> {
        lower_hex_32(text).map(BlobRef)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `text` in lower case if it is exactly 32 hex digits.
fn lower_hex_32(text: &str) -> Option<String> {
    (text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| text.to_ascii_lowercase())
}

/// The API without a session: what enrolment and login need.
#[derive(Clone)]
pub struct ApiClient {
    agent: ureq::Agent,
    /// `https://host[:port]/api/v1/investigator`, without a trailing slash.
    base: String,
    /// The server as the investigator gave it, for messages.
    server: String,
}

impl ApiClient {
    /// Checks the server address and builds a client for it. Plain HTTP is accepted only
    /// where the transport is protected otherwise: loopback (tests, an SSH tunnel) or an
    /// onion address (Tor encrypts end to end), which needs the SOCKS proxy.
    pub fn new(server: &str, socks_proxy: Option<&str>) -> Result<Self, ClientError> {
        let server = server.trim().trim_end_matches('/').to_owned();
        let (scheme, host) = scheme_and_host(&server)?;
        let onion = host.ends_with(".onion");
        if scheme == "http" && !onion && !is_loopback_host(&host) {
            return Err(ClientError::PlainHttp(server));
        }
        if onion && socks_proxy.is_none() {
            return Err(ClientError::OnionWithoutProxy(server));
        }
        let mut builder = ureq::AgentBuilder::new()
            .timeout_connect(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // The API never redirects; following one could carry the bearer elsewhere.
            .redirects(0)
            .user_agent("quietline-desk");
        if let Some(proxy) = socks_proxy {
            builder = builder.proxy(socks_proxy_for(proxy)?);
        }
        Ok(ApiClient {
            agent: builder.build(),
            base: format!("{server}{INVESTIGATOR_API}"),
            server,
        })
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    /// First step of enrolment: set a password with the one-time secret, receive the TOTP
    /// secret.
    pub fn enrol(&self, request: &EnrolRequest) -> Result<EnrolResponse, ClientError> {
        let response = self.send(self.post("/enrol"), Some(request), Auth::Enrolment)?;
        read_json(response)
    }

    /// Second step: prove the authenticator app holds the TOTP secret.
    pub fn confirm_enrolment(&self, request: &EnrolConfirm) -> Result<(), ClientError> {
        self.send(self.post("/enrol/confirm"), Some(request), Auth::Enrolment)?;
        Ok(())
    }

    /// Logs in; the returned session carries the bearer for every later call.
    pub fn login(self, request: &LoginRequest) -> Result<Session, ClientError> {
        let response = self.send(self.post("/login"), Some(request), Auth::Login)?;
        let answer: LoginResponse = read_json(response)?;
        Ok(Session {
            bearer: Zeroizing::new(format!("Bearer {}", answer.session)),
            name: answer.name,
            role: answer.role,
            api: self,
        })
    }

    fn post(&self, path: &str) -> ureq::Request {
        self.agent.post(&format!("{}{path}", self.base))
    }

    fn get(&self, path: &str) -> ureq::Request {
        self.agent.get(&format!("{}{path}", self.base))
    }

    fn send(
        &self,
        request: ureq::Request,
        body: Option<&impl Serialize>,
        auth: Auth,
    ) -> Result<ureq::Response, ClientError> {
        let result = match body {
            Some(body) => request.send_json(body),
            None => request.call(),
        };
        match result {
            Ok(response) => Ok(response),
            Err(ureq::Error::Status(code, response)) => Err(status_error(code, response, auth)),
            Err(ureq::Error::Transport(transport)) => {
                Err(ClientError::Unreachable(transport.to_string()))
            }
        }
    }
}

/// A logged-in session. The bearer lives only in memory and is zeroized on drop.
pub struct Session {
    api: ApiClient,
    bearer: Zeroizing<String>,
    pub name: String,
    /// `investigator` or `admin`, as the server said at login.
    pub role: String,
}

impl Session {
    pub fn server(&self) -> &str {
        self.api.server()
    }

    /// One page of the case list; the server filters, sorts and pages.
    pub fn cases(&self, query: &CaseListQuery) -> Result<CaseList, ClientError> {
        let mut request = self.api.get("/cases");
        let texts = [
            ("status", &query.status),
            ("assignee", &query.assignee),
            ("category", &query.category),
            ("urgent", &query.urgent),
            ("state", &query.state),
            ("waiting", &query.waiting),
            ("overdue", &query.overdue),
            ("label", &query.label),
            ("sort", &query.sort),
        ];
        for (name, value) in texts {
            if let Some(value) = value {
                request = request.query(name, value);
            }
        }
        if let Some(page) = query.page {
            request = request.query("page", &page.to_string());
        }
        if let Some(per_page) = query.per_page {
            request = request.query("per_page", &per_page.to_string());
        }
        read_json(self.call(request)?)
    }

    /// Threads of up to [`crate::api::MAX_THREADS`] cases as ciphertext, without opening
    /// them: for previews and search.
    pub fn threads(&self, ids: Vec<String>) -> Result<Vec<CaseThread>, ClientError> {
        read_json(self.send(self.api.post("/threads"), &ThreadsRequest { ids })?)
    }

    pub fn set_labels(
        &self,
        id: &CaseRef,
        request: &LabelsRequest,
    ) -> Result<CaseSummary, ClientError> {
        read_json(self.send(self.api.post(&case_path(id, "/labels")), request)?)
    }

    pub fn case(&self, id: &CaseRef) -> Result<CaseDetail, ClientError> {
        read_json(self.call(self.api.get(&case_path(id, "")))?)
    }

    /// The wrap and holders of a case, without opening it (no audit entry, no read mark):
    /// what the forms that seal or re-wrap need.
    pub fn access(&self, id: &CaseRef) -> Result<CaseAccess, ClientError> {
        read_json(self.call(self.api.get(&case_path(id, "/access")))?)
    }

    pub fn reply(&self, id: &CaseRef, ciphertext: Vec<u8>) -> Result<(), ClientError> {
        let body = SealedBody { ciphertext };
        self.send(self.api.post(&case_path(id, "/replies")), &body)?;
        Ok(())
    }

    pub fn add_note(&self, id: &CaseRef, ciphertext: Vec<u8>) -> Result<(), ClientError> {
        let body = SealedBody { ciphertext };
        self.send(self.api.post(&case_path(id, "/notes")), &body)?;
        Ok(())
    }

    pub fn set_status(
        &self,
        id: &CaseRef,
        request: &StatusRequest,
    ) -> Result<CaseSummary, ClientError> {
        read_json(self.send(self.api.post(&case_path(id, "/status")), request)?)
    }

    pub fn assign(
        &self,
        id: &CaseRef,
        request: &AssignRequest,
    ) -> Result<CaseSummary, ClientError> {
        read_json(self.send(self.api.post(&case_path(id, "/assignees")), request)?)
    }

    pub fn grant(&self, id: &CaseRef, request: &GrantRequest) -> Result<(), ClientError> {
        self.send(self.api.post(&case_path(id, "/access")), request)?;
        Ok(())
    }

    /// An evidence file of a case as the server stores it (age ciphertext to the case key),
    /// as a reader over the response body: nothing is buffered whole, whatever the size.
    /// The body is read as the caller reads, under [`TRANSFER_TIMEOUT`] in all.
    pub fn attachment(
        &self,
        id: &CaseRef,
        blob: &BlobRef,
    ) -> Result<impl Read + Send + use<>, ClientError> {
        let path = case_path(id, &format!("/attachments/{}", blob.as_str()));
        let request = self.api.get(&path).timeout(TRANSFER_TIMEOUT);
        Ok(self.call(request)?.into_reader())
    }

    pub fn investigators(&self) -> Result<Vec<InvestigatorWire>, ClientError> {
        read_json(self.call(self.api.get("/investigators"))?)
    }

    /// The recovery recipient every new case is also wrapped to, if one is set.
    pub fn recovery(&self) -> Result<RecoveryRecipientWire, ClientError> {
        read_json(self.call(self.api.get("/recovery"))?)
    }

    /// The audit chain's length and head; with `known` (a head this desk saw before, 64
    /// hex digits), also where that head sits in the chain, if it still does.
    pub fn audit_head(&self, known: Option<&str>) -> Result<AuditHeadWire, ClientError> {
        let mut request = self.api.get("/audit/head");
        if let Some(known) = known {
            request = request.query("known", known);
        }
        read_json(self.call(request)?)
    }

    /// Where this investigator's own alerts go.
    pub fn alert_settings(&self) -> Result<AlertSettings, ClientError> {
        read_json(self.call(self.api.get("/alerts"))?)
    }

    pub fn set_alert_settings(
        &self,
        settings: &AlertSettings,
    ) -> Result<AlertSettings, ClientError> {
        read_json(self.send(self.api.post("/alerts"), settings)?)
    }

    /// Recipients waiting for a second administrator's confirmation.
    pub fn pending_recipients(&self) -> Result<Vec<PendingRecipientWire>, ClientError> {
        read_json(self.call(self.api.get("/recipients/pending"))?)
    }

    /// Confirms the waiting recipient with this fingerprint (administrators only).
    pub fn confirm_recipient(
        &self,
        fingerprint: &str,
    ) -> Result<Vec<PendingRecipientWire>, ClientError> {
        let body = ConfirmRecipient {
            fingerprint: fingerprint.to_owned(),
        };
        read_json(self.send(self.api.post("/admin/recipients/confirm"), &body)?)
    }

    pub fn stats(&self) -> Result<Stats, ClientError> {
        read_json(self.call(self.api.get("/stats"))?)
    }

    /// Ends the session on the server, so that the bearer is worthless even if it leaked.
    pub fn logout(&self) -> Result<(), ClientError> {
        let request = self.api.post("/logout").set("Authorization", &self.bearer);
        self.api.send(request, None::<&()>, Auth::Session)?;
        Ok(())
    }

    fn call(&self, request: ureq::Request) -> Result<ureq::Response, ClientError> {
        let request = request.set("Authorization", &self.bearer);
        self.api.send(request, None::<&()>, Auth::Session)
    }

    fn send(
        &self,
        request: ureq::Request,
        body: &impl Serialize,
    ) -> Result<ureq::Response, ClientError> {
        let request = request.set("Authorization", &self.bearer);
        self.api.send(request, Some(body), Auth::Session)
    }
}

/// What a 401 means depends on what was asked.
#[derive(Clone, Copy)]
enum Auth {
    Enrolment,
    Login,
    Session,
}

fn case_path(id: &CaseRef, rest: &str) -> String {
    format!("/cases/{}{rest}", id.as_str())
}

fn read_json<T: DeserializeOwned>(response: ureq::Response) -> Result<T, ClientError> {
    response
        .into_json()
        .map_err(|e| ClientError::BadAnswer(e.to_string()))
}

/// Turns an error status into what the investigator should know. The server's own message
/// (`{"error": "..."}`) is kept where it explains a refusal.
fn status_error(code: u16, response: ureq::Response, auth: Auth) -> ClientError {
    let retry_after = response.header("retry-after").map(str::to_owned);
    let message = server_message(response);
    match (code, auth) {
        (401, Auth::Session) => ClientError::SessionEnded,
        (401, Auth::Login) => ClientError::LoginRefused,
        (401, Auth::Enrolment) => ClientError::Rejected(message),
        (403, _) => ClientError::Forbidden(message),
        (404, _) => ClientError::NotFound,
        (409, _) => ClientError::Conflict(message),
        (429, _) => ClientError::TooManyAttempts(match retry_after {
            Some(seconds) => format!("{seconds} seconds"),
            None => "a minute".into(),
        }),
        (400..=499, _) => ClientError::Rejected(message),
        _ => ClientError::Server(code),
    }
}

/// The `error` field of an error body, or a generic text. Bounded, so that a hostile or
/// broken server cannot fill a page.
fn server_message(response: ureq::Response) -> String {
    let text = response.into_string().unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "no reason given".into());
    message.chars().take(300).collect()
}

/// Splits `scheme://host[:port]` and checks that nothing else (path, query, user info)
/// is there: the API paths are appended to it.
fn scheme_and_host(server: &str) -> Result<(String, String), ClientError> {
    let bad = || ClientError::BadServer(server.to_owned());
    let (scheme, authority) = server.split_once("://").ok_or_else(bad)?;
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "https")
        || authority.is_empty()
        || authority.contains(['/', '?', '#', '@', ' '])
    {
        return Err(bad());
    }
    let host = if let Some(rest) = authority.strip_prefix('[') {
        // An IPv6 literal: [::1]:8080
        rest.split_once(']').ok_or_else(bad)?.0.to_owned()
    } else {
        authority
            .split(':')
            .next()
            .ok_or_else(bad)?
            .to_ascii_lowercase()
    };
    if host.is_empty() {
        return Err(bad());
    }
    Ok((scheme, host))
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `HOST:PORT` of a SOCKS5 proxy such as Tor's. `socks5://` makes ureq send host names to
/// the proxy unresolved, which onion addresses need and which keeps DNS off the local
/// network.
fn socks_proxy_for(proxy: &str) -> Result<ureq::Proxy, ClientError> {
    let address = proxy.trim().trim_start_matches("socks5://");
    let bad = || ClientError::BadProxy(proxy.to_owned());
    let (host, port) = address.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(bad());
    }
    ureq::Proxy::new(format!("socks5://{address}")).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_need_tls_or_a_protected_transport() {
        assert!(ApiClient::new("https://quietline.example", None).is_ok());
        assert!(ApiClient::new("https://quietline.example:8443/", None).is_ok());
        assert!(ApiClient::new("http://127.0.0.1:8080", None).is_ok());
        assert!(ApiClient::new("http://[::1]:8080", None).is_ok());
        assert!(matches!(
            ApiClient::new("http://quietline.example", None),
            Err(ClientError::PlainHttp(_))
        ));
        assert!(matches!(
            ApiClient::new("http://abcdefgh.onion", None),
            Err(ClientError::OnionWithoutProxy(_))
        ));
        assert!(ApiClient::new("http://abcdefgh.onion", Some("127.0.0.1:9050")).is_ok());
        for bad in [
            "quietline.example",
            "ftp://quietline.example",
            "https://",
            "https://a.example/path",
            "https://user@a.example",
        ] {
            assert!(
                matches!(ApiClient::new(bad, None), Err(ClientError::BadServer(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            ApiClient::new("https://a.example", Some("9050")),
            Err(ClientError::BadProxy(_))
        ));
    }

    /// A one-shot SOCKS5 proxy that records the target it is asked for and refuses it.
    fn fake_socks_proxy() -> (String, std::thread::JoinHandle<Vec<u8>>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        listener.set_nonblocking(true).unwrap();
        let proxy = std::thread::spawn(move || {
            // Bounded: a client that never comes (resolving locally instead) fails the
            // test rather than hanging it.
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            let mut stream = loop {
                match listener.accept() {
                    Ok((stream, _)) => break stream,
                    Err(_) if std::time::Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(_) => return Vec::new(),
                }
            };
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut greeting = [0u8; 3];
            stream.read_exact(&mut greeting).unwrap();
            assert_eq!(greeting, [5, 1, 0], "SOCKS5, no authentication");
            stream.write_all(&[5, 0]).unwrap();
            let mut head = [0u8; 5];
            stream.read_exact(&mut head).unwrap();
            let mut rest = vec![0u8; usize::from(head[4]) + 2];
            stream.read_exact(&mut rest).unwrap();
            // "Host unreachable": the client gives up, and the test reads what it asked.
            stream.write_all(&[5, 4, 0, 1, 0, 0, 0, 0, 0, 0]).unwrap();
            [&head[..], &rest[..]].concat()
        });
        (address, proxy)
    }

    #[test]
    fn onion_addresses_go_to_the_proxy_unresolved() {
        let (proxy, asked) = fake_socks_proxy();
        let client = ApiClient::new("http://exampleonionaddress.onion", Some(&proxy)).unwrap();
        let result = client.confirm_enrolment(&EnrolConfirm {
            name: "ana".into(),
            enrolment_secret: "x".into(),
            code: "123456".into(),
        });
        assert!(matches!(result, Err(ClientError::Unreachable(_))));
        let request = asked.join().unwrap();
        // CONNECT (1) to a domain name (address type 3), resolved by the proxy, port 80.
        let domain = b"exampleonionaddress.onion";
        let mut expected = vec![5, 1, 0, 3, domain.len() as u8];
        expected.extend_from_slice(domain);
        expected.extend_from_slice(&80u16.to_be_bytes());
        assert_eq!(request, expected);
    }

    #[test]
    fn case_and_blob_refs_are_32_hex_digits_only() {
        assert!(CaseRef::parse("0123456789abcdef0123456789ABCDEF").is_some());
        assert!(CaseRef::parse("0123456789abcdef0123456789abcde").is_none());
        assert!(CaseRef::parse("../../admin/investigators/ana/xx").is_none());
        assert!(CaseRef::parse("0123456789abcdef0123456789abcdeg").is_none());
        assert_eq!(
            BlobRef::parse("0123456789ABCDEF0123456789abcdef")
                .unwrap()
                .as_str(),
            "0123456789abcdef0123456789abcdef"
        );
        assert!(BlobRef::parse("0123456789abcdef0123456789abcdef0").is_none());
        assert!(BlobRef::parse("../attachments/0123456789abcdef01").is_none());
    }
}
