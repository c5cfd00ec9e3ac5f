//! What durable acknowledgements cost: writes per second of the sled store with
//! `Durability::Fsync` (sled's flush, an fsync of its files and of the high-water mark:
//! what the service does) against `Durability::FlushOnly` (sled's flush alone, which
//! does not survive a power cut). New cases and thread appends, from one thread and from
//! four. Printed, not asserted; the figures depend on the disk.
//! Run with `cargo bench --bench store`; set QUIETLINE_BENCH_DIR to measure another disk
//! than the temporary directory's.

use std::sync::Arc;
use std::time::Instant;

use quietline::case::{Author, CaseRecord, Category, Day, DeadlinePolicy};
use quietline::crypto::{CaseToken, DeploymentSalt, KdfParams, KdfSettings, LookupId, Wrap};
use quietline::store::{
    CaseId, Durability, Holder, NewCase, OpenOptions, SledStore, Store, ThreadEntry,
};

const WRITES: usize = 400;
const THREADS: usize = 4;

fn lookups(n: usize) -> Vec<LookupId> {
    // Tiny argon2 settings: the bench measures the store, not the KDF.
    let kdf = KdfSettings {
        salt: DeploymentSalt::generate(),
        params: KdfParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
    };
    (0..n)
        .map(|_| kdf.derive_seed(&CaseToken::generate()).unwrap().lookup_id())
        .collect()
}

fn new_case(lookup: LookupId) -> NewCase {
    let day = Day::today();
    NewCase {
        id: CaseId::generate(),
        lookup,
        record: CaseRecord::new_report(
            Category::Other,
            false,
            day,
            DeadlinePolicy::default(),
            vec!["ana".into()],
        ),
        wraps: vec![
            (Holder::Reporter, Wrap(vec![7; 200])),
            (Holder::Investigator("ana".into()), Wrap(vec![8; 200])),
        ],
        report: entry(),
        blobs: vec![],
    }
}

fn entry() -> ThreadEntry {
    ThreadEntry {
        author: Author::Reporter,
        day: Day::today(),
        // About what a short report is once age-encrypted.
        ciphertext: vec![42; 1200],
    }
}

fn open(durability: Durability) -> (tempfile::TempDir, Arc<SledStore>) {
    let dir = match std::env::var_os("QUIETLINE_BENCH_DIR") {
        Some(base) => tempfile::tempdir_in(base),
        None => tempfile::tempdir(),
    }
    .unwrap();
    let store = SledStore::open_with(
        dir.path(),
        OpenOptions {
            durability,
            ..OpenOptions::default()
        },
    )
    .unwrap();
    (dir, Arc::new(store))
}

/// Runs `WRITES` writes split over `threads` threads; returns writes per second.
fn rate(threads: usize, write: impl Fn(usize) + Sync) -> f64 {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let write = &write;
            scope.spawn(move || {
                for n in (t..WRITES).step_by(threads) {
                    write(n);
                }
            });
        }
    });
    WRITES as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let keys = lookups(2 * WRITES);
    println!("{WRITES} writes per figure, on {}", {
        let (dir, _) = open(Durability::FlushOnly);
        dir.path().parent().unwrap().display().to_string()
    });
    println!(
        "{:<28} {:>14} {:>14} {:>8}",
        "writes/s", "flush only", "fsync", "cost"
    );
    for threads in [1, THREADS] {
        let mut figures = Vec::new();
        for durability in [Durability::FlushOnly, Durability::Fsync] {
            let (_dir, store) = open(durability);
            let offset = if threads == 1 { 0 } else { WRITES };
            let created = rate(threads, |n| {
                store
                    .create_case(new_case(keys[offset + n].clone()))
                    .unwrap();
            });
            let cases: Vec<CaseId> = {
                let mut ids = Vec::new();
                store
                    .visit_cases(&mut |id, _| {
                        ids.push(id);
                        true
                    })
                    .unwrap();
                ids
            };
            let appended = rate(threads, |n| {
                store
                    .append_entry(cases[n % cases.len()], entry(), &[])
                    .unwrap();
            });
            figures.push((created, appended));
        }
        let [
            (flush_created, flush_appended),
            (sync_created, sync_appended),
        ] = figures[..]
        else {
            unreachable!("two durability modes")
        };
        for (what, flush, sync) in [
            ("new case", flush_created, sync_created),
            ("thread append", flush_appended, sync_appended),
        ] {
            println!(
                "{:<28} {flush:>14.0} {sync:>14.0} {:>7.1}x",
                format!("{what}, {threads} thread(s)"),
                flush / sync
            );
        }
    }
}
