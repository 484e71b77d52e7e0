//! Identifiers as their own types, so a TMDB movie id cannot be passed for a collection's
//! or a series', a TVDB id cannot be passed for a TMDB one, and an IMDb id is known to be
//! well-formed before it goes into a URL.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A TMDB movie id (`/movie/{id}`): a positive integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TmdbId(pub u32);

impl fmt::Display for TmdbId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A TMDB collection id (`/collection/{id}`, a movie's `belongs_to_collection.id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CollectionId(pub u32);

impl fmt::Display for CollectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A TMDB TV series id (`/tv/{id}`): a positive integer, in a namespace of its own (TMDB's
/// movie 1396 and series 1396 are unrelated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TmdbTvId(pub u32);

impl fmt::Display for TmdbTvId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A TheTVDB series id (`81189`): what Sonarr keys series by, Fanart.tv's TV path takes and
/// TMDB's `/find` accepts as `external_source=tvdb_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TvdbId(pub u32);

impl fmt::Display for TvdbId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An IMDb title id: `tt` followed by at least seven digits (`tt0137523`).
///
/// Built only through [`FromStr`] / [`ImdbId::parse`], so every value in a URL is safe
/// to put there unescaped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ImdbId(String);

/// A string that is not an IMDb title id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IMDb title id (tt followed by at least 7 digits)")]
pub struct InvalidImdbId(pub String);

impl ImdbId {
    /// Parses an id by [`metarr_nfo::is_imdb_id`]'s rule (`tt` + 7 to 10 ASCII digits);
    /// surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<Self, InvalidImdbId> {
        let trimmed = text.trim();
        if metarr_nfo::is_imdb_id(trimmed) {
            Ok(ImdbId(trimmed.to_owned()))
        } else {
            Err(InvalidImdbId(text.to_owned()))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ImdbId {
    type Err = InvalidImdbId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ImdbId::parse(text)
    }
}

impl fmt::Display for ImdbId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ImdbId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ImdbId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A movie as Fanart.tv accepts it in its path: by TMDB id or by IMDb id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MovieRef {
    /// By TMDB id.
    Tmdb(TmdbId),
    /// By IMDb id.
    Imdb(ImdbId),
}

impl From<TmdbId> for MovieRef {
    fn from(id: TmdbId) -> Self {
        MovieRef::Tmdb(id)
    }
}

impl From<ImdbId> for MovieRef {
    fn from(id: ImdbId) -> Self {
        MovieRef::Imdb(id)
    }
}

impl fmt::Display for MovieRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MovieRef::Tmdb(id) => id.fmt(f),
            MovieRef::Imdb(id) => id.fmt(f),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;

    #[test]
    fn imdb_ids_are_checked() {
        assert_eq!(ImdbId::parse(" tt0137523 ").unwrap().as_str(), "tt0137523");
        assert_eq!(ImdbId::parse("tt10872600").unwrap().as_str(), "tt10872600");
        for bad in ["", "tt", "tt123456", "0137523", "TT0137523", "tt0137523x", "tt01375 23", "nm0000093"] {
            assert!(ImdbId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn imdb_ids_deserialize_only_when_valid() {
        assert_eq!(serde_json::from_str::<ImdbId>("\"tt0137523\"").unwrap().to_string(), "tt0137523");
        assert!(serde_json::from_str::<ImdbId>("\"../../etc\"").is_err());
    }

    #[test]
    fn movie_refs_print_as_their_id() {
        assert_eq!(MovieRef::from(TmdbId(550)).to_string(), "550");
        assert_eq!(MovieRef::from(ImdbId::parse("tt0137523").unwrap()).to_string(), "tt0137523");
    }
}
