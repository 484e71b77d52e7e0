//! The OpenAPI document (`/api/v1/openapi.json`): served without a key, it describes every route
//! the server has and nothing it does not, each operation consistently (ids, tags, parameters,
//! keys, answers), and the checker that holds every other test's answers against it can fail.

use crate::conformance;
use crate::helpers::{Backend, TestApp};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashSet};
use std::path::Path;

fn document() -> Value {
    serde_json::from_str(metarr::routes::openapi::document_json()).expect("the document is JSON")
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Every (method, path) the document describes.
fn operations(document: &Value) -> Vec<(String, String, Value)> {
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                operations.push((method.to_owned(), path.clone(), operation.clone()));
            }
        }
    }
    operations
}

/// A route can only be added through `utoipa_axum::routes!`, which adds its description with
/// it: a plain axum `.route(…)` (or a nested service) in the API's route modules would serve a
/// route the document does not describe, so this test reads them and refuses any.
#[test]
fn no_route_is_added_without_its_description() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files: Vec<_> = std::fs::read_dir(src.join("routes"))
        .expect("routes/")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    files.push(src.join("metrics.rs"));
    assert!(files.len() > 20, "the route modules were found: {files:?}");
    let mut offenders = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            // `mod.rs` nests the whole API under `/api/v1` and `openapi.rs` the document with it.
            let builds_the_api = file.ends_with("routes/mod.rs") || file.ends_with("routes/openapi.rs");
            for raw in [".route(", ".route_service(", ".nest_service(", ".nest(", "routing::"] {
                if code.contains(raw) && !(raw == ".nest(" && builds_the_api) {
                    offenders.push(format!("{}:{}: {}", file.display(), number + 1, line.trim()));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "routes added without a description (use routes!(…)):\n{}", offenders.join("\n"));

    // Every module's routes are merged where the router is built, so none is left out of both.
    let modules = std::fs::read_to_string(src.join("routes/mod.rs")).expect("mod.rs");
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        let name = file.file_stem().and_then(|stem| stem.to_str()).expect("name");
        if text.contains("fn routes() -> OpenApiRouter") && name != "metrics" {
            assert!(modules.contains(&format!("{name}::routes()")), "routes/mod.rs does not merge {name}::routes()");
        }
    }
    // The web UI's router serves pages, never API routes.
    for entry in std::fs::read_dir(src.join("ui")).expect("ui/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            let text = std::fs::read_to_string(&path).expect("readable");
            assert!(!text.contains(".route(\"/api/"), "{} adds an API route outside the API", path.display());
        }
    }
}

