//! The translations (web/i18n/{en,fr,es}) and the language they are read in, shared by
//! the reporter pages (`http::render`) and the content-free alerts (`alerts`), so that
//! both read one compiled-in copy. Moved here from `http::render`, since nothing but
//! `main` may import `http`.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::{LanguageIdentifier, Loader, fluent_bundle::FluentValue};

use crate::case::Day;
use crate::message::{SizeWords, human_size_in};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./web/i18n",
        fallback_language: "en",
        // Fluent's bidi isolation marks would end up inside HTML text and form values.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The languages reporter pages are offered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
    Es,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Fr, Lang::Es];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Es => "es",
        }
    }

    /// The language's name in itself, as a switcher shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::Es => "Español",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    fn langid(self) -> LanguageIdentifier {
        // Infallible: the three codes are valid language identifiers.
        self.code().parse().expect("static language code")
    }

    /// The best supported language of an Accept-Language header, by quality value.
    pub fn negotiate(accept: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for item in accept.split(',').take(20) {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_code) else {
                continue;
            };
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    /// Looks up one translation, with optional arguments.
    pub fn text(self, key: &str, args: Option<&HashMap<Cow<'static, str>, FluentValue>>) -> String {
        LOCALES
            .try_lookup_complete(&self.langid(), key, args)
            .unwrap_or_else(|| {
                tracing::warn!(key, "missing translation");
                key.to_owned()
            })
    }

    /// A day as people write it in this language: "26 November 2026", "1er décembre
    /// 2026", "26 de noviembre de 2026". The pages never show an ISO date.
    pub fn date(self, day: Day) -> String {
        self.date_as("date-long", day)
    }

    /// A day without its year, for recent events: "26 November", "26 novembre".
    pub fn date_short(self, day: Day) -> String {
        self.date_as("date-short", day)
    }

    /// The month's name comes from its own message (`month-11`), since Fluent cannot pick
    /// a message by a variable; the pattern (`date-long`) orders day, month and year.
    fn date_as(self, pattern: &str, day: Day) -> String {
        let month = self.text(&format!("month-{}", day.month()), None);
        let args = HashMap::from([
            (Cow::Borrowed("day"), FluentValue::from(day.day_of_month())),
            (Cow::Borrowed("month"), FluentValue::from(month)),
            // As text: a year is not a quantity to format.
            (
                Cow::Borrowed("year"),
                FluentValue::from(day.year().to_string()),
            ),
        ]);
        self.text(pattern, Some(&args))
    }

    /// A file size in this language's words and decimal separator: "2.7 KiB", "2,7 Kio".
    pub fn size(self, bytes: u64) -> String {
        let count = |n: u64| {
            let args = HashMap::from([(Cow::Borrowed("count"), FluentValue::from(n))]);
            self.text("size-bytes", Some(&args))
        };
        let units = ["size-kib", "size-mib", "size-gib"].map(|key| self.text(key, None));
        let decimal = self.text("size-decimal", None);
        let space = self.text("size-space", None);
        let words = SizeWords {
            bytes: &count,
            units: [&units[0], &units[1], &units[2]],
            decimal: decimal.chars().next().unwrap_or('.'),
            space: &space,
        };
        human_size_in(bytes, &words)
    }
}
