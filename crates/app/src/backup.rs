//! Backups (docs/backups.md): one plain tar file holding a consistent copy of the database taken
//! while Metarr runs (SQLite's `VACUUM INTO`; `pg_dump` for PostgreSQL), the API key and the
//! configuration file, and on request the artwork cache (left out by default: it is rebuilt
//! from the libraries and the providers). `metarr backup`, the daily `backup` schedule (keeping
//! the newest few) and the API make them; `metarr restore` puts one back into an empty data
//! directory (and an empty PostgreSQL schema).

use crate::config::Settings;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The names Metarr gives its backups, and the only ones the API serves.
const PREFIX: &str = "metarr-backup-";
const SUFFIX: &str = ".tar";
/// The manifest inside each backup.
const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "metarr.db";
const PG_DUMP_FILE: &str = "metarr.pgdump";

/// What can go wrong while backing up or restoring.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{operation} {}", path.display())]
    Io {
        operation: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Db(#[from] metarr_db::DbError),
    /// PostgreSQL's own tools are needed and missing.
    #[error("{tool} is not installed: a PostgreSQL backup needs PostgreSQL's client tools (Debian: postgresql-client)")]
    ToolMissing { tool: &'static str },
    #[error("{tool} failed ({status}): {stderr}")]
    ToolFailed { tool: &'static str, status: String, stderr: String },
    /// The file is not one of Metarr's backups, or is damaged.
    #[error("{} is not a Metarr backup: {reason}", path.display())]
    NotABackup { path: PathBuf, reason: String },
    /// Restoring would overwrite something.
    #[error("restore refused: {0}")]
    NotEmpty(String),
    /// The backup's database is of the other backend than the configured one.
    #[error(
        "the backup holds a {backup} database but Metarr is configured for {configured}; set METARR_DATABASE_URL accordingly"
    )]
    WrongBackend { backup: String, configured: String },
}

fn io(operation: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BackupError {
    let path = path.to_owned();
    move |source| BackupError::Io { operation, path, source }
}

/// What a backup says of itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub version: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub with_cache: bool,
    /// PostgreSQL: the schema the dump's tables belong to (a restore goes into a schema of
    /// that name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
}

/// A backup as listed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BackupFile {
    /// `metarr-backup-<date>.tar`: what `GET /backups/{name}` takes.
    pub name: String,
    /// Bytes.
    pub size: u64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Where the scheduled and API backups go.
pub fn backup_dir(settings: &Settings) -> PathBuf {
    settings.data_dir.join("backups")
}

/// Whether a name is one of Metarr's backups (and nothing else: no folders, no other files).
pub fn is_backup_name(name: &str) -> bool {
    name.strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_suffix(SUFFIX))
        .is_some_and(|stamp| !stamp.is_empty() && stamp.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

/// Makes a backup: at `target` when it names a `.tar` file, else in the folder `target` (made
/// if missing) under Metarr's own dated name.
/// The database is copied consistently while Metarr runs; the file appears whole or not at all.
pub async fn create(
    settings: &Settings,
    database: &metarr_db::Database,
    config_file: Option<&Path>,
    target: &Path,
    with_cache: bool,
) -> Result<PathBuf, BackupError> {
    let now = chrono::Utc::now();
    // A folder (existing, or any name not ending in `.tar`) gets a dated backup inside it.
    let is_file_name = !target.is_dir() && target.extension().is_some_and(|ext| ext == "tar");
    let path = if is_file_name {
        target.to_owned()
    } else {
        target.join(format!("{PREFIX}{}{SUFFIX}", now.format("%Y%m%d-%H%M%S-%3f")))
    };
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_owned();
    std::fs::create_dir_all(&folder).map_err(io("creating", &folder))?;
    let work = tempfile::Builder::new()
        .prefix(".metarr-backup")
        .tempdir_in(&folder)
        .map_err(io("creating a folder in", &folder))?;
    let backend = database.backend();
    let (database_file, schema) = match database.snapshot_sqlite_into(&work.path().join(SQLITE_FILE)).await {
        Some(result) => {
            result?;
            (SQLITE_FILE, None)
        }
        None => {
            let schema = current_schema(database).await?;
            pg_dump(settings, &schema, &work.path().join(PG_DUMP_FILE)).await?;
            (PG_DUMP_FILE, Some(schema))
        }
    };
    let manifest = Manifest {
        format: 1,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        backend: backend.as_str().to_owned(),
        created_at: now,
        with_cache,
        schema,
    };
    let data_dir = settings.data_dir.clone();
    let config_file = config_file.map(Path::to_owned);
    let work_path = work.path().to_owned();
    let final_path = path.clone();
    crate::jobs::spawn_blocking_in_span(move || -> Result<(), BackupError> {
        let temp = tempfile::Builder::new()
            .prefix(".metarr-backup")
            .suffix(".part")
            .tempfile_in(&folder)
            .map_err(io("creating a file in", &folder))?;
        let mut archive = tar::Builder::new(std::io::BufWriter::new(temp.as_file()));
        let json = serde_json::to_vec_pretty(&manifest).expect("a manifest always serialises");
        append_bytes(&mut archive, MANIFEST, &json, &final_path)?;
        let db_path = work_path.join(database_file);
        archive.append_path_with_name(&db_path, database_file).map_err(io("archiving", &db_path))?;
        let key = data_dir.join("api_key");
        if key.is_file() {
            archive.append_path_with_name(&key, "api_key").map_err(io("archiving", &key))?;
        }
        if let Some(config) = config_file.filter(|c| c.is_file()) {
            archive.append_path_with_name(&config, "metarr.toml").map_err(io("archiving", &config))?;
        }
        if with_cache {
            let cache = data_dir.join("cache");
            if cache.is_dir() {
                archive.append_dir_all("cache", &cache).map_err(io("archiving", &cache))?;
            }
        }
        let writer = archive.into_inner().map_err(io("writing", &final_path))?;
        drop(writer);
        temp.as_file().sync_all().map_err(io("writing", &final_path))?;
        temp.persist(&final_path).map_err(|err| BackupError::Io {
            operation: "saving",
            path: final_path.clone(),
            source: err.error,
        })?;
        Ok(())
    })
    .await
    .map_err(|err| BackupError::Io {
        operation: "backing up",
        path: path.clone(),
        source: std::io::Error::other(err.to_string()),
    })??;
    Ok(path)
}

fn append_bytes<W: std::io::Write>(
    archive: &mut tar::Builder<W>,
    name: &str,
    bytes: &[u8],
    path: &Path,
) -> Result<(), BackupError> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0));
    header.set_cksum();
    archive.append_data(&mut header, name, bytes).map_err(io("writing", path))
}

