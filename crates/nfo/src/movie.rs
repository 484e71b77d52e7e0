//! Maps the lenient XML tree of a `<movie>` (or a look-alike root) onto [`MovieNfo`].
//!
//! Element names match ignoring ASCII case, because other tools write `<tmdbId>` or
//! `<Title>` and Kodi users expect those to count. Text is trimmed; empty elements count as
//! absent. Numbers are read the way Kodi's `atoi` does: the leading number wins and trailing
//! text ("120 min") only earns a warning.

use crate::model::{
    Actor, AudioStream, Fanart, FileInfo, MovieNfo, MovieSet, NfoRoot, Rating, StreamDetails, SubtitleStream, Thumb,
    UniqueId, VideoStream,
};
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
    // The legacy top-level `<votes>` belongs to the legacy `<rating>`, which may come after it.
    let mut legacy_votes = None;
    let mut legacy_rating: Option<Rating> = None;
    for element in root.child_elements() {
        let name = element.name.to_ascii_lowercase();
        match name.as_str() {
            "title" => mapper.scalar(&mut nfo.title, element),
            "originaltitle" => mapper.scalar(&mut nfo.original_title, element),
            "sorttitle" => mapper.scalar(&mut nfo.sort_title, element),
            "ratings" => {
                // Kodi reads only `<rating>` children here; anything else is dropped, as there.
                for rating in element.child_elements().filter(|child| child.name.eq_ignore_ascii_case("rating")) {
                    nfo.ratings.push(mapper.rating(rating));
                }
            }
            "rating" => {
                if legacy_rating.is_some() {
                    mapper.duplicate(element);
                } else {
                    let value = mapper.decimal(element, &element.own_text());
                    legacy_rating = Some(Rating { value, ..Rating::default() });
                }
            }
            "votes" => {
                if legacy_votes.is_some() {
                    mapper.duplicate(element);
                } else {
                    legacy_votes = Some(mapper.votes(element));
                }
            }
            "userrating" => mapper.integer(&mut nfo.user_rating, element),
            "top250" => mapper.integer(&mut nfo.top250, element),
            "outline" => mapper.scalar(&mut nfo.outline, element),
            "plot" => mapper.scalar(&mut nfo.plot, element),
            "tagline" => mapper.scalar(&mut nfo.tagline, element),
            "runtime" => mapper.integer(&mut nfo.runtime, element),
            "thumb" => nfo.thumbs.extend(thumb(element)),
            "fanart" => {
                if nfo.fanart.is_some() {
                    mapper.duplicate(element);
                } else {
                    nfo.fanart = Some(fanart(element));
                }
            }
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
            "fileinfo" => {
                if nfo.file_info.is_some() {
                    mapper.duplicate(element);
                } else {
                    nfo.file_info = Some(mapper.file_info(element));
                }
            }
            "actor" => nfo.actors.push(mapper.actor(element)),
            "dateadded" => mapper.scalar(&mut nfo.date_added, element),
            "id" => mapper.scalar(&mut nfo.legacy_id, element),
            "tmdbid" => mapper.scalar(&mut nfo.tmdb_id_element, element),
            "imdbid" => mapper.scalar(&mut nfo.imdb_id_element, element),
            _ => nfo.unknown.push(element.to_raw()),
        }
    }
    if legacy_rating.is_some() || legacy_votes.is_some() {
        let mut rating = legacy_rating.unwrap_or_default();
        rating.votes = legacy_votes.flatten();
        // Kodi makes the legacy rating the default one unless `<ratings>` names another.
        rating.default = !nfo.ratings.iter().any(|rating| rating.default);
        nfo.ratings.push(rating);
    }
    nfo
}

struct Mapper<'w> {
    warnings: &'w mut Collector,
}

