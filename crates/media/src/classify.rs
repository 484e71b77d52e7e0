//! Phase 2 of a scan: lists every file of one movie folder and says what each one is.

use std::collections::HashMap;
use std::fs::Metadata;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::discover::DiscKind;
use crate::identity::{NameIdentity, parse_folder_name};
use crate::ignore::IgnoreRules;
use crate::naming::{self, ArtworkKind, ExtraKind, SpecialFolder, UnknownKind, VideoMarker};
use crate::stamp::{self, FileStamp};
use crate::subtitle::{SubtitleInfo, parse_subtitle_name};
use crate::walk::{self, Confinement, LazyCanonical, LinkPolicy, Location, Visited};
use crate::warning::{EscapedPath, ScanWarning, ScanWarningKind};

/// Why a movie folder (or a TV series or season folder) could not be classified at all.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// The folder is not inside the library root (by its path, or because it or a folder above
    /// it is a symlink leading out of the root), so it is not read.
    #[error("{folder} is not inside the library root {root}")]
    OutsideLibrary {
        /// The folder asked for.
        folder: PathBuf,
        /// The library root.
        root: PathBuf,
    },
    /// The folder itself cannot be listed (gone, or no permission).
    #[error("cannot read folder {path}")]
    Unreadable {
        /// The folder.
        path: PathBuf,
        /// The IO error.
        #[source]
        source: io::Error,
    },
    /// The folder's path is not valid UTF-8: the catalogue keeps paths as text, and a lossy
    /// conversion would merge it with another folder.
    #[error("folder {} is not a UTF-8 path; rename it to UTF-8", EscapedPath(.folder))]
    NotUtf8 {
        /// The folder asked for.
        folder: PathBuf,
    },
    /// A season folder asked for is not inside its series folder (by its path, or because it is
    /// a symlink leading elsewhere), so it is not read as that series' season.
    #[error("{folder} is not inside the series folder {series}")]
    OutsideSeries {
        /// The season folder asked for.
        folder: PathBuf,
        /// The series folder.
        series: PathBuf,
    },
}

/// Everything in one movie folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderScan {
    /// The movie folder.
    pub folder: PathBuf,
    /// Every file that is not ignored, sorted by relative path; a disc structure is one entry.
    /// Every path is valid UTF-8 and inside the folder: files named otherwise and symlinks
    /// leading out of the folder are warnings instead.
    pub files: Vec<MediaFile>,
    /// What the names say about the film: the folder's name, or the main video's name when the
    /// folder's name has no year or id and the video's has.
    pub identity: NameIdentity,
    /// Subfolders or entries that could not be read, symlinks not followed, names that are not
    /// UTF-8 ([`ScanWarning::is_error`]).
    pub warnings: Vec<ScanWarning>,
}

impl FolderScan {
    /// The main video, if the folder has one (it has none if its videos vanished since
    /// discovery, or the folder only holds samples and extras).
    pub fn main_video(&self) -> Option<&MediaFile> {
        self.files.iter().find(|file| matches!(file.kind, FileKind::Video { role: VideoRole::Main, .. }))
    }

    /// Files with the given kind, by a predicate on the kind.
    pub fn files_where(&self, predicate: impl Fn(&FileKind) -> bool) -> impl Iterator<Item = &MediaFile> {
        self.files.iter().filter(move |file| predicate(&file.kind))
    }

    /// The files nothing recognised.
    pub fn unknown_files(&self) -> impl Iterator<Item = &MediaFile> {
        self.files_where(|kind| matches!(kind, FileKind::Unknown(_)))
    }
}

/// One file of a movie folder (or one disc structure).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaFile {
    /// Absolute path: the folder joined with `relative`. For a disc structure, the `BDMV` or
    /// `VIDEO_TS` folder.
    pub path: PathBuf,
    /// Path relative to the movie folder.
    pub relative: PathBuf,
    /// Size, mtime and inode, for change detection.
    pub stamp: FileStamp,
    /// What the file is.
    pub kind: FileKind,
}

