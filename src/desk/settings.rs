//! The desk's settings page: where this investigator's own alerts go, and the recipients
//! waiting for a second administrator (issue 12), each with its fingerprint to compare
//! over a second channel with the one `quietline admin` or `quietline keygen` printed.
//!
//! Fingerprints are computed here from the `age1...` recipient the server sends, never
//! taken from the server: a server that showed one fingerprint and held another
//! recipient would be caught by the comparison. The confirm button sends the fingerprint
//! computed here, so that the server confirms only the recipient this page showed.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, Redirect};
use minijinja::{Value, context};
use serde::Deserialize;

use super::error::DeskError;
use super::handlers::blocking;
use super::ui::{Desk, PageLang};
use crate::api::{AlertSettings, PendingRecipientWire};
use crate::crypto::InvestigatorRecipient;
use crate::i18n::Lang;

#[derive(Deserialize)]
pub(super) struct SettingsParams {
    done: Option<String>,
}

/// Why this desk may not confirm a waiting recipient, as a word the page completes into a
/// `desk-settings-not-yours-*` key; `None` when it may.
fn why_not(me: &str, admin: bool, pending: &PendingRecipientWire) -> Option<&'static str> {
    if !admin {
        Some("role")
    } else if pending.proposed_by == me {
        Some("proposer")
    } else if pending.name.as_deref() == Some(me) {
        Some("own")
    } else {
        None
    }
}

/// The settings page's context.
fn settings_view(
    me: &str,
    admin: bool,
    alerts: &AlertSettings,
    pending: &[PendingRecipientWire],
    done: Option<&str>,
) -> Value {
    let rows: Vec<Value> = pending
        .iter()
        .map(|p| {
            let fingerprint = InvestigatorRecipient::parse(&p.recipient)
                .ok()
                .map(|r| r.fingerprint());
            let why_not = why_not(me, admin, p);
            context! {
                name => p.name,
                recipient => p.recipient,
                confirmable => fingerprint.is_some() && why_not.is_none(),
                fingerprint => fingerprint,
                proposed_by => p.proposed_by,
                why_not => why_not,
            }
        })
        .collect();
    context! {
        address => alerts.address,
        // A first address gets the digests too unless unticked.
        digests => alerts.digests || alerts.address.is_none(),
        pending => rows,
        done => done.filter(|d| matches!(*d, "alerts" | "confirmed")),
    }
}

pub(super) async fn settings_page(
    State(desk): State<Arc<Desk>>,
    PageLang(lang): PageLang,
    Query(params): Query<SettingsParams>,
) -> Result<Html<String>, DeskError> {
    blocking(&desk, move |desk| {
        Ok(Html(settings_html(desk, lang, params.done.as_deref())?))
    })
    .await
}

fn settings_html(desk: &Desk, lang: Lang, done: Option<&str>) -> Result<String, DeskError> {
    let alerts = desk.session.alert_settings()?;
    let pending = desk.session.pending_recipients()?;
    let admin = desk.session.role == "admin";
    let ctx = settings_view(&desk.session.name, admin, &alerts, &pending, done);
    Ok(desk.pages.render("settings.html", lang, ctx)?)
}

/// The alert form: an empty address clears it.
#[derive(Deserialize)]
pub(super) struct AlertsForm {
    #[serde(default)]
    address: String,
    /// A ticked checkbox sends `on`; an unticked one sends nothing.
    digests: Option<String>,
}

pub(super) async fn set_alerts(
    State(desk): State<Arc<Desk>>,
    Form(form): Form<AlertsForm>,
) -> Result<Redirect, DeskError> {
    let address = form.address.trim().to_owned();
    let settings = AlertSettings {
        address: (!address.is_empty()).then_some(address),
        digests: form.digests.is_some(),
    };
    blocking(&desk, move |desk| {
        desk.session.set_alert_settings(&settings)?;
        Ok(())
    })
    .await?;
    Ok(Redirect::to("/settings?done=alerts"))
}

#[derive(Deserialize)]
pub(super) struct ConfirmForm {
    fingerprint: String,
}

pub(super) async fn confirm_recipient(
    State(desk): State<Arc<Desk>>,
    Form(form): Form<ConfirmForm>,
) -> Result<Redirect, DeskError> {
    blocking(&desk, move |desk| {
        desk.session.confirm_recipient(&form.fingerprint)?;
        Ok(())
    })
    .await?;
    Ok(Redirect::to("/settings?done=confirmed"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::InvestigatorIdentity;

    fn waiting(name: Option<&str>, proposed_by: &str) -> PendingRecipientWire {
        let recipient = InvestigatorIdentity::generate().recipient();
        PendingRecipientWire {
            kind: if name.is_some() {
                "investigator"
            } else {
                "recovery"
            }
            .into(),
            name: name.map(str::to_owned),
            fingerprint: "0000 0000 0000 0000".into(),
            recipient: recipient.to_string(),
            proposed_by: proposed_by.into(),
        }
    }

    #[test]
    fn the_page_offers_to_confirm_only_what_the_rule_allows_with_its_own_fingerprint() {
        let others = waiting(Some("dora"), "root");
        let mine = waiting(None, "ana");
        let me = waiting(Some("ana"), "root");
        let view = settings_view(
            "ana",
            true,
            &AlertSettings::default(),
            &[others.clone(), mine, me],
            None,
        );
        let rows = view.get_attr("pending").unwrap();
        let row = |i: usize| rows.get_item(&Value::from(i)).unwrap();
        let expected = InvestigatorRecipient::parse(&others.recipient)
            .unwrap()
            .fingerprint();
        assert_eq!(
            row(0).get_attr("fingerprint").unwrap().to_string(),
            expected,
            "computed here, not the server's {:?}",
            others.fingerprint
        );
        assert!(row(0).get_attr("confirmable").unwrap().is_true());
        assert_eq!(row(1).get_attr("why_not").unwrap().to_string(), "proposer");
        assert_eq!(row(2).get_attr("why_not").unwrap().to_string(), "own");
        let not_admin = settings_view("ana", false, &AlertSettings::default(), &[others], None);
        let rows = not_admin.get_attr("pending").unwrap();
        let row = rows.get_item(&Value::from(0)).unwrap();
        assert!(!row.get_attr("confirmable").unwrap().is_true());
    }
}
