//! The one way the native readers read a file: positioned reads under a byte budget and a
//! deadline, counted for the benchmark.
//!
//! Container size fields are untrusted. A read is clamped to what the file holds, so an
//! element that claims gigabytes in a 2 MB file allocates at most 2 MB; and one probe may read
//! at most [`BUDGET`] bytes in all, so a file built to send a reader from one header to the next
//! ends with an error instead of reading a whole film.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::ProbeError;

/// Most bytes one probe may read. Real headers are a few KiB to a few MiB (an MP4 `moov` of a
/// long film, read in parts); past this a file is treated as hostile or broken.
pub(crate) const BUDGET: u64 = 16 * 1024 * 1024;

/// Where the bytes come from: a file, or memory for the fuzz targets and unit tests.
#[derive(Debug)]
enum Backing {
    File(File),
    Memory(Vec<u8>),
}

/// A file opened for probing.
#[derive(Debug)]
pub(crate) struct Source {
    backing: Backing,
    path: PathBuf,
    len: u64,
    bytes_read: u64,
    started: Instant,
    timeout: Duration,
}

impl Source {
    /// Opens a regular, non-empty file.
    pub(crate) fn open(path: &Path, timeout: Duration) -> Result<Self, ProbeError> {
        let io = |source| ProbeError::Io { path: path.to_owned(), source };
        // Checked before opening: opening a FIFO blocks until someone writes to it.
        let metadata = std::fs::metadata(path).map_err(io)?;
        if !metadata.is_file() {
            return Err(io(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file")));
        }
        let file = File::open(path).map_err(io)?;
        if metadata.len() == 0 {
            return Err(ProbeError::Corrupt { path: path.to_owned(), reason: "empty file".to_owned() });
        }
        Ok(Source {
            backing: Backing::File(file),
            path: path.to_owned(),
            len: metadata.len(),
            bytes_read: 0,
            started: Instant::now(),
            timeout,
        })
    }

    /// A source over bytes in memory, named `path` in messages.
    pub(crate) fn from_bytes(path: &Path, bytes: Vec<u8>, timeout: Duration) -> Self {
        Source {
            len: bytes.len() as u64,
            backing: Backing::Memory(bytes),
            path: path.to_owned(),
            bytes_read: 0,
            started: Instant::now(),
            timeout,
        }
    }

    /// The file's length in bytes, as it was when opened.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The file being read, for error messages.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes read so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// A [`ProbeError::Corrupt`] about this file.
    pub(crate) fn corrupt(&self, reason: impl Into<String>) -> ProbeError {
        ProbeError::Corrupt { path: self.path.clone(), reason: reason.into() }
    }

    /// Reads up to `len` bytes at `offset`: fewer when the file ends first, none at or past
    /// its end. Fails when the deadline has passed or the read would exceed the budget.
    pub(crate) fn read_at(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, ProbeError> {
        if self.started.elapsed() > self.timeout {
            return Err(ProbeError::Timeout { path: self.path.clone(), timeout: self.timeout });
        }
        let available = self.len.saturating_sub(offset);
        let wanted = u64::try_from(len).unwrap_or(u64::MAX).min(available);
        if wanted == 0 {
            return Ok(Vec::new());
        }
        if self.bytes_read.saturating_add(wanted) > BUDGET {
            return Err(self.corrupt(format!(
                "its headers need more than {} MiB to read, which no real video's do",
                BUDGET / (1024 * 1024)
            )));
        }
        let wanted = usize::try_from(wanted).expect("at most BUDGET, which fits in usize");
        let bytes = match &mut self.backing {
            Backing::File(file) => {
                let io = |source| ProbeError::Io { path: self.path.clone(), source };
                file.seek(SeekFrom::Start(offset)).map_err(io)?;
                let mut bytes = Vec::with_capacity(wanted);
                // `take` + `read_to_end` stops early only at the end of the file (it may have
                // shrunk since it was opened), which the caller sees as a short read.
                file.take(wanted as u64).read_to_end(&mut bytes).map_err(io)?;
                bytes
            }
            Backing::Memory(memory) => {
                let start = usize::try_from(offset).expect("below len, which came from a usize");
                memory[start..start + wanted].to_vec()
            }
        };
        self.bytes_read += bytes.len() as u64;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_clamped_to_the_file_and_counted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f.bin");
        std::fs::write(&path, b"0123456789").expect("write");
        let mut source = Source::open(&path, Duration::from_secs(5)).expect("open");
        assert_eq!(source.read_at(2, 3).expect("read"), b"234");
        // A size field claiming four gigabytes reads (and allocates) only what is there.
        assert_eq!(source.read_at(8, u32::MAX as usize).expect("read"), b"89");
        assert!(source.read_at(10, 5).expect("read at the end").is_empty());
        assert!(source.read_at(u64::MAX, 5).expect("read far past the end").is_empty());
        assert_eq!(source.bytes_read(), 5);
    }

    #[test]
    fn the_budget_and_the_deadline_end_reading() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f.bin");
        std::fs::write(&path, vec![0u8; 4096]).expect("write");
        let mut source = Source::open(&path, Duration::from_secs(5)).expect("open");
        source.bytes_read = BUDGET - 10;
        assert!(matches!(source.read_at(0, 100), Err(ProbeError::Corrupt { .. })));
        let mut late = Source::open(&path, Duration::ZERO).expect("open");
        std::thread::sleep(Duration::from_millis(2));
        assert!(matches!(late.read_at(0, 1), Err(ProbeError::Timeout { .. })));
    }

    #[test]
    fn empty_files_and_directories_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let empty = dir.path().join("empty.mkv");
        std::fs::write(&empty, b"").expect("write");
        assert!(matches!(Source::open(&empty, Duration::from_secs(1)), Err(ProbeError::Corrupt { .. })));
        assert!(matches!(Source::open(dir.path(), Duration::from_secs(1)), Err(ProbeError::Io { .. })));
    }
}
