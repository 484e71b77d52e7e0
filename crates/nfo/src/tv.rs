//! Kodi TV NFOs: the show (`tvshow.nfo`, root `<tvshow>`), season (`season.nfo`, root
//! `<season>`) and episode (`<video>.nfo`, one or more `<episodedetails>` roots) models, and the
//! mapping of the lenient XML tree onto them.
//!
//! The same leniency as for movies applies (see the crate docs), with the same element readers:
//! names match ignoring ASCII case, text is trimmed, empty elements are absent, a scalar given
//! twice keeps its first value and every element the model does not know is kept, in order, in
//! `unknown`. Where the models differ from [`crate::MovieNfo`] they follow what Kodi reads for
//! that kind of item.

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use crate::elements::{LegacyRating, Mapper, fanart, push_text, text_of, thumb, unique_id};
use crate::model::{Actor, Fanart, FileInfo, FoundUrl, Rating, RawElement, Thumb, UniqueId};
use crate::tree::Element;
use crate::warning::{Collector, WarningKind};

/// What [`crate::parse_tv`] found, by root element.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[allow(
    clippy::large_enum_variant,
    reason = "one value per parsed file, matched by callers; boxing the show would only add noise"
)]
pub enum TvNfo {
    /// A `<tvshow>` root.
    Show(TvShowNfo),
    /// A `<season>` root.
    Season(SeasonNfo),
    /// One `<episodedetails>` root, or several in a multi-episode file, in file order (never
    /// empty).
    Episodes(Vec<EpisodeNfo>),
    /// Not a TV NFO: another root (a `<movie>`, with a [`WarningKind::NotTv`] warning), or no
    /// XML root at all (a URL-only or empty file; see [`crate::ParsedTv::kind`]).
    Other,
}

/// A Kodi show NFO (`tvshow.nfo`).
///
/// Scalars that appear more than once keep the first value (Kodi does the same); repeated
/// elements keep every value in file order.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct TvShowNfo {
    /// `<title>`.
    pub title: Option<String>,
    /// `<originaltitle>`.
    pub original_title: Option<String>,
    /// `<showtitle>`.
    pub show_title: Option<String>,
    /// `<sorttitle>`.
    pub sort_title: Option<String>,
    /// `<year>`.
    pub year: Option<i64>,
    /// `<plot>`.
    pub plot: Option<String>,
    /// `<outline>`.
    pub outline: Option<String>,
    /// `<tagline>`.
    pub tagline: Option<String>,
    /// `<mpaa>`, e.g. "TV-MA".
    pub mpaa: Option<String>,
    /// `<premiered>`, as written (Kodi uses `YYYY-MM-DD`).
    pub premiered: Option<String>,
    /// `<status>` ("Continuing", "Ended", …).
    pub status: Option<String>,
    /// `<ratings><rating …>` entries, plus a legacy top-level `<rating>`/`<votes>` pair as an
    /// entry without a name.
    pub ratings: Vec<Rating>,
    /// `<userrating>`.
    pub user_rating: Option<i64>,
    /// `<uniqueid>` entries in file order.
    pub unique_ids: Vec<UniqueId>,
    /// `<genre>` values.
    pub genres: Vec<String>,
    /// `<studio>` values (networks).
    pub studios: Vec<String>,
    /// `<tag>` values.
    pub tags: Vec<String>,
    /// `<country>` values.
    pub countries: Vec<String>,
    /// `<actor>` entries in file order.
    pub actors: Vec<Actor>,
    /// Top-level `<thumb>` candidates in file order; season artwork carries `type="season"` and
    /// `season="<n>"` in [`Thumb::attributes`].
    pub thumbs: Vec<Thumb>,
    /// `<fanart>` and its `<thumb>` candidates.
    pub fanart: Option<Fanart>,
    /// `<namedseason number="n">name</namedseason>` entries in file order.
    pub named_seasons: Vec<NamedSeason>,
    /// The content of `<episodeguide>` as written: its text (Kodi 20 writes JSON such as
    /// `{"tvdb": "81189"}`), or, when it holds elements (the older `<url>` form), that markup
    /// serialised like [`RawElement::to_xml`]. Trimmed.
    pub episode_guide: Option<String>,
    /// `<dateadded>`, as written.
    pub date_added: Option<String>,
    /// `<trailer>`: a local path or a `plugin://` URL.
    pub trailer: Option<String>,
    /// Legacy `<id>`: in old Kodi scrapers' show NFOs a TVDB id (`tt…` would be IMDb). See
    /// [`TvShowNfo::tvdb_id`] for how it is interpreted.
    pub legacy_id: Option<String>,
    /// `<tvdbid>` (any ASCII case, e.g. `<tvdbId>`), as written.
    pub tvdb_id_element: Option<String>,
    /// `<tmdbid>` (any ASCII case), as written.
    pub tmdb_id_element: Option<String>,
    /// `<imdb_id>` (Jellyfin's element for shows) or `<imdbid>`, as written; the first one
    /// given.
    pub imdb_id_element: Option<String>,
    /// URLs found outside the XML (Sonarr's "Series Metadata URL" line after the XML), the
    /// same as [`crate::ParsedTv::urls`]; the writer does not write them.
    pub urls: Vec<FoundUrl>,
    /// Every top-level element this model does not understand, in file order.
    pub unknown: Vec<RawElement>,
}

