//! *arr path mappings: CRUD with validation, and `/path-mappings/test` saying where a path
//! lands or exactly why not.

use crate::helpers::{Backend, TestApp};
use serde_json::json;

async fn path_mapping_crud_and_validation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = app.get("/path-mappings").await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "items": [], "total": 0 }));

    let (status, created) =
        app.post_json("/path-mappings", &json!({ "remote_path": "D:\\Movies", "local_path": "/mnt/movies/" })).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("id");
    assert_eq!(created, json!({ "id": id, "remote_path": "D:\\Movies", "local_path": "/mnt/movies" }));

    let (status, body) = app.get("/path-mappings").await;
    assert_eq!(status, 200);
    assert_eq!(body["items"][0], created);

    let (status, updated) = app
        .put_json(&format!("/path-mappings/{id}"), &json!({ "remote_path": "/data/movies", "local_path": "/films" }))
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["remote_path"], "/data/movies");

    for bad in [
        json!({ "remote_path": "", "local_path": "/x" }),
        json!({ "remote_path": "relative/path", "local_path": "/x" }),
        json!({ "remote_path": "/x", "local_path": "relative" }),
        json!({ "remote_path": "/x", "local_path": "C:\\not-local" }),
        json!({ "remote_path": "/x" }),
        json!({ "remote_path": "/x", "local_path": "/y", "extra": 1 }),
        json!({ "remote_path": format!("/{}", "x".repeat(5000)), "local_path": "/y" }),
        json!({ "remote_path": "/x", "local_path": format!("/{}", "y".repeat(5000)) }),
    ] {
        let (status, body) = app.post_json("/path-mappings", &bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"]["message"].is_string());
    }
    let (status, body) =
        app.post_json("/path-mappings", &json!({ "remote_path": "/data/movies", "local_path": "/other" })).await;
    assert_eq!(status, 409, "duplicate remote path: {body}");

    let (status, _) = app.delete(&format!("/path-mappings/{id}")).await;
    assert_eq!(status, 204);
    let (status, _) = app.delete(&format!("/path-mappings/{id}")).await;
    assert_eq!(status, 404);
    let (status, _) = app.get(&format!("/path-mappings/{id}")).await;
    assert_eq!(status, 404);
    app.stop().await;
}
app_test!(path_mapping_crud_and_validation);

async fn path_test_explains_where_a_path_lands(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("library");
    let root = std::fs::canonicalize(dir.path()).expect("canonical").join("Movies");
    std::fs::create_dir_all(root.join("A (2000)")).expect("folder");
    std::fs::write(root.join("A (2000)/a.mkv"), b"x").expect("file");
    let root_text = root.display().to_string();
    let (status, library) = app.post_json("/libraries", &json!({ "path": root_text })).await;
    assert_eq!(status, 201);
    let (_, unix) =
        app.post_json("/path-mappings", &json!({ "remote_path": "/movies", "local_path": root_text })).await;
    let (_, windows) = app
        .post_json("/path-mappings", &json!({ "remote_path": "\\\\nas\\media\\Movies", "local_path": root_text }))
        .await;

    let (status, answer) = app.post_json("/path-mappings/test", &json!({ "path": "/movies/A (2000)" })).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["mapped_path"], format!("{root_text}/A (2000)"));
    assert_eq!(answer["mapping"], unix);
    assert_eq!(answer["library"], library);
    assert_eq!(answer["movie_folder"], format!("{root_text}/A (2000)"));
    assert!(answer["reason"].as_str().unwrap_or_default().contains("is a movie folder in library \"Movies\""));

    // A file on disk: its folder is the movie folder. Windows UNC paths map case-insensitively.
    let (_, answer) =
        app.post_json("/path-mappings/test", &json!({ "path": "\\\\NAS\\media\\movies\\A (2000)\\a.mkv" })).await;
    assert_eq!(answer["mapping"], windows, "{answer}");
    assert_eq!(answer["movie_folder"], format!("{root_text}/A (2000)"));

    // Outside every library, with the reason.
    let (_, answer) = app.post_json("/path-mappings/test", &json!({ "path": "/movies2/B (2001)" })).await;
    assert_eq!(answer["mapping"], json!(null), "{answer}");
    assert_eq!(answer["library"], json!(null));
    assert_eq!(answer["movie_folder"], json!(null));
    assert_eq!(
        answer["reason"],
        "no library contains /movies2/B (2001) (after path mapping: /movies2/B (2001); no mapping matched)"
    );
    // An unmapped Windows path.
    let (_, answer) = app.post_json("/path-mappings/test", &json!({ "path": "E:\\Films\\C" })).await;
    assert!(answer["reason"].as_str().unwrap_or_default().contains("not an absolute path on this machine"), "{answer}");
    // The root itself is no movie folder.
    let (_, answer) = app.post_json("/path-mappings/test", &json!({ "path": "/movies" })).await;
    assert_eq!(answer["library"], library);
    assert_eq!(answer["movie_folder"], json!(null));
    assert!(answer["reason"].as_str().unwrap_or_default().contains("is the root of library"), "{answer}");

    let (status, _) = app.post_json("/path-mappings/test", &json!({ "path": "" })).await;
    assert_eq!(status, 400);
    app.stop().await;
}
app_test!(path_test_explains_where_a_path_lands);
