//! Hand-made hostile and edge-case inputs: encodings, broken markup, URL mixes, limits.

use metarr_nfo::{ExternalId, MAX_INPUT_BYTES, NfoKind, NfoRoot, RawElement, RawNode, WarningKind, parse};

use crate::{data, kinds};

fn has(warnings: &[metarr_nfo::NfoWarning], wanted: impl Fn(&WarningKind) -> bool) -> bool {
    warnings.iter().any(|warning| wanted(&warning.kind))
}

#[test]
fn empty_and_blank_inputs_are_empty_without_warnings() {
    for input in [&b""[..], b"   \r\n\t", b"\xef\xbb\xbf", b"\xff\xfe"] {
        let parsed = parse(input);
        assert_eq!(parsed.kind, NfoKind::Empty, "{input:?}");
        assert!(parsed.warnings.is_empty(), "{input:?}: {:?}", parsed.warnings);
        assert!(!parsed.is_movie());
    }
}

#[test]
fn garbage_text_is_empty_with_a_warning() {
    let parsed = parse(b"this is not an nfo\njust some words");
    assert_eq!(parsed.kind, NfoKind::Empty);
    assert_eq!(kinds(&parsed.warnings), [WarningKind::NoContent]);
}

#[test]
fn utf8_bom_and_crlf_give_clean_text_and_file_positions() {
    let input = b"\xef\xbb\xbf<?xml version=\"1.0\"?>\r\n<movie>\r\n  <title>Am\xc3\xa9lie</title>\r\n  <plot>line one\r\nline two</plot>\r\n  <year>twenty</year>\r\n</movie>\r\n";
    let parsed = parse(input);
    assert_eq!(parsed.kind, NfoKind::Xml);
    assert_eq!(parsed.nfo.title.as_deref(), Some("Amélie"));
    assert_eq!(parsed.nfo.plot.as_deref(), Some("line one\nline two"));
    assert_eq!(parsed.nfo.year, None);
    let warning = parsed.warnings.first().expect("a warning for <year>");
    assert_eq!(warning.kind, WarningKind::InvalidNumber { element: "year".into(), value: "twenty".into() });
    let position = warning.position.expect("position");
    assert_eq!((position.line, position.column), (6, 3));
    let year_offset = input.windows(6).position(|window| window == b"<year>").expect("year in input");
    assert_eq!(position.offset, year_offset, "offsets are file offsets, BOM included");
    assert_eq!(warning.to_string(), "line 6, column 3: <year> value \"twenty\" is not a number; ignored");
}

#[test]
fn utf16_with_bom_is_decoded() {
    for big_endian in [false, true] {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<movie><title>Léon: 職業は殺し屋</title><year>1994</year></movie>";
        let mut bytes: Vec<u8> = if big_endian { vec![0xfe, 0xff] } else { vec![0xff, 0xfe] };
        for unit in text.encode_utf16() {
            bytes.extend(if big_endian { unit.to_be_bytes() } else { unit.to_le_bytes() });
        }
        let parsed = parse(&bytes);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        assert_eq!(parsed.nfo.title.as_deref(), Some("Léon: 職業は殺し屋"));
        assert_eq!(parsed.nfo.year, Some(1994));
    }
}

#[test]
fn declared_latin1_and_windows_1252_are_decoded() {
    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\" standalone=\"yes\"?>\n<movie><title>Am\xe9lie</title><plot>\xabLe fabuleux destin\xbb</plot></movie>";
    let parsed = parse(latin1);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(parsed.nfo.title.as_deref(), Some("Amélie"));
    assert_eq!(parsed.nfo.plot.as_deref(), Some("«Le fabuleux destin»"));

    let cp1252 =
        b"<?xml version='1.0' encoding='windows-1252'?><movie><tagline>\x93Quoted\x94 \x80 5</tagline></movie>";
    let parsed = parse(cp1252);
    assert_eq!(parsed.nfo.tagline.as_deref(), Some("\u{201c}Quoted\u{201d} € 5"));
}

#[test]
fn undeclared_latin1_is_read_as_windows_1252_with_a_warning() {
    let parsed = parse(b"<movie><title>Caf\xe9 Society</title></movie>");
    assert_eq!(parsed.nfo.title.as_deref(), Some("Café Society"));
    assert_eq!(kinds(&parsed.warnings), [WarningKind::AssumedWindows1252]);
}

