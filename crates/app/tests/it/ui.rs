//! The web UI over HTTP: who gets in (loopback trust, first run, sign-in), CSRF refusals, and
//! the libraries page's forms. `UiClient` is the browser-like client the other `ui_*` tests use.

use crate::helpers::{Backend, TestApp};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// An answer from the UI: status, `Location`, the `Set-Cookie` lines, and the body.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

/// A cookie-keeping client that does not follow redirects (tests assert them), and that echoes
/// the CSRF cookie in every form it posts, as the pages' forms do.
pub struct UiClient {
    base: String,
    client: reqwest::Client,
    cookies: Mutex<BTreeMap<String, String>>,
}

impl UiClient {
    pub fn new(app: &TestApp) -> UiClient {
        UiClient::at(&app.address)
    }

    /// A client for another base URL of the same server (for example its non-loopback address).
    pub fn at(base: &str) -> UiClient {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        UiClient { base: base.trim_end_matches('/').to_owned(), client, cookies: Mutex::new(BTreeMap::new()) }
    }

    /// The client's own (non-following) HTTP client, for requests with extra headers.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The URL of a UI path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().expect("cookie jar").get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies.lock().expect("cookie jar").insert(name.to_owned(), value.to_owned());
    }

    fn cookie_header(&self) -> String {
        let jar = self.cookies.lock().expect("cookie jar");
        jar.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("; ")
    }

    /// Sends a request with the jar's cookies and keeps the cookies the answer sets.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let request = match self.cookie_header() {
            header if header.is_empty() => request,
            header => request.header(COOKIE, header),
        };
        let response = request.send().await.expect("UI request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let location = headers.get(LOCATION).and_then(|value| value.to_str().ok()).map(str::to_owned);
        let set_cookies: Vec<String> =
            headers.get_all(SET_COOKIE).iter().filter_map(|value| value.to_str().ok()).map(str::to_owned).collect();
        for line in &set_cookies {
            let Some((name, rest)) = line.split_once('=') else { continue };
            let value = rest.split(';').next().unwrap_or("");
            let mut jar = self.cookies.lock().expect("cookie jar");
            if line.contains("Max-Age=0") {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = response.text().await.expect("UI body");
        Page { status, location, set_cookies, headers, body }
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(format!("{}{path}", self.base))).await
    }

    /// A request as htmx sends it (`HX-Request: true`).
    pub async fn htmx_get(&self, path: &str) -> Page {
        self.send(self.client.get(format!("{}{path}", self.base)).header("hx-request", "true")).await
    }

    /// The CSRF token the pages would embed; visits `/login` first when the jar has none.
    pub async fn csrf(&self) -> String {
        if self.cookie("metarr_csrf").is_none() {
            self.get("/login").await;
        }
        self.cookie("metarr_csrf").expect("the UI sets a CSRF cookie")
    }

    /// Posts a form with the CSRF field filled in, as a page's form does.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf().await;
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.send(self.client.post(format!("{}{path}", self.base)).form(&form)).await
    }

    /// Posts a form exactly as given: no CSRF field added.
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send(self.client.post(format!("{}{path}", self.base)).form(fields)).await
    }

    /// A POST as htmx sends it: the token in `X-CSRF-Token`, `HX-Request: true`.
    pub async fn htmx_post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf().await;
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("hx-request", "true")
            .header("x-csrf-token", csrf)
            .form(fields);
        self.send(request).await
    }

    /// Creates the first account through `/setup` and keeps its session.
    pub async fn set_up(&self, username: &str, password: &str) -> Page {
        let page =
            self.post_form("/setup", &[("username", username), ("password", password), ("confirm", password)]).await;
        assert_eq!(page.status, 303, "setup answers a redirect: {}", page.body);
        page
    }
}

/// A library folder with one movie folder in it, for forms that need a real path.
fn library_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("library dir");
    let folder = dir.path().join("Heat (1995)");
    std::fs::create_dir_all(&folder).expect("movie folder");
    // Not a real video: the scan records it with a warning, which is all these tests need.
    std::fs::write(folder.join("Heat (1995).mkv"), b"not really a video").expect("video file");
    dir
}

