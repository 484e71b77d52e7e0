//! The `scan` suite: cold scans and unchanged rescans of a generated library, per backend.
//!
//! Each movie folder holds a small real video (one tiny H.264 file made with `ffmpeg`, copied
//! with distinct trailing bytes), an NFO, a poster and a fanart, all distinct.

use crate::Figure;
use anyhow::Context;
use metarr::catalogue::libraries::{self, LibraryInput};
use metarr::catalogue::scans::{self, Scan};
use metarr::db::Db;
use metarr::events::AppEvents;
use metarr::jobs::scan::ScanServices;
use metarr_queue::{Queue, Worker, WorkerConfig};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

fn png(width: u32, height: u32, salt: u64) -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 2, 0, 0, 0]);
    bytes.extend_from_slice(&salt.to_be_bytes());
    bytes
}

fn tiny_video(dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = dir.join("tiny.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=1:size=128x72:rate=10", "-f", "lavfi", "-i"])
        .args(["sine=duration=1", "-c:v", "libx264", "-c:a", "aac", "-shortest"])
        .arg(&path)
        .status()
        .context("running ffmpeg (install the ffmpeg package)")?;
    anyhow::ensure!(status.success(), "ffmpeg could not make the sample video");
    Ok(std::fs::read(&path)?)
}

fn generate(root: &Path, n: u64, video: &[u8]) -> anyhow::Result<Vec<PathBuf>> {
    let mut videos = Vec::with_capacity(n as usize);
    for i in 0..n {
        let name = format!("Generated Movie {i:05} ({})", 1950 + i % 70);
        let folder = root.join(format!("{:02}", i % 50)).join(&name);
        std::fs::create_dir_all(&folder)?;
        let mut bytes = video.to_vec();
        bytes.extend_from_slice(&i.to_be_bytes());
        let video_path = folder.join(format!("{name}.mp4"));
        std::fs::write(&video_path, bytes)?;
        let nfo = format!(
            "<movie><title>Generated Movie {i}</title><year>{}</year><uniqueid type=\"tmdb\" default=\"true\">{}</uniqueid><plot>Plot {i}</plot></movie>",
            1950 + i % 70,
            100_000 + i
        );
        std::fs::write(folder.join(format!("{name}.nfo")), nfo)?;
        std::fs::write(folder.join("poster.png"), png(1000, 1500, i * 2))?;
        std::fs::write(folder.join("fanart.png"), png(1920, 1080, i * 2 + 1))?;
        videos.push(video_path);
    }
    Ok(videos)
}

struct Setup {
    db: Db,
    shutdown: CancellationToken,
    worker: tokio::task::JoinHandle<metarr_queue::Result<()>>,
    _data: tempfile::TempDir,
}

async fn start(url: &str, read_streams: bool) -> anyhow::Result<Setup> {
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

async fn scan(db: &Db, library_id: i64) -> anyhow::Result<(Scan, f64)> {
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
    anyhow::ensure!(scan.phase == scans::COMPLETED, "scan ended {}: {:?}", scan.phase, scan.warnings);
    Ok((scan, started.elapsed().as_secs_f64()))
}

async fn measure(backend: &'static str, url: &str, root: &Path, n: u64, streams: bool) -> anyhow::Result<()> {
    let setup = start(url, streams).await?;
    let library = libraries::create(&setup.db, &LibraryInput::movies_at(root)).await?;
    let (cold, seconds) = scan(&setup.db, library.id).await?;
    anyhow::ensure!(cold.movies_new as u64 == n, "cold scan found {} of {n} movies", cold.movies_new);
    Figure::new("scan", "cold_scan", backend, seconds, "s").with_library(n, streams).print();
    let (warm, seconds) = scan(&setup.db, library.id).await?;
    Figure::new("scan", "rescan_unchanged", backend, seconds, "s").with_library(n, streams).print();
    Figure::new("scan", "rescan_probes", backend, warm.videos_probed as f64, "videos").with_library(n, streams).print();
    setup.shutdown.cancel();
    setup.worker.await??;
    Ok(())
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

fn peak_rss_mb() -> f64 {
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
    let video = tiny_video(work.path())?;
    if let Ok(dir) = std::env::var("BENCH_GENERATE_ONLY") {
        // For profiling one scan by hand: `scan-child sqlite sqlite://… DIR/library-N N`, with
        // N from `BENCH_GENERATE_N` (1,000 unless set).
        let n: u64 = match std::env::var("BENCH_GENERATE_N") {
            Ok(n) => n.parse().context("BENCH_GENERATE_N")?,
            Err(_) => 1_000,
        };
        generate(&Path::new(&dir).join(format!("library-{n}")), n, &video)?;
        return Ok(());
    }
    let small = work.path().join("library-1000");
    let videos = generate(&small, 1_000, &video)?;
    let big = work.path().join("library-10000");
    generate(&big, 10_000, &video)?;
    let concurrency = metarr::jobs::scan::limits().get("directory-scan").copied().unwrap_or(8);
    for backend in backends {
        let db = crate::queue::BenchDb::create(backend).await?;
        // Each run gets a fresh database so that every cold scan is cold.
        let result = async {
            let backend_name = db.backend;
            measure(backend_name, &db.url, &small, 1_000, true).await?;
            db.reset().await?;
            measure(backend_name, &db.url, &small, 1_000, false).await?;
            db.reset().await?;
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
