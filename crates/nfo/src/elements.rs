//! Readers for the elements every kind of NFO shares (`<thumb>`, `<ratings>`, `<actor>`,
//! `<fileinfo>`, scalars, numbers, …), so movie, show, season and episode NFOs read them alike.
//!
//! Element names match ignoring ASCII case, because other tools write `<tmdbId>` or
//! `<Title>` and Kodi users expect those to count. Text is trimmed; empty elements count as
//! absent. Numbers are read the way Kodi's `atoi` does: the leading number wins and trailing
//! text ("120 min") only earns a warning.

use crate::model::{
    Actor, AudioStream, Fanart, FileInfo, Rating, StreamDetails, SubtitleStream, Thumb, UniqueId, VideoStream,
};
use crate::tree::Element;
use crate::warning::{Collector, WarningKind};

/// Reads elements into model values, warning about what it works around.
pub(crate) struct Mapper<'w> {
    pub(crate) warnings: &'w mut Collector,
}

impl Mapper<'_> {
    /// Sets a compound field (`<fanart>`, `<fileinfo>`) once; later copies only warn, since
    /// Kodi reads the first.
    pub(crate) fn once<T>(&mut self, field: &mut Option<T>, element: &Element, read: impl FnOnce(&mut Self) -> T) {
        if field.is_some() {
            self.duplicate(element);
        } else {
            *field = Some(read(self));
        }
    }

    /// The `<rating>` children of `<ratings>`. Kodi reads only those there; anything else is
    /// dropped, as in Kodi.
    pub(crate) fn ratings(&mut self, element: &Element, ratings: &mut Vec<Rating>) {
        for rating in element.child_elements().filter(|child| child.name.eq_ignore_ascii_case("rating")) {
            ratings.push(self.rating(rating));
        }
    }

    /// Sets a text field once; later copies only warn, since Kodi reads the first.
    pub(crate) fn scalar(&mut self, field: &mut Option<String>, element: &Element) {
        let Some(text) = text_of(element) else { return };
        if field.is_some() {
            self.duplicate(element);
        } else {
            *field = Some(text);
        }
    }

    pub(crate) fn integer(&mut self, field: &mut Option<i64>, element: &Element) {
        let Some(text) = text_of(element) else { return };
        if field.is_some() {
            self.duplicate(element);
            return;
        }
        *field = self.parse_integer(&element.name, &text, element.offset);
    }

    pub(crate) fn duplicate(&mut self, element: &Element) {
        self.warnings.push(WarningKind::DuplicateElement { name: element.name.clone() }, Some(element.offset));
    }

    pub(crate) fn parse_integer(&mut self, element: &str, text: &str, offset: usize) -> Option<i64> {
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

    pub(crate) fn decimal(&mut self, element: &Element, text: &str) -> Option<f64> {
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
    pub(crate) fn votes(&mut self, element: &Element) -> Option<i64> {
        let text = text_of(element)?;
        let digits: String = text.chars().filter(|ch| !matches!(ch, ',' | '.' | ' ' | '\u{a0}' | '\'')).collect();
        let value = digits.parse::<i64>().ok();
        if value.is_none() {
            self.invalid_number(&element.name, &text, element.offset);
        }
        value
    }

    pub(crate) fn rating(&mut self, element: &Element) -> Rating {
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

    pub(crate) fn file_info(&mut self, element: &Element) -> FileInfo {
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

    pub(crate) fn actor(&mut self, element: &Element) -> Actor {
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

/// The legacy top-level `<rating>` and `<votes>` pair, collected while the root's children are
/// read (the `<votes>` may come before its `<rating>`) and added to the ratings at the end.
#[derive(Debug, Default)]
pub(crate) struct LegacyRating {
    rating: Option<Rating>,
    votes: Option<Option<i64>>,
}

impl LegacyRating {
    /// Reads a top-level `<rating>`.
    pub(crate) fn rating(&mut self, mapper: &mut Mapper<'_>, element: &Element) {
        if self.rating.is_some() {
            mapper.duplicate(element);
        } else {
            let value = mapper.decimal(element, &element.own_text());
            self.rating = Some(Rating { value, ..Rating::default() });
        }
    }

    /// Reads a top-level `<votes>`.
    pub(crate) fn votes(&mut self, mapper: &mut Mapper<'_>, element: &Element) {
        if self.votes.is_some() {
            mapper.duplicate(element);
        } else {
            self.votes = Some(mapper.votes(element));
        }
    }

    /// Adds the pair, if either was given, as a rating without a name.
    pub(crate) fn finish(self, ratings: &mut Vec<Rating>) {
        if self.rating.is_some() || self.votes.is_some() {
            let mut rating = self.rating.unwrap_or_default();
            rating.votes = self.votes.flatten();
            // Kodi makes the legacy rating the default one unless `<ratings>` names another.
            rating.default = !ratings.iter().any(|rating| rating.default);
            ratings.push(rating);
        }
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

pub(crate) fn thumb(element: &Element) -> Option<Thumb> {
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

pub(crate) fn fanart(element: &Element) -> Fanart {
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

pub(crate) fn unique_id(element: &Element) -> Option<UniqueId> {
    let value = text_of(element)?;
    Some(UniqueId {
        id_type: element.attribute("type").map(|kind| kind.trim().to_owned()).filter(|kind| !kind.is_empty()),
        default: element.attribute("default").is_some_and(is_true),
        value,
    })
}

pub(crate) fn push_text(list: &mut Vec<String>, element: &Element) {
    list.extend(text_of(element));
}

/// The trimmed text directly inside an element, or `None` when it is empty. Text of nested
/// elements does not count, as in Kodi: in `<title>T<plot>P</plot></title>` the title is "T".
pub(crate) fn text_of(element: &Element) -> Option<String> {
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