app_test!(loopback_visitors_use_the_ui_without_signing_in);
async fn loopback_visitors_use_the_ui_without_signing_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    for path in ["/", "/libraries"] {
        let page = ui.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.contains("<main id=\"main\""), "{path} is a whole page");
        let csp = page.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(csp.contains("default-src 'self'"), "{path} forbids other origins: {csp}");
    }
    let csrf_cookie = ui.get("/").await;
    // The jar has the cookie from the first visit, so it is not set again.
    assert!(csrf_cookie.set_cookies.is_empty(), "{:?}", csrf_cookie.set_cookies);
    let fresh = UiClient::new(&app).get("/").await;
    let line = fresh.set_cookies.iter().find(|line| line.starts_with("metarr_csrf=")).expect("CSRF cookie");
    assert!(line.contains("HttpOnly") && line.contains("SameSite=Strict"), "{line}");
    // No sign-out button for a visitor who never signed in.
    assert!(!fresh.body.contains("Sign out"));
    app.stop().await;
}

app_test!(static_files_are_embedded_with_their_types);
async fn static_files_are_embedded_with_their_types(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    for (path, content_type) in [
        ("/static/app.css", "text/css"),
        ("/static/app.js", "text/javascript"),
        ("/static/htmx.min.js", "text/javascript"),
        ("/static/icon.svg", "image/svg+xml"),
    ] {
        let page = ui.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        let got = page.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(got.starts_with(content_type), "{path}: {got}");
        assert!(!page.body.is_empty());
        // Assets are served without identifying the visitor: no session lookup, no cookie.
        assert!(page.set_cookies.is_empty(), "{path}: {:?}", page.set_cookies);
        assert!(page.headers.contains_key("content-security-policy"), "{path}");
        let etag = page.headers.get("etag").and_then(|v| v.to_str().ok()).expect("etag").to_owned();
        let again = ui.send(ui.client().get(ui.url(path)).header("if-none-match", etag)).await;
        assert_eq!(again.status, 304, "{path} revalidates");
    }
    for path in ["/static/nope.css", "/static/../Cargo.toml", "/static/%2e%2e/Cargo.toml"] {
        assert_eq!(ui.get(path).await.status, 404, "{path}");
    }
    // Unknown pages are HTML for browsers; unknown API routes stay JSON.
    let page = ui.get("/no-such-page").await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("<html"), "{}", page.body);
    let (status, body) = app.get("/no-such-route").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    app.stop().await;
}

