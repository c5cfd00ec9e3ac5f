//! Every use of a key on the desk: the case key opened from this investigator's wrap, the
//! thread and the notes decrypted, evidence files found and decrypted, replies and notes
//! sealed, and the case key wrapped for a colleague. All of it happens here, on the
//! investigator's machine, with the identity unlocked at start; the server only ever sees
//! ciphertext and wraps. The primitives are `crate::crypto`'s; this file decides which key
//! opens or seals what.
//!
//! Plaintext is held in types that zeroize on drop (`MessageContent`, `Zeroizing`).

use std::io::Read;

use zeroize::Zeroizing;

use super::client::BlobRef;
use super::error::DeskError;
use crate::api::{InvestigatorWire, NoteWire, ThreadEntryWire};
use crate::crypto::{
    CaseKey, InvestigatorIdentity, InvestigatorRecipient, Wrap, seal_to_investigators,
};
use crate::message::{Attachment, MessageContent};

/// Opens the case key from this investigator's wrap.
pub fn case_key(wrap: &[u8], identity: &InvestigatorIdentity) -> Result<CaseKey, DeskError> {
    CaseKey::unwrap_with(&Wrap(wrap.to_vec()), identity.as_age()).map_err(|_| DeskError::WrongKey)
}

/// A case's thread and internal notes as this investigator can read them: one item per
/// thread entry and per note, in the case's order, `None` where the key does not open it
/// (a note sealed before this investigator had access) or it is not a message.
pub struct OpenedCase {
    pub thread: Vec<Option<MessageContent>>,
    pub notes: Vec<Option<MessageContent>>,
}

/// Decrypts a case's thread with the case key and its notes with the investigator's own
/// identity (notes are sealed to investigators, never to the case key the reporter holds).
pub fn open_case(
    thread: &[ThreadEntryWire],
    notes: &[NoteWire],
    key: &CaseKey,
    identity: &InvestigatorIdentity,
) -> OpenedCase {
    OpenedCase {
        thread: thread
            .iter()
            .map(|entry| parse_content(key.open(&entry.ciphertext).ok()))
            .collect(),
        notes: notes
            .iter()
            .map(|note| parse_content(identity.open(&note.ciphertext).ok()))
            .collect(),
    }
}

/// Decrypts a thread entry or a note into its content, if it is one.
fn parse_content(plaintext: Option<Zeroizing<Vec<u8>>>) -> Option<MessageContent> {
    MessageContent::decode(&plaintext?).ok()
}

/// Refuses to seal what the reporter's side would not read back as a message: the desk
/// checks its own framing with the same decoder before anything leaves this machine.
fn check_framing(plaintext: &[u8]) -> Result<(), DeskError> {
    match MessageContent::decode(plaintext) {
        Ok(_) => Ok(()),
        Err(_) => {
            tracing::error!(
                kind = "decode",
                "the desk refused to seal a malformed entry"
            );
            Err(DeskError::Unframed)
        }
    }
}

/// The evidence file `blob` of a case, if one of the messages of its `thread` lists it. The desk
/// downloads only files the case's own (decrypted) messages name, so that no link or
/// typed address can make it fetch and decrypt something the case does not reference.
pub fn find_attachment(
    thread: &[ThreadEntryWire],
    key: &CaseKey,
    blob: &BlobRef,
) -> Option<Zeroizing<Attachment>> {
    thread.iter().find_map(|entry| {
        let content = parse_content(key.open(&entry.ciphertext).ok())?;
        content
            .attachments
            .iter()
            .find(|a| BlobRef::parse(&a.blob).as_ref() == Some(blob))
            .map(|a| Zeroizing::new(a.clone()))
    })
}

/// Starts decrypting an evidence file as it arrives from the server. Only the age header
/// is read here, so that a file the case key does not open is refused before a download
/// starts; damage further on surfaces while reading (see `download`).
pub fn open_evidence<R: Read>(
    key: &CaseKey,
    encrypted: R,
) -> Result<age::stream::StreamReader<R>, DeskError> {
    key.open_stream(encrypted).map_err(|e| {
        tracing::warn!(error = %e, "an evidence file does not decrypt");
        DeskError::BadFile
    })
}

