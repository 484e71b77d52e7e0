//! How good one artwork candidate is for a slot: the 0–100 score and the best-first ranking.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::slot::Slot;

/// Where a candidate image comes from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Found next to the media file.
    Local,
    /// Uploaded by the user through Metarr.
    Upload,
    /// The Movie Database.
    Tmdb,
    /// Fanart.tv.
    Fanart,
    /// Any other provider.
    Other,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 5] = [Source::Local, Source::Upload, Source::Tmdb, Source::Fanart, Source::Other];

    /// The lower-case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Local => "local",
            Source::Upload => "upload",
            Source::Tmdb => "tmdb",
            Source::Fanart => "fanart",
            Source::Other => "other",
        }
    }

    /// The source with exactly this lower-case name.
    pub fn parse(name: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|source| source.as_str() == name)
    }

    /// The source component of the score (at most 10).
    pub fn points(self) -> f64 {
        match self {
            // Local files and uploads were put there by the user, TMDB's are curated: all trusted.
            Source::Local | Source::Upload | Source::Tmdb => 10.0,
            Source::Fanart => 9.0,
            Source::Other => 5.0,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The language of the text on an image.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ArtLanguage {
    /// Text in this language: an ISO 639-1 code in lower case, e.g. `"en"`.
    Tagged(String),
    /// The image has no text.
    Textless,
    /// Nobody said.
    Unknown,
}

impl ArtLanguage {
    /// Reads a provider's language tag: blank is [`Unknown`](ArtLanguage::Unknown); `00`
    /// (Fanart.tv), `xx` (TMDB) and `zxx` (ISO 639-2 "no linguistic content") are
    /// [`Textless`](ArtLanguage::Textless); anything else is tagged, in lower case.
    ///
    /// TMDB's `null` language for an image also means textless; callers map that themselves,
    /// since a missing value means different things at different providers.
    pub fn from_code(code: &str) -> ArtLanguage {
        let code = code.trim().to_ascii_lowercase();
        match code.as_str() {
            "" => ArtLanguage::Unknown,
            "00" | "xx" | "zxx" => ArtLanguage::Textless,
            _ => ArtLanguage::Tagged(code),
        }
    }
}

/// What the score looks at for one candidate image.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate<'a> {
    /// The slot the image would fill.
    pub slot: Slot,
    /// Where it comes from.
    pub source: Source,
    /// Width in pixels, when known.
    pub width: Option<u32>,
    /// Height in pixels, when known.
    pub height: Option<u32>,
    /// The language of its text.
    pub language: &'a ArtLanguage,
    /// The provider's average rating out of 10 (TMDB's `vote_average`).
    pub vote_average: Option<f64>,
    /// How many ratings that average has (TMDB's `vote_count`).
    pub votes: Option<u64>,
    /// Fanart.tv likes.
    pub likes: Option<u64>,
}

impl Candidate<'_> {
    /// The number of votes used to break ties: the vote count, or the likes when there is none.
    pub fn vote_count(&self) -> u64 {
        self.votes.or(self.likes).unwrap_or(0)
    }
}

/// A candidate's score and its parts; `total` is their sum.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Score {
    /// 0–100.
    pub total: f64,
    /// 0–30.
    pub resolution: f64,
    /// 0–20.
    pub aspect: f64,
    /// 0–20.
    pub language: f64,
    /// 0–20.
    pub community: f64,
    /// 0–10.
    pub source: f64,
}

/// Headroom for floating-point rounding at band edges, so that an image exactly on an edge
/// lands where the band as written puts it: 680×1000 for a poster deviates 0.02 and keeps the
/// full 20, 1920×1200 fanart deviates 0.10 and gets 0 (not 7·10⁻¹⁵).
const EDGE: f64 = 1e-9;

