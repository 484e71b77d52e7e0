//! Artwork candidates in the database (`artwork_candidates`, migration 20019): what each source
//! offers per slot, what is known of each image once downloaded, and which are selected.
//!
//! A candidate belongs to an [`ArtOwner`] (a movie, a series, a season or an episode; migration
//! 20023) and is told apart within its owner and slot by its `key`: the provider's URL,
//! `local:<path>` for a file of the folder, `upload:<sha256>` for an upload. Selected
//! candidates carry their `position` in the slot (0 first); the others carry none.

use crate::artwork::offers::{Offer, language_column, language_of_column};
use crate::artwork::owner::ArtOwner;
use crate::catalogue::{CatalogueError, Result, now_ms};
use crate::db::{Db, Param, Tx};
use crate::ids::{EpisodeId, MovieId, SeriesId};
use metarr_artwork::{ArtLanguage, Slot, Source};
use serde::Serialize;

/// The most candidates of one slot kept from one provider, best scored first: TMDB lists
/// more than a hundred posters for popular films, and nobody picks the hundredth.
pub const MAX_OFFERS_PER_SLOT: usize = 60;

/// A candidate as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub id: i64,
    #[serde(skip)]
    pub owner: ArtOwner,
    /// The movie's candidates name their movie; TV ones their series, and their season or
    /// episode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub movie_id: Option<MovieId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub series_id: Option<SeriesId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub season: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub episode_id: Option<EpisodeId>,
    pub slot: Slot,
    /// Where the image comes from.
    pub source: Source,
    /// The provider's URL of the full image; `None` for local files and uploads.
    pub url: Option<String>,
    #[serde(skip)]
    pub preview_url: Option<String>,
    /// The local file's path, for candidates found in the movie folder.
    pub path: Option<String>,
    /// Set once the image is in the cache.
    pub sha256: Option<String>,
    #[serde(skip)]
    pub ext: Option<String>,
    /// In pixels, once known (from the provider or the downloaded image).
    pub width: Option<u32>,
    /// In pixels, once known.
    pub height: Option<u32>,
    /// In bytes, once downloaded.
    pub file_size: Option<u64>,
    /// ISO 639-1, `xx` for textless, `null` when unknown.
    pub language: Option<String>,
    /// The provider's rating of the image (TMDB).
    pub vote_average: Option<f64>,
    /// How many votes the rating has (TMDB).
    pub votes: Option<u64>,
    /// Fanart.tv's likes.
    pub likes: Option<u64>,
    /// Metarr's score: higher is better.
    pub score: f64,
    #[serde(skip)]
    pub phash: Option<String>,
    /// Whether the source still offers it (a provider's list, a file still in the folder).
    pub offered: bool,
    /// Blocked by the user: never selected.
    pub blocked: bool,
    /// Why it can never be used (not an image, gone at the provider).
    pub rejected: Option<String>,
    /// The selected candidate it repeats (same bytes, or a near-duplicate picture).
    pub duplicate_of: Option<i64>,
    /// Its place in the slot when selected.
    pub position: Option<i64>,
}

impl Candidate {
    /// The language as scoring takes it.
    pub fn art_language(&self) -> ArtLanguage {
        language_of_column(self.language.as_deref())
    }

    /// Whether its bytes are in the cache.
    pub fn cached(&self) -> Option<(&str, &str)> {
        Some((self.sha256.as_deref()?, self.ext.as_deref()?))
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    movie_id: Option<MovieId>,
    series_id: Option<SeriesId>,
    season: Option<i64>,
    episode_id: Option<EpisodeId>,
    slot: String,
    source: String,
    key: String,
    url: Option<String>,
    preview_url: Option<String>,
    sha256: Option<String>,
    ext: Option<String>,
    width: Option<i64>,
    height: Option<i64>,
    file_size: Option<i64>,
    language: Option<String>,
    vote_average: Option<f64>,
    votes: Option<i64>,
    likes: Option<i64>,
    score: f64,
    phash: Option<String>,
    offered: bool,
    blocked: bool,
    rejected: Option<String>,
    duplicate_of: Option<i64>,
    position: Option<i64>,
}

const COLUMNS: &str = "id, movie_id, series_id, season, episode_id, slot, source, key, url, preview_url, sha256, ext, width, height, file_size, \
     language, vote_average, votes, likes, score, phash, offered, blocked, rejected, duplicate_of, position";

fn to_u32(value: Option<i64>) -> Option<u32> {
    value.and_then(|value| u32::try_from(value).ok())
}

fn to_u64(value: Option<i64>) -> Option<u64> {
    value.and_then(|value| u64::try_from(value).ok())
}

impl TryFrom<Row> for Candidate {
    type Error = CatalogueError;

