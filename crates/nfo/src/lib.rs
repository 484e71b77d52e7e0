//! Kodi movie and TV NFO models, lenient parsers and writers.
//!
//! [`parse`] turns the bytes of a `.nfo` file into a [`MovieNfo`], the [`NfoWarning`]s met on
//! the way and the [`NfoKind`] of file it was; [`parse_tv`] does the same for show, season and
//! episode NFOs ([`TvNfo`]). It never fails and never panics: NFOs are
//! written by many tools and by hand, and a scan must learn what it can from each one.
//! This crate does no IO; the caller reads the file (off the async executor) and passes bytes.
//!
//! # Leniency rules
//!
//! - **Encoding.** A UTF-8 or UTF-16 byte-order mark wins; UTF-16 without one is recognised by
//!   its zero bytes; otherwise the encoding declared in the `<?xml … encoding="…"?>` prolog is
//!   used (any label `encoding_rs` knows, e.g. ISO-8859-1, windows-1252); otherwise UTF-8.
//!   Undeclared bytes that are not UTF-8 and contain no UTF-8 sequence at all are read as
//!   windows-1252 (Windows "ANSI"); otherwise bad bytes become U+FFFD. Each case warns.
//! - **Line ends.** CRLF and CR become LF in text, as XML prescribes.
//! - **Control characters.** NUL and the other C0 controls XML 1.0 forbids (all but tab and
//!   line breaks) are dropped with one warning when raw; as character references (`&#0;`,
//!   `&#1;`) they become U+FFFD with a warning: no real NFO holds them, and a database cannot
//!   store NUL.
//! - **Entities.** The five XML entities and character references are resolved. Unknown
//!   entities (`&nbsp;`) and bare `&` stay as literal text. DOCTYPE entity declarations are
//!   ignored, so nothing is ever expanded recursively.
//! - **Broken markup.** A syntax error is a warning; reading restarts just after the bad `<`.
//!   An end tag closes every element opened after its match; an end tag matching nothing is
//!   ignored; at the end of the input all open elements are closed (a truncated file keeps what
//!   it had). A tag whose name cannot be a name (`a <3 b`) is text.
//! - **Roots.** The first root element is the NFO; later roots (two `<movie>`s, the repeated
//!   `<episodedetails>` of a multi-episode file) are skipped with a warning. A root other than
//!   `<movie>` is read into the same model with a [`WarningKind::NotAMovie`] warning and is
//!   recorded in [`MovieNfo::root`]. [`parse_tv`] reads every `<episodedetails>` root of a
//!   multi-episode file, without a warning; other later roots are skipped as for movies.
//! - **URLs.** Text outside the root is searched for URLs: a file with no XML root but URLs is
//!   [`NfoKind::UrlOnly`], XML followed (or preceded) by URLs is [`NfoKind::XmlWithUrls`].
//!   TMDB movie and IMDb title URLs are recognised ([`FoundUrl::id`]); for TV also TVDB series
//!   and TMDB show URLs ([`external_id`]).
//! - **Elements.** Names match ignoring ASCII case. A field takes the text directly inside its
//!   element (as Kodi does), trimmed; an empty element counts as absent. A scalar given twice keeps its first value, as Kodi does. Integers are read like
//!   Kodi's `atoi` (leading number; "120 min" is 120 with a warning); decimals accept a comma
//!   ("7,5"). Every element the model does not know is kept in order, with its attributes and
//!   children, in [`MovieNfo::unknown`] (or the `unknown` of the compound element holding it),
//!   so a writer can preserve other tools' data.
//! - **Limits.** At most [`MAX_INPUT_BYTES`] bytes are read, elements nest at most 64 deep,
//!   200,000 elements and 10,000 syntax errors are read at most, and at most 200 warnings are
//!   kept; reaching a limit is a warning, and what was read so far is kept.
//!
//! # Writing
//!
//! [`write_movie`] writes a [`MovieNfo`] back as a UTF-8 Kodi (v20+) movie NFO: a `<movie>`
//! root in Kodi's element order, then every element of [`MovieNfo::unknown`] unchanged, so
//! other tools' data survives a rewrite. [`WriteOptions::jellyfin_locks`] adds Jellyfin's
//! `<lockdata>`/`<lockedfields>`. Parsing the output gives the same model back, apart from
//! what the `write` module documents it normalises (the root, URLs outside the XML, blank
//! text, characters XML forbids). Like parsing, writing does no IO: it returns a `String`.
//!
//! [`write_tvshow`], [`write_season`] and [`write_episodes`] do the same for TV NFOs; several
//! episodes go into one file as consecutive `<episodedetails>` roots, as Kodi reads them.
//!
//! Identity helpers [`MovieNfo::tmdb_id`] and [`MovieNfo::imdb_id`] resolve ids from
//! `<uniqueid>`, the legacy `<id>`, `<tmdbid>`/`<imdbid>` and URLs; [`TvShowNfo::tvdb_id`],
//! [`EpisodeNfo::tvdb_id`] and their TMDB and IMDb siblings do the same for TV, adding
//! `<tvdbid>` and `<imdb_id>`. Their module documents the order.

