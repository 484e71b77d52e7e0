//! Checking downloaded or uploaded image bytes, with bounded work and memory: what they are,
//! their size, a perceptual hash to spot near-duplicates, and a small preview.
//!
//! Every function decodes at most once and keeps at most the one decoded image plus pictures of
//! preview size. Bytes are refused before decoding when they are not a supported image, when the
//! header claims more than [`MAX_PIXELS`], or when the file ends early (decoders would otherwise
//! pad a cut JPEG with grey and call it fine).

use std::borrow::Cow;
use std::fmt;
use std::io::Cursor;
use std::sync::OnceLock;

use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, GenericImageView, GrayImage, ImageDecoder, ImageReader, Limits};
use image_hasher::{HashAlg, Hasher, HasherConfig, ImageHash};
use serde::{Deserialize, Serialize};

use crate::shrink::shrink;

/// Images with more pixels than this are refused from their header, before decoding.
pub const MAX_PIXELS: u64 = 100_000_000;

/// The width previews are scaled down to (TMDB's `w342`, which the web UI shows in its grids).
pub const PREVIEW_WIDTH: u32 = 342;

/// The [`PHash::similarity`] from which two images count as the same picture.
pub const NEAR_DUPLICATE: f64 = 0.90;

/// What one decode may allocate: the largest picture allowed (100 megapixels of 16-bit RGBA is
/// 800 MB) plus the decoders' own buffers. A decoder that needs more is refused as corrupt.
const MAX_DECODE_BYTES: u64 = 1 << 30;

/// JPEG quality of previews: small files that still look clean at 342 px.
const PREVIEW_QUALITY: u8 = 82;

/// The formats accepted, which are the ones providers serve and Kodi reads.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// WebP.
    Webp,
    /// GIF (the first frame).
    Gif,
    /// BMP.
    Bmp,
}

impl Format {
    /// The file extension, without a dot.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Gif => "gif",
            Format::Bmp => "bmp",
        }
    }

    /// The MIME type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Gif => "image/gif",
            Format::Bmp => "image/bmp",
        }
    }

    /// The format's usual name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::Webp => "WebP",
            Format::Gif => "GIF",
            Format::Bmp => "BMP",
        }
    }

    fn image_format(self) -> image::ImageFormat {
        match self {
            Format::Jpeg => image::ImageFormat::Jpeg,
            Format::Png => image::ImageFormat::Png,
            Format::Webp => image::ImageFormat::WebP,
            Format::Gif => image::ImageFormat::Gif,
            Format::Bmp => image::ImageFormat::Bmp,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why bytes are not a usable image. The messages are meant for users.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// There are no bytes.
    #[error("empty: the file has no bytes")]
    Empty,
    /// The bytes are something else, such as a provider's error page.
    #[error("not an image: it looks like {what}")]
    NotAnImage {
        /// "an HTML page", "an XML document", "a JSON document", "gzip-compressed data", "text"
        /// or "unknown bytes".
        what: &'static str,
    },
    /// An image in a format that is not accepted.
    #[error("unsupported image format: {format} (JPEG, PNG, WebP, GIF and BMP are supported)")]
    Unsupported {
        /// "TIFF", "AVIF", "HEIC", "JPEG XL", "ICO", "SVG" or "PSD".
        format: &'static str,
    },
    /// The header claims more than [`MAX_PIXELS`]; nothing was decoded.
    #[error(
        "refused before decoding: {width}×{height} is {} megapixels, above the {} megapixel limit",
        megapixels(*width, *height),
        MAX_PIXELS / 1_000_000
    )]
    TooLarge {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
    },
    /// The file ends before the image does: a cut download.
    #[error("truncated: {reason}")]
    Truncated {
        /// What is missing.
        reason: String,
    },
    /// The bytes start as an image but do not decode.
    #[error("corrupt: {reason}")]
    Corrupt {
        /// The decoder's complaint.
        reason: String,
    },
}

