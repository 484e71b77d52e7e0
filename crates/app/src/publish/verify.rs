//! Verification: compares published files with what was published (stamp first, the hash
//! only when the stamp moved), puts missing files back from the cache, and imports what another
//! program changed instead of overwriting it: an NFO's changed values (source `nfo`; its
//! other elements stay, since the republished NFO is laid over it), an image as the slot's
//! selection. Each run leaves a `verification_runs` row.

use super::fs::{self, Stamp};
use super::names::PublishedKind;
use super::repo::{self, PublishedFile};
use super::{PublishError, PublishServices};
use crate::artwork::repo::{LocalImage, adopt_local};
use crate::cache;
use crate::catalogue::metadata::{FieldSource, Fields};
use crate::catalogue::{CatalogueError, movies, now_ms, time_from_ms};
use crate::db::JsonText;
use crate::ids::{LibraryId, MovieId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The state of a published file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileState {
    /// As Metarr wrote it.
    InSync,
    /// Gone from the folder.
    Missing,
    /// Another program changed it.
    ChangedElsewhere,
}

/// What verification found about one file and did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Drift {
    pub movie_id: MovieId,
    pub path: String,
    pub state: FileState,
    /// `restored`, `imported`, or the error that stopped it.
    pub action: String,
}

/// One verification run (`GET /api/v1/verifications`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VerificationRun {
    pub id: i64,
    pub library_id: Option<LibraryId>,
    pub movie_id: Option<MovieId>,
    pub cause: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    pub movies: i64,
    pub files_checked: i64,
    pub in_sync: i64,
    pub restored: i64,
    pub imported: i64,
    pub errors: i64,
    pub details: Vec<Drift>,
}

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    library_id: Option<LibraryId>,
    movie_id: Option<MovieId>,
    cause: String,
    started_at: i64,
    finished_at: Option<i64>,
    movies: i64,
    files_checked: i64,
    in_sync: i64,
    restored: i64,
    imported: i64,
    errors: i64,
    details: JsonText<Vec<Drift>>,
}

impl From<RunRow> for VerificationRun {
    fn from(row: RunRow) -> VerificationRun {
        VerificationRun {
            id: row.id,
            library_id: row.library_id,
            movie_id: row.movie_id,
            cause: row.cause,
            started_at: time_from_ms(row.started_at),
            finished_at: row.finished_at.map(time_from_ms),
            movies: row.movies,
            files_checked: row.files_checked,
            in_sync: row.in_sync,
            restored: row.restored,
            imported: row.imported,
            errors: row.errors,
            details: row.details.0,
        }
    }
}

const RUN_COLUMNS: &str = "id, library_id, movie_id, cause, started_at, finished_at, movies, files_checked, in_sync, \
    restored, imported, errors, details";

/// The latest runs, newest first, and how many there are.
pub async fn runs(db: &crate::db::Db, limit: i64, offset: i64) -> Result<(Vec<VerificationRun>, i64), CatalogueError> {
    let (total,): (i64,) = db.fetch_optional("SELECT count(*) FROM verification_runs", &[]).await?.unwrap_or((0,));
    let rows: Vec<RunRow> = db
        .fetch_all(
            &format!("SELECT {RUN_COLUMNS} FROM verification_runs ORDER BY id DESC LIMIT $1 OFFSET $2"),
            &[limit.clamp(1, 500).into(), offset.max(0).into()],
        )
        .await?;
    Ok((rows.into_iter().map(VerificationRun::from).collect(), total))
}

/// One run.
pub async fn run(db: &crate::db::Db, id: i64) -> Result<VerificationRun, CatalogueError> {
    let row: Option<RunRow> =
        db.fetch_optional(&format!("SELECT {RUN_COLUMNS} FROM verification_runs WHERE id = $1"), &[id.into()]).await?;
    row.map(VerificationRun::from).ok_or_else(|| CatalogueError::NotFound(format!("verification run {id} not found")))
}

/// Deletes runs that started before `before_ms` (the cleanup's retention).
pub async fn prune_runs(db: &crate::db::Db, before_ms: i64) -> Result<u64, CatalogueError> {
    Ok(db.execute("DELETE FROM verification_runs WHERE started_at < $1", &[before_ms.into()]).await?)
}

