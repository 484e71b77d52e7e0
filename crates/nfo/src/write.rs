//! Writes a [`MovieNfo`] as a Kodi (v20+) movie NFO, putting other tools' elements back.
//!
//! The output is what [`crate::parse`] reads back into the same model, with these
//! normalisations (each one is something the parser could not tell apart anyway, or data that
//! does not belong in a movie NFO's XML):
//!
//! - The root is always `<movie>`, whatever [`MovieNfo::root`] says.
//! - [`MovieNfo::urls`] (URLs found outside the XML) are not written: they are not XML, and
//!   the identities they name belong in `<uniqueid>`, which the caller fills.
//! - `None`, empty lists and blank text (empty or whitespace only) write nothing; the parser
//!   reads an empty element as absent. A `<set>` with nothing in it is not written either.
//!   Text is written as given otherwise, so leading or trailing whitespace is kept in the file
//!   (the parser trims it).
//! - Characters XML 1.0 forbids (C0 controls other than tab and line breaks, U+FFFE, U+FFFF)
//!   are dropped, as the parser drops them. In element text, CRLF and CR become LF, which is
//!   what any XML reader would make of them; in attributes, tab and line breaks are written as
//!   character references so readers do not normalise them to spaces.
//! - Decimals that are not finite (NaN, infinities) are not written; the parser refuses them.
//! - A rating without a name (the legacy top-level `<rating>`/`<votes>` pair) is written
//!   inside `<ratings>` as a `<rating>` without a `name` attribute, which Kodi reads as its
//!   default rating source and the parser reads back as the same entry.
//! - Extra attributes (of `<thumb>` and `<set>`) whose names are not XML names, or repeat a name
//!   already written on the element, are skipped: a duplicate attribute makes the file invalid.
//! - Jellyfin's `<tmdbid>`/`<imdbid>` are written in lower case (both Jellyfin and the parser
//!   match them ignoring case), right after the legacy `<id>`.

use std::borrow::Cow;

use quick_xml::Writer;
use quick_xml::events::attributes::Attribute as XmlAttribute;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};

use crate::model::{
    Actor, Attribute, AudioStream, Fanart, FileInfo, MovieNfo, MovieSet, Rating, RawElement, SubtitleStream, Thumb,
    UniqueId, VideoStream,
};

/// How [`write_movie`], [`crate::write_tvshow`] and [`crate::write_episodes`] write a file
/// beyond the Kodi elements.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Jellyfin's lock elements. `None` leaves any `<lockdata>`/`<lockedfields>` the file
    /// already had (in [`MovieNfo::unknown`], or the TV model's `unknown`) as they were; `Some`
    /// replaces them.
    pub jellyfin_locks: Option<JellyfinLocks>,
}

/// Jellyfin's metadata locks, written as `<lockdata>` and `<lockedfields>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JellyfinLocks {
    /// `<lockdata>true</lockdata>`: Jellyfin must not refresh this item's metadata at all.
    pub lock_data: bool,
    /// Jellyfin's field names ("Name", "Overview", "Genres", …), written pipe-separated in
    /// `<lockedfields>`. The caller maps Metarr's fields to these names. Blank names and names
    /// containing `|` are skipped, since they cannot be written unambiguously; with no names
    /// left, `<lockedfields>` is not written.
    pub locked_fields: Vec<String>,
}

