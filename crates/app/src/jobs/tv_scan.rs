//! The scan of a TV library (docs/tv.md): discovery finds series folders (a batch at a time,
//! unchanged ones settled without a job, as for movies), then `series-scan` reads one series
//! folder: its files, `tvshow.nfo`, `season.nfo`s and episode NFOs when they changed, and the
//! stream details of new or changed episode videos; artwork goes to the `cache-asset` jobs
//! movies use. A long series (more than [`PROBES_INLINE`] videos to read) has its stream
//! details read by one `season-probe` job per season instead, so that the workers share a
//! 500-episode import rather than one job reading it alone. Library files are only ever read.

use crate::catalogue::CatalogueError;
use crate::catalogue::movies::{Actor, FieldSource, FileRow, Rating, StoredFile, TvPlacement, UniqueId};
use crate::catalogue::scans::{self, Counts, ItemKind, ItemState, ScanPhase};
use crate::catalogue::series::{
    self, EpisodeFields, EpisodeKey, Numbering, ScannedEpisode, ScannedSeason, SeriesFields, SeriesStamps,
};
use crate::ids::{LibraryId, ScanId, SeriesId};
use crate::jobs::scan::{
    LibraryScan, ScanItem, ScanServices, StreamRead, after_finish, apply_streams, count_failure, file_row, probe_video,
    stamp_matches, stream_outcome, streams_kept,
};
use async_trait::async_trait;
use metarr_media::{FileKind, IgnoreRules, MediaFile, SeasonRef, SeriesFile, SeriesScan, TvScope};
use metarr_probe::Prober;
use metarr_queue::{Handler, JobContext, JobError, NewJob, job_kind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Phase 2 of a TV scan: classifies one series folder and records the series, its seasons,
/// its episodes and its files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeriesScanJob {
    pub scan_id: ScanId,
    pub library_id: LibraryId,
    pub folder: String,
}

job_kind!(SeriesScanJob = "series-scan", attempts: 3, priority: 4);

/// The most videos a `series-scan` reads the stream details of itself; beyond, each season's
/// are read by a `season-probe` job of their own.
pub const PROBES_INLINE: usize = 40;

/// Phase 2 of a long series: reads the stream details of one season's new or changed videos.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeasonProbeJob {
    pub scan_id: ScanId,
    pub series_id: SeriesId,
    pub folder: String,
    pub season: u32,
    /// The videos to read, as recorded by the series' scan.
    pub videos: Vec<String>,
}

job_kind!(SeasonProbeJob = "season-probe", attempts: 3, priority: 4);

/// The scan ledger's name for a season's stream details (a folder item of the scan).
fn season_item(folder: &str, season: u32) -> String {
    format!("{folder} (season {season})")
}

/// The `series-scan` job of a folder in a scan (keyed by scan, as `directory-scan` is).
pub(crate) fn series_scan_job(scan_id: ScanId, library_id: LibraryId, folder: &str) -> NewJob {
    NewJob::of(&SeriesScanJob { scan_id, library_id, folder: folder.to_owned() })
        .unique_key(format!("series-scan:{scan_id}:{folder}"))
}

/// Discovery of a TV library: the series folders under its root.
pub(crate) fn discover(root: &Path, rules: &IgnoreRules) -> (Vec<PathBuf>, Vec<metarr_media::ScanWarning>) {
    let found = metarr_media::discover_series(root, rules);
    (found.series_folders, found.warnings)
}

/// Checks one batch of discovered series folders in one transaction (see the movie scan's
/// `discover_batch`): unchanged series are settled and counted here, each other one gets a
/// `series-scan`. Returns false when the scan is no longer discovering.
pub(crate) async fn discover_batch(
    services: &ScanServices,
    ctx: &JobContext,
    job: &LibraryScan,
    root: &Path,
    rules: &Arc<IgnoreRules>,
    batch: &[String],
) -> Result<bool, CatalogueError> {
    let db = &services.db;
    let known = scans::known_items(db, job.scan_id, ItemKind::Folder, batch).await?;
    let folders: Vec<String> = batch.iter().filter(|folder| !known.contains(*folder)).cloned().collect();
    if folders.is_empty() {
        return Ok(true);
    }
    let stamps = series::folder_stamps(db, job.library_id, &folders, services.read_streams).await?;
    let (root, rules) = (root.to_owned(), Arc::clone(rules));
    let (unchanged, changed) =
        crate::jobs::spawn_blocking_in_span(move || split_unchanged(&root, &rules, folders, &stamps))
            .await
            .map_err(|e| CatalogueError::Internal(format!("checking series folders stopped: {e}")))?;
    let mut tx = db.begin().await?;
    if scans::get_in(&mut tx, job.scan_id).await?.phase != ScanPhase::Discovering {
        return Ok(false);
    }
    let (unchanged_ids, unchanged_folders): (Vec<SeriesId>, Vec<String>) = unchanged.into_iter().unzip();
    let newly_seen =
        scans::add_items(&mut tx, job.scan_id, ItemKind::Folder, &unchanged_folders, ItemState::Done).await?;
    series::touch_many(&mut tx, &unchanged_ids, job.scan_id).await?;
    let episodes = if newly_seen.is_empty() {
        0
    } else {
        let ids: Vec<SeriesId> = unchanged_folders
            .iter()
            .zip(&unchanged_ids)
            .filter(|(folder, _)| newly_seen.contains(*folder))
            .map(|(_, id)| *id)
            .collect();
        series::episodes_on_disk(&mut tx, &ids).await?
    };
    let queued = scans::add_items(&mut tx, job.scan_id, ItemKind::Folder, &changed, ItemState::Queued).await?;
    for folder in &queued {
        tx.enqueue(series_scan_job(job.scan_id, job.library_id, folder).child_of(ctx.job())).await?;
    }
    let n_unchanged = newly_seen.len() as i64;
    let counts = Counts {
        directories_total: queued.len() as i64 + n_unchanged,
        directories_scanned: n_unchanged,
        series_found: n_unchanged,
        episodes_found: episodes,
        ..Counts::default()
    };
    let scan = scans::record(&mut tx, job.scan_id, &counts, &[]).await?;
    tx.commit().await?;
    services.publish(&scan);
    Ok(true)
}

