//! A scan job may run twice (its worker died after committing, before acknowledging; or its
//! lease lapsed under load): every folder and artwork file still counts once, and the scan
//! completes only when everything it queued is done.

use crate::helpers::{Backend, TestApp};
use crate::scan::{link_sample, png, sample_beside, wait_for_scan};
use metarr::catalogue::libraries::{self, LibraryInput};
use metarr::catalogue::scans::{self, ScanPhase};
use metarr::db::Db;
use metarr::ids::ScanId;
use metarr::jobs::scan::{DirectoryScan, LibraryScan};
use metarr_queue::{JobEventKind, JobKind, JobState, ListFilter, NewJob, Queue};
use std::path::Path;
use std::time::Duration;

/// A library of `n` movie folders (each a hard link to one real video, with a poster and a
/// fanart when `artwork`), with its temporary folder and the folders' paths.
async fn library_of(db: &Db, n: u32, artwork: bool) -> (tempfile::TempDir, libraries::Library, Vec<String>) {
    let library_dir = tempfile::tempdir().expect("library folder");
    let root = library_dir.path().join("Movies");
    let sample = sample_beside(&root);
    let mut folders = Vec::new();
    for i in 0..n {
        let folder = root.join(format!("Film {i:03} (2003)"));
        link_sample(&sample, &folder, "movie.mp4");
        if artwork {
            std::fs::write(folder.join("poster.png"), png(1000 + i, 1500, 0)).expect("poster");
            std::fs::write(folder.join("fanart.png"), png(1920, 1080 + i, 1)).expect("fanart");
        }
        folders.push(folder.display().to_string());
    }
    let library = libraries::create(db, &LibraryInput::movies_at(&root)).await.expect("library created");
    (library_dir, library, folders)
}

/// Jobs of a correlation id that are still pending or running.
async fn unfinished(queue: &Queue, correlation_id: &str) -> i64 {
    let mut n = 0;
    for state in [JobState::Pending, JobState::Running] {
        let filter = ListFilter {
            state: Some(state),
            correlation_id: Some(correlation_id.to_owned()),
            limit: 500,
            ..ListFilter::default()
        };
        n += queue.list(&filter).await.expect("list jobs").items.len() as i64;
    }
    n
}

/// Every job of the scan runs a second time right after it completed, as a job does whose
/// worker died after committing and before acknowledging: the discovery, each folder's scan
/// and each artwork file's caching. The scan's counters come out exactly as without the
/// copies, it completes only when everything it queued is done, and the late copies that run
/// after it completed change nothing.
async fn every_scan_job_that_runs_twice_counts_once(backend: Backend) {
    const N: u32 = 40;
    let app = TestApp::spawn(backend).await;
    let db = Db::new(&app.queue);
    let (_library_dir, library, folders) = library_of(&db, N, true).await;

    // Each job of the scan, once completed, is enqueued again with the same payload.
    let mut events = app.queue.subscribe();
    let scan = metarr::jobs::scan::start_scan(&db, library.id).await.expect("scan starts");
    let correlation = scan.correlation_id.clone();
    let copies_of = format!("{correlation}-again");
    let copier = {
        let (queue, correlation, copies_of) = (app.queue.clone(), correlation.clone(), copies_of.clone());
        tokio::spawn(async move {
            while let Ok(event) = events.recv().await {
                let job = event.job;
                if event.kind == JobEventKind::Completed && job.correlation_id.as_deref() == Some(&correlation) {
                    let copy = NewJob::raw(&job.kind, job.payload.clone()).correlation_id(&copies_of);
                    queue.enqueue(copy).await.expect("enqueue a copy");
                }
            }
        })
    };

    let done = wait_for_scan(&db, scan.id, Duration::from_secs(120)).await;
    let files = i64::from(2 * N);
    let n = i64::from(N);
    assert_eq!(done.phase, ScanPhase::Completed, "{done:?}");
    let counters = |s: &scans::Scan| {
        (
            s.directories_total,
            s.directories_scanned,
            s.movies_found,
            s.movies_new,
            s.movies_updated,
            s.assets_queued,
            s.assets_cached,
            s.errors,
        )
    };
    assert_eq!(counters(&done), (n, n, n, n, 0, files, files, 0), "{done:?}");
    // Completed means done: every movie and every artwork file is in the catalogue by now.
    let count = |sql: &'static str| {
        let db = db.clone();
        async move { db.fetch_all::<(i64,)>(sql, &[]).await.expect("count")[0].0 }
    };
    assert_eq!(count("SELECT count(*) AS n FROM movies").await, n);
    assert_eq!(
        count("SELECT count(*) AS n FROM media_files WHERE category = 'artwork' AND sha256 IS NOT NULL").await,
        files,
        "the scan completed before all its artwork was cached"
    );

    // The copies still running or pending when it completed count nothing when they finish.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while unfinished(&app.queue, &correlation).await + unfinished(&app.queue, &copies_of).await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the scan's jobs never finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = scans::get(&db, scan.id).await.expect("scan");
    assert_eq!(counters(&after), counters(&done), "{after:?}");
    assert_eq!(after.finished_at, done.finished_at);
    assert_eq!(count("SELECT count(*) AS n FROM scan_items").await, 0, "a finished scan keeps no ledger");
    copier.abort();
    // The copies really ran while the scan was going on, not only after it.
    let filter = ListFilter { correlation_id: Some(copies_of.clone()), limit: 500, ..ListFilter::default() };
    let copies = app.queue.list(&filter).await.expect("list the copies").items;
    let finished = done.finished_at.expect("a completed scan has its time");
    let early = copies.iter().filter(|j| j.kind != LibraryScan::KIND && j.finished_at.is_some_and(|t| t < finished));
    assert!(early.count() > 0, "no copy ran before the scan completed: {} copies", copies.len());

    // And a job of the finished scan that runs once more, much later, changes nothing.
    let again = DirectoryScan { scan_id: scan.id, library_id: library.id, folder: folders[0].clone() };
    let job = app.queue.enqueue(NewJob::of(&again)).await.expect("enqueue").job.id;
    app.wait_for_state(job, JobState::Completed).await;
    let last = scans::get(&db, scan.id).await.expect("scan");
    assert_eq!(counters(&last), counters(&done), "{last:?}");
    app.stop().await;
}
app_test!(every_scan_job_that_runs_twice_counts_once);

