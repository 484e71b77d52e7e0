//! TV NFOs: the Sonarr and Jellyfin episode fixtures, a show with every field, a season, a
//! multi-episode file, hostile input, id resolution, and round trips (fixed cases and a
//! property test over generated episodes).

use metarr_nfo::{
    Actor, Attribute, EpisodeNfo, ExternalId, Fanart, FileInfo, FoundUrl, JellyfinLocks, NamedSeason, NfoKind,
    ParsedTv, Rating, RawElement, RawNode, SeasonNfo, StreamDetails, Thumb, TvNfo, TvShowNfo, UniqueId, VideoStream,
    WarningKind, WriteOptions, parse, parse_tv, parse_tv_reader, write_episodes, write_season, write_tvshow,
};
use proptest::prelude::*;

use crate::write::{actor, assert_well_formed_with_roots, file_info, opt_text, rating, text, thumb, unique_id};
use crate::{data, kinds};

fn has(parsed: &ParsedTv, wanted: impl Fn(&WarningKind) -> bool) -> bool {
    parsed.warnings.iter().any(|warning| wanted(&warning.kind))
}

fn show_of(parsed: &ParsedTv) -> &TvShowNfo {
    match &parsed.nfo {
        TvNfo::Show(show) => show,
        other => panic!("not a show: {other:?}"),
    }
}

fn episodes_of(parsed: &ParsedTv) -> &[EpisodeNfo] {
    match &parsed.nfo {
        TvNfo::Episodes(episodes) => episodes,
        other => panic!("not episodes: {other:?}"),
    }
}

fn season_of(parsed: &ParsedTv) -> &SeasonNfo {
    match &parsed.nfo {
        TvNfo::Season(season) => season,
        other => panic!("not a season: {other:?}"),
    }
}

/// Parses written output, insisting it is a clean XML NFO.
fn reparse(output: &str) -> ParsedTv {
    let parsed = parse_tv(output.as_bytes());
    assert!(parsed.warnings.is_empty(), "{:?}\n{output}", parsed.warnings);
    assert_eq!(parsed.kind, NfoKind::Xml, "{output}");
    parsed
}

/// What the show writer documents it normalises: URLs outside the XML are not written.
fn show_normalised(mut show: TvShowNfo) -> TvShowNfo {
    show.urls.clear();
    show
}

fn unique(kind: &str, value: &str, default: bool) -> UniqueId {
    UniqueId { id_type: Some(kind.into()), default, value: value.into() }
}

// ---- fixtures ------------------------------------------------------------------------------

#[test]
fn sonarr_episode_fixture_is_one_episode() {
    let parsed = parse_tv(&data("jellyfin-sonarr-thumb.nfo"));
    assert_eq!(parsed.kind, NfoKind::Xml);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let [episode] = episodes_of(&parsed) else { panic!("one episode") };
    assert_eq!(episode.title.as_deref(), Some("Sometimes a Genius's Every Action Is at the Mercy of X"));
    assert_eq!((episode.season, episode.episode), (Some(1), Some(8)));
    assert_eq!(episode.aired.as_deref(), Some("2019-05-26"));
    assert!(episode.plot.as_deref().is_some_and(|plot| plot.starts_with("After Nariyuki wins")));
    assert_eq!(episode.unique_ids, [unique("sonarr", "4289", true)]);
    // Sonarr's own episode id names no TVDB, TMDB or IMDb entry.
    assert_eq!((episode.tvdb_id(), episode.tmdb_id(), episode.imdb_id()), (None, None, None));
    assert_eq!(
        episode.thumbs.iter().map(|thumb| thumb.url.as_str()).collect::<Vec<_>>(),
        ["https://artworks.thetvdb.com/banners/episodes/359095/7081317.jpg"]
    );
    let details = &episode.file_info.as_ref().expect("fileinfo").stream_details;
    let video = details.video.first().expect("video");
    assert_eq!((video.codec.as_deref(), video.width, video.height), (Some("x265"), Some(1920), Some(1080)));
    assert_eq!(video.duration_in_seconds, Some(1421));
    assert_eq!(details.audio.first().and_then(|audio| audio.channels), Some(2));
    let unknown: Vec<&str> = episode.unknown.iter().map(|raw| raw.name.as_str()).collect();
    assert_eq!(unknown, ["watched"]);
}

#[test]
fn stargate_fixture_reads_every_episode() {
    let parsed = parse_tv(&data("jellyfin-stargate-multi-episode.nfo"));
    assert_eq!(parsed.kind, NfoKind::Xml);
    assert!(parsed.warnings.is_empty(), "no 'extra root' warnings: {:?}", parsed.warnings);
    let episodes = episodes_of(&parsed);
    let titles: Vec<Option<&str>> = episodes.iter().map(|episode| episode.title.as_deref()).collect();
    assert_eq!(titles, [Some("Rising"), None, Some("Hide and Seek"), Some("Thirty-Eight Minutes")]);
    let numbers: Vec<(Option<i64>, Option<i64>)> =
        episodes.iter().map(|episode| (episode.season, episode.episode)).collect();
    assert_eq!(numbers, [(Some(1), Some(1)), (Some(1), Some(2)), (Some(1), Some(3)), (Some(1), Some(4))]);
    let second = episodes.get(1).expect("second episode");
    assert_eq!(second.original_title.as_deref(), Some("Rising (2)"));
    assert_eq!(second.aired.as_deref(), Some("2004-07-16"));
    // The legacy top-level `<rating>` becomes each episode's default rating without a name.
    let values: Vec<Option<f64>> =
        episodes.iter().map(|episode| episode.ratings.first().and_then(|rating| rating.value)).collect();
    assert_eq!(values, [Some(8.0), Some(7.9), Some(7.5), Some(7.5)]);
    assert!(
        episodes.iter().all(|episode| episode.ratings.iter().all(|rating| rating.default && rating.name.is_none()))
    );
    for episode in episodes {
        let actors: Vec<(Option<&str>, Option<&str>, Option<i64>)> =
            episode.actors.iter().map(|actor| (actor.name.as_deref(), actor.role.as_deref(), actor.order)).collect();
        assert_eq!(
            actors,
            [
                (Some("Joe Flanigan"), Some("John Sheppard"), Some(0)),
                (Some("David Hewlett"), Some("Rodney McKay"), Some(1))
            ]
        );
        assert_eq!(episode.unknown.iter().map(|raw| raw.name.as_str()).collect::<Vec<_>>(), ["watched"]);
    }
}

