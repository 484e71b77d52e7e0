//! Radarr and Sonarr integration: webhook payloads, the webhook log, *arr path mappings, and
//! the user-notification settings that webhook events fan out to.

pub mod log;
pub mod mappings;
pub mod notifications;
pub mod paths;
pub mod payload;

use crate::catalogue::Result;
use crate::catalogue::libraries::{self, Library};
use crate::db::Db;
use mappings::PathMapping;
use paths::{Landing, Root};
use serde::Serialize;

/// Where an *arr path lands in Metarr, or exactly why it does not.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Resolution {
    /// The path after mapping (normalised, `/` separators).
    pub mapped_path: String,
    /// The mapping that applied.
    pub mapping: Option<PathMapping>,
    /// The library whose root contains the path.
    pub library: Option<Library>,
    /// The movie folder: the path itself (the *arr's movie folder), or its parent for a file.
    pub movie_folder: Option<String>,
    /// Why it landed where it did, in words a user can act on.
    pub reason: String,
}

impl Resolution {
    /// True when a scan can start: an enabled library and a movie folder inside it.
    pub fn is_scannable(&self) -> bool {
        self.movie_folder.is_some() && self.library.as_ref().is_some_and(|library| library.enabled)
    }
}

/// Maps `path` (a movie folder as the *arr sees it, or a file in one) and finds its library.
pub async fn resolve(db: &Db, path: &str, is_file: bool) -> Result<Resolution> {
    Ok(Places::load(db).await?.resolve(path, is_file))
}

/// The mappings and libraries a path is resolved against, read once, so that a job can resolve
/// paths inside its write transaction without asking the pool for a second connection.
#[derive(Debug, Clone)]
pub struct Places {
    pub mappings: Vec<PathMapping>,
    pub libraries: Vec<Library>,
}

impl Places {
    /// Reads every mapping and library.
    pub async fn load(db: &Db) -> Result<Places> {
        Ok(Places { mappings: mappings::list(db).await?, libraries: libraries::list(db).await? })
    }

    /// `path` through the mappings only.
    pub fn map(&self, path: &str) -> String {
        let pure: Vec<paths::Mapping> = self.mappings.iter().map(paths::Mapping::from).collect();
        paths::map_path(path, &pure).path
    }

    /// See [`resolve`].
    pub fn resolve(&self, path: &str, is_file: bool) -> Resolution {
        resolve_with(path, is_file, &self.mappings, self.libraries.clone())
    }
}

fn resolve_with(path: &str, is_file: bool, mappings: &[PathMapping], libraries: Vec<Library>) -> Resolution {
    let pure: Vec<paths::Mapping> = mappings.iter().map(paths::Mapping::from).collect();
    let mapped = paths::map_path(path, &pure);
    let mapping = mapped.mapping.as_ref().and_then(|m| mappings.iter().find(|full| full.id == m.id).cloned());
    let roots: Vec<Root> =
        libraries.iter().map(|library| Root { library_id: library.id, path: library.path.clone() }).collect();
    let mapped_path = mapped.path.clone();
    // A file's folder is its parent; a path naming an existing file is treated as a file too.
    let is_file = is_file || std::path::Path::new(&mapped_path).is_file();
    let folder = if is_file {
        let split = paths::normalise(&format!("{mapped_path}/.."));
        if split.is_empty() { mapped_path.clone() } else { split }
    } else {
        mapped_path.clone()
    };
    let after = if mapping.is_some() {
        format!("after path mapping: {mapped_path}")
    } else {
        format!("after path mapping: {mapped_path}; no mapping matched")
    };
    let mut resolution = Resolution {
        mapped_path: mapped_path.clone(),
        mapping,
        library: None,
        movie_folder: None,
        reason: String::new(),
    };
    match paths::locate(&folder, &roots) {
        Landing::Inside { library_id, .. } => {
            let library = libraries.into_iter().find(|library| library.id == library_id);
            let name = library.as_ref().map(|l| l.name.clone()).unwrap_or_default();
            resolution.reason = match &library {
                Some(library) if !library.enabled => {
                    format!("{folder} is in library {name:?}, which is disabled ({after})")
                }
                _ => format!("{folder} is a movie folder in library {name:?} ({after})"),
            };
            resolution.library = library;
            resolution.movie_folder = Some(folder);
        }
        Landing::IsRoot { library_id } => {
            let library = libraries.into_iter().find(|library| library.id == library_id);
            resolution.reason = format!(
                "{folder} is the root of library {:?}, not a movie folder inside it ({after})",
                library.as_ref().map(|l| l.name.clone()).unwrap_or_default()
            );
            resolution.library = library;
        }
        Landing::NotLocal => {
            resolution.reason = format!(
                "no library contains {path} ({after}); it is not an absolute path on this machine — add a path \
                 mapping from the *arr's path to Metarr's"
            );
        }
        Landing::Outside => {
            resolution.reason = format!("no library contains {path} ({after})");
        }
    }
    resolution
}
