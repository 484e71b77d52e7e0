//! The Kodi refresh strategy for one changed movie folder (issue 5): refresh the movie in
//! place when Kodi knows it, otherwise make Kodi list the parent folder and scan the
//! folder; never disturb a running scan or (optionally) a playing video. When Kodi's
//! notification socket is reachable, wait for Kodi to confirm the change.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::time::Instant;

use crate::kodi::{KodiEpisode, separator_of, with_trailing_separator};
use crate::{KodiClient, KodiNotification, KodiNotifications, PlayerError};

/// How often to look for a refreshed movie, and how long to wait between looks (5 s in
/// all, generous for one movie: a real Kodi re-adds it within a second).
const RELOOKUP_ATTEMPTS: u32 = 20;
const RELOOKUP_DELAY: Duration = Duration::from_millis(250);

/// How long [`RefreshOptions::default`] waits for Kodi's confirmation: a one-movie scan
/// takes well under a second, but a scan of a folder on a slow network share, or behind
/// a large library's clean-up, can take many seconds.
pub const DEFAULT_CONFIRM_WITHIN: Duration = Duration::from_secs(30);

/// How to treat one refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshOptions {
    /// Report [`RefreshOutcome::Busy`] while a video plays, so the refresh does not make
    /// the player stutter (the player group's "skip while playing").
    pub skip_while_playing: bool,
    /// The artwork bytes changed: drop Kodi's cached textures for the movie's art URLs,
    /// which Kodi would otherwise keep showing.
    pub changed_artwork: bool,
    /// How long to wait for Kodi's notifications once the refresh or scan was requested,
    /// when the client has a notification port. Zero does not listen at all.
    pub confirm_within: Duration,
}

impl Default for RefreshOptions {
    fn default() -> Self {
        Self { skip_while_playing: false, changed_artwork: false, confirm_within: DEFAULT_CONFIRM_WITHIN }
    }
}

/// Why Kodi should be asked again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusyReason {
    /// A video library scan runs; Kodi would drop our request.
    Scanning,
    /// A video plays and the group skips updates while playing.
    Playing,
}

/// What Kodi's notification socket said about a requested refresh or scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// Kodi reported the folder's movie updated (`VideoLibrary.OnUpdate`; for a scan, also
    /// `VideoLibrary.OnScanFinished`).
    Confirmed {
        /// The movie's library id as the notification named it.
        movie_id: i64,
        /// The notification that settled it.
        notification: String,
        /// From the request to that notification.
        after: Duration,
    },
    /// Kodi reported episodes of the series folder updated (after a scan or a refresh of the
    /// series).
    EpisodesConfirmed {
        /// How many episodes of the folder the notifications named.
        episodes: usize,
        /// The notification that settled it.
        notification: String,
        /// From the request to that notification.
        after: Duration,
    },
    /// The scan finished without updating any movie in the folder: Kodi looked and
    /// imported nothing (no video, an excluded name such as "sample", or a source without
    /// the "movies" content type).
    NothingImported {
        /// From the request to `VideoLibrary.OnScanFinished`.
        after: Duration,
    },
    /// No confirming notification within [`RefreshOptions::confirm_within`].
    TimedOut {
        /// How long was waited.
        waited: Duration,
    },
    /// The socket could not be used (closed port, remote control off, the connection
    /// dropped); the refresh went ahead unconfirmed, as without a socket.
    Unavailable {
        /// Why, naming the socket by `host:port`.
        reason: String,
    },
    /// Not asked: no notification port, or a zero [`RefreshOptions::confirm_within`].
    NotRequested,
}

impl Confirmation {
    /// Whether Kodi confirmed the change.
    pub fn is_confirmed(&self) -> bool {
        matches!(self, Self::Confirmed { .. } | Self::EpisodesConfirmed { .. })
    }
}

