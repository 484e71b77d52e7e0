//! Fuzz target for `metarr_nfo::parse` and `metarr_nfo::parse_tv`: any bytes must parse
//! without panicking, and the result must be self-consistent.
//!
//! Run from `crates/nfo/fuzz` with nightly, seeding from the NFO fixtures:
//! `cargo +nightly fuzz run parse corpus/parse ../tests/data -- -max_len=65536`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use metarr_nfo::{NfoKind, TvNfo, parse, parse_tv};

fuzz_target!(|bytes: &[u8]| {
    let parsed = parse(bytes);
    let expected = match (parsed.nfo.root.is_some(), !parsed.nfo.urls.is_empty()) {
        (true, false) => NfoKind::Xml,
        (true, true) => NfoKind::XmlWithUrls,
        (false, true) => NfoKind::UrlOnly,
        (false, false) => NfoKind::Empty,
    };
    assert_eq!(parsed.kind, expected);
    // 200 warnings at most, plus the one saying more were dropped.
    assert!(parsed.warnings.len() <= 201);
    for warning in &parsed.warnings {
        if let Some(position) = warning.position {
            assert!(position.line >= 1 && position.column >= 1);
        }
        let _ = warning.to_string();
    }
    // What a writer would put back must itself parse without losing the element.
    for raw in parsed.nfo.unknown.iter().take(16) {
        let xml = raw.to_xml();
        let reparsed = parse(format!("<movie>{xml}</movie>").as_bytes());
        assert_eq!(reparsed.nfo.root, Some(metarr_nfo::NfoRoot::Movie));
    }

    // The TV parser's kind agrees with what it found. (It may differ from the movie parser's:
    // a skipped extra root hides the text inside it, a read one does not.)
    let tv = parse_tv(bytes);
    assert_eq!(!tv.urls.is_empty(), matches!(tv.kind, NfoKind::XmlWithUrls | NfoKind::UrlOnly));
    if tv.nfo != TvNfo::Other {
        assert!(matches!(tv.kind, NfoKind::Xml | NfoKind::XmlWithUrls));
    }
    assert!(tv.warnings.len() <= 201);
    if let TvNfo::Episodes(episodes) = &tv.nfo {
        assert!(!episodes.is_empty());
    }
});
