//! The settings pages over HTTP: path mappings and their test box, player groups and players
//! (secrets write-only, Test against a Kodi stand-in and a refused port), notification
//! services (Test against a Discord stand-in), schedules, and the API key's regeneration.

use crate::helpers::{Backend, TestApp};
use crate::ui::{Page, UiClient};
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine;
use serde_json::{Value, json};

/// The text between `start` and the next `<` in a page (a value the page shows).
fn text_after<'a>(page: &'a Page, start: &str) -> &'a str {
    let at = page.body.find(start).unwrap_or_else(|| panic!("{start:?} is not in the page: {}", page.body));
    let rest = &page.body[at + start.len()..];
    &rest[..rest.find('<').unwrap_or(rest.len())]
}

/// The page's text with the entities askama writes for quotes and ampersands decoded.
fn unescaped(page: &Page) -> String {
    page.body.replace("&#34;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

fn assert_refused(page: &Page, reason: &str) {
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(unescaped(page).contains(reason), "the page says {reason:?}: {}", page.body);
    assert!(page.body.contains("role=\"alert\""), "the reason is announced: {}", page.body);
}

app_test!(settings_pages_are_linked_from_the_index);
async fn settings_pages_are_linked_from_the_index(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let index = ui.get("/settings").await;
    assert_eq!(index.status, 200, "{}", index.body);
    for path in [
        "/settings/path-mappings",
        "/settings/players",
        "/settings/notifications",
        "/settings/schedules",
        "/settings/api-key",
        "/settings/api",
    ] {
        assert!(index.body.contains(&format!("href=\"{path}\"")), "the index links {path}");
        let page = ui.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.contains("<main id=\"main\""), "{path} is a whole page");
        assert!(page.body.contains(&format!("href=\"{path}\" aria-current=\"page\"")), "{path} is the current entry");
        assert!(!page.body.contains("style="), "{path} has no inline style");
    }
    app.stop().await;
}

app_test!(path_mappings_are_added_edited_and_deleted_through_the_forms);
async fn path_mappings_are_added_edited_and_deleted_through_the_forms(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let empty = ui.get("/settings/path-mappings").await;
    assert!(empty.body.contains("No mapping"), "{}", empty.body);

    let page = ui
        .post_form("/settings/path-mappings", &[("remote_path", "/data/movies"), ("local_path", "/media/movies")])
        .await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/settings/path-mappings")), "{}", page.body);
    let (_, list) = app.get("/path-mappings").await;
    assert_eq!(list["total"], 1, "{list}");
    let id = list["items"][0]["id"].as_i64().expect("id");
    assert_eq!(list["items"][0]["remote_path"], "/data/movies");
    assert_eq!(list["items"][0]["local_path"], "/media/movies");
    let page = ui.get("/settings/path-mappings").await;
    assert!(page.body.contains("/data/movies") && page.body.contains("/media/movies"), "{}", page.body);
    assert!(page.body.contains(&format!("href=\"/settings/path-mappings/{id}\"")), "an edit link");

    let edit = ui.get(&format!("/settings/path-mappings/{id}")).await;
    assert_eq!(edit.status, 200);
    assert!(edit.body.contains("value=\"/data/movies\""), "{}", edit.body);
    let page = ui
        .post_form(
            &format!("/settings/path-mappings/{id}"),
            &[("remote_path", "D:\\Movies"), ("local_path", "/srv/movies")],
        )
        .await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/settings/path-mappings")), "{}", page.body);
    let (_, mapping) = app.get(&format!("/path-mappings/{id}")).await;
    assert_eq!(mapping["remote_path"], "D:\\Movies");
    assert_eq!(mapping["local_path"], "/srv/movies");

    let page = ui.post_form(&format!("/settings/path-mappings/{id}/delete"), &[]).await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/settings/path-mappings")));
    let (_, list) = app.get("/path-mappings").await;
    assert_eq!(list["total"], 0, "{list}");
    assert_eq!(ui.get(&format!("/settings/path-mappings/{id}")).await.status, 404);
    assert_eq!(ui.post_form(&format!("/settings/path-mappings/{id}/delete"), &[]).await.status, 404);
    app.stop().await;
}

app_test!(refused_path_mapping_forms_say_why_and_save_nothing);
async fn refused_path_mapping_forms_say_why_and_save_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let oversized = format!("/data/{}", "x".repeat(5000));
    for (remote, local, reason) in [
        ("data/movies", "/media/movies", "must be absolute"),
        ("", "/media/movies", "remote_path must not be empty"),
        ("/data/movies", "media/movies", "must be an absolute path on this machine"),
        ("/data/movies", "", "must be an absolute path on this machine"),
        (oversized.as_str(), "/media/movies", "remote_path is too long"),
        ("/data/movies", oversized.as_str(), "local_path is too long"),
    ] {
        let page = ui.post_form("/settings/path-mappings", &[("remote_path", remote), ("local_path", local)]).await;
        assert_refused(&page, reason);
        if remote.len() < 100 {
            assert!(page.body.contains(&format!("value=\"{remote}\"")), "the typed value is kept: {}", page.body);
        }
    }
    let (_, list) = app.get("/path-mappings").await;
    assert_eq!(list["total"], 0, "nothing was saved: {list}");

    // A refused edit leaves the mapping as it was; a duplicate is refused too.
    let (status, mapping) =
        app.post_json("/path-mappings", &json!({ "remote_path": "/data/movies", "local_path": "/media/movies" })).await;
    assert_eq!(status, 201, "{mapping}");
    let id = mapping["id"].as_i64().expect("id");
    let page = ui
        .post_form(&format!("/settings/path-mappings/{id}"), &[("remote_path", "relative"), ("local_path", "/x")])
        .await;
    assert_refused(&page, "must be absolute");
    let page =
        ui.post_form("/settings/path-mappings", &[("remote_path", "/data/movies"), ("local_path", "/other")]).await;
    assert_refused(&page, "already exists");
    let (_, list) = app.get("/path-mappings").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["remote_path"], "/data/movies");
    assert_eq!(list["items"][0]["local_path"], "/media/movies");
    app.stop().await;
}

