//! A library's publishing settings: whether Metarr writes into its folders, and under which
//! names (docs/publishing.md).

use serde::{Deserialize, Serialize};

/// When a library's movies are published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PublishMode {
    /// Never: Metarr does not write into this library.
    Off,
    /// When the user asks (the API's or the movie page's Publish).
    #[default]
    Manual,
    /// After each enrichment and each artwork change, and when the user asks.
    Auto,
}

impl PublishMode {
    pub const ALL: [PublishMode; 3] = [PublishMode::Off, PublishMode::Manual, PublishMode::Auto];

    pub fn as_str(self) -> &'static str {
        match self {
            PublishMode::Off => "off",
            PublishMode::Manual => "manual",
            PublishMode::Auto => "auto",
        }
    }

    pub fn parse(name: &str) -> Option<PublishMode> {
        PublishMode::ALL.into_iter().find(|mode| mode.as_str() == name)
    }
}

impl TryFrom<String> for PublishMode {
    type Error = String;

    fn try_from(name: String) -> Result<PublishMode, String> {
        PublishMode::parse(&name).ok_or_else(|| format!("unknown publish mode {name:?}"))
    }
}

/// How artwork files are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArtworkStyle {
    /// `poster.jpg`, `fanart.jpg`, `fanart1.jpg`…: read by Kodi, Jellyfin and Plex.
    #[default]
    Folder,
    /// `<video base>-poster.jpg`…: Kodi's own names, one set per video.
    Kodi,
}

impl ArtworkStyle {
    pub fn as_str(self) -> &'static str {
        match self {
            ArtworkStyle::Folder => "folder",
            ArtworkStyle::Kodi => "kodi",
        }
    }
}

/// The naming options of a library (`publish_options` in the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PublishOptions {
    pub artwork_style: ArtworkStyle,
    /// Also write the NFO as `movie.nfo` (besides `<video base>.nfo`).
    pub movie_nfo: bool,
    /// Fanart beyond the first goes to `extrafanart/fanartN.jpg` instead of `fanartN.jpg`.
    pub extrafanart: bool,
    /// The cast's headshots as `.actors/First_Last.jpg`.
    pub actor_images: bool,
    /// Jellyfin's `<lockdata>`/`<lockedfields>` from Metarr's locks.
    pub jellyfin_locks: bool,
}
