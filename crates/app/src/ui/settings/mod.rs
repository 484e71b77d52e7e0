//! `/settings`: the index of the settings pages, and what its sub-pages share (the test-result
//! fragment, length limits, repeated form fields).
//!
//! Each sub-page has its own bookmarkable URL and calls the same services as its API routes;
//! a form the server refuses is shown again at 400 with the reason and the typed values (never
//! the typed secrets), a form that succeeds redirects (303).

mod api_key;
mod api_reference;
mod backups;
mod logs;
mod notifications;
mod path_mappings;
mod players;
mod providers;
mod schedules;

use super::{Ui, render};
use crate::routes::AppState;
use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;

// The forms refuse what the services would, before anything is stored: the limits are
// `crate::limits`', which the API and the NFO import use too.
const MAX_PATH: usize = crate::limits::MAX_PATH_CHARS;
const MAX_NAME: usize = crate::limits::MAX_NAME_CHARS;
const MAX_SECRET: usize = crate::limits::MAX_SECRET_CHARS;

/// The settings pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings", get(index))
        .merge(path_mappings::routes())
        .merge(players::routes())
        .merge(notifications::routes())
        .merge(providers::routes())
        .merge(schedules::routes())
        .merge(api_key::routes())
        .merge(api_reference::routes())
        .merge(backups::routes())
        .merge(logs::routes())
}

#[derive(Template)]
#[template(path = "settings.html")]
struct IndexPage {
    ui: Ui,
    /// The current settings sub-page, for the settings navigation (empty on the index).
    section: &'static str,
}

/// `GET /settings`
pub async fn index(ui: Ui) -> Response {
    render(&IndexPage { ui: ui.at("settings"), section: "" })
}

/// The outcome of a test (a player, a notification service), shown in place of its slot.
#[derive(Template)]
#[template(path = "settings_test_result.html")]
struct TestResult {
    /// The slot's element id, so htmx swaps the same element again on the next test.
    slot: String,
    /// `None` before any test: the slot is empty.
    ok: Option<bool>,
    message: String,
}

impl TestResult {
    fn empty(slot: String) -> TestResult {
        TestResult { slot, ok: None, message: String::new() }
    }
}

/// The first field longer than its limit, as the reason to show.
fn too_long(fields: &[(&str, &str, usize)]) -> Option<String> {
    fields
        .iter()
        .find(|(_, value, max)| value.chars().count() > *max)
        .map(|(name, value, max)| format!("{name} is too long ({} characters; at most {max})", value.chars().count()))
}

/// A form's fields in order, repeated names included (checkbox groups), which the plain
/// struct form extractor cannot express.
struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of a field, or `""`.
    fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(key, _)| key == name).map_or("", |(_, value)| value.as_str())
    }

    /// Every value of a repeated field.
    fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(key, _)| key == name).map(|(_, value)| value.as_str()).collect()
    }

    /// A checkbox: ticked when present.
    fn ticked(&self, name: &str) -> bool {
        self.0.iter().any(|(key, _)| key == name)
    }
}

/// A write-only secret from a form: a typed value replaces the stored one, the "remove"
/// checkbox clears it, and an empty field keeps it (the field never shows the stored value).
fn secret_json(typed: &str, clear: bool) -> Option<serde_json::Value> {
    if !typed.is_empty() {
        Some(serde_json::Value::String(typed.to_owned()))
    } else if clear {
        Some(serde_json::Value::Null)
    } else {
        None
    }
}

/// An optional port typed into a form: empty is `None`.
fn port_field(name: &str, value: &str) -> Result<Option<u16>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<u16>() {
        Ok(port) if port > 0 => Ok(Some(port)),
        _ => Err(format!("{name} {value:?} must be a number between 1 and 65535")),
    }
}
