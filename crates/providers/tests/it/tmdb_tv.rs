//! The TMDB client's television calls against a stand-in serving constructed answers for
//! Breaking Bad (TMDB 1396, TheTVDB 81189, tt0903747): exact requests, every typed field of
//! a series, a season, a search and `find` by TheTVDB id, and the answers that are not
//! usable (TMDB's error bodies, rate limits, empty, garbage and cut-off bodies, 304).

use std::time::Duration;

use chrono::NaiveDate;
use metarr_providers::tmdb::{
    FindResults, Images, Page, SEASON_APPENDS, TV_APPENDS, TvKeywords, TvSearch, TvSeason, TvSeries, TvSummary,
    VideoType,
};
use metarr_providers::{
    ArtLanguage, ImdbId, Language, Outcome, Provider, ProviderError, RateLimitKind, TmdbId, TmdbTvId, TransientReason,
    TvdbId, Validators,
};
use serde_json::Value;
use wiremock::{MockServer, ResponseTemplate};

use crate::support::{
    TMDB_KEY, TMDB_TOKEN, assert_no_secret, assert_no_secret_in, data, header, json, only_request, pairs, query, tmdb,
    tmdb_with,
};
use crate::tmdb::{found, fr_ca, ok_file, serve};

const BREAKING_BAD: TmdbTvId = TmdbTvId(1396);

fn series_file() -> ResponseTemplate {
    ok_file("tmdb/constructed-tv-1396.json")
}

async fn series(server: &MockServer) -> Result<Outcome<TvSeries>, ProviderError> {
    tmdb(server).tv(BREAKING_BAD, &Language::default(), &Validators::NONE).await
}

/// A server answering `/3/tv/1396` with `response`.
async fn serving(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    serve(&server, "/3/tv/1396", response).await;
    server
}

/// The detail of an [`ProviderError::InvalidResponse`], after checking it names the request
/// without the key.
fn invalid_detail(err: &ProviderError) -> String {
    let ProviderError::InvalidResponse { detail, url, .. } = err else {
        panic!("expected InvalidResponse, got {err:?}")
    };
    assert!(url.as_str().contains("/3/tv/1396?api_key=REDACTED"), "{url}");
    assert!(!err.is_permanent() && err.retry_after().is_none());
    assert_no_secret(err, Provider::Tmdb);
    detail.clone()
}

#[tokio::test]
async fn tv_asks_for_everything_in_one_request_with_the_v3_key_in_the_query() {
    let server = serving(series_file()).await;

    found(tmdb(&server).tv(BREAKING_BAD, &fr_ca(), &Validators::NONE).await.unwrap());

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/3/tv/1396");
    assert_eq!(
        query(&request),
        pairs(&[
            ("api_key", TMDB_KEY),
            ("language", "fr-CA"),
            ("append_to_response", "credits,aggregate_credits,external_ids,content_ratings,images,videos,keywords"),
            ("include_image_language", "fr,en,null"),
            ("include_video_language", "fr,en,null"),
        ])
    );
    assert_eq!(TV_APPENDS, "credits,aggregate_credits,external_ids,content_ratings,images,videos,keywords");
    assert_eq!(header(&request, "authorization"), None, "a v3 key goes in the query only");
}

#[tokio::test]
async fn tv_with_a_v4_token_sends_it_as_a_bearer_header_only() {
    let server = serving(series_file()).await;

    found(tmdb_with(&server, TMDB_TOKEN).tv(BREAKING_BAD, &Language::default(), &Validators::NONE).await.unwrap());

    let request = only_request(&server).await;
    assert_eq!(header(&request, "authorization"), Some(format!("Bearer {TMDB_TOKEN}")));
    assert!(query(&request).iter().all(|(name, _)| name != "api_key"), "{:?}", query(&request));
    assert_eq!(
        query(&request).iter().find(|(name, _)| name == "include_image_language").map(|(_, value)| value.as_str()),
        Some("en,null")
    );
}

