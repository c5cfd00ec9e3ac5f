//! quietline: an anonymous reporting service for officers facing coercion, threats and
//! infiltration, and the integrity units that investigate their reports.
//!
//! Reports are age-encrypted before they are stored; only investigators, holding their
//! identities on their own machines, can read them. See DESIGN.md in the shared docs and
//! SECURITY.md for the threat model.

//! # Layout
//!
//! The modules are floors; each may import only from the floors below it.
//!
//! - **Pure floor**: [`case`] (case life, deadlines, and every word for a status, outcome,
//!   role or name), [`message`] (the plaintext schema of a thread entry), [`crypto`]
//!   (tokens, KDF, keys, wraps, TOTP, the identity file), [`evidence`] (metadata
//!   removal), [`audit`] (the hash chain) and [`api`] (the investigator API's wire types).
//!   They import nothing else of this crate and do no I/O of their own. [`i18n`] holds
//!   the compiled-in translations that pages and alerts share.
//! - **Store**: [`store`] keeps and finds records and the evidence blobs, in sled (the
//!   default) or PostgreSQL (`--database-url`, for several instances). It
//!   never decides what a status change means: those rules are `case`'s, so that a
//!   second backend cannot re-implement them.
//! - **Service**: [`service`] is the blocking core both HTTP faces call: reporters,
//!   accounts, cases, statistics. It decides; the store keeps. It knows nothing of HTTP,
//!   and takes its time from a clock passed in.
//! - **Outward**: [`alerts`] sends content-free counts to investigators (mail, webhook);
//!   [`i18n`] holds the translations that pages and alerts share. Both sit beside the
//!   service; neither reaches a face.
//! - **Faces**: [`http`] (the service's router, the reporter API and pages, the
//!   investigator API) calls `service` and never the store directly; [`desk`] (the
//!   investigator's console, on their own machine) calls the API over the network and
//!   never imports `store`, `service` or `http`. [`alerts`] sends content-free counts
//!   (mail, webhook) on tasks of its own, reading case records from the store.
//! - **Top**: [`config`], [`cli`], [`commands`] and `main` wire the floors together;
//!   [`serving`] holds what both web faces share (security headers, the stop signal).

#![forbid(unsafe_code)]

/// Content-free alerts to investigators (mail, webhook): counts only, urgent at once,
/// the rest in digests at fixed times.
pub mod alerts;
/// Wire types of the investigator API, shared by the service and the desk.
pub mod api;
/// The hash-chained audit log of investigator actions, pure.
pub mod audit;
/// Case life, pure: statuses, categories, days and legal deadlines.
pub mod case;
/// Command-line interface definitions (clap), shared by `main` and the README check.
pub mod cli;
/// The command-line actions: serve, keygen, admin.
pub mod commands;
/// Settings of `quietline serve`, with defaults, flags and environment variables.
pub mod config;
/// Tokens, KDF, case keys and wraps, session ids: pure, no I/O.
pub mod crypto;
/// The investigator's desk: API client, local decryption, its loopback UI; and enrolment.
pub mod desk;
/// Evidence files: format sniffing and metadata removal, pure and streaming.
pub mod evidence;
/// The HTTP service: router, reporter API and pages.
pub mod http;
/// The compiled-in translations and the language they are read in.
pub mod i18n;
/// The plaintext schema of a thread entry, shared by the service and the desk.
pub mod message;
/// The blocking core both HTTP faces call: reporters, accounts, cases, statistics.
pub mod service;
/// Security headers and graceful stop, shared by the service and the desk.
pub mod serving;
/// The `Store` trait and its sled implementation.
pub mod store;
