//! Which TMDB movie or show, TVDB series or episode and IMDb title an NFO names, from the
//! several places tools put ids.
//!
//! Movie NFO sources, strongest first:
//! 1. `<uniqueid type="tmdb|imdb">` (also `type="themoviedb"`), the `default="true"` one before
//!    the others (Kodi 17+, Radarr, Jellyfin and tinyMediaManager all write these);
//! 2. the legacy `<id>`: a `tt…` value is an IMDb id. A number is taken as a TMDB id only when
//!    the file is a movie NFO with no `<uniqueid>` and no `<tmdbid>` at all, because in episode
//!    and show NFOs it is a TVDB id, and when `<uniqueid>`s exist Kodi wrote `<id>` as a copy of
//!    the default one, whose type they already say;
//! 3. `<tmdbid>` / `<imdbid>` (Radarr, Jellyfin's `<tmdbId>`);
//! 4. URLs outside the XML (URL-only NFOs and URL lines after the XML), first one first.
//!
//! Show and episode NFO sources, strongest first (each id only from its own kind of source):
//! 1. `<uniqueid type="tvdb|tmdb|imdb">` (also `type="themoviedb"`), the default one first. A
//!    `type="sonarr"` id (Sonarr's own episode id) names nothing;
//! 2. the legacy `<id>`: a `tt…` value is an IMDb id; a number is a TVDB id (the old Kodi
//!    scrapers were TVDB's) only when there is no `<uniqueid>` and no `<tvdbid>`, for the same
//!    reason as for movies. It is never a TMDB id;
//! 3. `<tvdbid>`, `<tmdbid>`, `<imdb_id>`/`<imdbid>` (Jellyfin);
//! 4. for shows only, URLs outside the XML ([`ExternalId::Tvdb`], [`ExternalId::TmdbTv`],
//!    [`ExternalId::Imdb`]): an episode file's URL would name its series, not the episode.

use crate::links::is_imdb_id;
use crate::model::{ExternalId, FoundUrl, MovieNfo, NfoRoot, UniqueId};
use crate::tv::{EpisodeNfo, TvShowNfo};

impl MovieNfo {
    /// The TMDB movie id this NFO names, if any. See the module docs for the order of sources.
    pub fn tmdb_id(&self) -> Option<i64> {
        // Kodi's scrapers say "tmdb"; some older tools wrote "themoviedb".
        let tmdb_ids = default_first(&self.unique_ids).filter(|id| is_type(id, "tmdb") || is_type(id, "themoviedb"));
        if let Some(id) = tmdb_ids.filter_map(|id| positive_id(&id.value)).next() {
            return Some(id);
        }
        let is_movie = matches!(self.root, None | Some(NfoRoot::Movie));
        let legacy_may_be_tmdb = is_movie && self.unique_ids.is_empty() && self.tmdb_id_element.is_none();
        if let Some(id) = self.legacy_id.as_deref().and_then(positive_id).filter(|_| legacy_may_be_tmdb) {
            return Some(id);
        }
        if let Some(id) = self.tmdb_id_element.as_deref().and_then(positive_id) {
            return Some(id);
        }
        self.urls.iter().find_map(|url| match url.id {
            Some(ExternalId::Tmdb(id)) => Some(id),
            _ => None,
        })
    }

    /// The IMDb title id (`tt…`) this NFO names, if any. See the module docs for the order of
    /// sources.
    pub fn imdb_id(&self) -> Option<String> {
        let from_unique_id =
            default_first(&self.unique_ids).filter(|id| is_type(id, "imdb")).find_map(|id| imdb_value(&id.value));
        from_unique_id
            .or_else(|| self.legacy_id.as_deref().and_then(imdb_value))
            .or_else(|| self.imdb_id_element.as_deref().and_then(imdb_value))
            .or_else(|| {
                self.urls.iter().find_map(|url| match &url.id {
                    Some(ExternalId::Imdb(id)) => Some(id.clone()),
                    _ => None,
                })
            })
    }
}