#[test]
fn entity_soup_resolves_what_it_can_and_keeps_the_rest() {
    let input = "<movie><title>&amp;&lt;&gt;&quot;&apos;&#233;&#xE9;&#x1F600;&nbsp;&bogus;&#xD800;&#0;&#99999999999; & done</title>\
                 <thumb preview=\"a?x=1&amp;y=2&z\">u?a=1&amp;b=2</thumb></movie>";
    let parsed = parse(input.as_bytes());
    assert_eq!(parsed.nfo.title.as_deref(), Some("&<>\"'éé😀&nbsp;&bogus;\u{fffd}\u{fffd}\u{fffd} & done"));
    let thumb = parsed.nfo.thumbs.first().expect("thumb");
    assert_eq!(thumb.url, "u?a=1&b=2");
    assert_eq!(thumb.preview.as_deref(), Some("a?x=1&y=2&z"));
    assert_eq!(
        kinds(&parsed.warnings),
        [
            WarningKind::UnknownEntity { name: "nbsp".into() },
            WarningKind::UnknownEntity { name: "bogus".into() },
            WarningKind::InvalidCharRef { reference: "#xD800".into() },
            WarningKind::InvalidCharRef { reference: "#0".into() },
            WarningKind::InvalidCharRef { reference: "#99999999999".into() },
        ]
    );
}

#[test]
fn doctype_entities_are_never_expanded() {
    let input = "<!DOCTYPE movie [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>\
                 <movie><title>&b;</title></movie>";
    let parsed = parse(input.as_bytes());
    assert_eq!(parsed.nfo.title.as_deref(), Some("&b;"));
    assert_eq!(kinds(&parsed.warnings), [WarningKind::UnknownEntity { name: "b".into() }]);
}

#[test]
fn cdata_is_text() {
    let parsed = parse(b"<movie><plot><![CDATA[<b>Bold</b> & brave]]></plot><title>A <![CDATA[&]]> B</title></movie>");
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(parsed.nfo.plot.as_deref(), Some("<b>Bold</b> & brave"));
    assert_eq!(parsed.nfo.title.as_deref(), Some("A & B"));
}

#[test]
fn xml_followed_by_url_lines() {
    let input = "<movie><title>The Matrix</title></movie>\nhttps://www.themoviedb.org/movie/603\nhttps://www.imdb.com/title/tt0133093/\n";
    let parsed = parse(input.as_bytes());
    assert_eq!(parsed.kind, NfoKind::XmlWithUrls);
    assert!(parsed.is_movie());
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(parsed.nfo.title.as_deref(), Some("The Matrix"));
    assert_eq!(parsed.nfo.tmdb_id(), Some(603));
    assert_eq!(parsed.nfo.imdb_id().as_deref(), Some("tt0133093"));
}

#[test]
fn xml_ids_beat_url_ids() {
    let input =
        "<movie><uniqueid type=\"tmdb\" default=\"true\">604</uniqueid></movie>\nhttps://www.themoviedb.org/movie/603";
    let parsed = parse(input.as_bytes());
    assert_eq!(parsed.kind, NfoKind::XmlWithUrls);
    assert_eq!(parsed.nfo.tmdb_id(), Some(604));
}

#[test]
fn url_before_xml_and_stray_text_after() {
    let input = "https://www.imdb.com/title/tt0133093\n<movie><title>T</title></movie>\nsome notes";
    let parsed = parse(input.as_bytes());
    assert_eq!(parsed.kind, NfoKind::XmlWithUrls);
    assert_eq!(parsed.nfo.imdb_id().as_deref(), Some("tt0133093"));
    assert_eq!(kinds(&parsed.warnings), [WarningKind::StrayText]);
    assert_eq!(
        parsed.warnings.first().and_then(|warning| warning.position).map(|pos| (pos.line, pos.column)),
        Some((3, 1))
    );
}

#[test]
fn two_movie_roots_first_wins() {
    let input = "<movie><title>First</title></movie>\n<movie><title>Second</title><plot>P</plot></movie>";
    let parsed = parse(input.as_bytes());
    assert_eq!(parsed.kind, NfoKind::Xml);
    assert_eq!(parsed.nfo.title.as_deref(), Some("First"));
    assert_eq!(parsed.nfo.plot, None);
    assert_eq!(kinds(&parsed.warnings), [WarningKind::ExtraRoot { name: "movie".into() }]);
    assert_eq!(parsed.warnings.first().and_then(|warning| warning.position).map(|pos| pos.line), Some(2));
}