app_test!(everyone_signs_in_when_required_and_first_run_creates_the_account);
async fn everyone_signs_in_when_required_and_first_run_creates_the_account(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("METARR_AUTH_REQUIRED", "always")]).await;
    let ui = UiClient::new(&app);

    // No account yet: every page leads to first run.
    let page = ui.get("/libraries?q=x").await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/setup")));
    assert_eq!(ui.get("/setup").await.status, 200);
    // Static files and the sign-in pages need no session.
    assert_eq!(ui.get("/static/app.css").await.status, 200);

    // Refused first-run forms say why and create nothing.
    let differ =
        ui.post_form("/setup", &[("username", "ann"), ("password", "longenough1"), ("confirm", "other-one")]).await;
    assert_eq!(differ.status, 400);
    assert!(differ.body.contains("The two passwords differ"), "{}", differ.body);
    let short = ui.post_form("/setup", &[("username", "ann"), ("password", "short"), ("confirm", "short")]).await;
    assert_eq!(short.status, 400);
    assert!(short.body.contains("8 to 256 characters"), "{}", short.body);
    let blank =
        ui.post_form("/setup", &[("username", "  "), ("password", "longenough1"), ("confirm", "longenough1")]).await;
    assert_eq!(blank.status, 400);
    assert_eq!(ui.get("/").await.location.as_deref(), Some("/setup"), "still no account");

    let created = ui.set_up("ann", "correct horse").await;
    assert_eq!(created.location.as_deref(), Some("/"));
    let session = created.set_cookies.iter().find(|line| line.starts_with("metarr_session=")).expect("session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"), "{session}");
    let home = ui.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Sign out") && home.body.contains("ann"), "signed in as ann");

    // First run is over: nobody creates a second account from it.
    assert_eq!(ui.get("/setup").await.location.as_deref(), Some("/login"));
    let stranger = UiClient::new(&app);
    let again = stranger
        .post_form("/setup", &[("username", "eve"), ("password", "longenough1"), ("confirm", "longenough1")])
        .await;
    assert_eq!(again.status, 409);
    let page = stranger.get("/libraries/7?tab=a&b=c").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some("/login?next=%2Flibraries%2F7%3Ftab%3Da%26b%3Dc"));

    // Wrong passwords and unknown users are refused alike.
    for (user, password) in [("ann", "wrong password"), ("bob", "correct horse"), (&*"x".repeat(10_000), "pw")] {
        let page = stranger.post_form("/login", &[("username", user), ("password", password), ("next", "/")]).await;
        assert_eq!(page.status, 401, "{user:.10}");
        assert!(page.body.contains("Wrong username or password"));
        assert!(stranger.cookie("metarr_session").is_none());
    }
    // The right one signs in and goes where it was going, never to another site.
    let page = stranger
        .post_form("/login", &[("username", "ann"), ("password", "correct horse"), ("next", "/libraries")])
        .await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/libraries")));
    assert_eq!(stranger.get("/").await.status, 200);
    let other = UiClient::new(&app);
    let page = other
        .post_form("/login", &[("username", "ann"), ("password", "correct horse"), ("next", "//evil.example")])
        .await;
    assert_eq!(page.location.as_deref(), Some("/"));

    // Signing out ends the session on the server, not only in the browser.
    let token = stranger.cookie("metarr_session").expect("session");
    let page = stranger.post_form("/logout", &[]).await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/login")));
    assert!(stranger.cookie("metarr_session").is_none());
    stranger.set_cookie("metarr_session", &token);
    assert_eq!(stranger.get("/").await.status, 303, "the old token no longer works");
    // A forged token is no session either.
    stranger.set_cookie("metarr_session", &"0".repeat(64));
    assert_eq!(stranger.get("/").await.status, 303);
    app.stop().await;
}

app_test!(forwarded_requests_are_not_trusted_as_local);
async fn forwarded_requests_are_not_trusted_as_local(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    // A reverse proxy on the same machine connects from loopback on behalf of someone else.
    let page = ui.send(ui.client().get(ui.url("/libraries")).header("x-forwarded-for", "203.0.113.9")).await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/setup")));
    ui.set_up("admin", "a long password").await;
    let page = ui.send(ui.client().get(ui.url("/libraries")).header("forwarded", "for=203.0.113.9")).await;
    assert_eq!(page.status, 200, "signed in, the proxied visitor gets in");
    let anonymous = UiClient::new(&app);
    let page = anonymous.send(anonymous.client().get(anonymous.url("/")).header("x-real-ip", "203.0.113.9")).await;
    assert_eq!(page.location.as_deref(), Some("/login?next=%2F"));
    // htmx gets a redirect it follows instead of a login page swapped into a fragment.
    let page = anonymous
        .send(
            anonymous
                .client()
                .get(anonymous.url("/dashboard/running"))
                .header("x-real-ip", "1.2.3.4")
                .header("hx-request", "true"),
        )
        .await;
    assert_eq!(page.status, 401);
    assert!(page.headers.get("hx-redirect").is_some());
    app.stop().await;
}

