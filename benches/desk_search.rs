//! Figures for the desk's in-memory search (`quietline::desk::search`): time to build the
//! text of 1,000 and 10,000 cases from their decrypted messages, and to answer a query
//! over them. The goal (issue 13) is a query under 100 ms at 10,000 cases. Printed, not
//! asserted. Run with `cargo bench --bench desk_search`.
//!
//! Decryption is left out: it is the same age work as opening each case once, and is paid
//! when a case's text is first read or changes, not per query.

use std::time::{Duration, Instant};

use quietline::desk::search::{CaseText, Query, TextIndex};
use quietline::message::MessageContent;

const WORDS: &[&str] = &[
    "le",
    "chef",
    "d'équipe",
    "a",
    "demandé",
    "le",
    "planning",
    "des",
    "scanners",
    "au",
    "poste",
    "frontière",
    "deux",
    "hommes",
    "attendaient",
    "après",
    "service",
    "they",
    "asked",
    "for",
    "the",
    "rota",
    "gate",
    "truck",
    "container",
    "cash",
    "envelope",
    "threatened",
    "family",
    "school",
    "depot",
    "morning",
    "night",
    "shift",
    "colleague",
];

/// A report of about 1,500 characters and two follow-ups, different for each case.
fn thread(n: usize) -> Vec<Option<MessageContent>> {
    let text = |seed: usize, words: usize| {
        (0..words)
            .map(|i| WORDS[(seed * 31 + i * 7 + i * i) % WORDS.len()])
            .collect::<Vec<_>>()
            .join(" ")
            + &format!(" case-{seed}")
    };
    (0..3)
        .map(|k| {
            Some(MessageContent {
                body: text(n * 3 + k, if k == 0 { 220 } else { 60 }),
                where_when: Some(format!("Gate {}, day {}", n % 40, n % 28)),
                people: None,
                attachments: vec![],
                removed_file: None,
            })
        })
        .collect()
}

fn median(name: &str, runs: usize, mut f: impl FnMut()) -> Duration {
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    samples.sort();
    let mid = samples[runs / 2];
    println!(
        "{name:<52} median {:>9.2} ms   max {:>9.2} ms",
        mid.as_secs_f64() * 1000.0,
        samples[runs - 1].as_secs_f64() * 1000.0
    );
    mid
}

fn main() {
    for cases in [1_000, 10_000] {
        let threads: Vec<_> = (0..cases).map(thread).collect();
        let ids: Vec<String> = (0..cases).map(|n| format!("{n:032x}")).collect();
        let mut index = TextIndex::default();
        median(&format!("{cases} cases: build the index"), 3, || {
            index = TextIndex::default();
            for (id, thread) in ids.iter().zip(&threads) {
                index.insert(id.clone(), CaseText::new(3, thread));
            }
        });
        for (what, typed) in [
            ("one common word", "rota"),
            ("two words, accents folded", "frontiere equipe"),
            ("a rare term", "case-29997"),
            ("no match", "zebra"),
        ] {
            let query = Query::parse(typed).unwrap();
            let mut hits = 0;
            median(&format!("{cases} cases: query, {what}"), 11, || {
                hits = index.search(&query, ids.iter().map(String::as_str)).len();
            });
            println!("{:<52} {hits} hits", "");
        }
    }
}