/// Splits series folders into the unchanged ones (every file kept its stamp, every artwork
/// file is cached, every episode's stream details were read) and the others.
fn split_unchanged(
    root: &Path,
    rules: &IgnoreRules,
    folders: Vec<String>,
    stamps: &HashMap<String, SeriesStamps>,
) -> (Vec<(SeriesId, String)>, Vec<String>) {
    crate::jobs::scan::split_folders(folders, |folder| {
        let stored = stamps.get(folder).filter(|s| s.complete && !s.missing)?;
        let absolute = stored.numbering == Numbering::Absolute;
        let scan = metarr_media::classify_series(root, Path::new(folder), rules, absolute).ok()?;
        let listed = scan.files.iter().map(|file| (file.path.as_path(), file.stamp));
        crate::jobs::scan::same_stamps(listed, scan.files.len(), &stored.files).then_some(stored.series_id)
    })
}

/// Runs `series-scan`.
pub struct SeriesScanHandler(pub Arc<ScanServices>);

#[async_trait]
impl Handler for SeriesScanHandler {
    type Job = SeriesScanJob;

    async fn run(&self, ctx: JobContext, job: SeriesScanJob) -> Result<(), JobError> {
        match scan_series(&self.0, &ctx, &job, false).await {
            Ok(()) => Ok(()),
            Err(err) => {
                let error = format!("scanning series {}: {err}", job.folder);
                let counts = Counts { directories_failed: 1, ..Counts::default() };
                let item = ScanItem { scan_id: job.scan_id, kind: ItemKind::Folder, path: &job.folder };
                Err(count_failure(&self.0, &ctx, Some(item), counts, &error).await)
            }
        }
    }
}

/// Runs `season-probe`.
pub struct SeasonProbeHandler(pub Arc<ScanServices>);

#[async_trait]
impl Handler for SeasonProbeHandler {
    type Job = SeasonProbeJob;

    async fn run(&self, _ctx: JobContext, job: SeasonProbeJob) -> Result<(), JobError> {
        match probe_season(&self.0, &job).await {
            Ok(()) => Ok(()),
            Err(err) => {
                let error = format!("reading the stream details of {}: {err}", season_item(&job.folder, job.season));
                let counts = Counts { directories_failed: 1, ..Counts::default() };
                let item = season_item(&job.folder, job.season);
                let item = ScanItem { scan_id: job.scan_id, kind: ItemKind::Folder, path: &item };
                Err(count_failure(&self.0, &_ctx, Some(item), counts, &error).await)
            }
        }
    }
}