app_test!(state_changes_without_the_csrf_token_are_refused_and_change_nothing);
async fn state_changes_without_the_csrf_token_are_refused_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let library = library_dir();
    let path = library.path().display().to_string();
    let ui = UiClient::new(&app);
    ui.get("/libraries").await;

    let missing = ui.post_raw("/libraries", &[("path", &path), ("enabled", "on")]).await;
    assert_eq!(missing.status, 403, "{}", missing.body);
    assert!(missing.body.contains("security token"), "{}", missing.body);
    let wrong = ui.post_raw("/libraries", &[("csrf", &"f".repeat(64)), ("path", &path)]).await;
    assert_eq!(wrong.status, 403);
    // A page on another site cannot send the cookie (SameSite=Strict), but even with a token,
    // a foreign Origin is refused.
    let csrf = ui.csrf().await;
    let foreign = ui
        .send(
            ui.client()
                .post(ui.url("/libraries"))
                .header("origin", "http://evil.example")
                .form(&[("csrf", csrf.as_str()), ("path", path.as_str())]),
        )
        .await;
    assert_eq!(foreign.status, 403);
    // Without the cookie (what a cross-site request looks like), the field alone is not enough.
    let cookieless = ui.client().post(ui.url("/libraries")).form(&[("csrf", csrf.as_str()), ("path", path.as_str())]);
    assert_eq!(cookieless.send().await.expect("post").status().as_u16(), 403);
    let (_, libraries) = app.get("/libraries").await;
    assert_eq!(libraries["total"], 0, "nothing was created: {libraries}");

    // The page's own form, and htmx's header, pass.
    let page = ui.post_form("/libraries", &[("path", &path), ("name", "Films"), ("enabled", "on")]).await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/libraries")), "{}", page.body);
    let (_, libraries) = app.get("/libraries").await;
    assert_eq!(libraries["total"], 1);
    let id = libraries["items"][0]["id"].as_i64().expect("id");
    let page = ui.htmx_post(&format!("/libraries/{id}/delete"), &[]).await;
    assert_eq!(page.status, 303);
    let (_, libraries) = app.get("/libraries").await;
    assert_eq!(libraries["total"], 0);

    // An oversized form is refused before any handler sees it.
    let big = "x".repeat(2 * 1024 * 1024);
    let page = ui.post_form("/libraries", &[("path", &big)]).await;
    assert!(matches!(page.status, 400 | 413), "{}", page.status);
    app.stop().await;
}

