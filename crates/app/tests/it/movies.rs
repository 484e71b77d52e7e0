//! The movies and assets API on rows seeded through the catalogue, as the scanner writes them:
//! list filters and paging, the detail shape, edits that lock, lock toggles, cached asset bytes.

use crate::helpers::{Backend, TestApp};
use metarr::catalogue::libraries::{self, LibraryInput};
use metarr::catalogue::movies::{self, FieldSource, Fields, FileRow};
use metarr::catalogue::scans;
use metarr::ids::{LibraryId, ScanId};
use metarr_media::FileCategory;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A library on disk with a scan record, ready for movies.
struct Library {
    _dir: TempDir,
    root: PathBuf,
    id: LibraryId,
    scan_id: ScanId,
}

async fn seed_library(app: &TestApp) -> Library {
    let dir = tempfile::tempdir().expect("library folder");
    let root = std::fs::canonicalize(dir.path()).expect("canonical path");
    let input = LibraryInput {
        name: None,
        path: root.display().to_string(),
        kind: "movies".into(),
        enabled: true,
        ignore_patterns: Vec::new(),
        prefer_provider_metadata: false,
        auto_enrich: None,
        artwork_limits: Default::default(),
        publish: Default::default(),
        publish_options: Default::default(),
    };
    let library = libraries::create(&app.db, &input).await.expect("library created");
    let mut tx = app.db.begin().await.expect("begin");
    let (scan, _) = scans::start(&mut tx, library.id).await.expect("scan record");
    tx.commit().await.expect("commit");
    Library { _dir: dir, root, id: library.id, scan_id: scan.id }
}

fn file_row(path: &Path, category: FileCategory) -> FileRow {
    FileRow {
        path: path.display().to_string(),
        category,
        role: None,
        slot: None,
        slot_index: None,
        language: None,
        forced: false,
        sdh: false,
        size: 10,
        mtime: 1,
        inode: 1,
        sha256: None,
        streams: None,
        probed: false,
        tv: None,
    }
}

/// Records a movie folder with its files, the way a directory scan does.
async fn seed_movie(app: &TestApp, library: &Library, folder: &str, fields: Fields, files: Vec<FileRow>) -> i64 {
    let folder = library.root.join(folder);
    std::fs::create_dir_all(&folder).expect("movie folder");
    let video = files.iter().find(|file| file.category == FileCategory::Video).map(|file| file.path.clone());
    let mut tx = app.db.begin().await.expect("begin");
    let (id, created, _) = movies::upsert_scanned(
        &mut tx,
        library.id,
        library.scan_id,
        &folder.display().to_string(),
        video.as_deref(),
        &[(&fields, FieldSource::Nfo)],
        &["NFO truncated at line 3".to_owned()],
    )
    .await
    .expect("movie recorded");
    assert!(created);
    movies::sync_files(&mut tx, id, &files, &HashMap::new()).await.expect("files recorded");
    tx.commit().await.expect("commit");
    id.get()
}

fn titled(title: &str, year: i64) -> Fields {
    Fields { title: Some(title.into()), year: Some(year), ..Fields::default() }
}

fn ids(body: &Value) -> Vec<i64> {
    body["items"].as_array().expect("items").iter().filter_map(|movie| movie["id"].as_i64()).collect()
}