/// Scores a candidate for its slot out of 100; `preferred_language` is the library's ISO 639-1
/// language (a region such as `fr-CA` is ignored).
///
/// The score is the sum of five parts:
///
/// - **resolution, 30**: r = (width·height) ÷ (ideal width·ideal height) of the slot
///   ([`Slot::ideal`]). 0.9 ≤ r ≤ 1.1 → 30; 0.7 ≤ r ≤ 1.5 (outside the first band) →
///   30·(1 − |r − 1|); r < 0.7 → 30·r/0.7; r > 1.5 → 45/r. Unknown size → 0.
/// - **aspect, 20**: deviation d = |(w/h) ÷ (ideal w/ideal h) − 1|. d ≤ 0.02 → 20; then falling
///   linearly to 0 at d = 0.10, i.e. 20·(0.10 − d)/0.08; beyond → 0. Unknown size → 0.
/// - **language, 20**: tagged with the preferred language → 20; textless for a slot that does
///   not want text ([`Slot::wants_text`]: fanart, keyart) → 20; tagged English as a fallback
///   when the preferred language is not English → 12; unknown, or textless for a slot that
///   wants text → 10; any other language → 0.
/// - **community, 20**: (average ÷ 10)·15 + min(5, log10(votes + 1)), the average clamped to
///   0–10. Fanart.tv likes count as votes with an average of 7 (when there are likes and no
///   average). No average → the average part is 0; no votes → log10(0 + 1) = 0.
/// - **source, 10**: local 10, upload 10 (the user placed it), TMDB 10, Fanart.tv 9, other 5
///   ([`Source::points`]).
///
/// The total is clamped to 0–100. Hostile inputs (a zero width or height, a NaN or infinite
/// average, `u64::MAX` votes) never give NaN or more than the maximum of any part.
///
/// The bands are taken literally, so the resolution part jumps at their edges: r = 0.69 gives
/// 29.6 while r = 0.7 gives 21, and r = 1.5 gives 15 while r = 1.51 gives 29.8.
pub fn score(candidate: &Candidate<'_>, preferred_language: &str) -> Score {
    let size = match (candidate.width, candidate.height) {
        (Some(width), Some(height)) => Some((width, height)),
        _ => None,
    };
    let resolution = size.map_or(0.0, |(width, height)| resolution_points(candidate.slot, width, height));
    let aspect = size.map_or(0.0, |(width, height)| aspect_points(candidate.slot, width, height));
    let language = language_points(candidate.slot, candidate.language, preferred_language);
    let community = community_points(candidate.vote_average, candidate.votes, candidate.likes);
    let source = candidate.source.points();
    let total = finite_within(resolution + aspect + language + community + source, 100.0);
    Score { total, resolution, aspect, language, community, source }
}

/// `value` within 0..=`max`, with NaN as 0.
fn finite_within(value: f64, max: f64) -> f64 {
    if value.is_nan() { 0.0 } else { value.clamp(0.0, max) }
}

fn resolution_points(slot: Slot, width: u32, height: u32) -> f64 {
    let (ideal_width, ideal_height) = slot.ideal();
    // Products of u32s are exact in f64 up to 2^53, far beyond any real image.
    let r = (f64::from(width) * f64::from(height)) / (f64::from(ideal_width) * f64::from(ideal_height));
    let points = if (0.9 - EDGE..=1.1 + EDGE).contains(&r) {
        30.0
    } else if (0.7 - EDGE..=1.5 + EDGE).contains(&r) {
        30.0 * (1.0 - (r - 1.0).abs())
    } else if r < 0.7 {
        30.0 * r / 0.7
    } else {
        45.0 / r
    };
    finite_within(points, 30.0)
}

fn aspect_points(slot: Slot, width: u32, height: u32) -> f64 {
    if width == 0 || height == 0 {
        return 0.0;
    }
    let (ideal_width, ideal_height) = slot.ideal();
    // (w/h) ÷ (iw/ih) as one quotient of exact products, so an exact ratio is not rounded twice.
    let ratio = (f64::from(width) * f64::from(ideal_height)) / (f64::from(height) * f64::from(ideal_width));
    let d = (ratio - 1.0).abs();
    let points = if d <= 0.02 + EDGE {
        20.0
    } else if d < 0.10 - EDGE {
        20.0 * (0.10 - d) / 0.08
    } else {
        0.0
    };
    finite_within(points, 20.0)
}

fn language_points(slot: Slot, language: &ArtLanguage, preferred: &str) -> f64 {
    let preferred = preferred.split(['-', '_']).next().unwrap_or_default().trim();
    match language {
        ArtLanguage::Tagged(tag) if !preferred.is_empty() && tag.eq_ignore_ascii_case(preferred) => 20.0,
        ArtLanguage::Textless if !slot.wants_text() => 20.0,
        ArtLanguage::Tagged(tag) if tag.eq_ignore_ascii_case("en") => 12.0,
        ArtLanguage::Unknown | ArtLanguage::Textless => 10.0,
        ArtLanguage::Tagged(_) => 0.0,
    }
}

