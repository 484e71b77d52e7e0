//! The writer: fixture round trips, a property test over generated movies, hostile values,
//! Jellyfin locks and a snapshot of one fully populated movie.

use metarr_nfo::{
    Actor, Attribute, AudioStream, Fanart, FileInfo, JellyfinLocks, MovieNfo, MovieSet, NfoKind, NfoRoot, Rating,
    RawElement, RawNode, StreamDetails, SubtitleStream, Thumb, UniqueId, VideoStream, WriteOptions, parse, write_movie,
};
use proptest::prelude::*;

use crate::{data, data_dir, data_names};

/// The Kodi round-trip input, copied byte for byte from `shared/fixtures/kodi/`. It lives in a
/// subfolder so the parser's fixture list (`tests/data/*.nfo`) stays the Jellyfin set.
const KODI_INPUT: &str = "kodi/roundtrip-input.movie.nfo";

fn write(nfo: &MovieNfo) -> String {
    write_movie(nfo, &WriteOptions::default())
}

/// What the writer documents it normalises, applied to a parsed model: it always writes a
/// `<movie>` root and never writes the URLs found outside the XML (URL-only files, URL lines).
/// Everything else must come back exactly.
fn normalised(mut nfo: MovieNfo) -> MovieNfo {
    nfo.root = Some(NfoRoot::Movie);
    nfo.urls.clear();
    nfo
}

/// Parses written output, insisting it is a clean movie NFO.
fn reparse(output: &str) -> MovieNfo {
    let parsed = parse(output.as_bytes());
    assert!(parsed.warnings.is_empty(), "{:?}\n{output}", parsed.warnings);
    assert_eq!(parsed.kind, NfoKind::Xml, "{output}");
    parsed.nfo
}

/// Checks the output is well-formed XML by quick-xml's strict reader (end names checked), a
/// judge independent of the lenient parser, and holds no character XML 1.0 forbids.
fn assert_well_formed(output: &str) {
    assert_well_formed_with_roots(output, 1);
}

/// [`assert_well_formed`] for a file of `expected_roots` consecutive roots (a multi-episode
/// NFO); each root must be closed.
pub(crate) fn assert_well_formed_with_roots(output: &str, expected_roots: usize) {
    let forbidden = output.chars().find(|ch| {
        (ch.is_ascii_control() && !matches!(ch, '\t' | '\n' | '\r' | '\u{7f}')) || matches!(ch, '\u{fffe}' | '\u{ffff}')
    });
    assert_eq!(forbidden, None, "forbidden character in output");
    let mut reader = quick_xml::Reader::from_str(output);
    reader.config_mut().check_end_names = true;
    let mut depth = 0_i32;
    let mut roots = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
            }
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Empty(start)) => {
                assert!(depth > 0, "empty root");
                // Attributes must be well-formed and unique.
                for attribute in start.attributes() {
                    attribute.expect("well-formed attribute");
                }
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(err) => panic!("not well-formed at {}: {err}\n{output}", reader.buffer_position()),
        }
    }
    assert_eq!((depth, roots), (0, expected_roots), "closed roots");
}

#[test]
fn every_fixture_round_trips_and_keeps_its_unknown_elements() {
    let mut names = data_names();
    names.push(KODI_INPUT.to_owned());
    for name in &names {
        let first = parse(&data(name)).nfo;
        let output = write(&first);
        assert_well_formed(&output);
        assert_eq!(reparse(&output), normalised(first.clone()), "{name}\n{output}");
        for element in &first.unknown {
            assert!(output.contains(&element.to_xml()), "{name}: {} missing\n{output}", element.name);
        }
        // Writing is a fixed point: the second write is byte for byte the first.
        assert_eq!(write(&reparse(&output)), output, "{name}");
    }
}

#[test]
fn kodi_input_is_written_back_as_it_was_but_for_indentation() {
    // Our own Kodi-confirmed input is already in Kodi's order, so the only difference is the
    // four-space indentation it was written with.
    let input = String::from_utf8(data(KODI_INPUT)).expect("UTF-8 fixture");
    let expected: String = input
        .lines()
        .map(|line| {
            let indent = line.len() - line.trim_start().len();
            format!("{}{}\n", " ".repeat(indent / 2), line.trim_start())
        })
        .collect();
    assert_eq!(write(&parse(input.as_bytes()).nfo), expected);
}