#[tokio::test]
async fn tv_decodes_every_field_of_the_series() {
    let server = serving(series_file()).await;

    let fetched = found(series(&server).await.unwrap());
    let show = &fetched.value;
    assert_eq!(show.id, BREAKING_BAD);
    assert_eq!(show.name, "Breaking Bad");
    assert_eq!(show.original_name.as_deref(), Some("Breaking Bad"));
    assert_eq!(show.original_language.as_deref(), Some("en"));
    assert!(show.overview.as_deref().unwrap().starts_with("Walter White, a New Mexico chemistry teacher"));
    assert_eq!(show.tagline.as_deref(), Some("Change the equation."));
    assert_eq!(show.first_air_date, NaiveDate::from_ymd_opt(2008, 1, 20));
    assert_eq!(show.last_air_date, NaiveDate::from_ymd_opt(2013, 9, 29));
    assert_eq!(show.year(), Some(2008));
    assert_eq!((show.status.as_deref(), show.kind.as_deref()), (Some("Ended"), Some("Scripted")));
    assert!(!show.in_production && !show.adult);
    assert_eq!((show.number_of_seasons, show.number_of_episodes), (5, 62));
    assert!(show.episode_run_time.is_empty(), "TMDB's usual empty list");
    assert_eq!(show.runtime(), Some(56), "from the latest episode");
    assert_eq!(show.homepage.as_deref(), Some("https://www.sonypictures.com/tv/breakingbad"));
    assert_eq!(
        show.genres.iter().map(|genre| (genre.id, genre.name.as_str())).collect::<Vec<_>>(),
        [(18, "Drama"), (80, "Crime")]
    );
    assert_eq!(show.networks.len(), 1);
    let amc = &show.networks[0];
    assert_eq!(
        (amc.id, amc.name.as_str(), amc.logo_path.as_deref(), amc.origin_country.as_deref()),
        (174, "AMC", Some("/alqLicR1ZMHMaZGP3xRQxn9sq7p.png"), Some("US"))
    );
    let companies: Vec<(&str, Option<&str>, Option<&str>)> = show
        .production_companies
        .iter()
        .map(|company| (company.name.as_str(), company.logo_path.as_deref(), company.origin_country.as_deref()))
        .collect();
    assert_eq!(companies[2], ("Gran Via Productions", None, None), "null logo and \"\" country are absent");
    assert_eq!(companies.len(), 3);
    assert_eq!(show.production_countries[0].iso_3166_1, "US");
    assert_eq!(show.spoken_languages.iter().map(|spoken| spoken.iso_639_1.as_str()).collect::<Vec<_>>(), ["en", "es"]);
    assert_eq!(show.languages, ["en"]);
    assert_eq!(show.origin_country, ["US"]);
    assert_eq!((show.vote_average, show.vote_count, show.popularity), (8.913, 14530, 288.976));
    assert_eq!(show.poster_path.as_deref(), Some("/ztkUQFLlC19CCMYHW9o1zWhJRNq.jpg"));
    assert_eq!(show.backdrop_path.as_deref(), Some("/tsRy63Mu5cu8etL1X7ZLyf7UP1M.jpg"));

    let creator = &show.created_by[0];
    assert_eq!((creator.id.0, creator.name.as_str(), creator.gender), (66633, "Vince Gilligan", 2));
    assert_eq!(creator.credit_id.as_deref(), Some("52542286760ee31328001a7b"));
    assert_eq!(creator.profile_path.as_deref(), Some("/z3E0DhBg1V1PZVEtS9vfFPzOWYB.jpg"));

    let seasons: Vec<(u32, u32, &str, u32)> = show
        .seasons
        .iter()
        .map(|season| (season.season_number, season.id, season.name.as_str(), season.episode_count))
        .collect();
    assert_eq!(
        seasons,
        [
            (0, 3577, "Specials", 9),
            (1, 3572, "Season 1", 7),
            (2, 3573, "Season 2", 13),
            (3, 3575, "Season 3", 13),
            (4, 3576, "Season 4", 13),
            (5, 3578, "Season 5", 16),
        ]
    );
    let specials = &show.seasons[0];
    assert_eq!((specials.overview.as_ref(), specials.vote_average), (None, 0.0), "\"\" overview is absent");
    assert_eq!(specials.air_date, NaiveDate::from_ymd_opt(2009, 2, 17));
    assert_eq!(specials.poster_path.as_deref(), Some("/40dT79mDEZwXkQiZNBgSaydQFDP.jpg"));
    assert!(show.seasons[1].overview.as_deref().unwrap().starts_with("High school chemistry teacher"));
    assert_eq!((show.seasons[5].poster_path.as_ref(), show.seasons[5].vote_average), (None, 8.8));

    assert_eq!(show.next_episode_to_air, None, "null before the next is announced");
    let last = show.last_episode_to_air.as_ref().unwrap();
    assert_eq!((last.id, last.season_number, last.episode_number, last.name.as_str()), (62161, 5, 16, "Felina"));
    assert_eq!((last.air_date, last.runtime), (NaiveDate::from_ymd_opt(2013, 9, 29), Some(56)));
    assert_eq!((last.episode_type.as_deref(), last.production_code.as_ref()), (Some("finale"), None));
    assert_eq!((last.vote_average, last.vote_count), (9.2, 312));
    assert_eq!(last.still_path.as_deref(), Some("/pA0YwyhvdDXP3BEGL2grrIhq8aM.jpg"));
    assert!(last.crew.is_empty() && last.guest_stars.is_empty(), "a series' episode summaries carry neither");
}

