//! Issue 11 (hardening) over HTTP: the first-run race, sign-in limits, slow clients and the
//! connection limit, unknown query parameters, and what the API-key page promises.

use crate::helpers::{Backend, TestApp};
use crate::ui::UiClient;
use std::sync::Arc;
use std::time::Duration;

app_test!(concurrent_first_runs_create_exactly_one_account);
async fn concurrent_first_runs_create_exactly_one_account(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("METARR_AUTH_REQUIRED", "always")]).await;
    const RACERS: usize = 8;
    let mut clients = Vec::new();
    for _ in 0..RACERS {
        let client = UiClient::new(&app);
        // Each visitor has its CSRF token before the race starts, so the posts start together.
        client.csrf().await;
        clients.push(Arc::new(client));
    }
    let start = Arc::new(tokio::sync::Barrier::new(RACERS));
    let mut racers = tokio::task::JoinSet::new();
    for (index, client) in clients.iter().enumerate() {
        let (client, start) = (Arc::clone(client), Arc::clone(&start));
        racers.spawn(async move {
            let username = format!("racer{index}");
            start.wait().await;
            let page = client
                .post_form(
                    "/setup",
                    &[("username", &username), ("password", "longenough1"), ("confirm", "longenough1")],
                )
                .await;
            (index, page)
        });
    }
    let mut winners = Vec::new();
    while let Some(joined) = racers.join_next().await {
        let (index, page) = joined.expect("racer task");
        let session = page.set_cookies.iter().any(|line| line.starts_with("metarr_session="));
        match page.status {
            303 => {
                assert!(session, "the winner is signed in");
                winners.push(index);
            }
            409 => assert!(!session, "a loser gets no session: {:?}", page.set_cookies),
            other => panic!("racer {index} got {other}: {}", page.body),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one first run succeeds: {winners:?}");
    let rows: Vec<(String,)> = app.db.fetch_all("SELECT username FROM ui_users", &[]).await.expect("list accounts");
    assert_eq!(rows.len(), 1, "exactly one account exists");
    let winner = winners[0];
    assert_eq!(rows[0].0, format!("racer{winner}"));
    for (index, client) in clients.iter().enumerate() {
        let home = client.get("/").await;
        if index == winner {
            assert_eq!(home.status, 200, "the winner's session works");
        } else {
            assert_eq!(home.status, 303, "racer {index} is not signed in");
            assert_eq!(home.location.as_deref(), Some("/login?next=%2F"));
        }
    }
    app.stop().await;
}

/// Reads until the server closes the connection (end of stream or reset); returns what came.
async fn read_until_closed(stream: &mut tokio::net::TcpStream, deadline: Duration) -> Result<Vec<u8>, String> {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let read = async {
        let mut buffer = [0u8; 1024];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(read) => received.extend_from_slice(&buffer[..read]),
            }
        }
    };
    match tokio::time::timeout(deadline, read).await {
        Ok(()) => Ok(received),
        Err(_) => Err(format!("still open after {deadline:?}; received {:?}", String::from_utf8_lossy(&received))),
    }
}

fn host_port(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_never_finish_their_headers_are_closed() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn_with(Backend::Sqlite, &[("METARR_HTTP__HEADER_TIMEOUT_SECS", "1")]).await;
    let started = tokio::time::Instant::now();
    let mut slow = Vec::new();
    for index in 0..60 {
        let mut stream = tokio::net::TcpStream::connect(host_port(&app)).await.expect("connect");
        // Half of them send the start of a request, the other half nothing at all.
        if index % 2 == 0 {
            stream.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: metarr\r\nX-Slow: ").await.expect("write");
        }
        slow.push(stream);
    }
    // A normal client is served meanwhile.
    let response = app.client.get(app.url("/health")).send().await.expect("health request");
    assert_eq!(response.status(), 200);
    for (index, stream) in slow.iter_mut().enumerate() {
        let received =
            read_until_closed(stream, Duration::from_secs(20)).await.unwrap_or_else(|err| panic!("{index}: {err}"));
        let text = String::from_utf8_lossy(&received);
        // hyper answers 408 to a head that started; a silent connection is just closed.
        assert!(text.is_empty() || text.starts_with("HTTP/1.1 408"), "{index}: {text}");
    }
    let elapsed = started.elapsed();
    // Well under the default 10 s, so the test fails if the setting were ignored.
    assert!(elapsed < Duration::from_secs(8), "closed after the 1 s timeout, not much later: {elapsed:?}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_are_answered_503_and_closed() {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("METARR_HTTP__MAX_CONNECTIONS", "4"), ("METARR_HTTP__HEADER_TIMEOUT_SECS", "60")],
    )
    .await;
    // Four keep-alive connections, each answered once so that the server surely holds them.
    let mut held = Vec::new();
    for _ in 0..4 {
        let stream = tokio::net::TcpStream::connect(host_port(&app)).await.expect("connect");
        let mut stream = tokio::io::BufReader::new(stream);
        stream.get_mut().write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: metarr\r\n\r\n").await.expect("write");
        let mut status = String::new();
        stream.read_line(&mut status).await.expect("status line");
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            stream.read_line(&mut line).await.expect("header line");
            if line == "\r\n" {
                break;
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().expect("length");
            }
        }
        let mut body = vec![0u8; length];
        stream.read_exact(&mut body).await.expect("body");
        held.push(stream);
    }
    // The fifth is told at once, without waiting for a slot.
    let mut extra = tokio::net::TcpStream::connect(host_port(&app)).await.expect("connect");
    let received = read_until_closed(&mut extra, Duration::from_secs(20)).await.expect("closed at once");
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("too many open connections"), "{text}");

    // Closing a held connection frees its slot for the next client.
    held.pop();
    a_slot_comes_back(&app).await;
    drop(held);
    app.stop().await;
}