/// Writes `nfo` as a UTF-8 Kodi movie NFO: an XML declaration, a `<movie>` root, two-space
/// indentation, the Kodi v20 element order, then every element of [`MovieNfo::unknown`]
/// unchanged and in order. See the module docs for what is normalised on the way.
pub fn write_movie(nfo: &MovieNfo, options: &WriteOptions) -> String {
    let mut out = Out::new();
    out.start("movie", &[]);

    out.text("title", nfo.title.as_deref());
    out.text("originaltitle", nfo.original_title.as_deref());
    out.text("sorttitle", nfo.sort_title.as_deref());
    write_ratings(&mut out, &nfo.ratings);
    out.integer("userrating", nfo.user_rating);
    out.integer("top250", nfo.top250);
    out.text("outline", nfo.outline.as_deref());
    out.text("plot", nfo.plot.as_deref());
    out.text("tagline", nfo.tagline.as_deref());
    out.integer("runtime", nfo.runtime);
    for thumb in &nfo.thumbs {
        write_thumb(&mut out, thumb);
    }
    if let Some(fanart) = &nfo.fanart {
        write_fanart(&mut out, fanart);
    }
    out.text("mpaa", nfo.mpaa.as_deref());
    out.integer("playcount", nfo.play_count);
    out.text("lastplayed", nfo.last_played.as_deref());
    out.text("id", nfo.legacy_id.as_deref());
    out.text("imdbid", nfo.imdb_id_element.as_deref());
    out.text("tmdbid", nfo.tmdb_id_element.as_deref());
    for unique_id in &nfo.unique_ids {
        write_unique_id(&mut out, unique_id);
    }
    out.texts("genre", &nfo.genres);
    out.texts("country", &nfo.countries);
    if let Some(set) = &nfo.set {
        write_set(&mut out, set);
    }
    out.texts("tag", &nfo.tags);
    out.texts("credits", &nfo.credits);
    out.texts("director", &nfo.directors);
    out.text("premiered", nfo.premiered.as_deref());
    out.integer("year", nfo.year);
    out.text("status", nfo.status.as_deref());
    out.texts("studio", &nfo.studios);
    out.text("trailer", nfo.trailer.as_deref());
    if let Some(file_info) = &nfo.file_info {
        write_file_info(&mut out, file_info);
    }
    for actor in &nfo.actors {
        write_actor(&mut out, actor);
    }
    out.text("dateadded", nfo.date_added.as_deref());

    write_locks_and_unknown(&mut out, options, &nfo.unknown);

    out.end("movie");
    out.finish()
}

/// Jellyfin's locks when `options` has them, then the elements kept from the input, in order.
pub(crate) fn write_locks_and_unknown(out: &mut Out, options: &WriteOptions, unknown: &[RawElement]) {
    if let Some(locks) = &options.jellyfin_locks {
        out.text("lockdata", Some(if locks.lock_data { "true" } else { "false" }));
        let fields: Vec<&str> = locks
            .locked_fields
            .iter()
            .map(|field| field.trim())
            .filter(|field| !field.is_empty() && !field.contains('|'))
            .collect();
        if !fields.is_empty() {
            out.text("lockedfields", Some(&fields.join("|")));
        }
    }
    for element in unknown {
        // With locks given, the caller's values replace the file's, so the old ones must not
        // be written a second time (Jellyfin would read the first).
        let is_lock = ["lockdata", "lockedfields"].iter().any(|name| element.name.eq_ignore_ascii_case(name));
        if options.jellyfin_locks.is_some() && is_lock {
            continue;
        }
        out.raw(element);
    }
}

/// `<ratings>` with one `<rating>` each, or nothing for none.
pub(crate) fn write_ratings(out: &mut Out, ratings: &[Rating]) {
    if !ratings.is_empty() {
        out.start("ratings", &[]);
        for rating in ratings {
            write_rating(out, rating);
        }
        out.end("ratings");
    }
}

fn write_rating(out: &mut Out, rating: &Rating) {
    let max = rating.max.and_then(decimal);
    let mut attributes = Vec::new();
    if let Some(name) = &rating.name {
        attributes.push(("name", name.as_str()));
    }
    if let Some(max) = &max {
        attributes.push(("max", max.as_str()));
    }
    if rating.default {
        attributes.push(("default", "true"));
    }
    let value = rating.value.and_then(decimal);
    if value.is_none() && rating.votes.is_none() && rating.unknown.is_empty() {
        out.empty("rating", &attributes);
        return;
    }
    out.start("rating", &attributes);
    out.text("value", value.as_deref());
    out.integer("votes", rating.votes);
    out.raws(&rating.unknown);
    out.end("rating");
}

pub(crate) fn write_thumb(out: &mut Out, thumb: &Thumb) {
    if is_blank(&thumb.url) {
        return;
    }
    let mut attributes = Vec::new();
    if let Some(aspect) = &thumb.aspect {
        attributes.push(("aspect", aspect.as_str()));
    }
    if let Some(preview) = &thumb.preview {
        attributes.push(("preview", preview.as_str()));
    }
    push_extra_attributes(&mut attributes, &thumb.attributes);
    out.text_with("thumb", &attributes, &thumb.url);
}

pub(crate) fn write_fanart(out: &mut Out, fanart: &Fanart) {
    let attributes: Vec<(&str, &str)> = fanart.url.as_deref().map(|url| ("url", url)).into_iter().collect();
    let has_thumbs = fanart.thumbs.iter().any(|thumb| !is_blank(&thumb.url));
    if !has_thumbs && fanart.unknown.is_empty() {
        // Written even when empty: the parser reads `<fanart/>` as a present, empty fanart.
        out.empty("fanart", &attributes);
        return;
    }
    out.start("fanart", &attributes);
    for thumb in &fanart.thumbs {
        write_thumb(out, thumb);
    }
    out.raws(&fanart.unknown);
    out.end("fanart");
}

