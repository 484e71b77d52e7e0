//! The `scan` suite: cold scans and unchanged rescans of a generated library, per backend.
//!
//! Each movie folder of the 1,000-film library holds a film with real-length headers (three
//! kinds, made with `ffmpeg` and copied sparse), an NFO, and a real-size poster (500 KB) and
//! fanart (700 KB), every image distinct. The 10,000-film library has the same artwork and a
//! tiny video, since that run reads no stream details. It also measures the native stream
//! reader on its own and the memory of the `metarr serve` and `metarr scan` processes.

use crate::Figure;
use anyhow::Context;
use metarr::catalogue::libraries::{self, LibraryInput};
use metarr::catalogue::scans::{self, Scan, ScanPhase};
use metarr::db::Db;
use metarr::events::AppEvents;
use metarr::ids::LibraryId;
use metarr::jobs::scan::ScanServices;
use metarr_queue::{Queue, Worker, WorkerConfig};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// A JPEG of about `size` bytes that says `width`×`height`: a real frame header followed by
/// noise, so that it hashes and copies like a user's poster (500 KB) or fanart (700 KB) and no
/// two are alike.
pub(crate) fn jpeg(width: u16, height: u16, size: usize, seed: u64) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
    bytes.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&[
        3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xDA, 0x00, 0x0C, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3F, 0,
    ]);
    let header = bytes.len();
    bytes.resize(size.saturating_sub(2).max(header), 0);
    fastrand::Rng::with_seed(seed).fill(&mut bytes[header..]);
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

/// A sample film: the bytes a scan can read (its head and tail) and its full length. Copies are
/// written sparse, with a hole where the bulk of the media data would be, so a 1,000-film
/// library of real-length headers (an hour of sample tables in `moov`) fits on a laptop's disk.
struct SampleFilm {
    ext: &'static str,
    head: Vec<u8>,
    tail: Vec<u8>,
    len: u64,
}

impl SampleFilm {
    fn load(path: &Path, ext: &'static str, head: u64, tail: u64) -> anyhow::Result<SampleFilm> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let len = bytes.len() as u64;
        let head = usize::try_from(head.min(len))?;
        let tail = usize::try_from(tail.min(len))?;
        Ok(SampleFilm { ext, head: bytes[..head].to_vec(), tail: bytes[bytes.len() - tail..].to_vec(), len })
    }

    fn write(&self, path: &Path) -> anyhow::Result<()> {
        use std::io::{Seek, SeekFrom};
        let mut file = std::fs::File::create(path)?;
        file.write_all(&self.head)?;
        file.set_len(self.len)?;
        file.seek(SeekFrom::Start(self.len - self.tail.len() as u64))?;
        file.write_all(&self.tail)?;
        Ok(())
    }
}

fn ffmpeg(args: &[&str]) -> anyhow::Result<()> {
    let status = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y"])
        .args(args)
        .status()
        .context("running ffmpeg (install the ffmpeg package)")?;
    anyhow::ensure!(status.success(), "ffmpeg failed: {args:?}");
    Ok(())
}