impl std::fmt::Display for Confirmation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Confirmed { movie_id, notification, after } => {
                write!(f, "Kodi confirmed movie {movie_id} with {notification} after {} ms", after.as_millis())
            }
            Self::EpisodesConfirmed { episodes, notification, after } => write!(
                f,
                "Kodi confirmed {episodes} episode(s) of the series with {notification} after {} ms",
                after.as_millis()
            ),
            Self::NothingImported { after } => write!(
                f,
                "Kodi finished the scan after {} ms but imported nothing from the folder; check that it holds a \
                 video and that Kodi's source for it has the content type \"Movies\" (\"TV shows\" for a series)",
                after.as_millis()
            ),
            Self::TimedOut { waited } => {
                write!(f, "Kodi sent no confirmation within {} ms", waited.as_millis())
            }
            Self::Unavailable { reason } => write!(f, "unconfirmed: notification socket unavailable ({reason})"),
            Self::NotRequested => write!(f, "unconfirmed: not listening to Kodi's notifications"),
        }
    }
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
        /// about 5 s. Without a confirmation Kodi may not have started refreshing yet,
        /// so this may still be the old row.
        new_movie_id: Option<i64>,
        /// How many cached textures were removed.
        textures_removed: usize,
        /// What the notification socket said.
        confirmation: Confirmation,
    },
    /// Kodi knew the series and re-read it with its episodes, then scanned the folder for new
    /// episode files.
    SeriesRefreshed {
        /// The series' library id.
        tvshow_id: i64,
        /// What the notification socket said.
        confirmation: Confirmation,
    },
    /// Kodi knew the series and every changed episode: each was re-read alone.
    EpisodesRefreshed {
        /// The episodes' library ids before the refresh.
        episode_ids: Vec<i64>,
        /// What the notification socket said.
        confirmation: Confirmation,
    },
    /// Kodi did not know the movie: the parent was listed and the folder scanned.
    ScanRequested {
        /// The folder Kodi was asked to scan, as Kodi sees it.
        directory: String,
        /// What the notification socket said.
        confirmation: Confirmation,
    },
}

impl RefreshOutcome {
    /// The confirmation, for outcomes that asked Kodi something.
    pub fn confirmation(&self) -> Option<&Confirmation> {
        match self {
            Self::Busy(_) => None,
            Self::Refreshed { confirmation, .. }
            | Self::ScanRequested { confirmation, .. }
            | Self::SeriesRefreshed { confirmation, .. }
            | Self::EpisodesRefreshed { confirmation, .. } => Some(confirmation),
        }
    }
}

/// Listening to the notification socket, or why not.
enum Watch {
    Listening(KodiNotifications),
    Off(Confirmation),
}

impl Watch {
    /// Subscribes when the client has a notification port and a wait is wanted. A socket
    /// that cannot be reached is no failure: the refresh goes ahead unconfirmed.
    async fn start(client: &KodiClient, options: RefreshOptions) -> Self {
        if options.confirm_within.is_zero() {
            return Self::Off(Confirmation::NotRequested);
        }
        match client.subscribe().await {
            None => Self::Off(Confirmation::NotRequested),
            Some(Ok(socket)) => Self::Listening(socket),
            Some(Err(err)) => {
                tracing::debug!(error = %err, "Kodi's notification socket is unavailable; refreshing unconfirmed");
                Self::Off(Confirmation::Unavailable { reason: err.to_string() })
            }
        }
    }
}

/// The next notification before `requested + within`, or how the wait ended: timed out, or the
/// socket became unavailable (never a failure of the refresh itself).
async fn next_notification(
    socket: &mut KodiNotifications,
    requested: Instant,
    within: Duration,
) -> Result<KodiNotification, Confirmation> {
    match socket.next_before(requested + within).await {
        Ok(Some(notification)) => {
            tracing::debug!(method = notification.method, data = %notification.data, "Kodi notification");
            Ok(notification)
        }
        Ok(None) => Err(Confirmation::TimedOut { waited: requested.elapsed() }),
        Err(err) => Err(Confirmation::Unavailable { reason: err.to_string() }),
    }
}

/// What a confirmation waits for after a request.
#[derive(Debug, Clone, Copy)]
enum Awaited {
    /// The end of the scan of a folder.
    Scan,
    /// The re-added row of a refreshed movie.
    Refresh,
    /// The end of the scan of a series folder (episodes, not movies, are counted).
    SeriesScan,
    /// The re-added episodes of a refreshed series.
    SeriesRefresh,
}

impl Watch {
    /// Waits, at most `within` after `requested`, for Kodi to confirm the request on the
    /// folder `kodi_folder`; without a socket, says why nothing was waited for.
    async fn confirm(
        &mut self,
        client: &KodiClient,
        kodi_folder: &str,
        awaited: Awaited,
        requested: Instant,
        within: Duration,
    ) -> Result<Confirmation, PlayerError> {
        let socket = match self {
            Self::Listening(socket) => socket,
            Self::Off(confirmation) => return Ok(confirmation.clone()),
        };
        let mut updated = BTreeSet::new();
        loop {
            let notification = match next_notification(socket, requested, within).await {
                Ok(notification) => notification,
                Err(ended) => return Ok(ended),
            };
            let confirmed = match awaited {
                Awaited::Scan => scan_ended(client, kodi_folder, &mut updated, notification, requested).await?,
                Awaited::Refresh => movie_readded(client, kodi_folder, notification, requested).await?,
                Awaited::SeriesScan => {
                    series_scan_ended(client, kodi_folder, &mut updated, notification, requested).await?
                }
                Awaited::SeriesRefresh => episode_readded(client, kodi_folder, notification, requested).await?,
            };
            if let Some(confirmation) = confirmed {
                return Ok(confirmation);
            }
        }
    }
}

