//! TMDB v3 television: a series with everything Metarr needs in one call, a season with its
//! episodes, search, and `find` by TheTVDB id (Sonarr's key for a series).
//!
//! The types accept what TMDB really sends, as the movie types do (`null` and `""` for
//! unknown values, empty lists, numbers as strings), and reuse the movie types where TMDB's
//! shapes are the same (credits, images, videos, companies, genres).
//!
//! Wire format and traps: docs/peers/providers.md, "TMDB television".

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::types::{
    CastMember, Company, Country, Credits, CrewMember, Genre, Images, Keyword, PersonId, SpokenLanguage, Videos,
    positive,
};
use super::{FindResults, Page, TmdbClient, include_languages};
use crate::error::ProviderError;
use crate::ids::{ImdbId, TmdbTvId, TvdbId};
use crate::language::Language;
use crate::lenient::{count, date, imdb_id, non_empty_string, null_as_default, numbers, optional_number, tvdb_id};
use crate::outcome::{Outcome, Validators};

/// What `tv` appends, so one request carries everything a series' enrichment needs.
pub const TV_APPENDS: &str = "credits,aggregate_credits,external_ids,content_ratings,images,videos,keywords";

/// What `tv_season` appends.
pub const SEASON_APPENDS: &str = "images,credits,external_ids";

/// `GET /tv/{id}` with [`TV_APPENDS`]: the details, and each appended answer under its own
/// name (absent when not appended).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TvSeries {
    /// The series' id.
    pub id: TmdbTvId,
    /// The name in the requested language (TMDB falls back to the original name).
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The name in the original language.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub original_name: Option<String>,
    /// ISO 639-1 code of the original language.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub original_language: Option<String>,
    /// The plot; absent when TMDB has none in the requested language.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub overview: Option<String>,
    /// The tagline (most series have none: `""`).
    #[serde(default, deserialize_with = "non_empty_string")]
    pub tagline: Option<String>,
    /// The first episode's air date (`""` when unknown).
    #[serde(default, deserialize_with = "date")]
    pub first_air_date: Option<NaiveDate>,
    /// The latest aired episode's date.
    #[serde(default, deserialize_with = "date")]
    pub last_air_date: Option<NaiveDate>,
    /// `Returning Series`, `Ended`, `Canceled`, `In Production`, `Planned`, `Pilot`.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub status: Option<String>,
    /// `Scripted`, `Miniseries`, `Documentary`, `Reality`, `Talk Show`, `News`, `Video`.
    #[serde(rename = "type", default, deserialize_with = "non_empty_string")]
    pub kind: Option<String>,
    /// Whether new episodes are being made.
    #[serde(default, deserialize_with = "null_as_default")]
    pub in_production: bool,
    /// Adult series.
    #[serde(default, deserialize_with = "null_as_default")]
    pub adult: bool,
    /// Seasons, specials (season 0) not counted; a number or a string, 0 when unknown.
    #[serde(default, deserialize_with = "count")]
    pub number_of_seasons: u32,
    /// Episodes, specials not counted; a number or a string, 0 when unknown.
    #[serde(default, deserialize_with = "count")]
    pub number_of_episodes: u32,
    /// Typical episode lengths in minutes. Trap: empty for most series since 2023; see
    /// [`TvSeries::runtime`].
    #[serde(default, deserialize_with = "numbers")]
    pub episode_run_time: Vec<u32>,
    /// The series' web site.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub homepage: Option<String>,
    /// Genres, in the requested language (TV has its own: `Sci-Fi & Fantasy`,
    /// `Action & Adventure`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub genres: Vec<Genre>,
    /// The broadcasters or streaming services.
    #[serde(default, deserialize_with = "null_as_default")]
    pub networks: Vec<Network>,
    /// Studios.
    #[serde(default, deserialize_with = "null_as_default")]
    pub production_companies: Vec<Company>,
    /// Production countries.
    #[serde(default, deserialize_with = "null_as_default")]
    pub production_countries: Vec<Country>,
    /// Spoken languages.
    #[serde(default, deserialize_with = "null_as_default")]
    pub spoken_languages: Vec<SpokenLanguage>,
    /// ISO 639-1 codes of the languages spoken.
    #[serde(default, deserialize_with = "null_as_default")]
    pub languages: Vec<String>,
    /// ISO 3166-1 codes of the countries of origin.
    #[serde(default, deserialize_with = "null_as_default")]
    pub origin_country: Vec<String>,
    /// TMDB's popularity score.
    #[serde(default, deserialize_with = "null_as_default")]
    pub popularity: f64,
    /// Average vote, 0–10.
    #[serde(default, deserialize_with = "null_as_default")]
    pub vote_average: f64,
    /// Number of votes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub vote_count: u32,
    /// Path of the main poster, for an image URL.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub poster_path: Option<String>,
    /// Path of the main backdrop.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub backdrop_path: Option<String>,
    /// The series' creators.
    #[serde(default, deserialize_with = "null_as_default")]
    pub created_by: Vec<Creator>,
    /// Every season in short, specials (season 0) first when there are any.
    #[serde(default, deserialize_with = "null_as_default")]
    pub seasons: Vec<SeasonSummary>,
    /// The latest aired episode (`null` before the first airs).
    #[serde(default)]
    pub last_episode_to_air: Option<TvEpisode>,
    /// The next announced episode (`null` when none is announced or the series ended).
    #[serde(default)]
    pub next_episode_to_air: Option<TvEpisode>,
    /// Appended `credits`: the cast and crew of the latest season only.
    #[serde(default)]
    pub credits: Option<Credits>,
    /// Appended `aggregate_credits`: everyone who ever appeared, with their roles.
    #[serde(default)]
    pub aggregate_credits: Option<AggregateCredits>,
    /// Appended `external_ids`.
    #[serde(default)]
    pub external_ids: Option<TvExternalIds>,
    /// Appended `content_ratings`.
    #[serde(default)]
    pub content_ratings: Option<ContentRatings>,
    /// Appended `images`.
    #[serde(default)]
    pub images: Option<Images>,
    /// Appended `videos`.
    #[serde(default)]
    pub videos: Option<Videos>,
    /// Appended `keywords`: `{"results": […]}`, not the movies' `{"keywords": […]}`.
    #[serde(default)]
    pub keywords: Option<TvKeywords>,
}