/// What a file in a movie folder is (docs/files.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A video of the film itself (file or disc structure).
    Video {
        /// Main video or another version.
        role: VideoRole,
        /// Set when the "video" is a disc structure.
        disc: Option<Disc>,
        /// The part number when the film is split across files (`CD1`, `part2`), for every
        /// file of the stack: the main video is part 1, later parts are versions with their
        /// number.
        part: Option<u32>,
    },
    /// A `.nfo` file.
    Nfo {
        /// Which video it belongs to, by name.
        role: NfoRole,
    },
    /// A recognised artwork file.
    Artwork {
        /// The slot.
        kind: ArtworkKind,
        /// For numbered fanart the number in its name (`fanart2` → 2); for `extrafanart/` and
        /// `extrathumbs/` the 1-based position in name order.
        index: Option<u32>,
        /// Named after a video (`The Matrix (1999)-poster.jpg`) or the folder rather than bare
        /// (`poster.jpg`).
        prefixed: bool,
    },
    /// An image in Kodi's `.actors/` folder.
    ActorImage {
        /// The actor's name from the file name (`First_Last` → `First Last`).
        actor: String,
    },
    /// A subtitle file.
    Subtitle(SubtitleInfo),
    /// A trailer (`-trailer`, `.trailer`, `trailer.mkv`, or any video in `trailers/`).
    Trailer,
    /// An extra (a video in an extras folder or with an extras suffix).
    Extra(ExtraKind),
    /// Theme music: `theme.mp3` and the like, or audio in `theme-music/`.
    ThemeMusic,
    /// A theme video in Jellyfin's `backdrops/` folder.
    ThemeVideo,
    /// A sample video (only listed when [`IgnoreRules::keep_samples`] is set).
    Sample,
    /// Anything else: recorded, never touched.
    Unknown(UnknownKind),
}

impl FileKind {
    /// The file's category, stored by its name.
    pub fn category(&self) -> FileCategory {
        match self {
            Self::Video { .. } => FileCategory::Video,
            Self::Nfo { .. } => FileCategory::Nfo,
            Self::Artwork { .. } => FileCategory::Artwork,
            Self::ActorImage { .. } => FileCategory::ActorImage,
            Self::Subtitle(_) => FileCategory::Subtitle,
            Self::Trailer => FileCategory::Trailer,
            Self::Extra(_) => FileCategory::Extra,
            Self::ThemeMusic => FileCategory::ThemeMusic,
            Self::ThemeVideo => FileCategory::ThemeVideo,
            Self::Sample => FileCategory::Sample,
            Self::Unknown(_) => FileCategory::Unknown,
        }
    }
}

/// What a file of a movie folder is, without its details: the category the catalogue stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileCategory {
    /// The film's video, or another version or part of it.
    Video,
    /// An NFO file.
    Nfo,
    /// Artwork of one of the slots (poster, fanart…).
    Artwork,
    /// A headshot in `.actors/`.
    ActorImage,
    /// A subtitle file.
    Subtitle,
    /// The trailer.
    Trailer,
    /// An extra (behind the scenes, deleted scenes…).
    Extra,
    /// Theme music.
    ThemeMusic,
    /// A theme video.
    ThemeVideo,
    /// A sample clip.
    Sample,
    /// A file Metarr does not use.
    Unknown,
}

impl FileCategory {
    /// Every category.
    pub const ALL: [FileCategory; 11] = [
        FileCategory::Video,
        FileCategory::Nfo,
        FileCategory::Artwork,
        FileCategory::ActorImage,
        FileCategory::Subtitle,
        FileCategory::Trailer,
        FileCategory::Extra,
        FileCategory::ThemeMusic,
        FileCategory::ThemeVideo,
        FileCategory::Sample,
        FileCategory::Unknown,
    ];

