//! The content-addressed cache: `cache/<2 hex>/<2 hex>/<sha256>.<ext>`, one layout for everything.
//!
//! Files enter through [`store_file`]: hashed with SHA-256 into a temporary file inside the
//! cache, then put in place under their hash, so a reader never sees a half-written file and a
//! hash that is already cached is never copied twice. On Linux the temporary file has no name
//! until it is complete, so a killed process or a full disk leaves nothing behind. Library files
//! are only read.

use sha2::{Digest, Sha256};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// An error while caching a file.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("reading {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing into the cache at {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A file now in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cached {
    pub sha256: String,
    pub ext: String,
    pub size: u64,
    /// False when the content was already cached.
    pub copied: bool,
    /// Width and height read from the image header, when the file is an image.
    pub dimensions: Option<(u32, u32)>,
}

/// True for 64 lowercase hex digits: the only names the cache serves.
pub fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A cache-safe extension: lowercase ASCII letters and digits, at most 8, or `bin`.
pub fn clean_ext(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .filter(|e| !e.is_empty() && e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "bin".to_owned())
}

/// Where a hash lives in the cache. `sha256` must satisfy [`is_sha256`].
pub fn path_for(cache_root: &Path, sha256: &str, ext: &str) -> PathBuf {
    cache_root.join(&sha256[..2]).join(&sha256[2..4]).join(format!("{sha256}.{ext}"))
}

/// The MIME type for a cached file's extension.
pub fn content_type(ext: &str) -> &'static str {
    match ext {
        "jpg" | "jpeg" | "tbn" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "avif" => "image/avif",
        "nfo" | "xml" => "application/xml",
        _ => "application/octet-stream",
    }
}

/// Bytes read at a time, which is all a caching job holds in memory whatever the file's size.
/// The scan runs `cores × 16` caching jobs, and reading posters and fanart (500 KB to a few MB
/// each) whole made the allocator keep hundreds of MB of freed buffers.
const CHUNK: usize = 64 * 1024;

/// Times a file is read again when it changes while being cached before giving up.
const ATTEMPTS: usize = 3;

/// Copies `source` into the cache (blocking; run it off the async executor).
///
/// Two passes, neither holding more than [`CHUNK`] bytes: the first hashes the file, and only
/// when the hash is new does the second copy it (in the kernel, with `copy_file_range`) into an
/// unnamed file beside its target. Rescans and duplicate artwork therefore never write. The file's
/// length and modification time are compared across both passes, so a file rewritten in between
/// is read again rather than cached under the wrong hash.
pub fn store_file(cache_root: &Path, source: &Path) -> Result<Cached, CacheError> {
    for _ in 0..ATTEMPTS {
        if let Some(cached) = store_once(cache_root, source)? {
            return Ok(cached);
        }
    }
    Err(CacheError::Read {
        path: source.to_owned(),
        source: std::io::Error::other(format!("the file changed while it was being cached, {ATTEMPTS} times")),
    })
}