    fn try_from(row: Row) -> Result<Candidate> {
        // The CHECK constraints keep other names out; one here is a fault of Metarr's own.
        let slot = Slot::parse(&row.slot)
            .ok_or_else(|| CatalogueError::Internal(format!("artwork candidate {} has slot {:?}", row.id, row.slot)))?;
        let source = Source::parse(&row.source).ok_or_else(|| {
            CatalogueError::Internal(format!("artwork candidate {} has source {:?}", row.id, row.source))
        })?;
        let owner = ArtOwner::from_columns(row.movie_id, row.series_id, row.season, row.episode_id)
            .ok_or_else(|| CatalogueError::Internal(format!("artwork candidate {} has no single owner", row.id)))?;
        Ok(Candidate {
            id: row.id,
            owner,
            movie_id: row.movie_id,
            series_id: row.series_id,
            season: row.season,
            episode_id: row.episode_id,
            slot,
            source,
            path: row.key.strip_prefix("local:").map(str::to_owned),
            url: row.url,
            preview_url: row.preview_url,
            sha256: row.sha256,
            ext: row.ext,
            width: to_u32(row.width),
            height: to_u32(row.height),
            file_size: to_u64(row.file_size),
            language: row.language,
            vote_average: row.vote_average,
            votes: to_u64(row.votes),
            likes: to_u64(row.likes),
            score: row.score,
            phash: row.phash,
            offered: row.offered,
            blocked: row.blocked,
            rejected: row.rejected,
            duplicate_of: row.duplicate_of,
            position: row.position,
        })
    }
}

fn convert(rows: Vec<Row>) -> Result<Vec<Candidate>> {
    rows.into_iter().map(Candidate::try_from).collect()
}

/// Every candidate of an owner: by slot, the selected first in their order, then by score.
pub async fn list(db: &Db, owner: ArtOwner) -> Result<Vec<Candidate>> {
    convert(
        db.fetch_all(
            &format!(
                "SELECT {COLUMNS} FROM artwork_candidates WHERE owner = $1 \
                 ORDER BY slot, position IS NULL, position, score DESC, id"
            ),
            &[owner.key().into()],
        )
        .await?,
    )
}

/// Every candidate of a series and of its seasons and episodes (one read for a series' page
/// or its selection).
pub async fn list_of_series(db: &Db, series_id: SeriesId) -> Result<Vec<Candidate>> {
    convert(
        db.fetch_all(
            &format!(
                "SELECT {COLUMNS} FROM artwork_candidates WHERE series_id = $1 \
                 ORDER BY owner, slot, position IS NULL, position, score DESC, id"
            ),
            &[series_id.into()],
        )
        .await?,
    )
}

/// One candidate.
pub async fn get(db: &Db, id: i64) -> Result<Candidate> {
    let row: Option<Row> =
        db.fetch_optional(&format!("SELECT {COLUMNS} FROM artwork_candidates WHERE id = $1"), &[id.into()]).await?;
    row.map(Candidate::try_from)
        .transpose()?
        .ok_or_else(|| CatalogueError::NotFound(format!("artwork candidate {id} not found")))
}

/// One candidate, inside a transaction.
pub async fn get_in(tx: &mut Tx, id: i64) -> Result<Candidate> {
    let row: Option<Row> =
        tx.fetch_optional(&format!("SELECT {COLUMNS} FROM artwork_candidates WHERE id = $1"), &[id.into()]).await?;
    row.map(Candidate::try_from)
        .transpose()?
        .ok_or_else(|| CatalogueError::NotFound(format!("artwork candidate {id} not found")))
}

/// An offer with its score, ready to record.
pub struct ScoredOffer<'a> {
    pub offer: &'a Offer,
    pub score: f64,
}