/// One `<namedseason number="n">name</namedseason>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct NamedSeason {
    /// The `number` attribute.
    pub number: i64,
    /// The element text.
    pub name: String,
}

/// A Kodi season NFO (`season.nfo`, as Jellyfin and tinyMediaManager write it).
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct SeasonNfo {
    /// `<seasonnumber>`.
    pub season_number: Option<i64>,
    /// `<title>`.
    pub title: Option<String>,
    /// `<plot>`.
    pub plot: Option<String>,
    /// `<premiered>`, as written.
    pub premiered: Option<String>,
    /// Every top-level element this model does not understand, in file order.
    pub unknown: Vec<RawElement>,
}

/// A Kodi episode NFO: one `<episodedetails>`.
///
/// Its ids are the episode's own; a URL outside the XML names a series, so it is kept in
/// [`crate::ParsedTv::urls`] only.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct EpisodeNfo {
    /// `<title>`.
    pub title: Option<String>,
    /// `<showtitle>`.
    pub show_title: Option<String>,
    /// `<originaltitle>`.
    pub original_title: Option<String>,
    /// `<season>`.
    pub season: Option<i64>,
    /// `<episode>`.
    pub episode: Option<i64>,
    /// `<displayseason>`: where a special sorts among the seasons.
    pub display_season: Option<i64>,
    /// `<displayepisode>`: where a special sorts within its display season.
    pub display_episode: Option<i64>,
    /// `<aired>`, as written (Kodi uses `YYYY-MM-DD`).
    pub aired: Option<String>,
    /// `<premiered>`, as written.
    pub premiered: Option<String>,
    /// `<plot>`.
    pub plot: Option<String>,
    /// `<runtime>` in minutes.
    pub runtime: Option<i64>,
    /// `<mpaa>`.
    pub mpaa: Option<String>,
    /// `<ratings><rating …>` entries, plus a legacy top-level `<rating>`/`<votes>` pair (Sonarr
    /// and Jellyfin write `<rating>8.0</rating>`) as an entry without a name.
    pub ratings: Vec<Rating>,
    /// `<userrating>`.
    pub user_rating: Option<i64>,
    /// `<uniqueid>` entries in file order.
    pub unique_ids: Vec<UniqueId>,
    /// `<director>` values.
    pub directors: Vec<String>,
    /// `<credits>` values (writers).
    pub credits: Vec<String>,
    /// `<actor>` entries in file order.
    pub actors: Vec<Actor>,
    /// `<thumb>` candidates (episode stills) in file order.
    pub thumbs: Vec<Thumb>,
    /// `<fileinfo>`.
    pub file_info: Option<FileInfo>,
    /// `<playcount>`.
    pub playcount: Option<i64>,
    /// `<lastplayed>`, as written.
    pub last_played: Option<String>,
    /// `<dateadded>`, as written.
    pub date_added: Option<String>,
    /// Legacy `<id>`: the episode's TVDB id in old Kodi scrapers' NFOs (`tt…` would be IMDb).
    /// See [`EpisodeNfo::tvdb_id`] for how it is interpreted.
    pub legacy_id: Option<String>,
    /// `<tvdbid>` (any ASCII case), as written.
    pub tvdb_id_element: Option<String>,
    /// `<tmdbid>` (any ASCII case), as written.
    pub tmdb_id_element: Option<String>,
    /// `<imdbid>` or `<imdb_id>`, as written; the first one given.
    pub imdb_id_element: Option<String>,
    /// Every top-level element this model does not understand, in file order.
    pub unknown: Vec<RawElement>,
}

