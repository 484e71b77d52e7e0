//! The web UI in a real browser: headless Chromium over WebDriver (Debian's `chromium` and
//! `chromium-driver`), visiting Metarr on the machine's non-loopback address so that the visitor
//! must sign in. Saves a screenshot of every page under `target/ui-screenshots/`.
//!
//! Skips with a message when `chromedriver` is not installed, except under `CI=true`, where
//! `.ci/run` installs it and a missing browser is a failure.

use crate::helpers::{Backend, TestApp};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use metarr_queue::JobState;
use std::net::{IpAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const SAMPLE_VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/radarr-H264_sample.mp4");
/// How long a page may take to show what a step waits for (a scan, a live update).
const PATIENCE: Duration = Duration::from_secs(60);

/// A running `chromedriver`, killed with its browsers when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Option<Driver> {
        let installed = Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists();
        if !metarr_testkit::require(
            installed,
            &format!("{CHROMIUM} and {CHROMEDRIVER}"),
            "Debian: apt-get install chromium chromium-driver",
        ) {
            return None;
        }
        let port = free_port();
        let mut command = Command::new(CHROMEDRIVER);
        command.arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null());
        // Its own process group, so that the browsers it starts go down with it.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().expect("start chromedriver");
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Driver { child, url: format!("http://127.0.0.1:{port}") })
    }

    async fn browser(&self, profile: &Path) -> Client {
        self.browser_with(profile, "1280,1000", &[]).await
    }

    async fn browser_with(&self, profile: &Path, size: &str, extra: &[&str]) -> Client {
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            format!("--window-size={size}"),
            format!("--user-data-dir={}", profile.display()),
        ];
        args.extend(extra.iter().map(|arg| (*arg).to_owned()));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), serde_json::json!({ "binary": CHROMIUM, "args": args }));
        // Destructive buttons ask `confirm()`; the walk-through answers yes.
        capabilities.insert("unhandledPromptBehavior".into(), serde_json::json!("accept"));
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("start a browser session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("a free port").port()
}

/// An address of this machine other than loopback, so that Metarr sees a remote visitor.
fn outward_address() -> Option<IpAddr> {
    let output = Command::new("hostname").arg("-I").output().ok()?;
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter_map(|word| word.parse::<IpAddr>().ok())
        .find(|ip| ip.is_ipv4() && !ip.is_loopback())
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("ui-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

/// The browser, the base URL, and where screenshots go.
struct Session {
    client: Client,
    base: String,
    shots: PathBuf,
}

impl Session {
    async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap_or_else(|err| panic!("open {path}: {err}"));
    }

    async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current URL");
        let mut path = url.path().to_owned();
        if let Some(query) = url.query() {
            path.push('?');
            path.push_str(query);
        }
        path
    }

    async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("save screenshot");
    }

    async fn find(&self, css: &str) -> Element {
        match self.client.wait().at_most(PATIENCE).for_element(Locator::Css(css)).await {
            Ok(element) => element,
            Err(err) => {
                let page = self.client.source().await.unwrap_or_default();
                panic!("no {css} on {}: {err}\n{page}", self.path().await)
            }
        }
    }

    /// Waits for an element matching an XPath (for text conditions).
    async fn find_xpath(&self, xpath: &str) -> Element {
        match self.client.wait().at_most(PATIENCE).for_element(Locator::XPath(xpath)).await {
            Ok(element) => element,
            Err(err) => {
                let page = self.client.source().await.unwrap_or_default();
                panic!("no {xpath} on {}: {err}\n{page}", self.path().await)
            }
        }
    }

    async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear field");
        field.send_keys(text).await.expect("type");
    }

    /// Clicks the button with this exact text.
    async fn click_button(&self, text: &str) {
        let button = self.find_xpath(&format!("//button[normalize-space()='{text}']")).await;
        button.click().await.unwrap_or_else(|err| panic!("click {text}: {err}"));
    }

    async fn wait_for_path(&self, expected: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let path = self.path().await;
            if path == expected {
                return;
            }
            assert!(Instant::now() < deadline, "expected to reach {expected}, still at {path}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn heading(&self) -> String {
        self.find("h1").await.text().await.expect("heading text").trim().to_owned()
    }
}

