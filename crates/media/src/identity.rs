//! A film's or series' identity as its folder (or file) name states it: title, year, TMDB, IMDb
//! and TVDB ids and edition, from `Title (Year) {tmdb-603}` names and from scene names
//! (`Title.Year.1080p.BluRay.x264-GRP`).

use std::time::{SystemTime, UNIX_EPOCH};

/// What a folder name says about the film in it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NameIdentity {
    /// The title with tags, year and release details removed. Empty only when the name holds
    /// nothing but ids (`tt0133093`).
    pub title: String,
    /// The release year, when the name has one.
    pub year: Option<u16>,
    /// From `{tmdb-603}`, `{tmdbid-603}`, `[tmdbid-603]` or `[tmdbid=603]`.
    pub tmdb_id: Option<i64>,
    /// From `{imdb-tt0133093}`, `[imdbid-tt0133093]` or a bare `tt0133093`.
    pub imdb_id: Option<String>,
    /// From Plex's `{edition-Director's Cut}`.
    pub edition: Option<String>,
    /// From `{tvdb-81189}`, `{tvdbid-81189}`, `[tvdbid-81189]` or `[tvdbid=81189]`: Sonarr's
    /// series folders carry it.
    pub tvdb_id: Option<i64>,
}

/// The earliest year taken for a release year: older numbers are titles (`1492: Conquest…`).
const FIRST_YEAR: u16 = 1880;

/// Words that start the release details of a scene name; the title ends before them.
const RELEASE_WORDS: &[&str] = &[
    "2160p",
    "1080p",
    "1080i",
    "720p",
    "576p",
    "480p",
    "4k",
    "uhd",
    "bluray",
    "blu-ray",
    "bdrip",
    "brrip",
    "bdremux",
    "remux",
    "web",
    "web-dl",
    "webdl",
    "webrip",
    "hdtv",
    "hdrip",
    "dvdrip",
    "dvd",
    "dvdscr",
    "hdr",
    "hdr10",
    "x264",
    "x265",
    "h264",
    "h265",
    "hevc",
    "avc",
    "xvid",
    "divx",
    "aac",
    "ac3",
    "dts",
    "truehd",
    "atmos",
    "proper",
    "repack",
    "extended",
    "unrated",
    "remastered",
    "imax",
    "limited",
    "internal",
    "multi",
    "10bit",
    "hybrid",
];

/// Reads a movie folder's name (`The Matrix (1999) {tmdb-603}`); also works on a video's stem.
///
/// Rules, in order:
/// 1. `[key-value]`/`{key-value}` tags (`-` or `=`) for `tmdb`/`tmdbid`, `imdb`/`imdbid`,
///    `edition` and `tvdb`/`tvdbid` are read and removed; a bare `tt1234567` is an
///    IMDb id. Other bracketed text stays part of the title (`[REC] (2007)`).
/// 2. `Title (Year)`: the last `(YYYY)` or `[YYYY]` with text before it ends the title, so
///    years inside titles survive (`2001 A Space Odyssey (1968)`, `1917 (2019)`).
/// 3. Otherwise a scene name split at `.`, `_` and spaces: the last year-like word after the
///    first word is the year (`Blade.Runner.2049.2017.1080p` is "Blade Runner", 2017); without
///    one, the title ends at the first release word (`1080p`, `BluRay`…). Years later than
///    next year are not taken for a release year here, so `Blade Runner 2049` keeps its title.
pub fn parse_folder_name(name: &str) -> NameIdentity {
    let mut identity = NameIdentity::default();
    let without_tags = remove_tags(name, &mut identity);
    let without_ids = remove_bare_imdb_ids(&without_tags, &mut identity);

    if let Some((title_end, year)) = bracketed_year(&without_ids) {
        identity.title = clean_title(&undot(&without_ids[..title_end]));
        identity.year = Some(year);
        return identity;
    }

    let tokens: Vec<&str> = without_ids.split(['.', '_', ' ']).filter(|token| !token.is_empty()).collect();
    let latest_year = current_year().saturating_add(1);
    let year_at = tokens
        .iter()
        .enumerate()
        .skip(1)
        .rev()
        .find_map(|(index, token)| parse_year(token, latest_year).map(|year| (index, year)));
    let title_tokens = match year_at {
        Some((index, year)) => {
            identity.year = Some(year);
            &tokens[..index]
        }
        None => {
            let end = tokens.iter().skip(1).position(|token| is_release_word(token)).map_or(tokens.len(), |at| at + 1);
            &tokens[..end]
        }
    };
    identity.title = clean_title(&title_tokens.join(" "));
    // A name that used dots for spaces but is really an acronym (`S.W.A.T.`) keeps its dots.
    if !without_ids.contains(' ')
        && title_tokens.iter().all(|token| token.chars().count() == 1)
        && title_tokens.len() > 1
    {
        identity.title = clean_title(&format!("{}.", title_tokens.join(".")));
    }
    identity
}

