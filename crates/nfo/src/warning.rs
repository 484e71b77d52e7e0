//! Warnings: what the lenient parser noticed and worked around.
//!
//! A warning never means the result is unusable; it tells the user (and the scan report) which
//! part of the file was guessed, dropped or cut, and where.

use std::fmt;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Something the parser noticed and worked around, with where it happened when known.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct NfoWarning {
    /// What happened.
    pub kind: WarningKind,
    /// Where, when the warning is tied to a place in the input.
    pub position: Option<Position>,
}

impl fmt::Display for NfoWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.position {
            Some(position) => write!(f, "{position}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

/// A place in the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// Byte offset. For UTF-8 files (the usual case) this is the offset in the file itself,
    /// BOM included; for files in another encoding it is the offset in the decoded UTF-8 text.
    pub offset: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// The kinds of warning.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[non_exhaustive]
pub enum WarningKind {
    /// The prolog names an encoding `encoding_rs` does not know; the bytes were read as UTF-8.
    #[error("unknown encoding {label:?} declared; read as UTF-8")]
    UnknownEncoding {
        /// The declared label.
        label: String,
    },
    /// Some bytes are invalid in the encoding used and were replaced by U+FFFD.
    #[error("bytes invalid in {encoding} were replaced")]
    InvalidBytes {
        /// The encoding used.
        encoding: String,
    },
    /// The bytes are not UTF-8 (whether or not the prolog claims so), no other encoding was
    /// declared, and nothing in them looked like UTF-8, so they were read as windows-1252 (what
    /// Windows editors save as "ANSI").
    #[error("not UTF-8 and no UTF-8 sequence found; read as windows-1252")]
    AssumedWindows1252,
    /// The input was larger than the parser reads; the rest was ignored.
    #[error("input larger than {limit} bytes; the rest was ignored")]
    InputTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Markup that is not well-formed XML; the parser skipped past it and went on.
    #[error("malformed XML ({message}); skipped")]
    Malformed {
        /// What the XML reader said.
        message: String,
    },
    /// The input ended inside elements, which were closed as if the file had continued.
    #[error("input ended inside <{open}>; read what was there")]
    Truncated {
        /// The open elements, outermost first, joined by `>`.
        open: String,
    },
    /// An end tag closed elements that were still open.
    #[error("</{closed_by}> closed <{name}>, which was still open")]
    ImplicitlyClosed {
        /// The element that was still open.
        name: String,
        /// The end tag that closed it.
        closed_by: String,
    },
    /// An end tag that matches no open element; ignored.
    #[error("</{name}> matches no open element; ignored")]
    UnmatchedEnd {
        /// The end tag's name.
        name: String,
    },
    /// A tag whose name cannot be an XML name (as in `a <3 b`); kept as text.
    #[error("invalid element name {name:?}; kept as text")]
    InvalidElementName {
        /// The name as written.
        name: String,
    },
    /// An entity other than the five XML ones (e.g. `&nbsp;`); kept literally.
    #[error("unknown entity &{name}; kept as text")]
    UnknownEntity {
        /// The entity name.
        name: String,
    },
    /// A character reference that names no character; replaced by U+FFFD.
    #[error("invalid character reference &{reference}; replaced")]
    InvalidCharRef {
        /// The reference without `&` and `;`.
        reference: String,
    },
    /// Elements nested deeper than the parser follows; the deeper part was dropped.
    #[error("elements nested deeper than {limit}; deeper content dropped")]
    DepthLimit {
        /// The depth limit.
        limit: usize,
    },
    /// More elements than the parser reads; the rest of the input was ignored.
    #[error("more than {limit} elements; the rest was ignored")]
    ElementLimit {
        /// The element limit.
        limit: usize,
    },
    /// So many syntax errors that the parser gave up on the rest of the input.
    #[error("more than {limit} syntax errors; the rest was ignored")]
    ErrorLimit {
        /// The limit on syntax errors.
        limit: usize,
    },
    /// Broken markup made the parser re-read the input too often; the rest was ignored.
    #[error("too much broken markup to re-read; the rest was ignored")]
    RescanLimit,
    /// A second root element (two `<movie>` roots, a multi-episode NFO read as a movie, an
    /// `<episodedetails>` after a `<tvshow>`); the first one wins.
    #[error("extra root element <{name}> ignored; the first root wins")]
    ExtraRoot {
        /// The extra root's name.
        name: String,
    },
    /// The root is not `<movie>`; what fits the movie model was still read.
    #[error("root element <{root}> is not <movie>")]
    NotAMovie {
        /// The root's name.
        root: String,
    },
    /// [`crate::parse_tv`] met a root other than `<tvshow>`, `<season>` and `<episodedetails>`;
    /// nothing was read from it.
    #[error("root element <{root}> is not <tvshow>, <season> or <episodedetails>")]
    NotTv {
        /// The root's name.
        root: String,
    },
    /// Text outside the root element that is not a URL.
    #[error("text outside the root element ignored")]
    StrayText,
    /// A scalar element given twice; the first value wins, as in Kodi.
    #[error("<{name}> given more than once; the first value wins")]
    DuplicateElement {
        /// The element name.
        name: String,
    },
    /// A number that could not be read; the field stays empty.
    #[error("<{element}> value {value:?} is not a number; ignored")]
    InvalidNumber {
        /// The element (or `element@attribute`).
        element: String,
        /// The text as written.
        value: String,
    },
    /// A number followed by other text ("120 min"); the leading number was kept, as Kodi does.
    #[error("<{element}> value {value:?} has text after the number; kept the number")]
    NumberWithText {
        /// The element.
        element: String,
        /// The text as written.
        value: String,
    },
    /// Control characters XML 1.0 forbids (NUL and the other C0 characters except tab and
    /// line breaks) were dropped: no well-formed NFO holds them, and a database cannot store
    /// NUL. Positions after the first one count in the text without them.
    #[error("{count} control character(s) forbidden in XML dropped (the first is U+{first:04X})")]
    ControlCharacters {
        /// How many were dropped.
        count: usize,
        /// The first one's code point.
        first: u32,
    },
    /// Neither an XML root nor a URL was found in a non-empty input.
    #[error("no XML root element and no URL found")]
    NoContent,
    /// Too many warnings; later ones were dropped.
    #[error("more than {limit} warnings; later ones dropped")]
    WarningLimit {
        /// The warning limit.
        limit: usize,
    },
}

/// The most warnings kept for one file; a garbage file could otherwise produce one per byte.
pub(crate) const MAX_WARNINGS: usize = 200;

/// Collects warnings with byte offsets into the decoded text while parsing; [`Collector::finish`]
/// turns the offsets into lines and columns once, at the end.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    pending: Vec<(WarningKind, Option<usize>)>,
    dropped: bool,
}

impl Collector {
    /// Records a warning at `offset` (a byte offset into the decoded text), if any.
    pub(crate) fn push(&mut self, kind: WarningKind, offset: Option<usize>) {
        if self.pending.len() < MAX_WARNINGS {
            self.pending.push((kind, offset));
        } else {
            self.dropped = true;
        }
    }