pub(crate) fn write_unique_id(out: &mut Out, unique_id: &UniqueId) {
    let mut attributes = Vec::new();
    if let Some(id_type) = &unique_id.id_type {
        attributes.push(("type", id_type.as_str()));
    }
    if unique_id.default {
        attributes.push(("default", "true"));
    }
    if !is_blank(&unique_id.value) {
        out.text_with("uniqueid", &attributes, &unique_id.value);
    }
}

fn write_set(out: &mut Out, set: &MovieSet) {
    let name = set.name.as_deref().filter(|name| !is_blank(name));
    let overview = set.overview.as_deref().filter(|overview| !is_blank(overview));
    let mut attributes = Vec::new();
    push_extra_attributes(&mut attributes, &set.attributes);
    if name.is_none() && overview.is_none() && set.unknown.is_empty() {
        if !attributes.is_empty() {
            out.empty("set", &attributes);
        }
        return;
    }
    // Always the v17+ form with `<name>`: the old `<set>text</set>` cannot carry an overview.
    out.start("set", &attributes);
    out.text("name", name);
    out.text("overview", overview);
    out.raws(&set.unknown);
    out.end("set");
}

pub(crate) fn write_file_info(out: &mut Out, file_info: &FileInfo) {
    let details = &file_info.stream_details;
    out.start("fileinfo", &[]);
    if details.video.is_empty() && details.audio.is_empty() && details.subtitle.is_empty() && details.unknown.is_empty()
    {
        out.empty("streamdetails", &[]);
    } else {
        out.start("streamdetails", &[]);
        for video in &details.video {
            write_video(out, video);
        }
        for audio in &details.audio {
            write_audio(out, audio);
        }
        for subtitle in &details.subtitle {
            write_subtitle(out, subtitle);
        }
        out.raws(&details.unknown);
        out.end("streamdetails");
    }
    out.raws(&file_info.unknown);
    out.end("fileinfo");
}

fn write_video(out: &mut Out, video: &VideoStream) {
    out.start("video", &[]);
    out.text("codec", video.codec.as_deref());
    out.text("aspect", video.aspect.and_then(decimal).as_deref());
    out.integer("width", video.width);
    out.integer("height", video.height);
    out.integer("durationinseconds", video.duration_in_seconds);
    out.text("stereomode", video.stereo_mode.as_deref());
    out.text("hdrtype", video.hdr_type.as_deref());
    out.raws(&video.unknown);
    out.end("video");
}

fn write_audio(out: &mut Out, audio: &AudioStream) {
    out.start("audio", &[]);
    out.text("codec", audio.codec.as_deref());
    out.text("language", audio.language.as_deref());
    out.integer("channels", audio.channels);
    out.raws(&audio.unknown);
    out.end("audio");
}

fn write_subtitle(out: &mut Out, subtitle: &SubtitleStream) {
    out.start("subtitle", &[]);
    out.text("language", subtitle.language.as_deref());
    out.raws(&subtitle.unknown);
    out.end("subtitle");
}

pub(crate) fn write_actor(out: &mut Out, actor: &Actor) {
    out.start("actor", &[]);
    out.text("name", actor.name.as_deref());
    out.text("role", actor.role.as_deref());
    out.integer("order", actor.order);
    // Written as given: the app only passes provider URLs here, never local paths.
    out.text("thumb", actor.thumb.as_deref());
    out.raws(&actor.unknown);
    out.end("actor");
}

/// Appends `extra` to `attributes`, skipping names that are not XML names or are already there.
fn push_extra_attributes<'a>(attributes: &mut Vec<(&'a str, &'a str)>, extra: &'a [Attribute]) {
    for attribute in extra {
        let name = attribute.name.as_str();
        if is_xml_name(name) && !attributes.iter().any(|(written, _)| *written == name) {
            attributes.push((name, attribute.value.as_str()));
        }
    }
}

/// A decimal as the shortest text that reads back as the same `f64` ("6.4", "10"); `None` for
/// NaN and infinities, which no reader accepts.
fn decimal(value: f64) -> Option<String> {
    value.is_finite().then(|| value.to_string())
}

pub(crate) fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// Whether XML 1.0 forbids `ch` anywhere in a document. Surrogates cannot occur in a `str`.
pub(crate) fn is_forbidden(ch: char) -> bool {
    crate::is_forbidden_control(ch) || matches!(ch, '\u{fffe}' | '\u{ffff}')
}

