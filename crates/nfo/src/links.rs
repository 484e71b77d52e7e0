//! URLs in the text around (or instead of) the XML, and the TMDB or IMDb identity they name.
//!
//! Radarr's "Movie Metadata URL" option writes a TMDB line and an IMDb line; Kodi's
//! "parsing NFO" reads such files, and also a URL after the XML.

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
            || lower.contains("themoviedb.org/");
        if is_url {
            urls.push(FoundUrl { url: word.to_owned(), id: external_id(word) });
        } else {
            stray = true;
        }
    }
    (urls, stray)
}

/// The TMDB movie or IMDb title a URL points at.
pub fn external_id(url: &str) -> Option<ExternalId> {
    let lower = url.to_ascii_lowercase();
    if let Some(at) = lower.find("themoviedb.org/movie/") {
        let rest = lower.get(at + "themoviedb.org/movie/".len()..)?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        return digits.parse::<i64>().ok().filter(|id| *id > 0).map(ExternalId::Tmdb);
    }
    if let Some(at) = lower.find("imdb.com/title/") {
        let rest = lower.get(at + "imdb.com/title/".len()..)?;
        let end = rest.find(|ch: char| !ch.is_ascii_alphanumeric()).unwrap_or(rest.len());
        let candidate = rest.get(..end)?;
        return is_imdb_id(candidate).then(|| ExternalId::Imdb(candidate.to_owned()));
    }
    None
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
        assert_eq!(external_id("https://www.themoviedb.org/tv/1399"), None);
        assert_eq!(external_id("https://www.imdb.com/title/ttabc/"), None);
        assert_eq!(external_id("https://www.themoviedb.org/movie/"), None);
    }

    #[test]
    fn finds_urls_between_words() {
        let (urls, stray) = find_urls("\n see https://www.imdb.com/title/tt0133093 \r\n<http://x.example/>");
        assert_eq!(urls.len(), 2);
        assert_eq!(urls.first().and_then(|url| url.id.clone()), Some(ExternalId::Imdb("tt0133093".into())));
        assert!(stray);
    }
}
