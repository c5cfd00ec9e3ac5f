//! The PostgreSQL store beside sled, printed rather than asserted: durable writes per
//! second (new cases and thread appends) from one thread and from four, with one store
//! handle and with two (two instances' connection pools on one database), reporter token
//! logins per second (argon2id at the production defaults, the case read and its key
//! unwrapped, and a reporter session started: in memory on sled, sealed into the database
//! on PostgreSQL, as `serve` does), and the first page of the case list (50 cases in
//! triage order) at `QUIETLINE_BENCH_CASES` cases (100,000 by default; sled's is in
//! `benches/desk.rs`). The figures depend on the disk and on where the database runs.
//!
//! Run with `QUIETLINE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:PORT/postgres
//! cargo bench --bench postgres`: it creates a database of its own on that server (and
//! leaves it, to be looked at). Without the variable it measures sled only.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quietline::case::{Author, CaseRecord, Category, Day, DeadlinePolicy, Role};
use quietline::crypto::{
    CaseKey, CaseToken, DeploymentSalt, InvestigatorIdentity, KdfMemory, KdfParams, KdfSettings,
    LookupId, TokenCheckKey, Wrap,
};
use quietline::message::MessageContent;
use quietline::service::{MessageLimits, NewReport, ReporterSessions, Reporting, SystemClock};
use quietline::store::{
    CaseId, DatabaseUrl, Holder, InvestigatorRecord, NewCase, PgStore, SledStore, Store,
    ThreadEntry,
};

const WRITES: usize = 400;
const PAGE: usize = 50;
/// Logins per measure: each is an argon2id run at the production defaults.
const LOGINS: usize = 48;
/// Cases the logins open (a login ends the case's previous session, as in `serve`).
const LOGIN_CASES: usize = 12;

fn kdf() -> KdfSettings {
    // Tiny argon2 settings: the bench measures the store, not the KDF.
    KdfSettings {
        salt: DeploymentSalt::generate(),
        params: KdfParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
    }
}

fn lookup(kdf: &KdfSettings) -> LookupId {
    kdf.derive_seed(&CaseToken::generate()).unwrap().lookup_id()
}

fn new_case(lookup: LookupId, n: usize) -> NewCase {
    let day = Day::today();
    NewCase {
        id: CaseId::generate(),
        lookup,
        record: CaseRecord::new_report(
            Category::Other,
            n.is_multiple_of(10),
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

/// Runs `count` writes split over `threads` threads, thread `t` on store `t % stores`;
/// returns writes per second.
fn rate(
    stores: &[Arc<dyn Store>],
    threads: usize,
    count: usize,
    write: impl Fn(&dyn Store, usize) + Sync,
) -> f64 {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let write = &write;
            let store = stores[t % stores.len()].clone();
            scope.spawn(move || {
                for n in (t..count).step_by(threads) {
                    write(&*store, n);
                }
            });
        }
    });
    count as f64 / start.elapsed().as_secs_f64()
}

