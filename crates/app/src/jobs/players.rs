//! `notify-kodi`, `notify-jellyfin`, `notify-plex`: tell one player group that a movie folder
//! changed.
//!
//! The payload holds the group id and the folder as Metarr sees it; the group (players,
//! credentials, path mappings) is read when the job runs, so secrets never sit in the job
//! table and a fixed setting applies to the retries. The folder is mapped through the group's
//! path mappings, then the group's players are tried in order (the next one only when a player
//! cannot be reached). Connection failures back off, and each job names its group as the
//! circuit breaker's service so that a dead group stops being hammered; a 401, a wrong product
//! or a path the player does not cover fails permanently with what to fix. Kodi busy scanning
//! (or playing, with "skip while playing") snoozes the job: nothing is dropped.
//!
//! A Kodi job listens to the player's notification socket while it asks, and waits (at most
//! [`CONFIRM_WITHIN`]) for Kodi to confirm the change; the job's final progress message says
//! whether Kodi confirmed it. An unreachable socket leaves the refresh unconfirmed, which is
//! no failure: Kodi binds it to loopback unless remote control from other systems is on.

use crate::db::{Db, Tx};
use crate::players::{self, GroupKind, PlayerGroup};
use async_trait::async_trait;
use metarr_players::{PlayerError, RefreshOptions, RefreshOutcome, map_path, refresh_movie_folder, try_in_order};
use metarr_queue::{Handler, JobContext, JobError, JobId, JobKind, NewJob, job_kind};
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use std::time::Duration;

/// How long a job waits while Kodi scans or plays.
pub const BUSY_SNOOZE: Duration = Duration::from_secs(30);
/// Per-request timeout towards a player.
pub const PLAYER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a Kodi job waits for Kodi's confirmation on the notification socket. One movie is
/// confirmed within about 100 ms on a real Kodi; a scan behind a slow network share takes
/// longer, and an unconfirmed refresh still succeeds.
pub const CONFIRM_WITHIN: Duration = Duration::from_secs(30);

/// What every player refresh job carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerRefresh {
    pub group_id: i64,
    /// The movie folder as Metarr sees it.
    pub folder: String,
    /// The artwork bytes changed (Kodi drops its cached textures).
    #[serde(default)]
    pub changed_artwork: bool,
    /// The folder is a TV series' (Kodi refreshes the series and its episodes, not a movie).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub series: bool,
    /// For a series: the videos (as Metarr sees them) of the only episodes that changed, which
    /// Kodi re-reads one by one; empty when the series itself changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub episodes: Vec<String>,
}

/// `notify-kodi`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NotifyKodi(pub PlayerRefresh);

/// `notify-jellyfin`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NotifyJellyfin(pub PlayerRefresh);

/// `notify-plex`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NotifyPlex(pub PlayerRefresh);

job_kind!(NotifyKodi = "notify-kodi", attempts: 8, priority: 5);

job_kind!(NotifyJellyfin = "notify-jellyfin", attempts: 8, priority: 5);

job_kind!(NotifyPlex = "notify-plex", attempts: 8, priority: 5);

/// A player refresh job kind: which group kind it serves.
pub trait PlayerKind: JobKind {
    const GROUP_KIND: GroupKind;
    fn refresh(&self) -> &PlayerRefresh;
}

impl PlayerKind for NotifyKodi {
    const GROUP_KIND: GroupKind = GroupKind::Kodi;
    fn refresh(&self) -> &PlayerRefresh {
        &self.0
    }
}

impl PlayerKind for NotifyJellyfin {
    const GROUP_KIND: GroupKind = GroupKind::Jellyfin;
    fn refresh(&self) -> &PlayerRefresh {
        &self.0
    }
}

impl PlayerKind for NotifyPlex {
    const GROUP_KIND: GroupKind = GroupKind::Plex;
    fn refresh(&self) -> &PlayerRefresh {
        &self.0
    }
}

/// The unique key that folds a burst of changes to one folder into one refresh per group.
pub fn unique_key(group_id: i64, folder: &str) -> String {
    format!("notify-player:{group_id}:{folder}")
}

/// The job refreshing `folder` on the group `group_id` of `kind`.
pub fn job_for(kind: GroupKind, refresh: PlayerRefresh) -> NewJob {
    let key = unique_key(refresh.group_id, &refresh.folder);
    job_of(kind, refresh).unique_key(key)
}