/// Waits until a request gets a connection slot again.
async fn a_slot_comes_back(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match app.client.get(app.url("/health")).send().await {
            Ok(response) if response.status() == 200 => break,
            other => {
                assert!(tokio::time::Instant::now() < deadline, "no slot came back: {other:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websockets_upgrade_and_hold_their_connection_slot() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("METARR_HTTP__MAX_CONNECTIONS", "2")]).await;
    // Both WebSocket routes upgrade through the server's own connection handling.
    let (api_events, _) = tokio_tungstenite::connect_async(app.events_url()).await.expect("API WebSocket");
    let ui_events_url = format!("{}/ui/events", app.address.replacen("http", "ws", 1));
    let (ui_events, _) = tokio_tungstenite::connect_async(&ui_events_url).await.expect("UI WebSocket");
    // After the upgrade each still counts as an open connection: a third is refused.
    let mut extra = tokio::net::TcpStream::connect(host_port(&app)).await.expect("connect");
    let received = read_until_closed(&mut extra, Duration::from_secs(20)).await.expect("closed at once");
    assert!(String::from_utf8_lossy(&received).starts_with("HTTP/1.1 503"));
    // Closing one gives its slot back.
    drop(api_events);
    a_slot_comes_back(&app).await;
    drop(ui_events);
    app.stop().await;
}

app_test!(list_endpoints_refuse_unknown_query_parameters_but_take_the_api_key);
async fn list_endpoints_refuse_unknown_query_parameters_but_take_the_api_key(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = app.get("/movies?libary_id=1").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("libary_id") && message.contains("library_id"), "{message}");
    // `finished_before` belongs to `DELETE /jobs`, not to the list.
    for path in
        ["/jobs?sate=failed", "/scans?libary_id=1", "/webhooks/events?limt=5", "/jobs?finished_before=2020-01-01"]
    {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
    }
    for path in
        ["/path-mappings?from=x", "/notifications?service=discord", "/player-groups?kind=kodi", "/schedules?x=1"]
    {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
    }
    let (status, body) = app.get("/libraries?enabled=true").await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("\"enabled\"") && message.contains("no query parameter but apikey"), "{message}");
    let (status, body) = app.delete("/jobs?finished_before=2020-01-01&dry_run=1").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("dry_run"), "{body}");
    // The key as a query parameter, alone (no header), on every list.
    let lists = [
        "/movies?limit=5",
        "/jobs?limit=5",
        "/scans?limit=5",
        "/webhooks/events?limit=5",
        "/libraries?",
        "/path-mappings?",
        "/notifications?",
        "/player-groups?",
        "/schedules?",
    ];
    for path in lists {
        let url = format!("{}&apikey={}", app.url(path), app.api_key);
        let response = app.client.get(&url).send().await.expect("request");
        assert_eq!(response.status(), 200, "{path}: {}", response.text().await.unwrap_or_default());
    }
    app.stop().await;
}

