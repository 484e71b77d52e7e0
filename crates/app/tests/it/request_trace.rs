//! Issue 13: web UI requests run inside the same request span as the API's, so what a UI
//! handler logs names its request (method, path, request id).

use crate::helpers::{Backend, TestDatabase};
use crate::secrets_in_logs::{Serve, metarr};
use crate::ui::UiClient;

const REQUEST_ID: &str = "ui-trace-4b1d";

app_test!(a_ui_handler_logs_inside_its_request_span);
async fn a_ui_handler_logs_inside_its_request_span(backend: Backend) {
    let dir = tempfile::tempdir().expect("data directory");
    let database = TestDatabase::create(&backend, dir.path()).await;
    // No configured API key: the UI may regenerate the generated one, and says so in the log.
    let env = [("METARR_DATABASE_URL", database.url.as_str()), ("METARR_BIND", "127.0.0.1:0")];
    let serve = Serve::start(metarr(dir.path(), &["serve"], &env)).await;

    // A loopback visitor needs no sign-in; the form needs the CSRF token.
    let ui = UiClient::at(&serve.address);
    let csrf = ui.csrf().await;
    let request = ui
        .client()
        .post(ui.url("/settings/api-key/regenerate"))
        .header("x-request-id", REQUEST_ID)
        .form(&[("csrf", csrf.as_str())]);
    let page = ui.send(request).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.headers.get("x-request-id").and_then(|v| v.to_str().ok()), Some(REQUEST_ID));

    let log = serve.stop().await;
    let line = log
        .lines()
        .find(|line| line.contains("generated a new API key from the web UI"))
        .unwrap_or_else(|| panic!("the handler's line is missing:\n{log}"));
    for part in
        ["request{method=POST", "path=\"/settings/api-key/regenerate\"", &format!("request_id=\"{REQUEST_ID}\"")]
    {
        assert!(line.contains(part), "the UI handler's line is in its request span ({part}): {line}");
    }
}