/// Reads the stream details of a season's videos that the series' scan recorded and that have
/// not changed since (a video changed again is the next scan's), and settles the season's
/// ledger item: a second run finds them read and counts nothing.
async fn probe_season(services: &ScanServices, job: &SeasonProbeJob) -> Result<(), CatalogueError> {
    let db = &services.db;
    let context = services.context(job.scan_id).await?;
    if context.phase.is_final() {
        return Ok(());
    }
    let stored = series::stored_folder(db, &job.folder).await?.map(|s| s.files).unwrap_or_default();
    let todo: Vec<(String, StoredFile)> = job
        .videos
        .iter()
        .filter_map(|path| stored.get(path).map(|file| (path.clone(), file.clone())))
        .filter(|(_, file)| file.streams.is_none() && !file.probed)
        .collect();
    let prober = services.read_streams.then(|| Arc::clone(&services.prober));
    let read = crate::jobs::spawn_blocking_in_span(move || {
        let mut warnings = Vec::new();
        let mut read = Vec::new();
        let Some(prober) = prober else { return (read, warnings) };
        for (path, file) in todo {
            // Read only what the scan recorded: a file changed since is the next scan's.
            let same = metarr_media::FileStamp::read(Path::new(&path)).is_ok_and(|stamp| {
                file.size == stamp.size as i64 && file.mtime == stamp.mtime_ns && file.inode == stamp.inode as i64
            });
            if same {
                let streams = probe_video(&prober, Path::new(&path), &mut warnings);
                read.push((path, file, streams));
            }
        }
        (read, warnings)
    })
    .await
    .map_err(|e| CatalogueError::Internal(format!("reading stream details stopped: {e}")))?;
    let (read, mut warnings) = read;
    let mut counts = Counts { directories_scanned: 1, ..Counts::default() };
    let mut tx = db.begin().await?;
    for (path, file, streams) in read {
        if let Some((streams, _)) = stream_outcome(services, &path, Some(streams), &mut counts, &mut warnings) {
            series::record_streams(&mut tx, job.series_id, &file, streams.as_deref()).await?;
        }
    }
    let item = [season_item(&job.folder, job.season)];
    if scans::settle_items(&mut tx, job.scan_id, ItemKind::Folder, &item, ItemState::Done).await? == 0 {
        // Counted by an earlier run whose acknowledgement was lost.
        tx.commit().await?;
        return Ok(());
    }
    let scan_warnings: Vec<String> = warnings.iter().map(|w| format!("{}: {w}", job.folder)).collect();
    let scan = scans::record(&mut tx, job.scan_id, &counts, &scan_warnings).await?;
    tx.commit().await?;
    services.publish(&scan);
    after_finish(db, &scan).await;
    Ok(())
}

/// What reading a series folder off the disk gave.
struct SeriesRead {
    scan: SeriesScan,
    /// `tvshow.nfo`, when it had to be read.
    show: Option<metarr_nfo::TvShowNfo>,
    /// Whether the series' NFO changed, appeared or went.
    show_changed: bool,
    /// `season.nfo`s that had to be read, by season.
    seasons: BTreeMap<u32, metarr_nfo::SeasonNfo>,
    /// Episode NFOs that had to be read, by path.
    episodes: HashMap<String, Vec<metarr_nfo::EpisodeNfo>>,
    /// Stream details read, by video path.
    streams: HashMap<String, StreamRead>,
    /// The videos whose stream details are left to `season-probe` jobs, by season.
    deferred: BTreeMap<u32, Vec<String>>,
    warnings: Vec<String>,
    refused: i64,
}

/// Parses one TV NFO, its warnings added to `warnings`.
fn read_tv_nfo(path: &Path, warnings: &mut Vec<String>) -> Option<metarr_nfo::TvNfo> {
    match std::fs::File::open(path).and_then(metarr_nfo::parse_tv_reader) {
        Ok(parsed) => {
            warnings.extend(parsed.warnings.iter().map(|w| format!("{}: {w}", path.display())));
            Some(parsed.nfo)
        }
        Err(err) => {
            warnings.push(format!("{}: cannot read: {err}", path.display()));
            None
        }
    }
}

/// Everything a series scan reads from the disk, on one blocking thread.
fn read_series(
    root: &Path,
    folder: &Path,
    rules: &IgnoreRules,
    absolute: bool,
    stored: &HashMap<String, StoredFile>,
    is_new: bool,
    prober: Option<&Prober>,
) -> Result<SeriesRead, metarr_media::ClassifyError> {
    let scan = metarr_media::classify_series(root, folder, rules, absolute)?;
    let mut warnings: Vec<String> = scan.warnings.iter().map(ToString::to_string).collect();
    let refused = scan.warnings.iter().filter(|w| w.is_error()).count() as i64;
    let changed = |file: &SeriesFile| is_new || !stamp_matches(&as_media_file(file), stored.get(path_of(file)));
    let (mut show, mut show_changed) = (None, false);
    let mut seasons = BTreeMap::new();
    let mut episodes = HashMap::new();
    let mut streams = HashMap::new();
    // A long series' videos are read by a job per season (counted first: no video is read twice).
    let to_probe: Vec<(&SeriesFile, u32)> = scan
        .files
        .iter()
        .filter_map(|file| match (&file.kind, &file.scope) {
            (FileKind::Video { .. }, TvScope::Episode { season, .. })
                if !streams_kept(&as_media_file(file), stored.get(path_of(file))) =>
            {
                Some((file, *season))
            }
            _ => None,
        })
        .collect();
    let mut deferred: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let prober = match prober {
        Some(_) if to_probe.len() > PROBES_INLINE => {
            for (file, season) in &to_probe {
                deferred.entry(*season).or_default().push(path_of(file).to_owned());
            }
            None
        }
        other => other,
    };
    for file in &scan.files {
        match (&file.kind, &file.scope) {
            (FileKind::Nfo { .. }, TvScope::Series) if changed(file) => {
                show_changed = true;
                match read_tv_nfo(&file.path, &mut warnings) {
                    Some(metarr_nfo::TvNfo::Show(nfo)) => show = Some(nfo),
                    Some(_) => warnings.push(format!("{}: not a <tvshow> NFO; left out", file.path.display())),
                    None => {}
                }
            }
            (FileKind::Nfo { .. }, TvScope::Season(SeasonRef::Number(number))) if changed(file) => {
                if let Some(metarr_nfo::TvNfo::Season(nfo)) = read_tv_nfo(&file.path, &mut warnings) {
                    seasons.insert(*number, nfo);
                }
            }
            (FileKind::Nfo { .. }, TvScope::Episode { .. }) if changed(file) => {
                match read_tv_nfo(&file.path, &mut warnings) {
                    Some(metarr_nfo::TvNfo::Episodes(list)) => {
                        episodes.insert(path_of(file).to_owned(), list);
                    }
                    Some(_) => warnings.push(format!("{}: not an <episodedetails> NFO; left out", file.path.display())),
                    None => {}
                }
            }
            (FileKind::Video { .. }, TvScope::Episode { .. }) => {
                if let Some(prober) = prober
                    && !streams_kept(&as_media_file(file), stored.get(path_of(file)))
                {
                    streams.insert(path_of(file).to_owned(), probe_video(prober, &file.path, &mut warnings));
                }
            }
            _ => {}
        }
    }
    // A series NFO that went away is a change too (its values stay, as for movies).
    show_changed |= !is_new
        && stored.keys().any(|path| path.ends_with("/tvshow.nfo"))
        && !scan.files.iter().any(|f| matches!((&f.kind, &f.scope), (FileKind::Nfo { .. }, TvScope::Series)));
    Ok(SeriesRead { scan, show, show_changed, seasons, episodes, streams, deferred, warnings, refused })
}

