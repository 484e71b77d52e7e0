//! Which files and folders a scan skips entirely: NAS and OS metadata, hidden entries, sample
//! videos, download leftovers, and a library's own glob patterns.

use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::naming::{self, VideoMarker};

/// Folder and file names skipped by default, compared ignoring case.
///
/// NAS and OS housekeeping that never belongs to a film: Synology (`@eaDir`, `#recycle`,
/// `#snapshot`), QNAP (`.@__thumb`, `@Recycle`), Windows (`$RECYCLE.BIN`, `System Volume
/// Information`, `Thumbs.db`, `desktop.ini`), macOS (`.DS_Store`) and `lost+found`.
pub const DEFAULT_IGNORED_NAMES: &[&str] = &[
    "@eaDir",
    "#recycle",
    "#snapshot",
    "@Recycle",
    "$RECYCLE.BIN",
    ".@__thumb",
    "System Volume Information",
    "lost+found",
    "Thumbs.db",
    "desktop.ini",
    ".DS_Store",
    "RARBG_DO_NOT_MIRROR.exe",
];

/// A user ignore pattern that is not a valid glob.
#[derive(Debug, thiserror::Error)]
#[error("invalid ignore pattern {pattern:?}")]
pub struct IgnorePatternError {
    /// The pattern as the user wrote it.
    pub pattern: String,
    /// Why `globset` refused it.
    #[source]
    pub source: globset::Error,
}

/// The ignore rules of one library: built-in defaults plus the library's glob patterns.
///
/// Built-in rules (always on):
/// - the names in [`DEFAULT_IGNORED_NAMES`], files or folders;
/// - hidden files and folders (a leading `.`), except Kodi's `.actors/` folder of actor images;
/// - `RARBG*.txt` release-group notes.
///
/// Sample videos (`sample.mkv`, `movie-sample.mkv`, any video inside a `Sample/` folder) are
/// skipped too unless [`IgnoreRules::keep_samples`] is set; kept samples are classified as
/// [`crate::FileKind::Sample`]. Either way a sample is never a main video.
///
/// User patterns are `globset` globs matched ignoring case against both the entry's path
/// relative to the library root (`/`-separated: `Collections/*/Extras`) and its bare name
/// (`*.part`); `*` does not cross `/`, `**` does. `{a,b}` and `[abc]` are glob syntax, so
/// names holding braces or brackets (`{tmdb-603}`, `[REC]`) are matched with `*` or `?`, or
/// escaped as `[{]`/`[[]`.
#[derive(Clone, Debug, Default)]
pub struct IgnoreRules {
    patterns: Vec<String>,
    set: GlobSet,
    keep_samples: bool,
}

impl IgnoreRules {
    /// The built-in defaults plus the given user patterns.
    ///
    /// # Errors
    ///
    /// The first pattern that is not a valid glob, named in the error.
    pub fn new<I, S>(user_patterns: I) -> Result<Self, IgnorePatternError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut builder = GlobSetBuilder::new();
        let mut patterns = Vec::new();
        for pattern in user_patterns {
            let pattern = pattern.as_ref().trim();
            if pattern.is_empty() {
                continue;
            }
            let glob = GlobBuilder::new(pattern)
                .case_insensitive(true)
                .literal_separator(true)
                .build()
                .map_err(|source| IgnorePatternError { pattern: pattern.to_owned(), source })?;
            builder.add(glob);
            patterns.push(pattern.to_owned());
        }
        // Building a set only fails on a glob that failed above, so the pattern cannot be named
        // here beyond the whole list.
        let set = builder.build().map_err(|source| IgnorePatternError { pattern: patterns.join(", "), source })?;
        Ok(Self { patterns, set, keep_samples: false })
    }

    /// Keeps sample videos (classified as samples) instead of skipping them.
    #[must_use]
    pub fn keep_samples(mut self, keep: bool) -> Self {
        self.keep_samples = keep;
        self
    }

    /// Whether sample videos are kept.
    pub fn keeps_samples(&self) -> bool {
        self.keep_samples
    }

    /// The user patterns, trimmed, in the order given.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether a folder is skipped, with all it holds. `relative` is its path relative to the
    /// library root.
    pub fn is_ignored_dir(&self, relative: &Path, name: &str) -> bool {
        if name.eq_ignore_ascii_case(".actors") {
            return self.matches_user_pattern(relative, name);
        }
        is_default_ignored_name(name) || self.matches_user_pattern(relative, name)
    }

    /// Whether a file is skipped. `relative` is its path relative to the library root;
    /// `in_sample_folder` says whether a folder between it and its movie folder is `Sample/`.
    pub fn is_ignored_file(&self, relative: &Path, name: &str, in_sample_folder: bool) -> bool {
        if is_default_ignored_name(name) || is_rarbg_note(name) {
            return true;
        }
        if !self.keep_samples && naming::is_video_name(name) {
            let stem = naming::split_name(name).0;
            if in_sample_folder || naming::video_marker(stem) == Some(VideoMarker::Sample) {
                return true;
            }
        }
        self.matches_user_pattern(relative, name)
    }

    fn matches_user_pattern(&self, relative: &Path, name: &str) -> bool {
        !self.set.is_empty() && (self.set.is_match(relative) || self.set.is_match(Path::new(name)))
    }
}

