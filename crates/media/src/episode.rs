//! Episode numbers and season folders in TV names, as Sonarr, Kodi and Jellyfin write them
//! (issue 17's naming rules): `S01E02`, multi-episode `s01e02e03`, `S01E02-E03` and `S01E02-03`,
//! `1x02`, air dates (`2024-03-01`), absolute numbers for anime (`- 012 -`), and season folders
//! (`Season 01`, `S01`, `Specials`). Pure: names in, numbers out.

/// What a file name says about which episode(s) it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EpisodeNumber {
    /// A season and its episodes in order (several for a multi-episode file).
    Season {
        /// The season (0 for specials).
        season: u32,
        /// The episodes, in order, at least one.
        episodes: Vec<u32>,
    },
    /// An air date, for daily shows.
    Date {
        /// The year, 1900–2100.
        year: u16,
        /// The month, 1–12.
        month: u8,
        /// The day, 1–31.
        day: u8,
    },
    /// Absolute numbers (anime numbered across seasons), in order.
    Absolute {
        /// The numbers, at least one.
        numbers: Vec<u32>,
    },
}

/// The most episodes one file may span: a range beyond it is a misread, not a file.
const MAX_SPAN: u32 = 50;

/// The episode(s) a file name (without its extension) holds. `absolute`: the series numbers
/// its episodes absolutely (a series-level setting for anime); absolute numbers are only read
/// then, and only when the name has no season/episode or date form.
pub fn parse_episode(name: &str, absolute: bool) -> Option<EpisodeNumber> {
    let bytes = name.as_bytes();
    season_episode(bytes)
        .or_else(|| cross_form(bytes))
        .or_else(|| air_date(bytes))
        .or_else(|| if absolute { absolute_number(bytes) } else { None })
}

/// The season a folder holds: `Season 01`, `Season 1`, `S01`, `Series 2`, `Staffel 3`,
/// `Saison 4`, `Temporada 5` (any case), and 0 for `Specials` and `Season 00`.
pub fn season_of_folder(name: &str) -> Option<u32> {
    let lower = name.trim().to_ascii_lowercase();
    if lower == "specials" || lower == "special" {
        return Some(0);
    }
    for word in ["season", "series", "staffel", "saison", "temporada"] {
        if let Some(rest) = lower.strip_prefix(word) {
            let rest = rest.trim_start_matches([' ', '.', '_', '-']);
            if !rest.is_empty() && rest.len() <= 4 && rest.bytes().all(|b| b.is_ascii_digit()) {
                return rest.parse().ok();
            }
        }
    }
    let digits = lower.strip_prefix('s')?;
    if !digits.is_empty() && digits.len() <= 4 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits.parse().ok();
    }
    None
}

/// Which seasons a season image is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeasonRef {
    /// One season (0: specials).
    Number(u32),
    /// Every season (`season-all-poster.jpg`).
    All,
}

/// The kinds of season image Kodi and Jellyfin read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeasonArt {
    /// `-poster`.
    Poster,
    /// `-fanart`.
    Fanart,
    /// `-banner`.
    Banner,
    /// `-landscape` (Kodi also reads `-thumb` for it).
    Landscape,
}

/// A season image in the series folder, by its file stem: `season01-poster`, `season1-fanart`,
/// `season-specials-banner`, `season-all-poster`, `season00-landscape` (any case).
pub fn season_artwork(stem: &str) -> Option<(SeasonRef, SeasonArt)> {
    let lower = stem.to_ascii_lowercase();
    let rest = lower.strip_prefix("season")?;
    let (which, art) = rest.rsplit_once('-')?;
    let art = match art {
        "poster" => SeasonArt::Poster,
        "fanart" => SeasonArt::Fanart,
        "banner" => SeasonArt::Banner,
        "landscape" | "thumb" => SeasonArt::Landscape,
        _ => return None,
    };
    let season = match which {
        "-specials" => SeasonRef::Number(0),
        "-all" => SeasonRef::All,
        digits if !digits.is_empty() && digits.len() <= 4 && digits.bytes().all(|b| b.is_ascii_digit()) => {
            SeasonRef::Number(digits.parse().ok()?)
        }
        _ => return None,
    };
    Some((season, art))
}

