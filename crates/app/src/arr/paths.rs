//! Pure path logic for *arr webhooks: mapping a path as Radarr sees it to the path Metarr sees,
//! and deciding which library root contains a path.
//!
//! Everything compares path *components*, never string prefixes, so `/movies` never contains
//! `/movies2`. Paths from an *arr running on Windows (`D:\Movies\…`, `\\server\share\…`) are
//! understood too: separators are normalised, the drive letter and the rest of a Windows path
//! compare case-insensitively (as Windows itself does), and `..` is resolved lexically so that a
//! webhook cannot name a path outside a root by climbing out of it.

use crate::ids::LibraryId;

/// How a path is anchored.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Anchor {
    /// `/…`
    Unix,
    /// `D:\…` (letter upper-cased).
    Drive(char),
    /// `\\server\share\…`: server and share are the first two components.
    Unc,
    /// No anchor: a relative path, which never maps and never lies in a library.
    Relative,
}

/// A path split into its anchor and normalised components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitPath {
    anchor: Anchor,
    components: Vec<String>,
}

impl SplitPath {
    /// Splits any *arr or local path.
    pub fn parse(path: &str) -> SplitPath {
        let path = path.trim();
        let bytes = path.as_bytes();
        let (anchor, rest) = if path.starts_with("\\\\") || path.starts_with("//") {
            (Anchor::Unc, &path[2..])
        } else if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
            (Anchor::Drive(char::from(bytes[0].to_ascii_uppercase())), &path[2..])
        } else if path.starts_with('/') || path.starts_with('\\') {
            (Anchor::Unix, path)
        } else {
            (Anchor::Relative, path)
        };
        // Backslashes separate only in Windows paths: on Linux `\` is a legal name character.
        let windows = matches!(anchor, Anchor::Drive(_) | Anchor::Unc) || path.starts_with('\\');
        let anchor = if path.starts_with('\\') && anchor == Anchor::Unix { Anchor::Unix } else { anchor };
        let mut components: Vec<String> = Vec::new();
        let pieces: Vec<&str> = if windows { rest.split(['/', '\\']).collect() } else { rest.split('/').collect() };
        for piece in pieces {
            match piece {
                "" | "." => {}
                ".." => {
                    components.pop();
                }
                other => components.push(other.to_owned()),
            }
        }
        SplitPath { anchor, components }
    }

    fn is_windows(&self) -> bool {
        matches!(self.anchor, Anchor::Drive(_) | Anchor::Unc)
    }

    /// True when `self` is `other` or lies below it, component by component.
    pub fn starts_with(&self, other: &SplitPath) -> bool {
        if self.anchor != other.anchor || self.anchor == Anchor::Relative {
            return false;
        }
        if other.components.len() > self.components.len() {
            return false;
        }
        let windows = self.is_windows();
        self.components
            .iter()
            .zip(&other.components)
            .all(|(mine, theirs)| if windows { mine.to_lowercase() == theirs.to_lowercase() } else { mine == theirs })
    }

    /// The path as a string with `/` separators (`D:/Movies/X` for a drive path).
    pub fn render(&self) -> String {
        let joined = self.components.join("/");
        match &self.anchor {
            Anchor::Unix => format!("/{joined}"),
            Anchor::Drive(letter) => format!("{letter}:/{joined}"),
            Anchor::Unc => format!("//{joined}"),
            Anchor::Relative => joined,
        }
    }

    /// The components below `prefix` (which `self` must start with).
    fn rest_after(&self, prefix: &SplitPath) -> &[String] {
        &self.components[prefix.components.len().min(self.components.len())..]
    }

    /// True for an absolute local (Unix) path.
    pub fn is_local_absolute(&self) -> bool {
        self.anchor == Anchor::Unix
    }
}

/// A mapping from the path as the *arr sees it to the path as Metarr sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub id: i64,
    pub remote_path: String,
    pub local_path: String,
}

/// The result of mapping one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// The path as Metarr sees it (the input, normalised, when no mapping applied).
    pub path: String,
    /// The mapping that applied: the one with the longest matching remote prefix.
    pub mapping: Option<Mapping>,
}