fn job_of(kind: GroupKind, refresh: PlayerRefresh) -> NewJob {
    match kind {
        GroupKind::Kodi => NewJob::of(&NotifyKodi(refresh)),
        GroupKind::Jellyfin => NewJob::of(&NotifyJellyfin(refresh)),
        GroupKind::Plex => NewJob::of(&NotifyPlex(refresh)),
    }
}

/// Enqueues one refresh job per enabled player group for a changed movie folder (a Metarr
/// path), atomically with the caller's writes. Groups are read inside `tx`, never through the
/// pool. A job already pending for the same group and folder is reused, unless this change has
/// new artwork it would not drop textures for; a job already running may have read the
/// folder before this change, so one follow-up is queued after it (itself reused by further
/// changes while it waits).
pub async fn enqueue_player_refresh(tx: &mut Tx, folder: &str, changed_artwork: bool) -> crate::db::Result<Vec<JobId>> {
    enqueue_refresh(tx, folder, changed_artwork, None).await
}

/// [`enqueue_player_refresh`] for a TV series' folder; `episodes` names the videos of the only
/// episodes that changed (empty: the series changed).
pub async fn enqueue_series_refresh(
    tx: &mut Tx,
    folder: &str,
    changed_artwork: bool,
    episodes: &[String],
) -> crate::db::Result<Vec<JobId>> {
    enqueue_refresh(tx, folder, changed_artwork, Some(episodes)).await
}

async fn enqueue_refresh(
    tx: &mut Tx,
    folder: &str,
    changed_artwork: bool,
    series: Option<&[String]>,
) -> crate::db::Result<Vec<JobId>> {
    let groups = players::enabled_groups_in(tx).await?;
    let mut ids = Vec::with_capacity(groups.len());
    for (group_id, kind_name) in groups {
        let Some(kind) = GroupKind::parse(&kind_name) else {
            tracing::warn!(group_id, kind = kind_name, "skipping a player group of unknown kind");
            continue;
        };
        let refresh = PlayerRefresh {
            group_id,
            folder: folder.to_owned(),
            changed_artwork,
            series: series.is_some(),
            episodes: series.map(<[String]>::to_vec).unwrap_or_default(),
        };
        let enqueued = tx.enqueue(job_for(kind, refresh.clone())).await?;
        let existing = &enqueued.job;
        let misses_artwork = changed_artwork && existing.payload["changed_artwork"] != serde_json::Value::Bool(true);
        // A waiting refresh of a few episodes does not cover a change of others or of the series.
        let misses_episodes = serde_json::from_value::<PlayerRefresh>(existing.payload.clone())
            .is_ok_and(|waiting| !waiting.episodes.is_empty() && waiting.episodes != refresh.episodes);
        if !enqueued.created && (existing.state == metarr_queue::JobState::Running || misses_artwork || misses_episodes)
        {
            let key = format!("{}:after:{}", unique_key(group_id, folder), existing.id);
            ids.push(tx.enqueue(job_of(kind, refresh).unique_key(key)).await?.job.id);
        } else {
            ids.push(existing.id);
        }
    }
    Ok(ids)
}

/// Runs one player refresh kind.
pub struct PlayerRefreshHandler<K> {
    db: Db,
    kind: PhantomData<fn() -> K>,
}

impl<K> PlayerRefreshHandler<K> {
    /// A handler reading groups from `db`.
    pub fn new(db: Db) -> PlayerRefreshHandler<K> {
        PlayerRefreshHandler { db, kind: PhantomData }
    }
}

/// Maps a player failure onto the queue's control flow.
fn job_error(group: &PlayerGroup, err: &PlayerError) -> JobError {
    if err.is_connection_failure() {
        JobError::Retryable(format!("player group {:?}: {err}", group.name))
    } else if err.is_permanent() {
        JobError::Permanent(format!(
            "player group {:?}: {err}; fix the player's credentials, address or the group's path mappings, \
             then retry the job",
            group.name
        ))
    } else {
        JobError::Retryable(format!("player group {:?}: {err}", group.name))
    }
}

