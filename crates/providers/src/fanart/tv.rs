//! Fanart.tv v3 for series: every art type of a series, by TheTVDB id (Fanart.tv keys
//! series by nothing else).
//!
//! Its own art-type enum, not more variants of the movie one: callers match on
//! [`FanartArtType`](super::FanartArtType) exhaustively, and a series' art never comes in a
//! movie's answer.

use serde::Deserialize;

use super::{FanartClient, FanartImage};
use crate::error::ProviderError;
use crate::ids::TvdbId;
use crate::lenient::{non_empty_string, null_as_default, tvdb_id};
use crate::outcome::{Outcome, Validators};

/// The kinds of series art Fanart.tv has, by their keys in its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FanartTvArtType {
    /// `hdtvlogo`: HD clear logo (800×310).
    HdTvLogo,
    /// `clearlogo`: SD clear logo (400×155), the older kind.
    ClearLogo,
    /// `hdclearart`: HD clear art (1000×562).
    HdClearArt,
    /// `clearart`: SD clear art (500×281).
    ClearArt,
    /// `tvposter`: poster (1000×1426).
    TvPoster,
    /// `showbackground`: background, fanart (1920×1080), with a `season` (mostly `"all"`).
    ShowBackground,
    /// `tvthumb`: landscape thumb (500×281 or 1000×562).
    TvThumb,
    /// `tvbanner`: banner (1000×185).
    TvBanner,
    /// `characterart`: a character cut out (512×512).
    CharacterArt,
    /// `seasonposter`: a season's poster (1000×1426), with its `season`.
    SeasonPoster,
    /// `seasonthumb`: a season's landscape thumb, with its `season`.
    SeasonThumb,
    /// `seasonbanner`: a season's banner, with its `season`.
    SeasonBanner,
}

impl FanartTvArtType {
    /// Every art type.
    pub const ALL: [FanartTvArtType; 12] = [
        FanartTvArtType::HdTvLogo,
        FanartTvArtType::ClearLogo,
        FanartTvArtType::HdClearArt,
        FanartTvArtType::ClearArt,
        FanartTvArtType::TvPoster,
        FanartTvArtType::ShowBackground,
        FanartTvArtType::TvThumb,
        FanartTvArtType::TvBanner,
        FanartTvArtType::CharacterArt,
        FanartTvArtType::SeasonPoster,
        FanartTvArtType::SeasonThumb,
        FanartTvArtType::SeasonBanner,
    ];

    /// The key in Fanart.tv's answer.
    pub const fn as_str(self) -> &'static str {
        match self {
            FanartTvArtType::HdTvLogo => "hdtvlogo",
            FanartTvArtType::ClearLogo => "clearlogo",
            FanartTvArtType::HdClearArt => "hdclearart",
            FanartTvArtType::ClearArt => "clearart",
            FanartTvArtType::TvPoster => "tvposter",
            FanartTvArtType::ShowBackground => "showbackground",
            FanartTvArtType::TvThumb => "tvthumb",
            FanartTvArtType::TvBanner => "tvbanner",
            FanartTvArtType::CharacterArt => "characterart",
            FanartTvArtType::SeasonPoster => "seasonposter",
            FanartTvArtType::SeasonThumb => "seasonthumb",
            FanartTvArtType::SeasonBanner => "seasonbanner",
        }
    }

    /// Whether images of this type are for one season (their `season` says which).
    pub const fn is_per_season(self) -> bool {
        matches!(self, FanartTvArtType::SeasonPoster | FanartTvArtType::SeasonThumb | FanartTvArtType::SeasonBanner)
    }
}

