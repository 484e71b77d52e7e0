//! User-notification services (Discord, Pushover, email): whether each is enabled, which events
//! it wants, and its settings. Secrets are write-only: the API shows them as `"set"` or `null`,
//! and a PUT that omits a secret (or sends `"set"` back) keeps the stored one.

use crate::catalogue::{CatalogueError, Result, now_ms};
use crate::db::{Db, JsonText};
use crate::secret::SecretInput;
use metarr_notify::{DiscordSettings, EmailSettings, EmailTls, EventKind, PushoverSettings};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A notification service Metarr can send to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Service {
    Discord,
    Pushover,
    Email,
}

impl Service {
    /// Every service, in the order the API lists them.
    pub const ALL: [Service; 3] = [Service::Discord, Service::Pushover, Service::Email];

    /// The stable name (`discord`, `pushover`, `email`), also the circuit breaker's service.
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Discord => "discord",
            Service::Pushover => "pushover",
            Service::Email => "email",
        }
    }

    /// Parses a name from a URL.
    pub fn parse(name: &str) -> Result<Service> {
        Service::ALL.into_iter().find(|service| service.as_str() == name).ok_or_else(|| {
            CatalogueError::NotFound(format!("no notification service {name:?} (discord, pushover or email)"))
        })
    }
}

/// Stored settings of any service; fields that do not apply stay `None`.
/// `Debug` is written by hand so that the secrets never reach a log line.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
struct Stored {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    webhook_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    app_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    priority: Option<i8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tls: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    to: Vec<String>,
}

impl Stored {
    /// Checks every text against the shared limits (`crate::limits`), as the settings form does.
    fn check_limits(&self, service: Service) -> Result<()> {
        use crate::limits::{NAME, SECRET};
        let texts = [
            ("webhook_url", &self.webhook_url, SECRET),
            ("app_token", &self.app_token, SECRET),
            ("user_key", &self.user_key, SECRET),
            ("api_url", &self.api_url, SECRET),
            ("host", &self.host, NAME),
            ("username", &self.username, NAME),
            ("password", &self.password, SECRET),
            ("from", &self.from, NAME),
        ];
        let to = self.to.iter().map(|address| ("to", address, NAME));
        let given =
            texts.into_iter().filter_map(|(field, value, rule)| value.as_ref().map(|value| (field, value, rule)));
        for (field, value, rule) in given.chain(to) {
            rule.check(field, value)
                .map_err(|err| CatalogueError::Invalid(format!("{} settings: {err}", service.as_str())))?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |value: &Option<String>| value.as_ref().map(|_| "[REDACTED]");
        f.debug_struct("Stored")
            .field("webhook_url", &redacted(&self.webhook_url))
            .field("app_token", &redacted(&self.app_token))
            .field("user_key", &redacted(&self.user_key))
            .field("priority", &self.priority)
            .field("api_url", &self.api_url)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &redacted(&self.password))
            .field("from", &self.from)
            .field("to", &self.to)
            .finish()
    }
}

/// One service's configuration as stored (secrets included: never serialise this to a client).
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub service: Service,
    pub enabled: bool,
    pub events: Vec<EventKind>,
    stored: Stored,
}

/// A service as the API shows it (docs/contracts.md, "Notification service"), secrets as
/// `"set"` or `null`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ServiceView {
    #[schema(value_type = Service)]
    pub service: &'static str,
    /// Whether Metarr sends to it.
    pub enabled: bool,
    /// The events it is sent.
    #[schema(value_type = Vec<EventKind>)]
    pub events: Vec<&'static str>,
    /// The service's own settings, by service; secrets masked.
    pub settings: SettingsView,
}

/// The `settings` of a service as the API shows them: one shape per service.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum SettingsView {
    Discord(DiscordView),
    Pushover(PushoverView),
    Email(EmailView),
}

/// Discord's settings as shown.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DiscordView {
    /// Masked: `"set"` when a webhook URL is stored, `null` otherwise.
    #[schema(required = true)]
    pub webhook_url: Option<String>,
}

/// Pushover's settings as shown.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PushoverView {
    /// Masked: `"set"` when an application token is stored, `null` otherwise.
    #[schema(required = true)]
    pub app_token: Option<String>,
    /// Masked: `"set"` when a user key is stored, `null` otherwise.
    #[schema(required = true)]
    pub user_key: Option<String>,
    /// The message priority, -2 to 1; 0 when unset.
    pub priority: i8,
    /// Pushover's API address.
    pub api_url: String,
}

