//! Store conformance: enqueue, claim order, unique keys, leases, rescue and outcomes.

use crate::harness::{claim, finish, now_ms};
use chrono::Utc;
use metarr_queue::JobId;
use metarr_queue::store::{Lease, Outcome};
use metarr_queue::{JobState, NewJob, QueueError};
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

db_test!(
    async fn enqueue_and_get_round_trip_every_field(db) {
        let queue = db.queue().await;
        let parent = queue.enqueue(NewJob::raw("parent", json!({}))).await.expect("enqueue parent");
        let run_at = now_ms() + chrono::Duration::hours(1);
        let payload = json!({ "path": "/movies/Alien (1979)", "ids": [1, 2, 3], "nested": { "ok": true, "ratio": 0.5 } });
        let new_job = NewJob::raw("round-trip", payload.clone())
            .priority(3)
            .max_attempts(7)
            .run_at(run_at)
            .unique_key("movie:42")
            .correlation_id("webhook-1");
        let mut new_job = new_job;
        new_job.parent_id = Some(parent.job.id);
        let before = Utc::now() - chrono::Duration::seconds(5);
        let enqueued = queue.enqueue(new_job).await.expect("enqueue");
        assert!(enqueued.created);
        let job = &enqueued.job;
        assert_eq!(job.kind, "round-trip");
        assert_eq!(job.state, JobState::Pending);
        assert_eq!(job.priority, 3);
        assert_eq!(job.attempt, 0);
        assert_eq!(job.max_attempts, 7);
        assert_eq!(job.run_at, run_at);
        assert!(job.created_at > before && job.created_at < Utc::now() + chrono::Duration::seconds(5), "{job:?}");
        assert_eq!(job.started_at, None);
        assert_eq!(job.finished_at, None);
        assert_eq!(job.progress, None);
        assert_eq!(job.last_error, None);
        assert_eq!(job.payload, payload);
        assert_eq!(job.parent_id, Some(parent.job.id));
        assert_eq!(job.correlation_id.as_deref(), Some("webhook-1"));
        assert_eq!(job.unique_key.as_deref(), Some("movie:42"));
        assert_eq!(job.locked_by, None);
        assert_eq!(job.lease_expires_at, None);
        assert!(!job.cancel_requested);
        let stored = queue.get(job.id).await.expect("get");
        assert_eq!(&stored, job, "the stored job equals the one enqueue returned");
        let other = db.queue().await.get(job.id).await.expect("get through another store");
        assert_eq!(&other, job);
    }
);

db_test!(
    async fn bulk_enqueue_returns_ids_matching_inputs(db) {
        let queue = db.queue().await;
        let base = Utc::now() + chrono::Duration::hours(2);
        let jobs: Vec<NewJob> = (0..1500i64)
            .map(|i| {
                let mut job = NewJob::raw(if i % 2 == 0 { "even" } else { "odd" }, json!({ "i": i }))
                    .priority(i16::try_from(i % 10 + 1).expect("small"))
                    .max_attempts(i32::try_from(i % 4 + 1).expect("small"))
                    .correlation_id(format!("c{}", i % 3));
                if i % 5 == 0 {
                    // Sub-millisecond precision on purpose: what enqueue returns must equal what is stored.
                    job = job.run_at(base + chrono::Duration::nanoseconds(i * 1_234_567));
                }
                job
            })
            .collect();
        let enqueued = queue.enqueue_many(jobs.clone()).await.expect("bulk enqueue");
        assert_eq!(enqueued.len(), jobs.len());
        let ids: Vec<JobId> = enqueued.iter().map(|e| e.job.id).collect();
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "ids are distinct");
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids ascend in input order");
        let stored = queue.store().get_many(&ids).await.expect("get_many");
        let stored: std::collections::HashMap<JobId, metarr_queue::Job> = stored.into_iter().map(|j| (j.id, j)).collect();
        for (i, (input, out)) in jobs.iter().zip(&enqueued).enumerate() {
            assert!(out.created);
            let job = stored.get(&out.job.id).expect("every returned id is stored");
            assert_eq!(job.payload, json!({ "i": i }), "job {i} has its own payload");
            assert_eq!(job.kind, input.kind);
            assert_eq!(job.priority, input.priority);
            assert_eq!(job.max_attempts, input.max_attempts);
            assert_eq!(job.correlation_id, input.correlation_id);
            assert_eq!(job, &out.job, "job {i}: what bulk enqueue returned equals what is stored");
        }
    }
);

