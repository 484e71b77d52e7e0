//! TMDB v3's answers as types that accept what TMDB really sends: `null` for numbers and
//! paths, `""` for unknown dates, certifications and ids, missing fields in older entries.
//! Unknown fields are ignored, so additions on TMDB's side break nothing.

use std::cmp::Reverse;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Deserializer};

use super::tv::TvSummary;
use crate::ids::{CollectionId, ImdbId, TmdbId};
use crate::language::ArtLanguage;
use crate::lenient::{date, imdb_id, non_empty_string, null_as_default, optional_number, timestamp};

/// A person's TMDB id (`/person/{id}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(transparent)]
pub struct PersonId(pub u32);

/// `GET /movie/{id}` with `append_to_response=credits,external_ids,release_dates,keywords,videos,images`:
/// the details, and each appended answer under its own name (absent when not appended).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MovieDetails {
    /// The movie's id.
    pub id: TmdbId,
    /// The title in the requested language (TMDB falls back to the original title).
    #[serde(default, deserialize_with = "null_as_default")]
    pub title: String,
    /// The title in the original language.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub original_title: Option<String>,
    /// ISO 639-1 code of the original language.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub original_language: Option<String>,
    /// The plot; absent when TMDB has none in the requested language.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub overview: Option<String>,
    /// The tagline.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub tagline: Option<String>,
    /// The primary release date (`""` when unknown).
    #[serde(default, deserialize_with = "date")]
    pub release_date: Option<NaiveDate>,
    /// Minutes; TMDB sends `null` or `0` when unknown, both absent here.
    #[serde(default, deserialize_with = "positive")]
    pub runtime: Option<u32>,
    /// `Released`, `Post Production`, …
    #[serde(default, deserialize_with = "non_empty_string")]
    pub status: Option<String>,
    /// Adult film.
    #[serde(default, deserialize_with = "null_as_default")]
    pub adult: bool,
    /// TMDB's "video" flag (a release that is not a film, such as a recorded concert).
    #[serde(default, deserialize_with = "null_as_default")]
    pub video: bool,
    /// The IMDb id (`""`, `null` and malformed ids are absent).
    #[serde(default, deserialize_with = "imdb_id")]
    pub imdb_id: Option<ImdbId>,
    /// The film's web site.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub homepage: Option<String>,
    /// Path of the main poster, for an image URL.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub poster_path: Option<String>,
    /// Path of the main backdrop.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub backdrop_path: Option<String>,
    /// The collection (set) the film belongs to.
    #[serde(default)]
    pub belongs_to_collection: Option<CollectionRef>,
    /// US dollars; 0 when unknown.
    #[serde(default, deserialize_with = "null_as_default")]
    pub budget: u64,
    /// US dollars; 0 when unknown.
    #[serde(default, deserialize_with = "null_as_default")]
    pub revenue: u64,
    /// TMDB's popularity score.
    #[serde(default, deserialize_with = "null_as_default")]
    pub popularity: f64,
    /// Average vote, 0–10.
    #[serde(default, deserialize_with = "null_as_default")]
    pub vote_average: f64,
    /// Number of votes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub vote_count: u32,
    /// Genres, in the requested language.
    #[serde(default, deserialize_with = "null_as_default")]
    pub genres: Vec<Genre>,
    /// Studios.
    #[serde(default, deserialize_with = "null_as_default")]
    pub production_companies: Vec<Company>,
    /// Production countries.
    #[serde(default, deserialize_with = "null_as_default")]
    pub production_countries: Vec<Country>,
    /// Spoken languages.
    #[serde(default, deserialize_with = "null_as_default")]
    pub spoken_languages: Vec<SpokenLanguage>,
    /// ISO 3166-1 codes of the countries of origin (newer entries only).
    #[serde(default, deserialize_with = "null_as_default")]
    pub origin_country: Vec<String>,
    /// Appended `credits`.
    #[serde(default)]
    pub credits: Option<Credits>,
    /// Appended `external_ids`.
    #[serde(default)]
    pub external_ids: Option<ExternalIds>,
    /// Appended `release_dates`.
    #[serde(default)]
    pub release_dates: Option<ReleaseDates>,
    /// Appended `keywords`.
    #[serde(default)]
    pub keywords: Option<Keywords>,
    /// Appended `videos`.
    #[serde(default)]
    pub videos: Option<Videos>,
    /// Appended `images`.
    #[serde(default)]
    pub images: Option<Images>,
}