#![warn(missing_docs)]

mod decode;
mod elements;
mod identity;
mod links;
mod model;
mod movie;
mod tree;
mod tv;
mod warning;
mod write;
mod write_tv;

pub use elements::parse_decimal;
pub use links::{external_id, is_imdb_id};
pub use model::{
    Actor, Attribute, AudioStream, ExternalId, Fanart, FileInfo, FoundUrl, MovieNfo, MovieSet, NfoRoot, Rating,
    RawElement, RawNode, StreamDetails, SubtitleStream, Thumb, UniqueId, VideoStream,
};
pub use tv::{EpisodeNfo, NamedSeason, SeasonNfo, TvNfo, TvShowNfo};
pub use warning::{NfoWarning, Position, WarningKind};
pub use write::{JellyfinLocks, WriteOptions, write_movie};
pub use write_tv::{write_episodes, write_season, write_tvshow};

use warning::Collector;

/// The most bytes [`parse`] and [`parse_tv`] read; the largest real NFOs are well under 1 MiB.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// What kind of NFO a file turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum NfoKind {
    /// An XML document with a root element and no URLs outside it.
    Xml,
    /// No XML root element, but one or more URLs ("parsing NFO").
    UrlOnly,
    /// An XML document and URLs outside its root (usually a URL line after it).
    XmlWithUrls,
    /// Nothing usable: an empty file, whitespace, or unrecognisable content (with a warning).
    Empty,
}

/// The result of [`parse`].
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Parsed {
    /// Everything that could be read.
    pub nfo: MovieNfo,
    /// What the parser worked around, in the order met.
    pub warnings: Vec<NfoWarning>,
    /// What kind of file it was.
    pub kind: NfoKind,
}

impl Parsed {
    /// Whether the file is a movie NFO: a `<movie>` root, or URLs only.
    pub fn is_movie(&self) -> bool {
        match self.kind {
            NfoKind::Xml | NfoKind::XmlWithUrls => self.nfo.root == Some(NfoRoot::Movie),
            NfoKind::UrlOnly => true,
            NfoKind::Empty => false,
        }
    }
}

/// Reads an NFO from `reader` (at most [`MAX_INPUT_BYTES`], plus one byte to notice a larger
/// input) and parses it. Only reading can fail; parsing never does.
pub fn parse_reader(reader: impl std::io::Read) -> std::io::Result<Parsed> {
    Ok(parse(&read_limited(reader)?))
}

/// Parses the bytes of an NFO file. Never fails: see the crate docs for what it tolerates.
pub fn parse(bytes: &[u8]) -> Parsed {
    let mut warnings = Collector::default();
    let input = Input::decode(bytes, &mut warnings);
    let text = input.text.as_str();

    let (mut nfo, outside_text) = if text.contains('<') {
        let document = tree::build(text, &mut warnings);
        let nfo = document.root.as_ref().map(|root| movie::map_root(root, &mut warnings)).unwrap_or_default();
        (nfo, document.outside_text)
    } else {
        (MovieNfo::default(), vec![(text.to_owned(), 0)])
    };
    let (mut urls, kind) = classify(text, &outside_text, nfo.root.is_some(), &mut warnings);
    for url in &mut urls {
        // A movie NFO's URLs name movies; a TV show's URL in one names nothing a movie could be.
        if matches!(url.id, Some(ExternalId::Tvdb(_) | ExternalId::TmdbTv(_))) {
            url.id = None;
        }
    }
    nfo.urls = urls;

    Parsed { nfo, warnings: warnings.finish(text, input.bias), kind }
}

/// The result of [`parse_tv`].
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ParsedTv {
    /// Everything that could be read, by root element.
    pub nfo: TvNfo,
    /// What kind of file it was. A URL-only file has no root, so [`ParsedTv::nfo`] is
    /// [`TvNfo::Other`]; a caller that knows it read a `tvshow.nfo` resolves its ids with
    /// `TvShowNfo { urls, ..TvShowNfo::default() }`.
    pub kind: NfoKind,
    /// What the parser worked around, in the order met.
    pub warnings: Vec<NfoWarning>,
    /// URLs found outside the XML, in order (also in [`TvShowNfo::urls`] for a show).
    pub urls: Vec<FoundUrl>,
}

/// Reads a TV NFO from `reader` (at most [`MAX_INPUT_BYTES`], plus one byte to notice a larger
/// input) and parses it with [`parse_tv`]. Only reading can fail; parsing never does.
pub fn parse_tv_reader(reader: impl std::io::Read) -> std::io::Result<ParsedTv> {
    Ok(parse_tv(&read_limited(reader)?))
}