/// `GET /tv/{tvdb_id}`: a series' art, per type. A type Fanart.tv has nothing of is absent
/// from its answer, and empty here.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FanartTv {
    /// The series' name on Fanart.tv.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub name: Option<String>,
    /// TheTVDB id (sent as a string).
    #[serde(default, deserialize_with = "tvdb_id")]
    pub thetvdb_id: Option<TvdbId>,
    /// HD clear logos.
    #[serde(default, deserialize_with = "null_as_default")]
    pub hdtvlogo: Vec<FanartImage>,
    /// SD clear logos.
    #[serde(default, deserialize_with = "null_as_default")]
    pub clearlogo: Vec<FanartImage>,
    /// HD clear art.
    #[serde(default, deserialize_with = "null_as_default")]
    pub hdclearart: Vec<FanartImage>,
    /// SD clear art.
    #[serde(default, deserialize_with = "null_as_default")]
    pub clearart: Vec<FanartImage>,
    /// Posters.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tvposter: Vec<FanartImage>,
    /// Backgrounds.
    #[serde(default, deserialize_with = "null_as_default")]
    pub showbackground: Vec<FanartImage>,
    /// Landscape thumbs.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tvthumb: Vec<FanartImage>,
    /// Banners.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tvbanner: Vec<FanartImage>,
    /// Character art.
    #[serde(default, deserialize_with = "null_as_default")]
    pub characterart: Vec<FanartImage>,
    /// Season posters.
    #[serde(default, deserialize_with = "null_as_default")]
    pub seasonposter: Vec<FanartImage>,
    /// Season thumbs.
    #[serde(default, deserialize_with = "null_as_default")]
    pub seasonthumb: Vec<FanartImage>,
    /// Season banners.
    #[serde(default, deserialize_with = "null_as_default")]
    pub seasonbanner: Vec<FanartImage>,
}

impl FanartTv {
    /// The images of one type.
    pub fn images(&self, kind: FanartTvArtType) -> &[FanartImage] {
        match kind {
            FanartTvArtType::HdTvLogo => &self.hdtvlogo,
            FanartTvArtType::ClearLogo => &self.clearlogo,
            FanartTvArtType::HdClearArt => &self.hdclearart,
            FanartTvArtType::ClearArt => &self.clearart,
            FanartTvArtType::TvPoster => &self.tvposter,
            FanartTvArtType::ShowBackground => &self.showbackground,
            FanartTvArtType::TvThumb => &self.tvthumb,
            FanartTvArtType::TvBanner => &self.tvbanner,
            FanartTvArtType::CharacterArt => &self.characterart,
            FanartTvArtType::SeasonPoster => &self.seasonposter,
            FanartTvArtType::SeasonThumb => &self.seasonthumb,
            FanartTvArtType::SeasonBanner => &self.seasonbanner,
        }
    }

    /// Every image with its type, type by type in [`FanartTvArtType::ALL`]'s order.
    pub fn all_images(&self) -> impl Iterator<Item = (FanartTvArtType, &FanartImage)> {
        FanartTvArtType::ALL.into_iter().flat_map(move |kind| self.images(kind).iter().map(move |image| (kind, image)))
    }
}

impl FanartClient {
    /// `GET /tv/{tvdb_id}` with the `api-key` (and `client-key`) headers. A series Fanart.tv
    /// has no art for is [`Outcome::NotFound`] (its 404 with an error body).
    #[tracing::instrument(skip_all, fields(provider = "fanart", tvdb_id = %tvdb_id))]
    pub async fn tv(&self, tvdb_id: TvdbId, validators: &Validators) -> Result<Outcome<FanartTv>, ProviderError> {
        self.get(&["tv", &tvdb_id.to_string()], validators).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn art_type_names_are_the_answer_keys() {
        let names: Vec<&str> = FanartTvArtType::ALL.iter().map(|kind| kind.as_str()).collect();
        assert_eq!(
            names,
            [
                "hdtvlogo",
                "clearlogo",
                "hdclearart",
                "clearart",
                "tvposter",
                "showbackground",
                "tvthumb",
                "tvbanner",
                "characterart",
                "seasonposter",
                "seasonthumb",
                "seasonbanner"
            ]
        );
        let per_season: Vec<FanartTvArtType> =
            FanartTvArtType::ALL.into_iter().filter(|kind| kind.is_per_season()).collect();
        assert_eq!(
            per_season,
            [FanartTvArtType::SeasonPoster, FanartTvArtType::SeasonThumb, FanartTvArtType::SeasonBanner]
        );
    }
}