impl MovieDetails {
    /// The year of the release date.
    pub fn year(&self) -> Option<i32> {
        self.release_date.map(|date| date.year())
    }
}

/// A genre.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Genre {
    /// TMDB's genre id.
    pub id: u32,
    /// The name in the requested language.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
}

/// A production company.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Company {
    /// TMDB's company id.
    pub id: u32,
    /// The name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Path of the logo.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub logo_path: Option<String>,
    /// ISO 3166-1 code (`""` when unknown).
    #[serde(default, deserialize_with = "non_empty_string")]
    pub origin_country: Option<String>,
}

/// A country.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Country {
    /// ISO 3166-1 code.
    pub iso_3166_1: String,
    /// The English name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
}

/// A spoken language.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SpokenLanguage {
    /// ISO 639-1 code.
    pub iso_639_1: String,
    /// The English name.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub english_name: Option<String>,
    /// The name in the language itself.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
}

/// A movie's `belongs_to_collection`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CollectionRef {
    /// The collection's id.
    pub id: CollectionId,
    /// The name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Path of its poster.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub poster_path: Option<String>,
    /// Path of its backdrop.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub backdrop_path: Option<String>,
}

/// Cast and crew.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Credits {
    /// The cast, in TMDB's billing order.
    #[serde(default, deserialize_with = "null_as_default")]
    pub cast: Vec<CastMember>,
    /// The crew.
    #[serde(default, deserialize_with = "null_as_default")]
    pub crew: Vec<CrewMember>,
}

impl Credits {
    /// Crew members whose job is "Director".
    pub fn directors(&self) -> impl Iterator<Item = &CrewMember> {
        self.crew.iter().filter(|member| member.job.as_deref() == Some("Director"))
    }

    /// Crew members of the "Writing" department (screenplay, novel, story…), each person once.
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

/// An actor's role.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CastMember {
    /// The person's id.
    pub id: PersonId,
    /// The name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The name in its original script.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub original_name: Option<String>,
    /// The role (`""` when unknown).
    #[serde(default, deserialize_with = "non_empty_string")]
    pub character: Option<String>,
    /// Billing order, from 0.
    #[serde(default, deserialize_with = "null_as_default")]
    pub order: u32,
    /// Path of the profile picture.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub profile_path: Option<String>,
    /// TMDB's gender code (0 unknown, 1 female, 2 male, 3 non-binary).
    #[serde(default, deserialize_with = "null_as_default")]
    pub gender: u8,
    /// Department the person is known for.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub known_for_department: Option<String>,
    /// The credit's id.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub credit_id: Option<String>,
}

/// A crew member's job.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CrewMember {
    /// The person's id.
    pub id: PersonId,
    /// The name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The name in its original script.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub original_name: Option<String>,
    /// `Director`, `Screenplay`, `Novel`, …
    #[serde(default, deserialize_with = "non_empty_string")]
    pub job: Option<String>,
    /// `Directing`, `Writing`, …
    #[serde(default, deserialize_with = "non_empty_string")]
    pub department: Option<String>,
    /// Path of the profile picture.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub profile_path: Option<String>,
    /// TMDB's gender code.
    #[serde(default, deserialize_with = "null_as_default")]
    pub gender: u8,
    /// The credit's id.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub credit_id: Option<String>,
}

/// Ids on other sites; TMDB sends `null` or `""` for the unknown ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ExternalIds {
    /// IMDb.
    #[serde(default, deserialize_with = "imdb_id")]
    pub imdb_id: Option<ImdbId>,
    /// Wikidata (`Q190050`).
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

/// Release dates and certifications per country.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ReleaseDates {
    /// One entry per country.
    #[serde(default, deserialize_with = "null_as_default")]
    pub results: Vec<CountryReleases>,
}

impl ReleaseDates {
    /// The certification in `country` (ISO 3166-1, `US`): TMDB lists several releases per
    /// country, often with `""`; the theatrical one wins, then limited, premiere, digital,
    /// physical and TV releases.
    pub fn certification(&self, country: &str) -> Option<&str> {
        let releases = &self.results.iter().find(|entry| entry.iso_3166_1.eq_ignore_ascii_case(country))?.release_dates;
        releases
            .iter()
            .filter_map(|release| release.certification.as_deref().map(|certification| (release.kind, certification)))
            .min_by_key(|(kind, _)| kind.preference())
            .map(|(_, certification)| certification)
    }
}

