//! `/settings/notifications`: Discord, Pushover and e-mail, each with its event filter and its
//! write-only secrets, and a Test button that sends a test message with the saved settings.
//!
//! Saving goes through `arr::notifications::put` and testing through the API's test handler,
//! so the page accepts, refuses and sends exactly what the API does.

use super::{Fields, MAX_NAME, MAX_SECRET, TestResult, port_field, secret_json, too_long};
use crate::arr::notifications::{self, Service, ServiceInput, ServiceView, SettingsView};
use crate::catalogue::CatalogueError;
use crate::error::{ApiPath, AppError};
use crate::routes::AppState;
use crate::ui::{Ui, UiError, is_htmx, render, render_html, render_with, see_other};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use metarr_notify::EventKind;
use serde::Deserialize;
use serde_json::{Map, Value, json};

const PAGE: &str = "/settings/notifications";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(page))
        .route("/settings/notifications/{service}", post(save))
        .route("/settings/notifications/{service}/test", post(test))
}

/// One event filter checkbox.
pub struct EventBox {
    pub name: &'static str,
    pub label: String,
    pub checked: bool,
}

/// One choice of a `<select>`: value, label, selected.
pub type Choice = (&'static str, &'static str, bool);

/// One service's form as the page shows it: its values, and whether each secret is set.
pub struct ServiceCard {
    pub service: &'static str,
    pub title: &'static str,
    pub enabled: bool,
    pub events: Vec<EventBox>,
    pub webhook_url_set: bool,
    pub app_token_set: bool,
    pub user_key_set: bool,
    pub priorities: Vec<Choice>,
    pub api_url: String,
    pub host: String,
    pub port: String,
    pub tls: Vec<Choice>,
    pub username: String,
    pub password_set: bool,
    pub from: String,
    pub to: String,
    pub error: Option<String>,
    /// The rendered test-result slot.
    pub test: String,
}

const PRIORITIES: [(&str, &str); 4] = [("-2", "Lowest"), ("-1", "Low"), ("0", "Normal"), ("1", "High")];
const TLS_MODES: [(&str, &str); 3] =
    [("starttls", "STARTTLS (port 587)"), ("tls", "TLS (port 465)"), ("none", "None (local relay only)")];

fn title(service: Service) -> &'static str {
    match service {
        Service::Discord => "Discord",
        Service::Pushover => "Pushover",
        Service::Email => "E-mail",
    }
}

