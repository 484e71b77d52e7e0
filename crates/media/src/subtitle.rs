//! Reads a subtitle file's language and flags from its name (`Movie.en.forced.srt`,
//! `Movie.English.SDH.srt`, `Subs/2_English.srt`).

/// What a subtitle file's name says about it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct SubtitleInfo {
    /// ISO 639-2/B code (`eng`, `ger`, `fre`), the form Kodi and ffprobe use; `None` when the
    /// name carries no recognised language.
    pub language: Option<String>,
    /// The name token the language was read from, as written (`en`, `pt-BR`, `English`), so a
    /// region such as `pt-BR` is not lost.
    pub language_tag: Option<String>,
    /// `.forced.`: only the foreign-language parts.
    pub forced: bool,
    /// `.sdh.`, `.cc.` or `.hi.`: for the deaf and hard of hearing.
    pub hearing_impaired: bool,
    /// `.default.`.
    pub default: bool,
}

/// Languages as (ISO 639-1, ISO 639-2/B, ISO 639-2/T, English name).
///
/// Not every language: enough for real libraries without pulling in a locale database. A code
/// missing here leaves the language unknown rather than guessing from any 2- or 3-letter word.
const LANGUAGES: &[(&str, &str, &str, &str)] = &[
    ("ar", "ara", "ara", "arabic"),
    ("bg", "bul", "bul", "bulgarian"),
    ("bn", "ben", "ben", "bengali"),
    ("bs", "bos", "bos", "bosnian"),
    ("ca", "cat", "cat", "catalan"),
    ("cs", "cze", "ces", "czech"),
    ("cy", "wel", "cym", "welsh"),
    ("da", "dan", "dan", "danish"),
    ("de", "ger", "deu", "german"),
    ("el", "gre", "ell", "greek"),
    ("en", "eng", "eng", "english"),
    ("es", "spa", "spa", "spanish"),
    ("et", "est", "est", "estonian"),
    ("eu", "baq", "eus", "basque"),
    ("fa", "per", "fas", "persian"),
    ("fi", "fin", "fin", "finnish"),
    ("fil", "fil", "fil", "filipino"),
    ("fr", "fre", "fra", "french"),
    ("ga", "gle", "gle", "irish"),
    ("gl", "glg", "glg", "galician"),
    ("he", "heb", "heb", "hebrew"),
    ("hi", "hin", "hin", "hindi"),
    ("hr", "hrv", "hrv", "croatian"),
    ("hu", "hun", "hun", "hungarian"),
    ("hy", "arm", "hye", "armenian"),
    ("id", "ind", "ind", "indonesian"),
    ("is", "ice", "isl", "icelandic"),
    ("it", "ita", "ita", "italian"),
    ("ja", "jpn", "jpn", "japanese"),
    ("ka", "geo", "kat", "georgian"),
    ("kk", "kaz", "kaz", "kazakh"),
    ("km", "khm", "khm", "khmer"),
    ("kn", "kan", "kan", "kannada"),
    ("ko", "kor", "kor", "korean"),
    ("ku", "kur", "kur", "kurdish"),
    ("lt", "lit", "lit", "lithuanian"),
    ("lv", "lav", "lav", "latvian"),
    ("mk", "mac", "mkd", "macedonian"),
    ("ml", "mal", "mal", "malayalam"),
    ("mn", "mon", "mon", "mongolian"),
    ("mr", "mar", "mar", "marathi"),
    ("ms", "may", "msa", "malay"),
    ("nb", "nob", "nob", "norwegian bokmal"),
    ("nl", "dut", "nld", "dutch"),
    ("nn", "nno", "nno", "norwegian nynorsk"),
    ("no", "nor", "nor", "norwegian"),
    ("pa", "pan", "pan", "punjabi"),
    ("pl", "pol", "pol", "polish"),
    ("pt", "por", "por", "portuguese"),
    ("ro", "rum", "ron", "romanian"),
    ("ru", "rus", "rus", "russian"),
    ("si", "sin", "sin", "sinhala"),
    ("sk", "slo", "slk", "slovak"),
    ("sl", "slv", "slv", "slovenian"),
    ("sq", "alb", "sqi", "albanian"),
    ("sr", "srp", "srp", "serbian"),
    ("sv", "swe", "swe", "swedish"),
    ("sw", "swa", "swa", "swahili"),
    ("ta", "tam", "tam", "tamil"),
    ("te", "tel", "tel", "telugu"),
    ("th", "tha", "tha", "thai"),
    ("tl", "tgl", "tgl", "tagalog"),
    ("tr", "tur", "tur", "turkish"),
    ("uk", "ukr", "ukr", "ukrainian"),
    ("ur", "urd", "urd", "urdu"),
    ("uz", "uzb", "uzb", "uzbek"),
    ("vi", "vie", "vie", "vietnamese"),
    ("zh", "chi", "zho", "chinese"),
];

