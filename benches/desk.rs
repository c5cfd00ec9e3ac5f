//! Figures for the investigator's case list at 100,000 cases: how long one page of the
//! triage list takes (first page, a deep page, with filters) and the statistics view.
//! Printed, not asserted. Run with `cargo bench --bench desk`.
//!
//! The store lives on /dev/shm when it exists, so that seeding 100,000 cases measures the
//! list, not 100,000 fsyncs.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use quietline::case::{Author, CaseRecord, Category, Day, DeadlinePolicy, Role, Status};
use quietline::crypto::{
    CaseToken, DeploymentSalt, KdfMemory, KdfParams, KdfSettings, PasswordHash, Wrap,
};
use quietline::service::{Accounts, CaseFilter, CaseOrder, Cases, SessionLimits, clock};
use quietline::store::{
    CaseId, Credentials, Holder, InvestigatorRecord, NewCase, SledStore, Store, ThreadEntry,
};

const CASES: usize = 100_000;
const SMALL: KdfParams = KdfParams {
    memory_kib: 8,
    iterations: 1,
    parallelism: 1,
};

fn median(name: &str, mut f: impl FnMut()) {
    let mut samples: Vec<Duration> = (0..9)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    samples.sort();
    println!(
        "{name:<48} median {:>8.1} ms   max {:>8.1} ms",
        samples[4].as_secs_f64() * 1000.0,
        samples[8].as_secs_f64() * 1000.0
    );
}

fn main() {
    let base = std::path::Path::new("/dev/shm");
    let dir = if base.is_dir() {
        tempfile::tempdir_in(base)
    } else {
        tempfile::tempdir()
    }
    .unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
    let totp_secret = b"bench totp secret 20".to_vec();
    store
        .add_investigator(InvestigatorRecord {
            name: "ana".into(),
            recipient: quietline::crypto::InvestigatorIdentity::generate().recipient(),
            role: Role::Investigator,
            enabled: true,
            demo: false,
            added: Day::today(),
            credentials: Credentials {
                password: Some(PasswordHash::new("bench password 1", SMALL).unwrap()),
                totp_secret: Some(totp_secret.clone()),
                totp_confirmed: true,
                ..Credentials::default()
            },
            proposed_by: None,
            alert_address: None,
            alert_digests: false,
        })
        .unwrap();

    let seeding = Instant::now();
    let kdf = KdfSettings {
        salt: DeploymentSalt::generate(),
        params: SMALL,
    };
    let today = Day::today();
    for n in 0..CASES {
        let received = today.plus_days(0).plus_months(0);
        let received =
            Day::from_ymd(2026, 1 + (n % 11) as u8, 1 + (n % 28) as u8).unwrap_or(received);
        let lookup = kdf.derive_seed(&CaseToken::generate()).unwrap().lookup_id();
        let status = match n % 4 {
            0 => Status::New,
            1 => Status::Acknowledged,
            2 => Status::Investigating,
            _ => Status::Closed(quietline::case::Outcome::Referred),
        };
        store
            .create_case(NewCase {
                id: CaseId::generate(),
                lookup,
                record: CaseRecord {
                    status,
                    category: Category::ALL[n % 5],
                    urgent: n % 50 == 0,
                    received,
                    deadlines: DeadlinePolicy::default().for_case_received(received),
                    acknowledged: (n % 4 != 0).then_some(received.plus_days(3)),
                    first_feedback: None,
                    assignees: if n % 3 == 0 {
                        vec!["ana".into()]
                    } else {
                        vec![]
                    },
                    holders: vec!["ana".into()],
                    entries: 1,
                    last_reporter_entry: 0,
                    notes: 0,
                    reporter_seen: 0,
                    labels: vec![],
                    last_activity: None,
                    last_reporter_day: None,
                },
                wraps: vec![(Holder::Investigator("ana".into()), Wrap(vec![0; 200]))],
                report: ThreadEntry {
                    author: Author::Reporter,
                    day: received,
                    ciphertext: vec![0; 400],
                },
                blobs: vec![],
            })
            .unwrap();
    }
    println!(
        "seeded {CASES} cases in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let accounts = Accounts::new(
        store.clone(),
        SMALL,
        SessionLimits {
            idle: Duration::from_secs(600),
            max: Duration::from_secs(3600),
        },
        clock::system(),
    )
    .unwrap();
    let cases = Cases::new(store.clone(), clock::system());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code =
        totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, totp_secret).generate(now);
    let (_, ana) = accounts
        .login("ana", "bench password 1", &code, &mut KdfMemory::new())
        .unwrap();

    median("store: visit every case in triage order", || {
        let mut n = 0;
        store
            .visit_cases(&mut |_, _| {
                n += 1;
                true
            })
            .unwrap();
        assert_eq!(n, CASES);
    });
    let all = CaseFilter::default();
    median("list, first page of 50", || {
        cases.list(&ana, &all, 0, 50, today).unwrap();
    });
    median("list, page 1000 of 50", || {
        cases.list(&ana, &all, 1000, 50, today).unwrap();
    });
    let new_only = CaseFilter {
        status: Some("new".into()),
        ..CaseFilter::default()
    };
    median("list, status = new, first page", || {
        cases.list(&ana, &new_only, 0, 50, today).unwrap();
    });
    let mine = CaseFilter {
        assignee: Some("ana".into()),
        ..CaseFilter::default()
    };
    median("list, assignee = ana, first page", || {
        cases.list(&ana, &mine, 0, 50, today).unwrap();
    });
    let waiting = CaseFilter {
        waiting: true,
        overdue: true,
        ..CaseFilter::default()
    };
    median("list, reporter waiting and overdue, first page", || {
        cases.list(&ana, &waiting, 0, 50, today).unwrap();
    });
    median("list, sorted by reporter waiting, first page", || {
        cases
            .list_in_order(&ana, &all, CaseOrder::Waiting, 0, 50, today)
            .unwrap();
    });
    median("statistics over all cases", || {
        cases.stats(today).unwrap();
    });
}
