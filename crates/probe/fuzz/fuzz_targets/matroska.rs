//! Fuzz target for the native Matroska reader: any bytes named `.mkv` must be read without
//! panicking, and every stream returned must name its codec.
//!
//! Run from `crates/probe/fuzz` with nightly (or stable with `RUSTC_BOOTSTRAP=1`), seeding from the
//! header-only samples:
//! `cargo +nightly fuzz run matroska corpus/matroska ../tests/data/headers -- -max_len=65536`.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(probe) = metarr_probe::probe_native_bytes(Path::new("fuzz.mkv"), bytes.to_vec()) {
        let details = probe.details;
        assert!(details.video.iter().all(|video| !video.codec.is_empty()));
        assert!(details.audio.iter().all(|audio| !audio.codec.is_empty()));
        assert!(details.subtitles.iter().all(|subtitle| !subtitle.codec.is_empty()));
        assert!(probe.bytes_read <= 16 * 1024 * 1024);
    }
});
