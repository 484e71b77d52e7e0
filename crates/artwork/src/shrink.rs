//! Scaling pictures down by area averaging, in one pass over the source and with memory for one
//! output row beyond the output itself.
//!
//! The image crate's filtered resize converts the whole width to float RGBA first (a buffer as
//! large as the decoded picture for a tall poster) and its `thumbnail` reads pixels one by one
//! through a generic accessor; on a 2000×3000 poster both took longer than the decode. Each
//! output pixel here is the mean of the source area it covers, weighted by exact coverage, which
//! is also the cleanest filter for shrinking.

use image::{DynamicImage, ImageBuffer, Pixel};

/// `image` scaled to `width`×`height`, which must be no larger than it on either side.
/// Colour is averaged weighted by alpha, so transparent pixels do not darken the edges of what
/// is opaque next to them.
pub(crate) fn shrink(image: &DynamicImage, width: u32, height: u32) -> DynamicImage {
    debug_assert!(width <= image.width() && height <= image.height() && width > 0 && height > 0);
    match image {
        DynamicImage::ImageLuma8(buffer) => DynamicImage::ImageLuma8(shrink_buffer(buffer, width, height)),
        DynamicImage::ImageLumaA8(buffer) => DynamicImage::ImageLumaA8(shrink_buffer(buffer, width, height)),
        DynamicImage::ImageRgb8(buffer) => DynamicImage::ImageRgb8(shrink_buffer(buffer, width, height)),
        DynamicImage::ImageRgba8(buffer) => DynamicImage::ImageRgba8(shrink_buffer(buffer, width, height)),
        DynamicImage::ImageLuma16(buffer) => DynamicImage::ImageLuma16(shrink_buffer(buffer, width, height)),
        DynamicImage::ImageLumaA16(buffer) => DynamicImage::ImageLumaA16(shrink_buffer(buffer, width, height)),
        DynamicImage::ImageRgb16(buffer) => DynamicImage::ImageRgb16(shrink_buffer(buffer, width, height)),
        DynamicImage::ImageRgba16(buffer) => DynamicImage::ImageRgba16(shrink_buffer(buffer, width, height)),
        DynamicImage::ImageRgb32F(buffer) => DynamicImage::ImageRgb32F(shrink_buffer(buffer, width, height)),
        DynamicImage::ImageRgba32F(buffer) => DynamicImage::ImageRgba32F(shrink_buffer(buffer, width, height)),
        // DynamicImage is non-exhaustive; a future layout goes through 8-bit RGBA.
        other => DynamicImage::ImageRgba8(shrink_buffer(&other.to_rgba8(), width, height)),
    }
}

/// A channel value that can be averaged in f32.
trait Sample: Copy {
    fn to_f32(self) -> f32;
    fn from_f32(value: f32) -> Self;
    /// Fully opaque, as an f32.
    const OPAQUE: f32;
}

impl Sample for u8 {
    fn to_f32(self) -> f32 {
        f32::from(self)
    }
    fn from_f32(value: f32) -> Self {
        // Adding a half and truncating rounds non-negative values without calling roundf.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "clamped to a byte")]
        let value = (value.clamp(0.0, 255.0) + 0.5) as u8;
        value
    }
    const OPAQUE: f32 = 255.0;
}

impl Sample for u16 {
    fn to_f32(self) -> f32 {
        f32::from(self)
    }
    fn from_f32(value: f32) -> Self {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "clamped to a u16")]
        let value = (value.clamp(0.0, 65535.0) + 0.5) as u16;
        value
    }
    const OPAQUE: f32 = 65535.0;
}

impl Sample for f32 {
    fn to_f32(self) -> f32 {
        self
    }
    fn from_f32(value: f32) -> Self {
        value
    }
    const OPAQUE: f32 = 1.0;
}

/// For each output index along one side, the source indices it covers and their weights
/// (summing to 1), flattened.
struct Taps {
    /// `starts[i]..starts[i + 1]` indexes `sources` and `weights` for output `i`.
    starts: Vec<usize>,
    sources: Vec<usize>,
    weights: Vec<f32>,
}

impl Taps {
    fn new(source: u32, target: u32) -> Taps {
        let scale = f64::from(source) / f64::from(target);
        let mut taps = Taps { starts: vec![0], sources: Vec::new(), weights: Vec::new() };
        for index in 0..target {
            let low = f64::from(index) * scale;
            let high = (f64::from(index) + 1.0) * scale;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "within 0..=source")]
            let (first, last) = (low.floor() as u32, (high.ceil() as u32).min(source));
            for covered in first..last {
                let overlap = high.min(f64::from(covered) + 1.0) - low.max(f64::from(covered));
                if overlap > 0.0 {
                    taps.sources.push(covered as usize);
                    #[allow(clippy::cast_possible_truncation, reason = "a weight in 0..=1")]
                    taps.weights.push((overlap / scale) as f32);
                }
            }
            taps.starts.push(taps.sources.len());
        }
        taps
    }

    fn of(&self, index: usize) -> impl Iterator<Item = (usize, f32)> + '_ {
        let range = self.starts[index]..self.starts[index + 1];
        self.sources[range.clone()].iter().copied().zip(self.weights[range].iter().copied())
    }
}

