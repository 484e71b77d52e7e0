//! The job kinds this binary runs, and the registry that hands them to the worker.

pub mod cleanup;
pub mod debug_sleep;
pub mod file_scan;
mod group_commit;
pub mod notify;
pub mod players;
pub mod scan;
pub mod webhook;

use metarr_queue::{KindOptions, Registry};

/// Name of the schedule that prunes old jobs.
pub const CLEANUP_SCHEDULE: &str = "cleanup";
/// Every night at 03:00 server time, when nobody is watching.
pub const CLEANUP_CRON: &str = "0 3 * * *";

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
    registry
        .register_with(scan::CacheAssetHandler(std::sync::Arc::clone(scan_services)), limit(scan::CacheAsset::KIND));
    // One cleanup at a time is plenty; two would only contend for the same rows.
    registry.register_with(
        cleanup::CleanupHandler::new(scan_services.db.clone(), retention),
        KindOptions { concurrency: Some(1), ..KindOptions::default() },
    );
    registry.register(file_scan::FileScanHandler { db: scan_services.db.clone() });
    registry.register(debug_sleep::DebugSleepHandler);
    register_webhooks(&mut registry, scan_services);
    players::register(&mut registry, &scan_services.db);
    registry.on_failed(notify::job_failed_hook(scan_services.db.clone()));
    registry
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
    let client = metarr_notify::http_client();
    registry.register(notify::NotifyHandler::<notify::NotifyDiscord>::new(db.clone(), client.clone()));
    registry.register(notify::NotifyHandler::<notify::NotifyPushover>::new(db.clone(), client));
    registry.register(notify::NotifyHandler::<notify::NotifyEmail>::new(db, metarr_notify::http_client()));
}
