//! Publishing: what Metarr writes into a movie's folder for the players (docs/publishing.md).
//!
//! The catalogue and the content-addressed cache are the source of truth; the folder holds
//! working copies. A publish works out a plan (every file to write, replace, keep or remove),
//! puts the bytes of every library file it will replace or remove into the cache with a
//! recycle-bin entry, writes atomically, and records what it wrote with its stamp, so that the
//! next scan sees no change and verification can tell later whether anything touched it.
//!
//! `nfo.rs` makes the NFO, `names.rs` the names, `fs.rs` is the only code that writes into a
//! library, `repo.rs` the tables, `verify.rs` verification and `recycle.rs` the bin's restore.

pub mod fs;
pub mod gc;
pub mod names;
pub mod nfo;
pub mod recycle;
pub mod repo;
pub mod settings;
pub mod tv;
pub mod verify;

use crate::cache::{self, CacheError};
use crate::catalogue::movies::{self, FileRow, StoredFile};
use crate::catalogue::{CatalogueError, libraries};
use crate::db::Db;
use crate::events::AppEvents;
use crate::ids::{LibraryId, MovieId};
use fs::{FsError, SafeFolder, Stamp};
use metarr_artwork::Slot;
use names::PublishedKind;
use repo::{PublishedFile, RecycleReason, Recycled, Written};
use serde::Serialize;
use settings::{PublishMode, PublishOptions};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Publishing a movie failed, or was refused.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    /// The library does not publish.
    #[error("publishing is off for library {library:?}; set its publish mode to manual or auto")]
    Off { library: String },
    #[error("{owner}")]
    Fs {
        owner: Owner,
        #[source]
        source: FsError,
    },
    #[error("{owner}: keeping a copy in the cache")]
    Cache {
        owner: Owner,
        #[source]
        source: CacheError,
    },
    /// A restore found another file where the recycled one was; `force` replaces it.
    #[error("{path} holds another file now; restore with force to replace it (it goes to the recycle bin)")]
    Occupied { path: String },
    /// A blocking task panicked: Metarr's own fault.
    #[error("{0}")]
    Internal(String),
}

impl From<crate::db::DbError> for PublishError {
    fn from(err: crate::db::DbError) -> PublishError {
        PublishError::Catalogue(err.into())
    }
}

/// Whose folder a publish writes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Movie(MovieId),
    Series(crate::ids::SeriesId),
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Owner::Movie(id) => write!(f, "movie {id}"),
            Owner::Series(id) => write!(f, "series {id}"),
        }
    }
}

/// What a plan needs to know of a file Metarr published before (a movie's or a series').
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Recorded {
    pub(crate) path: String,
    pub(crate) kind: PublishedKind,
    pub(crate) slot: Option<String>,
    pub(crate) slot_index: Option<i64>,
    pub(crate) sha256: String,
    pub(crate) ext: String,
    pub(crate) stamp: Stamp,
}

impl From<&PublishedFile> for Recorded {
    fn from(file: &PublishedFile) -> Recorded {
        Recorded {
            path: file.path.clone(),
            kind: file.kind,
            slot: file.slot.clone(),
            slot_index: file.slot_index,
            sha256: file.sha256.clone(),
            ext: file.ext.clone(),
            stamp: stamp_of(file),
        }
    }
}

/// What a publish does with one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Nothing is there yet.
    Write,
    /// Something else is there; it goes to the recycle bin first.
    Replace,
    /// The bytes there are the ones to publish.
    Keep,
    /// Metarr published it before and no longer does (a slot emptied, names changed); it goes
    /// to the recycle bin.
    Recycle,
    /// Metarr published it before and it is gone; only the record goes.
    Forget,
}

/// One file of a plan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlannedFile {
    pub path: String,
    pub kind: PublishedKind,
    pub slot: Option<Slot>,
    pub slot_index: Option<usize>,
    pub action: Action,
    /// The bytes to publish (for `recycle` and `forget`, the ones there or recorded).
    pub sha256: String,
    pub size: u64,
}

/// What a publish of a movie would do (`GET /api/v1/movies/{id}/publish/plan`), or did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Plan {
    pub movie_id: MovieId,
    pub folder: String,
    pub files: Vec<PlannedFile>,
}

