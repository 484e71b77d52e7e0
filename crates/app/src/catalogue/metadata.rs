//! A movie's metadata fields, their value types, and where each value came from.
//!
//! One list of fields ([`MovieField`]) serves the API's JSON keys, the web UI's rows, the
//! locks, the recorded sources and the SQL columns. [`FieldSource::may_replace`] is the one
//! rule that decides whether a new value replaces the stored one, for the scanner, the
//! Radarr webhook and enrichment alike; a locked field is never replaced.

use super::{CatalogueError, Result};
use crate::db::Param;
use crate::limits;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// The fields of a movie a user can edit and lock: one list for the API, the web UI, the locks,
/// the sources and the SQL columns. Each name is the JSON key and the stored lock at once;
/// [`MovieField::column`] names its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MovieField {
    Title,
    OriginalTitle,
    SortTitle,
    Year,
    TmdbId,
    ImdbId,
    Plot,
    Outline,
    Tagline,
    Runtime,
    Premiered,
    Genres,
    Certification,
    Certifications,
    Ratings,
    UserRating,
    Top250,
    UniqueIds,
    Studios,
    Countries,
    Tags,
    Set,
    Directors,
    Writers,
    Actors,
    Trailer,
    DateAdded,
}

impl MovieField {
    /// Every field, in the order messages and the web UI list them.
    pub const ALL: [MovieField; 27] = [
        MovieField::Title,
        MovieField::OriginalTitle,
        MovieField::SortTitle,
        MovieField::Year,
        MovieField::TmdbId,
        MovieField::ImdbId,
        MovieField::Plot,
        MovieField::Outline,
        MovieField::Tagline,
        MovieField::Runtime,
        MovieField::Premiered,
        MovieField::Genres,
        MovieField::Certification,
        MovieField::Certifications,
        MovieField::Ratings,
        MovieField::UserRating,
        MovieField::Top250,
        MovieField::UniqueIds,
        MovieField::Studios,
        MovieField::Countries,
        MovieField::Tags,
        MovieField::Set,
        MovieField::Directors,
        MovieField::Writers,
        MovieField::Actors,
        MovieField::Trailer,
        MovieField::DateAdded,
    ];

