//! The (size, mtime, inode) stamp that decides whether a file changed since the last scan
//! (docs/files.md, "Change detection"), so unchanged files are neither re-hashed nor re-probed.

use std::fs::Metadata;
use std::io;
use std::path::Path;
use std::time::UNIX_EPOCH;

/// A file's size, modification time and inode, compared as a whole.
///
/// Two stamps are equal exactly when the scanner may treat the file as unchanged. The inode is
/// part of the stamp because Radarr replaces files by renaming a new one into place, which can
/// keep size and mtime (a copy with preserved times) but never the inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileStamp {
    /// Size in bytes (for a disc structure, the total of its files).
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch (negative before 1970; 0 when the
    /// platform does not report it). For a disc structure, the newest of its files.
    pub mtime_ns: i64,
    /// The inode number (`MetadataExt::ino`); 0 on platforms without inodes. For a disc
    /// structure, the inode of its root folder.
    pub inode: u64,
}

impl FileStamp {
    /// The stamp of a file's metadata (as returned by `fs::metadata`, following symlinks).
    pub fn from_metadata(metadata: &Metadata) -> Self {
        Self { size: metadata.len(), mtime_ns: mtime_ns(metadata), inode: inode(metadata) }
    }

    /// Reads the stamp of the file at `path`, following symlinks.
    ///
    /// # Errors
    ///
    /// The error of `fs::metadata`.
    pub fn read(path: &Path) -> io::Result<Self> {
        std::fs::metadata(path).map(|metadata| Self::from_metadata(&metadata))
    }
}

pub(crate) fn mtime_ns(metadata: &Metadata) -> i64 {
    let Ok(modified) = metadata.modified() else { return 0 };
    // Saturate instead of failing: a time beyond year 2262 cannot be a real mtime anyway.
    match modified.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_nanos()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_nanos()).map_or(i64::MIN, |nanos| -nanos),
    }
}

#[cfg(unix)]
pub(crate) fn inode(metadata: &Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(metadata)
}

#[cfg(not(unix))]
pub(crate) fn inode(_metadata: &Metadata) -> u64 {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_changes_with_content_and_replacement() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("movie.mkv");
        std::fs::write(&path, b"abc").expect("write");
        let first = FileStamp::read(&path).expect("stamp");
        assert_eq!(first, FileStamp::read(&path).expect("stamp again"));
        assert_eq!(first.size, 3);
        assert!(first.mtime_ns > 0);
        assert_ne!(first.inode, 0);

        // Replacing by rename, as Radarr does, changes the inode even with the same size.
        let replacement = dir.path().join("new.mkv");
        std::fs::write(&replacement, b"xyz").expect("write replacement");
        std::fs::rename(&replacement, &path).expect("rename");
        let second = FileStamp::read(&path).expect("stamp after rename");
        assert_eq!(second.size, 3);
        assert_ne!(first, second);
    }
}
