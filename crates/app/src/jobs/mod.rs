//! The job kinds this binary runs, and the registry that hands them to the worker.

pub mod artwork;
pub mod backup;
pub mod cleanup;
pub mod debug_sleep;
pub mod enrich;
pub mod file_scan;
mod group_commit;
pub mod notify;
pub mod players;
pub mod publish;
pub mod scan;
pub mod tv_scan;
pub mod webhook;

use metarr_queue::{KindOptions, Registry};

/// Name of the schedule that prunes old jobs.
pub const CLEANUP_SCHEDULE: &str = "cleanup";
/// Every night at 03:00 server time, when nobody is watching.
pub const CLEANUP_CRON: &str = "0 3 * * *";

/// What a job kind belongs to, for the rules that treat kinds alike (which failures are
/// announced) without reading their names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobFamily {
    /// Reading libraries: discovery, folders, artwork, one movie's folder, scheduled scans.
    Scan,
    /// Acting on a Radarr/Sonarr event.
    Webhook,
    /// Telling the user (Discord, Pushover, email).
    Notify,
    /// Asking a media player to refresh.
    Player,
    /// Housekeeping and diagnostics.
    Maintenance,
    /// Describing movies from the metadata providers.
    Enrich,
    /// Writing into libraries and checking what was written.
    Publish,
}

/// Every kind this binary runs, with its family: the one list of kinds ([`registry`] registers
/// exactly these, which debug builds check).
pub const KINDS: &[(&str, JobFamily)] = {
    use metarr_queue::JobKind;
    &[
        (scan::LibraryScan::KIND, JobFamily::Scan),
        (scan::DirectoryScan::KIND, JobFamily::Scan),
        (scan::CacheAsset::KIND, JobFamily::Scan),
        (webhook::ScanMovie::KIND, JobFamily::Scan),
        (tv_scan::SeriesScanJob::KIND, JobFamily::Scan),
        (tv_scan::SeasonProbeJob::KIND, JobFamily::Scan),
        (tv_scan::ScanSeries::KIND, JobFamily::Scan),
        (file_scan::ScheduledFileScan::KIND, JobFamily::Scan),
        (webhook::WebhookReceived::KIND, JobFamily::Webhook),
        (notify::NotifyDiscord::KIND, JobFamily::Notify),
        (notify::NotifyPushover::KIND, JobFamily::Notify),
        (notify::NotifyEmail::KIND, JobFamily::Notify),
        (players::NotifyKodi::KIND, JobFamily::Player),
        (players::NotifyJellyfin::KIND, JobFamily::Player),
        (players::NotifyPlex::KIND, JobFamily::Player),
        (enrich::EnrichMetadata::KIND, JobFamily::Enrich),
        (enrich::EnrichRatings::KIND, JobFamily::Enrich),
        (enrich::ScanEnrich::KIND, JobFamily::Enrich),
        (enrich::EnrichSeries::KIND, JobFamily::Enrich),
        (enrich::EnrichSeriesRatings::KIND, JobFamily::Enrich),
        (enrich::ScheduledProviderUpdate::KIND, JobFamily::Enrich),
        (artwork::SelectArtwork::KIND, JobFamily::Enrich),
        (artwork::SelectSeriesArtwork::KIND, JobFamily::Enrich),
        (artwork::CacheHeadshots::KIND, JobFamily::Enrich),
        (backup::ScheduledBackup::KIND, JobFamily::Maintenance),
        (publish::Publish::KIND, JobFamily::Publish),
        (publish::PublishBatch::KIND, JobFamily::Publish),
        (publish::PublishSeries::KIND, JobFamily::Publish),
        (publish::VerifyMovie::KIND, JobFamily::Publish),
        (publish::Verify::KIND, JobFamily::Publish),
        (publish::ScheduledVerification::KIND, JobFamily::Publish),
        (cleanup::ScheduledCleanup::KIND, JobFamily::Maintenance),
        (debug_sleep::DebugSleep::KIND, JobFamily::Maintenance),
    ]
};

impl JobFamily {
    /// The family of a kind; `None` for a kind this binary does not run.
    pub fn of(kind: &str) -> Option<JobFamily> {
        KINDS.iter().find(|(name, _)| *name == kind).map(|(_, family)| *family)
    }
}

/// `spawn_blocking` inside the current span (a job's): tokio's blocking threads inherit no
/// span, and what the blocking work logs must still name its job.
pub(crate) fn spawn_blocking_in_span<F, R>(work: F) -> tokio::task::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(work))
}

