//! Running blocking work off the async workers.
//!
//! Token derivations and password checks (argon2id) are both CPU- and memory-heavy and
//! can be triggered by anyone, anonymously: they go through [`KdfPool`], which runs a
//! bounded number at once, each in one of a fixed set of reused argon2 buffers, and lets a
//! bounded number wait. Beyond that the caller gets [`Error::Busy`] (503 with Retry-After)
//! at once instead of an unbounded queue. Other blocking work (sled reads and fsyncs, age
//! on small messages) is short and uses tokio's blocking pool through [`run`].
//!
//! The pool has lanes, so that a flood of one kind of request cannot refuse another:
//!
//! - **Reporters' workers** (`--kdf-workers`) are shared by report submissions and
//!   reporter logins, but logins may hold all but one of them: a flood of logins leaves a
//!   submission a worker it can start on (when there are at least two) and, at worst, one
//!   login to wait for. A quarter of `--kdf-queue` waits only for submissions.
//! - **Logins with checked tokens** (`crypto::TokenCheckKey`: guesses are refused before
//!   they get here) have half of `--kdf-queue`. **Logins with old, unchecked tokens**,
//!   which cannot be told from guesses, have the last quarter, and may hold at most half
//!   of the login workers (rounded up): a flood of old-format guesses fills their own
//!   lane, and a checked login waits for at most that many derivations ahead of it.
//! - **Investigators' workers** (`--investigator-kdf-workers`, queue `--kdf-queue`) are
//!   their own, so that no reporter traffic refuses an investigator's login.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::Error;
use crate::config::ServeConfig;
use crate::crypto::KdfMemory;

/// Every argon2id run of the server. Memory bound: each worker holds one [`KdfMemory`],
/// which grows to the argon2 memory of the parameters it runs and is then reused, so the
/// pool holds at most (`--kdf-workers` × the deployment's `--kdf-memory-kib`) +
/// (`--investigator-kdf-workers` × the password hashes' memory): 2 × 19 MiB + 1 × 19 MiB
/// with the defaults. Waiting requests hold no argon2 memory.
pub struct KdfPool {
    reporters: Workers,
    /// Workers a reporter login may hold: all but the ones kept for submissions.
    login_workers: Arc<Semaphore>,
    /// Login workers an unchecked (old-format) token may hold or wait for, at most.
    unchecked_workers: Arc<Semaphore>,
    /// A moving average of how long a login's job runs, in microseconds; 0 until the
    /// first login.
    typical_micros: Arc<AtomicU64>,
    submissions: Admissions,
    logins: Admissions,
    unchecked_logins: Admissions,
    investigators: Workers,
    investigator_admissions: Admissions,
}

/// Which login lane a token goes to (see the module's doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginLane {
    /// A token whose keyed check matched.
    Checked,
    /// A token from before the check.
    Unchecked,
}

/// The sizes of a [`KdfPool`].
#[derive(Debug, Clone, Copy)]
struct Sizes {
    workers: usize,
    queue: usize,
    investigator_workers: usize,
    investigator_queue: usize,
}

impl KdfPool {
    pub fn new(config: &ServeConfig) -> Self {
        KdfPool::with_sizes(Sizes {
            workers: config.kdf_workers,
            queue: config.kdf_queue,
            investigator_workers: config.investigator_kdf_workers,
            investigator_queue: config.kdf_queue,
        })
    }

    fn with_sizes(sizes: Sizes) -> Self {
        // One worker is kept for submissions when there are two or more; with a single
        // worker, logins and submissions share it, and a submission waits for at most the
        // one login that holds or awaits it.
        let login_workers = sizes.workers.saturating_sub(1).max(1);
        let unchecked_workers = login_workers.div_ceil(2);
        let submission_queue = sizes.queue.div_ceil(4);
        let unchecked_queue = sizes.queue / 4;
        let login_queue = sizes.queue - submission_queue - unchecked_queue;
        KdfPool {
            reporters: Workers::new(sizes.workers),
            login_workers: Arc::new(Semaphore::new(login_workers)),
            unchecked_workers: Arc::new(Semaphore::new(unchecked_workers)),
            typical_micros: Arc::new(AtomicU64::new(0)),
            submissions: Admissions::new(sizes.workers + submission_queue),
            logins: Admissions::new(login_workers + login_queue),
            unchecked_logins: Admissions::new(unchecked_workers + unchecked_queue),
            investigators: Workers::new(sizes.investigator_workers),
            investigator_admissions: Admissions::new(
                sizes.investigator_workers + sizes.investigator_queue,
            ),
        }
    }

