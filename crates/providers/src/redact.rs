//! URLs with their secrets hidden: the only form in which a request URL may reach an error
//! message or a log line (TMDB v3 and OMDb carry the key in the query string).

use std::fmt;

use reqwest::Url;

/// Query parameters whose values are credentials, compared case-insensitively:
/// TMDB's `api_key`, OMDb's `apikey`, Fanart.tv's `api_key` / `client_key` alternatives
/// to its headers, and the usual token names in case a base URL carries one.
const SECRET_PARAMS: [&str; 7] = ["api_key", "apikey", "api-key", "client_key", "client-key", "token", "access_token"];

/// What a hidden value reads as.
const REDACTED: &str = "REDACTED";

/// A request URL with every credential replaced by `REDACTED`: the user name and password
/// of the authority, and the values of the query parameters that carry keys.
///
/// The only constructor redacts, so holding a `RedactedUrl` means holding no secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RedactedUrl(String);

impl RedactedUrl {
    /// Redacts `url`.
    pub fn new(url: &Url) -> Self {
        let mut redacted = url.clone();
        if !redacted.username().is_empty() {
            // Only fails for URLs that cannot have credentials, which then have none to hide.
            let _ = redacted.set_username(REDACTED);
        }
        if redacted.password().is_some() {
            let _ = redacted.set_password(Some(REDACTED));
        }
        if url.query().is_some() {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(key, value)| {
                    let secret = SECRET_PARAMS.iter().any(|name| key.eq_ignore_ascii_case(name));
                    let value = if secret { REDACTED.to_owned() } else { value.into_owned() };
                    (key.into_owned(), value)
                })
                .collect();
            redacted.query_pairs_mut().clear().extend_pairs(pairs);
        }
        RedactedUrl(redacted.into())
    }

    /// Stands for text that is not a URL Metarr fetches: none of it is kept, since it could
    /// hold anything.
    pub(crate) fn not_fetchable() -> Self {
        RedactedUrl("(not an http(s) URL)".to_owned())
    }

    /// The redacted URL as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RedactedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;

    fn redact(url: &str) -> String {
        RedactedUrl::new(&Url::parse(url).unwrap()).to_string()
    }

    #[test]
    fn key_parameters_are_hidden_and_the_rest_kept_in_order() {
        assert_eq!(
            redact(
                "https://api.themoviedb.org/3/movie/550?api_key=s3cr3t&language=fr-CA&append_to_response=credits%2Cimages"
            ),
            "https://api.themoviedb.org/3/movie/550?api_key=REDACTED&language=fr-CA&append_to_response=credits%2Cimages"
        );
        assert_eq!(
            redact("https://www.omdbapi.com/?apikey=abc123&i=tt0137523"),
            "https://www.omdbapi.com/?apikey=REDACTED&i=tt0137523"
        );
        assert_eq!(
            redact("http://h/v3/movies/550?API_KEY=x&client_key=y"),
            "http://h/v3/movies/550?API_KEY=REDACTED&client_key=REDACTED"
        );
    }

    #[test]
    fn user_info_is_hidden() {
        assert_eq!(
            redact("http://user:pass@proxy.local/3/configuration"),
            "http://REDACTED:REDACTED@proxy.local/3/configuration"
        );
    }

    #[test]
    fn urls_without_secrets_are_unchanged() {
        assert_eq!(redact("https://webservice.fanart.tv/v3/movies/550"), "https://webservice.fanart.tv/v3/movies/550");
    }
}