db_test!(
    async fn bulk_enqueue_of_more_than_one_statement_keeps_the_mapping(db) {
        let queue = db.queue().await;
        let jobs: Vec<NewJob> = (0..10_050).map(|i| NewJob::raw("many", json!(i))).collect();
        let enqueued = queue.enqueue_many(jobs).await.expect("bulk enqueue");
        assert_eq!(enqueued.len(), 10_050);
        assert!(enqueued.windows(2).all(|w| w[0].job.id < w[1].job.id));
        for index in [0, 9_999, 10_000, 10_049] {
            let job = queue.get(enqueued[index].job.id).await.expect("get");
            assert_eq!(job.payload, json!(index), "job {index}");
        }
        assert_eq!(queue.stats().await.expect("stats").states["pending"], 10_050);
    }
);

db_test!(
    async fn enqueue_rejects_bad_priority_attempts_and_kind(db) {
        let queue = db.queue().await;
        for priority in [0, 11, -1] {
            let mut job = NewJob::raw("bad", json!({}));
            job.priority = priority;
            let err = queue.enqueue(job).await.expect_err("priority outside 1-10");
            assert!(matches!(err, QueueError::Invalid(ref m) if m.contains("priority")), "{err}");
        }
        let mut job = NewJob::raw("bad", json!({}));
        job.max_attempts = 0;
        let err = queue.enqueue(job).await.expect_err("max_attempts 0");
        assert!(matches!(err, QueueError::Invalid(ref m) if m.contains("max_attempts")), "{err}");
        let err = queue.enqueue(NewJob::raw("", json!({}))).await.expect_err("empty kind");
        assert!(matches!(err, QueueError::Invalid(_)), "{err}");
        // One bad job in a batch stores none of it.
        let mut bad = NewJob::raw("bad", json!({}));
        bad.priority = 42;
        let err = queue.enqueue_many(vec![NewJob::raw("good", json!({})), bad]).await.expect_err("bad batch");
        assert!(matches!(err, QueueError::Invalid(_)), "{err}");
        assert_eq!(queue.stats().await.expect("stats").states.values().sum::<i64>(), 0, "nothing was stored");
        // The builders clamp instead.
        let job = queue.enqueue(NewJob::raw("clamped", json!({})).priority(99).max_attempts(-3)).await.expect("clamped");
        assert_eq!((job.job.priority, job.job.max_attempts), (10, 1));
    }
);

db_test!(
    async fn claim_orders_by_priority_then_run_at_then_id(db) {
        let queue = db.queue().await;
        let now = now_ms();
        let ago = |s: i64| now - chrono::Duration::seconds(s);
        // (label, priority, run_at)
        let specs = [("p5-old", 5, ago(50)), ("p1-new", 1, ago(10)), ("p5-new", 5, ago(20)), ("p1-old", 1, ago(30)), ("p1-new-2", 1, ago(10)), ("p9", 9, ago(100))];
        let mut ids = std::collections::HashMap::new();
        for (label, priority, run_at) in specs {
            let job = queue.enqueue(NewJob::raw("order", json!({ "label": label })).priority(priority).run_at(run_at)).await.expect("enqueue");
            ids.insert(job.job.id, label);
        }
        let mut order = Vec::new();
        for _ in 0..specs.len() {
            let claimed = claim(&queue, "w1", &["order"], 1, LONG).await;
            assert_eq!(claimed.len(), 1);
            order.push(ids[&claimed[0].id]);
        }
        assert_eq!(order, ["p1-old", "p1-new", "p1-new-2", "p5-old", "p5-new", "p9"]);
        assert!(claim(&queue, "w1", &["order"], 1, LONG).await.is_empty());
    }
);

