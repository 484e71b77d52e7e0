//! Lists one folder with a single `read_dir`, resolving symlinks, keeping them inside the folder
//! they may point into, and guarding against loops, for both discovery and classification.

use std::cell::OnceCell;
use std::collections::HashSet;
use std::fs::{self, Metadata};
use std::io;
use std::path::{Component, Path, PathBuf};

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

/// A path whose canonical form is resolved on first use (the library root), so that walking
/// folders without symlinks costs no `canonicalize` at all.
pub(crate) struct LazyCanonical<'a> {
    path: &'a Path,
    resolved: OnceCell<io::Result<PathBuf>>,
}

impl<'a> LazyCanonical<'a> {
    pub(crate) fn new(path: &'a Path) -> Self {
        Self { path, resolved: OnceCell::new() }
    }

    /// The canonical path, resolved once.
    pub(crate) fn get(&self) -> Result<&Path, &io::Error> {
        self.resolved.get_or_init(|| fs::canonicalize(self.path)).as_deref()
    }
}

/// Where a walked folder really is, known without a syscall: below the library root's canonical
/// path when no symlink led there, or the canonical target of the link that did.
#[derive(Clone, Debug)]
pub(crate) enum Location {
    /// This path (made of real folders, no links) below the root's canonical path.
    BelowRoot(PathBuf),
    /// An already canonical path.
    Canonical(PathBuf),
}

impl Location {
    /// The location of the real (not symlinked) subfolder `name`.
    pub(crate) fn join(&self, name: &Path) -> Self {
        match self {
            Self::BelowRoot(relative) => Self::BelowRoot(relative.join(name)),
            Self::Canonical(path) => Self::Canonical(path.join(name)),
        }
    }

    /// The canonical path; resolves the root (once per walk) if needed.
    pub(crate) fn canonical<'r>(&self, library_root: &'r LazyCanonical<'_>) -> Result<PathBuf, &'r io::Error> {
        match self {
            Self::BelowRoot(relative) => library_root.get().map(|root| root.join(relative)),
            Self::Canonical(path) => Ok(path.clone()),
        }
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

/// Where the symlinks of a listing may lead: inside `folder` only. Paths are compared in
/// canonical form, so a library root reached through a symlink (`/mnt/media → /volume1/media`)
/// still contains its own folders.
pub(crate) struct Confinement<'a> {
    folder: Location,
    /// Resolved only for a link's own folder or a refused link, to say whether it leaves the
    /// library.
    library_root: &'a LazyCanonical<'a>,
    policy: LinkPolicy,
    /// `folder`'s canonical path, computed at the first link met.
    canonical_folder: OnceCell<Result<PathBuf, ScanWarningKind>>,
}

impl<'a> Confinement<'a> {
    pub(crate) fn new(folder: Location, library_root: &'a LazyCanonical<'a>, policy: LinkPolicy) -> Self {
        Self { folder, library_root, policy, canonical_folder: OnceCell::new() }
    }

    /// The confining folder's canonical path.
    pub(crate) fn canonical_folder(&self) -> Result<&Path, &ScanWarningKind> {
        self.canonical_folder
            .get_or_init(|| self.folder.canonical(self.library_root).map_err(unreadable_kind))
            .as_deref()
    }

