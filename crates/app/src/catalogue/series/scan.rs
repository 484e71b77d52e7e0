//! What a scan of a series folder writes: the series, its seasons, its episodes and its files,
//! and the stamps that let the next scan skip an unchanged folder.

use super::{
    EpisodeFields, EpisodeKey, NewEpisode, Numbering, OnConflict, Sources, assignments, insert_episodes, sets_of,
};
use crate::catalogue::movies::{self, FieldSource, FileOwner, FileRow, StoredFile, placeholders};
use crate::catalogue::{Result, now_ms};
use crate::db::{Db, JsonText, Param, Tx};
use crate::ids::{EpisodeId, LibraryId, ScanId, SeriesId};
use std::collections::{BTreeSet, HashMap};

/// A season a scan found (by a folder, an episode, an NFO or an image), with its NFO's values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScannedSeason {
    pub number: i64,
    pub title: Option<String>,
    pub plot: Option<String>,
    pub premiered: Option<String>,
}

/// Records the seasons a scan found; a season.nfo's values replace what an NFO gave before.
pub async fn sync_seasons(tx: &mut Tx, series_id: SeriesId, seasons: &[ScannedSeason]) -> Result<()> {
    let now = now_ms();
    for chunk in seasons.chunks(100) {
        let mut params: Vec<Param> = Vec::with_capacity(chunk.len() * 7);
        let mut rows = Vec::with_capacity(chunk.len());
        for season in chunk {
            let first = params.len() + 1;
            params.extend([
                series_id.into(),
                season.number.into(),
                season.title.clone().into(),
                season.plot.clone().into(),
                season.premiered.clone().into(),
                now.into(),
                now.into(),
            ]);
            rows.push(placeholders(first, params.len()));
        }
        tx.execute(
            &format!(
                "INSERT INTO seasons (series_id, number, title, plot, premiered, created_at, updated_at) VALUES {} \
                 ON CONFLICT (series_id, number) DO UPDATE SET \
                     title = coalesce(excluded.title, seasons.title), plot = coalesce(excluded.plot, seasons.plot), \
                     premiered = coalesce(excluded.premiered, seasons.premiered), updated_at = excluded.updated_at",
                rows.join(", ")
            ),
            &params,
        )
        .await?;
    }
    Ok(())
}

/// An episode a scan found: its video, its NFO, and the NFO's values when it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedEpisode {
    pub key: EpisodeKey,
    /// The season it is filed under (a date or absolute number gets its folder's).
    pub season: Option<i64>,
    pub video: Option<String>,
    pub nfo: Option<String>,
    /// `None`: the NFO is unchanged (or absent) and its values stay as they are.
    pub fields: Option<EpisodeFields>,
}

/// An episode row as the scan compares it.
#[derive(sqlx::FromRow)]
struct StoredEpisode {
    id: EpisodeId,
    key: String,
    video: Option<String>,
    nfo: Option<String>,
    locks: JsonText<BTreeSet<String>>,
    field_sources: JsonText<Sources>,
}

