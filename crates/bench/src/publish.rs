//! The `publish` suite: the real application on 127.0.0.1:0 publishing 1,000 movies, each with
//! an NFO, a poster (1000×1500 JPEG) and a fanart (1920×1080 JPEG), over the HTTP API and its
//! `publish` jobs.
//!
//! Every folder starts as Radarr leaves it: a video under a scene name (the same real H.264
//! sample, hard-linked) and Radarr's own small NFO, which the first publish replaces (and
//! recycles). Figures:
//! - `publish_cold`: `POST /api/v1/publish` for the library until every `publish-batch` job is done;
//!   `bytes_written_cold` the bytes of the files whose stamp changed.
//! - `publish_unchanged`: the same again; `bytes_written` must be 0.
//! - `verify_unchanged`: `POST /api/v1/verify` for the library until its run is recorded.
//! - `upgrade_restore_p50`/`_p99`: 100 Radarr upgrades one after the other (the old video, its
//!   NFO and artwork deleted, a new video under a new name, then the `Download` webhook with
//!   `isUpgrade`), from sending the webhook to the NFO (under the new name), the poster and the
//!   fanart all back on disk.

use crate::Figure;
use crate::queue::BenchDb;
use crate::webhook::{API_KEY, application, percentile};
use anyhow::Context;
use metarr::arr::mappings::{self, PathMappingInput};
use metarr::catalogue::libraries::{self, LibraryInput};
use metarr::db::Db;
use metarr_artwork::sample;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const MOVIES: usize = 1_000;
const UPGRADES: usize = 100;
/// Distinct pictures per slot, shared round-robin (the bytes written per movie are the same).
const PICTURES: usize = 16;
const SAMPLE_VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../app/tests/data/radarr-H264_sample.mp4");

fn folder_name(i: usize) -> String {
    format!("The Movie Number {i:04} (2001)")
}

fn video_name(i: usize, quality: &str) -> String {
    format!("The.Movie.Number.{i:04}.2001.{quality}.x264-GRP.mp4")
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

/// Every file under `root` with its (mtime, inode) and size.
fn stamps(root: &Path) -> HashMap<PathBuf, (std::time::SystemTime, u64, u64)> {
    let mut found = HashMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let Ok(metadata) = entry.metadata() else { continue };
            if metadata.is_dir() {
                stack.push(entry.path());
            } else if let Ok(modified) = metadata.modified() {
                found.insert(entry.path(), (modified, std::os::unix::fs::MetadataExt::ino(&metadata), metadata.len()));
            }
        }
    }
    found
}

/// Bytes of the files that are new or whose stamp changed.
fn bytes_changed(
    before: &HashMap<PathBuf, (std::time::SystemTime, u64, u64)>,
    after: &HashMap<PathBuf, (std::time::SystemTime, u64, u64)>,
) -> u64 {
    after
        .iter()
        .filter(|(path, stamp)| before.get(*path).is_none_or(|old| (old.0, old.1) != (stamp.0, stamp.1)))
        .map(|(_, stamp)| stamp.2)
        .sum()
}

/// `POST /api/v1/publish` for the library, then waits for its batches.
async fn publish_library(
    client: &reqwest::Client,
    url: &str,
    library_id: metarr::ids::LibraryId,
    db: &Db,
) -> anyhow::Result<()> {
    let response = client
        .post(url)
        .header("X-Api-Key", API_KEY)
        .json(&serde_json::json!({ "library_id": library_id }))
        .send()
        .await?;
    anyhow::ensure!(response.status().as_u16() == 202, "bulk publish answered {}", response.status());
    drained(db, "publish-batch").await
}

