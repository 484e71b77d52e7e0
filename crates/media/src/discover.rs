//! Phase 1 of a library scan: finds every movie folder under a library root, at any depth.

use std::path::{Path, PathBuf};

use crate::ignore::IgnoreRules;
use crate::naming::{self, SpecialFolder};
use crate::walk::{self, Confinement, LazyCanonical, LinkPolicy, Location, Visited};
use crate::warning::{ScanWarning, ScanWarningKind};

/// The movie folders found under a library root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discovery {
    /// Absolute paths (the root joined with the relative path), sorted; all valid UTF-8.
    pub movie_folders: Vec<PathBuf>,
    /// Folders that could not be read, symlinks not followed, movie folders refused for a name
    /// that is not UTF-8 ([`ScanWarning::is_error`]) and the like. They do not fail the walk.
    pub warnings: Vec<ScanWarning>,
}

/// The kind of disc structure a folder holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiscKind {
    /// A Blu-ray folder: `BDMV/index.bdmv`.
    BluRay,
    /// A DVD folder: `VIDEO_TS/VIDEO_TS.IFO`.
    Dvd,
}

impl DiscKind {
    /// A stable lowercase name for storage (`bluray`, `dvd`); never renamed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BluRay => "bluray",
            Self::Dvd => "dvd",
        }
    }

    /// The disc kind a folder name stands for (`BDMV`, `VIDEO_TS`, any case).
    pub(crate) fn from_folder_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("BDMV") {
            Some(Self::BluRay)
        } else if name.eq_ignore_ascii_case("VIDEO_TS") {
            Some(Self::Dvd)
        } else {
            None
        }
    }

    /// The file whose presence in the structure folder makes it a disc.
    pub(crate) fn index_file(self) -> &'static str {
        match self {
            Self::BluRay => "index.bdmv",
            Self::Dvd => "VIDEO_TS.IFO",
        }
    }

    /// The sibling folder that belongs to the same disc (`CERTIFICATE/`, `AUDIO_TS/`).
    pub(crate) fn companion_folder(self) -> &'static str {
        match self {
            Self::BluRay => "CERTIFICATE",
            Self::Dvd => "AUDIO_TS",
        }
    }
}

