//! Writes the TV models as Kodi (v20+) NFOs: [`write_tvshow`], [`write_season`] and
//! [`write_episodes`], putting other tools' elements back.
//!
//! The output is what [`crate::parse_tv`] reads back into the same model, with the movie
//! writer's normalisations (see the `write` module: blank text, forbidden characters,
//! non-finite decimals, unnamed ratings, extra attributes), and these:
//!
//! - [`TvShowNfo::urls`] are not written, as for movies.
//! - The legacy id elements are written in lower case right before the `<uniqueid>`s: `<id>`,
//!   then `<imdb_id>` for shows (Jellyfin's element for series) or `<imdbid>` for episodes,
//!   `<tmdbid>`, `<tvdbid>`.
//! - [`TvShowNfo::episode_guide`] is written as markup when it is markup the parser would give
//!   back unchanged (the older `<url>` form it read), otherwise as text (Kodi 20's JSON).
//!   Either way it reads back as the same string; only a text that happens to be such markup
//!   changes form in the file.
//! - A blank [`NamedSeason::name`] writes nothing, as blank text does elsewhere.

use crate::model::RawElement;
use crate::tree;
use crate::tv::{EpisodeNfo, SeasonNfo, TvShowNfo};
use crate::warning::Collector;
use crate::write::{
    Out, WriteOptions, is_blank, write_actor, write_fanart, write_file_info, write_locks_and_unknown, write_ratings,
    write_thumb, write_unique_id,
};

/// Writes `nfo` as a UTF-8 Kodi show NFO (`tvshow.nfo`): an XML declaration, a `<tvshow>`
/// root, two-space indentation, the Kodi v20 element order, then Jellyfin's locks if
/// `options` has them and every element of [`TvShowNfo::unknown`] unchanged and in order.
pub fn write_tvshow(nfo: &TvShowNfo, options: &WriteOptions) -> String {
    let mut out = Out::new();
    out.start("tvshow", &[]);

    out.text("title", nfo.title.as_deref());
    out.text("originaltitle", nfo.original_title.as_deref());
    out.text("showtitle", nfo.show_title.as_deref());
    out.text("sorttitle", nfo.sort_title.as_deref());
    write_ratings(&mut out, &nfo.ratings);
    out.integer("userrating", nfo.user_rating);
    out.text("outline", nfo.outline.as_deref());
    out.text("plot", nfo.plot.as_deref());
    out.text("tagline", nfo.tagline.as_deref());
    for thumb in &nfo.thumbs {
        write_thumb(&mut out, thumb);
    }
    if let Some(fanart) = &nfo.fanart {
        write_fanart(&mut out, fanart);
    }
    out.text("mpaa", nfo.mpaa.as_deref());
    out.text("id", nfo.legacy_id.as_deref());
    out.text("imdb_id", nfo.imdb_id_element.as_deref());
    out.text("tmdbid", nfo.tmdb_id_element.as_deref());
    out.text("tvdbid", nfo.tvdb_id_element.as_deref());
    for unique_id in &nfo.unique_ids {
        write_unique_id(&mut out, unique_id);
    }
    out.texts("genre", &nfo.genres);
    out.texts("country", &nfo.countries);
    out.texts("tag", &nfo.tags);
    out.text("premiered", nfo.premiered.as_deref());
    out.integer("year", nfo.year);
    out.text("status", nfo.status.as_deref());
    out.texts("studio", &nfo.studios);
    out.text("trailer", nfo.trailer.as_deref());
    for actor in &nfo.actors {
        write_actor(&mut out, actor);
    }
    for season in &nfo.named_seasons {
        if !is_blank(&season.name) {
            let number = season.number.to_string();
            out.text_with("namedseason", &[("number", number.as_str())], &season.name);
        }
    }
    if let Some(guide) = nfo.episode_guide.as_deref().filter(|guide| !is_blank(guide)) {
        match episode_guide_markup(guide) {
            Some(element) => out.raw(&element),
            None => out.text("episodeguide", Some(guide)),
        }
    }
    out.text("dateadded", nfo.date_added.as_deref());

    write_locks_and_unknown(&mut out, options, &nfo.unknown);
    out.end("tvshow");
    out.finish()
}

