//! The Fanart.tv client against a stand-in for `GET /v3/movies/{id}`: exact path and key
//! headers, every art type with likes as strings and textless `"00"`, and 404 for a film
//! without art.

use std::sync::Arc;
use std::time::Duration;

use metarr_providers::{
    ArtLanguage, DiscType, FanartArtType, FanartClient, ImdbId, MovieRef, Outcome, Provider, ProviderError, TmdbId,
    TransientReason, Ungated, Validators,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{
    FANART_CLIENT_KEY, FANART_KEY, assert_no_secret, assert_no_secret_in, data, fanart, fanart_settings, header,
    only_request,
};

async fn serve(server: &MockServer, at: &str, response: ResponseTemplate) {
    Mock::given(method("GET")).and(path(at)).respond_with(response).mount(server).await;
}

fn art_550() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(data("fanart/constructed-movie-550.json"), "application/json")
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_raw(r#"{"status":"error","error message":"Not found"}"#, "application/json")
}

#[tokio::test]
async fn asks_by_tmdb_id_with_both_key_headers_and_no_query() {
    let server = MockServer::start().await;
    serve(&server, "/v3/movies/550", art_550()).await;

    fanart(&server).movie(&MovieRef::Tmdb(TmdbId(550)), &Validators::NONE).await.unwrap().found().unwrap();

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/v3/movies/550");
    assert_eq!(request.url.query(), None, "the keys travel in headers");
    assert_eq!(header(&request, "api-key").as_deref(), Some(FANART_KEY));
    assert_eq!(header(&request, "client-key").as_deref(), Some(FANART_CLIENT_KEY));
}

#[tokio::test]
async fn asks_by_imdb_id_and_leaves_out_a_missing_client_key() {
    let server = MockServer::start().await;
    serve(&server, "/v3/movies/tt0137523", art_550()).await;

    let client = FanartClient::new(&fanart_settings(&server, false), Arc::new(Ungated)).unwrap();
    let imdb_id = ImdbId::parse("tt0137523").unwrap();
    client.movie(&MovieRef::from(imdb_id), &Validators::NONE).await.unwrap().found().unwrap();

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/v3/movies/tt0137523");
    assert_eq!(header(&request, "api-key").as_deref(), Some(FANART_KEY));
    assert_eq!(header(&request, "client-key"), None);
}

#[tokio::test]
async fn decodes_every_art_type_with_likes_as_numbers_and_textless_art() {
    let server = MockServer::start().await;
    serve(&server, "/v3/movies/550", art_550()).await;

    let fetched =
        fanart(&server).movie(&MovieRef::Tmdb(TmdbId(550)), &Validators::NONE).await.unwrap().found().unwrap();
    let movie = &fetched.value;
    assert_eq!(movie.name.as_deref(), Some("Fight Club"));
    assert_eq!(movie.tmdb_id, Some(TmdbId(550)), "sent as the string \"550\"");
    assert_eq!(movie.imdb_id.as_ref().map(ImdbId::as_str), Some("tt0137523"));

    let counts: Vec<(FanartArtType, usize)> =
        FanartArtType::ALL.iter().map(|kind| (*kind, movie.images(*kind).len())).collect();
    assert_eq!(
        counts,
        [
            (FanartArtType::HdMovieLogo, 2),
            (FanartArtType::MovieLogo, 1),
            (FanartArtType::HdMovieClearArt, 1),
            (FanartArtType::MovieArt, 1),
            (FanartArtType::MovieDisc, 3),
            (FanartArtType::MoviePoster, 2),
            (FanartArtType::MovieBackground, 3),
            (FanartArtType::MovieBanner, 1),
            (FanartArtType::MovieThumb, 1),
        ]
    );
    assert_eq!(movie.all_images().count(), 15);

    let logo = &movie.hdmovielogo[0];
    assert_eq!((logo.id.as_str(), logo.likes), ("14361", 7));
    assert_eq!(logo.lang, ArtLanguage::Language("en".to_owned()));
    assert_eq!(logo.url, "https://assets.fanart.tv/fanart/movies/550/hdmovielogo/fight-club-5150d3a0c1b3c.png");
    assert_eq!(
        logo.preview_url(),
        "https://assets.fanart.tv/preview/movies/550/hdmovielogo/fight-club-5150d3a0c1b3c.png"
    );
    assert_eq!(movie.hdmovielogo[1].lang, ArtLanguage::Language("de".to_owned()));

    let backgrounds: Vec<(&ArtLanguage, u32)> =
        movie.moviebackground.iter().map(|image| (&image.lang, image.likes)).collect();
    assert_eq!(
        backgrounds,
        [(&ArtLanguage::Textless, 12), (&ArtLanguage::Textless, 6), (&ArtLanguage::Language("en".to_owned()), 0)],
        "\"\" and \"00\" are both textless"
    );

    let discs: Vec<(Option<u32>, Option<DiscType>, &ArtLanguage)> =
        movie.moviedisc.iter().map(|disc| (disc.disc, disc.disc_type.clone(), &disc.lang)).collect();
    assert_eq!(
        discs,
        [
            (Some(1), Some(DiscType::BluRay), &ArtLanguage::Language("en".to_owned())),
            (Some(1), Some(DiscType::Dvd), &ArtLanguage::Textless),
            (Some(2), Some(DiscType::ThreeD), &ArtLanguage::Language("en".to_owned())),
        ]
    );
    assert!(movie.movieposter.iter().all(|poster| poster.disc.is_none() && poster.disc_type.is_none()));
}

#[tokio::test]
async fn odd_likes_missing_types_and_nulls_do_not_break_the_answer() {
    let server = MockServer::start().await;
    let body = r#"{
        "name": "Odd", "tmdb_id": "", "imdb_id": "",
        "movieposter": [
            {"id": "1", "url": "https://assets.fanart.tv/fanart/movies/1/movieposter/a.jpg", "lang": "en", "likes": "lots"},
            {"id": 2, "url": "https://assets.fanart.tv/fanart/movies/1/movieposter/b.jpg", "lang": "", "likes": 4},
            {"id": "3", "url": "https://assets.fanart.tv/fanart/movies/1/movieposter/c.jpg", "likes": "-2"},
            {"id": "4", "url": "https://assets.fanart.tv/fanart/movies/1/movieposter/d.jpg", "lang": "00", "likes": null}
        ],
        "moviebackground": null
    }"#;
    serve(&server, "/v3/movies/1", ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;

    let movie =
        fanart(&server).movie(&MovieRef::Tmdb(TmdbId(1)), &Validators::NONE).await.unwrap().found().unwrap().value;
    assert_eq!((movie.tmdb_id, movie.imdb_id), (None, None));
    let posters: Vec<(&str, u32, &ArtLanguage)> =
        movie.movieposter.iter().map(|image| (image.id.as_str(), image.likes, &image.lang)).collect();
    assert_eq!(
        posters,
        [
            ("1", 0, &ArtLanguage::Language("en".to_owned())),
            ("2", 4, &ArtLanguage::Textless),
            ("3", 0, &ArtLanguage::Textless),
            ("4", 0, &ArtLanguage::Textless),
        ]
    );
    assert!(movie.moviebackground.is_empty() && movie.hdmovielogo.is_empty());
}

#[tokio::test]
async fn a_film_without_art_is_not_found() {
    let server = MockServer::start().await;
    serve(&server, "/v3/movies/741074", not_found()).await;

    let outcome = fanart(&server).movie(&MovieRef::Tmdb(TmdbId(741_074)), &Validators::NONE).await.unwrap();
    assert_eq!(outcome, Outcome::NotFound);
}

#[tokio::test]
async fn a_404_without_fanarts_error_body_is_an_invalid_response() {
    let server = MockServer::start().await;
    serve(&server, "/v3/movies/550", ResponseTemplate::new(404).set_body_string("Not Found")).await;

    let err = fanart(&server).movie(&MovieRef::Tmdb(TmdbId(550)), &Validators::NONE).await.unwrap_err();
    assert!(matches!(err, ProviderError::InvalidResponse { .. }), "{err:?}");
    assert!(err.to_string().contains("providers.fanart.base_url"), "{err}");
    assert_no_secret(&err, Provider::Fanart);
}

#[tokio::test]
async fn a_refused_key_is_unauthorized() {
    let server = MockServer::start().await;
    let body = r#"{"status":"error","error message":"Invalid API key"}"#;
    serve(&server, "/v3/movies/550", ResponseTemplate::new(401).set_body_raw(body, "application/json")).await;

    let client = fanart(&server);
    let err = client.movie(&MovieRef::Tmdb(TmdbId(550)), &Validators::NONE).await.unwrap_err();
    let ProviderError::Unauthorized { message, .. } = &err else { panic!("expected Unauthorized, got {err:?}") };
    assert_eq!(message, "Invalid API key");
    assert!(err.is_permanent());
    assert!(err.to_string().contains("fix the Fanart.tv API key"), "{err}");
    assert_no_secret(&err, Provider::Fanart);
    assert_no_secret_in(&format!("{client:?}"));
}

#[tokio::test]
async fn rate_limits_and_server_errors() {
    let server = MockServer::start().await;
    serve(&server, "/v3/movies/550", ResponseTemplate::new(429).insert_header("Retry-After", "42")).await;
    serve(&server, "/v3/movies/551", ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>")).await;
    let client = fanart(&server);

    let err = client.movie(&MovieRef::Tmdb(TmdbId(550)), &Validators::NONE).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(42)));
    assert_no_secret(&err, Provider::Fanart);

    let err = client.movie(&MovieRef::Tmdb(TmdbId(551)), &Validators::NONE).await.unwrap_err();
    assert!(matches!(err, ProviderError::Transient { reason: TransientReason::Status(502), .. }), "{err:?}");
    assert_no_secret(&err, Provider::Fanart);
}

#[tokio::test]
async fn no_project_key_means_not_configured() {
    let server = MockServer::start().await;
    let mut settings = fanart_settings(&server, true);
    settings.api_key = None;
    let err = FanartClient::new(&settings, Arc::new(Ungated)).unwrap_err();
    assert!(matches!(err, ProviderError::NotConfigured { provider: Provider::Fanart }), "{err:?}");
    assert!(err.to_string().contains("providers.fanart.api_key"), "{err}");
}