fn is_boundary(bytes: &[u8], at: usize) -> bool {
    at == 0 || !bytes[at - 1].is_ascii_alphanumeric()
}

/// Digits from `at`, at most `max` of them: (value, end).
fn digits(bytes: &[u8], at: usize, max: usize) -> Option<(u32, usize)> {
    let mut end = at;
    while end < bytes.len() && bytes[end].is_ascii_digit() {
        end += 1;
    }
    if end == at || end - at > max {
        return None;
    }
    std::str::from_utf8(&bytes[at..end]).ok()?.parse().ok().map(|value| (value, end))
}

/// Adds `next` after the episodes read so far: a dash makes a range (`E02-E04` is 2, 3, 4),
/// anything else one more episode.
fn extend(episodes: &mut Vec<u32>, next: u32, range: bool) -> bool {
    let last = *episodes.last().unwrap_or(&next);
    if next <= last {
        return false;
    }
    if range && next - last <= MAX_SPAN {
        episodes.extend(last + 1..=next);
    } else if !range {
        episodes.push(next);
    } else {
        return false;
    }
    true
}

/// `S01E02`, `s01e02e03`, `S01E02-E03`, `S01E02-03`, `S01 E02`, `S01.E02`.
fn season_episode(bytes: &[u8]) -> Option<EpisodeNumber> {
    for at in 0..bytes.len() {
        if !matches!(bytes[at], b's' | b'S') || !is_boundary(bytes, at) {
            continue;
        }
        let Some((season, mut end)) = digits(bytes, at + 1, 4) else { continue };
        // `S01 E02` and `S01.E02` as well as `S01E02`.
        if end < bytes.len() && matches!(bytes[end], b' ' | b'.' | b'_') {
            end += 1;
        }
        if end >= bytes.len() || !matches!(bytes[end], b'e' | b'E') {
            continue;
        }
        let Some((first, mut end)) = digits(bytes, end + 1, 4) else { continue };
        let mut episodes = vec![first];
        loop {
            let dash = end < bytes.len() && matches!(bytes[end], b'-' | b'_');
            let mut next = if dash { end + 1 } else { end };
            let prefixed = next < bytes.len() && matches!(bytes[next], b'e' | b'E');
            if prefixed {
                next += 1;
            } else if !dash {
                break;
            }
            match digits(bytes, next, 4) {
                // `S01E02-E03` and `S01E02-03` are ranges; `S01E02E03` lists.
                Some((value, after)) if (dash || prefixed) && extend(&mut episodes, value, dash) => end = after,
                _ => break,
            }
        }
        return Some(EpisodeNumber::Season { season, episodes });
    }
    None
}

/// `1x02`, `01x02`, `1x02-1x03`, `1x02-03`.
fn cross_form(bytes: &[u8]) -> Option<EpisodeNumber> {
    for at in 0..bytes.len() {
        if !bytes[at].is_ascii_digit() || !is_boundary(bytes, at) {
            continue;
        }
        let Some((season, x)) = digits(bytes, at, 2) else { continue };
        if x >= bytes.len() || !matches!(bytes[x], b'x' | b'X') {
            continue;
        }
        let Some((first, mut end)) = digits(bytes, x + 1, 3) else { continue };
        if end < bytes.len() && bytes[end].is_ascii_alphanumeric() {
            // `720x480`, `1x264`: a size or a codec, not an episode.
            continue;
        }
        let mut episodes = vec![first];
        while end + 1 < bytes.len() && bytes[end] == b'-' {
            let mut next = end + 1;
            // `1x02-1x03`: the season again.
            if let Some((again, after)) = digits(bytes, next, 2)
                && after < bytes.len()
                && matches!(bytes[after], b'x' | b'X')
            {
                if again != season {
                    break;
                }
                next = after + 1;
            }
            match digits(bytes, next, 3) {
                Some((value, after)) if extend(&mut episodes, value, true) => end = after,
                _ => break,
            }
        }
        return Some(EpisodeNumber::Season { season, episodes });
    }
    None
}

