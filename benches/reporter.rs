//! Figures for the reporter side, printed rather than asserted: what one token derivation
//! costs at the production KDF defaults, how long a durable submit and a follow-up take,
//! and whether a wrong token answers in the same time as a right one (it must: the argon2
//! run dominates both, so response time tells nothing about which tokens exist).
//!
//! Run with `cargo bench --bench reporter`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quietline::case::Role;
use quietline::case::{Category, Day, DeadlinePolicy};
use quietline::crypto::{
    CaseToken, DeploymentSalt, InvestigatorIdentity, KdfMemory, KdfParams, KdfSettings,
};
use quietline::message::MessageContent;
use quietline::service::{Error, MessageLimits, NewReport, Reporting};
use quietline::store::{InvestigatorRecord, SledStore, Store};

const RUNS: usize = 30;

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<44} median {:>8.2} ms   p90 {:>8.2} ms   min {:>8.2} ms   (n = {})",
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() * 9 / 10]),
        ms(samples[0]),
        samples.len()
    );
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn text(body: String) -> MessageContent {
    MessageContent {
        body,
        where_when: None,
        people: None,
        attachments: Vec::new(),
        removed_file: None,
    }
}

fn report(reporting: &Reporting, body: &str) -> NewReport {
    let content = MessageContent {
        body: body.to_owned(),
        where_when: None,
        people: None,
        attachments: Vec::new(),
        removed_file: None,
    };
    NewReport {
        content: reporting.check(content).unwrap(),
        category: Category::CoercionOrThreat,
        urgent: false,
        key: quietline::crypto::CaseKey::generate(),
        blobs: Vec::new(),
    }
}

fn main() {
    let params = KdfParams::default();
    println!(
        "KDF defaults: argon2id m = {} KiB, t = {}, p = {}",
        params.memory_kib, params.iterations, params.parallelism
    );
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    for n in 0..3 {
        store
            .add_investigator(InvestigatorRecord {
                name: format!("investigator-{n}"),
                recipient: InvestigatorIdentity::generate().recipient(),
                role: Role::Investigator,
                enabled: true,
                demo: false,
                added: Day::today(),
                credentials: Default::default(),
                proposed_by: None,
                alert_address: None,
                alert_digests: false,
            })
            .unwrap();
    }
    let kdf = KdfSettings {
        salt: DeploymentSalt::generate(),
        params,
    };
    let reporting = Reporting::new(
        store,
        kdf,
        quietline::crypto::TokenCheckKey::generate(false),
        DeadlinePolicy::default(),
        MessageLimits {
            body_bytes: 100_000,
            field_bytes: 10_000,
        },
    );

    let token = CaseToken::generate();
    summary(
        "argon2id token derivation",
        (0..RUNS)
            .map(|_| timed(|| kdf.derive_seed(&token).unwrap()).1)
            .collect(),
    );
    // As the server runs it: one buffer per worker, reused and wiped after each derivation.
    let mut memory = KdfMemory::new();
    summary(
        "argon2id token derivation, reused memory",
        (0..RUNS)
            .map(|_| timed(|| kdf.derive_seed_in(&token, &mut memory).unwrap()).1)
            .collect(),
    );

    let body = "x".repeat(2_000);
    let mut tokens = Vec::new();
    let mut submits = Vec::new();
    for _ in 0..RUNS {
        let (token, took) = timed(|| {
            reporting
                .submit(report(&reporting, &body), Day::today(), &mut memory)
                .unwrap()
        });
        tokens.push(token);
        submits.push(took);
    }
    summary("submit (2 kB, 3 investigators, fsync)", submits);

    let mut right = Vec::new();
    let mut wrong = Vec::new();
    for token in &tokens {
        right.push(timed(|| reporting.open(token, &mut memory).unwrap()).1);
        let stranger = CaseToken::generate();
        let (result, took) = timed(|| reporting.open(&stranger, &mut memory));
        assert!(matches!(result, Err(Error::UnknownToken)));
        wrong.push(took);
    }
    summary("open with the right token", right);
    summary("open with a wrong token", wrong);

    let case = reporting.open(&tokens[0], &mut memory).unwrap();
    summary(
        "follow-up (200 B, fsync)",
        (0..RUNS)
            .map(|_| {
                timed(|| {
                    reporting
                        .follow_up(
                            &case,
                            reporting.check(text("y".repeat(200))).unwrap(),
                            &[],
                            Day::today(),
                        )
                        .unwrap()
                })
                .1
            })
            .collect(),
    );
    summary(
        &format!("read a thread of {} messages", RUNS + 1),
        (0..RUNS)
            .map(|_| timed(|| reporting.read(&case).unwrap()).1)
            .collect(),
    );
}