/// A library of a few movie folders with a real video; one has an NFO and a poster.
fn generated_library(root: &Path) {
    for (folder, title) in [("Heat (1995)", "Heat"), ("Alien (1979)", "Alien"), ("Ronin (1998)", "Ronin")] {
        let dir = root.join(folder);
        std::fs::create_dir_all(&dir).expect("movie folder");
        std::fs::copy(SAMPLE_VIDEO, dir.join(format!("{folder}.mp4"))).expect("video");
        if title == "Heat" {
            std::fs::write(
                dir.join(format!("{folder}.nfo")),
                "<movie><title>Heat</title><year>1995</year><plot>A heist.</plot>\
                 <uniqueid type=\"tmdb\" default=\"true\">949</uniqueid></movie>",
            )
            .expect("nfo");
            poster(&dir.join("poster.png"));
        }
    }
}

/// A real 200×300 PNG made by ffmpeg, so that the browser can draw the poster.
fn poster(path: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "color=c=0x2563eb:s=200x300", "-frames:v", "1", "-y"])
        .arg(path)
        .status()
        .expect("run ffmpeg (installed by .ci/run)");
    assert!(status.success(), "ffmpeg made the poster");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_user_runs_metarr_from_the_browser() {
    let Some(driver) = Driver::start() else { return };
    let (bind, host, extra) = match outward_address() {
        Some(ip) => ("0.0.0.0:0".to_owned(), ip.to_string(), None),
        None => {
            eprintln!("no non-loopback address: the browser signs in over loopback with METARR_AUTH_REQUIRED=always");
            ("127.0.0.1:0".to_owned(), "127.0.0.1".to_owned(), Some(("METARR_AUTH_REQUIRED", "always")))
        }
    };
    let mut env = vec![("METARR_BIND", bind.as_str())];
    env.extend(extra);
    let app = TestApp::spawn_with(Backend::Sqlite, &env).await;
    let port = app.address.rsplit(':').next().expect("port").to_owned();
    let profile = tempfile::tempdir().expect("browser profile");
    let session = Session {
        client: driver.browser(profile.path()).await,
        base: format!("http://{host}:{port}"),
        shots: screenshot_dir(),
    };
    let library = tempfile::tempdir().expect("library");
    generated_library(library.path());

    let outcome = tokio::time::timeout(Duration::from_secs(300), async {
        walk_through(&session, &app, library.path()).await;
        phone_and_dark(&driver, &session.base, &session.shots).await;
    })
    .await;
    let _ = session.client.clone().close().await;
    app.stop().await;
    drop(driver);
    outcome.expect("the walk-through finished within 5 minutes");
}

async fn walk_through(s: &Session, app: &TestApp, library: &Path) {
    // A remote visitor on a fresh server lands on first run.
    s.goto("/").await;
    s.wait_for_path("/setup").await;
    s.shot("setup").await;
    s.fill("#username", "ann").await;
    s.fill("#password", "correct horse").await;
    s.fill("#confirm", "correct horse").await;
    s.click_button("Create the account").await;
    s.wait_for_path("/").await;
    assert_eq!(s.heading().await, "Dashboard");
    s.shot("dashboard-empty").await;

    // Sign out, then sign in: a wrong password is refused, the right one lets in.
    s.find_xpath("//button[starts-with(normalize-space(), 'Sign out')]").await.click().await.expect("sign out");
    s.wait_for_path("/login").await;
    s.fill("#username", "ann").await;
    s.fill("#password", "not it").await;
    s.click_button("Sign in").await;
    let error = s.find("#login-error").await.text().await.expect("error text");
    assert!(error.contains("Wrong username or password"), "{error}");
    s.shot("login-refused").await;
    s.fill("#password", "correct horse").await;
    s.click_button("Sign in").await;
    s.wait_for_path("/").await;

    // Add the library through the form; the server checks the path.
    s.goto("/libraries").await;
    s.fill("#path", "relative/path").await;
    s.click_button("Add library").await;
    let error = s.find("#library-error").await.text().await.expect("error text");
    assert!(error.contains("must be absolute"), "{error}");
    s.fill("#path", &library.display().to_string()).await;
    s.fill("#name", "Films").await;
    s.click_button("Add library").await;
    s.find_xpath("//article[@data-library-id]//h2[contains(normalize-space(), 'Films')]").await;
    s.shot("libraries").await;

    // Scan it and watch the live progress reach completion.
    s.click_button("Scan now").await;
    s.find_xpath("//span[@data-scan-phase and normalize-space()='completed']").await;
    let summary = s.find(".scan-status").await.text().await.expect("scan block");
    assert!(summary.contains("3 found") && summary.contains("3 new"), "{summary}");
    s.shot("libraries-scanned").await;

    s.goto("/").await;
    let row = s.find_xpath("//td[a[normalize-space()='Films']]/following-sibling::td[1]").await;
    assert_eq!(row.text().await.expect("count").trim(), "3", "the dashboard counts the movies");
    s.shot("dashboard").await;

    movies(s, app).await;
    jobs(s, app).await;
    path_mapping(s, library).await;
    players(s).await;
    settings_pages(s).await;
    library_edit(s).await;
    keyboard(s).await;
}