/// Megapixels rounded up to a tenth, so a size above the limit never reads as the limit itself.
fn megapixels(width: u32, height: u32) -> String {
    let tenths = (u64::from(width) * u64::from(height)).div_ceil(100_000);
    match tenths % 10 {
        0 => format!("{}", tenths / 10),
        fraction => format!("{}.{fraction}", tenths / 10),
    }
}

/// What an image is: its format, size (as displayed, after any EXIF rotation) and perceptual hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    /// The format the bytes are in.
    pub format: Format,
    /// Width in pixels as displayed.
    pub width: u32,
    /// Height in pixels as displayed.
    pub height: u32,
    /// The perceptual hash.
    pub phash: PHash,
}

/// Checks image bytes and fingerprints them: sniffs the format, reads the size from the header,
/// refuses more than [`MAX_PIXELS`], decodes fully (so corrupt data is caught) and hashes.
pub fn inspect(bytes: &[u8]) -> Result<Fingerprint, ImageError> {
    let decoded = decode(bytes)?;
    let reduced = decoded.reduced();
    Ok(decoded.fingerprint(&reduced))
}

/// [`inspect`] and [`preview`] from one decode.
pub fn inspect_with_preview(bytes: &[u8]) -> Result<(Fingerprint, Vec<u8>, Format), ImageError> {
    let decoded = decode(bytes)?;
    let reduced = decoded.reduced();
    let fingerprint = decoded.fingerprint(&reduced);
    let (preview, format) = encode_preview(&reduced);
    Ok((fingerprint, preview, format))
}

/// A preview of image bytes, at most [`PREVIEW_WIDTH`] wide with the aspect ratio kept (smaller
/// images keep their size): a JPEG, or a PNG when the image has transparent pixels.
pub fn preview(bytes: &[u8]) -> Result<(Vec<u8>, Format), ImageError> {
    let decoded = decode(bytes)?;
    Ok(encode_preview(&decoded.reduced()))
}

/// A perceptual hash of an already decoded picture, the same as [`inspect`] gives for its bytes
/// (up to encoding losses). Useful for pictures made in memory.
pub fn phash(image: &DynamicImage) -> PHash {
    hash_reduced(&reduce(image, Orientation::NoTransforms))
}

/// A perceptual hash: 264 bits of brightness gradients between neighbouring cells of a 12×12
/// grid over the picture (a double-gradient hash, see docs/artwork-scoring.md).
///
/// Stored in the database as a string ([`PHash::to_base64`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PHash(Box<[u8]>);

/// The hasher's size parameter: a double-gradient hash of size n samples an (n/2 + 1)² grid and
/// compares each cell with its right and lower neighbour, so 22 gives 2·12·11 = 264 bits, a
/// whole number of bytes (no padding bits that would always agree).
const HASH_SIZE: u32 = 22;
const HASH_BYTES: usize = 33;

impl PHash {
    /// The hash as standard base64: 44 characters for the 33 bytes, so no padding.
    pub fn to_base64(&self) -> String {
        hash_from_bytes(&self.0).to_base64()
    }

    /// A hash stored by [`PHash::to_base64`]; `None` for anything else, including a hash of
    /// another size, which a later version with another hash would need to recompute.
    pub fn from_base64(text: &str) -> Option<PHash> {
        let hash = ImageHash::<Box<[u8]>>::from_base64(text).ok()?;
        (hash.as_bytes().len() == HASH_BYTES).then(|| PHash(hash.into_inner()))
    }

    /// The raw bits.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// 1 − (differing bits ÷ bits): 1 for the same hash, about 0.5 for unrelated pictures.
    /// Hashes of different sizes have a similarity of 0.
    pub fn similarity(&self, other: &PHash) -> f64 {
        if self.0.len() != other.0.len() || self.0.is_empty() {
            return 0.0;
        }
        let differing: u32 = self.0.iter().zip(other.0.iter()).map(|(a, b)| (a ^ b).count_ones()).sum();
        let bits = self.0.len() * 8;
        #[allow(clippy::cast_precision_loss, reason = "a hash has a few hundred bits")]
        let similarity = 1.0 - f64::from(differing) / bits as f64;
        similarity
    }
}