fn shrink_buffer<P>(
    source: &ImageBuffer<P, Vec<P::Subpixel>>,
    width: u32,
    height: u32,
) -> ImageBuffer<P, Vec<P::Subpixel>>
where
    P: Pixel,
    P::Subpixel: Sample,
{
    let channels = usize::from(P::CHANNEL_COUNT);
    // The last channel of LumaA and Rgba pixels is alpha.
    let alpha = P::HAS_ALPHA.then_some(channels - 1);
    let columns = Taps::new(source.width(), width);
    let rows = Taps::new(source.height(), height);
    let source_row_len = source.width() as usize * channels;
    let samples = source.as_raw();

    let out_row_len = width as usize * channels;
    let mut out = Vec::with_capacity(out_row_len * height as usize);
    let mut row = vec![0f32; out_row_len];
    let mut accumulated = vec![0f32; out_row_len];
    for out_y in 0..height as usize {
        accumulated.fill(0.0);
        for (source_y, row_weight) in rows.of(out_y) {
            let source_row = &samples[source_y * source_row_len..(source_y + 1) * source_row_len];
            shrink_row(source_row, &columns, channels, alpha, &mut row);
            for (total, value) in accumulated.iter_mut().zip(&row) {
                *total += row_weight * value;
            }
        }
        for pixel in accumulated.chunks_exact(channels) {
            match alpha {
                // Undo the alpha weighting: colour is the alpha-weighted mean of colours.
                Some(alpha) if pixel[alpha] > 0.0 => {
                    let coverage = pixel[alpha] / P::Subpixel::OPAQUE;
                    out.extend(pixel[..alpha].iter().map(|value| P::Subpixel::from_f32(value / coverage)));
                    out.push(P::Subpixel::from_f32(pixel[alpha]));
                }
                Some(_) => out.extend(std::iter::repeat_n(P::Subpixel::from_f32(0.0), channels)),
                None => out.extend(pixel.iter().map(|value| P::Subpixel::from_f32(*value))),
            }
        }
    }
    ImageBuffer::from_raw(width, height, out).expect("width × height pixels were written")
}

/// One source row averaged into `width` output pixels, colours weighted by alpha.
fn shrink_row<S: Sample>(source_row: &[S], columns: &Taps, channels: usize, alpha: Option<usize>, row: &mut [f32]) {
    // Fixed channel counts let the compiler unroll the inner loops; this is the hot path.
    match (channels, alpha.is_some()) {
        (1, _) => shrink_row_with::<S, 1, false>(source_row, columns, row),
        (2, true) => shrink_row_with::<S, 2, true>(source_row, columns, row),
        (3, _) => shrink_row_with::<S, 3, false>(source_row, columns, row),
        (4, true) => shrink_row_with::<S, 4, true>(source_row, columns, row),
        (2, false) => shrink_row_with::<S, 2, false>(source_row, columns, row),
        _ => shrink_row_with::<S, 4, false>(source_row, columns, row),
    }
}

fn shrink_row_with<S: Sample, const CHANNELS: usize, const ALPHA: bool>(
    source_row: &[S],
    columns: &Taps,
    row: &mut [f32],
) {
    for (out_x, out_pixel) in row.chunks_exact_mut(CHANNELS).enumerate() {
        let mut total = [0f32; CHANNELS];
        for (source_x, weight) in columns.of(out_x) {
            let pixel = &source_row[source_x * CHANNELS..(source_x + 1) * CHANNELS];
            let mut values = [0f32; CHANNELS];
            for (value, sample) in values.iter_mut().zip(pixel) {
                *value = sample.to_f32();
            }
            if ALPHA {
                let coverage = values[CHANNELS - 1] / S::OPAQUE;
                for value in &mut values[..CHANNELS - 1] {
                    *value *= coverage;
                }
            }
            for (total, value) in total.iter_mut().zip(values) {
                *total += weight * value;
            }
        }
        out_pixel.copy_from_slice(&total);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use image::{Luma, LumaA, Rgb, Rgba};

    use super::*;

    #[test]
    fn halving_averages_each_two_by_two_block() {
        let source = ImageBuffer::<Luma<u8>, Vec<u8>>::from_raw(4, 2, vec![0, 10, 100, 200, 20, 30, 50, 50]).unwrap();
        let small = shrink_buffer(&source, 2, 1);
        assert_eq!(small.as_raw(), &[15, 100]);
    }

    #[test]
    fn fractional_scales_weight_by_coverage() {
        // 3 → 2: the middle pixel is split between both outputs.
        let source = ImageBuffer::<Luma<u8>, Vec<u8>>::from_raw(3, 1, vec![0, 90, 180]).unwrap();
        let small = shrink_buffer(&source, 2, 1);
        assert_eq!(small.as_raw(), &[30, 150]);
        let same = shrink_buffer(&source, 3, 1);
        assert_eq!(same.as_raw(), source.as_raw());
    }

    #[test]
    fn transparent_pixels_do_not_bleed_their_colour() {
        let source = ImageBuffer::<Rgba<u8>, Vec<u8>>::from_raw(2, 1, vec![255, 255, 255, 255, 0, 0, 0, 0]).unwrap();
        let small = shrink_buffer(&source, 1, 1);
        assert_eq!(small.as_raw(), &[255, 255, 255, 128]);
        let clear = ImageBuffer::<LumaA<u16>, Vec<u16>>::from_raw(2, 1, vec![500, 0, 700, 0]).unwrap();
        assert_eq!(shrink_buffer(&clear, 1, 1).as_raw(), &[0, 0]);
    }

    #[test]
    fn colour_without_alpha_is_a_plain_mean() {
        let source = ImageBuffer::<Rgb<u16>, Vec<u16>>::from_raw(2, 1, vec![0, 1000, 65535, 1000, 0, 65535]).unwrap();
        assert_eq!(shrink_buffer(&source, 1, 1).as_raw(), &[500, 500, 65535]);
    }
}
