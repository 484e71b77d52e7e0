//! Every answer the tests receive through `TestApp::send` is checked against the OpenAPI
//! document: its status must be one the operation lists, and its body must match the schema
//! documented for that status (or, for non-JSON answers, one of the documented content types).
//! So the whole suite, not a sample, keeps the document true.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

/// The document, parsed once per test binary.
static DOCUMENT: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(metarr::routes::openapi::document_json()).expect("the document is JSON"));

/// Validators by schema text: building one compiles the referenced schemas.
static VALIDATORS: LazyLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = LazyLock::new(Default::default);

/// The documented path template a concrete path matches: the one with the most literal segments
/// (`/jobs/stats` before `/jobs/{id}`).
pub fn template_of(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    DOCUMENT["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') && part.ends_with('}') {
                    if segment.is_empty() {
                        return None;
                    }
                } else if part == segment {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, template.as_str()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, template)| template)
}

/// Panics, naming the route and what differs, when an answer is not what the document says.
pub fn check_answer(method: &str, path: &str, status: u16, content_type: Option<&str>, body: &[u8]) {
    let Some(template) = template_of(path) else {
        // Not a documented route (an unknown path meeting the fallback): its error must still be the error body.
        if path.starts_with("/api/") && status == 404 {
            check_json(
                &json!({ "$ref": "#/components/schemas/ErrorBody" }),
                body,
                &format!("{method} {path} (no route)"),
            );
        }
        return;
    };
    let operation = &DOCUMENT["paths"][template][method.to_ascii_lowercase()];
    let what = format!("{method} {template} → {status}");
    if operation.is_null() {
        assert!(
            status == 405 || status == 401,
            "{method} {path} answered {status}, but the document has no {method} on {template}: {}",
            String::from_utf8_lossy(body)
        );
        return;
    }
    let answer = &operation["responses"][status.to_string()];
    assert!(
        answer.is_object(),
        "{what} is not among the statuses the document lists ({:?}); body: {}",
        operation["responses"].as_object().map(|answers| answers.keys().collect::<Vec<_>>()),
        String::from_utf8_lossy(&body[..body.len().min(2_000)])
    );
    let Some(content) = answer["content"].as_object() else {
        assert!(body.is_empty(), "{what} documents no body, but one came: {}", String::from_utf8_lossy(body));
        return;
    };
    let media = content_type.map(|value| value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    let documented = content.keys().map(|key| key.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    let documented: Vec<String> = documented.collect();
    let media = media.unwrap_or_default();
    assert!(
        documented.iter().any(|key| *key == media
            || key == "*/*"
            || key.strip_suffix("/*").is_some_and(|top| media.starts_with(top))),
        "{what} came as {media:?}; the document says {documented:?}"
    );
    if media == "application/json" {
        let schema =
            content.iter().find(|(key, _)| key.starts_with("application/json")).map(|(_, media)| &media["schema"]);
        if let Some(schema) = schema.filter(|schema| !schema.is_null()) {
            check_json(schema, body, &what);
        }
    }
}

fn check_json(schema: &Value, body: &[u8], what: &str) {
    let instance: Value = serde_json::from_slice(body)
        .unwrap_or_else(|err| panic!("{what}: the body is not JSON ({err}): {}", String::from_utf8_lossy(body)));
    let validator = validator(schema);
    let errors: Vec<String> =
        validator.iter_errors(&instance).take(8).map(|err| format!("at {}: {err}", err.instance_path())).collect();
    let shown = instance.to_string();
    assert!(
        errors.is_empty(),
        "{what}: the body does not match the documented schema {schema}:\n  {}\nbody: {}",
        errors.join("\n  "),
        &shown[..shown.len().min(3_000)]
    );
}

/// A validator of `schema`, whose `#/components/...` references resolve in the document.
fn validator(schema: &Value) -> Arc<jsonschema::Validator> {
    let key = schema.to_string();
    let mut validators = VALIDATORS.lock().expect("no test panicked while holding the validators");
    if let Some(validator) = validators.get(&key) {
        return validator.clone();
    }
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": DOCUMENT["components"],
        "allOf": [schema],
    });
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|err| panic!("the document's schema {schema} does not compile: {err}"));
    let validator = Arc::new(validator);
    validators.insert(key, validator.clone());
    validator
}

/// Panics when `schema` (with its references into the document) does not compile.
pub fn check_schema_compiles(schema: &Value) {
    validator(schema);
}