/// One country's releases.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CountryReleases {
    /// ISO 3166-1 code.
    pub iso_3166_1: String,
    /// The releases.
    #[serde(default, deserialize_with = "null_as_default")]
    pub release_dates: Vec<Release>,
}

/// One release.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Release {
    /// The rating (`R`, `FSK 18`); absent when TMDB sends `""`.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub certification: Option<String>,
    /// Content descriptors.
    #[serde(default, deserialize_with = "null_as_default")]
    pub descriptors: Vec<String>,
    /// Language of the release.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub iso_639_1: Option<String>,
    /// A note (`Blu-ray`, a festival's name).
    #[serde(default, deserialize_with = "non_empty_string")]
    pub note: Option<String>,
    /// When.
    #[serde(default, deserialize_with = "timestamp")]
    pub release_date: Option<DateTime<Utc>>,
    /// The kind of release.
    #[serde(rename = "type", default)]
    pub kind: ReleaseType,
}

/// TMDB's release types 1–6.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ReleaseType {
    /// 1.
    Premiere,
    /// 2.
    TheatricalLimited,
    /// 3.
    Theatrical,
    /// 4.
    Digital,
    /// 5.
    Physical,
    /// 6.
    Tv,
    /// A number TMDB does not document (or none).
    #[default]
    Unknown,
}

impl ReleaseType {
    /// Which release's certification wins, lowest first.
    fn preference(self) -> u8 {
        match self {
            ReleaseType::Theatrical => 0,
            ReleaseType::TheatricalLimited => 1,
            ReleaseType::Premiere => 2,
            ReleaseType::Digital => 3,
            ReleaseType::Physical => 4,
            ReleaseType::Tv => 5,
            ReleaseType::Unknown => 6,
        }
    }
}

impl<'de> Deserialize<'de> for ReleaseType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match optional_number(deserializer)? {
            Some(1) => ReleaseType::Premiere,
            Some(2) => ReleaseType::TheatricalLimited,
            Some(3) => ReleaseType::Theatrical,
            Some(4) => ReleaseType::Digital,
            Some(5) => ReleaseType::Physical,
            Some(6) => ReleaseType::Tv,
            _ => ReleaseType::Unknown,
        })
    }
}

/// Keywords (tags), as appended to a movie: `{"keywords": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Keywords {
    /// The keywords.
    #[serde(default, deserialize_with = "null_as_default")]
    pub keywords: Vec<Keyword>,
}

/// A keyword.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Keyword {
    /// TMDB's keyword id.
    pub id: u32,
    /// The keyword.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
}

/// Videos (trailers, teasers, clips).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Videos {
    /// The videos.
    #[serde(default, deserialize_with = "null_as_default")]
    pub results: Vec<Video>,
}

impl Videos {
    /// The trailer to show: a YouTube trailer, official before unofficial, then the largest.
    pub fn trailer(&self) -> Option<&Video> {
        self.results
            .iter()
            .filter(|video| video.kind == VideoType::Trailer && video.site == VideoSite::YouTube)
            .min_by_key(|video| (!video.official, Reverse(video.size)))
    }
}

/// A video hosted elsewhere.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Video {
    /// TMDB's id of the video entry.
    #[serde(default, deserialize_with = "null_as_default")]
    pub id: String,
    /// The key on the hosting site (YouTube's video id).
    #[serde(default, deserialize_with = "null_as_default")]
    pub key: String,
    /// The title.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Where it is hosted.
    #[serde(default)]
    pub site: VideoSite,
    /// Its kind.
    #[serde(rename = "type", default)]
    pub kind: VideoType,
    /// Vertical resolution (360, 720, 1080…).
    #[serde(default, deserialize_with = "null_as_default")]
    pub size: u32,
    /// Published by the studio.
    #[serde(default, deserialize_with = "null_as_default")]
    pub official: bool,
    /// Language.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub iso_639_1: Option<String>,
    /// Country.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub iso_3166_1: Option<String>,
    /// When it was published.
    #[serde(default, deserialize_with = "timestamp")]
    pub published_at: Option<DateTime<Utc>>,
}

