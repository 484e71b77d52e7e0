//! Fuzz target for the native MP4 reader: any bytes named `.mp4` must be read without panicking.
//!
//! Run from `crates/probe/fuzz` with nightly (or stable with `RUSTC_BOOTSTRAP=1`), seeding from the
//! header-only samples:
//! `cargo +nightly fuzz run mp4 corpus/mp4 ../tests/data/headers -- -max_len=65536`.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = metarr_probe::probe_native_bytes(Path::new("fuzz.mp4"), bytes.to_vec());
});
