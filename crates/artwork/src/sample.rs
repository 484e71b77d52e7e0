//! Test and benchmark support: deterministic synthetic pictures that look enough like artwork
//! (large shapes over a gradient, with grain) to exercise decoding, hashing and previews.
//!
//! Nothing in Metarr proper uses this module; it is public so that tests and benchmarks of other
//! crates can make as many distinct images as they need without shipping any.

use std::io::Cursor;

use image::{ImageFormat, RgbImage};

/// A deterministic picture: a two-colour gradient in a random direction under several filled
/// ellipses and rectangles of random colours, with mild grain so that JPEG sizes are like real
/// artwork's.
///
/// The layout is drawn in coordinates relative to the size, so one seed gives the same picture at
/// any size, and pictures of different seeds are perceptually distinct (their [`PHash`]es are
/// below [`NEAR_DUPLICATE`]).
///
/// [`PHash`]: crate::image::PHash
/// [`NEAR_DUPLICATE`]: crate::image::NEAR_DUPLICATE
pub fn picture(seed: u64, width: u32, height: u32) -> RgbImage {
    let mut rng = SplitMix64::new(seed);
    let mut canvas = Canvas::new(width, height);

    let from = rng.colour();
    let to = contrasting(&mut rng, from);
    let angle = rng.unit() * std::f64::consts::TAU;
    let light = (rng.unit(), rng.unit());
    let linear = rng.unit();
    canvas.gradient(from, to, (angle.cos(), angle.sin()), light, linear);

    // Big shapes first, so later small ones stay visible: the layout is what the hash sees.
    let shapes = 7 + rng.below(6);
    for index in 0..shapes {
        let scale = 0.45 - 0.3 * f64::from(index) / f64::from(shapes);
        let centre = (rng.unit(), rng.unit());
        let radii = (scale * (0.4 + 0.8 * rng.unit()), scale * (0.4 + 0.8 * rng.unit()));
        let colour = contrasting(&mut rng, canvas.colour_at(centre));
        let paint = Paint::shaded(&mut rng, colour);
        if rng.below(2) == 0 {
            canvas.ellipse(centre, radii, &paint);
        } else {
            canvas.rectangle(centre, radii, &paint);
        }
    }

    canvas.grain(seed, 6);
    canvas.into_image()
}

/// The picture as a baseline JPEG of the given quality (1–100).
///
/// # Panics
/// When the picture has no pixels, which JPEG cannot hold.
pub fn jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality.clamp(1, 100))
        .encode_image(img)
        .expect("an in-memory JPEG encode fails only for an empty picture");
    bytes
}

/// The picture as a PNG.
///
/// # Panics
/// When the picture has no pixels, which PNG cannot hold.
pub fn png(img: &RgbImage) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    img.write_to(&mut bytes, ImageFormat::Png).expect("an in-memory PNG encode fails only for an empty picture");
    bytes.into_inner()
}

type Rgb = [u8; 3];

/// A colour whose brightness is far from `against`'s, so every shape shows in the grey picture
/// the perceptual hash looks at.
fn contrasting(rng: &mut SplitMix64, against: Rgb) -> Rgb {
    let mut best = rng.colour();
    for _ in 0..8 {
        if luma(best).abs_diff(luma(against)) >= 70 {
            break;
        }
        best = rng.colour();
    }
    best
}

fn luma([r, g, b]: Rgb) -> u8 {
    let luma = (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
    u8::try_from(luma).expect("a weighted mean of bytes is a byte")
}

struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
    /// The centre of each pixel column in relative coordinates (0..1), and of each row.
    us: Vec<f64>,
    vs: Vec<f64>,
}

impl Canvas {
    fn new(width: u32, height: u32) -> Canvas {
        let len = usize::try_from(u64::from(width) * u64::from(height) * 3).expect("a picture that fits in memory");
        let centres = |size: u32| (0..size).map(|at| (f64::from(at) + 0.5) / f64::from(size)).collect();
        Canvas { width, height, pixels: vec![0; len], us: centres(width), vs: centres(height) }
    }

