//! Publishing a TV series (docs/tv.md, "Publishing"): `tvshow.nfo` in the series folder and one
//! NFO per episode video (`<video stem>.nfo` beside it, every episode of a multi-episode file
//! in it as consecutive `<episodedetails>`), laid over the NFOs the folder holds so that other
//! tools' elements survive; and the selected artwork: the series' (`poster.jpg`, `fanart.jpg`,
//! `fanart1.jpg`…), each season's first image of a slot (`season01-poster.jpg`) and each
//! episode's thumb (`<video stem>-thumb.jpg`). The plan, the recycle bin, the atomic writes and the records are
//! the movies' (`plan_targets`, `stash`, `carry_out`), in the series' own tables.

use super::fs::SafeFolder;
use super::names::PublishedKind;
use super::repo::{self, RecycleReason, Recycled, Written};
use super::settings::PublishMode;
use super::{Action, Content, Owner, PlannedFile, PublishError, PublishServices, Target, blocking, nfo, stash};
use crate::catalogue::movies::{self, FileRow, StoredFile};
use crate::catalogue::series::{self, EpisodeForNfo, Numbering, SeriesDetail, SeriesFields};
use crate::catalogue::{CatalogueError, libraries};
use crate::ids::SeriesId;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a publish of a series would do (`GET /api/v1/series/{id}/publish/plan`), or did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeriesPlan {
    pub series_id: SeriesId,
    pub folder: String,
    pub files: Vec<PlannedFile>,
}

/// What a publish of a series did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeriesReport {
    #[serde(flatten)]
    pub plan: SeriesPlan,
    pub written: usize,
    pub replaced: usize,
    pub kept: usize,
    pub recycled: usize,
    pub bytes_written: u64,
    pub player_refreshes: usize,
}

/// What publishing a series starts from.
struct SeriesInputs {
    series_id: SeriesId,
    library_id: crate::ids::LibraryId,
    library_name: String,
    mode: PublishMode,
    jellyfin_locks: bool,
    root: PathBuf,
    ignore_patterns: Vec<String>,
    detail: SeriesDetail,
    /// Season names (`<namedseason>`), by number.
    season_names: BTreeMap<i64, String>,
    episodes: Vec<EpisodeForNfo>,
    published: Vec<super::Recorded>,
    stored: HashMap<String, StoredFile>,
    options: super::settings::PublishOptions,
    artwork: Vec<SelectedArt>,
    cache_root: PathBuf,
}

/// A selected, cached image of the series, a season or an episode.
#[derive(Debug, sqlx::FromRow)]
struct SelectedArt {
    season: Option<i64>,
    episode_id: Option<i64>,
    /// The episode's video, for its thumb.
    video: Option<String>,
    slot: String,
    position: i64,
    sha256: String,
    ext: String,
}

impl PublishServices {
    /// What publishing the series would do, touching nothing.
    pub async fn plan_series(&self, series_id: SeriesId) -> Result<SeriesPlan, PublishError> {
        let inputs = Arc::new(series_inputs(self.db(), self.cache_root(), series_id).await?);
        let folder = inputs.detail.summary.folder.clone();
        let (files, _, _, _) = blocking(move || work_out(&inputs)).await??;
        Ok(SeriesPlan { series_id, folder, files })
    }

