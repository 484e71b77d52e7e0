//! The management API: cancel, retry, not-found cases, list filters and paging, pruning, statistics.

use crate::harness::{claim, finish, now_ms};
use metarr_queue::JobId;
use metarr_queue::store::Outcome;
use metarr_queue::{JobState, ListFilter, NewJob, QueueError};
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

db_test!(
    async fn cancel_depends_on_the_state(db) {
        let queue = db.queue().await;
        let pending = queue.enqueue(NewJob::raw("c", json!({ "n": 1 }))).await.expect("enqueue").job;
        let running = queue.enqueue(NewJob::raw("c-run", json!({}))).await.expect("enqueue").job;
        claim(&queue, "w1", &["c-run"], 1, LONG).await;

        let cancelled = queue.cancel(pending.id).await.expect("cancel pending");
        assert_eq!(cancelled.state, JobState::Cancelled);
        assert!(cancelled.finished_at.is_some());
        assert_eq!(queue.get(pending.id).await.expect("get"), cancelled);
        assert!(claim(&queue, "w1", &["c"], 1, LONG).await.is_empty(), "a cancelled job never runs");

        let requested = queue.cancel(running.id).await.expect("cancel running");
        assert_eq!((requested.state, requested.cancel_requested), (JobState::Running, true));
        assert_eq!(queue.get(running.id).await.expect("get").locked_by.as_deref(), Some("w1"), "the lease stays");

        for (id, state) in [(pending.id, JobState::Cancelled)] {
            let err = queue.cancel(id).await.expect_err("cancel a finished job");
            assert!(matches!(err, QueueError::InvalidTransition { id: i, state: s, .. } if i == id && s == state), "{err}");
        }
        assert!(finish(&queue, "w1", running.id, 1, Outcome::Completed).await);
        let err = queue.cancel(running.id).await.expect_err("cancel a completed job");
        assert!(matches!(err, QueueError::InvalidTransition { state: JobState::Completed, .. }), "{err}");
        let err = queue.cancel(JobId(999_999)).await.expect_err("cancel an unknown job");
        assert!(matches!(err, QueueError::NotFound(JobId(999_999))), "{err}");
        let err = queue.get(JobId(999_999)).await.expect_err("get an unknown job");
        assert!(matches!(err, QueueError::NotFound(JobId(999_999))), "{err}");
    }
);

db_test!(
    async fn retry_puts_failed_and_cancelled_jobs_back(db) {
        let queue = db.queue().await;
        let failed = queue.enqueue(NewJob::raw("r", json!({ "n": 1 })).max_attempts(2)).await.expect("enqueue").job;
        claim(&queue, "w1", &["r"], 1, LONG).await;
        assert!(finish(&queue, "w1", failed.id, 1, Outcome::Failed { error: "gave up".into() }).await);
        let cancelled = queue.enqueue(NewJob::raw("r2", json!({}))).await.expect("enqueue").job;
        queue.cancel(cancelled.id).await.expect("cancel");

        for id in [failed.id, cancelled.id] {
            let retried = queue.retry(id).await.expect("retry");
            assert_eq!((retried.state, retried.attempt), (JobState::Pending, 0), "{retried:?}");
            assert_eq!((retried.finished_at, retried.started_at, retried.cancel_requested), (None, None, false));
            assert!(retried.run_at <= chrono::Utc::now());
            assert_eq!(queue.get(id).await.expect("get"), retried);
        }
        let again = claim(&queue, "w1", &["r", "r2"], 10, LONG).await;
        assert_eq!(again.len(), 2, "both run again");
        assert!(again.iter().all(|job| job.attempt == 1), "with fresh attempts");

        let err = queue.retry(failed.id).await.expect_err("retry a running job");
        assert!(matches!(err, QueueError::InvalidTransition { state: JobState::Running, operation: "retry", .. }), "{err}");
        let pending = queue.enqueue(NewJob::raw("r3", json!({}))).await.expect("enqueue").job;
        let err = queue.retry(pending.id).await.expect_err("retry a pending job");
        assert!(matches!(err, QueueError::InvalidTransition { state: JobState::Pending, .. }), "{err}");
        assert!(finish(&queue, "w1", failed.id, 1, Outcome::Completed).await);
        let err = queue.retry(failed.id).await.expect_err("retry a completed job");
        assert!(matches!(err, QueueError::InvalidTransition { state: JobState::Completed, .. }), "{err}");
        let err = queue.retry(JobId(999_999)).await.expect_err("retry an unknown job");
        assert!(matches!(err, QueueError::NotFound(JobId(999_999))), "{err}");
    }
);