#[test]
fn every_operation_is_described_consistently() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
    let tags: HashSet<&str> =
        document["tags"].as_array().expect("tags").iter().filter_map(|tag| tag["name"].as_str()).collect();
    let operations = operations(&document);
    assert!(operations.len() > 100, "{} operations", operations.len());
    let mut ids = HashSet::new();
    let public: BTreeSet<String> =
        ["/api/v1/health", "/api/v1/openapi.json", "/api/v1/webhooks/radarr", "/api/v1/webhooks/sonarr", "/metrics"]
            .into_iter()
            .map(str::to_owned)
            .collect();
    let mut keyless = BTreeSet::new();
    for (method, path, operation) in &operations {
        let what = format!("{method} {path}");
        assert!(path == "/metrics" || path.starts_with("/api/v1/"), "{what}: outside the API");
        let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{what}: no operationId"));
        assert!(ids.insert(id.to_owned()), "{what}: operationId {id} is used twice");
        let summary = operation["summary"].as_str().unwrap_or_default();
        assert!(summary.len() > 10 && !summary.contains('\n'), "{what}: summary {summary:?}");
        assert!(!summary.contains("/api/v1"), "{what}: the summary should say what it does, not the route: {summary}");
        let tag = operation["tags"][0].as_str().unwrap_or_else(|| panic!("{what}: no tag"));
        assert!(tags.contains(tag), "{what}: tag {tag} is not declared");
        let answers = operation["responses"].as_object().expect("responses");
        assert!(
            answers.keys().any(|status| status.starts_with('2') || status.starts_with('3') || status == "101"),
            "{what}: no success answer in {:?}",
            answers.keys().collect::<Vec<_>>()
        );
        for (status, answer) in answers {
            assert!(
                answer["description"].as_str().is_some_and(|text| !text.is_empty()),
                "{what} {status}: no description"
            );
            if status.starts_with('4') || status.starts_with('5') {
                assert!(answer["content"].is_object(), "{what} {status}: an error answer without a body");
            }
        }
        assert!(answers.contains_key("500"), "{what}: no 500");
        // Behind the key middleware: exactly the header or the query parameter. Anything else
        // (nothing, Basic credentials, or the key made optional) is a route that checks itself.
        let requirements = operation["security"].as_array().cloned().unwrap_or_default();
        if requirements == [json!({"api_key": []}), json!({"apikey_query": []})] {
            assert!(answers.contains_key("401"), "{what}: needs a key but documents no 401");
        } else {
            keyless.insert(path.clone());
        }
        // Path parameters: each `{name}` declared once as a path parameter, and no other.
        let in_template: BTreeSet<String> = path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{').and_then(|rest| rest.strip_suffix('}')))
            .map(str::to_owned)
            .collect();
        let declared: BTreeSet<String> = operation["parameters"]
            .as_array()
            .map(|parameters| {
                parameters
                    .iter()
                    .filter(|parameter| parameter["in"] == "path")
                    .filter_map(|parameter| parameter["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(in_template, declared, "{what}: the path parameters declared differ from the template's");
        if let Some(body) = operation.get("requestBody") {
            assert!(body["content"].as_object().is_some_and(|content| !content.is_empty()), "{what}: an empty body");
        }
        if in_template.is_empty() && operation.get("requestBody").is_none() {
            continue;
        }
        assert!(answers.contains_key("400"), "{what}: takes input but documents no 400");
    }
    assert_eq!(keyless, public, "the routes outside the key middleware");

    // Every reference resolves, and every schema compiles (the checker below builds them).
    let text = document.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let target = reference.split('"').next().expect("a reference");
        let pointer = target.strip_prefix('#').unwrap_or_else(|| panic!("a remote reference {target}"));
        assert!(document.pointer(pointer).is_some(), "{target} does not resolve");
    }
    for name in document["components"]["schemas"].as_object().expect("schemas").keys() {
        let reference = json!({ "$ref": format!("#/components/schemas/{name}") });
        let compiled = std::panic::catch_unwind(|| conformance::check_schema_compiles(&reference));
        assert!(compiled.is_ok(), "the schema {name} does not compile");
    }
}

/// The checker that every `TestApp::send` runs is shown answers it must refuse.
#[test]
fn the_answer_checker_refuses_what_the_document_does_not_say() {
    let job = json!({
        "id": 7, "kind": "debug-sleep", "state": "pending", "priority": 5, "attempt": 0, "max_attempts": 3,
        "run_at": "2026-12-05T10:00:00Z", "created_at": "2026-12-05T10:00:00Z", "started_at": null,
        "finished_at": null, "progress": null, "last_error": null, "payload": {}, "parent_id": null,
        "correlation_id": null, "unique_key": null, "cancel_requested": false
    });
    let bytes = |value: &Value| value.to_string().into_bytes();
    let json_type = Some("application/json");
    // A true answer passes.
    conformance::check_answer("GET", "/api/v1/jobs/7", 200, json_type, &bytes(&job));
    conformance::check_answer(
        "GET",
        "/api/v1/jobs/stats",
        401,
        json_type,
        &bytes(&json!({"error": {"code": "unauthorized", "message": "no key"}})),
    );
    let refused =
        |method: &'static str, path: &'static str, status: u16, content_type: Option<&'static str>, body: Vec<u8>| {
            let outcome =
                std::panic::catch_unwind(move || conformance::check_answer(method, path, status, content_type, &body));
            assert!(outcome.is_err(), "{method} {path} {status} was let through");
        };
    // A missing field, a wrong type, a state that does not exist, an unknown error code.
    let mut without_id = job.clone();
    without_id.as_object_mut().expect("object").remove("id");
    refused("GET", "/api/v1/jobs/7", 200, json_type, bytes(&without_id));
    let mut wrong_type = job.clone();
    wrong_type["attempt"] = json!("zero");
    refused("GET", "/api/v1/jobs/7", 200, json_type, bytes(&wrong_type));
    let mut unknown_state = job.clone();
    unknown_state["state"] = json!("sleeping");
    refused("GET", "/api/v1/jobs/7", 200, json_type, bytes(&unknown_state));
    refused("GET", "/api/v1/jobs/7", 404, json_type, bytes(&json!({"error": {"code": "gone", "message": "x"}})));
    refused("GET", "/api/v1/jobs/7", 404, json_type, bytes(&json!({"message": "not found"})));
    // A status the operation does not list, and a body of another type than documented.
    refused("GET", "/api/v1/jobs/7", 418, json_type, bytes(&job));
    refused("GET", "/api/v1/jobs/7", 200, Some("text/html"), b"<p>job</p>".to_vec());
    // An unknown API path must still answer the error body.
    refused("GET", "/api/v1/no-such-thing", 404, Some("text/plain"), b"not found".to_vec());
}

/// The document is served as JSON without a key; every operation it describes reaches a
/// handler (never the API's "no such route", never 405), and each answer, through
/// `TestApp::send`, is what the document says.
async fn every_described_operation_is_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let served = reqwest::get(app.url("/openapi.json")).await.expect("served");
    assert_eq!(served.status(), 200);
    let content_type = served.headers()[reqwest::header::CONTENT_TYPE].to_str().expect("ascii").to_owned();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let served: Value = served.json().await.expect("JSON");
    assert_eq!(served, document(), "the served document is the one the code builds");

    let placeholder = |name: &str| match name {
        "slot" => "poster",
        "field" => "title",
        "name" => "no-such-name",
        "service" => "discord",
        "number" => "1",
        "sha256" => "0000000000000000000000000000000000000000000000000000000000000000",
        _ => "987654",
    };
    let origin = app.url("").trim_end_matches("/api/v1").to_owned();
    let mut answered = 0;
    for (method, path, _) in operations(&served) {
        let concrete: Vec<String> = path
            .split('/')
            .map(|segment| match segment.strip_prefix('{').and_then(|rest| rest.strip_suffix('}')) {
                Some(name) => placeholder(name).to_owned(),
                None => segment.to_owned(),
            })
            .collect();
        let url = format!("{origin}{}", concrete.join("/"));
        let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("a method");
        let (status, body) = app.send(app.client.request(method.clone(), &url)).await;
        assert_ne!(status, 405, "{method} {path}: described but not served");
        let fallback = body["error"]["message"] == "no such API route";
        assert!(!(status == 404 && fallback), "{method} {path}: described but not served: {body}");
        answered += 1;
    }
    assert!(answered > 100, "{answered} operations");
    app.stop().await;
}
app_test!(every_described_operation_is_served);