/// The library's edit page, reached from its card.
async fn library_edit(s: &Session) {
    s.goto("/libraries").await;
    s.find_xpath("//a[normalize-space()='Edit']").await.click().await.expect("edit");
    s.find_xpath("//h1[normalize-space()='Edit library']").await;
    s.shot("library-edit").await;
}

/// Keyboard users: the first Tab reaches "Skip to content", which moves focus to the page.
async fn keyboard(s: &Session) {
    s.goto("/movies").await;
    s.find("body").await.send_keys("\u{E004}").await.expect("press Tab");
    let focused = s.client.active_element().await.expect("focused element");
    assert_eq!(focused.text().await.expect("text").trim(), "Skip to content");
}

/// Phone-sized and dark: the same pages in a second browser that prefers a dark scheme.
async fn phone_and_dark(driver: &Driver, base: &str, shots: &Path) {
    let profile = tempfile::tempdir().expect("browser profile");
    let client = driver
        .browser_with(profile.path(), "390,844", &["--force-dark-mode", "--blink-settings=preferredColorScheme=0"])
        .await;
    let s = Session { client, base: base.to_owned(), shots: shots.to_owned() };
    s.goto("/login").await;
    s.fill("#username", "ann").await;
    s.fill("#password", "correct horse").await;
    s.click_button("Sign in").await;
    s.wait_for_path("/").await;
    let dark = s
        .client
        .execute("return window.matchMedia('(prefers-color-scheme: dark)').matches", vec![])
        .await
        .expect("media query");
    assert_eq!(dark, serde_json::json!(true), "the browser prefers dark");
    for (path, name) in [("/", "phone-dark-dashboard"), ("/movies", "phone-dark-movies"), ("/jobs", "phone-dark-jobs")]
    {
        s.goto(path).await;
        s.find("h1").await;
        let overflow = s
            .client
            .execute("return document.documentElement.scrollWidth <= window.innerWidth + 1", vec![])
            .await
            .expect("layout");
        assert_eq!(overflow, serde_json::json!(true), "{path} fits a phone's width");
        s.shot(name).await;
    }
    let _ = s.client.close().await;
}