/// `2024-03-01`, `2024.03.01`, `2024 03 01`, `2024_03_01`.
fn air_date(bytes: &[u8]) -> Option<EpisodeNumber> {
    for at in 0..bytes.len() {
        if !is_boundary(bytes, at) {
            continue;
        }
        let Some((year, end)) = digits(bytes, at, 4) else { continue };
        if end - at != 4 || !(1900..=2100).contains(&year) {
            continue;
        }
        let separator = *bytes.get(end)?;
        if !matches!(separator, b'-' | b'.' | b' ' | b'_') {
            continue;
        }
        let Some((month, end)) = digits(bytes, end + 1, 2) else { continue };
        if bytes.get(end) != Some(&separator) {
            continue;
        }
        let Some((day, end)) = digits(bytes, end + 1, 2) else { continue };
        if end < bytes.len() && bytes[end].is_ascii_alphanumeric() {
            continue;
        }
        if (1..=12).contains(&month) && (1..=31).contains(&day) {
            return Some(EpisodeNumber::Date { year: year as u16, month: month as u8, day: day as u8 });
        }
    }
    None
}

/// An anime number: the first 1–4 digit token standing alone (`- 012 -`, `[012]`, ` 012 `,
/// `012-013`), that is neither a resolution (`1080p`, `720`), a year in parentheses, a version
/// (`v2`) nor part of a hash (`[ABCD1234]`).
fn absolute_number(bytes: &[u8]) -> Option<EpisodeNumber> {
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_digit() || !is_boundary(bytes, at) {
            at += 1;
            continue;
        }
        let Some((first, end)) = digits(bytes, at, 4) else {
            while at < bytes.len() && bytes[at].is_ascii_alphanumeric() {
                at += 1;
            }
            continue;
        };
        let next = bytes.get(end).copied();
        let previous = at.checked_sub(1).map(|i| bytes[i]);
        let resolution = matches!(first, 480 | 576 | 720 | 1080 | 2160) || matches!(next, Some(b'p' | b'P' | b'i'));
        let year = end - at == 4 && previous == Some(b'(') && next == Some(b')');
        if next.is_some_and(|b| b.is_ascii_alphanumeric() && b != b'v') || resolution || year {
            at = end;
            continue;
        }
        let mut numbers = vec![first];
        if next == Some(b'-')
            && let Some((last, _)) = digits(bytes, end + 1, 4)
        {
            extend(&mut numbers, last, true);
        }
        return Some(EpisodeNumber::Absolute { numbers });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn season(season: u32, episodes: &[u32]) -> Option<EpisodeNumber> {
        Some(EpisodeNumber::Season { season, episodes: episodes.to_vec() })
    }

    #[test]
    fn season_and_episode_forms() {
        let cases: &[(&str, Option<EpisodeNumber>)] = &[
            ("Breaking Bad - S01E02 - Cat's in the Bag", season(1, &[2])),
            ("breaking.bad.s01e02.720p.bluray.x264", season(1, &[2])),
            ("Show - s01e02e03 - Two Parts", season(1, &[2, 3])),
            ("Show - S01E02-E03 - Two Parts", season(1, &[2, 3])),
            ("Show - S01E02-E04", season(1, &[2, 3, 4])),
            ("Show - S01E02-03", season(1, &[2, 3])),
            ("Show S01E01E02E03", season(1, &[1, 2, 3])),
            ("Show - S00E01 - Pilot Special", season(0, &[1])),
            ("Show S1E2", season(1, &[2])),
            ("Show S01 E02", season(1, &[2])),
            ("Show.S2024E105", season(2024, &[105])),
            ("Show - 1x02 - Title", season(1, &[2])),
            ("Show - 01x02-1x03", season(1, &[2, 3])),
            ("Show 3x10-11", season(3, &[10, 11])),
        ];
        for (name, expected) in cases {
            assert_eq!(&parse_episode(name, false), expected, "{name}");
        }
    }

    #[test]
    fn dates_and_absolute_numbers() {
        let date = |year, month, day| Some(EpisodeNumber::Date { year, month, day });
        assert_eq!(parse_episode("The Daily Show - 2024-03-01 - Guest", false), date(2024, 3, 1));
        assert_eq!(parse_episode("the.daily.show.2024.03.01.720p", false), date(2024, 3, 1));
        assert_eq!(parse_episode("Show 2024-13-01", false), None);
        let absolute = |numbers: &[u32]| Some(EpisodeNumber::Absolute { numbers: numbers.to_vec() });
        assert_eq!(parse_episode("One Piece - 012 - Title", true), absolute(&[12]));
        assert_eq!(parse_episode("[Group] One Piece - 1071 [1080p] [ABCD1234]", true), absolute(&[1071]));
        assert_eq!(parse_episode("[Group] Naruto - 012-013 [720p]", true), absolute(&[12, 13]));
        assert_eq!(parse_episode("Bleach (2004) - 005v2", true), absolute(&[5]));
        // Without the series' setting, a bare number is not an episode.
        assert_eq!(parse_episode("One Piece - 012 - Title", false), None);
        // A season form wins over an absolute number.
        assert_eq!(parse_episode("One Piece - S01E12 - 012", true), season(1, &[12]));
    }

    #[test]
    fn what_is_not_an_episode() {
        for name in [
            "Movie.2019.1080p.BluRay.x264",
            "Show.720x480.sample",
            "Show - Season Finale",
            "sample",
            "Show - S01 - Complete",
            "Show - E02",
            "Sesame Street",
            "Show S01E02-E01",
            "",
        ] {
            let found = parse_episode(name, false);
            let expected_none = !name.contains("S01E02");
            if expected_none {
                assert_eq!(found, None, "{name}");
            } else {
                assert_eq!(found, season(1, &[2]), "a backwards range keeps the first: {name}");
            }
        }
        // Absurd ranges are not followed.
        assert_eq!(parse_episode("Show S01E01-E999", false), season(1, &[1]));
    }

    #[test]
    fn season_images() {
        for (stem, expected) in [
            ("season01-poster", Some((SeasonRef::Number(1), SeasonArt::Poster))),
            ("Season1-Fanart", Some((SeasonRef::Number(1), SeasonArt::Fanart))),
            ("season-specials-poster", Some((SeasonRef::Number(0), SeasonArt::Poster))),
            ("season00-banner", Some((SeasonRef::Number(0), SeasonArt::Banner))),
            ("season-all-poster", Some((SeasonRef::All, SeasonArt::Poster))),
            ("season02-landscape", Some((SeasonRef::Number(2), SeasonArt::Landscape))),
            ("season02-thumb", Some((SeasonRef::Number(2), SeasonArt::Landscape))),
            ("season02-clearlogo", None),
            ("season-poster", None),
            ("seasonx-poster", None),
            ("poster", None),
        ] {
            assert_eq!(season_artwork(stem), expected, "{stem}");
        }
    }

    #[test]
    fn season_folders() {
        for (name, expected) in [
            ("Season 01", Some(1)),
            ("Season 1", Some(1)),
            ("season 10", Some(10)),
            ("Season 00", Some(0)),
            ("Specials", Some(0)),
            ("S02", Some(2)),
            ("Series 3", Some(3)),
            ("Staffel 4", Some(4)),
            ("Saison 5", Some(5)),
            ("Season.06", Some(6)),
            ("Featurettes", None),
            ("Season", None),
            ("Season One", None),
            ("Seasons 1-3", None),
            ("Sample", None),
        ] {
            assert_eq!(season_of_folder(name), expected, "{name}");
        }
    }
}
