//! The Kodi movie NFO model: one field per element Metarr understands, plus the raw
//! subtrees of every element it does not, so a writer can put other tools' data back.
//!
//! Numbers are `i64`/`f64` and dates stay strings on purpose: the model records what the file
//! says, and the catalogue decides how strict to be when it imports it.

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// The root element an NFO was read from.
///
/// Only [`NfoRoot::Movie`] is a movie NFO; the others are still read into [`MovieNfo`] as far
/// as their elements match, because a misplaced episode or show NFO should not hide its title.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum NfoRoot {
    /// `<movie>`.
    Movie,
    /// `<episodedetails>` (a TV episode; multi-episode files repeat it).
    EpisodeDetails,
    /// `<tvshow>`.
    TvShow,
    /// `<musicvideo>`.
    MusicVideo,
    /// Any other root element, named as written.
    Other(String),
}

impl NfoRoot {
    /// Classifies a root element name, ignoring ASCII case.
    pub fn from_name(name: &str) -> Self {
        match name.to_ascii_lowercase().as_str() {
            "movie" => Self::Movie,
            "episodedetails" => Self::EpisodeDetails,
            "tvshow" => Self::TvShow,
            "musicvideo" => Self::MusicVideo,
            _ => Self::Other(name.to_owned()),
        }
    }

    /// The element name Kodi uses for this root.
    pub fn name(&self) -> &str {
        match self {
            Self::Movie => "movie",
            Self::EpisodeDetails => "episodedetails",
            Self::TvShow => "tvshow",
            Self::MusicVideo => "musicvideo",
            Self::Other(name) => name,
        }
    }
}

/// A Kodi movie NFO as read from disk.
///
/// Scalars that appear more than once keep the first value (Kodi does the same); repeated
/// elements (`genre`, `actor`, …) keep every value in file order.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct MovieNfo {
    /// The root element the XML part was read from; `None` for URL-only or empty NFOs.
    pub root: Option<NfoRoot>,
    /// `<title>`.
    pub title: Option<String>,
    /// `<originaltitle>`.
    pub original_title: Option<String>,
    /// `<sorttitle>`.
    pub sort_title: Option<String>,
    /// `<ratings><rating …>` entries, plus a legacy top-level `<rating>`/`<votes>` pair as an
    /// entry without a name.
    pub ratings: Vec<Rating>,
    /// `<userrating>`.
    pub user_rating: Option<i64>,
    /// `<top250>`.
    pub top250: Option<i64>,
    /// `<outline>`.
    pub outline: Option<String>,
    /// `<plot>`.
    pub plot: Option<String>,
    /// `<tagline>`.
    pub tagline: Option<String>,
    /// `<runtime>` in minutes.
    pub runtime: Option<i64>,
    /// Top-level `<thumb>` candidates, in file order.
    pub thumbs: Vec<Thumb>,
    /// `<fanart>` and its `<thumb>` candidates.
    pub fanart: Option<Fanart>,
    /// `<mpaa>`, e.g. "Rated PG" or "Australia:M".
    pub mpaa: Option<String>,
    /// `<playcount>`.
    pub play_count: Option<i64>,
    /// `<lastplayed>`, as written (Kodi uses `YYYY-MM-DD HH:MM:SS`).
    pub last_played: Option<String>,
    /// `<uniqueid>` entries in file order.
    pub unique_ids: Vec<UniqueId>,
    /// `<genre>` values.
    pub genres: Vec<String>,
    /// `<country>` values.
    pub countries: Vec<String>,
    /// `<tag>` values.
    pub tags: Vec<String>,
    /// `<studio>` values.
    pub studios: Vec<String>,
    /// `<director>` values.
    pub directors: Vec<String>,
    /// `<credits>` values (writers).
    pub credits: Vec<String>,
    /// `<set>`, in either the `<name>`/`<overview>` form or the old text form.
    pub set: Option<MovieSet>,
    /// `<premiered>`, as written (Kodi uses `YYYY-MM-DD`).
    pub premiered: Option<String>,
    /// `<year>`.
    pub year: Option<i64>,
    /// `<status>`.
    pub status: Option<String>,
    /// `<trailer>`: a local path or a `plugin://` URL.
    pub trailer: Option<String>,
    /// `<fileinfo>`.
    pub file_info: Option<FileInfo>,
    /// `<actor>` entries in file order.
    pub actors: Vec<Actor>,
    /// `<dateadded>`, as written.
    pub date_added: Option<String>,
    /// Legacy `<id>`: an IMDb id (`tt…`) or, in old movie NFOs, a TMDB id. See
    /// [`MovieNfo::tmdb_id`] for how it is interpreted.
    pub legacy_id: Option<String>,
    /// `<tmdbid>` (any ASCII case, e.g. Jellyfin's `<tmdbId>`), as written.
    pub tmdb_id_element: Option<String>,
    /// `<imdbid>` (any ASCII case), as written.
    pub imdb_id_element: Option<String>,
    /// URLs found outside the XML: the whole file of a URL-only NFO, or lines after the root.
    pub urls: Vec<FoundUrl>,
    /// Every top-level element this model does not understand, in file order.
    pub unknown: Vec<RawElement>,
}