/// Three kinds of film, as in users' libraries: an hour of H.264 + AAC in MP4 with `moov` at
/// the end (ffmpeg's and many encoders' default), the same with `moov` first (`+faststart`),
/// and half an hour of 10-bit HEVC HDR10 with AC-3 5.1, a second audio language and two
/// subtitle tracks in Matroska. Tiny frames keep generation quick; the headers and sample tables
/// are those of real-length films.
#[rustfmt::skip]
fn sample_films(dir: &Path) -> anyhow::Result<Vec<SampleFilm>> {
    let end = dir.join("film-moov-at-end.mp4");
    let fast = dir.join("film-faststart.mp4");
    let mkv = dir.join("film-hdr10.mkv");
    let srt = dir.join("subs.srt");
    std::fs::write(&srt, "1\n00:00:01,000 --> 00:00:02,000\nHello\n")?;
    let end_s = end.to_string_lossy();
    ffmpeg(&[
        "-f", "lavfi", "-i", "testsrc=duration=3600:size=32x32:rate=24000/1001",
        "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "3600",
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "40", "-c:a", "aac", "-b:a", "16k",
        "-metadata:s:a:0", "language=eng", &end_s,
    ])?;
    ffmpeg(&["-i", &end_s, "-c", "copy", "-map", "0", "-movflags", "+faststart", &fast.to_string_lossy()])?;
    ffmpeg(&[
        "-f", "lavfi", "-i", "testsrc=duration=1800:size=64x64:rate=24000/1001",
        "-f", "lavfi", "-i", "anullsrc=r=48000:cl=5.1", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo",
        "-i", &srt.to_string_lossy(), "-i", &srt.to_string_lossy(), "-t", "1800",
        "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:s", "-map", "4:s",
        "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le", "-x265-params",
        "log-level=error:crf=40:hdr10=1:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc:\
         master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1):max-cll=1000,400",
        "-c:a:0", "ac3", "-b:a:0", "96k", "-c:a:1", "aac", "-b:a:1", "16k", "-c:s", "srt",
        "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=ger", "-metadata:s:a:1", "title=Kommentar",
        "-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=fre", "-disposition:s:0", "forced",
        &mkv.to_string_lossy(),
    ])?;
    const MIB: u64 = 1024 * 1024;
    Ok(vec![
        // `moov` (about 1.8 MB for an hour) is at the end; the first samples at the start.
        SampleFilm::load(&end, "mp4", MIB / 4, 2 * MIB)?,
        SampleFilm::load(&fast, "mp4", 2 * MIB + MIB / 2, MIB / 4)?,
        // Matroska: headers and the first clusters up front, `Cues` at the end.
        SampleFilm::load(&mkv, "mkv", MIB / 4, MIB / 4)?,
    ])
}

#[rustfmt::skip]
fn tiny_video(dir: &Path) -> anyhow::Result<SampleFilm> {
    let path = dir.join("tiny.mp4");
    ffmpeg(&[
        "-f", "lavfi", "-i", "testsrc=duration=1:size=128x72:rate=10", "-f", "lavfi", "-i", "sine=duration=1",
        "-c:v", "libx264", "-c:a", "aac", "-shortest", &path.to_string_lossy(),
    ])?;
    SampleFilm::load(&path, "mp4", u64::MAX, 0)
}

/// Writes `n` movie folders: a film (cycling through `films`), an NFO, and a real-size poster
/// and fanart, every image distinct.
fn generate(root: &Path, n: u64, films: &[SampleFilm]) -> anyhow::Result<Vec<PathBuf>> {
    let mut videos = Vec::with_capacity(n as usize);
    for i in 0..n {
        let name = format!("Generated Movie {i:05} ({})", 1950 + i % 70);
        let folder = root.join(format!("{:02}", i % 50)).join(&name);
        std::fs::create_dir_all(&folder)?;
        let film = &films[(i % films.len() as u64) as usize];
        let video_path = folder.join(format!("{name}.{}", film.ext));
        film.write(&video_path)?;
        let nfo = format!(
            "<movie><title>Generated Movie {i}</title><year>{}</year><uniqueid type=\"tmdb\" default=\"true\">{}</uniqueid><plot>Plot {i}</plot></movie>",
            1950 + i % 70,
            100_000 + i
        );
        std::fs::write(folder.join(format!("{name}.nfo")), nfo)?;
        std::fs::write(folder.join("poster.jpg"), jpeg(1000, 1500, 500_000, i * 2))?;
        std::fs::write(folder.join("fanart.jpg"), jpeg(1920, 1080, 700_000, i * 2 + 1))?;
        videos.push(video_path);
    }
    Ok(videos)
}

pub(crate) struct Setup {
    pub(crate) db: Db,
    pub(crate) shutdown: CancellationToken,
    pub(crate) worker: tokio::task::JoinHandle<metarr_queue::Result<()>>,
    _data: tempfile::TempDir,
}

