//! Artwork for Metarr: the slots a media item has, how candidate images are scored and ranked,
//! and checking, fingerprinting and previewing image bytes within fixed bounds.
//!
//! Pure and synchronous: no I/O beyond the bytes handed in, so callers decide where the CPU
//! work runs (decoding a large poster takes tens of milliseconds). The design and the numbers
//! are in docs/artwork-scoring.md.
#![warn(missing_docs)]

pub mod image;
pub mod sample;
pub mod score;
mod shrink;
pub mod slot;

pub use crate::image::{
    Fingerprint, Format, ImageError, MAX_PIXELS, NEAR_DUPLICATE, PHash, PREVIEW_WIDTH, inspect, inspect_with_preview,
    is_near_duplicate, phash, preview,
};
pub use crate::score::{ArtLanguage, Candidate, RankKey, Score, Source, rank, score};
pub use crate::slot::{LimitError, Slot, SlotLimits, UnknownSlot};