/// The average Fanart.tv likes stand for: a liked image is taken as a good one, not a perfect one.
const LIKES_AVERAGE: f64 = 7.0;

fn community_points(vote_average: Option<f64>, votes: Option<u64>, likes: Option<u64>) -> f64 {
    let (average, votes) = match (vote_average, likes) {
        (Some(average), _) => (average, votes.unwrap_or(0)),
        (None, Some(likes)) => (LIKES_AVERAGE, likes),
        (None, None) => (0.0, votes.unwrap_or(0)),
    };
    let average = finite_within(average, 10.0);
    // u64 → f64 rounds above 2^53, which does not matter under a cap of 5 (reached at 99,999).
    #[allow(clippy::cast_precision_loss, reason = "rounding is harmless under the cap")]
    let vote_points = (votes as f64 + 1.0).log10().min(5.0);
    finite_within(average / 10.0 * 15.0 + vote_points, 20.0)
}

/// What orders candidates that were scored: see [`rank`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RankKey {
    /// [`Score::total`].
    pub total: f64,
    /// [`Score::source`].
    pub source_points: f64,
    /// Votes, or likes ([`Candidate::vote_count`]).
    pub votes: u64,
    /// The image's size in bytes, when known.
    pub file_size: Option<u64>,
    /// The candidate's database id, the last resort that makes the order total.
    pub id: i64,
}

impl RankKey {
    /// The key of a scored candidate.
    pub fn new(score: &Score, candidate: &Candidate<'_>, file_size: Option<u64>, id: i64) -> RankKey {
        RankKey { total: score.total, source_points: score.source, votes: candidate.vote_count(), file_size, id }
    }
}