fn hash_from_bytes(bytes: &[u8]) -> ImageHash<Box<[u8]>> {
    ImageHash::from_bytes(bytes).expect("a boxed slice holds any number of bytes")
}

/// Whether two hashes are of the same picture: [`PHash::similarity`] at least [`NEAR_DUPLICATE`].
pub fn is_near_duplicate(a: &PHash, b: &PHash) -> bool {
    a.similarity(b) >= NEAR_DUPLICATE
}

/// One decoded image and what came with it.
struct Decoded {
    format: Format,
    image: DynamicImage,
    orientation: Orientation,
}

impl Decoded {
    /// The image scaled down for the preview and hash, with its EXIF orientation applied.
    fn reduced(&self) -> Cow<'_, DynamicImage> {
        reduce(&self.image, self.orientation)
    }

    fn fingerprint(&self, reduced: &DynamicImage) -> Fingerprint {
        let (width, height) = displayed(self.image.dimensions(), self.orientation);
        Fingerprint { format: self.format, width, height, phash: hash_reduced(reduced) }
    }
}

fn decode(bytes: &[u8]) -> Result<Decoded, ImageError> {
    let format = sniff(bytes)?;
    check_complete(format, bytes)?;

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    // Making a decoder reads only the header, which is where the size is.
    let mut decoder = reader.into_decoder().map_err(|error| decode_error(format, error))?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooLarge { width, height });
    }
    if width == 0 || height == 0 {
        return Err(ImageError::Corrupt { reason: format!("the {format} header says {width}×{height}") });
    }
    // A broken EXIF block is no reason to refuse the picture; show it as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(|error| decode_error(format, error))?;
    Ok(Decoded { format, image, orientation })
}

fn decode_error(format: Format, error: image::ImageError) -> ImageError {
    match error {
        image::ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::Truncated { reason: format!("the {format} data ends early") }
        }
        image::ImageError::Limits(limit) => {
            ImageError::Corrupt { reason: format!("decoding the {format} needs too much memory ({limit})") }
        }
        other => ImageError::Corrupt { reason: format!("the {format} does not decode: {other}") },
    }
}

/// The size as displayed once the orientation is applied.
fn displayed((width, height): (u32, u32), orientation: Orientation) -> (u32, u32) {
    if swaps_sides(orientation) { (height, width) } else { (width, height) }
}

fn swaps_sides(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    )
}

/// Scales the image down to [`PREVIEW_WIDTH`] wide as displayed (never up) by area averaging,
/// then applies the orientation to that small copy rather than to the full image.
fn reduce(image: &DynamicImage, orientation: Orientation) -> Cow<'_, DynamicImage> {
    let (width, height) = displayed(image.dimensions(), orientation);
    let target = if width <= PREVIEW_WIDTH {
        (width, height)
    } else {
        let scaled = (u64::from(height) * u64::from(PREVIEW_WIDTH) + u64::from(width) / 2) / u64::from(width);
        (PREVIEW_WIDTH, u32::try_from(scaled.max(1)).expect("no more than the height"))
    };
    let (target_width, target_height) = displayed(target, orientation);
    let mut small = if (target_width, target_height) == image.dimensions() {
        Cow::Borrowed(image)
    } else {
        Cow::Owned(shrink(image, target_width, target_height))
    };
    if orientation != Orientation::NoTransforms {
        small.to_mut().apply_orientation(orientation);
    }
    small
}

fn hasher() -> &'static Hasher {
    static HASHER: OnceLock<Hasher> = OnceLock::new();
    // Chosen on the sample pictures: see docs/artwork-scoring.md for the measurements.
    HASHER.get_or_init(|| {
        HasherConfig::new()
            .hash_size(HASH_SIZE, HASH_SIZE)
            .hash_alg(HashAlg::DoubleGradient)
            .resize_filter(FilterType::Gaussian)
            .to_hasher()
    })
}

