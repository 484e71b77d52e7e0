//! The providers' budgets and response cache, which must hold across processes sharing the
//! database: the rate limit and the daily quota of `DbGate` with two independent connections
//! (each its own pool and, on SQLite, its own writer, as two processes have), a provider's
//! `Retry-After`, and `ResponseCache` with a real OMDb client against a local stand-in.

use crate::helpers::{Backend, TestDatabase};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metarr::db::{Db, Param};
use metarr::provider_budget::DbGate;
use metarr::provider_cache::{CacheSource, Cached, ResponseCache};
use metarr_providers::{
    Gate, ImdbId, OmdbClient, OmdbMovie, OmdbSettings, Provider, ProviderError, ProvidersSettings, RateLimitKind,
    Ungated, until_next_utc_midnight,
};
use metarr_queue::Queue;
use secrecy::SecretString;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tempfile::TempDir;
use tokio::time::Instant;

/// A film the stand-in knows, with its `ETag`.
const MATRIX: &str = "tt0133093";
const MATRIX_ETAG: &str = "\"matrix-v1\"";
/// A film the stand-in does not know.
const UNKNOWN: &str = "tt0000404";
/// A film the stand-in answers 429 for, with `Retry-After: 120`.
const THROTTLED: &str = "tt0000429";

fn non_zero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("a test limit is not zero")
}

/// One database and the connections tests open on it.
struct SharedDatabase {
    database: TestDatabase,
    _dir: TempDir,
}

impl SharedDatabase {
    async fn create(backend: &Backend) -> SharedDatabase {
        let dir = tempfile::tempdir().expect("temporary directory");
        let database = TestDatabase::create(backend, dir.path()).await;
        SharedDatabase { database, _dir: dir }
    }

    /// A connection of its own, as another process would open it (migrated on the first).
    async fn connect(&self) -> Db {
        Db::new(&Queue::connect(&self.database.url).await.expect("connect to the test database"))
    }
}

/// A request the stand-in received.
#[derive(Debug, Clone)]
struct Seen {
    imdb_id: String,
    if_none_match: Option<String>,
    at: Instant,
}

/// A local OMDb that records every request it gets.
#[derive(Clone, Default)]
struct OmdbStandIn {
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl OmdbStandIn {
    /// Starts it on a free port; answers its base URL.
    async fn start() -> (OmdbStandIn, String) {
        let stand_in = OmdbStandIn::default();
        let app = axum::Router::new().route("/", axum::routing::get(answer)).with_state(stand_in.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("local address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (stand_in, format!("http://{address}"))
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("stand-in lock").clone()
    }

    fn calls(&self) -> usize {
        self.seen.lock().expect("stand-in lock").len()
    }
}

async fn answer(
    State(stand_in): State<OmdbStandIn>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let at = Instant::now();
    let imdb_id = query.get("i").cloned().unwrap_or_default();
    let if_none_match = headers.get(header::IF_NONE_MATCH).and_then(|value| value.to_str().ok()).map(str::to_owned);
    stand_in.seen.lock().expect("stand-in lock").push(Seen {
        imdb_id: imdb_id.clone(),
        if_none_match: if_none_match.clone(),
        at,
    });
    match imdb_id.as_str() {
        UNKNOWN => {
            axum::Json(serde_json::json!({ "Response": "False", "Error": "Incorrect IMDb ID." })).into_response()
        }
        THROTTLED => (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "120")], "slow down").into_response(),
        _ if if_none_match.as_deref() == Some(MATRIX_ETAG) => {
            (StatusCode::NOT_MODIFIED, [(header::ETAG, MATRIX_ETAG)]).into_response()
        }
        _ => (
            [(header::ETAG, MATRIX_ETAG)],
            axum::Json(serde_json::json!({
                "Title": "The Matrix", "Year": "1999", "imdbID": imdb_id, "Type": "movie",
                "imdbRating": "8.7", "Ratings": [], "Response": "True"
            })),
        )
            .into_response(),
    }
}

/// Settings whose OMDb is the stand-in, with the given limits.
fn settings(base_url: &str, requests_per_second: u32, daily_quota: Option<u32>) -> ProvidersSettings {
    let omdb = OmdbSettings {
        api_key: Some(SecretString::from("test-key")),
        base_url: base_url.to_owned(),
        requests_per_second: non_zero(requests_per_second),
        daily_quota: daily_quota.map(non_zero),
        ..OmdbSettings::default()
    };
    ProvidersSettings { omdb, ..ProvidersSettings::default() }
}

fn client(settings: &ProvidersSettings, gate: Arc<dyn Gate>) -> Arc<OmdbClient> {
    Arc::new(OmdbClient::new(&settings.omdb, gate).expect("OMDb client"))
}

fn imdb(id: &str) -> ImdbId {
    ImdbId::parse(id).expect("a valid IMDb id")
}

/// `count` concurrent requests for `MATRIX` through `client`; answers each result.
fn fire(client: &Arc<OmdbClient>, count: usize) -> Vec<tokio::task::JoinHandle<Result<(), ProviderError>>> {
    (0..count)
        .map(|_| {
            let client = Arc::clone(client);
            tokio::spawn(async move { client.movie(&imdb(MATRIX), &Default::default()).await.map(|_| ()) })
        })
        .collect()
}

async fn results(tasks: Vec<tokio::task::JoinHandle<Result<(), ProviderError>>>) -> Vec<Result<(), ProviderError>> {
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("the request task did not panic"));
    }
    results
}