/// Records what `source` offers now for an owner: new images are added, known ones updated
/// (sizes only while not measured), and the source's images it no longer lists are marked not
/// offered (kept while selected, so nothing selected is lost). Idempotent.
pub async fn record_offers(tx: &mut Tx, owner: ArtOwner, source: Source, offers: &[ScoredOffer<'_>]) -> Result<()> {
    let now = now_ms();
    tx.execute(
        "UPDATE artwork_candidates SET offered = false WHERE owner = $1 AND source = $2 AND offered = true",
        &[owner.key().into(), source.as_str().into()],
    )
    .await?;
    const PER_ROW: usize = 19;
    for chunk in offers.chunks(100) {
        let mut params: Vec<Param> = Vec::with_capacity(chunk.len() * PER_ROW);
        let mut rows = Vec::with_capacity(chunk.len());
        let mut seen = std::collections::BTreeSet::new();
        for scored in chunk {
            let offer = scored.offer;
            // One statement cannot touch one row twice (PostgreSQL refuses it).
            if !seen.insert((offer.slot, offer.url.as_str())) {
                continue;
            }
            let first = params.len() + 1;
            params.extend(owner.columns());
            params.extend([
                offer.slot.as_str().into(),
                source.as_str().into(),
                offer.url.clone().into(),
                offer.url.clone().into(),
                offer.preview_url.clone().into(),
                offer.width.map(i64::from).into(),
                offer.height.map(i64::from).into(),
                language_column(&offer.language).into(),
                offer.vote_average.filter(|average| average.is_finite()).into(),
                offer.votes.map(|votes| i64::try_from(votes).unwrap_or(i64::MAX)).into(),
                offer.likes.map(|likes| i64::try_from(likes).unwrap_or(i64::MAX)).into(),
                scored.score.into(),
                now.into(),
                now.into(),
            ]);
            let list: Vec<String> = (first..first + PER_ROW).map(|n| format!("${n}")).collect();
            rows.push(format!("({})", list.join(", ")));
        }
        if rows.is_empty() {
            continue;
        }
        tx.execute(
            &format!(
                "INSERT INTO artwork_candidates (owner, movie_id, series_id, season, episode_id, slot, source, key, \
                     url, preview_url, width, height, language, vote_average, votes, likes, score, created_at, \
                     updated_at) \
                 VALUES {} \
                 ON CONFLICT (owner, slot, key) DO UPDATE SET \
                     offered = true, preview_url = excluded.preview_url, language = excluded.language, \
                     vote_average = excluded.vote_average, votes = excluded.votes, likes = excluded.likes, \
                     width = CASE WHEN artwork_candidates.sha256 IS NULL THEN excluded.width ELSE artwork_candidates.width END, \
                     height = CASE WHEN artwork_candidates.sha256 IS NULL THEN excluded.height ELSE artwork_candidates.height END, \
                     score = CASE WHEN artwork_candidates.sha256 IS NULL THEN excluded.score ELSE artwork_candidates.score END, \
                     updated_at = excluded.updated_at",
                rows.join(", ")
            ),
            &params,
        )
        .await?;
    }
    Ok(())
}

/// A cached image file of the folder, as a candidate.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LocalImage {
    pub path: String,
    pub slot: String,
    pub sha256: String,
    pub ext: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

/// The movie folder's cached artwork files (extra fanart counts as fanart).
pub async fn local_images(db: &Db, movie_id: MovieId) -> Result<Vec<LocalImage>> {
    Ok(db
        .fetch_all(
            "SELECT f.path, CASE WHEN f.slot = 'extrafanart' THEN 'fanart' ELSE f.slot END AS slot, f.sha256, \
                 a.ext, a.size, a.width, a.height \
             FROM media_files f JOIN assets a ON a.sha256 = f.sha256 \
             WHERE f.movie_id = $1 AND f.category = 'artwork' AND f.slot IS NOT NULL",
            &[movie_id.into()],
        )
        .await?)
}

/// A series folder's cached artwork files with their owners: the series' own, each season's
/// (`season-all` images belong to no single season and are left out) and each episode's thumb.
pub async fn series_local_images(db: &Db, series_id: SeriesId) -> Result<Vec<(ArtOwner, LocalImage)>> {
    #[derive(sqlx::FromRow)]
    struct SeriesImage {
        scope: String,
        season: Option<i64>,
        episode_id: Option<EpisodeId>,
        #[sqlx(flatten)]
        image: LocalImage,
    }
    let rows: Vec<SeriesImage> = db
        .fetch_all(
            "SELECT f.scope, f.season, e.id AS episode_id, f.path, \
                 CASE WHEN f.slot = 'extrafanart' THEN 'fanart' ELSE f.slot END AS slot, f.sha256, \
                 a.ext, a.size, a.width, a.height \
             FROM series_files f JOIN assets a ON a.sha256 = f.sha256 \
             LEFT JOIN episodes e ON e.series_id = f.series_id AND e.key = f.episode_key \
             WHERE f.series_id = $1 AND f.category = 'artwork' AND f.slot IS NOT NULL",
            &[series_id.into()],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let owner = match (row.scope.as_str(), row.season, row.episode_id) {
                ("series", _, _) => ArtOwner::Series(series_id),
                ("season", Some(number), _) => ArtOwner::Season(series_id, number),
                ("episode", _, Some(episode_id)) => ArtOwner::Episode { series_id, episode_id },
                _ => return None,
            };
            Some((owner, row.image))
        })
        .collect())
}