impl Plan {
    /// Whether publishing changes anything on disk.
    pub fn changes_anything(&self) -> bool {
        self.files.iter().any(|f| !matches!(f.action, Action::Keep | Action::Forget))
    }

    fn count(&self, action: Action) -> usize {
        self.files.iter().filter(|f| f.action == action).count()
    }
}

/// What a publish did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    #[serde(flatten)]
    pub plan: Plan,
    pub written: usize,
    pub replaced: usize,
    pub kept: usize,
    pub recycled: usize,
    pub bytes_written: u64,
    /// Player refreshes queued (one per enabled player group) when anything changed.
    pub player_refreshes: usize,
}

/// Where a target's bytes come from.
#[derive(Debug, Clone)]
pub(crate) enum Content {
    /// Made here (the NFO).
    Bytes(Arc<Vec<u8>>),
    /// A cached file.
    Cached(PathBuf),
}

#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) relative: String,
    pub(crate) kind: PublishedKind,
    pub(crate) slot: Option<Slot>,
    pub(crate) index: Option<usize>,
    pub(crate) sha256: String,
    pub(crate) ext: String,
    pub(crate) size: u64,
    pub(crate) content: Content,
}

/// What publishing a movie starts from, read from the catalogue.
#[derive(Debug, Clone)]
pub(crate) struct Inputs {
    movie_id: MovieId,
    library_id: LibraryId,
    library_name: String,
    mode: PublishMode,
    options: PublishOptions,
    root: PathBuf,
    ignore_patterns: Vec<String>,
    folder: String,
    video: Option<String>,
    fields: movies::Fields,
    locks: Vec<String>,
    /// Selected artwork: slot, position, sha256, ext.
    artwork: Vec<(Slot, usize, String, String)>,
    /// Cast headshots: name, sha256, ext.
    actors: Vec<(String, String, String)>,
    published: Vec<PublishedFile>,
    stored: HashMap<String, StoredFile>,
}

/// A plan with what carrying it out needs.
struct Worked {
    plan: Plan,
    /// A kept file whose record is missing or out of date, or a record of a file gone: the
    /// records need writing even when no file does.
    records_stale: bool,
    targets: Vec<(Target, Action, PathBuf)>,
    safe: SafeFolder,
}

/// The publishing service: one per process, shared by the API, the UI and the jobs.
pub struct PublishServices {
    db: Db,
    events: AppEvents,
    cache_root: PathBuf,
}

impl PublishServices {
    pub fn new(db: Db, events: AppEvents, data_dir: &Path) -> PublishServices {
        PublishServices::from_parts(db, events, data_dir.join("cache"))
    }

