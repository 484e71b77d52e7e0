//! Finding movie folders (and TV series folders) in a library and saying what every file in
//! them is, by the naming rules of Kodi, Jellyfin, Plex and Sonarr (docs/files.md).
//!
//! Pure and synchronous: no async runtime, database or HTTP. Callers run it off the async
//! executor (`spawn_blocking`). It reads folder listings and file metadata only, never file
//! contents, except an image's header when [`image_dimensions`] is asked.
//!
//! # Use
//!
//! ```no_run
//! use std::path::Path;
//! use metarr_media::{FileKind, IgnoreRules, VideoRole, classify_folder, discover};
//!
//! let root = Path::new("/movies");
//! let rules = IgnoreRules::new(["*.part", "Downloads/**"])?;
//! let discovery = discover(root, &rules); // phase 1: every movie folder, at any depth
//! for folder in &discovery.movie_folders {
//!     let scan = classify_folder(root, folder, &rules)?; // phase 2: every file of one film
//!     if let Some(video) = scan.main_video() {
//!         let _unchanged = video.stamp; // compare with the stored FileStamp to skip work
//!     }
//!     for file in &scan.files {
//!         if let FileKind::Video { role: VideoRole::Version, .. } = file.kind { /* … */ }
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # API
//!
//! - [`IgnoreRules`]: built-in skips (NAS metadata such as `@eaDir` and `#recycle`, hidden
//!   entries, sample videos, `RARBG*.txt`, `Thumbs.db`, `.DS_Store`) plus a library's globs;
//!   [`IgnorePatternError`] names a bad pattern.
//! - [`discover`] → [`Discovery`]: movie folders under a root, with [`ScanWarning`]s for what
//!   could not be read. A movie folder holds a main video or a disc structure; collections nest
//!   at any depth; a movie folder's own subfolders are not searched for more films.
//! - [`classify_folder`] → [`FolderScan`]: every [`MediaFile`] of one movie folder with its
//!   [`FileStamp`] and [`FileKind`]: the main video and other versions ([`VideoRole`]; a
//!   `BDMV/` or `VIDEO_TS/` structure is one video, see [`Disc`]), NFOs ([`NfoRole`]), artwork
//!   ([`ArtworkKind`] with an index for numbered fanart and `extrafanart/`), actor images,
//!   subtitles ([`SubtitleInfo`]: language, forced, SDH), trailers, extras ([`ExtraKind`]),
//!   theme music and videos, samples, and unknown files with a coarse [`UnknownKind`].
//! - [`parse_folder_name`] → [`NameIdentity`]: title, year, TMDB/IMDb/TVDB ids and edition from
//!   `Title (Year) {tmdb-603}` and scene names.
//! - TV libraries: [`discover_series`] → [`SeriesDiscovery`] (the series folders directly under
//!   a root); [`classify_series`] and [`classify_season`] → [`SeriesScan`]: every
//!   [`SeriesFile`] of a series (or of one season folder) with its [`FileKind`] and the
//!   [`TvScope`] it belongs to (series, season, episode or nothing), episodes read by
//!   [`parse_episode`] and season folders by [`season_of_folder`].
//! - [`image_dimensions`]: width and height from an image header.
//! - [`FileStamp`]: (size, mtime, inode); equal stamps mean an unchanged file.
//! - [`language_code`]: a subtitle language token to its ISO 639-2/B code.
//!
//! # Rules worth knowing
//!
//! - The main video is the largest video in the folder's root that is not a sample, trailer or
//!   extra by name; a disc structure counts with the total size of its files, a stacked film
//!   (`Movie CD1.avi`, `Movie CD2.avi`) with the total of its parts (the first part is main,
//!   later parts are versions with a part number). Ties go to the first name. Videos in
//!   unrecognised subfolders are [`UnknownKind::Video`], not versions.
//! - Artwork names are recognised in the folder's root only, bare (`poster.jpg`) or prefixed
//!   by a video's stem or the folder's name (`The Matrix (1999)-poster.jpg`); an image named
//!   exactly like a video is its poster.
//! - Samples are named `sample…`/`…-sample` (or sit in `Sample/`), not merely containing
//!   the word: Kodi's looser rule hid a film called "HDR Sample (2020)".
//! - Enums have `as_str()` names (and [`FileKind::category`]) that are stable for storage.
//! - Flat libraries (many films' videos in one folder) are not supported: such a folder is one
//!   movie folder whose other videos are versions.
//!
//! # Symlinks and names
//!
//! A scan never reads outside its library root, and a film never takes another folder's files.
//! Paths are compared in canonical form (each symlink resolved once, from its folder's known
//! real path; the root canonicalised once, and only when a link is met), so a root that is
//! itself a symlink (`/mnt/media → /volume1/media`) works and folders without links cost no
//! extra system call.
//!
//! - Discovery follows no folder symlinks. A folder link out of the root is a
//!   [`ScanWarningKind::SymlinkOutsideLibrary`]; one to a parent a
//!   [`ScanWarningKind::SymlinkLoop`]; one to another folder of the library a
//!   [`ScanWarningKind::SymlinkWithinLibrary`]: that folder is found at its real path (unless
//!   ignored), so no film is catalogued twice or under a path that depends on name order. A file
//!   link makes its folder a movie folder only when it leads inside that folder.
//! - Classification follows a symlink (file or folder) only when it leads inside the movie
//!   folder (`poster.jpg → artwork/p.jpg`); a link anywhere else (`up → ..`, an absolute path,
//!   a sibling movie folder) is left out as a [`ScanWarningKind::SymlinkOutsideFolder`] or
//!   [`ScanWarningKind::SymlinkOutsideLibrary`]. A movie folder that is itself reached through a
//!   link out of the root is a [`ClassifyError::OutsideLibrary`].
//! - Every path returned is valid UTF-8: callers store paths as text, and a lossy conversion
//!   would merge `Bad\xff` and `Bad\xfe`. A movie folder, file or subfolder whose name is not
//!   UTF-8 is left out with a [`ScanWarningKind::NotUtf8`], the one warning whose
//!   [`ScanWarning::is_error`] is true (a film or file is missing until it is renamed);
//!   [`classify_folder`] refuses such a folder with [`ClassifyError::NotUtf8`]. Messages write
//!   the offending bytes as `\xNN`, so two such names stay distinguishable.

#![warn(missing_docs)]

mod classify;
mod discover;
mod episode;
mod identity;
mod ignore;
mod image;
mod naming;
mod stamp;
mod subtitle;
mod tv;
mod walk;
mod warning;

pub use classify::{
    ClassifyError, Disc, FileCategory, FileKind, FolderScan, MediaFile, NfoRole, VideoRole, classify_folder,
};
pub use discover::{DiscKind, Discovery, discover};
pub use episode::{EpisodeNumber, SeasonArt, SeasonRef, parse_episode, season_artwork, season_of_folder};
pub use identity::{NameIdentity, parse_folder_name};
pub use ignore::{DEFAULT_IGNORED_NAMES, IgnorePatternError, IgnoreRules};
pub use image::{image_dimensions, image_dimensions_from_bytes};
pub use naming::{ArtworkKind, ExtraKind, UnknownKind};
pub use stamp::FileStamp;
pub use subtitle::{SubtitleInfo, language_code};
pub use tv::{SeriesDiscovery, SeriesFile, SeriesScan, TvScope, classify_season, classify_series, discover_series};
pub use warning::{ScanWarning, ScanWarningKind};
