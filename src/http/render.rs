//! HTML rendering for the reporter pages: language choice, translations and templates.
//!
//! Templates (web/templates) and translations (web/i18n) are compiled into the binary, so
//! a deployment is one file and cannot serve a half-updated mix. Templates call `t("key")`
//! for every user-facing string; the language comes from `?lang=` or Accept-Language.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use fluent_templates::fluent_bundle::FluentValue;
use minijinja::value::Kwargs;
use minijinja::{Environment, State, Value, context};

use super::error::Error;
/// The language loader lives in `crate::i18n`, shared with the content-free alerts.
pub use crate::i18n::Lang;

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let from_query = parts.uri.query().and_then(|q| {
            q.split('&')
                .find_map(|pair| pair.strip_prefix("lang="))
                .and_then(Lang::from_code)
        });
        let from_header = || {
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::negotiate)
        };
        Ok(from_query.or_else(from_header).unwrap_or(Lang::En))
    }
}

/// `t("key", name=value, ...)` in templates, in the language of the page being rendered.
fn translate(state: &State, key: &str, kwargs: Kwargs) -> Result<String, minijinja::Error> {
    let lang = state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::from_code))
        .unwrap_or(Lang::En);
    let mut args = HashMap::new();
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        let value = match value.as_i64() {
            Some(n) => FluentValue::from(n),
            None => FluentValue::from(value.to_string()),
        };
        args.insert(Cow::Owned(name.to_owned()), value);
    }
    Ok(lang.text(key, (!args.is_empty()).then_some(&args)))
}

/// Every template, compiled in.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../web/templates/base.html")),
    ("index.html", include_str!("../../web/templates/index.html")),
    (
        "report.html",
        include_str!("../../web/templates/report.html"),
    ),
    (
        "submitted.html",
        include_str!("../../web/templates/submitted.html"),
    ),
    ("login.html", include_str!("../../web/templates/login.html")),
    ("case.html", include_str!("../../web/templates/case.html")),
    ("error.html", include_str!("../../web/templates/error.html")),
    (
        "message.html",
        include_str!("../../web/templates/message.html"),
    ),
    (
        "attachments.html",
        include_str!("../../web/templates/attachments.html"),
    ),
];

/// The stylesheet, the only static asset: pages load nothing else.
pub const STYLESHEET: &str = include_str!("../../web/static/style.css");

pub struct Pages {
    env: Environment<'static>,
}