    /// Publishes the series: refused for a library whose publish mode is `off`.
    pub async fn publish_series(&self, series_id: SeriesId) -> Result<SeriesReport, PublishError> {
        let lock = series_lock(series_id);
        let _guard = lock.lock().await;
        let inputs = series_inputs(self.db(), self.cache_root(), series_id).await?;
        if inputs.mode == PublishMode::Off {
            return Err(PublishError::Off { library: inputs.library_name.clone() });
        }
        let owner = Owner::Series(series_id);
        let inputs = Arc::new(inputs);
        let (files, records_stale, targets, safe) = {
            let inputs = Arc::clone(&inputs);
            blocking(move || work_out(&inputs)).await??
        };
        let folder = inputs.detail.summary.folder.clone();
        let plan = SeriesPlan { series_id, folder: folder.clone(), files };
        let changes = plan.files.iter().any(|f| !matches!(f.action, Action::Keep | Action::Forget));
        if !changes && !records_stale {
            return Ok(report(plan, 0, 0));
        }
        let to_recycle: Vec<(PathBuf, RecycleReason)> = targets
            .iter()
            .filter_map(|(_, action, path)| match action {
                Action::Replace => Some((path.clone(), RecycleReason::Replaced)),
                Action::Recycle => Some((path.clone(), RecycleReason::Removed)),
                _ => None,
            })
            .collect();
        let cache_root = self.cache_root().to_owned();
        if !to_recycle.is_empty() {
            let root = cache_root.clone();
            let stashed = blocking(move || stash(&root, &to_recycle))
                .await?
                .map_err(|source| PublishError::Cache { owner, source })?;
            let mut tx = self.db().begin().await?;
            for (cached, _) in &stashed {
                movies::record_asset_in(&mut tx, &cached.sha256, &cached.ext, cached.size, cached.dimensions).await?;
            }
            let entries: Vec<Recycled> = stashed.into_iter().map(|(_, entry)| entry).collect();
            repo::recycle(&mut tx, inputs.library_id, Some(owner), &entries).await?;
            tx.commit().await?;
        }
        let (written, bytes_written, nfo_blobs) = {
            let (root, targets, safe) = (cache_root.clone(), targets.clone(), safe.clone());
            blocking(move || super::carry_out(owner, &root, &safe, &targets)).await??
        };
        let rows = {
            let (inputs, written) = (Arc::clone(&inputs), written.clone());
            blocking(move || file_rows(&inputs, &written)).await?
        };
        let removed: Vec<String> = targets
            .iter()
            .filter(|(_, action, _)| matches!(action, Action::Recycle | Action::Forget))
            .map(|(_, _, path)| path.to_string_lossy().into_owned())
            .collect();
        let mut tx = self.db().begin().await?;
        for (sha256, size) in &nfo_blobs {
            movies::record_asset_in(&mut tx, sha256, "nfo", *size, None).await?;
        }
        repo::record_series_written(&mut tx, series_id, &written).await?;
        repo::forget_series(&mut tx, &removed).await?;
        for chunk in removed.chunks(200) {
            let params: Vec<crate::db::Param> = chunk.iter().map(|p| p.clone().into()).collect();
            tx.execute(
                &format!("DELETE FROM series_files WHERE path IN {}", movies::placeholders(1, params.len())),
                &params,
            )
            .await?;
        }
        // The catalogue's rows of the written files, so that the next scan sees no change.
        series::sync_files(&mut tx, series_id, &rows, &HashMap::new()).await?;
        let refreshes = if changes {
            let (changed_artwork, episodes) = changed_for_players(&inputs, &targets);
            crate::jobs::players::enqueue_series_refresh(&mut tx, &folder, changed_artwork, &episodes).await?.len()
        } else {
            0
        };
        tx.commit().await?;
        if changes && let Ok(detail) = series::detail(self.db(), series_id).await {
            self.events.publish("series.updated", &detail.summary);
        }
        Ok(report(plan, bytes_written, refreshes))
    }
}