/// Seals a reply to the case key: the reporter reads it with their wrap.
pub fn seal_reply(key: &CaseKey, plaintext: &[u8]) -> Result<Vec<u8>, DeskError> {
    check_framing(plaintext)?;
    Ok(key.seal(plaintext)?)
}

/// Everyone with a wrap of the case who can still read notes: the recipients a new note
/// is sealed to. Holders the server no longer lists (removed) are left out.
pub fn note_recipients(
    holders: &[String],
    investigators: &[InvestigatorWire],
) -> Vec<InvestigatorRecipient> {
    investigators
        .iter()
        .filter(|i| i.enabled && holders.contains(&i.name))
        .filter_map(|i| InvestigatorRecipient::parse(&i.recipient).ok())
        .collect()
}

/// Seals an internal note to the case's note recipients and to its author, who can always
/// read their own note whatever the list says. Never to the case key: the reporter must
/// not read notes.
pub fn seal_note(
    holders: &[String],
    investigators: &[InvestigatorWire],
    author: &InvestigatorIdentity,
    plaintext: &[u8],
) -> Result<Vec<u8>, DeskError> {
    check_framing(plaintext)?;
    let mut recipients = note_recipients(holders, investigators);
    let me = author.recipient();
    if !recipients.iter().any(|r| r.to_string() == me.to_string()) {
        recipients.push(me);
    }
    Ok(seal_to_investigators(&recipients, plaintext)?)
}