/// Orders candidates best first, for `sort_by(rank)`: higher total, then higher source points,
/// then more votes (likes count as votes), then the smaller file (an unknown size after any
/// known one), then the smaller id.
///
/// NaN counts as the lowest score, and −0 equals 0, so the order is total for any keys.
pub fn rank(a: &RankKey, b: &RankKey) -> Ordering {
    comparable(b.total)
        .total_cmp(&comparable(a.total))
        .then_with(|| comparable(b.source_points).total_cmp(&comparable(a.source_points)))
        .then_with(|| b.votes.cmp(&a.votes))
        .then_with(|| match (a.file_size, b.file_size) {
            (Some(a), Some(b)) => a.cmp(&b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| a.id.cmp(&b.id))
}

fn comparable(value: f64) -> f64 {
    // Adding 0.0 turns −0 into +0, which total_cmp would otherwise order below it.
    if value.is_nan() { f64::NEG_INFINITY } else { value + 0.0 }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::float_cmp, reason = "a failed unwrap or exact comparison is a clear test failure")]
mod tests {
    use super::*;

    const UNKNOWN: &ArtLanguage = &ArtLanguage::Unknown;

    fn candidate(slot: Slot, width: u32, height: u32) -> Candidate<'static> {
        Candidate {
            slot,
            source: Source::Tmdb,
            width: Some(width),
            height: Some(height),
            language: UNKNOWN,
            vote_average: None,
            votes: None,
            likes: None,
        }
    }

    fn close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-9, "{actual} is not {expected}");
    }

    fn resolution(slot: Slot, width: u32, height: u32) -> f64 {
        score(&candidate(slot, width, height), "en").resolution
    }

    fn aspect(slot: Slot, width: u32, height: u32) -> f64 {
        score(&candidate(slot, width, height), "en").aspect
    }

    #[test]
    fn worked_example_exact_poster_in_the_preferred_language() {
        let english = ArtLanguage::Tagged("en".into());
        let poster = Candidate {
            language: &english,
            vote_average: Some(5.6),
            votes: Some(500),
            ..candidate(Slot::Poster, 2000, 3000)
        };
        let score = score(&poster, "en");
        assert_eq!(score.resolution, 30.0);
        assert_eq!(score.aspect, 20.0);
        assert_eq!(score.language, 20.0);
        // 5.6/10·15 = 8.4, log10(501) = 2.6998377…
        close(score.community, 8.4 + 501f64.log10());
        assert!((score.community - 11.099_837_7).abs() < 1e-7);
        assert_eq!(score.source, 10.0);
        assert!((score.total - 91.099_837_7).abs() < 1e-7);
    }

    #[test]
    fn worked_example_small_english_fanart_for_a_french_library() {
        // The second example in docs/artwork-scoring.md.
        let english = ArtLanguage::Tagged("en".into());
        let fanart = Candidate {
            source: Source::Fanart,
            language: &english,
            likes: Some(12),
            ..candidate(Slot::Fanart, 1280, 720)
        };
        let score = score(&fanart, "fr");
        close(score.resolution, 30.0 * (4.0 / 9.0) / 0.7);
        assert_eq!((score.aspect, score.language, score.source), (20.0, 12.0, 9.0));
        close(score.community, 10.5 + 13f64.log10());
        assert!((score.total - 71.661_562_4).abs() < 1e-7);
    }

    #[test]
    fn resolution_bands() {
        // Poster ideal: 2000×3000 = 6,000,000 px.
        assert_eq!(resolution(Slot::Poster, 2000, 3000), 30.0);
        // r = 0.9 and 1.1 exactly: inside the full band.
        assert_eq!(resolution(Slot::Poster, 1800, 3000), 30.0);
        assert_eq!(resolution(Slot::Poster, 2200, 3000), 30.0);
        // r = 0.8 → 30·0.8 = 24; r = 1.2 → 24; r = 1.5 → 15.
        close(resolution(Slot::Poster, 1600, 3000), 24.0);
        close(resolution(Slot::Poster, 2400, 3000), 24.0);
        close(resolution(Slot::Poster, 3000, 3000), 15.0);
        // r = 0.7 is in the middle band (21); just below uses r/0.7.
        close(resolution(Slot::Poster, 1400, 3000), 21.0);
        close(resolution(Slot::Poster, 1380, 3000), 30.0 * 0.69 / 0.7);
        // r = 0.5 → 30·0.5/0.7; a small preview-sized poster scores little.
        close(resolution(Slot::Poster, 1000, 3000), 30.0 * 0.5 / 0.7);
        close(resolution(Slot::Poster, 500, 750), 30.0 * 0.0625 / 0.7);
        // Above 1.5: 45/r. r = 1.6 → 28.125; r = 3 (a 4000×4500 poster) → 15.
        close(resolution(Slot::Poster, 3200, 3000), 28.125);
        close(resolution(Slot::Poster, 4000, 4500), 15.0);
        // 1920×1080 fanart is ideal; 1280×720 is r = 0.444… → 19.05.
        assert_eq!(resolution(Slot::Fanart, 1920, 1080), 30.0);
        close(resolution(Slot::Fanart, 1280, 720), 30.0 * (1280.0 * 720.0 / (1920.0 * 1080.0)) / 0.7);
        // 3840×2160 is r = 4 → 11.25.
        close(resolution(Slot::Fanart, 3840, 2160), 11.25);
    }

    #[test]
    fn aspect_bands() {
        assert_eq!(aspect(Slot::Poster, 2000, 3000), 20.0);
        // d = 0.02 exactly (680×1000 is 0.68 against 0.666…): still full.
        assert_eq!(aspect(Slot::Poster, 680, 1000), 20.0);
        assert_eq!(aspect(Slot::Poster, 1960, 3000), 20.0);
        // d = 0.06 → 20·0.04/0.08 = 10.
        close(aspect(Slot::Poster, 2120, 3000), 10.0);
        // d = 0.10 exactly → 0, and beyond → 0.
        close(aspect(Slot::Poster, 2200, 3000), 0.0);
        assert_eq!(aspect(Slot::Poster, 3000, 2000), 0.0);
        // d = 0.04 → 15.
        close(aspect(Slot::Poster, 2080, 3000), 15.0);
        // 1920×1200 fanart (16:10) deviates 0.10 exactly → 0; 1920×1088 deviates 0.0074 → 20.
        assert_eq!(aspect(Slot::Fanart, 1920, 1200), 0.0);
        assert_eq!(aspect(Slot::Fanart, 1920, 1088), 20.0);
        // Banner 1000×185: 758×140 is d = 0.00134.
        assert_eq!(aspect(Slot::Banner, 758, 140), 20.0);
    }

    #[test]
    fn unknown_or_degenerate_size_scores_nothing_for_size() {
        let unknown = Candidate { width: None, ..candidate(Slot::Poster, 2000, 3000) };
        let score = score(&unknown, "en");
        assert_eq!((score.resolution, score.aspect), (0.0, 0.0));
        for (width, height) in [(0, 3000), (2000, 0), (0, 0)] {
            let score = super::score(&candidate(Slot::Poster, width, height), "en");
            assert_eq!((score.resolution, score.aspect), (0.0, 0.0), "{width}×{height}");
        }
        // 1×u32::MAX: absurd aspect, huge r → tiny but finite.
        let score = super::score(&candidate(Slot::Poster, u32::MAX, u32::MAX), "en");
        assert!(score.resolution > 0.0 && score.resolution < 0.001);
        assert_eq!(score.aspect, 0.0);
    }

    fn language(slot: Slot, language: &ArtLanguage, preferred: &str) -> f64 {
        let candidate = Candidate { language, ..candidate(slot, 2000, 3000) };
        score(&candidate, preferred).language
    }

    #[test]
    fn language_rules() {
        let en = ArtLanguage::Tagged("en".into());
        let fr = ArtLanguage::Tagged("fr".into());
        let de = ArtLanguage::Tagged("de".into());
        assert_eq!(language(Slot::Poster, &fr, "fr"), 20.0);
        assert_eq!(language(Slot::Poster, &fr, "fr-CA"), 20.0);
        assert_eq!(language(Slot::Poster, &fr, "FR"), 20.0);
        assert_eq!(language(Slot::Poster, &en, "en"), 20.0);
        // English as a fallback.
        assert_eq!(language(Slot::Poster, &en, "fr"), 12.0);
        assert_eq!(language(Slot::Fanart, &en, "fr"), 12.0);
        // Another language.
        assert_eq!(language(Slot::Poster, &de, "fr"), 0.0);
        assert_eq!(language(Slot::Poster, &fr, "en"), 0.0);
        // Unknown.
        assert_eq!(language(Slot::Poster, &ArtLanguage::Unknown, "fr"), 10.0);
        assert_eq!(language(Slot::Fanart, &ArtLanguage::Unknown, "fr"), 10.0);
        // Textless is ideal for fanart and keyart, a fallback for a poster.
        assert_eq!(language(Slot::Fanart, &ArtLanguage::Textless, "fr"), 20.0);
        assert_eq!(language(Slot::Keyart, &ArtLanguage::Textless, "en"), 20.0);
        assert_eq!(language(Slot::Poster, &ArtLanguage::Textless, "fr"), 10.0);
        assert_eq!(language(Slot::Clearlogo, &ArtLanguage::Textless, "en"), 10.0);
        // A blank preference matches nothing but still prefers English.
        assert_eq!(language(Slot::Poster, &ArtLanguage::Tagged(String::new()), ""), 0.0);
        assert_eq!(language(Slot::Poster, &en, ""), 12.0);
    }

    #[test]
    fn textless_fanart_beats_textless_poster_by_the_language_part() {
        let textless = ArtLanguage::Textless;
        let fanart = Candidate { language: &textless, ..candidate(Slot::Fanart, 1920, 1080) };
        let poster = Candidate { language: &textless, ..candidate(Slot::Poster, 2000, 3000) };
        // 30 + 20 + language + 0 community + 10 TMDB.
        assert_eq!(score(&fanart, "en").total, 80.0);
        assert_eq!(score(&poster, "en").total, 70.0);
    }

    #[test]
    fn language_codes_from_providers() {
        assert_eq!(ArtLanguage::from_code("EN "), ArtLanguage::Tagged("en".into()));
        assert_eq!(ArtLanguage::from_code("00"), ArtLanguage::Textless);
        assert_eq!(ArtLanguage::from_code("xx"), ArtLanguage::Textless);
        assert_eq!(ArtLanguage::from_code(""), ArtLanguage::Unknown);
    }

    fn community(vote_average: Option<f64>, votes: Option<u64>, likes: Option<u64>) -> f64 {
        let candidate = Candidate { vote_average, votes, likes, ..candidate(Slot::Poster, 2000, 3000) };
        score(&candidate, "en").community
    }

    #[test]
    fn community_rules() {
        assert_eq!(community(None, None, None), 0.0);
        assert_eq!(community(Some(0.0), Some(0), None), 0.0);
        // 10/10 with 99,999 votes is the maximum: 15 + 5.
        close(community(Some(10.0), Some(99_999), None), 20.0);
        close(community(Some(10.0), Some(1_000_000), None), 20.0);
        // 5.0 with 9 votes: 7.5 + 1.
        close(community(Some(5.0), Some(9), None), 8.5);
        // An average with no count: only the average part.
        close(community(Some(8.0), None, None), 12.0);
        // Fanart.tv: 9 likes = an average of 7 (10.5) with 9 votes (1).
        close(community(None, None, Some(9)), 11.5);
        close(community(None, None, Some(0)), 10.5);
        // A count without an average earns only the vote part.
        close(community(None, Some(99), None), 2.0);
    }

    #[test]
    fn source_points() {
        let points: Vec<f64> = Source::ALL.map(Source::points).to_vec();
        assert_eq!(points, [10.0, 10.0, 10.0, 9.0, 5.0]);
        for source in Source::ALL {
            assert_eq!(Source::parse(source.as_str()), Some(source));
            assert_eq!(serde_json::to_string(&source).unwrap(), format!("\"{source}\""));
        }
        assert_eq!(Source::parse("TMDB"), None);
    }

    #[test]
    fn the_best_possible_candidate_scores_exactly_100() {
        let english = ArtLanguage::Tagged("en".into());
        let best = Candidate {
            language: &english,
            vote_average: Some(10.0),
            votes: Some(u64::MAX),
            likes: Some(u64::MAX),
            ..candidate(Slot::Poster, 2000, 3000)
        };
        let score = score(&best, "en");
        assert_eq!(score.total, 100.0);
    }

    #[test]
    fn hostile_inputs_stay_in_range() {
        let english = ArtLanguage::Tagged("en".into());
        for vote_average in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e9, -1e9, -0.0] {
            for (width, height) in [(0, 0), (0, 3000), (2000, 0), (u32::MAX, 1), (1, u32::MAX), (2000, 3000)] {
                let hostile = Candidate {
                    language: &english,
                    vote_average: Some(vote_average),
                    votes: Some(u64::MAX),
                    likes: Some(u64::MAX),
                    ..candidate(Slot::Poster, width, height)
                };
                let score = score(&hostile, "en");
                for part in [score.total, score.resolution, score.aspect, score.language, score.community, score.source]
                {
                    assert!(!part.is_nan(), "{score:?}");
                }
                assert!((0.0..=100.0).contains(&score.total), "{score:?}");
                assert!(score.community <= 20.0, "{score:?}");
            }
        }
        close(community(Some(1e9), Some(0), None), 15.0);
        close(community(Some(f64::NAN), Some(9), None), 1.0);
        close(community(Some(-3.0), Some(9), None), 1.0);
    }

    fn key(total: f64, source_points: f64, votes: u64, file_size: Option<u64>, id: i64) -> RankKey {
        RankKey { total, source_points, votes, file_size, id }
    }

    #[test]
    fn ties_are_broken_by_source_votes_file_size_then_id() {
        let mut keys = vec![
            key(80.0, 10.0, 5, Some(100), 9),
            key(80.0, 10.0, 5, None, 1),
            key(80.0, 10.0, 5, Some(100), 3),
            key(80.0, 10.0, 5, Some(50), 7),
            key(80.0, 10.0, 6, Some(900), 8),
            key(80.0, 9.0, 900, Some(1), 2),
            key(90.0, 5.0, 0, None, 10),
            key(f64::NAN, 10.0, 10, Some(1), 0),
            key(-0.0, 10.0, 0, None, 12),
            key(0.0, 10.0, 0, None, 11),
        ];
        keys.sort_by(rank);
        let ids: Vec<i64> = keys.iter().map(|key| key.id).collect();
        assert_eq!(ids, [10, 8, 7, 3, 9, 1, 2, 11, 12, 0]);
        assert_eq!(rank(&keys[0], &keys[0]), Ordering::Equal);
    }

    #[test]
    fn rank_key_takes_likes_as_votes() {
        let liked = Candidate { likes: Some(40), ..candidate(Slot::Fanart, 1920, 1080) };
        let score = score(&liked, "en");
        let key = RankKey::new(&score, &liked, Some(10), 4);
        assert_eq!(key.votes, 40);
        assert_eq!(key.source_points, 10.0);
        assert_eq!(key.total, score.total);
    }
}
