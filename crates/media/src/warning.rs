//! Problems met while walking a library that do not stop the walk.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

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
    /// A movie folder, a file or a subfolder whose name is not valid UTF-8. It was left out: the
    /// catalogue keeps paths as text, and a lossy conversion would merge distinct names. An
    /// error ([`ScanWarningKind::is_error`]): the film or file is missing until it is renamed.
    NotUtf8,
    /// An extras-like folder (`Extras/`, `Trailers/`, `Sample/`…) holds videos but is not inside
    /// a movie folder, so its videos were not taken for a film.
    OrphanExtrasFolder,
    /// A `BDMV` or `VIDEO_TS` folder without its index file (`index.bdmv`, `VIDEO_TS.IFO`),
    /// outside any movie folder: probably an incomplete copy; it was not searched.
    IncompleteDisc,
}

impl ScanWarningKind {
    /// Whether the scan should count this as an error rather than a warning: something the user
    /// has on disk was refused and stays out of the catalogue until they fix it (today only
    /// [`ScanWarningKind::NotUtf8`]). Links that are not followed are by design, so warnings.
    pub fn is_error(&self) -> bool {
        match self {
            Self::NotUtf8 => true,
            Self::Unreadable { .. }
            | Self::SymlinkLoop
            | Self::BrokenSymlink
            | Self::SymlinkOutsideFolder { .. }
            | Self::SymlinkOutsideLibrary { .. }
            | Self::SymlinkWithinLibrary { .. }
            | Self::OrphanExtrasFolder
            | Self::IncompleteDisc => false,
        }
    }
}

impl ScanWarning {
    pub(crate) fn unreadable(path: PathBuf, err: &io::Error) -> Self {
        Self { path, kind: ScanWarningKind::Unreadable { error_kind: err.kind(), message: err.to_string() } }
    }

    /// Whether the scan should count this as an error; see [`ScanWarningKind::is_error`].
    pub fn is_error(&self) -> bool {
        self.kind.is_error()
    }
}

impl fmt::Display for ScanWarning {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = EscapedPath(&self.path);
        match &self.kind {
            ScanWarningKind::Unreadable { message, .. } => write!(formatter, "cannot read {path}: {message}"),
            ScanWarningKind::SymlinkLoop => {
                write!(formatter, "not following symlink {path}: it leads back to a folder already visited")
            }
            ScanWarningKind::BrokenSymlink => write!(formatter, "broken symlink {path}"),
            ScanWarningKind::SymlinkOutsideFolder { target } => write!(
                formatter,
                "not following symlink {path}: it leads to {}, outside its folder",
                EscapedPath(target)
            ),
            ScanWarningKind::SymlinkOutsideLibrary { target } => write!(
                formatter,
                "not following symlink {path}: it leads to {}, outside the library",
                EscapedPath(target)
            ),
            ScanWarningKind::SymlinkWithinLibrary { target } => write!(
                formatter,
                "not following folder symlink {path}: {} is scanned at its own path",
                EscapedPath(target)
            ),
            ScanWarningKind::NotUtf8 => {
                write!(formatter, "skipped {path}: its name is not valid UTF-8; rename it to UTF-8")
            }
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

/// A path for messages that keeps distinct names distinct: bytes that are not UTF-8 are written
/// as `\xNN` escapes rather than all as U+FFFD, as `Path::display` would.
pub(crate) struct EscapedPath<'a>(pub(crate) &'a Path);

impl fmt::Display for EscapedPath<'_> {
    #[cfg(unix)]
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        use std::os::unix::ffi::OsStrExt;
        for chunk in self.0.as_os_str().as_bytes().utf8_chunks() {
            formatter.write_str(chunk.valid())?;
            for byte in chunk.invalid() {
                write!(formatter, "\\x{byte:02X}")?;
            }
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.0.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn escaped_paths_keep_distinct_bytes_apart() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;

        let first = Path::new(OsStr::from_bytes(b"/m/Bad\xff (2005)"));
        let second = Path::new(OsStr::from_bytes(b"/m/Bad\xfe (2005)"));
        assert_eq!(EscapedPath(first).to_string(), "/m/Bad\\xFF (2005)");
        assert_eq!(EscapedPath(second).to_string(), "/m/Bad\\xFE (2005)");
        assert_eq!(EscapedPath(Path::new("/m/千と千尋 (2001)")).to_string(), "/m/千と千尋 (2001)");
    }
}