/// Walks the whole tree under `root` and returns its movie folders.
///
/// A folder is a movie folder when it directly holds a main-video candidate (a video that is not
/// ignored and not named as a sample, trailer or extra) or a disc structure (`BDMV/index.bdmv`,
/// `VIDEO_TS/VIDEO_TS.IFO`, names in any case). `root` itself may be one. A movie folder's
/// subfolders are not searched for more films: they hold its extras, trailers and artwork.
/// Folders named like extras folders (`Extras/`, `Trailers/`, `Sample/`, `Featurettes/`…) are
/// never movie folders themselves; one holding videos outside any movie folder is a warning.
///
/// Ignored folders (see [`IgnoreRules`]) are not entered. Discovery follows no folder symlinks,
/// so it never reads outside `root` and finds each folder once, at its real path: a folder link
/// out of the library is [`ScanWarningKind::SymlinkOutsideLibrary`], one to a parent folder
/// [`ScanWarningKind::SymlinkLoop`], one to another folder of the library
/// [`ScanWarningKind::SymlinkWithinLibrary`] (its target is walked by its own path unless
/// ignored). A file link counts towards a movie folder only when it leads inside that same
/// folder, as classification requires. A movie folder whose path is not valid UTF-8 is not
/// returned but reported as [`ScanWarningKind::NotUtf8`]: every returned path is UTF-8.
///
/// A folder that cannot be read is a warning; only `root` itself failing yields an empty result
/// with one warning. What is wrong inside a movie folder (unreadable entries, refused links) is
/// left to [`classify_folder`](crate::classify_folder), which reports it, so it is not warned
/// twice.
pub fn discover(root: &Path, rules: &IgnoreRules) -> Discovery {
    let mut discovery = Discovery::default();
    let mut visited = Visited::default();
    match std::fs::metadata(root) {
        Ok(metadata) => {
            visited.insert(&metadata);
        }
        Err(err) => {
            discovery.warnings.push(ScanWarning::unreadable(root.to_path_buf(), &err));
            return discovery;
        }
    }
    let canonical_root = LazyCanonical::new(root);

    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        // Collected apart: when `dir` turns out to be a movie folder they are dropped, since
        // classifying it lists the same entries and reports them.
        let mut dir_warnings = Vec::new();
        let relative_dir = walk::relative_to(&dir, root);
        // No folder link is ever entered, so every folder walked is really below the root.
        let location = Location::BelowRoot(relative_dir.clone());
        let confinement = Confinement::new(location.clone(), &canonical_root, LinkPolicy::Discovery);
        let entries = match walk::list_dir(&dir, &location, false, &confinement, &mut dir_warnings) {
            Ok(entries) => entries,
            Err(err) => {
                discovery.warnings.push(ScanWarning::unreadable(dir, &err));
                continue;
            }
        };
        let dir_special = if dir == root {
            None
        } else {
            dir.file_name().and_then(|name| name.to_str()).and_then(naming::special_folder)
        };
        let in_sample_folder = dir_special == Some(SpecialFolder::Samples);
        let holds_movie = entries.iter().any(|entry| {
            if entry.is_dir {
                DiscKind::from_folder_name(&entry.name).is_some_and(|kind| {
                    !rules.is_ignored_dir(&relative_dir.join(&entry.name), &entry.name)
                        && has_disc_index(&entry.path, kind, &mut dir_warnings)
                })
            } else {
                is_main_video_candidate(&relative_dir.join(&entry.name), &entry.name, in_sample_folder, rules)
            }
        });
        let is_extras_like = matches!(
            dir_special,
            Some(
                SpecialFolder::Extras(_)
                    | SpecialFolder::Trailers
                    | SpecialFolder::Samples
                    | SpecialFolder::ThemeVideos
            )
        );
        if holds_movie && is_extras_like {
            discovery.warnings.push(ScanWarning { path: dir.clone(), kind: ScanWarningKind::OrphanExtrasFolder });
        } else if holds_movie {
            if dir.to_str().is_some() {
                discovery.movie_folders.push(dir);
            } else {
                // The catalogue keeps paths as text: a lossy path could name another folder.
                discovery.warnings.push(ScanWarning { path: dir, kind: ScanWarningKind::NotUtf8 });
            }
            continue;
        }
        discovery.warnings.append(&mut dir_warnings);
        let mut children = Vec::new();
        for entry in entries {
            if !entry.is_dir || rules.is_ignored_dir(&relative_dir.join(&entry.name), &entry.name) {
                continue;
            }
            // A disc folder is never a film of its own: here it lacked its index file (else its
            // parent would be a movie folder), so its streams must not pose as a film.
            if DiscKind::from_folder_name(&entry.name).is_some() {
                discovery.warnings.push(ScanWarning { path: entry.path, kind: ScanWarningKind::IncompleteDisc });
                continue;
            }
            // A folder link inside `dir` (links out of it were refused by the listing): its
            // target is below `dir`, so it is walked at its real path.
            if let Some(target) = entry.link_target {
                let is_loop = confinement.canonical_folder().is_ok_and(|folder| folder == target);
                let kind = if is_loop {
                    ScanWarningKind::SymlinkLoop
                } else {
                    ScanWarningKind::SymlinkWithinLibrary { target }
                };
                discovery.warnings.push(ScanWarning { path: entry.path, kind });
                continue;
            }
            let metadata = match entry.metadata {
                Some(metadata) => metadata,
                None => match std::fs::metadata(&entry.path) {
                    Ok(metadata) => metadata,
                    Err(err) => {
                        discovery.warnings.push(ScanWarning::unreadable(entry.path, &err));
                        continue;
                    }
                },
            };
            // No symlinks are entered, but bind mounts can still make a folder reachable twice.
            if visited.insert(&metadata) {
                children.push(entry.path);
            } else {
                discovery.warnings.push(ScanWarning { path: entry.path, kind: ScanWarningKind::SymlinkLoop });
            }
        }
        // Reversed so that popping walks folders in name order (depth first).
        stack.extend(children.into_iter().rev());
    }
    discovery.movie_folders.sort();
    discovery.warnings.sort_by(|left, right| left.path.cmp(&right.path));
    discovery
}

/// Whether a file, by name, could be a film's main video.
fn is_main_video_candidate(relative: &Path, name: &str, in_sample_folder: bool, rules: &IgnoreRules) -> bool {
    let (stem, extension) = naming::split_name(name);
    extension.is_some_and(|extension| naming::is_video_extension(&extension))
        && naming::video_marker(stem).is_none()
        && !rules.is_ignored_file(relative, name, in_sample_folder)
}

/// Whether a `BDMV`/`VIDEO_TS` folder holds its index file (any case). One extra `read_dir`,
/// only for folders that carry a disc folder's name.
fn has_disc_index(structure: &Path, kind: DiscKind, warnings: &mut Vec<ScanWarning>) -> bool {
    match std::fs::read_dir(structure) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .any(|entry| entry.file_name().to_string_lossy().eq_ignore_ascii_case(kind.index_file())),
        Err(err) => {
            warnings.push(ScanWarning::unreadable(structure.to_path_buf(), &err));
            false
        }
    }
}