/// One attempt; `None` when the file changed between the passes.
fn store_once(cache_root: &Path, source: &Path) -> Result<Option<Cached>, CacheError> {
    let read_err = |source_err| CacheError::Read { path: source.to_owned(), source: source_err };
    let mut input = std::fs::File::open(source).map_err(read_err)?;
    let before = stamp(&input).map_err(read_err)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    let mut size = 0u64;
    let mut dimensions = None;
    loop {
        let read = match input.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(read_err(err)),
        };
        if size == 0 {
            dimensions = metarr_media::image_dimensions_from_bytes(&buffer[..read]);
        }
        hasher.update(&buffer[..read]);
        size += read as u64;
    }
    drop(buffer);
    if dimensions.is_none() && size > CHUNK as u64 {
        // A JPEG whose EXIF or colour profile pushes its size past the first chunk; the image
        // reader reads only as far as it needs.
        dimensions = metarr_media::image_dimensions(source);
    }
    let sha256 = format!("{:x}", hasher.finalize());
    let ext = clean_ext(source);
    let target = path_for(cache_root, &sha256, &ext);
    if target.exists() {
        return Ok(Some(Cached { sha256, ext, size, copied: false, dimensions }));
    }
    let parent = target.parent().expect("cache paths always have a parent");
    std::fs::create_dir_all(parent).map_err(|e| CacheError::Write { path: parent.to_owned(), source: e })?;
    // Beside its target: a rename within one folder locks only that folder, while a rename
    // across folders takes the file system's rename lock, and concurrent jobs creating files
    // in one shared folder queue on that folder's lock.
    let mut temp = Pending::create_in(parent).map_err(|e| CacheError::Write { path: parent.to_owned(), source: e })?;
    input.seek(SeekFrom::Start(0)).map_err(read_err)?;
    let copied = temp.copy_from(&mut input).map_err(|e| CacheError::Write { path: target.clone(), source: e })?;
    if copied != size || stamp(&input).map_err(read_err)? != before {
        // Dropping the unnamed file leaves nothing behind.
        return Ok(None);
    }
    persist(temp, target, Cached { sha256, ext, size, copied: true, dimensions }).map(Some)
}

/// Puts bytes already in memory (a downloaded or uploaded image, checked by the caller) into
/// the cache under their hash, as `ext` (blocking; run it off the async executor). Bytes
/// already cached are not written again.
pub fn store_bytes(cache_root: &Path, bytes: &[u8], ext: &str) -> Result<Cached, CacheError> {
    let sha256 = format!("{:x}", Sha256::digest(bytes));
    let ext = Path::new("x").with_extension(ext);
    let ext = clean_ext(&ext);
    let size = bytes.len() as u64;
    let dimensions = metarr_media::image_dimensions_from_bytes(bytes);
    let target = path_for(cache_root, &sha256, &ext);
    if target.exists() {
        return Ok(Cached { sha256, ext, size, copied: false, dimensions });
    }
    let parent = target.parent().expect("cache paths always have a parent");
    std::fs::create_dir_all(parent).map_err(|e| CacheError::Write { path: parent.to_owned(), source: e })?;
    let mut temp = Pending::create_in(parent).map_err(|e| CacheError::Write { path: parent.to_owned(), source: e })?;
    temp.write_all(bytes).map_err(|e| CacheError::Write { path: target.clone(), source: e })?;
    persist(temp, target, Cached { sha256, ext, size, copied: true, dimensions })
}

/// What tells a rewritten file from the one that was hashed: its length and modification time.
fn stamp(file: &std::fs::File) -> std::io::Result<(u64, Option<std::time::SystemTime>)> {
    let metadata = file.metadata()?;
    Ok((metadata.len(), metadata.modified().ok()))
}

/// Puts a complete temporary file in place.
fn persist(temp: Pending, target: PathBuf, cached: Cached) -> Result<Cached, CacheError> {
    // No fsync per file: it would cost more than the copy, and the library file this came from
    // is still there; verification re-caches a file that a power cut left short.
    temp.persist(&target).map_err(|e| CacheError::Write { path: target, source: e })?;
    Ok(cached)
}

/// A file on its way into the cache, invisible under the cache's names until it is complete.
enum Pending {
    /// An unnamed file (Linux's `O_TMPFILE`), given its name only once complete: a process
    /// killed while writing it, or a full disk, leaves nothing behind in the cache.
    #[cfg(target_os = "linux")]
    Unnamed(std::fs::File),
    /// A named temporary file, removed when dropped. A killed process leaves it behind, so it
    /// is only the fallback: file systems without `O_TMPFILE` and systems other than Linux.
    Named(tempfile::NamedTempFile),
}

