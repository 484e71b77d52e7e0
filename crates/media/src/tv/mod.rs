//! TV libraries: finding series folders under a library root (phase 1) and saying what every
//! file of a series, or of one of its seasons, is and which series, season or episode it belongs
//! to (phase 2), by Sonarr's layout and Kodi's and Jellyfin's naming (issue 17).
//!
//! The files are the movie classifier's [`FileKind`]s; what is new is the [`TvScope`] of each.

mod classify;
mod discover;

use std::path::PathBuf;

use crate::classify::FileKind;
use crate::episode::{EpisodeNumber, SeasonRef};
use crate::identity::NameIdentity;
use crate::stamp::FileStamp;
use crate::warning::ScanWarning;

pub use classify::{classify_season, classify_series};
pub use discover::discover_series;

/// Phase 1 for a TV library: the series folders directly under its root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeriesDiscovery {
    /// Absolute paths (the root joined with the folder's name), sorted; all valid UTF-8.
    pub series_folders: Vec<PathBuf>,
    /// The root or a series folder that could not be read, folder links not followed, series
    /// folders refused for a name that is not UTF-8 ([`ScanWarning::is_error`]).
    pub warnings: Vec<ScanWarning>,
}

/// Everything in one series folder (or in one of its season folders).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesScan {
    /// The series folder (also for [`classify_season`]).
    pub folder: PathBuf,
    /// Every file that is not ignored, sorted by relative path. Every path is valid UTF-8 and
    /// inside the folder walked: files named otherwise and symlinks leading out are warnings.
    pub files: Vec<SeriesFile>,
    /// What the series folder's name says (`Breaking Bad (2008) {tvdb-81189}`).
    pub identity: NameIdentity,
    /// Subfolders or entries that could not be read, symlinks not followed, names that are not
    /// UTF-8 ([`ScanWarning::is_error`]).
    pub warnings: Vec<ScanWarning>,
}

impl SeriesScan {
    /// The episode videos, in relative path order.
    pub fn episode_videos(&self) -> impl Iterator<Item = &SeriesFile> {
        self.files
            .iter()
            .filter(|file| matches!(file.kind, FileKind::Video { .. }) && matches!(file.scope, TvScope::Episode { .. }))
    }

    /// The files nothing recognised.
    pub fn unknown_files(&self) -> impl Iterator<Item = &SeriesFile> {
        self.files.iter().filter(|file| matches!(file.kind, FileKind::Unknown(_)))
    }
}

/// One file of a series folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesFile {
    /// Absolute path: the series folder joined with `relative`.
    pub path: PathBuf,
    /// Path relative to the series folder (also for [`classify_season`]).
    pub relative: PathBuf,
    /// Size, mtime and inode, for change detection.
    pub stamp: FileStamp,
    /// What the file is. An episode video is `FileKind::Video { role: VideoRole::Main, disc:
    /// None, part: None }`; an episode's own image is [`ArtworkKind::Thumb`](crate::ArtworkKind::Thumb).
    pub kind: FileKind,
    /// What the file belongs to.
    pub scope: TvScope,
}

/// What a file of a series folder belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TvScope {
    /// The series as a whole: `tvshow.nfo`, its artwork (`poster.jpg`, `fanart.jpg`,
    /// `banner.jpg`, `clearlogo.png`, `characterart.png`…), `theme.mp3`, `.actors/`, and the
    /// extras, trailers and theme videos in special folders directly in the series folder.
    Series,
    /// One season, or all of them: `season.nfo` in a season folder, `season01-poster.jpg` (and
    /// `season-all-poster.jpg`: [`SeasonRef::All`]) in the series folder, `poster.jpg` and the
    /// like inside a season folder.
    Season(SeasonRef),
    /// One episode file (or several, for a multi-episode file): the video, its NFO, its thumb
    /// image and its subtitles.
    Episode {
        /// The season: the one in the name (`S01E02`), else the season folder's, else the air
        /// date's year for a daily show, else 1 (absolute numbers).
        season: u32,
        /// The episode(s) as the name states them.
        number: EpisodeNumber,
        /// The episode's video (absolute path, as [`SeriesFile::path`]): the file itself for a
        /// video, the video with the same stem in the same folder for its NFO, thumb and
        /// subtitles; `None` when no such video is on disk (an NFO kept for a deleted episode).
        video: Option<PathBuf>,
    },
    /// Nothing in particular: unknown files, samples, extras inside a season folder, NFOs and
    /// images that name no episode, season or series.
    Other,
}

impl TvScope {
    /// A stable lowercase name for storage (`series`, `season`, `episode`, `other`); never
    /// renamed.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Series => "series",
            Self::Season(_) => "season",
            Self::Episode { .. } => "episode",
            Self::Other => "other",
        }
    }
}
