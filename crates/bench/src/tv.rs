//! The `tv` suite: a cold scan and an unchanged rescan of a generated TV library, per backend.
//!
//! 100 series × 5 seasons × 20 episodes: each episode a video under Sonarr's naming (some
//! multi-episode, some in `1x02` form), an NFO and a real-size thumb (1280×720, about 90 KB);
//! each series a `tvshow.nfo`, a poster, a fanart and a poster per season, every image
//! distinct. The scan reads no stream details (the figure is without them), so each
//! video is a small file. The scan runs in a child process so that its peak memory is its own.

use crate::Figure;
use crate::scan::{jpeg, peak_rss_mb, scan, start};
use anyhow::Context;
use metarr::catalogue::libraries::{self, LibraryInput};
use std::path::Path;

const SERIES: u64 = 100;
const SEASONS: u64 = 5;
const EPISODES: u64 = 20;

/// Writes the library; returns how many episodes it holds.
fn generate(root: &Path) -> anyhow::Result<u64> {
    let mut episodes = 0;
    for s in 0..SERIES {
        let name = format!("Generated Series {s:03} ({})", 1990 + s % 30);
        let folder = root.join(&name);
        std::fs::create_dir_all(&folder)?;
        std::fs::write(
            folder.join("tvshow.nfo"),
            format!(
                "<tvshow><title>Generated Series {s}</title><year>{}</year>\
                 <uniqueid type=\"tvdb\" default=\"true\">{}</uniqueid><plot>Plot {s}</plot></tvshow>",
                1990 + s % 30,
                300_000 + s
            ),
        )?;
        let seed = s * 1_000;
        std::fs::write(folder.join("poster.jpg"), jpeg(1000, 1500, 500_000, seed))?;
        std::fs::write(folder.join("fanart.jpg"), jpeg(1920, 1080, 700_000, seed + 1))?;
        for season in 1..=SEASONS {
            std::fs::write(
                folder.join(format!("season{season:02}-poster.jpg")),
                jpeg(1000, 1500, 300_000, seed + 10 + season),
            )?;
            let season_folder = folder.join(format!("Season {season:02}"));
            std::fs::create_dir_all(&season_folder)?;
            let mut e = 1;
            while e <= EPISODES {
                // Every tenth file of a season is a double episode; the rest alternate forms.
                let (stem, count) = if e % 10 == 1 && e < EPISODES {
                    (format!("Generated Series {s} - S{season:02}E{e:02}-E{:02} - Part {e}", e + 1), 2)
                } else if e % 2 == 0 {
                    (format!("Generated.Series.{s}.{season}x{e:02}.Episode.Title.1080p.WEB-DL"), 1)
                } else {
                    (format!("Generated Series {s} - S{season:02}E{e:02} - Episode {e}"), 1)
                };
                let mut video = vec![0u8; 64 * 1024];
                fastrand::Rng::with_seed(seed + season * 100 + e).fill(&mut video);
                std::fs::write(season_folder.join(format!("{stem}.mkv")), video)?;
                let details: String = (0..count)
                    .map(|k| {
                        format!(
                            "<episodedetails><title>Episode {}</title><season>{season}</season>\
                             <episode>{}</episode><plot>Plot</plot></episodedetails>",
                            e + k,
                            e + k
                        )
                    })
                    .collect();
                std::fs::write(season_folder.join(format!("{stem}.nfo")), details)?;
                std::fs::write(
                    season_folder.join(format!("{stem}-thumb.jpg")),
                    jpeg(1280, 720, 90_000, seed + 5_000 + season * 100 + e),
                )?;
                episodes += count;
                e += count;
            }
        }
    }
    Ok(episodes)
}

async fn measure(backend: &'static str, url: &str, root: &Path, episodes: u64) -> anyhow::Result<()> {
    let setup = start(url, false).await?;
    let input = LibraryInput { kind: "tv".to_owned(), ..LibraryInput::movies_at(root) };
    let library = libraries::create(&setup.db, &input).await?;
    let _ = std::process::Command::new("sync").status();
    let (cold, seconds) = scan(&setup.db, library.id).await?;
    anyhow::ensure!(cold.series_new as u64 == SERIES, "the cold scan found {} of {SERIES} series", cold.series_new);
    anyhow::ensure!(
        cold.episodes_found as u64 == episodes,
        "the cold scan found {} of {episodes} episodes",
        cold.episodes_found
    );
    Figure::new("tv", "cold_scan", backend, seconds, "s").print();
    Figure::new("tv", "cold_episodes_per_s", backend, episodes as f64 / seconds, "episodes/s").print();
    let (warm, seconds) = scan(&setup.db, library.id).await?;
    anyhow::ensure!(warm.series_updated == 0, "the rescan updated {} series", warm.series_updated);
    Figure::new("tv", "rescan_unchanged", backend, seconds, "s").print();
    Figure::new("tv", "rescan_probes", backend, warm.videos_probed as f64, "videos").print();
    setup.shutdown.cancel();
    setup.worker.await??;
    Ok(())
}

pub(crate) async fn run(backends: &[String]) -> anyhow::Result<()> {
    let work = tempfile::tempdir()?;
    let root = work.path().join("tv");
    let episodes = generate(&root)?;
    for backend in backends {
        let db = crate::queue::BenchDb::create(backend).await?;
        let status = std::process::Command::new(std::env::current_exe()?)
            .args(["tv-child", db.backend, &db.url])
            .arg(&root)
            .arg(episodes.to_string())
            .status()
            .context("running the TV scan in a child process");
        db.drop_schema().await?;
        anyhow::ensure!(status?.success(), "the TV scan failed");
    }
    Ok(())
}

/// The child process: scans cold and unchanged, then reports its own peak memory.
pub(crate) async fn child(args: &[String]) -> anyhow::Result<()> {
    let [backend, url, root, episodes] = args else {
        anyhow::bail!("usage: tv-child BACKEND URL ROOT EPISODES");
    };
    let backend: &'static str = if backend == "postgres" { "postgres" } else { "sqlite" };
    measure(backend, url, Path::new(root), episodes.parse().context("EPISODES")?).await?;
    Figure::new("tv", "peak_rss_mb", backend, peak_rss_mb(), "MB").print();
    Ok(())
}
