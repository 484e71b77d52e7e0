//! Integration tests of the `metarr` binary crate: the real `Application` on port 0.
//!
//! One test binary with modules (ripgrep, zero-to-production). Every `app_test!` runs on SQLite
//! and, when `TEST_DATABASE_URL` is set, on PostgreSQL in a fresh schema.

// Tests talk to the user on stderr when they skip a backend.
#![allow(clippy::print_stderr)]

#[macro_use]
mod helpers;

mod artwork;
mod auth;
mod backups;
mod cli;
mod conformance;
mod crash;
mod enrich;
mod events;
mod faults;
mod faults_support;
mod file_scan_schedule;
mod hardening_http;
mod hostile_text;
mod jobs;
mod libraries;
mod logs;
mod metadata;
mod metrics;
mod movie_rescan;
mod movies;
mod notifications;
mod openapi;
mod packaging;
mod path_mappings;
mod players;
mod provider_budget;
mod publish;
mod real_kodi;
mod request_trace;
mod retention;
mod scan;
mod scan_names;
mod scan_rerun;
mod schedules;
mod secrets_in_logs;
mod system;
mod tv;
mod tv_artwork;
mod tv_enrich;
mod tv_publish;
mod ui;
mod ui_artwork;
mod ui_browser;
mod ui_enrich;
mod ui_jobs;
mod ui_movies;
mod ui_publish;
mod ui_settings;
mod ui_tv;
mod webhooks;