/// Email's settings as shown.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EmailView {
    /// The SMTP server.
    #[schema(required = true)]
    pub host: Option<String>,
    /// 587 when unset.
    pub port: u16,
    /// `none`, `starttls` (when unset) or `tls`.
    #[schema(value_type = metarr_notify::EmailTls)]
    pub tls: String,
    #[schema(required = true)]
    pub username: Option<String>,
    /// Masked: `"set"` when a password is stored, `null` otherwise.
    #[schema(required = true)]
    pub password: Option<String>,
    /// The sender's address.
    #[schema(required = true)]
    pub from: Option<String>,
    /// The recipients.
    pub to: Vec<String>,
}

/// A secret as shown: `"set"` when one is stored, never its value.
fn secret(value: &Option<String>) -> Option<String> {
    value.as_deref().is_some_and(|v| !v.is_empty()).then(|| "set".to_owned())
}

impl ServiceConfig {
    fn unconfigured(service: Service) -> ServiceConfig {
        ServiceConfig { service, enabled: false, events: Vec::new(), stored: Stored::default() }
    }

    /// The view for clients: never the secrets themselves.
    pub fn view(&self) -> ServiceView {
        let s = &self.stored;
        let settings = match self.service {
            Service::Discord => SettingsView::Discord(DiscordView { webhook_url: secret(&s.webhook_url) }),
            Service::Pushover => SettingsView::Pushover(PushoverView {
                app_token: secret(&s.app_token),
                user_key: secret(&s.user_key),
                priority: s.priority.unwrap_or(0),
                api_url: s.api_url.clone().unwrap_or_else(|| metarr_notify::PUSHOVER_API_URL.to_owned()),
            }),
            Service::Email => SettingsView::Email(EmailView {
                host: s.host.clone(),
                port: s.port.unwrap_or(587),
                tls: s.tls.clone().unwrap_or_else(|| "starttls".to_owned()),
                username: s.username.clone(),
                password: secret(&s.password),
                from: s.from.clone(),
                to: s.to.clone(),
            }),
        };
        ServiceView {
            service: self.service.as_str(),
            enabled: self.enabled,
            events: self.events.iter().map(|event| event.as_str()).collect(),
            settings,
        }
    }

    /// True when the service is enabled and wants this event.
    pub fn wants(&self, event: EventKind) -> bool {
        self.enabled && self.events.contains(&event)
    }

    /// Discord settings, when complete.
    pub fn discord(&self) -> Result<DiscordSettings> {
        let webhook_url = self.stored.webhook_url.clone().ok_or_else(|| missing("discord", "webhook_url"))?;
        Ok(DiscordSettings { webhook_url })
    }

    /// Pushover settings, when complete.
    pub fn pushover(&self) -> Result<PushoverSettings> {
        let s = &self.stored;
        Ok(PushoverSettings {
            app_token: s.app_token.clone().ok_or_else(|| missing("pushover", "app_token"))?,
            user_key: s.user_key.clone().ok_or_else(|| missing("pushover", "user_key"))?,
            priority: s.priority.unwrap_or(0),
            api_url: s.api_url.clone().unwrap_or_else(|| metarr_notify::PUSHOVER_API_URL.to_owned()),
        })
    }

    /// Email settings, when complete.
    pub fn email(&self) -> Result<EmailSettings> {
        let s = &self.stored;
        let tls = match s.tls.as_deref().unwrap_or("starttls") {
            "none" => EmailTls::None,
            "tls" => EmailTls::Tls,
            _ => EmailTls::StartTls,
        };
        if s.to.is_empty() {
            return Err(missing("email", "to"));
        }
        Ok(EmailSettings {
            host: s.host.clone().ok_or_else(|| missing("email", "host"))?,
            port: s.port.unwrap_or(587),
            tls,
            username: s.username.clone(),
            password: s.password.clone(),
            from: s.from.clone().ok_or_else(|| missing("email", "from"))?,
            to: s.to.clone(),
        })
    }

    /// Checks that the settings are complete enough to send.
    pub fn check_complete(&self) -> Result<()> {
        match self.service {
            Service::Discord => self.discord().map(drop),
            Service::Pushover => self.pushover().map(drop),
            Service::Email => self.email().map(drop),
        }
    }
}

