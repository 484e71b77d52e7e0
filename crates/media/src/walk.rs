//! Lists one folder with a single `read_dir`, resolving symlinks, keeping them inside the folder
//! they may point into, and guarding against loops, for both discovery and classification.

use std::cell::OnceCell;
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
    /// Whether the real name is valid UTF-8; when it is not, `name` is only an approximation
    /// that another name may share, so the entry must not reach the catalogue.
    pub(crate) name_is_utf8: bool,
    pub(crate) is_dir: bool,
    /// For a symlink, where it leads (canonical); always inside the listing's [`Confinement`].
    pub(crate) link_target: Option<PathBuf>,
    /// The entry's metadata (of the symlink target for a symlink), when it was read.
    pub(crate) metadata: Option<Metadata>,
}

/// A path whose canonical form is resolved on first use, so that walking folders without
/// symlinks costs no `canonicalize` at all.
pub(crate) struct Canonical<'a> {
    path: &'a Path,
    resolved: OnceCell<io::Result<PathBuf>>,
}

impl<'a> Canonical<'a> {
    pub(crate) fn new(path: &'a Path) -> Self {
        Self { path, resolved: OnceCell::new() }
    }

    /// The canonical path, resolved once.
    pub(crate) fn get(&self) -> Result<&Path, &io::Error> {
        self.resolved.get_or_init(|| fs::canonicalize(self.path)).as_deref()
    }
}

/// Who is walking, which decides how a refused link is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkPolicy {
    /// Classification of one movie folder: every link out of it is
    /// [`ScanWarningKind::SymlinkOutsideFolder`] (or `…OutsideLibrary`).
    MovieFolder,
    /// Discovery: a folder link to elsewhere in the library is
    /// [`ScanWarningKind::SymlinkWithinLibrary`], or a loop when it leads to a parent.
    Discovery,
}

/// Where the symlinks of a listing may lead: inside `folder` only. Both paths are compared in
/// canonical form, so a library root reached through a symlink (`/mnt/media → /volume1/media`)
/// still contains its own folders.
pub(crate) struct Confinement<'a> {
    pub(crate) folder: &'a Canonical<'a>,
    /// Only resolved when a link is refused, to say whether it leads out of the library.
    pub(crate) library_root: &'a Canonical<'a>,
    pub(crate) policy: LinkPolicy,
}

impl Confinement<'_> {
    /// Whether a link to `target` (canonical) may be followed; else the warning's kind.
    fn admit(&self, target: &Path, target_is_dir: bool) -> Result<(), ScanWarningKind> {
        let folder = self.folder.get().map_err(unreadable_kind)?;
        if target.starts_with(folder) {
            return Ok(());
        }
        // An unresolvable root cannot vouch for the target: treat it as outside.
        let in_library = self.library_root.get().is_ok_and(|root| target.starts_with(root));
        let target = target.to_path_buf();
        Err(match self.policy {
            _ if !in_library => ScanWarningKind::SymlinkOutsideLibrary { target },
            LinkPolicy::Discovery if target_is_dir && folder.starts_with(&target) => ScanWarningKind::SymlinkLoop,
            LinkPolicy::Discovery if target_is_dir => ScanWarningKind::SymlinkWithinLibrary { target },
            LinkPolicy::Discovery | LinkPolicy::MovieFolder => ScanWarningKind::SymlinkOutsideFolder { target },
        })
    }
}

/// Lists `dir`, sorted by name. Entries get their metadata when `with_metadata` is set, and
/// symlinks always (to learn what they point to); so discovery stays at one `read_dir` per
/// folder, plus one `stat` per folder it enters.
///
/// Each symlink is resolved once (`canonicalize`, then `stat` of the target) and kept only when
/// it leads inside `confinement`; any other link is a warning and is left out, so nothing
/// outside the confinement is ever listed or read through it. Folders without symlinks cost no
/// more than before: the confinement's own canonical path is resolved at the first link.
///
/// Broken symlinks, link cycles and unreadable entries become warnings; sockets, FIFOs and
/// devices are skipped since they are never media.
pub(crate) fn list_dir(
    dir: &Path,
    with_metadata: bool,
    confinement: &Confinement<'_>,
    warnings: &mut Vec<ScanWarning>,
) -> io::Result<Vec<Entry>> {
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
        let file_name = entry.file_name();
        let name_is_utf8 = file_name.to_str().is_some();
        let name = file_name.to_string_lossy().into_owned();
        let file_type = match entry.file_type() {
            Ok(file_type) => file_type,
            Err(err) => {
                warnings.push(ScanWarning::unreadable(path, &err));
                continue;
            }
        };
        let mut link_target = None;
        let metadata = if file_type.is_symlink() {
            let target = match fs::canonicalize(&path) {
                Ok(target) => target,
                Err(err) => {
                    warnings.push(ScanWarning { path, kind: link_failure_kind(&err) });
                    continue;
                }
            };
            // A linked video counts with its target's size.
            let metadata = match fs::metadata(&target) {
                Ok(metadata) => metadata,
                Err(err) => {
                    warnings.push(ScanWarning::unreadable(path, &err));
                    continue;
                }
            };
            if let Err(kind) = confinement.admit(&target, metadata.is_dir()) {
                warnings.push(ScanWarning { path, kind });
                continue;
            }
            link_target = Some(target);
            Some(metadata)
        } else if with_metadata {
            match fs::metadata(&path) {
                Ok(metadata) => Some(metadata),
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
            entries.push(Entry { path, name, name_is_utf8, is_dir, link_target, metadata });
        }
    }
    // By the real bytes, not the lossy name: two names that decode alike still sort stably.
    entries.sort_by(|left, right| left.path.cmp(&right.path));
    Ok(entries)
}

fn unreadable_kind(err: &io::Error) -> ScanWarningKind {
    ScanWarningKind::Unreadable { error_kind: err.kind(), message: err.to_string() }
}

/// The warning for a symlink that cannot be resolved.
fn link_failure_kind(err: &io::Error) -> ScanWarningKind {
    if err.kind() == io::ErrorKind::NotFound {
        ScanWarningKind::BrokenSymlink
    } else if is_link_cycle(err) {
        ScanWarningKind::SymlinkLoop
    } else {
        unreadable_kind(err)
    }
}

/// Whether resolving failed on a cycle of links (`ELOOP`); `io::ErrorKind::FilesystemLoop` is
/// not stable yet, hence the raw number.
fn is_link_cycle(err: &io::Error) -> bool {
    #[cfg(target_os = "linux")]
    const ELOOP: Option<i32> = Some(40);
    #[cfg(any(target_os = "macos", target_os = "freebsd", target_os = "openbsd", target_os = "netbsd"))]
    const ELOOP: Option<i32> = Some(62);
    #[cfg(not(any(
        target_os = "linux",
        target_os = "macos",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "netbsd"
    )))]
    const ELOOP: Option<i32> = None;
    ELOOP.is_some() && err.raw_os_error() == ELOOP
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
