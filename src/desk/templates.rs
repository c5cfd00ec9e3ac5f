//! The desk's page templates, compiled in, so that the binary is the whole desk. Kept
//! apart from `views`, which fills them, so that the list grows without the views.

/// Every desk template, compiled in, so that the binary is the whole desk.
pub(super) const TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../web/templates/desk/base.html"),
    ),
    (
        "cases.html",
        include_str!("../../web/templates/desk/cases.html"),
    ),
    (
        "case.html",
        include_str!("../../web/templates/desk/case.html"),
    ),
    (
        "stats.html",
        include_str!("../../web/templates/desk/stats.html"),
    ),
    (
        "error.html",
        include_str!("../../web/templates/desk/error.html"),
    ),
    (
        "stopped.html",
        include_str!("../../web/templates/desk/stopped.html"),
    ),
    (
        "retry.html",
        include_str!("../../web/templates/desk/retry.html"),
    ),
    (
        "settings.html",
        include_str!("../../web/templates/desk/settings.html"),
    ),
];
