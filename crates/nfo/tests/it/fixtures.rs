//! Every fixture in `tests/data/`: a snapshot of the whole parse plus explicit checks of the
//! fields that matter, so a snapshot update cannot silently accept a wrong value.

use metarr_nfo::{ExternalId, NfoKind, NfoRoot, RawNode, WarningKind, parse};

use crate::{data, data_names, kinds};

/// Fixtures with explicit tests below; a new fixture must be added here (and get a test).
const CHECKED: &[&str] = &[
    "jellyfin-communityrating-comma.movie.nfo",
    "jellyfin-fanart-thumbs.movie.nfo",
    "jellyfin-imdb-url-only.nfo",
    "jellyfin-justice-league.movie.nfo",
    "jellyfin-lilo-and-stitch.movie.nfo",
    "jellyfin-radarr-url-only.nfo",
    "jellyfin-sonarr-thumb.nfo",
    "jellyfin-stargate-multi-episode.nfo",
    "jellyfin-tmdb-url-only.nfo",
];

#[test]
fn every_fixture_has_explicit_checks_and_a_snapshot() {
    let names = data_names();
    assert_eq!(names, CHECKED, "tests/data and CHECKED differ");
    for name in &names {
        let parsed = parse(&data(name));
        insta::assert_debug_snapshot!(name.as_str(), parsed);
    }
}