/// Writes `nfo` as a UTF-8 season NFO (`season.nfo`): a `<season>` root with `<title>`,
/// `<plot>`, `<premiered>` and `<seasonnumber>`, then every element of [`SeasonNfo::unknown`]
/// unchanged and in order.
pub fn write_season(nfo: &SeasonNfo) -> String {
    let mut out = Out::new();
    out.start("season", &[]);
    out.text("title", nfo.title.as_deref());
    out.text("plot", nfo.plot.as_deref());
    out.text("premiered", nfo.premiered.as_deref());
    out.integer("seasonnumber", nfo.season_number);
    out.raws(&nfo.unknown);
    out.end("season");
    out.finish()
}

/// Writes `episodes` as one UTF-8 Kodi episode NFO: one XML declaration, then one
/// `<episodedetails>` root per episode, one after another (Kodi's form for a file holding
/// several episodes), each in the Kodi v20 element order followed by Jellyfin's locks if
/// `options` has them and its unknown elements. An empty slice writes one empty
/// `<episodedetails>`, so the file is still well-formed XML.
pub fn write_episodes(episodes: &[EpisodeNfo], options: &WriteOptions) -> String {
    let mut out = Out::new();
    if episodes.is_empty() {
        write_episode(&mut out, &EpisodeNfo::default(), options);
    }
    for episode in episodes {
        write_episode(&mut out, episode, options);
    }
    out.finish()
}

fn write_episode(out: &mut Out, nfo: &EpisodeNfo, options: &WriteOptions) {
    out.start("episodedetails", &[]);
    out.text("title", nfo.title.as_deref());
    out.text("originaltitle", nfo.original_title.as_deref());
    out.text("showtitle", nfo.show_title.as_deref());
    write_ratings(out, &nfo.ratings);
    out.integer("userrating", nfo.user_rating);
    out.text("plot", nfo.plot.as_deref());
    out.integer("runtime", nfo.runtime);
    for thumb in &nfo.thumbs {
        write_thumb(out, thumb);
    }
    out.text("mpaa", nfo.mpaa.as_deref());
    out.integer("playcount", nfo.playcount);
    out.text("lastplayed", nfo.last_played.as_deref());
    out.text("id", nfo.legacy_id.as_deref());
    out.text("imdbid", nfo.imdb_id_element.as_deref());
    out.text("tmdbid", nfo.tmdb_id_element.as_deref());
    out.text("tvdbid", nfo.tvdb_id_element.as_deref());
    for unique_id in &nfo.unique_ids {
        write_unique_id(out, unique_id);
    }
    out.texts("credits", &nfo.credits);
    out.texts("director", &nfo.directors);
    out.text("premiered", nfo.premiered.as_deref());
    out.text("aired", nfo.aired.as_deref());
    out.integer("season", nfo.season);
    out.integer("episode", nfo.episode);
    out.integer("displayseason", nfo.display_season);
    out.integer("displayepisode", nfo.display_episode);
    if let Some(file_info) = &nfo.file_info {
        write_file_info(out, file_info);
    }
    for actor in &nfo.actors {
        write_actor(out, actor);
    }
    out.text("dateadded", nfo.date_added.as_deref());
    write_locks_and_unknown(out, options, &nfo.unknown);
    out.end("episodedetails");
}

/// The `<episodeguide>` element to write when `guide` is markup that reads back as itself:
/// it is read with the crate's own tree builder, without a single warning, and serialising
/// what was read gives `guide` again. Writing that re-serialised tree (never `guide` itself)
/// keeps the file well-formed whatever the string holds.
fn episode_guide_markup(guide: &str) -> Option<RawElement> {
    if !guide.starts_with('<') {
        return None;
    }
    let wrapped = format!("<episodeguide>{guide}</episodeguide>");
    let mut warnings = Collector::default();
    let document = tree::build(&wrapped, &mut warnings);
    if !warnings.is_empty() || !document.outside_text.is_empty() {
        return None;
    }
    let element = document.root?.to_raw();
    let has_elements = element.children.iter().any(|child| matches!(child, crate::model::RawNode::Element(_)));
    (has_elements && element.inner_xml() == guide).then_some(element)
}