db_test!(
    async fn claim_returns_a_batch_in_claim_order(db) {
        let queue = db.queue().await;
        let now = now_ms();
        for (priority, seconds) in [(4, 1), (2, 3), (4, 9), (2, 1), (7, 30)] {
            queue.enqueue(NewJob::raw("batch", json!({})).priority(priority).run_at(now - chrono::Duration::seconds(seconds))).await.expect("enqueue");
        }
        let claimed = claim(&queue, "w1", &["batch"], 4, LONG).await;
        let keys: Vec<(i16, i64)> = claimed.iter().map(|j| (j.priority, (now - j.run_at).num_seconds())).collect();
        assert_eq!(keys, vec![(2, 3), (2, 1), (4, 9), (4, 1)], "the four most urgent, in order");
    }
);

db_test!(
    async fn future_jobs_wait_until_due(db) {
        let queue = db.queue().await;
        let run_at = Utc::now() + chrono::Duration::milliseconds(1000);
        let job = queue.enqueue(NewJob::raw("later", json!({})).run_at(run_at)).await.expect("enqueue").job;
        assert!(claim(&queue, "w1", &["later"], 10, LONG).await.is_empty(), "not due yet");
        let next = queue.store().next_run_at(&["later".to_owned()]).await.expect("next_run_at").expect("a job is scheduled");
        assert!((next - run_at).num_milliseconds().abs() < 250, "next_run_at {next} vs run_at {run_at}");
        assert_eq!(queue.store().next_run_at(&["other".to_owned()]).await.expect("next_run_at"), None);
        tokio::time::sleep((run_at - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(20)).await;
        let claimed = claim(&queue, "w1", &["later"], 10, LONG).await;
        assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![job.id]);
    }
);

db_test!(
    async fn claim_respects_limit_and_kinds_and_takes_the_lease(db) {
        let queue = db.queue().await;
        let jobs: Vec<NewJob> = (0..10).map(|i| NewJob::raw(if i < 5 { "a" } else { "b" }, json!({ "i": i }))).collect();
        queue.enqueue_many(jobs).await.expect("enqueue");
        let before = Utc::now() - chrono::Duration::seconds(2);
        let first = claim(&queue, "w1", &["a"], 3, Duration::from_secs(30)).await;
        assert_eq!(first.len(), 3);
        for job in &first {
            assert_eq!(job.kind, "a");
            assert_eq!(job.state, JobState::Running);
            assert_eq!(job.attempt, 1);
            assert_eq!(job.locked_by.as_deref(), Some("w1"));
            let lease = job.lease_expires_at.expect("a lease");
            assert!(lease > Utc::now() + chrono::Duration::seconds(25) && lease < Utc::now() + chrono::Duration::seconds(35), "{lease}");
            assert!(job.started_at.expect("started") > before);
            assert_eq!(&queue.get(job.id).await.expect("get"), job, "claim returns the job as stored");
        }
        assert_eq!(claim(&queue, "w2", &["a"], 10, LONG).await.len(), 2, "only the rest of kind a");
        assert!(claim(&queue, "w2", &["a", "c"], 10, LONG).await.is_empty());
        assert_eq!(claim(&queue, "w2", &["a", "b"], 10, LONG).await.len(), 5);
        assert!(claim(&queue, "w2", &["a", "b"], 10, LONG).await.is_empty());
    }
);