/// The PostgreSQL schema Metarr uses (the connection's current one).
async fn current_schema(database: &metarr_db::Database) -> Result<String, BackupError> {
    let row: Option<(String,)> = database.fetch_optional("SELECT current_schema()", &[]).await?;
    Ok(row.map(|(schema,)| schema).unwrap_or_else(|| "public".to_owned()))
}

/// The connection URL for PostgreSQL's tools: Metarr's, with the schema given separately.
fn pg_url(settings: &Settings) -> String {
    settings.database_url.expose().to_owned()
}

async fn pg_dump(settings: &Settings, schema: &str, file: &Path) -> Result<(), BackupError> {
    let output = tokio::process::Command::new("pg_dump")
        .arg("--format=custom")
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg(format!("--schema={schema}"))
        .arg(format!("--file={}", file.display()))
        .arg(format!("--dbname={}", pg_url(settings)))
        .output()
        .await;
    tool_result("pg_dump", output)
}

fn tool_result(tool: &'static str, output: std::io::Result<std::process::Output>) -> Result<(), BackupError> {
    match output {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Err(BackupError::ToolMissing { tool }),
        Err(err) => Err(BackupError::ToolFailed { tool, status: "not started".to_owned(), stderr: err.to_string() }),
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(BackupError::ToolFailed {
            tool,
            status: output.status.to_string(),
            stderr: crate::telemetry::scrub(&String::from_utf8_lossy(&output.stderr)).trim().to_owned(),
        }),
    }
}

/// The backups in `folder`, newest first.
pub fn list(folder: &Path) -> Result<Vec<BackupFile>, BackupError> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(BackupError::Io { operation: "listing", path: folder.to_owned(), source: err }),
    };
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
        let Ok(metadata) = entry.metadata() else { continue };
        if !is_backup_name(&name) || !metadata.is_file() {
            continue;
        }
        let created_at = metadata.modified().map(chrono::DateTime::<chrono::Utc>::from).unwrap_or_default();
        files.push(BackupFile { name, size: metadata.len(), created_at });
    }
    files.sort_by(|a, b| b.name.cmp(&a.name));
    Ok(files)
}