/// A job of an earlier scan that is still pending or running (its scan completed or was
/// cancelled, its acknowledgement not yet written) must not stand in for the next scan's own
/// jobs: the next scan discovers and scans every folder and completes.
async fn jobs_left_from_an_earlier_scan_do_not_hold_up_the_next(backend: Backend) {
    const N: u32 = 5;
    let app = TestApp::spawn(backend).await;
    let db = Db::new(&app.queue);
    let (_library_dir, library, folders) = library_of(&db, N, false).await;
    let first = metarr::jobs::scan::start_scan(&db, library.id).await.expect("scan starts");
    let first = wait_for_scan(&db, first.id, Duration::from_secs(60)).await;
    assert_eq!(first.phase, ScanPhase::Completed, "{first:?}");

    // Jobs of the first scan that hold their keys for an hour more, whatever the key's form.
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let mut stale = Vec::new();
    for key in [format!("library-scan:{}", library.id), format!("library-scan:{}", first.id)] {
        let job = LibraryScan { scan_id: first.id, library_id: library.id };
        stale.push(NewJob::of(&job).unique_key(key).run_at(later));
    }
    for folder in &folders {
        for key in [format!("directory-scan:{folder}"), format!("directory-scan:{}:{folder}", first.id)] {
            let job = DirectoryScan { scan_id: first.id, library_id: library.id, folder: folder.clone() };
            stale.push(NewJob::of(&job).unique_key(key).run_at(later));
        }
    }
    app.queue.enqueue_many(stale).await.expect("enqueue the stale jobs");
    // A changed folder needs its own directory-scan in the next scan.
    std::fs::write(Path::new(&folders[0]).join("movie.nfo"), "<movie><title>Changed</title></movie>").expect("nfo");

    let second = metarr::jobs::scan::start_scan(&db, library.id).await.expect("scan starts");
    assert_ne!(second.id, first.id);
    let second = wait_for_scan(&db, second.id, Duration::from_secs(60)).await;
    let n = i64::from(N);
    assert_eq!(
        (second.phase.as_str(), second.directories_total, second.directories_scanned, second.movies_updated),
        ("completed", n, n, 1),
        "{second:?}"
    );
    app.stop().await;
}
app_test!(jobs_left_from_an_earlier_scan_do_not_hold_up_the_next);