/// What the players are told: whether artwork changed, and the videos of the episodes whose
/// files changed when nothing of the series or its seasons did (empty otherwise, so the series
/// is refreshed whole).
fn changed_for_players(inputs: &SeriesInputs, targets: &[(Target, Action, PathBuf)]) -> (bool, Vec<String>) {
    let changed: Vec<&Target> = targets
        .iter()
        .filter(|(_, action, _)| !matches!(action, Action::Keep | Action::Forget))
        .map(|(target, _, _)| target)
        .collect();
    let changed_artwork = changed.iter().any(|target| target.kind == PublishedKind::Artwork);
    let folder = Path::new(&inputs.detail.summary.folder);
    // Each episode file Metarr writes is named after its video: `<stem>.nfo`, `<stem>-thumb.jpg`.
    let videos: Vec<(&str, String)> = inputs
        .episodes
        .iter()
        .filter_map(|episode| {
            let relative = Path::new(&episode.video).strip_prefix(folder).ok()?.to_str()?;
            let stem = Path::new(relative).with_extension("");
            Some((episode.video.as_str(), stem.to_str()?.to_owned()))
        })
        .collect();
    let mut episodes = std::collections::BTreeSet::new();
    for target in &changed {
        let of_video = videos.iter().find(|(_, stem)| {
            target.relative == format!("{stem}.nfo")
                || target.relative.strip_prefix(stem.as_str()).is_some_and(|rest| rest.starts_with("-thumb."))
        });
        match of_video {
            Some((video, _)) => {
                episodes.insert((*video).to_owned());
            }
            None => return (changed_artwork, Vec::new()),
        }
    }
    (changed_artwork, episodes.into_iter().collect())
}

fn report(plan: SeriesPlan, bytes_written: u64, player_refreshes: usize) -> SeriesReport {
    let count = |action| plan.files.iter().filter(|f| f.action == action).count();
    SeriesReport {
        written: count(Action::Write),
        replaced: count(Action::Replace),
        kept: count(Action::Keep),
        recycled: count(Action::Recycle),
        bytes_written,
        player_refreshes,
        plan,
    }
}

/// One publish of a series at a time in this process.
fn series_lock(series_id: SeriesId) -> Arc<tokio::sync::Mutex<()>> {
    type Locks = HashMap<SeriesId, std::sync::Weak<tokio::sync::Mutex<()>>>;
    static LOCKS: std::sync::LazyLock<std::sync::Mutex<Locks>> = std::sync::LazyLock::new(Default::default);
    let mut locks = LOCKS.lock().expect("the lock map is never poisoned: nothing panics holding it");
    if let Some(lock) = locks.get(&series_id).and_then(std::sync::Weak::upgrade) {
        return lock;
    }
    locks.retain(|_, weak| weak.strong_count() > 0);
    let lock = Arc::new(tokio::sync::Mutex::new(()));
    locks.insert(series_id, Arc::downgrade(&lock));
    lock
}

async fn series_inputs(
    db: &crate::db::Db,
    cache_root: &Path,
    series_id: SeriesId,
) -> Result<SeriesInputs, PublishError> {
    let detail = series::detail(db, series_id).await?;
    let library = libraries::get(db, detail.summary.library_id).await?;
    let season_names = series::season_names(db, series_id).await?;
    let episodes = series::episodes_on_disk_of(db, series_id).await?;
    let published = repo::published_series(db, series_id).await?;
    let artwork: Vec<SelectedArt> = db
        .fetch_all(
            "SELECT c.season, c.episode_id, e.video, c.slot, c.position, c.sha256, c.ext \
             FROM artwork_candidates c LEFT JOIN episodes e ON e.id = c.episode_id \
             WHERE c.series_id = $1 AND c.position IS NOT NULL AND c.sha256 IS NOT NULL AND c.ext IS NOT NULL \
             ORDER BY c.owner, c.slot, c.position",
            &[series_id.into()],
        )
        .await?;
    let stored = series::stored_folder(db, &detail.summary.folder)
        .await?
        .map(|stored| stored.files)
        .ok_or_else(|| CatalogueError::NotFound(format!("series {series_id} has no folder recorded")))?;
    Ok(SeriesInputs {
        series_id,
        library_id: library.id,
        library_name: library.name.clone(),
        mode: library.publish,
        jellyfin_locks: library.publish_options.jellyfin_locks,
        root: PathBuf::from(&library.path),
        ignore_patterns: library.ignore_patterns.clone(),
        detail,
        season_names,
        episodes,
        published,
        stored,
        options: library.publish_options,
        artwork,
        cache_root: cache_root.to_owned(),
    })
}