/// One `<rating>`.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Rating {
    /// The `name` attribute ("imdb", "themoviedb", …); `None` for the legacy top-level form.
    pub name: Option<String>,
    /// The `max` attribute.
    pub max: Option<f64>,
    /// The `default` attribute.
    pub default: bool,
    /// `<value>`; a decimal comma ("7,5") is read as a point.
    pub value: Option<f64>,
    /// `<votes>`; thousands separators are dropped.
    pub votes: Option<i64>,
    /// Children other than `<value>` and `<votes>`.
    pub unknown: Vec<RawElement>,
}

/// One `<thumb>`: an artwork candidate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Thumb {
    /// The `aspect` attribute ("poster", "banner", "clearlogo", …; Jellyfin adds "set.poster").
    pub aspect: Option<String>,
    /// The `preview` attribute: a smaller version of the same image.
    pub preview: Option<String>,
    /// The element text: a URL or a path.
    pub url: String,
    /// Other attributes (`spoof`, `cache`, `season`, `type`, …), kept for the writer.
    pub attributes: Vec<Attribute>,
}

/// `<fanart>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Fanart {
    /// The old `url` attribute, a prefix for relative thumb URLs.
    pub url: Option<String>,
    /// The `<thumb>` children.
    pub thumbs: Vec<Thumb>,
    /// Children other than `<thumb>`.
    pub unknown: Vec<RawElement>,
}

/// One `<uniqueid>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct UniqueId {
    /// The `type` attribute ("imdb", "tmdb", "tvdb", …); Kodi calls a missing one "unknown".
    pub id_type: Option<String>,
    /// The `default` attribute.
    pub default: bool,
    /// The element text.
    pub value: String,
}

/// `<set>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct MovieSet {
    /// `<name>`, or the text of the old `<set>text</set>` form.
    pub name: Option<String>,
    /// `<overview>`.
    pub overview: Option<String>,
    /// Attributes such as Jellyfin's `tmdbcolid`.
    pub attributes: Vec<Attribute>,
    /// Children other than `<name>` and `<overview>`.
    pub unknown: Vec<RawElement>,
}

/// `<fileinfo>`.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct FileInfo {
    /// `<streamdetails>`.
    pub stream_details: StreamDetails,
    /// Children other than `<streamdetails>`.
    pub unknown: Vec<RawElement>,
}

/// `<streamdetails>`.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct StreamDetails {
    /// `<video>` streams.
    pub video: Vec<VideoStream>,
    /// `<audio>` streams.
    pub audio: Vec<AudioStream>,
    /// `<subtitle>` streams.
    pub subtitle: Vec<SubtitleStream>,
    /// Children other than the three stream kinds.
    pub unknown: Vec<RawElement>,
}

/// `<video>` inside `<streamdetails>`.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct VideoStream {
    /// `<codec>`.
    pub codec: Option<String>,
    /// `<aspect>` (width / height).
    pub aspect: Option<f64>,
    /// `<width>`.
    pub width: Option<i64>,
    /// `<height>`.
    pub height: Option<i64>,
    /// `<durationinseconds>`.
    pub duration_in_seconds: Option<i64>,
    /// `<stereomode>`.
    pub stereo_mode: Option<String>,
    /// `<hdrtype>` ("hdr10", "dolbyvision", "hlg"; new in Kodi 20).
    pub hdr_type: Option<String>,
    /// Other children (`bitrate`, `framerate`, `format3d`, …).
    pub unknown: Vec<RawElement>,
}