impl Mapper<'_> {
    /// Sets a text field once; later copies only warn, since Kodi reads the first.
    fn scalar(&mut self, field: &mut Option<String>, element: &Element) {
        let Some(text) = text_of(element) else { return };
        if field.is_some() {
            self.duplicate(element);
        } else {
            *field = Some(text);
        }
    }

    fn integer(&mut self, field: &mut Option<i64>, element: &Element) {
        let Some(text) = text_of(element) else { return };
        if field.is_some() {
            self.duplicate(element);
            return;
        }
        *field = self.parse_integer(&element.name, &text, element.offset);
    }

    fn duplicate(&mut self, element: &Element) {
        self.warnings.push(WarningKind::DuplicateElement { name: element.name.clone() }, Some(element.offset));
    }

    fn parse_integer(&mut self, element: &str, text: &str, offset: usize) -> Option<i64> {
        match leading_integer(text) {
            Some((value, true)) => Some(value),
            Some((value, false)) => {
                let warning = WarningKind::NumberWithText { element: element.to_owned(), value: text.to_owned() };
                self.warnings.push(warning, Some(offset));
                Some(value)
            }
            None => {
                self.invalid_number(element, text, offset);
                None
            }
        }
    }

    fn invalid_number(&mut self, element: &str, text: &str, offset: usize) {
        let warning = WarningKind::InvalidNumber { element: element.to_owned(), value: text.to_owned() };
        self.warnings.push(warning, Some(offset));
    }

    fn decimal(&mut self, element: &Element, text: &str) -> Option<f64> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let value = parse_decimal(text);
        if value.is_none() {
            self.invalid_number(&element.name, text, element.offset);
        }
        value
    }

    /// Vote counts, allowing thousands separators ("335,583", "1.234", "1 234").
    fn votes(&mut self, element: &Element) -> Option<i64> {
        let text = text_of(element)?;
        let digits: String = text.chars().filter(|ch| !matches!(ch, ',' | '.' | ' ' | '\u{a0}' | '\'')).collect();
        let value = digits.parse::<i64>().ok();
        if value.is_none() {
            self.invalid_number(&element.name, &text, element.offset);
        }
        value
    }

    fn rating(&mut self, element: &Element) -> Rating {
        let mut rating = Rating {
            name: element.attribute("name").map(str::to_owned),
            max: None,
            default: element.attribute("default").is_some_and(is_true),
            ..Rating::default()
        };
        if let Some(max) = element.attribute("max") {
            rating.max = parse_decimal(max.trim());
            if rating.max.is_none() {
                self.invalid_number(&format!("{}@max", element.name), max, element.offset);
            }
        }
        for child in element.child_elements() {
            match child.name.to_ascii_lowercase().as_str() {
                "value" if rating.value.is_none() => rating.value = self.decimal(child, &child.own_text()),
                "votes" if rating.votes.is_none() => rating.votes = self.votes(child),
                _ => rating.unknown.push(child.to_raw()),
            }
        }
        // The old inline form `<rating name="x">7.5</rating>` has the value as text.
        if rating.value.is_none() && !element.has_child_elements() {
            rating.value = self.decimal(element, &element.own_text());
        }
        rating
    }

    fn file_info(&mut self, element: &Element) -> FileInfo {
        let mut info = FileInfo::default();
        for child in element.child_elements() {
            if child.name.eq_ignore_ascii_case("streamdetails") {
                self.stream_details(child, &mut info.stream_details);
            } else {
                info.unknown.push(child.to_raw());
            }
        }
        info
    }

    fn stream_details(&mut self, element: &Element, details: &mut StreamDetails) {
        for child in element.child_elements() {
            match child.name.to_ascii_lowercase().as_str() {
                "video" => details.video.push(self.video(child)),
                "audio" => details.audio.push(self.audio(child)),
                "subtitle" => details.subtitle.push(subtitle(child)),
                _ => details.unknown.push(child.to_raw()),
            }
        }
    }

    fn video(&mut self, element: &Element) -> VideoStream {
        let mut video = VideoStream::default();
        for child in element.child_elements() {
            match child.name.to_ascii_lowercase().as_str() {
                "codec" => self.scalar(&mut video.codec, child),
                "aspect" => {
                    if video.aspect.is_none() {
                        video.aspect = self.decimal(child, &child.own_text());
                    }
                }
                "width" => self.integer(&mut video.width, child),
                "height" => self.integer(&mut video.height, child),
                "durationinseconds" => self.integer(&mut video.duration_in_seconds, child),
                "stereomode" => self.scalar(&mut video.stereo_mode, child),
                "hdrtype" => self.scalar(&mut video.hdr_type, child),
                _ => video.unknown.push(child.to_raw()),
            }
        }
        video
    }

    fn audio(&mut self, element: &Element) -> AudioStream {
        let mut audio = AudioStream::default();
        for child in element.child_elements() {
            match child.name.to_ascii_lowercase().as_str() {
                "codec" => self.scalar(&mut audio.codec, child),
                "language" => self.scalar(&mut audio.language, child),
                "channels" => self.integer(&mut audio.channels, child),
                _ => audio.unknown.push(child.to_raw()),
            }
        }
        audio
    }

    fn actor(&mut self, element: &Element) -> Actor {
        let mut actor = Actor::default();
        for child in element.child_elements() {
            match child.name.to_ascii_lowercase().as_str() {
                "name" => self.scalar(&mut actor.name, child),
                "role" => self.scalar(&mut actor.role, child),
                "order" => self.integer(&mut actor.order, child),
                "thumb" => self.scalar(&mut actor.thumb, child),
                _ => actor.unknown.push(child.to_raw()),
            }
        }
        actor
    }
}

