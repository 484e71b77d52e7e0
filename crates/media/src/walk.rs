//! Lists one folder with a single `read_dir`, resolving symlinks and guarding against loops, for
//! both discovery and classification.

use std::collections::HashSet;
use std::fs::{self, Metadata};
use std::io;
use std::path::{Path, PathBuf};

use crate::warning::{ScanWarning, ScanWarningKind};

/// One entry of a folder listing.
pub(crate) struct Entry {
    pub(crate) path: PathBuf,
    /// The name, lossily decoded: names are matched as text, paths keep the real bytes.
    pub(crate) name: String,
    pub(crate) is_dir: bool,
    /// The entry's metadata (of the symlink target for a symlink), when it was read.
    pub(crate) metadata: Option<Metadata>,
}

/// Lists `dir`, sorted by name. Entries get their metadata when `with_metadata` is set, and
/// symlinks always (to learn what they point to); so discovery stays at one `read_dir` per
/// folder, plus one `stat` per folder it enters.
///
/// Broken symlinks and unreadable entries become warnings; sockets, FIFOs and devices are
/// skipped since they are never media.
pub(crate) fn list_dir(dir: &Path, with_metadata: bool, warnings: &mut Vec<ScanWarning>) -> io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                warnings.push(ScanWarning::unreadable(dir.to_path_buf(), &err));
                continue;
            }
        };
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let file_type = match entry.file_type() {
            Ok(file_type) => file_type,
            Err(err) => {
                warnings.push(ScanWarning::unreadable(path, &err));
                continue;
            }
        };
        let needs_metadata = file_type.is_symlink() || with_metadata;
        let metadata = if needs_metadata {
            // `fs::metadata` follows symlinks: a linked video counts with its target's size.
            match fs::metadata(&path) {
                Ok(metadata) => Some(metadata),
                Err(err) if file_type.is_symlink() && err.kind() == io::ErrorKind::NotFound => {
                    warnings.push(ScanWarning { path, kind: ScanWarningKind::BrokenSymlink });
                    continue;
                }
                Err(err) => {
                    warnings.push(ScanWarning::unreadable(path, &err));
                    continue;
                }
            }
        } else {
            None
        };
        let (is_dir, is_file) = match &metadata {
            Some(metadata) => (metadata.is_dir(), metadata.is_file()),
            None => (file_type.is_dir(), file_type.is_file()),
        };
        if is_dir || is_file {
            entries.push(Entry { path, name, is_dir, metadata });
        }
    }
    entries.sort_by(|left, right| left.name.cmp(&right.name));
    Ok(entries)
}

/// The folders already entered, by device and inode, so a symlink back to an ancestor (or a
/// second link to the same folder) is not walked twice.
#[derive(Default)]
pub(crate) struct Visited {
    seen: HashSet<(u64, u64)>,
}

impl Visited {
    /// Records a folder; false when it was already visited (the caller then skips it).
    pub(crate) fn insert(&mut self, metadata: &Metadata) -> bool {
        match folder_identity(metadata) {
            Some(identity) => self.seen.insert(identity),
            // Without inodes there is no cheap identity; such platforms do not follow loops
            // through `fs::metadata` anyway (no symlinked folders in practice).
            None => true,
        }
    }
}

#[cfg(unix)]
fn folder_identity(metadata: &Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn folder_identity(_metadata: &Metadata) -> Option<(u64, u64)> {
    None
}

/// `path` relative to `base` (which the walk guarantees is a prefix).
pub(crate) fn relative_to(path: &Path, base: &Path) -> PathBuf {
    path.strip_prefix(base).map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
}