    /// The stable lowercase name stored and shown; never renamed.
    pub fn as_str(self) -> &'static str {
        match self {
            FileCategory::Video => "video",
            FileCategory::Nfo => "nfo",
            FileCategory::Artwork => "artwork",
            FileCategory::ActorImage => "actor_image",
            FileCategory::Subtitle => "subtitle",
            FileCategory::Trailer => "trailer",
            FileCategory::Extra => "extra",
            FileCategory::ThemeMusic => "theme_music",
            FileCategory::ThemeVideo => "theme_video",
            FileCategory::Sample => "sample",
            FileCategory::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for FileCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for FileCategory {
    type Err = String;

    fn from_str(name: &str) -> Result<FileCategory, String> {
        FileCategory::ALL
            .into_iter()
            .find(|c| c.as_str() == name)
            .ok_or_else(|| format!("unknown file category {name:?}"))
    }
}

impl TryFrom<String> for FileCategory {
    type Error = String;

    fn try_from(name: String) -> Result<FileCategory, String> {
        name.parse()
    }
}

/// Whether a video is the film's main video.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VideoRole {
    /// The largest candidate: the one Metarr calls the film's video (for a stacked film, its
    /// first part, with `part` set to 1).
    Main,
    /// Another video of the same film (a second cut or resolution), or a later part of a
    /// stacked film (then `part` is set to 2, 3…).
    Version,
}

impl VideoRole {
    /// A stable lowercase name for storage (`main`, `version`); never renamed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Main => "main",
            Self::Version => "version",
        }
    }
}

/// Which video an NFO belongs to, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NfoRole {
    /// `<main video>.nfo` (or `index.nfo`/`VIDEO_TS.nfo` inside the main disc structure).
    MainVideo,
    /// Named after another version of the film.
    OtherVideo,
    /// `movie.nfo`.
    Movie,
    /// Any other name or place.
    Other,
}

impl NfoRole {
    /// A stable lowercase name for storage (`main_video`, `other_video`, `movie`, `other`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MainVideo => "main_video",
            Self::OtherVideo => "other_video",
            Self::Movie => "movie",
            Self::Other => "other",
        }
    }
}

/// A disc structure counted as one video.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disc {
    /// Blu-ray or DVD.
    pub kind: DiscKind,
    /// The file players open: `BDMV/index.bdmv` or `VIDEO_TS/VIDEO_TS.IFO`.
    pub entry_point: PathBuf,
    /// How many files the structure (and its `CERTIFICATE/` or `AUDIO_TS/` companion) holds.
    pub n_files: usize,
}

/// A file found by the walk, before classification.
pub(crate) struct Found {
    pub(crate) relative: PathBuf,
    pub(crate) name: String,
    /// The names of the folders between the movie folder and the file.
    pub(crate) parents: Vec<String>,
    pub(crate) stamp: FileStamp,
}

/// Lists and classifies every file of the movie folder `folder` inside `library_root`.
///
/// Subfolders are read recursively (extras, trailers, `extrafanart/`, `Subs/`…); ignored files
/// and folders are skipped entirely; unreadable subfolders are warnings. Only file metadata is
/// read, never contents.
///
/// Nothing outside `folder` is read: a symlink is followed only when it leads inside the folder
/// (`poster.jpg → artwork/p.jpg`); one leading anywhere else is a warning
/// ([`ScanWarningKind::SymlinkOutsideFolder`] or `…OutsideLibrary`) and is left out. A file or
/// subfolder whose name is not valid UTF-8 is left out with a [`ScanWarningKind::NotUtf8`].
///
/// # Errors
///
/// The folder is outside `library_root` (also through a symlink), its path is not UTF-8, or it
/// cannot be listed.
pub fn classify_folder(library_root: &Path, folder: &Path, rules: &IgnoreRules) -> Result<FolderScan, ClassifyError> {
    if folder.to_str().is_none() {
        return Err(ClassifyError::NotUtf8 { folder: folder.to_path_buf() });
    }
    let library_root_canonical = LazyCanonical::new(library_root);
    let confined = confined_folder(library_root, &library_root_canonical, folder)?;
    let mut warnings = Vec::new();
    let (found, folder_inodes) = walk_movie_folder(folder, confined, &library_root_canonical, rules, &mut warnings)?;
    let mut files = classify(folder, &found, &folder_inodes);
    files.sort_by(|left, right| left.relative.cmp(&right.relative));
    let identity = identity_of(folder, &files);
    warnings.sort_by(|left, right| left.path.cmp(&right.path));
    Ok(FolderScan { folder: folder.to_path_buf(), files, identity, warnings })
}

