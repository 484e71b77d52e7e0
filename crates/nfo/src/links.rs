//! URLs in the text around (or instead of) the XML, and the TMDB, TVDB or IMDb identity they
//! name.
//!
//! Radarr's "Movie Metadata URL" option writes a TMDB line and an IMDb line, Sonarr's "Series
//! Metadata URL" a TVDB line in `tvshow.nfo`; Kodi's "parsing NFO" reads such files, and also a
//! URL after the XML.

use crate::model::{ExternalId, FoundUrl};

/// Finds URL-like words in `text`; anything else that is not whitespace is reported through
/// the returned flag, so the caller can warn about stray text.
pub(crate) fn find_urls(text: &str) -> (Vec<FoundUrl>, bool) {
    let mut urls = Vec::new();
    let mut stray = false;
    for word in text.split_whitespace() {
        let word =
            word.trim_matches(|ch: char| matches!(ch, '<' | '>' | '"' | '\'' | '(' | ')' | '[' | ']' | ',' | ';'));
        if word.is_empty() {
            continue;
        }
        let lower = word.to_ascii_lowercase();
        let is_url = lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.contains("imdb.com/")
            || lower.contains("themoviedb.org/")
            || lower.contains("thetvdb.com/");
        if is_url {
            urls.push(FoundUrl { url: word.to_owned(), id: external_id(word) });
        } else {
            stray = true;
        }
    }
    (urls, stray)
}

/// The TMDB movie or show, TVDB series or IMDb title a URL points at.
///
/// TVDB URLs name a series by number only in the old form (`thetvdb.com/?tab=series&id=81189`)
/// and the id redirect (`thetvdb.com/dereferrer/series/81189`); the current form
/// (`thetvdb.com/series/<slug>`) holds a slug, which can look like a number ("1899"), so it
/// names nothing here. A TMDB show URL names the show even when it goes on to a season or an
/// episode (`themoviedb.org/tv/1396/season/1`).
pub fn external_id(url: &str) -> Option<ExternalId> {
    let lower = url.to_ascii_lowercase();
    if let Some(at) = lower.find("themoviedb.org/movie/") {
        let rest = lower.get(at + "themoviedb.org/movie/".len()..)?;
        return leading_id(rest).map(ExternalId::Tmdb);
    }
    if let Some(at) = lower.find("themoviedb.org/tv/") {
        let rest = lower.get(at + "themoviedb.org/tv/".len()..)?;
        return leading_id(rest).map(ExternalId::TmdbTv);
    }
    if let Some(at) = lower.find("imdb.com/title/") {
        let rest = lower.get(at + "imdb.com/title/".len()..)?;
        let end = rest.find(|ch: char| !ch.is_ascii_alphanumeric()).unwrap_or(rest.len());
        let candidate = rest.get(..end)?;
        return is_imdb_id(candidate).then(|| ExternalId::Imdb(candidate.to_owned()));
    }
    if let Some(at) = lower.find("thetvdb.com/") {
        let rest = lower.get(at + "thetvdb.com/".len()..)?;
        return tvdb_series_id(rest).map(ExternalId::Tvdb);
    }
    None
}

/// The positive number at the start of `text` ("1396-breaking-bad" gives 1396).
fn leading_id(text: &str) -> Option<i64> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    digits.parse::<i64>().ok().filter(|id| *id > 0)
}

/// The series id in the path after `thetvdb.com/`: the `id` of a `tab=series` query (in any
/// order, after `/?` or `/index.php?`), or the number after `dereferrer/series/`. Episode and
/// season pages (`tab=episode`) also carry an `id`, but theirs is not the series', so they name
/// nothing.
fn tvdb_series_id(rest: &str) -> Option<i64> {
    if let Some(after) = rest.strip_prefix("dereferrer/series/") {
        return leading_id(after);
    }
    let (path, query) = rest.split_once('?')?;
    if !matches!(path, "" | "index.php") {
        return None;
    }
    let query = query.split('#').next().unwrap_or_default();
    let mut is_series = false;
    let mut id = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("tab", tab)) => is_series = tab == "series",
            Some(("id", value)) => id = leading_id(value).filter(|_| value.bytes().all(|byte| byte.is_ascii_digit())),
            _ => {}
        }
    }
    id.filter(|_| is_series)
}

/// Whether `value` is an IMDb title id: `tt` and 7 to 10 digits (they have 7 or 8 today, and
/// shorter ones were always zero-padded to 7). The one rule for every crate that reads one.
pub fn is_imdb_id(value: &str) -> bool {
    value
        .strip_prefix("tt")
        .is_some_and(|digits| (7..=10).contains(&digits.len()) && digits.bytes().all(|byte| byte.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_tmdb_and_imdb_urls() {
        assert_eq!(external_id("https://www.themoviedb.org/movie/30287-fallo"), Some(ExternalId::Tmdb(30287)));
        assert_eq!(external_id("https://www.themoviedb.org/movie/603?language=de"), Some(ExternalId::Tmdb(603)));
        assert_eq!(external_id("http://www.imdb.com/title/tt0133093/"), Some(ExternalId::Imdb("tt0133093".into())));
        assert_eq!(
            external_id("https://m.IMDB.com/title/tt0133093/?ref_=x"),
            Some(ExternalId::Imdb("tt0133093".into()))
        );
        assert_eq!(external_id("https://www.themoviedb.org/tv/1399"), Some(ExternalId::TmdbTv(1399)));
        assert_eq!(external_id("https://www.imdb.com/title/ttabc/"), None);
        assert_eq!(external_id("https://www.themoviedb.org/movie/"), None);
    }

    #[test]
    fn recognises_tvdb_and_tmdb_show_urls() {
        let cases: &[(&str, Option<ExternalId>)] = &[
            ("https://thetvdb.com/?tab=series&id=81189", Some(ExternalId::Tvdb(81189))),
            ("http://thetvdb.com/?tab=series&id=81189&lid=7", Some(ExternalId::Tvdb(81189))),
            ("thetvdb.com/?id=81189&tab=series", Some(ExternalId::Tvdb(81189))),
            ("https://www.thetvdb.com/index.php?tab=series&id=81189", Some(ExternalId::Tvdb(81189))),
            ("https://thetvdb.com/dereferrer/series/81189", Some(ExternalId::Tvdb(81189))),
            ("https://thetvdb.com/series/breaking-bad", None),
            ("https://thetvdb.com/series/1899", None),
            ("https://thetvdb.com/?tab=episode&seriesid=81189&id=349232", None),
            ("https://thetvdb.com/?tab=series&id=81189x", None),
            ("https://thetvdb.com/?tab=series&id=0", None),
            ("https://thetvdb.com/?tab=series", None),
            ("https://www.themoviedb.org/tv/1396", Some(ExternalId::TmdbTv(1396))),
            ("https://www.themoviedb.org/tv/1396-breaking-bad/season/1", Some(ExternalId::TmdbTv(1396))),
            ("https://www.themoviedb.org/tv/", None),
        ];
        for (url, expected) in cases {
            assert_eq!(&external_id(url), expected, "{url}");
        }
    }

    #[test]
    fn finds_urls_between_words() {
        let (urls, stray) = find_urls("\n see https://www.imdb.com/title/tt0133093 \r\n<http://x.example/>");
        assert_eq!(urls.len(), 2);
        assert_eq!(urls.first().and_then(|url| url.id.clone()), Some(ExternalId::Imdb("tt0133093".into())));
        assert!(stray);
    }
}