    /// The JSON key, lock and source name.
    pub fn as_str(self) -> &'static str {
        match self {
            MovieField::Title => "title",
            MovieField::OriginalTitle => "original_title",
            MovieField::SortTitle => "sort_title",
            MovieField::Year => "year",
            MovieField::TmdbId => "tmdb_id",
            MovieField::ImdbId => "imdb_id",
            MovieField::Plot => "plot",
            MovieField::Outline => "outline",
            MovieField::Tagline => "tagline",
            MovieField::Runtime => "runtime",
            MovieField::Premiered => "premiered",
            MovieField::Genres => "genres",
            MovieField::Certification => "certification",
            MovieField::Certifications => "certifications",
            MovieField::Ratings => "ratings",
            MovieField::UserRating => "user_rating",
            MovieField::Top250 => "top250",
            MovieField::UniqueIds => "uniqueids",
            MovieField::Studios => "studios",
            MovieField::Countries => "countries",
            MovieField::Tags => "tags",
            MovieField::Set => "set",
            MovieField::Directors => "directors",
            MovieField::Writers => "writers",
            MovieField::Actors => "actors",
            MovieField::Trailer => "trailer",
            MovieField::DateAdded => "date_added",
        }
    }

    /// The column that stores the field (`SET` is an SQL keyword, so the set is `collection`).
    pub fn column(self) -> &'static str {
        match self {
            MovieField::Set => "collection",
            other => other.as_str(),
        }
    }

    /// How people read the field's name.
    pub fn label(self) -> &'static str {
        match self {
            MovieField::Title => "Title",
            MovieField::OriginalTitle => "Original title",
            MovieField::SortTitle => "Sort title",
            MovieField::Year => "Year",
            MovieField::TmdbId => "TMDB id",
            MovieField::ImdbId => "IMDb id",
            MovieField::Plot => "Plot",
            MovieField::Outline => "Outline",
            MovieField::Tagline => "Tagline",
            MovieField::Runtime => "Runtime (minutes)",
            MovieField::Premiered => "Premiered",
            MovieField::Genres => "Genres",
            MovieField::Certification => "Certification",
            MovieField::Certifications => "Certifications by country",
            MovieField::Ratings => "Ratings",
            MovieField::UserRating => "User rating",
            MovieField::Top250 => "Top 250",
            MovieField::UniqueIds => "Unique ids",
            MovieField::Studios => "Studios",
            MovieField::Countries => "Countries",
            MovieField::Tags => "Tags",
            MovieField::Set => "Collection",
            MovieField::Directors => "Directors",
            MovieField::Writers => "Writers",
            MovieField::Actors => "Cast",
            MovieField::Trailer => "Trailer",
            MovieField::DateAdded => "Date added",
        }
    }

    /// Whether the web UI edits the field as one line of text per value (lists of names).
    pub fn is_name_list(self) -> bool {
        matches!(
            self,
            MovieField::Genres
                | MovieField::Studios
                | MovieField::Countries
                | MovieField::Tags
                | MovieField::Directors
                | MovieField::Writers
        )
    }

    /// The field a name stands for.
    pub fn parse(name: &str) -> Option<MovieField> {
        MovieField::ALL.into_iter().find(|field| field.as_str() == name)
    }

    /// Every name, comma separated, for messages that list the fields.
    pub fn names() -> String {
        MovieField::ALL.map(MovieField::as_str).join(", ")
    }
}

impl std::fmt::Display for MovieField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MovieField {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// On the wire a field is its name (`title`, `original_title`, …), as [`MovieField::as_str`] gives it.
impl utoipa::PartialSchema for MovieField {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(MovieField::ALL.map(MovieField::as_str)))
            .description(Some("A movie field that can be edited and locked: its JSON key"))
            .into()
    }
}

impl utoipa::ToSchema for MovieField {}

impl<'de> Deserialize<'de> for MovieField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        MovieField::parse(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown movie field {name:?}")))
    }
}

/// Where a field's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldSource {
    /// Set through the API or the web UI (and locked).
    User,
    /// Read from the movie's NFO.
    Nfo,
    /// Read from the folder's or the video's name (`Title (Year) {tmdb-603}`).
    Folder,
    /// Sent by Radarr in a webhook (its `tmdbId` and `imdbId`).
    Radarr,
    /// Sent by Sonarr in a webhook (its series' `tvdbId`, `tmdbId` and `imdbId`).
    Sonarr,
    /// TMDB.
    Tmdb,
    /// OMDb.
    Omdb,
    /// Fanart.tv.
    Fanart,
}