type WorkedOut = (Vec<PlannedFile>, bool, Vec<(Target, Action, PathBuf)>, SafeFolder);

/// The plan (blocking).
fn work_out(inputs: &SeriesInputs) -> Result<WorkedOut, PublishError> {
    let owner = Owner::Series(inputs.series_id);
    let folder = Path::new(&inputs.detail.summary.folder);
    let safe = SafeFolder::new(&inputs.root, folder).map_err(|source| PublishError::Fs { owner, source })?;
    let mut targets = targets(inputs, &safe);
    targets.extend(artwork_targets(inputs, &safe));
    let (files, stale, worked) = super::plan_targets(owner, &safe, targets, &inputs.published, &inputs.stored)?;
    Ok((files, stale, worked, safe))
}

fn nfo_target(relative: String, bytes: Vec<u8>) -> Target {
    use sha2::Digest;
    let sha256 = format!("{:x}", sha2::Sha256::digest(&bytes));
    Target {
        relative,
        kind: PublishedKind::Nfo,
        slot: None,
        index: None,
        sha256,
        ext: "nfo".to_owned(),
        size: bytes.len() as u64,
        content: Content::Bytes(Arc::new(bytes)),
    }
}

/// Every NFO to publish for the series.
fn targets(inputs: &SeriesInputs, safe: &SafeFolder) -> Vec<Target> {
    let options = metarr_nfo::WriteOptions {
        jellyfin_locks: inputs.jellyfin_locks.then(|| nfo::jellyfin_locks(&inputs.detail.locks)),
    };
    let existing_show =
        std::fs::read(safe.folder.join("tvshow.nfo")).ok().and_then(|bytes| match metarr_nfo::parse_tv(&bytes).nfo {
            metarr_nfo::TvNfo::Show(show) => Some(show),
            _ => None,
        });
    let show = tvshow_nfo(&inputs.detail, &inputs.season_names, existing_show);
    let mut targets = vec![nfo_target("tvshow.nfo".to_owned(), metarr_nfo::write_tvshow(&show, &options).into_bytes())];
    // One NFO per video, holding its episodes in order.
    let mut by_video: BTreeMap<&str, Vec<&EpisodeForNfo>> = BTreeMap::new();
    for episode in &inputs.episodes {
        by_video.entry(episode.video.as_str()).or_default().push(episode);
    }
    for (video, episodes) in by_video {
        let Some(relative) = Path::new(video)
            .strip_prefix(&safe.folder)
            .ok()
            .map(|relative| relative.with_extension("nfo"))
            .and_then(|relative| relative.to_str().map(str::to_owned))
        else {
            continue;
        };
        let existing: Vec<metarr_nfo::EpisodeNfo> = std::fs::read(safe.folder.join(&relative))
            .ok()
            .map(|bytes| match metarr_nfo::parse_tv(&bytes).nfo {
                metarr_nfo::TvNfo::Episodes(list) => list,
                _ => Vec::new(),
            })
            .unwrap_or_default();
        let streams = inputs
            .stored
            .get(video)
            .and_then(|file| file.streams.as_deref())
            .and_then(|json| serde_json::from_str::<metarr_probe::StreamDetails>(json).ok());
        let nfos: Vec<metarr_nfo::EpisodeNfo> = episodes
            .iter()
            .enumerate()
            .map(|(index, episode)| {
                let before = existing
                    .iter()
                    .find(|nfo| {
                        nfo.season == episode.season && nfo.episode == episode.episode && episode.episode.is_some()
                    })
                    .or_else(|| existing.get(index));
                episode_nfo(episode, &inputs.detail, before, streams.as_ref())
            })
            .collect();
        targets.push(nfo_target(relative, metarr_nfo::write_episodes(&nfos, &options).into_bytes()));
    }
    targets
}