async fn movies_list_filters_searches_and_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = seed_library(&app).await;
    let second = seed_library(&app).await;
    let matrix = seed_movie(&app, &first, "The Matrix (1999)", titled("The Matrix", 1999), Vec::new()).await;
    let heat = seed_movie(&app, &first, "Heat (1995)", titled("Heat", 1995), Vec::new()).await;
    let alien = seed_movie(&app, &first, "Alien (1979)", titled("Alien", 1979), Vec::new()).await;
    let other = seed_movie(&app, &second, "Matrix Reloaded", titled("The Matrix Reloaded", 2003), Vec::new()).await;
    app.db
        .execute("UPDATE movies SET missing = $1 WHERE id = $2", &[true.into(), heat.into()])
        .await
        .expect("mark missing");

    let (status, body) = app.get("/movies").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 4);
    assert_eq!(ids(&body), vec![alien, heat, matrix, other], "by title");
    let folder = first.root.join("The Matrix (1999)").display().to_string();
    assert_eq!(
        body["items"][2],
        json!({
            "id": matrix, "library_id": first.id, "title": "The Matrix", "year": 1999, "tmdb_id": null,
            "imdb_id": null, "folder": folder, "video": null, "missing": false,
        })
    );

    let (_, body) = app.get(&format!("/movies?library_id={}", first.id)).await;
    assert_eq!(ids(&body), vec![alien, heat, matrix]);
    assert_eq!(body["total"], 3);
    let (_, body) = app.get("/movies?q=MATRIX").await;
    assert_eq!(ids(&body), vec![matrix, other], "search ignores case");
    let (_, body) = app.get(&format!("/movies?q=matrix&library_id={}", second.id)).await;
    assert_eq!(ids(&body), vec![other]);
    let (_, body) = app.get("/movies?q=%25").await;
    assert_eq!(body["total"], 0, "a % is searched for, not a wildcard");
    let (_, body) = app.get("/movies?missing=true").await;
    assert_eq!(ids(&body), vec![heat]);
    let (_, body) = app.get("/movies?missing=false").await;
    assert_eq!(body["total"], 3);
    let (_, body) = app.get("/movies?limit=2&offset=1").await;
    assert_eq!(ids(&body), vec![heat, matrix]);
    assert_eq!(body["total"], 4, "total counts every match, not the page");
    let (_, body) = app.get("/movies?library_id=999").await;
    assert_eq!(body, json!({ "items": [], "total": 0 }));

    for bad in
        ["/movies?limit=0", "/movies?limit=501", "/movies?offset=-1", "/movies?limit=ten", "/movies?missing=maybe"]
    {
        let (status, body) = app.get(bad).await;
        assert_eq!(status, 400, "{bad} → {body}");
        assert_eq!(body["error"]["code"], "bad_request");
    }
    app.stop().await;
}
app_test!(movies_list_filters_searches_and_pages);