app_test!(two_processes_share_one_rate_limit);
async fn two_processes_share_one_rate_limit(backend: Backend) {
    const LIMIT: u32 = 20;
    const REQUESTS: usize = 60;
    let shared = SharedDatabase::create(&backend).await;
    let (stand_in, base_url) = OmdbStandIn::start().await;
    let settings = settings(&base_url, LIMIT, None);
    let first = Arc::new(DbGate::new(shared.connect().await, &settings));
    let second = Arc::new(DbGate::new(shared.connect().await, &settings));
    let first_client = client(&settings, first.clone());
    let second_client = client(&settings, second.clone());

    // Warm up: what a long-running process has already (database and HTTP connections in its
    // pools), so that what is measured is the limit, not a cold start.
    for gate in [&first, &second] {
        gate.set_limits(Provider::Omdb, non_zero(1000), None);
    }
    let mut warm_up = fire(&first_client, REQUESTS / 2);
    warm_up.extend(fire(&second_client, REQUESTS / 2));
    for result in results(warm_up).await {
        result.expect("warming up");
    }
    stand_in.seen.lock().expect("stand-in lock").clear();
    for gate in [&first, &second] {
        gate.set_limits(Provider::Omdb, non_zero(LIMIT), None);
    }
    // A quiet second after the warm-up, so that the burst starts on an idle provider, as a batch
    // of jobs does.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let mut tasks = fire(&first_client, REQUESTS / 2);
    tasks.extend(fire(&second_client, REQUESTS / 2));
    for result in results(tasks).await {
        result.expect("every request is let through, none refused");
    }

    let seen = stand_in.seen();
    assert!(seen.iter().all(|seen| seen.imdb_id == MATRIX && seen.if_none_match.is_none()), "{seen:?}");
    let mut arrivals: Vec<Instant> = seen.iter().map(|seen| seen.at).collect();
    arrivals.sort();
    assert_eq!(arrivals.len(), REQUESTS);
    let limit = LIMIT as usize;
    let offsets: Vec<Duration> = arrivals.iter().map(|at| *at - arrivals[0]).collect();
    // A one-second window holding LIMIT + 1 requests would hold requests i and i + LIMIT.
    for index in limit..arrivals.len() {
        let span = arrivals[index] - arrivals[index - limit];
        assert!(
            span >= Duration::from_secs(1),
            "requests {} to {index} arrived within {span:?}: {offsets:?}",
            index - limit
        );
    }
    // Spaced by 1/20 s plus the 8 % margin, and not much slower than that.
    let minimum = Duration::from_micros(54_000) * (REQUESTS as u32 - 1);
    let took = arrivals[REQUESTS - 1] - arrivals[0];
    assert!(took <= minimum.mul_f64(1.15), "{took:?} is far from the minimum {minimum:?}");

    // Every request counted once, whichever process sent it; no quota for it to stop at.
    let usage = second.usage(Provider::Omdb).await.expect("usage");
    assert_eq!((usage.used_today, usage.daily_quota, usage.requests_per_second), (2 * REQUESTS as u64, None, LIMIT));
    assert_eq!(usage.blocked_until_ms, None);
}