#[test]
fn tvshow_root_is_read_but_flagged() {
    let parsed = parse(b"<tvshow><title>Stargate Atlantis</title><id>70851</id><genre>Sci-Fi</genre></tvshow>");
    assert_eq!(parsed.kind, NfoKind::Xml);
    assert!(!parsed.is_movie());
    assert_eq!(parsed.nfo.root, Some(NfoRoot::TvShow));
    assert_eq!(kinds(&parsed.warnings), [WarningKind::NotAMovie { root: "tvshow".into() }]);
    assert_eq!(parsed.nfo.title.as_deref(), Some("Stargate Atlantis"));
    assert_eq!(parsed.nfo.genres, ["Sci-Fi"]);
    // In a show NFO a numeric <id> is a TVDB id, never a TMDB one.
    assert_eq!(parsed.nfo.tmdb_id(), None);
}

#[test]
fn legacy_ids() {
    let parsed = parse(b"<movie><id>603</id></movie>");
    assert_eq!(parsed.nfo.tmdb_id(), Some(603));
    assert_eq!(parsed.nfo.imdb_id(), None);
    let parsed = parse(b"<movie><id>tt0133093</id><tmdbid>603</tmdbid></movie>");
    assert_eq!(parsed.nfo.imdb_id().as_deref(), Some("tt0133093"));
    assert_eq!(parsed.nfo.tmdb_id(), Some(603));
    let parsed = parse(b"<movie><imdbid>tt0133093</imdbid><uniqueid type=\"imdb\">tt0000001</uniqueid></movie>");
    assert_eq!(parsed.nfo.imdb_id().as_deref(), Some("tt0000001"), "uniqueid beats <imdbid>");
}

#[test]
fn truncated_files_keep_what_was_read() {
    let full = data("jellyfin-justice-league.movie.nfo");
    let text = String::from_utf8(full.clone()).expect("fixture is UTF-8");
    let cut_inside_plot = text.find("Together, Batman").expect("plot text");
    let parsed = parse(full.get(..cut_inside_plot).expect("prefix"));
    assert_eq!(parsed.nfo.title.as_deref(), Some("Justice League"));
    assert_eq!(parsed.nfo.ratings.len(), 5);
    assert!(parsed.nfo.plot.as_deref().is_some_and(|plot| plot.ends_with("face an even greater enemy.")));
    assert_eq!(kinds(&parsed.warnings), [WarningKind::Truncated { open: "movie>plot".into() }]);

    // Cut in the middle of an end tag: its remains must not end up in the text.
    let cut_in_tag = text.find("</tagline>").expect("tagline end") + 4;
    let parsed = parse(full.get(..cut_in_tag).expect("prefix"));
    assert_eq!(parsed.nfo.tagline.as_deref(), Some("Justice for all."));
    assert!(has(&parsed.warnings, |kind| matches!(kind, WarningKind::Truncated { .. })));

    // Every prefix parses without panicking and keeps the title once it is complete.
    let title_end = text.find("</title>").expect("title end");
    for cut in (0..full.len()).step_by(7) {
        let parsed = parse(full.get(..cut).expect("prefix"));
        if cut > title_end + "</title>".len() {
            assert_eq!(parsed.nfo.title.as_deref(), Some("Justice League"), "cut at {cut}");
        }
    }
}

#[test]
fn mismatched_and_stray_end_tags() {
    let parsed = parse(b"<movie><title>T</titel><plot>P</plot></genre></movie>");
    assert_eq!(parsed.nfo.title.as_deref(), Some("T"));
    assert_eq!(parsed.nfo.plot, None, "<plot> ends up inside the unclosed <title>");
    let parsed = parse(b"<movie><title>T</Title><plot>P</plot></genre></movie>");
    assert_eq!(parsed.nfo.title.as_deref(), Some("T"));
    assert_eq!(parsed.nfo.plot.as_deref(), Some("P"));
    assert_eq!(kinds(&parsed.warnings), [WarningKind::UnmatchedEnd { name: "genre".into() }]);
    let parsed = parse(b"<movie><actor><name>A</name></movie>");
    assert_eq!(parsed.nfo.actors.first().and_then(|actor| actor.name.as_deref()), Some("A"));
    assert_eq!(
        kinds(&parsed.warnings),
        [WarningKind::ImplicitlyClosed { name: "actor".into(), closed_by: "movie".into() }]
    );
}

