//! Who may receive new case keys, and where an investigator's own alerts go (issue 12).
//!
//! A new recipient (an investigator's, or a new recovery recipient) is only *proposed* by
//! the administrator who registers it. New case keys are wrapped to it once a second
//! administrator has confirmed it: from their desk, an enabled administrator whose own
//! recipient is confirmed, who did not propose it and whose recipient it is not; or, in a
//! deployment with a single administrator, on the host with `quietline admin
//! confirm-recipient --fingerprint`, once the fingerprint was read out over a second
//! channel. Until then the old recovery recipient keeps receiving wraps. Either way the
//! confirmer names the fingerprint they were shown, so that they confirm exactly that
//! recipient. Every proposal and confirmation is audited.

use super::*;
use crate::api::{AlertSettings, PendingRecipientWire};
use crate::store::Proposal;

/// Longest mail address accepted (the SMTP path limit, RFC 5321).
const MAX_ADDRESS_BYTES: usize = 254;

/// Whether a fingerprint as someone typed or sent it is `fingerprint`: spaces, hyphens
/// and case do not matter. Fingerprints are public, so no constant-time comparison.
fn same_fingerprint(given: &str, fingerprint: &str) -> bool {
    let bare = |text: &str| -> String {
        text.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let given = bare(given);
    !given.is_empty() && given == bare(fingerprint)
}

/// The audit detail of a recovery recipient, with the one it replaces.
fn recovery_detail(fingerprint: &str, current: Option<&InvestigatorRecipient>) -> String {
    match current {
        Some(c) => format!("recovery: {fingerprint} (replaces {})", c.fingerprint()),
        None => format!("recovery: {fingerprint}"),
    }
}

/// Who confirms a recipient.
#[derive(Clone, Copy)]
pub enum Confirmer<'a> {
    /// An administrator at their desk: the second-administrator rule applies.
    Desk(&'a Investigator),
    /// The host's command line (`admin-cli`): whoever runs it has the host, and types the
    /// fingerprint read out to them over a second channel.
    Host(&'a str),
}

impl Accounts {
    /// Proposes a new recovery recipient; the one in force (if any) keeps receiving wraps
    /// until a second administrator confirms this one. Returns its fingerprint.
    pub fn propose_recovery_recipient(&self, actor: &str, recipient: &str) -> Result<String> {
        let recipient = InvestigatorRecipient::parse(recipient).map_err(Error::BadRecipient)?;
        self.store.check_writable(self.clock.today())?;
        let current = self
            .store
            .recovery_recipient()?
            .and_then(|r| InvestigatorRecipient::parse(&r).ok());
        self.store.set_proposed_recovery(Some(&Proposal {
            recipient: recipient.to_string(),
            proposed_by: actor.to_owned(),
        }))?;
        let fingerprint = recipient.fingerprint();
        let detail = recovery_detail(&fingerprint, current.as_ref());
        self.audit(actor, Action::RecipientProposed, &detail)?;
        Ok(fingerprint)
    }

    /// Every recipient waiting for a second administrator.
    pub fn pending_recipients(&self) -> Result<Vec<PendingRecipientWire>> {
        let mut pending: Vec<PendingRecipientWire> = self
            .store
            .investigators()?
            .into_iter()
            .filter_map(|i| {
                Some(PendingRecipientWire {
                    proposed_by: i.proposed_by?,
                    kind: "investigator".into(),
                    fingerprint: i.recipient.fingerprint(),
                    recipient: i.recipient.to_string(),
                    name: Some(i.name),
                })
            })
            .collect();
        if let Some(p) = self.store.proposed_recovery()? {
            let recipient =
                InvestigatorRecipient::parse(&p.recipient).map_err(Error::BadRecipient)?;
            pending.push(PendingRecipientWire {
                kind: "recovery".into(),
                name: None,
                fingerprint: recipient.fingerprint(),
                recipient: p.recipient,
                proposed_by: p.proposed_by,
            });
        }
        Ok(pending)
    }

    /// Confirms the waiting recipient(s) with this fingerprint; returns what was confirmed.
    pub fn confirm_recipient(
        &self,
        confirmer: Confirmer<'_>,
        fingerprint: &str,
    ) -> Result<Vec<PendingRecipientWire>> {
        let actor = match confirmer {
            Confirmer::Desk(who) => {
                who.require_admin()?;
                let waits = self
                    .store
                    .investigator(&who.name)?
                    .is_none_or(|r| r.proposed_by.is_some());
                if waits {
                    return Err(Error::NotYourConfirmation(
                        "your own recipient waits for confirmation: until another \
                         administrator confirms it, you cannot confirm others",
                    ));
                }
                who.name.as_str()
            }
            Confirmer::Host(actor) => actor,
        };
        self.store.check_writable(self.clock.today())?;
        let matching: Vec<PendingRecipientWire> = self
            .pending_recipients()?
            .into_iter()
            .filter(|p| same_fingerprint(fingerprint, &p.fingerprint))
            .collect();
        if matching.is_empty() {
            return Err(Error::NoSuchProposal);
        }
        if let Confirmer::Desk(who) = confirmer {
            if matching.iter().any(|p| p.proposed_by == who.name) {
                return Err(Error::NotYourConfirmation(
                    "you proposed this recipient: a second administrator must confirm it",
                ));
            }
            if matching
                .iter()
                .any(|p| p.name.as_deref() == Some(&who.name))
            {
                return Err(Error::NotYourConfirmation(
                    "this recipient is your own: another administrator must confirm it",
                ));
            }
        }
        for p in &matching {
            match &p.name {
                Some(name) => {
                    self.store.update_investigator(name, &mut |r| {
                        if r.recipient.to_string() == p.recipient {
                            r.proposed_by = None;
                        }
                    })?;
                    let detail = format!("investigator {name}: {}", p.fingerprint);
                    self.audit(actor, Action::RecipientConfirmed, &detail)?;
                }
                None => {
                    let current = self
                        .store
                        .recovery_recipient()?
                        .and_then(|r| InvestigatorRecipient::parse(&r).ok());
                    self.store.set_recovery_recipient(&p.recipient)?;
                    self.store.set_proposed_recovery(None)?;
                    let detail = recovery_detail(&p.fingerprint, current.as_ref());
                    self.audit(actor, Action::RecipientConfirmed, &detail)?;
                }
            }
        }
        Ok(matching)
    }

    /// Where the caller's own alerts go.
    pub fn alert_settings(&self, who: &Investigator) -> Result<AlertSettings> {
        let record = self
            .store
            .investigator(&who.name)?
            .ok_or(Error::NoSession)?;
        Ok(AlertSettings {
            address: record.alert_address,
            digests: record.alert_digests,
        })
    }

    /// Sets or clears the caller's own alert address. The audit entry says what changed,
    /// never the address: it is personal data, and the chain is kept for good.
    pub fn set_alert_settings(
        &self,
        who: &Investigator,
        wanted: AlertSettings,
    ) -> Result<AlertSettings> {
        let address = match wanted.address.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(a) if a.len() > MAX_ADDRESS_BYTES || a.parse::<lettre::Address>().is_err() => {
                return Err(Error::BadAddress);
            }
            Some(a) => Some(a.to_owned()),
        };
        self.store.check_writable(self.clock.today())?;
        let mut before = None;
        let record = self.store.update_investigator(&who.name, &mut |r| {
            before = Some((r.alert_address.clone(), r.alert_digests));
            r.alert_digests = wanted.digests && address.is_some();
            r.alert_address = address.clone();
        })?;
        let (old_address, old_digests) = before.unwrap_or_default();
        let what = match (&old_address, &record.alert_address) {
            (_, None) => "cleared",
            (None, Some(_)) => "set",
            (Some(a), Some(b)) if a == b => "kept",
            (Some(_), Some(_)) => "replaced",
        };
        if what != "kept" || old_digests != record.alert_digests {
            let digests = if record.alert_digests {
                "digests on"
            } else {
                "urgent only"
            };
            let detail = match record.alert_address {
                Some(_) => format!("address {what}, {digests}"),
                None => "address cleared".to_owned(),
            };
            self.audit(&who.name, Action::AlertAddressChanged, &detail)?;
        }
        Ok(AlertSettings {
            address: record.alert_address,
            digests: record.alert_digests,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_match_however_they_are_typed() {
        assert!(same_fingerprint(
            "3F2A-9C41 07be d5e8",
            "3f2a 9c41 07be d5e8"
        ));
        assert!(!same_fingerprint(
            "3f2a 9c41 07be d5e9",
            "3f2a 9c41 07be d5e8"
        ));
        assert!(!same_fingerprint("", ""));
    }
}
