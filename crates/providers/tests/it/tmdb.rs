//! The TMDB client against a stand-in serving the real captures of movie 550: exact
//! requests with a v3 key and a v4 token, every answer type decoded, and TMDB's own
//! error bodies sorted into outcomes.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use metarr_providers::tmdb::{
    ChangesQuery, Collection, Configuration, Credits, ExternalIds, FindResults, Images, MovieDetails, MovieSearch,
    MovieSummary, Page, ReleaseDates, ReleaseType, VideoSite, VideoType, Videos,
};
use metarr_providers::{
    ArtLanguage, CollectionId, DEFAULT_RETRY_AFTER, ImdbId, Language, Outcome, Provider, ProviderError, RateLimitKind,
    TmdbAuthKind, TmdbClient, TmdbId, TransientReason, Ungated, Validators,
};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{
    TMDB_KEY, TMDB_TOKEN, assert_no_secret, data, header, json, movie_550_appended, only_request, pairs, query, tmdb,
    tmdb_settings, tmdb_with,
};

const APPENDS: &str = "credits,external_ids,release_dates,keywords,videos,images";

pub(crate) async fn serve(server: &MockServer, at: &str, response: ResponseTemplate) {
    Mock::given(method("GET")).and(path(at)).respond_with(response).mount(server).await;
}

fn ok_json(body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json;charset=utf-8")
}

pub(crate) fn ok_file(file: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(data(file), "application/json;charset=utf-8")
}

pub(crate) fn fr_ca() -> Language {
    Language::parse("fr-CA").unwrap()
}

pub(crate) fn found<T: std::fmt::Debug>(outcome: Outcome<T>) -> metarr_providers::Fetched<T> {
    match outcome {
        Outcome::Found(fetched) => fetched,
        other => panic!("expected Found, got {other:?}"),
    }
}

#[tokio::test]
async fn movie_asks_for_everything_in_one_request_with_the_v3_key_in_the_query() {
    let server = MockServer::start().await;
    serve(&server, "/3/movie/550", ok_json(&movie_550_appended())).await;

    let client = tmdb(&server);
    assert_eq!(client.auth_kind(), TmdbAuthKind::ApiKey);
    found(client.movie(TmdbId(550), &fr_ca(), &Validators::NONE).await.unwrap());

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/3/movie/550");
    assert_eq!(
        query(&request),
        pairs(&[
            ("api_key", TMDB_KEY),
            ("language", "fr-CA"),
            ("append_to_response", APPENDS),
            ("include_image_language", "fr,en,null"),
            ("include_video_language", "fr,en,null"),
        ])
    );
    assert_eq!(header(&request, "authorization"), None, "a v3 key goes in the query only");
}

#[tokio::test]
async fn a_v4_token_goes_in_a_bearer_header_and_never_in_the_query() {
    let server = MockServer::start().await;
    serve(&server, "/3/configuration", ok_file("tmdb/constructed-configuration.json")).await;

    let client = tmdb_with(&server, TMDB_TOKEN);
    assert_eq!(client.auth_kind(), TmdbAuthKind::ReadAccessToken);
    found(client.configuration(&Validators::NONE).await.unwrap());

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/3/configuration");
    assert_eq!(request.url.query(), None);
    assert_eq!(header(&request, "authorization"), Some(format!("Bearer {TMDB_TOKEN}")));
}

