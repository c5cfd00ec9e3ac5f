//! The desk's in-memory text of the cases it holds: the short preview each list row shows
//! and the search of the list's `q` parameter.
//!
//! The server only ever sees ciphertext, so previews and search can only happen here,
//! after decryption. Nothing of it is written to disk: the texts live in this process's
//! memory, in buffers that are zeroized when replaced or when the desk stops. A case's
//! text is refreshed when its number of thread entries changes.
//!
//! Search is a scan: every term of the query must occur in the case's text, compared
//! without case and accents ("temoin" finds "Témoin"). At 10,000 cases of a few
//! kilobytes each, a scan answers in milliseconds (`cargo bench --bench desk_search`),
//! which spares an inverted index and its second copy of every word.

use std::collections::HashMap;
use std::sync::Mutex;

use zeroize::Zeroizing;

use crate::message::MessageContent;

/// Characters of the report a list row shows.
pub const PREVIEW_CHARS: usize = 80;

/// Longest query the desk searches for; longer ones are cut.
const MAX_QUERY_CHARS: usize = 200;

/// One case's decrypted text, as the list and the search need it.
pub struct CaseText {
    /// Thread entries the text was made from.
    pub entries: u64,
    /// The start of the report, blanks folded, at most [`PREVIEW_CHARS`] characters.
    pub preview: Zeroizing<String>,
    /// Everything searchable (messages, places, people, file names), folded by [`fold`].
    folded: Zeroizing<String>,
}

impl CaseText {
    /// The text of a case from its decrypted thread, in order; `None` for an entry that
    /// could not be decrypted.
    pub fn new(entries: u64, thread: &[Option<MessageContent>]) -> CaseText {
        let mut all = Zeroizing::new(String::new());
        for content in thread.iter().flatten() {
            let parts = [
                Some(&content.body),
                content.where_when.as_ref(),
                content.people.as_ref(),
            ];
            for part in parts.into_iter().flatten() {
                all.push_str(part);
                all.push('\n');
            }
            for file in &content.attachments {
                all.push_str(&file.name);
                all.push('\n');
            }
        }
        let report = thread
            .first()
            .and_then(|c| c.as_ref())
            .map_or("", |c| c.body.as_str());
        CaseText {
            entries,
            preview: preview(report),
            folded: fold(&all),
        }
    }

    /// Whether every term occurs in this case's text.
    pub fn matches(&self, query: &Query) -> bool {
        query.terms.iter().all(|t| self.folded.contains(t.as_str()))
    }
}

/// The start of a report for a list row: blanks folded to single spaces, cut at a
/// character boundary, with an ellipsis when cut.
pub fn preview(report: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(PREVIEW_CHARS + 3));
    let mut count = 0;
    for word in report.split_whitespace() {
        if count > 0 {
            out.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count >= PREVIEW_CHARS {
                out.push('…');
                return out;
            }
            out.push(c);
            count += 1;
        }
    }
    out
}

/// Lower case without the accents of Latin letters, so that a query typed on any
/// keyboard finds French and Spanish words.
pub fn fold(text: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    for c in text.chars() {
        for lower in c.to_lowercase() {
            if lower == 'œ' {
                out.push_str("oe");
                continue;
            }
            out.push(match lower {
                'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
                'ç' => 'c',
                'è' | 'é' | 'ê' | 'ë' => 'e',
                'ì' | 'í' | 'î' | 'ï' => 'i',
                'ñ' => 'n',
                'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
                'ù' | 'ú' | 'û' | 'ü' => 'u',
                'ý' | 'ÿ' => 'y',
                other => other,
            });
        }
    }
    out
}

/// A search as typed, split into folded terms.
pub struct Query {
    terms: Vec<Zeroizing<String>>,
}

impl Query {
    /// `None` for a query of blanks only.
    pub fn parse(typed: &str) -> Option<Query> {
        let cut: String = typed.chars().take(MAX_QUERY_CHARS).collect();
        let cut = Zeroizing::new(cut);
        let terms: Vec<Zeroizing<String>> = cut.split_whitespace().map(fold).collect();
        (!terms.is_empty()).then_some(Query { terms })
    }

    /// Whether the query is one case reference (`QL-7K3M9Q`, in any case), which the
    /// list matches against references rather than text.
    pub fn reference(&self) -> Option<String> {
        match self.terms.as_slice() {
            [one] if one.starts_with("ql-") && one.len() == 9 => Some(one.to_uppercase()),
            _ => None,
        }
    }
}

/// The texts of the cases the desk has read, by case id.
#[derive(Default)]
pub struct TextIndex {
    /// Held only to read or replace one case's text, or to scan during a search.
    texts: Mutex<HashMap<String, CaseText>>,
}

impl TextIndex {
    /// Whether the text of case `id` is missing or older than `entries`.
    pub fn is_stale(&self, id: &str, entries: u64) -> bool {
        self.lock().get(id).is_none_or(|t| t.entries != entries)
    }

    pub fn insert(&self, id: String, text: CaseText) {
        self.lock().insert(id, text);
    }

    /// The preview of case `id`, if its text is known.
    pub fn preview(&self, id: &str) -> Option<String> {
        self.lock().get(id).map(|t| t.preview.as_str().to_owned())
    }

    /// Of `ids`, those whose text matches, in the order given.
    pub fn search<'a>(&self, query: &Query, ids: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
        let texts = self.lock();
        ids.filter(|id| texts.get(*id).is_some_and(|t| t.matches(query)))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CaseText>> {
        // A panic while holding the lock leaves whole entries behind (insert is one
        // step), so the map is still sound to use.
        self.texts.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(body: &str) -> Option<MessageContent> {
        Some(MessageContent {
            body: body.into(),
            where_when: Some("Poste frontière 4, mardi".into()),
            people: None,
            attachments: vec![],
            removed_file: None,
        })
    }

    #[test]
    fn previews_fold_blanks_and_cut_at_80_characters() {
        assert_eq!(
            preview("  Le chef\n\nd'équipe  ").as_str(),
            "Le chef d'équipe"
        );
        let long = "é".repeat(100);
        let cut = preview(&long);
        assert_eq!(cut.chars().count(), PREVIEW_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(preview("").as_str(), "");
    }

    #[test]
    fn search_ignores_case_and_accents_and_needs_every_term() {
        let index = TextIndex::default();
        index.insert(
            "a".into(),
            CaseText::new(2, &[message("Le Témoin a reçu une enveloppe"), None]),
        );
        index.insert("b".into(), CaseText::new(1, &[message("Rien à signaler")]));
        let ids = ["a", "b", "c"];
        let find = |q: &str| index.search(&Query::parse(q).unwrap(), ids.into_iter());
        assert_eq!(find("temoin ENVELOPPE"), ["a"]);
        assert_eq!(find("frontiere"), ["a", "b"]);
        assert_eq!(find("temoin rien"), Vec::<&str>::new());
        assert!(Query::parse("   ").is_none());
        assert!(index.is_stale("a", 3) && !index.is_stale("a", 2) && index.is_stale("c", 1));
        assert_eq!(
            index.preview("a").unwrap(),
            "Le Témoin a reçu une enveloppe"
        );
        assert_eq!(
            Query::parse(" ql-7k3m9q ").unwrap().reference().as_deref(),
            Some("QL-7K3M9Q")
        );
        assert!(Query::parse("ql-7k3m9q x").unwrap().reference().is_none());
    }
}