/// A loose check for an XML name: a letter, `_`, `:` or non-ASCII character first, then those,
/// digits, `-` and `.`. Loose on non-ASCII on purpose: it only has to keep markup intact.
fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else { return false };
    let starts = |ch: char| ch.is_alphabetic() || matches!(ch, '_' | ':') || !ch.is_ascii();
    starts(first) && chars.all(|ch| starts(ch) || ch.is_ascii_digit() || matches!(ch, '-' | '.'))
}

/// Element text, escaped: forbidden characters dropped, line ends made LF, `&`, `<` and `>`
/// escaped (`>` too, so a `]]>` in a plot cannot end anything).
fn escape_text(text: &str) -> String {
    let cleaned: Cow<'_, str> = if text.contains(|ch: char| is_forbidden(ch) || ch == '\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n").replace(is_forbidden, ""))
    } else {
        Cow::Borrowed(text)
    };
    quick_xml::escape::partial_escape(cleaned).into_owned()
}

/// An attribute value, escaped: forbidden characters dropped, `&<>"'` escaped, and tab and line
/// breaks as character references, because readers replace raw ones by spaces.
fn escape_attribute(value: &str) -> String {
    let cleaned: String = value.chars().filter(|ch| !is_forbidden(*ch)).collect();
    let escaped = quick_xml::escape::escape(cleaned.as_str());
    let mut out = String::with_capacity(escaped.len());
    for ch in escaped.chars() {
        match ch {
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            _ => out.push(ch),
        }
    }
    out
}

/// quick-xml's indenting writer over a `Vec<u8>`, with the few shapes an NFO needs.
pub(crate) struct Out {
    writer: Writer<Vec<u8>>,
}

/// Writing to a `Vec<u8>` only fails when allocation does, which aborts instead.
const VEC_WRITE: &str = "writing to a Vec<u8> cannot fail";

impl Out {
    pub(crate) fn new() -> Self {
        // Written by hand: Kodi writes a space before `?>` and quick-xml's `BytesDecl` does not.
        let mut buffer = Vec::with_capacity(4096);
        buffer.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\" ?>\n");
        Self { writer: Writer::new_with_indent(buffer, b' ', 2) }
    }

    pub(crate) fn finish(self) -> String {
        let mut buffer = self.writer.into_inner();
        buffer.push(b'\n');
        String::from_utf8(buffer).expect("only UTF-8 text and ASCII markup are written")
    }

    fn event(&mut self, event: Event<'_>) {
        self.writer.write_event(event).expect(VEC_WRITE);
    }

    fn tag<'a>(name: &'a str, attributes: &[(&str, &str)]) -> BytesStart<'a> {
        let mut start = BytesStart::new(name);
        for (key, value) in attributes {
            let escaped = escape_attribute(value);
            // From raw bytes: the value is escaped above, including what quick-xml would miss.
            start.push_attribute(XmlAttribute::from((key.as_bytes(), escaped.as_bytes())));
        }
        start
    }

    pub(crate) fn start(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.event(Event::Start(Self::tag(name, attributes)));
    }

    pub(crate) fn end(&mut self, name: &str) {
        self.event(Event::End(BytesEnd::new(name)));
    }

    pub(crate) fn empty(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.event(Event::Empty(Self::tag(name, attributes)));
    }

    /// `<name attributes>text</name>`; the caller has checked `text` is not blank.
    pub(crate) fn text_with(&mut self, name: &str, attributes: &[(&str, &str)], text: &str) {
        self.start(name, attributes);
        self.event(Event::Text(BytesText::from_escaped(escape_text(text))));
        self.end(name);
    }

    /// `<name>text</name>`, or nothing for `None` and blank text.
    pub(crate) fn text(&mut self, name: &str, text: Option<&str>) {
        if let Some(text) = text.filter(|text| !is_blank(text)) {
            self.text_with(name, &[], text);
        }
    }

    pub(crate) fn texts(&mut self, name: &str, texts: &[String]) {
        for text in texts {
            self.text(name, Some(text));
        }
    }

    pub(crate) fn integer(&mut self, name: &str, value: Option<i64>) {
        if let Some(value) = value {
            self.text_with(name, &[], &value.to_string());
        }
    }

    /// An element kept from the input, on its own line, serialised by [`RawElement::to_xml`].
    pub(crate) fn raw(&mut self, element: &RawElement) {
        self.writer.write_indent().expect(VEC_WRITE);
        self.writer.get_mut().extend_from_slice(element.to_xml().as_bytes());
    }

    pub(crate) fn raws(&mut self, elements: &[RawElement]) {
        for element in elements {
            self.raw(element);
        }
    }
}
