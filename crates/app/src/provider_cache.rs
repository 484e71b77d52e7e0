//! The provider response cache: bodies as the providers sent them, kept in the database under
//! a logical key (`tmdb:movie:603:en-US`) with their `ETag` and `Last-Modified`, so that
//! re-enriching within the TTL makes no provider call and a stale entry is revalidated with a
//! conditional request instead of fetched again.
//!
//! "Not found" is remembered as well, for the same TTL, so a film a provider does not know does
//! not cost a call on every enrichment. Bodies are decoded again on every read: a body an older
//! Metarr stored that no longer decodes into today's type is a miss, never a panic.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use metarr_providers::{Outcome, ProviderError, Validators};
use serde::de::DeserializeOwned;

use crate::db::{Db, DbError, Param};

/// How long a response is used without asking the provider again, unless configured.
pub const DEFAULT_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Rows deleted per transaction when purging, so that a large purge never holds SQLite's
/// writer for long.
const PURGE_BATCH: u64 = 1_000;

/// Why [`ResponseCache::fetch`] has no answer.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The provider call failed; the error is the provider's own, unchanged, so that the
    /// caller can snooze on [`ProviderError::retry_after`].
    #[error("fetching {key}")]
    Provider {
        key: String,
        #[source]
        source: ProviderError,
    },
    /// The provider answered "not modified" to a request that had nothing cached to keep.
    #[error("fetching {key}: the provider answered \"not modified\" but nothing usable is cached")]
    NotModifiedWithoutBody { key: String },
    /// Reading or writing the cache failed.
    #[error("{operation} the cached response {key}")]
    Db {
        key: String,
        operation: &'static str,
        #[source]
        source: DbError,
    },
    /// Purging old entries failed.
    #[error("purging old cached provider responses")]
    Purge {
        #[source]
        source: DbError,
    },
}

impl CacheError {
    /// The provider's error, when the call failed.
    pub fn provider_error(&self) -> Option<&ProviderError> {
        match self {
            CacheError::Provider { source, .. } => Some(source),
            CacheError::NotModifiedWithoutBody { .. } | CacheError::Db { .. } | CacheError::Purge { .. } => None,
        }
    }

    /// How long to wait before calling the provider again, when it or our gate said so.
    pub fn retry_after(&self) -> Option<Duration> {
        self.provider_error().and_then(ProviderError::retry_after)
    }
}

/// Where an answer of [`ResponseCache::fetch`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheSource {
    /// The cache, within the TTL: no call was made.
    Stored,
    /// The cache, after the provider answered "not modified" to a conditional call.
    Revalidated,
    /// The provider's answer to an unconditional call, or a changed answer to a conditional one.
    Fetched,
}

/// An answer of [`ResponseCache::fetch`].
#[derive(Debug, Clone, PartialEq)]
pub struct Cached<T> {
    /// The value, or `None` when the provider does not know the key.
    pub value: Option<T>,
    pub source: CacheSource,
}

impl<T> Cached<T> {
    /// Whether the provider was called for this answer.
    pub fn made_call(&self) -> bool {
        self.source != CacheSource::Stored
    }
}

/// A cache entry as stored.
#[derive(Debug, sqlx::FromRow)]
struct Entry {
    /// `None` for a remembered "not found".
    body: Option<String>,
    etag: Option<String>,
    last_modified: Option<String>,
    fetched_at: i64,
}

/// What [`ResponseCache::stored`] found.
enum Stored<T> {
    /// Within the TTL: the value, or `None` for "not found".
    Fresh(Option<T>),
    /// Past the TTL (or absent): the value and body a "not modified" would keep, and the
    /// validators to send.
    Stale { kept: Option<(T, String)>, validators: Validators },
}

impl<T> Stored<T> {
    /// Nothing usable: an unconditional call.
    const MISSING: Stored<T> = Stored::Stale { kept: None, validators: Validators::NONE };
}

/// The persistent response cache.
#[derive(Clone)]
pub struct ResponseCache {
    db: Db,
    ttl: Duration,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

impl ResponseCache {
    /// A cache over `db` whose entries are used without a call for `ttl` ([`DEFAULT_TTL`]
    /// unless configured).
    pub fn new(db: Db, ttl: Duration) -> ResponseCache {
        ResponseCache { db, ttl }
    }

    /// How long an entry is used without a call.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The value stored under `key`, or the provider's answer to `call`.
    ///
    /// Within the TTL the stored body is decoded and no call is made. A stale entry with
    /// validators is revalidated: `call` gets them, and "not modified" keeps the body for
    /// another TTL. Otherwise `call` gets no validators. A found answer is stored with its
    /// validators, "not found" as a marker; a failed call stores nothing and its error comes
    /// back unchanged inside [`CacheError::Provider`].
    pub async fn fetch<T, F, Fut>(&self, key: &str, call: F) -> Result<Cached<T>, CacheError>
    where
        T: DeserializeOwned,
        F: FnOnce(Validators) -> Fut,
        Fut: Future<Output = Result<Outcome<T>, ProviderError>>,
    {
        let (kept, validators) = match self.stored::<T>(key).await? {
            Stored::Fresh(value) => return Ok(Cached { value, source: CacheSource::Stored }),
            Stored::Stale { kept, validators } => (kept, validators),
        };

        let outcome =
            call(validators.clone()).await.map_err(|source| CacheError::Provider { key: key.to_owned(), source })?;
        match outcome {
            Outcome::Found(fetched) => {
                self.store(key, Some(&fetched.body), &fetched.validators).await?;
                Ok(Cached { value: Some(fetched.value), source: CacheSource::Fetched })
            }
            Outcome::NotFound => {
                self.store(key, None, &Validators::NONE).await?;
                Ok(Cached { value: None, source: CacheSource::Fetched })
            }
            Outcome::NotModified(answered) => {
                let Some((value, body)) = kept else {
                    return Err(CacheError::NotModifiedWithoutBody { key: key.to_owned() });
                };
                // A 304 may carry new validators; those it leaves out stay as they were.
                let validators = Validators {
                    etag: answered.etag.or(validators.etag),
                    last_modified: answered.last_modified.or(validators.last_modified),
                };
                self.store(key, Some(&body), &validators).await?;
                Ok(Cached { value: Some(value), source: CacheSource::Revalidated })
            }
        }
    }

