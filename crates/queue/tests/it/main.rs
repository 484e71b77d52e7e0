//! The queue's conformance suite: every test runs on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.
//!
//! One integration binary with modules inside keeps link times down (ripgrep, zero-to-production).

#[macro_use]
mod harness;

mod cluster;
mod events;
mod management;
mod schedules;
mod store;
mod worker;
