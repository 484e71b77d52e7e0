//! The OMDb client against a stand-in for `GET /?apikey=…&i=tt…`: the exact query, every
//! string turned into a value, `"N/A"` as absent, and errors read from the body
//! (`"Response":"False"`) whatever the status.

use std::time::Duration;

use chrono::NaiveDate;
use metarr_providers::{
    ImdbId, OmdbKind, OmdbMovie, OmdbRating, Outcome, Provider, ProviderError, RateLimitKind, RatingSource,
    TransientReason, Validators,
};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{OMDB_KEY, assert_no_secret, assert_no_secret_in, data, omdb, only_request, pairs, query};

fn fight_club() -> ImdbId {
    ImdbId::parse("tt0137523").unwrap()
}

async fn serving(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(response).mount(&server).await;
    server
}

fn error_body(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_raw(format!(r#"{{"Response":"False","Error":"{message}"}}"#), "application/json; charset=utf-8")
}

async fn movie(server: &MockServer) -> Result<Outcome<OmdbMovie>, ProviderError> {
    omdb(server).movie(&fight_club(), &Validators::NONE).await
}

#[tokio::test]
async fn asks_by_imdb_id_with_the_key_in_the_query() {
    let server =
        serving(ResponseTemplate::new(200).set_body_raw(data("omdb/constructed-tt0137523.json"), "application/json"))
            .await;

    movie(&server).await.unwrap().found().unwrap();

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/");
    assert_eq!(query(&request), pairs(&[("apikey", OMDB_KEY), ("i", "tt0137523")]));
}

#[tokio::test]
async fn every_string_becomes_a_value() {
    let server =
        serving(ResponseTemplate::new(200).set_body_raw(data("omdb/constructed-tt0137523.json"), "application/json"))
            .await;

    let fetched = movie(&server).await.unwrap().found().unwrap();
    let movie = &fetched.value;
    assert_eq!(movie.imdb_id, Some(fight_club()));
    assert_eq!(movie.title.as_deref(), Some("Fight Club"));
    assert_eq!(movie.year, Some(1999));
    assert_eq!(movie.rated.as_deref(), Some("R"));
    assert_eq!(movie.released, NaiveDate::from_ymd_opt(1999, 10, 15));
    assert_eq!(movie.runtime_minutes, Some(139));
    assert_eq!(movie.genres, ["Drama"]);
    assert_eq!(movie.directors, ["David Fincher"]);
    assert_eq!(movie.writers, ["Chuck Palahniuk", "Jim Uhls"]);
    assert_eq!(movie.actors, ["Brad Pitt", "Edward Norton", "Meat Loaf"]);
    assert_eq!(movie.countries, ["United States", "Germany"]);
    assert_eq!(movie.languages, ["English"]);
    assert_eq!(movie.metascore, Some(90));
    assert_eq!(movie.imdb_rating, Some(8.6));
    assert_eq!(movie.imdb_votes, Some(1_255_061));
    assert_eq!(movie.kind, Some(OmdbKind::Movie));
    assert_eq!(movie.dvd_release, NaiveDate::from_ymd_opt(2003, 10, 14));
    assert_eq!(movie.box_office_usd, Some(37_030_102));
    assert_eq!((movie.production.as_ref(), movie.website.as_ref()), (None, None), "N/A is absent");
    assert!(movie.poster_url.as_deref().unwrap().starts_with("https://m.media-amazon.com/"));
    assert_eq!(
        movie.ratings,
        [
            OmdbRating { source: RatingSource::Imdb, value: 8.6, max: 10.0 },
            OmdbRating { source: RatingSource::RottenTomatoes, value: 92.0, max: 100.0 },
            OmdbRating { source: RatingSource::Metacritic, value: 90.0, max: 100.0 },
        ]
    );
    // The body decodes again to the same value, for the app's response cache.
    assert_eq!(&serde_json::from_str::<OmdbMovie>(&fetched.body).unwrap(), movie);
    assert!(fetched.url.as_str().contains("apikey=REDACTED"), "{}", fetched.url);
}

#[tokio::test]
async fn not_available_values_are_absent() {
    let server =
        serving(ResponseTemplate::new(200).set_body_raw(data("omdb/constructed-sparse.json"), "application/json"))
            .await;

    let movie = movie(&server).await.unwrap().found().unwrap().value;
    assert_eq!(movie.title.as_deref(), Some("An Obscure Short"));
    assert_eq!(movie.year, Some(2011));
    assert_eq!((movie.rated, movie.released, movie.runtime_minutes), (None, None, None));
    assert_eq!((movie.metascore, movie.imdb_rating, movie.imdb_votes, movie.box_office_usd), (None, None, None, None));
    assert!(movie.directors.is_empty() && movie.writers.is_empty() && movie.actors.is_empty());
    assert!(movie.languages.is_empty() && movie.countries.is_empty() && movie.ratings.is_empty());
    assert_eq!((movie.plot, movie.poster_url, movie.awards), (None, None, None));
}

#[tokio::test]
async fn unreadable_ratings_are_dropped_and_others_kept() {
    let body = r#"{"Title":"X","Ratings":[{"Source":"Internet Movie Database","Value":"N/A"},
        {"Source":"Rotten Tomatoes","Value":"fresh"},{"Source":"Letterboxd","Value":"4.1/5"},{"Value":"7/10"}],
        "Runtime":"1 h 30","imdbVotes":"12x","Response":"True"}"#;
    let server = serving(ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;

    let movie = movie(&server).await.unwrap().found().unwrap().value;
    assert_eq!(
        movie.ratings,
        [OmdbRating { source: RatingSource::Other("Letterboxd".to_owned()), value: 4.1, max: 5.0 }]
    );
    assert_eq!((movie.runtime_minutes, movie.imdb_votes), (Some(1), None));
}

#[tokio::test]
async fn movie_not_found_and_incorrect_id_are_not_found() {
    for message in ["Movie not found!", "Incorrect IMDb ID."] {
        let server = serving(error_body(200, message)).await;
        assert_eq!(movie(&server).await.unwrap(), Outcome::NotFound, "{message}");
    }
}

#[tokio::test]
async fn key_errors_are_unauthorized_with_200_or_401() {
    for (status, message) in [(200, "Invalid API key!"), (401, "Invalid API key!"), (200, "No API key provided.")] {
        let server = serving(error_body(status, message)).await;
        let err = movie(&server).await.unwrap_err();
        let ProviderError::Unauthorized { message: said, .. } = &err else {
            panic!("{status} {message}: expected Unauthorized, got {err:?}")
        };
        assert_eq!(said, message);
        assert!(err.is_permanent());
        assert!(err.to_string().contains("fix the OMDb API key"), "{err}");
        assert_no_secret(&err, Provider::Omdb);
    }
}

#[tokio::test]
async fn a_spent_quota_snoozes_until_midnight_utc() {
    for status in [200, 401] {
        let server = serving(error_body(status, "Request limit reached!")).await;
        let before = metarr_providers::until_next_utc_midnight(chrono::Utc::now());
        let err = movie(&server).await.unwrap_err();
        let after = metarr_providers::until_next_utc_midnight(chrono::Utc::now());
        assert!(matches!(err, ProviderError::RateLimited { kind: RateLimitKind::QuotaExhausted, .. }), "{err:?}");
        let retry_after = err.retry_after().unwrap();
        assert!(after <= retry_after && retry_after <= before, "{retry_after:?} not in {after:?}..={before:?}");
        assert!(retry_after <= Duration::from_secs(86_400));
        assert!(!err.is_permanent());
        assert_no_secret(&err, Provider::Omdb);
    }
}

#[tokio::test]
async fn an_unknown_error_is_an_invalid_response_and_a_5xx_stays_transient() {
    let server = serving(error_body(200, "Something went wrong.")).await;
    let err = movie(&server).await.unwrap_err();
    let ProviderError::InvalidResponse { detail, .. } = &err else { panic!("expected InvalidResponse, got {err:?}") };
    assert_eq!(detail, "OMDb answered an error: Something went wrong.");

    let server = serving(error_body(503, "Something went wrong.")).await;
    let err = movie(&server).await.unwrap_err();
    assert!(matches!(err, ProviderError::Transient { reason: TransientReason::Status(503), .. }), "{err:?}");

    let server = serving(ResponseTemplate::new(503).set_body_string("<html>Service Unavailable</html>")).await;
    let err = movie(&server).await.unwrap_err();
    assert!(matches!(err, ProviderError::Transient { reason: TransientReason::Status(503), .. }), "{err:?}");
    assert_no_secret(&err, Provider::Omdb);
}

#[tokio::test]
async fn an_answer_without_response_true_is_invalid() {
    for (body, detail) in [
        (r#"{"Title":"Fight Club"}"#, "the JSON has no \"Response\": \"True\""),
        (r#"["Fight Club"]"#, "the JSON is not an object"),
        ("", "the body is empty"),
        (r#"{"Title":"Fight Club","Resp"#, "the JSON ends early (cut off) (27 bytes)"),
        ("<html>", "the body is not JSON (6 bytes)"),
    ] {
        let server = serving(ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
        let err = movie(&server).await.unwrap_err();
        let ProviderError::InvalidResponse { detail: said, .. } = &err else {
            panic!("{body}: expected InvalidResponse, got {err:?}")
        };
        assert_eq!(said, detail, "{body}");
        assert_no_secret(&err, Provider::Omdb);
    }
}

#[tokio::test]
async fn a_429_is_throttled_not_the_quota() {
    let server = serving(ResponseTemplate::new(429).insert_header("Retry-After", "5")).await;
    let err = movie(&server).await.unwrap_err();
    assert!(matches!(err, ProviderError::RateLimited { kind: RateLimitKind::Throttled, .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(5)));
}

#[tokio::test]
async fn the_client_debug_holds_no_key() {
    let server = MockServer::start().await;
    assert_no_secret_in(&format!("{:?}", omdb(&server)));
}

#[tokio::test]
async fn a_series_by_imdb_id_is_the_same_request_and_says_it_is_a_series() {
    let server =
        serving(ResponseTemplate::new(200).set_body_raw(data("omdb/constructed-tt0903747.json"), "application/json"))
            .await;

    let breaking_bad = ImdbId::parse("tt0903747").unwrap();
    let fetched = omdb(&server).series(&breaking_bad, &Validators::NONE).await.unwrap().found().unwrap();

    let request = only_request(&server).await;
    assert_eq!(query(&request), pairs(&[("apikey", OMDB_KEY), ("i", "tt0903747")]));
    let series = &fetched.value;
    assert_eq!(series.kind, Some(OmdbKind::Series));
    assert_eq!((series.year, series.end_year, series.total_seasons), (Some(2008), Some(2013), Some(5)));
    assert_eq!((series.rated.as_deref(), series.runtime_minutes), (Some("TV-MA"), Some(49)));
    assert_eq!(series.released, NaiveDate::from_ymd_opt(2008, 1, 20));
    assert!(series.directors.is_empty(), "a series has no director: N/A");
    assert_eq!(series.writers, ["Vince Gilligan"]);
    assert_eq!(series.imdb_rating, Some(9.5));
    assert_eq!(series.imdb_votes, Some(2_093_455));
    assert_eq!((series.metascore, series.box_office_usd, series.dvd_release), (None, None, None));
    assert_eq!(series.ratings, [OmdbRating { source: RatingSource::Imdb, value: 9.5, max: 10.0 }]);
    assert_eq!(&serde_json::from_str::<OmdbMovie>(&fetched.body).unwrap(), series);
}

#[tokio::test]
async fn a_film_has_no_seasons_and_no_end_year() {
    let server =
        serving(ResponseTemplate::new(200).set_body_raw(data("omdb/constructed-tt0137523.json"), "application/json"))
            .await;

    let movie = movie(&server).await.unwrap().found().unwrap().value;
    assert_eq!((movie.kind, movie.end_year, movie.total_seasons), (Some(OmdbKind::Movie), None, None));
}
