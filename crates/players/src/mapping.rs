//! Path mapping from Metarr's view of a folder to a player's view (containers and other
//! machines mount the same library elsewhere). Pure string work: the player's paths may
//! be Windows paths or `smb://` URLs that mean nothing on this machine.

/// One mapping, named as the API names path mappings (docs/contracts.md, "Path mapping").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathMapping {
    /// The folder as the player sees it (`D:\Movies`, `smb://nas/movies`, `/storage/movies`).
    pub remote_path: String,
    /// The folder as Metarr sees it.
    pub local_path: String,
}

/// Maps a Metarr path to the player's path with the mapping whose `local_path` is the
/// longest prefix of `local` in whole path components ("/data/movies" does not match
/// "/data/movies2"). The remainder is joined with the remote path's separator. `None`
/// when no mapping applies.
pub fn map_path(mappings: &[PathMapping], local: &str) -> Option<String> {
    let local_components = components(local);
    let (mapping, prefix_len) = mappings
        .iter()
        .filter_map(|mapping| {
            let prefix = components(&mapping.local_path);
            (prefix.len() <= local_components.len() && local_components[..prefix.len()] == prefix[..])
                .then_some((mapping, prefix.len()))
        })
        .max_by_key(|(_, prefix_len)| *prefix_len)?;

    let separator = remote_separator(&mapping.remote_path);
    let mut remote = mapping.remote_path.trim_end_matches(['/', '\\']).to_owned();
    for component in &local_components[prefix_len..] {
        remote.push(separator);
        remote.push_str(component);
    }
    if remote.is_empty() || remote.ends_with(':') {
        // A mapping to "/" or "D:\" keeps its root separator.
        remote.push(separator);
    }
    Some(remote)
}

/// Path components, splitting on both separators and ignoring empty ones, so trailing
/// separators and doubled slashes do not matter.
fn components(path: &str) -> Vec<&str> {
    path.split(['/', '\\']).filter(|component| !component.is_empty()).collect()
}

/// Backslash for Windows-style remote paths, slash otherwise (URLs, Unix paths).
fn remote_separator(remote: &str) -> char {
    if remote.contains('\\') && !remote.contains('/') { '\\' } else { '/' }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(local: &str, remote: &str) -> PathMapping {
        PathMapping { local_path: local.to_owned(), remote_path: remote.to_owned() }
    }

    #[test]
    fn longest_component_prefix_wins() {
        let mappings = [mapping("/data", "/storage"), mapping("/data/movies", "/media/films")];
        assert_eq!(map_path(&mappings, "/data/movies/A (2020)").as_deref(), Some("/media/films/A (2020)"));
        assert_eq!(map_path(&mappings, "/data/tv/B").as_deref(), Some("/storage/tv/B"));
    }

    #[test]
    fn prefix_must_end_on_a_component_boundary() {
        let mappings = [mapping("/data/movies", "/media/films")];
        assert_eq!(map_path(&mappings, "/data/movies2/A"), None);
        assert_eq!(map_path(&mappings, "/data/movies").as_deref(), Some("/media/films"));
        assert_eq!(map_path(&mappings, "/data/movies/").as_deref(), Some("/media/films"));
    }

    #[test]
    fn windows_players_get_backslashes() {
        let mappings = [mapping("/data/movies/", "D:\\Movies\\")];
        assert_eq!(map_path(&mappings, "/data/movies/A (2020)/a.mkv").as_deref(), Some("D:\\Movies\\A (2020)\\a.mkv"));
    }

    #[test]
    fn smb_urls_keep_slashes() {
        let mappings = [mapping("/data/movies", "smb://nas/movies/")];
        assert_eq!(map_path(&mappings, "/data/movies/A").as_deref(), Some("smb://nas/movies/A"));
    }

    #[test]
    fn windows_local_paths_map_too() {
        let mappings = [mapping("C:\\Media", "/mnt/media")];
        assert_eq!(map_path(&mappings, "C:\\Media\\Movies\\A").as_deref(), Some("/mnt/media/Movies/A"));
    }

    #[test]
    fn roots_keep_their_separator() {
        assert_eq!(map_path(&[mapping("/data", "/")], "/data").as_deref(), Some("/"));
        assert_eq!(map_path(&[mapping("/data", "D:\\")], "/data").as_deref(), Some("D:\\"));
        assert_eq!(map_path(&[mapping("/", "/srv")], "/x/y").as_deref(), Some("/srv/x/y"));
    }

    #[test]
    fn no_mapping_no_path() {
        assert_eq!(map_path(&[], "/data/movies"), None);
    }
}
