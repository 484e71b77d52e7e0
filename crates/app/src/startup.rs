//! Start-up and shutdown: builds the [`Application`] from [`Settings`] and runs it until stopped.
//!
//! `build` does everything that can fail (bind, connect, migrate, API key) before anything
//! runs, so a misconfigured process exits at once with a clear message, and so tests can read
//! the port the OS picked for `127.0.0.1:0`.

use crate::api_key::{self, KeySource};
use crate::config::Settings;
use crate::db::Db;
use crate::events::AppEvents;
use crate::jobs;
use crate::routes::{self, AppState};
use anyhow::Context;
use metarr_queue::{JobKind, Queue, Worker, WorkerConfig};
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

mod http;

/// What the process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// HTTP server, workers and scheduler (`metarr serve`).
    Serve,
    /// Workers and scheduler only (`metarr worker`).
    Worker,
}

/// A built, not yet running, Metarr process.
pub struct Application {
    settings: Settings,
    role: Role,
    listener: Option<TcpListener>,
    local_addr: Option<SocketAddr>,
    queue: Queue,
    db: Db,
    events: AppEvents,
    api_key: api_key::SharedKey,
    shutdown: CancellationToken,
    started_at: std::time::Instant,
    logs: crate::telemetry::LogControl,
}

impl Application {
    /// Builds the `metarr serve` process.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Application::build_as(settings, Role::Serve).await
    }

    /// Builds a process with the given role.
    pub async fn build_as(settings: Settings, role: Role) -> anyhow::Result<Application> {
        crate::telemetry::register_secrets(settings.secrets());
        // Before anything records: jobs, requests and webhooks are counted from the start.
        crate::metrics::handle();
        // `Settings`' Debug redacts the API key and the database password.
        tracing::debug!(?settings, ?role, "configuration loaded");
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating the data directory {}", settings.data_dir.display()))?;

        let (listener, local_addr) = match role {
            Role::Serve => {
                let listener = TcpListener::bind(settings.bind)
                    .await
                    .with_context(|| format!("listening on {} (bind)", settings.bind))?;
                let local_addr = listener.local_addr().context("reading the bound address")?;
                (Some(listener), Some(local_addr))
            }
            Role::Worker => (None, None),
        };

        let (api_key, key_source) = api_key::load_or_create(settings.api_key.as_ref(), &settings.data_dir)?;
        crate::telemetry::register_secrets([api_key.expose_secret()]);
        match &key_source {
            KeySource::Configured => tracing::info!("using the API key from the configuration"),
            KeySource::Created(path) => {
                tracing::info!(path = %path.display(), "generated an API key; print it with `metarr api-key`");
            }
            KeySource::Existing(path) => tracing::info!(path = %path.display(), "API key loaded"),
        }

        let queue = Queue::connect(settings.database_url.expose())
            .await
            .with_context(|| format!("opening the database {}", settings.database_url))?;
        tracing::info!(backend = queue.backend().as_str(), database = %settings.database_url, "database ready");
        queue
            .ensure_schedule(jobs::CLEANUP_SCHEDULE, jobs::cleanup::ScheduledCleanup::KIND, jobs::CLEANUP_CRON, true)
            .await
            .context("registering the cleanup schedule")?;
        queue
            .ensure_schedule(
                jobs::enrich::PROVIDER_UPDATE_SCHEDULE,
                jobs::enrich::ScheduledProviderUpdate::KIND,
                jobs::enrich::PROVIDER_UPDATE_CRON,
                true,
            )
            .await
            .context("registering the provider-update schedule")?;
        queue
            .ensure_schedule(
                jobs::publish::VERIFICATION_SCHEDULE,
                jobs::publish::ScheduledVerification::KIND,
                jobs::publish::VERIFICATION_CRON,
                true,
            )
            .await
            .context("registering the verification schedule")?;
        queue
            .ensure_schedule(
                jobs::backup::BACKUP_SCHEDULE,
                jobs::backup::ScheduledBackup::KIND,
                jobs::backup::BACKUP_CRON,
                true,
            )
            .await
            .context("registering the backup schedule")?;

        let db = Db::new(&queue);
        db.migrate().await.context("migrating the catalogue")?;
        // The subscriber was installed before the configuration was read (once per process);
        // the filter stored in Settings joins it now that the database is open.
        let logs = crate::telemetry::LogControl::installed();
        crate::log_settings::apply_stored(&db, &logs).await.context("reading the stored log filter")?;
        let events = AppEvents::new();

        let shutdown = CancellationToken::new();
        // The relay outlives the worker's drain only by the time it takes to notice the token.
        queue.start_relay(shutdown.clone()).await.context("listening to other Metarr processes")?;

        Ok(Application {
            settings,
            role,
            listener,
            local_addr,
            queue,
            db,
            events,
            api_key: api_key::SharedKey::new(api_key),
            shutdown,
            started_at: std::time::Instant::now(),
            logs,
        })
    }

    /// The HTTP address actually bound (`None` for a worker-only process).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// The queue this process works on.
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// The catalogue database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The application's own events (scans, movies), beside the queue's job events.
    pub fn events(&self) -> &AppEvents {
        &self.events
    }

    /// This process's logging: its filter and its recent lines.
    pub fn logs(&self) -> &crate::telemetry::LogControl {
        &self.logs
    }

    /// The API key in force.
    pub fn api_key(&self) -> SecretString {
        self.api_key.current()
    }

    /// Cancel it to stop the process gracefully.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Stops the process gracefully on SIGINT or SIGTERM.
    pub fn shutdown_on_signals(&self) {
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown requested: finishing running jobs");
            shutdown.cancel();
        });
    }

    /// Runs the HTTP server (for `serve`) and the worker until the shutdown token fires, then
    /// stops accepting requests, lets running jobs finish within the grace period and returns.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let worker_config = WorkerConfig {
            concurrency: self.settings.worker.concurrency,
            lease: self.settings.worker.lease,
            heartbeat: self.settings.worker.lease / 3,
            shutdown_grace: self.settings.worker.shutdown_grace,
            run_scheduler: true,
            ..WorkerConfig::default()
        };
        let scan_services = Arc::new(jobs::scan::ScanServices::new(
            self.db.clone(),
            self.events.clone(),
            self.settings.data_dir.join("cache"),
            metarr_probe::Prober::new(metarr_probe::ProbeConfig::default()),
            true,
        ));
        let enrich_services = Arc::new(crate::enrich::EnrichServices::new(
            self.db.clone(),
            self.events.clone(),
            self.settings.providers.clone(),
            std::time::Duration::from_secs(u64::from(self.settings.providers.cache_ttl_days.get()) * 86_400),
        ));
        enrich_services.set_artwork_limits(self.settings.artwork.limits.clone());
        let artwork_services = Arc::new(crate::artwork::ArtworkServices::new(
            self.db.clone(),
            self.events.clone(),
            Arc::clone(&enrich_services),
            &self.settings.data_dir,
            &self.settings.artwork,
        ));
        let publish_services = Arc::new(crate::publish::PublishServices::new(
            self.db.clone(),
            self.events.clone(),
            &self.settings.data_dir,
        ));
        let mut registry = jobs::registry(jobs::cleanup::Retention::of(&self.settings), &scan_services);
        jobs::register_enrichment(&mut registry, &enrich_services, &artwork_services, &publish_services);
        registry.register(jobs::backup::BackupHandler {
            settings: Arc::new(self.settings.clone()),
            database: self.queue.database().clone(),
        });
        jobs::check_kinds(&registry);
        let worker = Worker::new(self.queue.clone(), registry, worker_config);
        let breakers = worker.breakers();
        tracing::info!(worker_id = worker.id(), concurrency = self.settings.worker.concurrency, "worker started");
        let worker_task = tokio::spawn(worker.run(self.shutdown.clone()));

        let server_result = match self.listener {
            Some(listener) => {
                let state = AppState {
                    queue: self.queue.clone(),
                    db: self.db.clone(),
                    events: self.events.clone(),
                    settings: Arc::new(self.settings.clone()),
                    api_key: self.api_key.clone(),
                    shutdown: self.shutdown.clone(),
                    sign_in_limits: Arc::default(),
                    enrich: Arc::clone(&enrich_services),
                    artwork: Arc::clone(&artwork_services),
                    publish: Arc::clone(&publish_services),
                    started_at: self.started_at,
                    breakers,
                    logs: self.logs.clone(),
                };
                tracing::info!(address = %format!("http://{}", listener.local_addr()?), "HTTP server listening");
                http::serve(
                    listener,
                    routes::app(state),
                    &self.settings.http,
                    self.shutdown.clone(),
                    self.settings.worker.shutdown_grace,
                )
                .await;
                // If the server stopped on its own, the worker must still drain and stop.
                self.shutdown.cancel();
                Ok(())
            }
            None => {
                self.shutdown.cancelled().await;
                Ok(())
            }
        };

        let worker_result = worker_task.await.context("the worker task panicked")?.context("running the worker");
        tracing::info!(role = ?self.role, "stopped");
        server_result.and(worker_result)
    }
}

/// Applies the migrations of the configured database and returns.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    crate::telemetry::register_secrets(settings.secrets());
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("creating the data directory {}", settings.data_dir.display()))?;
    let queue = Queue::connect(settings.database_url.expose())
        .await
        .with_context(|| format!("migrating the database {}", settings.database_url))?;
    Db::new(&queue).migrate().await.context("migrating the catalogue")?;
    tracing::info!(backend = queue.backend().as_str(), database = %settings.database_url, "migrations applied");
    Ok(())
}

async fn wait_for_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