#[test]
fn justice_league_reads_every_modelled_element() {
    let parsed = parse(&data("jellyfin-justice-league.movie.nfo"));
    assert_eq!(parsed.kind, NfoKind::Xml);
    assert!(parsed.is_movie());
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let nfo = &parsed.nfo;
    assert_eq!(nfo.root, Some(NfoRoot::Movie));
    assert_eq!(nfo.title.as_deref(), Some("Justice League"));
    assert_eq!(nfo.original_title.as_deref(), Some("Justice League"));
    assert_eq!(nfo.sort_title, None);

    assert_eq!(nfo.ratings.len(), 5);
    let imdb = nfo.ratings.first().expect("imdb rating");
    assert_eq!(imdb.name.as_deref(), Some("imdb"));
    assert_eq!(imdb.max, Some(10.0));
    assert!(imdb.default);
    assert_eq!(imdb.value, Some(6.4));
    assert_eq!(imdb.votes, Some(335_583));
    let audience = nfo.ratings.get(4).expect("fifth rating");
    assert_eq!(audience.name.as_deref(), Some("tomatometerallaudience"));
    assert!(!audience.default);
    assert_eq!((audience.value, audience.votes), (Some(6.2), Some(119_873)));

    assert_eq!(nfo.user_rating, Some(0));
    assert_eq!(nfo.top250, Some(0));
    assert!(nfo.outline.as_deref().is_some_and(|outline| outline.contains("Superman's selfless act")));
    assert!(nfo.plot.as_deref().is_some_and(|plot| plot.starts_with("Fueled by") && plot.ends_with("proportions.")));
    assert_eq!(nfo.tagline.as_deref(), Some("Justice for all."));
    assert_eq!(nfo.runtime, Some(120));
    assert_eq!(nfo.play_count, Some(2));
    assert_eq!(nfo.last_played.as_deref(), Some("2021-02-11 07:47:23"));
    assert_eq!(nfo.mpaa.as_deref(), Some("Australia:M"));

    assert_eq!(nfo.thumbs.len(), 44);
    let first = nfo.thumbs.first().expect("first thumb");
    assert_eq!(first.aspect.as_deref(), Some("set.poster"));
    assert_eq!(
        first.preview.as_deref(),
        Some("https://assets.fanart.tv/preview/movies/468551/movieposter/justice-league-collection-5c24ea65591d3.jpg")
    );
    assert!(nfo.thumbs.iter().any(|thumb| thumb.url == r"C:\media\movies\Justice League (2017).jpg"));
    assert_eq!(nfo.thumbs.iter().filter(|thumb| thumb.aspect.as_deref() == Some("discart")).count(), 6);
    let fanart = nfo.fanart.as_ref().expect("fanart");
    assert_eq!(fanart.thumbs.len(), 6);
    assert_eq!(
        fanart.thumbs.first().map(|thumb| thumb.url.as_str()),
        Some("https://assets.fanart.tv/fanart/movies/141052/moviebackground/justice-league-5a5332c7b5e77.jpg")
    );

    assert_eq!(nfo.legacy_id.as_deref(), Some("tt0974015"));
    assert_eq!(nfo.tmdb_id_element.as_deref(), Some("141052"), "<tmdbId> matches ignoring case");
    assert_eq!(nfo.unique_ids.len(), 2);
    assert_eq!(nfo.tmdb_id(), Some(141_052));
    assert_eq!(nfo.imdb_id().as_deref(), Some("tt0974015"));

    assert_eq!(nfo.genres, ["Action", "Adventure", "Fantasy", "Sci-Fi"]);
    assert_eq!(nfo.countries, ["USA", "Canada", "UK"]);
    assert_eq!(nfo.credits, ["Jerry Siegel", "Joe Shuster"]);
    assert_eq!(nfo.directors, ["Zack Snyder,"]);
    assert_eq!(nfo.studios, ["DC Comics"]);
    assert!(nfo.tags.is_empty());

    let set = nfo.set.as_ref().expect("set");
    assert_eq!(set.name.as_deref(), Some("Justice League Collection"));
    assert_eq!(set.overview.as_deref(), Some("Based on the DC Comics superhero team"));
    assert_eq!(
        set.attributes.first().map(|attr| (attr.name.as_str(), attr.value.as_str())),
        Some(("tmdbcolid", "702342"))
    );

    assert_eq!(nfo.premiered.as_deref(), Some("2017-11-15"));
    assert_eq!(nfo.year, Some(2017));
    assert_eq!(nfo.status, None, "empty <status> counts as absent");
    assert_eq!(nfo.trailer.as_deref(), Some("plugin://plugin.video.youtube/?action=play_video&videoid=dQw4w9WgXcQ"));
    assert_eq!(nfo.date_added.as_deref(), Some("2019-08-06 09:01:18"));

    let details = &nfo.file_info.as_ref().expect("fileinfo").stream_details;
    let video = details.video.first().expect("video stream");
    assert_eq!(video.codec.as_deref(), Some("h264"));
    assert_eq!(video.aspect, Some(1.777778));
    assert_eq!((video.width, video.height), (Some(1920), Some(1080)));
    assert_eq!(video.duration_in_seconds, Some(6268));
    assert_eq!(video.stereo_mode, None);
    assert_eq!(video.hdr_type, None);
    assert_eq!(video.unknown.first().map(|raw| (raw.name.as_str(), raw.text())), Some(("format3d", "HSBS".into())));
    assert_eq!(details.audio.len(), 2);
    let truehd = details.audio.first().expect("audio");
    assert_eq!(
        (truehd.codec.as_deref(), truehd.language.as_deref(), truehd.channels),
        (Some("truehd"), Some("eng"), Some(8))
    );
    let ac3 = details.audio.get(1).expect("second audio");
    assert_eq!((ac3.codec.as_deref(), ac3.language.as_deref(), ac3.channels), (Some("ac3"), None, Some(6)));
    assert_eq!(details.subtitle.first().and_then(|sub| sub.language.as_deref()), Some("eng"));

    assert_eq!(nfo.actors.len(), 16);
    let ben = nfo.actors.first().expect("first actor");
    assert_eq!((ben.name.as_deref(), ben.role.as_deref(), ben.order), (Some("Ben Affleck"), Some("Batman"), Some(0)));
    assert!(ben.thumb.as_deref().is_some_and(|thumb| thumb.starts_with("https://m.media-amazon.com/")));
    let ciaran = nfo.actors.get(11).expect("twelfth actor");
    assert_eq!(ciaran.name.as_deref(), Some("Ciarán Hinds"));
    let lyricist = nfo.actors.last().expect("last actor");
    assert_eq!(lyricist.name.as_deref(), Some("Test Lyricist"));
    assert_eq!(lyricist.role, None);
    assert_eq!(lyricist.unknown.first().map(|raw| (raw.name.as_str(), raw.text())), Some(("type", "Lyricist".into())));

    let unknown: Vec<&str> = nfo.unknown.iter().map(|raw| raw.name.as_str()).collect();
    assert_eq!(
        unknown,
        [
            "criticrating",
            "language",
            "countrycode",
            "customrating",
            "aspectratio",
            "watched",
            "writer",
            "enddate",
            "code",
            "aired",
            "resume",
            "showlink"
        ]
    );
    let resume = nfo.unknown.iter().find(|raw| raw.name == "resume").expect("resume");
    assert_eq!(resume.to_xml(), "<resume><position>0.000000</position><total>0.000000</total></resume>");
    let code = nfo.unknown.iter().find(|raw| raw.name == "code").expect("code");
    assert!(code.children.is_empty(), "empty elements survive as empty");
}