fn hash_reduced(reduced: &DynamicImage) -> PHash {
    let hash = hasher().hash_image(&grey(reduced));
    PHash(hash.into_inner())
}

/// The picture in grey for hashing. Transparent pixels count as black: the colour hidden under
/// full transparency differs between copies of the same logo and must not change its hash.
fn grey(image: &DynamicImage) -> GrayImage {
    if !image.color().has_alpha() {
        return image.to_luma8();
    }
    let rgba = image.to_rgba8();
    let mut grey = GrayImage::new(rgba.width(), rgba.height());
    for (out, pixel) in grey.pixels_mut().zip(rgba.pixels()) {
        let [r, g, b, a] = pixel.0;
        let luma = (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
        out.0 = [u8::try_from(luma * u32::from(a) / 255).expect("a byte scaled by at most 1")];
    }
    grey
}

fn encode_preview(reduced: &DynamicImage) -> (Vec<u8>, Format) {
    let mut bytes = Cursor::new(Vec::new());
    if has_transparency(reduced) {
        reduced
            .to_rgba8()
            .write_to(&mut bytes, image::ImageFormat::Png)
            .expect("a PNG of a non-empty picture encodes into memory");
        (bytes.into_inner(), Format::Png)
    } else {
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, PREVIEW_QUALITY)
            .encode_image(&reduced.to_rgb8())
            .expect("a JPEG of a non-empty picture encodes into memory");
        (bytes.into_inner(), Format::Jpeg)
    }
}

/// Whether any pixel is not fully opaque: many PNG posters carry an alpha channel they never use,
/// and those are better previewed as JPEG.
fn has_transparency(image: &DynamicImage) -> bool {
    if !image.color().has_alpha() {
        return false;
    }
    image.to_rgba8().pixels().any(|pixel| pixel.0[3] < u8::MAX)
}

/// What the bytes are, from their first bytes.
fn sniff(bytes: &[u8]) -> Result<Format, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Format::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Format::Png);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Ok(Format::Gif);
    }
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Ok(Format::Webp);
    }
    if is_bmp(bytes) {
        return Ok(Format::Bmp);
    }
    if let Some(format) = unsupported_image(bytes) {
        return Err(ImageError::Unsupported { format });
    }
    Err(ImageError::NotAnImage { what: what_else(bytes) })
}

/// "BM" alone is too common a start for text, so the DIB header size must be a known one too.
fn is_bmp(bytes: &[u8]) -> bool {
    bytes.len() >= 18
        && bytes.starts_with(b"BM")
        && matches!(
            u32::from_le_bytes([bytes[14], bytes[15], bytes[16], bytes[17]]),
            12 | 40 | 52 | 56 | 64 | 108 | 124
        )
}

fn unsupported_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return Some("TIFF");
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return match &bytes[8..12] {
            b"avif" | b"avis" => Some("AVIF"),
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => Some("HEIC"),
            _ => None,
        };
    }
    if bytes.starts_with(&[0xFF, 0x0A]) || bytes.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n") {
        return Some("JPEG XL");
    }
    if bytes.starts_with(&[0, 0, 1, 0]) {
        return Some("ICO");
    }
    if bytes.starts_with(b"8BPS") {
        return Some("PSD");
    }
    let head = lower_head(bytes);
    if head.contains("<svg") && !head.contains("<html") {
        return Some("SVG");
    }
    None
}