async fn movie_detail_has_files_streams_and_assets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let library = seed_library(&app).await;
    let folder = library.root.join("The Matrix (1999)");
    let video_path = folder.join("The Matrix (1999).mkv");
    let poster_path = folder.join("poster.png");
    let subtitle_path = folder.join("The Matrix (1999).en.forced.srt");
    let notes_path = folder.join("notes.txt");
    let streams = json!({
        "video": [{ "codec": "h264", "width": 1920, "height": 800, "hdr": "SDR" }],
        "audio": [{ "codec": "dts", "channels": 6, "language": "eng" }],
        "subtitle": [],
    });
    let mut video = file_row(&video_path, FileCategory::Video);
    video.streams = Some(streams.to_string());
    let mut poster = file_row(&poster_path, FileCategory::Artwork);
    poster.slot = Some("poster".into());
    let mut subtitle = file_row(&subtitle_path, FileCategory::Subtitle);
    subtitle.language = Some("en".into());
    subtitle.forced = true;
    let mut notes = file_row(&notes_path, FileCategory::Unknown);
    notes.role = Some("text".into());
    notes.size = 42;
    let fields = Fields {
        original_title: Some("The Matrix".into()),
        tmdb_id: Some(603),
        imdb_id: Some("tt0133093".into()),
        plot: Some("A hacker learns the truth.".into()),
        runtime: Some(136),
        premiered: Some("1999-03-31".into()),
        genres: Some(vec!["Action".into(), "Science Fiction".into()]),
        ..titled("The Matrix", 1999)
    };
    let id = seed_movie(&app, &library, "The Matrix (1999)", fields, vec![video, poster, subtitle, notes]).await;

    // Cache the poster as the `cache-asset` job would.
    std::fs::write(&poster_path, b"\x89PNG\r\n\x1a\nposter").expect("poster");
    let cached = metarr::cache::store_file(&app.data_dir.path().join("cache"), &poster_path).expect("cached");
    let mut tx = app.db.begin().await.expect("begin");
    let record = movies::AssetRecord {
        file_path: poster_path.display().to_string(),
        sha256: cached.sha256.clone(),
        ext: cached.ext.clone(),
        size: i64::try_from(cached.size).expect("small"),
        dimensions: Some((1000, 1500)),
    };
    movies::record_assets(&mut tx, &[record]).await.expect("asset recorded");
    tx.commit().await.expect("commit");

    let (status, detail) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["id"], id);
    assert_eq!(detail["library_id"], library.id.get());
    assert_eq!(detail["title"], "The Matrix");
    assert_eq!(detail["year"], 1999);
    assert_eq!(detail["tmdb_id"], 603);
    assert_eq!(detail["imdb_id"], "tt0133093");
    assert_eq!(detail["folder"], folder.display().to_string());
    assert_eq!(detail["video"], video_path.display().to_string());
    assert_eq!(detail["missing"], false);
    assert_eq!(detail["original_title"], "The Matrix");
    assert_eq!(detail["sort_title"], Value::Null);
    assert_eq!(detail["plot"], "A hacker learns the truth.");
    assert_eq!(detail["outline"], Value::Null);
    assert_eq!(detail["tagline"], Value::Null);
    assert_eq!(detail["runtime"], 136);
    assert_eq!(detail["premiered"], "1999-03-31");
    assert_eq!(detail["genres"], json!(["Action", "Science Fiction"]));
    assert_eq!(detail["locks"], json!([]));
    assert_eq!(detail["assets"].as_array().map(Vec::len), Some(1), "{detail}");
    let asset = &detail["assets"][0];
    assert_eq!(asset["kind"], "poster");
    assert_eq!(asset["sha256"], cached.sha256.as_str());
    assert_eq!(asset["width"], 1000);
    assert_eq!(asset["height"], 1500);
    assert_eq!(asset["path"], poster_path.display().to_string());
    assert_eq!(
        detail["subtitles"],
        json!([{ "path": subtitle_path.display().to_string(), "language": "en", "forced": true, "sdh": false }])
    );
    assert_eq!(detail["streams"], streams);
    assert_eq!(detail["unknown_files"][0]["path"], notes_path.display().to_string());
    assert_eq!(detail["unknown_files"][0]["size"], 42);
    assert_eq!(detail["warnings"], json!(["NFO truncated at line 3"]));

    // The sha256 in the detail is what the assets route serves.
    let response = app
        .client
        .get(app.url(&format!("/assets/{}", cached.sha256)))
        .header("X-Api-Key", &app.api_key)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200);

    let (status, body) = app.get("/movies/999").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    let (status, _) = app.get("/movies/abc").await;
    assert_eq!(status, 400);
    app.stop().await;
}
app_test!(movie_detail_has_files_streams_and_assets);

async fn patch_edits_fields_and_locks_each_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let library = seed_library(&app).await;
    let id = seed_movie(&app, &library, "Heat (1995)", titled("Heat", 1995), Vec::new()).await;

    let (status, detail) = app
        .patch_json(
            &format!("/movies/{id}"),
            &json!({ "title": "Heat (Director's Cut)", "tagline": "A Los Angeles crime saga", "genres": ["Crime"] }),
        )
        .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["title"], "Heat (Director's Cut)");
    assert_eq!(detail["tagline"], "A Los Angeles crime saga");
    assert_eq!(detail["genres"], json!(["Crime"]));
    assert_eq!(detail["year"], 1995, "fields not sent stay");
    assert_eq!(detail["locks"], json!(["genres", "tagline", "title"]));
    let (_, fetched) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(fetched, detail);

    // A later scan keeps the user's locked values and updates the rest.
    let mut tx = app.db.begin().await.expect("begin");
    let folder = library.root.join("Heat (1995)").display().to_string();
    let rescanned = Fields { title: Some("Heat".into()), plot: Some("From the NFO.".into()), ..titled("Heat", 1995) };
    movies::upsert_scanned(&mut tx, library.id, library.scan_id, &folder, None, &[(&rescanned, FieldSource::Nfo)], &[])
        .await
        .expect("rescan");
    tx.commit().await.expect("commit");
    let (_, fetched) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(fetched["title"], "Heat (Director's Cut)");
    assert_eq!(fetched["plot"], "From the NFO.");

    let cases = [
        (json!({ "title": "x", "rating": 9 }), "\"rating\""),
        (json!({ "year": "1995" }), "year"),
        (json!({ "genres": "Crime" }), "genres"),
        (json!({ "tagline": null }), "tagline"),
        (json!({ "imdb_id": "0113277" }), "imdb_id"),
        (json!({ "title": "  " }), "title"),
        (json!({}), "nothing to change"),
        (json!(["title"]), ""),
    ];
    for (body, expected) in cases {
        let (status, answer) = app.patch_json(&format!("/movies/{id}"), &body).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert_eq!(answer["error"]["code"], "bad_request");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{body}: {message:?} should mention {expected:?}");
    }
    let (status, answer) = app
        .send(app.client.patch(app.url(&format!("/movies/{id}"))).header("Content-Type", "application/json").body("{"))
        .await;
    assert_eq!(status, 400, "{answer}");
    let (_, unchanged) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(unchanged["locks"], json!(["genres", "tagline", "title"]), "refused edits lock nothing");

    let (status, answer) = app.patch_json("/movies/999", &json!({ "title": "Nope" })).await;
    assert_eq!(status, 404, "{answer}");
    app.stop().await;
}
app_test!(patch_edits_fields_and_locks_each_one);

