//! What enrichment writes to a series: its identification, and the seasons and episodes a
//! provider knows (episodes not on disk get rows without a video, so they are listed as
//! missing; nothing is created on disk).

use super::{
    EpisodeFields, EpisodeKey, Locks, NewEpisode, Numbering, OnConflict, Sources, assignments, insert_episodes, sets_of,
};
use crate::catalogue::movies::{FieldSource, Identification, IdentificationColumn, MatchCandidate};
use crate::catalogue::{CatalogueError, Result, now_ms};
use crate::db::{Db, JsonText, Param, Tx};
use crate::ids::{EpisodeId, SeriesId};
use std::collections::HashMap;

/// What enrichment starts from.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EnrichTarget {
    pub id: SeriesId,
    pub title: String,
    pub original_title: Option<String>,
    pub year: Option<i64>,
    pub tmdb_id: Option<i64>,
    pub tvdb_id: Option<i64>,
    pub imdb_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub numbering: Numbering,
    pub prefer_provider_metadata: bool,
    /// The library's artwork limits over the configured ones.
    pub artwork_limits: JsonText<metarr_artwork::SlotLimits>,
}

/// The series as enrichment needs it.
pub async fn enrich_target(db: &Db, id: SeriesId) -> Result<EnrichTarget> {
    db.fetch_optional::<EnrichTarget>(
        "SELECT s.id, s.title, s.original_title, s.year, s.tmdb_id, s.tvdb_id, s.imdb_id, s.numbering, \
             l.prefer_provider_metadata, l.artwork_limits \
         FROM series s JOIN libraries l ON l.id = s.library_id WHERE s.id = $1",
        &[id.into()],
    )
    .await?
    .ok_or_else(|| CatalogueError::NotFound(format!("series {id} not found")))
}

/// Records how identification ended (with the candidates when the user must pick).
pub async fn record_identification(
    db: &Db,
    id: SeriesId,
    state: Identification,
    candidates: &[MatchCandidate],
) -> Result<()> {
    let text = serde_json::to_string(candidates).expect("candidates always serialise");
    db.execute(
        "UPDATE series SET identification = $1, match_candidates = $2, enriched_at = $3, updated_at = $3 \
         WHERE id = $4",
        &[state.as_str().into(), text.into(), now_ms().into(), id.into()],
    )
    .await?;
    Ok(())
}