#[tokio::test]
async fn movie_decodes_every_appended_part_of_the_real_capture() {
    let server = MockServer::start().await;
    let served = movie_550_appended();
    serve(&server, "/3/movie/550", ok_json(&served)).await;

    let fetched = found(tmdb(&server).movie(TmdbId(550), &Language::default(), &Validators::NONE).await.unwrap());
    let movie = &fetched.value;
    assert_eq!(movie.id, TmdbId(550));
    assert_eq!(movie.title, "Fight Club");
    assert_eq!(movie.original_title.as_deref(), Some("Fight Club"));
    assert_eq!(movie.original_language.as_deref(), Some("en"));
    assert_eq!(movie.tagline.as_deref(), Some("Mischief. Mayhem. Soap."));
    assert_eq!(movie.imdb_id, Some(ImdbId::parse("tt0137523").unwrap()));
    assert_eq!(movie.release_date, NaiveDate::from_ymd_opt(1999, 10, 15));
    assert_eq!(movie.year(), Some(1999));
    assert_eq!(movie.runtime, Some(139));
    assert_eq!(movie.belongs_to_collection, None);
    assert_eq!(movie.genres.iter().map(|genre| genre.name.as_str()).collect::<Vec<_>>(), ["Drama"]);
    assert_eq!(movie.production_companies.len(), 5);
    assert_eq!(movie.production_companies[0].name, "Fox 2000 Pictures");
    assert_eq!(
        movie.production_countries.iter().map(|country| country.iso_3166_1.as_str()).collect::<Vec<_>>(),
        ["DE", "US"]
    );
    assert_eq!(movie.vote_count, 27917);

    let credits = movie.credits.as_ref().unwrap();
    assert_eq!((credits.cast.len(), credits.crew.len()), (76, 187));
    assert_eq!(credits.cast[0].name, "Edward Norton");
    assert_eq!(credits.cast[0].character.as_deref(), Some("Narrator"));
    assert_eq!(credits.cast[1].order, 1);
    assert_eq!(credits.directors().map(|member| member.name.as_str()).collect::<Vec<_>>(), ["David Fincher"]);
    assert_eq!(
        credits.writers().map(|member| member.name.as_str()).collect::<Vec<_>>(),
        ["Chuck Palahniuk", "Jim Uhls"]
    );

    let external_ids = movie.external_ids.as_ref().unwrap();
    assert_eq!(external_ids.imdb_id.as_ref().map(ImdbId::as_str), Some("tt0137523"));
    assert_eq!(external_ids.wikidata_id.as_deref(), Some("Q190050"));
    assert_eq!(external_ids.instagram_id, None);

    let release_dates = movie.release_dates.as_ref().unwrap();
    assert_eq!(release_dates.results.len(), 50);
    assert_eq!(release_dates.certification("US"), Some("R"), "theatrical wins over premieres without one");
    assert_eq!(release_dates.certification("FR"), Some("16"));
    assert_eq!(release_dates.certification("de"), Some("18"));
    assert_eq!(release_dates.certification("ZZ"), None);
    let us = release_dates.results.iter().find(|entry| entry.iso_3166_1 == "US").unwrap();
    assert_eq!(us.release_dates[0].kind, ReleaseType::Premiere);
    assert_eq!(us.release_dates[0].certification, None, "\"\" is no certification");

    let keywords = movie.keywords.as_ref().unwrap();
    assert!(keywords.keywords.iter().any(|keyword| keyword.name == "support group"));

    let videos = movie.videos.as_ref().unwrap();
    assert_eq!(videos.results.len(), 3);
    let trailer = videos.trailer().unwrap();
    assert_eq!(
        (trailer.site.clone(), trailer.kind.clone(), trailer.official),
        (VideoSite::YouTube, VideoType::Trailer, true)
    );
    assert_eq!(trailer.url().as_deref(), Some("https://www.youtube.com/watch?v=dfeUzm6KF4g"));

    let images = movie.images.as_ref().unwrap();
    assert_eq!((images.posters.len(), images.backdrops.len(), images.logos.len()), (102, 55, 45));
    let textless_in_capture = |kind: &str| {
        served["images"][kind].as_array().unwrap().iter().filter(|image| image["iso_639_1"].is_null()).count()
    };
    let textless = |list: &[metarr_providers::tmdb::Image]| {
        list.iter().filter(|image| image.language == ArtLanguage::Textless).count()
    };
    assert_eq!(textless(&images.backdrops), textless_in_capture("backdrops"));
    assert_eq!(textless(&images.posters), textless_in_capture("posters"));
    assert!(textless(&images.backdrops) > 0);
    assert_eq!(images.backdrops[2].language, ArtLanguage::Language("en".to_owned()));
    assert_eq!(images.backdrops[0].file_path, "/hZkgoQYus5vegHoetLkCJzb17zJ.jpg");

    // The raw body is kept and decodes to the same value, for the app's response cache.
    assert_eq!(serde_json::from_str::<Value>(&fetched.body).unwrap(), served);
    assert_eq!(&serde_json::from_str::<MovieDetails>(&fetched.body).unwrap(), movie);
    assert!(fetched.url.as_str().contains("api_key=REDACTED"), "{}", fetched.url);
}

