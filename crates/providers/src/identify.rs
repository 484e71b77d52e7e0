//! Which TMDB film a title and year mean: search results ranked by a confidence score, and a
//! decision that names a film only when one clearly wins, so a remake or a near-title is never
//! guessed.
//!
//! The confidence of a result is 0.7 × how alike the titles are + 0.3 × how well the years
//! agree, between 0 and 1:
//!
//! - titles are compared after folding case, punctuation, `&`/`and` and a leading English
//!   article, against the result's title and original title alike; equal titles score 1, others
//!   the Sørensen–Dice coefficient of their character bigrams;
//! - years: the same 1, one apart 0.75 (release dates differ between countries, and folder names
//!   often carry the festival year), further apart 0; with no year asked 0.5 for every result,
//!   and 0.3 for a result without a release date when a year was asked.
//!
//! A result is chosen when its confidence is at least [`CONFIDENT`] and [`MARGIN`] above the
//! next one. So the title alone (0.85) picks a film only when no other result comes close:
//! `Dune` without a year is ambiguous, `Dune (2021)` is not.

use std::collections::HashSet;

use crate::tmdb::MovieSummary;

/// The lowest confidence that may identify a film without asking the user.
pub const CONFIDENT: f64 = 0.85;
/// How far the chosen result must stand above the next one.
pub const MARGIN: f64 = 0.1;
/// At most this many candidates are offered to the user.
pub const MAX_CANDIDATES: usize = 10;

const TITLE_WEIGHT: f64 = 0.7;
const YEAR_WEIGHT: f64 = 0.3;

/// What is known of the film to identify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchQuery {
    /// The title, from the NFO, the folder or the file name.
    pub title: String,
    /// The original title, when an NFO gives one.
    pub original_title: Option<String>,
    /// The year, when known.
    pub year: Option<i32>,
}

/// A search result with how well it matches the query.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchCandidate {
    /// The film as the search gave it (title, year, plot for the user choosing among them).
    pub film: MovieSummary,
    /// From 0 to 1.
    pub confidence: f64,
}

/// What the search results say about the query.
#[derive(Debug, Clone, PartialEq)]
pub enum MatchDecision {
    /// One result clearly wins.
    Identified(MatchCandidate),
    /// Several results are close, or none is close enough: the user picks, from these (best
    /// first).
    Ambiguous(Vec<MatchCandidate>),
    /// The searches found nothing.
    NotFound,
}

/// Ranks `results` (of one or several searches; a film found twice counts once), best first:
/// by confidence, then popularity, then id, so that the order never depends on the order of
/// the searches.
pub fn rank<'a>(query: &MatchQuery, results: impl IntoIterator<Item = &'a MovieSummary>) -> Vec<MatchCandidate> {
    let mut seen = HashSet::new();
    let mut candidates: Vec<MatchCandidate> = results
        .into_iter()
        .filter(|result| seen.insert(result.id))
        .map(|result| MatchCandidate { film: result.clone(), confidence: confidence(query, result) })
        .collect();
    candidates.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(b.film.popularity.total_cmp(&a.film.popularity))
            .then(a.film.id.cmp(&b.film.id))
    });
    candidates
}

/// Decides which film `results` identify, if any (see the module's rules).
pub fn decide<'a>(query: &MatchQuery, results: impl IntoIterator<Item = &'a MovieSummary>) -> MatchDecision {
    let mut candidates = rank(query, results);
    let Some(best) = candidates.first() else {
        return MatchDecision::NotFound;
    };
    let runner_up = candidates.get(1).map_or(0.0, |next| next.confidence);
    if best.confidence >= CONFIDENT && best.confidence - runner_up >= MARGIN {
        return MatchDecision::Identified(candidates.swap_remove(0));
    }
    candidates.truncate(MAX_CANDIDATES);
    MatchDecision::Ambiguous(candidates)
}

/// How well one result matches, from 0 to 1.
pub fn confidence(query: &MatchQuery, result: &MovieSummary) -> f64 {
    let asked = [Some(query.title.as_str()), query.original_title.as_deref()];
    let offered = [Some(result.title.as_str()), result.original_title.as_deref()];
    let title = asked
        .iter()
        .flatten()
        .flat_map(|asked| offered.iter().flatten().map(move |offered| title_similarity(asked, offered)))
        .fold(0.0, f64::max);
    let year = match (query.year, result.year()) {
        (None, _) => 0.5,
        (Some(_), None) => 0.3,
        (Some(asked), Some(released)) => match (asked - released).abs() {
            0 => 1.0,
            1 => 0.75,
            _ => 0.0,
        },
    };
    TITLE_WEIGHT * title + YEAR_WEIGHT * year
}

/// How alike two titles are, from 0 to 1, after [`fold`]ing both.
pub fn title_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (fold(a), fold(b));
    if a == b {
        return if a.is_empty() { 0.0 } else { 1.0 };
    }
    let bigrams = |text: &str| -> Vec<(char, char)> {
        let chars: Vec<char> = text.chars().collect();
        chars.windows(2).map(|pair| (pair[0], pair[1])).collect()
    };
    let (left, mut right) = (bigrams(&a), bigrams(&b));
    let total = left.len() + right.len();
    if total == 0 {
        return 0.0;
    }
    // Each bigram of `right` may pair with one of `left` only, so repeats count as often as
    // they occur in both.
    let mut shared = 0;
    for bigram in left {
        if let Some(at) = right.iter().position(|other| *other == bigram) {
            right.swap_remove(at);
            shared += 1;
        }
    }
    f64::from(2 * shared) / total as f64
}

