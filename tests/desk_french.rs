//! The investigator's desk in French, in a real browser: the desk follows the browser's
//! language (Accept-Language), and `?lang=` switches it and is remembered for the pages
//! after it. The list, a case page (with its evidence file and an inline error that keeps
//! the text) and the statistics speak French, and the French case page shows no ISO date.
//!
//! The browser is headless chromium with JavaScript turned off (tests/common/webdriver.rs).

mod common;

use common::accounts::register;
use common::desk::{self, Desk, Evidence, PASSPHRASE, submit_with_evidence, write_identity_file};
use common::webdriver::Browser;
use serde_json::json;

const CALM: &str = "Un rapport calme sur le planning (desk-french-calm)";
const URGENT: &str = "Ils savent où mes enfants vont à l'école (desk-french-urgent)";
const PHOTO: &[u8] = include_bytes!("fixtures/evidence/photo.jpg");

/// Whether `text` holds a date written the ISO way (`2026-11-26`) or an ISO month
/// (`2026-11`).
fn has_iso_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(7).any(|w| {
        w[..4].iter().all(u8::is_ascii_digit)
            && w[4] == b'-'
            && w[5..].iter().all(u8::is_ascii_digit)
    })
}

/// Today as the French pages write it: "26 novembre 2026", "1er décembre 2026".
fn today_in_french() -> String {
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let today = common::today();
    let mut parts = today.split('-').map(|p| p.parse::<usize>().unwrap());
    let (year, month, day) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let day = if day == 1 {
        "1er".to_owned()
    } else {
        day.to_string()
    };
    format!("{day} {} {year}", MONTHS[month - 1])
}