impl TvSeries {
    /// The year of the first air date.
    pub fn year(&self) -> Option<i32> {
        self.first_air_date.map(|date| date.year())
    }

    /// A typical episode's length in minutes: the first positive `episode_run_time`, else the
    /// latest aired episode's runtime, since TMDB stopped filling `episode_run_time` for most
    /// series.
    pub fn runtime(&self) -> Option<u32> {
        self.episode_run_time
            .iter()
            .copied()
            .find(|minutes| *minutes > 0)
            .or_else(|| self.last_episode_to_air.as_ref().and_then(|episode| episode.runtime))
    }

    /// The IMDb id, from the appended `external_ids`.
    pub fn imdb_id(&self) -> Option<&ImdbId> {
        self.external_ids.as_ref()?.imdb_id.as_ref()
    }

    /// TheTVDB id, from the appended `external_ids`.
    pub fn tvdb_id(&self) -> Option<TvdbId> {
        self.external_ids.as_ref()?.tvdb_id
    }

    /// The certification in `country` (ISO 3166-1, `US`), from the appended
    /// `content_ratings`.
    pub fn certification(&self, country: &str) -> Option<&str> {
        self.content_ratings.as_ref()?.certification(country)
    }
}

/// A broadcaster or streaming service.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Network {
    /// TMDB's network id.
    pub id: u32,
    /// The name (`AMC`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Path of the logo.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub logo_path: Option<String>,
    /// ISO 3166-1 code (`""` for international services).
    #[serde(default, deserialize_with = "non_empty_string")]
    pub origin_country: Option<String>,
}

/// One of a series' creators.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Creator {
    /// The person's id.
    pub id: PersonId,
    /// The name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The name in its original script.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub original_name: Option<String>,
    /// Path of the profile picture.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub profile_path: Option<String>,
    /// TMDB's gender code (0 unknown, 1 female, 2 male, 3 non-binary).
    #[serde(default, deserialize_with = "null_as_default")]
    pub gender: u8,
    /// The credit's id.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub credit_id: Option<String>,
}

/// A season as a series lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SeasonSummary {
    /// TMDB's season id (not the number).
    pub id: u32,
    /// The number; 0 is specials.
    pub season_number: u32,
    /// The name (`Season 1`, `Specials`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The plot (`""` for most seasons).
    #[serde(default, deserialize_with = "non_empty_string")]
    pub overview: Option<String>,
    /// The first episode's air date.
    #[serde(default, deserialize_with = "date")]
    pub air_date: Option<NaiveDate>,
    /// Episodes in the season.
    #[serde(default, deserialize_with = "count")]
    pub episode_count: u32,
    /// Path of the poster.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub poster_path: Option<String>,
    /// Average vote, 0–10.
    #[serde(default, deserialize_with = "null_as_default")]
    pub vote_average: f64,
}

