//! Metarr's application crate: configuration, start-up, the HTTP API and the job handlers.
//!
//! The binary (`main.rs`) only parses the command line and calls into this library, so that
//! integration tests can build the very same [`startup::Application`].

pub mod api_key;
pub mod arr;
pub mod artwork;
pub mod backup;
pub mod cache;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod db;
pub mod enrich;
pub mod error;
pub mod events;
pub mod ids;
pub mod jobs;
pub mod limits;
pub mod log_settings;
pub mod metrics;
pub mod players;
pub mod provider_budget;
pub mod provider_cache;
pub mod publish;
pub mod routes;
pub mod scan_cli;
pub mod secret;
pub mod startup;
pub mod status;
pub mod telemetry;
pub mod ui;
pub mod users;