fn path_of(file: &SeriesFile) -> &str {
    // Classification returns UTF-8 paths only.
    file.path.to_str().unwrap_or_default()
}

/// A series folder's file as the movie side's file helpers take it.
fn as_media_file(file: &SeriesFile) -> MediaFile {
    MediaFile { path: file.path.clone(), relative: file.relative.clone(), stamp: file.stamp, kind: file.kind.clone() }
}

/// A series folder's file as its catalogue row, without what only reading it gives (the scan's,
/// and publishing's for the files it wrote).
pub(crate) fn row_of(file: &SeriesFile) -> FileRow {
    let mut row = file_row(&as_media_file(file));
    row.tv = Some(placement(&file.scope));
    row
}

/// Where a file belongs, as `series_files` keeps it.
fn placement(scope: &TvScope) -> TvPlacement {
    match scope {
        TvScope::Series => TvPlacement { scope: "series", season: None, episode_key: None },
        TvScope::Season(SeasonRef::Number(n)) => {
            TvPlacement { scope: "season", season: Some(i64::from(*n)), episode_key: None }
        }
        TvScope::Season(SeasonRef::All) => TvPlacement { scope: "season", season: None, episode_key: None },
        TvScope::Episode { season, number, .. } => TvPlacement {
            scope: "episode",
            season: Some(i64::from(*season)),
            episode_key: EpisodeKey::of(number).first().map(ToString::to_string),
        },
        TvScope::Other => TvPlacement { scope: "other", season: None, episode_key: None },
    }
}

/// The catalogue's values from a `tvshow.nfo`.
pub(crate) fn show_fields(nfo: &metarr_nfo::TvShowNfo) -> SeriesFields {
    let list = |values: &[String]| Some(values.to_vec()).filter(|values| !values.is_empty());
    SeriesFields {
        title: nfo.title.clone().filter(|t| !t.trim().is_empty()),
        original_title: nfo.original_title.clone(),
        sort_title: nfo.sort_title.clone(),
        year: nfo.year.or_else(|| year_of(nfo.premiered.as_deref())),
        tmdb_id: nfo.tmdb_id(),
        tvdb_id: nfo.tvdb_id(),
        imdb_id: nfo.imdb_id(),
        plot: nfo.plot.clone(),
        outline: nfo.outline.clone(),
        premiered: nfo.premiered.clone(),
        status: nfo.status.clone(),
        certification: nfo.mpaa.clone(),
        genres: list(&nfo.genres),
        studios: list(&nfo.studios),
        tags: list(&nfo.tags),
        ratings: Some(ratings(&nfo.ratings)).filter(|r| !r.is_empty()),
        uniqueids: Some(unique_ids(&nfo.unique_ids)).filter(|ids| !ids.is_empty()),
        actors: Some(actors(&nfo.actors)).filter(|a| !a.is_empty()),
    }
}

fn year_of(date: Option<&str>) -> Option<i64> {
    date.and_then(|d| d.get(..4)).and_then(|y| y.parse().ok())
}

fn ratings(list: &[metarr_nfo::Rating]) -> Vec<Rating> {
    list.iter()
        .filter_map(|rating| {
            Some(Rating {
                source: rating.name.clone().unwrap_or_else(|| "default".to_owned()),
                value: rating.value?,
                max: rating.max.unwrap_or(10.0),
                votes: rating.votes,
                default: rating.default,
            })
        })
        .collect()
}