#[test]
fn the_desk_speaks_french_when_asked() {
    assert!(has_iso_date("reçu 2026-11-26") && has_iso_date("2026-11"));
    assert!(!has_iso_date("26 novembre 2026") && !has_iso_date("QL-123456"));
    let deployment = common::Deployment::new();
    let (bruno, secret) = register(&deployment, "bruno", "investigator");
    let keys = tempfile::tempdir().unwrap();
    let identity_file = keys.path().join("bruno.age");
    write_identity_file(&bruno, PASSPHRASE, &identity_file);
    let server = deployment.start(&[]);
    // Enrolled before the reports: new cases are wrapped to enrolled investigators only.
    let mut authenticator = desk::enrol(&server, "bruno", &secret);
    let (status, reply) = server.post_json(
        "/api/v1/reports",
        &json!({ "body": CALM, "category": "collusion", "urgent": false }),
    );
    assert_eq!(status, 201, "{reply}");
    let (status, reply) = submit_with_evidence(
        &server,
        &[
            ("body", URGENT),
            ("category", "coercion_or_threat"),
            ("urgent", "true"),
        ],
        &[Evidence {
            name: "école.jpg",
            content_type: "image/jpeg",
            bytes: PHOTO,
        }],
    );
    assert_eq!(status, 201, "{reply}");
    let desk = Desk::start(
        &server,
        &identity_file,
        "bruno",
        &mut authenticator,
        deployment.logs.path(),
    );

    // The entry address works once: the browser spends it, and the checks without a
    // browser use the browser's own cookie.
    let browser = Browser::start();
    browser.goto(&desk.entry);
    browser.wait_for_url_path("/");
    let port = desk.base.rsplit(':').next().unwrap();
    let cookie = browser.get(&format!("/cookie/quietline_desk_{port}"));
    let cookie = format!(
        "quietline_desk_{port}={}",
        cookie["value"].as_str().unwrap()
    );
    let client = desk.browser_with(cookie.clone());

    // Without a choice, the desk follows the browser's Accept-Language.
    let spanish = common::agent()
        .get(&desk.url("/"))
        .set("Cookie", &cookie)
        .set("Origin", &desk.base)
        .set("Accept-Language", "es-ES, es;q=0.9, en;q=0.5")
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(spanish.contains("<html lang=\"es\">"), "{spanish}");
    assert!(spanish.contains("Última actividad") && spanish.contains("coacción o amenaza"));
    let (_, english) = client.get("/");
    assert!(english.contains("<html lang=\"en\">") && english.contains("Last activity"));

    // The switch: ?lang=fr, remembered for the pages after it.
    browser.goto(&desk.url("/?lang=fr"));
    assert_eq!(browser.find("main h1").text(), "Dossiers");
    assert_eq!(browser.find("#count").text(), "2 dossiers.");
    assert_eq!(browser.find("nav.paging span").text(), "Page 1 sur 1");
    assert_eq!(
        browser.texts("table.cases tbody tr td.category"),
        ["contrainte ou menace", "collusion"]
    );
    assert_eq!(
        browser.texts("table.cases tbody tr td.status"),
        ["nouveau", "nouveau"]
    );
    assert_eq!(
        browser.texts("table.cases tbody tr td.marks .not-opened"),
        ["pas encore ouvert", "pas encore ouvert"]
    );
    let deadlines = browser.texts("table.cases tbody tr td.deadline");
    assert!(
        deadlines
            .iter()
            .all(|d| d.ends_with("jours restants pour accuser réception")),
        "{deadlines:?}"
    );
    let activity = browser.texts("table.cases tbody tr td.activity");
    assert_eq!(activity, [today_in_french(), today_in_french()]);

    // The case page, opened by its link (no ?lang=: the desk remembers).
    browser
        .find("table.cases tbody tr:first-child a.open")
        .click();
    browser.find("#case-status");
    let case_url = browser.get("/url").as_str().unwrap().to_owned();
    assert!(!case_url.contains("lang="), "{case_url}");
    assert_eq!(browser.find("#case-status").text(), "nouveau");
    assert_eq!(
        browser.texts("article.message > header"),
        [format!("Personne qui signale · {}", today_in_french())]
    );
    assert_eq!(
        browser.find(".reply-panel .audience").text(),
        "Visible par la personne qui signale"
    );
    let listed = browser.find("li.attachment").text();
    assert!(
        listed.contains("détecté : image JPEG") && listed.contains("déclaré : image/jpeg"),
        "{listed}"
    );
    assert!(
        (listed.contains("\u{a0}Kio") || listed.contains(" octets"))
            && !listed.contains("KiB")
            && !listed.contains("bytes"),
        "sizes in French: {listed}"
    );
    let page = browser.find("body").text();
    assert!(
        page.contains("Oui : la personne dit être en danger immédiat"),
        "{page}"
    );
    assert!(
        !has_iso_date(&page),
        "an ISO date on the French case page: {page}"
    );
    assert!(
        !has_iso_date(&browser.source()),
        "an ISO date in the page's source"
    );

    // A reply of blanks is refused above the form, in French.
    browser
        .find("form.reply textarea[name=body]")
        .type_text("   ");
    browser.find("form.reply button[type=submit]").click();
    assert_eq!(
        browser.find("p.problem").text(),
        "le texte est vide ; rien n'a été envoyé"
    );

    // The statistics.
    browser.goto(&desk.url("/stats"));
    assert_eq!(browser.find("main h1").text(), "Statistiques");
    assert_eq!(
        browser.texts("table.totals th"),
        [
            "Reçus",
            "Ouverts",
            "Clôturés",
            "Urgents",
            "Dossiers ouverts ayant dépassé une échéance aujourd'hui"
        ]
    );
    assert_eq!(browser.find("#total").text(), "2");
    let received = browser.texts("table.received tbody tr");
    assert_eq!(received.len(), 2, "{received:?}");
    assert!(
        received.iter().all(|r| !has_iso_date(r)),
        "months in words: {received:?}"
    );
    assert!(
        received.iter().any(|r| r.contains("contrainte ou menace")),
        "{received:?}"
    );

    // A reply that cannot be sent (the server is gone) comes back with the problem in
    // French above the form, and the typed text kept.
    browser.goto(&case_url);
    let draft = "Une longue réponse qui a pris du temps à écrire";
    browser
        .find("form.reply textarea[name=body]")
        .type_text(draft);
    server.kill();
    browser.find("form.reply button[type=submit]").click();
    let problem = browser.find("p.problem").text();
    assert!(
        problem.starts_with("impossible de joindre le serveur"),
        "{problem}"
    );
    assert_eq!(browser.find("form.reply textarea[name=body]").text(), draft);

    // Switching back to English: even the error page says so.
    browser.goto(&desk.url("/?lang=en"));
    assert_eq!(browser.find("main h1").text(), "That did not work");
    assert!(
        browser
            .find("p.problem")
            .text()
            .starts_with("cannot reach the server")
    );
}
