//! Mutation loop: every fixture, damaged at random in many ways, must parse without panicking
//! and give a self-consistent result. A cheap, always-on cousin of the `cargo fuzz` target.

use metarr_nfo::{NfoKind, parse};

use crate::{data, data_names};

/// Characters that steer the parser into its rarely used paths.
const SPICE: &[&[u8]] = &[
    b"<",
    b">",
    b"</",
    b"/>",
    b"&",
    b";",
    b"&#",
    b"&#x",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"<?",
    b"?>",
    b"\"",
    b"'",
    b"=",
    b"\r\n",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\x00",
    b"\xc3",
    b"<movie>",
    b"</movie>",
    b"<!DOCTYPE x [",
    b"https://www.themoviedb.org/movie/603\n",
];

fn mutate(rng: &mut fastrand::Rng, input: &mut Vec<u8>, pool: &[Vec<u8>]) {
    let len = input.len();
    match rng.u8(0..7) {
        0 if len > 0 => {
            let at = rng.usize(..len);
            if let Some(byte) = input.get_mut(at) {
                *byte ^= 1 << rng.u8(0..8);
            }
        }
        1 if len > 0 => {
            let start = rng.usize(..len);
            let end = (start + rng.usize(0..64)).min(len);
            input.drain(start..end);
        }
        2 => {
            let at = rng.usize(..=len);
            let spice = SPICE.get(rng.usize(..SPICE.len())).copied().unwrap_or(b"<");
            input.splice(at..at, spice.iter().copied());
        }
        3 if len > 0 => input.truncate(rng.usize(..len)),
        4 if len > 0 => {
            let start = rng.usize(..len);
            let end = (start + rng.usize(0..256)).min(len);
            let chunk: Vec<u8> = input.get(start..end).map(<[u8]>::to_vec).unwrap_or_default();
            let at = rng.usize(..=len);
            input.splice(at..at, chunk);
        }
        5 => {
            // Splice in a piece of another fixture.
            if let Some(other) = pool.get(rng.usize(..pool.len().max(1))) {
                let start = rng.usize(..=other.len());
                let end = (start + rng.usize(0..512)).min(other.len());
                let at = rng.usize(..=len);
                input.splice(at..at, other.get(start..end).unwrap_or_default().iter().copied());
            }
        }
        _ => {
            let at = rng.usize(..=len);
            input.insert(at, rng.u8(..));
        }
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    let pool: Vec<Vec<u8>> = data_names().iter().map(|name| data(name)).collect();
    let mut rng = fastrand::Rng::with_seed(0x004e_464f);
    for original in &pool {
        for _ in 0..300 {
            let mut input = original.clone();
            for _ in 0..rng.usize(1..8) {
                mutate(&mut rng, &mut input, &pool);
            }
            let parsed = parse(&input);
            let has_root = parsed.nfo.root.is_some();
            let has_urls = !parsed.nfo.urls.is_empty();
            let expected = match (has_root, has_urls) {
                (true, false) => NfoKind::Xml,
                (true, true) => NfoKind::XmlWithUrls,
                (false, true) => NfoKind::UrlOnly,
                (false, false) => NfoKind::Empty,
            };
            assert_eq!(parsed.kind, expected, "input {:?}", String::from_utf8_lossy(&input));
            assert!(parsed.warnings.len() <= 201);
            for warning in &parsed.warnings {
                if let Some(position) = warning.position {
                    assert!(position.line >= 1 && position.column >= 1);
                }
                // Display must never panic either.
                let _ = warning.to_string();
            }
            for raw in &parsed.nfo.unknown {
                let _ = raw.to_xml();
            }
        }
    }
}