fn first_page(store: &dyn Store) -> Duration {
    let mut samples: Vec<Duration> = (0..20)
        .map(|_| {
            let start = Instant::now();
            let mut seen = 0;
            store
                .visit_cases(&mut |_, _| {
                    seen += 1;
                    seen < PAGE
                })
                .unwrap();
            start.elapsed()
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2]
}

/// The write figures and the case list of one backend, with `stores` handles.
fn measure(name: &str, stores: &[Arc<dyn Store>], cases: usize) {
    let kdf = kdf();
    for threads in [1, 4] {
        let created = rate(stores, threads, WRITES, |store, n| {
            store.create_case(new_case(lookup(&kdf), n)).unwrap();
        });
        let mut ids = Vec::new();
        stores[0]
            .visit_cases(&mut |id, _| {
                ids.push(id);
                ids.len() < 100
            })
            .unwrap();
        let appended = rate(stores, threads, WRITES, |store, n| {
            store
                .append_entry(ids[n % ids.len()], entry(), &[])
                .unwrap();
        });
        println!(
            "{name:<34} {threads} thread(s): {created:>7.0} new cases/s {appended:>7.0} appends/s"
        );
    }
    let have = stores[0].case_count().unwrap();
    if cases > have {
        let start = Instant::now();
        // Filled from eight threads; the figure above is the one that counts.
        rate(stores, 8, cases - have, |store, n| {
            store.create_case(new_case(lookup(&kdf), n)).unwrap();
        });
        println!(
            "{name:<34} filled to {cases} cases in {:.0} s",
            start.elapsed().as_secs_f64()
        );
    }
    println!(
        "{name:<34} case list, first {PAGE} of {} cases: {:.2} ms (median of 20)",
        stores[0].case_count().unwrap(),
        first_page(&*stores[0]).as_secs_f64() * 1000.0
    );
}

/// One instance's reporter side: the service over a store handle, and its sessions.
struct Instance {
    reporting: Reporting,
    sessions: ReporterSessions,
}

impl Instance {
    /// The service as `serve` wires it; `shared` keeps sessions in the database.
    fn new(store: Arc<dyn Store>, shared: Option<&PgStore>) -> Instance {
        let proposed = KdfSettings {
            salt: DeploymentSalt::generate(),
            params: KdfParams::default(),
        };
        // The first instance fixes the settings and the key; the second reads them.
        let kdf = store.init_kdf(proposed).unwrap();
        let token_key = store
            .init_token_key(TokenCheckKey::generate(false))
            .unwrap();
        let mut sessions = ReporterSessions::new(
            Duration::from_secs(15 * 60),
            Duration::from_secs(60 * 60),
            Arc::new(SystemClock),
        );
        if let Some(pg) = shared {
            sessions = sessions.with_shared(Box::new(pg.reporter_sessions()));
        }
        let limits = MessageLimits {
            body_bytes: 100_000,
            field_bytes: 10_000,
        };
        let reporting = Reporting::new(store, kdf, token_key, DeadlinePolicy::default(), limits);
        Instance {
            reporting,
            sessions,
        }
    }
}

/// An investigator whose recipient new cases are wrapped to (a demo account needs no
/// enrolment).
fn add_investigator(store: &dyn Store) {
    if store.investigator("bench").unwrap().is_some() {
        return;
    }
    store
        .add_investigator(InvestigatorRecord {
            name: "bench".into(),
            recipient: InvestigatorIdentity::generate().recipient(),
            role: Role::Investigator,
            enabled: true,
            demo: true,
            added: Day::today(),
            credentials: Default::default(),
            proposed_by: None,
            alert_address: None,
            alert_digests: false,
        })
        .unwrap();
}

/// Token logins per second from one thread and from four, thread `t` on instance
/// `t % instances`, after submitting the reports whose tokens they use.
fn logins(name: &str, instances: &[Instance]) {
    let mut memory = KdfMemory::new();
    let first = &instances[0].reporting;
    let tokens: Vec<CaseToken> = (0..LOGIN_CASES)
        .map(|_| {
            let content = MessageContent {
                body: "x".repeat(2_000),
                where_when: None,
                people: None,
                attachments: Vec::new(),
                removed_file: None,
            };
            let report = NewReport {
                content: first.check(content).unwrap(),
                category: Category::CoercionOrThreat,
                urgent: false,
                key: CaseKey::generate(),
                blobs: Vec::new(),
            };
            first.submit(report, Day::today(), &mut memory).unwrap()
        })
        .collect();
    for threads in [1, 4] {
        let start = Instant::now();
        std::thread::scope(|scope| {
            for t in 0..threads {
                let (instance, tokens) = (&instances[t % instances.len()], &tokens);
                scope.spawn(move || {
                    let mut memory = KdfMemory::new();
                    for n in (t..LOGINS).step_by(threads) {
                        let token = &tokens[n % tokens.len()];
                        let case = instance.reporting.open(token, &mut memory).unwrap();
                        let fingerprint = instance.sessions.fingerprint(token);
                        instance.sessions.create(case, fingerprint).unwrap();
                    }
                });
            }
        });
        let rate = LOGINS as f64 / start.elapsed().as_secs_f64();
        println!("{name:<34} {threads} thread(s): {rate:>7.1} token logins/s");
    }
}

fn main() {
    let cases: usize = std::env::var("QUIETLINE_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let sled: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
    // sled's case list at 100,000 cases is `benches/desk.rs`'s figure: filling sled
    // with an fsync per case would take this bench minutes for nothing new.
    measure("sled (fsync)", std::slice::from_ref(&sled), 0);
    add_investigator(&*sled);
    logins("sled (fsync)", &[Instance::new(sled, None)]);

    let Ok(base) = std::env::var("QUIETLINE_BENCH_DATABASE_URL") else {
        println!("PostgreSQL not measured: set QUIETLINE_BENCH_DATABASE_URL");
        return;
    };
    let name = format!("quietline_bench_{}", std::process::id());
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (head, _) = base.rsplit_once('/').unwrap();
    let url = DatabaseUrl::parse(&format!("{head}/{name}")).unwrap();
    // What each instance's high-water mark costs, in this run: the writes without it.
    let bare: Arc<dyn Store> = Arc::new(PgStore::open(&url).unwrap());
    measure("PostgreSQL, one, without the mark", &[bare], 0);
    // Opened as `serve` opens them: each instance raises its own high-water mark in its
    // data directory after every write (`store/postgres/mark.rs`), and that is measured.
    let (dir_one, dir_two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one_pg = Arc::new(PgStore::open_serving(&url, dir_one.path(), false).unwrap());
    let one: Arc<dyn Store> = one_pg.clone();
    measure("PostgreSQL, one instance", std::slice::from_ref(&one), 0);
    add_investigator(&*one);
    let instance_one = Instance::new(one.clone(), Some(&one_pg));
    logins(
        "PostgreSQL, one instance",
        std::slice::from_ref(&instance_one),
    );
    let two_pg = Arc::new(PgStore::open_serving(&url, dir_two.path(), false).unwrap());
    let two: Arc<dyn Store> = two_pg.clone();
    // Before the fill: right after 100,000 inserts, autovacuum and a checkpoint run.
    let instance_two = Instance::new(two.clone(), Some(&two_pg));
    logins("PostgreSQL, two instances", &[instance_one, instance_two]);
    measure("PostgreSQL, two instances", &[one, two], cases);
    println!("(database {name} left on the server)");
}
