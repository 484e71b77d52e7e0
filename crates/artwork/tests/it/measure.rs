//! Measurements for docs/artwork-scoring.md, not checks: run with
//! `cargo test --release -p metarr-artwork --test it measure -- --ignored --nocapture`.

#![allow(clippy::print_stdout, reason = "these tests report numbers")]

use std::time::Instant;

use image::DynamicImage;
use metarr_artwork::image::{PHash, inspect, inspect_with_preview, phash};
use metarr_artwork::sample;

use crate::support::{cropped, scaled};

#[test]
#[ignore = "a measurement; run in release"]
fn inspect_time_of_a_full_size_poster() {
    let started = Instant::now();
    for seed in 0..10 {
        drop(sample::picture(seed, 680, 1000));
    }
    println!("sample::picture at 680×1000: {:?} each", started.elapsed() / 10);
    let bytes = sample::jpeg(&sample::picture(1, 2000, 3000), 90);
    let runs = 10;
    for (what, run) in [
        ("inspect", &(|bytes: &[u8]| drop(inspect(bytes).unwrap())) as &dyn Fn(&[u8])),
        ("inspect_with_preview", &|bytes: &[u8]| drop(inspect_with_preview(bytes).unwrap())),
    ] {
        run(&bytes);
        let started = Instant::now();
        for _ in 0..runs {
            run(&bytes);
        }
        println!("{what} of a 2000×3000 JPEG ({} KB): {:?} each", bytes.len() / 1000, started.elapsed() / runs);
    }
}

#[test]
#[ignore = "a measurement; run in release"]
fn similarity_ranges() {
    for (width, height) in [(680, 1000), (1280, 720)] {
        let mut copies = (1.0f64, String::new());
        for seed in 0..80 {
            let picture = sample::picture(seed, width, height);
            let original = inspect(&sample::jpeg(&picture, 90)).unwrap().phash;
            for (what, bytes) in [
                ("q60", sample::jpeg(&picture, 60)),
                ("q30", sample::jpeg(&picture, 30)),
                ("50%", sample::jpeg(&scaled(&picture, 0.5), 90)),
                ("25%", sample::jpeg(&scaled(&picture, 0.25), 90)),
                ("png", sample::png(&picture)),
                ("crop 2% centred", sample::jpeg(&cropped(&picture, 2, true), 90)),
                ("crop 1% corner", sample::jpeg(&cropped(&picture, 1, false), 90)),
                ("crop 2% corner", sample::jpeg(&cropped(&picture, 2, false), 90)),
                ("crop 4% corner", sample::jpeg(&cropped(&picture, 4, false), 90)),
            ] {
                let similarity = original.similarity(&inspect(&bytes).unwrap().phash);
                println!("{width}×{height} seed {seed} {what}: {similarity:.3}");
                if similarity < copies.0 && !what.ends_with("corner") {
                    copies = (similarity, format!("seed {seed} {what}"));
                }
            }
        }
        let hashes: Vec<PHash> =
            (0..1000).map(|seed| phash(&DynamicImage::ImageRgb8(sample::picture(seed, width, height)))).collect();
        let mut distinct = 0.0f64;
        let mut first_200 = 0.0f64;
        let mut total = 0.0;
        let mut pairs = 0u32;
        for (a, first) in hashes.iter().enumerate() {
            for (b, second) in hashes.iter().enumerate().skip(a + 1) {
                let similarity = first.similarity(second);
                distinct = distinct.max(similarity);
                if b < 200 {
                    first_200 = first_200.max(similarity);
                }
                total += similarity;
                pairs += 1;
            }
        }
        println!(
            "{width}×{height}: copies at least {:.3} ({}); {pairs} distinct pairs at most {distinct:.3} \
             (among the first 200 seeds {first_200:.3}), mean {:.3}",
            copies.0,
            copies.1,
            total / f64::from(pairs)
        );
    }
}
