//! The database layer on both backends: migrations, typed rows, one SQL text, NUL refusal.

use metarr_db::{Backend, Database, DbError, JsonText, Param};
use metarr_testkit::postgres::PgSchema;

/// A database of each backend available: SQLite in a temporary folder always, PostgreSQL in a
/// schema of its own when `TEST_DATABASE_URL` is set (required under CI).
async fn databases() -> Vec<(Database, Option<PgSchema>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite:{}", dir.path().join("metarr.db").display());
    let sqlite = Database::connect(&url).await.expect("open SQLite");
    let mut out = vec![(sqlite, None, dir)];
    if let Some(server) = metarr_testkit::database_url() {
        let schema = PgSchema::create(&server).await;
        let postgres = Database::connect(&schema.url()).await.expect("connect to PostgreSQL");
        out.push((postgres, Some(schema), tempfile::tempdir().expect("temporary directory")));
    }
    out
}

#[derive(Debug, PartialEq, sqlx::FromRow)]
struct LibraryRow {
    id: i64,
    name: String,
    enabled: bool,
    ignore_patterns: JsonText<Vec<String>>,
}

#[tokio::test]
async fn every_crate_migrates_and_rows_decode_the_same_on_both_backends() {
    for (db, _schema, _dir) in databases().await {
        db.migrate().await.expect("migrate");
        db.migrate().await.expect("migrating again finds nothing to do");
        let mut tx = db.begin().await.expect("begin");
        let inserted: Vec<(i64,)> = tx
            .fetch_all(
                "INSERT INTO libraries (name, path, kind, enabled, ignore_patterns, created_at, updated_at) \
                 VALUES ($1, $2, 'movies', $3, $4, 0, 0) RETURNING id",
                &["Films".into(), "/srv/films".into(), true.into(), r#"["*.part", "$1 '$2'"]"#.into()],
            )
            .await
            .expect("insert");
        tx.commit().await.expect("commit");
        let (id,) = inserted[0];
        // `$1` inside a literal stays text on SQLite, where placeholders are rewritten to `?1`.
        let rows: Vec<LibraryRow> = db
            .fetch_all(
                "SELECT id, name, enabled, ignore_patterns FROM libraries WHERE id = $1 AND name <> '$1'",
                &[id.into()],
            )
            .await
            .expect("read");
        assert_eq!(
            rows,
            [LibraryRow {
                id,
                name: "Films".into(),
                enabled: true,
                ignore_patterns: JsonText(vec!["*.part".into(), "$1 '$2'".into()]),
            }],
            "{:?}",
            db.backend()
        );
        // The queue's table and the catalogue's are in one database.
        let (jobs,): (i64,) = db.fetch_optional("SELECT count(*) FROM jobs", &[]).await.expect("count").expect("a row");
        assert_eq!(jobs, 0);
    }
}

#[tokio::test]
async fn a_missing_column_or_a_wrong_type_is_an_error_naming_it() {
    for (db, _schema, _dir) in databases().await {
        db.migrate().await.expect("migrate");
        let missing = db.fetch_all::<LibraryRow>("SELECT id, name, enabled FROM libraries", &[]).await;
        // No rows, no decoding: sqlx decodes per row, so put one in first.
        assert!(missing.is_ok());
        let mut tx = db.begin().await.expect("begin");
        tx.execute("INSERT INTO libraries (name, path, created_at, updated_at) VALUES ('A', '/a', 0, 0)", &[])
            .await
            .expect("insert");
        tx.commit().await.expect("commit");
        let err =
            db.fetch_all::<LibraryRow>("SELECT id, name, enabled FROM libraries", &[]).await.expect_err("no column");
        assert!(format!("{}", metarr_errors::Chain(&err)).contains("ignore_patterns"), "{:?}: {err:?}", db.backend());
        let err = db.fetch_all::<(i64,)>("SELECT name FROM libraries", &[]).await.expect_err("text is not an integer");
        assert!(
            matches!(err, DbError::Sql { source: sqlx::Error::ColumnDecode { .. }, .. }),
            "{:?}: {err:?}",
            db.backend()
        );
    }
}

#[tokio::test]
async fn nul_in_text_is_refused_before_either_backend_and_nothing_is_written() {
    for (db, _schema, _dir) in databases().await {
        db.migrate().await.expect("migrate");
        let mut tx = db.begin().await.expect("begin");
        let err = tx
            .execute(
                "INSERT INTO libraries (name, path, created_at, updated_at) VALUES ($1, '/a', 0, 0)",
                &[Param::from("bad\0name")],
            )
            .await
            .expect_err("NUL refused");
        assert!(err.is_bad_input(), "{err:?}");
        tx.commit().await.expect("commit");
        let (n,): (i64,) = db.fetch_optional("SELECT count(*) FROM libraries", &[]).await.expect("count").expect("row");
        assert_eq!(n, 0, "{:?}", db.backend());
    }
}

#[tokio::test]
async fn an_unknown_scan_phase_is_refused_by_the_database() {
    for (db, _schema, _dir) in databases().await {
        db.migrate().await.expect("migrate");
        let mut tx = db.begin().await.expect("begin");
        tx.execute("INSERT INTO libraries (id, name, path, created_at, updated_at) VALUES (1, 'A', '/a', 0, 0)", &[])
            .await
            .expect("library");
        tx.execute(
            "INSERT INTO scans (library_id, phase, correlation_id, started_at) VALUES (1, 'scanning', 'c', 0)",
            &[],
        )
        .await
        .expect("a known phase");
        let bad = tx.execute("UPDATE scans SET phase = 'bogus'", &[]).await.expect_err("an unknown phase");
        // The operation, then the database's own words, each once.
        let line = metarr_errors::chain(&bad);
        assert!(line.starts_with("writing: "), "{:?}: {line}", db.backend());
        assert_eq!(line.matches("scans_phase_known").count(), 1, "{:?}: {line}", db.backend());
        drop(tx);
        let mut tx = db.begin().await.expect("begin");
        let bad = tx
            .execute(
                "INSERT INTO scans (library_id, phase, correlation_id, started_at) VALUES (1, 'paused', 'd', 0)",
                &[],
            )
            .await
            .expect_err("an unknown phase on insert");
        assert!(metarr_errors::chain(&bad).contains("scans_phase_known"), "{:?}: {bad:?}", db.backend());
    }
}

#[tokio::test]
async fn an_unknown_url_is_refused_with_its_scheme() {
    let err = Database::connect("mysql://localhost/metarr").await.expect_err("not ours");
    assert!(matches!(&err, DbError::UnknownUrl { scheme } if scheme == "mysql"), "{err:?}");
    assert_eq!(Backend::Sqlite.as_str(), "sqlite");
}

/// Applies only the migrations up to `last` (an older Metarr's schema), by reading a copy of
/// those files: what a user's database looks like before an upgrade.
async fn migrate_as_of(db: &Database, url: &str, last: i64) {
    let backend = match db.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let older = tempfile::tempdir().expect("a folder for the older migrations");
    for entry in std::fs::read_dir(&source).expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).expect("a file name").to_owned();
        let version: i64 = name.split('_').next().and_then(|v| v.parse().ok()).expect("a numbered migration");
        if version <= last {
            std::fs::copy(&path, older.path().join(&name)).expect("copy");
        }
    }
    let migrator = sqlx::migrate::Migrator::new(older.path()).await.expect("older migrations");
    match db.backend() {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url).await.expect("SQLite");
            migrator.run(&pool).await.expect("the older schema");
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.expect("PostgreSQL");
            migrator.run(&pool).await.expect("the older schema");
            pool.close().await;
        }
    }
}

