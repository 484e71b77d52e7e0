//! Maps the lenient XML tree of a `<movie>` (or a look-alike root) onto [`MovieNfo`].
//!
//! The element readers themselves live in `elements`, shared with the TV NFOs.

use crate::elements::{LegacyRating, Mapper, fanart, push_text, text_of, thumb, unique_id};
use crate::model::{MovieNfo, MovieSet, NfoRoot};
use crate::tree::Element;
use crate::warning::{Collector, WarningKind};

/// Reads `root` into a fresh [`MovieNfo`].
pub(crate) fn map_root(root: &Element, warnings: &mut Collector) -> MovieNfo {
    let root_kind = NfoRoot::from_name(&root.name);
    if root_kind != NfoRoot::Movie {
        warnings.push(WarningKind::NotAMovie { root: root.name.clone() }, Some(root.offset));
    }
    let mut nfo = MovieNfo { root: Some(root_kind), ..MovieNfo::default() };
    let mut mapper = Mapper { warnings };
    let mut legacy_rating = LegacyRating::default();
    for element in root.child_elements() {
        let name = element.name.to_ascii_lowercase();
        match name.as_str() {
            "title" => mapper.scalar(&mut nfo.title, element),
            "originaltitle" => mapper.scalar(&mut nfo.original_title, element),
            "sorttitle" => mapper.scalar(&mut nfo.sort_title, element),
            "ratings" => mapper.ratings(element, &mut nfo.ratings),
            "rating" => legacy_rating.rating(&mut mapper, element),
            "votes" => legacy_rating.votes(&mut mapper, element),
            "userrating" => mapper.integer(&mut nfo.user_rating, element),
            "top250" => mapper.integer(&mut nfo.top250, element),
            "outline" => mapper.scalar(&mut nfo.outline, element),
            "plot" => mapper.scalar(&mut nfo.plot, element),
            "tagline" => mapper.scalar(&mut nfo.tagline, element),
            "runtime" => mapper.integer(&mut nfo.runtime, element),
            "thumb" => nfo.thumbs.extend(thumb(element)),
            "fanart" => mapper.once(&mut nfo.fanart, element, |_| fanart(element)),
            "mpaa" => mapper.scalar(&mut nfo.mpaa, element),
            "playcount" => mapper.integer(&mut nfo.play_count, element),
            "lastplayed" => mapper.scalar(&mut nfo.last_played, element),
            "uniqueid" => nfo.unique_ids.extend(unique_id(element)),
            "genre" => push_text(&mut nfo.genres, element),
            "country" => push_text(&mut nfo.countries, element),
            "tag" => push_text(&mut nfo.tags, element),
            "studio" => push_text(&mut nfo.studios, element),
            "director" => push_text(&mut nfo.directors, element),
            "credits" => push_text(&mut nfo.credits, element),
            "set" => {
                if nfo.set.is_some() {
                    mapper.duplicate(element);
                } else {
                    nfo.set = movie_set(element);
                }
            }
            "premiered" => mapper.scalar(&mut nfo.premiered, element),
            "year" => mapper.integer(&mut nfo.year, element),
            "status" => mapper.scalar(&mut nfo.status, element),
            "trailer" => mapper.scalar(&mut nfo.trailer, element),
            "fileinfo" => mapper.once(&mut nfo.file_info, element, |mapper| mapper.file_info(element)),
            "actor" => nfo.actors.push(mapper.actor(element)),
            "dateadded" => mapper.scalar(&mut nfo.date_added, element),
            "id" => mapper.scalar(&mut nfo.legacy_id, element),
            "tmdbid" => mapper.scalar(&mut nfo.tmdb_id_element, element),
            "imdbid" => mapper.scalar(&mut nfo.imdb_id_element, element),
            _ => nfo.unknown.push(element.to_raw()),
        }
    }
    legacy_rating.finish(&mut nfo.ratings);
    nfo
}

fn movie_set(element: &Element) -> Option<MovieSet> {
    let mut set = MovieSet { attributes: element.attributes.clone(), ..MovieSet::default() };
    if element.has_child_elements() {
        for child in element.child_elements() {
            match child.name.to_ascii_lowercase().as_str() {
                "name" if set.name.is_none() => set.name = text_of(child),
                "overview" if set.overview.is_none() => set.overview = text_of(child),
                _ => set.unknown.push(child.to_raw()),
            }
        }
    } else {
        // The old form, `<set>Collection name</set>`.
        set.name = text_of(element);
    }
    let empty = set.name.is_none() && set.overview.is_none() && set.unknown.is_empty() && set.attributes.is_empty();
    (!empty).then_some(set)
}
