//! Schedules: registration keeps user edits, validation, one firing per slot across processes.

use metarr_queue::{JobState, QueueError};
use std::time::Duration;

db_test!(
    async fn ensure_schedule_keeps_user_edits(db) {
        let queue = db.queue().await;
        queue.ensure_schedule("cleanup", "scheduled-cleanup", "0 3 * * *", true).await.expect("ensure");
        let schedules = queue.schedules().await.expect("schedules");
        assert_eq!(schedules.len(), 1);
        assert_eq!((schedules[0].cron.as_str(), schedules[0].enabled, schedules[0].last_slot), ("0 3 * * *", true, None));

        let edited = queue.update_schedule("cleanup", "*/5 * * * *", false).await.expect("update");
        assert_eq!((edited.cron.as_str(), edited.enabled), ("*/5 * * * *", false));
        assert!(edited.updated_at >= schedules[0].updated_at);

        // A restart registers the default again: the user's edit wins.
        queue.ensure_schedule("cleanup", "scheduled-cleanup", "0 3 * * *", true).await.expect("ensure again");
        let other_process = db.queue().await;
        other_process.ensure_schedule("cleanup", "scheduled-cleanup", "0 3 * * *", true).await.expect("ensure again");
        let schedules = queue.schedules().await.expect("schedules");
        assert_eq!(schedules, vec![edited]);

        queue.ensure_schedule("aaa-first", "verify", "@daily", true).await.expect("ensure");
        let names: Vec<String> = queue.schedules().await.expect("schedules").into_iter().map(|s| s.name).collect();
        assert_eq!(names, vec!["aaa-first", "cleanup"], "by name");
    }
);

db_test!(
    async fn bad_cron_and_unknown_schedules_are_errors(db) {
        let queue = db.queue().await;
        queue.ensure_schedule("scan", "scan-libraries", "0 * * * *", true).await.expect("ensure");
        for bad in ["61 * * * *", "* * * *", "0 0 * * * *", "every day", ""] {
            let err = queue.update_schedule("scan", bad, true).await.expect_err("bad cron");
            match err {
                QueueError::InvalidCron { expression, reason } => {
                    assert_eq!(expression, bad);
                    assert!(!reason.is_empty());
                }
                other => panic!("expected InvalidCron for {bad:?}, got {other}"),
            }
        }
        assert_eq!(queue.schedules().await.expect("schedules")[0].cron, "0 * * * *", "nothing changed");
        let err = queue.ensure_schedule("x", "x", "bad", true).await.expect_err("bad cron");
        assert!(matches!(err, QueueError::InvalidCron { .. }), "{err}");
        let err = queue.update_schedule("nope", "* * * * *", true).await.expect_err("unknown");
        assert!(matches!(err, QueueError::ScheduleNotFound(ref name) if name == "nope"), "{err}");
        let err = queue.run_schedule_now("nope").await.expect_err("unknown");
        assert!(matches!(err, QueueError::ScheduleNotFound(_)), "{err}");
    }
);

db_test!(
    async fn one_slot_fires_once_from_two_processes(db) {
        let first = db.queue().await;
        let second = db.queue().await;
        first.ensure_schedule("sync", "sync-players", "*/10 * * * *", true).await.expect("ensure");
        let schedule = first.schedules().await.expect("schedules").remove(0);
        let slot = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("valid time");
        for round in 0..5 {
            let slot = slot + chrono::Duration::minutes(10 * round);
            let job = metarr_queue::schedule::job_for(&schedule, Some(slot));
            let (a, b) = tokio::join!(
                first.store().fire_schedule("sync", slot, job.clone()),
                second.store().fire_schedule("sync", slot, job.clone()),
            );
            let fired: Vec<_> = [a.expect("fire"), b.expect("fire")].into_iter().flatten().collect();
            assert_eq!(fired.len(), 1, "round {round}: exactly one process fires the slot");
            let fired = &fired[0];
            assert_eq!(fired.job.kind, "sync-players");
            assert_eq!(fired.job.unique_key.as_deref(), Some("schedule:sync"));
            let stored = first.schedules().await.expect("schedules").remove(0);
            assert_eq!((stored.last_slot, stored.last_job_id), (Some(slot), Some(fired.job.id)));
            // The job must finish before the next round, or the next slot returns it (unique key).
            let claimed = crate::harness::claim(&first, "w1", &["sync-players"], 1, Duration::from_secs(60)).await;
            assert_eq!(claimed.len(), 1);
            assert!(crate::harness::finish(&first, "w1", claimed[0].id, 1, metarr_queue::store::Outcome::Completed).await);
        }
        let last = slot + chrono::Duration::minutes(40);
        let job = metarr_queue::schedule::job_for(&schedule, Some(last));
        assert!(first.store().fire_schedule("sync", last, job.clone()).await.expect("fire").is_none(), "a slot never fires twice");
        let earlier = last - chrono::Duration::minutes(10);
        assert!(second.store().fire_schedule("sync", earlier, job.clone()).await.expect("fire").is_none(), "nor an older one");
        assert!(first.store().fire_schedule("unknown", last, job).await.expect("fire").is_none());
        assert_eq!(first.stats().await.expect("stats").kinds["sync-players"]["completed"], 5);
    }
);

db_test!(
    async fn fire_due_schedules_enqueues_each_due_slot_once(db) {
        let queue = db.queue().await;
        queue.ensure_schedule("every-minute", "scheduled-cleanup", "* * * * *", true).await.expect("ensure");
        queue.ensure_schedule("off", "scheduled-cleanup-off", "* * * * *", false).await.expect("ensure");
        queue.ensure_schedule("yearly", "scheduled-yearly", "0 0 1 1 *", true).await.expect("ensure");
        assert!(queue.fire_due_schedules().await.expect("fire").is_empty(), "no slot passed since registration");
        // Pretend the schedules were registered three minutes ago.
        db.execute(&format!("UPDATE schedules SET updated_at = {}", db.seconds_ago_sql(180))).await;
        let mut events = queue.subscribe();
        let fired = queue.fire_due_schedules().await.expect("fire");
        assert_eq!(fired.len(), 1, "{fired:?}");
        let job = &fired[0].job;
        assert!(fired[0].created);
        assert_eq!((job.kind.as_str(), job.priority, job.max_attempts), ("scheduled-cleanup", 8, 3));
        assert_eq!(job.payload["schedule"], "every-minute");
        let slot: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(job.payload["slot"].clone()).expect("the slot is in the payload");
        let now = chrono::Utc::now();
        assert!(slot <= now && slot > now - chrono::Duration::seconds(61), "the latest slot fires: {slot}");
        let schedule = queue.schedules().await.expect("schedules").into_iter().find(|s| s.name == "every-minute").expect("schedule");
        assert_eq!((schedule.last_slot, schedule.last_job_id), (Some(slot), Some(job.id)));
        let event = events.try_recv().expect("a job.created event");
        assert_eq!((event.kind, event.job.id), (metarr_queue::JobEventKind::Created, job.id));

        assert!(queue.fire_due_schedules().await.expect("fire").is_empty(), "the slot does not fire again");
        assert!(db.queue().await.fire_due_schedules().await.expect("fire").is_empty(), "not from another process either");
        let stats = queue.stats().await.expect("stats");
        assert_eq!(stats.states["pending"], 1);

        let now_job = queue.run_schedule_now("every-minute").await.expect("run now");
        assert!(!now_job.created, "the pending run holds the schedule's key");
        assert_eq!(now_job.job.id, job.id);
        assert_eq!(now_job.job.state, JobState::Pending);
    }
);