/// Names what bytes that are no image look like; the usual culprits are a provider's or a
/// proxy's error page served with a 200.
fn what_else(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(&[0x1F, 0x8B]) {
        return "gzip-compressed data";
    }
    let head = lower_head(bytes);
    let start = head.trim_start_matches('\u{feff}').trim_start();
    let html_tags = ["<!doctype html", "<html", "<head", "<body", "<title", "<meta", "<script"];
    if html_tags.iter().any(|tag| start.starts_with(tag)) || head.contains("<html") {
        return "an HTML page";
    }
    if start.starts_with("<?xml") {
        return "an XML document";
    }
    if start.starts_with('{') || start.starts_with('[') {
        return "a JSON document";
    }
    if is_text(bytes) {
        return "text";
    }
    "unknown bytes"
}

/// The first KiB, lower-cased, as far as it is text.
fn lower_head(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(1024)];
    String::from_utf8_lossy(head).to_lowercase()
}

fn is_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(512)];
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // A multi-byte character cut by the 512-byte window is still text.
        Err(error) if error.error_len().is_none() => {
            std::str::from_utf8(&head[..error.valid_up_to()]).expect("valid up to there")
        }
        Err(_) => return false,
    };
    text.chars().all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
}

/// Refuses a file that ends before its image does. JPEG decoders pad missing data with grey and
/// PNG ones may stop at the last whole row, so a cut download would otherwise pass as a picture
/// with a grey or missing bottom. The walk reads segment lengths only, never pixel data.
fn check_complete(format: Format, bytes: &[u8]) -> Result<(), ImageError> {
    let missing = match format {
        Format::Jpeg => jpeg_missing(bytes),
        Format::Png => png_missing(bytes),
        Format::Webp => webp_missing(bytes),
        // GIF and BMP decoders fail on their own when pixel data is cut.
        Format::Gif | Format::Bmp => None,
    };
    match missing {
        Some(reason) => Err(ImageError::Truncated { reason: reason.to_owned() }),
        None => Ok(()),
    }
}

/// Walks a JPEG's segments and entropy-coded data up to its end-of-image marker.
fn jpeg_missing(bytes: &[u8]) -> Option<&'static str> {
    const EOI: u8 = 0xD9;
    const SOS: u8 = 0xDA;
    const MISSING: &str = "the JPEG ends before its end-of-image marker";
    let mut at = 2;
    loop {
        // Decoders skip stray bytes before a marker; so does this walk.
        match bytes.get(at..).and_then(|rest| rest.iter().position(|&byte| byte == 0xFF)) {
            Some(stray) => at += stray,
            None => return Some(MISSING),
        }
        // Markers may be preceded by any number of 0xFF fill bytes.
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let Some(&marker) = bytes.get(at) else {
            return Some(MISSING);
        };
        at += 1;
        match marker {
            EOI => return None,
            // Markers without a length: TEM, restart markers, a repeated SOI.
            0x01 | 0xD0..=0xD8 => continue,
            _ => {}
        }
        let Some(length) = bytes.get(at..at + 2) else {
            return Some(MISSING);
        };
        at += usize::from(u16::from_be_bytes([length[0], length[1]]));
        if at > bytes.len() {
            return Some(MISSING);
        }
        if marker == SOS {
            match entropy_coded_end(bytes, at) {
                Some(end) => at = end,
                None => return Some(MISSING),
            }
        }
    }
}

/// Where the entropy-coded data starting at `from` ends: at the first 0xFF that starts a marker
/// (not a stuffed 0xFF00 and not a restart marker); `None` when the bytes end first.
fn entropy_coded_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        at += bytes.get(at..)?.iter().position(|&byte| byte == 0xFF)?;
        match bytes.get(at + 1)? {
            0x00 | 0xD0..=0xD7 => at += 2,
            _ => return Some(at),
        }
    }
}

/// Walks a PNG's chunks up to IEND.
fn png_missing(bytes: &[u8]) -> Option<&'static str> {
    let mut at = 8;
    loop {
        let Some(header) = bytes.get(at..at + 8) else {
            return Some("the PNG ends before its IEND chunk");
        };
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        if &header[4..8] == b"IEND" {
            // The walk ends at IEND, but the chunk must still be whole, CRC included.
            return (bytes.len() < at + 12).then_some("the PNG ends inside its IEND chunk");
        }
        // Length, type, data, CRC.
        at = at.saturating_add(12).saturating_add(usize::try_from(length).unwrap_or(usize::MAX));
    }
}