/// A movie folder checked to lie inside its library.
pub(crate) struct ConfinedFolder<'a> {
    /// Its path relative to the library root, for the ignore rules.
    pub(crate) relative: &'a Path,
    pub(crate) metadata: Metadata,
    /// Where it really is, for resolving links met inside it.
    pub(crate) location: Location,
}

/// Checks that `folder` lies inside `library_root` on disk, not only by its path.
///
/// Each folder between the root and `folder` is `lstat`ed (for a film directly under the root
/// that is the one `stat` the walk needs anyway); only when one of them is a symlink are the
/// root and the folder canonicalised and compared. The root itself may be a symlink.
pub(crate) fn confined_folder<'a>(
    library_root: &Path,
    library_root_canonical: &LazyCanonical<'_>,
    folder: &'a Path,
) -> Result<ConfinedFolder<'a>, ClassifyError> {
    let outside = || ClassifyError::OutsideLibrary { folder: folder.to_path_buf(), root: library_root.to_path_buf() };
    let relative = folder.strip_prefix(library_root).map_err(|_| outside())?;
    // `strip_prefix` compares components only: `root/../elsewhere` would pass it.
    if !relative.components().all(|component| matches!(component, Component::Normal(_))) {
        return Err(outside());
    }
    let unreadable = |source| ClassifyError::Unreadable { path: folder.to_path_buf(), source };
    let mut through_link = false;
    let mut current = library_root.to_path_buf();
    let mut metadata = None;
    for component in relative.components() {
        current.push(component);
        let own = std::fs::symlink_metadata(&current).map_err(unreadable)?;
        if own.file_type().is_symlink() {
            through_link = true;
            break;
        }
        metadata = Some(own);
    }
    if !through_link {
        let metadata = match metadata {
            Some(metadata) => metadata,
            // The folder is the root itself, which may be a link: follow it.
            None => std::fs::metadata(folder).map_err(unreadable)?,
        };
        return Ok(ConfinedFolder { relative, metadata, location: Location::BelowRoot(relative.to_path_buf()) });
    }
    let metadata = std::fs::metadata(folder).map_err(unreadable)?;
    let canonical_root = library_root_canonical
        .get()
        .map_err(|err| unreadable(io::Error::new(err.kind(), format!("cannot resolve the library root: {err}"))))?;
    let canonical_folder = std::fs::canonicalize(folder).map_err(unreadable)?;
    if !canonical_folder.starts_with(canonical_root) {
        return Err(outside());
    }
    Ok(ConfinedFolder { relative, metadata, location: Location::Canonical(canonical_folder) })
}

