//! `/settings/api`: the API reference, rendered on the server from the OpenAPI document the API
//! serves (`routes::openapi`), so the page cannot differ from the document and needs no script,
//! stylesheet or font from anywhere else.

use crate::routes::AppState;
use crate::ui::{Ui, render};
use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;
use serde_json::Value;
use std::sync::LazyLock;

/// The page's routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/settings/api", get(page))
}

/// A type as the page shows it: its words, and the schema it links to when it names one.
#[derive(Debug, Clone)]
pub struct TypeLabel {
    pub text: String,
    /// The component schema's name (its anchor is `schema-<name>`).
    pub link: Option<String>,
}

/// One parameter of an operation.
#[derive(Debug, Clone)]
pub struct ParameterView {
    pub name: String,
    /// `path`, `query` or `header`.
    pub location: String,
    pub required: bool,
    pub kind: TypeLabel,
    pub description: String,
}

/// One answer of an operation.
#[derive(Debug, Clone)]
pub struct AnswerView {
    pub status: String,
    pub description: String,
    pub content_type: String,
    /// `None` when the answer has no body.
    pub body: Option<TypeLabel>,
}

/// One operation: a method on a path.
#[derive(Debug, Clone)]
pub struct OperationView {
    /// The anchor, from the operation id.
    pub id: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    /// `None` for the routes that need no key.
    pub auth: Option<String>,
    pub parameters: Vec<ParameterView>,
    /// (content type, type) of the request body.
    pub body: Option<(String, TypeLabel)>,
    pub body_required: bool,
    pub answers: Vec<AnswerView>,
}

/// The operations of one tag, in the document's order.
#[derive(Debug, Clone)]
pub struct TagView {
    pub name: String,
    pub description: String,
    pub operations: Vec<OperationView>,
}

/// A property of an object schema.
#[derive(Debug, Clone)]
pub struct FieldView {
    pub name: String,
    pub required: bool,
    pub kind: TypeLabel,
    pub description: String,
}

/// A named schema of the document's components.
#[derive(Debug, Clone)]
pub struct SchemaView {
    pub name: String,
    pub description: String,
    /// What it is, when it is not an object of fields (an enum of names, an integer, a map…).
    pub kind: TypeLabel,
    pub fields: Vec<FieldView>,
}

/// The whole reference, built once from the document.
#[derive(Debug, Clone)]
pub struct Reference {
    pub title: String,
    pub version: String,
    pub description: String,
    pub tags: Vec<TagView>,
    pub schemas: Vec<SchemaView>,
    pub operation_count: usize,
}

#[derive(Template)]
#[template(path = "settings_api.html")]
struct ApiPage<'a> {
    ui: Ui,
    section: &'static str,
    reference: &'a Reference,
}

/// `GET /settings/api`
pub async fn page(ui: Ui) -> Response {
    static REFERENCE: LazyLock<Reference> = LazyLock::new(|| {
        let document =
            serde_json::from_str(crate::routes::openapi::document_json()).expect("the document the API serves is JSON");
        reference(&document)
    });
    render(&ApiPage { ui: ui.at("settings"), section: "api", reference: &REFERENCE })
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The reference of an OpenAPI document: its operations grouped by tag, then its schemas.
pub fn reference(document: &Value) -> Reference {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let mut tags: Vec<TagView> = document["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|tag| TagView {
                    name: text(&tag["name"]),
                    description: text(&tag["description"]),
                    operations: Vec::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut operation_count = 0;
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let Some(operation) = item.get(method) else { continue };
            operation_count += 1;
            let view = operation_view(method, path, operation);
            let tag = operation["tags"][0].as_str().unwrap_or("other");
            match tags.iter_mut().find(|known| known.name == tag) {
                Some(known) => known.operations.push(view),
                None => tags.push(TagView { name: tag.to_owned(), description: String::new(), operations: vec![view] }),
            }
        }
    }
    tags.retain(|tag| !tag.operations.is_empty());
    let schemas = document["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, schema)| SchemaView {
            name: name.clone(),
            description: text(&schema["description"]),
            kind: type_label(schema),
            fields: fields(schema),
        })
        .collect();
    Reference {
        title: text(&document["info"]["title"]),
        version: text(&document["info"]["version"]),
        description: text(&document["info"]["description"]),
        tags,
        schemas,
        operation_count,
    }
}

fn operation_view(method: &str, path: &str, operation: &Value) -> OperationView {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let parameters = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|parameter| ParameterView {
            name: text(&parameter["name"]),
            location: text(&parameter["in"]),
            required: parameter["required"].as_bool().unwrap_or(false),
            kind: type_label(&parameter["schema"]),
            description: text(&parameter["description"]),
        })
        .collect();
    let body = operation["requestBody"]["content"]
        .as_object()
        .and_then(|content| content.iter().next())
        .map(|(content_type, media)| (content_type.clone(), type_label(&media["schema"])));
    let answers = operation["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, answer)| {
            let content = answer["content"].as_object().and_then(|content| content.iter().next());
            AnswerView {
                status: status.clone(),
                description: text(&answer["description"]),
                content_type: content.map(|(content_type, _)| content_type.clone()).unwrap_or_default(),
                body: content.map(|(_, media)| type_label(&media["schema"])),
            }
        })
        .collect();
    let auth = operation["security"].as_array().map(|requirements| {
        let schemes: Vec<&str> = requirements
            .iter()
            .flat_map(|requirement| requirement.as_object().into_iter().flatten().map(|(name, _)| name.as_str()))
            .collect();
        let optional = requirements.iter().any(|requirement| requirement.as_object().is_some_and(|r| r.is_empty()));
        let mut ways = vec!["X-Api-Key header", "apikey query parameter"];
        if schemes.contains(&"basic") {
            ways.push("HTTP Basic password");
        }
        let ways = ways.join(", or ");
        if optional { format!("API key ({ways}), unless allowed without one") } else { format!("API key: {ways}") }
    });
    OperationView {
        id: text(&operation["operationId"]),
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        summary: text(&operation["summary"]),
        description: text(&operation["description"]),
        auth,
        parameters,
        body,
        body_required: operation["requestBody"]["required"].as_bool().unwrap_or(false),
        answers,
    }
}