/// The scanned movies appear; one is opened, its title edited (which locks it).
async fn movies(s: &Session, app: &TestApp) {
    s.goto("/movies").await;
    for title in ["Alien", "Heat", "Ronin"] {
        s.find_xpath(&format!("//a[contains(@class, 'poster') and contains(normalize-space(), '{title}')]")).await;
    }
    s.shot("movies").await;
    // Searching narrows the results as one types (htmx), and the address follows.
    s.fill("#q", "ron").await;
    s.wait_for_path("/movies?q=ron&library_id=&missing=&has_warnings=&identification=&view=grid").await;
    let results = s.find("#movie-results").await.text().await.expect("results");
    assert!(results.contains("Ronin") && !results.contains("Heat"), "{results}");
    s.goto("/movies?view=table").await;
    s.find("table").await;
    s.shot("movies-table").await;

    s.goto("/movies").await;
    s.find_xpath("//a[contains(@class, 'poster') and contains(normalize-space(), 'Heat')]")
        .await
        .click()
        .await
        .expect("open Heat");
    s.find_xpath("//h1[contains(normalize-space(), 'Heat')]").await;
    let poster = s.find("img[src^='/artwork/']").await;
    let loaded = s
        .client
        .execute(
            "return arguments[0].complete && arguments[0].naturalWidth",
            vec![serde_json::to_value(&poster).expect("element")],
        )
        .await
        .expect("read the image");
    assert_eq!(loaded, serde_json::json!(200), "the cached poster is drawn");
    s.shot("movie").await;
    let id = s.path().await.trim_start_matches("/movies/").to_owned();

    s.find("#field-title summary").await.click().await.expect("open the title editor");
    s.fill("#value-title", "Heat (Director's Cut)").await;
    s.find_xpath("//div[@id='field-title']//button[normalize-space()='Save and lock']")
        .await
        .click()
        .await
        .expect("save");
    s.find("#field-title.locked").await;
    s.find_xpath("//h1[contains(normalize-space(), 'Director')]").await;
    let (_, json) = app.get(&format!("/movies/{id}")).await;
    assert_eq!(json["title"], "Heat (Director's Cut)", "{json}");
    assert!(json["locks"].as_array().is_some_and(|locks| locks.contains(&serde_json::json!("title"))), "{json}");
    s.shot("movie-edited").await;
}

/// Cancel a running job from its page, then retry it.
async fn jobs(s: &Session, app: &TestApp) {
    let job = app.enqueue_sleep(120_000).await;
    app.wait_for_state(job.id, JobState::Running).await;
    s.goto(&format!("/jobs/{}", job.id)).await;
    s.find("[data-job-state='running']").await;
    s.shot("job-running").await;
    s.click_button("Cancel job").await;
    s.find("[data-job-state='cancelled']").await;
    let (_, json) = app.get(&format!("/jobs/{}", job.id)).await;
    assert_eq!(json["state"], "cancelled", "{json}");
    s.click_button("Retry job").await;
    s.find_xpath("//span[@data-job-state='pending' or @data-job-state='running']").await;
    let (_, json) = app.get(&format!("/jobs/{}", job.id)).await;
    assert!(matches!(json["state"].as_str(), Some("pending" | "running")), "{json}");
    s.shot("job").await;
    s.goto("/jobs").await;
    s.find(&format!("tr[data-job-id='{}']", job.id)).await;
    s.shot("jobs").await;
    app.queue.cancel(job.id).await.expect("stop the sleeper");
}

/// Add a path mapping and test a path with it.
async fn path_mapping(s: &Session, library: &Path) {
    s.goto("/settings/path-mappings").await;
    s.fill("#remote_path", "/data/movies").await;
    s.fill("#local_path", &library.display().to_string()).await;
    s.click_button("Add mapping").await;
    s.find("tr[data-mapping-id]").await;
    s.fill("#test-path", "/data/movies/Heat (1995)").await;
    s.click_button("Test").await;
    let mapped = s.find("[data-mapped-path]").await.text().await.expect("mapped path");
    assert_eq!(mapped.trim(), library.join("Heat (1995)").display().to_string());
    s.shot("settings-path-mappings").await;
}

