//! Integration tests for metarr-players: the clients against faithful loopback stand-ins
//! (the Kodi JSON-RPC server of `metarr_testkit::kodi::standin`, with an in-memory library;
//! wiremock for Jellyfin and Plex), the Kodi refresh strategy and the group fallback, and a
//! real headless Kodi (`metarr_testkit::kodi::headless`).

#![allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]

mod group;
mod jellyfin;
mod kodi;
mod notifications;
mod plex;
mod real_kodi;
mod refresh;
mod support;
