//! The WebSocket event stream: job life-cycle messages, and slow clients being dropped.

use crate::helpers::{Backend, TestApp};
use futures::StreamExt;
use metarr_queue::{JobState, NewJob};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn websocket_receives_the_life_cycle_of_a_job(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(app.events_url()).await.expect("WebSocket connects");
    let job = app.enqueue_sleep(50).await;

    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !seen.contains(&"job.completed".to_owned()) {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("events arrive in time")
            .expect("socket open")
            .expect("message readable");
        let Message::Text(text) = message else {
            continue;
        };
        let event: Value = serde_json::from_str(&text).expect("JSON message");
        if event["data"]["id"] == job.id.get() {
            assert!(event["type"].is_string() && event["data"]["kind"] == "debug-sleep", "{event}");
            seen.push(event["type"].as_str().expect("type").to_owned());
        }
    }
    assert_eq!(seen, ["job.created", "job.started", "job.completed"]);
    app.stop().await;
}
app_test!(websocket_receives_the_life_cycle_of_a_job);

async fn websocket_needs_the_key(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let url = app.events_url().replace(&app.api_key, "wrong-key");
    let err = tokio_tungstenite::connect_async(url).await.expect_err("refused");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(response) => {
            assert_eq!(response.status().as_u16(), 401)
        }
        other => panic!("expected an HTTP 401, got {other}"),
    }
    app.stop().await;
}
app_test!(websocket_needs_the_key);

async fn a_client_that_never_reads_is_dropped_while_jobs_complete(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Connect, then never read: the server's sends back up once the socket buffers are full.
    let (mut stalled, _) = tokio_tungstenite::connect_async(app.events_url()).await.expect("WebSocket connects");

    // Padded payloads make each event ~64 KiB so that a few hundred fill every buffer.
    let padding = "x".repeat(64 * 1024);
    let n_jobs = 300;
    let jobs: Vec<NewJob> =
        (0..n_jobs).map(|_| NewJob::raw("debug-sleep", json!({ "ms": 0, "pad": padding }))).collect();
    let enqueued = app.queue.enqueue_many(jobs).await.expect("enqueue");
    let last = enqueued.last().expect("jobs enqueued").job.id;

    // The queue does not wait for the stalled client: every job completes.
    app.wait_for_state(last, JobState::Completed).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, stats) = app.get("/jobs/stats").await;
        if stats["kinds"]["debug-sleep"]["completed"] == n_jobs {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "jobs kept completing: {stats}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let the server's 2-second send timeout expire.
    tokio::time::sleep(Duration::from_secs(4)).await;

    // Now read: the buffered messages arrive, then the stream ends well before all 900 events.
    let mut received = 0;
    let ended = loop {
        match tokio::time::timeout(Duration::from_secs(10), stalled.next()).await {
            Err(_) => break false,
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => break true,
            Ok(Some(Ok(_))) => received += 1,
        }
    };
    assert!(ended, "the server closed the stalled socket (received {received} messages, then silence)");
    assert!(received < 3 * n_jobs, "the stalled client missed events: it got {received}");
    app.stop().await;
}
app_test!(a_client_that_never_reads_is_dropped_while_jobs_complete);

/// A job only another process can run: the app under test has no handler for this kind.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct RemoteOnly {}

impl metarr_queue::JobKind for RemoteOnly {
    const KIND: &'static str = "test-remote-only";
}

struct RemoteOnlyHandler;

#[async_trait::async_trait]
impl metarr_queue::Handler for RemoteOnlyHandler {
    type Job = RemoteOnly;

    async fn run(&self, _ctx: metarr_queue::JobContext, _job: RemoteOnly) -> Result<(), metarr_queue::JobError> {
        Ok(())
    }
}

async fn events_of_another_process_reach_websocket_clients(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(app.events_url()).await.expect("WebSocket connects");

    // A second node: its own queue handle (own node id, own connections) and its own worker.
    let url = app.postgres_url.clone().expect("PostgreSQL URL");
    let other = metarr_queue::Queue::connect(&url).await.expect("second node connects");
    let stop_other = tokio_util::sync::CancellationToken::new();
    other.start_relay(stop_other.clone()).await.expect("relay");
    let mut registry = metarr_queue::Registry::new();
    registry.register(RemoteOnlyHandler);
    let config = metarr_queue::WorkerConfig { run_scheduler: false, ..metarr_queue::WorkerConfig::default() };
    let worker = tokio::spawn(metarr_queue::Worker::new(other.clone(), registry, config).run(stop_other.clone()));
    let job = other.enqueue(NewJob::of(&RemoteOnly {})).await.expect("enqueue on the other node").job;

    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !seen.contains(&"job.completed".to_owned()) {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("relayed events arrive in time")
            .expect("socket open")
            .expect("message readable");
        let Message::Text(text) = message else {
            continue;
        };
        let event: Value = serde_json::from_str(&text).expect("JSON message");
        if event["data"]["id"] == job.id.get() {
            seen.push(event["type"].as_str().expect("type").to_owned());
        }
    }
    assert_eq!(seen, ["job.created", "job.started", "job.completed"]);
    stop_other.cancel();
    worker.await.expect("worker task").expect("worker stopped cleanly");
    app.stop().await;
}
// Only PostgreSQL relays between processes; SQLite is one process by design (docs/queue.md,
// "SQLite and PostgreSQL").
pg_test!(events_of_another_process_reach_websocket_clients);