#[tokio::test]
async fn tv_decodes_every_appended_part() {
    let server = serving(series_file()).await;

    let show = found(series(&server).await.unwrap()).value;

    let credits = show.credits.as_ref().unwrap();
    assert_eq!((credits.cast.len(), credits.crew.len()), (4, 2));
    let walter = &credits.cast[0];
    assert_eq!(
        (walter.name.as_str(), walter.character.as_deref(), walter.order),
        ("Bryan Cranston", Some("Walter White"), 0)
    );
    assert_eq!(walter.profile_path.as_deref(), Some("/7Jahy5LZX2Fo8fGJltMreAI49hC.jpg"));
    assert_eq!((credits.cast[3].character.as_ref(), credits.cast[3].profile_path.as_ref()), (None, None));
    assert_eq!(credits.crew[0].job.as_deref(), Some("Executive Producer"));

    let aggregate = show.aggregate_credits.as_ref().unwrap();
    let cast: Vec<(&str, Option<&str>, u32, u32)> = aggregate
        .cast
        .iter()
        .map(|actor| (actor.name.as_str(), actor.main_character(), actor.total_episode_count, actor.order))
        .collect();
    assert_eq!(
        cast,
        [
            ("Bryan Cranston", Some("Walter White"), 62, 0),
            ("Aaron Paul", Some("Jesse Pinkman"), 62, 1),
            ("Krysten Ritter", Some("Jane Margolis"), 11, 7),
            ("Dean Norris", Some("Hank Schrader"), 62, 3),
        ]
    );
    let roles: Vec<(Option<&str>, u32)> =
        aggregate.cast[2].roles.iter().map(|role| (role.character.as_deref(), role.episode_count)).collect();
    assert_eq!(roles, [(Some("Jane Margolis"), 10), (None, 1)]);
    assert_eq!(aggregate.cast[2].roles[0].credit_id.as_deref(), Some("52542287760ee31328001af1"));
    let gilligan = &aggregate.crew[0];
    assert_eq!((gilligan.department.as_deref(), gilligan.total_episode_count), (Some("Production"), 62));
    let jobs: Vec<(Option<&str>, u32)> =
        gilligan.jobs.iter().map(|job| (job.job.as_deref(), job.episode_count)).collect();
    assert_eq!(jobs, [(Some("Executive Producer"), 62), (Some("Writer"), 25)]);

    let ids = show.external_ids.as_ref().unwrap();
    assert_eq!(show.imdb_id(), Some(&ImdbId::parse("tt0903747").unwrap()));
    assert_eq!(show.tvdb_id(), Some(TvdbId(81189)));
    assert_eq!((ids.tvrage_id, ids.wikidata_id.as_deref()), (Some(18164), Some("Q1079")));
    assert_eq!(
        (ids.facebook_id.as_deref(), ids.instagram_id.as_deref(), ids.twitter_id.as_deref()),
        (Some("BreakingBad"), Some("breakingbad"), Some("BreakingBad"))
    );

    let ratings = show.content_ratings.as_ref().unwrap();
    assert_eq!(ratings.results.len(), 5);
    assert_eq!(show.certification("US"), Some("TV-MA"));
    assert_eq!(show.certification("de"), Some("16"), "the empty German entry is skipped");
    assert_eq!(ratings.certification("GB"), Some("18"));
    assert_eq!(ratings.certification("FR"), None);
    assert_eq!(ratings.results[3].descriptors, ["Violence", "Drug Use"]);

    let images: &Images = show.images.as_ref().unwrap();
    assert_eq!((images.posters.len(), images.backdrops.len(), images.logos.len()), (3, 2, 1));
    assert_eq!(images.backdrops[0].language, ArtLanguage::Textless);
    assert_eq!(images.posters[0].language, ArtLanguage::Language("en".to_owned()));
    assert_eq!((images.posters[0].width, images.posters[0].height), (2000, 3000));
    assert_eq!(images.logos[0].file_path, "/ggFHVNu6YYI5L9pCfOacjizRGt.png");

    let videos = show.videos.as_ref().unwrap();
    assert_eq!(videos.results.len(), 2);
    assert_eq!(videos.results[1].kind, VideoType::Teaser);
    let trailer = videos.trailer().unwrap();
    assert_eq!(trailer.url().as_deref(), Some("https://www.youtube.com/watch?v=HhesaQXLuRY"));

    let keywords: Vec<&str> =
        show.keywords.as_ref().unwrap().results.iter().map(|keyword| keyword.name.as_str()).collect();
    assert_eq!(keywords, ["new mexico", "drug dealer", "cancer", "high school teacher"]);
}