db_test!(
    async fn retry_refuses_a_unique_key_held_by_an_active_job(db) {
        let queue = db.queue().await;
        let old = queue.enqueue(NewJob::raw("u", json!({})).unique_key("movie:7")).await.expect("enqueue").job;
        queue.cancel(old.id).await.expect("cancel");
        let holder = queue.enqueue(NewJob::raw("u", json!({})).unique_key("movie:7")).await.expect("enqueue");
        assert!(holder.created);
        let err = queue.retry(old.id).await.expect_err("the key is held");
        match err {
            QueueError::UniqueConflict { id, existing, key } => {
                assert_eq!((id, existing, key.as_str()), (old.id, holder.job.id, "movie:7"));
            }
            other => panic!("expected UniqueConflict, got {other}"),
        }
        assert_eq!(queue.get(old.id).await.expect("get").state, JobState::Cancelled, "unchanged");
        queue.cancel(holder.job.id).await.expect("cancel the holder");
        assert_eq!(queue.retry(old.id).await.expect("retry once the key is free").state, JobState::Pending);
    }
);

db_test!(
    async fn list_filters_newest_first_and_pages_through_every_job_once(db) {
        let queue = db.queue().await;
        let mut jobs = Vec::new();
        for i in 0..23 {
            let kind = if i % 3 == 0 { "scan" } else { "refresh" };
            let mut job = NewJob::raw(kind, json!({ "i": i }));
            if i % 2 == 0 {
                job = job.correlation_id("hook-a");
            }
            jobs.push(queue.enqueue(job).await.expect("enqueue").job);
        }
        // Some running, one failed.
        let running = claim(&queue, "w1", &["refresh"], 3, LONG).await;
        assert!(finish(&queue, "w1", running[0].id, 1, Outcome::Failed { error: "x".into() }).await);
        let all_ids: Vec<JobId> = jobs.iter().map(|j| j.id).rev().collect();

        let mut seen = Vec::new();
        let mut filter = ListFilter { limit: 5, ..ListFilter::default() };
        let mut pages = 0;
        loop {
            let page = queue.list(&filter).await.expect("list");
            pages += 1;
            assert!(page.items.len() <= 5);
            seen.extend(page.items.iter().map(|j| j.id));
            match page.next_before_id {
                Some(before) => filter.before_id = Some(before),
                None => break,
            }
        }
        assert_eq!(seen, all_ids, "every job once, newest first");
        assert_eq!(pages, 5);
        let exact = queue.list(&ListFilter { limit: 23, ..ListFilter::default() }).await.expect("list");
        assert_eq!((exact.items.len(), exact.next_before_id), (23, None), "no empty last page");
        let unbounded = queue.list(&ListFilter { limit: usize::MAX, ..ListFilter::default() }).await.expect("list");
        assert_eq!((unbounded.items.len(), unbounded.next_before_id), (23, None), "a huge limit is no overflow");
        let zero = queue.list(&ListFilter { limit: 0, ..ListFilter::default() }).await.expect("list");
        assert_eq!(zero.items.len(), 1, "a zero limit lists one job");

        let check = |filter: ListFilter, expected: Vec<JobId>| {
            let queue = queue.clone();
            async move {
                let page = queue.list(&ListFilter { limit: 100, ..filter.clone() }).await.expect("list");
                assert_eq!(page.items.iter().map(|j| j.id).collect::<Vec<_>>(), expected, "{filter:?}");
            }
        };
        let newest_first = |pred: &dyn Fn(&metarr_queue::Job) -> bool| -> Vec<JobId> {
            jobs.iter().rev().filter(|j| pred(j)).map(|j| j.id).collect()
        };
        let running_ids: HashSet<JobId> = running[1..].iter().map(|j| j.id).collect();
        check(ListFilter { kind: Some("scan".into()), ..Default::default() }, newest_first(&|j| j.kind == "scan")).await;
        check(
            ListFilter { correlation_id: Some("hook-a".into()), ..Default::default() },
            newest_first(&|j| j.correlation_id.as_deref() == Some("hook-a")),
        )
        .await;
        check(ListFilter { state: Some(JobState::Running), ..Default::default() }, newest_first(&|j| running_ids.contains(&j.id))).await;
        check(ListFilter { state: Some(JobState::Failed), ..Default::default() }, vec![running[0].id]).await;
        check(
            ListFilter { state: Some(JobState::Pending), kind: Some("refresh".into()), correlation_id: Some("hook-a".into()), ..Default::default() },
            newest_first(&|j| j.kind == "refresh" && j.correlation_id.as_deref() == Some("hook-a") && !running.iter().any(|r| r.id == j.id)),
        )
        .await;
        check(ListFilter { kind: Some("none".into()), ..Default::default() }, vec![]).await;

        // Paging with a filter visits each matching job once.
        let mut seen = Vec::new();
        let mut filter = ListFilter { kind: Some("refresh".into()), limit: 4, ..Default::default() };
        loop {
            let page = queue.list(&filter).await.expect("list");
            seen.extend(page.items.iter().map(|j| j.id));
            let Some(before) = page.next_before_id else { break };
            filter.before_id = Some(before);
        }
        assert_eq!(seen, newest_first(&|j| j.kind == "refresh"));
    }
);