/// Clears a series' TMDB id unless the user locked it (a new TVDB id names the series now).
pub async fn forget_unlocked_tmdb_id(db: &Db, id: SeriesId) -> Result<()> {
    let mut tx = db.begin().await?;
    let (JsonText(locks), JsonText(mut sources)): (Locks, JsonText<Sources>) = tx
        .fetch_optional("SELECT locks, field_sources FROM series WHERE id = $1", &[id.into()])
        .await?
        .ok_or_else(|| CatalogueError::NotFound(format!("series {id} not found")))?;
    if !locks.contains("tmdb_id") {
        // A field without a value has no source either.
        sources.remove("tmdb_id");
        let sources = serde_json::to_string(&sources).expect("sources always serialise");
        tx.execute("UPDATE series SET tmdb_id = NULL, field_sources = $1 WHERE id = $2", &[sources.into(), id.into()])
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Marks a series identified and enriched now.
pub async fn mark_enriched(tx: &mut Tx, id: SeriesId) -> Result<()> {
    tx.execute(
        "UPDATE series SET identification = 'identified', match_candidates = '[]', enriched_at = $1, updated_at = $1 \
         WHERE id = $2",
        &[now_ms().into(), id.into()],
    )
    .await?;
    Ok(())
}

/// The identification state of a series, for its detail.
pub(crate) fn identification(column: Option<String>) -> Option<Identification> {
    IdentificationColumn::try_from(column).ok().and_then(|c| c.0)
}

/// A season as a provider describes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderSeason {
    pub number: i64,
    pub title: Option<String>,
    pub plot: Option<String>,
    pub premiered: Option<String>,
}

/// Records the provider's seasons: new ones are added, and a provider's values fill what no
/// `season.nfo` gave.
pub async fn provider_seasons(tx: &mut Tx, series_id: SeriesId, seasons: &[ProviderSeason]) -> Result<()> {
    let now = now_ms();
    for season in seasons {
        tx.execute(
            "INSERT INTO seasons (series_id, number, title, plot, premiered, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (series_id, number) DO UPDATE SET \
                 title = coalesce(seasons.title, excluded.title), plot = coalesce(seasons.plot, excluded.plot), \
                 premiered = coalesce(seasons.premiered, excluded.premiered)",
            &[
                series_id.into(),
                season.number.into(),
                season.title.clone().into(),
                season.plot.clone().into(),
                season.premiered.clone().into(),
                now.into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// An episode as a provider describes it, under the key the series' files use.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderEpisode {
    pub key: EpisodeKey,
    pub season: i64,
    pub episode: i64,
    pub absolute_number: Option<i64>,
    pub fields: EpisodeFields,
}

#[derive(sqlx::FromRow)]
struct KnownEpisode {
    id: EpisodeId,
    key: String,
    locks: Locks,
    field_sources: JsonText<Sources>,
}

/// Writes a provider's episodes: known ones get the provider's values where locks and sources
/// allow (and the numbers they lacked, a daily episode its season and number), unknown ones
/// are added without a video. Returns how many were added.
pub async fn provider_episodes(
    tx: &mut Tx,
    series_id: SeriesId,
    episodes: &[ProviderEpisode],
    source: FieldSource,
    prefer_provider: bool,
) -> Result<usize> {
    let now = now_ms();
    let known: Vec<KnownEpisode> = tx
        .fetch_all("SELECT id, key, locks, field_sources FROM episodes WHERE series_id = $1", &[series_id.into()])
        .await?;
    let known: HashMap<String, KnownEpisode> = known.into_iter().map(|e| (e.key.clone(), e)).collect();
    let mut added = Vec::new();
    for episode in episodes {
        let key = episode.key.to_string();
        let Some(current) = known.get(&key) else {
            added.push((key, episode));
            continue;
        };
        let mut params: Vec<Param> =
            vec![episode.season.into(), episode.episode.into(), episode.absolute_number.into()];
        let mut sets = vec![
            "season = coalesce(season, $1)".to_owned(),
            "episode = coalesce(episode, $2)".to_owned(),
            "absolute_number = coalesce(absolute_number, $3)".to_owned(),
        ];
        let mut sources = current.field_sources.0.clone();
        let written = assignments(
            &[(episode.fields.values(), source)],
            &current.locks.0,
            &mut sources,
            prefer_provider,
            &mut params,
        );
        if !written.is_empty() {
            sets.extend(sets_of(&written));
            params.push(serde_json::to_string(&sources).expect("sources always serialise").into());
            sets.push(format!("field_sources = ${}", params.len()));
        }
        params.push(now.into());
        sets.push(format!("updated_at = ${}", params.len()));
        params.push(current.id.into());
        tx.execute(&format!("UPDATE episodes SET {} WHERE id = ${}", sets.join(", "), params.len()), &params).await?;
    }
    let rows: Vec<NewEpisode<'_>> = added
        .iter()
        .map(|(key, episode)| NewEpisode {
            key: key.clone(),
            season: Some(episode.season),
            episode: Some(episode.episode),
            absolute_number: episode.absolute_number,
            video: None,
            nfo: None,
            fields: &episode.fields,
            sources: episode.fields.values().into_iter().map(|(column, _)| (column.to_owned(), source)).collect(),
        })
        .collect();
    // A scan may have added one meanwhile: its row (with the file) stays.
    insert_episodes(tx, series_id, &rows, OnConflict::Keep).await?;
    Ok(added.len())
}

/// The values of `now` that differ from `before` (an NFO as another program left it, and as
/// Metarr wrote it): what that program changed.
pub fn changed_values(now: Vec<(&'static str, Param)>, before: &[(&'static str, Param)]) -> Vec<(&'static str, Param)> {
    now.into_iter().filter(|(column, value)| !before.iter().any(|(c, v)| c == column && v == value)).collect()
}

/// Writes values another program put in a series' NFO (source `nfo`), where locks and sources
/// allow. Returns the columns written.
pub async fn import_series_values(
    tx: &mut Tx,
    id: SeriesId,
    values: Vec<(&'static str, Param)>,
) -> Result<Vec<&'static str>> {
    let (JsonText(locks), JsonText(mut sources), prefer_provider): (Locks, JsonText<Sources>, bool) = tx
        .fetch_optional(
            "SELECT s.locks, s.field_sources, l.prefer_provider_metadata \
             FROM series s JOIN libraries l ON l.id = s.library_id WHERE s.id = $1",
            &[id.into()],
        )
        .await?
        .ok_or_else(|| CatalogueError::NotFound(format!("series {id} not found")))?;
    write_imported(tx, "series", id.get(), values, &locks, &mut sources, prefer_provider).await
}

/// Writes values another program put in an episode's NFO (source `nfo`), where locks and
/// sources allow. Returns the columns written.
pub async fn import_episode_values(
    tx: &mut Tx,
    series_id: SeriesId,
    key: &str,
    values: Vec<(&'static str, Param)>,
) -> Result<Vec<&'static str>> {
    let row: Option<(EpisodeId, Locks, JsonText<Sources>)> = tx
        .fetch_optional(
            "SELECT id, locks, field_sources FROM episodes WHERE series_id = $1 AND key = $2",
            &[series_id.into(), key.into()],
        )
        .await?;
    let Some((id, JsonText(locks), JsonText(mut sources))) = row else {
        return Ok(Vec::new());
    };
    write_imported(tx, "episodes", id.get(), values, &locks, &mut sources, false).await
}

async fn write_imported(
    tx: &mut Tx,
    table: &str,
    id: i64,
    values: Vec<(&'static str, Param)>,
    locks: &std::collections::BTreeSet<String>,
    sources: &mut Sources,
    prefer_provider: bool,
) -> Result<Vec<&'static str>> {
    let mut params = Vec::new();
    let written = assignments(&[(values, FieldSource::Nfo)], locks, sources, prefer_provider, &mut params);
    if written.is_empty() {
        return Ok(Vec::new());
    }
    let mut sets = sets_of(&written);
    params.push(serde_json::to_string(&sources).expect("sources always serialise").into());
    sets.push(format!("field_sources = ${}", params.len()));
    params.push(now_ms().into());
    sets.push(format!("updated_at = ${}", params.len()));
    params.push(id.into());
    tx.execute(&format!("UPDATE {table} SET {} WHERE id = ${}", sets.join(", "), params.len()), &params).await?;
    Ok(written.into_iter().map(|(column, _)| column).collect())
}