/// Records a series' episodes as the scan found them: new ones are inserted with their NFO's
/// values, known ones get their files and (when their NFO was read) its values where locks and
/// sources allow, and episodes the scan did not find lose their files but keep their rows.
pub async fn sync_episodes(tx: &mut Tx, series_id: SeriesId, episodes: &[ScannedEpisode]) -> Result<()> {
    let now = now_ms();
    let stored: Vec<StoredEpisode> = tx
        .fetch_all(
            "SELECT id, key, video, nfo, locks, field_sources FROM episodes WHERE series_id = $1",
            &[series_id.into()],
        )
        .await?;
    let stored: HashMap<String, StoredEpisode> = stored.into_iter().map(|e| (e.key.clone(), e)).collect();
    let mut seen = BTreeSet::new();
    let mut new = Vec::new();
    for episode in episodes {
        let key = episode.key.to_string();
        if !seen.insert(key.clone()) {
            continue;
        }
        let Some(current) = stored.get(&key) else {
            new.push((key, episode));
            continue;
        };
        let mut params: Vec<Param> = vec![episode.video.clone().into(), episode.nfo.clone().into()];
        let mut sets = vec!["video = $1".to_owned(), "nfo = $2".to_owned()];
        if let Some(fields) = &episode.fields {
            let mut sources = current.field_sources.0.clone();
            let written =
                assignments(&[(fields.values(), FieldSource::Nfo)], &current.locks.0, &mut sources, false, &mut params);
            if !written.is_empty() {
                sets.extend(sets_of(&written));
                params.push(serde_json::to_string(&sources).expect("sources always serialise").into());
                sets.push(format!("field_sources = ${}", params.len()));
            }
        } else if current.video == episode.video && current.nfo == episode.nfo {
            continue;
        }
        params.push(now.into());
        sets.push(format!("updated_at = ${}", params.len()));
        params.push(current.id.into());
        tx.execute(&format!("UPDATE episodes SET {} WHERE id = ${}", sets.join(", "), params.len()), &params).await?;
    }
    // The fields of each new episode: its NFO's, and the air date its name gives.
    let filled: Vec<(String, &ScannedEpisode, EpisodeFields, Sources)> = new
        .into_iter()
        .map(|(key, episode)| {
            let mut fields = episode.fields.clone().unwrap_or_default();
            let mut sources: Sources =
                fields.values().into_iter().map(|(column, _)| (column.to_owned(), FieldSource::Nfo)).collect();
            if fields.aired.is_none()
                && let Some(aired) = episode.key.aired()
            {
                fields.aired = Some(aired);
                sources.insert("aired".to_owned(), FieldSource::Folder);
            }
            (key, episode, fields, sources)
        })
        .collect();
    let rows: Vec<NewEpisode<'_>> = filled
        .iter()
        .map(|(key, episode, fields, sources)| {
            let (season, number, absolute) = match episode.key {
                EpisodeKey::Numbered { season, episode } => (Some(i64::from(season)), Some(i64::from(episode)), None),
                EpisodeKey::Aired { .. } => (episode.season, None, None),
                EpisodeKey::Absolute(n) => (episode.season, None, Some(i64::from(n))),
            };
            NewEpisode {
                key: key.clone(),
                season,
                episode: number,
                absolute_number: absolute,
                video: episode.video.as_deref(),
                nfo: episode.nfo.as_deref(),
                fields,
                sources: sources.clone(),
            }
        })
        .collect();
    insert_episodes(tx, series_id, &rows, OnConflict::TakeFiles).await?;
    // Gone from disk: the row stays, without its files.
    let gone: Vec<Param> = stored
        .values()
        .filter(|e| !seen.contains(&e.key) && (e.video.is_some() || e.nfo.is_some()))
        .map(|e| e.id.into())
        .collect();
    for ids in gone.chunks(500) {
        let mut params = vec![Param::from(now)];
        params.extend(ids.iter().cloned());
        tx.execute(
            &format!(
                "UPDATE episodes SET video = NULL, nfo = NULL, updated_at = $1 WHERE id IN {}",
                placeholders(2, params.len())
            ),
            &params,
        )
        .await?;
    }
    Ok(())
}

/// Replaces a series' file rows (see [`movies::sync_files`]).
pub async fn sync_files(
    tx: &mut Tx,
    series_id: SeriesId,
    files: &[FileRow],
    stored: &HashMap<String, StoredFile>,
) -> Result<()> {
    movies::sync_owned_files(tx, FileOwner::Series(series_id), files, stored).await
}

/// A row of [`stored_folder`]'s left join.
#[derive(sqlx::FromRow)]
struct StoredSeriesFileRow {
    series_id: SeriesId,
    #[sqlx(try_from = "String")]
    numbering: Numbering,
    id: Option<i64>,
    path: Option<String>,
    size: Option<i64>,
    mtime: Option<i64>,
    inode: Option<i64>,
    sha256: Option<String>,
    streams: Option<String>,
    probed_at: Option<i64>,
}

/// Records a video's stream details (`None`: the attempt failed) read after its scan, while
/// the file is still the one the scan recorded (same stamp).
pub async fn record_streams(tx: &mut Tx, series_id: SeriesId, file: &StoredFile, streams: Option<&str>) -> Result<()> {
    let now = now_ms();
    tx.execute(
        "UPDATE series_files SET streams = $1, probed_at = $2, updated_at = $2 \
         WHERE series_id = $3 AND path = $4 AND size = $5 AND mtime = $6 AND inode = $7",
        &[
            streams.map(str::to_owned).into(),
            now.into(),
            series_id.into(),
            file.path.clone().into(),
            file.size.into(),
            file.mtime.into(),
            file.inode.into(),
        ],
    )
    .await?;
    Ok(())
}

/// A series as a scan of its folder starts from: its id, numbering and recorded files.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSeries {
    pub id: SeriesId,
    pub numbering: Numbering,
    pub files: HashMap<String, StoredFile>,
}

/// The series recorded for a folder, with its files by path.
pub async fn stored_folder(db: &Db, folder: &str) -> Result<Option<StoredSeries>> {
    let rows = db
        .fetch_all::<StoredSeriesFileRow>(
            "SELECT s.id AS series_id, s.numbering, f.id, f.path, f.size, f.mtime, f.inode, f.sha256, f.streams, \
                 f.probed_at \
             FROM series s LEFT JOIN series_files f ON f.series_id = s.id WHERE s.folder = $1",
            &[folder.into()],
        )
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let (id, numbering) = (first.series_id, first.numbering);
    let mut files = HashMap::with_capacity(rows.len());
    for row in rows {
        let (Some(file_id), Some(path), Some(size), Some(mtime), Some(inode)) =
            (row.id, row.path, row.size, row.mtime, row.inode)
        else {
            continue;
        };
        let file = StoredFile {
            id: file_id,
            path,
            size,
            mtime,
            inode,
            sha256: row.sha256,
            streams: row.streams,
            probed: row.probed_at.is_some(),
        };
        files.insert(file.path.clone(), file);
    }
    Ok(Some(StoredSeries { id, numbering, files }))
}

