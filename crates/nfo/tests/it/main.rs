//! Integration tests for `metarr-nfo`: real fixtures, hostile inputs, a mutation loop, the
//! writer and the TV NFOs.

mod fixtures;
mod hostile;
mod robustness;
mod tv;
mod write;

use std::path::PathBuf;

use metarr_nfo::{NfoWarning, WarningKind};

/// The folder of NFO fixtures, copied byte for byte from `shared/fixtures/nfo/`.
fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("data")
}

/// The bytes of one fixture.
fn data(name: &str) -> Vec<u8> {
    let path = data_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}

/// The names of every fixture, sorted.
fn data_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data_dir())
        .expect("read tests/data")
        .map(|entry| entry.expect("dir entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".nfo"))
        .collect();
    names.sort();
    names
}

/// The warning kinds, for comparing without positions.
fn kinds(warnings: &[NfoWarning]) -> Vec<WarningKind> {
    warnings.iter().map(|warning| warning.kind.clone()).collect()
}