#[test]
fn the_fixture_folder_holds_the_copied_kodi_input() {
    assert!(data_dir().join(KODI_INPUT).is_file());
}

#[test]
fn empty_model_writes_an_empty_movie() {
    let output = write(&MovieNfo::default());
    assert_eq!(output, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\" ?>\n<movie>\n</movie>\n");
    assert_eq!(reparse(&output), MovieNfo { root: Some(NfoRoot::Movie), ..MovieNfo::default() });
}

#[test]
fn blank_values_write_nothing() {
    let nfo = MovieNfo {
        title: Some("  ".into()),
        plot: Some(String::new()),
        genres: vec![String::new(), " \n ".into()],
        thumbs: vec![Thumb { url: " ".into(), ..Thumb::default() }],
        unique_ids: vec![UniqueId { id_type: Some("tmdb".into()), default: true, value: String::new() }],
        set: Some(MovieSet::default()),
        ratings: vec![Rating { value: Some(f64::NAN), max: Some(f64::INFINITY), ..Rating::default() }],
        ..MovieNfo::default()
    };
    let output = write(&nfo);
    for absent in ["<title", "<plot", "<genre", "<thumb", "<uniqueid", "<set", "NaN", "inf"] {
        assert!(!output.contains(absent), "{absent} in\n{output}");
    }
    assert!(output.contains("<ratings>\n    <rating/>\n  </ratings>"), "{output}");
}

#[test]
fn hostile_text_is_escaped_and_forbidden_characters_dropped() {
    let hostile = "a\u{0}b\u{1}c\u{8}d\u{b}e\u{c}f\u{1f}g\u{fffe}h\u{ffff}i";
    let nfo = MovieNfo {
        title: Some("]]> & <movie> \"quoted\" 'single'".into()),
        plot: Some(format!("{hostile} <![CDATA[ x ]]> </plot> &amp; &#0; tab\there\r\nnext\rlast")),
        tags: vec!["]]>".into()],
        thumbs: vec![Thumb {
            aspect: Some("poster\" onload=\"x".into()),
            preview: Some("a?b=1&c=<2>\n\t\u{1}".into()),
            url: "https://example.org/?a=1&b=2".into(),
            attributes: vec![
                Attribute { name: "aspect".into(), value: "duplicate".into() },
                Attribute { name: "bad name".into(), value: "x".into() },
                Attribute { name: "spoof".into(), value: "'".into() },
            ],
        }],
        unknown: vec![RawElement {
            name: "custom".into(),
            attributes: vec![Attribute { name: "note".into(), value: "line\nbreak\u{2}".into() }],
            children: vec![RawNode::Text("]]> \u{0}<x>".into())],
        }],
        ..MovieNfo::default()
    };
    let output = write(&nfo);
    assert_well_formed(&output);
    assert!(!output.contains("]]>"), "{output}");
    let back = reparse(&output);
    assert_eq!(back.title, nfo.title);
    assert_eq!(back.plot.as_deref(), Some("abcdefghi <![CDATA[ x ]]> </plot> &amp; &#0; tab\there\nnext\nlast"));
    assert_eq!(back.tags, ["]]>"]);
    let thumb = back.thumbs.first().expect("thumb");
    assert_eq!(thumb.aspect.as_deref(), Some("poster\" onload=\"x"));
    assert_eq!(thumb.preview.as_deref(), Some("a?b=1&c=<2>\n\t"));
    assert_eq!(thumb.url, "https://example.org/?a=1&b=2");
    assert_eq!(thumb.attributes, [Attribute { name: "spoof".into(), value: "'".into() }]);
    let custom = back.unknown.first().expect("custom element");
    assert_eq!(custom.attribute("note"), Some("line\nbreak"));
    assert_eq!(custom.text(), "]]> <x>");
}

#[test]
fn a_huge_plot_is_written_whole() {
    let plot: String = "Lorem ipsum dolor sit amet & more. ".chars().cycle().take(100_000).collect::<String>();
    let plot = format!("{}.", plot.trim_end());
    let nfo = MovieNfo { plot: Some(plot.clone()), ..MovieNfo::default() };
    let output = write(&nfo);
    assert_eq!(reparse(&output).plot.as_deref(), Some(plot.as_str()));
}

