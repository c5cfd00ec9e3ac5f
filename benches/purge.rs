//! What retention costs: deleting 10,000 closed cases (each with a report, a follow-up,
//! an internal note, three wraps and one small evidence file) in one run of
//! `service::Retention`, as `serve --retention-days` does at start and daily. The run
//! writes one "case purged" audit entry per case (each fsynced, like every audit entry),
//! then deletes the cases in one sled transaction each and fsyncs once. The store is
//! filled with `Durability::FlushOnly` to save time, then reopened with `Fsync` for the
//! measured run. Printed, not asserted; the figures depend on the disk.
//!
//! It also measures the store's rewrite (`Upkeep::rewrite`, what `serve --rewrite-every`
//! runs, and after a purge): once with the 10,000 cases in the store (every tree copied
//! into a fresh sled directory, fsynced and swapped in, and each evidence file copied
//! anew and its times reset), and once after the purge, when it returns the purged
//! bytes to the filesystem.
//! Run with `cargo bench --bench purge` (QUIETLINE_BENCH_CASES to change the count).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use quietline::case::{
    Author, CaseRecord, Category, Day, DeadlinePolicy, Outcome, Retention as Rule, Status,
};
use quietline::crypto::{CaseToken, DeploymentSalt, KdfParams, KdfSettings, LookupId, Wrap};
use quietline::service::{Retention, clock};
use quietline::store::{
    CaseId, Durability, Holder, NewCase, NoteEntry, OpenOptions, SledStore, Store, ThreadEntry,
    Upkeep,
};

fn lookups(n: usize) -> Vec<LookupId> {
    // Tiny argon2 settings: the bench measures the purge, not the KDF.
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

fn entry(author: Author, day: Day) -> ThreadEntry {
    ThreadEntry {
        author,
        day,
        ciphertext: vec![42; 1200],
    }
}

fn main() {
    let cases: usize = std::env::var("QUIETLINE_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let long_ago = Day::from_ymd(2020, 1, 6).unwrap();
    let fill = Instant::now();
    {
        let store = SledStore::open_with(
            dir.path(),
            OpenOptions {
                durability: Durability::FlushOnly,
                ..OpenOptions::default()
            },
        )
        .unwrap();
        for lookup in lookups(cases) {
            let mut blob = store.new_blob().unwrap();
            blob.write_all(&[9; 4096]).unwrap();
            let blob = blob.complete().unwrap();
            let id = CaseId::generate();
            store
                .create_case(NewCase {
                    id,
                    lookup,
                    record: CaseRecord::new_report(
                        Category::Other,
                        false,
                        long_ago,
                        DeadlinePolicy::default(),
                        vec!["ana".into(), "bruno".into()],
                    ),
                    wraps: vec![
                        (Holder::Reporter, Wrap(vec![7; 200])),
                        (Holder::Investigator("ana".into()), Wrap(vec![8; 200])),
                        (Holder::Investigator("bruno".into()), Wrap(vec![8; 200])),
                    ],
                    report: entry(Author::Reporter, long_ago),
                    blobs: vec![blob],
                })
                .unwrap();
            store
                .append_entry(id, entry(Author::Investigator, long_ago), &[])
                .unwrap();
            store
                .append_note(
                    id,
                    NoteEntry {
                        author: "ana".into(),
                        day: long_ago,
                        ciphertext: vec![5; 600],
                    },
                )
                .unwrap();
            store
                .update_case(id, &mut |r| {
                    r.change_status(Status::Closed(Outcome::Referred), long_ago)
                })
                .unwrap();
            store.set_closed_on(id, Some(long_ago)).unwrap();
        }
    }
    println!("filled {cases} closed cases in {:.1?}", fill.elapsed());

    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
    // The first rewrite copies every evidence file (as the first one after an upgrade
    // does); the next ones copy only those that arrived since, here none.
    for which in ["first", "next"] {
        let start = Instant::now();
        let rewritten = store.rewrite().unwrap();
        let took = start.elapsed();
        println!(
            "{which} rewrite of the store with {cases} cases ({} records, {} of {} evidence files \
             copied) in {:.2?}, writes paused {:.2?}: {:.1} MiB before, {:.1} MiB after",
            rewritten.records,
            rewritten.evidence_copied,
            rewritten.evidence_files,
            took,
            rewritten.writes_paused,
            mib(rewritten.bytes_before),
            mib(rewritten.bytes_after)
        );
    }
    let retention = Retention::new(
        store.clone(),
        clock::system(),
        Rule {
            days_after_closure: 30,
        },
        Arc::new(Mutex::new(())),
    );
    let start = Instant::now();
    let run = retention.run().unwrap();
    let took = start.elapsed();
    assert_eq!(run.purged.cases, cases as u64);
    assert_eq!(store.case_count().unwrap(), 0);
    println!(
        "purged {} cases ({} thread entries, {} notes, {} evidence files) in {:.2?}: {:.2} ms per case",
        run.purged.cases,
        run.purged.entries,
        run.purged.notes,
        run.purged.evidence_files,
        took,
        took.as_secs_f64() * 1000.0 / cases as f64
    );
    let start = Instant::now();
    let rewritten = store.rewrite().unwrap();
    println!(
        "rewrote the store after the purge in {:.2?}, writes paused {:.2?}: {:.1} MiB before, \
         {:.1} MiB after",
        start.elapsed(),
        rewritten.writes_paused,
        mib(rewritten.bytes_before),
        mib(rewritten.bytes_after)
    );
    drop(retention);
    drop(store);
    // The purge lowered the mark: the store opens again.
    SledStore::open(dir.path()).unwrap();
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