/// Parses the bytes of a TV NFO: a show (`<tvshow>`), a season (`<season>`) or an episode file
/// (every `<episodedetails>` root of a multi-episode file), decided by the first root element's
/// name, ignoring ASCII case. Never fails; the leniency is the crate's, except that repeated
/// `<episodedetails>` roots are all read. Any other root gives [`TvNfo::Other`] with a
/// [`WarningKind::NotTv`] warning.
pub fn parse_tv(bytes: &[u8]) -> ParsedTv {
    let mut warnings = Collector::default();
    let input = Input::decode(bytes, &mut warnings);
    let text = input.text.as_str();

    let (mut nfo, has_root, outside_text) = if text.contains('<') {
        let document = tree::build_repeating(text, &mut warnings, Some("episodedetails"));
        let nfo = match &document.root {
            Some(root) => tv::map_document(root, &document.later_roots, &mut warnings),
            None => TvNfo::Other,
        };
        (nfo, document.root.is_some(), document.outside_text)
    } else {
        (TvNfo::Other, false, vec![(text.to_owned(), 0)])
    };
    let (urls, kind) = classify(text, &outside_text, has_root, &mut warnings);
    if let TvNfo::Show(show) = &mut nfo {
        show.urls = urls.clone();
    }

    ParsedTv { nfo, kind, warnings: warnings.finish(text, input.bias), urls }
}

/// Reads at most [`MAX_INPUT_BYTES`] plus one byte, so the parser notices a larger input.
fn read_limited(reader: impl std::io::Read) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_INPUT_BYTES).unwrap_or(u64::MAX).saturating_add(1);
    reader.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The input as text: cut to [`MAX_INPUT_BYTES`], decoded, and without the control characters
/// XML forbids. Movie and TV parsing start alike.
struct Input {
    text: String,
    /// What to add to offsets in `text` to get file offsets (a stripped BOM).
    bias: usize,
}

impl Input {
    fn decode(bytes: &[u8], warnings: &mut Collector) -> Self {
        let bytes = match bytes.get(..MAX_INPUT_BYTES) {
            Some(head) if bytes.len() > MAX_INPUT_BYTES => {
                warnings.push(WarningKind::InputTooLarge { limit: MAX_INPUT_BYTES }, None);
                head
            }
            _ => bytes,
        };
        let decoded = decode::decode(bytes);
        for warning in decoded.warnings {
            warnings.push(warning, None);
        }
        Self { text: drop_forbidden_controls(decoded.text, warnings), bias: decoded.bias }
    }
}

/// Finds the URLs in the text outside the root and decides what kind of file it was, warning
/// about stray text (or, with no root and no URL, about the lack of content).
fn classify(
    text: &str,
    outside_text: &[(String, usize)],
    has_root: bool,
    warnings: &mut Collector,
) -> (Vec<FoundUrl>, NfoKind) {
    let mut urls = Vec::new();
    let mut stray_at = None;
    for (chunk, offset) in outside_text {
        let (found, stray) = links::find_urls(chunk);
        urls.extend(found);
        if stray && stray_at.is_none() {
            stray_at = Some(*offset);
        }
    }
    let kind = match (has_root, !urls.is_empty()) {
        (true, false) => NfoKind::Xml,
        (true, true) => NfoKind::XmlWithUrls,
        (false, true) => NfoKind::UrlOnly,
        (false, false) => NfoKind::Empty,
    };
    if kind == NfoKind::Empty {
        if !text.trim().is_empty() {
            warnings.push(WarningKind::NoContent, None);
        }
    } else if let Some(offset) = stray_at {
        warnings.push(WarningKind::StrayText, Some(first_non_space(text, offset)));
    }
    (urls, kind)
}

/// Whether XML 1.0 forbids `ch` as a raw character in a document: the C0 controls other than
/// tab, line feed and carriage return (U+0000 among them). Character references to them are
/// refused the same way in `tree`.
pub(crate) fn is_forbidden_control(ch: char) -> bool {
    ch.is_ascii_control() && !matches!(ch, '\t' | '\n' | '\r') && ch != '\u{7f}'
}

/// Drops the control characters XML forbids, with one warning at the first one.
fn drop_forbidden_controls(text: String, warnings: &mut Collector) -> String {
    let Some(first_at) = text.find(is_forbidden_control) else {
        return text;
    };
    let first = text[first_at..].chars().next().map_or(0, u32::from);
    let count = text.chars().filter(|ch| is_forbidden_control(*ch)).count();
    warnings.push(WarningKind::ControlCharacters { count, first }, Some(first_at));
    text.replace(is_forbidden_control, "")
}

/// The offset of the first non-whitespace character at or after `offset`, so a warning about
/// stray text points at the text rather than the line break before it.
fn first_non_space(text: &str, offset: usize) -> usize {
    text.get(offset..).and_then(|rest| rest.find(|ch: char| !ch.is_whitespace())).map_or(offset, |skip| offset + skip)
}