db_test!(
    async fn unique_key_returns_the_active_job_until_it_finishes(db) {
        let queue = db.queue().await;
        let first = queue.enqueue(NewJob::raw("scan", json!({ "n": 1 })).unique_key("movie:1")).await.expect("enqueue");
        assert!(first.created);
        let dup = queue.enqueue(NewJob::raw("scan", json!({ "n": 2 })).unique_key("movie:1")).await.expect("enqueue");
        assert!(!dup.created, "duplicate of a pending job");
        assert_eq!(dup.job.id, first.job.id);
        assert_eq!(dup.job.payload, json!({ "n": 1 }), "the existing job is returned unchanged");
        let other = queue.enqueue(NewJob::raw("scan", json!({})).unique_key("movie:2")).await.expect("enqueue");
        assert!(other.created, "another key is another job");

        let claimed = claim(&queue, "w1", &["scan"], 1, LONG).await;
        assert_eq!(claimed[0].id, first.job.id);
        let dup = queue.enqueue(NewJob::raw("scan", json!({})).unique_key("movie:1")).await.expect("enqueue");
        assert!(!dup.created, "duplicate of a running job");
        assert_eq!(dup.job.id, first.job.id);
        assert_eq!(dup.job.state, JobState::Running);

        assert!(finish(&queue, "w1", first.job.id, 1, Outcome::Completed).await);
        let again = queue.enqueue(NewJob::raw("scan", json!({ "n": 3 })).unique_key("movie:1")).await.expect("enqueue");
        assert!(again.created, "a finished job no longer holds its key");
        assert_ne!(again.job.id, first.job.id);

        // Within one batch too: the second of two jobs with one key returns the first.
        let batch = queue
            .enqueue_many(vec![
                NewJob::raw("scan", json!({})).unique_key("movie:3"),
                NewJob::raw("scan", json!({})).unique_key("movie:3"),
                NewJob::raw("scan", json!({})),
            ])
            .await
            .expect("enqueue batch");
        assert_eq!(batch.iter().map(|e| e.created).collect::<Vec<_>>(), vec![true, false, true]);
        assert_eq!(batch[0].job.id, batch[1].job.id);
    }
);

db_test!(
    async fn concurrent_enqueues_with_one_key_create_one_job(db) {
        // Five stores (as five processes would have), ten concurrent enqueues each.
        let mut queues = Vec::new();
        for _ in 0..5 {
            queues.push(db.queue().await);
        }
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..50 {
            let queue = queues[i % queues.len()].clone();
            tasks.spawn(async move { queue.enqueue(NewJob::raw("storm", json!({ "i": i })).unique_key("movie:storm")).await });
        }
        let mut results = Vec::new();
        while let Some(result) = tasks.join_next().await {
            results.push(result.expect("task").expect("enqueue"));
        }
        assert_eq!(results.iter().filter(|e| e.created).count(), 1, "exactly one enqueue created the job");
        let ids: HashSet<JobId> = results.iter().map(|e| e.job.id).collect();
        assert_eq!(ids.len(), 1, "every enqueue returned the same job");
        let stats = queues[0].stats().await.expect("stats");
        assert_eq!(stats.states["pending"], 1);
    }
);

db_test!(
    async fn finish_applies_for_the_lease_holder_only(db) {
        let queue = db.queue().await;
        let job = queue.enqueue(NewJob::raw("lease", json!({}))).await.expect("enqueue").job;
        let claimed = claim(&queue, "w1", &["lease"], 1, LONG).await;
        assert_eq!(claimed[0].id, job.id);
        assert!(!finish(&queue, "w2", job.id, 1, Outcome::Completed).await, "another worker cannot finish it");
        assert!(!finish(&queue, "w1", job.id, 2, Outcome::Completed).await, "nor another attempt");
        assert!(!finish(&queue, "w2", job.id, 1, Outcome::Failed { error: "x".into() }).await);
        assert_eq!(queue.get(job.id).await.expect("get").state, JobState::Running);
        assert!(finish(&queue, "w1", job.id, 1, Outcome::Completed).await);
        let done = queue.get(job.id).await.expect("get");
        assert_eq!(done.state, JobState::Completed);
        assert!(done.finished_at.is_some());
        assert_eq!(done.locked_by, None);
        assert_eq!(done.lease_expires_at, None);
        assert!(!finish(&queue, "w1", job.id, 1, Outcome::Completed).await, "a second acknowledgement is rejected");
    }
);