fn unique_ids(list: &[metarr_nfo::UniqueId]) -> Vec<UniqueId> {
    list.iter()
        .map(|id| UniqueId {
            kind: id.id_type.clone().unwrap_or_else(|| "unknown".to_owned()),
            value: id.value.trim().to_owned(),
            default: id.default,
        })
        .collect()
}

fn actors(list: &[metarr_nfo::Actor]) -> Vec<Actor> {
    list.iter()
        .filter_map(|actor| {
            Some(Actor {
                name: actor.name.clone()?,
                role: actor.role.clone(),
                order: actor.order,
                tmdb_id: None,
                profile: actor
                    .thumb
                    .clone()
                    .filter(|thumb| thumb.starts_with("https://") || thumb.starts_with("http://")),
            })
        })
        .collect()
}

/// The catalogue's values from one `<episodedetails>`.
pub(crate) fn episode_fields(nfo: &metarr_nfo::EpisodeNfo) -> EpisodeFields {
    let list = |values: &[String]| Some(values.to_vec()).filter(|values| !values.is_empty());
    EpisodeFields {
        title: nfo.title.clone().filter(|t| !t.trim().is_empty()),
        plot: nfo.plot.clone(),
        runtime: nfo.runtime,
        aired: nfo.aired.clone().or_else(|| nfo.premiered.clone()),
        ratings: Some(ratings(&nfo.ratings)).filter(|r| !r.is_empty()),
        uniqueids: Some(unique_ids(&nfo.unique_ids)).filter(|ids| !ids.is_empty()),
        directors: list(&nfo.directors),
        writers: list(&nfo.credits),
        actors: Some(actors(&nfo.actors)).filter(|a| !a.is_empty()),
    }
}

/// Pairs the `<episodedetails>` of an NFO with the keys its file name gives: by the season and
/// episode the NFO states when they are among the keys, else in order.
fn pair_episode_nfos(keys: &[EpisodeKey], nfos: &[metarr_nfo::EpisodeNfo]) -> HashMap<EpisodeKey, EpisodeFields> {
    let mut paired = HashMap::new();
    let mut left: Vec<EpisodeKey> = keys.to_vec();
    let mut unplaced = Vec::new();
    for nfo in nfos {
        let stated = match (nfo.season, nfo.episode) {
            (Some(season), Some(episode)) => u32::try_from(season)
                .ok()
                .zip(u32::try_from(episode).ok())
                .map(|(season, episode)| EpisodeKey::Numbered { season, episode }),
            _ => None,
        };
        match stated.and_then(|key| left.iter().position(|k| *k == key)) {
            Some(at) => {
                paired.insert(left.remove(at), episode_fields(nfo));
            }
            None => unplaced.push(nfo),
        }
    }
    for (key, nfo) in left.into_iter().zip(unplaced) {
        paired.insert(key, episode_fields(nfo));
    }
    paired
}

/// The series' seasons and episodes as the read files describe them.
fn seasons_and_episodes(read: &SeriesRead) -> (Vec<ScannedSeason>, Vec<ScannedEpisode>) {
    let mut seasons: BTreeMap<u32, ScannedSeason> = BTreeMap::new();
    let mut season = |number: u32| {
        seasons
            .entry(number)
            .or_insert_with(|| ScannedSeason { number: i64::from(number), ..ScannedSeason::default() });
    };
    // Episode NFOs by the video they describe, and those of episodes not on disk.
    let mut nfo_of_video: HashMap<&Path, &SeriesFile> = HashMap::new();
    let mut lone_nfos = Vec::new();
    for file in &read.scan.files {
        match (&file.kind, &file.scope) {
            (FileKind::Nfo { .. }, TvScope::Episode { video: Some(video), .. }) => {
                nfo_of_video.insert(video.as_path(), file);
            }
            (FileKind::Nfo { .. }, TvScope::Episode { video: None, .. }) => lone_nfos.push(file),
            (_, TvScope::Season(SeasonRef::Number(n))) => season(*n),
            _ => {}
        }
    }
    let mut episodes = Vec::new();
    let mut add = |file_season: u32, keys: Vec<EpisodeKey>, video: Option<&SeriesFile>, nfo: Option<&SeriesFile>| {
        let parsed = nfo.and_then(|nfo| read.episodes.get(path_of(nfo)));
        let fields = parsed.map(|list| pair_episode_nfos(&keys, list));
        for key in keys {
            let number = key.season().unwrap_or(file_season);
            season(number);
            episodes.push(ScannedEpisode {
                key,
                season: Some(i64::from(number)),
                video: video.map(|v| path_of(v).to_owned()),
                nfo: nfo.map(|n| path_of(n).to_owned()),
                // An NFO read but naming none of the keys leaves the fields as they were.
                fields: fields.as_ref().map(|f| f.get(&key).cloned().unwrap_or_default()),
            });
        }
    };
    for file in &read.scan.files {
        if let (FileKind::Video { .. }, TvScope::Episode { season, number, .. }) = (&file.kind, &file.scope) {
            add(*season, EpisodeKey::of(number), Some(file), nfo_of_video.get(file.path.as_path()).copied());
        }
    }
    for nfo in lone_nfos {
        if let TvScope::Episode { season, number, .. } = &nfo.scope {
            add(*season, EpisodeKey::of(number), None, Some(nfo));
        }
    }
    for (number, nfo) in &read.seasons {
        let entry = seasons
            .entry(*number)
            .or_insert_with(|| ScannedSeason { number: i64::from(*number), ..Default::default() });
        entry.title = nfo.title.clone();
        entry.plot = nfo.plot.clone();
        entry.premiered = nfo.premiered.clone();
    }
    (seasons.into_values().collect(), episodes)
}