/// One line saying what Kodi was asked and whether it confirmed, e.g. "scan of /movies/A/
/// requested; Kodi confirmed movie 3 with VideoLibrary.OnScanFinished after 84 ms".
fn kodi_summary(outcome: &RefreshOutcome, folder: &str) -> String {
    let asked = match outcome {
        RefreshOutcome::Busy(_) => return format!("Kodi was busy; {folder} not refreshed yet"),
        RefreshOutcome::ScanRequested { directory, .. } => format!("scan of {directory} requested"),
        RefreshOutcome::Refreshed { old_movie_id, new_movie_id, textures_removed, .. } => {
            let new_id = new_movie_id.map_or_else(|| "not found again yet".to_owned(), |id| format!("now {id}"));
            format!("movie {old_movie_id} refreshed ({new_id}; {textures_removed} cached textures removed)")
        }
        RefreshOutcome::SeriesRefreshed { tvshow_id, .. } => format!("series {tvshow_id} refreshed with its episodes"),
        RefreshOutcome::EpisodesRefreshed { episode_ids, .. } => {
            format!("{} episode(s) refreshed alone ({episode_ids:?})", episode_ids.len())
        }
    };
    match outcome.confirmation() {
        Some(confirmation) => format!("{asked}; {confirmation}"),
        None => asked,
    }
}

fn build_error(group: &PlayerGroup, err: &PlayerError) -> JobError {
    JobError::Permanent(format!("player group {:?}: {err}", group.name))
}

#[async_trait]
impl<K: PlayerKind> Handler for PlayerRefreshHandler<K> {
    type Job = K;

    async fn run(&self, ctx: JobContext, job: K) -> Result<(), JobError> {
        let refresh = job.refresh();
        let group = match players::get(&self.db, refresh.group_id).await {
            Ok(group) => group,
            Err(crate::catalogue::CatalogueError::NotFound(_)) => {
                // Deleted after the job was queued: nobody wants this refresh any more.
                tracing::info!(group_id = refresh.group_id, "player group gone; nothing to refresh");
                return Ok(());
            }
            Err(err) => return Err(JobError::retryable(err)),
        };
        if !group.enabled {
            return Ok(());
        }
        if group.kind != K::GROUP_KIND {
            return Err(JobError::Permanent(format!(
                "player group {:?} is a {} group, not {}",
                group.name,
                group.kind.as_str(),
                K::GROUP_KIND.as_str()
            )));
        }
        if group.players.is_empty() {
            return Err(JobError::Permanent(format!(
                "player group {:?} has no players; add one to the group",
                group.name
            )));
        }
        let Some(mapped) = map_path(&group.mappings(), &refresh.folder) else {
            return Err(JobError::Permanent(format!(
                "player group {:?} has no path mapping for {}; add a mapping from the Metarr folder (local_path) \
                 to the folder as the player sees it (remote_path)",
                group.name, refresh.folder
            )));
        };
        match group.kind {
            GroupKind::Kodi => {
                let clients = group
                    .players
                    .iter()
                    .map(|p| p.kodi(PLAYER_TIMEOUT))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|err| build_error(&group, &err))?;
                let options = RefreshOptions {
                    skip_while_playing: group.skip_while_playing,
                    changed_artwork: refresh.changed_artwork,
                    confirm_within: CONFIRM_WITHIN,
                };
                let folder: &str = &mapped;
                // The published images, named to Kodi after a refresh: Kodi's refresh of a
                // movie it knows does not look for artwork files written since its last scan.
                let art = if refresh.changed_artwork {
                    published_art(&self.db, &refresh.folder, &group).await.map_err(JobError::retryable)?
                } else {
                    std::collections::BTreeMap::new()
                };
                let art = &art;
                let series = refresh.series;
                // Each episode's video as Kodi sees it; one without a mapping means the series.
                let episode_files: Vec<String> = refresh
                    .episodes
                    .iter()
                    .map(|video| map_path(&group.mappings(), video))
                    .collect::<Option<_>>()
                    .unwrap_or_default();
                let episode_files = &episode_files;
                let refreshed = try_in_order(&clients, move |client| async move {
                    if series {
                        return metarr_players::refresh_series_folder(client, folder, episode_files, options).await;
                    }
                    let outcome = refresh_movie_folder(client, folder, options).await?;
                    if let RefreshOutcome::Refreshed { new_movie_id: Some(movie_id), .. } = &outcome
                        && !art.is_empty()
                    {
                        client.set_movie_art(*movie_id, art).await?;
                    }
                    Ok(outcome)
                })
                .await;
                match refreshed {
                    Ok(RefreshOutcome::Busy(reason)) => {
                        count_refresh("kodi", "busy");
                        tracing::info!(group = group.name, ?reason, "Kodi is busy; snoozing the refresh");
                        Err(JobError::Snooze(BUSY_SNOOZE))
                    }
                    Ok(outcome) => {
                        count_refresh("kodi", "refreshed");
                        if let Some(confirmation) = outcome.confirmation() {
                            metrics::counter!(
                                "metarr_player_confirmations_total",
                                "kind" => "kodi",
                                "result" => confirmation_label(confirmation)
                            )
                            .increment(1);
                        }
                        let summary = kodi_summary(&outcome, &mapped);
                        tracing::info!(
                            group = group.name,
                            confirmed = outcome.confirmation().is_some_and(|c| c.is_confirmed()),
                            ?outcome,
                            "{summary}"
                        );
                        // The last progress message stays on the finished job: it is the job's
                        // result as the API and the UI show it.
                        ctx.progress(100.0, summary).await;
                        Ok(())
                    }
                    Err(err) => {
                        count_refresh("kodi", "failed");
                        Err(job_error(&group, &err))
                    }
                }
            }
            GroupKind::Jellyfin => {
                let clients = group
                    .players
                    .iter()
                    .map(|p| p.jellyfin(PLAYER_TIMEOUT))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|err| build_error(&group, &err))?;
                let paths = vec![mapped];
                let paths: &[String] = &paths;
                let updated = try_in_order(&clients, move |client| client.media_updated(paths)).await;
                count_refresh("jellyfin", if updated.is_ok() { "refreshed" } else { "failed" });
                updated.map_err(|err| job_error(&group, &err))
            }
            GroupKind::Plex => {
                let clients = group
                    .players
                    .iter()
                    .map(|p| p.plex(PLAYER_TIMEOUT))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|err| build_error(&group, &err))?;
                let path: &str = &mapped;
                let refreshed = try_in_order(&clients, move |client| client.refresh_path(path)).await;
                count_refresh("plex", if refreshed.is_ok() { "refreshed" } else { "failed" });
                refreshed.map(drop).map_err(|err| job_error(&group, &err))
            }
        }
    }

    fn service(&self, job: &K) -> Option<String> {
        Some(format!("player-group:{}", job.refresh().group_id))
    }
}