db_test!(
    async fn stale_worker_late_completion_is_rejected(db) {
        let queue = db.queue().await;
        let job = queue.enqueue(NewJob::raw("stale", json!({}))).await.expect("enqueue").job;
        let first = claim(&queue, "w1", &["stale"], 1, Duration::from_millis(100)).await;
        assert_eq!(first[0].attempt, 1);
        tokio::time::sleep(Duration::from_millis(250)).await;
        let rescued = queue.store().rescue_expired().await.expect("rescue");
        assert_eq!(rescued.iter().map(|j| (j.id, j.state)).collect::<Vec<_>>(), vec![(job.id, JobState::Pending)]);
        let second = claim(&queue, "w2", &["stale"], 1, LONG).await;
        assert_eq!((second[0].id, second[0].attempt), (job.id, 2));
        assert!(!finish(&queue, "w1", job.id, 1, Outcome::Completed).await, "the stale worker's completion is rejected");
        let report = queue.store().heartbeat("w1", &[Lease { id: job.id, attempt: 1 }], LONG).await.expect("heartbeat");
        assert_eq!(report.lost, vec![job.id], "the stale worker learns it lost the lease");
        let current = queue.get(job.id).await.expect("get");
        assert_eq!((current.state, current.attempt, current.locked_by.as_deref()), (JobState::Running, 2, Some("w2")));
        assert!(finish(&queue, "w2", job.id, 2, Outcome::Completed).await);
    }
);

db_test!(
    async fn same_worker_cannot_finish_an_older_attempt(db) {
        // One worker process can claim a job again after its own lease ran out: only the attempt tells them apart.
        let queue = db.queue().await;
        let job = queue.enqueue(NewJob::raw("stale", json!({}))).await.expect("enqueue").job;
        claim(&queue, "w1", &["stale"], 1, Duration::from_millis(50)).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(queue.store().rescue_expired().await.expect("rescue").len(), 1);
        let again = claim(&queue, "w1", &["stale"], 1, LONG).await;
        assert_eq!(again[0].attempt, 2);
        assert!(!finish(&queue, "w1", job.id, 1, Outcome::Failed { error: "late".into() }).await, "attempt 1 is over");
        assert_eq!(queue.get(job.id).await.expect("get").state, JobState::Running);
        let report = queue.store().heartbeat("w1", &[Lease { id: job.id, attempt: 1 }], LONG).await.expect("heartbeat");
        assert_eq!(report.lost, vec![job.id]);
        assert!(finish(&queue, "w1", job.id, 2, Outcome::Completed).await);
    }
);

db_test!(
    async fn heartbeat_renews_and_reports_lost_leases_and_cancel_requests(db) {
        let queue = db.queue().await;
        let jobs = queue.enqueue_many((0..3).map(|i| NewJob::raw("beat", json!({ "i": i }))).collect()).await.expect("enqueue");
        let ids: Vec<JobId> = jobs.iter().map(|e| e.job.id).collect();
        let claimed = claim(&queue, "w1", &["beat"], 2, Duration::from_millis(300)).await;
        let held: Vec<Lease> = claimed.iter().map(|j| Lease { id: j.id, attempt: j.attempt }).collect();
        let report = queue.store().heartbeat("w1", &held, Duration::from_secs(20)).await.expect("heartbeat");
        assert!(report.lost.is_empty() && report.cancel_requested.is_empty(), "{report:?}");
        tokio::time::sleep(Duration::from_millis(400)).await;
        for job in &claimed {
            let lease = queue.get(job.id).await.expect("get").lease_expires_at.expect("lease");
            assert!(lease > Utc::now() + chrono::Duration::seconds(15), "renewed lease {lease}");
        }
        assert!(queue.store().rescue_expired().await.expect("rescue").is_empty(), "renewed leases are live");

        let cancelled = queue.cancel(claimed[0].id).await.expect("cancel");
        assert!(cancelled.cancel_requested);
        let unclaimed = ids.iter().copied().find(|id| !claimed.iter().any(|j| j.id == *id)).expect("one left");
        let mut leases = held.clone();
        leases.push(Lease { id: unclaimed, attempt: 1 });
        let report = queue.store().heartbeat("w1", &leases, Duration::from_secs(20)).await.expect("heartbeat");
        assert_eq!(report.cancel_requested, vec![claimed[0].id]);
        assert_eq!(report.lost, vec![unclaimed], "a job this worker never held is lost");
        let report = queue.store().heartbeat("w2", &held, Duration::from_secs(20)).await.expect("heartbeat");
        let mut lost = report.lost.clone();
        lost.sort_unstable();
        let mut expected: Vec<JobId> = held.iter().map(|l| l.id).collect();
        expected.sort_unstable();
        assert_eq!(lost, expected, "another worker's heartbeat renews nothing");
    }
);