/// Scans one series folder. `reread`: read every NFO and record every file again even where
/// stamps are unchanged (the series' numbering changed, so the same names mean other episodes).
async fn scan_series(
    services: &ScanServices,
    ctx: &JobContext,
    job: &SeriesScanJob,
    reread: bool,
) -> Result<(), CatalogueError> {
    let db = &services.db;
    let context = services.context(job.scan_id).await?;
    if context.phase.is_final() {
        return Ok(());
    }
    let rules = Arc::clone(&context.rules);
    let stored = series::stored_folder(db, &job.folder).await?;
    let is_new = stored.is_none();
    let numbering = stored.as_ref().map_or(Numbering::default(), |s| s.numbering);
    let stored_files = stored.as_ref().map(|s| s.files.clone()).unwrap_or_default();
    let root = PathBuf::from(&context.library.path);
    let folder_path = PathBuf::from(&job.folder);
    let prober = services.read_streams.then(|| Arc::clone(&services.prober));
    let absolute = numbering == Numbering::Absolute;
    let (read, stored_files) = crate::jobs::spawn_blocking_in_span(move || {
        let read =
            read_series(&root, &folder_path, &rules, absolute, &stored_files, is_new || reread, prober.as_deref());
        (read, stored_files)
    })
    .await
    .map_err(|e| CatalogueError::Internal(format!("reading the series folder stopped: {e}")))?;
    let mut read = match read {
        Ok(read) => read,
        Err(err) => {
            // Gone or unreadable since discovery: a warning; outside the library or not UTF-8: an error.
            let refused = matches!(
                err,
                metarr_media::ClassifyError::OutsideLibrary { .. } | metarr_media::ClassifyError::NotUtf8 { .. }
            );
            let mut tx = db.begin().await?;
            let folder = [job.folder.clone()];
            if scans::settle_items(&mut tx, job.scan_id, ItemKind::Folder, &folder, ItemState::Done).await? == 0 {
                return Ok(());
            }
            let counts = Counts { directories_scanned: 1, errors: i64::from(refused), ..Counts::default() };
            let scan = scans::record(&mut tx, job.scan_id, &counts, &[err.to_string()]).await?;
            tx.commit().await?;
            services.publish(&scan);
            after_finish(db, &scan).await;
            return Ok(());
        }
    };
    let mut counts = Counts { directories_scanned: 1, series_found: 1, errors: read.refused, ..Counts::default() };
    let mut warnings = std::mem::take(&mut read.warnings);
    let mut rows: Vec<FileRow> = Vec::with_capacity(read.scan.files.len());
    let mut to_cache = Vec::new();
    let mut any_change = is_new || reread || read.show_changed || stored_files.len() != read.scan.files.len();
    for file in &read.scan.files {
        let media = as_media_file(file);
        let stored_file = stored_files.get(path_of(file));
        let unchanged = stamp_matches(&media, stored_file);
        any_change |= !unchanged;
        let mut row = row_of(file);
        if let FileKind::Artwork { .. } = file.kind {
            // Season images name their season in the scope; the slot is the image's kind.
            if unchanged {
                row.sha256 = stored_file.and_then(|s| s.sha256.clone());
            }
            if row.sha256.is_none() {
                to_cache.push(row.path.clone());
            }
        }
        if unchanged {
            row.streams = stored_file.and_then(|s| s.streams.clone());
            row.probed = stored_file.is_some_and(|s| s.probed);
        }
        let streams = read.streams.remove(&row.path);
        apply_streams(services, &mut row, streams, &mut counts, &mut warnings);
        if matches!(file.kind, FileKind::Unknown(_)) {
            counts.unknown_files += 1;
        }
        rows.push(row);
    }
    let (seasons, mut episodes) = seasons_and_episodes(&read);
    // NFO text is from outside: fitted to the limits a user's edit must meet, each change a warning.
    for episode in &mut episodes {
        if let Some(fields) = &mut episode.fields {
            warnings.extend(fields.fit_for_import().into_iter().map(|w| format!("{}: {w}", episode.key)));
        }
    }
    counts.episodes_found =
        episodes.iter().filter(|e| e.video.is_some()).map(|e| e.key).collect::<BTreeSet<_>>().len() as i64;

    let mut tx = db.begin().await?;
    let folder_item = [job.folder.clone()];
    let counted =
        scans::settle_items(&mut tx, job.scan_id, ItemKind::Folder, &folder_item, ItemState::Done).await? == 1;
    if any_change || !to_cache.is_empty() {
        let mut from_nfo = read.show.as_ref().map(show_fields).unwrap_or_default();
        warnings.extend(from_nfo.fit_for_import());
        let identity = &read.scan.identity;
        let mut from_name = SeriesFields {
            title: Some(identity.title.clone()).filter(|title| !title.is_empty()),
            year: identity.year.map(i64::from),
            tmdb_id: identity.tmdb_id,
            tvdb_id: identity.tvdb_id,
            imdb_id: identity.imdb_id.clone(),
            ..SeriesFields::default()
        };
        warnings.extend(from_name.fit_for_import());
        let layers = [(&from_nfo, FieldSource::Nfo), (&from_name, FieldSource::Folder)];
        let (series_id, created) =
            series::upsert_scanned(&mut tx, job.library_id, job.scan_id, &job.folder, &layers, &warnings).await?;
        series::sync_files(&mut tx, series_id, &rows, &stored_files).await?;
        series::sync_seasons(&mut tx, series_id, &seasons).await?;
        series::sync_episodes(&mut tx, series_id, &episodes).await?;
        // A long series: one job per season reads its videos' stream details, each a folder
        // of the scan's ledger so that the scan ends after them.
        for (season, videos) in std::mem::take(&mut read.deferred) {
            let item = season_item(&job.folder, season);
            if scans::add_items(&mut tx, job.scan_id, ItemKind::Folder, std::slice::from_ref(&item), ItemState::Queued)
                .await?
                .is_empty()
            {
                continue;
            }
            counts.directories_total += 1;
            let probe = SeasonProbeJob { scan_id: job.scan_id, series_id, folder: job.folder.clone(), season, videos };
            tx.enqueue(
                NewJob::of(&probe).unique_key(format!("season-probe:{}:{item}", job.scan_id)).child_of(ctx.job()),
            )
            .await?;
        }
        counts.assets_queued +=
            crate::jobs::scan::queue_caching(&mut tx, ctx, counted.then_some(job.scan_id), to_cache).await?;
        if created {
            counts.series_new = 1;
            // A new series is described right away when the library enriches (as a movie
            // library's scan does), outside the scan's counters.
            if context.library.auto_enrich.unwrap_or(true) && tx.tmdb_configured() {
                tx.enqueue(crate::jobs::enrich::enrich_series_job(series_id)).await?;
            }
        } else {
            counts.series_updated = 1;
        }
        crate::jobs::players::enqueue_series_refresh(&mut tx, &job.folder, counts.assets_queued > 0, &[]).await?;
    } else if let Some(stored) = &stored {
        series::touch_many(&mut tx, &[stored.id], job.scan_id).await?;
    }
    if !counted {
        tx.commit().await?;
        return Ok(());
    }
    let scan_warnings: Vec<String> = warnings.iter().map(|w| format!("{}: {w}", job.folder)).collect();
    let scan = scans::record(&mut tx, job.scan_id, &counts, &scan_warnings).await?;
    tx.commit().await?;
    services.publish(&scan);
    after_finish(db, &scan).await;
    Ok(())
}