impl TvShowNfo {
    /// The TVDB series id this NFO names, if any. See the module docs for the order of sources.
    pub fn tvdb_id(&self) -> Option<i64> {
        self.sources().tvdb_id()
    }

    /// The TMDB show id this NFO names, if any. See the module docs for the order of sources.
    pub fn tmdb_id(&self) -> Option<i64> {
        self.sources().tmdb_id()
    }

    /// The IMDb title id (`tt…`) this NFO names, if any. See the module docs for the order of
    /// sources.
    pub fn imdb_id(&self) -> Option<String> {
        self.sources().imdb_id()
    }

    fn sources(&self) -> TvSources<'_> {
        TvSources {
            unique_ids: &self.unique_ids,
            legacy_id: self.legacy_id.as_deref(),
            tvdb_id_element: self.tvdb_id_element.as_deref(),
            tmdb_id_element: self.tmdb_id_element.as_deref(),
            imdb_id_element: self.imdb_id_element.as_deref(),
            urls: &self.urls,
        }
    }
}

impl EpisodeNfo {
    /// The TVDB episode id this NFO names, if any. See the module docs for the order of
    /// sources.
    pub fn tvdb_id(&self) -> Option<i64> {
        self.sources().tvdb_id()
    }

    /// The TMDB episode id this NFO names, if any. See the module docs for the order of
    /// sources.
    pub fn tmdb_id(&self) -> Option<i64> {
        self.sources().tmdb_id()
    }

    /// The IMDb title id (`tt…`) of this episode, if any. See the module docs for the order of
    /// sources.
    pub fn imdb_id(&self) -> Option<String> {
        self.sources().imdb_id()
    }

    fn sources(&self) -> TvSources<'_> {
        TvSources {
            unique_ids: &self.unique_ids,
            legacy_id: self.legacy_id.as_deref(),
            tvdb_id_element: self.tvdb_id_element.as_deref(),
            tmdb_id_element: self.tmdb_id_element.as_deref(),
            imdb_id_element: self.imdb_id_element.as_deref(),
            urls: &[],
        }
    }
}

/// The places a show or episode NFO keeps ids, so both resolve them by one set of rules.
struct TvSources<'a> {
    unique_ids: &'a [UniqueId],
    legacy_id: Option<&'a str>,
    tvdb_id_element: Option<&'a str>,
    tmdb_id_element: Option<&'a str>,
    imdb_id_element: Option<&'a str>,
    urls: &'a [FoundUrl],
}

impl TvSources<'_> {
    fn tvdb_id(&self) -> Option<i64> {
        let tvdb_ids = default_first(self.unique_ids).filter(|id| is_type(id, "tvdb"));
        if let Some(id) = tvdb_ids.filter_map(|id| positive_id(&id.value)).next() {
            return Some(id);
        }
        let legacy_may_be_tvdb = self.unique_ids.is_empty() && self.tvdb_id_element.is_none();
        if let Some(id) = self.legacy_id.and_then(positive_id).filter(|_| legacy_may_be_tvdb) {
            return Some(id);
        }
        if let Some(id) = self.tvdb_id_element.and_then(positive_id) {
            return Some(id);
        }
        self.urls.iter().find_map(|url| match url.id {
            Some(ExternalId::Tvdb(id)) => Some(id),
            _ => None,
        })
    }

    fn tmdb_id(&self) -> Option<i64> {
        let tmdb_ids = default_first(self.unique_ids).filter(|id| is_type(id, "tmdb") || is_type(id, "themoviedb"));
        tmdb_ids
            .filter_map(|id| positive_id(&id.value))
            .next()
            .or_else(|| self.tmdb_id_element.and_then(positive_id))
            .or_else(|| {
                self.urls.iter().find_map(|url| match url.id {
                    Some(ExternalId::TmdbTv(id)) => Some(id),
                    _ => None,
                })
            })
    }

    fn imdb_id(&self) -> Option<String> {
        let from_unique_id =
            default_first(self.unique_ids).filter(|id| is_type(id, "imdb")).find_map(|id| imdb_value(&id.value));
        from_unique_id
            .or_else(|| self.legacy_id.and_then(imdb_value))
            .or_else(|| self.imdb_id_element.and_then(imdb_value))
            .or_else(|| {
                self.urls.iter().find_map(|url| match &url.id {
                    Some(ExternalId::Imdb(id)) => Some(id.clone()),
                    _ => None,
                })
            })
    }
}

