//! Integration tests for metarr-players: the clients against faithful loopback stand-ins
//! (a Kodi JSON-RPC server with an in-memory library, wiremock for Jellyfin and Plex), the
//! Kodi refresh strategy and the group fallback.

#![allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]

mod group;
mod headless_kodi;
mod jellyfin;
mod kodi;
mod kodi_standin;
mod notifications;
mod plex;
mod real_kodi;
mod refresh;
mod support;