/// The properties of an object schema (through `allOf`, which flattened fields become).
fn fields(schema: &Value) -> Vec<FieldView> {
    let mut fields = Vec::new();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        fields.extend(fields_of_object(part));
    }
    fields.extend(fields_of_object(schema));
    fields
}

fn fields_of_object(schema: &Value) -> Vec<FieldView> {
    let required: Vec<&str> = schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, property)| FieldView {
            name: name.clone(),
            required: required.contains(&name.as_str()),
            kind: type_label(property),
            description: property["description"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// A schema in a few words: `Job`, `array of Job`, `string (date-time)`, `one of: a, b`, `Slot or null`.
pub fn type_label(schema: &Value) -> TypeLabel {
    let plain = |text: String| TypeLabel { text, link: None };
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference).to_owned();
        return TypeLabel { text: name.clone(), link: Some(name) };
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(choices) = schema[combinator].as_array() {
            let labels: Vec<TypeLabel> = choices.iter().map(type_label).collect();
            let named: Vec<&TypeLabel> = labels.iter().filter(|label| label.text != "null").collect();
            let nullable = named.len() < labels.len();
            if let [only] = named.as_slice() {
                let text = if nullable { format!("{} or null", only.text) } else { only.text.clone() };
                return TypeLabel { text, link: only.link.clone() };
            }
            let words: Vec<String> = labels.iter().map(|label| label.text.clone()).collect();
            return plain(format!("{}: {}", if combinator == "allOf" { "all of" } else { "one of" }, words.join(", ")));
        }
    }
    if let Some(names) = schema["enum"].as_array() {
        let names: Vec<String> =
            names.iter().map(|name| name.as_str().map(str::to_owned).unwrap_or_else(|| name.to_string())).collect();
        return plain(format!("one of: {}", names.join(", ")));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(kind) => vec![kind.as_str()],
        Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types == ["null"] {
        return plain("null".to_owned());
    }
    let nullable = types.contains(&"null");
    let main = types.iter().copied().find(|kind| *kind != "null");
    let label = match main {
        Some("array") => {
            let items = type_label(&schema["items"]);
            TypeLabel { text: format!("array of {}", items.text), link: items.link }
        }
        Some("object") if schema["additionalProperties"].is_object() => {
            let values = type_label(&schema["additionalProperties"]);
            TypeLabel { text: format!("map of {}", values.text), link: values.link }
        }
        Some(kind) => match schema["format"].as_str() {
            Some(format) => plain(format!("{kind} ({format})")),
            None => plain(kind.to_owned()),
        },
        None if schema.as_object().is_some_and(|object| object.keys().all(|key| key == "description")) => {
            plain("any JSON".to_owned())
        }
        None => plain("object".to_owned()),
    };
    if nullable { TypeLabel { text: format!("{} or null", label.text), link: label.link } } else { label }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_read_as_words() {
        assert_eq!(type_label(&json!({"$ref": "#/components/schemas/Job"})).link.as_deref(), Some("Job"));
        let list = type_label(&json!({"type": "array", "items": {"$ref": "#/components/schemas/Job"}}));
        assert_eq!((list.text.as_str(), list.link.as_deref()), ("array of Job", Some("Job")));
        let nullable = type_label(&json!({"oneOf": [{"$ref": "#/components/schemas/Progress"}, {"type": "null"}]}));
        assert_eq!(nullable.text, "Progress or null");
        assert_eq!(
            type_label(&json!({"type": ["string", "null"], "format": "date-time"})).text,
            "string (date-time) or null"
        );
        assert_eq!(type_label(&json!({"type": "string", "enum": ["a", "b"]})).text, "one of: a, b");
        assert_eq!(
            type_label(&json!({"type": "object", "additionalProperties": {"type": "integer"}})).text,
            "map of integer"
        );
        assert_eq!(type_label(&json!({})).text, "any JSON");
    }

    #[test]
    fn the_reference_holds_every_operation_of_the_document() {
        let document: Value = serde_json::from_str(crate::routes::openapi::document_json()).expect("JSON");
        let reference = reference(&document);
        let counted: usize = reference.tags.iter().map(|tag| tag.operations.len()).sum();
        assert_eq!(counted, reference.operation_count);
        let job = reference.schemas.iter().find(|schema| schema.name == "Job").expect("Job");
        let state = job.fields.iter().find(|field| field.name == "state").expect("state");
        assert!(state.required && state.kind.link.as_deref() == Some("JobState"), "{state:?}");
        let health = reference.tags.iter().flat_map(|tag| &tag.operations).find(|op| op.path == "/api/v1/health");
        assert!(health.is_some_and(|health| health.auth.is_none()));
    }
}
