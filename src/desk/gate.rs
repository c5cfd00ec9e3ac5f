//! The desk's access gate: only the browser that opened the printed address may use it.
//!
//! Loopback alone is not enough: other users of the machine can connect to 127.0.0.1, and
//! any web page the investigator visits can make their browser send requests to it. So the
//! first visit must carry a random access key (`/?key=`), which is traded for an HttpOnly,
//! SameSite=Strict cookie; every other request without that cookie gets 403. The key works
//! once: the printed address stays in terminal scrollback and browser history, where
//! anyone who reads it later must not get a second cookie.
//!
//! Requests that a browser marks as coming from another site (`Sec-Fetch-Site`), or that
//! name another host (DNS rebinding), are refused even with the cookie. SameSite=Strict
//! does not stop a page on 127.0.0.1 at another port (the same *site*: ports do not count)
//! from posting with the cookie, and older browsers send no `Sec-Fetch-Site`; so a request
//! that changes something must also name the desk's own origin, port included, in `Origin`
//! (or in `Referer` when a browser sends no `Origin`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use rand::RngCore;
use rand::rngs::OsRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The access key and the cookie it is traded for, both random per start.
pub struct Gate {
    address: SocketAddr,
    access_key: Zeroizing<String>,
    /// Set by the first visit with the key: the key opens the desk once.
    key_spent: AtomicBool,
    cookie_value: Zeroizing<String>,
    /// Cookies do not separate ports: the name does, so that two desks on one machine do
    /// not overwrite each other's cookie.
    cookie_name: String,
    /// `Host` values a request may carry: the bound address, and `localhost` for it.
    hosts: Vec<String>,
    /// The desk's own origins (`http://` and a host above): the only ones that may post.
    origins: Vec<String>,
}

impl Gate {
    pub fn new(address: SocketAddr) -> Self {
        let mut hosts = vec![address.to_string()];
        hosts.push(format!("localhost:{}", address.port()));
        let origins = hosts.iter().map(|h| format!("http://{h}")).collect();
        Gate {
            address,
            access_key: random_hex(),
            key_spent: AtomicBool::new(false),
            cookie_value: random_hex(),
            cookie_name: format!("quietline_desk_{}", address.port()),
            hosts,
            origins,
        }
    }

    /// The address to open, with the access key: printed once at start.
    pub fn entry_url(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "http://{}/?key={}",
            self.address,
            self.access_key.as_str()
        ))
    }

    fn host_allowed(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|h| self.hosts.iter().any(|allowed| allowed == h))
    }

    /// Whether the request comes from one of the desk's own pages, as far as the browser
    /// says. An `Origin` must be ours on any request (browsers send it on GETs only for
    /// scripted cross-origin reads). A request that changes something must name its origin:
    /// in `Origin`, or in `Referer` when `Origin` is absent; naming neither is refused,
    /// since every browser the desk supports sends one of them on a form post.
    fn origin_allowed(&self, method: &Method, headers: &HeaderMap) -> bool {
        if let Some(origin) = headers.get(header::ORIGIN) {
            return origin
                .to_str()
                .is_ok_and(|o| self.origins.iter().any(|ours| ours == o));
        }
        if matches!(*method, Method::GET | Method::HEAD) {
            return true;
        }
        headers
            .get(header::REFERER)
            .and_then(|r| r.to_str().ok())
            .is_some_and(|referer| {
                self.origins.iter().any(|ours| {
                    referer
                        .strip_prefix(ours.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                })
            })
    }

    fn has_cookie(&self, headers: &HeaderMap) -> bool {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| {
                name == self.cookie_name
                    && bool::from(value.as_bytes().ct_eq(self.cookie_value.as_bytes()))
            })
    }

    fn key_matches(&self, key: &str) -> bool {
        bool::from(key.as_bytes().ct_eq(self.access_key.as_bytes()))
    }

    fn set_cookie(&self) -> HeaderValue {
        let cookie = Zeroizing::new(format!(
            "{}={}; Path=/; HttpOnly; SameSite=Strict",
            self.cookie_name,
            self.cookie_value.as_str()
        ));
        // Infallible: the name and the hex value are visible ASCII.
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

fn random_hex() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(&mut bytes[..]);
    let mut text = Zeroizing::new(String::with_capacity(64));
    for b in bytes.iter() {
        text.push_str(&format!("{b:02x}"));
    }
    text
}

