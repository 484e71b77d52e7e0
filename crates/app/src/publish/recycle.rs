//! Restoring a recycle-bin entry: its bytes go back from the cache to where they were, never
//! over a different file unless forced (and then that file goes to the bin first).

use super::fs::{self, SafeFolder};
use super::names::PublishedKind;
use super::repo::{self, RecycleEntry, RecycleReason, Recycled};
use super::{PublishError, PublishServices};
use crate::cache;
use crate::catalogue::{CatalogueError, libraries};
use crate::ids::MovieId;
use std::path::{Path, PathBuf};

impl PublishServices {
    /// Puts an entry's file back where it was, byte for byte. A different file there is refused
    /// (409) unless `force`, which recycles it first.
    pub async fn restore(&self, id: i64, force: bool) -> Result<RecycleEntry, PublishError> {
        let db = self.db();
        let entry = repo::recycle_entry(db, id)
            .await?
            .ok_or_else(|| CatalogueError::NotFound(format!("recycle-bin entry {id} not found")))?;
        if entry.restored_at.is_some() {
            return Err(CatalogueError::Conflict(format!("recycle-bin entry {id} was restored already")).into());
        }
        let library_id = entry
            .library_id
            .ok_or_else(|| CatalogueError::Conflict(format!("recycle-bin entry {id} names no library")))?;
        let library = libraries::get(db, library_id).await?;
        let owner = match (entry.movie_id, entry.series_id) {
            (_, Some(series_id)) => super::Owner::Series(series_id),
            (movie_id, None) => super::Owner::Movie(movie_id.unwrap_or(MovieId(0))),
        };
        let cache_root = self.cache_root().to_owned();
        let restored = {
            let entry = entry.clone();
            super::blocking(move || put_back(&cache_root, Path::new(&library.path), &entry, force)).await?
        };
        let replaced = match restored {
            Ok(replaced) => replaced,
            Err(Refusal::Fs(source)) => return Err(PublishError::Fs { owner, source }),
            Err(Refusal::Cache(source)) => return Err(PublishError::Cache { owner, source }),
            Err(Refusal::Other(message)) => return Err(CatalogueError::Conflict(message).into()),
            Err(Refusal::Occupied) => return Err(PublishError::Occupied { path: entry.path.clone() }),
            Err(Refusal::Gone(message)) => return Err(CatalogueError::NotFound(message).into()),
        };
        let mut tx = db.begin().await?;
        if let Some(replaced) = replaced {
            let size = u64::try_from(replaced.size).unwrap_or_default();
            crate::catalogue::movies::record_asset_in(&mut tx, &replaced.sha256, &replaced.ext, size, None).await?;
            repo::recycle(&mut tx, library_id, Some(owner), &[replaced]).await?;
        }
        repo::mark_restored(&mut tx, id).await?;
        tx.commit().await?;
        self.adopt_restored(&entry).await?;
        Ok(repo::recycle_entry(db, id).await?.unwrap_or(entry))
    }

    /// A file restored where Metarr published one becomes what is published there, and its
    /// content the movie's: an NFO's values are imported, an image becomes the slot's. So the
    /// restored bytes stay as they are, and the catalogue agrees with them.
    async fn adopt_restored(&self, entry: &RecycleEntry) -> Result<(), PublishError> {
        let Some(file) = repo::published_at(self.db(), &entry.path).await? else {
            return Ok(());
        };
        match file.kind {
            PublishedKind::Nfo => {
                self.import_nfo(&file).await?;
                if let Some(stamp) = fs::stamp(Path::new(&entry.path)) {
                    let mut tx = self.db().begin().await?;
                    let written = repo::Written::now(&file, &entry.sha256, &entry.ext, stamp);
                    repo::record_written(&mut tx, file.movie_id, &[written]).await?;
                    tx.commit().await?;
                }
                Ok(())
            }
            PublishedKind::Artwork => self.import_artwork(&file).await,
            PublishedKind::Actor => Ok(()),
        }
    }
}

enum Refusal {
    Occupied,
    Fs(fs::FsError),
    Cache(cache::CacheError),
    Other(String),
    Gone(String),
}

/// Copies the entry's bytes back (blocking). Returns the file it replaced, if any, as a new
/// recycle entry (its bytes already in the cache).
fn put_back(cache_root: &Path, root: &Path, entry: &RecycleEntry, force: bool) -> Result<Option<Recycled>, Refusal> {
    let path = PathBuf::from(&entry.path);
    let (Some(folder), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return Err(Refusal::Other(format!("{} is not a file path", entry.path)));
    };
    // The movie folder (or its `extrafanart/`) must still be inside the library root.
    let (movie_folder, relative) =
        if matches!(folder.file_name().and_then(|n| n.to_str()), Some("extrafanart" | ".actors")) {
            let sub = folder.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            (folder.parent().unwrap_or(folder).to_owned(), format!("{sub}/{name}"))
        } else {
            (folder.to_owned(), name.to_owned())
        };
    let safe = SafeFolder::new(root, &movie_folder).map_err(Refusal::Fs)?;
    let target = safe.target(&relative).map_err(Refusal::Fs)?;
    let blob = cache::path_for(cache_root, &entry.sha256, &entry.ext);
    if !blob.is_file() {
        return Err(Refusal::Gone(format!(
            "the recycled copy of {} ({}) is no longer in the cache",
            entry.path, entry.sha256
        )));
    }
    let mut replaced = None;
    if fs::stamp(&target).is_some() {
        let (sha, _) = fs::hash_file(&target).map_err(Refusal::Fs)?;
        if sha == entry.sha256 {
            // Already back.
            return Ok(None);
        }
        if !force {
            return Err(Refusal::Occupied);
        }
        let cached = cache::store_file(cache_root, &target).map_err(Refusal::Cache)?;
        replaced = Some(Recycled {
            path: entry.path.clone(),
            sha256: cached.sha256,
            ext: cached.ext,
            size: cached.size as i64,
            reason: RecycleReason::Restored,
        });
    }
    fs::copy_atomic(&blob, &target).map_err(Refusal::Fs)?;
    Ok(replaced)
}