impl Video {
    /// The watch URL on YouTube or Vimeo.
    pub fn url(&self) -> Option<String> {
        match self.site {
            VideoSite::YouTube => Some(format!("https://www.youtube.com/watch?v={}", self.key)),
            VideoSite::Vimeo => Some(format!("https://vimeo.com/{}", self.key)),
            VideoSite::Other(_) | VideoSite::Unknown => None,
        }
    }
}

/// Where a video is hosted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum VideoSite {
    /// `YouTube`.
    YouTube,
    /// `Vimeo`.
    Vimeo,
    /// Any other value, kept.
    Other(String),
    /// No value.
    #[default]
    Unknown,
}

impl<'de> Deserialize<'de> for VideoSite {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<String>::deserialize(deserializer)?.as_deref() {
            Some("YouTube") => VideoSite::YouTube,
            Some("Vimeo") => VideoSite::Vimeo,
            None | Some("") => VideoSite::Unknown,
            Some(other) => VideoSite::Other(other.to_owned()),
        })
    }
}

/// The kind of a video.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum VideoType {
    /// `Trailer`.
    Trailer,
    /// `Teaser`.
    Teaser,
    /// `Clip`.
    Clip,
    /// `Featurette`.
    Featurette,
    /// `Behind the Scenes`.
    BehindTheScenes,
    /// `Bloopers`.
    Bloopers,
    /// `Opening Credits`.
    OpeningCredits,
    /// Any other value, kept.
    Other(String),
    /// No value.
    #[default]
    Unknown,
}

impl<'de> Deserialize<'de> for VideoType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<String>::deserialize(deserializer)?.as_deref() {
            Some("Trailer") => VideoType::Trailer,
            Some("Teaser") => VideoType::Teaser,
            Some("Clip") => VideoType::Clip,
            Some("Featurette") => VideoType::Featurette,
            Some("Behind the Scenes") => VideoType::BehindTheScenes,
            Some("Bloopers") => VideoType::Bloopers,
            Some("Opening Credits") => VideoType::OpeningCredits,
            None | Some("") => VideoType::Unknown,
            Some(other) => VideoType::Other(other.to_owned()),
        })
    }
}

/// Images, filtered by the request's `include_image_language`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Images {
    /// Backdrops (fanart).
    #[serde(default, deserialize_with = "null_as_default")]
    pub backdrops: Vec<Image>,
    /// Logos (clearlogo).
    #[serde(default, deserialize_with = "null_as_default")]
    pub logos: Vec<Image>,
    /// Posters.
    #[serde(default, deserialize_with = "null_as_default")]
    pub posters: Vec<Image>,
}

/// One image.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Image {
    /// The path, for an image URL.
    pub file_path: String,
    /// Width in pixels.
    #[serde(default, deserialize_with = "null_as_default")]
    pub width: u32,
    /// Height in pixels.
    #[serde(default, deserialize_with = "null_as_default")]
    pub height: u32,
    /// Width ÷ height.
    #[serde(default, deserialize_with = "null_as_default")]
    pub aspect_ratio: f64,
    /// The language of its text; `null` is textless.
    #[serde(rename = "iso_639_1", default)]
    pub language: ArtLanguage,
    /// Average vote.
    #[serde(default, deserialize_with = "null_as_default")]
    pub vote_average: f64,
    /// Number of votes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub vote_count: u32,
}

/// A movie in a list (search results, `find`, a collection's parts).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MovieSummary {
    /// The movie's id.
    pub id: TmdbId,
    /// The title in the requested language.
    #[serde(default, deserialize_with = "null_as_default")]
    pub title: String,
    /// The original title.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub original_title: Option<String>,
    /// ISO 639-1 code of the original language.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub original_language: Option<String>,
    /// The plot.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub overview: Option<String>,
    /// The primary release date (`""` when unknown).
    #[serde(default, deserialize_with = "date")]
    pub release_date: Option<NaiveDate>,
    /// Path of the poster.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub poster_path: Option<String>,
    /// Path of the backdrop.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub backdrop_path: Option<String>,
    /// Genre ids.
    #[serde(default, deserialize_with = "null_as_default")]
    pub genre_ids: Vec<u32>,
    /// Popularity score.
    #[serde(default, deserialize_with = "null_as_default")]
    pub popularity: f64,
    /// Average vote, 0–10.
    #[serde(default, deserialize_with = "null_as_default")]
    pub vote_average: f64,
    /// Number of votes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub vote_count: u32,
    /// Adult film.
    #[serde(default, deserialize_with = "null_as_default")]
    pub adult: bool,
    /// TMDB's "video" flag.
    #[serde(default, deserialize_with = "null_as_default")]
    pub video: bool,
}