#[test]
fn every_real_capture_decodes() {
    let details: MovieDetails = serde_json::from_str(&data("tmdb/movie-details.json")).unwrap();
    assert_eq!(details.id, TmdbId(550));
    assert!(details.credits.is_none() && details.images.is_none(), "nothing appended, nothing there");

    let credits: Credits = serde_json::from_str(&data("tmdb/movie-credits.json")).unwrap();
    assert_eq!(credits.cast.len(), 76);
    assert!(credits.crew.iter().any(|member| member.profile_path.is_none()), "null profile paths are kept as absent");

    let external_ids: ExternalIds = serde_json::from_str(&data("tmdb/movie-external-ids.json")).unwrap();
    assert_eq!(external_ids.facebook_id.as_deref(), Some("FightClub"));
    assert_eq!(external_ids.twitter_id, None);

    let images: Images = serde_json::from_str(&data("tmdb/movie-images.json")).unwrap();
    assert_eq!(images.logos.len(), 45);
    assert!(images.posters.iter().all(|poster| poster.width > 0 && poster.height > 0));

    let release_dates: ReleaseDates = serde_json::from_str(&data("tmdb/movie-release-dates.json")).unwrap();
    let ae = &release_dates.results[0];
    assert_eq!((ae.iso_3166_1.as_str(), ae.release_dates[0].kind), ("AE", ReleaseType::Physical));
    assert_eq!(ae.release_dates[0].note.as_deref(), Some("Blu-ray"));
    assert_eq!(ae.release_dates[0].iso_639_1, None);
    assert_eq!(
        ae.release_dates[0].release_date.map(|date| date.to_rfc3339()),
        Some("2009-11-23T00:00:00+00:00".to_owned())
    );

    let videos: Videos = serde_json::from_str(&data("tmdb/movie-videos.json")).unwrap();
    assert_eq!(videos.results[0].key, "dfeUzm6KF4g");

    let search: Page<MovieSummary> = serde_json::from_str(&data("tmdb/search-movie.json")).unwrap();
    assert_eq!((search.page, search.total_pages, search.total_results), (1, 1, 1));
    assert_eq!(search.results[0].original_language.as_deref(), Some("fr"));

    for error in ["tmdb/invalid-api-key.json", "tmdb/resource-not-found.json"] {
        let body = json(error);
        assert!(body["status_code"].is_u64() && body["status_message"].is_string(), "{error}");
    }
}

#[test]
fn sparse_and_minimal_entries_decode_with_nothing_invented() {
    let sparse: MovieDetails = serde_json::from_str(&data("tmdb/constructed-movie-sparse.json")).unwrap();
    assert_eq!(sparse.release_date, None);
    assert_eq!(sparse.runtime, None, "a runtime of 0 is unknown");
    assert_eq!((sparse.overview.as_ref(), sparse.tagline.as_ref(), sparse.homepage.as_ref()), (None, None, None));
    assert_eq!((sparse.imdb_id.as_ref(), sparse.poster_path.as_ref()), (None, None));
    assert_eq!(sparse.external_ids.as_ref().unwrap(), &ExternalIds::default());
    assert_eq!(sparse.release_dates.as_ref().unwrap().certification("US"), None);
    assert_eq!(sparse.videos.as_ref().unwrap().trailer(), None);
    assert_eq!(sparse.credits.as_ref().unwrap().directors().count(), 1);

    // Only the id is required; nulls where lists and numbers belong are empty and zero.
    let minimal: MovieDetails = serde_json::from_str(r#"{"id": 7}"#).unwrap();
    assert_eq!((minimal.id, minimal.title.as_str(), minimal.genres.len()), (TmdbId(7), "", 0));
    let nulls: MovieDetails = serde_json::from_str(
        r#"{"id": 7, "title": null, "genres": null, "budget": null, "vote_average": null, "runtime": "95",
            "imdb_id": "nm0000001", "release_date": "1999-13-45", "adult": null}"#,
    )
    .unwrap();
    assert_eq!((nulls.title.as_str(), nulls.budget, nulls.runtime), ("", 0, Some(95)));
    assert_eq!((nulls.imdb_id, nulls.release_date), (None, None), "malformed values are absent, not errors");
}

