//! Integration tests for metarr-artwork: image checks against real encoded bytes made in the
//! test, near-duplicate detection, previews, and properties of the score.

#![allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]

mod checks;
mod duplicates;
mod measure;
mod previews;
mod score_props;
mod support;