#[test]
fn syntax_errors_are_skipped() {
    let input = "<movie><title>Heart</title><plot>I <3 movies & popcorn</plot><!oops><genre>Drama</genre><= <year>2001</year></movie>";
    let parsed = parse(input.as_bytes());
    assert_eq!(parsed.kind, NfoKind::Xml);
    assert_eq!(parsed.nfo.title.as_deref(), Some("Heart"));
    assert_eq!(parsed.nfo.plot.as_deref(), Some("I <3 movies & popcorn"));
    assert_eq!(parsed.nfo.genres, ["Drama"]);
    assert_eq!(parsed.nfo.year, Some(2001));
    assert!(has(&parsed.warnings, |kind| matches!(kind, WarningKind::InvalidElementName { .. })));
    assert!(has(&parsed.warnings, |kind| matches!(kind, WarningKind::Malformed { .. })));
}

#[test]
fn numbers_are_read_leniently() {
    let input = "<movie><runtime>120 min</runtime><year>abc</year><playcount>1.0</playcount>\
                 <ratings><rating name=\"imdb\" max=\"10\" default=\"TRUE\"><value>7,5</value><votes>1,234</votes></rating>\
                 <rating name=\"trakt\" max=\"ten\">8</rating></ratings></movie>";
    let parsed = parse(input.as_bytes());
    let nfo = &parsed.nfo;
    assert_eq!(nfo.runtime, Some(120));
    assert_eq!(nfo.year, None);
    assert_eq!(nfo.play_count, Some(1));
    let imdb = nfo.ratings.first().expect("imdb");
    assert_eq!((imdb.value, imdb.votes, imdb.default), (Some(7.5), Some(1234), true));
    let trakt = nfo.ratings.get(1).expect("trakt");
    assert_eq!((trakt.value, trakt.max), (Some(8.0), None));
    assert_eq!(
        kinds(&parsed.warnings),
        [
            WarningKind::NumberWithText { element: "runtime".into(), value: "120 min".into() },
            WarningKind::InvalidNumber { element: "year".into(), value: "abc".into() },
            WarningKind::InvalidNumber { element: "rating@max".into(), value: "ten".into() },
        ]
    );
}

#[test]
fn legacy_rating_and_votes() {
    let parsed = parse(b"<movie><votes>1000</votes><rating>7.1</rating></movie>");
    let rating = parsed.nfo.ratings.first().expect("legacy rating");
    assert_eq!(
        (rating.name.as_deref(), rating.value, rating.votes, rating.default),
        (None, Some(7.1), Some(1000), true)
    );
}

#[test]
fn duplicates_keep_the_first_value() {
    let parsed = parse(b"<movie><title>One</title><title>Two</title><genre>A</genre><genre>B</genre></movie>");
    assert_eq!(parsed.nfo.title.as_deref(), Some("One"));
    assert_eq!(parsed.nfo.genres, ["A", "B"]);
    assert_eq!(kinds(&parsed.warnings), [WarningKind::DuplicateElement { name: "title".into() }]);
}

#[test]
fn unknown_elements_are_kept_in_order_with_attributes() {
    let input = "<movie><custom a=\"1\" b='x &amp; y'><x>y</x>tail</custom><title>T</title><another/>\
                 <set><name>S</name><tmdbcolid>9</tmdbcolid></set><fanart url=\"http://base/\"><thumb>/a.jpg</thumb><extra/></fanart></movie>";
    let parsed = parse(input.as_bytes());
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let nfo = &parsed.nfo;
    let names: Vec<&str> = nfo.unknown.iter().map(|raw| raw.name.as_str()).collect();
    assert_eq!(names, ["custom", "another"]);
    let custom = nfo.unknown.first().expect("custom");
    assert_eq!(custom.attribute("b"), Some("x & y"));
    assert_eq!(
        custom.children,
        [
            RawNode::Element(RawElement {
                name: "x".into(),
                attributes: vec![],
                children: vec![RawNode::Text("y".into())]
            }),
            RawNode::Text("tail".into()),
        ]
    );
    assert_eq!(custom.to_xml(), "<custom a=\"1\" b=\"x &amp; y\"><x>y</x>tail</custom>");
    let set = nfo.set.as_ref().expect("set");
    assert_eq!(set.unknown.first().map(|raw| raw.name.as_str()), Some("tmdbcolid"));
    let fanart = nfo.fanart.as_ref().expect("fanart");
    assert_eq!(fanart.url.as_deref(), Some("http://base/"));
    assert_eq!(fanart.thumbs.first().map(|thumb| thumb.url.as_str()), Some("/a.jpg"));
    assert_eq!(fanart.unknown.first().map(|raw| raw.name.as_str()), Some("extra"));
}