app_test!(the_daily_quota_is_never_exceeded_and_survives_a_restart);
async fn the_daily_quota_is_never_exceeded_and_survives_a_restart(backend: Backend) {
    const QUOTA: u32 = 5;
    let shared = SharedDatabase::create(&backend).await;
    let (stand_in, base_url) = OmdbStandIn::start().await;
    // A rate high enough that only the quota holds requests back.
    let settings = settings(&base_url, 1000, Some(QUOTA));
    let first_client = client(&settings, Arc::new(DbGate::new(shared.connect().await, &settings)));
    let second_gate = Arc::new(DbGate::new(shared.connect().await, &settings));
    let second_client = client(&settings, second_gate.clone());

    let mut tasks = fire(&first_client, 8);
    tasks.extend(fire(&second_client, 8));
    let results = results(tasks).await;
    let midnight = until_next_utc_midnight(chrono::Utc::now());
    assert_eq!(results.iter().filter(|result| result.is_ok()).count(), QUOTA as usize, "{results:?}");
    assert_eq!(stand_in.calls(), QUOTA as usize, "a refused request is never sent");
    for refused in results.iter().filter_map(|result| result.as_ref().err()) {
        assert!(
            matches!(refused, ProviderError::RateLimited { kind: RateLimitKind::Local, .. }),
            "refused by the gate: {refused}"
        );
        let retry_after = refused.retry_after().expect("a wait");
        assert!(retry_after.abs_diff(midnight) < Duration::from_secs(5), "{retry_after:?} is not until midnight UTC");
    }
    let usage = second_gate.usage(Provider::Omdb).await.expect("usage");
    assert_eq!((usage.used_today, usage.daily_quota), (u64::from(QUOTA), Some(QUOTA)));

    // A restarted process counts on from the database, and TMDB is not held back by OMDb's quota.
    let restarted = DbGate::new(shared.connect().await, &settings);
    let refusal = restarted.before_request(Provider::Omdb).await.expect_err("the quota is still spent");
    assert!(refusal.retry_after.abs_diff(midnight) < Duration::from_secs(5), "{refusal:?}");
    restarted.before_request(Provider::Tmdb).await.expect("TMDB has no quota");
    assert_eq!(restarted.usage(Provider::Tmdb).await.expect("usage").used_today, 1);

    // A quota raised at run time lets exactly the difference through.
    restarted.set_limits(Provider::Omdb, non_zero(1000), Some(non_zero(QUOTA + 1)));
    restarted.before_request(Provider::Omdb).await.expect("one more under the raised quota");
    restarted.before_request(Provider::Omdb).await.expect_err("the raised quota is spent too");
    assert_eq!(restarted.usage(Provider::Omdb).await.expect("usage").used_today, u64::from(QUOTA + 1));
}

