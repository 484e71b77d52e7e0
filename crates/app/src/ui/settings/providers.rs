//! `/settings/providers`: TMDB, Fanart.tv and OMDb, each with its write-only key (shown only as
//! set or not set), its rate limit and daily quota, the calls used today and any block the
//! provider asked for, and a Test button that makes one cheap call with the saved key.
//!
//! Listing, saving and testing go through the API's handlers (`routes::providers`), which store
//! through `enrich::stored::save` and put the change in force with `EnrichServices::reload`, so
//! the page accepts and refuses exactly what `PUT /api/v1/providers/{name}` does.

use super::{Fields, TestResult};
use crate::enrich::stored::{ProviderInput, ProviderView};
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError, NoQuery};
use crate::routes::AppState;
use crate::secret::SecretInput;
use crate::ui::{Ui, UiError, is_htmx, render, render_html, render_with, see_other};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use metarr_providers::Provider;
use serde::Deserialize;

const PAGE: &str = "/settings/providers";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(page))
        .route("/settings/providers-language", post(save_language))
        .route("/settings/providers/{name}", post(save))
        .route("/settings/providers/{name}/test", post(test))
}

/// One provider's card: its settings as in force, today's usage, and the test slot.
pub struct ProviderCard {
    pub name: &'static str,
    pub title: &'static str,
    pub key_set: bool,
    pub requests_per_second: String,
    /// Empty when there is no quota.
    pub daily_quota: String,
    pub used_today: i64,
    /// `2026-11-29 03:19` while the provider asked Metarr to wait, else empty.
    pub blocked_until: String,
    pub error: Option<String>,
    /// The rendered test-result slot.
    pub test: String,
}

fn test_slot(provider: Provider) -> String {
    format!("provider-{}-test", provider.as_str())
}

impl ProviderCard {
    fn of(view: &ProviderView) -> Result<ProviderCard, UiError> {
        Ok(ProviderCard {
            name: view.name.as_str(),
            title: view.display_name,
            key_set: view.api_key.is_some(),
            requests_per_second: view.requests_per_second.to_string(),
            daily_quota: view.daily_quota.map(|quota| quota.to_string()).unwrap_or_default(),
            used_today: view.used_today,
            blocked_until: view.blocked_until.as_ref().map(crate::ui::when).unwrap_or_default(),
            error: None,
            test: render_html(&TestResult::empty(test_slot(view.name)))?,
        })
    }
}

#[derive(Template)]
#[template(path = "settings_providers.html")]
struct ProvidersPage {
    ui: Ui,
    section: &'static str,
    providers: Vec<ProviderCard>,
    /// The metadata language in force (stored at run time, else `providers.language`).
    language: String,
    /// Why the language typed was refused.
    language_error: Option<String>,
    /// The provider just saved, named for the notice.
    saved: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// What to show in one card instead of the stored settings.
enum Override {
    Refused(Fields, String),
    Tested(TestResult),
    /// The language typed, and why it was refused.
    Language(String, String),
}

async fn render_page(
    state: &AppState,
    ui: Ui,
    saved: Option<&'static str>,
    changed: Option<(Provider, Override)>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let Json(list) = crate::routes::providers::list(State(state.clone()), ApiQuery(NoQuery {})).await?;
    let mut providers = Vec::new();
    for view in &list.items {
        let mut card = ProviderCard::of(view)?;
        match &changed {
            Some((provider, Override::Refused(fields, error))) if *provider == view.name => {
                card.requests_per_second = fields.get("requests_per_second").to_owned();
                card.daily_quota = fields.get("daily_quota").to_owned();
                card.error = Some(error.clone());
            }
            Some((provider, Override::Tested(result))) if *provider == view.name => {
                card.test = render_html(result)?;
            }
            _ => {}
        }
        providers.push(card);
    }
    let (language, language_error) = match changed {
        Some((_, Override::Language(typed, error))) => (typed, Some(error)),
        _ => (list.language, None),
    };
    let page =
        ProvidersPage { ui: ui.at("settings"), section: "providers", providers, language, language_error, saved };
    Ok(render_with(status, &page))
}

fn provider(name: &str) -> Result<Provider, UiError> {
    name.parse::<Provider>().map_err(|err| UiError::NotFound(err.to_string()))
}

/// The language form.
#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    language: String,
}

/// `POST /settings/providers-language`: an empty field returns to the configured language.
pub async fn save_language(
    State(state): State<AppState>,
    ui: Ui,
    Form(form): Form<LanguageForm>,
) -> Result<Response, UiError> {
    let input = crate::enrich::stored::LanguageInput { language: Some(form.language.clone()) };
    match crate::enrich::stored::save_language(&state.db, &input).await {
        Ok(()) => {
            state.enrich.reload().await.map_err(AppError::from)?;
            Ok(see_other(&format!("{PAGE}?saved=language")))
        }
        Err(crate::catalogue::CatalogueError::Invalid(message)) => {
            let typed: String = form.language.chars().take(40).collect();
            let changed = Some((Provider::Tmdb, Override::Language(typed, message)));
            render_page(&state, ui, None, changed, StatusCode::BAD_REQUEST).await
        }
        Err(err) => Err(err.into()),
    }
}