impl Pages {
    pub fn new(quick_exit_url: &str, session_idle_minutes: u64) -> Self {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // Infallible in practice: a template that does not parse fails every page test.
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name} does not parse: {e}"));
        }
        env.add_function("t", translate);
        env.add_global("quick_exit_url", quick_exit_url.to_owned());
        env.add_global("session_minutes", session_idle_minutes);
        env.add_global(
            "languages",
            Value::from_iter(
                Lang::ALL
                    .iter()
                    .map(|l| context! { code => l.code(), name => l.native_name() }),
            ),
        );
        Pages { env }
    }

    /// Renders a page with `status`. `ctx` is merged with the page language.
    pub fn render(&self, status: StatusCode, lang: Lang, name: &str, ctx: Value) -> Response {
        let ctx = context! { lang => lang.code(), ..ctx };
        match self.env.get_template(name).and_then(|t| t.render(ctx)) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(template = name, error = %e, "template failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }

    /// The error page for `error`, in the reporter's language.
    pub fn error(&self, lang: Lang, error: Error, ctx: Value) -> Response {
        let mut response = self.render(
            error.status(),
            lang,
            "error.html",
            context! { message_key => error.message_key(), ..ctx },
        );
        error.decorate(&mut response);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Day;

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(Lang::negotiate("fr-CH, fr;q=0.9, en;q=0.8"), Some(Lang::Fr));
        assert_eq!(Lang::negotiate("de-DE, es;q=0.5, en;q=0.4"), Some(Lang::Es));
        assert_eq!(Lang::negotiate("de, it"), None);
        assert_eq!(Lang::negotiate("fr;q=0, es"), Some(Lang::Es));
    }

    /// Message ids of one .ftl file (lines that start a message).
    fn ids(ftl: &str) -> std::collections::BTreeSet<String> {
        ftl.lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once('=').map(|(id, _)| id.trim().to_owned()))
            .collect()
    }

    #[test]
    fn every_language_has_every_message() {
        let en = ids(include_str!("../../web/i18n/en/main.ftl"));
        for (code, ftl) in [
            ("fr", include_str!("../../web/i18n/fr/main.ftl")),
            ("es", include_str!("../../web/i18n/es/main.ftl")),
        ] {
            let other = ids(ftl);
            let missing: Vec<_> = en.difference(&other).collect();
            let extra: Vec<_> = other.difference(&en).collect();
            assert!(missing.is_empty(), "{code} lacks {missing:?}");
            assert!(extra.is_empty(), "{code} has unknown {extra:?}");
        }
    }

    #[test]
    fn every_key_a_template_uses_exists() {
        let en = ids(include_str!("../../web/i18n/en/main.ftl"));
        let mut used = std::collections::BTreeSet::new();
        for (_, source) in TEMPLATES {
            for piece in source.split("t(\"").skip(1) {
                // Keys ending in '-' are prefixes completed in the template
                // ("category-" ~ c); the test below checks those ids one by one.
                if let Some((key, _)) = piece.split_once('"').filter(|(k, _)| !k.ends_with('-')) {
                    used.insert(key.to_owned());
                }
            }
        }
        // Every page message an error can name: `Error::message_key` matches every
        // variant (the compiler checks that), and each of its keys is a literal there.
        let errors = include_str!("error.rs");
        for piece in errors.split("\"error-").skip(1) {
            if let Some((rest, _)) = piece.split_once('"') {
                used.insert(format!("error-{rest}"));
            }
        }
        for c in crate::case::Category::ALL {
            used.insert(format!("category-{}", c.as_str()));
        }
        for status in crate::case::Status::WORDS {
            used.insert(format!("status-{status}"));
        }
        // Keys the case page picks in Rust (reporter_pages.rs) rather than in a template.
        for key in [
            "case-next-acknowledge",
            "case-next-acknowledge-late",
            "case-next-feedback",
            "case-next-feedback-late",
            "case-next-answered",
            "status-explain-closed",
            "case-new-reply",
            "case-left",
            "form-used",
            "error-not-found",
            "error-method-not-allowed",
            "form-report-already-sent",
            "date-long",
            "date-short",
            "size-bytes",
            "size-kib",
            "size-mib",
            "size-gib",
            "size-decimal",
            "size-space",
        ] {
            used.insert(key.to_owned());
        }
        for month in 1..=12 {
            used.insert(format!("month-{month}"));
        }
        let missing: Vec<_> = used.difference(&en).collect();
        assert!(missing.is_empty(), "templates use missing keys {missing:?}");
    }

    fn day(y: i32, m: u8, d: u8) -> Day {
        Day::from_ymd(y, m, d).unwrap()
    }

    #[test]
    fn dates_are_written_in_the_page_s_language() {
        let nov = day(2026, 11, 26);
        let first = day(2026, 12, 1);
        assert_eq!(Lang::En.date(nov), "26 November 2026");
        assert_eq!(Lang::En.date_short(nov), "26 November");
        assert_eq!(Lang::En.date(first), "1 December 2026");
        assert_eq!(Lang::Fr.date(nov), "26 novembre 2026");
        assert_eq!(Lang::Fr.date_short(nov), "26 novembre");
        assert_eq!(Lang::Fr.date(first), "1er décembre 2026");
        assert_eq!(Lang::Fr.date(day(2027, 2, 26)), "26 février 2027");
        assert_eq!(Lang::Es.date(nov), "26 de noviembre de 2026");
        assert_eq!(Lang::Es.date_short(first), "1 de diciembre");
        for lang in Lang::ALL {
            for month in 1..=12 {
                let text = lang.date(day(2027, month, 9));
                assert!(
                    text.starts_with('9') && text.ends_with("2027") && !text.contains("month-"),
                    "{lang:?} {month}: {text}"
                );
            }
        }
    }

    #[test]
    fn sizes_are_written_in_the_page_s_language() {
        assert_eq!(Lang::En.size(1), "1 byte");
        assert_eq!(Lang::En.size(900), "900 bytes");
        assert_eq!(Lang::En.size(2765), "2.7 KiB");
        assert_eq!(Lang::En.size(1_572_864), "1.5 MiB");
        assert_eq!(Lang::Fr.size(1), "1 octet");
        assert_eq!(Lang::Fr.size(900), "900 octets");
        assert_eq!(Lang::Fr.size(2765), "2,7\u{a0}Kio");
        assert_eq!(Lang::Fr.size(3 << 30), "3,0\u{a0}Gio");
        assert_eq!(Lang::Es.size(1), "1 byte");
        assert_eq!(Lang::Es.size(900), "900 bytes");
        assert_eq!(Lang::Es.size(2765), "2,7 KiB");
        // The desk's English is the one rule, unchanged.
        for bytes in [0, 1, 1023, 1024, 2765, 1_572_864, 3 << 40] {
            assert_eq!(Lang::En.size(bytes), crate::message::human_size(bytes));
        }
    }

    #[test]
    fn translations_render_without_isolation_marks() {
        let text = Lang::Fr.text("submitted-title", None);
        assert!(!text.is_empty() && text != "submitted-title");
        assert!(!text.contains('\u{2068}'));
    }
}
