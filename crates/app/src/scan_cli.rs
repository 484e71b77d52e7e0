//! `metarr scan PATH…`: a one-shot scan in this process, with a progress bar and a summary.

use crate::catalogue::CatalogueError;
use crate::catalogue::libraries::{self, Library, LibraryInput};
use crate::catalogue::scans::ScanPhase;
use crate::catalogue::scans::{self, Scan};
use crate::config::Settings;
use crate::startup::{Application, Role};
use anyhow::Context;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Runs the scans and prints their outcome. Fails when a scan fails.
pub async fn run(settings: Settings, paths: &[PathBuf], json: bool) -> anyhow::Result<()> {
    let data_dir = settings.data_dir.clone();
    let application = Application::build_as(settings, Role::Worker).await?;
    let db = application.db().clone();
    let shutdown = application.shutdown_token();
    application.shutdown_on_signals();
    let running = tokio::spawn(application.run_until_stopped());

    let mut failed = Vec::new();
    let mut outcome = Ok(());
    for path in paths {
        match scan_path(&db, path, &data_dir, json).await {
            Ok(scan) => {
                if scan.phase != ScanPhase::Completed {
                    failed.push(format!("{}: scan {} ended {}", path.display(), scan.id, scan.phase));
                }
                print_scan(&scan, path, json)?;
            }
            Err(err) => {
                outcome = Err(err);
                break;
            }
        }
    }
    shutdown.cancel();
    running.await.context("the worker task")??;
    outcome?;
    anyhow::ensure!(failed.is_empty(), "{}", failed.join("; "));
    Ok(())
}

/// The library covering `path`: one whose root is or contains it, else a new one.
async fn library_for(db: &crate::db::Db, path: &Path, data_dir: &Path) -> anyhow::Result<Library> {
    let root = std::fs::canonicalize(path).with_context(|| format!("{} cannot be scanned", path.display()))?;
    for library in libraries::list(db).await? {
        if root.starts_with(&library.path) {
            return Ok(library);
        }
    }
    let input = LibraryInput::movies_at(&root);
    match libraries::create_apart_from(db, &input, data_dir).await {
        Ok(library) => Ok(library),
        Err(CatalogueError::Conflict(message) | CatalogueError::Invalid(message)) => anyhow::bail!("{message}"),
        Err(err) => Err(err.into()),
    }
}

async fn scan_path(db: &crate::db::Db, path: &Path, data_dir: &Path, json: bool) -> anyhow::Result<Scan> {
    let library = library_for(db, path, data_dir).await?;
    let mut scan = crate::jobs::scan::start_scan(db, library.id).await?;
    let bar = (!json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {prefix:>11} [{bar:30}] {pos}/{len} {msg}")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        bar.set_prefix(library.name.clone());
        bar
    });
    while !scan.is_finished() {
        tokio::time::sleep(Duration::from_millis(100)).await;
        scan = scans::get(db, scan.id).await?;
        if let Some(bar) = &bar {
            let (done, total) = match scan.phase {
                ScanPhase::Caching => (scan.assets_cached, scan.assets_queued),
                _ => (scan.directories_scanned, scan.directories_total),
            };
            bar.set_length(u64::try_from(total).unwrap_or(0));
            bar.set_position(u64::try_from(done).unwrap_or(0));
            bar.set_message(format!("{} · {} movies", scan.phase, scan.movies_found));
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(scan)
}

fn print_scan(scan: &Scan, path: &Path, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(scan)?)?;
        return Ok(());
    }
    writeln!(out, "{}: scan {} {}", path.display(), scan.id, scan.phase)?;
    writeln!(
        out,
        "  movies: {} found, {} new, {} updated, {} missing",
        scan.movies_found, scan.movies_new, scan.movies_updated, scan.movies_missing
    )?;
    writeln!(out, "  assets cached: {} of {}", scan.assets_cached, scan.assets_queued)?;
    writeln!(out, "  stream details read: {}", scan.videos_probed)?;
    writeln!(out, "  unknown files: {}", scan.unknown_files)?;
    writeln!(out, "  errors: {}, warnings: {}", scan.errors, scan.warnings.len())?;
    for warning in scan.warnings.iter().take(20) {
        writeln!(out, "    {warning}")?;
    }
    if scan.warnings.len() > 20 {
        writeln!(out, "    … and {} more (GET /api/v1/scans/{})", scan.warnings.len() - 20, scan.id)?;
    }
    Ok(())
}