/// Deletes all but the newest `keep` backups of `folder`; returns how many went.
pub fn prune(folder: &Path, keep: usize) -> Result<usize, BackupError> {
    let mut removed = 0;
    for old in list(folder)?.into_iter().skip(keep) {
        let path = folder.join(&old.name);
        std::fs::remove_file(&path).map_err(io("removing", &path))?;
        removed += 1;
    }
    Ok(removed)
}

/// Puts a backup back: the data directory must hold no database and no API key, and for
/// PostgreSQL the configured schema must be empty. Returns the manifest.
pub async fn restore(settings: &Settings, source: &Path) -> Result<Manifest, BackupError> {
    let configured = if settings.database_url.expose().starts_with("postgres") { "postgres" } else { "sqlite" };
    let data_dir = settings.data_dir.clone();
    std::fs::create_dir_all(&data_dir).map_err(io("creating", &data_dir))?;
    for taken in ["api_key", SQLITE_FILE] {
        if data_dir.join(taken).exists() {
            return Err(BackupError::NotEmpty(format!(
                "{} already holds {taken}; restore into an empty data directory",
                data_dir.display()
            )));
        }
    }
    let work = tempfile::Builder::new()
        .prefix(".metarr-restore")
        .tempdir_in(&data_dir)
        .map_err(io("creating a folder in", &data_dir))?;
    let (source_path, work_path) = (source.to_owned(), work.path().to_owned());
    let manifest =
        crate::jobs::spawn_blocking_in_span(move || unpack(&source_path, &work_path)).await.map_err(|err| {
            BackupError::Io {
                operation: "reading",
                path: source.to_owned(),
                source: std::io::Error::other(err.to_string()),
            }
        })??;
    if manifest.backend != configured {
        return Err(BackupError::WrongBackend { backup: manifest.backend.clone(), configured: configured.to_owned() });
    }
    if configured == "postgres" {
        let database = metarr_db::Database::connect(settings.database_url.expose()).await?;
        let (tables,): (i64,) = database
            .fetch_optional("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()", &[])
            .await?
            .unwrap_or((0,));
        if tables > 0 {
            return Err(BackupError::NotEmpty(format!(
                "the configured PostgreSQL schema already holds {tables} tables; restore into an empty one"
            )));
        }
        let schema = current_schema(&database).await?;
        if let Some(dumped) = manifest.schema.as_deref().filter(|dumped| *dumped != schema) {
            return Err(BackupError::NotEmpty(format!(
                "the backup's tables belong to the schema {dumped:?} but Metarr is configured for {schema:?}; \
                 create {dumped:?} and point the connection's search_path at it"
            )));
        }
        // The schema itself exists already (`public`, or one made for Metarr): restore everything
        // but its creation, which would fail on it.
        let dump = work.path().join(PG_DUMP_FILE);
        let listing = tokio::process::Command::new("pg_restore").arg("--list").arg(&dump).output().await;
        let listing = match listing {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(BackupError::ToolMissing { tool: "pg_restore" });
            }
            Err(err) => {
                return Err(BackupError::ToolFailed {
                    tool: "pg_restore",
                    status: "not started".to_owned(),
                    stderr: err.to_string(),
                });
            }
            Ok(output) => output,
        };
        let entries: String = String::from_utf8_lossy(&listing.stdout)
            .lines()
            .filter(|line| !line.contains(" SCHEMA - "))
            .map(|line| format!("{line}\n"))
            .collect();
        let list_file = work.path().join("restore.list");
        std::fs::write(&list_file, entries).map_err(io("writing", &list_file))?;
        let output = tokio::process::Command::new("pg_restore")
            .arg("--no-owner")
            .arg("--no-privileges")
            .arg("--exit-on-error")
            .arg(format!("--use-list={}", list_file.display()))
            .arg(format!("--dbname={}", pg_url(settings)))
            .arg(&dump)
            .output()
            .await;
        tool_result("pg_restore", output)?;
    } else {
        let from = work.path().join(SQLITE_FILE);
        let to = database_file(settings);
        std::fs::rename(&from, &to).map_err(io("restoring", &to))?;
    }
    for (name, to) in [("api_key", data_dir.join("api_key")), ("metarr.toml", data_dir.join("metarr.toml.restored"))] {
        let from = work.path().join(name);
        if from.is_file() {
            std::fs::rename(&from, &to).map_err(io("restoring", &to))?;
        }
    }
    let cache = work.path().join("cache");
    if cache.is_dir() && !data_dir.join("cache").exists() {
        std::fs::rename(&cache, data_dir.join("cache")).map_err(io("restoring", &cache))?;
    }
    Ok(manifest)
}