#[test]
fn fixtures_round_trip() {
    for name in ["jellyfin-sonarr-thumb.nfo", "jellyfin-stargate-multi-episode.nfo"] {
        let first = parse_tv(&data(name));
        let episodes = episodes_of(&first);
        let output = write_episodes(episodes, &WriteOptions::default());
        assert_well_formed_with_roots(&output, episodes.len());
        assert_eq!(output.matches("<?xml").count(), 1, "one declaration");
        let second = reparse(&output);
        assert_eq!(episodes_of(&second), episodes, "{name}\n{output}");
        assert_eq!(write_episodes(episodes_of(&second), &WriteOptions::default()), output, "{name}: fixed point");
    }
}

#[test]
fn the_movie_parser_still_reads_only_the_first_episode() {
    let parsed = parse(&data("jellyfin-stargate-multi-episode.nfo"));
    let extra_roots = kinds(&parsed.warnings)
        .into_iter()
        .filter(|kind| matches!(kind, WarningKind::ExtraRoot { name } if name == "episodedetails"))
        .count();
    assert_eq!(extra_roots, 3);
    assert_eq!(parsed.nfo.title.as_deref(), Some("Rising"));
}

// ---- a show with every field ---------------------------------------------------------------

const FULL_SHOW: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<tvshow>
  <title>Breaking Bad</title>
  <originaltitle>Breaking Bad (US)</originaltitle>
  <showtitle>Breaking Bad</showtitle>
  <sorttitle>Breaking Bad, The</sorttitle>
  <ratings>
    <rating name="tmdb" max="10" default="true">
      <value>8.9</value>
      <votes>12345</votes>
    </rating>
    <rating name="imdb" max="10">
      <value>9.5</value>
      <votes>2000000</votes>
    </rating>
  </ratings>
  <userrating>9</userrating>
  <outline>A teacher turns to crime.</outline>
  <plot>Walter White &amp; Jesse Pinkman cook.</plot>
  <tagline>Remember my name.</tagline>
  <thumb aspect="poster" preview="https://img/p-small.jpg">https://img/poster.jpg</thumb>
  <thumb aspect="poster" type="season" season="1">https://img/s1.jpg</thumb>
  <fanart>
    <thumb preview="https://img/f-small.jpg">https://img/fanart.jpg</thumb>
  </fanart>
  <mpaa>TV-MA</mpaa>
  <id>81189</id>
  <imdb_id>tt0903747</imdb_id>
  <tmdbid>1396</tmdbid>
  <tvdbid>81189</tvdbid>
  <uniqueid type="tvdb" default="true">81189</uniqueid>
  <uniqueid type="tmdb">1396</uniqueid>
  <uniqueid type="imdb">tt0903747</uniqueid>
  <genre>Drama</genre>
  <genre>Crime</genre>
  <country>United States</country>
  <tag>chemistry</tag>
  <premiered>2008-01-20</premiered>
  <year>2008</year>
  <status>Ended</status>
  <studio>AMC</studio>
  <trailer>plugin://plugin.video.youtube/?action=play_video&amp;videoid=HhesaQXLuRY</trailer>
  <actor>
    <name>Bryan Cranston</name>
    <role>Walter White</role>
    <order>0</order>
    <thumb>https://img/bryan.jpg</thumb>
  </actor>
  <namedseason number="1">Season One</namedseason>
  <namedseason number="5">The Final Season</namedseason>
  <episodeguide>{"tvdb": "81189", "tmdb": "1396", "imdb": "tt0903747"}</episodeguide>
  <dateadded>2024-01-02 03:04:05</dateadded>
  <custom source="other-tool"><nested>kept</nested>tail</custom>
</tvshow>
"#;