db_test!(
    async fn rescue_returns_expired_jobs_and_spares_live_leases(db) {
        let queue = db.queue().await;
        let retryable = queue.enqueue(NewJob::raw("r-retry", json!({})).max_attempts(3)).await.expect("enqueue").job;
        let exhausted = queue.enqueue(NewJob::raw("r-last", json!({})).max_attempts(1)).await.expect("enqueue").job;
        let live = queue.enqueue(NewJob::raw("r-live", json!({}))).await.expect("enqueue").job;
        let pending = queue.enqueue(NewJob::raw("r-pending", json!({})).run_at(Utc::now() - chrono::Duration::seconds(10))).await.expect("enqueue").job;
        claim(&queue, "w1", &["r-retry", "r-last"], 10, Duration::from_millis(500)).await;
        claim(&queue, "w2", &["r-live"], 10, LONG).await;
        assert!(queue.store().rescue_expired().await.expect("rescue").is_empty(), "nothing expired yet");
        tokio::time::sleep(Duration::from_millis(650)).await;
        let mut rescued = queue.store().rescue_expired().await.expect("rescue");
        rescued.sort_by_key(|j| j.id);
        assert_eq!(rescued.iter().map(|j| j.id).collect::<Vec<_>>(), vec![retryable.id, exhausted.id]);

        let job = queue.get(retryable.id).await.expect("get");
        assert_eq!((job.state, job.attempt), (JobState::Pending, 1), "back to pending, attempt kept");
        assert_eq!((job.locked_by.as_deref(), job.lease_expires_at, job.finished_at), (None, None, None));
        assert!(job.last_error.as_deref().is_some_and(|e| e.contains("lease expired")), "{job:?}");
        assert!(job.run_at <= Utc::now());
        assert_eq!(rescued[0], job, "rescue returns the job as stored");

        let job = queue.get(exhausted.id).await.expect("get");
        assert_eq!((job.state, job.attempt), (JobState::Failed, 1), "no attempts left: failed");
        assert!(job.finished_at.is_some());

        let job = queue.get(live.id).await.expect("get");
        assert_eq!((job.state, job.locked_by.as_deref()), (JobState::Running, Some("w2")), "a live lease is untouched");
        assert_eq!(queue.get(pending.id).await.expect("get").state, JobState::Pending);
        assert!(queue.store().rescue_expired().await.expect("rescue").is_empty(), "rescue is idempotent");
        let again = claim(&queue, "w3", &["r-retry"], 10, LONG).await;
        assert_eq!((again[0].id, again[0].attempt), (retryable.id, 2), "the rescued job runs again");
    }
);

db_test!(
    async fn rescue_of_a_job_whose_cancel_was_requested_cancels_it(db) {
        let queue = db.queue().await;
        let job = queue.enqueue(NewJob::raw("r-cancel", json!({}))).await.expect("enqueue").job;
        claim(&queue, "w1", &["r-cancel"], 1, Duration::from_millis(50)).await;
        queue.cancel(job.id).await.expect("cancel");
        tokio::time::sleep(Duration::from_millis(150)).await;
        let rescued = queue.store().rescue_expired().await.expect("rescue");
        assert_eq!(rescued.len(), 1);
        assert_eq!(queue.get(job.id).await.expect("get").state, JobState::Cancelled);
    }
);