app_test!(the_api_key_page_says_what_actually_authenticates);
async fn the_api_key_page_says_what_actually_authenticates(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[("METARR_WEBHOOK_USERNAME", "radarr"), ("METARR_WEBHOOK_PASSWORD", "a webhook password")],
    )
    .await;
    let ui = UiClient::new(&app);
    let page = ui.get("/settings/api-key").await;
    assert_eq!(page.status, 200);
    let usage = page.body.split("id=\"api-key-usage\"").nth(1).and_then(|rest| rest.split("</p>").next()).unwrap_or("");
    assert!(usage.contains("<code>X-Api-Key</code> header"), "{usage}");
    assert!(usage.contains("<code>apikey</code> query parameter"), "{usage}");
    assert!(usage.contains("/api/v1/webhooks/radarr?apikey="), "{usage}");
    assert!(usage.contains("not a basic-authentication password"), "{usage}");
    assert!(usage.contains("METARR_WEBHOOK_PASSWORD"), "{usage}");

    let test_event = serde_json::json!({ "eventType": "Test" });
    let webhook = app.url("/webhooks/radarr");
    // What the page says works, works: the header and the query parameter, on a webhook and the API.
    let by_header = app.client.post(&webhook).header("X-Api-Key", &app.api_key).json(&test_event).send().await;
    assert_eq!(by_header.expect("webhook").status(), 200);
    let by_query = app.client.post(format!("{webhook}?apikey={}", app.api_key)).json(&test_event).send().await;
    assert_eq!(by_query.expect("webhook").status(), 200);
    let api = app.client.get(format!("{}?apikey={}", app.url("/jobs"), app.api_key)).send().await;
    assert_eq!(api.expect("api").status(), 200);
    let api = app.client.get(app.url("/jobs")).header("X-Api-Key", &app.api_key).send().await;
    assert_eq!(api.expect("api").status(), 200);
    // What it says does not work, does not: the key as a basic-authentication password.
    for user in ["radarr", "", "apikey"] {
        let basic = app.client.post(&webhook).basic_auth(user, Some(&app.api_key)).json(&test_event).send().await;
        assert_eq!(basic.expect("webhook").status(), 401, "user {user:?}");
    }
    // The webhook credentials it names do.
    let basic =
        app.client.post(&webhook).basic_auth("radarr", Some("a webhook password")).json(&test_event).send().await;
    assert_eq!(basic.expect("webhook").status(), 200);
    app.stop().await;
}

/// Posts the sign-in form as a client at `address` behind a reverse proxy on this machine.
async fn sign_in_from(ui: &UiClient, address: &str, username: &str, password: &str) -> crate::ui::Page {
    let csrf = ui.csrf().await;
    let request = ui.client().post(ui.url("/login")).header("x-forwarded-for", address).form(&[
        ("csrf", csrf.as_str()),
        ("username", username),
        ("password", password),
        ("next", "/"),
    ]);
    ui.send(request).await
}

app_test!(sign_in_failures_are_limited_per_address_and_per_account);
async fn sign_in_failures_are_limited_per_address_and_per_account(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("METARR_AUTH_REQUIRED", "always")]).await;
    UiClient::new(&app).set_up("ann", "correct horse").await;
    let ui = UiClient::new(&app);

    // A success clears the count: four failures, a success, four more failures and a success.
    for _ in 0..2 {
        for _ in 0..4 {
            assert_eq!(sign_in_from(&ui, "192.0.2.1", "ann", "wrong password").await.status, 401);
        }
        assert_eq!(sign_in_from(&ui, "192.0.2.1", "ann", "correct horse").await.status, 303);
    }

    // One address guessing across accounts: five failures, then even a right password waits.
    for index in 0..5 {
        let page = sign_in_from(&ui, "198.51.100.7", &format!("user{index}"), "guess").await;
        assert_eq!(page.status, 401, "failure {index}");
    }
    let page = sign_in_from(&ui, "198.51.100.7", "ann", "correct horse").await;
    assert_eq!(page.status, 429, "{}", page.body);
    assert!(page.body.contains("Too many failed sign-ins"), "{}", page.body);
    let retry_after: u64 = page
        .headers
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    assert!(page.set_cookies.iter().all(|line| !line.starts_with("metarr_session=")), "no session");
    // The account itself is not locked by that address.
    assert_eq!(sign_in_from(&ui, "198.51.100.8", "ann", "correct horse").await.status, 303);

    // One account guessed from many addresses: five failures, then it waits wherever it comes from.
    for index in 0..5 {
        let page = sign_in_from(&ui, &format!("203.0.113.{index}"), "ann", "wrong password").await;
        assert_eq!(page.status, 401, "failure {index}");
    }
    let page = sign_in_from(&ui, "203.0.113.50", "ann", "correct horse").await;
    assert_eq!(page.status, 429, "{}", page.body);
    assert!(page.headers.contains_key("retry-after"));
    // Other accounts from a fresh address are not affected.
    assert_eq!(sign_in_from(&ui, "203.0.113.51", "bob", "wrong password").await.status, 401);
    app.stop().await;
}
