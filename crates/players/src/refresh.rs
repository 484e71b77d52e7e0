//! The Kodi refresh strategy for one changed movie folder (issue 5): refresh the movie in
//! place when Kodi knows it, otherwise make Kodi list the parent folder and scan the
//! folder; never disturb a running scan or (optionally) a playing video.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::kodi::{separator_of, with_trailing_separator};
use crate::{KodiClient, PlayerError};

/// How often to look for a refreshed movie, and how long to wait between looks (5 s in
/// all, generous for one movie: a real Kodi re-adds it within a second).
const RELOOKUP_ATTEMPTS: u32 = 20;
const RELOOKUP_DELAY: Duration = Duration::from_millis(250);

/// How to treat one refresh.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefreshOptions {
    /// Report [`RefreshOutcome::Busy`] while a video plays, so the refresh does not make
    /// the player stutter (the player group's "skip while playing").
    pub skip_while_playing: bool,
    /// The artwork bytes changed: drop Kodi's cached textures for the movie's art URLs,
    /// which Kodi would otherwise keep showing.
    pub changed_artwork: bool,
}

/// Why Kodi should be asked again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusyReason {
    /// A video library scan runs; Kodi would drop our request.
    Scanning,
    /// A video plays and the group skips updates while playing.
    Playing,
}

/// What [`refresh_movie_folder`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// Nothing was asked; the caller snoozes and tries again.
    Busy(BusyReason),
    /// Kodi knew the movie and re-read it.
    Refreshed {
        /// The id before the refresh.
        old_movie_id: i64,
        /// The id after it (Kodi re-adds the row), when the movie was found again within
        /// about 5 s. Kodi refreshes in the background, so this may still be the old row
        /// when Kodi had not started yet; only the notification socket could tell.
        new_movie_id: Option<i64>,
        /// How many cached textures were removed.
        textures_removed: usize,
    },
    /// Kodi did not know the movie: the parent was listed and the folder scanned.
    ScanRequested {
        /// The folder Kodi was asked to scan, as Kodi sees it.
        directory: String,
    },
}

/// Tells Kodi that the movie folder `kodi_folder` (already mapped to Kodi's view) changed.
#[tracing::instrument(skip_all, fields(player = %client.endpoint(), folder = kodi_folder))]
pub async fn refresh_movie_folder(
    client: &KodiClient,
    kodi_folder: &str,
    options: RefreshOptions,
) -> Result<RefreshOutcome, PlayerError> {
    if client.is_scanning().await? {
        return Ok(RefreshOutcome::Busy(BusyReason::Scanning));
    }
    if options.skip_while_playing && client.active_players().await?.iter().any(|player| player.kind == "video") {
        return Ok(RefreshOutcome::Busy(BusyReason::Playing));
    }

    let known = client.get_movies_by_path(kodi_folder).await?;
    let Some(movie) = known.into_iter().next() else {
        // Without listing the parent first, Kodi's directory cache may not contain the
        // new folder and the scan skips it as "does not exist" (PEERS §3 gotcha 2).
        if let Some(parent) = parent_of(kodi_folder) {
            // Kodi answers "Invalid params." for folders outside its sources (observed on
            // Kodi 20.1); a scan there would silently do nothing, so say what is wrong.
            client.get_directory(&parent).await.map_err(|err| match err {
                PlayerError::Rpc { player, code: -32602, .. } => PlayerError::OutsideSources { player, path: parent },
                other => other,
            })?;
        }
        client.scan(kodi_folder).await?;
        return Ok(RefreshOutcome::ScanRequested { directory: with_trailing_separator(kodi_folder) });
    };

    client.refresh_movie(movie.movieid).await?;
    // RefreshMovie deletes and re-adds the row, possibly under a new id (gotcha 4); the
    // file path is the stable key. Kodi answers "OK" before its refresh job runs, so
    // between the delete and the re-add the movie is briefly missing (seen on the real
    // Kodi 20.1): look again a few times before giving up on the new id.
    let mut refreshed = Vec::new();
    for attempt in 0..RELOOKUP_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(RELOOKUP_DELAY).await;
        }
        refreshed = client.get_movies_by_path(kodi_folder).await?;
        if !refreshed.is_empty() {
            break;
        }
    }
    let new_movie = refreshed.iter().find(|candidate| candidate.file == movie.file).or(refreshed.first());

    let mut textures_removed = 0;
    if options.changed_artwork {
        let art_urls: BTreeSet<&str> = movie
            .art
            .values()
            .chain(new_movie.into_iter().flat_map(|new_movie| new_movie.art.values()))
            .map(String::as_str)
            .collect();
        let mut removed_ids = BTreeSet::new();
        for art_url in art_urls {
            // Kodi 20.1's texture table stores the art URL exactly as the library reports
            // it (`image://<encoded path>/`), as observed on the real Kodi.
            for texture in client.get_textures(art_url).await? {
                if removed_ids.insert(texture.textureid) {
                    client.remove_texture(texture.textureid).await?;
                    textures_removed += 1;
                }
            }
        }
    }
    Ok(RefreshOutcome::Refreshed {
        old_movie_id: movie.movieid,
        new_movie_id: new_movie.map(|new_movie| new_movie.movieid),
        textures_removed,
    })
}

/// The parent folder of a player folder path, with its trailing separator; `None` for a
/// root.
fn parent_of(folder: &str) -> Option<String> {
    let separator = separator_of(folder);
    let trimmed = folder.trim_end_matches(['/', '\\']);
    let cut = trimmed.rfind(separator)?;
    let parent = &trimmed[..=cut];
    // "smb://" alone is no folder.
    if parent.ends_with("//") { None } else { Some(parent.to_owned()) }
}

#[cfg(test)]
mod tests {
    use super::parent_of;

    #[test]
    fn parent_keeps_the_path_style() {
        assert_eq!(parent_of("/media/movies/A (2020)/").as_deref(), Some("/media/movies/"));
        assert_eq!(parent_of("/media/movies/A (2020)").as_deref(), Some("/media/movies/"));
        assert_eq!(parent_of("D:\\Movies\\A (2020)").as_deref(), Some("D:\\Movies\\"));
        assert_eq!(parent_of("smb://nas/movies/A").as_deref(), Some("smb://nas/movies/"));
        assert_eq!(parent_of("smb://nas").as_deref(), None);
        assert_eq!(parent_of("/").as_deref(), None);
    }
}
