//! Limits on text and numbers from outside, defined once: the API, the web UI and the NFO import
//! all check against these, so a value one of them accepts the others accept too.
//!
//! Two rules hold for every text: it fits its field's length (counted in characters), and it
//! holds no character a backend cannot store. PostgreSQL refuses NUL (U+0000) in text and in
//! JSONB, and SQLite would store it silently, so NUL is refused everywhere; single-line fields
//! (names, titles, hosts) refuse every control character, multi-line ones (plots) keep tab and
//! line breaks. User input that breaks a rule is refused with a message naming the field;
//! imported text (NFO files) is cleaned and cut to fit, with a warning naming the field.

use std::borrow::Cow;
use std::ops::RangeInclusive;

/// Longest name (library, player group), host, username or cron expression.
pub const MAX_NAME_CHARS: usize = 255;
/// Longest path; longer than any real path, short enough to refuse pasted garbage.
pub const MAX_PATH_CHARS: usize = 4096;
/// Longest secret (token, password, webhook URL).
pub const MAX_SECRET_CHARS: usize = 4096;
/// Longest value of a movie's short text fields (title, tagline, one genre…).
pub const MAX_TEXT_CHARS: usize = 1_000;
/// Longest plot or outline: any real one fits, a pasted file does not.
pub const MAX_LONG_TEXT_CHARS: usize = 10_000;
/// Most genres a movie may have.
pub const MAX_GENRES: usize = 100;
/// Most cast members a movie keeps (TMDB lists a few hundred for the largest ensembles).
pub const MAX_CAST: usize = 500;

/// Years a movie can have: the first films are from 1888, and nothing is planned past 2100.
pub const YEARS: RangeInclusive<i64> = 1870..=2100;
/// Runtimes in minutes: the longest film ever shown runs about 51,420 minutes.
pub const RUNTIME_MINUTES: RangeInclusive<i64> = 0..=100_000;
/// TMDB ids: positive 32-bit integers.
pub const TMDB_IDS: RangeInclusive<i64> = 1..=2_147_483_647;

/// Which control characters a field may hold (never NUL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Controls {
    /// None: names, titles, hosts.
    None,
    /// Tab and line breaks: plots and outlines.
    Whitespace,
    /// Any but NUL: secrets are passed on as given.
    AnyButNul,
}

/// What a text field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    pub max_chars: usize,
    pub controls: Controls,
}

/// A library, player group or other name.
pub const NAME: TextRule = TextRule { max_chars: MAX_NAME_CHARS, controls: Controls::None };
/// A path on this machine or a player's (file names may hold control characters, never NUL).
pub const PATH: TextRule = TextRule { max_chars: MAX_PATH_CHARS, controls: Controls::AnyButNul };
/// A password, token or secret URL.
pub const SECRET: TextRule = TextRule { max_chars: MAX_SECRET_CHARS, controls: Controls::AnyButNul };
/// A movie's short text field.
pub const TEXT: TextRule = TextRule { max_chars: MAX_TEXT_CHARS, controls: Controls::None };
/// A movie's plot or outline.
pub const LONG_TEXT: TextRule = TextRule { max_chars: MAX_LONG_TEXT_CHARS, controls: Controls::Whitespace };

/// Why a text was refused; every variant names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// The text holds U+0000, which PostgreSQL cannot store.
    #[error("{field} holds a NUL character (U+0000), which cannot be stored")]
    Nul { field: String },
    /// The text holds a control character the field does not allow.
    #[error("{field} holds the control character U+{code:04X}, which is not allowed here")]
    Control { field: String, code: u32 },
    /// The text is longer than the field allows.
    #[error("{field} is too long: {chars} characters, at most {max}")]
    TooLong { field: String, chars: usize, max: usize },
}

impl TextRule {
    fn allows(self, ch: char) -> bool {
        match self.controls {
            _ if ch == '\0' => false,
            _ if !ch.is_control() => true,
            Controls::None => false,
            Controls::Whitespace => matches!(ch, '\t' | '\n' | '\r'),
            Controls::AnyButNul => true,
        }
    }