/// One notification while waiting for the end of the scan of `kodi_folder`: once
/// `OnScanFinished` arrives, the scan is confirmed when an `OnUpdate` (collected in `updated`)
/// named a movie that now lies in the folder (`Scan` answers "OK" even when it imports
/// nothing, see docs/peers/kodi.md, "Scan answers OK"). `None`: keep waiting.
async fn scan_ended(
    client: &KodiClient,
    kodi_folder: &str,
    updated: &mut BTreeSet<i64>,
    notification: KodiNotification,
    requested: Instant,
) -> Result<Option<Confirmation>, PlayerError> {
    match notification.method.as_str() {
        "VideoLibrary.OnUpdate" => updated.extend(notification.movie_id()),
        "VideoLibrary.OnScanFinished" => {
            let after = requested.elapsed();
            let in_folder = client.get_movies_by_path(kodi_folder).await?;
            return Ok(Some(match in_folder.iter().find(|movie| updated.contains(&movie.movieid)) {
                Some(movie) => {
                    Confirmation::Confirmed { movie_id: movie.movieid, notification: notification.method, after }
                }
                None => Confirmation::NothingImported { after },
            }));
        }
        _ => {}
    }
    Ok(None)
}

/// One notification while waiting for the end of the scan of the series folder `kodi_folder`:
/// the episodes that `OnUpdate`s named (collected in `updated`) and that now lie in the folder
/// confirm it once `OnScanFinished` arrives. `None`: keep waiting.
async fn series_scan_ended(
    client: &KodiClient,
    kodi_folder: &str,
    updated: &mut BTreeSet<i64>,
    notification: KodiNotification,
    requested: Instant,
) -> Result<Option<Confirmation>, PlayerError> {
    match notification.method.as_str() {
        "VideoLibrary.OnUpdate" => updated.extend(notification.episode_id()),
        "VideoLibrary.OnScanFinished" => {
            let after = requested.elapsed();
            let in_folder = client.get_episodes_by_path(kodi_folder).await?;
            let episodes = in_folder.iter().filter(|episode| updated.contains(&episode.episodeid)).count();
            return Ok(Some(if episodes > 0 {
                Confirmation::EpisodesConfirmed { episodes, notification: notification.method, after }
            } else {
                Confirmation::NothingImported { after }
            }));
        }
        _ => {}
    }
    Ok(None)
}

/// One notification while waiting for the episodes of a refreshed series: the first `OnUpdate`
/// naming an episode now in the folder confirms it. `None`: keep waiting.
async fn episode_readded(
    client: &KodiClient,
    kodi_folder: &str,
    notification: KodiNotification,
    requested: Instant,
) -> Result<Option<Confirmation>, PlayerError> {
    if notification.method != "VideoLibrary.OnUpdate" {
        return Ok(None);
    }
    let Some(episode_id) = notification.episode_id() else { return Ok(None) };
    let after = requested.elapsed();
    let in_folder = client.get_episodes_by_path(kodi_folder).await?;
    if in_folder.iter().any(|episode| episode.episodeid == episode_id) {
        return Ok(Some(Confirmation::EpisodesConfirmed { episodes: 1, notification: notification.method, after }));
    }
    Ok(None)
}

/// One notification while waiting for the `OnUpdate` of a refreshed movie: `RefreshMovie`
/// sends no scan events, but removes the row (`OnRemove`) and adds it again (`OnUpdate`,
/// observed on Kodi 20.1). An update counts when the movie it names is the one now found in
/// the folder. `None`: keep waiting.
async fn movie_readded(
    client: &KodiClient,
    kodi_folder: &str,
    notification: KodiNotification,
    requested: Instant,
) -> Result<Option<Confirmation>, PlayerError> {
    if notification.method != "VideoLibrary.OnUpdate" {
        return Ok(None);
    }
    let Some(movie_id) = notification.movie_id() else { return Ok(None) };
    let after = requested.elapsed();
    if client.get_movies_by_path(kodi_folder).await?.iter().any(|movie| movie.movieid == movie_id) {
        return Ok(Some(Confirmation::Confirmed { movie_id, notification: notification.method, after }));
    }
    Ok(None)
}