fn full_show() -> TvShowNfo {
    TvShowNfo {
        title: Some("Breaking Bad".into()),
        original_title: Some("Breaking Bad (US)".into()),
        show_title: Some("Breaking Bad".into()),
        sort_title: Some("Breaking Bad, The".into()),
        year: Some(2008),
        plot: Some("Walter White & Jesse Pinkman cook.".into()),
        outline: Some("A teacher turns to crime.".into()),
        tagline: Some("Remember my name.".into()),
        mpaa: Some("TV-MA".into()),
        premiered: Some("2008-01-20".into()),
        status: Some("Ended".into()),
        ratings: vec![
            Rating {
                name: Some("tmdb".into()),
                max: Some(10.0),
                default: true,
                value: Some(8.9),
                votes: Some(12_345),
                unknown: vec![],
            },
            Rating {
                name: Some("imdb".into()),
                max: Some(10.0),
                default: false,
                value: Some(9.5),
                votes: Some(2_000_000),
                unknown: vec![],
            },
        ],
        user_rating: Some(9),
        unique_ids: vec![
            unique("tvdb", "81189", true),
            unique("tmdb", "1396", false),
            unique("imdb", "tt0903747", false),
        ],
        genres: vec!["Drama".into(), "Crime".into()],
        studios: vec!["AMC".into()],
        tags: vec!["chemistry".into()],
        countries: vec!["United States".into()],
        actors: vec![Actor {
            name: Some("Bryan Cranston".into()),
            role: Some("Walter White".into()),
            order: Some(0),
            thumb: Some("https://img/bryan.jpg".into()),
            unknown: vec![],
        }],
        thumbs: vec![
            Thumb {
                aspect: Some("poster".into()),
                preview: Some("https://img/p-small.jpg".into()),
                url: "https://img/poster.jpg".into(),
                attributes: vec![],
            },
            Thumb {
                aspect: Some("poster".into()),
                preview: None,
                url: "https://img/s1.jpg".into(),
                attributes: vec![
                    Attribute { name: "type".into(), value: "season".into() },
                    Attribute { name: "season".into(), value: "1".into() },
                ],
            },
        ],
        fanart: Some(Fanart {
            url: None,
            thumbs: vec![Thumb {
                aspect: None,
                preview: Some("https://img/f-small.jpg".into()),
                url: "https://img/fanart.jpg".into(),
                attributes: vec![],
            }],
            unknown: vec![],
        }),
        named_seasons: vec![
            NamedSeason { number: 1, name: "Season One".into() },
            NamedSeason { number: 5, name: "The Final Season".into() },
        ],
        episode_guide: Some(r#"{"tvdb": "81189", "tmdb": "1396", "imdb": "tt0903747"}"#.into()),
        date_added: Some("2024-01-02 03:04:05".into()),
        trailer: Some("plugin://plugin.video.youtube/?action=play_video&videoid=HhesaQXLuRY".into()),
        legacy_id: Some("81189".into()),
        tvdb_id_element: Some("81189".into()),
        tmdb_id_element: Some("1396".into()),
        imdb_id_element: Some("tt0903747".into()),
        urls: vec![],
        unknown: vec![RawElement {
            name: "custom".into(),
            attributes: vec![Attribute { name: "source".into(), value: "other-tool".into() }],
            children: vec![
                RawNode::Element(RawElement {
                    name: "nested".into(),
                    attributes: vec![],
                    children: vec![RawNode::Text("kept".into())],
                }),
                RawNode::Text("tail".into()),
            ],
        }],
    }
}

#[test]
fn a_show_with_every_field_is_read() {
    let parsed = parse_tv(FULL_SHOW.as_bytes());
    assert_eq!(parsed.kind, NfoKind::Xml);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert!(parsed.urls.is_empty());
    let show = show_of(&parsed);
    assert_eq!(show, &full_show());
    assert_eq!(
        (show.tvdb_id(), show.tmdb_id(), show.imdb_id().as_deref()),
        (Some(81189), Some(1396), Some("tt0903747"))
    );
}

#[test]
fn a_show_with_every_field_is_written_in_kodi_order_and_round_trips() {
    let show = full_show();
    let output = write_tvshow(&show, &WriteOptions::default());
    assert_well_formed_with_roots(&output, 1);
    // The input was written in the writer's order, so only the indentation may differ.
    assert_eq!(output, FULL_SHOW);
    assert_eq!(show_of(&reparse(&output)), &show);
}

#[test]
fn an_empty_show_writes_an_empty_root() {
    let output = write_tvshow(&TvShowNfo::default(), &WriteOptions::default());
    assert_eq!(output, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\" ?>\n<tvshow>\n</tvshow>\n");
    assert_eq!(show_of(&reparse(&output)), &TvShowNfo::default());
}

#[test]
fn jellyfin_locks_are_written_for_shows_and_episodes() {
    let locks = WriteOptions {
        jellyfin_locks: Some(JellyfinLocks { lock_data: true, locked_fields: vec!["Name".into(), "Overview".into()] }),
    };
    let show = TvShowNfo { title: Some("T".into()), ..TvShowNfo::default() };
    let output = write_tvshow(&show, &locks);
    assert!(output.contains("<lockdata>true</lockdata>\n  <lockedfields>Name|Overview</lockedfields>\n</tvshow>"));
    // Read back, the locks are unknown elements; writing again with locks does not double them.
    let back = show_of(&reparse(&output)).clone();
    assert_eq!(back.unknown.len(), 2);
    assert_eq!(write_tvshow(&back, &locks), output);
    assert_eq!(write_tvshow(&back, &WriteOptions::default()), output);

    let episodes = vec![EpisodeNfo { title: Some("A".into()), ..EpisodeNfo::default() }; 2];
    let output = write_episodes(&episodes, &locks);
    assert_eq!(output.matches("<lockdata>true</lockdata>").count(), 2, "each episode carries its locks");
}

#[test]
fn the_old_episode_guide_url_form_round_trips_as_markup() {
    let input = r#"<tvshow>
  <episodeguide>
    <url post="yes" cache="auth.json">https://api.thetvdb.com/login?{&quot;apikey&quot;:&quot;439DFEBA9D3059C6&quot;,&quot;id&quot;:81189}|Content-Type=application/json</url>
  </episodeguide>
</tvshow>"#;
    let parsed = parse_tv(input.as_bytes());
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let guide = show_of(&parsed).episode_guide.clone().expect("episode guide");
    assert_eq!(
        guide,
        r#"<url post="yes" cache="auth.json">https://api.thetvdb.com/login?{"apikey":"439DFEBA9D3059C6","id":81189}|Content-Type=application/json</url>"#
    );
    let output = write_tvshow(show_of(&parsed), &WriteOptions::default());
    assert!(output.contains("  <episodeguide><url post=\"yes\" cache=\"auth.json\">https://"), "{output}");
    assert_eq!(show_of(&reparse(&output)).episode_guide.as_deref(), Some(guide.as_str()));

    // Text that is not markup the parser would give back is written as text, escaped.
    for guide in
        ["<3 shows", "<a>unclosed", "<a>x</a></episodeguide><evil/>", "<a>x</a>tail<!-- c -->", "{\"a\":\"<b>\"}"]
    {
        let show = TvShowNfo { episode_guide: Some(guide.into()), ..TvShowNfo::default() };
        let output = write_tvshow(&show, &WriteOptions::default());
        assert_well_formed_with_roots(&output, 1);
        assert_eq!(show_of(&reparse(&output)).episode_guide.as_deref(), Some(guide), "{output}");
    }
}

#[test]
fn named_seasons_that_cannot_be_read_are_kept_as_they_were() {
    let input = r#"<tvshow><namedseason number="x">Bad</namedseason><namedseason>No number</namedseason><namedseason number="2"> </namedseason><namedseason number="3">Three</namedseason></tvshow>"#;
    let parsed = parse_tv(input.as_bytes());
    assert_eq!(
        kinds(&parsed.warnings),
        [WarningKind::InvalidNumber { element: "namedseason@number".into(), value: "x".into() }]
    );
    let show = show_of(&parsed);
    assert_eq!(show.named_seasons, [NamedSeason { number: 3, name: "Three".into() }]);
    assert_eq!(show.unknown.len(), 3);
    let output = write_tvshow(show, &WriteOptions::default());
    assert!(output.contains(r#"<namedseason number="x">Bad</namedseason>"#));
}

// ---- season ----------------------------------------------------------------------------------

#[test]
fn a_season_nfo_is_read_and_round_trips() {
    let input = "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>
<season>
  <plot><![CDATA[The first season.]]></plot>
  <lockdata>false</lockdata>
  <dateadded>2024-01-01 00:00:00</dateadded>
  <title>Season 1</title>
  <year>2008</year>
  <premiered>2008-01-20</premiered>
  <seasonnumber>1</seasonnumber>
</season>";
    let parsed = parse_tv(input.as_bytes());
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let season = season_of(&parsed);
    assert_eq!(season.season_number, Some(1));
    assert_eq!(season.title.as_deref(), Some("Season 1"));
    assert_eq!(season.plot.as_deref(), Some("The first season."));
    assert_eq!(season.premiered.as_deref(), Some("2008-01-20"));
    let unknown: Vec<&str> = season.unknown.iter().map(|raw| raw.name.as_str()).collect();
    assert_eq!(unknown, ["lockdata", "dateadded", "year"]);

    let output = write_season(season);
    assert_well_formed_with_roots(&output, 1);
    assert_eq!(season_of(&reparse(&output)), season);
    assert!(output.contains("<title>Season 1</title>\n  <plot>The first season.</plot>"));
    let empty = write_season(&SeasonNfo::default());
    assert_eq!(season_of(&reparse(&empty)), &SeasonNfo::default());
}

// ---- multi-episode -----------------------------------------------------------------------------

const THREE_EPISODES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<episodedetails>
  <title>Pilot</title>
  <showtitle>Breaking Bad</showtitle>
  <ratings>
    <rating name="tvdb" max="10" default="true">
      <value>8.2</value>
      <votes>300</votes>
    </rating>
  </ratings>
  <userrating>8</userrating>
  <plot>Walter's diagnosis.</plot>
  <runtime>58</runtime>
  <thumb>https://img/e1.jpg</thumb>
  <mpaa>TV-MA</mpaa>
  <playcount>1</playcount>
  <lastplayed>2024-02-03 20:00:00</lastplayed>
  <uniqueid type="tvdb" default="true">349232</uniqueid>
  <uniqueid type="tmdb">62085</uniqueid>
  <uniqueid type="imdb">tt0959621</uniqueid>
  <credits>Vince Gilligan</credits>
  <director>Vince Gilligan</director>
  <premiered>2008-01-20</premiered>
  <aired>2008-01-20</aired>
  <season>1</season>
  <episode>1</episode>
  <displayseason>1</displayseason>
  <displayepisode>1</displayepisode>
  <fileinfo>
    <streamdetails>
      <video>
        <codec>h264</codec>
        <width>1920</width>
        <height>1080</height>
      </video>
    </streamdetails>
  </fileinfo>
  <actor>
    <name>Bryan Cranston</name>
    <role>Walter White</role>
  </actor>
  <dateadded>2024-01-02 03:04:05</dateadded>
  <watched>true</watched>
</episodedetails>
<episodedetails>
  <title>Cat's in the Bag...</title>
  <uniqueid type="tvdb" default="true">349233</uniqueid>
  <season>1</season>
  <episode>2</episode>
</episodedetails>
<episodedetails>
  <title>...And the Bag's in the River</title>
  <id>349234</id>
  <season>1</season>
  <episode>3</episode>
</episodedetails>
"#;

#[test]
fn three_episodes_in_one_file_are_all_read_and_round_trip() {
    let parsed = parse_tv(THREE_EPISODES.as_bytes());
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let episodes = episodes_of(&parsed);
    assert_eq!(episodes.len(), 3);
    let first = &episodes[0];
    assert_eq!(first.show_title.as_deref(), Some("Breaking Bad"));
    assert_eq!(
        (first.season, first.episode, first.display_season, first.display_episode),
        (Some(1), Some(1), Some(1), Some(1))
    );
    assert_eq!((first.runtime, first.playcount, first.user_rating), (Some(58), Some(1), Some(8)));
    assert_eq!(first.last_played.as_deref(), Some("2024-02-03 20:00:00"));
    assert_eq!(first.credits, ["Vince Gilligan"]);
    assert_eq!(first.directors, ["Vince Gilligan"]);
    assert_eq!(
        (first.tvdb_id(), first.tmdb_id(), first.imdb_id().as_deref()),
        (Some(349_232), Some(62085), Some("tt0959621"))
    );
    assert_eq!(first.unknown.iter().map(|raw| raw.name.as_str()).collect::<Vec<_>>(), ["watched"]);
    let ids: Vec<Option<i64>> = episodes.iter().map(EpisodeNfo::tvdb_id).collect();
    assert_eq!(ids, [Some(349_232), Some(349_233), Some(349_234)]);

    // Written in the order it was read, so the output is the input.
    let output = write_episodes(episodes, &WriteOptions::default());
    assert_well_formed_with_roots(&output, 3);
    assert_eq!(output, THREE_EPISODES);
    assert_eq!(episodes_of(&reparse(&output)), episodes);
}

#[test]
fn no_episodes_write_one_empty_episode() {
    let output = write_episodes(&[], &WriteOptions::default());
    assert_well_formed_with_roots(&output, 1);
    assert_eq!(episodes_of(&reparse(&output)), [EpisodeNfo::default()]);
}

// ---- hostile input -----------------------------------------------------------------------------

#[test]
fn truncated_episode_files_keep_what_was_read() {
    let cut = THREE_EPISODES.find("<title>Cat's").expect("second title");
    let parsed = parse_tv(&THREE_EPISODES.as_bytes()[..cut + "<title>Cat".len()]);
    let episodes = episodes_of(&parsed);
    assert_eq!(episodes.len(), 2);
    assert_eq!(episodes[0].title.as_deref(), Some("Pilot"));
    assert_eq!(episodes[1].title.as_deref(), Some("Cat"));
    assert!(has(&parsed, |kind| matches!(kind, WarningKind::Truncated { .. })));

    let parsed = parse_tv(b"<tvshow><title>Half</title><plot>cut mid-");
    assert_eq!(show_of(&parsed).title.as_deref(), Some("Half"));
    assert_eq!(show_of(&parsed).plot.as_deref(), Some("cut mid-"));
}

#[test]
fn garbage_and_empty_input_are_other() {
    for input in [&b""[..], b"   \n", b"not an nfo at all", b"\xff\xfe\x00garbage\x01", b"<<<>>>&&&;;;"] {
        let parsed = parse_tv(input);
        assert_eq!(parsed.nfo, TvNfo::Other, "{input:?}");
        assert!(matches!(parsed.kind, NfoKind::Empty), "{input:?}");
    }
    let parsed = parse_tv(b"not an nfo at all");
    assert_eq!(kinds(&parsed.warnings), [WarningKind::NoContent]);
}

#[test]
fn a_movie_root_is_not_tv() {
    let parsed = parse_tv(b"<movie><title>The Matrix</title></movie>");
    assert_eq!(parsed.nfo, TvNfo::Other);
    assert_eq!(parsed.kind, NfoKind::Xml);
    assert_eq!(kinds(&parsed.warnings), [WarningKind::NotTv { root: "movie".into() }]);
}

#[test]
fn roots_are_matched_ignoring_case() {
    let parsed = parse_tv(b"<TVShow><Title>Case</Title></TVShow>");
    assert_eq!(show_of(&parsed).title.as_deref(), Some("Case"));
    let parsed =
        parse_tv(b"<EpisodeDetails><title>A</title></EpisodeDetails><episodedetails><title>B</title></episodedetails>");
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(episodes_of(&parsed).len(), 2);
    let parsed = parse_tv(b"<SEASON><seasonnumber>0</seasonnumber></SEASON>");
    assert_eq!(season_of(&parsed).season_number, Some(0));
}

#[test]
fn an_episode_after_a_show_is_skipped_with_a_warning() {
    let parsed = parse_tv(b"<tvshow><title>Show</title></tvshow>\n<episodedetails><title>Ep</title></episodedetails>");
    assert_eq!(show_of(&parsed).title.as_deref(), Some("Show"));
    assert_eq!(kinds(&parsed.warnings), [WarningKind::ExtraRoot { name: "episodedetails".into() }]);
    assert_eq!(parsed.warnings[0].position.map(|position| position.line), Some(2));

    // Other roots between episodes are skipped; the episodes around them are read.
    let parsed = parse_tv(b"<episodedetails><title>A</title></episodedetails><tvshow><title>S</title></tvshow><episodedetails><title>B</title></episodedetails>");
    let titles: Vec<Option<&str>> = episodes_of(&parsed).iter().map(|episode| episode.title.as_deref()).collect();
    assert_eq!(titles, [Some("A"), Some("B")]);
    assert_eq!(kinds(&parsed.warnings), [WarningKind::ExtraRoot { name: "tvshow".into() }]);

    // Two shows: the first wins, as for movies.
    let parsed = parse_tv(b"<tvshow><title>1</title></tvshow><tvshow><title>2</title></tvshow>");
    assert_eq!(show_of(&parsed).title.as_deref(), Some("1"));
    assert_eq!(kinds(&parsed.warnings), [WarningKind::ExtraRoot { name: "tvshow".into() }]);
}

#[test]
fn ten_thousand_episodes_are_read() {
    let mut input = String::new();
    for number in 1..=10_000 {
        input.push_str(&format!(
            "<episodedetails><title>Episode {number}</title><season>1</season><episode>{number}</episode></episodedetails>\n"
        ));
    }
    let parsed = parse_tv(input.as_bytes());
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings.first());
    let episodes = episodes_of(&parsed);
    assert_eq!(episodes.len(), 10_000);
    assert_eq!(episodes.last().and_then(|episode| episode.episode), Some(10_000));
    let output = write_episodes(episodes, &WriteOptions::default());
    assert_eq!(episodes_of(&reparse(&output)).len(), 10_000);

    // The element limit still holds across roots: 60,000 roots of four elements each.
    let many = "<episodedetails><title>x</title><season>1</season><episode>1</episode></episodedetails>".repeat(60_000);
    let parsed = parse_tv(many.as_bytes());
    assert_eq!(kinds(&parsed.warnings), [WarningKind::ElementLimit { limit: 200_000 }]);
    assert_eq!(episodes_of(&parsed).len(), 50_000);
}

#[test]
fn deeply_nested_junk_is_capped() {
    let depth = 100_000;
    let input = format!(
        "<episodedetails><title>Deep</title>{}{}<plot>After</plot></episodedetails><episodedetails><title>Next</title></episodedetails>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    let parsed = parse_tv(input.as_bytes());
    assert_eq!(kinds(&parsed.warnings), [WarningKind::DepthLimit { limit: 64 }]);
    let episodes = episodes_of(&parsed);
    assert_eq!(episodes.len(), 2);
    assert_eq!(episodes[0].plot.as_deref(), Some("After"));
    assert_eq!(episodes[1].title.as_deref(), Some("Next"));
}

#[test]
fn nul_characters_are_dropped_with_one_warning() {
    let parsed = parse_tv(b"<tvshow><title>Break\x00ing</title><plot>\x00Bad\x01</plot></tvshow>");
    let show = show_of(&parsed);
    assert_eq!((show.title.as_deref(), show.plot.as_deref()), (Some("Breaking"), Some("Bad")));
    assert_eq!(kinds(&parsed.warnings), [WarningKind::ControlCharacters { count: 3, first: 0 }]);
}

#[test]
fn utf16_files_are_decoded() {
    let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<episodedetails><title>Café</title></episodedetails><episodedetails><title>日本</title></episodedetails>";
    let mut little_endian = vec![0xff, 0xfe];
    little_endian.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let mut big_endian = vec![0xfe, 0xff];
    big_endian.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    for bytes in [little_endian, big_endian] {
        let parsed = parse_tv(&bytes);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let titles: Vec<Option<&str>> = episodes_of(&parsed).iter().map(|episode| episode.title.as_deref()).collect();
        assert_eq!(titles, [Some("Café"), Some("日本")]);
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = fastrand::Rng::with_seed(0x7476_6e66);
    let alphabet: &[&[u8]] = &[
        b"<episodedetails>",
        b"</episodedetails>",
        b"<tvshow>",
        b"<season>",
        b"<",
        b">",
        b"/",
        b"&",
        b"x",
        b"\n",
        b"\x00",
        b" https://thetvdb.com/?tab=series&id=1 ",
    ];
    for _ in 0..2_000 {
        let parts = rng.usize(0..64);
        let bytes: Vec<u8> = (0..parts)
            .flat_map(|_| alphabet.get(rng.usize(..alphabet.len())).copied().unwrap_or(b"<").to_vec())
            .collect();
        let parsed = parse_tv(&bytes);
        assert!(parsed.warnings.len() <= 201);
        if let TvNfo::Episodes(episodes) = &parsed.nfo {
            assert!(!episodes.is_empty());
        }
        // The kind agrees with what was found. (It may differ from the movie parser's: a
        // skipped extra root hides the text inside it, a read one does not.)
        let has_urls = !parsed.urls.is_empty();
        assert_eq!(has_urls, matches!(parsed.kind, NfoKind::XmlWithUrls | NfoKind::UrlOnly), "{bytes:?}");
        if parsed.nfo != TvNfo::Other {
            assert!(matches!(parsed.kind, NfoKind::Xml | NfoKind::XmlWithUrls), "{bytes:?}");
        }
    }
}

#[test]
fn parse_tv_reader_reads_and_parses() {
    let parsed = parse_tv_reader(std::io::Cursor::new(data("jellyfin-stargate-multi-episode.nfo"))).expect("read");
    assert_eq!(episodes_of(&parsed).len(), 4);
}

// ---- ids -----------------------------------------------------------------------------------------

/// The body of a root element, then the TVDB, TMDB and IMDb ids it should name.
type IdCase = (&'static str, Option<i64>, Option<i64>, Option<&'static str>);

#[test]
fn show_ids_resolve_by_source_strength() {
    let cases: &[IdCase] = &[
        (r#"<uniqueid type="tvdb" default="true">81189</uniqueid>"#, Some(81189), None, None),
        (r#"<uniqueid type="tvdb">1</uniqueid><uniqueid type="tvdb" default="true">2</uniqueid>"#, Some(2), None, None),
        (r#"<uniqueid type="TMDB" default="true">1396</uniqueid><id>1396</id>"#, None, Some(1396), None),
        (r#"<uniqueid type="themoviedb">1396</uniqueid>"#, None, Some(1396), None),
        (r#"<uniqueid type="imdb">TT0903747</uniqueid>"#, None, None, Some("tt0903747")),
        // The legacy <id> of old Kodi scrapers is a TVDB id…
        ("<id>81189</id>", Some(81189), None, None),
        ("<id>tt0903747</id>", None, None, Some("tt0903747")),
        // …but not beside <uniqueid>s, whose types say what it copied, nor beside <tvdbid>.
        (r#"<id>1396</id><uniqueid type="tmdb" default="true">1396</uniqueid>"#, None, Some(1396), None),
        ("<id>5</id><tvdbid>81189</tvdbid>", Some(81189), None, None),
        (
            "<tvdbid>81189</tvdbid><tmdbId>1396</tmdbId><imdb_id>tt0903747</imdb_id>",
            Some(81189),
            Some(1396),
            Some("tt0903747"),
        ),
        ("<imdbid>tt0903747</imdbid>", None, None, Some("tt0903747")),
        // Malformed values name nothing.
        (
            r#"<uniqueid type="tvdb">abc</uniqueid><uniqueid type="tmdb">0</uniqueid><uniqueid type="imdb">0903747</uniqueid>"#,
            None,
            None,
            None,
        ),
        (r#"<uniqueid type="sonarr" default="true">42</uniqueid>"#, None, None, None),
        // <uniqueid> beats the Jellyfin elements.
        (r#"<tvdbid>1</tvdbid><uniqueid type="tvdb">2</uniqueid>"#, Some(2), None, None),
    ];
    for (body, tvdb, tmdb, imdb) in cases {
        let parsed = parse_tv(format!("<tvshow>{body}</tvshow>").as_bytes());
        let show = show_of(&parsed);
        assert_eq!((show.tvdb_id(), show.tmdb_id(), show.imdb_id().as_deref()), (*tvdb, *tmdb, *imdb), "{body}");
    }
}

#[test]
fn episode_ids_resolve_by_source_strength() {
    let cases: &[IdCase] = &[
        (r#"<uniqueid type="tvdb" default="true">349232</uniqueid>"#, Some(349_232), None, None),
        (
            r#"<uniqueid type="sonarr" default="true">4289</uniqueid><uniqueid type="tvdb">349232</uniqueid>"#,
            Some(349_232),
            None,
            None,
        ),
        ("<id>349232</id>", Some(349_232), None, None),
        (r#"<id>349232</id><uniqueid type="sonarr">1</uniqueid>"#, None, None, None),
        ("<tmdbid>62085</tmdbid><imdbid>tt0959621</imdbid>", None, Some(62085), Some("tt0959621")),
    ];
    for (body, tvdb, tmdb, imdb) in cases {
        let parsed = parse_tv(format!("<episodedetails>{body}</episodedetails>").as_bytes());
        let [episode] = episodes_of(&parsed) else { panic!("one episode") };
        assert_eq!(
            (episode.tvdb_id(), episode.tmdb_id(), episode.imdb_id().as_deref()),
            (*tvdb, *tmdb, *imdb),
            "{body}"
        );
    }
}

#[test]
fn show_urls_outside_the_xml_name_ids_last() {
    let parsed = parse_tv(b"<tvshow><title>BB</title></tvshow>\nhttps://thetvdb.com/?tab=series&id=81189\nhttps://www.themoviedb.org/tv/1396-breaking-bad\nhttps://www.imdb.com/title/tt0903747/");
    assert_eq!(parsed.kind, NfoKind::XmlWithUrls);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let ids: Vec<Option<ExternalId>> = parsed.urls.iter().map(|url| url.id.clone()).collect();
    assert_eq!(
        ids,
        [Some(ExternalId::Tvdb(81189)), Some(ExternalId::TmdbTv(1396)), Some(ExternalId::Imdb("tt0903747".into()))]
    );
    let show = show_of(&parsed);
    assert_eq!(show.urls, parsed.urls);
    assert_eq!(
        (show.tvdb_id(), show.tmdb_id(), show.imdb_id().as_deref()),
        (Some(81189), Some(1396), Some("tt0903747"))
    );

    // XML ids beat URL ids.
    let parsed =
        parse_tv(b"<tvshow><uniqueid type=\"tvdb\">1</uniqueid></tvshow>\nhttps://thetvdb.com/?tab=series&id=81189");
    assert_eq!(show_of(&parsed).tvdb_id(), Some(1));

    // A slug URL names no id; a movie URL names no show.
    let parsed = parse_tv(b"<tvshow/>\nhttps://thetvdb.com/series/breaking-bad https://www.themoviedb.org/movie/603");
    assert_eq!((show_of(&parsed).tvdb_id(), show_of(&parsed).tmdb_id()), (None, None));

    // An episode file's URL names its series, not the episode.
    let parsed = parse_tv(b"<episodedetails/>\nhttps://thetvdb.com/?tab=series&id=81189");
    assert_eq!(parsed.urls.len(), 1);
    assert_eq!(episodes_of(&parsed)[0].tvdb_id(), None);
}

#[test]
fn a_url_only_tvshow_nfo_is_other_with_its_urls() {
    let parsed = parse_tv(b"https://thetvdb.com/?tab=series&id=81189\n");
    assert_eq!((parsed.kind, &parsed.nfo), (NfoKind::UrlOnly, &TvNfo::Other));
    let urls = parsed.urls.clone();
    assert_eq!(
        urls,
        [FoundUrl { url: "https://thetvdb.com/?tab=series&id=81189".into(), id: Some(ExternalId::Tvdb(81189)) }]
    );
    assert_eq!(TvShowNfo { urls, ..TvShowNfo::default() }.tvdb_id(), Some(81189));
}

#[test]
fn a_movie_nfo_keeps_tv_urls_without_ids() {
    let parsed = parse(b"<movie/>\nhttps://thetvdb.com/?tab=series&id=81189");
    assert_eq!(parsed.kind, NfoKind::XmlWithUrls);
    assert_eq!(parsed.nfo.urls.first().map(|url| url.id.clone()), Some(None));
}

// ---- round trips -------------------------------------------------------------------------------

#[test]
fn a_full_episode_with_hostile_text_round_trips() {
    let episode = EpisodeNfo {
        title: Some("Tom & Jerry <3 \"quotes\" ]]> 日本語".into()),
        show_title: Some("Show\twith\ttabs".into()),
        original_title: Some("Line\nbreak".into()),
        season: Some(0),
        episode: Some(-1),
        display_season: Some(i64::MAX),
        display_episode: Some(i64::MIN),
        aired: Some("2008-01-20".into()),
        premiered: Some("2008-01-19".into()),
        plot: Some("A & B".into()),
        runtime: Some(58),
        mpaa: Some("TV-MA".into()),
        ratings: vec![Rating { value: Some(7.5), votes: Some(10), default: true, ..Rating::default() }],
        user_rating: Some(3),
        unique_ids: vec![unique("tvdb", "349232", true)],
        directors: vec!["D".into()],
        credits: vec!["C1".into(), "C2".into()],
        actors: vec![Actor { name: Some("A".into()), ..Actor::default() }],
        thumbs: vec![Thumb {
            url: "https://img/a.jpg?x=1&y=2".into(),
            attributes: vec![Attribute { name: "spoof".into(), value: "\"<>".into() }],
            ..Thumb::default()
        }],
        file_info: Some(FileInfo {
            stream_details: StreamDetails {
                video: vec![VideoStream {
                    codec: Some("hevc".into()),
                    hdr_type: Some("hdr10".into()),
                    ..VideoStream::default()
                }],
                ..StreamDetails::default()
            },
            ..FileInfo::default()
        }),
        playcount: Some(2),
        last_played: Some("2024-01-01 00:00:00".into()),
        date_added: Some("2024-01-01 00:00:00".into()),
        legacy_id: Some("349232".into()),
        tvdb_id_element: Some("349232".into()),
        tmdb_id_element: Some("62085".into()),
        imdb_id_element: Some("tt0959621".into()),
        unknown: vec![RawElement {
            name: "watched".into(),
            attributes: vec![],
            children: vec![RawNode::Text("true".into())],
        }],
    };
    let output = write_episodes(std::slice::from_ref(&episode), &WriteOptions::default());
    assert_well_formed_with_roots(&output, 1);
    assert_eq!(episodes_of(&reparse(&output)), [episode]);
}

#[test]
fn a_show_with_urls_round_trips_without_them() {
    let parsed = parse_tv(format!("{FULL_SHOW}\nhttps://thetvdb.com/?tab=series&id=81189\n").as_bytes());
    let show = show_of(&parsed);
    assert_eq!(show.urls.len(), 1);
    let output = write_tvshow(show, &WriteOptions::default());
    assert_eq!(show_of(&reparse(&output)), &show_normalised(show.clone()));
}

fn episode() -> impl Strategy<Value = EpisodeNfo> {
    let texts = (opt_text(), opt_text(), opt_text(), opt_text(), opt_text(), opt_text(), opt_text(), opt_text());
    let numbers = (
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
    );
    let lists = (
        proptest::collection::vec(rating(), 0..3),
        proptest::collection::vec(unique_id(), 0..3),
        proptest::collection::vec(text(), 0..3),
        proptest::collection::vec(text(), 0..3),
        proptest::collection::vec(actor(), 0..3),
        proptest::collection::vec(thumb(), 0..3),
    );
    let rest = (proptest::option::of(file_info()), opt_text(), opt_text(), opt_text(), opt_text(), opt_text());
    (texts, numbers, lists, rest).prop_map(
        |(
            (title, show_title, original_title, aired, premiered, plot, mpaa, last_played),
            (season, episode, display_season, display_episode, runtime, user_rating, playcount),
            (ratings, unique_ids, directors, credits, actors, thumbs),
            (file_info, date_added, legacy_id, tvdb_id_element, tmdb_id_element, imdb_id_element),
        )| EpisodeNfo {
            title,
            show_title,
            original_title,
            season,
            episode,
            display_season,
            display_episode,
            aired,
            premiered,
            plot,
            runtime,
            mpaa,
            ratings,
            user_rating,
            unique_ids,
            directors,
            credits,
            actors,
            thumbs,
            file_info,
            playcount,
            last_played,
            date_added,
            legacy_id,
            tvdb_id_element,
            tmdb_id_element,
            imdb_id_element,
            unknown: Vec::new(),
        },
    )
}

fn show() -> impl Strategy<Value = TvShowNfo> {
    let texts = (opt_text(), opt_text(), opt_text(), opt_text(), opt_text(), opt_text(), opt_text(), opt_text());
    let more_texts = (opt_text(), opt_text(), opt_text(), opt_text(), opt_text(), opt_text(), opt_text(), opt_text());
    let named_season = (any::<i64>(), text()).prop_map(|(number, name)| NamedSeason { number, name });
    // Kodi 20's JSON, the older `<url>` markup, and any other text.
    let guide = proptest::option::of(prop_oneof![
        text(),
        Just(r#"{"tvdb": "81189", "tmdb": "1396"}"#.to_owned()),
        Just(r#"<url cache="81189-en.xml">https://thetvdb.com/api/x/series/81189/all/en.zip</url>"#.to_owned()),
    ]);
    let lists = (
        proptest::collection::vec(rating(), 0..3),
        proptest::collection::vec(unique_id(), 0..3),
        proptest::collection::vec(text(), 0..3),
        proptest::collection::vec(text(), 0..3),
        proptest::collection::vec(actor(), 0..3),
        proptest::collection::vec(thumb(), 0..3),
        proptest::collection::vec(named_season, 0..3),
    );
    let numbers = (proptest::option::of(any::<i64>()), proptest::option::of(any::<i64>()));
    (texts, more_texts, lists, numbers, guide).prop_map(
        |(
            (title, original_title, show_title, sort_title, plot, outline, tagline, mpaa),
            (premiered, status, date_added, trailer, legacy_id, tvdb_id_element, tmdb_id_element, imdb_id_element),
            (ratings, unique_ids, genres, studios, actors, thumbs, named_seasons),
            (year, user_rating),
            episode_guide,
        )| TvShowNfo {
            title,
            original_title,
            show_title,
            sort_title,
            year,
            plot,
            outline,
            tagline,
            mpaa,
            premiered,
            status,
            ratings,
            user_rating,
            unique_ids,
            genres,
            studios,
            actors,
            thumbs,
            named_seasons,
            episode_guide,
            date_added,
            trailer,
            legacy_id,
            tvdb_id_element,
            tmdb_id_element,
            imdb_id_element,
            ..TvShowNfo::default()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn generated_shows_round_trip(show in show()) {
        let output = write_tvshow(&show, &WriteOptions::default());
        let parsed = parse_tv(output.as_bytes());
        prop_assert!(parsed.warnings.is_empty(), "{:?}\n{}", parsed.warnings, output);
        prop_assert_eq!(parsed.nfo, TvNfo::Show(show));
    }

    #[test]
    fn generated_episodes_round_trip(episodes in proptest::collection::vec(episode(), 1..4)) {
        let output = write_episodes(&episodes, &WriteOptions::default());
        let parsed = parse_tv(output.as_bytes());
        prop_assert!(parsed.warnings.is_empty(), "{:?}\n{}", parsed.warnings, output);
        prop_assert_eq!(parsed.nfo, TvNfo::Episodes(episodes));
    }
}
