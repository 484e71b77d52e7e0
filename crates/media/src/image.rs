//! Image dimensions from the file header only, so recording an artwork's size never reads the
//! whole image.

use std::path::Path;

/// Width and height of the image at `path` (JPEG, PNG, WebP, GIF, BMP, AVIF/HEIF), read from
/// its header; `None` when the file cannot be read or is not a supported image.
pub fn image_dimensions(path: &Path) -> Option<(u32, u32)> {
    let size = imagesize::size(path).ok()?;
    Some((u32::try_from(size.width).ok()?, u32::try_from(size.height).ok()?))
}

/// Like [`image_dimensions`] for bytes already in memory (the start of the file is enough).
pub fn image_dimensions_from_bytes(bytes: &[u8]) -> Option<(u32, u32)> {
    let size = imagesize::blob_size(bytes).ok()?;
    Some((u32::try_from(size.width).ok()?, u32::try_from(size.height).ok()?))
}