app_test!(a_providers_retry_after_refuses_every_process_until_then);
async fn a_providers_retry_after_refuses_every_process_until_then(backend: Backend) {
    let shared = SharedDatabase::create(&backend).await;
    let settings = settings("http://127.0.0.1:9", 1000, None);
    let first = DbGate::new(shared.connect().await, &settings);
    let second = DbGate::new(shared.connect().await, &settings);

    let block = Duration::from_secs(2);
    first.note_retry_after(Provider::Tmdb, block).await.expect("noted");
    // A shorter wait noted later does not shorten the block.
    second.note_retry_after(Provider::Tmdb, Duration::from_millis(100)).await.expect("noted");
    let refusal = second.before_request(Provider::Tmdb).await.expect_err("blocked in the other process too");
    assert!(
        refusal.retry_after > Duration::from_secs(1) && refusal.retry_after <= block,
        "{:?} is not what is left of {block:?}",
        refusal.retry_after
    );
    let usage = second.usage(Provider::Tmdb).await.expect("usage");
    assert!(usage.blocked_until_ms.is_some(), "{usage:?}");
    assert_eq!(usage.used_today, 0, "a refused request is not counted");
    first.before_request(Provider::Fanart).await.expect("other providers are not blocked");

    // The block ends when the refusal said it would.
    tokio::time::sleep(refusal.retry_after).await;
    first.before_request(Provider::Tmdb).await.expect("let through once the block ended");
    let usage = first.usage(Provider::Tmdb).await.expect("usage");
    assert_eq!((usage.used_today, usage.blocked_until_ms), (1, None));
}

/// A cache and a client against the stand-in, with no gate.
async fn cache_setup(backend: &Backend) -> (SharedDatabase, Db, ResponseCache, OmdbStandIn, Arc<OmdbClient>) {
    let shared = SharedDatabase::create(backend).await;
    let db = shared.connect().await;
    let cache = ResponseCache::new(db.clone(), metarr::provider_cache::DEFAULT_TTL);
    let (stand_in, base_url) = OmdbStandIn::start().await;
    let client = client(&settings(&base_url, 1000, None), Arc::new(Ungated));
    (shared, db, cache, stand_in, client)
}

async fn fetch(cache: &ResponseCache, client: &OmdbClient, id: &str) -> Result<Cached<OmdbMovie>, String> {
    let key = format!("omdb:movie:{id}");
    cache
        .fetch(&key, |validators| async move { client.movie(&imdb(id), &validators).await })
        .await
        .map_err(|err| metarr_errors::chain(&err))
}

async fn sql(db: &Db, statement: &str, params: &[Param]) {
    db.execute(statement, params).await.unwrap_or_else(|err| panic!("{statement}: {err}"));
}

app_test!(a_cached_response_is_used_without_a_call_within_the_ttl);
async fn a_cached_response_is_used_without_a_call_within_the_ttl(backend: Backend) {
    let (_shared, _db, cache, stand_in, client) = cache_setup(&backend).await;
    let first = fetch(&cache, &client, MATRIX).await.expect("fetched");
    assert_eq!(first.source, CacheSource::Fetched);
    assert!(first.made_call());
    assert_eq!(stand_in.calls(), 1);

    let second = fetch(&cache, &client, MATRIX).await.expect("from the cache");
    assert_eq!(second.source, CacheSource::Stored);
    assert!(!second.made_call());
    assert_eq!(second.value, first.value);
    assert_eq!(second.value.and_then(|movie| movie.title).as_deref(), Some("The Matrix"));
    assert_eq!(stand_in.calls(), 1, "no call within the TTL");

    assert!(cache.invalidate(&format!("omdb:movie:{MATRIX}")).await.expect("invalidated"));
    assert_eq!(fetch(&cache, &client, MATRIX).await.expect("fetched").source, CacheSource::Fetched);
    assert_eq!(stand_in.calls(), 2, "an invalidated entry is fetched again");
}

