//! The `webhook` suite: the real application on 127.0.0.1:0 receiving Radarr `Download`
//! webhooks over HTTP.
//!
//! `accept_*` is the time from sending a webhook to its answer (record + enqueue, one
//! transaction). `to_scan_start_*` is the time from sending it to its `scan-movie` job starting
//! (the `job.started` event in this process), through the `webhook-received` job in between;
//! the scan itself is excluded. Each webhook names its own folder so that no two share a scan.

use crate::Figure;
use crate::queue::BenchDb;
use anyhow::Context;
use metarr::arr::mappings::{self, PathMappingInput};
use metarr::catalogue::libraries::{self, LibraryInput};
use metarr::config::Settings;
use metarr::startup::Application;
use metarr_queue::JobEventKind;
use std::time::{Duration, Instant};

/// Webhooks per backend.
const N: usize = 1000;
pub(crate) const API_KEY: &str = "bench-api-key-0123456789";

/// The real application on 127.0.0.1:0 over the benchmark's database and data directory,
/// with a known API key.
pub(crate) async fn application(bench_db: &BenchDb, data_dir: &std::path::Path) -> anyhow::Result<Application> {
    let env: Vec<(String, String)> = [
        ("METARR_BIND", "127.0.0.1:0".to_owned()),
        ("METARR_DATA_DIR", data_dir.display().to_string()),
        ("METARR_DATABASE_URL", bench_db.url.clone()),
        ("METARR_API_KEY", API_KEY.to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect();
    let settings = Settings::load_from(None, env).context("bench settings")?;
    Application::build(settings).await
}

/// The figure at `p` (0–1) of sorted values.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn body(folder: &str) -> String {
    serde_json::json!({
        "movie": { "id": 1, "title": "Bench Movie", "year": 2000, "folderPath": folder, "tmdbId": 1 },
        "remoteMovie": { "tmdbId": 1, "title": "Bench Movie", "year": 2000 },
        "movieFile": { "id": 1, "path": format!("{folder}/movie.mkv"), "relativePath": "movie.mkv", "size": 1 },
        "isUpgrade": false,
        "downloadClient": "bench",
        "eventType": "Download",
        "instanceName": "Radarr",
        "applicationUrl": ""
    })
    .to_string()
}

pub(crate) async fn run(backends: &[String]) -> anyhow::Result<()> {
    for backend in backends {
        let db = BenchDb::create(backend).await?;
        let result = measure(&db).await;
        db.drop_schema().await?;
        result?;
    }
    Ok(())
}

async fn measure(bench_db: &BenchDb) -> anyhow::Result<()> {
    let backend = bench_db.backend;
    let data = tempfile::tempdir()?;
    let library_dir = tempfile::tempdir()?;
    let root = std::fs::canonicalize(library_dir.path())?.join("Movies");
    for i in 0..N {
        std::fs::create_dir_all(root.join(format!("Movie {i:04}")))?;
    }
    let application = application(bench_db, data.path()).await?;
    let address = application.local_addr().context("serve binds a port")?;
    let db = application.db().clone();
    let shutdown = application.shutdown_token();
    let mut events = application.queue().subscribe();
    let library = libraries::create(
        &db,
        &LibraryInput {
            name: None,
            path: root.display().to_string(),
            kind: "movies".into(),
            enabled: true,
            ignore_patterns: vec![],
            prefer_provider_metadata: false,
            auto_enrich: None,
            artwork_limits: Default::default(),
            publish: Default::default(),
            publish_options: Default::default(),
        },
    )
    .await?;
    mappings::create(&db, &PathMappingInput { remote_path: "/movies".into(), local_path: library.path.clone() })
        .await?;

    // Started events, by folder, stamped as they arrive.
    let (started_tx, mut started_rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    let listener = tokio::spawn(async move {
        while let Ok(event) = events.recv().await {
            if event.kind == JobEventKind::Started && event.job.kind == "scan-movie" {
                let folder = event.job.payload["folder"].as_str().unwrap_or_default().to_owned();
                if started_tx.send((folder, Instant::now())).is_err() {
                    break;
                }
            }
        }
    });
    let app = tokio::spawn(application.run_until_stopped());

    // One webhook at a time, the next sent once the previous one's scan started: this measures
    // the latency of the path (HTTP → webhook-received → scan-movie), not a backlog.
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    let url = format!("http://{address}/api/v1/webhooks/radarr");
    let mut accept_ms = Vec::with_capacity(N);
    let mut to_start_ms = Vec::with_capacity(N);
    for i in 0..N {
        let local_folder = format!("{}/Movie {i:04}", library.path);
        let request = client
            .post(&url)
            .header("X-Api-Key", API_KEY)
            .header("Content-Type", "application/json")
            .body(body(&format!("/movies/Movie {i:04}")));
        let at = Instant::now();
        let response = request.send().await?;
        accept_ms.push(at.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(response.status().as_u16() == 202, "webhook answered {}", response.status());
        loop {
            let next = tokio::time::timeout(Duration::from_secs(30), started_rx.recv()).await;
            let (folder, start) = next.context("no scan started within 30 s")?.context("event stream ended")?;
            if folder == local_folder {
                to_start_ms.push(start.duration_since(at).as_secs_f64() * 1000.0);
                break;
            }
        }
    }
    accept_ms.sort_by(f64::total_cmp);
    to_start_ms.sort_by(f64::total_cmp);
    Figure::new("webhook", "accept_p50", backend, percentile(&accept_ms, 0.50), "ms").print();
    Figure::new("webhook", "accept_p99", backend, percentile(&accept_ms, 0.99), "ms").print();
    Figure::new("webhook", "to_scan_start_p50", backend, percentile(&to_start_ms, 0.50), "ms").print();
    Figure::new("webhook", "to_scan_start_p99", backend, percentile(&to_start_ms, 0.99), "ms").print();

    shutdown.cancel();
    app.await.context("the app task panicked")??;
    listener.abort();
    Ok(())
}