/// Where the configured SQLite database lives.
fn database_file(settings: &Settings) -> PathBuf {
    let url = settings.database_url.expose();
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    PathBuf::from(path.split('?').next().unwrap_or(path))
}

/// Unpacks a backup into `into` (blocking), checking its manifest and that no entry leaves the
/// folder (the tar crate refuses `..` and absolute names on unpack).
fn unpack(source: &Path, into: &Path) -> Result<Manifest, BackupError> {
    let not = |reason: String| BackupError::NotABackup { path: source.to_owned(), reason };
    let file = std::fs::File::open(source).map_err(io("opening", source))?;
    let mut archive = tar::Archive::new(std::io::BufReader::new(file));
    archive.set_overwrite(false);
    let entries = archive.entries().map_err(|err| not(err.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|err| not(err.to_string()))?;
        let unpacked = entry.unpack_in(into).map_err(|err| not(err.to_string()))?;
        if !unpacked {
            return Err(not("an entry would leave the folder".to_owned()));
        }
    }
    let manifest = std::fs::read(into.join(MANIFEST)).map_err(|_| not("it has no manifest.json".to_owned()))?;
    let manifest: Manifest = serde_json::from_slice(&manifest).map_err(|err| not(format!("its manifest: {err}")))?;
    if manifest.format != 1 {
        return Err(not(format!("format {} is newer than this Metarr reads", manifest.format)));
    }
    let database = if manifest.backend == "postgres" { PG_DUMP_FILE } else { SQLITE_FILE };
    if !into.join(database).is_file() {
        return Err(not(format!("it holds no {database}")));
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_metarrs_own_names_are_backups() {
        assert!(is_backup_name("metarr-backup-20261205-033000-123.tar"));
        for other in [
            "metarr-backup-.tar",
            "metarr-backup-2026.tar.gz",
            "../metarr-backup-1.tar",
            "metarr-backup-1/../x.tar",
            "api_key",
            "metarr-backup-1.tar\0",
        ] {
            assert!(!is_backup_name(other), "{other:?}");
        }
    }

    #[test]
    fn pruning_keeps_the_newest() {
        let dir = tempfile::tempdir().expect("dir");
        for stamp in ["20261201", "20261202", "20261203", "20261204"] {
            std::fs::write(dir.path().join(format!("{PREFIX}{stamp}{SUFFIX}")), b"x").expect("file");
        }
        std::fs::write(dir.path().join("notes.txt"), b"kept").expect("file");
        assert_eq!(prune(dir.path(), 2).expect("prune"), 2);
        let left: Vec<String> = list(dir.path()).expect("list").into_iter().map(|b| b.name).collect();
        assert_eq!(left, ["metarr-backup-20261204.tar", "metarr-backup-20261203.tar"]);
        assert!(dir.path().join("notes.txt").exists(), "other files stay");
    }

    #[test]
    fn a_file_that_is_not_a_backup_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().expect("dir");
        let bogus = dir.path().join("bogus.tar");
        std::fs::write(&bogus, b"not a tar at all, just text").expect("file");
        let into = dir.path().join("into");
        std::fs::create_dir(&into).expect("dir");
        let error = unpack(&bogus, &into).expect_err("refused");
        assert!(error.to_string().contains("is not a Metarr backup"), "{error}");
        // A tar without a manifest.
        let empty = dir.path().join("empty.tar");
        let mut builder = tar::Builder::new(std::fs::File::create(&empty).expect("file"));
        let mut header = tar::Header::new_gnu();
        header.set_size(2);
        header.set_cksum();
        builder.append_data(&mut header, "hello.txt", &b"hi"[..]).expect("entry");
        builder.finish().expect("finish");
        let error = unpack(&empty, &into).expect_err("refused");
        assert!(error.to_string().contains("no manifest.json"), "{error}");
    }
}