/// One episode: in a season's `episodes`, or a series' `last_episode_to_air` and
/// `next_episode_to_air` (which carry no `crew` or `guest_stars`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TvEpisode {
    /// TMDB's episode id.
    pub id: u32,
    /// The season's number.
    #[serde(default, deserialize_with = "null_as_default")]
    pub season_number: u32,
    /// The number within the season, from 1.
    #[serde(default, deserialize_with = "null_as_default")]
    pub episode_number: u32,
    /// The title (TMDB falls back to `Episode 3` when it has none in the language).
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The plot.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub overview: Option<String>,
    /// When it first aired (absent for an announced episode without a date).
    #[serde(default, deserialize_with = "date")]
    pub air_date: Option<NaiveDate>,
    /// Minutes; `null` or `0` when unknown, both absent here.
    #[serde(default, deserialize_with = "positive")]
    pub runtime: Option<u32>,
    /// Path of the still (the episode's thumb).
    #[serde(default, deserialize_with = "non_empty_string")]
    pub still_path: Option<String>,
    /// Average vote, 0–10.
    #[serde(default, deserialize_with = "null_as_default")]
    pub vote_average: f64,
    /// Number of votes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub vote_count: u32,
    /// The studio's production code (`""` for most).
    #[serde(default, deserialize_with = "non_empty_string")]
    pub production_code: Option<String>,
    /// `standard`, `finale`, `mid_season`.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub episode_type: Option<String>,
    /// The episode's directors, writers and others.
    #[serde(default, deserialize_with = "null_as_default")]
    pub crew: Vec<CrewMember>,
    /// Actors who appear in this episode only, with `order` counting from 500 or so.
    #[serde(default, deserialize_with = "null_as_default")]
    pub guest_stars: Vec<CastMember>,
}

impl TvEpisode {
    /// Crew members whose job is "Director".
    pub fn directors(&self) -> impl Iterator<Item = &CrewMember> {
        self.crew.iter().filter(|member| member.job.as_deref() == Some("Director"))
    }

    /// Crew members of the "Writing" department, each person once.
    pub fn writers(&self) -> impl Iterator<Item = &CrewMember> {
        let mut seen = Vec::new();
        self.crew.iter().filter(move |member| {
            let writing = member.department.as_deref() == Some("Writing");
            let first = !seen.contains(&member.id);
            if writing && first {
                seen.push(member.id);
            }
            writing && first
        })
    }
}

/// `aggregate_credits`: the cast and crew of every season, each person once with all their
/// roles or jobs.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AggregateCredits {
    /// The cast, in TMDB's order (most episodes first).
    #[serde(default, deserialize_with = "null_as_default")]
    pub cast: Vec<AggregateCastMember>,
    /// The crew.
    #[serde(default, deserialize_with = "null_as_default")]
    pub crew: Vec<AggregateCrewMember>,
}

/// An actor across a series.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AggregateCastMember {
    /// The person's id.
    pub id: PersonId,
    /// The name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The name in its original script.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub original_name: Option<String>,
    /// Path of the profile picture.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub profile_path: Option<String>,
    /// TMDB's gender code.
    #[serde(default, deserialize_with = "null_as_default")]
    pub gender: u8,
    /// Department the person is known for.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub known_for_department: Option<String>,
    /// Order, from 0.
    #[serde(default, deserialize_with = "null_as_default")]
    pub order: u32,
    /// Episodes the person appears in, all roles together.
    #[serde(default, deserialize_with = "null_as_default")]
    pub total_episode_count: u32,
    /// The roles, one per character.
    #[serde(default, deserialize_with = "null_as_default")]
    pub roles: Vec<Role>,
}

impl AggregateCastMember {
    /// The character played in the most episodes (the first listed on a tie); absent when
    /// no role names one.
    pub fn main_character(&self) -> Option<&str> {
        self.roles
            .iter()
            .filter_map(|role| role.character.as_deref().map(|character| (role.episode_count, character)))
            .rev()
            .max_by_key(|(episodes, _)| *episodes)
            .map(|(_, character)| character)
    }
}

/// One character an actor plays.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Role {
    /// The credit's id.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub credit_id: Option<String>,
    /// The character (`""` when unknown).
    #[serde(default, deserialize_with = "non_empty_string")]
    pub character: Option<String>,
    /// Episodes in this role.
    #[serde(default, deserialize_with = "count")]
    pub episode_count: u32,
}