    /// Whether a link to `target` (canonical) may be followed; else the warning's kind.
    fn admit(&self, target: &Path, target_is_dir: bool) -> Result<(), ScanWarningKind> {
        let folder = self.canonical_folder().map_err(Clone::clone)?;
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

/// Lists `dir` (really at `location`), sorted by name. Entries get their metadata when
/// `with_metadata` is set, and symlinks always (to learn what they point to); so discovery
/// stays at one `read_dir` per folder, plus one `stat` per folder it enters.
///
/// Each symlink is resolved once ([`resolve_link`]) and kept only when it leads inside
/// `confinement`; any other link is a warning and is left out, so nothing outside the
/// confinement is ever listed or read through it. Folders without symlinks cost no more than
/// before.
///
/// Broken symlinks, link cycles and unreadable entries become warnings; sockets, FIFOs and
/// devices are skipped since they are never media.
pub(crate) fn list_dir(
    dir: &Path,
    location: &Location,
    with_metadata: bool,
    confinement: &Confinement<'_>,
    warnings: &mut Vec<ScanWarning>,
) -> io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    // `dir`'s canonical path, computed at the first link.
    let mut base: Option<Result<PathBuf, ScanWarningKind>> = None;
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
            let base = match base
                .get_or_insert_with(|| location.canonical(confinement.library_root).map_err(unreadable_kind))
            {
                Ok(base) => base,
                Err(kind) => {
                    warnings.push(ScanWarning { path, kind: kind.clone() });
                    continue;
                }
            };
            // A linked video counts with its target's size.
            let (target, metadata) = match resolve_link(base, &path) {
                Ok(resolved) => resolved,
                Err(err) => {
                    warnings.push(ScanWarning { path, kind: err.into_kind() });
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

/// How many links one resolution may pass through, as Linux's `MAXSYMLINKS`.
const MAX_LINK_HOPS: usize = 40;

/// Why a symlink could not be resolved.
#[derive(Debug)]
pub(crate) enum LinkError {
    /// More than [`MAX_LINK_HOPS`] links: a cycle.
    Cycle,
    /// Reading a link or a component failed (`NotFound`: a broken link).
    Io(io::Error),
}

impl LinkError {
    fn into_kind(self) -> ScanWarningKind {
        match self {
            Self::Cycle => ScanWarningKind::SymlinkLoop,
            Self::Io(err) if err.kind() == io::ErrorKind::NotFound => ScanWarningKind::BrokenSymlink,
            Self::Io(err) => unreadable_kind(&err),
        }
    }
}

/// Resolves the symlink `link`, which sits in the folder whose canonical path is `base`, to its
/// canonical target and the target's metadata.
///
/// This is `canonicalize` without re-resolving `base`: the link is read, then each component
/// of its target is `lstat`ed from `base` onwards (links met on the way are read and expanded
/// in turn), and `..` steps back within the already canonical path. For the usual in-folder
/// link (`poster.jpg → artwork/p.jpg`) that is one `readlink` and two `lstat`s, the last of
/// which is the target's metadata, against about twenty calls for `canonicalize` on a deep
/// absolute path.
pub(crate) fn resolve_link(base: &Path, link: &Path) -> Result<(PathBuf, Metadata), LinkError> {
    let mut resolved = base.to_path_buf();
    let mut pending: Vec<PathBuf> = Vec::new();
    push_components(&mut pending, &fs::read_link(link).map_err(LinkError::Io)?);
    let mut hops = 1;
    let mut metadata = None;
    while let Some(component) = pending.pop() {
        match component.components().next() {
            Some(Component::Prefix(_) | Component::RootDir) => {
                resolved = component;
                metadata = None;
            }
            Some(Component::CurDir) | None => {}
            Some(Component::ParentDir) => {
                resolved.pop();
                metadata = None;
            }
            Some(Component::Normal(name)) => {
                resolved.push(name);
                let own = fs::symlink_metadata(&resolved).map_err(LinkError::Io)?;
                if own.file_type().is_symlink() {
                    hops += 1;
                    if hops > MAX_LINK_HOPS {
                        return Err(LinkError::Cycle);
                    }
                    let target = fs::read_link(&resolved).map_err(LinkError::Io)?;
                    resolved.pop();
                    push_components(&mut pending, &target);
                    metadata = None;
                } else {
                    metadata = Some(own);
                }
            }
        }
    }
    let metadata = match metadata {
        Some(metadata) => metadata,
        // The target ended in `..`, `.` or a root: its metadata was not read on the way.
        None => fs::metadata(&resolved).map_err(LinkError::Io)?,
    };
    Ok((resolved, metadata))
}

/// Queues `path`'s components so that popping yields them in order; a root or prefix stays
/// whole, as the start of an absolute path.
fn push_components(pending: &mut Vec<PathBuf>, path: &Path) {
    let mut components: Vec<PathBuf> = Vec::new();
    let mut start = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => start.push(component),
            other => {
                if !start.as_os_str().is_empty() {
                    components.push(std::mem::take(&mut start));
                }
                components.push(PathBuf::from(other.as_os_str()));
            }
        }
    }
    if !start.as_os_str().is_empty() {
        components.push(start);
    }
    pending.extend(components.into_iter().rev());
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

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    /// Every link agrees with `fs::canonicalize`, including links through links and `..` after
    /// a link (which steps back from the link's target, not from the link).
    #[test]
    fn resolve_link_agrees_with_canonicalize() {
        let temp = tempfile::tempdir().expect("tempdir");
        let base = fs::canonicalize(temp.path()).expect("canonical tempdir");
        fs::create_dir_all(base.join("real/deep")).expect("folders");
        fs::write(base.join("real/deep/file.txt"), b"x").expect("file");
        fs::write(base.join("top.txt"), b"x").expect("file");
        let links: &[(&str, &str)] = &[
            ("dir/plain", "../real/deep/file.txt"),
            ("dir/to_dir", "../real/deep"),
            ("dir/through", "to_dir/file.txt"),
            ("dir/after_link", "to_dir/../../top.txt"),
            ("dir/dots", "./../real/./deep/../deep/file.txt"),
            ("dir/absolute", "/"),
            ("dir/chain", "through"),
        ];
        fs::create_dir(base.join("dir")).expect("dir");
        for (link, target) in links {
            symlink(target, base.join(link)).expect("link");
        }
        for (link, _) in links {
            let link = base.join(link);
            let (resolved, metadata) = resolve_link(&base.join("dir"), &link).expect("resolves");
            assert_eq!(resolved, fs::canonicalize(&link).expect("canonicalize"), "{}", link.display());
            assert_eq!(metadata.is_dir(), fs::metadata(&link).expect("metadata").is_dir());
        }
    }

    #[test]
    fn resolve_link_reports_broken_links_and_cycles() {
        let temp = tempfile::tempdir().expect("tempdir");
        let base = fs::canonicalize(temp.path()).expect("canonical tempdir");
        symlink("missing", base.join("broken")).expect("link");
        symlink("b", base.join("a")).expect("link");
        symlink("a", base.join("b")).expect("link");
        let broken = resolve_link(&base, &base.join("broken"));
        assert!(matches!(broken, Err(LinkError::Io(ref err)) if err.kind() == io::ErrorKind::NotFound), "{broken:?}");
        assert!(matches!(resolve_link(&base, &base.join("a")), Err(LinkError::Cycle)));
    }
}
