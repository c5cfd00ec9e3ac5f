//! Running blocking work off the async workers.
//!
//! Token derivations (argon2id) are both CPU- and memory-heavy and can be triggered by
//! anyone, anonymously: they go through [`KdfPool`], which runs at most `workers` at once
//! (each holds its argon2 memory) and lets at most `queue` more wait. Beyond that the
//! caller gets [`Error::Busy`] (503 with Retry-After) at once instead of an unbounded
//! queue. Other blocking work (sled reads and fsyncs, age on small messages) is short and
//! uses tokio's blocking pool through [`run`].

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use super::error::Error;

pub struct KdfPool {
    workers: Arc<Semaphore>,
    admitted: Arc<AtomicUsize>,
    capacity: usize,
}

/// Leaves the admission count when the request ends, however it ends.
struct Admission(Arc<AtomicUsize>);

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl KdfPool {
    pub fn new(workers: usize, queue: usize) -> Self {
        KdfPool {
            workers: Arc::new(Semaphore::new(workers)),
            admitted: Arc::new(AtomicUsize::new(0)),
            capacity: workers + queue,
        }
    }

    /// Runs `job` on a blocking thread once a worker is free, or refuses at once if the
    /// queue is full.
    pub async fn run<T, F>(&self, job: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        if self.admitted.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(Error::Busy);
        }
        let _admission = Admission(self.admitted.clone());
        let permit = self
            .workers
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Internal)?;
        // The permit moves into the job, so a worker stays counted until argon2 finishes,
        // even if the client has gone away.
        Ok(tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await?)
    }
}

/// Runs short blocking work (store access, small age operations) on tokio's blocking pool.
pub async fn run<T, F>(job: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    Ok(tokio::task::spawn_blocking(job).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once_and_frees_up_after() {
        let pool = Arc::new(KdfPool::new(1, 1));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let wait = Arc::new(std::sync::Mutex::new(wait));
        let mut held = Vec::new();
        for _ in 0..2 {
            let pool = pool.clone();
            let wait = wait.clone();
            held.push(tokio::spawn(async move {
                pool.run(move || {
                    let _ = wait.lock().map(|w| w.recv_timeout(Duration::from_secs(10)));
                })
                .await
            }));
        }
        // Wait (bounded) until both jobs are admitted.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while pool.admitted.load(Ordering::Acquire) < 2 {
            assert!(
                std::time::Instant::now() < deadline,
                "jobs were not admitted"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(matches!(pool.run(|| ()).await, Err(Error::Busy)));
        release.send(()).unwrap();
        release.send(()).unwrap();
        for h in held {
            assert!(h.await.unwrap().is_ok());
        }
        assert!(pool.run(|| 7).await.is_ok());
    }
}