/// Walks the movie folder, returning its files and the inodes of its direct subfolders (a disc
/// structure's stamp uses its folder's inode).
pub(crate) fn walk_movie_folder(
    folder: &Path,
    confined: ConfinedFolder<'_>,
    library_root_canonical: &LazyCanonical<'_>,
    rules: &IgnoreRules,
    warnings: &mut Vec<ScanWarning>,
) -> Result<(Vec<Found>, HashMap<String, u64>), ClassifyError> {
    let confinement = Confinement::new(confined.location.clone(), library_root_canonical, LinkPolicy::MovieFolder);
    let mut visited = Visited::default();
    visited.insert(&confined.metadata);
    let mut found = Vec::new();
    let mut folder_inodes = HashMap::new();
    let mut stack: Vec<(PathBuf, Vec<String>, Location)> = vec![(folder.to_path_buf(), Vec::new(), confined.location)];
    while let Some((dir, parents, location)) = stack.pop() {
        let entries = match walk::list_dir(&dir, &location, true, &confinement, warnings) {
            Ok(entries) => entries,
            Err(err) if parents.is_empty() => return Err(ClassifyError::Unreadable { path: dir, source: err }),
            Err(err) => {
                warnings.push(ScanWarning::unreadable(dir, &err));
                continue;
            }
        };
        let in_sample_folder =
            parents.iter().any(|parent| naming::special_folder(parent) == Some(SpecialFolder::Samples));
        let mut children = Vec::new();
        for entry in entries {
            let relative = walk::relative_to(&entry.path, folder);
            let library_relative = confined.relative.join(&relative);
            let Some(metadata) = entry.metadata else { continue };
            if entry.is_dir {
                if rules.is_ignored_dir(&library_relative, &entry.name) {
                    continue;
                }
                if !entry.name_is_utf8 {
                    warnings.push(ScanWarning { path: entry.path, kind: ScanWarningKind::NotUtf8 });
                    continue;
                }
                if !visited.insert(&metadata) {
                    warnings.push(ScanWarning { path: entry.path, kind: ScanWarningKind::SymlinkLoop });
                    continue;
                }
                if parents.is_empty() {
                    folder_inodes.insert(entry.name.to_ascii_lowercase(), stamp::inode(&metadata));
                }
                let child_location = match entry.link_target {
                    Some(target) => Location::Canonical(target),
                    None => location.join(Path::new(&entry.name)),
                };
                let mut child_parents = parents.clone();
                child_parents.push(entry.name);
                children.push((entry.path, child_parents, child_location));
            } else if !rules.is_ignored_file(&library_relative, &entry.name, in_sample_folder) {
                if !entry.name_is_utf8 {
                    // The catalogue keeps paths as text: a lossy name could merge two files.
                    warnings.push(ScanWarning { path: entry.path, kind: ScanWarningKind::NotUtf8 });
                    continue;
                }
                found.push(Found {
                    relative,
                    name: entry.name,
                    parents: parents.clone(),
                    stamp: FileStamp::from_metadata(&metadata),
                });
            }
        }
        // Visited marks were set in name order; the stack pops in name order too.
        stack.extend(children.into_iter().rev());
    }
    Ok((found, folder_inodes))
}

/// A disc structure being summed up.
struct DiscTotal {
    kind: DiscKind,
    /// The structure folder's name as written on disk (`BDMV`, `bdmv`).
    folder_name: String,
    entry_point: PathBuf,
    size: u64,
    mtime_ns: i64,
    n_files: usize,
}

