//! The cache's garbage collection: a blob nothing refers to any more (no library file, no
//! artwork candidate or headshot, no published file, no recycle-bin entry) is deleted, with its
//! `assets` row. Blobs younger than [`GRACE`] stay: a job may have cached one a moment ago and
//! not yet committed the row that refers to it.

use crate::cache;
use crate::catalogue::CatalogueError;
use crate::db::Db;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How old an unreferenced blob must be before it goes.
pub const GRACE: Duration = Duration::from_secs(3600);

/// What a collection found and removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Collected {
    pub blobs: u64,
    pub removed: u64,
    pub bytes_freed: u64,
}

/// Every hash the catalogue refers to.
async fn referenced(db: &Db) -> Result<HashSet<String>, CatalogueError> {
    let rows: Vec<(String,)> = db
        .fetch_all(
            "SELECT sha256 FROM media_files WHERE sha256 IS NOT NULL \
             UNION SELECT sha256 FROM series_files WHERE sha256 IS NOT NULL \
             UNION SELECT sha256 FROM artwork_candidates WHERE sha256 IS NOT NULL \
             UNION SELECT sha256 FROM person_images WHERE sha256 IS NOT NULL \
             UNION SELECT sha256 FROM published_files \
             UNION SELECT sha256 FROM series_published_files \
             UNION SELECT sha256 FROM recycle_bin",
            &[],
        )
        .await?;
    Ok(rows.into_iter().map(|(sha,)| sha).collect())
}

/// The cache's blobs (`<aa>/<bb>/<sha256>.<ext>`), with their hash and age test.
fn blobs(cache_root: &Path) -> Vec<(PathBuf, String, u64, Option<SystemTime>)> {
    let mut found = Vec::new();
    let hex2 = |name: &str| name.len() == 2 && name.bytes().all(|b| b.is_ascii_hexdigit());
    let Ok(first) = std::fs::read_dir(cache_root) else { return found };
    for a in first.flatten() {
        if !a.file_name().to_str().is_some_and(hex2) {
            continue;
        }
        let Ok(second) = std::fs::read_dir(a.path()) else { continue };
        for b in second.flatten() {
            if !b.file_name().to_str().is_some_and(hex2) {
                continue;
            }
            let Ok(files) = std::fs::read_dir(b.path()) else { continue };
            for file in files.flatten() {
                let name = file.file_name();
                let Some(sha) = name.to_str().and_then(|n| n.split('.').next()).filter(|s| cache::is_sha256(s)) else {
                    continue;
                };
                let Ok(metadata) = file.metadata() else { continue };
                if metadata.is_file() {
                    found.push((file.path(), sha.to_owned(), metadata.len(), metadata.modified().ok()));
                }
            }
        }
    }
    found
}

/// Deletes the cache's unreferenced blobs older than `grace`.
pub async fn collect(db: &Db, cache_root: &Path, grace: Duration) -> Result<Collected, CatalogueError> {
    let root = cache_root.to_owned();
    let found = crate::jobs::spawn_blocking_in_span(move || blobs(&root))
        .await
        .map_err(|e| CatalogueError::Internal(format!("listing the cache stopped: {e}")))?;
    // Read after the listing: a blob cached and referenced in between is in this set.
    let referenced = referenced(db).await?;
    let now = SystemTime::now();
    let doomed: Vec<(PathBuf, String, u64)> = found
        .iter()
        .filter(|(_, sha, _, modified)| {
            !referenced.contains(sha) && modified.is_some_and(|m| now.duration_since(m).unwrap_or_default() >= grace)
        })
        .map(|(path, sha, size, _)| (path.clone(), sha.clone(), *size))
        .collect();
    let mut collected = Collected { blobs: found.len() as u64, ..Collected::default() };
    let shas: Vec<String> = doomed.iter().map(|(_, sha, _)| sha.clone()).collect();
    let removed = crate::jobs::spawn_blocking_in_span(move || {
        let mut removed = Vec::new();
        for (path, sha, size) in doomed {
            if std::fs::remove_file(&path).is_ok() {
                removed.push((sha, size));
            }
        }
        removed
    })
    .await
    .map_err(|e| CatalogueError::Internal(format!("cleaning the cache stopped: {e}")))?;
    collected.removed = removed.len() as u64;
    collected.bytes_freed = removed.iter().map(|(_, size)| size).sum();
    for chunk in shas.chunks(200) {
        let params: Vec<crate::db::Param> = chunk.iter().map(|s| s.clone().into()).collect();
        db.execute(
            &format!("DELETE FROM assets WHERE sha256 IN {}", crate::catalogue::movies::placeholders(1, params.len())),
            &params,
        )
        .await?;
    }
    Ok(collected)
}