/// Every selected image to publish: the series' in the configured style, a season's first of
/// each slot, an episode's thumb (the first episode's, for a multi-episode file).
fn artwork_targets(inputs: &SeriesInputs, safe: &SafeFolder) -> Vec<Target> {
    let cache_root = inputs.cache_root.as_path();
    let mut names = std::collections::BTreeSet::new();
    let mut targets = Vec::new();
    for art in &inputs.artwork {
        let Some(slot) = metarr_artwork::Slot::parse(&art.slot) else { continue };
        let index = usize::try_from(art.position).unwrap_or(usize::MAX);
        let relative = match (art.season, art.episode_id, art.video.as_deref()) {
            (None, None, _) => super::names::artwork_name(None, &inputs.options, slot, index, &art.ext),
            (Some(number), None, _) if index == 0 => super::names::season_artwork_name(number, slot, &art.ext),
            (None, Some(_), Some(video)) if index == 0 => {
                let Some(relative) = Path::new(video).strip_prefix(&safe.folder).ok().and_then(|r| r.to_str()) else {
                    continue;
                };
                let Some(name) = super::names::episode_thumb_name(relative, &art.ext) else { continue };
                name
            }
            _ => continue,
        };
        if !names.insert(relative.clone()) {
            continue;
        }
        let cached = crate::cache::path_for(cache_root, &art.sha256, &art.ext);
        let size = std::fs::metadata(&cached).map(|m| m.len()).unwrap_or(0);
        targets.push(Target {
            relative,
            kind: PublishedKind::Artwork,
            slot: Some(slot),
            index: Some(index),
            sha256: art.sha256.clone(),
            ext: art.ext.clone(),
            size,
            content: Content::Cached(cached),
        });
    }
    targets
}

/// `tvshow.nfo`: the series' values over what the folder's holds.
fn tvshow_nfo(
    detail: &SeriesDetail,
    season_names: &BTreeMap<i64, String>,
    existing: Option<metarr_nfo::TvShowNfo>,
) -> metarr_nfo::TvShowNfo {
    let mut nfo = existing.unwrap_or_default();
    nfo.urls.clear();
    nfo.title = Some(detail.summary.title.clone());
    nfo.original_title = detail.original_title.clone();
    nfo.sort_title = detail.sort_title.clone();
    nfo.year = detail.summary.year;
    nfo.plot = detail.plot.clone();
    nfo.outline = detail.outline.clone();
    nfo.premiered = detail.premiered.clone();
    nfo.status = detail.status.clone();
    nfo.mpaa = detail.certification.clone();
    nfo.genres = detail.genres.clone();
    nfo.studios = detail.studios.clone();
    nfo.tags = detail.tags.clone();
    nfo.ratings = nfo::nfo_ratings(&detail.ratings);
    nfo.actors = nfo::nfo_actors(&detail.actors);
    nfo.unique_ids = series_ids(detail);
    // The ids live in `<uniqueid>`: stale legacy elements would contradict a corrected one.
    nfo.legacy_id = None;
    nfo.tvdb_id_element = None;
    nfo.tmdb_id_element = None;
    nfo.imdb_id_element = None;
    for (number, name) in season_names {
        match nfo.named_seasons.iter_mut().find(|named| named.number == *number) {
            Some(named) => named.name = name.clone(),
            None => nfo.named_seasons.push(metarr_nfo::NamedSeason { number: *number, name: name.clone() }),
        }
    }
    nfo
}