async fn locks_can_be_set_and_cleared_per_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let library = seed_library(&app).await;
    let id = seed_movie(&app, &library, "Alien (1979)", titled("Alien", 1979), Vec::new()).await;

    let (status, body) = app.send(app.client.put(app.url(&format!("/movies/{id}/locks/plot")))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "locks": ["plot"] }));
    let (_, body) = app.send(app.client.put(app.url(&format!("/movies/{id}/locks/year")))).await;
    assert_eq!(body, json!({ "locks": ["plot", "year"] }));
    let (_, body) = app.send(app.client.put(app.url(&format!("/movies/{id}/locks/year")))).await;
    assert_eq!(body, json!({ "locks": ["plot", "year"] }), "locking twice is harmless");
    let (status, body) = app.delete(&format!("/movies/{id}/locks/plot")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "locks": ["year"] }));
    let (_, body) = app.delete(&format!("/movies/{id}/locks/plot")).await;
    assert_eq!(body, json!({ "locks": ["year"] }), "unlocking twice is harmless");
    let (_, detail) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(detail["locks"], json!(["year"]));

    let (status, body) = app.send(app.client.put(app.url(&format!("/movies/{id}/locks/rating")))).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("rating"), "{body}");
    let (status, body) = app.delete(&format!("/movies/{id}/locks/folder")).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app.send(app.client.put(app.url("/movies/999/locks/plot"))).await;
    assert_eq!(status, 404, "{body}");
    app.stop().await;
}
app_test!(locks_can_be_set_and_cleared_per_field);

/// Sends a request line as written, without the client's URL normalisation, and returns the
/// status and body.
async fn raw_get(app: &TestApp, target: &str) -> (u16, Vec<u8>) {
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let request =
        format!("GET {target} HTTP/1.1\r\nHost: {address}\r\nX-Api-Key: {}\r\nConnection: close\r\n\r\n", app.api_key);
    stream.write_all(request.as_bytes()).await.expect("write request");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read answer");
    let status = String::from_utf8_lossy(&answer)
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status line");
    (status, answer)
}