app_test!(the_test_box_shows_where_a_path_lands);
async fn the_test_box_shows_where_a_path_lands(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let library = tempfile::tempdir().expect("library dir");
    std::fs::create_dir_all(library.path().join("Heat (1995)")).expect("movie folder");
    let root = library.path().display().to_string();
    let (status, body) = app.post_json("/libraries", &json!({ "name": "Films", "path": root })).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) =
        app.post_json("/path-mappings", &json!({ "remote_path": "/data/movies", "local_path": root })).await;
    assert_eq!(status, 201, "{body}");
    let ui = UiClient::new(&app);

    // Without JavaScript, the page comes back with the result.
    let page = ui.post_form("/settings/path-mappings/test", &[("path", "/data/movies/Heat (1995)")]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<main id=\"main\""), "a whole page");
    let (_, api) = app.post_json("/path-mappings/test", &json!({ "path": "/data/movies/Heat (1995)" })).await;
    let mapped = api["mapped_path"].as_str().expect("mapped path");
    assert_eq!(mapped, format!("{root}/Heat (1995)"));
    assert_eq!(text_after(&page, "data-mapped-path>"), mapped, "the page shows what the API answers");
    assert!(page.body.contains("is a movie folder in library") && page.body.contains("Films"), "{}", page.body);
    assert!(page.body.contains("value=\"/data/movies/Heat (1995)\""), "the tested path stays in the box");

    // With htmx, the result block alone.
    let fragment = ui.htmx_post("/settings/path-mappings/test", &[("path", "/data/movies/Heat (1995)")]).await;
    assert_eq!(fragment.status, 200, "{}", fragment.body);
    assert!(fragment.body.trim_start().starts_with("<div id=\"mapping-test-result\""), "{}", fragment.body);
    assert!(!fragment.body.contains("<main"), "a fragment, not a page");
    assert_eq!(text_after(&fragment, "data-mapped-path>"), mapped);

    // A path no mapping matches says so.
    let page = ui.htmx_post("/settings/path-mappings/test", &[("path", "/elsewhere/Alien (1979)")]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("No path mapping matches this path"), "{}", page.body);
    assert!(page.body.contains("no library contains /elsewhere/Alien (1979)"), "{}", page.body);

    // An empty path is refused with the reason; htmx still gets it in the block.
    let page = ui.post_form("/settings/path-mappings/test", &[("path", "  ")]).await;
    assert_refused(&page, "path must not be empty");
    let page = ui.htmx_post("/settings/path-mappings/test", &[("path", "")]).await;
    assert!(page.body.contains("path must not be empty"), "{}", page.body);
    let page = ui.post_form("/settings/path-mappings/test", &[("path", &format!("/{}", "x".repeat(5000)))]).await;
    assert_refused(&page, "path is too long");
    app.stop().await;
}

