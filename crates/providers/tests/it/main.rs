//! Integration tests for metarr-providers: the TMDB, Fanart.tv and OMDb clients against local
//! stand-ins (wiremock, and raw TCP servers for broken connections) that speak each
//! provider's wire format, serving real TMDB captures and constructed answers
//! (`tests/data/README.md`).

#![allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]

mod failures;
mod fanart;
mod fanart_tv;
mod images;
mod omdb;
mod support;
mod tmdb;
mod tmdb_tv;