/// A crew member across a series.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AggregateCrewMember {
    /// The person's id.
    pub id: PersonId,
    /// The name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The name in its original script.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub original_name: Option<String>,
    /// Path of the profile picture.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub profile_path: Option<String>,
    /// TMDB's gender code.
    #[serde(default, deserialize_with = "null_as_default")]
    pub gender: u8,
    /// `Directing`, `Writing`, …
    #[serde(default, deserialize_with = "non_empty_string")]
    pub department: Option<String>,
    /// Episodes the person worked on, all jobs together.
    #[serde(default, deserialize_with = "null_as_default")]
    pub total_episode_count: u32,
    /// The jobs.
    #[serde(default, deserialize_with = "null_as_default")]
    pub jobs: Vec<CrewJob>,
}

/// One job of a crew member.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CrewJob {
    /// The credit's id.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub credit_id: Option<String>,
    /// `Director`, `Writer`, `Executive Producer`, …
    #[serde(default, deserialize_with = "non_empty_string")]
    pub job: Option<String>,
    /// Episodes in this job.
    #[serde(default, deserialize_with = "count")]
    pub episode_count: u32,
}

/// A series' or a season's ids on other sites; TMDB sends `null` or `""` for the unknown
/// ones (a season has only `tvdb_id`, `tvrage_id` and `wikidata_id`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TvExternalIds {
    /// IMDb.
    #[serde(default, deserialize_with = "imdb_id")]
    pub imdb_id: Option<ImdbId>,
    /// TheTVDB (a number on the wire).
    #[serde(default, deserialize_with = "tvdb_id")]
    pub tvdb_id: Option<TvdbId>,
    /// TVRage, a closed site whose ids older entries keep.
    #[serde(default, deserialize_with = "optional_number")]
    pub tvrage_id: Option<u32>,
    /// Wikidata (`Q1079`).
    #[serde(default, deserialize_with = "non_empty_string")]
    pub wikidata_id: Option<String>,
    /// Facebook page name.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub facebook_id: Option<String>,
    /// Instagram account.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub instagram_id: Option<String>,
    /// Twitter account.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub twitter_id: Option<String>,
}

/// Certifications per country: TV has one rating per country, where movies have release
/// dates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ContentRatings {
    /// One entry per country.
    #[serde(default, deserialize_with = "null_as_default")]
    pub results: Vec<ContentRating>,
}

impl ContentRatings {
    /// The rating in `country` (ISO 3166-1, `US`), the first non-empty one when TMDB lists
    /// the country more than once.
    pub fn certification(&self, country: &str) -> Option<&str> {
        self.results
            .iter()
            .filter(|entry| entry.iso_3166_1.eq_ignore_ascii_case(country))
            .find_map(|entry| entry.rating.as_deref())
    }
}

/// One country's rating.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ContentRating {
    /// ISO 3166-1 code.
    pub iso_3166_1: String,
    /// The rating (`TV-MA`, `16`); absent when TMDB sends `""`.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub rating: Option<String>,
    /// Content descriptors.
    #[serde(default, deserialize_with = "null_as_default")]
    pub descriptors: Vec<String>,
}

/// Keywords as appended to a series: `{"results": [...]}`. Trap: movies name the same list
/// `keywords`, so the movie type would read a series' keywords as none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TvKeywords {
    /// The keywords.
    #[serde(default, deserialize_with = "null_as_default")]
    pub results: Vec<Keyword>,
}

/// `GET /tv/{id}/season/{n}` with [`SEASON_APPENDS`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TvSeason {
    /// TMDB's season id (not the number).
    pub id: u32,
    /// The number; 0 is specials.
    pub season_number: u32,
    /// The name (`Season 1`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The plot.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub overview: Option<String>,
    /// The first episode's air date.
    #[serde(default, deserialize_with = "date")]
    pub air_date: Option<NaiveDate>,
    /// Path of the poster.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub poster_path: Option<String>,
    /// Average vote, 0–10.
    #[serde(default, deserialize_with = "null_as_default")]
    pub vote_average: f64,
    /// The episodes, with their crew and guest stars.
    #[serde(default, deserialize_with = "null_as_default")]
    pub episodes: Vec<TvEpisode>,
    /// Appended `images`: seasons have posters only.
    #[serde(default)]
    pub images: Option<Images>,
    /// Appended `credits`: the season's regular cast.
    #[serde(default)]
    pub credits: Option<Credits>,
    /// Appended `external_ids`.
    #[serde(default)]
    pub external_ids: Option<TvExternalIds>,
}