/// Maps `path` through the mapping whose `remote_path` is its longest component prefix.
pub fn map_path(path: &str, mappings: &[Mapping]) -> Mapped {
    let split = SplitPath::parse(path);
    let best = mappings
        .iter()
        .map(|mapping| (mapping, SplitPath::parse(&mapping.remote_path)))
        .filter(|(_, remote)| remote.anchor != Anchor::Relative && split.starts_with(remote))
        .max_by_key(|(_, remote)| remote.components.len());
    match best {
        Some((mapping, remote)) => {
            let local = SplitPath::parse(&mapping.local_path);
            let mut components = local.components.clone();
            components.extend(split.rest_after(&remote).iter().cloned());
            let mapped = SplitPath { anchor: local.anchor, components };
            Mapped { path: mapped.render(), mapping: Some(mapping.clone()) }
        }
        None => Mapped { path: split.render(), mapping: None },
    }
}

/// A library root, as far as path logic cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    pub library_id: LibraryId,
    pub path: String,
}

/// Where a (mapped) path lands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Landing {
    /// Inside a library: the library and the movie folder (its first level below the root).
    Inside { library_id: LibraryId, movie_folder: String },
    /// Exactly a library root: no movie folder.
    IsRoot { library_id: LibraryId },
    /// Not a local absolute path (an unmapped Windows path, or a relative one).
    NotLocal,
    /// In no library.
    Outside,
}

/// Finds the deepest library root containing `path` (on components) and the movie folder.
pub fn locate(path: &str, roots: &[Root]) -> Landing {
    let split = SplitPath::parse(path);
    if !split.is_local_absolute() {
        return Landing::NotLocal;
    }
    let best = roots
        .iter()
        .map(|root| (root, SplitPath::parse(&root.path)))
        .filter(|(_, root)| split.starts_with(root))
        .max_by_key(|(_, root)| root.components.len());
    match best {
        None => Landing::Outside,
        Some((root, split_root)) if split_root.components.len() == split.components.len() => {
            Landing::IsRoot { library_id: root.library_id }
        }
        Some((root, split_root)) => {
            let mut components = split_root.components.clone();
            components.push(split.components[split_root.components.len()].clone());
            let folder = SplitPath { anchor: Anchor::Unix, components };
            Landing::Inside { library_id: root.library_id, movie_folder: folder.render() }
        }
    }
}