fn classify(folder: &Path, found: &[Found], folder_inodes: &HashMap<String, u64>) -> Vec<MediaFile> {
    let (discs, file_disc) = find_discs(folder, found);

    // Root-level videos not named as samples, trailers or extras contend for the main video;
    // their stems also name the NFOs, prefixed artwork and subtitles that belong to them.
    let mut candidates: Vec<usize> = Vec::new();
    for (index, file) in found.iter().enumerate() {
        let (stem, extension) = naming::split_name(&file.name);
        let is_video = extension.as_deref().is_some_and(naming::is_video_extension);
        if file.parents.is_empty() && is_video && naming::video_marker(stem).is_none() {
            candidates.push(index);
        }
    }
    let video_stems: Vec<&str> = candidates.iter().map(|index| naming::split_name(&found[*index].name).0).collect();

    // The main video: the largest contender, a disc structure counting with its total size.
    let main = choose_main(found, &candidates, &discs);
    let main_disc = match main.unit {
        Some(Unit::Disc(index)) => Some(index),
        _ => None,
    };
    // A stacked film's NFO may be named after its first part or after the name without the
    // part marker (`Movie.nfo` beside `Movie CD1.avi`).
    let main_stems: Vec<String> = match &main.unit {
        Some(Unit::File(index)) => vec![naming::split_name(&found[*index].name).0.to_owned()],
        Some(Unit::Stack(parts)) => {
            let first_stem = naming::split_name(&found[parts[0]].name).0;
            let mut stems = vec![first_stem.to_owned()];
            stems.extend(naming::stack_part(first_stem).map(|(prefix, _)| prefix.to_owned()));
            stems
        }
        _ => Vec::new(),
    };
    let mut prefixes = video_stems.clone();
    let folder_name = folder.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    prefixes.push(&folder_name);

    let ordinals = folder_image_ordinals(found);

    let mut files = Vec::new();
    for (index, file) in found.iter().enumerate() {
        if let Some(disc) = file_disc[index] {
            // An NFO inside a disc structure is Kodi's `index.nfo`/`VIDEO_TS.nfo`: keep it.
            if naming::split_name(&file.name).1.as_deref() == Some("nfo") {
                let role = if main_disc == Some(disc) { NfoRole::MainVideo } else { NfoRole::OtherVideo };
                files.push(media_file(folder, file, FileKind::Nfo { role }));
            }
            continue;
        }
        let kind = if candidates.contains(&index) {
            let role = match &main.unit {
                Some(Unit::File(main_index)) if *main_index == index => VideoRole::Main,
                Some(Unit::Stack(parts)) if parts.first() == Some(&index) => VideoRole::Main,
                // Later parts of the main stack stay versions with a part number, so callers
                // that know one main file per film keep working; the stack is the set of
                // videos whose `part` is set when the main video's is.
                _ => VideoRole::Version,
            };
            FileKind::Video { role, disc: None, part: main.part_numbers.get(&index).copied() }
        } else {
            classify_file(file, &main_stems, &video_stems, &prefixes, &ordinals)
        };
        files.push(media_file(folder, file, kind));
    }
    for (index, disc) in discs.into_iter().enumerate() {
        let role = if main_disc == Some(index) { VideoRole::Main } else { VideoRole::Version };
        let inode = folder_inodes.get(&disc.folder_name.to_ascii_lowercase()).copied().unwrap_or(0);
        files.push(MediaFile {
            path: folder.join(&disc.folder_name),
            relative: PathBuf::from(&disc.folder_name),
            stamp: FileStamp { size: disc.size, mtime_ns: disc.mtime_ns, inode },
            kind: FileKind::Video {
                role,
                disc: Some(Disc { kind: disc.kind, entry_point: disc.entry_point, n_files: disc.n_files }),
                part: None,
            },
        });
    }
    files
}

/// Finds the disc structures in the movie folder's root (a `BDMV`/`VIDEO_TS` folder holding its
/// index file) and sums up their files; also returns, per found file, the disc it belongs to.
fn find_discs(folder: &Path, found: &[Found]) -> (Vec<DiscTotal>, Vec<Option<usize>>) {
    let mut discs: Vec<DiscTotal> = Vec::new();
    for file in found {
        if let [structure] = file.parents.as_slice()
            && let Some(kind) = DiscKind::from_folder_name(structure)
            && file.name.eq_ignore_ascii_case(kind.index_file())
            && !discs.iter().any(|disc| disc.kind == kind)
        {
            discs.push(DiscTotal {
                kind,
                folder_name: structure.clone(),
                entry_point: folder.join(&file.relative),
                size: 0,
                mtime_ns: i64::MIN,
                n_files: 0,
            });
        }
    }
    let mut file_disc = Vec::with_capacity(found.len());
    for file in found {
        let disc = file.parents.first().and_then(|top| {
            discs.iter().position(|disc| {
                top.eq_ignore_ascii_case(&disc.folder_name) || top.eq_ignore_ascii_case(disc.kind.companion_folder())
            })
        });
        // NFOs inside the structure are listed on their own, so they do not count in its size.
        let is_nfo = naming::split_name(&file.name).1.as_deref() == Some("nfo");
        if let Some(disc) = disc
            && !is_nfo
        {
            let total = &mut discs[disc];
            total.size += file.stamp.size;
            total.mtime_ns = total.mtime_ns.max(file.stamp.mtime_ns);
            total.n_files += 1;
        }
        file_disc.push(disc);
    }
    (discs, file_disc)
}