impl TvSeason {
    /// The episode numbered `episode_number`.
    pub fn episode(&self, episode_number: u32) -> Option<&TvEpisode> {
        self.episodes.iter().find(|episode| episode.episode_number == episode_number)
    }
}

/// A series in a list (search results, `find`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TvSummary {
    /// The series' id.
    pub id: TmdbTvId,
    /// The name in the requested language.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The original name.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub original_name: Option<String>,
    /// ISO 639-1 code of the original language.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub original_language: Option<String>,
    /// The plot.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub overview: Option<String>,
    /// The first air date (`""` when unknown).
    #[serde(default, deserialize_with = "date")]
    pub first_air_date: Option<NaiveDate>,
    /// Path of the poster.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub poster_path: Option<String>,
    /// Path of the backdrop.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub backdrop_path: Option<String>,
    /// Genre ids.
    #[serde(default, deserialize_with = "null_as_default")]
    pub genre_ids: Vec<u32>,
    /// ISO 3166-1 codes of the countries of origin.
    #[serde(default, deserialize_with = "null_as_default")]
    pub origin_country: Vec<String>,
    /// Popularity score.
    #[serde(default, deserialize_with = "null_as_default")]
    pub popularity: f64,
    /// Average vote, 0–10.
    #[serde(default, deserialize_with = "null_as_default")]
    pub vote_average: f64,
    /// Number of votes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub vote_count: u32,
    /// Adult series.
    #[serde(default, deserialize_with = "null_as_default")]
    pub adult: bool,
}

impl TvSummary {
    /// The series as a search result to rank like a film: [`crate::identify`] weighs names,
    /// the year, popularity and the id, which a series has as a film does (its id stays the
    /// series' TMDB id).
    pub fn as_match_subject(&self) -> super::types::MovieSummary {
        super::types::MovieSummary {
            id: crate::ids::TmdbId(self.id.0),
            title: self.name.clone(),
            original_title: self.original_name.clone(),
            original_language: self.original_language.clone(),
            overview: self.overview.clone(),
            release_date: self.first_air_date,
            poster_path: self.poster_path.clone(),
            backdrop_path: self.backdrop_path.clone(),
            genre_ids: self.genre_ids.clone(),
            popularity: self.popularity,
            vote_average: self.vote_average,
            vote_count: self.vote_count,
            adult: self.adult,
            video: false,
        }
    }

    /// The year of the first air date.
    pub fn year(&self) -> Option<i32> {
        self.first_air_date.map(|date| date.year())
    }
}

/// A search by name: `GET /search/tv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TvSearch {
    /// The name to look for.
    pub query: String,
    /// Only series whose first episode aired in this year (`first_air_date_year`).
    pub first_air_date_year: Option<i32>,
    /// The language of names and overviews in the results.
    pub language: Option<Language>,
    /// The page, from 1.
    pub page: u32,
}

impl TvSearch {
    /// A search for `query` on the first page, any year.
    pub fn new(query: impl Into<String>) -> Self {
        TvSearch { query: query.into(), first_air_date_year: None, language: None, page: 1 }
    }

    /// Only series first aired in `year`.
    #[must_use]
    pub fn first_air_date_year(mut self, year: i32) -> Self {
        self.first_air_date_year = Some(year);
        self
    }

    /// Names and overviews in `language`.
    #[must_use]
    pub fn language(mut self, language: Language) -> Self {
        self.language = Some(language);
        self
    }

    /// Another page.
    #[must_use]
    pub fn page(mut self, page: u32) -> Self {
        self.page = page;
        self
    }
}

impl TmdbClient {
    /// `GET /tv/{id}` with [`TV_APPENDS`]. Texts come in `language`; images in its
    /// language, English and none (TMDB filters appended images by language, as for
    /// movies).
    #[tracing::instrument(skip_all, fields(provider = "tmdb", tmdb_tv_id = %id))]
    pub async fn tv(
        &self,
        id: TmdbTvId,
        language: &Language,
        validators: &Validators,
    ) -> Result<Outcome<TvSeries>, ProviderError> {
        let also = include_languages(language);
        let query = [
            ("language", language.as_str()),
            ("append_to_response", TV_APPENDS),
            ("include_image_language", also.as_str()),
            ("include_video_language", also.as_str()),
        ];
        self.get(&["tv", &id.to_string()], &query, validators).await
    }