/// Records the folder's images as `local` candidates (with the score each has now), and marks
/// the ones whose file is gone as not offered. Idempotent.
pub async fn record_local(tx: &mut Tx, owner: ArtOwner, images: &[(LocalImage, Slot, f64)]) -> Result<()> {
    let now = now_ms();
    tx.execute(
        "UPDATE artwork_candidates SET offered = false WHERE owner = $1 AND source = 'local' AND offered = true",
        &[owner.key().into()],
    )
    .await?;
    for (image, slot, score) in images {
        let mut params: Vec<Param> = owner.columns().into();
        params.extend([
            slot.as_str().into(),
            format!("local:{}", image.path).into(),
            image.sha256.clone().into(),
            image.ext.clone().into(),
            image.width.into(),
            image.height.into(),
            image.size.into(),
            (*score).into(),
            now.into(),
        ]);
        tx.execute(
            "INSERT INTO artwork_candidates (owner, movie_id, series_id, season, episode_id, slot, source, key, \
                 sha256, ext, width, height, file_size, score, offered, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'local', $7, $8, $9, $10, $11, $12, $13, true, $14, $14) \
             ON CONFLICT (owner, slot, key) DO UPDATE SET offered = true, \
                 phash = CASE WHEN artwork_candidates.sha256 = excluded.sha256 THEN artwork_candidates.phash END, \
                 rejected = CASE WHEN artwork_candidates.sha256 = excluded.sha256 THEN artwork_candidates.rejected END, \
                 sha256 = excluded.sha256, ext = excluded.ext, width = excluded.width, height = excluded.height, \
                 file_size = excluded.file_size, score = excluded.score, updated_at = excluded.updated_at",
            &params,
        )
        .await?;
    }
    Ok(())
}

/// What downloading and checking an image found.
#[derive(Debug, Clone)]
pub struct Measured {
    pub sha256: String,
    pub ext: String,
    pub width: u32,
    pub height: u32,
    pub file_size: u64,
    pub phash: String,
    pub score: f64,
}

/// Records a candidate's image as cached and measured.
pub async fn record_measured(db: &Db, id: i64, measured: &Measured) -> Result<()> {
    db.execute(
        "UPDATE artwork_candidates SET sha256 = $1, ext = $2, width = $3, height = $4, file_size = $5, phash = $6, \
             score = $7, rejected = NULL, updated_at = $8 WHERE id = $9",
        &[
            measured.sha256.clone().into(),
            measured.ext.clone().into(),
            i64::from(measured.width).into(),
            i64::from(measured.height).into(),
            measured.file_size.into(),
            measured.phash.clone().into(),
            measured.score.into(),
            now_ms().into(),
            id.into(),
        ],
    )
    .await?;
    Ok(())
}