fn current_year() -> u16 {
    // Days since the epoch divided by the mean Gregorian year is exact enough for a bound.
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs());
    let years = seconds / 31_556_952;
    u16::try_from(1970 + years).unwrap_or(u16::MAX)
}

fn parse_year(token: &str, latest: u16) -> Option<u16> {
    if token.len() != 4 || !token.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let year: u16 = token.parse().ok()?;
    (FIRST_YEAR..=latest).contains(&year).then_some(year)
}

fn is_release_word(token: &str) -> bool {
    let lower = token.to_ascii_lowercase();
    // `x264-GRP`: the group name after the dash is not part of the word.
    let head = lower.split('-').next().unwrap_or(&lower);
    RELEASE_WORDS.contains(&lower.as_str()) || RELEASE_WORDS.contains(&head)
}

/// Removes recognised `[key-value]`/`{key-value}` tags, recording their values.
fn remove_tags(name: &str, identity: &mut NameIdentity) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(open) = rest.find(['[', '{']) {
        let close_char = if rest.as_bytes()[open] == b'[' { ']' } else { '}' };
        let Some(close) = rest[open..].find(close_char).map(|at| open + at) else { break };
        let inner = rest[open + 1..close].trim();
        out.push_str(&rest[..open]);
        if !record_tag(inner, identity) {
            out.push_str(&rest[open..=close]);
        } else {
            out.push(' ');
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

fn record_tag(inner: &str, identity: &mut NameIdentity) -> bool {
    let Some(split) = inner.find(['-', '=']) else { return false };
    let key = inner[..split].trim().to_ascii_lowercase();
    let value = inner[split + 1..].trim();
    match key.as_str() {
        "tmdb" | "tmdbid" => match value.parse::<i64>() {
            Ok(id) if id > 0 => {
                identity.tmdb_id.get_or_insert(id);
                true
            }
            _ => false,
        },
        "imdb" | "imdbid" if is_imdb_id(value) => {
            identity.imdb_id.get_or_insert_with(|| value.to_owned());
            true
        }
        "edition" if !value.is_empty() => {
            identity.edition.get_or_insert_with(|| value.to_owned());
            true
        }
        "tvdb" | "tvdbid" => match value.parse::<i64>() {
            Ok(id) if id > 0 && value.bytes().all(|byte| byte.is_ascii_digit()) => {
                identity.tvdb_id.get_or_insert(id);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

fn is_imdb_id(value: &str) -> bool {
    value.strip_prefix("tt").is_some_and(|digits| digits.len() >= 7 && digits.bytes().all(|byte| byte.is_ascii_digit()))
}

/// Removes free-standing `tt1234567` words, recording the first as the IMDb id.
fn remove_bare_imdb_ids(text: &str, identity: &mut NameIdentity) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied_to = 0;
    let mut index = 0;
    while let Some(found) = text[index..].find("tt").map(|at| index + at) {
        let starts_word = found == 0 || !bytes[found - 1].is_ascii_alphanumeric();
        let digits = bytes[found + 2..].iter().take_while(|byte| byte.is_ascii_digit()).count();
        let end = found + 2 + digits;
        let ends_word = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if starts_word && digits >= 7 && ends_word {
            identity.imdb_id.get_or_insert_with(|| text[found..end].to_owned());
            out.push_str(&text[copied_to..found]);
            out.push(' ');
            copied_to = end;
        }
        index = found + 2;
    }
    out.push_str(&text[copied_to..]);
    out
}

/// The byte offset where the title ends and the year, for the last `(YYYY)`/`[YYYY]`/`（YYYY）`
/// that has a title before it.
fn bracketed_year(text: &str) -> Option<(usize, u16)> {
    let mut found = None;
    for (start, open) in text.char_indices() {
        let close = match open {
            '(' => ')',
            '[' => ']',
            '（' => '）',
            _ => continue,
        };
        let after_open = start + open.len_utf8();
        let Some(digits) = text.get(after_open..after_open + 4) else { continue };
        if !text[after_open + 4..].starts_with(close) {
            continue;
        }
        // Bracketed years are deliberate, so any plausible year is one (no "next year" bound).
        let Some(year) = parse_year(digits, 2100) else { continue };
        if !clean_title(&text[..start]).is_empty() {
            found = Some((start, year));
        }
    }
    found
}

/// Turns a dotted or underscored name without spaces (`The.Matrix.`) into words, keeping
/// acronyms (`S.W.A.T.`) as written.
fn undot(raw: &str) -> String {
    if raw.contains(' ') || !raw.contains(['.', '_']) {
        return raw.to_owned();
    }
    let words: Vec<&str> = raw.split(['.', '_']).filter(|word| !word.is_empty()).collect();
    if words.len() > 1 && words.iter().all(|word| word.chars().count() == 1) {
        return raw.to_owned();
    }
    words.join(" ")
}

/// Trims separators left around a title and collapses runs of whitespace.
fn clean_title(raw: &str) -> String {
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed
        .trim_matches(|character: char| matches!(character, '-' | '–' | ',' | ':' | '_') || character.is_whitespace())
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(title: &str, year: Option<u16>, tmdb_id: Option<i64>, imdb_id: Option<&str>) -> NameIdentity {
        NameIdentity {
            title: title.to_owned(),
            year,
            tmdb_id,
            imdb_id: imdb_id.map(str::to_owned),
            edition: None,
            tvdb_id: None,
        }
    }

    #[test]
    fn title_and_year_in_parentheses() {
        assert_eq!(parse_folder_name("The Matrix (1999)"), identity("The Matrix", Some(1999), None, None));
        assert_eq!(parse_folder_name("The Matrix - (1999) [1080p]"), identity("The Matrix", Some(1999), None, None));
        assert_eq!(parse_folder_name("Heat [1995]"), identity("Heat", Some(1995), None, None));
    }

    #[test]
    fn provider_id_tags_in_every_form() {
        let matrix_tmdb = identity("The Matrix", Some(1999), Some(603), None);
        assert_eq!(parse_folder_name("The Matrix (1999) {tmdb-603}"), matrix_tmdb);
        assert_eq!(parse_folder_name("The Matrix (1999) {tmdbid-603}"), matrix_tmdb);
        assert_eq!(parse_folder_name("The Matrix (1999) [tmdbid-603]"), matrix_tmdb);
        assert_eq!(parse_folder_name("The Matrix (1999) [tmdbid=603]"), matrix_tmdb);
        let matrix_imdb = identity("The Matrix", Some(1999), None, Some("tt0133093"));
        assert_eq!(parse_folder_name("The Matrix (1999) [imdbid-tt0133093]"), matrix_imdb);
        assert_eq!(parse_folder_name("The Matrix (1999) {imdb-tt0133093}"), matrix_imdb);
        assert_eq!(parse_folder_name("The Matrix (1999) tt0133093"), matrix_imdb);
        assert_eq!(
            parse_folder_name("The Matrix (1999) {imdb-tt0133093} {tmdb-603}"),
            identity("The Matrix", Some(1999), Some(603), Some("tt0133093"))
        );
        assert_eq!(parse_folder_name("tt0133093"), identity("", None, None, Some("tt0133093")));
        // Not ids: too few digits, or glued to a word.
        assert_eq!(parse_folder_name("Butt12345678 (2000)"), identity("Butt12345678", Some(2000), None, None));
        assert_eq!(
            parse_folder_name("Movie [tmdbid-abc] (2000)"),
            identity("Movie [tmdbid-abc]", Some(2000), None, None)
        );
    }

    #[test]
    fn scene_names_end_the_title_at_the_year() {
        assert_eq!(
            parse_folder_name("The.Matrix.1999.1080p.BluRay.x264-GROUP"),
            identity("The Matrix", Some(1999), None, None)
        );
        assert_eq!(
            parse_folder_name("Blade.Runner.2049.2017.2160p.UHD"),
            identity("Blade Runner 2049", Some(2017), None, None)
        );
        assert_eq!(parse_folder_name("1917.2019.1080p.WEB-DL"), identity("1917", Some(2019), None, None));
        assert_eq!(parse_folder_name("1917.1080p.BluRay"), identity("1917", None, None, None));
        assert_eq!(parse_folder_name("Some_Movie_2004_DVDRip"), identity("Some Movie", Some(2004), None, None));
        assert_eq!(parse_folder_name("The.Matrix.(1999).1080p"), identity("The Matrix", Some(1999), None, None));
        assert_eq!(parse_folder_name("S.W.A.T.2003.720p"), identity("S.W.A.T.", Some(2003), None, None));
    }

    #[test]
    fn years_inside_titles_survive() {
        assert_eq!(
            parse_folder_name("2001 A Space Odyssey (1968)"),
            identity("2001 A Space Odyssey", Some(1968), None, None)
        );
        assert_eq!(parse_folder_name("1917 (2019)"), identity("1917", Some(2019), None, None));
        assert_eq!(parse_folder_name("2012 (2009)"), identity("2012", Some(2009), None, None));
        assert_eq!(parse_folder_name("Blade Runner 2049"), identity("Blade Runner 2049", None, None, None));
        assert_eq!(parse_folder_name("1917"), identity("1917", None, None, None));
        assert_eq!(parse_folder_name("(2001)"), identity("(2001)", None, None, None));
    }

    #[test]
    fn non_latin_and_bracketed_titles() {
        assert_eq!(parse_folder_name("千と千尋の神隠し (2001)"), identity("千と千尋の神隠し", Some(2001), None, None));
        assert_eq!(parse_folder_name("千と千尋の神隠し（2001）"), identity("千と千尋の神隠し", Some(2001), None, None));
        assert_eq!(parse_folder_name("Амели (2001) {tmdb-194}"), identity("Амели", Some(2001), Some(194), None));
        assert_eq!(parse_folder_name("[REC] (2007)"), identity("[REC]", Some(2007), None, None));
        assert_eq!(
            parse_folder_name("[REC]² (2009) [tmdbid-10664]"),
            identity("[REC]²", Some(2009), Some(10664), None)
        );
    }

    #[test]
    fn edition_tags() {
        let parsed = parse_folder_name("Blade Runner (1982) {edition-Director's Cut} {tmdb-78}");
        assert_eq!(parsed.title, "Blade Runner");
        assert_eq!(parsed.year, Some(1982));
        assert_eq!(parsed.tmdb_id, Some(78));
        assert_eq!(parsed.edition.as_deref(), Some("Director's Cut"));
    }

    #[test]
    fn tvdb_id_tags_in_every_form() {
        for name in [
            "Breaking Bad (2008) {tvdb-81189}",
            "Breaking Bad (2008) {tvdbid-81189}",
            "Breaking Bad (2008) [tvdbid-81189]",
            "Breaking Bad (2008) [tvdbid=81189]",
            "Breaking Bad (2008) [TVDBID-81189]",
        ] {
            let parsed = parse_folder_name(name);
            assert_eq!(
                (parsed.title.as_str(), parsed.year, parsed.tvdb_id),
                ("Breaking Bad", Some(2008), Some(81189)),
                "{name}"
            );
            assert_eq!((parsed.tmdb_id, parsed.imdb_id), (None, None), "{name}");
        }
        let both = parse_folder_name("Breaking Bad (2008) [tmdbid-1396] {tvdb-81189}");
        assert_eq!((both.tmdb_id, both.tvdb_id), (Some(1396), Some(81189)));
        assert_eq!(both.title, "Breaking Bad");
        // Not ids: a value that is no positive number stays part of the title.
        let bad = parse_folder_name("Show [tvdbid-abc] (2000)");
        assert_eq!((bad.title.as_str(), bad.tvdb_id), ("Show [tvdbid-abc]", None));
        assert_eq!(parse_folder_name("Show (2000) {tvdb-0}").tvdb_id, None);
    }
}