#[test]
fn fanart_thumbs_fixture_keeps_order_and_bad_fanart_thumb() {
    let parsed = parse(&data("jellyfin-fanart-thumbs.movie.nfo"));
    assert_eq!(parsed.kind, NfoKind::Xml);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let nfo = &parsed.nfo;
    assert_eq!(nfo.title, None);
    assert_eq!(nfo.thumbs.len(), 22);
    assert_eq!(nfo.thumbs.first().and_then(|thumb| thumb.aspect.as_deref()), Some("clearlogo"));
    // A top-level thumb with aspect "fanart" stays a thumb; only `<fanart>` children are fanart.
    let last = nfo.thumbs.last().expect("last thumb");
    assert_eq!(
        (last.aspect.as_deref(), last.url.as_str()),
        (Some("fanart"), "This-should-not-be-saved-as-a-fanart-image.jpg")
    );
    let fanart = nfo.fanart.as_ref().expect("fanart");
    assert_eq!(fanart.thumbs.len(), 6);
    assert!(fanart.thumbs.iter().all(|thumb| thumb.preview.is_some() && thumb.aspect.is_none()));
}

#[test]
fn comma_rating_fixture_keeps_jellyfin_element_for_the_writer() {
    let parsed = parse(&data("jellyfin-communityrating-comma.movie.nfo"));
    assert_eq!(parsed.kind, NfoKind::Xml);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(parsed.nfo.title.as_deref(), Some("Test Movie"));
    let community = parsed.nfo.unknown.first().expect("communityrating kept");
    assert_eq!(community.name, "communityrating");
    assert_eq!(community.text(), "7,5");
    assert_eq!(metarr_nfo::parse_decimal(&community.text()), Some(7.5));
}

#[test]
fn lilo_and_stitch_reads_entities_and_old_set_form() {
    let parsed = parse(&data("jellyfin-lilo-and-stitch.movie.nfo"));
    assert_eq!(parsed.kind, NfoKind::Xml);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let nfo = &parsed.nfo;
    assert_eq!(nfo.title.as_deref(), Some("Lilo & Stitch"));
    assert_eq!(nfo.original_title.as_deref(), Some("Lilo & Stitch"));
    assert_eq!(nfo.set.as_ref().and_then(|set| set.name.as_deref()), Some("Lilo & Stitch Collection"));
    let plot = nfo.plot.as_deref().expect("plot");
    assert!(plot.starts_with(">>As Stitch") && plot.ends_with("ʻohana, the Hawaiian tradition of family.<<"), "{plot}");
    let unique = nfo.unique_ids.first().expect("uniqueid");
    assert_eq!((unique.id_type.as_deref(), unique.default, unique.value.as_str()), (Some("tmdbcol"), false, "97020"));
    // A collection id is not the movie's id.
    assert_eq!(nfo.tmdb_id(), None);
    assert_eq!(nfo.imdb_id(), None);
}

#[test]
fn radarr_url_only_names_tmdb_and_imdb() {
    let parsed = parse(&data("jellyfin-radarr-url-only.nfo"));
    assert_eq!(parsed.kind, NfoKind::UrlOnly);
    assert!(parsed.is_movie());
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(parsed.nfo.root, None);
    assert_eq!(parsed.nfo.urls.len(), 2);
    assert_eq!(parsed.nfo.urls.first().map(|url| url.url.as_str()), Some("https://www.themoviedb.org/movie/583689"));
    assert_eq!(parsed.nfo.tmdb_id(), Some(583_689));
    assert_eq!(parsed.nfo.imdb_id().as_deref(), Some("tt4154796"));
}

#[test]
fn imdb_url_only() {
    let parsed = parse(&data("jellyfin-imdb-url-only.nfo"));
    assert_eq!(parsed.kind, NfoKind::UrlOnly);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(parsed.nfo.imdb_id().as_deref(), Some("tt0944947"));
    assert_eq!(parsed.nfo.tmdb_id(), None);
}

