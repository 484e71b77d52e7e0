//! Encoded test images made on the spot, and hand-built files for the hostile cases.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage};
use metarr_artwork::sample;

/// The sample picture for `seed` as a JPEG of quality 90, as providers serve them.
pub fn jpeg(seed: u64, width: u32, height: u32) -> Vec<u8> {
    sample::jpeg(&sample::picture(seed, width, height), 90)
}

/// Any picture in any format the image crate writes.
pub fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

/// `picture` scaled by `factor`, as a site that serves smaller copies would.
pub fn scaled(picture: &RgbImage, factor: f64) -> RgbImage {
    let (width, height) = picture.dimensions();
    let to = |side: u32| ((f64::from(side) * factor).round() as u32).max(1);
    image::imageops::resize(picture, to(width), to(height), image::imageops::FilterType::Lanczos3)
}

/// `picture` with `percent` of each side cut away, split between both edges when `centred`,
/// else all from the right and bottom.
pub fn cropped(picture: &RgbImage, percent: u32, centred: bool) -> RgbImage {
    let (width, height) = picture.dimensions();
    let (cut_x, cut_y) = (width * percent / 100, height * percent / 100);
    let (x, y) = if centred { (cut_x / 2, cut_y / 2) } else { (0, 0) };
    image::imageops::crop_imm(picture, x, y, width - cut_x, height - cut_y).to_image()
}

/// A PNG made of the given chunks, each with its length and CRC.
pub fn png_with_chunks(chunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in chunks {
        png.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
        let start = png.len();
        png.extend(*kind);
        png.extend(data);
        let crc = crc32(&png[start..]);
        png.extend(crc.to_be_bytes());
    }
    png
}

/// A valid PNG header for a `width`×`height` 8-bit greyscale image whose IDAT holds a few
/// compressed zero bytes: what a decompression bomb looks like before anything is inflated.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    // Bit depth 8, greyscale, deflate, adaptive filtering, no interlace.
    ihdr.extend([8, 0, 0, 0, 0]);
    // A zlib stream with one fixed-Huffman block of zeros (how zeros compress).
    let idat = vec![0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01];
    png_with_chunks(&[(b"IHDR", ihdr), (b"IDAT", idat), (b"IEND", Vec::new())])
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}