    /// Runs a report submission's token derivation, in a lane that logins cannot fill.
    pub async fn run_submission<T, F>(&self, job: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut KdfMemory) -> T + Send + 'static,
    {
        let _admission = self.submissions.admit()?;
        self.reporters.run(None, job).await
    }

    /// Runs a reporter login's token derivation in its lane.
    pub async fn run_login<T, F>(&self, lane: LoginLane, job: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut KdfMemory) -> T + Send + 'static,
    {
        let (_admission, _unchecked) = match lane {
            LoginLane::Checked => (self.logins.admit()?, None),
            LoginLane::Unchecked => {
                let admission = self.unchecked_logins.admit()?;
                // Held until the derivation ends: at most this many unchecked logins hold
                // or wait for a login worker, ahead of any checked login.
                let share = self
                    .unchecked_workers
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|_| Error::Internal)?;
                (admission, Some(share))
            }
        };
        let cap = self
            .login_workers
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Internal)?;
        let typical = self.typical_micros.clone();
        let timed = move |memory: &mut KdfMemory| {
            let started = Instant::now();
            let done = job(memory);
            record(&typical, started.elapsed());
            done
        };
        self.reporters.run(Some(cap), timed).await
    }

    /// Runs an investigator's password hash or check, on workers of their own.
    pub async fn run_investigator<T, F>(&self, job: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut KdfMemory) -> T + Send + 'static,
    {
        let _admission = self.investigator_admissions.admit()?;
        self.investigators.run(None, job).await
    }

    /// About as long as a login's derivation takes now: an average of the recent ones
    /// (40 ms before the first). A token refused by its check is answered after this
    /// long, so that its answer falls in the same timing class as a token refused after
    /// argon2.
    pub fn typical_derivation(&self) -> Duration {
        match self.typical_micros.load(Ordering::Relaxed) {
            0 => FIRST_TYPICAL,
            micros => Duration::from_micros(micros),
        }
    }
}

/// Workers and exactly as many argon2 buffers: a permit entitles its holder to one buffer.
struct Workers {
    permits: Arc<Semaphore>,
    /// Locked only to take or put back a buffer, never while hashing.
    memory: Arc<Mutex<Vec<KdfMemory>>>,
}

/// What [`KdfPool::typical_derivation`] says before any login has been timed: about what
/// the default parameters take on a small machine (README, Figures).
const FIRST_TYPICAL: Duration = Duration::from_millis(40);

/// Adds a login's duration to the moving average (about the last eight; the first sets
/// it). A lost update between two workers only skips one sample.
fn record(typical: &AtomicU64, took: Duration) {
    let took = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1);
    let old = typical.load(Ordering::Relaxed);
    let new = if old == 0 {
        took
    } else {
        old - old / 8 + took / 8
    };
    typical.store(new, Ordering::Relaxed);
}

impl Workers {
    fn new(workers: usize) -> Self {
        Workers {
            permits: Arc::new(Semaphore::new(workers)),
            memory: Arc::new(Mutex::new((0..workers).map(|_| KdfMemory::new()).collect())),
        }
    }

    /// Runs `job` on a blocking thread with a worker's buffer once a worker is free.
    /// `cap`, if any, is a further permit (a lane's share) held as long as the worker.
    async fn run<T, F>(&self, cap: Option<OwnedSemaphorePermit>, job: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut KdfMemory) -> T + Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Internal)?;
        let mut worker = Worker {
            // There are as many buffers as permits and a buffer goes back before its
            // permit (see `Drop for Worker`), so a permit holder always finds one.
            memory: take(&self.memory).ok_or(Error::Internal)?,
            home: self.memory.clone(),
            _permit: permit,
            _cap: cap,
        };
        // The worker moves into the job, so it stays counted, and its buffer in use, until
        // argon2 finishes, even if the client has gone away.
        Ok(tokio::task::spawn_blocking(move || job(&mut worker.memory)).await?)
    }

    #[cfg(test)]
    fn buffers(&self) -> Vec<usize> {
        let memory = self.memory.lock().unwrap_or_else(PoisonError::into_inner);
        memory.iter().map(KdfMemory::bytes).collect()
    }
}

fn take(memory: &Mutex<Vec<KdfMemory>>) -> Option<KdfMemory> {
    memory.lock().unwrap_or_else(PoisonError::into_inner).pop()
}

/// A running job's worker permit and buffer.
struct Worker {
    memory: KdfMemory,
    home: Arc<Mutex<Vec<KdfMemory>>>,
    _permit: OwnedSemaphorePermit,
    _cap: Option<OwnedSemaphorePermit>,
}