/// A new wrap of the case key for a colleague: made here, where the key is already open,
/// so that the server receives only the wrap.
pub fn wrap_for(key: &CaseKey, colleague: &InvestigatorWire) -> Result<Wrap, DeskError> {
    let recipient = InvestigatorRecipient::parse(&colleague.recipient)?;
    Ok(key.wrap_to(recipient.as_age())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(name: &str, identity: &InvestigatorIdentity, enabled: bool) -> InvestigatorWire {
        InvestigatorWire {
            name: name.into(),
            recipient: identity.recipient().to_string(),
            role: "investigator".into(),
            enabled,
        }
    }

    fn entry(seq: u64, ciphertext: Vec<u8>) -> ThreadEntryWire {
        ThreadEntryWire {
            seq,
            author: "reporter".into(),
            day: "2026-11-25".into(),
            ciphertext,
        }
    }

    fn note(seq: u64, ciphertext: Vec<u8>) -> NoteWire {
        NoteWire {
            seq,
            author: "bruno".into(),
            day: "2026-11-26".into(),
            ciphertext,
        }
    }

    #[test]
    fn only_the_holders_identity_opens_the_case_key() {
        let (ana, bruno) = (
            InvestigatorIdentity::generate(),
            InvestigatorIdentity::generate(),
        );
        let wrap = CaseKey::generate()
            .wrap_to(ana.recipient().as_age())
            .unwrap();
        assert!(case_key(&wrap.0, &ana).is_ok());
        assert!(matches!(
            case_key(&wrap.0, &bruno),
            Err(DeskError::WrongKey)
        ));
    }

    #[test]
    fn the_thread_opens_with_the_case_key_and_notes_with_ones_own_identity() {
        let (ana, bruno) = (
            InvestigatorIdentity::generate(),
            InvestigatorIdentity::generate(),
        );
        let key = CaseKey::generate();
        let thread = [
            entry(0, seal_reply(&key, br#"{"body":"the report"}"#).unwrap()),
            entry(1, key.seal(b"not a message").unwrap()),
        ];
        let investigators = [wire("ana", &ana, true), wire("bruno", &bruno, true)];
        let only_bruno = seal_note(&[], &[], &bruno, br#"{"body":"before ana"}"#).unwrap();
        let holders = ["ana".to_owned(), "bruno".to_owned()];
        let both = seal_note(&holders, &investigators, &bruno, br#"{"body":"both"}"#).unwrap();
        let notes = [note(0, only_bruno), note(1, both)];

        let opened = open_case(&thread, &notes, &key, &ana);
        let bodies = |items: &[Option<MessageContent>]| -> Vec<Option<String>> {
            items
                .iter()
                .map(|c| c.as_ref().map(|c| c.body.clone()))
                .collect()
        };
        assert_eq!(bodies(&opened.thread), [Some("the report".into()), None]);
        assert_eq!(bodies(&opened.notes), [None, Some("both".into())]);
        // The case key, which the reporter holds too, opens no note.
        assert!(key.open(&notes[1].ciphertext).is_err());
    }

    #[test]
    fn only_evidence_the_case_lists_is_found() {
        let key = CaseKey::generate();
        let photo = "0123456789abcdef0123456789abcdef";
        let video = "fedcba9876543210fedcba9876543210";
        let content = serde_json::json!({
            "body": "see the files",
            "attachments": [
                {"blob": photo, "name": "photo.jpg", "content_type": "image/jpeg",
                 "size": 1_572_864, "format": "jpeg", "cleaned": true, "removed": []},
                {"blob": video, "name": "meeting.mp4", "content_type": "video/mp4",
                 "size": 500, "format": "other", "cleaned": false, "removed": []},
            ],
        });
        let thread = [entry(0, key.seal(content.to_string().as_bytes()).unwrap())];

        let found = |blob: &str| find_attachment(&thread, &key, &BlobRef::parse(blob).unwrap());
        assert_eq!(found(&video.to_uppercase()).unwrap().name, "meeting.mp4");
        assert_eq!(found(photo).unwrap().size, 1_572_864);
        assert!(found(&"0".repeat(32)).is_none());
        let other_key = CaseKey::generate();
        assert!(find_attachment(&thread, &other_key, &BlobRef::parse(photo).unwrap()).is_none());
    }

    #[test]
    fn notes_go_to_enabled_holders_and_always_to_their_author() {
        let identities: Vec<_> = (0..3).map(|_| InvestigatorIdentity::generate()).collect();
        let all = [
            wire("ana", &identities[0], true),
            wire("bruno", &identities[1], true),
            wire("carla", &identities[2], false),
        ];
        let holders = ["ana".to_owned(), "carla".to_owned()];
        let recipients = note_recipients(&holders, &all);
        assert_eq!(recipients.len(), 1);
        assert_eq!(recipients[0].to_string(), all[0].recipient);

        // Bruno writes a note on a case whose holders list leaves him out: he still reads it.
        let sealed = seal_note(&holders, &all, &identities[1], b"{\"body\":\"x\"}").unwrap();
        assert!(identities[0].open(&sealed).is_ok());
        assert!(identities[1].open(&sealed).is_ok());
        assert!(identities[2].open(&sealed).is_err());
    }

    #[test]
    fn a_colleagues_wrap_opens_the_same_case_key() {
        let bruno = InvestigatorIdentity::generate();
        let key = CaseKey::generate();
        let wrap = wrap_for(&key, &wire("bruno", &bruno, true)).unwrap();
        let opened = case_key(&wrap.0, &bruno).unwrap();
        let sealed = seal_reply(&key, br#"{"body":"hello"}"#).unwrap();
        assert_eq!(&opened.open(&sealed).unwrap()[..], br#"{"body":"hello"}"#);
    }

    #[test]
    fn the_desk_seals_only_what_the_reporter_side_reads_back_as_a_message() {
        let key = CaseKey::generate();
        let author = InvestigatorIdentity::generate();
        let broken: [&[u8]; 4] = [
            b"hello",
            br#"{"text":"no body field"}"#,
            br#"{"body":"cut short"#,
            br#"{"body":"x","attachments":[{"blob":"0"}]}"#,
        ];
        for plaintext in broken {
            assert!(matches!(
                seal_reply(&key, plaintext),
                Err(DeskError::Unframed)
            ));
            assert!(matches!(
                seal_note(&[], &[], &author, plaintext),
                Err(DeskError::Unframed)
            ));
        }
        // What the desk's forms send: the message JSON, which the reporter's decoder reads.
        let reply = serde_json::to_vec(&serde_json::json!({ "body": "a reply" })).unwrap();
        let sealed = seal_reply(&key, &reply).unwrap();
        let opened = MessageContent::decode(&key.open(&sealed).unwrap()).unwrap();
        assert_eq!(opened.body, "a reply");
        assert!(seal_note(&[], &[], &author, &reply).is_ok());
    }
}