/// Every handler of the app, configured from settings.
pub fn registry(retention: cleanup::Retention, scan_services: &std::sync::Arc<scan::ScanServices>) -> Registry {
    use metarr_queue::JobKind;
    let mut registry = Registry::new();
    let limits = scan::limits();
    let limit = |kind: &str| KindOptions { concurrency: limits.get(kind).copied(), ..KindOptions::default() };
    registry
        .register_with(scan::LibraryScanHandler(std::sync::Arc::clone(scan_services)), limit(scan::LibraryScan::KIND));
    registry.register_with(
        scan::DirectoryScanHandler(std::sync::Arc::clone(scan_services)),
        limit(scan::DirectoryScan::KIND),
    );
    registry.register_with(
        tv_scan::SeriesScanHandler(std::sync::Arc::clone(scan_services)),
        limit(tv_scan::SeriesScanJob::KIND),
    );
    // Reading stream details is a scan's folder work: the same limit as `series-scan`.
    registry.register_with(
        tv_scan::SeasonProbeHandler(std::sync::Arc::clone(scan_services)),
        limit(tv_scan::SeriesScanJob::KIND),
    );
    registry
        .register_with(scan::CacheAssetHandler(std::sync::Arc::clone(scan_services)), limit(scan::CacheAsset::KIND));
    // One cleanup at a time is plenty; two would only contend for the same rows.
    registry.register_with(
        cleanup::CleanupHandler::new(scan_services.db.clone(), retention).collecting(scan_services.cache_root.clone()),
        KindOptions { concurrency: Some(1), ..KindOptions::default() },
    );
    registry.register(file_scan::FileScanHandler { db: scan_services.db.clone() });
    registry.register(debug_sleep::DebugSleepHandler);
    register_webhooks(&mut registry, scan_services);
    players::register(&mut registry, &scan_services.db);
    registry.on_failed(notify::job_failed_hook(scan_services.db.clone()));
    registry
}

/// The enrichment and artwork kinds, over the process's provider services. With [`registry`],
/// every kind of [`KINDS`] is registered (debug builds check it).
pub fn register_enrichment(
    registry: &mut Registry,
    services: &std::sync::Arc<crate::enrich::EnrichServices>,
    artwork: &std::sync::Arc<crate::artwork::ArtworkServices>,
    publishing: &std::sync::Arc<crate::publish::PublishServices>,
) {
    publish::register(registry, publishing);
    registry.register(artwork::SelectArtworkHandler(std::sync::Arc::clone(artwork)));
    registry.register(artwork::SelectSeriesArtworkHandler(std::sync::Arc::clone(artwork)));
    registry.register(artwork::CacheHeadshotsHandler(std::sync::Arc::clone(artwork)));
    registry.register(enrich::EnrichMetadataHandler(std::sync::Arc::clone(services)));
    registry.register(enrich::EnrichRatingsHandler(std::sync::Arc::clone(services)));
    registry.register(enrich::ScanEnrichHandler(std::sync::Arc::clone(services)));
    registry.register(enrich::EnrichSeriesHandler(std::sync::Arc::clone(services)));
    registry.register(enrich::EnrichSeriesRatingsHandler(std::sync::Arc::clone(services)));
    registry.register_with(
        enrich::ProviderUpdateHandler(std::sync::Arc::clone(services)),
        KindOptions { concurrency: Some(1), ..KindOptions::default() },
    );
}

/// Checks, in debug builds, that [`KINDS`] lists every kind the process registered and only
/// those (the job list's families and the UI's kind filter read it).
pub fn check_kinds(registry: &Registry) {
    debug_assert_eq!(
        registry.kinds().collect::<std::collections::BTreeSet<_>>(),
        KINDS.iter().map(|(kind, _)| *kind).collect(),
        "jobs::KINDS lists every registered kind, and only those"
    );
}

/// The webhook and user-notification kinds (`webhook-received`, `scan-movie`, `notify-*`).
fn register_webhooks(registry: &mut Registry, scan_services: &std::sync::Arc<scan::ScanServices>) {
    use metarr_queue::JobKind;
    let db = scan_services.db.clone();
    registry.register(webhook::WebhookReceivedHandler { db: db.clone() });
    // Folder scans share the directory scans' limit: they do the same disk and probe work.
    let folder_limit = scan::limits().get(scan::DirectoryScan::KIND).copied();
    registry.register_with(
        webhook::ScanMovieHandler(std::sync::Arc::clone(scan_services)),
        KindOptions { concurrency: folder_limit, ..KindOptions::default() },
    );
    registry.register_with(
        tv_scan::ScanSeriesHandler(std::sync::Arc::clone(scan_services)),
        KindOptions { concurrency: folder_limit, ..KindOptions::default() },
    );
    let client = metarr_notify::http_client();
    registry.register(notify::NotifyHandler::<notify::NotifyDiscord>::new(db.clone(), client.clone()));
    registry.register(notify::NotifyHandler::<notify::NotifyPushover>::new(db.clone(), client));
    registry.register(notify::NotifyHandler::<notify::NotifyEmail>::new(db, metarr_notify::http_client()));
}

#[cfg(test)]
mod tests {
    use super::{JobFamily, KINDS};

    #[test]
    fn kinds_have_one_family_each() {
        // Player refreshes share the `notify-` prefix with user notifications, yet are apart.
        assert_eq!(JobFamily::of("notify-discord"), Some(JobFamily::Notify));
        assert_eq!(JobFamily::of("notify-kodi"), Some(JobFamily::Player));
        assert_eq!(JobFamily::of("scan-movie"), Some(JobFamily::Scan));
        assert_eq!(JobFamily::of("webhook-received"), Some(JobFamily::Webhook));
        assert_eq!(JobFamily::of("notify-somewhere-new"), None, "no prefix rule");
        let mut names: Vec<&str> = KINDS.iter().map(|(kind, _)| *kind).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KINDS.len(), "each kind is listed once");
    }
}