/// What is known of an image already downloaded for any candidate with this URL.
pub async fn measured_by_url(db: &Db, url: &str) -> Result<Option<Measured>> {
    let row: Option<(String, String, i64, i64, i64, String, f64)> = db
        .fetch_optional(
            "SELECT sha256, ext, width, height, file_size, phash, score FROM artwork_candidates \
             WHERE url = $1 AND sha256 IS NOT NULL AND ext IS NOT NULL AND width IS NOT NULL \
                 AND height IS NOT NULL AND file_size IS NOT NULL AND phash IS NOT NULL LIMIT 1",
            &[url.into()],
        )
        .await?;
    Ok(row.and_then(|(sha256, ext, width, height, file_size, phash, score)| {
        Some(Measured {
            sha256,
            ext,
            width: u32::try_from(width).ok()?,
            height: u32::try_from(height).ok()?,
            file_size: u64::try_from(file_size).ok()?,
            phash,
            score,
        })
    }))
}

/// Records why a candidate can never be used.
pub async fn record_rejected(db: &Db, id: i64, reason: &str) -> Result<()> {
    let reason: String = reason.chars().take(300).collect();
    db.execute(
        "UPDATE artwork_candidates SET rejected = $1, position = NULL, updated_at = $2 WHERE id = $3",
        &[reason.into(), now_ms().into(), id.into()],
    )
    .await?;
    Ok(())
}

/// Makes `selected` the slot's selection, in order, and `duplicates` (candidate, the selected
/// one it repeats) its duplicates; scores that changed are written too.
pub async fn set_selection(
    tx: &mut Tx,
    owner: ArtOwner,
    slot: Slot,
    selected: &[i64],
    duplicates: &[(i64, i64)],
    scores: &[(i64, f64)],
) -> Result<()> {
    let now = now_ms();
    tx.execute(
        "UPDATE artwork_candidates SET position = NULL, duplicate_of = NULL \
         WHERE owner = $1 AND slot = $2 AND (position IS NOT NULL OR duplicate_of IS NOT NULL)",
        &[owner.key().into(), slot.as_str().into()],
    )
    .await?;
    for (position, id) in selected.iter().enumerate() {
        let position = i64::try_from(position).unwrap_or(i64::MAX);
        tx.execute(
            "UPDATE artwork_candidates SET position = $1, updated_at = $2 WHERE id = $3 AND owner = $4",
            &[position.into(), now.into(), (*id).into(), owner.key().into()],
        )
        .await?;
    }
    for (id, of) in duplicates {
        tx.execute(
            "UPDATE artwork_candidates SET duplicate_of = $1 WHERE id = $2 AND owner = $3",
            &[(*of).into(), (*id).into(), owner.key().into()],
        )
        .await?;
    }
    for (id, score) in scores {
        tx.execute("UPDATE artwork_candidates SET score = $1 WHERE id = $2", &[(*score).into(), (*id).into()]).await?;
    }
    Ok(())
}

/// Blocks or unblocks a candidate; a blocked one leaves its slot's selection.
pub async fn set_blocked(tx: &mut Tx, id: i64, blocked: bool) -> Result<Candidate> {
    let changed = tx
        .execute(
            "UPDATE artwork_candidates SET blocked = $1, \
                 position = CASE WHEN $1 THEN NULL ELSE position END, updated_at = $2 WHERE id = $3",
            &[blocked.into(), now_ms().into(), id.into()],
        )
        .await?;
    if changed == 0 {
        return Err(CatalogueError::NotFound(format!("artwork candidate {id} not found")));
    }
    get_in(tx, id).await
}

/// Adds an uploaded image as a candidate of the slot (or finds the same upload), returning its id.
pub async fn record_upload(tx: &mut Tx, owner: ArtOwner, slot: Slot, measured: &Measured) -> Result<i64> {
    let now = now_ms();
    let mut params: Vec<Param> = owner.columns().into();
    params.extend([
        slot.as_str().into(),
        format!("upload:{}", measured.sha256).into(),
        measured.sha256.clone().into(),
        measured.ext.clone().into(),
        i64::from(measured.width).into(),
        i64::from(measured.height).into(),
        measured.file_size.into(),
        measured.phash.clone().into(),
        measured.score.into(),
        now.into(),
    ]);
    let rows: Vec<(i64,)> = tx
        .fetch_all(
            "INSERT INTO artwork_candidates (owner, movie_id, series_id, season, episode_id, slot, source, key, \
                 sha256, ext, width, height, file_size, phash, score, offered, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'upload', $7, $8, $9, $10, $11, $12, $13, $14, true, $15, $15) \
             ON CONFLICT (owner, slot, key) DO UPDATE SET blocked = false, rejected = NULL, updated_at = excluded.updated_at \
             RETURNING id",
            &params,
        )
        .await?;
    rows.into_iter()
        .next()
        .map(|(id,)| id)
        .ok_or_else(|| CatalogueError::Internal("an inserted candidate returned no id".to_owned()))
}