#[test]
fn jellyfin_locks_replace_the_files_and_are_kept_without_options() {
    let input = b"<movie><title>T</title><lockdata>false</lockdata><lockedfields>Cast</lockedfields><x/></movie>";
    let nfo = parse(input).nfo;

    let kept = write(&nfo);
    assert!(kept.contains("  <lockdata>false</lockdata>\n  <lockedfields>Cast</lockedfields>\n  <x/>\n"), "{kept}");

    let options = WriteOptions {
        jellyfin_locks: Some(JellyfinLocks {
            lock_data: true,
            locked_fields: vec!["Name".into(), " Overview ".into(), String::new(), "A|B".into()],
        }),
    };
    let locked = write_movie(&nfo, &options);
    assert!(
        locked.contains("  <lockdata>true</lockdata>\n  <lockedfields>Name|Overview</lockedfields>\n  <x/>\n"),
        "{locked}"
    );
    assert_eq!(locked.matches("<lockdata>").count(), 1);
    assert_eq!(locked.matches("<lockedfields>").count(), 1);

    let unlocked = write_movie(
        &nfo,
        &WriteOptions { jellyfin_locks: Some(JellyfinLocks { lock_data: false, locked_fields: Vec::new() }) },
    );
    assert!(unlocked.contains("<lockdata>false</lockdata>"), "{unlocked}");
    assert!(!unlocked.contains("lockedfields"), "{unlocked}");
}

/// A movie with every field the writer knows, and an unknown element at each level.
fn full_movie() -> MovieNfo {
    let raw = |name: &str, text: &str| RawElement {
        name: name.into(),
        attributes: Vec::new(),
        children: vec![RawNode::Text(text.into())],
    };
    MovieNfo {
        root: Some(NfoRoot::Movie),
        title: Some("Amélie & the <Gnome>".into()),
        original_title: Some("Le Fabuleux Destin d'Amélie Poulain".into()),
        sort_title: Some("Amelie".into()),
        ratings: vec![
            Rating {
                name: Some("imdb".into()),
                max: Some(10.0),
                default: true,
                value: Some(8.3),
                votes: Some(780_000),
                unknown: Vec::new(),
            },
            Rating {
                name: Some("themoviedb".into()),
                max: Some(10.0),
                default: false,
                value: Some(7.9),
                votes: Some(11_000),
                unknown: vec![raw("source", "api")],
            },
        ],
        user_rating: Some(9),
        top250: Some(99),
        outline: Some("A shy waitress changes lives.".into()),
        plot: Some("Amélie, an innocent and naive girl in Paris,\nhas her own sense of justice.".into()),
        tagline: Some("One person can change your life forever.".into()),
        runtime: Some(122),
        thumbs: vec![
            Thumb {
                aspect: Some("poster".into()),
                preview: Some("https://image.tmdb.org/t/p/w500/poster.jpg".into()),
                url: "https://image.tmdb.org/t/p/original/poster.jpg".into(),
                attributes: Vec::new(),
            },
            Thumb {
                aspect: Some("clearlogo".into()),
                preview: None,
                url: "https://assets.fanart.tv/logo.png?a=1&b=2".into(),
                attributes: vec![Attribute { name: "spoof".into(), value: String::new() }],
            },
        ],
        fanart: Some(Fanart {
            url: None,
            thumbs: vec![Thumb {
                url: "https://image.tmdb.org/t/p/original/backdrop.jpg".into(),
                preview: Some("https://image.tmdb.org/t/p/w780/backdrop.jpg".into()),
                ..Thumb::default()
            }],
            unknown: Vec::new(),
        }),
        mpaa: Some("Rated R".into()),
        play_count: Some(1),
        last_played: Some("2024-05-01 20:15:00".into()),
        legacy_id: Some("tt0211915".into()),
        tmdb_id_element: Some("194".into()),
        imdb_id_element: Some("tt0211915".into()),
        unique_ids: vec![
            UniqueId { id_type: Some("tmdb".into()), default: true, value: "194".into() },
            UniqueId { id_type: Some("imdb".into()), default: false, value: "tt0211915".into() },
        ],
        genres: vec!["Comedy".into(), "Romance".into()],
        countries: vec!["France".into(), "Germany".into()],
        set: Some(MovieSet {
            name: Some("Jeunet Collection".into()),
            overview: Some("Films by Jean-Pierre Jeunet.".into()),
            attributes: vec![Attribute { name: "tmdbcolid".into(), value: "12345".into() }],
            unknown: Vec::new(),
        }),
        tags: vec!["paris".into(), "metarr".into()],
        credits: vec!["Guillaume Laurant".into(), "Jean-Pierre Jeunet".into()],
        directors: vec!["Jean-Pierre Jeunet".into()],
        premiered: Some("2001-04-25".into()),
        year: Some(2001),
        status: Some("Released".into()),
        studios: vec!["Claudie Ossard Productions".into(), "UGC".into()],
        trailer: Some("plugin://plugin.video.youtube/play/?video_id=HUECWi5pX7o".into()),
        file_info: Some(FileInfo {
            stream_details: StreamDetails {
                video: vec![VideoStream {
                    codec: Some("hevc".into()),
                    aspect: Some(2.39),
                    width: Some(3840),
                    height: Some(1608),
                    duration_in_seconds: Some(7320),
                    stereo_mode: None,
                    hdr_type: Some("dolbyvision".into()),
                    unknown: vec![raw("framerate", "23.976")],
                }],
                audio: vec![
                    AudioStream {
                        codec: Some("truehd".into()),
                        language: Some("fre".into()),
                        channels: Some(8),
                        unknown: Vec::new(),
                    },
                    AudioStream {
                        codec: Some("ac3".into()),
                        language: Some("eng".into()),
                        channels: Some(6),
                        unknown: Vec::new(),
                    },
                ],
                subtitle: vec![SubtitleStream { language: Some("eng".into()), unknown: Vec::new() }],
                unknown: Vec::new(),
            },
            unknown: Vec::new(),
        }),
        actors: vec![
            Actor {
                name: Some("Audrey Tautou".into()),
                role: Some("Amélie Poulain".into()),
                order: Some(0),
                thumb: Some("https://image.tmdb.org/t/p/original/tautou.jpg".into()),
                unknown: vec![raw("type", "Actor")],
            },
            Actor {
                name: Some("Mathieu Kassovitz".into()),
                role: Some("Nino Quincampoix".into()),
                order: Some(1),
                thumb: None,
                unknown: Vec::new(),
            },
        ],
        date_added: Some("2024-01-02 03:04:05".into()),
        urls: Vec::new(),
        unknown: vec![
            RawElement { name: "watched".into(), attributes: Vec::new(), children: vec![RawNode::Text("true".into())] },
            RawElement {
                name: "art".into(),
                attributes: vec![Attribute { name: "kind".into(), value: "custom \"art\"".into() }],
                children: vec![RawNode::Element(raw("poster", "/media/movies/Amélie (2001)/poster.jpg"))],
            },
        ],
    }
}