/// `movie_imported` → "Movie imported".
fn event_label(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut chars = words.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn choices(options: &[(&'static str, &'static str)], selected: &str) -> Vec<Choice> {
    options.iter().map(|(value, label)| (*value, *label, *value == selected)).collect()
}

fn test_slot(service: Service) -> String {
    format!("notification-{}-test", service.as_str())
}

impl ServiceCard {
    /// The card of the stored configuration.
    fn of(service: Service, view: &ServiceView) -> Result<ServiceCard, UiError> {
        let events: Vec<&str> = view.events.to_vec();
        let mut card = ServiceCard {
            service: service.as_str(),
            title: title(service),
            enabled: view.enabled,
            events: event_boxes(&events),
            webhook_url_set: false,
            app_token_set: false,
            user_key_set: false,
            priorities: choices(&PRIORITIES, "0"),
            api_url: String::new(),
            host: String::new(),
            port: String::new(),
            tls: choices(&TLS_MODES, "starttls"),
            username: String::new(),
            password_set: false,
            from: String::new(),
            to: String::new(),
            error: None,
            test: render_html(&TestResult::empty(test_slot(service)))?,
        };
        match &view.settings {
            SettingsView::Discord(discord) => card.webhook_url_set = discord.webhook_url.is_some(),
            SettingsView::Pushover(pushover) => {
                card.app_token_set = pushover.app_token.is_some();
                card.user_key_set = pushover.user_key.is_some();
                card.priorities = choices(&PRIORITIES, &pushover.priority.to_string());
                card.api_url = pushover.api_url.clone();
            }
            SettingsView::Email(email) => {
                card.host = email.host.clone().unwrap_or_default();
                card.port = email.port.to_string();
                card.tls = choices(&TLS_MODES, &email.tls);
                card.username = email.username.clone().unwrap_or_default();
                card.password_set = email.password.is_some();
                card.from = email.from.clone().unwrap_or_default();
                card.to = email.to.join(", ");
            }
        }
        Ok(card)
    }

    /// The card showing a refused form: the typed values (secrets only as set or not, from the
    /// stored configuration) and the reason.
    fn refused(mut self, fields: &Fields, error: String) -> ServiceCard {
        self.enabled = fields.ticked("enabled");
        self.events = event_boxes(&fields.all("events"));
        self.priorities = choices(&PRIORITIES, fields.get("priority"));
        self.api_url = fields.get("api_url").to_owned();
        self.host = fields.get("host").to_owned();
        self.port = fields.get("port").to_owned();
        self.tls = choices(&TLS_MODES, fields.get("tls"));
        self.username = fields.get("username").to_owned();
        self.from = fields.get("from").to_owned();
        self.to = fields.get("to").to_owned();
        self.error = Some(error);
        self
    }
}

/// The event filter: every event but the test message, which is sent on request only.
fn event_boxes(checked: &[&str]) -> Vec<EventBox> {
    EventKind::ALL
        .into_iter()
        .filter(|event| *event != EventKind::Test)
        .map(|event| EventBox {
            name: event.as_str(),
            label: event_label(event.as_str()),
            checked: checked.contains(&event.as_str()),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "settings_notifications.html")]
struct NotificationsPage {
    ui: Ui,
    section: &'static str,
    services: Vec<ServiceCard>,
    /// The service just saved, named for the notice.
    saved: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// What to show in one card instead of the stored configuration.
enum Override {
    Refused(Fields, String),
    Tested(TestResult),
}

async fn render_page(
    state: &AppState,
    ui: Ui,
    saved: Option<&'static str>,
    changed: Option<(Service, Override)>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let mut services = Vec::new();
    for config in notifications::list(&state.db).await? {
        let mut card = ServiceCard::of(config.service, &config.view())?;
        match &changed {
            Some((service, Override::Refused(fields, error))) if *service == config.service => {
                card = card.refused(fields, error.clone());
            }
            Some((service, Override::Tested(result))) if *service == config.service => {
                card.test = render_html(&result)?;
            }
            _ => {}
        }
        services.push(card);
    }
    Ok(render_with(status, &NotificationsPage { ui: ui.at("settings"), section: "notifications", services, saved }))
}

/// `GET /settings/notifications`
pub async fn page(State(state): State<AppState>, ui: Ui, Query(query): Query<SavedQuery>) -> Result<Response, UiError> {
    let saved = query.saved.as_deref().and_then(|name| Service::parse(name).ok()).map(title);
    render_page(&state, ui, saved, None, StatusCode::OK).await
}

/// The API input of a service's form.
fn input(service: Service, fields: &Fields) -> Result<ServiceInput, String> {
    let mut settings = Map::new();
    match service {
        Service::Discord => {
            let url = fields.get("webhook_url").trim();
            if let Some(reason) = too_long(&[("webhook URL", url, MAX_SECRET)]) {
                return Err(reason);
            }
            if let Some(url) = secret_json(url, fields.ticked("clear_webhook_url")) {
                settings.insert("webhook_url".into(), url);
            }
        }
        Service::Pushover => {
            let app_token = fields.get("app_token").trim();
            let user_key = fields.get("user_key").trim();
            let api_url = fields.get("api_url").trim();
            if let Some(reason) = too_long(&[
                ("application token", app_token, MAX_SECRET),
                ("user key", user_key, MAX_SECRET),
                ("API URL", api_url, MAX_SECRET),
            ]) {
                return Err(reason);
            }
            if let Some(token) = secret_json(app_token, fields.ticked("clear_app_token")) {
                settings.insert("app_token".into(), token);
            }
            if let Some(key) = secret_json(user_key, fields.ticked("clear_user_key")) {
                settings.insert("user_key".into(), key);
            }
            let priority = fields.get("priority").trim();
            let priority: i8 = if priority.is_empty() {
                0
            } else {
                priority.parse().map_err(|_| format!("priority {priority:?} must be a number from -2 to 1"))?
            };
            settings.insert("priority".into(), json!(priority));
            if !api_url.is_empty() && api_url != metarr_notify::PUSHOVER_API_URL {
                settings.insert("api_url".into(), json!(api_url));
            }
        }
        Service::Email => {
            let host = fields.get("host").trim();
            let username = fields.get("username").trim();
            let from = fields.get("from").trim();
            let to_text = fields.get("to");
            let password = fields.get("password");
            if let Some(reason) = too_long(&[
                ("host", host, MAX_NAME),
                ("username", username, MAX_NAME),
                ("password", password, MAX_SECRET),
                ("from", from, MAX_NAME),
                ("to", to_text, MAX_SECRET),
            ]) {
                return Err(reason);
            }
            let optional = |value: &str| if value.is_empty() { Value::Null } else { json!(value) };
            let to: Vec<&str> =
                to_text.split([',', ';', '\n']).map(str::trim).filter(|address| !address.is_empty()).collect();
            settings.insert("host".into(), optional(host));
            settings.insert("port".into(), json!(port_field("port", fields.get("port"))?));
            settings.insert("tls".into(), optional(fields.get("tls").trim()));
            settings.insert("username".into(), optional(username));
            if let Some(password) = secret_json(password, fields.ticked("clear_password")) {
                settings.insert("password".into(), password);
            }
            settings.insert("from".into(), optional(from));
            settings.insert("to".into(), json!(to));
        }
    }
    Ok(ServiceInput {
        enabled: fields.ticked("enabled"),
        events: fields.all("events").into_iter().map(str::to_owned).collect(),
        settings: Value::Object(settings),
    })
}

/// `POST /settings/notifications/{service}`: saves one service; empty secret fields keep the
/// stored secrets.
pub async fn save(
    State(state): State<AppState>,
    ui: Ui,
    Path(name): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let service = Service::parse(&name)?;
    let fields = Fields(fields);
    let saved = match input(service, &fields) {
        Ok(input) => match notifications::put(&state.db, service, input).await {
            Ok(_) => Ok(()),
            Err(CatalogueError::Invalid(message)) => Err(message),
            Err(err) => return Err(err.into()),
        },
        Err(reason) => Err(reason),
    };
    match saved {
        Ok(()) => Ok(see_other(&format!("{PAGE}?saved={}#service-{}", service.as_str(), service.as_str()))),
        Err(message) => {
            let changed = Some((service, Override::Refused(fields, message)));
            render_page(&state, ui, None, changed, StatusCode::BAD_REQUEST).await
        }
    }
}

/// `POST /settings/notifications/{service}/test`: sends a test message with the saved
/// settings. htmx gets the result alone; a plain form gets the page with the result.
pub async fn test(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, UiError> {
    let service = Service::parse(&name)?;
    let (result, status) = match crate::routes::notifications::test(State(state.clone()), ApiPath(name)).await {
        Ok(axum::Json(outcome)) => {
            (TestResult { slot: test_slot(service), ok: Some(outcome.ok), message: outcome.message }, StatusCode::OK)
        }
        // Not configured enough to try: the reason is the result.
        Err(AppError::BadRequest(message)) => {
            (TestResult { slot: test_slot(service), ok: Some(false), message }, StatusCode::BAD_REQUEST)
        }
        Err(err) => return Err(err.into()),
    };
    if is_htmx(&headers) {
        // htmx does not swap 4xx answers, and the slot is where the reason must appear.
        return Ok(render(&result));
    }
    render_page(&state, ui, None, Some((service, Override::Tested(result))), status).await
}
