//! A small pool of synchronous PostgreSQL connections, made for the `Store` trait's
//! blocking callers.
//!
//! Why hand-rolled and not `r2d2`: what the store needs is thirty lines (a bounded set of
//! clients, a wait with a deadline, dropping a connection that died), and r2d2 would add
//! a scheduler thread pool and a second `parking_lot` generation to the tree for it.
//!
//! Failure is what this file is about. A connection that the server closed (a restart, a
//! failover) is dropped when it is handed back or found closed; one that sat idle is
//! checked with a round trip before use, so that the first request after the database
//! returns does not fail on a stale socket. Every wait has a deadline: connecting
//! (`connect_timeout`), each statement (`statement_timeout`, set on the session), locks
//! (`lock_timeout`), a dead peer (TCP user timeout and keepalives), and the wait for a
//! free connection. Beyond it the caller gets [`StoreError::Unavailable`], which the
//! service answers with 503 and Retry-After, never a hang.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use postgres::{Client, Config};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::store::{StoreError, StoreResult};

/// Connections at most, per process. The store's callers are the blocking pool and the
/// KDF lanes; beyond this many concurrent store calls, callers wait (up to [`WAIT`]).
const MAX_CONNECTIONS: usize = 16;
/// The longest a caller waits for a free connection before a 503.
const WAIT: Duration = Duration::from_secs(10);
/// A connection idle for longer than this is checked before it is handed out.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(2);
/// Defaults applied when the URL does not set them.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(20);
const KEEPALIVE_IDLE: Duration = Duration::from_secs(15);
/// Set on every session: no statement, lock wait or forgotten transaction blocks a
/// request thread for longer. A 1 MiB evidence chunk takes milliseconds.
const SESSION_SETTINGS: &str = "SET statement_timeout = '20s'; SET lock_timeout = '10s'; \
     SET idle_in_transaction_session_timeout = '60s'; SET client_min_messages = warning";

struct Idle {
    clients: Vec<(Client, Instant)>,
    /// Clients in existence: idle ones and those handed out.
    open: usize,
}

pub struct Pool {
    config: Config,
    tls: MakeRustlsConnect,
    idle: Mutex<Idle>,
    freed: Condvar,
}

/// A connection handed out; it goes back to the pool when dropped, unless it died.
pub struct Conn<'a> {
    pool: &'a Pool,
    client: Option<Client>,
}

impl std::ops::Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        // Infallible: `client` is taken only in `drop`.
        self.client
            .as_ref()
            .expect("connection present until dropped")
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .expect("connection present until dropped")
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        let mut idle = self.pool.lock();
        if client.is_closed() {
            idle.open -= 1;
        } else {
            idle.clients.push((client, Instant::now()));
        }
        drop(idle);
        self.pool.freed.notify_one();
    }
}

impl Drop for Pool {
    /// A `postgres::Client` closes its connection by blocking on its own small runtime,
    /// which panics when that happens on an async worker, as it does when `serve` ends
    /// (or fails at start) and drops the last handle to the store there. The idle
    /// connections are closed on a thread of their own instead.
    fn drop(&mut self) {
        let idle = std::mem::take(&mut self.lock().clients);
        if idle.is_empty() {
            return;
        }
        let closing = std::thread::spawn(move || drop(idle));
        if closing.join().is_err() {
            tracing::warn!("closing the database connections failed");
        }
    }
}

impl Pool {
    /// A pool for `config`, with the timeouts above where the URL sets none. TLS goes
    /// through rustls with the Mozilla roots, as the URL's `sslmode` asks (`prefer` by
    /// default, `require` to insist, `disable` for a loopback or a Unix socket).
    pub fn new(mut config: Config) -> Pool {
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        config.keepalives(true);
        config.keepalives_idle(KEEPALIVE_IDLE);
        if config.get_application_name().is_none() {
            config.application_name("quietline");
        }
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        // Infallible: ring's default provider supports the safe default versions.
        .expect("ring supports TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
        Pool {
            config,
            tls: MakeRustlsConnect::new(tls),
            idle: Mutex::new(Idle {
                clients: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Idle> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A working connection, or [`StoreError::Unavailable`] within the deadlines above.
    pub fn get(&self) -> StoreResult<Conn<'_>> {
        let deadline = Instant::now() + WAIT;
        let mut idle = self.lock();
        loop {
            if let Some((mut client, since)) = idle.clients.pop() {
                drop(idle);
                let alive = !client.is_closed()
                    && (since.elapsed() < CHECK_AFTER_IDLE
                        || client.is_valid(Duration::from_secs(2)).is_ok());
                if alive {
                    return Ok(Conn {
                        pool: self,
                        client: Some(client),
                    });
                }
                idle = self.lock();
                idle.open -= 1;
                continue;
            }
            if idle.open < MAX_CONNECTIONS {
                idle.open += 1;
                drop(idle);
                return match self.connect() {
                    Ok(client) => Ok(Conn {
                        pool: self,
                        client: Some(client),
                    }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(StoreError::Unavailable(
                    "every database connection stayed busy".into(),
                ));
            }
            idle = self
                .freed
                .wait_timeout(idle, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn connect(&self) -> StoreResult<Client> {
        let mut client = self
            .config
            .connect(self.tls.clone())
            .map_err(super::failed)?;
        client
            .batch_execute(SESSION_SETTINGS)
            .map_err(super::failed)?;
        Ok(client)
    }
}