impl FieldSource {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldSource::User => "user",
            FieldSource::Nfo => "nfo",
            FieldSource::Folder => "folder",
            FieldSource::Radarr => "radarr",
            FieldSource::Sonarr => "sonarr",
            FieldSource::Tmdb => "tmdb",
            FieldSource::Omdb => "omdb",
            FieldSource::Fanart => "fanart",
        }
    }

    /// A metadata provider.
    pub fn is_provider(self) -> bool {
        matches!(self, FieldSource::Tmdb | FieldSource::Omdb | FieldSource::Fanart)
    }

    /// Whether a value from `self` may replace an unlocked field whose value came from
    /// `current` (`None`: the field is empty). Locks are checked before this.
    ///
    /// - The user's own edit always wins (and locks the field).
    /// - Radarr's ids name the file Radarr manages: they replace anything but the user's.
    /// - The NFO replaces the folder's name and older NFO values; it replaces a provider's
    ///   value unless the library prefers provider metadata.
    /// - A provider fills empty fields and replaces the folder's name and providers' values;
    ///   it replaces the NFO's only when the library prefers provider metadata, and never
    ///   Radarr's ids.
    /// - The folder's name only fills what nothing else gave.
    ///
    /// An unlocked value the user once set (its lock removed since) counts as the NFO's: the
    /// user asked for it to be replaceable, but not by a guess from a folder name.
    pub fn may_replace(self, current: Option<FieldSource>, prefer_provider: bool) -> bool {
        let Some(current) = current else {
            return true;
        };
        let current = if current == FieldSource::User { FieldSource::Nfo } else { current };
        match self {
            FieldSource::User => true,
            FieldSource::Radarr | FieldSource::Sonarr => true,
            FieldSource::Nfo => match current {
                FieldSource::Radarr | FieldSource::Sonarr => false,
                source if source.is_provider() => !prefer_provider,
                _ => true,
            },
            FieldSource::Tmdb | FieldSource::Omdb | FieldSource::Fanart => match current {
                FieldSource::Folder => true,
                FieldSource::Nfo => prefer_provider,
                source => source.is_provider(),
            },
            FieldSource::Folder => current == FieldSource::Folder,
        }
    }
}

impl std::fmt::Display for FieldSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The source of each field that has a value (a field without one is absent).
pub type FieldSources = BTreeMap<MovieField, FieldSource>;

/// A rating from one source (Kodi's `<ratings><rating name= max= default=>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rating {
    /// `imdb`, `themoviedb`, `tomatometerallcritics`, `metacritic`, … (Kodi's names).
    pub source: String,
    pub value: f64,
    /// The scale's top (10 for IMDb and TMDB, 100 for Rotten Tomatoes and Metacritic).
    pub max: f64,
    pub votes: Option<i64>,
    #[serde(default)]
    pub default: bool,
}

/// An id of the movie in another database (Kodi's `<uniqueid type= default=>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UniqueId {
    /// `tmdb`, `imdb`, `tvdb`, `wikidata`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    #[serde(default)]
    pub default: bool,
}

/// The certification of one country's release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CountryCertification {
    /// ISO 3166-1 (`US`, `DE`).
    pub country: String,
    pub certification: String,
}

/// The collection a movie belongs to (Kodi's `<set>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MovieSet {
    pub name: String,
    #[serde(default)]
    pub overview: Option<String>,
    #[serde(default)]
    pub tmdb_collection_id: Option<i64>,
}

/// One member of the cast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Actor {
    pub name: String,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub order: Option<i64>,
    #[serde(default)]
    pub tmdb_id: Option<i64>,
    /// The provider's URL of the headshot (never a path on this server).
    #[serde(default)]
    pub profile: Option<String>,
}

/// The metadata fields of a movie, as the scanner, a provider or a user gives them: an absent
/// field (`None`) is "not given" (nothing is cleared).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fields {
    pub title: Option<String>,
    pub original_title: Option<String>,
    pub sort_title: Option<String>,
    pub year: Option<i64>,
    pub tmdb_id: Option<i64>,
    pub imdb_id: Option<String>,
    pub plot: Option<String>,
    pub outline: Option<String>,
    pub tagline: Option<String>,
    pub runtime: Option<i64>,
    pub premiered: Option<String>,
    pub genres: Option<Vec<String>>,
    pub certification: Option<String>,
    pub certifications: Option<Vec<CountryCertification>>,
    pub ratings: Option<Vec<Rating>>,
    pub user_rating: Option<i64>,
    pub top250: Option<i64>,
    pub uniqueids: Option<Vec<UniqueId>>,
    pub studios: Option<Vec<String>>,
    pub countries: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub set: Option<MovieSet>,
    pub directors: Option<Vec<String>>,
    pub writers: Option<Vec<String>>,
    pub actors: Option<Vec<Actor>>,
    pub trailer: Option<String>,
    pub date_added: Option<String>,
}

