//! The Fanart.tv client's series call against a stand-in for `GET /v3/tv/{tvdb_id}`: exact
//! path and key headers, every series art type with its `season`, likes as strings and
//! textless `"00"`, and the answers that are not usable.

use std::time::Duration;

use metarr_providers::{
    ArtLanguage, FanartSeason, FanartTv, FanartTvArtType, Outcome, Provider, ProviderError, RateLimitKind,
    TransientReason, TvdbId, Validators,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{
    FANART_CLIENT_KEY, FANART_KEY, assert_no_secret, assert_no_secret_in, data, fanart, header, only_request,
};

const BREAKING_BAD: TvdbId = TvdbId(81189);

async fn serving(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path("/v3/tv/81189")).respond_with(response).mount(&server).await;
    server
}

fn art_81189() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(data("fanart/constructed-tv-81189.json"), "application/json")
}

async fn breaking_bad(server: &MockServer) -> Result<Outcome<FanartTv>, ProviderError> {
    fanart(server).tv(BREAKING_BAD, &Validators::NONE).await
}

fn en() -> ArtLanguage {
    ArtLanguage::Language("en".to_owned())
}

#[tokio::test]
async fn asks_by_tvdb_id_with_both_key_headers_and_no_query() {
    let server = serving(art_81189()).await;

    breaking_bad(&server).await.unwrap().found().unwrap();

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/v3/tv/81189");
    assert_eq!(request.url.query(), None, "the keys travel in headers");
    assert_eq!(header(&request, "api-key").as_deref(), Some(FANART_KEY));
    assert_eq!(header(&request, "client-key").as_deref(), Some(FANART_CLIENT_KEY));
}

#[tokio::test]
async fn decodes_every_series_art_type() {
    let server = serving(art_81189()).await;

    let fetched = breaking_bad(&server).await.unwrap().found().unwrap();
    let show = &fetched.value;
    assert_eq!(show.name.as_deref(), Some("Breaking Bad"));
    assert_eq!(show.thetvdb_id, Some(BREAKING_BAD), "sent as the string \"81189\"");

    let counts: Vec<(FanartTvArtType, usize)> =
        FanartTvArtType::ALL.iter().map(|kind| (*kind, show.images(*kind).len())).collect();
    assert_eq!(
        counts,
        [
            (FanartTvArtType::HdTvLogo, 2),
            (FanartTvArtType::ClearLogo, 1),
            (FanartTvArtType::HdClearArt, 1),
            (FanartTvArtType::ClearArt, 1),
            (FanartTvArtType::TvPoster, 2),
            (FanartTvArtType::ShowBackground, 3),
            (FanartTvArtType::TvThumb, 1),
            (FanartTvArtType::TvBanner, 1),
            (FanartTvArtType::CharacterArt, 1),
            (FanartTvArtType::SeasonPoster, 3),
            (FanartTvArtType::SeasonThumb, 2),
            (FanartTvArtType::SeasonBanner, 1),
        ]
    );
    assert_eq!(show.all_images().count(), 19);
    assert_eq!(
        show.all_images().next().map(|(kind, image)| (kind, image.id.as_str())),
        Some((FanartTvArtType::HdTvLogo, "11253"))
    );

    let logo = &show.hdtvlogo[0];
    assert_eq!((logo.id.as_str(), logo.likes, &logo.lang), ("11253", 31, &en()));
    assert_eq!(logo.url, "https://assets.fanart.tv/fanart/tv/81189/hdtvlogo/breaking-bad-503ba2f0e7a6a.png");
    assert_eq!(logo.preview_url(), "https://assets.fanart.tv/preview/tv/81189/hdtvlogo/breaking-bad-503ba2f0e7a6a.png");
    assert_eq!(show.hdtvlogo[1].lang, ArtLanguage::Language("de".to_owned()));
    assert_eq!((show.clearlogo[0].likes, show.clearart[0].likes, show.hdclearart[0].likes), (12, 7, 18));
    assert_eq!((show.tvthumb[0].id.as_str(), show.tvbanner[0].id.as_str()), ("9432", "13870"));
    assert_eq!(show.characterart[0].lang, ArtLanguage::Textless);
    assert_eq!(show.tvposter.iter().map(|poster| poster.likes).collect::<Vec<_>>(), [20, 0], "\"lots\" counts 0");
    assert!(show.tvposter.iter().all(|poster| poster.season.is_none() && poster.disc.is_none()));

    let backgrounds: Vec<(&ArtLanguage, u32, Option<FanartSeason>)> =
        show.showbackground.iter().map(|image| (&image.lang, image.likes, image.season)).collect();
    assert_eq!(
        backgrounds,
        [
            (&ArtLanguage::Textless, 25, Some(FanartSeason::All)),
            (&ArtLanguage::Textless, 9, None),
            (&en(), 0, Some(FanartSeason::All)),
        ]
    );

    let seasons = |kind| show.images(kind).iter().map(|image| image.season).collect::<Vec<_>>();
    assert_eq!(
        seasons(FanartTvArtType::SeasonPoster),
        [Some(FanartSeason::Number(1)), Some(FanartSeason::Number(0)), Some(FanartSeason::All)]
    );
    assert_eq!(seasons(FanartTvArtType::SeasonThumb), [Some(FanartSeason::Number(5)), None]);
    assert_eq!(seasons(FanartTvArtType::SeasonBanner), [Some(FanartSeason::Number(2))]);

    assert_eq!(serde_json::from_str::<FanartTv>(&fetched.body).unwrap(), *show);
}

