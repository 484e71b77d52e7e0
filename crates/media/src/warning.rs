//! Problems met while walking a library that do not stop the walk.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Something a walk skipped or could not read; the rest of the result is still valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanWarning {
    /// The folder or file concerned (for a symlink, the link itself, not its target).
    pub path: PathBuf,
    /// What happened.
    pub kind: ScanWarningKind,
}

/// What a [`ScanWarning`] is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanWarningKind {
    /// A folder could not be listed, or an entry's metadata could not be read.
    Unreadable {
        /// The IO error's kind (permission denied, not found after a race…).
        error_kind: io::ErrorKind,
        /// The IO error's message.
        message: String,
    },
    /// A symlink leads to a folder already visited (a loop, or a second path to the same
    /// folder), to one of its own parent folders, or through a cycle of links; it was not
    /// followed.
    SymlinkLoop,
    /// A symlink whose target does not exist.
    BrokenSymlink,
    /// A symlink inside a movie folder (or, during discovery, a file link in any folder) that
    /// leads out of that folder, to elsewhere in the library; it was not followed, so a film
    /// never takes another folder's files.
    SymlinkOutsideFolder {
        /// Where the link leads, resolved (canonical).
        target: PathBuf,
    },
    /// A symlink that leads out of the library root; it was not followed, so a scan never reads
    /// outside its library.
    SymlinkOutsideLibrary {
        /// Where the link leads, resolved (canonical).
        target: PathBuf,
    },
    /// A folder symlink outside any movie folder that leads to another folder of the library.
    /// Discovery follows no folder links: the target is found, and catalogued, at its real path.
    SymlinkWithinLibrary {
        /// Where the link leads, resolved (canonical).
        target: PathBuf,
    },
    /// An extras-like folder (`Extras/`, `Trailers/`, `Sample/`…) holds videos but is not inside
    /// a movie folder, so its videos were not taken for a film.
    OrphanExtrasFolder,
    /// A `BDMV` or `VIDEO_TS` folder without its index file (`index.bdmv`, `VIDEO_TS.IFO`),
    /// outside any movie folder: probably an incomplete copy; it was not searched.
    IncompleteDisc,
}

impl ScanWarning {
    pub(crate) fn unreadable(path: PathBuf, err: &io::Error) -> Self {
        Self { path, kind: ScanWarningKind::Unreadable { error_kind: err.kind(), message: err.to_string() } }
    }
}

impl fmt::Display for ScanWarning {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.kind {
            ScanWarningKind::Unreadable { message, .. } => write!(formatter, "cannot read {path}: {message}"),
            ScanWarningKind::SymlinkLoop => {
                write!(formatter, "not following symlink {path}: it leads back to a folder already visited")
            }
            ScanWarningKind::BrokenSymlink => write!(formatter, "broken symlink {path}"),
            ScanWarningKind::SymlinkOutsideFolder { target } => {
                write!(formatter, "not following symlink {path}: it leads to {}, outside its folder", target.display())
            }
            ScanWarningKind::SymlinkOutsideLibrary { target } => {
                write!(formatter, "not following symlink {path}: it leads to {}, outside the library", target.display())
            }
            ScanWarningKind::SymlinkWithinLibrary { target } => write!(
                formatter,
                "not following folder symlink {path}: {} is scanned at its own path",
                target.display()
            ),
            ScanWarningKind::IncompleteDisc => write!(formatter, "{path} is a disc folder without its index file"),
            ScanWarningKind::OrphanExtrasFolder => {
                write!(
                    formatter,
                    "{path} looks like an extras folder outside any movie folder; its videos were skipped"
                )
            }
        }
    }
}
