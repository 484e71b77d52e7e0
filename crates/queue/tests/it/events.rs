//! Job events on `Queue::subscribe`: created, started, progress, completed, failed, cancelled.

use crate::harness::{RunningWorker, fast_config, handler};
use futures::FutureExt;
use metarr_queue::{JobError, JobEvent, JobEventKind, JobId, JobState, NewJob, Registry};
use serde_json::json;
use std::time::Duration;
use tokio::sync::broadcast;

test_kind!(Evented, "evented", 2);

/// The events of one job, until one matches `last`.
async fn events_of(
    events: &mut broadcast::Receiver<JobEvent>,
    id: JobId,
    last: fn(&JobEvent) -> bool,
) -> Vec<JobEvent> {
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let event = events.recv().await.expect("the event stream stays open");
            if event.job.id != id {
                continue;
            }
            let done = last(&event);
            seen.push(event);
            if done {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!("timed out; events so far: {:?}", seen.iter().map(|e| (e.kind, e.job.state)).collect::<Vec<_>>())
    });
    seen
}

fn kinds(events: &[JobEvent]) -> Vec<(JobEventKind, JobState)> {
    events.iter().map(|e| (e.kind, e.job.state)).collect()
}

db_test!(
    async fn worker_events_arrive_in_order(db) {
        let queue = db.queue().await;
        let mut events = queue.subscribe();
        let mut registry = Registry::new();
        registry.register_with(
            handler(move |ctx, job: Evented| {
                let attempt = ctx.job().attempt;
                async move {
                    match job.0["mode"].as_str() {
                        Some("fail") => Err(JobError::Permanent("bad input".into())),
                        Some("retry") if attempt == 1 => Err(JobError::Retryable("try again".into())),
                        Some("cancel") => Err(JobError::Cancel("not wanted".into())),
                        _ => Ok(()),
                    }
                }
                .boxed()
            }),
            metarr_queue::KindOptions {
                concurrency: Some(1),
                retry: metarr_queue::RetryPolicy { base: Duration::from_millis(20), max: Duration::from_millis(20), jitter: 0.0 },
            },
        );
        let worker = RunningWorker::start(&queue, registry, fast_config());

        let ok = queue.enqueue(NewJob::of(&Evented(json!({ "mode": "ok" }))).correlation_id("c1")).await.expect("enqueue").job;
        let seen = events_of(&mut events, ok.id, |e| e.kind == JobEventKind::Completed).await;
        assert_eq!(
            kinds(&seen),
            vec![(JobEventKind::Created, JobState::Pending), (JobEventKind::Started, JobState::Running), (JobEventKind::Completed, JobState::Completed)]
        );
        assert_eq!(seen[1].job.attempt, 1);
        assert!(seen[2].job.finished_at.is_some());
        assert_eq!(seen[2].job.correlation_id.as_deref(), Some("c1"));
        let message = seen[2].to_message();
        assert_eq!((message["type"].as_str(), message["data"]["id"].as_i64()), (Some("job.completed"), Some(ok.id.get())));
        assert_eq!(message["data"]["state"], "completed");

        let failing = queue.enqueue(NewJob::of(&Evented(json!({ "mode": "fail" })))).await.expect("enqueue").job;
        let seen = events_of(&mut events, failing.id, |e| e.kind == JobEventKind::Failed).await;
        assert_eq!(kinds(&seen).last(), Some(&(JobEventKind::Failed, JobState::Failed)));
        assert_eq!(seen.last().and_then(|e| e.job.last_error.clone()).as_deref(), Some("bad input"));

        let retried = queue.enqueue(NewJob::of(&Evented(json!({ "mode": "retry" })))).await.expect("enqueue").job;
        let seen = events_of(&mut events, retried.id, |e| e.kind == JobEventKind::Completed).await;
        assert_eq!(
            kinds(&seen),
            vec![
                (JobEventKind::Created, JobState::Pending),
                (JobEventKind::Started, JobState::Running),
                (JobEventKind::Failed, JobState::Pending),
                (JobEventKind::Started, JobState::Running),
                (JobEventKind::Completed, JobState::Completed),
            ],
            "a failed attempt with attempts left is announced as failed with state pending"
        );

        let cancelled = queue.enqueue(NewJob::of(&Evented(json!({ "mode": "cancel" })))).await.expect("enqueue").job;
        let seen = events_of(&mut events, cancelled.id, |e| e.kind == JobEventKind::Cancelled).await;
        assert_eq!(kinds(&seen).last(), Some(&(JobEventKind::Cancelled, JobState::Cancelled)));
        worker.stop(Duration::from_secs(10)).await;
    }
);

db_test!(
    async fn management_actions_publish_events(db) {
        let queue = db.queue().await;
        let mut events = queue.subscribe();
        let batch = queue.enqueue_many((0..3).map(|i| NewJob::raw("managed", json!({ "i": i }))).collect()).await.expect("enqueue");
        for enqueued in &batch {
            let event = events.recv().await.expect("event");
            assert_eq!((event.kind, event.job.id), (JobEventKind::Created, enqueued.job.id));
        }
        let dup = queue.enqueue(NewJob::raw("managed", json!({})).unique_key("k")).await.expect("enqueue");
        assert_eq!(events.recv().await.expect("event").job.id, dup.job.id);
        assert!(!queue.enqueue(NewJob::raw("managed", json!({})).unique_key("k")).await.expect("enqueue").created);
        assert!(events.try_recv().is_err(), "a duplicate creates nothing and announces nothing");

        let id = batch[0].job.id;
        queue.cancel(id).await.expect("cancel");
        let event = events.recv().await.expect("event");
        assert_eq!((event.kind, event.job.id, event.job.state), (JobEventKind::Cancelled, id, JobState::Cancelled));
        queue.retry(id).await.expect("retry");
        let event = events.recv().await.expect("event");
        assert_eq!((event.job.id, event.job.state), (id, JobState::Pending));
    }
);

test_kind!(Ordered, "ordered");

db_test!(
    async fn each_jobs_events_stay_in_order_under_load(db) {
        let queue = db.queue().await;
        let mut events = queue.subscribe();
        let mut registry = Registry::new();
        registry.register(handler(move |_ctx, _job: Ordered| async { Ok(()) }.boxed()));
        let worker = RunningWorker::start(&queue, registry, crate::harness::fast_config());
        let mut ids = std::collections::HashSet::new();
        for i in 0..300 {
            ids.insert(queue.enqueue(NewJob::of(&Ordered(json!({ "i": i })))).await.expect("enqueue").job.id);
        }
        let mut seen: std::collections::HashMap<JobId, Vec<JobEventKind>> = std::collections::HashMap::new();
        let mut completed = 0;
        tokio::time::timeout(Duration::from_secs(20), async {
            while completed < ids.len() {
                let event = events.recv().await.expect("no event is lost");
                if event.kind == JobEventKind::Completed {
                    completed += 1;
                }
                seen.entry(event.job.id).or_default().push(event.kind);
            }
        })
        .await
        .expect("every job completes");
        worker.stop(Duration::from_secs(10)).await;
        let expected = vec![JobEventKind::Created, JobEventKind::Started, JobEventKind::Completed];
        let out_of_order: Vec<_> = seen.iter().filter(|(_, kinds)| **kinds != expected).collect();
        assert!(out_of_order.is_empty(), "{} jobs with events out of order: {out_of_order:?}", out_of_order.len());
        assert_eq!(seen.len(), 300);
    }
);