#[test]
fn deeply_nested_junk_is_capped() {
    let depth = 100_000;
    let mut input = String::from("<movie><title>Deep</title>");
    input.push_str(&"<a>".repeat(depth));
    input.push_str(&"</a>".repeat(depth));
    input.push_str("<plot>After</plot></movie>");
    let parsed = parse(input.as_bytes());
    assert_eq!(parsed.nfo.title.as_deref(), Some("Deep"));
    assert_eq!(parsed.nfo.plot.as_deref(), Some("After"));
    assert_eq!(kinds(&parsed.warnings), [WarningKind::DepthLimit { limit: 64 }]);

    // Never closed at all: the stack stays capped and the end closes everything.
    let unclosed = format!("<movie><title>Deep</title>{}", "<a>".repeat(depth));
    let parsed = parse(unclosed.as_bytes());
    assert_eq!(parsed.nfo.title.as_deref(), Some("Deep"));
    assert!(has(&parsed.warnings, |kind| matches!(kind, WarningKind::DepthLimit { .. })));
    assert!(has(&parsed.warnings, |kind| matches!(kind, WarningKind::Truncated { .. })));
}

#[test]
fn ten_megabyte_inputs_parse() {
    // One huge plot.
    let plot = "All work and no play makes Jack a dull boy. ".repeat(240_000);
    let input = format!("<movie><title>The Shining</title><plot>{plot}</plot></movie>");
    assert!(input.len() > 10_000_000);
    let parsed = parse(input.as_bytes());
    assert!(parsed.warnings.is_empty());
    assert_eq!(parsed.nfo.plot.as_deref().map(str::len), Some(plot.trim().len()));

    // Many small elements: 120,000 actors with four children each pass the element limit.
    let mut input = String::from("<movie><title>Crowd</title>");
    for order in 0..120_000 {
        input.push_str(&format!(
            "<actor><name>Extra {order}</name><role>Crowd member</role><order>{order}</order></actor>"
        ));
    }
    input.push_str("</movie>");
    assert!(input.len() > 10_000_000);
    let parsed = parse(input.as_bytes());
    assert_eq!(parsed.nfo.title.as_deref(), Some("Crowd"));
    assert_eq!(kinds(&parsed.warnings), [WarningKind::ElementLimit { limit: 200_000 }]);
    assert_eq!(parsed.nfo.actors.len(), 50_000, "4 elements per actor, 200,000 minus <movie> and <title>");
}

#[test]
fn oversized_input_is_cut_with_a_warning() {
    let mut input = b"<movie><title>Big</title><plot>".to_vec();
    input.resize(MAX_INPUT_BYTES + 10, b'x');
    let parsed = parse(&input);
    assert_eq!(parsed.nfo.title.as_deref(), Some("Big"));
    assert!(has(&parsed.warnings, |kind| matches!(kind, WarningKind::InputTooLarge { .. })));
}

#[test]
fn random_bytes_never_panic_and_stay_consistent() {
    let mut rng = fastrand::Rng::with_seed(0x6e66_6f00);
    for round in 0..2_000 {
        let len = rng.usize(0..2_048);
        let bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        let parsed = parse(&bytes);
        assert!(parsed.warnings.len() <= 201, "round {round}");
    }
    let big: Vec<u8> = (0..1_000_000).map(|_| rng.u8(..)).collect();
    let parsed = parse(&big);
    assert!(parsed.warnings.len() <= 201);
    // Random bytes restricted to markup characters hit the recovery paths hardest.
    let alphabet = b"<>/!?&;#x=\"' abc-[]CDATA\n";
    for _ in 0..2_000 {
        let len = rng.usize(0..512);
        let bytes: Vec<u8> =
            (0..len).map(|_| alphabet.get(rng.usize(..alphabet.len())).copied().unwrap_or(b'<')).collect();
        let _ = parse(&bytes);
    }
}