    /// `GET /tv/{id}/season/{season_number}` with [`SEASON_APPENDS`]; season 0 is specials.
    /// A season TMDB does not have is [`Outcome::NotFound`] (status code 34).
    #[tracing::instrument(skip_all, fields(provider = "tmdb", tmdb_tv_id = %id, season = season_number))]
    pub async fn tv_season(
        &self,
        id: TmdbTvId,
        season_number: u32,
        language: &Language,
        validators: &Validators,
    ) -> Result<Outcome<TvSeason>, ProviderError> {
        let also = include_languages(language);
        let query = [
            ("language", language.as_str()),
            ("append_to_response", SEASON_APPENDS),
            ("include_image_language", also.as_str()),
        ];
        self.get(&["tv", &id.to_string(), "season", &season_number.to_string()], &query, validators).await
    }

    /// `GET /search/tv`.
    #[tracing::instrument(skip_all, fields(provider = "tmdb", year = ?search.first_air_date_year))]
    pub async fn search_tv(
        &self,
        search: &TvSearch,
        validators: &Validators,
    ) -> Result<Outcome<Page<TvSummary>>, ProviderError> {
        let year = search.first_air_date_year.map(|year| year.to_string());
        let page = search.page.max(1).to_string();
        let mut query = vec![("query", search.query.as_str()), ("page", page.as_str())];
        if let Some(year) = &year {
            query.push(("first_air_date_year", year));
        }
        if let Some(language) = &search.language {
            query.push(("language", language.as_str()));
        }
        self.get(&["search", "tv"], &query, validators).await
    }

    /// `GET /find/{tvdb_id}?external_source=tvdb_id`: the TMDB series with this TheTVDB id,
    /// in [`FindResults::tv_results`]. As by IMDb id, an unknown id is [`Outcome::Found`]
    /// with empty lists. Trap: TheTVDB numbers series, episodes and movies separately, so
    /// the same number may also match an episode or a film; only `tv_results` is the series.
    #[tracing::instrument(skip_all, fields(provider = "tmdb", tvdb_id = %tvdb_id))]
    pub async fn find_by_tvdb_id(
        &self,
        tvdb_id: TvdbId,
        language: &Language,
        validators: &Validators,
    ) -> Result<Outcome<FindResults>, ProviderError> {
        let query = [("external_source", "tvdb_id"), ("language", language.as_str())];
        self.get(&["find", &tvdb_id.to_string()], &query, validators).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;

    #[test]
    fn the_main_character_is_the_role_with_most_episodes() {
        let actor: AggregateCastMember = serde_json::from_str(
            r#"{"id":1,"name":"A","roles":[
                {"credit_id":"a","character":"Guard","episode_count":1},
                {"credit_id":"b","character":"","episode_count":40},
                {"credit_id":"c","character":"Hank","episode_count":12},
                {"credit_id":"d","character":"Hank (voice)","episode_count":12}
            ]}"#,
        )
        .unwrap();
        assert_eq!(actor.main_character(), Some("Hank"), "unnamed roles are skipped, the first wins a tie");
        let nobody: AggregateCastMember = serde_json::from_str(r#"{"id":2,"roles":null}"#).unwrap();
        assert_eq!(nobody.main_character(), None);
    }

    #[test]
    fn ratings_skip_empty_entries_of_a_country() {
        let ratings: ContentRatings = serde_json::from_str(
            r#"{"results":[{"iso_3166_1":"DE","rating":""},{"iso_3166_1":"DE","rating":"16"},{"iso_3166_1":"US","rating":"TV-MA","descriptors":null}]}"#,
        )
        .unwrap();
        assert_eq!(ratings.certification("de"), Some("16"));
        assert_eq!(ratings.certification("US"), Some("TV-MA"));
        assert_eq!(ratings.certification("FR"), None);
    }

    #[test]
    fn runtime_falls_back_to_the_latest_episode() {
        let series: TvSeries =
            serde_json::from_str(r#"{"id":1,"episode_run_time":[],"last_episode_to_air":{"id":9,"runtime":52}}"#)
                .unwrap();
        assert_eq!(series.runtime(), Some(52));
        let series: TvSeries = serde_json::from_str(r#"{"id":1,"episode_run_time":[0,45]}"#).unwrap();
        assert_eq!(series.runtime(), Some(45));
        let series: TvSeries = serde_json::from_str(r#"{"id":1,"episode_run_time":null}"#).unwrap();
        assert_eq!(series.runtime(), None);
    }
}