fn missing(service: &str, field: &str) -> CatalogueError {
    CatalogueError::Invalid(format!("{service} is not configured: settings.{field} is required"))
}

/// A service's whole configuration, as sent to replace it.
// No `Debug`: `settings` may hold secrets.
#[derive(Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    /// Whether Metarr sends to it; an enabled service must have complete settings.
    pub enabled: bool,
    /// The events it is sent (repeats are ignored).
    #[serde(default)]
    #[schema(value_type = Vec<EventKind>)]
    pub events: Vec<String>,
    /// The service's own settings, the shape of the service in the path; absent or `null` is
    /// `{}`. Every field replaces the stored one, but secrets absent or `"set"` are kept.
    #[serde(default)]
    #[schema(value_type = Option<SettingsInput>)]
    pub settings: Value,
}

/// The `settings` of a service as sent: the shape of the service in the path. Any of the three
/// (every field of each is optional, so `{}` fits all of them), hence `anyOf`.
pub struct SettingsInput;

impl utoipa::PartialSchema for SettingsInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::ToSchema;
        use utoipa::openapi::Ref;
        utoipa::openapi::schema::AnyOfBuilder::new()
            .item(Ref::from_schema_name(DiscordInput::name()))
            .item(Ref::from_schema_name(PushoverInput::name()))
            .item(Ref::from_schema_name(EmailInput::name()))
            .description(Some("The settings of the service in the path: Discord's, Pushover's or Email's."))
            .into()
    }
}

impl utoipa::ToSchema for SettingsInput {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        use utoipa::PartialSchema;
        schemas.push((DiscordInput::name().into(), DiscordInput::schema()));
        DiscordInput::schemas(schemas);
        schemas.push((PushoverInput::name().into(), PushoverInput::schema()));
        PushoverInput::schemas(schemas);
        schemas.push((EmailInput::name().into(), EmailInput::schema()));
        EmailInput::schemas(schemas);
    }
}

/// Discord's settings as sent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscordInput {
    /// The channel's webhook URL (http or https), write-only.
    #[serde(default)]
    webhook_url: SecretInput,
}

/// Pushover's settings as sent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushoverInput {
    /// The application's token, write-only.
    #[serde(default)]
    app_token: SecretInput,
    /// The user's (or group's) key, write-only.
    #[serde(default)]
    user_key: SecretInput,
    /// -2 to 1; 0 when absent.
    #[serde(default)]
    #[schema(minimum = -2, maximum = 1)]
    priority: Option<i8>,
    /// Pushover's API address (http or https); its public one when absent.
    #[serde(default)]
    api_url: Option<String>,
}

/// Email's settings as sent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailInput {
    /// The SMTP server.
    host: Option<String>,
    /// 587 when absent.
    port: Option<u16>,
    /// `none`, `starttls` (when absent) or `tls`.
    #[schema(value_type = Option<metarr_notify::EmailTls>)]
    tls: Option<String>,
    username: Option<String>,
    /// The SMTP password, write-only.
    #[serde(default)]
    password: SecretInput,
    /// The sender's address.
    from: Option<String>,
    /// The recipients.
    #[serde(default)]
    to: Vec<String>,
}

fn settings_of<T: serde::de::DeserializeOwned>(service: Service, value: Value) -> Result<T> {
    let value = if value.is_null() { json!({}) } else { value };
    serde_json::from_value(value)
        .map_err(|err| CatalogueError::Invalid(format!("{} settings: {err}", service.as_str())))
}

fn is_http_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// A `notification_services` row; `settings` stays text, read leniently.
#[derive(sqlx::FromRow)]
struct ServiceRow {
    service: String,
    enabled: bool,
    events: JsonText<Vec<String>>,
    settings: String,
}