impl Drop for Worker {
    /// Puts the buffer back before the permits are released (fields drop after this). If
    /// the job panicked mid-hash the buffer may hold secrets: it is dropped, which wipes
    /// it, and an empty one takes its place.
    fn drop(&mut self) {
        let memory = if std::thread::panicking() {
            KdfMemory::new()
        } else {
            std::mem::take(&mut self.memory)
        };
        let mut home = self.home.lock().unwrap_or_else(PoisonError::into_inner);
        home.push(memory);
    }
}

/// How many requests a lane has running or waiting, and how many it may.
struct Admissions {
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

impl Admissions {
    fn new(capacity: usize) -> Self {
        Admissions {
            admitted: Arc::new(AtomicUsize::new(0)),
            capacity,
        }
    }

    /// Counts a request in, or refuses it at once if the lane is full.
    fn admit(&self) -> Result<Admission, Error> {
        if self.admitted.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(Error::Busy);
        }
        Ok(Admission(self.admitted.clone()))
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
    use std::sync::Condvar;
    use std::time::{Duration, Instant};

    use crate::crypto::{CaseToken, DeploymentSalt, KdfParams, KdfSettings};

    fn pool(workers: usize, queue: usize) -> Arc<KdfPool> {
        Arc::new(KdfPool::with_sizes(Sizes {
            workers,
            queue,
            investigator_workers: 1,
            investigator_queue: 1,
        }))
    }

    /// Holds jobs on their worker until opened (or for 10 s at most), and counts the
    /// jobs that reached it.
    #[derive(Clone, Default)]
    struct Gate(Arc<(Mutex<bool>, Condvar)>, Arc<AtomicUsize>);

    impl Gate {
        fn wait(&self) {
            self.1.fetch_add(1, Ordering::AcqRel);
            let (open, changed) = &*self.0;
            let open = open.lock().unwrap();
            let _ = changed.wait_timeout_while(open, Duration::from_secs(10), |open| !*open);
        }

        fn started(&self) -> usize {
            self.1.load(Ordering::Acquire)
        }

        fn open(&self) {
            *self.0.0.lock().unwrap() = true;
            self.0.1.notify_all();
        }
    }

    /// Starts `n` reporter logins that hold their worker (or their place in the queue)
    /// until `gate` opens, and waits (bounded) until all are admitted.
    async fn hold_logins(
        pool: &Arc<KdfPool>,
        gate: &Gate,
        n: usize,
    ) -> Vec<tokio::task::JoinHandle<Result<(), Error>>> {
        hold_lane(pool, gate, n, LoginLane::Checked).await
    }