/// Scans one series folder of a library (a Sonarr webhook, or the series page's button).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanSeries {
    pub library_id: LibraryId,
    pub folder: String,
    /// Sonarr's ids of the series: they name the series Sonarr manages (source `sonarr`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tvdb_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmdb_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imdb_id: Option<String>,
    /// Sonarr's series type, as numbering (`anime` numbers absolutely).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numbering: Option<Numbering>,
    /// Put back what Metarr published for the series right after the scan (a `Download`: an
    /// upgrade deleted the old file's NFO with it), under the new files' names.
    #[serde(default)]
    pub restore: bool,
}

job_kind!(ScanSeries = "scan-series", attempts: 3, priority: 1);

impl ScanSeries {
    /// A scan of `folder` with nothing known about it but where it is.
    pub fn of_folder(library_id: LibraryId, folder: &str) -> ScanSeries {
        ScanSeries {
            library_id,
            folder: folder.to_owned(),
            tvdb_id: None,
            tmdb_id: None,
            imdb_id: None,
            numbering: None,
            restore: false,
        }
    }

    /// The job, unique per folder: a burst of webhooks for one series makes one scan.
    pub fn job(&self) -> NewJob {
        NewJob::of(self).unique_key(format!("scan-series:{}", self.folder))
    }
}

/// Runs `scan-series`: a scan record for the library (or the one running), the series folder's
/// scan inline, then Sonarr's ids and numbering, and the folder again when the numbering
/// changed (absolute numbers are only read once the series is known to use them).
pub struct ScanSeriesHandler(pub Arc<ScanServices>);

#[async_trait]
impl Handler for ScanSeriesHandler {
    type Job = ScanSeries;