#[tokio::test]
async fn find_by_imdb_id_asks_for_the_imdb_source() {
    let server = MockServer::start().await;
    serve(&server, "/3/find/tt0137523", ok_file("tmdb/constructed-find-imdb.json")).await;

    let imdb_id = ImdbId::parse("tt0137523").unwrap();
    let fetched =
        found(tmdb(&server).find_by_imdb_id(&imdb_id, &Language::default(), &Validators::NONE).await.unwrap());
    assert_eq!(fetched.value.movie().map(|movie| movie.id), Some(TmdbId(550)));
    assert_eq!(fetched.value.movie().unwrap().year(), Some(1999));

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/3/find/tt0137523");
    assert_eq!(query(&request), pairs(&[("api_key", TMDB_KEY), ("external_source", "imdb_id"), ("language", "en-US")]));
}

#[tokio::test]
async fn find_with_no_match_is_found_with_no_movie() {
    let server = MockServer::start().await;
    serve(&server, "/3/find/tt9999999", ok_file("tmdb/constructed-find-empty.json")).await;

    let imdb_id = ImdbId::parse("tt9999999").unwrap();
    let fetched =
        found(tmdb(&server).find_by_imdb_id(&imdb_id, &Language::default(), &Validators::NONE).await.unwrap());
    assert_eq!(fetched.value, FindResults::default());
    assert_eq!((fetched.value.movie(), fetched.value.tv()), (None, None));
}

#[tokio::test]
async fn search_sends_query_years_language_and_page() {
    let server = MockServer::start().await;
    serve(&server, "/3/search/movie", ok_file("tmdb/search-movie.json")).await;

    let search = MovieSearch::new("RRRrrrr!!! & co").year(2004).primary_release_year(2004).language(fr_ca()).page(2);
    let fetched = found(tmdb(&server).search_movies(&search, &Validators::NONE).await.unwrap());
    assert_eq!(fetched.value.results[0].id, TmdbId(21778));
    assert_eq!(fetched.value.results[0].release_date, NaiveDate::from_ymd_opt(2004, 1, 28));

    let request = only_request(&server).await;
    assert_eq!(
        query(&request),
        pairs(&[
            ("api_key", TMDB_KEY),
            ("query", "RRRrrrr!!! & co"),
            ("year", "2004"),
            ("primary_release_year", "2004"),
            ("language", "fr-CA"),
            ("page", "2"),
        ])
    );
}

#[tokio::test]
async fn a_plain_search_sends_only_the_query_and_the_first_page() {
    let server = MockServer::start().await;
    serve(&server, "/3/search/movie", ok_file("tmdb/search-movie.json")).await;

    found(tmdb(&server).search_movies(&MovieSearch::new("Dune").page(0), &Validators::NONE).await.unwrap());

    let request = only_request(&server).await;
    assert_eq!(query(&request), pairs(&[("api_key", TMDB_KEY), ("query", "Dune"), ("page", "1")]));
}

#[tokio::test]
async fn collection_decodes_its_parts() {
    let server = MockServer::start().await;
    serve(&server, "/3/collection/2344", ok_file("tmdb/constructed-collection.json")).await;

    let fetched = found(tmdb(&server).collection(CollectionId(2344), &fr_ca(), &Validators::NONE).await.unwrap());
    let collection: &Collection = &fetched.value;
    assert_eq!(collection.name, "The Matrix Collection");
    assert_eq!(collection.parts.len(), 5);
    let unreleased = &collection.parts[4];
    assert_eq!(
        (unreleased.release_date, unreleased.poster_path.as_ref(), unreleased.overview.as_ref()),
        (None, None, None)
    );

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/3/collection/2344");
    assert_eq!(query(&request), pairs(&[("api_key", TMDB_KEY), ("language", "fr-CA")]));
}

#[tokio::test]
async fn movie_changes_sends_the_window_and_page() {
    let server = MockServer::start().await;
    serve(&server, "/3/movie/changes", ok_file("tmdb/constructed-movie-changes.json")).await;

    let window = ChangesQuery {
        start_date: NaiveDate::from_ymd_opt(2024, 5, 1),
        end_date: NaiveDate::from_ymd_opt(2024, 5, 2),
        page: Some(2),
    };
    let fetched = found(tmdb(&server).movie_changes(&window, &Validators::NONE).await.unwrap());
    let page = &fetched.value;
    assert_eq!((page.page, page.total_pages, page.total_results), (1, 3, 250));
    assert_eq!(page.results.iter().map(|change| change.id.0).collect::<Vec<_>>(), [550, 603, 1_180_000, 1_180_001]);
    assert_eq!(
        page.results.iter().map(|change| change.adult).collect::<Vec<_>>(),
        [Some(false), Some(false), None, None]
    );

    let request = only_request(&server).await;
    assert_eq!(
        query(&request),
        pairs(&[("api_key", TMDB_KEY), ("start_date", "2024-05-01"), ("end_date", "2024-05-02"), ("page", "2")])
    );
}