/// A user's rating is Kodi's 0–10.
const USER_RATINGS: std::ops::RangeInclusive<i64> = 0..=10;
/// IMDb's top 250, with room for lists that count further.
const TOP_RANKS: std::ops::RangeInclusive<i64> = 0..=1_000;
/// An actor's billing order.
const ORDERS: std::ops::RangeInclusive<i64> = 0..=100_000;
/// Entries in a list of ratings, ids or certifications.
const MAX_SMALL_LIST: usize = 300;

fn json(value: &impl Serialize) -> Param {
    Param::Text(serde_json::to_string(value).expect("metadata values always serialise"))
}

impl Fields {
    /// The given fields with their SQL values, in [`MovieField::ALL`]'s order.
    pub fn values(&self) -> Vec<(MovieField, Param)> {
        let text = |value: &Option<String>| value.clone().map(Param::Text);
        let int = |value: Option<i64>| value.map(Param::Int);
        MovieField::ALL
            .into_iter()
            .filter_map(|field| {
                let value = match field {
                    MovieField::Title => text(&self.title),
                    MovieField::OriginalTitle => text(&self.original_title),
                    MovieField::SortTitle => text(&self.sort_title),
                    MovieField::Year => int(self.year),
                    MovieField::TmdbId => int(self.tmdb_id),
                    MovieField::ImdbId => text(&self.imdb_id),
                    MovieField::Plot => text(&self.plot),
                    MovieField::Outline => text(&self.outline),
                    MovieField::Tagline => text(&self.tagline),
                    MovieField::Runtime => int(self.runtime),
                    MovieField::Premiered => text(&self.premiered),
                    MovieField::Genres => self.genres.as_ref().map(json),
                    MovieField::Certification => text(&self.certification),
                    MovieField::Certifications => self.certifications.as_ref().map(json),
                    MovieField::Ratings => self.ratings.as_ref().map(json),
                    MovieField::UserRating => int(self.user_rating),
                    MovieField::Top250 => int(self.top250),
                    MovieField::UniqueIds => self.uniqueids.as_ref().map(json),
                    MovieField::Studios => self.studios.as_ref().map(json),
                    MovieField::Countries => self.countries.as_ref().map(json),
                    MovieField::Tags => self.tags.as_ref().map(json),
                    MovieField::Set => self.set.as_ref().map(json),
                    MovieField::Directors => self.directors.as_ref().map(json),
                    MovieField::Writers => self.writers.as_ref().map(json),
                    MovieField::Actors => self.actors.as_ref().map(json),
                    MovieField::Trailer => text(&self.trailer),
                    MovieField::DateAdded => text(&self.date_added),
                };
                value.map(|value| (field, value))
            })
            .collect()
    }

    /// Whether the field is given.
    pub fn has(&self, field: MovieField) -> bool {
        self.values().iter().any(|(given, _)| *given == field)
    }

