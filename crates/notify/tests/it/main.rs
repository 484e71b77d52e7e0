//! Integration tests for metarr-notify: Discord and Pushover against local stand-ins that
//! check the exact request, email through a real aiosmtpd server on loopback.

#![allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]

mod discord;
mod email;
mod pushover;
mod support;
