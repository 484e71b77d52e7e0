//! Typed async clients for the metadata providers (TMDB v3, Fanart.tv v3 and OMDb), for movies and series.
//!
//! Every call ends in one typed result: `Ok(`[`Outcome`]`)` when the provider gave a
//! usable answer (found, with the value, the raw body and its validators; not found; not
//! modified), or a [`ProviderError`] that says what a job runner should do: give up and ask
//! the user to fix a key ([`ProviderError::is_permanent`]), snooze
//! ([`ProviderError::retry_after`]), or retry with backoff (everything else, such as a 5xx,
//! a timeout or an answer that cannot be decoded).
//!
//! The crate holds no database and no cache: each client is made with the [`Gate`] its
//! requests pass (the app's cross-process limit and quota, an in-process [`RateLimiter`], or
//! [`Ungated`]), and
//! answers carry their body and `ETag`/`Last-Modified` so the app can keep a response cache
//! and send conditional requests ([`Validators`]).
//!
//! Keys are [`secrecy::SecretString`]s. They never appear in `Debug` output, in errors or in
//! log lines: URLs that carry one (TMDB's `api_key`, OMDb's `apikey`) are only ever shown
//! as a [`RedactedUrl`].
//!
//! The wire formats and their traps are in docs/peers/providers.md.
#![warn(missing_docs)]

mod error;
mod fanart;
mod gate;
pub mod identify;
mod ids;
mod images;
mod language;
mod lenient;
mod omdb;
mod outcome;
mod provider;
mod redact;
mod retry_after;
mod settings;
pub mod tmdb;
mod transport;

pub use error::{ProviderError, RateLimitKind, TransientReason};
pub use fanart::{
    DiscType, FanartArtType, FanartClient, FanartImage, FanartMovie, FanartSeason, FanartTv, FanartTvArtType,
};
pub use gate::{Gate, RateLimiter, Refusal, Ungated};
pub use identify::{MatchCandidate, MatchDecision, MatchQuery};
pub use ids::{CollectionId, ImdbId, InvalidImdbId, MovieRef, TmdbId, TmdbTvId, TvdbId};
pub use images::{ImageClient, MAX_IMAGE_BYTES};
pub use language::{ArtLanguage, InvalidLanguage, Language};
pub use omdb::{OmdbClient, OmdbKind, OmdbMovie, OmdbRating, RatingSource};
pub use outcome::{Fetched, Outcome, Validators};
pub use provider::{Provider, UnknownProvider};
pub use redact::RedactedUrl;
pub use retry_after::{DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER, parse_retry_after, until_next_utc_midnight};
pub use settings::{
    FANART_BASE_URL, FanartSettings, OMDB_BASE_URL, OmdbSettings, ProvidersSettings, TMDB_BASE_URL,
    TMDB_IMAGE_BASE_URL, TmdbSettings,
};
pub use tmdb::{TmdbAuthKind, TmdbClient};
pub use transport::MAX_BODY_BYTES;