/// A published file as a run found it: its state, its stamp when it moved, its hash when it
/// changed.
struct Checked {
    file: PublishedFile,
    state: FileState,
    stamp: Option<Stamp>,
    sha: Option<String>,
}

/// What a run covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library_id: Option<LibraryId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub movie_id: Option<MovieId>,
}

/// A file's state by its stamp, hashing only a file whose stamp moved. `Some(sha)` for a
/// changed file.
fn check(file: &PublishedFile) -> (FileState, Option<Stamp>, Option<String>) {
    let path = Path::new(&file.path);
    let Some(stamp) = fs::stamp(path) else {
        return (FileState::Missing, None, None);
    };
    if stamp == (Stamp { size: file.size, mtime: file.mtime, inode: file.inode }) {
        return (FileState::InSync, None, None);
    }
    match fs::hash_file(path) {
        // Touched or copied back, same bytes: only the stamp is new.
        Ok((sha, _)) if sha == file.sha256 => (FileState::InSync, Some(stamp), None),
        Ok((sha, _)) => (FileState::ChangedElsewhere, Some(stamp), Some(sha)),
        // Unreadable now: as good as missing, but not put back over whatever is there.
        Err(_) => (FileState::ChangedElsewhere, Some(stamp), None),
    }
}

/// The state of each file published for a movie (for the movie page and the API).
pub async fn states(
    services: &PublishServices,
    movie_id: MovieId,
) -> Result<Vec<(PublishedFile, FileState)>, PublishError> {
    let files = repo::published(services.db(), movie_id).await?;
    super::blocking(move || {
        files
            .into_iter()
            .map(|f| {
                let state = check(&f).0;
                (f, state)
            })
            .collect()
    })
    .await
}