pub(crate) async fn start(url: &str, read_streams: bool) -> anyhow::Result<Setup> {
    let data = tempfile::tempdir()?;
    let queue = Queue::connect(url).await?;
    let db = Db::new(&queue);
    db.migrate().await?;
    let prober = metarr_probe::Prober::new(metarr_probe::ProbeConfig::default());
    let services =
        Arc::new(ScanServices::new(db.clone(), AppEvents::new(), data.path().join("cache"), prober, read_streams));
    let registry = metarr::jobs::registry(metarr::jobs::cleanup::Retention::default(), &services);
    let shutdown = CancellationToken::new();
    // No scheduler: a library's file-scan schedule firing mid-run would scan on top of the measurement.
    let config = WorkerConfig { run_scheduler: false, ..WorkerConfig::default() };
    let worker = tokio::spawn(Worker::new(queue, registry, config).run(shutdown.clone()));
    Ok(Setup { db, shutdown, worker, _data: data })
}

pub(crate) async fn scan(db: &Db, library_id: LibraryId) -> anyhow::Result<(Scan, f64)> {
    let started = Instant::now();
    let mut scan = metarr::jobs::scan::start_scan(db, library_id).await?;
    // `BENCH_TRACE=1` shows the scan's progress each second on stderr, to see which phase lags.
    let trace = std::env::var_os("BENCH_TRACE").is_some();
    let mut last = Instant::now();
    while !scan.is_finished() {
        tokio::time::sleep(Duration::from_millis(5)).await;
        scan = scans::get(db, scan.id).await?;
        if trace && last.elapsed() > Duration::from_secs(1) {
            last = Instant::now();
            let line = format!(
                "{:6.1}s {} folders {}/{} assets {}/{}",
                started.elapsed().as_secs_f64(),
                scan.phase,
                scan.directories_scanned,
                scan.directories_total,
                scan.assets_cached,
                scan.assets_queued
            );
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }
    anyhow::ensure!(scan.phase == ScanPhase::Completed, "scan ended {}: {:?}", scan.phase, scan.warnings);
    Ok((scan, started.elapsed().as_secs_f64()))
}

/// Scans cold, then unchanged; prints both and returns the cold scan's seconds.
async fn measure(backend: &'static str, url: &str, root: &Path, n: u64, streams: bool) -> anyhow::Result<f64> {
    let setup = start(url, streams).await?;
    let library = libraries::create(&setup.db, &LibraryInput::movies_at(root)).await?;
    // Gigabytes of generated artwork (or the last run's cache) still being written back would
    // slow whichever scan runs first; flushing them first makes the runs comparable.
    let _ = std::process::Command::new("sync").status();
    let (cold, cold_seconds) = scan(&setup.db, library.id).await?;
    anyhow::ensure!(cold.movies_new as u64 == n, "cold scan found {} of {n} movies", cold.movies_new);
    if streams {
        anyhow::ensure!(cold.videos_probed as u64 == n, "the cold scan read {} of {n} videos", cold.videos_probed);
    }
    Figure::new("scan", "cold_scan", backend, cold_seconds, "s").with_library(n, streams).print();
    let (warm, seconds) = scan(&setup.db, library.id).await?;
    Figure::new("scan", "rescan_unchanged", backend, seconds, "s").with_library(n, streams).print();
    Figure::new("scan", "rescan_probes", backend, warm.videos_probed as f64, "videos").with_library(n, streams).print();
    setup.shutdown.cancel();
    setup.worker.await??;
    Ok(cold_seconds)
}

/// One cold scan with stream details, measured by nobody: the warm-up.
async fn scan_once(url: &str, root: &Path) -> anyhow::Result<()> {
    let setup = start(url, true).await?;
    let library = libraries::create(&setup.db, &LibraryInput::movies_at(root)).await?;
    scan(&setup.db, library.id).await?;
    setup.shutdown.cancel();
    setup.worker.await??;
    Ok(())
}

/// Probes every video twice (the second time from the page cache) and prints the median
/// time, and the median and largest number of bytes read per file.
fn probe_figures(backend: &'static str, videos: &[PathBuf]) -> anyhow::Result<()> {
    let prober = metarr_probe::Prober::new(metarr_probe::ProbeConfig::default());
    let mut times = Vec::with_capacity(videos.len());
    let mut bytes = Vec::with_capacity(videos.len());
    for round in 0..2 {
        for video in videos {
            let started = Instant::now();
            let (result, stats) = prober.probe_with_stats(video);
            let elapsed = started.elapsed().as_secs_f64() * 1000.0;
            result.with_context(|| format!("probing {}", video.display()))?;
            anyhow::ensure!(
                stats.reader == Some(metarr_probe::Reader::Native),
                "{} was not read natively",
                video.display()
            );
            if round == 1 {
                times.push(elapsed);
                bytes.push(stats.bytes_read as f64);
            }
        }
    }
    let median = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let n = videos.len() as u64;
    Figure::new("scan", "probe_ms_median", backend, median(&mut times), "ms").with_library(n, true).print();
    Figure::new("scan", "probe_bytes_read_median", backend, median(&mut bytes), "bytes").with_library(n, true).print();
    let max = bytes.iter().copied().fold(0.0, f64::max);
    Figure::new("scan", "probe_bytes_read_max", backend, max, "bytes").with_library(n, true).print();
    Ok(())
}

/// The `metarr` binary built beside this one (`bench/run` builds both).
fn metarr_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let binary = exe.with_file_name("metarr");
    anyhow::ensure!(binary.exists(), "{} is missing: build it with cargo build --release -p metarr", binary.display());
    Ok(binary)
}