/// Other common spellings of language names seen in subtitle names.
const LANGUAGE_ALIASES: &[(&str, &str)] = &[
    ("brazilian", "por"),
    ("castilian", "spa"),
    ("deutsch", "ger"),
    ("espanol", "spa"),
    ("español", "spa"),
    ("farsi", "per"),
    ("flemish", "dut"),
    ("francais", "fre"),
    ("français", "fre"),
    ("latino", "spa"),
    ("mandarin", "chi"),
    ("cantonese", "chi"),
    ("nederlands", "dut"),
    ("portugues", "por"),
    ("português", "por"),
    ("simplified", "chi"),
    ("traditional", "chi"),
    ("chs", "chi"),
    ("cht", "chi"),
];

/// Resolves a name token to an ISO 639-2/B code: a 2- or 3-letter code (either 639-2 form), a
/// code with a region (`pt-BR`, `zh_Hans`) or an English or common name (`English`, `Deutsch`).
pub fn language_code(token: &str) -> Option<&'static str> {
    let lower = token.to_lowercase();
    // A region or script after the language code (`pt-BR`, `en_US`, `zh-Hans`) is dropped here;
    // the caller keeps the whole token in `language_tag`.
    let primary = match lower.split_once(['-', '_']) {
        Some((primary, region)) if (2..=3).contains(&primary.len()) && (2..=4).contains(&region.len()) => primary,
        _ => lower.as_str(),
    };
    for (alpha2, bibliographic, terminology, name) in LANGUAGES {
        if primary == *alpha2 || primary == *bibliographic || primary == *terminology || lower == *name {
            return Some(bibliographic);
        }
    }
    LANGUAGE_ALIASES.iter().find(|(alias, _)| lower == *alias).map(|(_, code)| *code)
}