#[tokio::test]
async fn movie_artwork_survives_the_upgrade_that_gives_candidates_owners() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let sqlite_url = format!("sqlite:{}?mode=rwc", dir.path().join("metarr.db").display());
    let mut urls = vec![sqlite_url];
    let schema = match metarr_testkit::database_url() {
        Some(server) => Some(PgSchema::create(&server).await),
        None => None,
    };
    if let Some(schema) = &schema {
        urls.push(schema.url());
    }
    for url in urls {
        let db = Database::connect(&url).await.expect("connect");
        migrate_as_of(&db, &url, 20022).await;
        let mut tx = db.begin().await.expect("begin");
        tx.execute(
            "INSERT INTO libraries (id, name, path, kind, enabled, ignore_patterns, created_at, updated_at) \
             VALUES (1, 'Films', '/srv/films', 'movies', true, '[]', 0, 0)",
            &[],
        )
        .await
        .expect("library");
        tx.execute(
            "INSERT INTO movies (id, library_id, folder, title, created_at, updated_at) \
             VALUES (7, 1, '/srv/films/Heat (1995)', 'Heat', 0, 0)",
            &[],
        )
        .await
        .expect("movie");
        let mut ids = Vec::new();
        for (key, position) in [("https://tmdb/a.jpg", Some(0)), ("https://tmdb/b.jpg", None)] {
            let id: Vec<(i64,)> = tx
                .fetch_all(
                    "INSERT INTO artwork_candidates (movie_id, slot, source, key, url, sha256, ext, position, \
                         created_at, updated_at) VALUES (7, 'poster', 'tmdb', $1, $1, 'abc', 'jpg', $2, 0, 0) RETURNING id",
                    &[key.into(), position.map(i64::from).into()],
                )
                .await
                .expect("candidate");
            ids.push(id[0].0);
        }
        tx.commit().await.expect("commit");

        db.migrate().await.expect("the upgrade");
        type CandidateRow = (i64, String, Option<i64>, Option<i64>, Option<i64>);
        let rows: Vec<CandidateRow> = db
            .fetch_all("SELECT id, owner, movie_id, series_id, position FROM artwork_candidates ORDER BY id", &[])
            .await
            .expect("read");
        assert_eq!(
            rows,
            [
                (ids[0], "movie:7".to_owned(), Some(7), None, Some(0)),
                (ids[1], "movie:7".to_owned(), Some(7), None, None)
            ],
            "{:?}",
            db.backend()
        );
        // A new candidate gets the next id; one key per owner and slot; a row needs one owner.
        let mut tx = db.begin().await.expect("begin");
        let next: Vec<(i64,)> = tx
            .fetch_all(
                "INSERT INTO artwork_candidates (owner, movie_id, slot, source, key, created_at, updated_at) \
                 VALUES ('movie:7', 7, 'thumb', 'local', 'local:/x', 0, 0) RETURNING id",
                &[],
            )
            .await
            .expect("a new candidate");
        assert!(next[0].0 > ids[1], "a new candidate gets a new id on {:?}", db.backend());
        tx.commit().await.expect("commit");
        let mut tx = db.begin().await.expect("begin");
        let twice = tx
            .execute(
                "INSERT INTO artwork_candidates (owner, movie_id, slot, source, key, created_at, updated_at) \
                 VALUES ('movie:7', 7, 'poster', 'tmdb', 'https://tmdb/a.jpg', 0, 0)",
                &[],
            )
            .await;
        assert!(twice.is_err(), "one key per owner and slot on {:?}", db.backend());
        drop(tx);
        let mut tx = db.begin().await.expect("begin");
        let ownerless = tx
            .execute(
                "INSERT INTO artwork_candidates (owner, slot, source, key, created_at, updated_at) \
                 VALUES ('nobody', 'poster', 'tmdb', 'k', 0, 0)",
                &[],
            )
            .await;
        assert!(ownerless.is_err(), "a candidate needs an owner on {:?}", db.backend());
        drop(tx);
        // Deleting the movie takes its candidates.
        let mut tx = db.begin().await.expect("begin");
        tx.execute("DELETE FROM movies WHERE id = 7", &[]).await.expect("delete");
        tx.commit().await.expect("commit");
        let (left,): (i64,) =
            db.fetch_optional("SELECT count(*) FROM artwork_candidates", &[]).await.expect("count").expect("a row");
        assert_eq!(left, 0, "{:?}", db.backend());
    }
}