/// `<uniqueid>`s with the default ones first, otherwise in file order.
fn default_first(unique_ids: &[UniqueId]) -> impl Iterator<Item = &UniqueId> {
    let defaults = unique_ids.iter().filter(|id| id.default);
    let others = unique_ids.iter().filter(|id| !id.default);
    defaults.chain(others)
}

fn is_type(id: &UniqueId, wanted: &str) -> bool {
    id.id_type.as_deref().is_some_and(|kind| kind.eq_ignore_ascii_case(wanted))
}

/// A positive number made of digits only; TMDB and TVDB ids are never zero or negative.
fn positive_id(value: &str) -> Option<i64> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    value.parse::<i64>().ok().filter(|id| *id > 0)
}

/// An IMDb id, normalised to lower-case `tt`.
fn imdb_value(value: &str) -> Option<String> {
    let value = value.trim().to_ascii_lowercase();
    is_imdb_id(&value).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FoundUrl;

    fn unique(kind: &str, value: &str, default: bool) -> UniqueId {
        UniqueId { id_type: Some(kind.into()), default, value: value.into() }
    }

    #[test]
    fn default_unique_id_wins() {
        let nfo = MovieNfo {
            unique_ids: vec![unique("tmdb", "1", false), unique("tmdb", "2", true)],
            legacy_id: Some("3".into()),
            ..MovieNfo::default()
        };
        assert_eq!(nfo.tmdb_id(), Some(2));
    }

    #[test]
    fn legacy_numeric_id_is_tmdb_only_without_other_ids() {
        let bare = MovieNfo { root: Some(NfoRoot::Movie), legacy_id: Some("603".into()), ..MovieNfo::default() };
        assert_eq!(bare.tmdb_id(), Some(603));
        let with_tvdb = MovieNfo { unique_ids: vec![unique("tvdb", "603", true)], ..bare.clone() };
        assert_eq!(with_tvdb.tmdb_id(), None);
        let episode = MovieNfo { root: Some(NfoRoot::EpisodeDetails), ..bare.clone() };
        assert_eq!(episode.tmdb_id(), None);
        let with_element = MovieNfo { tmdb_id_element: Some("604".into()), ..bare };
        assert_eq!(with_element.tmdb_id(), Some(604));
    }

    #[test]
    fn imdb_from_legacy_id_element_or_url() {
        let legacy = MovieNfo { legacy_id: Some("TT0133093".into()), ..MovieNfo::default() };
        assert_eq!(legacy.imdb_id().as_deref(), Some("tt0133093"));
        assert_eq!(legacy.tmdb_id(), None);
        let element = MovieNfo { imdb_id_element: Some("tt0133093".into()), ..MovieNfo::default() };
        assert_eq!(element.imdb_id().as_deref(), Some("tt0133093"));
        let url = MovieNfo {
            urls: vec![FoundUrl { url: "u".into(), id: Some(ExternalId::Imdb("tt0133093".into())) }],
            ..MovieNfo::default()
        };
        assert_eq!(url.imdb_id().as_deref(), Some("tt0133093"));
    }

    #[test]
    fn malformed_ids_are_skipped() {
        let nfo = MovieNfo {
            unique_ids: vec![unique("tmdb", "abc", true), unique("tmdb", "0", false), unique("imdb", "0133093", true)],
            ..MovieNfo::default()
        };
        assert_eq!(nfo.tmdb_id(), None);
        assert_eq!(nfo.imdb_id(), None);
    }
}