    async fn hold_lane(
        pool: &Arc<KdfPool>,
        gate: &Gate,
        n: usize,
        lane: LoginLane,
    ) -> Vec<tokio::task::JoinHandle<Result<(), Error>>> {
        let held: Vec<_> = (0..n)
            .map(|_| {
                let (pool, gate) = (pool.clone(), gate.clone());
                tokio::spawn(async move { pool.run_login(lane, move |_| gate.wait()).await })
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(5);
        let admitted = match lane {
            LoginLane::Checked => &pool.logins,
            LoginLane::Unchecked => &pool.unchecked_logins,
        };
        while admitted.admitted.load(Ordering::Acquire) < n {
            assert!(Instant::now() < deadline, "logins were not admitted");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        held
    }

    async fn within<T>(job: impl Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(5), job)
            .await
            .expect("the job did not finish while the logins were held")
    }

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once_and_frees_up_after() {
        // One worker, a queue of one: the single waiting place is kept for submissions.
        let pool = pool(1, 1);
        let gate = Gate::default();
        let held = hold_logins(&pool, &gate, 1).await;
        assert!(matches!(
            pool.run_login(LoginLane::Checked, |_| ()).await,
            Err(Error::Busy)
        ));
        gate.open();
        for h in held {
            assert!(h.await.unwrap().is_ok());
        }
        assert_eq!(pool.run_login(LoginLane::Checked, |_| 7).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_login_flood_cannot_take_the_submission_lane() {
        // Two workers, a queue of eight: checked logins may hold one worker and four
        // waiting places.
        let pool = pool(2, 8);
        let gate = Gate::default();
        let held = hold_logins(&pool, &gate, 5).await;
        assert!(matches!(
            pool.run_login(LoginLane::Checked, |_| ()).await,
            Err(Error::Busy)
        ));
        // The submission neither is refused nor waits for the held logins.
        assert_eq!(within(pool.run_submission(|_| 1)).await.unwrap(), 1);
        gate.open();
        for h in held {
            assert!(h.await.unwrap().is_ok());
        }
    }

    #[tokio::test]
    async fn with_one_worker_a_submission_waits_for_one_login_not_the_flood() {
        let pool = pool(1, 8);
        let gate = Gate::default();
        let held = hold_logins(&pool, &gate, 5).await;
        let submission = {
            let (pool, gate) = (pool.clone(), gate.clone());
            // How many jobs had started when the submission did.
            tokio::spawn(async move { pool.run_submission(move |_| gate.started()).await })
        };
        // Admission and the wait for a worker happen in one poll.
        let deadline = Instant::now() + Duration::from_secs(5);
        while pool.submissions.admitted.load(Ordering::Acquire) < 1 {
            assert!(Instant::now() < deadline, "the submission was not admitted");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        gate.open();
        let started_before = within(submission).await.unwrap().unwrap();
        assert_eq!(started_before, 1, "the submission waited behind the flood");
        for h in held {
            assert!(h.await.unwrap().is_ok());
        }
    }

    #[tokio::test]
    async fn a_flood_of_old_tokens_fills_its_own_lane_and_a_checked_login_waits_for_one() {
        // Two workers, a queue of eight: unchecked logins may hold one login worker and
        // two waiting places.
        let pool = pool(2, 8);
        let gate = Gate::default();
        let held = hold_lane(&pool, &gate, 3, LoginLane::Unchecked).await;
        assert!(matches!(
            pool.run_login(LoginLane::Unchecked, |_| ()).await,
            Err(Error::Busy)
        ));
        let checked = {
            let (pool, gate) = (pool.clone(), gate.clone());
            tokio::spawn(async move {
                pool.run_login(LoginLane::Checked, move |_| gate.started())
                    .await
            })
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while pool.logins.admitted.load(Ordering::Acquire) < 1 {
            assert!(Instant::now() < deadline, "the checked login was refused");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        gate.open();
        let started_before = within(checked).await.unwrap().unwrap();
        assert_eq!(
            started_before, 1,
            "the checked login waited behind the flood"
        );
        for h in held {
            assert!(h.await.unwrap().is_ok());
        }
    }

    #[tokio::test]
    async fn investigators_have_their_own_workers() {
        let pool = pool(2, 8);
        let gate = Gate::default();
        let logins = hold_logins(&pool, &gate, 5).await;
        // Fill the submission lane too (two workers and two of the eight waiting places):
        // every reporter worker and waiting place is taken.
        let submissions: Vec<_> = (0..4)
            .map(|_| {
                let (pool, gate) = (pool.clone(), gate.clone());
                tokio::spawn(async move { pool.run_submission(move |_| gate.wait()).await })
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(5);
        while pool.submissions.admitted.load(Ordering::Acquire) < 4 {
            assert!(Instant::now() < deadline, "submissions were not admitted");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(matches!(
            pool.run_submission(|_| ()).await,
            Err(Error::Busy)
        ));
        assert_eq!(within(pool.run_investigator(|_| 2)).await.unwrap(), 2);
        gate.open();
        for h in logins.into_iter().chain(submissions) {
            assert!(h.await.unwrap().is_ok());
        }
    }

    #[tokio::test]
    async fn each_worker_reuses_one_buffer() {
        let settings = KdfSettings {
            salt: DeploymentSalt::generate(),
            params: KdfParams {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
        };
        let pool = pool(2, 160);
        // Jobs record whether they were handed a buffer never used before.
        let fresh = Arc::new(AtomicUsize::new(0));
        let jobs: Vec<_> = (0..40)
            .map(|i| {
                let (pool, fresh) = (pool.clone(), fresh.clone());
                tokio::spawn(async move {
                    let job = move |memory: &mut KdfMemory| {
                        if memory.bytes() == 0 {
                            fresh.fetch_add(1, Ordering::AcqRel);
                        }
                        let token = CaseToken::generate();
                        settings.derive_seed_in(&token, memory).map(|_| ())
                    };
                    if i % 2 == 0 {
                        pool.run_login(LoginLane::Checked, job).await
                    } else {
                        pool.run_submission(job).await
                    }
                })
            })
            .collect();
        for job in jobs {
            assert!(job.await.unwrap().unwrap().is_ok());
        }
        assert!(
            fresh.load(Ordering::Acquire) <= 2,
            "more buffers than workers"
        );
        assert_eq!(pool.reporters.buffers(), vec![64 * 1024; 2]);
        assert_eq!(
            pool.investigators.buffers(),
            vec![0],
            "untouched, never allocated"
        );
    }

    #[tokio::test]
    async fn a_job_that_panics_gives_back_an_empty_buffer() {
        let pool = pool(1, 0);
        pool.run_submission(|memory| memory.bytes()).await.unwrap();
        let panicked = pool
            .run_submission(|_: &mut KdfMemory| panic!("argon2 failed"))
            .await;
        assert!(panicked.is_err());
        assert_eq!(pool.reporters.buffers(), vec![0]);
        assert!(pool.run_submission(|_| ()).await.is_ok());
    }
}