#[test]
fn full_movie_snapshot_and_round_trip() {
    let nfo = full_movie();
    let options = WriteOptions {
        jellyfin_locks: Some(JellyfinLocks { lock_data: false, locked_fields: vec!["Name".into(), "Genres".into()] }),
    };
    let output = write_movie(&nfo, &options);
    assert_well_formed(&output);
    insta::assert_snapshot!("full_movie", output);
    // The locks are new unknown elements on the way back; everything else is the input.
    let mut back = reparse(&output);
    let locks: Vec<String> = back.unknown.drain(..2).map(|element| element.name).collect();
    assert_eq!(locks, ["lockdata", "lockedfields"]);
    assert_eq!(back, nfo);
}

// ---- property test -------------------------------------------------------------------------

/// Trimmed, non-empty text without control characters (the parser trims and drops those), with
/// markup characters, `]]>`, inner line breaks and tabs, and non-ASCII.
pub(crate) fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 &<>\"';:/?=#%\\]\\[\n\té日本語ßØ🎬\u{a0}-]{1,24}".prop_filter_map("blank", |text| {
        let trimmed = text.trim();
        (!trimmed.is_empty()).then(|| trimmed.to_owned())
    })
}

pub(crate) fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

/// Any finite decimal: the writer prints the shortest text that reads back exactly.
pub(crate) fn decimal() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0_u32..=100).prop_map(|tenths| f64::from(tenths) / 10.0),
        any::<f64>().prop_filter("finite", |value| value.is_finite()),
    ]
}

pub(crate) fn rating() -> impl Strategy<Value = Rating> {
    (
        opt_text(),
        proptest::option::of(decimal()),
        any::<bool>(),
        proptest::option::of(decimal()),
        proptest::option::of(any::<i64>()),
    )
        .prop_map(|(name, max, default, value, votes)| Rating {
            name,
            max,
            default,
            value,
            votes,
            unknown: Vec::new(),
        })
}