#[tokio::test]
async fn missing_types_nulls_and_odd_values_do_not_break_the_answer() {
    let body = r#"{
        "name": "", "thetvdb_id": "",
        "seasonposter": [
            {"id": 1, "url": "https://assets.fanart.tv/fanart/tv/1/seasonposter/a.jpg", "lang": "", "likes": null, "season": null},
            {"id": "2", "url": "https://assets.fanart.tv/fanart/tv/1/seasonposter/b.jpg", "likes": "-2", "season": "Specials"}
        ],
        "tvposter": null
    }"#;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/tv/1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;

    let show = fanart(&server).tv(TvdbId(1), &Validators::NONE).await.unwrap().found().unwrap().value;
    assert_eq!((show.name.as_ref(), show.thetvdb_id), (None, None));
    let posters: Vec<(&str, u32, &ArtLanguage, Option<FanartSeason>)> =
        show.seasonposter.iter().map(|image| (image.id.as_str(), image.likes, &image.lang, image.season)).collect();
    assert_eq!(posters, [("1", 0, &ArtLanguage::Textless, None), ("2", 0, &ArtLanguage::Textless, None)]);
    assert!(show.tvposter.is_empty() && show.hdtvlogo.is_empty() && show.showbackground.is_empty());
    assert_eq!(show.all_images().count(), 2);
}

#[tokio::test]
async fn a_series_without_art_is_not_found() {
    let server = serving(
        ResponseTemplate::new(404)
            .set_body_raw(r#"{"status":"error","error message":"Not found"}"#, "application/json"),
    )
    .await;

    assert_eq!(breaking_bad(&server).await.unwrap(), Outcome::NotFound);
}

#[tokio::test]
async fn a_404_without_fanarts_error_body_is_an_invalid_response() {
    let server = serving(ResponseTemplate::new(404).set_body_string("Not Found")).await;

    let err = breaking_bad(&server).await.unwrap_err();
    assert!(matches!(err, ProviderError::InvalidResponse { .. }), "{err:?}");
    assert!(err.to_string().contains("providers.fanart.base_url"), "{err}");
    assert_no_secret(&err, Provider::Fanart);
}

#[tokio::test]
async fn a_refused_key_is_unauthorized_without_leaking() {
    let body = r#"{"status":"error","error message":"Invalid API key"}"#;
    let server = serving(ResponseTemplate::new(401).set_body_raw(body, "application/json")).await;

    let client = fanart(&server);
    let err = client.tv(BREAKING_BAD, &Validators::NONE).await.unwrap_err();
    let ProviderError::Unauthorized { message, .. } = &err else { panic!("expected Unauthorized, got {err:?}") };
    assert_eq!(message, "Invalid API key");
    assert!(err.is_permanent());
    assert_no_secret(&err, Provider::Fanart);
    assert_no_secret_in(&format!("{client:?}"));
}

#[tokio::test]
async fn a_429_snoozes_for_retry_after_and_a_5xx_is_transient() {
    let server = serving(ResponseTemplate::new(429).insert_header("Retry-After", "42")).await;
    let err = breaking_bad(&server).await.unwrap_err();
    assert!(matches!(err, ProviderError::RateLimited { kind: RateLimitKind::Throttled, .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(42)));
    assert_no_secret(&err, Provider::Fanart);

    let server = serving(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>")).await;
    let err = breaking_bad(&server).await.unwrap_err();
    assert!(matches!(err, ProviderError::Transient { reason: TransientReason::Status(502), .. }), "{err:?}");
    assert_no_secret(&err, Provider::Fanart);
}

#[tokio::test]
async fn empty_garbage_and_cut_off_bodies_are_invalid_responses() {
    let cases = [
        ("", "the body is empty"),
        ("<html>maintenance</html>", "the body is not JSON"),
        (r#"{"name":"Breaking Bad","hdtvlogo":[{"id":"11253","url":"https://as"#, "the JSON ends early"),
        (r#"{"hdtvlogo":[{"id":"1"}]}"#, "the JSON does not have the expected shape"),
    ];
    for (body, expected) in cases {
        let server = serving(ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
        let err = breaking_bad(&server).await.unwrap_err();
        let ProviderError::InvalidResponse { detail, url, .. } = &err else {
            panic!("{body:?}: expected InvalidResponse, got {err:?}")
        };
        assert!(detail.starts_with(expected), "{body:?}: {detail}");
        assert!(url.as_str().ends_with("/v3/tv/81189"), "{url}");
        assert_no_secret(&err, Provider::Fanart);
    }
}

#[tokio::test]
async fn validators_are_kept_and_sent_back_and_304_is_not_modified() {
    let etag = "\"81189-1715000000\"";
    let last_modified = "Mon, 06 May 2024 12:00:00 GMT";

    let server = serving(art_81189().insert_header("ETag", etag).insert_header("Last-Modified", last_modified)).await;
    let fetched = breaking_bad(&server).await.unwrap().found().unwrap();
    assert_eq!(fetched.validators.etag.as_deref(), Some(etag));
    assert_eq!(fetched.validators.last_modified.as_deref(), Some(last_modified));

    let server = serving(ResponseTemplate::new(304).insert_header("ETag", etag)).await;
    let outcome = fanart(&server).tv(BREAKING_BAD, &fetched.validators).await.unwrap();
    assert_eq!(outcome, Outcome::NotModified(Validators { etag: Some(etag.to_owned()), last_modified: None }));
    let request = only_request(&server).await;
    assert_eq!(header(&request, "if-none-match").as_deref(), Some(etag));
    assert_eq!(header(&request, "if-modified-since").as_deref(), Some(last_modified));
}