#[test]
fn tmdb_url_only_with_slug() {
    let parsed = parse(&data("jellyfin-tmdb-url-only.nfo"));
    assert_eq!(parsed.kind, NfoKind::UrlOnly);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(parsed.nfo.urls.first().and_then(|url| url.id.clone()), Some(ExternalId::Tmdb(30287)));
    assert_eq!(parsed.nfo.tmdb_id(), Some(30287));
    assert_eq!(parsed.nfo.imdb_id(), None);
}

#[test]
fn sonarr_episode_is_not_a_movie_but_is_read() {
    let parsed = parse(&data("jellyfin-sonarr-thumb.nfo"));
    assert_eq!(parsed.kind, NfoKind::Xml);
    assert!(!parsed.is_movie());
    assert_eq!(kinds(&parsed.warnings), [WarningKind::NotAMovie { root: "episodedetails".into() }]);
    let nfo = &parsed.nfo;
    assert_eq!(nfo.root, Some(NfoRoot::EpisodeDetails));
    assert_eq!(nfo.title.as_deref(), Some("Sometimes a Genius's Every Action Is at the Mercy of X"));
    assert_eq!(
        nfo.thumbs.first().map(|thumb| thumb.url.as_str()),
        Some("https://artworks.thetvdb.com/banners/episodes/359095/7081317.jpg")
    );
    let unique = nfo.unique_ids.first().expect("uniqueid");
    assert_eq!((unique.id_type.as_deref(), unique.default, unique.value.as_str()), (Some("sonarr"), true, "4289"));
    assert_eq!(nfo.tmdb_id(), None);
    let details = &nfo.file_info.as_ref().expect("fileinfo").stream_details;
    let video = details.video.first().expect("video");
    assert_eq!((video.codec.as_deref(), video.width, video.height), (Some("x265"), Some(1920), Some(1080)));
    assert_eq!(video.aspect, Some(1.777_777_79));
    assert_eq!(video.duration_in_seconds, Some(1421));
    let unknown_video: Vec<&str> = video.unknown.iter().map(|raw| raw.name.as_str()).collect();
    assert_eq!(unknown_video, ["bitrate", "framerate", "scantype", "duration"]);
    let audio = details.audio.first().expect("audio");
    assert_eq!((audio.codec.as_deref(), audio.channels), (Some("FLAC"), Some(2)));
    assert_eq!(audio.language.as_deref(), Some("Japanese / Japanese"));
    assert_eq!(details.subtitle.first().and_then(|sub| sub.language.as_deref()), Some("English"));
    let unknown: Vec<&str> = nfo.unknown.iter().map(|raw| raw.name.as_str()).collect();
    assert_eq!(unknown, ["season", "episode", "aired", "watched"]);
}

#[test]
fn multi_episode_keeps_the_first_episode() {
    let parsed = parse(&data("jellyfin-stargate-multi-episode.nfo"));
    assert_eq!(parsed.kind, NfoKind::Xml);
    assert!(!parsed.is_movie());
    assert_eq!(
        kinds(&parsed.warnings),
        [
            WarningKind::NotAMovie { root: "episodedetails".into() },
            WarningKind::ExtraRoot { name: "episodedetails".into() },
            WarningKind::ExtraRoot { name: "episodedetails".into() },
            WarningKind::ExtraRoot { name: "episodedetails".into() },
        ]
    );
    let lines: Vec<usize> = parsed.warnings.iter().filter_map(|warning| warning.position.map(|pos| pos.line)).collect();
    assert_eq!(lines, [1, 24, 45, 67]);
    let nfo = &parsed.nfo;
    assert_eq!(nfo.title.as_deref(), Some("Rising"));
    assert_eq!(nfo.original_title.as_deref(), Some("Rising (1)"));
    assert_eq!(nfo.actors.len(), 2, "actors of later episodes are not merged in");
    // The legacy top-level `<rating>` becomes the default rating without a name.
    let rating = nfo.ratings.first().expect("rating");
    assert_eq!((rating.name.as_deref(), rating.value, rating.default), (None, Some(8.0), true));
    let episode = nfo.unknown.iter().find(|raw| raw.name == "episode").expect("episode kept");
    assert_eq!(episode.children, [RawNode::Text("1".into())]);
}