/// The lock name of a slot in its owner's `locks` (`artwork.poster`).
pub fn lock_name(slot: Slot) -> String {
    ArtOwner::lock_name(slot)
}

/// The ids of a slot's selection, in order.
pub async fn selection_in(tx: &mut Tx, owner: ArtOwner, slot: Slot) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = tx
        .fetch_all(
            "SELECT id FROM artwork_candidates WHERE owner = $1 AND slot = $2 AND position IS NOT NULL \
             ORDER BY position",
            &[owner.key().into(), slot.as_str().into()],
        )
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The selected, cached poster of each movie that has one.
pub async fn selected_posters(db: &Db, movie_ids: &[MovieId]) -> Result<std::collections::HashMap<MovieId, String>> {
    let mut posters = std::collections::HashMap::new();
    for chunk in movie_ids.chunks(500) {
        let params: Vec<Param> = chunk.iter().map(|id| Param::from(*id)).collect();
        let list: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let rows: Vec<(MovieId, String)> = db
            .fetch_all(
                &format!(
                    "SELECT movie_id, sha256 FROM artwork_candidates \
                     WHERE slot = 'poster' AND position = 0 AND sha256 IS NOT NULL AND movie_id IN ({})",
                    list.join(", ")
                ),
                &params,
            )
            .await?;
        posters.extend(rows);
    }
    Ok(posters)
}

/// Makes an image found in the movie folder (another program changed a published file) the
/// slot's image at `position` (0 = first), as a `local` candidate, and locks the slot so that
/// the next selection keeps it: someone chose it on purpose.
pub async fn adopt_local(
    tx: &mut Tx,
    movie_id: MovieId,
    slot: Slot,
    position: usize,
    image: &LocalImage,
) -> Result<()> {
    let now = now_ms();
    let owner = ArtOwner::Movie(movie_id);
    let mut params: Vec<Param> = owner.columns().into();
    params.extend([
        slot.as_str().into(),
        format!("local:{}", image.path).into(),
        image.sha256.clone().into(),
        image.ext.clone().into(),
        image.width.into(),
        image.height.into(),
        image.size.into(),
        now.into(),
    ]);
    let rows: Vec<(i64,)> = tx
        .fetch_all(
            "INSERT INTO artwork_candidates (owner, movie_id, series_id, season, episode_id, slot, source, key, \
                 sha256, ext, width, height, file_size, score, offered, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'local', $7, $8, $9, $10, $11, $12, 0, true, $13, $13) \
             ON CONFLICT (owner, slot, key) DO UPDATE SET offered = true, blocked = false, rejected = NULL, \
                 phash = NULL, sha256 = excluded.sha256, ext = excluded.ext, width = excluded.width, \
                 height = excluded.height, file_size = excluded.file_size, updated_at = excluded.updated_at \
             RETURNING id",
            &params,
        )
        .await?;
    let Some((adopted,)) = rows.into_iter().next() else {
        return Err(CatalogueError::Internal("an inserted candidate returned no id".to_owned()));
    };
    let current = selection_in(tx, owner, slot).await?;
    let mut selected: Vec<i64> = current.into_iter().filter(|id| *id != adopted).collect();
    let at = position.min(selected.len());
    if at < selected.len() {
        selected[at] = adopted;
    } else {
        selected.push(adopted);
    }
    set_selection(tx, owner, slot, &selected, &[], &[]).await?;
    crate::catalogue::movies::toggle_lock(tx, movie_id, &lock_name(slot), true).await?;
    Ok(())
}
