//! What `inspect` accepts and refuses, on real encoded bytes.

use std::time::{Duration, Instant};

use image::{DynamicImage, ImageFormat};
use metarr_artwork::image::{Format, ImageError, MAX_PIXELS, inspect, is_near_duplicate};
use metarr_artwork::sample;

use crate::support::{encode, jpeg, png_bomb, png_with_chunks};

#[test]
fn jpegs_and_pngs_of_several_sizes_pass_with_their_size_and_format() {
    for (seed, (width, height)) in [(680, 1000), (1280, 720), (300, 450), (17, 9), (1, 1)].into_iter().enumerate() {
        let picture = sample::picture(seed as u64, width, height);
        let fingerprint = inspect(&sample::jpeg(&picture, 90)).unwrap();
        assert_eq!((fingerprint.format, fingerprint.width, fingerprint.height), (Format::Jpeg, width, height));
        let fingerprint = inspect(&sample::png(&picture)).unwrap();
        assert_eq!((fingerprint.format, fingerprint.width, fingerprint.height), (Format::Png, width, height));
    }
}

#[test]
fn webp_gif_and_bmp_pass_too() {
    let picture = DynamicImage::ImageRgb8(sample::picture(5, 120, 80));
    for (format, expected) in
        [(ImageFormat::WebP, Format::Webp), (ImageFormat::Gif, Format::Gif), (ImageFormat::Bmp, Format::Bmp)]
    {
        let fingerprint = inspect(&encode(&picture, format)).unwrap();
        assert_eq!((fingerprint.format, fingerprint.width, fingerprint.height), (expected, 120, 80));
    }
    assert_eq!(Format::Jpeg.ext(), "jpg");
    assert_eq!(Format::Webp.content_type(), "image/webp");
}

#[test]
fn no_bytes_is_empty() {
    assert_eq!(inspect(&[]), Err(ImageError::Empty));
    assert_eq!(ImageError::Empty.to_string(), "empty: the file has no bytes");
}

#[test]
fn an_error_page_is_not_an_image() {
    let page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let error = inspect(page).unwrap_err();
    assert_eq!(error, ImageError::NotAnImage { what: "an HTML page" });
    assert_eq!(error.to_string(), "not an image: it looks like an HTML page");

    let json =
        br#"{"success":false,"status_code":34,"status_message":"The resource you requested could not be found."}"#;
    assert_eq!(inspect(json), Err(ImageError::NotAnImage { what: "a JSON document" }));
    assert_eq!(inspect(b"Rate limit exceeded\n"), Err(ImageError::NotAnImage { what: "text" }));
    assert_eq!(inspect(&[0x00, 0x9F, 0x13, 0x37]), Err(ImageError::NotAnImage { what: "unknown bytes" }));
}

#[test]
fn other_image_formats_are_named_as_unsupported() {
    // A little-endian TIFF header pointing at its first directory.
    let tiff = b"II*\0\x08\0\0\0\0\0";
    let error = inspect(tiff).unwrap_err();
    assert_eq!(error, ImageError::Unsupported { format: "TIFF" });
    assert_eq!(error.to_string(), "unsupported image format: TIFF (JPEG, PNG, WebP, GIF and BMP are supported)");
}

#[test]
fn a_jpeg_cut_anywhere_is_refused() {
    let whole = jpeg(11, 680, 1000);
    assert!(inspect(&whole).is_ok());
    let half = &whole[..whole.len() / 2];
    assert!(matches!(inspect(half), Err(ImageError::Truncated { .. })), "{:?}", inspect(half));
    assert_eq!(inspect(half).unwrap_err().to_string(), "truncated: the JPEG ends before its end-of-image marker");
    // Losing only the last bytes (the end marker) is enough to refuse.
    for cut in [3, 100, whole.len() / 7, whole.len() * 6 / 7, whole.len() - 2, whole.len() - 1] {
        let error = inspect(&whole[..cut]).unwrap_err();
        assert!(matches!(error, ImageError::Truncated { .. } | ImageError::Corrupt { .. }), "cut at {cut}: {error:?}");
    }
}

#[test]
fn a_png_cut_anywhere_is_refused() {
    let whole = sample::png(&sample::picture(12, 300, 450));
    for cut in [9, 40, whole.len() / 2, whole.len() - 12, whole.len() - 1] {
        let error = inspect(&whole[..cut]).unwrap_err();
        assert!(matches!(error, ImageError::Truncated { .. }), "cut at {cut}: {error:?}");
    }
}