/// The 1-based position of each `extrafanart/` and `extrathumbs/` image in its folder, in name
/// order: their names are arbitrary, so the position is the only index they have.
pub(crate) fn folder_image_ordinals(found: &[Found]) -> HashMap<PathBuf, u32> {
    let mut images: Vec<&Found> = found
        .iter()
        .filter(|file| naming::split_name(&file.name).1.as_deref().is_some_and(naming::is_image_extension))
        .filter(|file| {
            matches!(innermost_special(&file.parents), Some(SpecialFolder::ExtraFanart | SpecialFolder::ExtraThumbs))
        })
        .collect();
    images.sort_by(|left, right| left.relative.cmp(&right.relative));
    let mut counters: HashMap<&[String], u32> = HashMap::new();
    let mut ordinals = HashMap::new();
    for image in images {
        let counter = counters.entry(image.parents.as_slice()).or_insert(0);
        *counter += 1;
        ordinals.insert(image.relative.clone(), *counter);
    }
    ordinals
}

/// One contender for the main video.
enum Unit {
    /// A single video file (index into the found files).
    File(usize),
    /// The parts of a stacked film (`CD1`, `CD2`), in part order.
    Stack(Vec<usize>),
    /// A disc structure (index into the discs).
    Disc(usize),
}

struct MainChoice {
    unit: Option<Unit>,
    /// The part number of every video that belongs to a stack, main or not.
    part_numbers: HashMap<usize, u32>,
}

/// Picks the main video: the largest contender, a stack and a disc structure counting with their
/// total size. Ties go to the first name, so the choice is stable across scans.
fn choose_main(found: &[Found], candidates: &[usize], discs: &[DiscTotal]) -> MainChoice {
    // Candidates whose names differ only in a part marker form a stack (Kodi's and Jellyfin's
    // multi-part films); a lone `Part 2` is an ordinary video.
    let mut by_prefix: HashMap<String, Vec<(u32, usize)>> = HashMap::new();
    for index in candidates {
        if let Some((prefix, number)) = naming::stack_part(naming::split_name(&found[*index].name).0) {
            by_prefix.entry(prefix.to_lowercase()).or_default().push((number, *index));
        }
    }
    let mut part_numbers = HashMap::new();
    let mut units: Vec<(u64, PathBuf, Unit)> = Vec::new();
    let mut stacked = Vec::new();
    for mut parts in by_prefix.into_values() {
        parts.sort_unstable();
        let distinct = parts.windows(2).all(|pair| pair[0].0 != pair[1].0);
        if parts.len() < 2 || !distinct {
            continue;
        }
        let size = parts.iter().map(|(_, index)| found[*index].stamp.size).sum();
        for (number, index) in &parts {
            part_numbers.insert(*index, *number);
            stacked.push(*index);
        }
        let first = found[parts[0].1].relative.clone();
        units.push((size, first, Unit::Stack(parts.into_iter().map(|(_, index)| index).collect())));
    }
    for index in candidates.iter().filter(|index| !stacked.contains(index)) {
        units.push((found[*index].stamp.size, found[*index].relative.clone(), Unit::File(*index)));
    }
    for (index, disc) in discs.iter().enumerate() {
        units.push((disc.size, PathBuf::from(&disc.folder_name), Unit::Disc(index)));
    }
    let unit = units
        .into_iter()
        .max_by(|left, right| left.0.cmp(&right.0).then_with(|| right.1.cmp(&left.1)))
        .map(|(_, _, unit)| unit);
    MainChoice { unit, part_numbers }
}

fn media_file(folder: &Path, file: &Found, kind: FileKind) -> MediaFile {
    MediaFile { path: folder.join(&file.relative), relative: file.relative.clone(), stamp: file.stamp, kind }
}

/// The special folder nearest to the file, if any of its parents is one.
pub(crate) fn innermost_special(parents: &[String]) -> Option<SpecialFolder> {
    parents.iter().rev().find_map(|parent| naming::special_folder(parent))
}