const KODI_USER: &str = "kodi";
const KODI_PASSWORD: &str = "pa55-kodi-Secret";

/// A Kodi JSON-RPC stand-in on 127.0.0.1:0 that answers what the player test asks (ping,
/// versions) only with basic auth `kodi:pa55-kodi-Secret`, and 401 otherwise.
async fn kodi_stand_in() -> u16 {
    let expected =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{KODI_USER}:{KODI_PASSWORD}")));
    let app = Router::new().route(
        "/jsonrpc",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let expected = expected.clone();
            async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
                    return (StatusCode::UNAUTHORIZED, "401 Unauthorized").into_response();
                }
                let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let result = match request["method"].as_str().unwrap_or_default() {
                    "JSONRPC.Ping" => json!("pong"),
                    "JSONRPC.Version" => json!({ "version": { "major": 13, "minor": 5, "patch": 0 } }),
                    "Application.GetProperties" => json!({ "name": "Kodi", "version": { "major": 21, "minor": 2 } }),
                    _ => {
                        let error = json!({ "code": -32601, "message": "Method not found." });
                        return axum::Json(json!({ "jsonrpc": "2.0", "id": request["id"], "error": error }))
                            .into_response();
                    }
                };
                axum::Json(json!({ "jsonrpc": "2.0", "id": request["id"], "result": result })).into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

/// A port on loopback that nothing listens on.
async fn refused_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("address").port()
}

