//! The only code that writes into a library (blocking; run it off the executor): atomic writes
//! (a hidden temporary file in the target's folder, fsync, rename), removal, and the check that
//! keeps every path inside its library root even through symbolic links.

use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Writing into a library failed, or was refused.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// A folder or file resolves (through a link) to outside the library root.
    #[error("{path} resolves to {resolved}, outside the library root {root}; refusing to write there")]
    Escapes { path: PathBuf, resolved: PathBuf, root: PathBuf },
    #[error("{action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> FsError + 'a {
    move |source| FsError::Io { action, path: path.to_owned(), source }
}

/// A file's stamp as the scanner records it: size, modification time in nanoseconds, inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub size: i64,
    pub mtime: i64,
    pub inode: i64,
}

impl Stamp {
    /// The same numbers the scanner records (`metarr_media::FileStamp`), so that a scan after a
    /// publish sees no change.
    pub fn of(metadata: &std::fs::Metadata) -> Stamp {
        let stamp = metarr_media::FileStamp::from_metadata(metadata);
        Stamp { size: stamp.size as i64, mtime: stamp.mtime_ns, inode: stamp.inode as i64 }
    }
}

/// The stamp of a regular file at `path`, or `None` when nothing (or no regular file) is there.
pub fn stamp(path: &Path) -> Option<Stamp> {
    std::fs::metadata(path).ok().filter(std::fs::Metadata::is_file).map(|m| Stamp::of(&m))
}

/// The SHA-256 and size of a file, read in chunks.
pub fn hash_file(path: &Path) -> Result<(String, u64), FsError> {
    let mut file = std::fs::File::open(path).map_err(io("reading", path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => {
                hasher.update(&buffer[..read]);
                size += read as u64;
            }
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(io("reading", path)(err)),
        }
    }
    Ok((format!("{:x}", hasher.finalize()), size))
}

/// A movie folder checked to lie inside its library root.
#[derive(Debug, Clone)]
pub struct SafeFolder {
    /// The folder as the catalogue names it (the paths Metarr records).
    pub folder: PathBuf,
    /// The library root, resolved.
    pub root: PathBuf,
}

impl SafeFolder {
    /// Checks that `folder` resolves to inside `root` (both resolved through links).
    pub fn new(root: &Path, folder: &Path) -> Result<SafeFolder, FsError> {
        let real_root = std::fs::canonicalize(root).map_err(io("resolving the library root", root))?;
        let real = std::fs::canonicalize(folder).map_err(io("resolving the movie folder", folder))?;
        if !real.starts_with(&real_root) || real == real_root {
            return Err(FsError::Escapes { path: folder.to_owned(), resolved: real, root: real_root });
        }
        Ok(SafeFolder { folder: folder.to_owned(), root: real_root })
    }

    /// The path of `relative` (as `names` makes them: no `..`, no root) in the folder, after
    /// checking that neither it nor a folder on the way is a link leading out of the root.
    pub fn target(&self, relative: &str) -> Result<PathBuf, FsError> {
        let path = self.folder.join(relative);
        let escapes = |resolved: PathBuf| FsError::Escapes { path: path.clone(), resolved, root: self.root.clone() };
        // Every component below the folder that exists: a subfolder (`extrafanart/`) or the
        // file itself may be a link.
        let mut current = self.folder.clone();
        for part in Path::new(relative).components() {
            match part {
                std::path::Component::Normal(name) => current.push(name),
                _ => return Err(escapes(path.clone())),
            }
            match std::fs::symlink_metadata(&current) {
                Ok(metadata) if metadata.file_type().is_symlink() => {
                    // A dangling link resolves nowhere: judged by where it points.
                    let resolved = std::fs::canonicalize(&current).unwrap_or_else(|_| {
                        let pointed = std::fs::read_link(&current).unwrap_or_default();
                        lexical(&current.parent().map_or(pointed.clone(), |parent| parent.join(&pointed)))
                    });
                    if !resolved.starts_with(&self.root) {
                        return Err(escapes(resolved));
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        Ok(path)
    }
}

/// `path` with `.` and `..` worked out by name alone (for a link whose target does not exist).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Writes `bytes` at `path` atomically: a hidden temporary file in the same folder (which
/// scans ignore), fsync, rename over the target. Creates a missing subfolder (`extrafanart/`,
/// `.actors/`). Returns the written file's stamp.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<Stamp, FsError> {
    let parent = path.parent().ok_or_else(|| io("writing", path)(std::io::Error::other("no parent folder")))?;
    std::fs::create_dir_all(parent).map_err(io("creating", parent))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".metarr-")
        .suffix(".tmp")
        .tempfile_in(parent)
        .map_err(io("creating a temporary file in", parent))?;
    temp.write_all(bytes).map_err(io("writing", temp.path()))?;
    temp.as_file().sync_all().map_err(io("syncing", temp.path()))?;
    let file = temp.persist(path).map_err(|err| io("renaming into place", path)(err.error))?;
    let metadata = file.metadata().map_err(io("reading the stamp of", path))?;
    Ok(Stamp::of(&metadata))
}

/// Copies a cached file to `path` atomically (see [`write_atomic`]).
pub fn copy_atomic(source: &Path, path: &Path) -> Result<Stamp, FsError> {
    let bytes = std::fs::read(source).map_err(io("reading the cached copy", source))?;
    write_atomic(path, &bytes)
}

/// Removes a file; one already gone is fine.
pub fn remove(path: &Path) -> Result<(), FsError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(io("removing", path)(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_out_of_the_root_is_refused_naming_both_paths() {
        let root = tempfile::tempdir().expect("temp dir");
        let outside = tempfile::tempdir().expect("temp dir");
        let folder = root.path().join("Film (2000)");
        std::fs::create_dir(&folder).expect("folder");
        std::os::unix::fs::symlink(outside.path(), folder.join("extrafanart")).expect("link");
        std::os::unix::fs::symlink(outside.path().join("x.jpg"), folder.join("poster.jpg")).expect("link");
        // Dangling, and out of the root only once its `..` are worked out.
        std::os::unix::fs::symlink("../../escaped.jpg", folder.join("clearlogo.png")).expect("link");
        let safe = SafeFolder::new(root.path(), &folder).expect("inside");
        for name in ["extrafanart/fanart1.jpg", "poster.jpg"] {
            let err = safe.target(name).expect_err(name).to_string();
            assert!(
                err.contains(&outside.path().display().to_string()) && err.contains("outside the library root"),
                "{err}"
            );
        }
        assert!(safe.target("fanart.jpg").is_ok());
        assert!(safe.target("../escape.jpg").is_err());
        // The movie folder itself as a link out of the root.
        let linked = root.path().join("Linked");
        std::os::unix::fs::symlink(outside.path(), &linked).expect("link");
        assert!(SafeFolder::new(root.path(), &linked).is_err());
    }

    #[test]
    fn an_atomic_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub").join("poster.jpg");
        let stamp = write_atomic(&path, b"bytes").expect("written");
        assert_eq!(std::fs::read(&path).expect("read"), b"bytes");
        assert_eq!(stamp.size, 5);
        write_atomic(&path, b"other").expect("replaced");
        let names: Vec<_> =
            std::fs::read_dir(path.parent().expect("parent")).expect("list").flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, [std::ffi::OsString::from("poster.jpg")]);
    }
}