/// Normalises a local path the way [`map_path`] renders it (no trailing or doubled slashes).
pub fn normalise(path: &str) -> String {
    SplitPath::parse(path).render()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(id: i64, remote: &str, local: &str) -> Mapping {
        Mapping { id, remote_path: remote.into(), local_path: local.into() }
    }

    fn mapped(path: &str, mappings: &[Mapping]) -> (String, Option<i64>) {
        let result = map_path(path, mappings);
        (result.path, result.mapping.map(|m| m.id))
    }

    #[test]
    fn no_mapping_passes_the_path_through_normalised() {
        assert_eq!(mapped("/movies/A (2000)/", &[]), ("/movies/A (2000)".into(), None));
        assert_eq!(mapped("/movies//A (2000)/./x.mkv", &[]), ("/movies/A (2000)/x.mkv".into(), None));
    }

    #[test]
    fn prefix_matches_on_components_only() {
        let mappings = [mapping(1, "/movies", "/mnt/films")];
        assert_eq!(mapped("/movies/A/a.mkv", &mappings), ("/mnt/films/A/a.mkv".into(), Some(1)));
        assert_eq!(mapped("/movies", &mappings), ("/mnt/films".into(), Some(1)));
        assert_eq!(mapped("/movies2/A/a.mkv", &mappings), ("/movies2/A/a.mkv".into(), None));
        assert_eq!(mapped("/moviesA", &mappings), ("/moviesA".into(), None));
    }

    #[test]
    fn longest_prefix_wins_whatever_the_order() {
        let mappings = [
            mapping(1, "/data", "/srv/data"),
            mapping(2, "/data/media/movies", "/films"),
            mapping(3, "/data/media", "/srv/media"),
        ];
        assert_eq!(mapped("/data/media/movies/A/a.mkv", &mappings), ("/films/A/a.mkv".into(), Some(2)));
        assert_eq!(mapped("/data/media/tv/S", &mappings), ("/srv/media/tv/S".into(), Some(3)));
        assert_eq!(mapped("/data/other", &mappings), ("/srv/data/other".into(), Some(1)));
    }

    #[test]
    fn trailing_slashes_in_mappings_do_not_matter() {
        let mappings = [mapping(1, "/movies/", "/mnt/films/")];
        assert_eq!(mapped("/movies/A", &mappings), ("/mnt/films/A".into(), Some(1)));
    }

    #[test]
    fn windows_drive_paths_map_with_any_separator_and_case() {
        let mappings = [mapping(1, "D:\\Movies", "/mnt/movies")];
        assert_eq!(mapped("D:\\Movies\\A (2000)\\a.mkv", &mappings), ("/mnt/movies/A (2000)/a.mkv".into(), Some(1)));
        assert_eq!(mapped("d:\\movies\\A (2000)", &mappings), ("/mnt/movies/A (2000)".into(), Some(1)));
        assert_eq!(mapped("D:/Movies/A", &mappings), ("/mnt/movies/A".into(), Some(1)));
        assert_eq!(mapped("D:\\Movies2\\A", &mappings), ("D:/Movies2/A".into(), None));
        assert_eq!(mapped("E:\\Movies\\A", &mappings), ("E:/Movies/A".into(), None));
    }

    #[test]
    fn unc_paths_map() {
        let mappings = [mapping(1, "\\\\nas\\media\\movies", "/mnt/nas/movies")];
        assert_eq!(mapped("\\\\nas\\media\\movies\\A\\a.mkv", &mappings), ("/mnt/nas/movies/A/a.mkv".into(), Some(1)));
        assert_eq!(mapped("\\\\NAS\\Media\\Movies\\A", &mappings), ("/mnt/nas/movies/A".into(), Some(1)));
        assert_eq!(mapped("\\\\nas\\other\\A", &mappings), ("//nas/other/A".into(), None));
        // A drive path never matches a UNC mapping, nor the other way round.
        assert_eq!(mapped("N:\\media\\movies\\A", &mappings).1, None);
    }

    #[test]
    fn unix_paths_are_case_sensitive() {
        let mappings = [mapping(1, "/Movies", "/mnt/movies")];
        assert_eq!(mapped("/movies/A", &mappings).1, None);
    }

    #[test]
    fn dot_dot_cannot_climb_out_of_a_mapping() {
        let mappings = [mapping(1, "/movies", "/mnt/movies")];
        assert_eq!(mapped("/movies/../etc/passwd", &mappings), ("/etc/passwd".into(), None));
        assert_eq!(mapped("/movies/A/../B", &mappings), ("/mnt/movies/B".into(), Some(1)));
    }

    #[test]
    fn backslash_is_a_name_character_in_unix_paths() {
        let split = SplitPath::parse("/movies/odd\\name");
        assert_eq!(split.render(), "/movies/odd\\name");
    }

    fn roots() -> Vec<Root> {
        vec![
            Root { library_id: LibraryId(1), path: "/movies".into() },
            Root { library_id: LibraryId(2), path: "/movies/4k".into() },
            Root { library_id: LibraryId(3), path: "/srv/films/".into() },
        ]
    }

    #[test]
    fn locate_finds_the_deepest_root_and_the_movie_folder() {
        assert_eq!(
            locate("/movies/A (2000)/a.mkv", &roots()),
            Landing::Inside { library_id: LibraryId(1), movie_folder: "/movies/A (2000)".into() }
        );
        assert_eq!(
            locate("/movies/4k/B (2001)", &roots()),
            Landing::Inside { library_id: LibraryId(2), movie_folder: "/movies/4k/B (2001)".into() }
        );
        assert_eq!(
            locate("/srv/films/C/c.mkv", &roots()),
            Landing::Inside { library_id: LibraryId(3), movie_folder: "/srv/films/C".into() }
        );
    }

    #[test]
    fn locate_uses_components_not_string_prefixes() {
        assert_eq!(locate("/movies2/A (2000)", &roots()), Landing::Outside);
        assert_eq!(locate("/srv/filmsX/C", &roots()), Landing::Outside);
    }

    #[test]
    fn locate_reports_roots_and_foreign_paths() {
        assert_eq!(locate("/movies/", &roots()), Landing::IsRoot { library_id: LibraryId(1) });
        assert_eq!(locate("D:\\Movies\\A", &roots()), Landing::NotLocal);
        assert_eq!(locate("relative/A", &roots()), Landing::NotLocal);
        assert_eq!(locate("/movies/../etc", &roots()), Landing::Outside);
        assert_eq!(locate("/tmp/x", &[]), Landing::Outside);
    }
}
