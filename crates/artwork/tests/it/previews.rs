//! Previews: small, aspect kept, decodable, and the format that suits the picture.

use image::{DynamicImage, ImageFormat, RgbaImage};
use metarr_artwork::image::{Format, PREVIEW_WIDTH, inspect, inspect_with_preview, preview};
use metarr_artwork::sample;

use crate::support::{encode, jpeg};

fn assert_aspect_kept((width, height): (u32, u32), (preview_width, preview_height): (u32, u32)) {
    let expected = f64::from(height) * f64::from(preview_width) / f64::from(width);
    assert!((f64::from(preview_height) - expected).abs() <= 1.0, "{width}×{height} → {preview_width}×{preview_height}");
}

#[test]
fn previews_are_at_most_342_wide_keep_the_aspect_and_decode() {
    for (seed, size) in [(1, (680, 1000)), (2, (1280, 720)), (3, (4000, 50)), (4, (343, 5000)), (5, (50, 4000))] {
        let bytes = jpeg(seed, size.0, size.1);
        let (small, format) = preview(&bytes).unwrap();
        assert_eq!(format, Format::Jpeg);
        let again = inspect(&small).unwrap();
        assert_eq!(again.format, Format::Jpeg);
        assert_eq!(again.width, size.0.min(PREVIEW_WIDTH), "{size:?}");
        assert_aspect_kept(size, (again.width, again.height));
        assert!(small.len() < bytes.len() || size.0 <= PREVIEW_WIDTH);
    }
}

#[test]
fn small_pictures_keep_their_size() {
    let (small, _) = preview(&jpeg(6, 200, 300)).unwrap();
    let again = inspect(&small).unwrap();
    assert_eq!((again.width, again.height), (200, 300));
}

#[test]
fn one_decode_gives_the_same_fingerprint_and_preview() {
    let bytes = jpeg(7, 680, 1000);
    let (fingerprint, small, format) = inspect_with_preview(&bytes).unwrap();
    assert_eq!(fingerprint, inspect(&bytes).unwrap());
    assert_eq!((small, format), preview(&bytes).unwrap());
}

#[test]
fn transparent_pictures_get_png_previews_and_opaque_ones_jpeg() {
    let picture = sample::picture(8, 800, 310);
    let logo = RgbaImage::from_fn(800, 310, |x, y| {
        let [r, g, b] = picture.get_pixel(x, y).0;
        image::Rgba([r, g, b, if (100..700).contains(&x) && (50..260).contains(&y) { 255 } else { 0 }])
    });
    let (small, format) = preview(&encode(&DynamicImage::ImageRgba8(logo), ImageFormat::Png)).unwrap();
    assert_eq!(format, Format::Png);
    let decoded = image::load_from_memory(&small).unwrap();
    assert_eq!(decoded.width(), PREVIEW_WIDTH);
    assert!(decoded.color().has_alpha());
    assert_eq!(decoded.to_rgba8().get_pixel(0, 0).0[3], 0);

    // An alpha channel that is opaque everywhere previews as JPEG.
    let opaque = DynamicImage::ImageRgba8(DynamicImage::ImageRgb8(picture).to_rgba8());
    let (_, format) = preview(&encode(&opaque, ImageFormat::Png)).unwrap();
    assert_eq!(format, Format::Jpeg);
}

#[test]
fn previews_refuse_what_inspect_refuses() {
    assert!(preview(b"<html></html>").is_err());
    let bytes = jpeg(9, 100, 100);
    assert!(preview(&bytes[..bytes.len() / 2]).is_err());
    assert!(inspect_with_preview(&[]).is_err());
}