    /// The text fields with the rule each follows.
    fn texts_mut(&mut self) -> [(&'static str, &mut Option<String>, limits::TextRule); 11] {
        [
            (MovieField::Title.as_str(), &mut self.title, limits::TEXT),
            (MovieField::OriginalTitle.as_str(), &mut self.original_title, limits::TEXT),
            (MovieField::SortTitle.as_str(), &mut self.sort_title, limits::TEXT),
            (MovieField::ImdbId.as_str(), &mut self.imdb_id, limits::TEXT),
            (MovieField::Plot.as_str(), &mut self.plot, limits::LONG_TEXT),
            (MovieField::Outline.as_str(), &mut self.outline, limits::LONG_TEXT),
            (MovieField::Tagline.as_str(), &mut self.tagline, limits::TEXT),
            (MovieField::Premiered.as_str(), &mut self.premiered, limits::TEXT),
            (MovieField::Certification.as_str(), &mut self.certification, limits::TEXT),
            (MovieField::Trailer.as_str(), &mut self.trailer, limits::TEXT),
            (MovieField::DateAdded.as_str(), &mut self.date_added, limits::TEXT),
        ]
    }

    /// The numbers with their sane ranges.
    fn numbers_mut(&mut self) -> [(&'static str, &mut Option<i64>, std::ops::RangeInclusive<i64>); 5] {
        [
            (MovieField::Year.as_str(), &mut self.year, limits::YEARS),
            (MovieField::TmdbId.as_str(), &mut self.tmdb_id, limits::TMDB_IDS),
            (MovieField::Runtime.as_str(), &mut self.runtime, limits::RUNTIME_MINUTES),
            (MovieField::UserRating.as_str(), &mut self.user_rating, USER_RATINGS),
            (MovieField::Top250.as_str(), &mut self.top250, TOP_RANKS),
        ]
    }

    /// The lists of names with their largest length.
    fn name_lists_mut(&mut self) -> [(&'static str, &mut Option<Vec<String>>); 6] {
        [
            (MovieField::Genres.as_str(), &mut self.genres),
            (MovieField::Studios.as_str(), &mut self.studios),
            (MovieField::Countries.as_str(), &mut self.countries),
            (MovieField::Tags.as_str(), &mut self.tags),
            (MovieField::Directors.as_str(), &mut self.directors),
            (MovieField::Writers.as_str(), &mut self.writers),
        ]
    }

    /// Checks a user's values against [`crate::limits`]; the message names the first field at
    /// fault. The PATCH route, the web UI's forms and the repository's edit all call it.
    pub fn check(&self) -> Result<()> {
        let invalid = |message: String| CatalogueError::Invalid(message);
        // The messages clients already know for the commonest mistakes, then the ranges.
        if let Some(tmdb_id) = self.tmdb_id.filter(|tmdb_id| *tmdb_id <= 0) {
            return Err(invalid(format!("tmdb_id must be a positive integer, got {tmdb_id}")));
        }
        if let Some(runtime) = self.runtime.filter(|runtime| *runtime < 0) {
            return Err(invalid(format!("runtime must not be negative, got {runtime}")));
        }
        let mut fields = self.clone();
        for (name, value, rule) in fields.texts_mut() {
            if let Some(text) = value.as_deref() {
                rule.check(name, text).map_err(|err| invalid(err.to_string()))?;
            }
        }
        for (name, value, range) in fields.numbers_mut() {
            if let Some(number) = *value {
                limits::check_range(name, number, &range).map_err(invalid)?;
            }
        }
        for (name, list) in fields.name_lists_mut() {
            if let Some(list) = list {
                if list.len() > limits::MAX_GENRES {
                    return Err(invalid(format!("{name}: {} given, at most {}", list.len(), limits::MAX_GENRES)));
                }
                for item in list.iter() {
                    limits::TEXT.check(name, item).map_err(|err| invalid(err.to_string()))?;
                }
            }
        }
        // The structured values: whatever fitting them would change is what a user may not send.
        let mut structured = Fields {
            certifications: self.certifications.clone(),
            ratings: self.ratings.clone(),
            uniqueids: self.uniqueids.clone(),
            set: self.set.clone(),
            actors: self.actors.clone(),
            ..Fields::default()
        };
        let mut warnings = Vec::new();
        structured.fit_structured(&mut warnings);
        match warnings.into_iter().next() {
            Some(warning) => Err(invalid(warning)),
            None => Ok(()),
        }
    }

    /// Makes imported values (an NFO's, a provider's) fit the same limits a user's must:
    /// control characters are dropped, long text is cut at a character boundary, out-of-range
    /// numbers and nameless entries are dropped, long lists are cut. Returns a warning naming
    /// the field for each change.
    pub fn fit_for_import(&mut self) -> Vec<String> {
        let mut warnings = Vec::new();
        for (name, value, rule) in self.texts_mut() {
            if let Some(text) = value.take() {
                *value = Some(rule.fit(name, text, &mut warnings)).filter(|text| !text.trim().is_empty());
            }
        }
        for (name, value, range) in self.numbers_mut() {
            if let Some(number) = value.filter(|number| !range.contains(number)) {
                warnings.push(format!("{name}: {number} is outside {}–{}; ignored", range.start(), range.end()));
                *value = None;
            }
        }
        for (name, list) in self.name_lists_mut() {
            if let Some(items) = list.take() {
                *list = fit_names(name, items, &mut warnings);
            }
        }
        self.fit_structured(&mut warnings);
        warnings
    }

    /// Fits the structured fields (ratings, ids, certifications, the set, the cast).
    fn fit_structured(&mut self, warnings: &mut Vec<String>) {
        if let Some(ratings) = self.ratings.take() {
            let name = MovieField::Ratings.as_str();
            let kept: Vec<Rating> = cut(name, ratings, MAX_SMALL_LIST, warnings)
                .into_iter()
                .filter_map(|mut rating| {
                    rating.source = limits::NAME.fit(name, rating.source, warnings);
                    let sane = rating.max > 0.0
                        && rating.max <= 1_000.0
                        && rating.value >= 0.0
                        && rating.value <= rating.max
                        && rating.votes.is_none_or(|votes| votes >= 0);
                    if !sane || rating.source.trim().is_empty() {
                        warnings.push(format!(
                            "{name}: {} {} of {} is not a rating; ignored",
                            rating.source, rating.value, rating.max
                        ));
                        return None;
                    }
                    Some(rating)
                })
                .collect();
            self.ratings = Some(kept).filter(|kept| !kept.is_empty());
        }
        if let Some(ids) = self.uniqueids.take() {
            let name = MovieField::UniqueIds.as_str();
            let kept: Vec<UniqueId> = cut(name, ids, MAX_SMALL_LIST, warnings)
                .into_iter()
                .filter_map(|mut id| {
                    id.kind = limits::NAME.fit(name, id.kind, warnings);
                    id.value = limits::NAME.fit(name, id.value, warnings);
                    if id.kind.trim().is_empty() || id.value.trim().is_empty() {
                        warnings.push(format!("{name}: an id without a type or a value; ignored"));
                        return None;
                    }
                    Some(id)
                })
                .collect();
            self.uniqueids = Some(kept).filter(|kept| !kept.is_empty());
        }
        if let Some(certifications) = self.certifications.take() {
            let name = MovieField::Certifications.as_str();
            let kept: Vec<CountryCertification> = cut(name, certifications, MAX_SMALL_LIST, warnings)
                .into_iter()
                .filter_map(|mut entry| {
                    entry.country = limits::NAME.fit(name, entry.country, warnings);
                    entry.certification = limits::NAME.fit(name, entry.certification, warnings);
                    (!entry.country.trim().is_empty() && !entry.certification.trim().is_empty()).then_some(entry)
                })
                .collect();
            self.certifications = Some(kept).filter(|kept| !kept.is_empty());
        }
        if let Some(mut set) = self.set.take() {
            let name = MovieField::Set.as_str();
            set.name = limits::TEXT.fit(name, set.name, warnings);
            set.overview =
                set.overview.map(|text| limits::LONG_TEXT.fit(name, text, warnings)).filter(|t| !t.trim().is_empty());
            if let Some(id) = set.tmdb_collection_id.filter(|id| !limits::TMDB_IDS.contains(id)) {
                warnings.push(format!("{name}: collection id {id} is not a TMDB id; ignored"));
                set.tmdb_collection_id = None;
            }
            if set.name.trim().is_empty() {
                warnings.push(format!("{name}: a collection without a name; ignored"));
            } else {
                self.set = Some(set);
            }
        }
        if let Some(actors) = self.actors.take() {
            let name = MovieField::Actors.as_str();
            let kept: Vec<Actor> = cut(name, actors, limits::MAX_CAST, warnings)
                .into_iter()
                .filter_map(|mut actor| {
                    actor.name = limits::TEXT.fit(name, actor.name, warnings);
                    actor.role = actor.role.map(|role| limits::TEXT.fit(name, role, warnings));
                    actor.profile = actor.profile.map(|url| limits::TEXT.fit(name, url, warnings));
                    actor.order = actor.order.filter(|order| ORDERS.contains(order));
                    actor.tmdb_id = actor.tmdb_id.filter(|id| limits::TMDB_IDS.contains(id));
                    if actor.name.trim().is_empty() {
                        warnings.push(format!("{name}: an actor without a name; ignored"));
                        return None;
                    }
                    Some(actor)
                })
                .collect();
            self.actors = Some(kept).filter(|kept| !kept.is_empty());
        }
    }
}

/// The first `max` items, with a warning when there were more.
fn cut<T>(name: &str, mut items: Vec<T>, max: usize, warnings: &mut Vec<String>) -> Vec<T> {
    if items.len() > max {
        warnings.push(format!("{name}: {} given, the first {max} kept", items.len()));
        items.truncate(max);
    }
    items
}

/// A list of names fitted to the limits; `None` when nothing is left.
fn fit_names(name: &str, items: Vec<String>, warnings: &mut Vec<String>) -> Option<Vec<String>> {
    let kept: Vec<String> = cut(name, items, limits::MAX_GENRES, warnings)
        .into_iter()
        .map(|item| limits::TEXT.fit(name, item, warnings))
        .filter(|item| !item.trim().is_empty())
        .collect();
    Some(kept).filter(|kept| !kept.is_empty())
}

/// A movie's fields with the source of each, as layers: the first layer that gives a field
/// supplies it (the NFO before the folder's name, TMDB before OMDb).
pub fn layered(layers: &[(&Fields, FieldSource)]) -> Vec<(MovieField, Param, FieldSource)> {
    let mut out: Vec<(MovieField, Param, FieldSource)> = Vec::new();
    for (fields, source) in layers {
        for (field, value) in fields.values() {
            if !out.iter().any(|(given, _, _)| *given == field) {
                out.push((field, value, *source));
            }
        }
    }
    out.sort_by_key(|(field, _, _)| *field);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_rule() {
        use FieldSource::*;
        // Empty fields take anything.
        for source in [User, Nfo, Folder, Radarr, Tmdb, Omdb, Fanart] {
            assert!(source.may_replace(None, false), "{source} fills an empty field");
        }
        // Providers replace the folder's guess and each other, never the NFO by default.
        assert!(Tmdb.may_replace(Some(Folder), false));
        assert!(Tmdb.may_replace(Some(Omdb), false));
        assert!(!Tmdb.may_replace(Some(Nfo), false));
        assert!(Tmdb.may_replace(Some(Nfo), true), "prefer_provider_metadata");
        assert!(!Tmdb.may_replace(Some(Radarr), true), "Radarr's ids stand");
        // The NFO replaces a provider's value unless providers are preferred.
        assert!(Nfo.may_replace(Some(Tmdb), false));
        assert!(!Nfo.may_replace(Some(Tmdb), true));
        assert!(!Nfo.may_replace(Some(Radarr), false));
        // The folder's name fills gaps only.
        assert!(!Folder.may_replace(Some(Tmdb), false));
        assert!(!Folder.may_replace(Some(Nfo), false));
        assert!(Folder.may_replace(Some(Folder), false));
        // Radarr's ids replace anything unlocked.
        assert!(Radarr.may_replace(Some(Nfo), false));
        // An unlocked user value behaves as an NFO's.
        assert!(!Tmdb.may_replace(Some(User), false));
        assert!(!Folder.may_replace(Some(User), false));
    }

    #[test]
    fn every_field_has_a_distinct_name_and_column() {
        let mut names: Vec<&str> = MovieField::ALL.iter().map(|field| field.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), MovieField::ALL.len());
        for field in MovieField::ALL {
            assert_eq!(MovieField::parse(field.as_str()), Some(field));
        }
        assert_eq!(MovieField::Set.column(), "collection");
    }

    #[test]
    fn values_cover_every_field() {
        let fields = Fields {
            title: Some("t".into()),
            original_title: Some("t".into()),
            sort_title: Some("t".into()),
            year: Some(2000),
            tmdb_id: Some(1),
            imdb_id: Some("tt0000001".into()),
            plot: Some("p".into()),
            outline: Some("o".into()),
            tagline: Some("t".into()),
            runtime: Some(1),
            premiered: Some("2000-01-01".into()),
            genres: Some(vec!["g".into()]),
            certification: Some("PG".into()),
            certifications: Some(vec![CountryCertification { country: "US".into(), certification: "PG".into() }]),
            ratings: Some(vec![Rating { source: "imdb".into(), value: 1.0, max: 10.0, votes: None, default: true }]),
            user_rating: Some(1),
            top250: Some(1),
            uniqueids: Some(vec![UniqueId { kind: "tmdb".into(), value: "1".into(), default: true }]),
            studios: Some(vec!["s".into()]),
            countries: Some(vec!["c".into()]),
            tags: Some(vec!["t".into()]),
            set: Some(MovieSet { name: "s".into(), overview: None, tmdb_collection_id: None }),
            directors: Some(vec!["d".into()]),
            writers: Some(vec!["w".into()]),
            actors: Some(vec![Actor { name: "a".into(), role: None, order: None, tmdb_id: None, profile: None }]),
            trailer: Some("t".into()),
            date_added: Some("d".into()),
        };
        let given: Vec<MovieField> = fields.values().into_iter().map(|(field, _)| field).collect();
        assert_eq!(given, MovieField::ALL.to_vec());
        assert!(fields.check().is_ok(), "{:?}", fields.check());
    }

    #[test]
    fn hostile_structured_values_are_refused_or_fitted() {
        let bad_rating = Fields {
            ratings: Some(vec![Rating { source: "imdb".into(), value: 11.0, max: 10.0, votes: None, default: false }]),
            ..Fields::default()
        };
        let err = bad_rating.check().expect_err("a value above its scale");
        assert!(err.to_string().contains("ratings"), "{err}");
        let mut imported = Fields {
            actors: Some(
                (0..2_000)
                    .map(|i| Actor {
                        name: format!("A{i}"),
                        role: None,
                        order: Some(i),
                        tmdb_id: Some(-4),
                        profile: None,
                    })
                    .collect(),
            ),
            set: Some(MovieSet { name: " ".into(), overview: None, tmdb_collection_id: None }),
            ..Fields::default()
        };
        let warnings = imported.fit_for_import();
        assert_eq!(imported.actors.as_ref().map(Vec::len), Some(limits::MAX_CAST));
        assert!(imported.actors.iter().flatten().all(|actor| actor.tmdb_id.is_none()));
        assert!(imported.set.is_none());
        assert!(warnings.iter().any(|w| w.contains("first")), "{warnings:?}");
    }

    #[test]
    fn layers_give_each_field_once_with_its_source() {
        let nfo = Fields { title: Some("From NFO".into()), ..Fields::default() };
        let folder = Fields { title: Some("From folder".into()), year: Some(1999), ..Fields::default() };
        let merged = layered(&[(&nfo, FieldSource::Nfo), (&folder, FieldSource::Folder)]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].0, MovieField::Title);
        assert_eq!(merged[0].2, FieldSource::Nfo);
        assert_eq!(merged[1], (MovieField::Year, Param::Int(1999), FieldSource::Folder));
    }
}