db_test!(
    async fn finish_outcomes_retry_fail_snooze_cancel(db) {
        let queue = db.queue().await;
        let ids: Vec<JobId> = queue
            .enqueue_many((0..4).map(|i| NewJob::raw("outcome", json!({ "i": i })).max_attempts(3)).collect())
            .await
            .expect("enqueue")
            .into_iter()
            .map(|e| e.job.id)
            .collect();
        let claimed = claim(&queue, "w1", &["outcome"], 4, LONG).await;
        assert_eq!(claimed.len(), 4);
        let t0 = Utc::now();
        let delay = Duration::from_secs(60);
        assert!(finish(&queue, "w1", ids[0], 1, Outcome::Retry { delay, error: "boom".into() }).await);
        assert!(finish(&queue, "w1", ids[1], 1, Outcome::Failed { error: "bad input".into() }).await);
        assert!(finish(&queue, "w1", ids[2], 1, Outcome::Snooze { delay }).await);
        assert!(finish(&queue, "w1", ids[3], 1, Outcome::Cancelled { reason: "handler gave up".into() }).await);

        let retried = queue.get(ids[0]).await.expect("get");
        assert_eq!((retried.state, retried.attempt), (JobState::Pending, 1), "retry spends the attempt");
        assert_eq!(retried.last_error.as_deref(), Some("boom"));
        let pushed = (retried.run_at - t0).num_milliseconds();
        assert!((59_000..62_000).contains(&pushed), "run_at pushed by the delay: {pushed} ms");
        assert_eq!((retried.locked_by, retried.finished_at), (None, None));

        let failed = queue.get(ids[1]).await.expect("get");
        assert_eq!((failed.state, failed.attempt), (JobState::Failed, 1));
        assert_eq!(failed.last_error.as_deref(), Some("bad input"));
        assert!(failed.finished_at.is_some());

        let snoozed = queue.get(ids[2]).await.expect("get");
        assert_eq!((snoozed.state, snoozed.attempt), (JobState::Pending, 0), "snooze does not spend the attempt");
        let pushed = (snoozed.run_at - t0).num_milliseconds();
        assert!((59_000..62_000).contains(&pushed), "run_at pushed by the snooze: {pushed} ms");
        assert_eq!(snoozed.last_error, None);

        let cancelled = queue.get(ids[3]).await.expect("get");
        assert_eq!(cancelled.state, JobState::Cancelled);
        assert!(cancelled.finished_at.is_some());
        assert_eq!(cancelled.last_error.as_deref(), Some("handler gave up"));

        assert!(claim(&queue, "w1", &["outcome"], 10, LONG).await.is_empty(), "retried and snoozed jobs wait for their delay");
        // With a zero delay they are due again at once.
        let ready = queue.enqueue(NewJob::raw("outcome-now", json!({}))).await.expect("enqueue").job;
        claim(&queue, "w1", &["outcome-now"], 1, LONG).await;
        assert!(finish(&queue, "w1", ready.id, 1, Outcome::Snooze { delay: Duration::ZERO }).await);
        let again = claim(&queue, "w1", &["outcome-now"], 1, LONG).await;
        assert_eq!((again[0].id, again[0].attempt), (ready.id, 1));
    }
);

db_test!(
    async fn batched_finish_applies_mixed_outcomes_and_rejects_only_stale_ones(db) {
        let queue = db.queue().await;
        let ids: Vec<JobId> = queue
            .enqueue_many((0..5).map(|i| NewJob::raw("mixed", json!({ "i": i }))).collect())
            .await
            .expect("enqueue")
            .into_iter()
            .map(|e| e.job.id)
            .collect();
        claim(&queue, "w1", &["mixed"], 5, LONG).await;
        let finishes = vec![
            metarr_queue::store::Finish { id: ids[0], attempt: 1, outcome: Outcome::Completed },
            metarr_queue::store::Finish { id: ids[1], attempt: 9, outcome: Outcome::Completed },
            metarr_queue::store::Finish { id: ids[2], attempt: 1, outcome: Outcome::Completed },
            metarr_queue::store::Finish { id: ids[3], attempt: 1, outcome: Outcome::Failed { error: "x".into() } },
            metarr_queue::store::Finish { id: ids[4], attempt: 2, outcome: Outcome::Failed { error: "x".into() } },
        ];
        let mut applied = queue.store().finish("w1", &finishes).await.expect("finish");
        applied.sort_unstable();
        assert_eq!(applied, vec![ids[0], ids[2], ids[3]]);
        assert_eq!(queue.get(ids[1]).await.expect("get").state, JobState::Running);
        assert_eq!(queue.get(ids[4]).await.expect("get").state, JobState::Running);
    }
);