#[test]
fn damaged_pixel_data_is_corrupt() {
    let mut png = sample::png(&sample::picture(13, 200, 200));
    let middle = png.len() / 2;
    for byte in &mut png[middle..middle + 16] {
        *byte ^= 0x5A;
    }
    assert!(matches!(inspect(&png), Err(ImageError::Corrupt { .. })), "{:?}", inspect(&png));

    // A PNG that ends properly but has no pixel data at all.
    let mut ihdr = Vec::new();
    ihdr.extend(10u32.to_be_bytes());
    ihdr.extend(10u32.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let empty = png_with_chunks(&[(b"IHDR", ihdr), (b"IEND", Vec::new())]);
    assert!(inspect(&empty).is_err());
}

#[test]
fn a_decompression_bomb_is_refused_from_its_header() {
    let bomb = png_bomb(20_000, 20_000);
    assert!(bomb.len() < 100, "the bomb is {} bytes", bomb.len());
    let started = Instant::now();
    let error = inspect(&bomb).unwrap_err();
    // Decoding 400 megapixels would take seconds and 400 MB; reading a header takes nothing.
    assert!(started.elapsed() < Duration::from_millis(200), "took {:?}", started.elapsed());
    assert_eq!(error, ImageError::TooLarge { width: 20_000, height: 20_000 });
    assert_eq!(
        error.to_string(),
        "refused before decoding: 20000×20000 is 400 megapixels, above the 100 megapixel limit"
    );

    // Exactly at the limit is allowed past the header (and then fails on the missing rows).
    assert_eq!(MAX_PIXELS, 100_000_000);
    let at_limit = png_bomb(10_000, 10_000);
    assert!(!matches!(inspect(&at_limit), Err(ImageError::TooLarge { .. }) | Ok(_)));
    assert!(matches!(inspect(&png_bomb(10_000, 10_001)), Err(ImageError::TooLarge { .. })));
}

#[test]
fn webp_gif_and_bmp_cut_in_half_are_refused() {
    let picture = DynamicImage::ImageRgb8(sample::picture(14, 160, 120));
    for format in [ImageFormat::WebP, ImageFormat::Gif, ImageFormat::Bmp] {
        let whole = encode(&picture, format);
        let error = inspect(&whole[..whole.len() / 2]).unwrap_err();
        assert!(matches!(error, ImageError::Truncated { .. } | ImageError::Corrupt { .. }), "{format:?}: {error:?}");
    }
}

#[test]
fn a_gif_whose_screen_is_huge_is_refused_from_its_header() {
    let mut gif = b"GIF89a".to_vec();
    gif.extend(65_535u16.to_le_bytes());
    gif.extend(65_535u16.to_le_bytes());
    // A global palette of two colours, then one 1×1 frame at the corner and the trailer.
    gif.extend([0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
    gif.extend([0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x4C, 0x01, 0, 0x3B]);
    let started = Instant::now();
    assert_eq!(inspect(&gif), Err(ImageError::TooLarge { width: 65_535, height: 65_535 }));
    assert!(started.elapsed() < Duration::from_millis(200), "took {:?}", started.elapsed());
}

#[test]
fn an_exif_rotation_is_applied_to_the_size_and_the_hash() {
    let picture = sample::picture(15, 300, 200);
    let plain = sample::jpeg(&picture, 90);
    // APP1 with a big-endian TIFF block whose one IFD entry is Orientation (0x0112) = 6, "rotate
    // 90° clockwise to display".
    let mut exif = b"Exif\0\0MM\0*\0\0\0\x08\0\x01".to_vec();
    exif.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]);
    let mut rotated = plain[..2].to_vec();
    rotated.extend([0xFF, 0xE1]);
    rotated.extend(u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
    rotated.extend(exif);
    rotated.extend(&plain[2..]);

    let fingerprint = inspect(&rotated).unwrap();
    assert_eq!((fingerprint.width, fingerprint.height), (200, 300));
    let upright = sample::jpeg(&image::imageops::rotate90(&picture), 90);
    assert!(is_near_duplicate(&fingerprint.phash, &inspect(&upright).unwrap().phash));
    assert!(!is_near_duplicate(&fingerprint.phash, &inspect(&plain).unwrap().phash));
    let (preview, _) = metarr_artwork::image::preview(&rotated).unwrap();
    let preview = inspect(&preview).unwrap();
    assert_eq!((preview.width, preview.height), (200, 300));
}