fn is_default_ignored_name(name: &str) -> bool {
    name.starts_with('.') || DEFAULT_IGNORED_NAMES.iter().any(|ignored| ignored.eq_ignore_ascii_case(name))
}

fn is_rarbg_note(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("rarbg") && lower.ends_with(".txt")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_skip_nas_metadata_hidden_entries_and_notes() {
        let rules = IgnoreRules::default();
        for name in ["@eaDir", "#recycle", "$RECYCLE.BIN", ".@__thumb", "lost+found", ".git", "@EADIR"] {
            assert!(rules.is_ignored_dir(Path::new(name), name), "{name}");
        }
        assert!(!rules.is_ignored_dir(Path::new("Movie/.actors"), ".actors"));
        assert!(!rules.is_ignored_dir(Path::new("Movie"), "Movie"));
        for name in ["Thumbs.db", ".DS_Store", "RARBG.txt", "RARBG_DO_NOT_MIRROR.exe", "rarbg.com.txt", ".hidden.mkv"] {
            assert!(rules.is_ignored_file(Path::new(name), name, false), "{name}");
        }
        assert!(!rules.is_ignored_file(Path::new("movie.txt"), "movie.txt", false));
    }

    #[test]
    fn samples_are_skipped_unless_kept() {
        let rules = IgnoreRules::default();
        assert!(rules.is_ignored_file(Path::new("M/movie-sample.mkv"), "movie-sample.mkv", false));
        assert!(rules.is_ignored_file(Path::new("M/Sample/movie.mkv"), "movie.mkv", true));
        // A sample folder's screenshots are not videos, so they stay (as unknown files).
        assert!(!rules.is_ignored_file(Path::new("M/Sample/shot.jpg"), "shot.jpg", true));
        assert!(!rules.is_ignored_file(Path::new("HDR Sample (2020).mkv"), "HDR Sample (2020).mkv", false));
        let kept = IgnoreRules::default().keep_samples(true);
        assert!(!kept.is_ignored_file(Path::new("M/movie-sample.mkv"), "movie-sample.mkv", false));
    }

    #[test]
    fn user_patterns_match_relative_path_or_name_ignoring_case() {
        let rules = IgnoreRules::new(["*.PART", "Downloads/**", "Collections/*/Extras", " "]).expect("valid patterns");
        assert_eq!(rules.patterns(), ["*.PART", "Downloads/**", "Collections/*/Extras"]);
        assert!(rules.is_ignored_file(Path::new("A/b/movie.part"), "movie.part", false));
        assert!(rules.is_ignored_file(Path::new("Downloads/x/movie.mkv"), "movie.mkv", false));
        assert!(rules.is_ignored_dir(Path::new("Collections/Matrix/extras"), "extras"));
        assert!(!rules.is_ignored_dir(Path::new("Collections/Matrix/Deep/Extras"), "Extras"));
        assert!(!rules.is_ignored_file(Path::new("A/movie.mkv"), "movie.mkv", false));
    }

    #[test]
    fn invalid_pattern_error_names_the_pattern() {
        let err = IgnoreRules::new(["*.ok", "[unclosed"]).expect_err("unclosed class is invalid");
        assert_eq!(err.pattern, "[unclosed");
        assert!(err.to_string().contains("[unclosed"), "{err}");
    }
}