/// Checks the RIFF container holds as many bytes as its header says.
fn webp_missing(bytes: &[u8]) -> Option<&'static str> {
    let Some(&[a, b, c, d]) = bytes.get(4..8) else {
        return Some("the WebP ends inside its RIFF header");
    };
    let size = u32::from_le_bytes([a, b, c, d]);
    let expected = usize::try_from(size).unwrap_or(usize::MAX).saturating_add(8);
    (bytes.len() < expected).then_some("the WebP ends before the length its RIFF header gives")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;

    #[test]
    fn megapixels_round_up_to_a_tenth() {
        assert_eq!(megapixels(30_000, 40_000), "1200");
        assert_eq!(megapixels(10_001, 10_000), "100.1");
        assert_eq!(megapixels(20_000, 20_000), "400");
        let message = ImageError::TooLarge { width: 30_000, height: 40_000 }.to_string();
        assert_eq!(message, "refused before decoding: 30000×40000 is 1200 megapixels, above the 100 megapixel limit");
    }

    #[test]
    fn sniffing_names_what_the_bytes_are() {
        let not = |bytes: &[u8]| match sniff(bytes) {
            Err(ImageError::NotAnImage { what }) => what,
            other => panic!("{other:?}"),
        };
        assert_eq!(not(b"<!DOCTYPE html><html><body>502</body></html>"), "an HTML page");
        assert_eq!(not(b"\xef\xbb\xbf\n  <HTML>"), "an HTML page");
        assert_eq!(not(b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code></Error>"), "an XML document");
        assert_eq!(not(br#"{"status_code":34,"status_message":"not found"}"#), "a JSON document");
        assert_eq!(not(b"Too Many Requests"), "text");
        assert_eq!(not(b"BM but not a bitmap at all"), "text");
        assert_eq!(not(&[0x1F, 0x8B, 8, 0]), "gzip-compressed data");
        assert_eq!(not(&[0, 1, 2, 3, 250, 251]), "unknown bytes");
        assert_eq!(sniff(b""), Err(ImageError::Empty));
        assert_eq!(sniff(b"II*\0rest"), Err(ImageError::Unsupported { format: "TIFF" }));
        assert_eq!(sniff(b"\0\0\0\x1cftypavif"), Err(ImageError::Unsupported { format: "AVIF" }));
        assert_eq!(
            sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            Err(ImageError::Unsupported { format: "SVG" })
        );
    }

    #[test]
    fn jpeg_walk_needs_the_end_marker_after_the_scan() {
        // SOI, APP0 of length 4, SOS of length 2, entropy data with a stuffed FF00 and RST0, EOI.
        let whole = [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 1, 2, 0xFF, 0xDA, 0, 2, 5, 0xFF, 0, 6, 0xFF, 0xD0, 7, 0xFF, 0xD9];
        assert_eq!(jpeg_missing(&whole), None);
        for cut in 2..whole.len() {
            assert!(jpeg_missing(&whole[..cut]).is_some(), "cut at {cut}");
        }
        // An EOI inside a segment (an embedded thumbnail) does not end the file.
        let thumbnail = [0xFF, 0xD8, 0xFF, 0xE1, 0, 4, 0xFF, 0xD9, 0xFF, 0xDA, 0, 2, 1, 2];
        assert!(jpeg_missing(&thumbnail).is_some());
    }

    #[test]
    fn png_walk_needs_iend() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend([0, 0, 0, 1]);
        png.extend(b"abcdXcrcc");
        assert!(png_missing(&png).is_some());
        png.extend([0, 0, 0, 0]);
        png.extend(b"IENDcrcc");
        assert_eq!(png_missing(&png), None);
    }
}