#[test]
fn a_url_after_xml_with_tmdb_tv_url_is_kept_but_names_nothing() {
    let parsed = parse(b"<movie/>\nhttps://www.themoviedb.org/tv/1399");
    assert_eq!(parsed.kind, NfoKind::XmlWithUrls);
    assert_eq!(parsed.nfo.urls.first().map(|url| url.id.clone()), Some(None::<ExternalId>));
    assert_eq!(parsed.nfo.tmdb_id(), None);
}

#[test]
fn markup_that_never_closes_stays_linear() {
    // Each of these would make a naive restart-after-error loop re-scan to the end of the
    // input once per `<`: quadratic, hours for a few megabytes.
    let unclosed_comments = format!("<movie><title>T</title>{}", "<!--".repeat(1_000_000));
    let parsed = parse(unclosed_comments.as_bytes());
    assert_eq!(parsed.nfo.title.as_deref(), Some("T"));
    assert!(has(&parsed.warnings, |kind| matches!(kind, WarningKind::RescanLimit | WarningKind::ErrorLimit { .. })));

    let hearts = format!("<movie><title>T</title><plot>{}></plot></movie>", "<3".repeat(1_000_000));
    let parsed = parse(hearts.as_bytes());
    assert_eq!(parsed.nfo.title.as_deref(), Some("T"));
    assert!(has(&parsed.warnings, |kind| matches!(kind, WarningKind::RescanLimit)));

    let open_tags = "<".repeat(2_000_000);
    let parsed = parse(open_tags.as_bytes());
    assert_eq!(parsed.kind, NfoKind::Empty);
}

#[test]
fn many_warnings_on_one_huge_line_are_capped() {
    let input = format!("<movie>{}</movie>", "&bogus;".repeat(500_000));
    let parsed = parse(input.as_bytes());
    assert_eq!(parsed.warnings.len(), 201);
    assert_eq!(
        parsed.warnings.last().map(|warning| warning.kind.clone()),
        Some(WarningKind::WarningLimit { limit: 200 })
    );
    let last_positioned = parsed.warnings.get(199).and_then(|warning| warning.position).expect("position");
    assert_eq!((last_positioned.line, last_positioned.column), (1, 8 + 199 * 7));
}

#[test]
fn parse_reader_reads_and_parses() {
    let parsed = metarr_nfo::parse_reader(std::io::Cursor::new(data("jellyfin-radarr-url-only.nfo"))).expect("read");
    assert_eq!(parsed.kind, NfoKind::UrlOnly);
    assert_eq!(parsed.nfo.tmdb_id(), Some(583_689));
}

#[test]
fn declared_utf8_that_is_latin1_is_rescued() {
    let parsed =
        parse(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><movie><title>Cr\xe8me br\xfbl\xe9e</title></movie>");
    assert_eq!(parsed.nfo.title.as_deref(), Some("Crème brûlée"));
    assert_eq!(kinds(&parsed.warnings), [WarningKind::AssumedWindows1252]);
}

#[test]
fn bare_ampersands_are_text_without_warnings() {
    let parsed = parse(b"<movie><title>Tom & Jerry; the movie</title><studio>AT&T</studio></movie>");
    assert_eq!(parsed.nfo.title.as_deref(), Some("Tom & Jerry; the movie"));
    assert_eq!(parsed.nfo.studios, ["AT&T"]);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn control_characters_xml_forbids_are_dropped_with_one_warning() {
    // Issue 11: a NUL in an NFO title made every scan of its folder fail on PostgreSQL.
    let parsed = parse(b"<movie>\n  <title>A\x00B</title>\n  <plot>one\ttwo\nthree\x01\x1f</plot>\n</movie>");
    assert_eq!(parsed.nfo.title.as_deref(), Some("AB"));
    assert_eq!(parsed.nfo.plot.as_deref(), Some("one\ttwo\nthree"), "tab and line feed stay");
    assert_eq!(kinds(&parsed.warnings), [WarningKind::ControlCharacters { count: 3, first: 0 }]);
    let position = parsed.warnings[0].position.expect("the first one's position");
    assert_eq!((position.line, position.column), (2, 11));

    let parsed = parse(b"<movie><title>A&#0;B&#x1;C&#9;D</title></movie>");
    assert_eq!(parsed.nfo.title.as_deref(), Some("A\u{fffd}B\u{fffd}C\tD"), "references to them are replaced");
    let invalid = |reference: &str| WarningKind::InvalidCharRef { reference: reference.into() };
    assert_eq!(kinds(&parsed.warnings), [invalid("#0"), invalid("#x1")]);
}