    /// Checks user input: `Err` names the field and what is wrong.
    pub fn check(self, field: &str, text: &str) -> Result<(), TextError> {
        if let Some(ch) = text.chars().find(|ch| !self.allows(*ch)) {
            return Err(if ch == '\0' {
                TextError::Nul { field: field.to_owned() }
            } else {
                TextError::Control { field: field.to_owned(), code: u32::from(ch) }
            });
        }
        let chars = text.chars().take(self.max_chars + 1).count();
        if chars > self.max_chars {
            return Err(TextError::TooLong {
                field: field.to_owned(),
                chars: text.chars().count(),
                max: self.max_chars,
            });
        }
        Ok(())
    }

    /// Makes imported text fit: characters the field does not allow are dropped (a line break
    /// or tab in a single-line field becomes a space) and the rest is cut at `max_chars`, at a
    /// character boundary. Each change adds a warning naming the field.
    pub fn fit(self, field: &str, text: String, warnings: &mut Vec<String>) -> String {
        let mut text = text;
        if text.chars().any(|ch| !self.allows(ch)) {
            let dropped = text.chars().filter(|ch| !self.allows(*ch)).count();
            text = text
                .chars()
                .filter_map(|ch| match ch {
                    _ if self.allows(ch) => Some(ch),
                    '\t' | '\n' | '\r' => Some(' '),
                    _ => None,
                })
                .collect();
            warnings.push(format!("{field}: {dropped} control character(s) removed"));
        }
        if let Some((cut_at, _)) = text.char_indices().nth(self.max_chars) {
            let chars = text.chars().count();
            text.truncate(cut_at);
            warnings.push(format!("{field}: {chars} characters cut to {}", self.max_chars));
        }
        text
    }
}

/// `text` with every NUL replaced by U+FFFD, for copies kept as evidence (the webhook log)
/// where refusing is not an option; `Cow::Borrowed` when there was none.
pub fn without_nul(text: &str) -> Cow<'_, str> {
    if text.contains('\0') { Cow::Owned(text.replace('\0', "\u{fffd}")) } else { Cow::Borrowed(text) }
}

/// Checks a number against its range; the message names the field and the range.
pub fn check_range(field: &str, value: i64, range: &RangeInclusive<i64>) -> Result<(), String> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(format!("{field} must be from {} to {}, got {value}", range.start(), range.end()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_checked_for_nul_controls_and_length() {
        assert!(NAME.check("name", "Films d'été").is_ok());
        assert_eq!(NAME.check("name", "A\0B"), Err(TextError::Nul { field: "name".into() }));
        assert_eq!(NAME.check("name", "A\nB"), Err(TextError::Control { field: "name".into(), code: 10 }));
        assert!(LONG_TEXT.check("plot", "one\n\ttwo").is_ok());
        assert!(LONG_TEXT.check("plot", "one\u{7}").is_err());
        assert!(SECRET.check("token", "a\u{1}b").is_ok());
        assert!(SECRET.check("token", "a\0b").is_err());
        assert!(NAME.check("name", &"é".repeat(MAX_NAME_CHARS)).is_ok(), "counts characters, not bytes");
        let err = NAME.check("name", &"x".repeat(MAX_NAME_CHARS + 5)).expect_err("too long");
        assert_eq!(err.to_string(), "name is too long: 260 characters, at most 255");
    }

    #[test]
    fn imported_text_is_cleaned_and_cut_at_a_character_boundary() {
        let mut warnings = Vec::new();
        assert_eq!(TEXT.fit("title", "A\0B\tC".into(), &mut warnings), "AB C");
        assert_eq!(warnings, vec!["title: 2 control character(s) removed"]);
        warnings.clear();
        let plot = LONG_TEXT.fit("plot", "é".repeat(MAX_LONG_TEXT_CHARS + 3), &mut warnings);
        assert_eq!(plot.chars().count(), MAX_LONG_TEXT_CHARS);
        assert_eq!(
            warnings,
            vec![format!("plot: {} characters cut to {MAX_LONG_TEXT_CHARS}", MAX_LONG_TEXT_CHARS + 3)]
        );
        warnings.clear();
        assert_eq!(LONG_TEXT.fit("plot", "fine\nas is".into(), &mut warnings), "fine\nas is");
        assert!(warnings.is_empty());
    }

    #[test]
    fn ranges_name_the_field() {
        assert!(check_range("year", 1999, &YEARS).is_ok());
        assert_eq!(check_range("year", -5, &YEARS), Err("year must be from 1870 to 2100, got -5".into()));
    }
}