app_test!(a_stale_response_is_revalidated_and_kept_on_not_modified);
async fn a_stale_response_is_revalidated_and_kept_on_not_modified(backend: Backend) {
    let (_shared, db, cache, stand_in, client) = cache_setup(&backend).await;
    let first = fetch(&cache, &client, MATRIX).await.expect("fetched");
    // Fetched eight days ago: past the seven-day TTL.
    let eight_days_ago = chrono::Utc::now().timestamp_millis() - 8 * 86_400_000;
    sql(&db, "UPDATE provider_responses SET fetched_at = $1", &[Param::Int(eight_days_ago)]).await;

    let revalidated = fetch(&cache, &client, MATRIX).await.expect("revalidated");
    assert_eq!(revalidated.source, CacheSource::Revalidated);
    assert_eq!(revalidated.value, first.value, "the stored body is kept");
    let seen = stand_in.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].if_none_match, None, "the first request is unconditional");
    assert_eq!(seen[1].if_none_match.as_deref(), Some(MATRIX_ETAG), "the stale one sends its ETag");

    // Revalidation starts a new TTL.
    assert_eq!(fetch(&cache, &client, MATRIX).await.expect("from the cache").source, CacheSource::Stored);
    assert_eq!(stand_in.calls(), 2);

    // Old entries go with the purge, recent ones stay.
    assert_eq!(cache.purge_older_than(2).await.expect("purged"), 0);
    sql(&db, "UPDATE provider_responses SET fetched_at = 0", &[]).await;
    assert_eq!(cache.purge_older_than(2).await.expect("purged"), 1);
    assert_eq!(fetch(&cache, &client, MATRIX).await.expect("fetched").source, CacheSource::Fetched);
}

app_test!(not_found_is_cached_like_an_answer);
async fn not_found_is_cached_like_an_answer(backend: Backend) {
    let (_shared, _db, cache, stand_in, client) = cache_setup(&backend).await;
    let first = fetch(&cache, &client, UNKNOWN).await.expect("an answer");
    assert_eq!((first.value, first.source), (None, CacheSource::Fetched));
    let second = fetch(&cache, &client, UNKNOWN).await.expect("an answer");
    assert_eq!((second.value, second.source), (None, CacheSource::Stored));
    assert_eq!(stand_in.calls(), 1, "not found is remembered for the TTL");
}

app_test!(a_stored_body_that_no_longer_decodes_is_a_miss);
async fn a_stored_body_that_no_longer_decodes_is_a_miss(backend: Backend) {
    let (_shared, db, cache, stand_in, client) = cache_setup(&backend).await;
    fetch(&cache, &client, MATRIX).await.expect("fetched");
    // What an older Metarr, or a damaged row, may have left: not JSON, or JSON of another shape.
    for body in ["{\"Title\": \"cut off", "\"a string, not an object\""] {
        sql(&db, "UPDATE provider_responses SET body = $1", &[Param::from(body)]).await;
        let refetched = fetch(&cache, &client, MATRIX).await.expect("fetched again");
        assert_eq!(refetched.source, CacheSource::Fetched, "{body}");
        assert_eq!(refetched.value.and_then(|movie| movie.title).as_deref(), Some("The Matrix"));
        assert_eq!(
            stand_in.seen().last().map(|seen| seen.if_none_match.clone()),
            Some(None),
            "an undecodable body is not revalidated, it is fetched"
        );
    }
    assert_eq!(stand_in.calls(), 3);
    assert_eq!(fetch(&cache, &client, MATRIX).await.expect("from the cache").source, CacheSource::Stored);
}

app_test!(a_failed_call_returns_the_provider_error_and_stores_nothing);
async fn a_failed_call_returns_the_provider_error_and_stores_nothing(backend: Backend) {
    let (_shared, _db, cache, stand_in, client) = cache_setup(&backend).await;
    let key = format!("omdb:movie:{THROTTLED}");
    for calls in 1..=2 {
        let err = cache
            .fetch(&key, |validators| {
                let client = &client;
                async move { client.movie(&imdb(THROTTLED), &validators).await }
            })
            .await
            .expect_err("the provider refused");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(120)), "{err}");
        assert!(
            matches!(err.provider_error(), Some(ProviderError::RateLimited { kind: RateLimitKind::Throttled, .. })),
            "{err}"
        );
        assert!(metarr_errors::chain(&err).starts_with(&format!("fetching {key}: OMDb")), "{err}");
        assert_eq!(stand_in.calls(), calls, "a failure is not cached");
    }
    assert!(stand_in.seen().iter().all(|seen| seen.imdb_id == THROTTLED));
}
