//! *arr path mappings (`remote_path` as Radarr sees it → `local_path` as Metarr sees it).

use super::paths::{self, Mapping, SplitPath};
use crate::catalogue::{CatalogueError, Result, now_ms};
use crate::db::Db;
use serde::{Deserialize, Serialize};

/// A mapping as the API shows it (docs/contracts.md, "Path mapping").
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PathMapping {
    pub id: i64,
    /// The path prefix as Radarr or Sonarr sees it.
    pub remote_path: String,
    /// The same place as Metarr sees it.
    pub local_path: String,
}

/// What a client sends to create or replace a mapping.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PathMappingInput {
    /// The path prefix as Radarr or Sonarr sees it (absolute).
    #[schema(example = "/data/movies")]
    pub remote_path: String,
    /// The same place as Metarr sees it (absolute).
    #[schema(example = "/movies")]
    pub local_path: String,
}

impl From<&PathMapping> for Mapping {
    fn from(m: &PathMapping) -> Mapping {
        Mapping { id: m.id, remote_path: m.remote_path.clone(), local_path: m.local_path.clone() }
    }
}

/// A `path_mappings` row (`id, remote_path, local_path`).
#[derive(sqlx::FromRow)]
struct MappingRow {
    id: i64,
    remote_path: String,
    local_path: String,
}

impl From<MappingRow> for PathMapping {
    fn from(row: MappingRow) -> PathMapping {
        PathMapping { id: row.id, remote_path: row.remote_path, local_path: row.local_path }
    }
}

pub use crate::limits::MAX_PATH_CHARS;

fn validate(input: &PathMappingInput) -> Result<(String, String)> {
    for (name, value) in [("remote_path", &input.remote_path), ("local_path", &input.local_path)] {
        crate::limits::PATH.check(name, value).map_err(|err| CatalogueError::Invalid(err.to_string()))?;
    }
    let remote = input.remote_path.trim();
    if remote.is_empty() {
        return Err(CatalogueError::Invalid("remote_path must not be empty".into()));
    }
    let remote_split = SplitPath::parse(remote);
    if remote_split.render().is_empty() || !(remote.starts_with(['/', '\\']) || remote.get(1..2) == Some(":")) {
        return Err(CatalogueError::Invalid(format!(
            "remote_path {remote:?} must be absolute (/data/movies, D:\\Movies or \\\\server\\share)"
        )));
    }
    let local = input.local_path.trim();
    if !SplitPath::parse(local).is_local_absolute() {
        return Err(CatalogueError::Invalid(format!("local_path {local:?} must be an absolute path on this machine")));
    }
    // Stored as given (trimmed) so the user recognises it; matching normalises anyway.
    Ok((remote.to_owned(), paths::normalise(local)))
}

/// Every mapping, by id.
pub async fn list(db: &Db) -> Result<Vec<PathMapping>> {
    let rows =
        db.fetch_all::<MappingRow>("SELECT id, remote_path, local_path FROM path_mappings ORDER BY id", &[]).await?;
    Ok(rows.into_iter().map(PathMapping::from).collect())
}

/// Every mapping in the form the pure path logic takes.
pub async fn all(db: &Db) -> Result<Vec<Mapping>> {
    Ok(list(db).await?.iter().map(Mapping::from).collect())
}

/// One mapping.
pub async fn get(db: &Db, id: i64) -> Result<PathMapping> {
    let row = db
        .fetch_optional::<MappingRow>(
            "SELECT id, remote_path, local_path FROM path_mappings WHERE id = $1",
            &[id.into()],
        )
        .await?;
    row.map(PathMapping::from).ok_or_else(|| CatalogueError::NotFound(format!("path mapping {id} not found")))
}

fn conflict(remote: &str) -> impl FnOnce(crate::db::DbError) -> CatalogueError + '_ {
    move |err| {
        if err.is_unique_violation() {
            CatalogueError::Conflict(format!("a mapping for remote_path {remote:?} already exists"))
        } else {
            CatalogueError::Db(err)
        }
    }
}

/// Creates a mapping.
pub async fn create(db: &Db, input: &PathMappingInput) -> Result<PathMapping> {
    let (remote, local) = validate(input)?;
    let now = now_ms();
    let rows = db
        .write::<MappingRow>(
            "INSERT INTO path_mappings (remote_path, local_path, created_at, updated_at) VALUES ($1, $2, $3, $3) \
             RETURNING id, remote_path, local_path",
            &[remote.as_str().into(), local.into(), now.into()],
        )
        .await
        .map_err(conflict(&remote))?;
    rows.into_iter().next().map(PathMapping::from).ok_or_else(|| CatalogueError::NotFound("mapping vanished".into()))
}

/// Replaces a mapping.
pub async fn update(db: &Db, id: i64, input: &PathMappingInput) -> Result<PathMapping> {
    let (remote, local) = validate(input)?;
    let rows = db
        .write::<MappingRow>(
            "UPDATE path_mappings SET remote_path = $1, local_path = $2, updated_at = $3 WHERE id = $4 \
             RETURNING id, remote_path, local_path",
            &[remote.as_str().into(), local.into(), now_ms().into(), id.into()],
        )
        .await
        .map_err(conflict(&remote))?;
    rows.into_iter()
        .next()
        .map(PathMapping::from)
        .ok_or_else(|| CatalogueError::NotFound(format!("path mapping {id} not found")))
}

/// Deletes a mapping.
pub async fn delete(db: &Db, id: i64) -> Result<()> {
    let rows = db.write::<(i64,)>("DELETE FROM path_mappings WHERE id = $1 RETURNING id", &[id.into()]).await?;
    if rows.is_empty() {
        return Err(CatalogueError::NotFound(format!("path mapping {id} not found")));
    }
    Ok(())
}