/// Every service, configured or not.
pub async fn list(db: &Db) -> Result<Vec<ServiceConfig>> {
    let rows =
        db.fetch_all::<ServiceRow>("SELECT service, enabled, events, settings FROM notification_services", &[]).await?;
    let mut configs: Vec<ServiceConfig> = Service::ALL.into_iter().map(ServiceConfig::unconfigured).collect();
    for row in rows {
        let Ok(service) = Service::parse(&row.service) else {
            continue;
        };
        // A name a later version dropped is skipped rather than failing the whole list.
        let events = row.events.0.iter().filter_map(|name| EventKind::parse(name)).collect();
        let stored: Stored = serde_json::from_str(&row.settings).unwrap_or_default();
        let config = ServiceConfig { service, enabled: row.enabled, events, stored };
        if let Some(slot) = configs.iter_mut().find(|c| c.service == service) {
            *slot = config;
        }
    }
    Ok(configs)
}

/// One service's configuration (unconfigured services read as disabled and empty).
pub async fn get(db: &Db, service: Service) -> Result<ServiceConfig> {
    Ok(list(db).await?.into_iter().find(|c| c.service == service).unwrap_or(ServiceConfig::unconfigured(service)))
}

/// Replaces a service's configuration, keeping secrets the input does not replace.
pub async fn put(db: &Db, service: Service, input: ServiceInput) -> Result<ServiceConfig> {
    let mut events = Vec::new();
    for name in &input.events {
        let event = EventKind::parse(name).ok_or_else(|| {
            let known: Vec<&str> = EventKind::ALL.iter().map(|e| e.as_str()).collect();
            CatalogueError::Invalid(format!("unknown event {name:?} (known: {})", known.join(", ")))
        })?;
        if !events.contains(&event) {
            events.push(event);
        }
    }
    let current = get(db, service).await?;
    let mut stored = current.stored.clone();
    match service {
        Service::Discord => {
            let discord: DiscordInput = settings_of(service, input.settings)?;
            discord.webhook_url.apply(&mut stored.webhook_url);
            if let Some(url) = &stored.webhook_url
                && !is_http_url(url)
            {
                return Err(CatalogueError::Invalid("discord settings: webhook_url must be an http(s) URL".into()));
            }
        }
        Service::Pushover => {
            let pushover: PushoverInput = settings_of(service, input.settings)?;
            pushover.app_token.apply(&mut stored.app_token);
            pushover.user_key.apply(&mut stored.user_key);
            let priority = pushover.priority.unwrap_or(0);
            if !(-2..=1).contains(&priority) {
                // Priority 2 (emergency) needs retry/expire parameters Metarr does not send.
                return Err(CatalogueError::Invalid(format!("pushover settings: priority {priority} is outside -2…1")));
            }
            stored.priority = Some(priority);
            if let Some(url) = &pushover.api_url
                && !is_http_url(url)
            {
                return Err(CatalogueError::Invalid("pushover settings: api_url must be an http(s) URL".into()));
            }
            stored.api_url = pushover.api_url;
        }
        Service::Email => {
            let email: EmailInput = settings_of(service, input.settings)?;
            if let Some(tls) = &email.tls
                && !matches!(tls.as_str(), "none" | "starttls" | "tls")
            {
                return Err(CatalogueError::Invalid(format!(
                    "email settings: tls {tls:?} must be \"none\", \"starttls\" or \"tls\""
                )));
            }
            stored.host = email.host;
            stored.port = email.port;
            stored.tls = email.tls;
            stored.username = email.username;
            email.password.apply(&mut stored.password);
            stored.from = email.from;
            stored.to = email.to;
        }
    }
    stored.check_limits(service)?;
    let config = ServiceConfig { service, enabled: input.enabled, events, stored };
    if config.enabled {
        config.check_complete()?;
    }
    let names: Vec<&str> = config.events.iter().map(|e| e.as_str()).collect();
    let events_json = serde_json::to_string(&names).expect("strings always serialise");
    let settings_json = serde_json::to_string(&config.stored).expect("settings always serialise");
    let now = now_ms();
    let mut tx = db.begin().await?;
    let updated = tx
        .execute(
            "UPDATE notification_services SET enabled = $1, events = $2, settings = $3, updated_at = $4 \
             WHERE service = $5",
            &[
                config.enabled.into(),
                events_json.clone().into(),
                settings_json.clone().into(),
                now.into(),
                service.as_str().into(),
            ],
        )
        .await?;
    if updated == 0 {
        tx.execute(
            "INSERT INTO notification_services (service, enabled, events, settings, updated_at) \
             VALUES ($1, $2, $3, $4, $5)",
            &[service.as_str().into(), config.enabled.into(), events_json.into(), settings_json.into(), now.into()],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(config)
}