    /// The stored answer under `key` when it is still fresh (`Some(None)`: fresh "not found"),
    /// without calling anyone; `None` when a fetch would have to call.
    pub async fn fresh<T: DeserializeOwned>(&self, key: &str) -> Result<Option<Option<T>>, CacheError> {
        Ok(match self.stored::<T>(key).await? {
            Stored::Fresh(value) => Some(value),
            Stored::Stale { .. } => None,
        })
    }

    /// Forgets `key`, so the next fetch calls the provider. Answers whether it was cached.
    pub async fn invalidate(&self, key: &str) -> Result<bool, CacheError> {
        let deleted = self
            .db
            .execute("DELETE FROM provider_responses WHERE cache_key = $1", &[Param::from(key)])
            .await
            .map_err(failed(key, "deleting"))?;
        Ok(deleted > 0)
    }

    /// Deletes the entries fetched or revalidated more than `ttls` TTLs ago, for the cleanup
    /// job: a stale entry is still worth its validators for a while, an old one only takes
    /// room. Works in batches, each its own short transaction; answers how many went.
    pub async fn purge_older_than(&self, ttls: u32) -> Result<u64, CacheError> {
        let age_ms = self.ttl_ms().saturating_mul(i64::from(ttls));
        let cutoff = Utc::now().timestamp_millis().saturating_sub(age_ms);
        let mut purged = 0;
        loop {
            let deleted = self
                .db
                .execute(
                    "DELETE FROM provider_responses WHERE cache_key IN \
                     (SELECT cache_key FROM provider_responses WHERE fetched_at < $1 ORDER BY fetched_at LIMIT $2)",
                    &[Param::Int(cutoff), Param::from(PURGE_BATCH)],
                )
                .await
                .map_err(|source| CacheError::Purge { source })?;
            purged += deleted;
            if deleted < PURGE_BATCH {
                return Ok(purged);
            }
        }
    }

    /// What the entry under `key` still gives. A body that no longer decodes is no entry at
    /// all: it can be neither used nor revalidated.
    async fn stored<T: DeserializeOwned>(&self, key: &str) -> Result<Stored<T>, CacheError> {
        let Some(entry) = self.entry(key).await? else { return Ok(Stored::MISSING) };
        let fresh = Utc::now().timestamp_millis().saturating_sub(entry.fetched_at) < self.ttl_ms();
        let found = match entry.body {
            None => None,
            Some(body) => match serde_json::from_str::<T>(&body) {
                Ok(value) => Some((value, body)),
                Err(err) => {
                    tracing::debug!(key, error = %err, "a cached response no longer decodes; fetching it again");
                    return Ok(Stored::MISSING);
                }
            },
        };
        if fresh {
            return Ok(Stored::Fresh(found.map(|(value, _)| value)));
        }
        Ok(match found {
            // Only a stored body can be kept by "not modified", so only it is revalidated.
            Some(kept) => Stored::Stale {
                kept: Some(kept),
                validators: Validators { etag: entry.etag, last_modified: entry.last_modified },
            },
            None => Stored::MISSING,
        })
    }

    fn ttl_ms(&self) -> i64 {
        i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX)
    }

    async fn entry(&self, key: &str) -> Result<Option<Entry>, CacheError> {
        self.db
            .fetch_optional(
                "SELECT body, etag, last_modified, fetched_at FROM provider_responses WHERE cache_key = $1",
                &[Param::from(key)],
            )
            .await
            .map_err(failed(key, "reading"))
    }

    /// Stores an answer fetched or revalidated now; `body` is `None` for "not found".
    async fn store(&self, key: &str, body: Option<&str>, validators: &Validators) -> Result<(), CacheError> {
        self.db
            .execute(
                "INSERT INTO provider_responses (cache_key, body, etag, last_modified, fetched_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (cache_key) DO UPDATE SET body = excluded.body, etag = excluded.etag, \
                 last_modified = excluded.last_modified, fetched_at = excluded.fetched_at",
                &[
                    Param::from(key),
                    Param::from(body),
                    Param::from(validators.etag.clone()),
                    Param::from(validators.last_modified.clone()),
                    Param::Int(Utc::now().timestamp_millis()),
                ],
            )
            .await
            .map_err(failed(key, "storing"))?;
        Ok(())
    }
}

/// A mapper from the database's error to a [`CacheError`] naming the key and operation.
fn failed(key: &str, operation: &'static str) -> impl FnOnce(DbError) -> CacheError {
    let key = key.to_owned();
    move |source| CacheError::Db { key, operation, source }
}