/// Waits until no job of `kind` is pending or running.
async fn drained(db: &Db, kind: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let (busy,): (i64,) = db
            .fetch_optional(
                "SELECT count(*) FROM jobs WHERE kind = $1 AND state IN ('pending', 'running')",
                &[kind.into()],
            )
            .await?
            .unwrap_or((0,));
        if busy == 0 {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "{kind} jobs did not finish");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn measure(bench_db: &BenchDb) -> anyhow::Result<()> {
    let backend = bench_db.backend;
    let data = tempfile::tempdir()?;
    let library_dir = tempfile::tempdir()?;
    let root = std::fs::canonicalize(library_dir.path())?.join("Movies");
    let staged = library_dir.path().join("sample.mp4");
    std::fs::copy(SAMPLE_VIDEO, &staged).context("the sample video")?;
    for i in 0..MOVIES {
        let folder = root.join(folder_name(i));
        std::fs::create_dir_all(&folder)?;
        std::fs::hard_link(&staged, folder.join(video_name(i, "1080p.BluRay")))?;
        std::fs::write(
            folder.join(video_name(i, "1080p.BluRay")).with_extension("nfo"),
            format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<movie><title>The Movie Number {i}</title><year>2001</year>\
                 <uniqueid type=\"tmdb\" default=\"true\">{}</uniqueid><watched>false</watched></movie>\n",
                40_000 + i
            ),
        )?;
    }
    let application = application(bench_db, data.path()).await?;
    let address = application.local_addr().context("serve binds a port")?;
    let db = application.db().clone();
    let shutdown = application.shutdown_token();
    let app = tokio::spawn(application.run_until_stopped());
    let client = reqwest::Client::builder().timeout(Duration::from_secs(120)).build()?;
    let api = |path: &str| format!("http://{address}/api/v1{path}");

    let mut input = LibraryInput::movies_at(&root);
    input.auto_enrich = Some(false);
    let library = libraries::create(&db, &input).await?;
    mappings::create(&db, &PathMappingInput { remote_path: "/movies".into(), local_path: library.path.clone() })
        .await?;
    let scan = metarr::jobs::scan::start_scan(&db, library.id).await?;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let (phase,): (String,) =
            db.fetch_optional("SELECT phase FROM scans WHERE id = $1", &[scan.id.into()]).await?.context("scan")?;
        if phase == "completed" {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline && phase != "failed", "the scan ended {phase}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    select_artwork(&db, data.path()).await?;

    // Cold.
    let before = stamps(&root);
    let at = Instant::now();
    publish_library(&client, &api("/publish"), library.id, &db).await?;
    let cold = at.elapsed().as_secs_f64();
    let after = stamps(&root);
    let (published,): (i64,) = db.fetch_optional("SELECT count(*) FROM published_files", &[]).await?.unwrap_or((0,));
    anyhow::ensure!(published == (MOVIES * 3) as i64, "{published} files published, not {}", MOVIES * 3);
    let (failed,): (i64,) = db
        .fetch_optional("SELECT count(*) FROM jobs WHERE kind = 'publish-batch' AND state = 'failed'", &[])
        .await?
        .unwrap_or((0,));
    anyhow::ensure!(failed == 0, "{failed} publish jobs failed");
    Figure::new("publish", "publish_cold", backend, cold, "s").print();
    Figure::new("publish", "bytes_written_cold", backend, bytes_changed(&before, &after) as f64, "bytes").print();

    // Unchanged.
    let before = after;
    let at = Instant::now();
    publish_library(&client, &api("/publish"), library.id, &db).await?;
    let unchanged = at.elapsed().as_secs_f64();
    let after = stamps(&root);
    Figure::new("publish", "publish_unchanged", backend, unchanged, "s").print();
    Figure::new("publish", "bytes_written", backend, bytes_changed(&before, &after) as f64, "bytes").print();

    // Verification of an unchanged library.
    let at = Instant::now();
    let response = client
        .post(api("/verify"))
        .header("X-Api-Key", API_KEY)
        .json(&serde_json::json!({ "library_id": library.id }))
        .send()
        .await?;
    anyhow::ensure!(response.status().as_u16() == 202, "verify answered {}", response.status());
    drained(&db, "verify").await?;
    let verify = at.elapsed().as_secs_f64();
    let (in_sync, restored): (i64, i64) = db
        .fetch_optional("SELECT in_sync, restored FROM verification_runs ORDER BY id DESC LIMIT 1", &[])
        .await?
        .context("a verification run")?;
    anyhow::ensure!(
        in_sync == (MOVIES * 3) as i64 && restored == 0,
        "verification found {in_sync} in sync, {restored} restored"
    );
    Figure::new("publish", "verify_unchanged", backend, verify, "s").print();

    // Upgrades, one after the other.
    let mut restore_ms = Vec::with_capacity(UPGRADES);
    for i in 0..UPGRADES {
        let folder = root.join(folder_name(i));
        let old = folder.join(video_name(i, "1080p.BluRay"));
        for path in [old.clone(), old.with_extension("nfo"), folder.join("poster.jpg"), folder.join("fanart.jpg")] {
            std::fs::remove_file(&path).with_context(|| format!("Radarr deletes {}", path.display()))?;
        }
        let new_video = video_name(i, "2160p.Remux");
        std::fs::hard_link(&staged, folder.join(&new_video))?;
        let new_nfo = folder.join(&new_video).with_extension("nfo");
        let remote_folder = format!("/movies/{}", folder_name(i));
        let body = serde_json::json!({
            "movie": { "id": i + 1, "title": format!("The Movie Number {i}"), "year": 2001,
                       "folderPath": remote_folder, "tmdbId": 40_000 + i },
            "remoteMovie": { "tmdbId": 40_000 + i, "title": format!("The Movie Number {i}"), "year": 2001 },
            "movieFile": { "id": i + 1, "path": format!("{remote_folder}/{new_video}"), "relativePath": new_video, "size": 429_076 },
            "isUpgrade": true,
            "downloadClient": "bench",
            "eventType": "Download",
            "instanceName": "Radarr",
            "applicationUrl": ""
        });
        let at = Instant::now();
        let response = client
            .post(api("/webhooks/radarr"))
            .header("X-Api-Key", API_KEY)
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await?;
        anyhow::ensure!(response.status().as_u16() == 202, "webhook answered {}", response.status());
        let deadline = at + Duration::from_secs(30);
        while !(new_nfo.is_file() && folder.join("poster.jpg").is_file() && folder.join("fanart.jpg").is_file()) {
            anyhow::ensure!(Instant::now() < deadline, "upgrade {i} was not restored within 30 s");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        restore_ms.push(at.elapsed().as_secs_f64() * 1000.0);
    }
    restore_ms.sort_by(f64::total_cmp);
    Figure::new("publish", "upgrade_restore_p50", backend, percentile(&restore_ms, 0.50), "ms").print();
    Figure::new("publish", "upgrade_restore_p99", backend, percentile(&restore_ms, 0.99), "ms").print();

    shutdown.cancel();
    app.await.context("the app task panicked")??;
    Ok(())
}

/// Gives every movie a poster and a fanart, cached and selected as an upload would be.
async fn select_artwork(db: &Db, data_dir: &Path) -> anyhow::Result<()> {
    let cache = data_dir.join("cache");
    let posters: Vec<Vec<u8>> =
        (0..PICTURES as u64).map(|seed| sample::jpeg(&sample::picture(500 + seed, 1000, 1500), 88)).collect();
    let fanarts: Vec<Vec<u8>> =
        (0..PICTURES as u64).map(|seed| sample::jpeg(&sample::picture(900 + seed, 1920, 1080), 88)).collect();
    let mut cached = Vec::new();
    for bytes in posters.iter().chain(&fanarts) {
        let blob = metarr::cache::store_bytes(&cache, bytes, "jpg")?;
        metarr::catalogue::movies::record_asset(db, &blob.sha256, "jpg", blob.size, blob.dimensions).await?;
        cached.push(blob);
    }
    let ids: Vec<(i64,)> = db.fetch_all("SELECT id FROM movies ORDER BY id", &[]).await?;
    anyhow::ensure!(ids.len() == MOVIES, "{} movies scanned, not {MOVIES}", ids.len());
    let now = chrono::Utc::now().timestamp_millis();
    let mut tx = db.begin().await?;
    for (n, (id,)) in ids.iter().enumerate() {
        for (slot, blob) in [("poster", &cached[n % PICTURES]), ("fanart", &cached[PICTURES + n % PICTURES])] {
            let (width, height) =
                blob.dimensions.map_or((None, None), |(w, h)| (Some(i64::from(w)), Some(i64::from(h))));
            tx.execute(
                "INSERT INTO artwork_candidates (movie_id, slot, source, key, sha256, ext, width, height, file_size, \
                     score, offered, position, created_at, updated_at) \
                 VALUES ($1, $2, 'upload', $3, $4, 'jpg', $5, $6, $7, 80, true, 0, $8, $8)",
                &[
                    (*id).into(),
                    slot.into(),
                    format!("upload:{}", blob.sha256).into(),
                    blob.sha256.clone().into(),
                    width.into(),
                    height.into(),
                    (blob.size as i64).into(),
                    now.into(),
                ],
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