/// Tells Kodi that the series folder `kodi_folder` (already mapped to Kodi's view) changed.
/// When only some episodes changed (`episode_files`, their videos as Kodi sees them) and Kodi
/// knows every one of them, each is re-read alone (`VideoLibrary.RefreshEpisode`): a
/// 500-episode series is not re-read for one new thumb. Otherwise a series Kodi knows is
/// refreshed with its episodes (their NFOs and artwork read again, new files added), and one it
/// does not know has its parent listed and its folder scanned. Busy and confirmation as for
/// movies, counting episodes.
#[tracing::instrument(skip_all, fields(player = %client.endpoint(), folder = kodi_folder))]
pub async fn refresh_series_folder(
    client: &KodiClient,
    kodi_folder: &str,
    episode_files: &[String],
    options: RefreshOptions,
) -> Result<RefreshOutcome, PlayerError> {
    if client.is_scanning().await? {
        return Ok(RefreshOutcome::Busy(BusyReason::Scanning));
    }
    if options.skip_while_playing && client.active_players().await?.iter().any(|player| player.kind == "video") {
        return Ok(RefreshOutcome::Busy(BusyReason::Playing));
    }
    let mut watch = Watch::start(client, options).await;
    if let Some(show) = client.get_tvshows_by_path(kodi_folder).await?.into_iter().next() {
        if !episode_files.is_empty() {
            let known = client.get_episodes_by_path(kodi_folder).await?;
            let changed: Vec<&KodiEpisode> =
                known.iter().filter(|episode| episode_files.contains(&episode.file)).collect();
            let all_known = episode_files.iter().all(|file| changed.iter().any(|episode| episode.file == *file));
            if all_known {
                let requested = Instant::now();
                for episode in &changed {
                    client.refresh_episode(episode.episodeid).await?;
                }
                let confirmation = watch
                    .confirm(client, kodi_folder, Awaited::SeriesRefresh, requested, options.confirm_within)
                    .await?;
                let episode_ids = changed.iter().map(|episode| episode.episodeid).collect();
                return Ok(RefreshOutcome::EpisodesRefreshed { episode_ids, confirmation });
            }
        }
        let requested = Instant::now();
        client.refresh_tvshow(show.tvshowid).await?;
        let confirmation =
            watch.confirm(client, kodi_folder, Awaited::SeriesRefresh, requested, options.confirm_within).await?;
        return Ok(RefreshOutcome::SeriesRefreshed { tvshow_id: show.tvshowid, confirmation });
    }
    if let Some(parent) = parent_of(kodi_folder) {
        client.get_directory(&parent).await.map_err(|err| match err {
            PlayerError::Rpc { player, code: -32602, .. } => PlayerError::OutsideSources { player, path: parent },
            other => other,
        })?;
    }
    let requested = Instant::now();
    client.scan(kodi_folder).await?;
    let confirmation =
        watch.confirm(client, kodi_folder, Awaited::SeriesScan, requested, options.confirm_within).await?;
    Ok(RefreshOutcome::ScanRequested { directory: with_trailing_separator(kodi_folder), confirmation })
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

    // Subscribe before asking anything: Kodi only sends a client the notifications that
    // happen after it connected, and a one-movie scan is over within 100 ms.
    let mut watch = Watch::start(client, options).await;

    let known = client.get_movies_by_path(kodi_folder).await?;
    let Some(movie) = known.into_iter().next() else {
        // Without listing the parent first, Kodi's directory cache may not contain the
        // new folder and the scan skips it as "does not exist" (docs/peers/kodi.md,
        // "Directory cache").
        if let Some(parent) = parent_of(kodi_folder) {
            // Kodi answers "Invalid params." for folders outside its sources (observed on
            // Kodi 20.1); a scan there would silently do nothing, so say what is wrong.
            client.get_directory(&parent).await.map_err(|err| match err {
                PlayerError::Rpc { player, code: -32602, .. } => PlayerError::OutsideSources { player, path: parent },
                other => other,
            })?;
        }
        let requested = Instant::now();
        client.scan(kodi_folder).await?;
        let confirmation = watch.confirm(client, kodi_folder, Awaited::Scan, requested, options.confirm_within).await?;
        return Ok(RefreshOutcome::ScanRequested { directory: with_trailing_separator(kodi_folder), confirmation });
    };

    let requested = Instant::now();
    client.refresh_movie(movie.movieid).await?;
    let confirmation = watch.confirm(client, kodi_folder, Awaited::Refresh, requested, options.confirm_within).await?;
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
        confirmation,
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