app_test!(the_libraries_page_checks_paths_on_the_server_and_keeps_what_was_typed);
async fn the_libraries_page_checks_paths_on_the_server_and_keeps_what_was_typed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let library = library_dir();
    let root = library.path().display().to_string();
    let ui = UiClient::new(&app);

    for (path, reason) in [
        ("relative/movies", "must be absolute"),
        ("/no/such/folder/anywhere", "cannot be used"),
        ("", "must be absolute"),
    ] {
        let page = ui.post_form("/libraries", &[("path", path), ("name", "Keep me"), ("enabled", "on")]).await;
        assert_eq!(page.status, 400, "{path}");
        assert!(page.body.contains(reason), "{path}: {}", page.body);
        assert!(page.body.contains("value=\"Keep me\""), "the form keeps the name");
    }
    let hostile = "<script>alert(1)</script>";
    let page = ui.post_form("/libraries", &[("path", hostile)]).await;
    assert_eq!(page.status, 400);
    assert!(!page.body.contains(hostile), "typed text is escaped");
    assert!(page.body.contains("&#60;script&#62;"), "{}", page.body);

    let page = ui
        .post_form(
            "/libraries",
            &[("path", &root), ("name", "Films"), ("enabled", "on"), ("ignore_patterns", "*.tmp\nExtras/**")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let page = ui.get("/libraries").await;
    assert!(page.body.contains("Films") && page.body.contains("Never scanned"), "{}", page.body);
    assert!(page.body.contains("<code>*.tmp</code>"));
    // A root inside another library's root is refused with the reason.
    let nested = library.path().join("Heat (1995)").display().to_string();
    let page = ui.post_form("/libraries", &[("path", &nested), ("enabled", "on")]).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("library"), "{}", page.body);

    let (_, libraries) = app.get("/libraries").await;
    let id = libraries["items"][0]["id"].as_i64().expect("id");
    let page = ui
        .post_form(&format!("/libraries/{id}"), &[("path", &root), ("name", "Movies"), ("ignore_patterns", "")])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (_, library_json) = app.get(&format!("/libraries/{id}")).await;
    assert_eq!(library_json["name"], "Movies");
    assert_eq!(library_json["enabled"], false, "an unticked checkbox disables");
    assert_eq!(library_json["ignore_patterns"], serde_json::json!([]));
    // Artwork limits: typed as `slot=n`, shown again in the form, refused when not a slot.
    let page = ui
        .post_form(
            &format!("/libraries/{id}"),
            &[("path", &root), ("name", "Movies"), ("artwork_limits", "fanart=5, keyart=0")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (_, library_json) = app.get(&format!("/libraries/{id}")).await;
    assert_eq!(library_json["artwork_limits"], serde_json::json!({ "fanart": 5, "keyart": 0 }));
    let form = ui.get(&format!("/libraries/{id}")).await;
    assert!(form.body.contains("value=\"fanart=5, keyart=0\""), "the form keeps them: {}", form.body);
    for bad in ["thumbnail=1", "fanart=many", "fanart", "fanart=21"] {
        let page = ui
            .post_form(&format!("/libraries/{id}"), &[("path", &root), ("name", "Movies"), ("artwork_limits", bad)])
            .await;
        assert_eq!(page.status, 400, "{bad}: {}", page.body);
    }
    let (_, library_json) = app.get(&format!("/libraries/{id}")).await;
    assert_eq!(
        library_json["artwork_limits"],
        serde_json::json!({ "fanart": 5, "keyart": 0 }),
        "nothing refused was kept"
    );
    // Publishing options: saved, shown again, and refused when not one of the choices.
    let page = ui
        .post_form(
            &format!("/libraries/{id}"),
            &[
                ("path", &root),
                ("name", "Movies"),
                ("publish", "auto"),
                ("artwork_style", "kodi"),
                ("movie_nfo", "on"),
                ("jellyfin_locks", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (_, library_json) = app.get(&format!("/libraries/{id}")).await;
    assert_eq!(library_json["publish"], "auto");
    assert_eq!(
        library_json["publish_options"],
        serde_json::json!({ "artwork_style": "kodi", "movie_nfo": true, "extrafanart": false,
                            "actor_images": false, "jellyfin_locks": true })
    );
    let form = ui.get(&format!("/libraries/{id}")).await;
    assert!(form.body.contains("<option value=\"auto\" selected>"), "{}", form.body);
    assert!(form.body.contains("<option value=\"kodi\" selected>"), "{}", form.body);
    for (field, bad) in [("publish", "often"), ("artwork_style", "plex")] {
        let page =
            ui.post_form(&format!("/libraries/{id}"), &[("path", &root), ("name", "Movies"), (field, bad)]).await;
        assert_eq!(page.status, 400, "{field}={bad}: {}", page.body);
    }
    let (_, library_json) = app.get(&format!("/libraries/{id}")).await;
    assert_eq!(library_json["publish"], "auto", "nothing refused was kept");
    // A disabled library is not scanned; the page says why.
    let page = ui.post_form(&format!("/libraries/{id}/scan"), &[]).await;
    assert_eq!(page.status, 409);
    assert!(page.body.contains("disabled"), "{}", page.body);
    assert_eq!(ui.get("/libraries/999999").await.status, 404);
    assert_eq!(ui.get("/libraries/abc").await.status, 400);
    app.stop().await;
}

app_test!(a_scan_started_from_the_page_reaches_completed_in_its_status_block);
async fn a_scan_started_from_the_page_reaches_completed_in_its_status_block(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let library = library_dir();
    let root = library.path().display().to_string();
    let ui = UiClient::new(&app);
    ui.post_form("/libraries", &[("path", &root), ("enabled", "on")]).await;
    let (_, libraries) = app.get("/libraries").await;
    let id = libraries["items"][0]["id"].as_i64().expect("id");
    let page = ui.post_form(&format!("/libraries/{id}/scan"), &[]).await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/libraries")));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let block = ui.htmx_get(&format!("/libraries/{id}/scan-status")).await;
        assert_eq!(block.status, 200);
        assert!(!block.body.contains("<html"), "a fragment, not a page");
        if block.body.contains("data-scan-phase>completed<") {
            assert!(block.body.contains("1 found"), "{}", block.body);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "scan did not complete: {}", block.body);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let home = ui.get("/").await;
    assert!(home.body.contains("badge completed"), "the dashboard shows the last scan");
    app.stop().await;
}
