//! Phase 1 for a TV library: the series folders directly under the root, Sonarr's layout
//! (`root/Series (Year)/Season 01/…`).

use std::path::{Path, PathBuf};

use super::SeriesDiscovery;
use crate::episode::season_of_folder;
use crate::ignore::IgnoreRules;
use crate::naming::{self, SpecialFolder, VideoMarker};
use crate::walk::{self, Confinement, Entry, LazyCanonical, LinkPolicy, Location};
use crate::warning::{ScanWarning, ScanWarningKind};

/// The series folders of the TV library at `root`.
///
/// A series folder is a direct subfolder of `root` that is not ignored and holds `tvshow.nfo`,
/// a season folder (any name [`season_of_folder`] knows, even empty: Sonarr creates them before
/// their episodes arrive), or a video (not a sample, not ignored) in itself or in one of its
/// subfolders. Deeper folders are not searched: series do not nest. Loose files at the root and
/// empty folders are not series.
///
/// Discovery follows no folder symlinks, as [`discover`](crate::discover): a link out of the
/// library is [`ScanWarningKind::SymlinkOutsideLibrary`], a link to another folder of the
/// library [`ScanWarningKind::SymlinkWithinLibrary`] (so a series is never catalogued twice),
/// and a video counts only when it, or the link to it, stays inside the series folder. A series
/// folder whose path is not valid UTF-8 is reported as [`ScanWarningKind::NotUtf8`] instead of
/// returned. What is wrong inside a series folder is left to
/// [`classify_series`](crate::classify_series), which reports it, so it is not warned twice.
pub fn discover_series(root: &Path, rules: &IgnoreRules) -> SeriesDiscovery {
    let mut discovery = SeriesDiscovery::default();
    if let Err(err) = std::fs::metadata(root) {
        discovery.warnings.push(ScanWarning::unreadable(root.to_path_buf(), &err));
        return discovery;
    }
    let canonical_root = LazyCanonical::new(root);
    let root_location = Location::BelowRoot(PathBuf::new());
    let confinement = Confinement::new(root_location.clone(), &canonical_root, LinkPolicy::Discovery);
    let entries = match walk::list_dir(root, &root_location, false, &confinement, &mut discovery.warnings) {
        Ok(entries) => entries,
        Err(err) => {
            discovery.warnings.push(ScanWarning::unreadable(root.to_path_buf(), &err));
            return discovery;
        }
    };
    for entry in entries {
        let relative = PathBuf::from(&entry.name);
        if !entry.is_dir || rules.is_ignored_dir(&relative, &entry.name) {
            continue;
        }
        // Links out of the root were refused by the listing; this one leads elsewhere in the
        // library, whose own folder is found at its real path.
        if let Some(target) = entry.link_target {
            let is_loop = confinement.canonical_folder().is_ok_and(|folder| folder == target);
            let kind =
                if is_loop { ScanWarningKind::SymlinkLoop } else { ScanWarningKind::SymlinkWithinLibrary { target } };
            discovery.warnings.push(ScanWarning { path: entry.path, kind });
            continue;
        }
        match holds_series(&entry.path, &relative, rules, &canonical_root) {
            Ok(false) => {}
            Ok(true) if entry.path.to_str().is_some() => discovery.series_folders.push(entry.path),
            // The catalogue keeps paths as text: a lossy path could name another folder.
            Ok(true) => discovery.warnings.push(ScanWarning { path: entry.path, kind: ScanWarningKind::NotUtf8 }),
            Err(err) => discovery.warnings.push(ScanWarning::unreadable(entry.path, &err)),
        }
    }
    discovery.series_folders.sort();
    discovery.warnings.sort_by(|left, right| left.path.cmp(&right.path));
    discovery
}

/// Whether the folder `folder` (at `relative` under the root) is a series folder.
fn holds_series(
    folder: &Path,
    relative: &Path,
    rules: &IgnoreRules,
    canonical_root: &LazyCanonical<'_>,
) -> std::io::Result<bool> {
    let location = Location::BelowRoot(relative.to_path_buf());
    let confinement = Confinement::new(location.clone(), canonical_root, LinkPolicy::Discovery);
    // Classification reports what is wrong inside the folder; discovery keeps quiet about it.
    let mut inner_warnings = Vec::new();
    let entries = walk::list_dir(folder, &location, false, &confinement, &mut inner_warnings)?;
    let mut subfolders = Vec::new();
    for entry in entries {
        let entry_relative = relative.join(&entry.name);
        if entry.is_dir {
            if rules.is_ignored_dir(&entry_relative, &entry.name) {
                continue;
            }
            if season_of_folder(&entry.name).is_some() {
                return Ok(true);
            }
            subfolders.push((entry_relative, entry));
        } else if entry.name.eq_ignore_ascii_case("tvshow.nfo") || is_video(&entry_relative, &entry, false, rules) {
            return Ok(true);
        }
    }
    for (subfolder_relative, subfolder) in subfolders {
        let in_sample_folder = naming::special_folder(&subfolder.name) == Some(SpecialFolder::Samples);
        // A link admitted by the listing leads inside the series folder.
        let sub_location = match &subfolder.link_target {
            Some(target) => Location::Canonical(target.clone()),
            None => location.join(Path::new(&subfolder.name)),
        };
        let Ok(sub_entries) = walk::list_dir(&subfolder.path, &sub_location, false, &confinement, &mut inner_warnings)
        else {
            // An unreadable subfolder is classification's to report.
            continue;
        };
        if sub_entries.iter().any(|entry| {
            !entry.is_dir && is_video(&subfolder_relative.join(&entry.name), entry, in_sample_folder, rules)
        }) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether an entry is a video that is neither ignored nor a sample.
fn is_video(relative: &Path, entry: &Entry, in_sample_folder: bool, rules: &IgnoreRules) -> bool {
    let (stem, extension) = naming::split_name(&entry.name);
    extension.is_some_and(|extension| naming::is_video_extension(&extension))
        && !in_sample_folder
        && naming::video_marker(stem) != Some(VideoMarker::Sample)
        && !rules.is_ignored_file(relative, &entry.name, in_sample_folder)
}