/// Counts a player refresh for `/metrics`.
fn count_refresh(kind: &'static str, outcome: &'static str) {
    metrics::counter!("metarr_player_refreshes_total", "kind" => kind, "outcome" => outcome).increment(1);
}

/// What a Kodi confirmation said, as a label.
fn confirmation_label(confirmation: &metarr_players::Confirmation) -> &'static str {
    use metarr_players::Confirmation;
    match confirmation {
        Confirmation::Confirmed { .. } | Confirmation::EpisodesConfirmed { .. } => "confirmed",
        Confirmation::NothingImported { .. } => "nothing_imported",
        Confirmation::TimedOut { .. } => "timed_out",
        Confirmation::Unavailable { .. } => "unavailable",
        Confirmation::NotRequested => "not_requested",
    }
}

/// The first image of each slot Metarr published into `folder`, as art type → path in the
/// group's view (Kodi's art types are Metarr's slot names).
async fn published_art(
    db: &Db,
    folder: &str,
    group: &crate::players::PlayerGroup,
) -> crate::db::Result<std::collections::BTreeMap<String, String>> {
    let rows: Vec<(String, String)> = db
        .fetch_all(
            "SELECT p.slot, p.path FROM published_files p JOIN movies m ON m.id = p.movie_id \
             WHERE m.folder = $1 AND p.kind = 'artwork' AND p.slot IS NOT NULL AND p.slot_index = 0",
            &[folder.into()],
        )
        .await?;
    let mappings = group.mappings();
    Ok(rows.into_iter().filter_map(|(slot, path)| Some((slot, map_path(&mappings, &path)?))).collect())
}

/// Registers the three kinds.
pub fn register(registry: &mut metarr_queue::Registry, db: &Db) {
    registry.register(PlayerRefreshHandler::<NotifyKodi>::new(db.clone()));
    registry.register(PlayerRefreshHandler::<NotifyJellyfin>::new(db.clone()));
    registry.register(PlayerRefreshHandler::<NotifyPlex>::new(db.clone()));
}
