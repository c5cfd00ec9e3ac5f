//! The fixed words an investigator can label a case with, and a case's short reference
//! for the phone.

use serde::{Deserialize, Serialize};

/// A label an investigator sets on a case. The words are fixed, not free text: labels
/// are stored in clear and counted in statistics, so they must never carry what a report
/// says. These are the ten factors of the WCO's Revised Arusha Declaration on integrity
/// in customs, so that a unit can feed its self-assessment from them.
///
/// The store encodes a label by its position: add new labels at the end only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    Leadership,
    RegulatoryFramework,
    Transparency,
    Automation,
    ReformAndModernisation,
    AuditAndInvestigation,
    CodeOfConduct,
    HumanResourceManagement,
    MoraleAndCulture,
    PrivateSectorRelationship,
}

impl Label {
    pub const ALL: [Label; 10] = [
        Label::Leadership,
        Label::RegulatoryFramework,
        Label::Transparency,
        Label::Automation,
        Label::ReformAndModernisation,
        Label::AuditAndInvestigation,
        Label::CodeOfConduct,
        Label::HumanResourceManagement,
        Label::MoraleAndCulture,
        Label::PrivateSectorRelationship,
    ];

    /// The wire and form name, also the suffix of its translation key.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Leadership => "leadership",
            Label::RegulatoryFramework => "regulatory_framework",
            Label::Transparency => "transparency",
            Label::Automation => "automation",
            Label::ReformAndModernisation => "reform_and_modernisation",
            Label::AuditAndInvestigation => "audit_and_investigation",
            Label::CodeOfConduct => "code_of_conduct",
            Label::HumanResourceManagement => "human_resource_management",
            Label::MoraleAndCulture => "morale_and_organisational_culture",
            Label::PrivateSectorRelationship => "relationship_with_the_private_sector",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Label::ALL.into_iter().find(|l| l.as_str() == text)
    }
}

/// Crockford's base32 digits: no I, L, O or U, so a reference read out on the phone is
/// not mistaken for another.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The short reference of a case, such as `QL-7K3M9Q`, for talking about it on the
/// phone: the first 30 bits of the case id (32 hex digits) in Crockford's base32. Case
/// ids are random, so two of 10,000 cases share a reference with a chance of about 5%;
/// the desk finds a case by its reference and lists every case that has it. `None` for a
/// text that is not a case id.
pub fn case_reference(case_id: &str) -> Option<String> {
    if case_id.len() != 32 || !case_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    // 8 hex digits are 32 bits; the top 30 make six base32 digits.
    let bits = u32::from_str_radix(&case_id[..8], 16).ok()? >> 2;
    let digits: String = (0..6)
        .rev()
        .map(|i| char::from(CROCKFORD[((bits >> (i * 5)) & 31) as usize]))
        .collect();
    Some(format!("QL-{digits}"))
}