fn subtitle(element: &Element) -> SubtitleStream {
    let mut subtitle = SubtitleStream::default();
    for child in element.child_elements() {
        if child.name.eq_ignore_ascii_case("language") && subtitle.language.is_none() {
            subtitle.language = text_of(child);
        } else {
            subtitle.unknown.push(child.to_raw());
        }
    }
    subtitle
}

fn thumb(element: &Element) -> Option<Thumb> {
    let url = text_of(element)?;
    let mut thumb = Thumb { url, ..Thumb::default() };
    for attribute in &element.attributes {
        match attribute.name.to_ascii_lowercase().as_str() {
            "aspect" if thumb.aspect.is_none() => thumb.aspect = Some(attribute.value.clone()),
            "preview" if thumb.preview.is_none() => thumb.preview = Some(attribute.value.clone()),
            _ => thumb.attributes.push(attribute.clone()),
        }
    }
    Some(thumb)
}

fn fanart(element: &Element) -> Fanart {
    let mut fanart = Fanart { url: element.attribute("url").map(str::to_owned), ..Fanart::default() };
    for child in element.child_elements() {
        if child.name.eq_ignore_ascii_case("thumb") {
            fanart.thumbs.extend(thumb(child));
        } else {
            fanart.unknown.push(child.to_raw());
        }
    }
    fanart
}

fn unique_id(element: &Element) -> Option<UniqueId> {
    let value = text_of(element)?;
    Some(UniqueId {
        id_type: element.attribute("type").map(|kind| kind.trim().to_owned()).filter(|kind| !kind.is_empty()),
        default: element.attribute("default").is_some_and(is_true),
        value,
    })
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

fn push_text(list: &mut Vec<String>, element: &Element) {
    list.extend(text_of(element));
}

/// The trimmed text directly inside an element, or `None` when it is empty. Text of nested
/// elements does not count, as in Kodi: in `<title>T<plot>P</plot></title>` the title is "T".
fn text_of(element: &Element) -> Option<String> {
    let text = element.own_text();
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

fn is_true(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes")
}

/// Reads a decimal the way NFOs in the wild write it: "6.400000", "7,5" (a decimal comma, as
/// Jellyfin writes in some locales), " 8 ". Returns `None` for anything else, including NaN and
/// infinities, which no rating means.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let text = text.trim();
    let normalised;
    let text = if text.contains(',') && !text.contains('.') {
        normalised = text.replacen(',', ".", 1);
        normalised.as_str()
    } else {
        text
    };
    // Rust's float parser also accepts "inf" and "NaN"; demand a digit so those are refused.
    if !text.bytes().any(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse::<f64>().ok().filter(|value| value.is_finite())
}

/// The leading integer of `text` and whether it was all of it; like C's `atoi`, which Kodi
/// uses, but refusing text with no number at all. A decimal such as "12.0" counts as whole when
/// its fraction is zero.
fn leading_integer(text: &str) -> Option<(i64, bool)> {
    let text = text.trim();
    let digits_start = usize::from(text.starts_with(['+', '-']));
    let digits_len = text.get(digits_start..)?.bytes().take_while(u8::is_ascii_digit).count();
    if digits_len == 0 {
        return None;
    }
    let number = text.get(..digits_start + digits_len)?;
    let value = number.parse::<i64>().ok()?;
    let rest = text.get(digits_start + digits_len..)?;
    let whole = rest.is_empty() || (rest.starts_with('.') && rest.get(1..)?.bytes().all(|byte| byte == b'0'));
    Some((value, whole))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_accept_comma_and_refuse_words() {
        assert_eq!(parse_decimal("7,5"), Some(7.5));
        assert_eq!(parse_decimal(" 6.400000 "), Some(6.4));
        assert_eq!(parse_decimal("8"), Some(8.0));
        assert_eq!(parse_decimal("NaN"), None);
        assert_eq!(parse_decimal("inf"), None);
        assert_eq!(parse_decimal("1,234.5"), None);
        assert_eq!(parse_decimal(""), None);
    }

    #[test]
    fn integers_read_like_atoi() {
        assert_eq!(leading_integer("120"), Some((120, true)));
        assert_eq!(leading_integer("120 min"), Some((120, false)));
        assert_eq!(leading_integer("12.0"), Some((12, true)));
        assert_eq!(leading_integer("12.5"), Some((12, false)));
        assert_eq!(leading_integer("-3"), Some((-3, true)));
        assert_eq!(leading_integer("abc"), None);
        assert_eq!(leading_integer("99999999999999999999999"), None);
    }
}