impl Pending {
    fn create_in(dir: &Path) -> std::io::Result<Pending> {
        #[cfg(target_os = "linux")]
        if let Some(file) = unnamed_in(dir)? {
            return Ok(Pending::Unnamed(file));
        }
        tempfile::Builder::new().prefix(".tmp").tempfile_in(dir).map(Pending::Named)
    }

    /// Copies the rest of `input` in, in the kernel where it can (`copy_file_range`).
    fn copy_from(&mut self, input: &mut std::fs::File) -> std::io::Result<u64> {
        match self {
            #[cfg(target_os = "linux")]
            Pending::Unnamed(file) => std::io::copy(input, file),
            Pending::Named(temp) => std::io::copy(input, temp.as_file_mut()),
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        match self {
            #[cfg(target_os = "linux")]
            Pending::Unnamed(file) => file.write_all(bytes),
            Pending::Named(temp) => temp.write_all(bytes),
        }
    }

    /// Names the complete file `target`. A target that exists already holds the same bytes:
    /// its name is their hash.
    fn persist(self, target: &Path) -> std::io::Result<()> {
        match self {
            #[cfg(target_os = "linux")]
            Pending::Unnamed(file) => {
                use std::os::fd::AsRawFd;
                let handle = format!("/proc/self/fd/{}", file.as_raw_fd());
                let flags = rustix::fs::AtFlags::SYMLINK_FOLLOW;
                match rustix::fs::linkat(rustix::fs::CWD, handle.as_str(), rustix::fs::CWD, target, flags) {
                    Ok(()) | Err(rustix::io::Errno::EXIST) => Ok(()),
                    Err(err) => Err(err.into()),
                }
            }
            Pending::Named(temp) => temp.persist(target).map(drop).map_err(|e| e.error),
        }
    }
}

/// An unnamed file in `dir`, or `None` where that cannot be had.
#[cfg(target_os = "linux")]
fn unnamed_in(dir: &Path) -> std::io::Result<Option<std::fs::File>> {
    use rustix::fs::{Mode, OFlags};
    use rustix::io::Errno;
    // An unnamed file is named through /proc/self/fd: without /proc it could never be.
    static PROC_FD: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if !*PROC_FD.get_or_init(|| Path::new("/proc/self/fd").is_dir()) {
        return Ok(None);
    }
    let flags = OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC;
    match rustix::fs::openat(rustix::fs::CWD, dir, flags, Mode::RUSR | Mode::WUSR) {
        Ok(fd) => Ok(Some(std::fs::File::from(fd))),
        // File systems without O_TMPFILE (kernels before 3.11 answer EISDIR).
        Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_by_hash_once_and_rejects_bad_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        let library = dir.path().join("poster.JPG");
        std::fs::write(&library, b"fake jpeg bytes").expect("write");
        let cache = dir.path().join("cache");
        let first = store_file(&cache, &library).expect("cached");
        assert!(first.copied);
        assert_eq!(first.ext, "jpg");
        assert_eq!(first.sha256, format!("{:x}", Sha256::digest(b"fake jpeg bytes")));
        let path = path_for(&cache, &first.sha256, "jpg");
        assert_eq!(std::fs::read(&path).expect("in cache"), b"fake jpeg bytes");
        assert!(path.starts_with(cache.join(&first.sha256[..2]).join(&first.sha256[2..4])));
        let copy = dir.path().join("folder.jpg");
        std::fs::write(&copy, b"fake jpeg bytes").expect("write");
        assert!(!store_file(&cache, &copy).expect("cached").copied, "same content is not copied twice");
        assert_eq!(std::fs::read(&library).expect("library file untouched"), b"fake jpeg bytes");
        assert!(is_sha256(&first.sha256));
        assert!(!is_sha256("../../etc/passwd"));
        assert!(!is_sha256(&first.sha256.to_uppercase()));
        assert_eq!(clean_ext(Path::new("a/b.p/ng")), "bin");
    }
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_being_written_has_no_name_until_it_is_complete() {
        let dir = tempfile::tempdir().expect("tempdir");
        let names = || -> Vec<String> {
            std::fs::read_dir(dir.path())
                .expect("folder")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        };
        let mut pending = Pending::create_in(dir.path()).expect("temporary file");
        assert!(matches!(pending, Pending::Unnamed(_)), "this file system has O_TMPFILE");
        pending.write_all(b"half of it").expect("write");
        assert!(names().is_empty(), "a process killed now leaves nothing: {:?}", names());
        drop(pending);
        assert!(names().is_empty());

        let target = dir.path().join("whole.bin");
        let mut pending = Pending::create_in(dir.path()).expect("temporary file");
        pending.write_all(b"all of it").expect("write");
        pending.persist(&target).expect("named");
        assert_eq!(std::fs::read(&target).expect("in place"), b"all of it");
        // The same bytes again: the name is taken already, which is no error.
        let mut again = Pending::create_in(dir.path()).expect("temporary file");
        again.write_all(b"all of it").expect("write");
        again.persist(&target).expect("already there");
        assert_eq!(names(), vec!["whole.bin".to_owned()]);
    }

    #[test]
    fn large_and_small_files_are_copied_whole_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = dir.path().join("cache");
        // Many chunks long, with a PNG header so that the dimensions come from the first one.
        let mut big = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
        big.extend_from_slice(&3840u32.to_be_bytes());
        big.extend_from_slice(&2160u32.to_be_bytes());
        big.extend((0..(CHUNK * 20 + 300_000)).map(|i| (i % 251) as u8));
        let source = dir.path().join("fanart.PNG");
        std::fs::write(&source, &big).expect("write");
        let cached = store_file(&cache, &source).expect("cached");
        assert_eq!(cached.sha256, format!("{:x}", Sha256::digest(&big)));
        assert_eq!(cached.size, big.len() as u64);
        assert_eq!(cached.dimensions, Some((3840, 2160)));
        let stored = path_for(&cache, &cached.sha256, "png");
        assert!(std::fs::read(&stored).expect("in cache") == big, "the cached copy is byte for byte the file");
        let beside: Vec<_> = std::fs::read_dir(stored.parent().expect("parent")).expect("folder").collect();
        assert_eq!(beside.len(), 1, "no temporary file left beside it");
        assert!(!cache.join("tmp").exists(), "nothing goes through a shared temporary folder");

        let small = dir.path().join("poster.jpg");
        std::fs::write(&small, b"small poster").expect("write");
        let cached = store_file(&cache, &small).expect("cached");
        assert_eq!(cached.dimensions, None, "not an image header");
        let folder = path_for(&cache, &cached.sha256, "jpg").parent().expect("parent").to_owned();
        let names: Vec<String> = std::fs::read_dir(&folder)
            .expect("folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec![format!("{}.jpg", cached.sha256)]);
    }

    #[test]
    fn a_jpeg_whose_metadata_fills_the_first_chunk_still_has_dimensions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut jpeg = vec![0xFF, 0xD8];
        // Two EXIF-sized APP1 segments push the frame header past the first chunk.
        for _ in 0..2 {
            jpeg.extend_from_slice(&[0xFF, 0xE1, 0xFF, 0x00]);
            jpeg.extend(std::iter::repeat_n(0x20, 0xFF00 - 2));
        }
        assert!(jpeg.len() > CHUNK);
        // SOF0: length 17, precision 8, height 1500, width 1000, three components.
        jpeg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08, 0x05, 0xDC, 0x03, 0xE8, 0x03]);
        jpeg.extend_from_slice(&[1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
        let source = dir.path().join("poster.jpg");
        std::fs::write(&source, &jpeg).expect("write");
        let cached = store_file(&dir.path().join("cache"), &source).expect("cached");
        assert_eq!(cached.dimensions, Some((1000, 1500)));
        assert_eq!(cached.size, jpeg.len() as u64);
    }
}
