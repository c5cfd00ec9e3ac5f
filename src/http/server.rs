//! The serve loop: accepts connections and serves each with hyper's HTTP/1 server, under
//! limits that an anonymous client cannot stretch.
//!
//! - Headers must arrive within [`HEADER_TIMEOUT`], and a kept-alive connection that sends
//!   nothing is closed after the same time, so half-sent requests (slowloris) cost one
//!   descriptor for seconds, not forever.
//! - At most `max_connections` are served at once; past that a new connection is closed
//!   at once, so that the service keeps serving those it has rather than running out of
//!   descriptors. Running out anyway (EMFILE) is logged, and the loop keeps going.
//! - On stop, connections finish what they are doing within [`GRACE`]; what is left is
//!   dropped, so that SIGTERM always ends the process.
//!
//! Nothing here logs a peer address.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

/// Time a client has to send a request's headers, and that an idle kept-alive connection
/// stays open.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(15);
/// Time connections get to finish after a stop signal.
pub const GRACE: Duration = Duration::from_secs(10);
/// Shortest interval between two log lines about refused connections.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Logs a condition at most once per [`LOG_EVERY`], with the count seen meanwhile.
struct RateLimitedLog {
    message: &'static str,
    last: Option<Instant>,
    count: u64,
}

impl RateLimitedLog {
    fn new(message: &'static str) -> Self {
        RateLimitedLog {
            message,
            last: None,
            count: 0,
        }
    }

    fn hit(&mut self) {
        self.count += 1;
        if self.last.is_none_or(|t| t.elapsed() >= LOG_EVERY) {
            tracing::warn!(times = self.count, "{}", self.message);
            self.last = Some(Instant::now());
            self.count = 0;
        }
    }
}

/// Whether an accept error means this process (or the system) ran out of descriptors.
fn out_of_descriptors(e: &std::io::Error) -> bool {
    // EMFILE (24) and ENFILE (23) on Linux.
    matches!(e.raw_os_error(), Some(23 | 24))
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains within [`GRACE`].
pub async fn serve_connections(
    listener: TcpListener,
    app: Router,
    max_connections: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut full = RateLimitedLog::new(
        "connection limit reached: new connections are closed until others end",
    );
    let mut exhausted = RateLimitedLog::new(
        "out of file descriptors: new connections wait; raise the limit (LimitNOFILE) or lower --max-connections",
    );
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
            // Reap finished connections so that the set stays small.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) if out_of_descriptors(&e) => {
                exhausted.hit();
                // Give connections in flight a moment to end and free descriptors.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            // A connection reset before it was accepted, and the like: nothing to do.
            Err(_) => continue,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            full.hit();
            drop(stream);
            continue;
        };
        let service = TowerToHyperService::new(app.clone());
        let mut stopping = stopping.clone();
        connections.spawn(async move {
            let _slot = slot;
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .keep_alive(true);
            let connection = http.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stopping.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = tokio::time::timeout(GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            left = connections.len(),
            "connections still open after the grace period were dropped"
        );
        connections.shutdown().await;
    }
    Ok(())
}