/// Reads the first root and, for episodes, the later `<episodedetails>` roots the tree kept.
pub(crate) fn map_document(root: &Element, later_roots: &[Element], warnings: &mut Collector) -> TvNfo {
    match root.name.to_ascii_lowercase().as_str() {
        "tvshow" => TvNfo::Show(map_show(root, warnings)),
        "season" => TvNfo::Season(map_season(root, warnings)),
        "episodedetails" => TvNfo::Episodes(
            std::iter::once(root).chain(later_roots).map(|episode| map_episode(episode, warnings)).collect(),
        ),
        _ => {
            warnings.push(WarningKind::NotTv { root: root.name.clone() }, Some(root.offset));
            TvNfo::Other
        }
    }
}

fn map_show(root: &Element, warnings: &mut Collector) -> TvShowNfo {
    let mut nfo = TvShowNfo::default();
    let mut mapper = Mapper { warnings };
    let mut legacy_rating = LegacyRating::default();
    for element in root.child_elements() {
        match element.name.to_ascii_lowercase().as_str() {
            "title" => mapper.scalar(&mut nfo.title, element),
            "originaltitle" => mapper.scalar(&mut nfo.original_title, element),
            "showtitle" => mapper.scalar(&mut nfo.show_title, element),
            "sorttitle" => mapper.scalar(&mut nfo.sort_title, element),
            "ratings" => mapper.ratings(element, &mut nfo.ratings),
            "rating" => legacy_rating.rating(&mut mapper, element),
            "votes" => legacy_rating.votes(&mut mapper, element),
            "userrating" => mapper.integer(&mut nfo.user_rating, element),
            "outline" => mapper.scalar(&mut nfo.outline, element),
            "plot" => mapper.scalar(&mut nfo.plot, element),
            "tagline" => mapper.scalar(&mut nfo.tagline, element),
            "thumb" => nfo.thumbs.extend(thumb(element)),
            "fanart" => mapper.once(&mut nfo.fanart, element, |_| fanart(element)),
            "mpaa" => mapper.scalar(&mut nfo.mpaa, element),
            "uniqueid" => nfo.unique_ids.extend(unique_id(element)),
            "genre" => push_text(&mut nfo.genres, element),
            "country" => push_text(&mut nfo.countries, element),
            "tag" => push_text(&mut nfo.tags, element),
            "studio" => push_text(&mut nfo.studios, element),
            "premiered" => mapper.scalar(&mut nfo.premiered, element),
            "year" => mapper.integer(&mut nfo.year, element),
            "status" => mapper.scalar(&mut nfo.status, element),
            "trailer" => mapper.scalar(&mut nfo.trailer, element),
            "actor" => nfo.actors.push(mapper.actor(element)),
            "namedseason" => match named_season(&mut mapper, element) {
                Some(season) => nfo.named_seasons.push(season),
                // Kept as it was, so a rewrite does not lose what could not be read.
                None => nfo.unknown.push(element.to_raw()),
            },
            "episodeguide" => {
                if let Some(guide) = episode_guide(element) {
                    if nfo.episode_guide.is_some() {
                        mapper.duplicate(element);
                    } else {
                        nfo.episode_guide = Some(guide);
                    }
                }
            }
            "dateadded" => mapper.scalar(&mut nfo.date_added, element),
            "id" => mapper.scalar(&mut nfo.legacy_id, element),
            "tvdbid" => mapper.scalar(&mut nfo.tvdb_id_element, element),
            "tmdbid" => mapper.scalar(&mut nfo.tmdb_id_element, element),
            "imdb_id" | "imdbid" => mapper.scalar(&mut nfo.imdb_id_element, element),
            _ => nfo.unknown.push(element.to_raw()),
        }
    }
    legacy_rating.finish(&mut nfo.ratings);
    nfo
}