/// Reads language and flags from a subtitle file's stem (the name without `.srt`).
///
/// `video_stems` are the stems of the folder's videos: a subtitle named after one is read only
/// from what follows that prefix, so a title word such as `Her` or `It` is never taken for a
/// language. Other names are read from their dot-separated tokens, last first, and a last token
/// such as `2_English` (RARBG's `Subs/` folders) is also split at `_`.
///
/// `hi` is the hearing-impaired flag when another token gives the language (`Movie.en.hi.srt`)
/// and Hindi when it is the only candidate (`Movie.hi.srt`).
pub(crate) fn parse_subtitle_name<'a>(stem: &str, video_stems: impl IntoIterator<Item = &'a str>) -> SubtitleInfo {
    let lower_stem = stem.to_lowercase();
    let mut rest = None;
    for video_stem in video_stems {
        let video_lower = video_stem.to_lowercase();
        if lower_stem == video_lower {
            rest = Some("");
            break;
        }
        if let Some(after) = lower_stem.strip_prefix(&video_lower)
            && let Some(after) = after.strip_prefix(['.', '_', '-', ' '])
        {
            // Slice the original-case stem so `language_tag` keeps the author's spelling.
            rest = Some(&stem[stem.len() - after.len()..]);
            break;
        }
    }
    let (tokens, whole_name_is_tokens): (Vec<&str>, bool) = match rest {
        Some(rest) => (rest.split('.').filter(|token| !token.is_empty()).collect(), true),
        None => {
            let mut tokens: Vec<&str> = stem.split('.').filter(|token| !token.is_empty()).collect();
            // `2_English` or `Movie_English`: the last word may hide behind an underscore.
            if let Some(last) = tokens.pop() {
                match last.rsplit_once(['_', ' ']) {
                    Some((before, after)) => {
                        tokens.push(before);
                        tokens.push(after);
                    }
                    None => tokens.push(last),
                }
            }
            (tokens, false)
        }
    };

    let mut info = SubtitleInfo::default();
    let mut hi_token = None;
    for token in tokens.iter().rev() {
        let lower = token.to_lowercase();
        match lower.as_str() {
            "forced" | "foreign" => info.forced = true,
            "sdh" | "cc" => info.hearing_impaired = true,
            "default" => info.default = true,
            "hi" if hi_token.is_none() => hi_token = Some(*token),
            _ => {
                if info.language.is_none()
                    && let Some(code) = language_code(token)
                {
                    info.language = Some(code.to_owned());
                    info.language_tag = Some((*token).to_owned());
                } else if !whole_name_is_tokens {
                    // Outside a known video prefix, only the trailing tokens describe the
                    // subtitle; anything before the first unknown word is part of a title.
                    break;
                }
            }
        }
    }
    if let Some(hi_token) = hi_token {
        if info.language.is_some() {
            info.hearing_impaired = true;
        } else {
            info.language = Some("hin".to_owned());
            info.language_tag = Some(hi_token.to_owned());
        }
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(language: Option<&str>, tag: Option<&str>, forced: bool, hearing_impaired: bool) -> SubtitleInfo {
        SubtitleInfo {
            language: language.map(str::to_owned),
            language_tag: tag.map(str::to_owned),
            forced,
            hearing_impaired,
            default: false,
        }
    }

    #[test]
    fn language_codes_names_and_regions_resolve() {
        assert_eq!(language_code("en"), Some("eng"));
        assert_eq!(language_code("ENG"), Some("eng"));
        assert_eq!(language_code("deu"), Some("ger"));
        assert_eq!(language_code("ger"), Some("ger"));
        assert_eq!(language_code("English"), Some("eng"));
        assert_eq!(language_code("pt-BR"), Some("por"));
        assert_eq!(language_code("zh_Hans"), Some("chi"));
        assert_eq!(language_code("Deutsch"), Some("ger"));
        assert_eq!(language_code("xx"), None);
        assert_eq!(language_code("1080p"), None);
    }

    #[test]
    fn subtitle_names_give_language_and_flags() {
        let video = ["The Matrix (1999)"];
        assert_eq!(parse_subtitle_name("The Matrix (1999).en", video), info(Some("eng"), Some("en"), false, false));
        assert_eq!(
            parse_subtitle_name("The Matrix (1999).en.forced", video),
            info(Some("eng"), Some("en"), true, false)
        );
        assert_eq!(
            parse_subtitle_name("The Matrix (1999).English.SDH", video),
            info(Some("eng"), Some("English"), false, true)
        );
        assert_eq!(parse_subtitle_name("The Matrix (1999).de.cc", video), info(Some("ger"), Some("de"), false, true));
        assert_eq!(parse_subtitle_name("The Matrix (1999).en.hi", video), info(Some("eng"), Some("en"), false, true));
        assert_eq!(parse_subtitle_name("The Matrix (1999).hi", video), info(Some("hin"), Some("hi"), false, false));
        assert_eq!(
            parse_subtitle_name("The Matrix (1999).forced.fre", video),
            info(Some("fre"), Some("fre"), true, false)
        );
        assert_eq!(
            parse_subtitle_name("The Matrix (1999).pt-BR", video),
            info(Some("por"), Some("pt-BR"), false, false)
        );
        assert_eq!(parse_subtitle_name("The Matrix (1999)", video), info(None, None, false, false));
        assert_eq!(parse_subtitle_name("2_English", video), info(Some("eng"), Some("English"), false, false));
        assert_eq!(parse_subtitle_name("English", video), info(Some("eng"), Some("English"), false, false));
        assert_eq!(parse_subtitle_name("Other Name.ja", video), info(Some("jpn"), Some("ja"), false, false));
        // A title word that happens to be a code is not a language outside the trailing tokens.
        assert_eq!(parse_subtitle_name("It.Follows.2014", video), info(None, None, false, false));
        let default = parse_subtitle_name("The Matrix (1999).en.default", video);
        assert!(default.default);
    }
}