/// The series' unique ids with its TVDB, TMDB and IMDb ids among them (TheTVDB's the default
/// when none is marked, as Kodi's TV scrapers have it).
fn series_ids(detail: &SeriesDetail) -> Vec<metarr_nfo::UniqueId> {
    let mut ids: Vec<metarr_nfo::UniqueId> = detail
        .uniqueids
        .iter()
        .map(|id| metarr_nfo::UniqueId { id_type: Some(id.kind.clone()), default: id.default, value: id.value.clone() })
        .collect();
    let known = [
        ("tvdb", detail.summary.tvdb_id.map(|id| id.to_string())),
        ("tmdb", detail.summary.tmdb_id.map(|id| id.to_string())),
        ("imdb", detail.summary.imdb_id.clone()),
    ];
    for (kind, value) in known {
        let Some(value) = value else { continue };
        match ids.iter_mut().find(|id| id.id_type.as_deref() == Some(kind)) {
            Some(id) => id.value = value,
            None => ids.push(metarr_nfo::UniqueId { id_type: Some(kind.to_owned()), default: false, value }),
        }
    }
    if !ids.iter().any(|id| id.default) {
        let first = ids.iter().position(|id| id.id_type.as_deref() == Some("tvdb")).unwrap_or(0);
        if let Some(id) = ids.get_mut(first) {
            id.default = true;
        }
    }
    ids
}

/// One `<episodedetails>`: the episode's values over what its NFO held.
fn episode_nfo(
    episode: &EpisodeForNfo,
    series: &SeriesDetail,
    existing: Option<&metarr_nfo::EpisodeNfo>,
    streams: Option<&metarr_probe::StreamDetails>,
) -> metarr_nfo::EpisodeNfo {
    let mut nfo = existing.cloned().unwrap_or_default();
    nfo.title = episode.title.clone();
    nfo.show_title = Some(series.summary.title.clone());
    // Kodi files an episode by these two; a daily or absolute one has the numbers TMDB gave
    // it, or keeps what its NFO said.
    nfo.season = episode.season.or(nfo.season);
    nfo.episode = episode.episode.or(nfo.episode);
    nfo.aired = episode.aired.clone();
    nfo.plot = episode.plot.clone();
    nfo.runtime = episode.runtime;
    nfo.ratings = nfo::nfo_ratings(&episode.ratings.0);
    nfo.unique_ids = episode
        .uniqueids
        .0
        .iter()
        .map(|id| metarr_nfo::UniqueId { id_type: Some(id.kind.clone()), default: id.default, value: id.value.clone() })
        .collect();
    nfo.directors = episode.directors.0.clone();
    nfo.credits = episode.writers.0.clone();
    nfo.actors = nfo::nfo_actors(&episode.actors.0);
    if let Some(details) = streams {
        nfo.file_info = Some(nfo::file_info(details, nfo.file_info.as_ref()));
    }
    if series.numbering == Numbering::Daily && nfo.aired.is_none() {
        nfo.aired = episode.key.strip_prefix('d').map(str::to_owned);
    }
    nfo
}

/// The catalogue rows of the files now published, classified as a scan would (blocking).
fn file_rows(inputs: &SeriesInputs, written: &[Written]) -> Vec<FileRow> {
    let Ok(rules) = metarr_media::IgnoreRules::new(&inputs.ignore_patterns) else {
        return Vec::new();
    };
    let absolute = inputs.detail.numbering == Numbering::Absolute;
    let folder = Path::new(&inputs.detail.summary.folder);
    let Ok(scan) = metarr_media::classify_series(&inputs.root, folder, &rules, absolute) else {
        return Vec::new();
    };
    let by_path: HashMap<&str, &Written> = written.iter().map(|w| (w.path.as_str(), w)).collect();
    scan.files
        .iter()
        .filter_map(|file| {
            let published = by_path.get(file.path.to_str()?)?;
            let mut row = crate::jobs::tv_scan::row_of(file);
            row.size = published.size;
            row.mtime = published.mtime;
            row.inode = published.inode;
            row.sha256 = (published.kind != PublishedKind::Nfo).then(|| published.sha256.clone());
            Some(row)
        })
        .collect()
}

