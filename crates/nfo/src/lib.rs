//! Kodi movie NFO model, lenient parser and writer.
//!
//! [`parse`] turns the bytes of a `.nfo` file into a [`MovieNfo`], the [`NfoWarning`]s met on
//! the way and the [`NfoKind`] of file it was. It never fails and never panics: NFOs are
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
//!   recorded in [`MovieNfo::root`].
//! - **URLs.** Text outside the root is searched for URLs: a file with no XML root but URLs is
//!   [`NfoKind::UrlOnly`], XML followed (or preceded) by URLs is [`NfoKind::XmlWithUrls`].
//!   TMDB movie and IMDb title URLs are recognised ([`FoundUrl::id`]).
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
//! Identity helpers [`MovieNfo::tmdb_id`] and [`MovieNfo::imdb_id`] resolve ids from
//! `<uniqueid>`, the legacy `<id>`, `<tmdbid>`/`<imdbid>` and URLs; their module documents the
//! order.

#![warn(missing_docs)]

mod decode;
mod identity;
mod links;
mod model;
mod movie;
mod tree;
mod warning;
mod write;

pub use links::{external_id, is_imdb_id};
pub use model::{
    Actor, Attribute, AudioStream, ExternalId, Fanart, FileInfo, FoundUrl, MovieNfo, MovieSet, NfoRoot, Rating,
    RawElement, RawNode, StreamDetails, SubtitleStream, Thumb, UniqueId, VideoStream,
};
pub use movie::parse_decimal;
pub use warning::{NfoWarning, Position, WarningKind};
pub use write::{JellyfinLocks, WriteOptions, write_movie};

use warning::Collector;

/// The most bytes [`parse`] reads; the largest real NFOs are well under 1 MiB.
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
    use std::io::Read as _;
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_INPUT_BYTES).unwrap_or(u64::MAX).saturating_add(1);
    reader.take(limit).read_to_end(&mut bytes)?;
    Ok(parse(&bytes))
}

/// Parses the bytes of an NFO file. Never fails: see the crate docs for what it tolerates.
pub fn parse(bytes: &[u8]) -> Parsed {
    let mut warnings = Collector::default();
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
    let text = drop_forbidden_controls(decoded.text, &mut warnings);
    let text = text.as_str();

    let (mut nfo, outside_text) = if text.contains('<') {
        let document = tree::build(text, &mut warnings);
        let nfo = document.root.as_ref().map(|root| movie::map_root(root, &mut warnings)).unwrap_or_default();
        (nfo, document.outside_text)
    } else {
        (MovieNfo::default(), vec![(text.to_owned(), 0)])
    };

    let mut stray_at = None;
    for (chunk, offset) in &outside_text {
        let (urls, stray) = links::find_urls(chunk);
        nfo.urls.extend(urls);
        if stray && stray_at.is_none() {
            stray_at = Some(*offset);
        }
    }

    let has_root = nfo.root.is_some();
    let has_urls = !nfo.urls.is_empty();
    let kind = match (has_root, has_urls) {
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

    Parsed { nfo, warnings: warnings.finish(text, decoded.bias), kind }
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
