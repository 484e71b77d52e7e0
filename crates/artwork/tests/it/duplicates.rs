//! Near-duplicates: copies of one picture are recognised, different pictures are not.

use image::DynamicImage;
use metarr_artwork::image::{NEAR_DUPLICATE, PHash, inspect, is_near_duplicate, phash};
use metarr_artwork::sample;

use crate::support::{cropped, encode, jpeg, scaled};

/// Different pictures must stay this far below [`NEAR_DUPLICATE`], so that the benchmark's
/// thousands of distinct pictures never collide.
const DISTINCT_AT_MOST: f64 = 0.80;

fn hash(bytes: &[u8]) -> PHash {
    inspect(bytes).unwrap().phash
}

#[test]
fn copies_of_a_picture_are_near_duplicates() {
    let mut lowest = (1.0, String::new());
    for (seed, (width, height)) in (0..6).flat_map(|seed| [(seed, (680, 1000)), (seed + 100, (1280, 720))]) {
        let picture = sample::picture(seed, width, height);
        let original = hash(&sample::jpeg(&picture, 90));
        let copies = [
            ("JPEG quality 60", sample::jpeg(&picture, 60)),
            ("resized to 50%", sample::jpeg(&scaled(&picture, 0.5), 90)),
            ("converted to PNG", sample::png(&picture)),
            ("WebP", encode(&DynamicImage::ImageRgb8(picture.clone()), image::ImageFormat::WebP)),
            ("cropped 2%, centred", sample::jpeg(&cropped(&picture, 2, true), 90)),
            // Trimming 2% from one corner shifts the framing twice as far and sits right at the
            // threshold (0.898 at worst over 160 pictures; docs/artwork-scoring.md).
            ("cropped 1% from a corner", sample::jpeg(&cropped(&picture, 1, false), 90)),
        ];
        for (what, bytes) in copies {
            let similarity = original.similarity(&hash(&bytes));
            assert!(similarity >= NEAR_DUPLICATE, "seed {seed} {width}×{height} {what}: {similarity}");
            if similarity < lowest.0 {
                lowest = (similarity, format!("seed {seed} {what}"));
            }
        }
    }
    assert!(lowest.0 >= NEAR_DUPLICATE, "{lowest:?}");
}

#[test]
fn a_hash_is_its_own_near_duplicate_and_survives_storage() {
    let original = hash(&jpeg(1, 300, 450));
    assert!(is_near_duplicate(&original, &original));
    assert_eq!(original.similarity(&original), 1.0);
    let stored = original.to_base64();
    assert_eq!(stored.len(), 44);
    assert_eq!(PHash::from_base64(&stored), Some(original.clone()));
    assert_eq!(PHash::from_base64("not base64!"), None);
    assert_eq!(PHash::from_base64("AAAA"), None);
    // Pixel for pixel equal pictures hash equal whatever their format.
    let picture = sample::picture(1, 300, 450);
    assert_eq!(hash(&sample::png(&picture)), phash(&DynamicImage::ImageRgb8(picture)));
}

/// Every pair among 200 pictures at poster and fanart sizes, hashed straight from memory (the
/// copies test shows encoding moves a hash far less than the margin asked here).
#[test]
fn different_pictures_are_far_from_near_duplicates() {
    for (width, height) in [(680, 1000), (1280, 720)] {
        let hashes: Vec<PHash> =
            (0..200).map(|seed| phash(&DynamicImage::ImageRgb8(sample::picture(seed, width, height)))).collect();
        let mut highest = (0.0, 0, 0);
        for (a, first) in hashes.iter().enumerate() {
            for (b, second) in hashes.iter().enumerate().skip(a + 1) {
                let similarity = first.similarity(second);
                if similarity > highest.0 {
                    highest = (similarity, a, b);
                }
            }
        }
        assert!(
            highest.0 <= DISTINCT_AT_MOST,
            "{width}×{height}: seeds {} and {} are {}",
            highest.1,
            highest.2,
            highest.0
        );
    }
}

#[test]
fn different_pictures_stay_apart_through_jpeg() {
    let hashes: Vec<PHash> = (0..30).map(|seed| hash(&jpeg(seed + 1000, 500, 750))).collect();
    for (a, first) in hashes.iter().enumerate() {
        for second in &hashes[a + 1..] {
            assert!(!is_near_duplicate(first, second));
            assert!(first.similarity(second) <= DISTINCT_AT_MOST);
        }
    }
}

#[test]
fn transparent_pixels_hash_the_same_whatever_colour_they_hide() {
    let picture = sample::picture(9, 200, 80);
    let with_hidden = |hidden: [u8; 3]| {
        let rgba = image::RgbaImage::from_fn(200, 80, |x, y| {
            let [r, g, b] = picture.get_pixel(x, y).0;
            if (40..160).contains(&x) && (20..60).contains(&y) {
                image::Rgba([r, g, b, 255])
            } else {
                image::Rgba([hidden[0], hidden[1], hidden[2], 0])
            }
        });
        hash(&encode(&DynamicImage::ImageRgba8(rgba), image::ImageFormat::Png))
    };
    assert_eq!(with_hidden([0, 0, 0]), with_hidden([255, 255, 255]));
}