#[tokio::test]
async fn movie_changes_without_a_window_sends_only_the_key() {
    let server = MockServer::start().await;
    serve(&server, "/3/movie/changes", ok_file("tmdb/constructed-movie-changes.json")).await;

    found(tmdb(&server).movie_changes(&ChangesQuery::default(), &Validators::NONE).await.unwrap());

    assert_eq!(query(&only_request(&server).await), pairs(&[("api_key", TMDB_KEY)]));
}

#[tokio::test]
async fn configuration_and_image_urls() {
    let server = MockServer::start().await;
    serve(&server, "/3/configuration", ok_file("tmdb/constructed-configuration.json")).await;

    let client = tmdb(&server);
    let configuration: Configuration = found(client.configuration(&Validators::NONE).await.unwrap()).value;
    assert_eq!(configuration.images.secure_base_url, "https://image.tmdb.org/t/p/");
    assert_eq!(configuration.images.profile_sizes, ["w45", "w185", "h632", "original"]);
    assert_eq!(query(&only_request(&server).await), pairs(&[("api_key", TMDB_KEY)]));

    assert_eq!(
        client.image_url("w500", "/pB8BM7pdSp6B6Ih7QZ4DrQ3PmJK.jpg"),
        "https://image.tmdb.org/t/p/w500/pB8BM7pdSp6B6Ih7QZ4DrQ3PmJK.jpg"
    );
    let mut settings = tmdb_settings(&server, TMDB_KEY);
    settings.image_base_url = "http://images.local/t/p/".to_owned();
    let custom = TmdbClient::new(&settings, Arc::new(Ungated)).unwrap();
    assert_eq!(custom.image_url("original", "/a.png"), "http://images.local/t/p/original/a.png");
}

#[tokio::test]
async fn status_code_34_is_not_found() {
    let server = MockServer::start().await;
    let body = ResponseTemplate::new(404).set_body_raw(data("tmdb/resource-not-found.json"), "application/json");
    serve(&server, "/3/movie/999999999", body).await;

    let outcome = tmdb(&server).movie(TmdbId(999_999_999), &Language::default(), &Validators::NONE).await.unwrap();
    assert_eq!(outcome, Outcome::NotFound);
}

#[tokio::test]
async fn a_404_without_tmdbs_error_body_blames_the_base_url() {
    let server = MockServer::start().await;
    serve(&server, "/3/movie/550", ResponseTemplate::new(404).set_body_string("<html>nginx</html>")).await;

    let err = tmdb(&server).movie(TmdbId(550), &Language::default(), &Validators::NONE).await.unwrap_err();
    assert!(matches!(err, ProviderError::InvalidResponse { .. }), "{err:?}");
    assert!(err.to_string().contains("providers.tmdb.base_url"), "{err}");
    assert_no_secret(&err, Provider::Tmdb);
}

#[tokio::test]
async fn status_code_7_is_unauthorized_and_says_to_fix_the_key() {
    let server = MockServer::start().await;
    let body = ResponseTemplate::new(401).set_body_raw(data("tmdb/invalid-api-key.json"), "application/json");
    serve(&server, "/3/movie/550", body).await;

    let err = tmdb(&server).movie(TmdbId(550), &Language::default(), &Validators::NONE).await.unwrap_err();
    let ProviderError::Unauthorized { message, .. } = &err else { panic!("expected Unauthorized, got {err:?}") };
    assert_eq!(message, "Invalid API key: You must be granted a valid key.");
    assert!(err.is_permanent());
    assert_eq!(err.retry_after(), None);
    assert!(err.to_string().contains("fix the TMDB API key"), "{err}");
    assert_no_secret(&err, Provider::Tmdb);
}