    async fn run(&self, ctx: JobContext, job: ScanSeries) -> Result<(), JobError> {
        let db = &self.0.db;
        let library = match crate::catalogue::libraries::get(db, job.library_id).await {
            Ok(library) => library,
            Err(CatalogueError::NotFound(message)) => return Err(JobError::Permanent(message)),
            Err(err) => return Err(JobError::retryable(err)),
        };
        if !library.enabled {
            return Err(JobError::Permanent(format!("library {:?} is disabled", library.name)));
        }
        let scan_id =
            crate::jobs::scan::join_scan(db, job.library_id, &job.folder).await.map_err(JobError::retryable)?;
        let series_job = SeriesScanJob { scan_id, library_id: job.library_id, folder: job.folder.clone() };
        // Through the handler: its last failed attempt is counted, so the scan still completes.
        SeriesScanHandler(Arc::clone(&self.0)).run(ctx.clone(), series_job.clone()).await?;
        let Some(stored) = series::stored_folder(db, &job.folder).await.map_err(JobError::retryable)? else {
            // The folder is gone or empty: nothing to describe.
            return Ok(());
        };
        let ids = SeriesFields {
            tvdb_id: job.tvdb_id.filter(|id| *id > 0),
            tmdb_id: job.tmdb_id.filter(|id| crate::limits::TMDB_IDS.contains(id)),
            imdb_id: job.imdb_id.clone().filter(|id| metarr_nfo::is_imdb_id(id)),
            ..SeriesFields::default()
        };
        let renumbered = async {
            let mut tx = db.begin().await?;
            series::apply_fields(&mut tx, stored.id, &ids, FieldSource::Sonarr).await?;
            let renumbered = match job.numbering {
                Some(numbering) => series::set_numbering(&mut tx, stored.id, numbering).await?,
                None => false,
            };
            // Sonarr's news (a new episode, a new series) is described right away when the
            // library enriches: the job is unique, and answers within the cache's TTL are free.
            if library.auto_enrich.unwrap_or(true) && tx.tmdb_configured() {
                tx.enqueue(crate::jobs::enrich::enrich_series_job(stored.id)).await?;
            }
            tx.commit().await?;
            Ok::<_, CatalogueError>(renumbered)
        }
        .await
        .map_err(JobError::retryable)?;
        if renumbered {
            // The folder's item is settled: this pass records, and counts nothing twice.
            scan_series(&self.0, &ctx, &series_job, true).await.map_err(JobError::retryable)?;
        }
        if job.restore {
            restore_published(&self.0, stored.id).await?;
        }
        Ok(())
    }
}

/// Republishes a series that was published before (idempotent: what is in place is kept), so
/// that an upgraded episode gets its NFO back under the new file's name.
async fn restore_published(services: &ScanServices, series_id: SeriesId) -> Result<(), JobError> {
    let published: Option<(i64,)> = services
        .db
        .fetch_optional("SELECT count(*) FROM series_published_files WHERE series_id = $1", &[series_id.into()])
        .await
        .map_err(JobError::retryable)?;
    if published.is_none_or(|(n,)| n == 0) {
        return Ok(());
    }
    let publishing = crate::publish::PublishServices::from_parts(
        services.db.clone(),
        services.events.clone(),
        services.cache_root.clone(),
    );
    match publishing.publish_series(series_id).await {
        Ok(report) => {
            tracing::info!(%series_id, written = report.written + report.replaced, "restored the published files after a download");
            Ok(())
        }
        // A library that stopped publishing, or a series gone meanwhile: nothing to restore.
        Err(crate::publish::PublishError::Off { .. })
        | Err(crate::publish::PublishError::Catalogue(CatalogueError::NotFound(_))) => Ok(()),
        Err(err) => Err(JobError::retryable(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nfo(season: Option<i64>, episode: Option<i64>, title: &str) -> metarr_nfo::EpisodeNfo {
        metarr_nfo::EpisodeNfo { season, episode, title: Some(title.to_owned()), ..metarr_nfo::EpisodeNfo::default() }
    }

    #[test]
    fn episode_nfos_pair_by_their_numbers_then_in_order() {
        let keys = [EpisodeKey::Numbered { season: 1, episode: 2 }, EpisodeKey::Numbered { season: 1, episode: 3 }];
        // Stated out of order: the numbers win.
        let paired = pair_episode_nfos(&keys, &[nfo(Some(1), Some(3), "Three"), nfo(Some(1), Some(2), "Two")]);
        assert_eq!(paired[&keys[0]].title.as_deref(), Some("Two"));
        assert_eq!(paired[&keys[1]].title.as_deref(), Some("Three"));
        // Without numbers: in order.
        let paired = pair_episode_nfos(&keys, &[nfo(None, None, "First"), nfo(None, None, "Second")]);
        assert_eq!(paired[&keys[0]].title.as_deref(), Some("First"));
        assert_eq!(paired[&keys[1]].title.as_deref(), Some("Second"));
        // Numbers that name another episode take the next free key.
        let paired = pair_episode_nfos(&keys[..1], &[nfo(Some(4), Some(9), "Elsewhere")]);
        assert_eq!(paired[&keys[0]].title.as_deref(), Some("Elsewhere"));
    }
}