    /// Whether nothing was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.pending.is_empty() && !self.dropped
    }

    /// Resolves positions against `text`; `bias` is added to offsets so that they are file
    /// offsets for UTF-8 input (the length of a BOM that was stripped).
    pub(crate) fn finish(self, text: &str, bias: usize) -> Vec<NfoWarning> {
        let mut pending = self.pending;
        // Warnings arrive per phase (decoding, XML, model); readers want them in file order.
        // The sort is stable, so file-wide warnings (no offset) stay first and in order. Sorted
        // offsets also let one forward walk find every line and column, so a huge one-line
        // file costs one pass, not one pass per warning.
        pending.sort_by_key(|(_, offset)| offset.unwrap_or(0));
        let mut cursor = Cursor::default();
        let mut out: Vec<NfoWarning> = pending
            .into_iter()
            .map(|(kind, offset)| NfoWarning {
                kind,
                position: offset.map(|offset| cursor.advance_to(text, offset, bias)),
            })
            .collect();
        if self.dropped {
            out.push(NfoWarning { kind: WarningKind::WarningLimit { limit: MAX_WARNINGS }, position: None });
        }
        out
    }
}

/// A forward-only walk through the text that tracks line and column.
#[derive(Debug)]
struct Cursor {
    offset: usize,
    line: usize,
    column: usize,
}

impl Default for Cursor {
    fn default() -> Self {
        Self { offset: 0, line: 1, column: 1 }
    }
}

impl Cursor {
    /// Moves to `offset` (which must not be behind the cursor; earlier ones stay put) and
    /// returns its position.
    fn advance_to(&mut self, text: &str, offset: usize, bias: usize) -> Position {
        let target = floor_char_boundary(text, offset);
        if let Some(skipped) = text.get(self.offset..target) {
            for ch in skipped.chars() {
                if ch == '\n' {
                    self.line += 1;
                    self.column = 1;
                } else {
                    self.column += 1;
                }
            }
            self.offset = target;
        }
        Position { line: self.line, column: self.column, offset: self.offset + bias }
    }
}

/// The largest character boundary at or before `index`.
pub(crate) fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}