/// What verifying a series' published files found and did (`POST /api/v1/series/{id}/verify`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SeriesVerification {
    pub series_id: SeriesId,
    pub files_checked: usize,
    pub in_sync: usize,
    /// Gone from the folder and put back from the cache, byte for byte.
    pub restored: Vec<String>,
    /// Changed by another program. An image is left as it is (a later publish puts it in the
    /// recycle bin before replacing it); an NFO's changed values are imported (source `nfo`,
    /// locks and sources deciding as for a scan) and the NFO published again over it, so its
    /// other elements stay.
    pub changed_elsewhere: Vec<String>,
    /// The fields imported from NFOs changed elsewhere, as `path: field`.
    pub imported: Vec<String>,
}

impl PublishServices {
    /// Checks what Metarr published in a series' folder: a missing file is put back from the
    /// cache (the folder's links checked as for a publish), a changed one is reported and left
    /// alone. Stamps first, hashes only when a stamp moved; the same bytes under a new stamp
    /// (a copy back, a `touch`) are recorded as in sync.
    pub async fn verify_series(&self, series_id: SeriesId) -> Result<SeriesVerification, PublishError> {
        let mut verification = {
            let lock = series_lock(series_id);
            let _guard = lock.lock().await;
            self.check_series(series_id).await?
        };
        if !verification.imported.is_empty() {
            // The catalogue holds the imported values now: the NFO is written again over the
            // changed one (its other elements stay; the changed bytes go to the recycle bin).
            self.publish_series(series_id).await?;
            verification.changed_elsewhere.retain(|path| !path.ends_with(".nfo"));
        }
        Ok(verification)
    }

    async fn check_series(&self, series_id: SeriesId) -> Result<SeriesVerification, PublishError> {
        let detail = series::detail(self.db(), series_id).await?;
        let library = libraries::get(self.db(), detail.summary.library_id).await?;
        let published = repo::published_series(self.db(), series_id).await?;
        let owner = Owner::Series(series_id);
        let root = PathBuf::from(&library.path);
        let folder = PathBuf::from(&detail.summary.folder);
        let cache_root = self.cache_root().to_owned();
        let files_checked = published.len();
        let checked = blocking(move || check_and_restore(owner, &root, &folder, &cache_root, &published)).await??;
        let (in_sync, restored, changed, rewritten, nfos) = checked;
        let mut tx = self.db().begin().await?;
        repo::record_series_written(&mut tx, series_id, &rewritten).await?;
        let mut imported = Vec::new();
        for (path, now, before) in &nfos {
            for field in import_changed_nfo(&mut tx, series_id, path, now, before).await? {
                imported.push(format!("{path}: {field}"));
            }
        }
        tx.commit().await?;
        Ok(SeriesVerification { series_id, files_checked, in_sync, restored, changed_elsewhere: changed, imported })
    }
}