/// Settings › API reference shows every operation and schema of the document, from the
/// server alone: nothing on the page is loaded from elsewhere.
async fn the_api_reference_page_shows_the_whole_document(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = crate::ui::UiClient::new(&app);
    let page = ui.get("/settings/api").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("href=\"/settings/api\" aria-current=\"page\""), "the settings entry is current");
    assert!(page.body.contains("href=\"/api/v1/openapi.json\""), "it links the document");
    let document = document();
    let operations = operations(&document);
    let tags = document["tags"].as_array().expect("tags").len();
    let schemas = document["components"]["schemas"].as_object().expect("schemas");
    let count = format!("{} operations in", operations.len());
    assert!(page.body.contains(&count), "{count:?} is on the page");
    for (method, path, operation) in &operations {
        let id = operation["operationId"].as_str().expect("id");
        let at = page.body.find(&format!("id=\"op-{id}\"")).unwrap_or_else(|| panic!("{method} {path} is on the page"));
        let entry = &page.body[at..at + page.body[at..].find("</details>").expect("the entry ends")];
        assert!(entry.contains(&format!("<code>{path}</code>")), "{id} shows its path: {entry}");
        assert!(entry.contains(&method.to_ascii_uppercase()), "{id} shows its method");
        for status in operation["responses"].as_object().expect("responses").keys() {
            assert!(entry.contains(&format!("<td class=\"mono\">{status}</td>")), "{id} shows its {status}");
        }
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let name = parameter["name"].as_str().expect("name");
            assert!(entry.contains(&format!("<code>{name}</code>")), "{id} shows its parameter {name}");
        }
    }
    for name in schemas.keys() {
        assert!(page.body.contains(&format!("id=\"schema-{name}\"")), "the schema {name} is on the page");
    }
    // Every schema a link points to is on the page.
    for link in page.body.split("href=\"#schema-").skip(1) {
        let name = link.split('"').next().expect("a name");
        assert!(schemas.contains_key(name), "a link to the unknown schema {name}");
    }
    assert!(tags > 10, "{tags} groups");
    for remote in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "@import"] {
        assert!(!page.body.contains(remote), "the page loads something from elsewhere: {remote}");
    }
    app.stop().await;
}
app_test!(the_api_reference_page_shows_the_whole_document);

/// An independent reader agrees it is a valid OpenAPI 3.1 document (`openapi-spec-validator`,
/// from PyPI), after refusing a broken copy of it.
#[test]
fn an_openapi_validator_accepts_the_document() {
    let validator = "openapi-spec-validator";
    let install = "python3 -m pip install openapi-spec-validator==0.9.0";
    if !metarr_testkit::require(metarr_testkit::runs(validator, "--help"), validator, install) {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let validate = |document: &Value| {
        let path = dir.path().join("openapi.json");
        std::fs::write(&path, document.to_string()).expect("written");
        let output = std::process::Command::new(validator).arg(&path).output().expect("the validator runs");
        (
            output.status.success(),
            format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)),
        )
    };
    let mut broken = document();
    broken["paths"]["/api/v1/health"]["get"]["responses"] = json!({ "200": { "content": 7 } });
    let (accepted, report) = validate(&broken);
    assert!(!accepted, "the validator accepted a broken document: {report}");
    let (accepted, report) = validate(&document());
    assert!(accepted, "{report}");
}