#[test]
fn tv_keywords_are_under_results_not_keywords() {
    // The trap in one place: the series body has `keywords.results`; the movies' shape,
    // `keywords.keywords`, read as TV keywords is simply none.
    let body = json("tmdb/constructed-tv-1396.json");
    assert!(body["keywords"]["results"].is_array() && body["keywords"].get("keywords").is_none());
    let movie_shaped: TvKeywords = serde_json::from_str(r#"{"keywords":[{"id":1,"name":"x"}]}"#).unwrap();
    assert!(movie_shaped.results.is_empty());
}

#[tokio::test]
async fn the_body_decodes_again_to_the_same_series_and_the_url_is_redacted() {
    let server = serving(series_file()).await;

    let fetched = found(series(&server).await.unwrap());
    assert_eq!(serde_json::from_str::<TvSeries>(&fetched.body).unwrap(), fetched.value);
    assert!(fetched.url.as_str().contains("/3/tv/1396?api_key=REDACTED&language=en-US"), "{}", fetched.url);
    assert_no_secret_in(&format!("{fetched:?}"));
}

#[tokio::test]
async fn a_sparse_series_with_nulls_and_empty_strings_decodes() {
    let body = r#"{
        "id": 1396, "name": null, "original_name": "", "overview": "", "tagline": null,
        "first_air_date": "", "last_air_date": null, "status": "", "type": null,
        "in_production": null, "number_of_seasons": null, "number_of_episodes": "3",
        "episode_run_time": null, "genres": null, "networks": [{"id": 1, "name": "X", "logo_path": null, "origin_country": ""}],
        "production_companies": [], "origin_country": [], "created_by": null, "seasons": [],
        "poster_path": null, "backdrop_path": "", "vote_average": null, "vote_count": 0, "popularity": null,
        "last_episode_to_air": null, "next_episode_to_air": {"id": 7, "name": "", "air_date": "", "runtime": 0,
            "season_number": 1, "episode_number": 1, "still_path": null, "overview": "", "production_code": ""},
        "external_ids": {"imdb_id": "", "tvdb_id": null, "tvrage_id": null, "wikidata_id": null},
        "content_ratings": {"results": []}, "keywords": {"results": null},
        "images": {"backdrops": [], "logos": [], "posters": []}, "videos": {"results": []},
        "credits": {"cast": [], "crew": []}, "aggregate_credits": {"cast": [], "crew": []}
    }"#;
    let server = serving(ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;

    let show = found(series(&server).await.unwrap()).value;
    assert_eq!(show.name, "");
    assert_eq!((&show.original_name, &show.overview, &show.tagline), (&None, &None, &None));
    assert_eq!((show.first_air_date, show.last_air_date, show.year()), (None, None, None));
    assert_eq!((&show.status, &show.kind), (&None, &None));
    assert_eq!((show.number_of_seasons, show.number_of_episodes), (0, 3), "null is 0, a string is read");
    assert!(show.episode_run_time.is_empty() && show.genres.is_empty() && show.created_by.is_empty());
    assert_eq!(show.networks[0].origin_country, None);
    assert_eq!((&show.poster_path, &show.backdrop_path), (&None, &None));
    assert_eq!(show.runtime(), None);
    let next = show.next_episode_to_air.as_ref().unwrap();
    assert_eq!(
        (next.air_date, next.runtime, next.overview.as_ref(), next.production_code.as_ref()),
        (None, None, None, None)
    );
    assert_eq!((show.imdb_id(), show.tvdb_id()), (None, None));
    assert_eq!(show.certification("US"), None);
    assert!(show.keywords.as_ref().unwrap().results.is_empty());
}

#[tokio::test]
async fn tv_season_asks_for_its_appends_and_image_languages() {
    let server = MockServer::start().await;
    serve(&server, "/3/tv/1396/season/1", ok_file("tmdb/constructed-tv-1396-season-1.json")).await;

    found(tmdb(&server).tv_season(BREAKING_BAD, 1, &fr_ca(), &Validators::NONE).await.unwrap());

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/3/tv/1396/season/1");
    assert_eq!(
        query(&request),
        pairs(&[
            ("api_key", TMDB_KEY),
            ("language", "fr-CA"),
            ("append_to_response", "images,credits,external_ids"),
            ("include_image_language", "fr,en,null"),
        ])
    );
    assert_eq!(SEASON_APPENDS, "images,credits,external_ids");
}

#[tokio::test]
async fn specials_are_season_0() {
    let server = MockServer::start().await;
    serve(&server, "/3/tv/1396/season/0", ok_file("tmdb/constructed-tv-1396-season-1.json")).await;

    found(tmdb(&server).tv_season(BREAKING_BAD, 0, &Language::default(), &Validators::NONE).await.unwrap());
    assert_eq!(only_request(&server).await.url.path(), "/3/tv/1396/season/0");
}

#[tokio::test]
async fn tv_season_decodes_every_episode_field() {
    let server = MockServer::start().await;
    serve(&server, "/3/tv/1396/season/1", ok_file("tmdb/constructed-tv-1396-season-1.json")).await;

    let fetched =
        found(tmdb(&server).tv_season(BREAKING_BAD, 1, &Language::default(), &Validators::NONE).await.unwrap());
    let season: &TvSeason = &fetched.value;
    assert_eq!((season.id, season.season_number, season.name.as_str()), (3572, 1, "Season 1"));
    assert!(season.overview.as_deref().unwrap().starts_with("High school chemistry teacher"));
    assert_eq!(season.air_date, NaiveDate::from_ymd_opt(2008, 1, 20));
    assert_eq!(season.poster_path.as_deref(), Some("/1BP4xYv9ZG4ZVHkL7ocOziBbSYH.jpg"));
    assert_eq!(season.vote_average, 8.3);
    assert_eq!(season.episodes.len(), 3);

    let pilot = season.episode(1).unwrap();
    assert_eq!((pilot.id, pilot.season_number, pilot.episode_number, pilot.name.as_str()), (62085, 1, 1, "Pilot"));
    assert!(pilot.overview.as_deref().unwrap().starts_with("When an unassuming high school chemistry teacher"));
    assert_eq!((pilot.air_date, pilot.runtime), (NaiveDate::from_ymd_opt(2008, 1, 20), Some(59)));
    assert_eq!(pilot.still_path.as_deref(), Some("/ydlY3iPfeOAvu8gVqrxPoMvzNCn.jpg"));
    assert_eq!((pilot.vote_average, pilot.vote_count), (8.0, 215));
    assert_eq!(pilot.production_code.as_deref(), Some("1ABC01"));
    assert_eq!(pilot.episode_type.as_deref(), Some("standard"));
    assert_eq!(pilot.directors().map(|member| member.name.as_str()).collect::<Vec<_>>(), ["Vince Gilligan"]);
    assert_eq!(pilot.writers().map(|member| member.name.as_str()).collect::<Vec<_>>(), ["Vince Gilligan"]);
    let guests: Vec<(&str, Option<&str>, u32, Option<&str>)> = pilot
        .guest_stars
        .iter()
        .map(|guest| (guest.name.as_str(), guest.character.as_deref(), guest.order, guest.profile_path.as_deref()))
        .collect();
    assert_eq!(
        guests,
        [
            ("John Koyama", Some("Emilio Koyama"), 500, Some("/uh4g85qbQGZZ0HH6IQI9fM9VUGS.jpg")),
            ("Carmen Serano", None, 501, None),
        ]
    );

    let second = season.episode(2).unwrap();
    assert_eq!(second.name, "Cat's in the Bag...");
    assert_eq!(second.directors().map(|member| member.name.as_str()).collect::<Vec<_>>(), ["Adam Bernstein"]);
    assert!(second.guest_stars.is_empty());

    let third = season.episode(3).unwrap();
    assert_eq!((third.runtime, third.still_path.as_ref(), third.overview.as_ref()), (None, None, None));
    assert_eq!(third.production_code, None);
    assert!(third.crew.is_empty() && third.guest_stars.is_empty(), "null guest stars are none");
    assert_eq!(season.episode(4), None);

    let posters = &season.images.as_ref().unwrap().posters;
    assert_eq!(posters.len(), 2);
    assert_eq!(posters[1].language, ArtLanguage::Textless);
    assert!(season.images.as_ref().unwrap().backdrops.is_empty(), "seasons have posters only");
    assert_eq!(season.credits.as_ref().unwrap().cast.len(), 2);
    let ids = season.external_ids.as_ref().unwrap();
    assert_eq!((ids.tvdb_id, ids.imdb_id.as_ref(), ids.tvrage_id), (Some(TvdbId(30272)), None, None));
    assert_eq!(ids.wikidata_id.as_deref(), Some("Q1191018"));
    assert_eq!(serde_json::from_str::<TvSeason>(&fetched.body).unwrap(), *season);
}

#[tokio::test]
async fn a_season_tmdb_does_not_have_is_not_found() {
    let server = MockServer::start().await;
    let body = ResponseTemplate::new(404).set_body_raw(data("tmdb/resource-not-found.json"), "application/json");
    serve(&server, "/3/tv/1396/season/9", body).await;

    let outcome = tmdb(&server).tv_season(BREAKING_BAD, 9, &Language::default(), &Validators::NONE).await.unwrap();
    assert_eq!(outcome, Outcome::NotFound);
}

#[tokio::test]
async fn search_tv_sends_query_first_air_date_year_language_and_page() {
    let server = MockServer::start().await;
    serve(&server, "/3/search/tv", ok_file("tmdb/constructed-search-tv.json")).await;

    let search = TvSearch::new("Breaking Bad & co").first_air_date_year(2008).language(fr_ca()).page(2);
    let fetched = found(tmdb(&server).search_tv(&search, &Validators::NONE).await.unwrap());

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/3/search/tv");
    assert_eq!(
        query(&request),
        pairs(&[
            ("api_key", TMDB_KEY),
            ("query", "Breaking Bad & co"),
            ("first_air_date_year", "2008"),
            ("language", "fr-CA"),
            ("page", "2"),
        ])
    );

    let page: &Page<TvSummary> = &fetched.value;
    assert_eq!((page.page, page.total_pages, page.total_results), (1, 1, 3));
    let show = &page.results[0];
    assert_eq!((show.id, show.name.as_str(), show.year()), (BREAKING_BAD, "Breaking Bad", Some(2008)));
    assert_eq!(show.original_name.as_deref(), Some("Breaking Bad"));
    assert_eq!(show.original_language.as_deref(), Some("en"));
    assert_eq!(show.first_air_date, NaiveDate::from_ymd_opt(2008, 1, 20));
    assert!(show.overview.as_deref().unwrap().starts_with("Walter White"));
    assert_eq!(show.poster_path.as_deref(), Some("/ztkUQFLlC19CCMYHW9o1zWhJRNq.jpg"));
    assert_eq!(show.backdrop_path.as_deref(), Some("/tsRy63Mu5cu8etL1X7ZLyf7UP1M.jpg"));
    assert_eq!((show.popularity, show.vote_average, show.vote_count), (288.976, 8.913, 14530));
    assert_eq!(
        (show.origin_country.as_slice(), show.genre_ids.as_slice(), show.adult),
        (&["US".to_owned()][..], &[18, 80][..], false)
    );

    let minisodes = &page.results[1];
    assert_eq!((minisodes.first_air_date, minisodes.year(), minisodes.overview.as_ref()), (None, None, None));
    assert_eq!((minisodes.poster_path.as_ref(), minisodes.origin_country.len()), (None, 0));
    assert_eq!(page.results[2].original_name.as_deref(), Some("Metástasis"));
}

#[tokio::test]
async fn a_plain_tv_search_sends_only_the_query_and_the_first_page() {
    let server = MockServer::start().await;
    serve(&server, "/3/search/tv", ok_file("tmdb/constructed-search-tv.json")).await;

    found(tmdb(&server).search_tv(&TvSearch::new("Dark").page(0), &Validators::NONE).await.unwrap());

    assert_eq!(query(&only_request(&server).await), pairs(&[("api_key", TMDB_KEY), ("query", "Dark"), ("page", "1")]));
}

#[tokio::test]
async fn find_by_tvdb_id_asks_for_the_tvdb_source_and_keeps_the_series() {
    let server = MockServer::start().await;
    serve(&server, "/3/find/81189", ok_file("tmdb/constructed-find-tvdb.json")).await;

    let fetched = found(tmdb(&server).find_by_tvdb_id(TvdbId(81189), &fr_ca(), &Validators::NONE).await.unwrap());

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/3/find/81189");
    assert_eq!(query(&request), pairs(&[("api_key", TMDB_KEY), ("external_source", "tvdb_id"), ("language", "fr-CA")]));

    let show = fetched.value.tv().unwrap();
    assert_eq!((show.id, show.name.as_str(), show.year()), (BREAKING_BAD, "Breaking Bad", Some(2008)));
    assert_eq!(fetched.value.movie(), None);
    // The same number matched an episode too (TheTVDB numbers them apart); it is not kept.
    let body: Value = serde_json::from_str(&fetched.body).unwrap();
    assert_eq!(body["tv_episode_results"].as_array().map(Vec::len), Some(1));
    assert_eq!(fetched.value.tv_results.len(), 1);
}

#[tokio::test]
async fn find_by_imdb_id_exposes_series_too() {
    let server = MockServer::start().await;
    serve(&server, "/3/find/tt0903747", ok_file("tmdb/constructed-find-tvdb.json")).await;

    let imdb_id = ImdbId::parse("tt0903747").unwrap();
    let fetched =
        found(tmdb(&server).find_by_imdb_id(&imdb_id, &Language::default(), &Validators::NONE).await.unwrap());
    assert_eq!(fetched.value.tv().map(|show| show.id), Some(BREAKING_BAD));
    assert_eq!(fetched.value.movie().map(|movie| movie.id), None::<TmdbId>);
}

#[tokio::test]
async fn find_by_tvdb_id_with_no_match_is_found_and_empty() {
    let server = MockServer::start().await;
    serve(&server, "/3/find/1", ok_file("tmdb/constructed-find-empty.json")).await;

    let fetched =
        found(tmdb(&server).find_by_tvdb_id(TvdbId(1), &Language::default(), &Validators::NONE).await.unwrap());
    assert_eq!(fetched.value, FindResults::default());
    assert_eq!(fetched.value.tv(), None);
}

#[tokio::test]
async fn status_code_34_is_not_found() {
    let server = MockServer::start().await;
    let body = ResponseTemplate::new(404).set_body_raw(data("tmdb/resource-not-found.json"), "application/json");
    serve(&server, "/3/tv/999999999", body).await;

    let outcome = tmdb(&server).tv(TmdbTvId(999_999_999), &Language::default(), &Validators::NONE).await.unwrap();
    assert_eq!(outcome, Outcome::NotFound);
}

#[tokio::test]
async fn a_404_without_tmdbs_error_body_blames_the_base_url() {
    let server = serving(ResponseTemplate::new(404).set_body_string("<html>nginx</html>")).await;

    let err = series(&server).await.unwrap_err();
    assert!(invalid_detail(&err).contains("providers.tmdb.base_url"), "{err}");
}

#[tokio::test]
async fn a_refused_key_is_unauthorized_without_leaking() {
    for key in [TMDB_KEY, TMDB_TOKEN] {
        let server =
            serving(ResponseTemplate::new(401).set_body_raw(data("tmdb/invalid-api-key.json"), "application/json"))
                .await;

        let client = tmdb_with(&server, key);
        let err = client.tv(BREAKING_BAD, &Language::default(), &Validators::NONE).await.unwrap_err();
        let ProviderError::Unauthorized { message, .. } = &err else { panic!("expected Unauthorized, got {err:?}") };
        assert_eq!(message, "Invalid API key: You must be granted a valid key.");
        assert!(err.is_permanent() && err.retry_after().is_none());
        assert_no_secret(&err, Provider::Tmdb);
        assert_no_secret_in(&format!("{client:?}"));
    }
}

#[tokio::test]
async fn a_429_snoozes_for_retry_after() {
    let server = MockServer::start().await;
    let body = ResponseTemplate::new(429)
        .insert_header("Retry-After", "7")
        .set_body_raw(data("tmdb/constructed-rate-limit.json"), "application/json");
    serve(&server, "/3/tv/1396/season/1", body).await;

    let err = tmdb(&server).tv_season(BREAKING_BAD, 1, &Language::default(), &Validators::NONE).await.unwrap_err();
    assert!(matches!(err, ProviderError::RateLimited { kind: RateLimitKind::Throttled, .. }), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(!err.is_permanent());
    assert_no_secret(&err, Provider::Tmdb);
}

#[tokio::test]
async fn a_server_error_is_transient() {
    let server = serving(ResponseTemplate::new(503)).await;

    let err = series(&server).await.unwrap_err();
    assert!(matches!(err, ProviderError::Transient { reason: TransientReason::Status(503), .. }), "{err:?}");
    assert_no_secret(&err, Provider::Tmdb);
}

#[tokio::test]
async fn empty_garbage_cut_off_and_misshapen_bodies_are_invalid_responses() {
    let cases = [
        ("", "the body is empty"),
        ("  \n", "the body is empty"),
        ("<html><body>Bad gateway</body></html>", "the body is not JSON"),
        (r#"{"id":1396,"name":"Breaking B"#, "the JSON ends early"),
        (r#"{"id":"one three nine six"}"#, "the JSON does not have the expected shape"),
        (r#"{"name":"no id"}"#, "the JSON does not have the expected shape"),
        ("[]", "the JSON does not have the expected shape"),
    ];
    for (body, expected) in cases {
        let server = serving(ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
        let err = series(&server).await.unwrap_err();
        let detail = invalid_detail(&err);
        assert!(detail.starts_with(expected), "{body:?}: {detail}");
    }
}

#[tokio::test]
async fn validators_are_kept_and_sent_back_and_304_is_not_modified() {
    let etag = "W/\"5f1c0e-1396\"";

    let server = serving(series_file().insert_header("ETag", etag)).await;
    let fetched = found(series(&server).await.unwrap());
    assert_eq!(fetched.validators, Validators { etag: Some(etag.to_owned()), last_modified: None });
    assert_eq!(header(&only_request(&server).await, "if-none-match"), None);

    let server = serving(ResponseTemplate::new(304).insert_header("ETag", etag)).await;
    let outcome = tmdb(&server).tv(BREAKING_BAD, &Language::default(), &fetched.validators).await.unwrap();
    assert_eq!(outcome, Outcome::NotModified(Validators { etag: Some(etag.to_owned()), last_modified: None }));
    assert_eq!(header(&only_request(&server).await, "if-none-match").as_deref(), Some(etag));
}