/// A Kodi group and a player are added through the forms; the player's Test button reports an
/// unreachable player in place.
async fn players(s: &Session) {
    s.goto("/settings/players").await;
    s.fill("#group-name", "Living room").await;
    s.click_button("Add group").await;
    // A new group opens on its own page, where its players are added.
    s.find_xpath("//h1[contains(normalize-space(), 'Living room')]").await;
    assert!(s.path().await.starts_with("/settings/players/groups/"), "{}", s.path().await);
    s.fill("#player-host", "127.0.0.1").await;
    s.fill("#player-port", &free_port().to_string()).await;
    s.fill("#player-username", "kodi").await;
    s.fill("#player-password", "hunter2-secret").await;
    s.click_button("Add player").await;
    s.find("[data-player-id]").await;
    let page = s.client.source().await.expect("page source");
    assert!(!page.contains("hunter2-secret"), "a saved password is never shown again");
    s.find_xpath("//li[@data-player-id]//button[normalize-space()='Test']").await.click().await.expect("test");
    let result = s.find("[data-test-ok='false']").await.text().await.expect("test result");
    assert!(result.to_lowercase().contains("refused"), "{result}");
    s.shot("settings-player-group").await;
    s.goto("/settings/players").await;
    s.find_xpath("//article[@data-group-id]//h2[contains(normalize-space(), 'Living room')]").await;
    s.shot("settings-players").await;
}

/// The other settings pages render for a signed-in user.
async fn settings_pages(s: &Session) {
    for (path, name, heading) in [
        ("/settings", "settings", "Settings"),
        ("/settings/players", "settings-players", "Players"),
        ("/settings/notifications", "settings-notifications", "Notifications"),
        ("/settings/schedules", "settings-schedules", "Schedules"),
        ("/settings/api-key", "settings-api-key", "API key"),
    ] {
        s.goto(path).await;
        let shown = s.heading().await;
        assert!(shown.contains(heading), "{path}: {shown}");
        s.shot(name).await;
    }
}

/// The artwork picker in a real browser: from the movie page to the poster slot's picker, a
/// click on another candidate's "Use this", and the movie page showing that poster.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_picker_changes_a_movies_poster() {
    let Some(driver) = Driver::start() else { return };
    let stand = crate::artwork::Stand::start(&[]).await;
    let app = crate::artwork::spawn(Backend::Sqlite, &stand).await;
    let (_dir, id) = crate::artwork::one_movie(&app).await;
    crate::artwork::enrich_with_artwork(&app, id).await;
    let (_, artwork) = app.get(&format!("/movies/{id}/artwork")).await;
    let posters = crate::artwork::slot(&artwork, "poster");
    let before = posters["selected"][0]["sha256"].as_str().expect("a selected poster").to_owned();
    let french = crate::artwork::candidate_by_url(posters, "/poster-fr.jpg")["id"].as_i64().expect("id");
    let profile = tempfile::tempdir().expect("browser profile");
    // A loopback visitor is let in without signing in (the default).
    let session =
        Session { client: driver.browser(profile.path()).await, base: app.address.clone(), shots: screenshot_dir() };

    let outcome = tokio::time::timeout(Duration::from_secs(120), async {
        session.goto(&format!("/movies/{id}")).await;
        let poster = session.find("img.movie-poster").await;
        assert_eq!(poster.attr("src").await.expect("src").as_deref(), Some(format!("/artwork/{before}").as_str()));
        session.find("#choose-poster").await.click().await.expect("open the picker");
        session.wait_for_path(&format!("/movies/{id}/artwork/poster")).await;
        session.find(&format!("#candidate-{french} img")).await;
        session.shot("artwork-picker").await;
        session.find(&format!("#select-{french}")).await.click().await.expect("use the French poster");
        session.find("#slot-locked").await;
        session.goto(&format!("/movies/{id}")).await;
        let (_, artwork) = app.get(&format!("/movies/{id}/artwork")).await;
        let after =
            crate::artwork::slot(&artwork, "poster")["selected"][0]["sha256"].as_str().expect("poster").to_owned();
        assert_ne!(after, before);
        let poster = session.find(&format!("img.movie-poster[src='/artwork/{after}']")).await;
        // The browser drew it: the image loaded from Metarr.
        let loaded = session
            .client
            .execute(
                "return arguments[0].complete && arguments[0].naturalWidth > 0",
                vec![serde_json::to_value(&poster).expect("element")],
            )
            .await
            .expect("script");
        assert_eq!(loaded, serde_json::json!(true));
        session.shot("artwork-poster-changed").await;
    })
    .await;
    let _ = session.client.clone().close().await;
    app.stop().await;
    drop(driver);
    outcome.expect("the picker walk-through finished within 2 minutes");
}
