//! What a successful call gives back: the typed value together with the raw body and the
//! validators of the answer, so the app can cache bodies and revalidate them later.

use crate::redact::RedactedUrl;

/// The result of a call that reached the provider and got a usable answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<T> {
    /// The provider has it.
    Found(Fetched<T>),
    /// The provider does not know the thing asked for (TMDB's status code 34, Fanart.tv's
    /// 404, OMDb's "Movie not found!" or "Incorrect IMDb ID.").
    NotFound,
    /// The answer to a conditional request: the cached body is still current. Carries the
    /// validators of this answer (a server may send a new `ETag` with a 304).
    NotModified(Validators),
}

impl<T> Outcome<T> {
    /// The fetched answer, if found.
    pub fn found(self) -> Option<Fetched<T>> {
        match self {
            Outcome::Found(fetched) => Some(fetched),
            Outcome::NotFound | Outcome::NotModified(_) => None,
        }
    }

    /// Whether the provider does not know the thing asked for.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Outcome::NotFound)
    }

    /// Applies `map` to the found value, keeping the body and validators.
    pub fn map<U>(self, map: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Found(fetched) => Outcome::Found(fetched.map(map)),
            Outcome::NotFound => Outcome::NotFound,
            Outcome::NotModified(validators) => Outcome::NotModified(validators),
        }
    }
}

/// A typed value and the answer it was decoded from.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched<T> {
    /// The decoded answer.
    pub value: T,
    /// The body exactly as received (JSON, UTF-8). `serde_json::from_str::<T>(&body)`
    /// gives `value` again, so a cache that stores bodies can decode them without a call.
    pub body: String,
    /// The answer's `ETag` and `Last-Modified`, to send back as `If-None-Match` and
    /// `If-Modified-Since` next time.
    pub validators: Validators,
    /// The request, redacted: a cache key that holds no secret.
    pub url: RedactedUrl,
}

impl<T> Fetched<T> {
    /// Applies `map` to the value, keeping the body and validators.
    pub fn map<U>(self, map: impl FnOnce(T) -> U) -> Fetched<U> {
        Fetched { value: map(self.value), body: self.body, validators: self.validators, url: self.url }
    }
}

/// HTTP cache validators: what an answer said about its version, and what a conditional
/// request sends back. Values are kept verbatim (an `ETag` includes its quotes, a
/// `Last-Modified` is an HTTP-date).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Validators {
    /// The `ETag` header, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// The `Last-Modified` header, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

impl Validators {
    /// No validators: an unconditional request.
    pub const NONE: Validators = Validators { etag: None, last_modified: None };

    /// Whether there is nothing to revalidate with.
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}