/// The stamps of one recorded series folder, for telling an unchanged one without a job.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesStamps {
    pub series_id: SeriesId,
    pub numbering: Numbering,
    pub missing: bool,
    /// (size, mtime, inode) by path.
    pub files: HashMap<String, (i64, i64, i64)>,
    /// Every artwork file is cached and every episode video's stream details were read.
    pub complete: bool,
}

#[derive(sqlx::FromRow)]
struct SeriesStampRow {
    series_id: SeriesId,
    #[sqlx(try_from = "String")]
    numbering: Numbering,
    folder: String,
    missing: bool,
    path: String,
    category: String,
    scope: String,
    size: i64,
    mtime: i64,
    inode: i64,
    sha256: Option<String>,
    probed_at: Option<i64>,
}

/// The stamps of the given recorded series folders of a library, by folder, in one query.
pub async fn folder_stamps(
    db: &Db,
    library_id: LibraryId,
    folders: &[String],
    need_streams: bool,
) -> Result<HashMap<String, SeriesStamps>> {
    let mut stamps: HashMap<String, SeriesStamps> = HashMap::with_capacity(folders.len());
    if folders.is_empty() {
        return Ok(stamps);
    }
    let mut params: Vec<Param> = vec![library_id.into()];
    params.extend(folders.iter().map(Param::from));
    let rows = db
        .fetch_all::<SeriesStampRow>(
            &format!(
                "SELECT s.id AS series_id, s.numbering, s.folder, s.missing, f.path, f.category, f.scope, f.size, \
                     f.mtime, f.inode, f.sha256, f.probed_at \
                 FROM series s JOIN series_files f ON f.series_id = s.id \
                 WHERE s.library_id = $1 AND s.folder IN {}",
                placeholders(2, folders.len() + 1)
            ),
            &params,
        )
        .await?;
    for row in rows {
        let folder = stamps.entry(row.folder).or_insert_with(|| SeriesStamps {
            series_id: row.series_id,
            numbering: row.numbering,
            missing: row.missing,
            files: HashMap::new(),
            complete: true,
        });
        if row.category == "artwork" && row.sha256.is_none() {
            folder.complete = false;
        }
        if need_streams && row.category == "video" && row.scope == "episode" && row.probed_at.is_none() {
            folder.complete = false;
        }
        folder.files.insert(row.path, (row.size, row.mtime, row.inode));
    }
    Ok(stamps)
}

/// The library's present series whose folder is not among `found` (sorted).
pub async fn absent_from(db: &Db, library_id: LibraryId, found: &[String]) -> Result<Vec<SeriesId>> {
    let rows: Vec<(SeriesId, String)> = db
        .fetch_all(
            "SELECT id, folder FROM series WHERE library_id = $1 AND missing = false ORDER BY id",
            &[library_id.into()],
        )
        .await?;
    Ok(rows.into_iter().filter(|(_, folder)| found.binary_search(folder).is_err()).map(|(id, _)| id).collect())
}

/// Marks series as missing from disk.
pub async fn mark_missing(tx: &mut Tx, ids: &[SeriesId]) -> Result<()> {
    set_in_batches(tx, "missing = true, updated_at = $1", now_ms().into(), ids).await
}

/// Marks series as seen by a scan.
pub async fn touch_many(tx: &mut Tx, ids: &[SeriesId], scan_id: ScanId) -> Result<()> {
    set_in_batches(tx, "last_scan_id = $1, missing = false", scan_id.into(), ids).await
}

async fn set_in_batches(tx: &mut Tx, assignments: &str, value: Param, ids: &[SeriesId]) -> Result<()> {
    for chunk in ids.chunks(500) {
        let mut params: Vec<Param> = vec![value.clone()];
        params.extend(chunk.iter().map(|id| Param::from(*id)));
        tx.execute(
            &format!("UPDATE series SET {assignments} WHERE id IN {}", placeholders(2, chunk.len() + 1)),
            &params,
        )
        .await?;
    }
    Ok(())
}

/// Marks the series of a folder as missing (Sonarr deleted it). Returns whether one was.
pub async fn mark_folder_missing(tx: &mut Tx, folder: &str) -> Result<bool> {
    let changed = tx
        .execute(
            "UPDATE series SET missing = true, updated_at = $1 WHERE folder = $2",
            &[now_ms().into(), folder.into()],
        )
        .await?;
    Ok(changed > 0)
}

/// How many episodes of the given series have a video on disk.
pub async fn episodes_on_disk(tx: &mut Tx, ids: &[SeriesId]) -> Result<i64> {
    let mut total = 0;
    for chunk in ids.chunks(500) {
        let params: Vec<Param> = chunk.iter().map(|id| (*id).into()).collect();
        let row: Option<(i64,)> = tx
            .fetch_optional(
                &format!(
                    "SELECT count(*) FROM episodes WHERE video IS NOT NULL AND series_id IN {}",
                    placeholders(1, params.len())
                ),
                &params,
            )
            .await?;
        total += row.map_or(0, |(n,)| n);
    }
    Ok(total)
}
