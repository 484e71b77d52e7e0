//! `notify-discord`, `notify-pushover`, `notify-email`: one user notification to one service.
//!
//! The payload is the [`Notification`] only; the service's settings (and its secrets) are read
//! when the job runs, so secrets never sit in the job table and a fixed setting applies to the
//! retries. Failures map onto the queue's control flow: a permanent send error fails the job,
//! a retryable one backs off, a rate limit snoozes until the service's reset. Each job names its
//! service, so the queue's circuit breaker opens for a service that keeps failing.

use crate::arr::notifications::{self, Service, ServiceConfig};
use crate::db::{Db, Tx};
use crate::jobs::JobFamily;
use async_trait::async_trait;
use metarr_notify::{EventKind, Notification, SendError};
use metarr_queue::{Handler, Job, JobContext, JobError, JobId, JobKind, NewJob, job_kind};
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;

/// `notify-discord`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NotifyDiscord(pub Notification);

/// `notify-pushover`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NotifyPushover(pub Notification);

/// `notify-email`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NotifyEmail(pub Notification);

job_kind!(NotifyDiscord = "notify-discord", attempts: 5, priority: 5);

job_kind!(NotifyPushover = "notify-pushover", attempts: 5, priority: 5);

job_kind!(NotifyEmail = "notify-email", attempts: 5, priority: 5);

/// A notification job kind: which service it sends to.
pub trait NotifyKind: JobKind {
    const SERVICE: Service;
    fn notification(&self) -> &Notification;
}

impl NotifyKind for NotifyDiscord {
    const SERVICE: Service = Service::Discord;
    fn notification(&self) -> &Notification {
        &self.0
    }
}

impl NotifyKind for NotifyPushover {
    const SERVICE: Service = Service::Pushover;
    fn notification(&self) -> &Notification {
        &self.0
    }
}

impl NotifyKind for NotifyEmail {
    const SERVICE: Service = Service::Email;
    fn notification(&self) -> &Notification {
        &self.0
    }
}

/// The job that sends `notification` to `service`.
pub fn job_for(service: Service, notification: Notification) -> NewJob {
    match service {
        Service::Discord => NewJob::of(&NotifyDiscord(notification)),
        Service::Pushover => NewJob::of(&NotifyPushover(notification)),
        Service::Email => NewJob::of(&NotifyEmail(notification)),
    }
}

/// Enqueues one job per enabled service whose filter wants the event; returns their ids.
pub async fn fan_out(
    tx: &mut Tx,
    configs: &[ServiceConfig],
    notification: &Notification,
    parent: Option<&Job>,
) -> crate::db::Result<Vec<(Service, JobId)>> {
    let mut ids = Vec::new();
    for config in configs.iter().filter(|config| config.wants(notification.event)) {
        let mut job = job_for(config.service, notification.clone());
        if let Some(parent) = parent {
            job = job.child_of(parent);
        }
        ids.push((config.service, tx.enqueue(job).await?.job.id));
    }
    Ok(ids)
}

/// Sends a notification now, for `POST /notifications/{service}/test` and the jobs.
pub async fn send(
    client: &reqwest::Client,
    config: &ServiceConfig,
    notification: &Notification,
) -> Result<Result<(), SendError>, crate::catalogue::CatalogueError> {
    Ok(match config.service {
        Service::Discord => metarr_notify::send_discord(client, &config.discord()?, notification).await,
        Service::Pushover => metarr_notify::send_pushover(client, &config.pushover()?, notification).await,
        Service::Email => metarr_notify::send_email(&config.email()?, notification).await,
    })
}

/// The test message.
pub fn test_notification() -> Notification {
    Notification {
        event: EventKind::Test,
        title: "Metarr test notification".into(),
        message: "If you can read this, Metarr can reach this service.".into(),
        movie: None,
        url: None,
    }
}

/// Runs one notify kind.
pub struct NotifyHandler<K> {
    db: Db,
    client: reqwest::Client,
    kind: PhantomData<fn() -> K>,
}

impl<K> NotifyHandler<K> {
    /// A handler reading settings from `db` and sending through `client`.
    pub fn new(db: Db, client: reqwest::Client) -> NotifyHandler<K> {
        NotifyHandler { db, client, kind: PhantomData }
    }
}

#[async_trait]
impl<K: NotifyKind> Handler for NotifyHandler<K> {
    type Job = K;

    async fn run(&self, _ctx: JobContext, job: K) -> Result<(), JobError> {
        let config = notifications::get(&self.db, K::SERVICE).await.map_err(JobError::retryable)?;
        if !config.enabled {
            // Switched off after the job was queued: the user no longer wants it.
            return Ok(());
        }
        match send(&self.client, &config, job.notification()).await {
            Err(incomplete) => Err(JobError::Permanent(incomplete.to_string())),
            Ok(Ok(())) => Ok(()),
            Ok(Err(SendError::Permanent(message))) => Err(JobError::Permanent(message)),
            Ok(Err(SendError::Retryable(message))) => Err(JobError::Retryable(message)),
            Ok(Err(SendError::RateLimited { retry_after, .. })) => Err(JobError::Snooze(retry_after)),
        }
    }

    fn service(&self, _job: &K) -> Option<String> {
        Some(K::SERVICE.as_str().to_owned())
    }
}

/// Tells the user about a notification-worthy event now: one `notify-*` job per enabled service
/// whose filter wants it. Failures are logged: a lost notification must not fail its cause.
pub async fn announce(db: &Db, notification: Notification) {
    let result = async {
        let configs = notifications::list(db).await?;
        if !configs.iter().any(|config| config.wants(notification.event)) {
            return Ok(());
        }
        let mut tx = db.begin().await?;
        fan_out(&mut tx, &configs, &notification, None).await?;
        tx.commit().await?;
        Ok::<_, crate::catalogue::CatalogueError>(())
    }
    .await;
    if let Err(err) = result {
        tracing::warn!(event = notification.event.as_str(), error = %metarr_errors::Chain(&err), "queueing user notifications");
    }
}

/// The queue's hook for jobs that failed for good: `job_failed` notifications, except for
/// notification jobs themselves (a broken service would otherwise report itself forever) and
/// player refreshes (`notify-kodi|jellyfin|plex`, which were always left out with them).
pub fn job_failed_hook(db: Db) -> metarr_queue::FailureHook {
    std::sync::Arc::new(move |job: Job| {
        let db = db.clone();
        Box::pin(async move {
            if matches!(JobFamily::of(&job.kind), Some(JobFamily::Notify | JobFamily::Player)) {
                return;
            }
            let notification = Notification {
                event: EventKind::JobFailed,
                title: format!("Metarr job failed: {}", job.kind),
                message: format!(
                    "Job {} ({}) failed after {} attempt(s): {}",
                    job.id,
                    job.kind,
                    job.attempt,
                    job.last_error.as_deref().unwrap_or("no error recorded")
                ),
                movie: None,
                url: None,
            };
            announce(&db, notification).await;
        })
    })
}