/// `GET /settings/providers`
pub async fn page(State(state): State<AppState>, ui: Ui, Query(query): Query<SavedQuery>) -> Result<Response, UiError> {
    let saved = match query.saved.as_deref() {
        Some("language") => Some("Language"),
        other => other.and_then(|name| name.parse::<Provider>().ok()).map(Provider::display_name),
    };
    render_page(&state, ui, saved, None, StatusCode::OK).await
}

/// A whole number typed into a form, or a message naming the field.
fn number(name: &str, text: &str) -> Result<u32, String> {
    text.trim().parse::<u32>().map_err(|_| format!("{name} must be a whole number, not {:?}", text.trim()))
}

/// The API input of a provider's form: a typed key replaces the stored one, the "remove" box
/// clears it, an empty key field keeps it; an empty rate keeps the one in force, an empty
/// quota means none.
fn input(fields: &Fields) -> Result<ProviderInput, String> {
    let typed = fields.get("api_key").trim();
    let api_key = if !typed.is_empty() {
        SecretInput::Set(typed.to_owned())
    } else if fields.ticked("clear_api_key") {
        SecretInput::Clear
    } else {
        SecretInput::Keep
    };
    let rate = fields.get("requests_per_second").trim();
    let quota = fields.get("daily_quota").trim();
    Ok(ProviderInput {
        api_key,
        requests_per_second: if rate.is_empty() { None } else { Some(number("requests_per_second", rate)?) },
        daily_quota: Some(if quota.is_empty() { 0 } else { number("daily_quota", quota)? }),
    })
}

/// `POST /settings/providers/{name}`: saves one provider through `PUT /api/v1/providers/{name}`.
pub async fn save(
    State(state): State<AppState>,
    ui: Ui,
    Path(name): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let provider = provider(&name)?;
    let fields = Fields(fields);
    let saved = match input(&fields) {
        Ok(input) => {
            match crate::routes::providers::update(State(state.clone()), ApiPath(name), ApiJson(input)).await {
                Ok(_) => Ok(()),
                Err(AppError::BadRequest(message)) => Err(message),
                Err(err) => return Err(err.into()),
            }
        }
        Err(reason) => Err(reason),
    };
    match saved {
        Ok(()) => Ok(see_other(&format!("{PAGE}?saved={}#provider-{}", provider.as_str(), provider.as_str()))),
        Err(message) => {
            let changed = Some((provider, Override::Refused(fields, message)));
            render_page(&state, ui, None, changed, StatusCode::BAD_REQUEST).await
        }
    }
}

/// `POST /settings/providers/{name}/test`: one cheap call with the saved key, through
/// `POST /api/v1/providers/{name}/test`. htmx gets the result alone; a plain form gets the page.
pub async fn test(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, UiError> {
    let provider = provider(&name)?;
    let Json(outcome) = crate::routes::providers::test(State(state.clone()), ApiPath(name)).await?;
    let result = TestResult { slot: test_slot(provider), ok: Some(outcome.ok), message: outcome.message };
    if is_htmx(&headers) {
        return Ok(render(&result));
    }
    render_page(&state, ui, None, Some((provider, Override::Tested(result))), StatusCode::OK).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields(pairs.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect())
    }

    #[test]
    fn form_fields_become_the_api_input() {
        let kept = input(&fields(&[("api_key", ""), ("requests_per_second", ""), ("daily_quota", "")])).expect("ok");
        assert_eq!(kept.api_key, SecretInput::Keep);
        assert_eq!((kept.requests_per_second, kept.daily_quota), (None, Some(0)));
        let set =
            input(&fields(&[("api_key", " abc "), ("clear_api_key", "on"), ("requests_per_second", "4")])).expect("ok");
        assert_eq!(set.api_key, SecretInput::Set("abc".into()));
        assert_eq!(set.requests_per_second, Some(4));
        let cleared = input(&fields(&[("clear_api_key", "on"), ("daily_quota", "1000")])).expect("ok");
        assert_eq!(cleared.api_key, SecretInput::Clear);
        assert_eq!(cleared.daily_quota, Some(1000));
        let refused = input(&fields(&[("requests_per_second", "fast")])).expect_err("refused");
        assert!(refused.contains("requests_per_second"), "{refused}");
        assert!(input(&fields(&[("daily_quota", "-1")])).is_err());
    }
}