/// Imports what another program changed in a published NFO: the values of `now` that differ
/// from `before` (what Metarr wrote). Returns the fields written.
async fn import_changed_nfo(
    tx: &mut crate::db::Tx,
    series_id: SeriesId,
    path: &str,
    now: &[u8],
    before: &[u8],
) -> Result<Vec<String>, PublishError> {
    let (now, before) = (metarr_nfo::parse_tv(now).nfo, metarr_nfo::parse_tv(before).nfo);
    let fitted = |mut fields: SeriesFields| {
        fields.fit_for_import();
        fields.values().into_iter().map(|(field, value)| (field.as_str(), value)).collect::<Vec<_>>()
    };
    match (now, before) {
        (metarr_nfo::TvNfo::Show(now), metarr_nfo::TvNfo::Show(before)) => {
            let before = fitted(crate::jobs::tv_scan::show_fields(&before));
            let changed = series::changed_values(fitted(crate::jobs::tv_scan::show_fields(&now)), &before);
            let written = series::import_series_values(tx, series_id, changed).await?;
            Ok(written.into_iter().map(str::to_owned).collect())
        }
        (metarr_nfo::TvNfo::Episodes(now), metarr_nfo::TvNfo::Episodes(before)) => {
            let mut written = Vec::new();
            for (index, episode) in now.iter().enumerate() {
                // Paired with what Metarr wrote by its numbers, else by its place in the file.
                let old = before
                    .iter()
                    .find(|b| b.season == episode.season && b.episode == episode.episode && b.episode.is_some())
                    .or_else(|| before.get(index));
                let (Some(old), Some(season), Some(number)) =
                    (old, old.and_then(|o| o.season), old.and_then(|o| o.episode))
                else {
                    continue;
                };
                let (Ok(season), Ok(number)) = (u32::try_from(season), u32::try_from(number)) else { continue };
                let key = series::EpisodeKey::Numbered { season, episode: number }.to_string();
                let values = |nfo: &metarr_nfo::EpisodeNfo| {
                    let mut fields = crate::jobs::tv_scan::episode_fields(nfo);
                    fields.fit_for_import();
                    fields.values()
                };
                let changed = series::changed_values(values(episode), &values(old));
                for column in series::import_episode_values(tx, series_id, &key, changed).await? {
                    written.push(format!("{key}.{column}"));
                }
            }
            Ok(written)
        }
        // Another kind of NFO now, or an unreadable one: nothing to import; it is reported.
        _ => {
            tracing::info!(%series_id, path, "a published NFO was replaced by one of another kind; left as it is");
            Ok(Vec::new())
        }
    }
}

/// In sync, restored, changed elsewhere, records to rewrite, and each changed NFO's bytes now
/// and as published.
type Checked = (usize, Vec<String>, Vec<String>, Vec<Written>, Vec<(String, Vec<u8>, Vec<u8>)>);

/// Blocking: the checks and the copies back.
fn check_and_restore(
    owner: Owner,
    root: &Path,
    folder: &Path,
    cache_root: &Path,
    published: &[super::Recorded],
) -> Result<Checked, PublishError> {
    let fs_err = |source| PublishError::Fs { owner, source };
    let safe = SafeFolder::new(root, folder).map_err(fs_err)?;
    let (mut in_sync, mut restored, mut changed, mut rewritten) = (0, Vec::new(), Vec::new(), Vec::new());
    let mut nfos = Vec::new();
    for file in published {
        let path = PathBuf::from(&file.path);
        let written = |stamp: super::fs::Stamp| Written {
            path: file.path.clone(),
            kind: file.kind,
            slot: file.slot.clone(),
            slot_index: file.slot_index,
            sha256: file.sha256.clone(),
            ext: file.ext.clone(),
            size: stamp.size,
            mtime: stamp.mtime,
            inode: stamp.inode,
        };
        match super::fs::stamp(&path) {
            Some(stamp) if stamp == file.stamp => in_sync += 1,
            Some(stamp) => {
                let (sha, _) = super::fs::hash_file(&path).map_err(fs_err)?;
                if sha == file.sha256 {
                    in_sync += 1;
                    rewritten.push(written(stamp));
                } else {
                    changed.push(file.path.clone());
                    let published = std::fs::read(crate::cache::path_for(cache_root, &file.sha256, &file.ext));
                    if let (PublishedKind::Nfo, Ok(now), Ok(published)) = (file.kind, std::fs::read(&path), published) {
                        nfos.push((file.path.clone(), now, published));
                    }
                }
            }
            None => {
                let Some(relative) = path.strip_prefix(&safe.folder).ok().and_then(|r| r.to_str()) else {
                    continue;
                };
                let target = safe.target(relative).map_err(fs_err)?;
                let blob = crate::cache::path_for(cache_root, &file.sha256, &file.ext);
                if !blob.is_file() {
                    changed.push(file.path.clone());
                    continue;
                }
                let stamp = super::fs::copy_atomic(&blob, &target).map_err(fs_err)?;
                restored.push(file.path.clone());
                rewritten.push(written(stamp));
            }
        }
    }
    Ok((in_sync, restored, changed, rewritten, nfos))
}
