//! Languages: the one Metarr asks providers for, with its fallback chain, and the language
//! of a piece of artwork, where "none" (textless) is a value of its own, not a magic string.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A language as TMDB takes it: ISO 639-1 (`fr`), optionally with an ISO 3166-1 region
/// (`fr-CA`). Stored normalised: language in lower case, region in upper case, `-` between.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language {
    tag: String,
}

/// Text that is not `xx` or `xx-YY`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a language such as \"en\" or \"fr-CA\" (ISO 639-1, optionally with an ISO 3166-1 region)")]
pub struct InvalidLanguage(pub String);

impl Language {
    /// Parses `fr`, `fr-CA`, and the spellings `FR-ca` and `fr_CA`.
    pub fn parse(text: &str) -> Result<Self, InvalidLanguage> {
        let invalid = || InvalidLanguage(text.to_owned());
        let trimmed = text.trim();
        let (language, region) = match trimmed.split_once(['-', '_']) {
            Some((language, region)) => (language, Some(region)),
            None => (trimmed, None),
        };
        let is_letters = |part: &str| part.len() == 2 && part.bytes().all(|byte| byte.is_ascii_alphabetic());
        if !is_letters(language) || region.is_some_and(|region| !is_letters(region)) {
            return Err(invalid());
        }
        let mut tag = language.to_ascii_lowercase();
        if let Some(region) = region {
            tag.push('-');
            tag.push_str(&region.to_ascii_uppercase());
        }
        Ok(Language { tag })
    }

    /// `en-US`, Metarr's default.
    pub fn english_us() -> Self {
        Language { tag: "en-US".to_owned() }
    }

    /// The whole tag (`fr-CA`).
    pub fn as_str(&self) -> &str {
        &self.tag
    }

    /// The ISO 639-1 part (`fr`).
    pub fn primary(&self) -> &str {
        self.tag.split('-').next().unwrap_or(&self.tag)
    }

    /// The languages to try, best first, for a text field a provider may not have in the
    /// configured language: the tag itself, its language without region, English, then the
    /// film's original language (TMDB's `original_language`), each once.
    ///
    /// `fr-CA` with original language `ja` gives `["fr-CA", "fr", "en", "ja"]`; `en-US` with
    /// `en` gives `["en-US", "en"]`. English comes before the original language because it
    /// is the language every TMDB entry is most likely to be complete in.
    pub fn fallback_chain(&self, original_language: Option<&str>) -> Vec<String> {
        let mut chain = vec![self.tag.clone()];
        let mut push = |code: &str| {
            if !code.is_empty() && !chain.iter().any(|known| known.eq_ignore_ascii_case(code)) {
                chain.push(code.to_owned());
            }
        };
        push(self.primary());
        push("en");
        if let Some(original) = original_language {
            push(&original.trim().to_ascii_lowercase());
        }
        chain
    }
}

impl Default for Language {
    fn default() -> Self {
        Language::english_us()
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tag)
    }
}

impl TryFrom<String> for Language {
    type Error = InvalidLanguage;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Language::parse(&text)
    }
}

impl From<Language> for String {
    fn from(language: Language) -> Self {
        language.tag
    }
}

/// The language of the text on an image.
///
/// TMDB says "no text" with `iso_639_1: null`, Fanart.tv with `lang: "00"` (or `""`), and
/// TMDB's code for "no language" is `xx`: all of them are [`ArtLanguage::Textless`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum ArtLanguage {
    /// No text on the image (or no language given).
    #[default]
    Textless,
    /// Text in this ISO 639-1 language, in lower case.
    Language(String),
}

impl ArtLanguage {
    /// Interprets a provider's value; see the type's documentation.
    pub fn from_code(code: Option<&str>) -> Self {
        match code.map(str::trim) {
            None | Some("" | "00" | "xx" | "XX") => ArtLanguage::Textless,
            Some(code) => ArtLanguage::Language(code.to_ascii_lowercase()),
        }
    }

    /// The language code, or `None` for textless art.
    pub fn code(&self) -> Option<&str> {
        match self {
            ArtLanguage::Textless => None,
            ArtLanguage::Language(code) => Some(code),
        }
    }
}

impl<'de> Deserialize<'de> for ArtLanguage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = Option::<String>::deserialize(deserializer)?;
        Ok(ArtLanguage::from_code(code.as_deref()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        assert_eq!(Language::parse("fr-CA").unwrap().as_str(), "fr-CA");
        assert_eq!(Language::parse(" FR_ca ").unwrap().as_str(), "fr-CA");
        assert_eq!(Language::parse("de").unwrap().as_str(), "de");
        assert_eq!(Language::parse("pt-BR").unwrap().primary(), "pt");
        for bad in ["", "f", "fra", "fr-", "fr-CAN", "fr-C1", "12", "en-US-x"] {
            assert!(Language::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn fallback_chain_goes_region_language_english_original() {
        let french_canada = Language::parse("fr-CA").unwrap();
        assert_eq!(french_canada.fallback_chain(None), ["fr-CA", "fr", "en"]);
        assert_eq!(french_canada.fallback_chain(Some("ja")), ["fr-CA", "fr", "en", "ja"]);
        assert_eq!(french_canada.fallback_chain(Some("fr")), ["fr-CA", "fr", "en"]);
        assert_eq!(Language::default().fallback_chain(Some("en")), ["en-US", "en"]);
        assert_eq!(Language::parse("en").unwrap().fallback_chain(Some("ko")), ["en", "ko"]);
    }

    #[test]
    fn deserializes_from_a_string_and_refuses_garbage() {
        assert_eq!(serde_json::from_str::<Language>("\"de-AT\"").unwrap().as_str(), "de-AT");
        assert!(serde_json::from_str::<Language>("\"german\"").is_err());
    }

    #[test]
    fn art_language_textless_forms() {
        for json in ["null", "\"\"", "\"00\"", "\"xx\""] {
            assert_eq!(serde_json::from_str::<ArtLanguage>(json).unwrap(), ArtLanguage::Textless, "{json}");
        }
        assert_eq!(serde_json::from_str::<ArtLanguage>("\"EN\"").unwrap(), ArtLanguage::Language("en".to_owned()));
        assert_eq!(ArtLanguage::Language("de".to_owned()).code(), Some("de"));
    }
}