/// The access gate (see the file's doc). Runs before every route.
pub async fn check(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let from_elsewhere = matches!(
        headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
        Some("cross-site" | "same-site")
    );
    if !gate.host_allowed(headers)
        || from_elsewhere
        || !gate.origin_allowed(request.method(), headers)
    {
        return forbidden();
    }
    let key = request
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("key=")));
    if let Some(key) = key {
        if request.method() != Method::GET || !gate.key_matches(key) {
            return forbidden();
        }
        if gate.key_spent.swap(true, Ordering::SeqCst) {
            // The browser that spent it may come back through its history: it still holds
            // the cookie, and gets no new one.
            if gate.has_cookie(headers) {
                return Redirect::to("/").into_response();
            }
            return key_spent();
        }
        // Trade the key for the cookie, and drop the key from the address bar.
        let mut response = Redirect::to("/").into_response();
        response
            .headers_mut()
            .insert(header::SET_COOKIE, gate.set_cookie());
        return response;
    }
    if !gate.has_cookie(headers) {
        return forbidden();
    }
    next.run(request).await
}

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        "403: this desk answers only the browser that opened the address `quietline desk` \
         printed (http://127.0.0.1:PORT/?key=...). Open that address again.\n",
    )
        .into_response()
}

fn key_spent() -> Response {
    (
        StatusCode::FORBIDDEN,
        "403: this address was already used. The address `quietline desk` prints opens the \
         desk once, in one browser; stop the desk and start it again for a new address.\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> Gate {
        Gate::new("127.0.0.1:4242".parse().unwrap())
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn only_the_set_cookie_opens_the_gate() {
        let gate = gate();
        let cookie = format!("quietline_desk_4242={}", gate.cookie_value.as_str());
        assert!(gate.has_cookie(&headers(&[("cookie", &cookie)])));
        assert!(gate.has_cookie(&headers(&[("cookie", &format!("a=b; {cookie}"))])));
        assert!(!gate.has_cookie(&headers(&[])));
        assert!(!gate.has_cookie(&headers(&[("cookie", "quietline_desk_4242=00")])));
        let other_port = format!("quietline_desk_4243={}", gate.cookie_value.as_str());
        assert!(!gate.has_cookie(&headers(&[("cookie", &other_port)])));
        let set = gate.set_cookie();
        let set = set.to_str().unwrap();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );
    }

    #[test]
    fn keys_are_random_and_checked_whole() {
        let (a, b) = (gate(), gate());
        assert_ne!(a.access_key.as_str(), b.access_key.as_str());
        assert_eq!(a.access_key.len(), 64);
        assert!(a.key_matches(a.access_key.as_str()));
        assert!(!a.key_matches(&a.access_key[..63]));
        assert!(!a.key_matches(b.access_key.as_str()));
    }

    #[test]
    fn only_the_bound_host_is_served() {
        let gate = gate();
        assert!(gate.host_allowed(&headers(&[("host", "127.0.0.1:4242")])));
        assert!(gate.host_allowed(&headers(&[("host", "localhost:4242")])));
        assert!(!gate.host_allowed(&headers(&[("host", "evil.example:4242")])));
        assert!(!gate.host_allowed(&headers(&[])));
    }

    #[test]
    fn only_the_desks_own_origin_may_post() {
        let gate = gate();
        let (get, post) = (Method::GET, Method::POST);
        let ok =
            |m: &Method, pairs: &[(&'static str, &str)]| gate.origin_allowed(m, &headers(pairs));
        assert!(ok(&post, &[("origin", "http://127.0.0.1:4242")]));
        assert!(ok(&post, &[("origin", "http://localhost:4242")]));
        assert!(!ok(&post, &[("origin", "http://127.0.0.1:4243")]));
        assert!(!ok(&post, &[("origin", "http://evil.example")]));
        assert!(!ok(&post, &[("origin", "null")]));
        assert!(!ok(&get, &[("origin", "http://127.0.0.1:4243")]));
        assert!(ok(&get, &[]));
        assert!(!ok(&post, &[]));
        assert!(ok(&post, &[("referer", "http://127.0.0.1:4242/cases/ab")]));
        assert!(!ok(&post, &[("referer", "http://127.0.0.1:42420/")]));
        assert!(!ok(
            &post,
            &[("referer", "http://127.0.0.1:4242.evil.example/")]
        ));
        // A foreign Origin wins over a Referer that looks like ours.
        assert!(!ok(
            &post,
            &[
                ("origin", "http://evil.example"),
                ("referer", "http://127.0.0.1:4242/")
            ]
        ));
    }

    #[test]
    fn the_entry_address_carries_the_key() {
        let gate = gate();
        assert_eq!(
            gate.entry_url().as_str(),
            format!("http://127.0.0.1:4242/?key={}", gate.access_key.as_str())
        );
    }
}