/// Classifies a file that is neither a main-video candidate nor part of a disc structure.
fn classify_file(
    file: &Found,
    main_stems: &[String],
    video_stems: &[&str],
    prefixes: &[&str],
    ordinals: &HashMap<PathBuf, u32>,
) -> FileKind {
    let (stem, extension) = naming::split_name(&file.name);
    let Some(extension) = extension else { return FileKind::Unknown(UnknownKind::Other) };
    let at_root = file.parents.is_empty();
    let special = innermost_special(&file.parents);

    if naming::is_subtitle_extension(&extension) {
        return FileKind::Subtitle(parse_subtitle_name(stem, video_stems.iter().copied()));
    }
    if extension == "nfo" {
        let role = if !at_root {
            NfoRole::Other
        } else if main_stems.iter().any(|main| main.eq_ignore_ascii_case(stem)) {
            NfoRole::MainVideo
        } else if stem.eq_ignore_ascii_case("movie") {
            NfoRole::Movie
        } else if video_stems.iter().any(|video| video.eq_ignore_ascii_case(stem)) {
            NfoRole::OtherVideo
        } else {
            NfoRole::Other
        };
        return FileKind::Nfo { role };
    }
    if naming::is_video_extension(&extension) {
        let marker = naming::video_marker(stem);
        return match (special, marker) {
            (Some(SpecialFolder::Samples), _) | (_, Some(VideoMarker::Sample)) => FileKind::Sample,
            (Some(SpecialFolder::Trailers), _) | (_, Some(VideoMarker::Trailer)) => FileKind::Trailer,
            (Some(SpecialFolder::Extras(kind)), _) | (_, Some(VideoMarker::Extra(kind))) => FileKind::Extra(kind),
            (Some(SpecialFolder::ThemeVideos), _) => FileKind::ThemeVideo,
            _ => FileKind::Unknown(UnknownKind::Video),
        };
    }
    if naming::is_audio_extension(&extension) {
        let is_theme =
            (at_root && naming::is_theme_music(stem, &extension)) || special == Some(SpecialFolder::ThemeMusic);
        return if is_theme { FileKind::ThemeMusic } else { FileKind::Unknown(UnknownKind::Audio) };
    }
    if naming::is_image_extension(&extension) {
        match special {
            Some(SpecialFolder::ExtraFanart) => {
                return FileKind::Artwork {
                    kind: ArtworkKind::ExtraFanart,
                    index: ordinals.get(&file.relative).copied(),
                    prefixed: false,
                };
            }
            Some(SpecialFolder::ExtraThumbs) => {
                return FileKind::Artwork {
                    kind: ArtworkKind::ExtraThumb,
                    index: ordinals.get(&file.relative).copied(),
                    prefixed: false,
                };
            }
            Some(SpecialFolder::Actors) => return FileKind::ActorImage { actor: stem.replace('_', " ") },
            _ => {}
        }
        if at_root {
            if let Some((kind, index)) = naming::artwork_stem(stem) {
                return FileKind::Artwork { kind, index, prefixed: false };
            }
            if let Some((kind, index)) = naming::prefixed_artwork_stem(stem, prefixes.iter().copied()) {
                return FileKind::Artwork { kind, index, prefixed: true };
            }
        }
        return FileKind::Unknown(UnknownKind::Image);
    }
    FileKind::Unknown(naming::guess_unknown(Some(&extension)))
}

/// The folder name's identity, or the main video's when only it has a year or an id.
fn identity_of(folder: &Path, files: &[MediaFile]) -> NameIdentity {
    let folder_name = folder.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let from_folder = parse_folder_name(&folder_name);
    let has_anchor =
        |identity: &NameIdentity| identity.year.is_some() || identity.tmdb_id.is_some() || identity.imdb_id.is_some();
    if has_anchor(&from_folder) {
        return from_folder;
    }
    let main_file = files.iter().find_map(|file| match &file.kind {
        FileKind::Video { role: VideoRole::Main, disc: None, .. } => file.path.file_name(),
        _ => None,
    });
    if let Some(name) = main_file {
        let name = name.to_string_lossy();
        let from_video = parse_folder_name(naming::split_name(&name).0);
        if has_anchor(&from_video) {
            return from_video;
        }
    }
    from_folder
}