async fn assets_are_served_from_the_cache_with_long_lived_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cache_root = app.data_dir.path().join("cache");
    let sources = tempfile::tempdir().expect("sources");
    let bytes = b"\x89PNG\r\n\x1a\nnot really a png, but the bytes are what counts".to_vec();
    let source = sources.path().join("poster.png");
    std::fs::write(&source, &bytes).expect("source");
    let poster = metarr::cache::store_file(&cache_root, &source).expect("cached");
    let gone_source = sources.path().join("fanart.jpg");
    std::fs::write(&gone_source, b"fanart bytes").expect("source");
    let gone = metarr::cache::store_file(&cache_root, &gone_source).expect("cached");
    let unrecorded_source = sources.path().join("banner.jpg");
    std::fs::write(&unrecorded_source, b"banner bytes").expect("source");
    let unrecorded = metarr::cache::store_file(&cache_root, &unrecorded_source).expect("cached");
    let mut tx = app.db.begin().await.expect("begin");
    let records: Vec<movies::AssetRecord> = [&poster, &gone]
        .into_iter()
        .map(|cached| movies::AssetRecord {
            file_path: "/nowhere".into(),
            sha256: cached.sha256.clone(),
            ext: cached.ext.clone(),
            size: i64::try_from(cached.size).expect("small"),
            dimensions: None,
        })
        .collect();
    movies::record_assets(&mut tx, &records).await.expect("recorded");
    tx.commit().await.expect("commit");
    std::fs::remove_file(metarr::cache::path_for(&cache_root, &gone.sha256, &gone.ext)).expect("remove");

    let url = app.url(&format!("/assets/{}", poster.sha256));
    let response = app.client.get(&url).header("X-Api-Key", &app.api_key).send().await.expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(header("content-type").as_deref(), Some("image/png"));
    assert_eq!(header("cache-control").as_deref(), Some("public, max-age=31536000, immutable"));
    let etag = header("etag").expect("an ETag");
    assert_eq!(etag, format!("\"{}\"", poster.sha256));
    assert_eq!(header("content-length"), Some(bytes.len().to_string()));
    assert_eq!(response.bytes().await.expect("body").as_ref(), bytes.as_slice());

    let revalidated = app
        .client
        .get(&url)
        .header("X-Api-Key", &app.api_key)
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("sent");
    assert_eq!(revalidated.status().as_u16(), 304);
    assert!(revalidated.bytes().await.expect("body").is_empty());
    let head = app.client.head(&url).header("X-Api-Key", &app.api_key).send().await.expect("sent");
    assert_eq!(head.status().as_u16(), 200);
    let unauthenticated = app.client.get(&url).send().await.expect("sent");
    assert_eq!(unauthenticated.status().as_u16(), 401);

    let not_found = [
        "abc".to_owned(),
        poster.sha256.to_uppercase(),
        format!("{}0", poster.sha256),
        poster.sha256[..63].to_owned(),
        "0".repeat(64),
        gone.sha256.clone(),
        unrecorded.sha256.clone(),
        format!("{}.png", poster.sha256),
    ];
    for name in not_found {
        let (status, body) = app.get(&format!("/assets/{name}")).await;
        assert_eq!(status, 404, "{name} → {body}");
        assert_eq!(body["error"]["code"], "not_found");
    }

    // Traversal, plain and percent-encoded, sent as written: nothing outside the cache is served,
    // whatever the route does with it.
    std::fs::write(app.data_dir.path().join("secret.txt"), b"TOP SECRET").expect("secret");
    for target in [
        "/api/v1/assets/../secret.txt",
        "/api/v1/assets/../../secret.txt",
        "/api/v1/assets/..%2Fsecret.txt",
        "/api/v1/assets/..%2F..%2Fsecret.txt",
        "/api/v1/assets/%2e%2e%2fsecret.txt",
        "/api/v1/assets/%2E%2E%2F%2E%2E%2Fsecret.txt",
        "/api/v1/assets/..%5Csecret.txt",
        "/api/v1/assets/%2e%2e",
        "/api/v1/assets/..",
    ] {
        let (status, answer) = raw_get(&app, target).await;
        assert_eq!(status, 404, "{target}");
        assert!(!String::from_utf8_lossy(&answer).contains("TOP SECRET"), "{target} leaked a file");
    }
    // A NUL in any path is refused before routing (issue 11).
    let (status, answer) = raw_get(&app, "/api/v1/assets/%00").await;
    assert_eq!(status, 400, "%00");
    assert!(!String::from_utf8_lossy(&answer).contains("TOP SECRET"), "%00 leaked a file");
    let traversal = format!("/api/v1/assets/{}%2F..%2F..%2F..%2Fsecret.txt", poster.sha256);
    let (status, _) = raw_get(&app, &traversal).await;
    assert_eq!(status, 404, "{traversal}");
    app.stop().await;
}
app_test!(assets_are_served_from_the_cache_with_long_lived_headers);