#[tokio::test]
async fn a_bad_v4_token_is_unauthorized_without_leaking() {
    let server = MockServer::start().await;
    let body = ResponseTemplate::new(401).set_body_raw(data("tmdb/invalid-api-key.json"), "application/json");
    serve(&server, "/3/configuration", body).await;

    let client = tmdb_with(&server, TMDB_TOKEN);
    let err = client.configuration(&Validators::NONE).await.unwrap_err();
    assert!(matches!(err, ProviderError::Unauthorized { .. }), "{err:?}");
    assert_no_secret(&err, Provider::Tmdb);
    crate::support::assert_no_secret_in(&format!("{client:?}"));
}

#[tokio::test]
async fn a_429_with_retry_after_in_seconds() {
    let server = MockServer::start().await;
    let body = ResponseTemplate::new(429)
        .insert_header("Retry-After", "3")
        .set_body_raw(data("tmdb/constructed-rate-limit.json"), "application/json");
    serve(&server, "/3/movie/550", body).await;

    let err = tmdb(&server).movie(TmdbId(550), &Language::default(), &Validators::NONE).await.unwrap_err();
    assert!(matches!(err, ProviderError::RateLimited { kind: RateLimitKind::Throttled, .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
    assert!(!err.is_permanent());
    assert_no_secret(&err, Provider::Tmdb);
}

#[tokio::test]
async fn a_429_with_retry_after_as_an_http_date() {
    let server = MockServer::start().await;
    let in_two_minutes = chrono::Utc::now() + chrono::TimeDelta::seconds(120);
    let date = in_two_minutes.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    serve(&server, "/3/movie/550", ResponseTemplate::new(429).insert_header("Retry-After", date.as_str())).await;

    let err = tmdb(&server).movie(TmdbId(550), &Language::default(), &Validators::NONE).await.unwrap_err();
    let retry_after = err.retry_after().unwrap();
    // The date has whole seconds and a slow machine takes a while: a few seconds either way.
    assert!((Duration::from_secs(110)..=Duration::from_secs(120)).contains(&retry_after), "{retry_after:?} for {date}");
}

#[tokio::test]
async fn a_429_without_retry_after_waits_the_default() {
    let server = MockServer::start().await;
    let body = ResponseTemplate::new(429).set_body_raw(data("tmdb/constructed-rate-limit.json"), "application/json");
    serve(&server, "/3/movie/550", body).await;

    let err = tmdb(&server).movie(TmdbId(550), &Language::default(), &Validators::NONE).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(DEFAULT_RETRY_AFTER));
    assert_eq!(DEFAULT_RETRY_AFTER, Duration::from_secs(10));
}

#[tokio::test]
async fn a_429_with_an_unreadable_retry_after_waits_the_default() {
    let server = MockServer::start().await;
    serve(&server, "/3/movie/550", ResponseTemplate::new(429).insert_header("Retry-After", "soon")).await;

    let err = tmdb(&server).movie(TmdbId(550), &Language::default(), &Validators::NONE).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(DEFAULT_RETRY_AFTER));
}

#[tokio::test]
async fn server_errors_are_transient() {
    for status in [500, 502, 503, 504] {
        let server = MockServer::start().await;
        let body = ResponseTemplate::new(status).set_body_raw(
            r#"{"status_code":11,"status_message":"Internal error: Something went wrong, contact TMDb."}"#,
            "application/json",
        );
        serve(&server, "/3/movie/550", body).await;

        let err = tmdb(&server).movie(TmdbId(550), &Language::default(), &Validators::NONE).await.unwrap_err();
        let ProviderError::Transient { reason, .. } = &err else { panic!("{status}: expected Transient, got {err:?}") };
        assert_eq!(*reason, TransientReason::Status(status));
        assert!(!err.is_permanent() && err.retry_after().is_none(), "{status}");
        assert_no_secret(&err, Provider::Tmdb);
    }
}

#[tokio::test]
async fn another_4xx_is_a_rejected_request() {
    let server = MockServer::start().await;
    let body = ResponseTemplate::new(400).set_body_raw(data("tmdb/constructed-invalid-page.json"), "application/json");
    serve(&server, "/3/search/movie", body).await;

    let err = tmdb(&server).search_movies(&MovieSearch::new("Dune").page(501), &Validators::NONE).await.unwrap_err();
    let ProviderError::Rejected { status, message, .. } = &err else { panic!("expected Rejected, got {err:?}") };
    assert_eq!(*status, 400);
    assert!(message.starts_with("Invalid page"), "{message}");
    assert!(err.is_permanent());
}

#[tokio::test]
async fn validators_are_kept_and_sent_back_and_304_is_not_modified() {
    let etag = "\"b1946ac92492d2347c6235b4d2611184\"";
    let last_modified = "Wed, 01 May 2024 10:00:00 GMT";

    let server = MockServer::start().await;
    let body = ok_json(&movie_550_appended()).insert_header("ETag", etag).insert_header("Last-Modified", last_modified);
    serve(&server, "/3/movie/550", body).await;
    let fetched = found(tmdb(&server).movie(TmdbId(550), &Language::default(), &Validators::NONE).await.unwrap());
    assert_eq!(fetched.validators.etag.as_deref(), Some(etag));
    assert_eq!(fetched.validators.last_modified.as_deref(), Some(last_modified));
    assert_eq!(header(&only_request(&server).await, "if-none-match"), None);

    let server = MockServer::start().await;
    serve(&server, "/3/movie/550", ResponseTemplate::new(304).insert_header("ETag", etag)).await;
    let outcome = tmdb(&server).movie(TmdbId(550), &Language::default(), &fetched.validators).await.unwrap();
    assert_eq!(outcome, Outcome::NotModified(Validators { etag: Some(etag.to_owned()), last_modified: None }));
    let request = only_request(&server).await;
    assert_eq!(header(&request, "if-none-match").as_deref(), Some(etag));
    assert_eq!(header(&request, "if-modified-since").as_deref(), Some(last_modified));
}

#[tokio::test]
async fn no_key_means_not_configured_and_a_bad_base_url_names_its_setting() {
    let server = MockServer::start().await;
    let mut settings = tmdb_settings(&server, TMDB_KEY);
    settings.api_key = None;
    let err = TmdbClient::new(&settings, Arc::new(Ungated)).unwrap_err();
    assert!(matches!(err, ProviderError::NotConfigured { provider: Provider::Tmdb }), "{err:?}");
    assert!(err.is_permanent());

    let mut settings = tmdb_settings(&server, TMDB_KEY);
    settings.base_url = "api.themoviedb.org/3".to_owned();
    let err = TmdbClient::new(&settings, Arc::new(Ungated)).unwrap_err();
    assert!(err.to_string().contains("providers.tmdb.base_url"), "{err}");

    let mut settings = tmdb_settings(&server, TMDB_KEY);
    settings.image_base_url = "not a url".to_owned();
    let err = TmdbClient::new(&settings, Arc::new(Ungated)).unwrap_err();
    assert!(err.to_string().contains("providers.tmdb.image_base_url"), "{err}");
}

#[test]
fn appended_parts_without_id_decode_like_the_standalone_answers() {
    let appended = movie_550_appended();
    let movie: MovieDetails = serde_json::from_value(appended).unwrap();
    let standalone: Credits = serde_json::from_str(&data("tmdb/movie-credits.json")).unwrap();
    assert_eq!(movie.credits.as_ref(), Some(&standalone));
    let standalone: Images = serde_json::from_str(&data("tmdb/movie-images.json")).unwrap();
    assert_eq!(movie.images.as_ref(), Some(&standalone));
}

#[test]
fn a_real_search_answer_identifies_the_folder_it_was_made_for() {
    use metarr_providers::identify::{MatchDecision, MatchQuery, decide};
    let search: Page<MovieSummary> = serde_json::from_str(&data("tmdb/search-movie.json")).unwrap();
    // The folder `RRRrrrr!!! (2004)`, as a scan reads it.
    let folder = MatchQuery { title: "RRRrrrr".to_owned(), original_title: None, year: Some(2004) };
    let MatchDecision::Identified(found) = decide(&folder, &search.results) else {
        panic!("one result with the same title and year is a match");
    };
    assert_eq!((found.film.id, found.film.year()), (TmdbId(21778), Some(2004)));
    // Ten years off, the same title is offered, not chosen.
    let elsewhere = MatchQuery { year: Some(2014), ..folder };
    assert!(
        matches!(decide(&elsewhere, &search.results), MatchDecision::Ambiguous(candidates) if candidates.len() == 1)
    );
}