    fn row_len(&self) -> usize {
        self.us.len() * 3
    }

    fn colour_at(&self, (u, v): (f64, f64)) -> Rgb {
        if self.pixels.is_empty() {
            return [0; 3];
        }
        let x = to_pixel(u, self.width).min(self.width - 1) as usize;
        let y = to_pixel(v, self.height).min(self.height - 1) as usize;
        let at = y * self.row_len() + x * 3;
        [self.pixels[at], self.pixels[at + 1], self.pixels[at + 2]]
    }

    /// Blends `from` into `to` along a mix of a linear ramp in direction `(dx, dy)` and a radial
    /// one around `centre`, weighted by `linear`: a different shape of light in every picture.
    fn gradient(&mut self, from: Rgb, to: Rgb, (dx, dy): (f64, f64), centre: (f64, f64), linear: f64) {
        let ramp = Ramp::new(from, to);
        // Projection onto the direction, normalised to 0..=1 over the picture's corners.
        let low = dx.min(0.0) + dy.min(0.0);
        let span = (dx.abs() + dy.abs()).max(f64::EPSILON);
        let reach = std::f64::consts::SQRT_2;
        let row_len = self.row_len();
        if row_len == 0 {
            return;
        }
        for (row, &v) in self.pixels.chunks_exact_mut(row_len).zip(&self.vs) {
            for (pixel, &u) in row.chunks_exact_mut(3).zip(&self.us) {
                let ramp_at = (u * dx + v * dy - low) / span;
                let (du, dv) = (u - centre.0, v - centre.1);
                let radial = (du * du + dv * dv).sqrt() / reach;
                pixel.copy_from_slice(&ramp.at(linear * ramp_at + (1.0 - linear) * radial));
            }
        }
    }

    fn ellipse(&mut self, (cu, cv): (f64, f64), (ru, rv): (f64, f64), paint: &Paint) {
        // Radii are relative to the shorter side, so an ellipse stays round-ish on any canvas.
        let short = f64::from(self.width.min(self.height));
        let (rx, ry) = (ru * short / f64::from(self.width), rv * short / f64::from(self.height));
        self.fill((cu, cv), (rx, ry), paint, |du, dv| du * du + dv * dv <= 1.0);
    }

    fn rectangle(&mut self, centre: (f64, f64), radii: (f64, f64), paint: &Paint) {
        self.fill(centre, radii, paint, |_, _| true);
    }

    /// Paints the pixels within the box of half-sizes `(rx, ry)` around `centre` that `inside`
    /// accepts (it gets the offset from the centre in radii), visiting only that box.
    fn fill(&mut self, (cu, cv): (f64, f64), (rx, ry): (f64, f64), paint: &Paint, inside: impl Fn(f64, f64) -> bool) {
        let x0 = to_pixel(cu - rx, self.width) as usize;
        let x1 = (to_pixel(cu + rx, self.width) as usize).max(x0);
        let y0 = to_pixel(cv - ry, self.height) as usize;
        let y1 = (to_pixel(cv + ry, self.height) as usize).max(y0);
        let row_len = self.row_len();
        for (y, &v) in self.vs.iter().enumerate().take(y1).skip(y0) {
            let dv = (v - cv) / ry;
            let row = &mut self.pixels[y * row_len..(y + 1) * row_len];
            for (pixel, &u) in row.chunks_exact_mut(3).zip(&self.us).take(x1).skip(x0) {
                let du = (u - cu) / rx;
                if inside(du, dv) {
                    pixel.copy_from_slice(&paint.at(du, dv));
                }
            }
        }
    }

    /// Adds noise of up to ±`amplitude` to every channel, like film grain on a scan.
    fn grain(&mut self, seed: u64, amplitude: u8) {
        let span = amplitude * 2 + 1;
        let mut rng = SplitMix64::new(seed ^ 0x6772_6169_6e00_0000);
        // One draw gives the noise of eight channels (the slight bias of `% span` is no matter).
        for chunk in self.pixels.chunks_mut(8) {
            for (value, noise) in chunk.iter_mut().zip(rng.next().to_le_bytes()) {
                let offset = i16::from(noise % span) - i16::from(amplitude);
                *value = u8::try_from((i16::from(*value) + offset).clamp(0, 255)).expect("clamped to a byte");
            }
        }
    }