db_test!(
    async fn delete_finished_before_prunes_old_finished_jobs_only(db) {
        let queue = db.queue().await;
        let ids: Vec<JobId> = queue
            .enqueue_many((0..6).map(|i| NewJob::raw("prune", json!({ "i": i }))).collect())
            .await
            .expect("enqueue")
            .into_iter()
            .map(|e| e.job.id)
            .collect();
        claim(&queue, "w1", &["prune"], 4, LONG).await;
        assert!(finish(&queue, "w1", ids[0], 1, Outcome::Completed).await);
        assert!(finish(&queue, "w1", ids[1], 1, Outcome::Failed { error: "x".into() }).await);
        assert!(finish(&queue, "w1", ids[2], 1, Outcome::Completed).await);
        queue.cancel(ids[4]).await.expect("cancel");
        // ids[0], ids[1] and ids[4] finished long ago; ids[2] just now; ids[3] runs; ids[5] waits.
        let old = db.seconds_ago_sql(3 * 86_400);
        db.execute(&format!("UPDATE jobs SET finished_at = {old} WHERE id IN ({}, {}, {})", ids[0], ids[1], ids[4])).await;
        let deleted = queue.delete_finished_before(now_ms() - chrono::Duration::days(1)).await.expect("delete");
        assert_eq!(deleted, 3);
        for id in [ids[0], ids[1], ids[4]] {
            assert!(matches!(queue.get(id).await, Err(QueueError::NotFound(_))));
        }
        for id in [ids[2], ids[3], ids[5]] {
            queue.get(id).await.expect("kept");
        }
        // Running and pending jobs are never pruned, whatever the date.
        let deleted = queue.delete_finished_before(now_ms() + chrono::Duration::days(1)).await.expect("delete");
        assert_eq!(deleted, 1);
        assert_eq!(queue.get(ids[3]).await.expect("kept").state, JobState::Running);
        assert_eq!(queue.get(ids[5]).await.expect("kept").state, JobState::Pending);
    }
);

db_test!(
    async fn delete_finished_before_goes_through_every_batch(db) {
        let queue = db.queue().await;
        let old = metarr_queue::store::DELETE_BATCH * 2 + 345;
        let old_jobs = (0..old).map(|i| NewJob::raw("prune", json!({ "i": i }))).collect();
        queue.enqueue_many(old_jobs).await.expect("enqueue");
        let ago = db.seconds_ago_sql(3 * 86_400);
        db.execute(&format!("UPDATE jobs SET state = 'completed', finished_at = {ago}")).await;
        let recent = queue.enqueue(NewJob::raw("prune", json!({ "recent": true }))).await.expect("enqueue").job;
        claim(&queue, "w1", &["prune"], 1, LONG).await;
        assert!(finish(&queue, "w1", recent.id, 1, Outcome::Completed).await);

        let deleted = queue.delete_finished_before(now_ms() - chrono::Duration::days(1)).await.expect("delete");
        assert_eq!(deleted, old.unsigned_abs(), "every batch ran");
        assert_eq!(queue.get(recent.id).await.expect("kept").state, JobState::Completed);
        assert_eq!(queue.stats().await.expect("stats").states.values().sum::<i64>(), 1);
    }
);

db_test!(
    async fn stats_count_per_state_and_kind(db) {
        let queue = db.queue().await;
        let empty = queue.stats().await.expect("stats");
        assert_eq!(empty.states.len(), 5, "every state is listed: {empty:?}");
        assert!(empty.states.values().all(|n| *n == 0) && empty.kinds.is_empty());

        queue.enqueue_many((0..4).map(|_| NewJob::raw("a", json!({}))).collect()).await.expect("enqueue");
        queue.enqueue_many((0..3).map(|_| NewJob::raw("b", json!({}))).collect()).await.expect("enqueue");
        let claimed = claim(&queue, "w1", &["a"], 3, LONG).await;
        assert!(finish(&queue, "w1", claimed[0].id, 1, Outcome::Completed).await);
        assert!(finish(&queue, "w1", claimed[1].id, 1, Outcome::Failed { error: "x".into() }).await);
        let b = claim(&queue, "w1", &["b"], 1, LONG).await;
        assert!(finish(&queue, "w1", b[0].id, 1, Outcome::Cancelled { reason: "x".into() }).await);

        let stats = queue.stats().await.expect("stats");
        let states: Vec<(&str, i64)> = stats.states.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(states, vec![("cancelled", 1), ("completed", 1), ("failed", 1), ("pending", 3), ("running", 1)]);
        let a: Vec<(&str, i64)> = stats.kinds["a"].iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(a, vec![("completed", 1), ("failed", 1), ("pending", 1), ("running", 1)]);
        let b: Vec<(&str, i64)> = stats.kinds["b"].iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(b, vec![("cancelled", 1), ("pending", 2)]);
        assert_eq!((stats.completed_last_minute, stats.completed_last_hour), (1, 1));
    }
);