/// `<audio>` inside `<streamdetails>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct AudioStream {
    /// `<codec>`.
    pub codec: Option<String>,
    /// `<language>`.
    pub language: Option<String>,
    /// `<channels>`.
    pub channels: Option<i64>,
    /// Other children.
    pub unknown: Vec<RawElement>,
}

/// `<subtitle>` inside `<streamdetails>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct SubtitleStream {
    /// `<language>`.
    pub language: Option<String>,
    /// Other children.
    pub unknown: Vec<RawElement>,
}

/// One `<actor>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Actor {
    /// `<name>`.
    pub name: Option<String>,
    /// `<role>`.
    pub role: Option<String>,
    /// `<order>`.
    pub order: Option<i64>,
    /// `<thumb>`.
    pub thumb: Option<String>,
    /// Other children (Jellyfin's `<type>`, …).
    pub unknown: Vec<RawElement>,
}

/// A URL found outside the XML, with the identity it names when Metarr recognises it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct FoundUrl {
    /// The URL as written.
    pub url: String,
    /// The identity it points at, if any (see [`crate::external_id`]). A movie NFO's URLs only
    /// name TMDB movies and IMDb titles; TV URLs in one name nothing.
    pub id: Option<ExternalId>,
}

/// An identity named by a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum ExternalId {
    /// `themoviedb.org/movie/<id>`.
    Tmdb(i64),
    /// `imdb.com/title/<tt…>`.
    Imdb(String),
    /// A TVDB series: `thetvdb.com/?tab=series&id=<id>` or `thetvdb.com/dereferrer/series/<id>`.
    Tvdb(i64),
    /// `themoviedb.org/tv/<id>`: a TMDB show, whose ids are counted apart from movies'.
    TmdbTv(i64),
}

/// An XML attribute, value unescaped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Attribute {
    /// The name as written.
    pub name: String,
    /// The value with entities resolved.
    pub value: String,
}

/// An element kept verbatim because the model does not understand it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct RawElement {
    /// The name as written.
    pub name: String,
    /// Attributes in file order.
    pub attributes: Vec<Attribute>,
    /// Child elements and text in file order; whitespace-only text between child elements
    /// (indentation) is dropped.
    pub children: Vec<RawNode>,
}

/// A child of a [`RawElement`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum RawNode {
    /// A nested element.
    Element(RawElement),
    /// Text with entities resolved (CDATA included).
    Text(String),
}

impl RawElement {
    /// The concatenated text of this element and its descendants.
    pub fn text(&self) -> String {
        let mut out = String::new();
        collect_text(&self.children, &mut out);
        out
    }

    /// The value of the first attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|attr| attr.name == name).map(|attr| attr.value.as_str())
    }

    /// Serialises the subtree as XML, escaping text and attribute values, so a writer can
    /// put it back unchanged.
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        write_element(self, &mut out);
        out
    }

    /// Serialises the children only, as [`RawElement::to_xml`] would write them: the content
    /// between the start and end tags.
    pub(crate) fn inner_xml(&self) -> String {
        let mut out = String::new();
        write_children(&self.children, &mut out);
        out
    }
}

fn collect_text(children: &[RawNode], out: &mut String) {
    for child in children {
        match child {
            RawNode::Text(text) => out.push_str(text),
            RawNode::Element(element) => collect_text(&element.children, out),
        }
    }
}

fn write_element(element: &RawElement, out: &mut String) {
    out.push('<');
    out.push_str(&element.name);
    for attr in &element.attributes {
        out.push(' ');
        out.push_str(&attr.name);
        out.push_str("=\"");
        escape_into(&attr.value, true, out);
        out.push('"');
    }
    if element.children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    write_children(&element.children, out);
    out.push_str("</");
    out.push_str(&element.name);
    out.push('>');
}

fn write_children(children: &[RawNode], out: &mut String) {
    for child in children {
        match child {
            RawNode::Text(text) => escape_into(text, false, out),
            RawNode::Element(nested) => write_element(nested, out),
        }
    }
}

fn escape_into(text: &str, in_attribute: bool, out: &mut String) {
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attribute => out.push_str("&quot;"),
            // Readers turn raw tabs and line breaks in attribute values into spaces.
            '\t' if in_attribute => out.push_str("&#9;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\r' if in_attribute => out.push_str("&#13;"),
            // Parsed elements never hold these, but hand-built ones might, and XML forbids them.
            _ if crate::write::is_forbidden(ch) => {}
            _ => out.push(ch),
        }
    }
}