    /// Over a given cache folder (the scan's, for an upgrade's restore).
    pub fn from_parts(db: Db, events: AppEvents, cache_root: PathBuf) -> PublishServices {
        PublishServices { db, events, cache_root }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn cache_root(&self) -> &Path {
        &self.cache_root
    }

    /// What publishing the movie would do, touching nothing.
    pub async fn plan(&self, movie_id: MovieId) -> Result<Plan, PublishError> {
        let inputs = inputs(&self.db, movie_id).await?;
        let cache_root = self.cache_root.clone();
        let worked = blocking(move || work_out(&inputs, &cache_root)).await??;
        Ok(worked.plan)
    }

    /// Publishes the movie: refused for a library whose publish mode is `off`.
    pub async fn publish(&self, movie_id: MovieId) -> Result<Report, PublishError> {
        // One publish of a movie at a time in this process (the job, the API, an upgrade's
        // restore): a second waits, then reads what the first recorded and finds it in place.
        let lock = movie_lock(movie_id);
        let _guard = lock.lock().await;
        let inputs = inputs(&self.db, movie_id).await?;
        if inputs.mode == PublishMode::Off {
            return Err(PublishError::Off { library: inputs.library_name.clone() });
        }
        self.publish_inputs(inputs).await
    }

    /// Publishes many movies (a bulk request), `concurrency` at a time, reading what they need
    /// in a few statements for all of them. Each movie's outcome, in no particular order.
    pub async fn publish_many(
        &self,
        movie_ids: &[MovieId],
        concurrency: usize,
    ) -> Result<Vec<(MovieId, Result<Report, PublishError>)>, PublishError> {
        use futures::StreamExt;
        let mut read = inputs_of(&self.db, movie_ids).await?;
        let work: Vec<(MovieId, Option<Inputs>)> = movie_ids.iter().map(|id| (*id, read.remove(id))).collect();
        Ok(futures::stream::iter(work)
            .map(|(movie_id, inputs)| async move {
                let outcome = match inputs {
                    None => Err(CatalogueError::NotFound(format!("movie {movie_id} not found")).into()),
                    Some(inputs) if inputs.mode == PublishMode::Off => {
                        Err(PublishError::Off { library: inputs.library_name.clone() })
                    }
                    Some(inputs) => {
                        let lock = movie_lock(movie_id);
                        let _guard = lock.lock().await;
                        self.publish_inputs(inputs).await
                    }
                };
                (movie_id, outcome)
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await)
    }

    /// Publishes the movie when it was published before (an upgrade's restore), whatever the
    /// mode but `off`. `None` when there was nothing to restore.
    pub async fn republish(&self, movie_id: MovieId) -> Result<Option<Report>, PublishError> {
        let lock = movie_lock(movie_id);
        let _guard = lock.lock().await;
        let inputs = inputs(&self.db, movie_id).await?;
        if inputs.mode == PublishMode::Off || inputs.published.is_empty() {
            return Ok(None);
        }
        self.publish_inputs(inputs).await.map(Some)
    }

    async fn publish_inputs(&self, inputs: Inputs) -> Result<Report, PublishError> {
        let movie_id = inputs.movie_id;
        let library_id = inputs.library_id;
        let cache_root = self.cache_root.clone();
        let inputs = Arc::new(inputs);
        let worked = {
            let inputs = Arc::clone(&inputs);
            let cache_root = cache_root.clone();
            blocking(move || work_out(&inputs, &cache_root)).await??
        };
        if !worked.plan.changes_anything() && !worked.records_stale {
            return Ok(report(worked.plan, 0, 0));
        }
        // 1. Every file about to be replaced or removed goes into the cache, with its entry,
        //    before anything is touched: a crash after this loses nothing.
        let to_recycle: Vec<(PathBuf, RecycleReason)> = worked
            .targets
            .iter()
            .filter_map(|(_, action, path)| match action {
                Action::Replace => Some((path.clone(), RecycleReason::Replaced)),
                Action::Recycle => Some((path.clone(), RecycleReason::Removed)),
                _ => None,
            })
            .collect();
        if !to_recycle.is_empty() {
            let cache_root = cache_root.clone();
            let stashed = blocking(move || stash(&cache_root, &to_recycle)).await?;
            let stashed = stashed.map_err(|source| PublishError::Cache { owner: Owner::Movie(movie_id), source })?;
            let mut tx = self.db.begin().await?;
            for (cached, _) in &stashed {
                movies::record_asset_in(&mut tx, &cached.sha256, &cached.ext, cached.size, cached.dimensions).await?;
            }
            let entries: Vec<Recycled> = stashed.into_iter().map(|(_, entry)| entry).collect();
            repo::recycle(&mut tx, library_id, Some(Owner::Movie(movie_id)), &entries).await?;
            tx.commit().await?;
        }
        // 2. The writes, on a blocking thread.
        let (written, bytes_written, nfo_blobs) = {
            let cache_root = cache_root.clone();
            let targets = worked.targets.clone();
            let safe = worked.safe.clone();
            blocking(move || carry_out(Owner::Movie(movie_id), &cache_root, &safe, &targets)).await??
        };
        // 3. The record: what was written with its stamp, the catalogue's file rows (so the
        //    next scan sees no change), and the players told.
        let rows = {
            let inputs = Arc::clone(&inputs);
            let written = written.clone();
            blocking(move || file_rows(&inputs, &written)).await?
        };
        let removed: Vec<String> = worked
            .targets
            .iter()
            .filter(|(_, action, _)| matches!(action, Action::Recycle | Action::Forget))
            .map(|(_, _, path)| path.to_string_lossy().into_owned())
            .collect();
        let artwork_changed = worked.targets.iter().any(|(target, action, _)| {
            target.kind != PublishedKind::Nfo && matches!(action, Action::Write | Action::Replace | Action::Recycle)
        });
        let mut tx = self.db.begin().await?;
        for (sha256, size) in &nfo_blobs {
            movies::record_asset_in(&mut tx, sha256, "nfo", *size, None).await?;
        }
        repo::record_written(&mut tx, movie_id, &written).await?;
        repo::forget(&mut tx, &removed).await?;
        for chunk in removed.chunks(200) {
            let params: Vec<crate::db::Param> = chunk.iter().map(|p| p.clone().into()).collect();
            tx.execute(
                &format!("DELETE FROM media_files WHERE path IN {}", movies::placeholders(1, params.len())),
                &params,
            )
            .await?;
        }
        movies::sync_files(&mut tx, movie_id, &rows, &HashMap::new()).await?;
        let refreshes = if worked.plan.changes_anything() {
            crate::jobs::players::enqueue_player_refresh(&mut tx, &inputs.folder, artwork_changed).await?.len()
        } else {
            0
        };
        tx.commit().await?;
        if worked.plan.changes_anything()
            && let Ok(detail) = movies::detail(&self.db, movie_id).await
        {
            self.events.publish("movie.updated", &detail.summary);
        }
        Ok(report(worked.plan, bytes_written, refreshes))
    }
}

/// The lock of a movie's publishing in this process; entries go with their last user.
fn movie_lock(movie_id: MovieId) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: std::sync::LazyLock<std::sync::Mutex<HashMap<MovieId, std::sync::Weak<tokio::sync::Mutex<()>>>>> =
        std::sync::LazyLock::new(Default::default);
    let mut locks = LOCKS.lock().expect("the lock map is never poisoned: nothing panics holding it");
    if let Some(lock) = locks.get(&movie_id).and_then(std::sync::Weak::upgrade) {
        return lock;
    }
    locks.retain(|_, weak| weak.strong_count() > 0);
    let lock = Arc::new(tokio::sync::Mutex::new(()));
    locks.insert(movie_id, Arc::downgrade(&lock));
    lock
}

fn report(plan: Plan, bytes_written: u64, player_refreshes: usize) -> Report {
    Report {
        written: plan.count(Action::Write),
        replaced: plan.count(Action::Replace),
        kept: plan.count(Action::Keep),
        recycled: plan.count(Action::Recycle),
        bytes_written,
        player_refreshes,
        plan,
    }
}

pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, PublishError> {
    crate::jobs::spawn_blocking_in_span(work)
        .await
        .map_err(|e| PublishError::Internal(format!("publishing stopped: {e}")))
}

/// Reads what publishing the movie needs.
pub(crate) async fn inputs(db: &Db, movie_id: MovieId) -> Result<Inputs, PublishError> {
    let mut read = inputs_of(db, &[movie_id]).await?;
    read.remove(&movie_id).ok_or_else(|| CatalogueError::NotFound(format!("movie {movie_id} not found")).into())
}

/// What publishing each of `movie_ids` needs, in a few statements for all of them (a bulk
/// publish reads 100 movies at a time): a movie that does not exist is left out.
pub(crate) async fn inputs_of(db: &Db, movie_ids: &[MovieId]) -> Result<HashMap<MovieId, Inputs>, PublishError> {
    if movie_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<crate::db::Param> = movie_ids.iter().map(|id| (*id).into()).collect();
    let within = movies::placeholders(1, ids.len());
    let details = movies::described_many(db, movie_ids).await?;
    let libraries: HashMap<LibraryId, libraries::Library> =
        libraries::list(db).await?.into_iter().map(|library| (library.id, library)).collect();
    let artwork: Vec<(MovieId, String, i64, String, String)> = db
        .fetch_all(
            &format!(
                "SELECT movie_id, slot, position, sha256, ext FROM artwork_candidates \
                 WHERE movie_id IN {within} AND position IS NOT NULL AND sha256 IS NOT NULL AND ext IS NOT NULL \
                 ORDER BY movie_id, slot, position"
            ),
            &ids,
        )
        .await?;
    let mut artwork_of: HashMap<MovieId, Vec<(Slot, usize, String, String)>> = HashMap::new();
    for (movie_id, slot, position, sha, ext) in artwork {
        if let (Some(slot), Ok(position)) = (Slot::parse(&slot), usize::try_from(position)) {
            artwork_of.entry(movie_id).or_default().push((slot, position, sha, ext));
        }
    }
    let mut published_of: HashMap<MovieId, Vec<PublishedFile>> = HashMap::new();
    for file in repo::published_of(db, movie_ids).await? {
        published_of.entry(file.movie_id).or_default().push(file);
    }
    let mut stored_of = movies::stored_files_of(db, movie_ids).await?;
    let mut read = HashMap::with_capacity(details.len());
    for detail in details {
        let movie_id = detail.summary.id;
        let Some(library) = libraries.get(&detail.summary.library_id) else { continue };
        let actors = if library.publish_options.actor_images { actor_images(db, &detail).await? } else { Vec::new() };
        read.insert(
            movie_id,
            Inputs {
                movie_id,
                library_id: library.id,
                library_name: library.name.clone(),
                mode: library.publish,
                options: library.publish_options,
                root: PathBuf::from(&library.path),
                ignore_patterns: library.ignore_patterns.clone(),
                folder: detail.summary.folder.clone(),
                video: detail.summary.video.clone(),
                fields: fields_of(&detail),
                locks: detail.locks.clone(),
                artwork: artwork_of.remove(&movie_id).unwrap_or_default(),
                actors,
                published: published_of.remove(&movie_id).unwrap_or_default(),
                stored: stored_of.remove(&movie_id).unwrap_or_default(),
            },
        );
    }
    Ok(read)
}

/// The cast's cached headshots: name, sha256, ext, in billing order.
async fn actor_images(db: &Db, detail: &movies::MovieDetail) -> Result<Vec<(String, String, String)>, PublishError> {
    let ids: Vec<i64> = detail.actors.iter().filter_map(|a| a.tmdb_id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let params: Vec<crate::db::Param> = ids.iter().map(|id| (*id).into()).collect();
    let cached: Vec<(i64, String, String)> = db
        .fetch_all(
            &format!(
                "SELECT tmdb_person_id, sha256, ext FROM person_images \
                 WHERE sha256 IS NOT NULL AND ext IS NOT NULL AND tmdb_person_id IN {}",
                movies::placeholders(1, params.len())
            ),
            &params,
        )
        .await?;
    let by_id: HashMap<i64, (String, String)> = cached.into_iter().map(|(id, sha, ext)| (id, (sha, ext))).collect();
    Ok(detail
        .actors
        .iter()
        .filter_map(|actor| {
            let (sha, ext) = by_id.get(&actor.tmdb_id?)?;
            Some((actor.name.clone(), sha.clone(), ext.clone()))
        })
        .collect())
}

/// A movie's values as [`movies::Fields`], every field given.
pub(crate) fn fields_of(detail: &movies::MovieDetail) -> movies::Fields {
    let list = |values: &[String]| Some(values.to_vec()).filter(|values| !values.is_empty());
    movies::Fields {
        title: Some(detail.summary.title.clone()),
        original_title: detail.original_title.clone(),
        sort_title: detail.sort_title.clone(),
        year: detail.summary.year,
        tmdb_id: detail.summary.tmdb_id,
        imdb_id: detail.summary.imdb_id.clone(),
        plot: detail.plot.clone(),
        outline: detail.outline.clone(),
        tagline: detail.tagline.clone(),
        runtime: detail.runtime,
        premiered: detail.premiered.clone(),
        genres: list(&detail.genres),
        certification: detail.certification.clone(),
        certifications: Some(detail.certifications.clone()).filter(|c| !c.is_empty()),
        ratings: Some(detail.ratings.clone()).filter(|r| !r.is_empty()),
        user_rating: detail.user_rating,
        top250: detail.top250,
        uniqueids: Some(detail.uniqueids.clone()).filter(|u| !u.is_empty()),
        studios: list(&detail.studios),
        countries: list(&detail.countries),
        tags: list(&detail.tags),
        set: detail.set.clone(),
        directors: list(&detail.directors),
        writers: list(&detail.writers),
        actors: Some(detail.actors.clone()).filter(|a| !a.is_empty()),
        trailer: detail.trailer.clone(),
        date_added: detail.date_added.clone(),
    }
}

/// The NFO to publish: the catalogue's values over the folder's current NFO, with the main
/// video's stream details.
fn nfo_bytes(inputs: &Inputs, safe: &SafeFolder, nfo_names: &[String]) -> Vec<u8> {
    // The folder's own NFO, under the names Metarr writes first, then any other.
    let existing = nfo_names
        .iter()
        .map(|name| safe.folder.join(name))
        .chain(inputs.stored.values().filter(|f| f.path.ends_with(".nfo")).map(|f| PathBuf::from(&f.path)))
        .find_map(|path| std::fs::read(&path).ok())
        .map(|bytes| metarr_nfo::parse(&bytes).nfo);
    let mut nfo = nfo::movie_nfo(&inputs.fields, existing.as_ref());
    let streams = inputs
        .video
        .as_deref()
        .and_then(|video| inputs.stored.get(video))
        .and_then(|file| file.streams.as_deref())
        .and_then(|json| serde_json::from_str::<metarr_probe::StreamDetails>(json).ok());
    if let Some(details) = streams {
        nfo.file_info = Some(nfo::file_info(&details, nfo.file_info.as_ref()));
    }
    let options = metarr_nfo::WriteOptions {
        jellyfin_locks: inputs.options.jellyfin_locks.then(|| nfo::jellyfin_locks(&inputs.locks)),
    };
    metarr_nfo::write_movie(&nfo, &options).into_bytes()
}

/// Every file to publish for the movie, with its bytes' hash.
fn targets(inputs: &Inputs, safe: &SafeFolder, cache_root: &Path) -> Vec<Target> {
    let base = names::video_base(&inputs.folder, inputs.video.as_deref());
    let nfo_names = names::nfo_names(base.as_deref(), &inputs.options);
    let nfo = Arc::new(nfo_bytes(inputs, safe, &nfo_names));
    let nfo_sha = {
        use sha2::Digest;
        format!("{:x}", sha2::Sha256::digest(nfo.as_slice()))
    };
    let mut targets: Vec<Target> = nfo_names
        .into_iter()
        .map(|relative| Target {
            relative,
            kind: PublishedKind::Nfo,
            slot: None,
            index: None,
            sha256: nfo_sha.clone(),
            ext: "nfo".to_owned(),
            size: nfo.len() as u64,
            content: Content::Bytes(Arc::clone(&nfo)),
        })
        .collect();
    let mut per_slot: HashMap<Slot, usize> = HashMap::new();
    for (slot, _, sha, ext) in &inputs.artwork {
        let index = per_slot.entry(*slot).or_insert(0);
        let cached = cache::path_for(cache_root, sha, ext);
        let size = std::fs::metadata(&cached).map(|m| m.len()).unwrap_or(0);
        targets.push(Target {
            relative: names::artwork_name(base.as_deref(), &inputs.options, *slot, *index, ext),
            kind: PublishedKind::Artwork,
            slot: Some(*slot),
            index: Some(*index),
            sha256: sha.clone(),
            ext: ext.clone(),
            size,
            content: Content::Cached(cached),
        });
        *index += 1;
    }
    let mut actor_names = BTreeSet::new();
    for (name, sha, ext) in &inputs.actors {
        let Some(relative) = names::actor_name(name, ext) else { continue };
        // Two actors of one name share a file: the first (best billed) wins.
        if !actor_names.insert(relative.clone()) {
            continue;
        }
        let cached = cache::path_for(cache_root, sha, ext);
        let size = std::fs::metadata(&cached).map(|m| m.len()).unwrap_or(0);
        targets.push(Target {
            relative,
            kind: PublishedKind::Actor,
            slot: None,
            index: None,
            sha256: sha.clone(),
            ext: ext.clone(),
            size,
            content: Content::Cached(cached),
        });
    }
    targets
}

/// The plan (blocking: it lists, stats and, where no record says, hashes files).
fn work_out(inputs: &Inputs, cache_root: &Path) -> Result<Worked, PublishError> {
    let owner = Owner::Movie(inputs.movie_id);
    let safe = SafeFolder::new(&inputs.root, Path::new(&inputs.folder))
        .map_err(|source| PublishError::Fs { owner, source })?;
    let recorded: Vec<Recorded> = inputs.published.iter().map(Recorded::from).collect();
    let targets = targets(inputs, &safe, cache_root);
    let (files, records_stale, worked) = plan_targets(owner, &safe, targets, &recorded, &inputs.stored)?;
    let plan = Plan { movie_id: inputs.movie_id, folder: inputs.folder.clone(), files };
    Ok(Worked { plan, records_stale, targets: worked, safe })
}

/// A folder's plan: what to do with each target, and with what was published before under
/// names no longer written. Also says whether the records need writing even when no file
/// does (a kept file whose record is missing or out of date, a record of a file gone).
#[allow(clippy::type_complexity)]
pub(crate) fn plan_targets(
    owner: Owner,
    safe: &SafeFolder,
    targets: Vec<Target>,
    published: &[Recorded],
    stored: &HashMap<String, StoredFile>,
) -> Result<(Vec<PlannedFile>, bool, Vec<(Target, Action, PathBuf)>), PublishError> {
    let fs_err = |source| PublishError::Fs { owner, source };
    let recorded: HashMap<&str, &Recorded> = published.iter().map(|p| (p.path.as_str(), p)).collect();
    let mut planned = Vec::new();
    let mut worked = Vec::new();
    let mut wanted = BTreeSet::new();
    let mut records_stale = false;
    for target in targets {
        let path = safe.target(&target.relative).map_err(fs_err)?;
        let key = path.to_string_lossy().into_owned();
        wanted.insert(key.clone());
        let action = match fs::stamp(&path) {
            None => Action::Write,
            Some(stamp) => {
                let record = recorded.get(key.as_str()).copied();
                records_stale |= record.is_none_or(|r| r.sha256 != target.sha256 || r.stamp != stamp);
                match current_hash(stamp, record, stored.get(&key)) {
                    Some(sha) if sha == target.sha256 => Action::Keep,
                    Some(_) => Action::Replace,
                    None => fs::hash_file(&path)
                        .map(|(sha, _)| if sha == target.sha256 { Action::Keep } else { Action::Replace })
                        .map_err(fs_err)?,
                }
            }
        };
        planned.push(PlannedFile {
            path: key,
            kind: target.kind,
            slot: target.slot,
            slot_index: target.index,
            action,
            sha256: target.sha256.clone(),
            size: target.size,
        });
        worked.push((target, action, path));
    }
    // What Metarr published before under names it no longer writes.
    for old in published {
        if wanted.contains(&old.path) {
            continue;
        }
        let path = PathBuf::from(&old.path);
        // A recorded path is checked like a new one: it may have become a link since.
        let inside = path
            .strip_prefix(&safe.folder)
            .ok()
            .and_then(|relative| relative.to_str())
            .is_some_and(|relative| safe.target(relative).is_ok());
        let action = if inside && fs::stamp(&path).is_some() { Action::Recycle } else { Action::Forget };
        records_stale = true;
        let size = u64::try_from(old.stamp.size).unwrap_or_default();
        planned.push(PlannedFile {
            path: old.path.clone(),
            kind: old.kind,
            slot: old.slot.as_deref().and_then(Slot::parse),
            slot_index: old.slot_index.and_then(|i| usize::try_from(i).ok()),
            action,
            sha256: old.sha256.clone(),
            size,
        });
        let target = Target {
            relative: String::new(),
            kind: old.kind,
            slot: None,
            index: None,
            sha256: old.sha256.clone(),
            ext: old.ext.clone(),
            size,
            content: Content::Bytes(Arc::new(Vec::new())),
        };
        worked.push((target, action, path));
    }
    Ok((planned, records_stale, worked))
}

/// The hash of the file at `path` when a record vouches for it: Metarr's own publish record,
/// else the scan's, each only while the file's stamp is the recorded one.
fn current_hash(stamp: Stamp, published: Option<&Recorded>, stored: Option<&StoredFile>) -> Option<String> {
    if let Some(p) = published.filter(|p| p.stamp == stamp) {
        return Some(p.sha256.clone());
    }
    stored.filter(|s| Stamp { size: s.size, mtime: s.mtime, inode: s.inode } == stamp).and_then(|s| s.sha256.clone())
}

fn stamp_of(file: &PublishedFile) -> Stamp {
    Stamp { size: file.size, mtime: file.mtime, inode: file.inode }
}

/// Copies files about to be replaced or removed into the cache.
pub(crate) fn stash(
    cache_root: &Path,
    files: &[(PathBuf, RecycleReason)],
) -> Result<Vec<(cache::Cached, Recycled)>, CacheError> {
    files
        .iter()
        .filter(|(path, _)| path.is_file())
        .map(|(path, reason)| {
            let cached = cache::store_file(cache_root, path)?;
            let entry = Recycled {
                path: path.to_string_lossy().into_owned(),
                sha256: cached.sha256.clone(),
                ext: cached.ext.clone(),
                size: cached.size as i64,
                reason: *reason,
            };
            Ok((cached, entry))
        })
        .collect()
}

/// Writes, keeps and removes files as planned. Returns what is now published, the bytes
/// written and the NFO blobs put in the cache.
#[allow(clippy::type_complexity)]
pub(crate) fn carry_out(
    owner: Owner,
    cache_root: &Path,
    safe: &SafeFolder,
    targets: &[(Target, Action, PathBuf)],
) -> Result<(Vec<Written>, u64, Vec<(String, u64)>), PublishError> {
    let mut written = Vec::new();
    let mut bytes_written = 0u64;
    let mut nfo_blobs = Vec::new();
    for (target, action, path) in targets {
        let fs_err = |source| PublishError::Fs { owner, source };
        let stamp = match action {
            Action::Write | Action::Replace => {
                // Checked again right before writing: a link may have appeared since the plan.
                let relative = path.strip_prefix(&safe.folder).ok().and_then(|r| r.to_str()).unwrap_or_default();
                safe.target(relative).map_err(fs_err)?;
                let stamp = match &target.content {
                    Content::Bytes(bytes) => {
                        // The NFO is kept in the cache too, so that verification can put it back.
                        let cached = cache::store_bytes(cache_root, bytes, "nfo")
                            .map_err(|source| PublishError::Cache { owner, source })?;
                        nfo_blobs.push((cached.sha256, cached.size));
                        fs::write_atomic(path, bytes).map_err(fs_err)?
                    }
                    Content::Cached(source) => fs::copy_atomic(source, path).map_err(fs_err)?,
                };
                bytes_written += stamp.size as u64;
                stamp
            }
            Action::Keep => match fs::stamp(path) {
                Some(stamp) => stamp,
                None => continue,
            },
            Action::Recycle => {
                fs::remove(path).map_err(fs_err)?;
                continue;
            }
            Action::Forget => continue,
        };
        written.push(Written {
            path: path.to_string_lossy().into_owned(),
            kind: target.kind,
            slot: target.slot.map(|s| s.as_str().to_owned()),
            slot_index: target.index.map(|i| i as i64),
            sha256: target.sha256.clone(),
            ext: target.ext.clone(),
            size: stamp.size,
            mtime: stamp.mtime,
            inode: stamp.inode,
        });
    }
    Ok((written, bytes_written, nfo_blobs))
}

/// The catalogue rows of the files now published, classified as a scan would (blocking: one
/// listing of the folder).
fn file_rows(inputs: &Inputs, written: &[Written]) -> Vec<FileRow> {
    let Ok(rules) = metarr_media::IgnoreRules::new(&inputs.ignore_patterns) else {
        return Vec::new();
    };
    let Ok(folder) = metarr_media::classify_folder(&inputs.root, Path::new(&inputs.folder), &rules) else {
        return Vec::new();
    };
    let by_path: HashMap<&str, &Written> = written.iter().map(|w| (w.path.as_str(), w)).collect();
    folder
        .files
        .iter()
        .filter_map(|file| {
            let path = file.path.to_string_lossy();
            let published = by_path.get(path.as_ref())?;
            let mut row = crate::jobs::scan::file_row(file);
            // The stamp written, not the listing's: they agree unless something touched the
            // file since, and then the next scan should see that change.
            row.size = published.size;
            row.mtime = published.mtime;
            row.inode = published.inode;
            row.sha256 = (published.kind != PublishedKind::Nfo).then(|| published.sha256.clone());
            Some(row)
        })
        .collect()
}