/// Enqueues one job inside a caller's transaction on this backend, committing or rolling back.
async fn enqueue_in_transaction(
    db: &crate::harness::TestDb,
    job: NewJob,
    commit: bool,
) -> (metarr_queue::Queue, metarr_queue::Enqueued) {
    // The caller's transaction is the database's own, as the catalogue's is.
    let database = metarr_db::Database::connect(db.url()).await.expect("open");
    database.migrate().await.expect("migrate");
    let mut tx = database.begin().await.expect("begin");
    let enqueued = metarr_queue::store::enqueue_in(&mut tx, job).await.expect("enqueue_in");
    if commit {
        tx.commit().await.expect("commit");
    } else {
        // Dropping an uncommitted transaction rolls it back.
        drop(tx);
    }
    (metarr_queue::Queue::new(metarr_queue::store::for_database(database).await.expect("store")), enqueued)
}

db_test!(
    async fn enqueue_inside_a_callers_transaction_commits_or_rolls_back_with_it(db) {
        let (queue, rolled_back) = enqueue_in_transaction(&db, NewJob::raw("tx", json!({ "n": 1 })).unique_key("tx:1"), false).await;
        assert!(rolled_back.created);
        assert!(matches!(queue.get(rolled_back.job.id).await, Err(QueueError::NotFound(_))), "rolled back with the caller");
        let mut events = queue.subscribe();
        let (_, committed) = enqueue_in_transaction(&db, NewJob::raw("tx", json!({ "n": 2 })).unique_key("tx:1"), true).await;
        assert!(committed.created, "the rolled-back job never held the key");
        assert_eq!(queue.get(committed.job.id).await.expect("get"), committed.job);
        queue.announce(std::slice::from_ref(&committed)).await;
        let event = events.try_recv().expect("announce publishes job.created");
        assert_eq!(event.job.id, committed.job.id);
        let (_, duplicate) = enqueue_in_transaction(&db, NewJob::raw("tx", json!({ "n": 3 })).unique_key("tx:1"), true).await;
        assert!(!duplicate.created);
        assert_eq!(duplicate.job.id, committed.job.id);
        let mut bad = NewJob::raw("tx", json!({}));
        bad.priority = 0;
        let database = metarr_db::Database::connect("sqlite::memory:").await.expect("open");
        database.migrate().await.expect("migrate");
        let mut tx = database.begin().await.expect("begin");
        assert!(matches!(metarr_queue::store::enqueue_in(&mut tx, bad).await, Err(QueueError::Invalid(_))), "validated like enqueue");
    }
);

db_test!(
    async fn connect_migrates_and_is_idempotent(db) {
        let first = metarr_queue::Queue::connect(db.url()).await.expect("connect migrates");
        let second = metarr_queue::Queue::connect(db.url()).await.expect("a second connect finds the schema migrated");
        let job = first.enqueue(NewJob::raw("connected", json!({}))).await.expect("enqueue").job;
        assert_eq!(second.get(job.id).await.expect("get").id, job.id);
        assert_eq!(first.backend(), second.backend());
        assert_ne!(first.node_id(), second.node_id(), "each queue is its own node");
    }
);

#[tokio::test]
async fn open_rejects_unknown_database_urls() {
    for url in ["mysql://localhost/metarr", "metarr.db", ""] {
        let err = metarr_queue::store::open(url).await.err().expect("not a queue URL");
        assert!(
            matches!(err, QueueError::Db(metarr_db::DbError::UnknownUrl { .. }))
                && err.to_string().contains("postgres://"),
            "{url}: {err}"
        );
    }
}