impl PublishServices {
    /// Verifies the published files in `scope`, restores and imports as needed, and records the
    /// run. A movie whose library is `off` is checked but left alone.
    pub async fn verify(&self, scope: &Scope, cause: &str) -> Result<VerificationRun, PublishError> {
        let db = self.db();
        let started = now_ms();
        let files = match scope.movie_id {
            Some(movie_id) => repo::published(db, movie_id).await?,
            None => repo::published_in(db, scope.library_id).await?,
        };
        let checked = super::blocking(move || {
            files
                .into_iter()
                .map(|file| {
                    let found = check(&file);
                    (file, found)
                })
                .collect::<Vec<_>>()
        })
        .await?;
        let mut by_movie: BTreeMap<MovieId, Vec<Checked>> = BTreeMap::new();
        for (file, (state, stamp, sha)) in checked {
            by_movie.entry(file.movie_id).or_default().push(Checked { file, state, stamp, sha });
        }
        let mut run = VerificationRun {
            id: 0,
            library_id: scope.library_id,
            movie_id: scope.movie_id,
            cause: cause.to_owned(),
            started_at: time_from_ms(started),
            finished_at: None,
            movies: by_movie.len() as i64,
            files_checked: 0,
            in_sync: 0,
            restored: 0,
            imported: 0,
            errors: 0,
            details: Vec::new(),
        };
        // Same bytes under a new stamp: the record follows, in one transaction.
        let restamps: Vec<(String, Stamp)> = by_movie
            .values()
            .flatten()
            .filter(|checked| checked.state == FileState::InSync)
            .filter_map(|checked| checked.stamp.map(|s| (checked.file.path.clone(), s)))
            .collect();
        if !restamps.is_empty() {
            let mut tx = db.begin().await?;
            for (path, stamp) in &restamps {
                repo::restamp(&mut tx, path, stamp.size, stamp.mtime, stamp.inode).await?;
            }
            tx.commit().await?;
        }
        for (movie_id, files) in by_movie {
            run.files_checked += files.len() as i64;
            let drifted: Vec<&Checked> = files.iter().filter(|checked| checked.state != FileState::InSync).collect();
            run.in_sync += (files.len() - drifted.len()) as i64;
            if drifted.is_empty() {
                continue;
            }
            match self.mend(movie_id, &drifted).await {
                Ok(details) => {
                    for drift in &details {
                        match drift.action.as_str() {
                            "restored" => run.restored += 1,
                            "imported" => run.imported += 1,
                            _ => run.errors += 1,
                        }
                    }
                    run.details.extend(details);
                }
                Err(err) => {
                    let message = metarr_errors::chain(&err);
                    tracing::warn!(movie_id = %movie_id, "verification could not mend the movie: {message}");
                    for checked in drifted {
                        run.errors += 1;
                        run.details.push(Drift {
                            movie_id,
                            path: checked.file.path.clone(),
                            state: checked.state,
                            action: format!("failed: {message}"),
                        });
                    }
                }
            }
        }
        let finished = now_ms();
        run.finished_at = Some(time_from_ms(finished));
        let details = serde_json::to_string(&run.details).expect("drifts always serialise");
        let rows: Vec<(i64,)> = db
            .write(
                "INSERT INTO verification_runs (library_id, movie_id, cause, started_at, finished_at, movies, \
                     files_checked, in_sync, restored, imported, errors, details) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                &[
                    run.library_id.map(LibraryId::get).into(),
                    run.movie_id.map(MovieId::get).into(),
                    cause.into(),
                    started.into(),
                    finished.into(),
                    run.movies.into(),
                    run.files_checked.into(),
                    run.in_sync.into(),
                    run.restored.into(),
                    run.imported.into(),
                    run.errors.into(),
                    details.into(),
                ],
            )
            .await?;
        run.id = rows.first().map_or(0, |(id,)| *id);
        announce(db, &run).await;
        Ok(run)
    }

    /// Imports what changed elsewhere, then republishes the movie, which puts back what is
    /// missing (from the cache, under the names the movie has now).
    async fn mend(&self, movie_id: MovieId, drifted: &[&Checked]) -> Result<Vec<Drift>, PublishError> {
        let mut details = Vec::new();
        for checked in drifted.iter().copied() {
            let Checked { file, state, sha, .. } = checked;
            if *state != FileState::ChangedElsewhere {
                continue;
            }
            let imported = match (file.kind, sha) {
                (PublishedKind::Nfo, Some(_)) => self.import_nfo(file).await.map(|_| "imported".to_owned()),
                (PublishedKind::Artwork, Some(_)) => self.import_artwork(file).await.map(|_| "imported".to_owned()),
                // Headshots are the provider's; an unreadable file is left as it is.
                _ => Ok("left alone".to_owned()),
            };
            let action = imported.unwrap_or_else(|err| format!("failed: {}", metarr_errors::chain(&err)));
            details.push(Drift { movie_id, path: file.path.clone(), state: *state, action });
        }
        // The files changed elsewhere are now what is published: their records follow, so that
        // the republish keeps them instead of recycling them.
        let report = self.republish(movie_id).await?;
        for checked in drifted.iter().copied() {
            let Checked { file, state, .. } = checked;
            if *state != FileState::Missing {
                continue;
            }
            // Under the name the movie has now: a missing `<old video>.nfo` comes back as
            // `<new video>.nfo`.
            let action = if report.is_some() { "restored" } else { "not restored: the library does not publish" };
            details.push(Drift { movie_id, path: file.path.clone(), state: *state, action: action.to_owned() });
        }
        Ok(details)
    }

    /// An NFO another program changed: the values that differ from what Metarr published
    /// become the movie's (source `nfo`, under the usual rules and locks).
    pub(super) async fn import_nfo(&self, file: &PublishedFile) -> Result<(), PublishError> {
        let path = file.path.clone();
        let published = cache::path_for(self.cache_root(), &file.sha256, &file.ext);
        let (now, before) = super::blocking(move || {
            let now = std::fs::read(&path).map(|bytes| metarr_nfo::parse(&bytes).nfo);
            let before = std::fs::read(&published).ok().map(|bytes| metarr_nfo::parse(&bytes).nfo);
            (now, before)
        })
        .await?;
        let now = now.map_err(|source| PublishError::Fs {
            owner: super::Owner::Movie(file.movie_id),
            source: fs::FsError::Io { action: "reading", path: file.path.clone().into(), source },
        })?;
        let mut fields = crate::jobs::scan::nfo_fields(&now);
        let warnings = fields.fit_for_import();
        for warning in warnings {
            tracing::info!(movie_id = %file.movie_id, "imported NFO value fitted: {warning}");
        }
        let changed = match before {
            Some(before) => changed_fields(&fields, &crate::jobs::scan::nfo_fields(&before)),
            None => fields,
        };
        let mut tx = self.db().begin().await?;
        movies::apply_fields(&mut tx, file.movie_id, &[(&changed, FieldSource::Nfo)]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An image another program changed: it becomes the slot's image (cached, as a local
    /// candidate) and what is published there.
    pub(super) async fn import_artwork(&self, file: &PublishedFile) -> Result<(), PublishError> {
        let Some(slot) = file.slot.as_deref().and_then(metarr_artwork::Slot::parse) else {
            return Ok(());
        };
        let path = file.path.clone();
        let cache_root = self.cache_root().to_owned();
        let cached = super::blocking(move || cache::store_file(&cache_root, Path::new(&path)))
            .await?
            .map_err(|source| PublishError::Cache { owner: super::Owner::Movie(file.movie_id), source })?;
        let stamp = fs::stamp(Path::new(&file.path));
        let image = LocalImage {
            path: file.path.clone(),
            slot: slot.as_str().to_owned(),
            sha256: cached.sha256.clone(),
            ext: cached.ext.clone(),
            size: cached.size as i64,
            width: cached.dimensions.map(|(w, _)| i64::from(w)),
            height: cached.dimensions.map(|(_, h)| i64::from(h)),
        };
        let mut tx = self.db().begin().await?;
        movies::record_asset_in(&mut tx, &cached.sha256, &cached.ext, cached.size, cached.dimensions).await?;
        let position = usize::try_from(file.slot_index.unwrap_or(0)).unwrap_or(0);
        adopt_local(&mut tx, file.movie_id, slot, position, &image).await?;
        // What is there is now what is published.
        if let Some(stamp) = stamp {
            let written = repo::Written::now(file, &cached.sha256, &cached.ext, stamp);
            repo::record_written(&mut tx, file.movie_id, &[written]).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// `verification_completed` when a run put anything back or imported anything.
async fn announce(db: &crate::db::Db, run: &VerificationRun) {
    if run.restored == 0 && run.imported == 0 {
        return;
    }
    let notification = metarr_notify::Notification {
        event: metarr_notify::EventKind::VerificationCompleted,
        title: format!("Metarr restored {} file(s) and imported {} change(s)", run.restored, run.imported),
        message: format!(
            "Verification run {} checked {} file(s) of {} movie(s): {} restored from the cache, {} changed elsewhere \
             and imported, {} error(s).",
            run.id, run.files_checked, run.movies, run.restored, run.imported, run.errors
        ),
        movie: None,
        url: None,
    };
    crate::jobs::notify::announce(db, notification).await;
}

/// The fields of `now` whose values differ from `before`'s (a field `before` had and `now`
/// lacks is not a change to import: nothing is cleared).
fn changed_fields(now: &Fields, before: &Fields) -> Fields {
    let (Ok(serde_json::Value::Object(mut now_map)), Ok(serde_json::Value::Object(before_map))) =
        (serde_json::to_value(now), serde_json::to_value(before))
    else {
        return now.clone();
    };
    now_map.retain(|key, value| !value.is_null() && before_map.get(key) != Some(value));
    serde_json::from_value(serde_json::Value::Object(now_map)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_values_are_imported() {
        let before = Fields {
            title: Some("Alien".into()),
            plot: Some("In space.".into()),
            genres: Some(vec!["Horror".into()]),
            ..Fields::default()
        };
        let now = Fields {
            title: Some("Alien".into()),
            plot: Some("In space, no one can hear you scream.".into()),
            genres: Some(vec!["Horror".into()]),
            ..Fields::default()
        };
        let changed = changed_fields(&now, &before);
        assert_eq!(changed, Fields { plot: Some("In space, no one can hear you scream.".into()), ..Fields::default() });
    }
}