/// Creates a Kodi group through the form; returns its id.
async fn kodi_group(ui: &UiClient, name: &str) -> i64 {
    let page = ui
        .post_form(
            "/settings/players",
            &[("kind", "kodi"), ("name", name), ("enabled", "on"), ("mappings", "/media/movies => /storage/movies")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let location = page.location.expect("location");
    location
        .strip_prefix("/settings/players/groups/")
        .and_then(|rest| rest.split('#').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("unexpected location {location}"))
}

app_test!(player_groups_and_players_are_managed_through_the_forms_with_secrets_write_only);
async fn player_groups_and_players_are_managed_through_the_forms_with_secrets_write_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let group_id = kodi_group(&ui, "Living room").await;
    let (_, groups) = app.get("/player-groups").await;
    assert_eq!(groups["total"], 1, "{groups}");
    let group = &groups["items"][0];
    assert_eq!(group["id"], group_id);
    assert_eq!(group["kind"], "kodi");
    assert_eq!(group["name"], "Living room");
    assert_eq!(group["enabled"], true);
    assert_eq!(group["skip_while_playing"], false);
    assert_eq!(group["path_mappings"], json!([{ "remote_path": "/storage/movies", "local_path": "/media/movies" }]));

    let add = format!("/settings/players/groups/{group_id}/players");
    let page = ui
        .post_form(
            &add,
            &[
                ("host", "127.0.0.1"),
                ("port", "8081"),
                ("username", KODI_USER),
                ("password", KODI_PASSWORD),
                ("tcp_port", "9999"),
            ],
        )
        .await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/settings/players")), "{}", page.body);
    let (_, group) = app.get(&format!("/player-groups/{group_id}")).await;
    let player = &group["players"][0];
    assert_eq!(player["host"], "127.0.0.1");
    assert_eq!(player["port"], 8081);
    assert_eq!(player["username"], KODI_USER);
    assert_eq!(player["password"], "set");
    assert_eq!(player["tcp_port"], 9999);
    let player_id = player["id"].as_i64().expect("player id");

    for path in [
        "/settings/players".to_owned(),
        format!("/settings/players/groups/{group_id}"),
        format!("/settings/players/{player_id}"),
    ] {
        let page = ui.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(!page.body.contains(KODI_PASSWORD), "{path} shows the password");
        assert!(page.body.contains("127.0.0.1"), "{path}: {}", page.body);
    }
    let list = ui.get("/settings/players").await;
    assert!(list.body.contains("data-secret=\"password\">set<"), "{}", list.body);
    assert!(list.body.contains("/media/movies") && list.body.contains("/storage/movies"));

    // Saving the player with an empty password keeps it; ticking "remove" clears it.
    let edit = format!("/settings/players/{player_id}");
    let page = ui
        .post_form(&edit, &[("host", "127.0.0.1"), ("port", "8082"), ("username", KODI_USER), ("password", "")])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (_, group) = app.get(&format!("/player-groups/{group_id}")).await;
    assert_eq!(group["players"][0]["port"], 8082);
    assert_eq!(group["players"][0]["password"], "set", "an empty field keeps the password");
    assert_eq!(group["players"][0]["tcp_port"], 9090, "an empty notification port is Kodi's default");

    // Refused forms say why, never echo the typed password, and change nothing.
    let page = ui.post_form(&edit, &[("host", "http://kodi.local/"), ("password", "typed-Secret-2")]).await;
    assert_refused(&page, "must be a host name or IP address");
    assert!(!page.body.contains("typed-Secret-2"), "the typed password is not shown again");
    let page = ui.post_form(&add, &[("host", "kodi.local"), ("port", "70000"), ("password", "typed-Secret-3")]).await;
    assert_refused(&page, "port \"70000\" must be a number between 1 and 65535");
    assert!(!page.body.contains("typed-Secret-3"));
    let page = ui.post_form(&add, &[("host", "kodi.local"), ("password", "alone")]).await;
    assert_refused(&page, "a Kodi password needs a username");
    let page = ui.post_form(&add, &[("host", &"h".repeat(300))]).await;
    assert_refused(&page, "host is too long");
    let page = ui
        .post_form(&format!("/settings/players/groups/{group_id}"), &[("kind", "plex"), ("name", "Living room")])
        .await;
    assert_refused(&page, "kind cannot change from kodi to plex while the group has players");
    let page = ui
        .post_form("/settings/players", &[("kind", "kodi"), ("name", "Den"), ("mappings", "/media/movies -> /x")])
        .await;
    assert_refused(&page, "path mappings, line 1");
    let page = ui
        .post_form("/settings/players", &[("kind", "kodi"), ("name", "Den"), ("mappings", "/media => relative")])
        .await;
    assert_refused(&page, "must be absolute");
    let page = ui.post_form("/settings/players", &[("kind", "kodi"), ("name", "  ")]).await;
    assert_refused(&page, "name must not be empty");
    let page = ui.post_form("/settings/players", &[("kind", "kodi"), ("name", &"n".repeat(300))]).await;
    assert_refused(&page, "name is too long");
    let (_, groups) = app.get("/player-groups").await;
    assert_eq!(groups["total"], 1, "{groups}");
    assert_eq!(groups["items"][0]["players"].as_array().map(Vec::len), Some(1));
    assert_eq!(groups["items"][0]["players"][0]["host"], "127.0.0.1");

    // A Jellyfin group's players need a token, shown as set and never in clear.
    let page =
        ui.post_form("/settings/players", &[("kind", "jellyfin"), ("name", "Den"), ("skip_while_playing", "on")]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (_, groups) = app.get("/player-groups").await;
    let jellyfin =
        groups["items"].as_array().expect("items").iter().find(|g| g["kind"] == "jellyfin").expect("group").clone();
    assert_eq!(jellyfin["skip_while_playing"], true);
    assert_eq!(jellyfin["enabled"], false, "an unticked box is off");
    let jellyfin_id = jellyfin["id"].as_i64().expect("id");
    let add_jellyfin = format!("/settings/players/groups/{jellyfin_id}/players");
    let page = ui.post_form(&add_jellyfin, &[("host", "jellyfin.local")]).await;
    assert_refused(&page, "token is required for jellyfin players");
    let page = ui.post_form(&add_jellyfin, &[("host", "jellyfin.local"), ("token", "jf-Token-77")]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (_, group) = app.get(&format!("/player-groups/{jellyfin_id}")).await;
    assert_eq!(group["players"][0]["token"], "set");
    assert_eq!(group["players"][0]["port"], 8096, "the default port");
    let page = ui.get("/settings/players").await;
    assert!(!page.body.contains("jf-Token-77"));
    assert!(page.body.contains("data-secret=\"token\">set<"), "{}", page.body);

    // Deleting a player, then a group with its players.
    let page = ui.post_form(&format!("/settings/players/{player_id}/delete"), &[]).await;
    assert_eq!(page.status, 303);
    let (_, group) = app.get(&format!("/player-groups/{group_id}")).await;
    assert_eq!(group["players"], json!([]));
    let page = ui.post_form(&format!("/settings/players/groups/{jellyfin_id}/delete"), &[]).await;
    assert_eq!(page.status, 303);
    let (status, _) = app.get(&format!("/player-groups/{jellyfin_id}")).await;
    assert_eq!(status, 404);
    let (_, groups) = app.get("/player-groups").await;
    assert_eq!(groups["total"], 1);
    app.stop().await;
}

app_test!(the_player_test_button_reports_success_and_a_refused_port);
async fn the_player_test_button_reports_success_and_a_refused_port(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let kodi = kodi_stand_in().await;
    let closed = refused_port().await;
    let group_id = kodi_group(&ui, "Living room").await;
    let add = format!("/settings/players/groups/{group_id}/players");
    // The notification socket is closed: the test still succeeds, saying refreshes stay unconfirmed.
    let tcp_port = closed.to_string();
    for port in [kodi, closed] {
        let port = port.to_string();
        let fields = [
            ("host", "127.0.0.1"),
            ("port", port.as_str()),
            ("username", KODI_USER),
            ("password", KODI_PASSWORD),
            ("tcp_port", tcp_port.as_str()),
        ];
        let page = ui.post_form(&add, &fields).await;
        assert_eq!(page.status, 303, "{}", page.body);
    }
    let (_, group) = app.get(&format!("/player-groups/{group_id}")).await;
    let id_of = |port: u16| {
        group["players"].as_array().expect("players").iter().find(|p| p["port"] == port).expect("player")["id"]
            .as_i64()
            .expect("id")
    };
    let (up, down) = (id_of(kodi), id_of(closed));

    // Without JavaScript: the players page with the result next to the player.
    let page = ui.post_form(&format!("/settings/players/{up}/test"), &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<main id=\"main\""));
    assert!(page.body.contains(&format!("<div id=\"player-{up}-test\" class=\"test-result\" aria-live=\"polite\"><p class=\"notice\" data-test-ok=\"true\">")), "{}", page.body);
    assert!(page.body.contains(&format!("answers at 127.0.0.1:{kodi}")), "{}", page.body);
    assert!(!page.body.contains(KODI_PASSWORD));

    // With htmx: the result alone, in the player's slot.
    let fragment = ui.htmx_post(&format!("/settings/players/{up}/test"), &[]).await;
    assert_eq!(fragment.status, 200);
    assert!(fragment.body.starts_with(&format!("<div id=\"player-{up}-test\"")), "{}", fragment.body);
    assert!(fragment.body.contains("data-test-ok=\"true\"") && fragment.body.contains("Kodi"), "{}", fragment.body);
    let (_, api) = app.post(&format!("/players/{up}/test")).await;
    assert_eq!(api["ok"], true, "{api}");

    let fragment = ui.htmx_post(&format!("/settings/players/{down}/test"), &[]).await;
    assert_eq!(fragment.status, 200);
    assert!(fragment.body.contains("data-test-ok=\"false\""), "{}", fragment.body);
    assert!(fragment.body.contains("connection refused"), "{}", fragment.body);

    // Saving with an empty password field kept the password: the stand-in still lets it in.
    let page = ui
        .post_form(
            &format!("/settings/players/{up}"),
            &[("host", "127.0.0.1"), ("port", &kodi.to_string()), ("username", KODI_USER), ("password", "")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let fragment = ui.htmx_post(&format!("/settings/players/{up}/test"), &[]).await;
    assert!(fragment.body.contains("data-test-ok=\"true\""), "{}", fragment.body);
    // A wrong password is reported as such.
    let page = ui
        .post_form(
            &format!("/settings/players/{up}"),
            &[("host", "127.0.0.1"), ("port", &kodi.to_string()), ("username", KODI_USER), ("password", "wrong")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let fragment = ui.htmx_post(&format!("/settings/players/{up}/test"), &[]).await;
    assert!(fragment.body.contains("authentication failed"), "{}", fragment.body);
    assert_eq!(ui.htmx_post("/settings/players/999999/test", &[]).await.status, 404);
    app.stop().await;
}

app_test!(notification_settings_are_saved_tested_and_keep_secrets_write_only);
async fn notification_settings_are_saved_tested_and_keep_secrets_write_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let (webhook_url, received) = crate::notifications::discord_stand_in().await;
    let token = webhook_url.rsplit('/').next().expect("the URL ends in the token").to_owned();
    let webhook_path = webhook_url
        .split_once("//")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(_, p)| format!("/{p}"))
        .expect("a path");
    let page = ui.get("/settings/notifications").await;
    for event in ["movie_imported", "scan_failed", "health_issue"] {
        assert!(page.body.contains(&format!("name=\"events\" value=\"{event}\"")), "a box for {event}");
    }

    // Testing before anything is configured says what is missing.
    let page = ui.post_form("/settings/notifications/discord/test", &[]).await;
    assert_refused(&page, "discord is not configured: settings.webhook_url is required");
    let fragment = ui.htmx_post("/settings/notifications/pushover/test", &[]).await;
    assert!(fragment.body.contains("pushover is not configured"), "{}", fragment.body);
    assert!(fragment.body.contains("data-test-ok=\"false\""), "{}", fragment.body);

    let page = ui
        .post_form(
            "/settings/notifications/discord",
            &[
                ("enabled", "on"),
                ("events", "movie_imported"),
                ("events", "scan_failed"),
                ("webhook_url", &webhook_url),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(page.location.as_deref().is_some_and(|l| l.starts_with("/settings/notifications?saved=discord")));
    let (_, discord) = app.get("/notifications/discord").await;
    assert_eq!(discord["enabled"], true);
    assert_eq!(discord["events"], json!(["movie_imported", "scan_failed"]));
    assert_eq!(discord["settings"]["webhook_url"], "set");
    let page = ui.get("/settings/notifications?saved=discord").await;
    assert!(page.body.contains("Discord settings saved"), "{}", page.body);
    assert!(!page.body.contains(&token), "the webhook URL is not shown");
    assert!(page.body.contains("(set; leave empty to keep it)"), "{}", page.body);
    assert!(page.body.contains("name=\"events\" value=\"scan_failed\" checked"), "{}", page.body);

    // An empty secret field keeps the stored URL; the filter changes.
    let page = ui
        .post_form(
            "/settings/notifications/discord",
            &[("enabled", "on"), ("events", "health_issue"), ("webhook_url", "")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (_, discord) = app.get("/notifications/discord").await;
    assert_eq!(discord["settings"]["webhook_url"], "set");
    assert_eq!(discord["events"], json!(["health_issue"]));

    // The Test button sends to the stand-in, with and without htmx.
    let page = ui.post_form("/settings/notifications/discord/test", &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("discord accepted the test message"), "{}", page.body);
    let fragment = ui.htmx_post("/settings/notifications/discord/test", &[]).await;
    assert!(fragment.body.starts_with("<div id=\"notification-discord-test\""), "{}", fragment.body);
    assert!(fragment.body.contains("data-test-ok=\"true\""), "{}", fragment.body);
    let sent = received.lock().expect("lock").clone();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0].1.split('?').next(), Some(webhook_path.as_str()));

    // E-mail: a refused form says why and keeps the typed values, never the password.
    let page = ui
        .post_form(
            "/settings/notifications/email",
            &[
                ("enabled", "on"),
                ("host", ""),
                ("port", "2525"),
                ("tls", "none"),
                ("password", "Mail-Secret-9"),
                ("from", "metarr@example.org"),
                ("to", "me@example.org"),
            ],
        )
        .await;
    assert_refused(&page, "email is not configured: settings.host is required");
    assert!(!page.body.contains("Mail-Secret-9"));
    assert!(page.body.contains("value=\"2525\""), "{}", page.body);
    let page = ui.post_form("/settings/notifications/email", &[("host", "smtp.example.org"), ("port", "0")]).await;
    assert_refused(&page, "port \"0\" must be a number between 1 and 65535");
    let page = ui.post_form("/settings/notifications/email", &[("host", &"h".repeat(300))]).await;
    assert_refused(&page, "host is too long");
    let page = ui.post_form("/settings/notifications/discord", &[("events", "movie_exploded")]).await;
    assert_refused(&page, "unknown event");
    let (_, email) = app.get("/notifications/email").await;
    assert_eq!(email["enabled"], false, "nothing was saved: {email}");
    assert_eq!(email["settings"]["host"], Value::Null);

    let page = ui
        .post_form(
            "/settings/notifications/email",
            &[
                ("enabled", "on"),
                ("events", "job_failed"),
                ("host", "smtp.example.org"),
                ("port", "2525"),
                ("tls", "none"),
                ("username", "me"),
                ("password", "Mail-Secret-9"),
                ("from", "metarr@example.org"),
                ("to", "me@example.org, you@example.org"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (_, email) = app.get("/notifications/email").await;
    assert_eq!(email["settings"]["password"], "set");
    assert_eq!(email["settings"]["to"], json!(["me@example.org", "you@example.org"]));
    assert_eq!(email["settings"]["port"], 2525);
    let page = ui.get("/settings/notifications").await;
    assert!(!page.body.contains("Mail-Secret-9"));
    assert!(page.body.contains("value=\"smtp.example.org\""));
    // "Remove the stored password" clears it.
    let page = ui
        .post_form(
            "/settings/notifications/email",
            &[
                ("host", "smtp.example.org"),
                ("from", "metarr@example.org"),
                ("to", "me@example.org"),
                ("clear_password", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (_, email) = app.get("/notifications/email").await;
    assert_eq!(email["settings"]["password"], Value::Null);
    assert_eq!(ui.post_form("/settings/notifications/telegram", &[]).await.status, 404);
    app.stop().await;
}

app_test!(schedules_are_edited_and_run_from_their_page);
async fn schedules_are_edited_and_run_from_their_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let page = ui.get("/settings/schedules").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"schedule-cleanup\""), "{}", page.body);
    assert!(page.body.contains("value=\"0 3 * * *\""), "{}", page.body);
    assert!(page.body.contains("scheduled-cleanup"));

    for (cron, reason) in
        [("61 * * * *", "61 * * * *"), ("* * * *", "5 fields"), (&*"1 ".repeat(200), "cron is too long")]
    {
        let page = ui.post_form("/settings/schedules/cleanup", &[("cron", cron), ("enabled", "on")]).await;
        assert_refused(&page, reason);
    }
    let (_, list) = app.get("/schedules").await;
    let cleanup =
        list["items"].as_array().expect("items").iter().find(|s| s["name"] == "cleanup").expect("cleanup").clone();
    assert_eq!(cleanup["cron"], "0 3 * * *", "nothing changed: {cleanup}");
    assert_eq!(cleanup["enabled"], true);

    let page = ui.post_form("/settings/schedules/cleanup", &[("cron", " */15 * * * * ")]).await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/settings/schedules")), "{}", page.body);
    let (_, list) = app.get("/schedules").await;
    let cleanup =
        list["items"].as_array().expect("items").iter().find(|s| s["name"] == "cleanup").expect("cleanup").clone();
    assert_eq!(cleanup["cron"], "*/15 * * * *");
    assert_eq!(cleanup["enabled"], false, "an unticked box switches it off");
    let page = ui.get("/settings/schedules").await;
    assert!(page.body.contains("not scheduled"), "a disabled schedule has no next run: {}", page.body);

    let page = ui.post_form("/settings/schedules/cleanup/run", &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let location = page.location.expect("location");
    let job_id: i64 = location.strip_prefix("/settings/schedules?job=").and_then(|id| id.parse().ok()).expect("job id");
    let (status, job) = app.get(&format!("/jobs/{job_id}")).await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["kind"], "scheduled-cleanup");
    let page = ui.get(&location).await;
    assert!(page.body.contains(&format!("href=\"/jobs/{job_id}\"")), "{}", page.body);

    assert_eq!(ui.post_form("/settings/schedules/no-such/run", &[]).await.status, 404);
    assert_eq!(ui.post_form("/settings/schedules/no-such", &[("cron", "0 3 * * *")]).await.status, 404);
    app.stop().await;
}

async fn jobs_status(app: &TestApp, key: &str) -> u16 {
    let response = app.client.get(app.url("/jobs")).header("X-Api-Key", key).send().await.expect("request");
    response.status().as_u16()
}

app_test!(regenerating_the_api_key_retires_the_old_one_at_once);
async fn regenerating_the_api_key_retires_the_old_one_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let old = app.api_key.clone();
    let page = ui.get("/settings/api-key").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    assert_eq!(text_after(&page, "<code id=\"api-key\" class=\"api-key\">"), old);
    assert!(page.body.contains(&format!("{}{}", "•".repeat(old.len() - 4), &old[old.len() - 4..])), "masked");
    assert!(page.body.contains("<details"), "revealed on request");
    assert!(page.body.contains("data-confirm="), "regenerating asks first");

    let page = ui.post_form("/settings/api-key/regenerate", &[]).await;
    assert_eq!(
        (page.status, page.location.as_deref()),
        (303, Some("/settings/api-key?regenerated=1")),
        "{}",
        page.body
    );
    let page = ui.get("/settings/api-key?regenerated=1").await;
    let new = text_after(&page, "<code id=\"api-key\" class=\"api-key\">").to_owned();
    assert_ne!(new, old);
    assert_eq!(new.len(), 32, "{new}");
    assert!(page.body.contains("<details open>"), "shown at once after regenerating");
    assert_eq!(jobs_status(&app, &old).await, 401, "the old key stopped working");
    assert_eq!(jobs_status(&app, &new).await, 200, "the new key works");
    let file = std::fs::read_to_string(app.data_dir.path().join("api_key")).expect("key file");
    assert_eq!(file.trim(), new, "the key file holds the new key, as `metarr api-key` prints it");
    app.stop().await;
}

app_test!(a_configured_api_key_is_not_regenerated);
async fn a_configured_api_key_is_not_regenerated(backend: Backend) {
    let configured = "configured-key-0123456789abcdef";
    let app = TestApp::spawn_with(backend, &[("METARR_API_KEY", configured)]).await;
    let ui = UiClient::new(&app);
    let page = ui.get("/settings/api-key").await;
    assert!(page.body.contains("METARR_API_KEY"), "{}", page.body);
    assert!(!page.body.contains("action=\"/settings/api-key/regenerate\""), "no button to press");
    let page = ui.post_form("/settings/api-key/regenerate", &[]).await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(page.body.contains("METARR_API_KEY") && page.body.contains("metarr.toml"), "{}", page.body);
    assert_eq!(text_after(&page, "<code id=\"api-key\" class=\"api-key\">"), configured);
    assert_eq!(jobs_status(&app, configured).await, 200, "the key is unchanged");
    assert!(!app.data_dir.path().join("api_key").exists(), "no key file was written");
    app.stop().await;
}
