//! Clients for the media players Metarr tells about changed movie folders (Kodi, Jellyfin,
//! Plex), the mapping from Metarr paths to player paths, and the group fallback logic.
//!
//! The crate knows nothing about the database, the job queue or the HTTP server: `app`
//! loads player groups, maps paths, calls these clients from its jobs and turns a
//! [`PlayerError`] or a [`RefreshOutcome::Busy`] into a retry, a snooze or a permanent
//! failure.
//!
//! Passwords and tokens travel only in headers; they never appear in logs, in `Debug`
//! output or in [`PlayerError`] messages, which name the player by `host:port` only.
#![warn(missing_docs)]

mod endpoint;
mod error;
mod group;
mod jellyfin;
mod kodi;
mod mapping;
mod notifications;
mod plex;
mod refresh;

pub use endpoint::Endpoint;
pub use error::PlayerError;
pub use group::try_in_order;
pub use jellyfin::{JellyfinClient, JellyfinInfo};
pub use kodi::{ActivePlayer, KodiClient, KodiEpisode, KodiMovie, KodiTexture, KodiTvShow, KodiVersion};
pub use mapping::{PathMapping, map_path};
pub use notifications::{KodiNotification, KodiNotifications};
pub use plex::{PlexClient, PlexIdentity, PlexSection};
pub use refresh::{
    BusyReason, Confirmation, RefreshOptions, RefreshOutcome, refresh_movie_folder, refresh_series_folder,
};