/// A field of `/proc/<pid>/status` in MB (`VmRSS`, `VmHWM`).
fn status_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| {
            line.strip_prefix(field)?.strip_prefix(':')?.trim().trim_end_matches("kB").trim().parse::<f64>().ok()
        })
        .map(|kb| kb / 1024.0)
}

/// Resident memory of `metarr serve` on SQLite with an empty catalogue, after 10 s idle.
async fn idle_rss(binary: &Path) -> anyhow::Result<f64> {
    let data = tempfile::tempdir()?;
    let mut child = tokio::process::Command::new(binary)
        .arg("serve")
        .env("METARR_DATA_DIR", data.path())
        .env("METARR_BIND", "127.0.0.1:0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting metarr serve")?;
    let pid = child.id().context("metarr serve's pid")?;
    // Started means the database is migrated: its file exists.
    let database = data.path().join("metarr.db");
    let started = Instant::now();
    while !database.exists() {
        anyhow::ensure!(started.elapsed() < Duration::from_secs(30), "metarr serve did not start");
        anyhow::ensure!(child.try_wait()?.is_none(), "metarr serve exited at start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The figure is defined as the memory after ten idle seconds.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let rss = status_mb(pid, "VmRSS").context("reading metarr serve's memory")?;
    child.kill().await?;
    Ok(rss)
}

/// Peak resident memory of `metarr scan ROOT` (a fresh SQLite data directory), sampled from
/// `/proc` until it exits.
async fn scan_command_peak_rss(binary: &Path, root: &Path) -> anyhow::Result<f64> {
    let data = tempfile::tempdir()?;
    let mut child = tokio::process::Command::new(binary)
        .arg("scan")
        .arg(root)
        .env("METARR_DATA_DIR", data.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting metarr scan")?;
    let pid = child.id().context("metarr scan's pid")?;
    let mut peak: f64 = 0.0;
    loop {
        // The high-water mark only grows, so the last reading before exit is the peak, give or
        // take the final few milliseconds.
        if let Some(hwm) = status_mb(pid, "VmHWM") {
            peak = peak.max(hwm);
        }
        if let Some(status) = child.try_wait()? {
            anyhow::ensure!(status.success(), "metarr scan failed: {status}");
            return Ok(peak);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Runs `ffprobe` over the videos with the scan's folder concurrency, for reference.
fn ffprobe_alone(videos: &[PathBuf], concurrency: usize) -> f64 {
    let started = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..concurrency {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(video) = videos.get(i) else { break };
                    let _ = std::process::Command::new("ffprobe")
                        .args(["-v", "quiet", "-print_format", "json", "-show_streams", "-show_format"])
                        .arg(video)
                        .output();
                }
            });
        }
    });
    started.elapsed().as_secs_f64()
}

pub(crate) fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix("VmHWM:").and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

pub(crate) async fn run(backends: &[String]) -> anyhow::Result<()> {
    let work = tempfile::tempdir()?;
    let films = sample_films(work.path())?;
    if let Ok(dir) = std::env::var("BENCH_GENERATE_ONLY") {
        // For profiling one scan by hand: `scan-child sqlite sqlite://… DIR/library-N N`, with
        // N from `BENCH_GENERATE_N` (1,000 unless set).
        let n: u64 = match std::env::var("BENCH_GENERATE_N") {
            Ok(n) => n.parse().context("BENCH_GENERATE_N")?,
            Err(_) => 1_000,
        };
        generate(&Path::new(&dir).join(format!("library-{n}")), n, &films)?;
        return Ok(());
    }
    let small = work.path().join("library-1000");
    let videos = generate(&small, 1_000, &films)?;
    // The 10,000-film run reads no stream details, so one small video serves it.
    let big = work.path().join("library-10000");
    generate(&big, 10_000, &[tiny_video(work.path())?])?;
    let concurrency = metarr::jobs::scan::limits().get("directory-scan").copied().unwrap_or(8);
    let binary = metarr_binary()?;
    for backend in backends {
        let db = crate::queue::BenchDb::create(backend).await?;
        // Each run gets a fresh database so that every cold scan is cold.
        let result = async {
            let backend_name = db.backend;
            // The first cold scan after generating the library is slower whatever it reads
            // (0.5 s here, measured by swapping the two runs below); one unmeasured scan takes
            // that, so that the ratio is what reading streams costs.
            scan_once(&db.url, &small).await?;
            db.reset().await?;
            let with_streams = measure(backend_name, &db.url, &small, 1_000, true).await?;
            db.reset().await?;
            let without = measure(backend_name, &db.url, &small, 1_000, false).await?;
            Figure::new("scan", "streams_cost_ratio", backend_name, with_streams / without, "ratio")
                .with_library(1_000, true)
                .print();
            db.reset().await?;
            probe_figures(backend_name, &videos)?;
            // In a process of its own, so that its peak memory is the scan's alone.
            let status = std::process::Command::new(std::env::current_exe()?)
                .args(["scan-child", backend_name, &db.url])
                .arg(&big)
                .status()
                .context("running the 10,000-movie scan in a child process")?;
            anyhow::ensure!(status.success(), "the 10,000-movie scan failed");
            Ok::<_, anyhow::Error>(())
        }
        .await;
        db.drop_schema().await?;
        result?;
        Figure::new("scan", "ffprobe_alone", db.backend, ffprobe_alone(&videos, concurrency), "s")
            .with_library(1_000, true)
            .print();
        if db.backend == "sqlite" {
            // The `metarr` commands run on their embedded default, SQLite.
            Figure::new("scan", "idle_rss_mb", "sqlite", idle_rss(&binary).await?, "MB").print();
            Figure::new(
                "scan",
                "metarr_scan_peak_rss_mb",
                "sqlite",
                scan_command_peak_rss(&binary, &small).await?,
                "MB",
            )
            .with_library(1_000, true)
            .print();
        }
    }
    Ok(())
}

/// The child process of the 10,000-movie run: scans, then reports its own peak memory.
pub(crate) async fn child(args: &[String]) -> anyhow::Result<()> {
    let (backend, url, root, n) = match args {
        [backend, url, root] => (backend, url, root, 10_000),
        [backend, url, root, n] => (backend, url, root, n.parse().context("N")?),
        _ => anyhow::bail!("usage: scan-child BACKEND URL ROOT [N]"),
    };
    let backend: &'static str = if backend == "postgres" { "postgres" } else { "sqlite" };
    measure(backend, url, Path::new(root), n, false).await?;
    Figure::new("scan", "peak_rss_mb", backend, peak_rss_mb(), "MB").with_library(n, false).print();
    Ok(())
}