    fn into_image(self) -> RgbImage {
        RgbImage::from_raw(self.width, self.height, self.pixels).expect("the buffer is width × height × 3")
    }
}

/// 256 steps from one colour to another, so that painting a pixel looks its blend up.
struct Ramp([Rgb; 256]);

impl Ramp {
    fn new(from: Rgb, to: Rgb) -> Ramp {
        Ramp(std::array::from_fn(|step| {
            let t = f64::from(u8::try_from(step).expect("256 steps")) / 255.0;
            [0, 1, 2].map(|channel| mix(from[channel], to[channel], t))
        }))
    }

    /// The colour at `t` in 0..=1 (clamped; NaN gives the first).
    fn at(&self, t: f64) -> Rgb {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "clamped to 0..=255")]
        let step = (t.clamp(0.0, 1.0) * 255.0 + 0.5) as usize;
        self.0[step]
    }
}

/// The pixel index at relative coordinate `t` along a side of `size` pixels, clamped at 0.
fn to_pixel(t: f64, size: u32) -> u32 {
    let at = (t * f64::from(size)).round().clamp(0.0, f64::from(size));
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "clamped to 0..=size")]
    let at = at as u32;
    at
}

fn mix(from: u8, to: u8, t: f64) -> u8 {
    let value = f64::from(from) + (f64::from(to) - f64::from(from)) * t;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "clamped to a byte")]
    let value = value.round().clamp(0.0, 255.0) as u8;
    value
}

/// A shape's colour, shading into a lighter or darker one across the shape: flat fills would
/// give every picture the same hash bits wherever they are flat.
struct Paint {
    ramp: Ramp,
    direction: (f64, f64),
}

impl Paint {
    fn shaded(rng: &mut SplitMix64, colour: Rgb) -> Paint {
        let delta = 50 + rng.below(60);
        let lighter = rng.below(2) == 0;
        let shade = colour.map(|channel| {
            let channel = u32::from(channel);
            let shaded = if lighter { (channel + delta).min(255) } else { channel.saturating_sub(delta) };
            u8::try_from(shaded).expect("clamped to a byte")
        });
        let angle = rng.unit() * std::f64::consts::TAU;
        Paint { ramp: Ramp::new(colour, shade), direction: (angle.cos(), angle.sin()) }
    }

    /// The colour at offset `(du, dv)` from the centre, in radii.
    fn at(&self, du: f64, dv: f64) -> Rgb {
        let along = du * self.direction.0 + dv * self.direction.1;
        self.ramp.at((along + 1.0) / 2.0)
    }
}

/// Sebastiano Vigna's SplitMix64: tiny, fast and good enough for pictures; no crate needed.
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..1, from the top 53 bits.
    fn unit(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss, reason = "53 bits are exact in f64")]
        let unit = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        unit
    }

    fn below(&mut self, bound: u32) -> u32 {
        u32::try_from(self.next() % u64::from(bound)).expect("below a u32")
    }

    fn colour(&mut self) -> Rgb {
        let bits = self.next().to_le_bytes();
        [bits[0], bits[1], bits[2]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_deterministic_and_differ_by_seed() {
        assert_eq!(picture(7, 64, 96), picture(7, 64, 96));
        assert_ne!(picture(7, 64, 96), picture(8, 64, 96));
        assert_eq!(picture(1, 0, 0).dimensions(), (0, 0));
        assert_eq!(picture(1, 1, 1).dimensions(), (1, 1));
    }

    #[test]
    fn encodings_have_their_signatures() {
        let img = picture(3, 40, 30);
        assert!(jpeg(&img, 90).starts_with(&[0xFF, 0xD8, 0xFF]));
        assert!(png(&img).starts_with(b"\x89PNG\r\n\x1a\n"));
    }
}