impl MovieSummary {
    /// The year of the release date.
    pub fn year(&self) -> Option<i32> {
        self.release_date.map(|date| date.year())
    }
}

/// A page of a paged list (search, changes).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    /// This page's number, from 1.
    #[serde(default, deserialize_with = "null_as_default")]
    pub page: u32,
    /// The entries.
    #[serde(default, deserialize_with = "null_as_default")]
    pub results: Vec<T>,
    /// How many pages there are.
    #[serde(default, deserialize_with = "null_as_default")]
    pub total_pages: u32,
    /// How many entries there are in all.
    #[serde(default, deserialize_with = "null_as_default")]
    pub total_results: u32,
}

/// `GET /find/{id}?external_source=imdb_id` or `tvdb_id`. TMDB answers 200 with empty lists
/// when it knows no such id; the movie and series results are kept (people, episodes and
/// seasons are not).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct FindResults {
    /// Movies with that id (zero or one in practice).
    #[serde(default, deserialize_with = "null_as_default")]
    pub movie_results: Vec<MovieSummary>,
    /// Series with that id (zero or one in practice).
    #[serde(default, deserialize_with = "null_as_default")]
    pub tv_results: Vec<TvSummary>,
}

impl FindResults {
    /// The movie found, if exactly one was.
    pub fn movie(&self) -> Option<&MovieSummary> {
        match self.movie_results.as_slice() {
            [movie] => Some(movie),
            _ => None,
        }
    }

    /// The series found, if exactly one was.
    pub fn tv(&self) -> Option<&TvSummary> {
        match self.tv_results.as_slice() {
            [series] => Some(series),
            _ => None,
        }
    }
}

/// `GET /collection/{id}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Collection {
    /// The collection's id.
    pub id: CollectionId,
    /// The name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// The overview.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub overview: Option<String>,
    /// Path of the poster.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub poster_path: Option<String>,
    /// Path of the backdrop.
    #[serde(default, deserialize_with = "non_empty_string")]
    pub backdrop_path: Option<String>,
    /// The films in it.
    #[serde(default, deserialize_with = "null_as_default")]
    pub parts: Vec<MovieSummary>,
}

/// An entry of `GET /movie/changes`: a movie changed within the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct ChangedMovie {
    /// The movie's id.
    pub id: TmdbId,
    /// Adult film (`null` for some entries).
    #[serde(default)]
    pub adult: Option<bool>,
}

/// `GET /configuration`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Configuration {
    /// The image service.
    pub images: ImageConfiguration,
    /// The names of the fields the change list reports.
    #[serde(default, deserialize_with = "null_as_default")]
    pub change_keys: Vec<String>,
}

/// Where images live and in which sizes; a URL is base + size + `file_path`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ImageConfiguration {
    /// Plain HTTP base (`http://image.tmdb.org/t/p/`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub base_url: String,
    /// HTTPS base (`https://image.tmdb.org/t/p/`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub secure_base_url: String,
    /// Backdrop sizes (`w300`, `w780`, `w1280`, `original`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub backdrop_sizes: Vec<String>,
    /// Logo sizes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub logo_sizes: Vec<String>,
    /// Poster sizes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub poster_sizes: Vec<String>,
    /// Profile picture sizes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub profile_sizes: Vec<String>,
    /// Still sizes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub still_sizes: Vec<String>,
}

/// TMDB's error body: `{"success": false, "status_code": 34, "status_message": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct ErrorBody {
    /// TMDB's own error code (7 invalid key, 34 not found, 25 rate limit…).
    pub(crate) status_code: u32,
    #[serde(default, deserialize_with = "null_as_default")]
    pub(crate) status_message: String,
}

/// A positive number, from a number or a string; `null`, `0` and garbage are absent.
pub(super) fn positive<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    Ok(optional_number(deserializer)?.filter(|number| *number > 0))
}
