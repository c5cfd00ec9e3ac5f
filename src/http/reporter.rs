//! What both reporter faces do, the JSON API and the pages alike: submit a report, open a
//! case with its token, add a follow-up. Each runs the service's blocking work off the
//! async workers (token derivations in the bounded KDF pool) and keeps or deletes the
//! request's evidence files with the outcome.

use std::sync::Arc;

use std::time::Duration;

use rand::RngCore;

use super::AppState;
use super::blocking::{self, LoginLane};
use super::error::Error;
use super::uploads::Submission;
use crate::case::Category;
use crate::crypto::{CaseKey, CaseToken, SessionId, TokenClass};
use crate::message::MessageContent;
use crate::service::{self, NewReport, OpenCase};

/// Turns an empty optional field into none, so that blank form fields store nothing.
pub fn non_blank(field: Option<String>) -> Option<String> {
    field.filter(|f| !f.trim().is_empty())
}

fn parse_category(text: &str) -> Result<Category, Error> {
    Category::parse(text).ok_or(Error::UnknownCategory)
}

/// A checkbox or JSON-ish truth value from a form field.
pub fn truthy(value: Option<&str>) -> bool {
    matches!(value, Some("on" | "true" | "1" | "yes"))
}

/// What a reporter's report says, before it is checked.
pub struct Report {
    /// The category's wire name, as sent.
    pub category: String,
    pub urgent: bool,
    pub body: String,
    pub where_when: Option<String>,
    pub people: Option<String>,
}

/// Checks a report, then derives a new token and stores the encrypted case with the
/// evidence files of `submission` (encrypted to `key` as they arrived). The files are
/// deleted unless the case is stored.
pub async fn submit_report(
    state: &AppState,
    report: Report,
    key: CaseKey,
    submission: &Submission,
) -> Result<CaseToken, Error> {
    let guard = submission.guard(state.reporting.clone());
    let category = parse_category(&report.category)?;
    let content = state.reporting.check(MessageContent {
        body: report.body,
        where_when: non_blank(report.where_when),
        people: non_blank(report.people),
        attachments: submission.attachments.clone(),
        removed_file: None,
    })?;
    let report = NewReport {
        content,
        category,
        urgent: report.urgent,
        key,
        blobs: submission.blobs.clone(),
    };
    let urgent = report.urgent;
    let reporting = state.reporting.clone();
    let today = state.clock.today();
    let token = state
        .kdf_pool
        .run_submission(move |memory| reporting.submit(report, today, memory))
        .await??;
    guard.keep();
    // Counts only, after the case is stored; never waits for a mail or webhook.
    state.alerts.report_received(urgent);
    Ok(token)
}

/// Opens a case with its token and starts a session on it.
///
/// Before any argon2 run: a token whose session is live takes its case over (the same
/// token logging in again and again costs no derivation), and a token that fails its
/// keyed check is refused. That refusal is the same 401 as for any unknown token; both it
/// and a take-over are answered after about as long as a derivation takes, so that
/// neither the answer nor its timing class says which step answered. Tokens that pass go to the checked login lane; old
/// tokens without a check, to a lane of their own.
pub async fn open_case(
    state: &AppState,
    typed_token: &str,
) -> Result<(SessionId, Arc<OpenCase>), Error> {
    let token = CaseToken::parse(typed_token)?;
    let fingerprint = state.sessions.fingerprint(&token);
    if let Some(session) = state.sessions.take_over(fingerprint)? {
        // Answered in the time of a derivation too: a loop of logins with one token then
        // runs at the pace of one client's argon2 runs, not of the HTTP stack (the bench
        // measured 12,800 a second from 8 clients, taking the cores real reporters need).
        tokio::time::sleep(jittered(state.kdf_pool.typical_derivation())).await;
        return Ok(session);
    }
    let case = open_token(state, token).await?;
    Ok(state.sessions.create(case, fingerprint)?)
}

/// Opens a case with its token, without a session: a token that fails its keyed check is
/// refused like any unknown token, in a derivation's time; the others are derived in
/// their login lane.
pub async fn open_token(state: &AppState, token: CaseToken) -> Result<OpenCase, Error> {
    let lane = match state.reporting.token_class(&token) {
        TokenClass::Checked => LoginLane::Checked,
        TokenClass::Unchecked => LoginLane::Unchecked,
        TokenClass::Refused => {
            tokio::time::sleep(jittered(state.kdf_pool.typical_derivation())).await;
            return Err(service::Error::UnknownToken.into());
        }
    };
    let reporting = state.reporting.clone();
    Ok(state
        .kdf_pool
        .run_login(lane, move |memory| reporting.open(&token, memory))
        .await??)
}

/// `typical` give or take a tenth, at random: argon2's own times vary that much.
fn jittered(typical: Duration) -> Duration {
    let tenth = typical / 10;
    let spread = u32::try_from(tenth.as_micros() * 2)
        .unwrap_or(u32::MAX)
        .max(1);
    typical - tenth + Duration::from_micros(u64::from(rand::rngs::OsRng.next_u32() % spread))
}

/// Adds a follow-up, with the evidence files already written for it, to a session's
/// case. The files are deleted if it fails.
pub async fn add_follow_up(
    state: &AppState,
    case: Arc<OpenCase>,
    body: String,
    submission: &Submission,
) -> Result<(), Error> {
    let guard = submission.guard(state.reporting.clone());
    let content = state.reporting.check(MessageContent {
        body,
        where_when: None,
        people: None,
        attachments: submission.attachments.clone(),
        removed_file: None,
    })?;
    let reporting = state.reporting.clone();
    let blobs = submission.blobs.clone();
    let today = state.clock.today();
    blocking::run(move || reporting.follow_up(&case, content, &blobs, today)).await??;
    guard.keep();
    state.alerts.reporter_wrote();
    Ok(())
}
