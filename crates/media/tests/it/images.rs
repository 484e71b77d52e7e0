//! Image dimensions read from real (tiny) PNG, JPEG, GIF, BMP and WebP headers.

use metarr_media::{image_dimensions, image_dimensions_from_bytes};

/// A valid 3×2 RGB PNG: signature, IHDR, one IDAT of zlib-compressed zero rows, IEND.
fn png_3x2() -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).expect("small chunk").to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&3u32.to_be_bytes());
    header.extend_from_slice(&2u32.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &header);
    // Two rows of (filter byte + 3 RGB pixels) stored uncompressed in a zlib stream.
    let raw = [0u8; 2 * (1 + 3 * 3)];
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend_from_slice(&u16::try_from(raw.len()).expect("short").to_le_bytes());
    zlib.extend_from_slice(&(!u16::try_from(raw.len()).expect("short")).to_le_bytes());
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut low, mut high) = (1u32, 0u32);
    for byte in bytes {
        low = (low + u32::from(*byte)) % 65_521;
        high = (high + low) % 65_521;
    }
    (high << 16) | low
}

/// The header of a baseline JPEG of 5×4 pixels: SOI, a JFIF APP0, and an SOF0 segment, which is
/// all a header reader needs (the scan data is never read).
fn jpeg_5x4() -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8];
    jpeg.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
    // SOF0: length 17, precision 8, height 4, width 5, 3 components.
    jpeg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 8, 0x00, 0x04, 0x00, 0x05, 3]);
    jpeg.extend_from_slice(&[1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    jpeg
}

/// A 7×6 GIF89a header with an empty image.
fn gif_7x6() -> Vec<u8> {
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&[7, 0, 6, 0, 0, 0, 0]);
    gif.push(0x3B);
    gif
}

/// A 9×8 24-bit BMP header (BITMAPINFOHEADER), pixel data omitted.
fn bmp_9x8() -> Vec<u8> {
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&[0; 8]);
    bmp.extend_from_slice(&54u32.to_le_bytes());
    bmp.extend_from_slice(&40u32.to_le_bytes());
    bmp.extend_from_slice(&9i32.to_le_bytes());
    bmp.extend_from_slice(&8i32.to_le_bytes());
    bmp.extend_from_slice(&1u16.to_le_bytes());
    bmp.extend_from_slice(&24u16.to_le_bytes());
    bmp.extend_from_slice(&[0; 24]);
    bmp
}

/// A 10×7 lossless WebP header: RIFF container, `VP8L` chunk, signature byte and the packed
/// 14-bit width-1 and height-1.
fn webp_10x7() -> Vec<u8> {
    let packed: u32 = 9 | (6 << 14);
    let mut chunk = vec![0x2F];
    chunk.extend_from_slice(&packed.to_le_bytes());
    let mut webp = b"RIFF".to_vec();
    webp.extend_from_slice(&u32::try_from(4 + 8 + chunk.len()).expect("small").to_le_bytes());
    webp.extend_from_slice(b"WEBPVP8L");
    webp.extend_from_slice(&u32::try_from(chunk.len()).expect("small").to_le_bytes());
    webp.extend_from_slice(&chunk);
    webp
}

#[test]
fn image_dimensions_come_from_real_headers() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes, expected) in [
        ("poster.png", png_3x2(), (3, 2)),
        ("fanart.jpg", jpeg_5x4(), (5, 4)),
        ("logo.gif", gif_7x6(), (7, 6)),
        ("banner.bmp", bmp_9x8(), (9, 8)),
        ("keyart.webp", webp_10x7(), (10, 7)),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).expect("write image");
        assert_eq!(image_dimensions(&path), Some(expected), "{name}");
        assert_eq!(image_dimensions_from_bytes(&bytes), Some(expected), "{name} from bytes");
    }
}

#[test]
fn non_images_and_missing_files_have_no_dimensions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = dir.path().join("notes.jpg");
    std::fs::write(&text, b"not an image at all").expect("write");
    assert_eq!(image_dimensions(&text), None);
    assert_eq!(image_dimensions(&dir.path().join("missing.png")), None);
    let empty = dir.path().join("empty.png");
    std::fs::write(&empty, b"").expect("write");
    assert_eq!(image_dimensions(&empty), None);
}