fn map_season(root: &Element, warnings: &mut Collector) -> SeasonNfo {
    let mut nfo = SeasonNfo::default();
    let mut mapper = Mapper { warnings };
    for element in root.child_elements() {
        match element.name.to_ascii_lowercase().as_str() {
            "seasonnumber" => mapper.integer(&mut nfo.season_number, element),
            "title" => mapper.scalar(&mut nfo.title, element),
            "plot" => mapper.scalar(&mut nfo.plot, element),
            "premiered" => mapper.scalar(&mut nfo.premiered, element),
            _ => nfo.unknown.push(element.to_raw()),
        }
    }
    nfo
}

fn map_episode(root: &Element, warnings: &mut Collector) -> EpisodeNfo {
    let mut nfo = EpisodeNfo::default();
    let mut mapper = Mapper { warnings };
    let mut legacy_rating = LegacyRating::default();
    for element in root.child_elements() {
        match element.name.to_ascii_lowercase().as_str() {
            "title" => mapper.scalar(&mut nfo.title, element),
            "showtitle" => mapper.scalar(&mut nfo.show_title, element),
            "originaltitle" => mapper.scalar(&mut nfo.original_title, element),
            "season" => mapper.integer(&mut nfo.season, element),
            "episode" => mapper.integer(&mut nfo.episode, element),
            "displayseason" => mapper.integer(&mut nfo.display_season, element),
            "displayepisode" => mapper.integer(&mut nfo.display_episode, element),
            "aired" => mapper.scalar(&mut nfo.aired, element),
            "premiered" => mapper.scalar(&mut nfo.premiered, element),
            "plot" => mapper.scalar(&mut nfo.plot, element),
            "runtime" => mapper.integer(&mut nfo.runtime, element),
            "mpaa" => mapper.scalar(&mut nfo.mpaa, element),
            "ratings" => mapper.ratings(element, &mut nfo.ratings),
            "rating" => legacy_rating.rating(&mut mapper, element),
            "votes" => legacy_rating.votes(&mut mapper, element),
            "userrating" => mapper.integer(&mut nfo.user_rating, element),
            "uniqueid" => nfo.unique_ids.extend(unique_id(element)),
            "director" => push_text(&mut nfo.directors, element),
            "credits" => push_text(&mut nfo.credits, element),
            "actor" => nfo.actors.push(mapper.actor(element)),
            "thumb" => nfo.thumbs.extend(thumb(element)),
            "fileinfo" => mapper.once(&mut nfo.file_info, element, |mapper| mapper.file_info(element)),
            "playcount" => mapper.integer(&mut nfo.playcount, element),
            "lastplayed" => mapper.scalar(&mut nfo.last_played, element),
            "dateadded" => mapper.scalar(&mut nfo.date_added, element),
            "id" => mapper.scalar(&mut nfo.legacy_id, element),
            "tvdbid" => mapper.scalar(&mut nfo.tvdb_id_element, element),
            "tmdbid" => mapper.scalar(&mut nfo.tmdb_id_element, element),
            "imdbid" | "imdb_id" => mapper.scalar(&mut nfo.imdb_id_element, element),
            _ => nfo.unknown.push(element.to_raw()),
        }
    }
    legacy_rating.finish(&mut nfo.ratings);
    nfo
}

/// A `<namedseason>` with a readable `number` and a name; `None` otherwise (a number that is
/// not one also warns).
fn named_season(mapper: &mut Mapper<'_>, element: &Element) -> Option<NamedSeason> {
    let name = text_of(element)?;
    let number = element.attribute("number")?.trim();
    if number.is_empty() {
        return None;
    }
    let number = mapper.parse_integer(&format!("{}@number", element.name), number, element.offset)?;
    Some(NamedSeason { number, name })
}

/// The content of an `<episodeguide>`: its text, or its markup when it holds elements.
fn episode_guide(element: &Element) -> Option<String> {
    if !element.has_child_elements() {
        return text_of(element);
    }
    let markup = element.to_raw().inner_xml();
    let trimmed = markup.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}
