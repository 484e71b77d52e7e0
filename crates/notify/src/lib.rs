//! User notifications: Discord webhooks, Pushover and email over SMTP.
//!
//! Each sender takes its service's settings and one [`Notification`], makes one delivery
//! attempt (Discord also waits out a short 429 in-process) and classifies any failure as a
//! [`SendError`], so the caller's job queue can decide between giving up, retrying with
//! backoff and snoozing until a rate limit resets.
//!
//! The crate knows nothing about the database, the HTTP server or configuration files:
//! `app` loads the settings, decides which services want which [`EventKind`], and runs the
//! senders from its jobs.
//!
//! Secrets (the Pushover token and user key, the SMTP password, and the Discord webhook URL,
//! whose last path segment is a token) never appear in logs or in [`SendError`] messages.
#![warn(missing_docs)]

mod discord;
mod email;
mod error;
mod event;
mod http;
mod pushover;
mod text;

pub use discord::{DiscordSettings, send_discord};
pub use email::{EmailOptions, EmailSettings, EmailTls, send_email, send_email_with_options};
pub use error::SendError;
pub use event::{EventKind, MovieInfo, Notification};
pub use http::http_client;
pub use pushover::{PUSHOVER_API_URL, PushoverSettings, send_pushover};