pub(crate) fn unique_id() -> impl Strategy<Value = UniqueId> {
    (opt_text(), any::<bool>(), text()).prop_map(|(id_type, default, value)| UniqueId { id_type, default, value })
}

pub(crate) fn actor() -> impl Strategy<Value = Actor> {
    (opt_text(), opt_text(), proptest::option::of(any::<i64>()), opt_text())
        .prop_map(|(name, role, order, thumb)| Actor { name, role, order, thumb, unknown: Vec::new() })
}

fn movie_set() -> impl Strategy<Value = MovieSet> {
    (text(), opt_text()).prop_map(|(name, overview)| MovieSet {
        name: Some(name),
        overview,
        attributes: Vec::new(),
        unknown: Vec::new(),
    })
}

pub(crate) fn file_info() -> impl Strategy<Value = FileInfo> {
    let video = (
        opt_text(),
        proptest::option::of(decimal()),
        proptest::option::of(0_i64..10_000),
        proptest::option::of(0_i64..10_000),
        proptest::option::of(any::<i64>()),
        opt_text(),
        proptest::option::of(prop_oneof![
            Just("hdr10".to_owned()),
            Just("dolbyvision".to_owned()),
            Just("hlg".to_owned()),
            text()
        ]),
    )
        .prop_map(|(codec, aspect, width, height, duration_in_seconds, stereo_mode, hdr_type)| VideoStream {
            codec,
            aspect,
            width,
            height,
            duration_in_seconds,
            stereo_mode,
            hdr_type,
            unknown: Vec::new(),
        });
    let audio = (opt_text(), opt_text(), proptest::option::of(0_i64..16))
        .prop_map(|(codec, language, channels)| AudioStream { codec, language, channels, unknown: Vec::new() });
    let subtitle = opt_text().prop_map(|language| SubtitleStream { language, unknown: Vec::new() });
    (
        proptest::collection::vec(video, 0..3),
        proptest::collection::vec(audio, 0..3),
        proptest::collection::vec(subtitle, 0..3),
    )
        .prop_map(|(video, audio, subtitle)| FileInfo {
            stream_details: StreamDetails { video, audio, subtitle, unknown: Vec::new() },
            unknown: Vec::new(),
        })
}

pub(crate) fn thumb() -> impl Strategy<Value = Thumb> {
    (opt_text(), opt_text(), text()).prop_map(|(aspect, preview, url)| Thumb {
        aspect,
        preview,
        url,
        attributes: Vec::new(),
    })
}

fn movie() -> impl Strategy<Value = MovieNfo> {
    let titles = (opt_text(), opt_text(), opt_text(), opt_text(), opt_text(), opt_text());
    let numbers = (
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
        proptest::option::of(-9999_i64..=9999),
    );
    let lists = (
        proptest::collection::vec(rating(), 0..4),
        proptest::collection::vec(unique_id(), 0..4),
        proptest::collection::vec(text(), 0..4),
        proptest::collection::vec(actor(), 0..4),
        proptest::collection::vec(thumb(), 0..3),
        proptest::collection::vec(text(), 0..3),
    );
    let rest =
        (proptest::option::of(movie_set()), proptest::option::of(file_info()), opt_text(), opt_text(), opt_text());
    (titles, numbers, lists, rest).prop_map(
        |(
            (title, original_title, sort_title, outline, plot, tagline),
            (user_rating, top250, runtime, play_count, year),
            (ratings, unique_ids, genres, actors, thumbs, tags),
            (set, file_info, premiered, legacy_id, mpaa),
        )| MovieNfo {
            root: Some(NfoRoot::Movie),
            title,
            original_title,
            sort_title,
            outline,
            plot,
            tagline,
            user_rating,
            top250,
            runtime,
            play_count,
            year,
            ratings,
            unique_ids,
            genres,
            actors,
            thumbs,
            tags,
            set,
            file_info,
            premiered,
            legacy_id,
            mpaa,
            ..MovieNfo::default()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_movies_round_trip(nfo in movie()) {
        let output = write(&nfo);
        let parsed = parse(output.as_bytes());
        prop_assert!(parsed.warnings.is_empty(), "{:?}\n{}", parsed.warnings, output);
        prop_assert_eq!(parsed.nfo, nfo);
    }
}
