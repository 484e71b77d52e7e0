//! Several processes on one database: wake-ups and events across processes, and shared work run exactly once.

use crate::harness::{Invocations, RunningWorker, fast_config, handler, record, wait_for, wait_for_state};
use futures::FutureExt;
use metarr_queue::{JobEventKind, JobState, NewJob, Registry, WorkerConfig};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

test_kind!(Shared, "shared");
test_kind!(Remote, "remote");

pg_test!(
    async fn an_enqueue_in_one_process_wakes_a_worker_in_another_and_events_come_back(db) {
        let relays = CancellationToken::new();
        let web = db.queue().await;
        let worker_node = db.queue().await;
        web.start_relay(relays.clone()).await.expect("relay");
        worker_node.start_relay(relays.clone()).await.expect("relay");
        let ran_at: Arc<std::sync::Mutex<Vec<Instant>>> = Arc::default();
        let mut registry = Registry::new();
        let seen = Arc::clone(&ran_at);
        registry.register(handler(move |_ctx, _job: Remote| {
            seen.lock().expect("test lock").push(Instant::now());
            async { Ok(()) }.boxed()
        }));
        // The default 5 s fallback poll: only a notification can make this quick.
        let config = WorkerConfig { poll_interval: Duration::from_secs(5), ..fast_config() };
        let worker = RunningWorker::start(&worker_node, registry, config);
        let mut events = web.subscribe();
        tokio::time::sleep(Duration::from_millis(500)).await;

        for round in 0..3 {
            let enqueued_at = Instant::now();
            let job = web.enqueue(NewJob::of(&Remote(json!({ "round": round })))).await.expect("enqueue").job;
            wait_for_state(&web, job.id, JobState::Completed, Duration::from_secs(4)).await;
            let started = ran_at.lock().expect("test lock")[round];
            let latency = started - enqueued_at;
            assert!(latency < Duration::from_secs(1), "round {round}: the other process started the job after {latency:?}");
            // The worker's events reach this process's subscribers.
            let mut kinds = Vec::new();
            tokio::time::timeout(Duration::from_secs(3), async {
                while kinds.last() != Some(&JobEventKind::Completed) {
                    let event = events.recv().await.expect("event");
                    if event.job.id == job.id {
                        kinds.push(event.kind);
                    }
                }
            })
            .await
            .unwrap_or_else(|_| panic!("round {round}: events of the other process so far {kinds:?}"));
            assert_eq!(kinds, vec![JobEventKind::Created, JobEventKind::Started, JobEventKind::Completed]);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        worker.stop(Duration::from_secs(10)).await;
        relays.cancel();
    }
);

pg_test!(
    async fn a_cancel_in_one_process_stops_the_handler_in_another_at_once(db) {
        let relays = CancellationToken::new();
        let web = db.queue().await;
        let worker_node = db.queue().await;
        web.start_relay(relays.clone()).await.expect("relay");
        worker_node.start_relay(relays.clone()).await.expect("relay");
        let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut registry = Registry::new();
        let s = Arc::clone(&started);
        registry.register(handler(move |_ctx, _job: Remote| {
            s.store(true, std::sync::atomic::Ordering::SeqCst);
            async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(())
            }
            .boxed()
        }));
        // A slow heartbeat: only the relayed message can stop the handler quickly.
        let config = WorkerConfig { heartbeat: Duration::from_secs(20), lease: Duration::from_secs(60), ..fast_config() };
        let worker = RunningWorker::start(&worker_node, registry, config);
        let job = web.enqueue(NewJob::of(&Remote(json!({})))).await.expect("enqueue").job;
        wait_for(Duration::from_secs(5), "the handler to start", || async {
            started.load(std::sync::atomic::Ordering::SeqCst).then_some(())
        })
        .await;
        let cancelled_at = Instant::now();
        web.cancel(job.id).await.expect("cancel");
        wait_for_state(&web, job.id, JobState::Cancelled, Duration::from_secs(3)).await;
        assert!(cancelled_at.elapsed() < Duration::from_secs(2), "took {:?}", cancelled_at.elapsed());
        worker.stop(Duration::from_secs(10)).await;
        relays.cancel();
    }
);

db_test!(
    async fn two_workers_in_two_processes_run_each_of_2000_jobs_exactly_once(db) {
        let relays = CancellationToken::new();
        let first = db.queue().await;
        let second = db.queue().await;
        first.start_relay(relays.clone()).await.expect("relay");
        second.start_relay(relays.clone()).await.expect("relay");
        let invocations = Invocations::default();
        let registry = |queue: &metarr_queue::Queue| {
            let _ = queue;
            let mut registry = Registry::new();
            let seen = invocations.clone();
            registry.register(handler(move |ctx, _job: Shared| {
                record(&seen, &ctx);
                async { Ok(()) }.boxed()
            }));
            registry
        };
        let config = WorkerConfig { concurrency: 16, poll_interval: Duration::from_millis(100), ..fast_config() };
        let a = RunningWorker::start(&first, registry(&first), config.clone());
        let b = RunningWorker::start(&second, registry(&second), config);
        // Enqueue from both sides, in batches, while the workers run.
        for batch in 0..10 {
            let queue = if batch % 2 == 0 { &first } else { &second };
            let jobs = (0..200).map(|i| NewJob::of(&Shared(json!({ "batch": batch, "i": i })))).collect();
            queue.enqueue_many(jobs).await.expect("enqueue");
        }
        wait_for(Duration::from_secs(60), "2,000 completed jobs", || async {
            (crate::harness::count_in(&first, JobState::Completed).await == 2000).then_some(())
        })
        .await;
        a.stop(Duration::from_secs(10)).await;
        b.stop(Duration::from_secs(10)).await;
        relays.cancel();
        let invocations = invocations.lock().expect("test lock").clone();
        assert_eq!(invocations.len(), 2000);
        let repeated: Vec<_> = invocations.iter().filter(|(_, attempts)| attempts.len() != 1).collect();
        assert!(repeated.is_empty(), "jobs run more than once: {repeated:?}");
        let stats = first.stats().await.expect("stats");
        assert_eq!(stats.states["completed"], 2000);
        assert_eq!(stats.states.values().sum::<i64>(), 2000);
    }
);