/// Many jobs starting a scan of one library at once (webhooks for several of its films, the
/// file-scan schedule) make one active scan, which all of them join.
async fn concurrent_starts_make_one_active_scan(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = Db::new(&app.queue);
    let library_dir = tempfile::tempdir().expect("library folder");
    let library = libraries::create(&db, &LibraryInput::movies_at(library_dir.path())).await.expect("library");
    let starts = (0..16).map(|_| {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin().await.expect("begin");
            let (scan, _) = scans::start(&mut tx, library.id).await.expect("start or join");
            // Hold the transaction a moment, as a job does while it records its folder.
            tokio::time::sleep(Duration::from_millis(20)).await;
            tx.commit().await.expect("commit");
            scan.id
        })
    });
    let ids: Vec<ScanId> = futures::future::join_all(starts).await.into_iter().map(|r| r.expect("task")).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "several scans: {ids:?}");
    let (active,) = db
        .fetch_all::<(i64,)>(
            "SELECT count(*) AS n FROM scans WHERE library_id = $1 AND phase IN ('discovering', 'scanning', 'caching')",
            &[library.id.into()],
        )
        .await
        .expect("count")[0];
    assert_eq!(active, 1);
    app.stop().await;
}
app_test!(concurrent_starts_make_one_active_scan);

/// Every text of an error's chain, outermost first.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut texts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        texts.push(cause.to_string());
        source = cause.source();
    }
    texts.join(": ")
}

/// The database admits only the phases `ScanPhase` names (migration 20015: a CHECK constraint
/// on PostgreSQL, triggers raising the same error on SQLite): setting a scan to an unknown
/// phase fails, through the catalogue or inside a transaction, and the scan keeps its phase.
async fn the_database_refuses_an_unknown_scan_phase(backend: Backend) {
    use metarr::db::DbError;
    let app = TestApp::spawn(backend).await;
    let library_dir = tempfile::tempdir().expect("library folder");
    let library = libraries::create(&app.db, &LibraryInput::movies_at(library_dir.path())).await.expect("library");
    // A scan record made directly, without its jobs, so that it stays in `discovering`.
    let mut tx = app.db.begin().await.expect("begin");
    let (scan, created) = scans::start(&mut tx, library.id).await.expect("scan record");
    tx.commit().await.expect("commit");
    assert!(created);
    assert_eq!(scan.phase, ScanPhase::Discovering, "{scan:?}");
    let stored = |id: ScanId| {
        let db = app.db.clone();
        async move {
            let (phase,) = db
                .fetch_optional::<(String,)>("SELECT phase FROM scans WHERE id = $1", &[id.into()])
                .await
                .expect("read the phase")
                .expect("the scan exists");
            phase
        }
    };

    let err = app
        .db
        .execute("UPDATE scans SET phase = 'bogus' WHERE id = $1", &[scan.id.into()])
        .await
        .expect_err("an unknown phase is refused");
    assert!(matches!(err, DbError::Db(metarr_db::DbError::Sql { .. })), "{err:?}");
    assert!(!err.is_bad_input() && !err.is_unique_violation(), "{err:?}");
    let chain = error_chain(&err);
    assert!(chain.contains("scans_phase_known"), "the constraint is named: {chain}");
    assert_eq!(stored(scan.id).await, "discovering");

    // The same inside a transaction of other writes.
    let mut tx = app.db.begin().await.expect("begin");
    let err = tx
        .execute("UPDATE scans SET phase = 'bogus' WHERE id = $1", &[scan.id.into()])
        .await
        .expect_err("an unknown phase is refused in a transaction");
    assert!(error_chain(&err).contains("scans_phase_known"), "{err:?}");
    drop(tx);
    assert_eq!(stored(scan.id).await, "discovering");
    let kept = scans::get(&app.db, scan.id).await.expect("the scan still reads");
    assert_eq!(kept.phase, ScanPhase::Discovering, "{kept:?}");

    // A known phase is still admitted.
    let changed = app
        .db
        .execute("UPDATE scans SET phase = 'cancelled' WHERE id = $1", &[scan.id.into()])
        .await
        .expect("a known phase is admitted");
    assert_eq!(changed, 1);
    assert_eq!(stored(scan.id).await, "cancelled");
    app.stop().await;
}
app_test!(the_database_refuses_an_unknown_scan_phase);