/// A title as compared: lower case, `&` as `and`, anything but letters and digits as single
/// spaces, and a leading `the`, `a` or `an` dropped.
pub fn fold(title: &str) -> String {
    let spaced: String = title
        .replace('&', " and ")
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let words = match words.as_slice() {
        [first, rest @ ..] if !rest.is_empty() && matches!(*first, "the" | "a" | "an") => rest,
        all => all,
    };
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TmdbId;
    use chrono::NaiveDate;

    fn film(id: u32, title: &str, year: Option<i32>, popularity: f64) -> MovieSummary {
        MovieSummary {
            id: TmdbId(id),
            title: title.to_owned(),
            original_title: None,
            original_language: None,
            overview: None,
            release_date: year.map(|year| NaiveDate::from_ymd_opt(year, 6, 1).expect("a real date")),
            poster_path: None,
            backdrop_path: None,
            genre_ids: Vec::new(),
            popularity,
            vote_average: 0.0,
            vote_count: 0,
            adult: false,
            video: false,
        }
    }

    fn query(title: &str, year: Option<i32>) -> MatchQuery {
        MatchQuery { title: title.to_owned(), original_title: None, year }
    }

    fn dunes() -> Vec<MovieSummary> {
        vec![
            film(438631, "Dune", Some(2021), 120.0),
            film(841, "Dune", Some(1984), 30.0),
            film(693134, "Dune: Part Two", Some(2024), 300.0),
            film(1114513, "Jodorowsky's Dune", Some(2013), 8.0),
        ]
    }

    fn identified(decision: &MatchDecision) -> Option<u32> {
        match decision {
            MatchDecision::Identified(candidate) => Some(candidate.film.id.0),
            _ => None,
        }
    }

    #[test]
    fn the_year_tells_a_remake_from_its_original() {
        assert_eq!(identified(&decide(&query("Dune", Some(2021)), &dunes())), Some(438631));
        assert_eq!(identified(&decide(&query("Dune", Some(1984)), &dunes())), Some(841));
        // A folder one year off still finds the right one.
        assert_eq!(identified(&decide(&query("Dune", Some(1985)), &dunes())), Some(841));
    }

    #[test]
    fn the_same_title_without_a_year_is_not_guessed() {
        let MatchDecision::Ambiguous(candidates) = decide(&query("Dune", None), &dunes()) else {
            panic!("two films are called Dune");
        };
        // Equal confidence: the more popular first; the sequel below both.
        let ids: Vec<u32> = candidates.iter().map(|candidate| candidate.film.id.0).collect();
        assert_eq!(ids[..2], [438631, 841]);
        assert!(candidates[2].confidence < candidates[1].confidence);
    }

    #[test]
    fn a_near_title_in_the_right_year_is_offered_not_chosen() {
        let results = [film(603, "The Matrix", Some(1999), 80.0)];
        assert_eq!(identified(&decide(&query("Matrix", Some(1999)), &results)), Some(603), "the article is folded");
        let MatchDecision::Ambiguous(candidates) = decide(&query("Matrix Reloaded", Some(1999)), &results) else {
            panic!("a different film with a shared word is not a match");
        };
        assert_eq!(candidates.len(), 1);
        assert!(candidates[0].confidence < CONFIDENT, "{}", candidates[0].confidence);
    }

    #[test]
    fn nothing_found_is_not_found() {
        assert_eq!(decide(&query("Dune", Some(2021)), &[]), MatchDecision::NotFound);
    }

    #[test]
    fn the_original_title_matches_too() {
        let mut amelie = film(194, "Amélie", Some(2001), 40.0);
        amelie.original_title = Some("Le Fabuleux Destin d'Amélie Poulain".to_owned());
        let asked = MatchQuery {
            title: "Die fabelhafte Welt der Amélie".to_owned(),
            original_title: Some("Le fabuleux destin d’Amélie Poulain".to_owned()),
            year: Some(2001),
        };
        assert_eq!(identified(&decide(&asked, [&amelie])), Some(194));
    }

    #[test]
    fn a_film_found_by_two_searches_counts_once() {
        let results = [film(603, "The Matrix", Some(1999), 80.0), film(603, "The Matrix", Some(1999), 80.0)];
        assert_eq!(identified(&decide(&query("The Matrix", Some(1999)), &results)), Some(603));
    }

    #[test]
    fn folding_ignores_case_punctuation_and_ampersands() {
        assert_eq!(
            fold("The Lord of the Rings: The Fellowship of the Ring"),
            "lord of the rings the fellowship of the ring"
        );
        assert_eq!(fold("Fast & Furious"), fold("fast and furious"));
        assert_eq!(fold("The"), "the", "a title that is only an article keeps it");
        assert_eq!(fold("Léon: The Professional"), "léon the professional");
        assert_eq!(title_similarity("", ""), 0.0);
        assert_eq!(title_similarity("Se7en", "Se7en"), 1.0);
        assert!(title_similarity("Seven", "Se7en") < 0.85);
    }

    #[test]
    fn confidence_stays_between_zero_and_one() {
        let results = dunes();
        for asked in [query("Dune", Some(2021)), query("", None), query("x", Some(1900))] {
            for result in &results {
                let value = confidence(&asked, result);
                assert!((0.0..=1.0).contains(&value), "{value}");
            }
        }
    }
}
