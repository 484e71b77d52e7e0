//! Prints per-file probe times, native against `ffprobe`, for the files given as arguments.
//!
//! Usage: `cargo run --release -p metarr-probe --example probe_timing -- FILE...`
//! Each file is probed `ROUNDS` times by each reader and the median is printed, so process
//! start-up noise and the first run's cold caches do not decide the comparison.
//!
//! With `--batch CONCURRENCY FILE...` it instead probes all files once with
//! [`Prober::probe_all`] at that concurrency, the way a first scan would, and prints the
//! wall time of the native reader and of ffprobe alone.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use metarr_probe::{ProbeConfig, Prober, probe_native, probe_with_ffprobe};

const ROUNDS: usize = 7;
const TIMEOUT: Duration = Duration::from_secs(30);

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut files: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let mut out = std::io::stdout().lock();
    if files.first().is_some_and(|arg| arg.as_os_str() == "--batch") {
        let concurrency: usize = files.get(1).and_then(|arg| arg.to_str()?.parse().ok()).ok_or("--batch N FILE...")?;
        files.drain(..2);
        for (label, native) in [("native", true), ("ffprobe only", false)] {
            let prober = Prober::new(ProbeConfig { native, concurrency, ..ProbeConfig::default() });
            let started = Instant::now();
            let results = prober.probe_all(&files);
            let elapsed = started.elapsed();
            let failed = results.iter().filter(|result| result.is_err()).count();
            writeln!(
                out,
                "{label}: {} files, concurrency {concurrency}: {:.2} s total, {:.2} ms per file, {failed} errors",
                files.len(),
                elapsed.as_secs_f64(),
                elapsed.as_secs_f64() * 1000.0 / files.len().max(1) as f64,
            )?;
        }
        return Ok(());
    }
    writeln!(out, "{:<40} {:>12} {:>12} {:>8} agree", "file", "native", "ffprobe", "ratio")?;
    for file in &files {
        let mut native_times = Vec::new();
        let mut ffprobe_times = Vec::new();
        let mut native_result = None;
        let mut ffprobe_result = None;
        for _ in 0..ROUNDS {
            let started = Instant::now();
            native_result = Some(probe_native(file, TIMEOUT).map(|probe| probe.details)?);
            native_times.push(started.elapsed());
            let started = Instant::now();
            ffprobe_result = Some(probe_with_ffprobe("ffprobe".as_ref(), file, TIMEOUT)?);
            ffprobe_times.push(started.elapsed());
        }
        let native = median(native_times);
        let ffprobe = median(ffprobe_times);
        let hdr = native_result.as_ref().and_then(|details| details.video.first()).map(|v| v.hdr);
        writeln!(
            out,
            "{:<40} {:>9.2} ms {:>9.2} ms {:>7.1}x {} hdr={hdr:?}",
            file.display(),
            native.as_secs_f64() * 1000.0,
            ffprobe.as_secs_f64() * 1000.0,
            ffprobe.as_secs_f64() / native.as_secs_f64(),
            native_result == ffprobe_result,
        )?;
    }
    Ok(())
}
