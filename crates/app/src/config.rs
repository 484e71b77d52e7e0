//! Settings: defaults in code, then an optional `metarr.toml`, then `METARR_*` environment variables.
//!
//! This is the only module that reads configuration. Raw values are validated once here
//! (ripgrep style) so the rest of the app receives typed settings, and every error names
//! the key the user has to fix: `METARR_BIND: invalid socket address "abc"`.

use figment::providers::Format;
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use metarr_providers::ProvidersSettings;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::telemetry::{LogFormat, redact_url};

/// Prefix of every environment variable Metarr reads.
const ENV_PREFIX: &str = "METARR_";
/// Environment variables with the prefix that are not settings keys.
const ENV_NOT_SETTINGS: &[&str] = &["CONFIG"];
/// The file read when neither `--config` nor `METARR_CONFIG` names one.
pub const DEFAULT_CONFIG_FILE: &str = "metarr.toml";
/// Name of the environment provider in figment metadata; used to recognise its errors.
const ENV_PROVIDER_NAME: &str = "environment variable";

/// The validated configuration of one Metarr process.
#[derive(Clone)]
pub struct Settings {
    /// Address the HTTP server listens on. Port 0 picks a free port.
    pub bind: SocketAddr,
    /// Directory for the SQLite database, the API key file and the cache.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: DatabaseUrl,
    /// A fixed API key; when absent one is generated and kept in the data directory.
    pub api_key: Option<SecretString>,
    /// Who must sign in to the web UI.
    pub auth_required: AuthRequired,
    /// Worker pool settings.
    pub worker: WorkerSettings,
    /// Finished jobs older than this many days are pruned by the `cleanup` schedule.
    pub job_retention_days: u32,
    /// The webhook log keeps requests for this many days (the `cleanup` schedule prunes older ones).
    pub webhook_retention_days: u32,
    /// Finished scan records older than this many days are pruned, except each library's latest.
    pub scan_retention_days: u32,
    /// Recycle-bin entries older than this many days are forgotten; the cache's garbage
    /// collection then deletes bytes nothing else refers to.
    pub recycle_retention_days: u32,
    /// HTTP Basic user accepted by the *arr webhooks (besides the API key).
    pub webhook_username: Option<String>,
    /// HTTP Basic password accepted by the *arr webhooks.
    pub webhook_password: Option<SecretString>,
    /// How the HTTP server treats its connections.
    pub http: HttpSettings,
    /// TMDB, Fanart.tv and OMDb: keys, addresses, limits and the metadata language. Read and
    /// checked here; enrichment, which will use them, is being built.
    pub providers: ProvidersSettings,
    /// Artwork selection: how many images each slot holds, how many downloads run at once.
    pub artwork: ArtworkSettings,
    /// Who may read `/metrics`.
    pub metrics: MetricsSettings,
    /// How log lines are written: human text (the default) or JSON lines.
    pub log_format: LogFormat,
}

/// The Prometheus page (`metrics.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// `api_key` (the default): `/metrics` wants the API key like the API; `loopback`: a
    /// scraper on this machine (or in this container) needs no key, any other still does.
    pub access: MetricsAccess,
}

/// Who may read `/metrics` without the API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricsAccess {
    /// Nobody: the key is always needed.
    #[default]
    ApiKey,
    /// Requests from a loopback address.
    Loopback,
}

/// Artwork selection (`artwork.*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArtworkSettings {
    /// Images per slot (`artwork.limits.fanart = 5`); a slot left out keeps its default
    /// (poster 1, fanart 3, every other slot 1); 0 turns a slot off. Libraries override them.
    pub limits: metarr_artwork::SlotLimits,
    /// Downloads at once per provider, inside its rate limit.
    pub download_concurrency: usize,
}

impl Default for ArtworkSettings {
    fn default() -> Self {
        ArtworkSettings { limits: metarr_artwork::SlotLimits::default(), download_concurrency: 4 }
    }
}

/// Limits of the HTTP server, which protect it from clients that hold connections open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// A connection that has not sent a whole request head within this time is closed; this
    /// also closes keep-alive connections idle for this long.
    pub header_timeout: Duration,
    /// Connections open at once; further ones are answered 503 and closed at once.
    pub max_connections: usize,
}

/// How the worker pool runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerSettings {
    /// Jobs run at once by this process.
    pub concurrency: usize,
    /// How long running jobs may take to finish after a shutdown request.
    pub shutdown_grace: Duration,
    /// How long a claimed job stays leased without a heartbeat.
    pub lease: Duration,
}

/// Who must sign in. The API always requires the key; this governs the web UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthRequired {
    /// Loopback clients use the web UI without signing in.
    ExceptLocal,
    /// Everyone signs in.
    Always,
}

/// A database URL whose secrets never reach logs: `Debug` and `Display` hide its password and
/// every query parameter value not known to be harmless (`telemetry::redact_url`).
#[derive(Clone)]
pub struct DatabaseUrl(SecretString);

/// Which database a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseUrl {
    /// Validates the scheme; the rest is checked when connecting.
    pub fn parse(url: &str) -> Result<DatabaseUrl, String> {
        if url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseUrl(SecretString::from(url.to_owned())))
        } else {
            Err(format!("unsupported database URL {:?} (expected sqlite://… or postgres://…)", redact_url(url)))
        }
    }

    /// The SQLite file `path`, created when missing.
    pub fn sqlite_file(path: &Path) -> DatabaseUrl {
        DatabaseUrl(SecretString::from(format!("sqlite://{}?mode=rwc", path.display())))
    }

    /// The URL with its password, for connecting only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Its secret parts (password, parameter values), for `telemetry::register_secrets`.
    pub fn secrets(&self) -> Vec<String> {
        crate::telemetry::url_secrets(self.expose())
    }

    /// The backend the URL selects.
    pub fn kind(&self) -> DatabaseKind {
        if self.expose().starts_with("sqlite:") { DatabaseKind::Sqlite } else { DatabaseKind::Postgres }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", redact_url(self.expose()))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url(self.expose()))
    }
}

impl Settings {
    /// Every secret these settings hold, for `telemetry::register_secrets`: the log must not show
    /// them even where a library's message embeds them.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = self.database_url.secrets();
        secrets.extend(self.api_key.iter().map(|key| key.expose_secret().to_owned()));
        secrets.extend(self.webhook_password.iter().map(|password| password.expose_secret().to_owned()));
        let providers = &self.providers;
        secrets.extend(
            [&providers.tmdb.api_key, &providers.fanart.api_key, &providers.fanart.client_key, &providers.omdb.api_key]
                .into_iter()
                .flatten()
                .map(|key| key.expose_secret().to_owned()),
        );
        secrets
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"))
            .field("auth_required", &self.auth_required)
            .field("worker", &self.worker)
            .field("job_retention_days", &self.job_retention_days)
            .field("webhook_retention_days", &self.webhook_retention_days)
            .field("scan_retention_days", &self.scan_retention_days)
            .field("recycle_retention_days", &self.recycle_retention_days)
            .field("webhook_username", &self.webhook_username)
            .field("webhook_password", &self.webhook_password.as_ref().map(|_| "[REDACTED]"))
            .field("http", &self.http)
            .field("providers", &self.providers)
            .field("artwork", &self.artwork)
            .field("metrics", &self.metrics)
            .field("log_format", &self.log_format)
            .finish()
    }
}

/// A configuration problem; the message names the key to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// One or more values were refused.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    /// The configuration file named explicitly does not exist.
    #[error("configuration file {} does not exist", .0.display())]
    MissingFile(PathBuf),
}

/// The shape of the sources before validation. Field names are the TOML keys; environment
/// variables are `METARR_` plus the key in capitals, with `__` between section and key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    bind: String,
    data_dir: PathBuf,
    database_url: Option<String>,
    api_key: Option<String>,
    auth_required: String,
    worker: RawWorker,
    job_retention_days: u32,
    webhook_retention_days: u32,
    scan_retention_days: u32,
    recycle_retention_days: u32,
    webhook_username: Option<String>,
    webhook_password: Option<String>,
    http: RawHttp,
    /// Its own type checks every key and value, with defaults for what is left out.
    #[serde(default)]
    providers: ProvidersSettings,
    #[serde(default)]
    artwork: ArtworkSettings,
    #[serde(default)]
    metrics: MetricsSettings,
    log_format: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    header_timeout_secs: u64,
    max_connections: usize,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorker {
    concurrency: usize,
    shutdown_grace_secs: u64,
    lease_secs: u64,
}

/// The defaults, as a figment provider so that errors can tell a default from a user's value.
fn defaults() -> Dict {
    let mut dict = Dict::new();
    dict.insert("bind".into(), Value::from("127.0.0.1:3000"));
    dict.insert("data_dir".into(), Value::from("./data"));
    dict.insert("auth_required".into(), Value::from("except_local"));
    dict.insert("job_retention_days".into(), Value::from(30u32));
    dict.insert("webhook_retention_days".into(), Value::from(30u32));
    dict.insert("scan_retention_days".into(), Value::from(30u32));
    dict.insert("recycle_retention_days".into(), Value::from(30u32));
    dict.insert("log_format".into(), Value::from(LogFormat::default().as_str()));
    let worker = RawWorker { concurrency: 100, shutdown_grace_secs: 30, lease_secs: 30 };
    dict.insert("worker".into(), Value::serialize(worker).expect("the worker defaults serialise"));
    let http = RawHttp { header_timeout_secs: 10, max_connections: 1024 };
    dict.insert("http".into(), Value::serialize(http).expect("the HTTP defaults serialise"));
    dict
}

struct Defaults;

impl Provider for Defaults {
    fn metadata(&self) -> Metadata {
        Metadata::named("defaults")
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(defaults()))
    }
}

/// `METARR_*` variables from a given list (the process environment in production, a fixed
/// list in tests: edition 2024 makes `set_var` unsafe, and tests must not share state).
struct EnvVars {
    vars: Vec<(String, String)>,
}

impl Provider for EnvVars {
    fn metadata(&self) -> Metadata {
        Metadata::named(ENV_PROVIDER_NAME).interpolater(|_: &Profile, keys: &[&str]| env_name(keys))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        for (name, value) in &self.vars {
            let Some(key) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            if key.is_empty() || ENV_NOT_SETTINGS.contains(&key) {
                continue;
            }
            // An empty variable means "not set", as `METARR_API_KEY=` in a compose file intends.
            if value.is_empty() {
                continue;
            }
            let path: Vec<String> = key.split("__").map(str::to_ascii_lowercase).collect();
            insert_nested(&mut dict, &path, Value::from(value.clone()));
        }
        Ok(Profile::Default.collect(dict))
    }
}

fn insert_nested(dict: &mut Dict, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            dict.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = dict.entry(first.clone()).or_insert_with(|| Value::from(Dict::new()));
            if let Value::Dict(_, inner) = entry {
                insert_nested(inner, rest, value);
            } else {
                let mut inner = Dict::new();
                insert_nested(&mut inner, rest, value);
                *entry = Value::from(inner);
            }
        }
    }
}

/// `["worker", "concurrency"]` → `METARR_WORKER__CONCURRENCY`.
fn env_name<K: AsRef<str>>(keys: &[K]) -> String {
    let keys: Vec<String> = keys.iter().map(|key| key.as_ref().to_ascii_uppercase()).collect();
    format!("{ENV_PREFIX}{}", keys.join("__"))
}

/// Where the user sets a key, for error messages: the variable, or `file: key`.
fn key_name(metadata: Option<&Metadata>, keys: &[String]) -> String {
    match metadata {
        Some(metadata) if metadata.name == ENV_PROVIDER_NAME => env_name(keys),
        Some(metadata) => match metadata.source.as_ref().and_then(|source| source.file_path()) {
            Some(path) => format!("{}: {}", path.display(), keys.join(".")),
            None => keys.join("."),
        },
        None => keys.join("."),
    }
}

impl Settings {
    /// Loads settings from the process environment and the configuration file it names.
    ///
    /// `config_path` is `--config` / `METARR_CONFIG`; without it `./metarr.toml` is read if present.
    pub fn load(config_path: Option<&Path>) -> Result<Settings, ConfigError> {
        Settings::load_from(config_path, std::env::vars().collect())
    }

    /// Loads settings from a configuration file and a given list of environment variables.
    pub fn load_from(config_path: Option<&Path>, env: Vec<(String, String)>) -> Result<Settings, ConfigError> {
        let file = match config_path {
            Some(path) if !path.exists() => return Err(ConfigError::MissingFile(path.to_owned())),
            Some(path) => Some(path.to_owned()),
            None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|path| path.exists()),
        };
        let mut figment = Figment::from(Defaults);
        if let Some(file) = &file {
            figment = figment.merge(figment::providers::Toml::file_exact(file));
        }
        figment = figment.merge(EnvVars { vars: env });
        Settings::from_figment(&figment)
    }

    fn from_figment(figment: &Figment) -> Result<Settings, ConfigError> {
        // Lossy extraction lets `METARR_WORKER__CONCURRENCY=8` (a string) fill a number.
        let raw: RawSettings = figment.extract_lossy().map_err(|err| {
            ConfigError::Invalid(
                err.into_iter()
                    .map(|err| {
                        let mut keys = err.path.clone();
                        // Figment's path ends at the unknown field in nested sections but not at the top.
                        if let figment::error::Kind::UnknownField(field, _) = &err.kind
                            && keys.last() != Some(field)
                        {
                            keys.push(field.clone());
                        }
                        // Errors without a key (a TOML syntax error) carry the location themselves.
                        if keys.is_empty() {
                            return err.to_string();
                        }
                        format!("{}: {}", key_name(err.metadata.as_ref(), &keys), err.kind)
                    })
                    .collect(),
            )
        })?;
        let name = |key: &str| {
            let keys: Vec<String> = key.split('.').map(str::to_owned).collect();
            key_name(figment.find_metadata(key), &keys)
        };
        let mut problems = Vec::new();

        let bind = raw.bind.parse::<SocketAddr>().map_err(|_| {
            problems.push(format!("{}: invalid socket address {:?} (expected IP:PORT)", name("bind"), raw.bind));
        });
        let auth_required = match raw.auth_required.as_str() {
            "except_local" => Ok(AuthRequired::ExceptLocal),
            "always" => Ok(AuthRequired::Always),
            other => {
                problems.push(format!(
                    "{}: invalid value {other:?} (expected \"except_local\" or \"always\")",
                    name("auth_required")
                ));
                Err(())
            }
        };
        let database_url = match &raw.database_url {
            Some(url) => DatabaseUrl::parse(url).map_err(|reason| {
                problems.push(format!("{}: {reason}", name("database_url")));
            }),
            None => Ok(DatabaseUrl::sqlite_file(&raw.data_dir.join("metarr.db"))),
        };
        let api_key = match raw.api_key {
            Some(key) if key.trim().len() < 16 => {
                problems.push(format!("{}: an API key needs at least 16 characters", name("api_key")));
                None
            }
            Some(key) => Some(SecretString::from(key.trim().to_owned())),
            None => None,
        };
        if raw.data_dir.as_os_str().is_empty() {
            problems.push(format!("{}: must not be empty", name("data_dir")));
        }
        if raw.worker.concurrency == 0 || raw.worker.concurrency > 10_000 {
            problems.push(format!("{}: {} is outside 1–10000", name("worker.concurrency"), raw.worker.concurrency));
        }
        if !(2..=3600).contains(&raw.worker.lease_secs) {
            problems.push(format!(
                "{}: {} is outside 2–3600 seconds",
                name("worker.lease_secs"),
                raw.worker.lease_secs
            ));
        }
        if raw.worker.shutdown_grace_secs > 3600 {
            problems.push(format!(
                "{}: {} is more than 3600 seconds",
                name("worker.shutdown_grace_secs"),
                raw.worker.shutdown_grace_secs
            ));
        }
        // Basic auth needs both halves; one alone is a mistake worth refusing at start-up.
        let webhook_username = raw.webhook_username.filter(|user| !user.is_empty());
        let webhook_password = raw.webhook_password.filter(|password| !password.is_empty()).map(SecretString::from);
        if webhook_username.is_some() != webhook_password.is_some() {
            problems.push(format!(
                "{} and {} must be set together",
                name("webhook_username"),
                name("webhook_password")
            ));
        }
        if !(1..=300).contains(&raw.http.header_timeout_secs) {
            problems.push(format!(
                "{}: {} is outside 1–300 seconds",
                name("http.header_timeout_secs"),
                raw.http.header_timeout_secs
            ));
        }
        if !(1..=1_000_000).contains(&raw.http.max_connections) {
            problems.push(format!(
                "{}: {} is outside 1–1000000",
                name("http.max_connections"),
                raw.http.max_connections
            ));
        }
        if raw.job_retention_days == 0 {
            problems.push(format!("{}: must be at least 1 day", name("job_retention_days")));
        }
        for (key, days) in [
            ("webhook_retention_days", raw.webhook_retention_days),
            ("scan_retention_days", raw.scan_retention_days),
            ("recycle_retention_days", raw.recycle_retention_days),
        ] {
            if days == 0 {
                problems.push(format!("{}: must be at least 1 day", name(key)));
            }
        }

        if let Err(err) = raw.artwork.limits.validate() {
            problems.push(format!("{}: {err}", name("artwork.limits")));
        }
        if !(1..=32).contains(&raw.artwork.download_concurrency) {
            problems.push(format!(
                "{}: {} is outside 1–32",
                name("artwork.download_concurrency"),
                raw.artwork.download_concurrency
            ));
        }

        let log_format = LogFormat::parse(&raw.log_format).unwrap_or_else(|| {
            problems.push(format!(
                "{}: invalid value {:?} (expected \"text\" or \"json\")",
                name("log_format"),
                raw.log_format
            ));
            LogFormat::default()
        });

        match (bind, auth_required, database_url) {
            (Ok(bind), Ok(auth_required), Ok(database_url)) if problems.is_empty() => Ok(Settings {
                bind,
                data_dir: raw.data_dir,
                database_url,
                api_key,
                auth_required,
                worker: WorkerSettings {
                    concurrency: raw.worker.concurrency,
                    shutdown_grace: Duration::from_secs(raw.worker.shutdown_grace_secs),
                    lease: Duration::from_secs(raw.worker.lease_secs),
                },
                job_retention_days: raw.job_retention_days,
                webhook_retention_days: raw.webhook_retention_days,
                scan_retention_days: raw.scan_retention_days,
                recycle_retention_days: raw.recycle_retention_days,
                webhook_username,
                webhook_password,
                http: HttpSettings {
                    header_timeout: Duration::from_secs(raw.http.header_timeout_secs),
                    max_connections: raw.http.max_connections,
                },
                providers: raw.providers,
                artwork: raw.artwork,
                metrics: raw.metrics,
                log_format,
            }),
            _ => Err(ConfigError::Invalid(problems)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
        vars.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect()
    }

    fn load(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        // A path that cannot exist keeps a stray ./metarr.toml out of the tests.
        Settings::load_from(None, env(vars))
    }

    #[test]
    fn defaults_match_the_design() {
        let settings = load(&[]).expect("defaults are valid");
        assert_eq!(settings.bind, "127.0.0.1:3000".parse::<SocketAddr>().expect("valid address"));
        assert_eq!(settings.data_dir, PathBuf::from("./data"));
        assert_eq!(settings.database_url.expose(), "sqlite://./data/metarr.db?mode=rwc");
        assert_eq!(settings.auth_required, AuthRequired::ExceptLocal);
        assert_eq!(settings.worker.concurrency, 100);
        assert_eq!(settings.worker.shutdown_grace, Duration::from_secs(30));
        assert_eq!(settings.worker.lease, Duration::from_secs(30));
        assert_eq!(settings.job_retention_days, 30);
        assert!(settings.api_key.is_none());
        assert_eq!(settings.http.header_timeout, Duration::from_secs(10));
        assert_eq!(settings.http.max_connections, 1024);
        assert_eq!(settings.log_format, LogFormat::Text);
    }

    #[test]
    fn the_log_format_is_text_or_json() {
        let settings = load(&[("METARR_LOG_FORMAT", "json")]).expect("json is a format");
        assert_eq!(settings.log_format, LogFormat::Json);
        let err = load(&[("METARR_LOG_FORMAT", "xml")]).expect_err("no such format").to_string();
        assert_eq!(err, "METARR_LOG_FORMAT: invalid value \"xml\" (expected \"text\" or \"json\")");
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("metarr.toml");
        std::fs::write(&path, "log_format = \"json\"\n").expect("write config");
        let settings = Settings::load_from(Some(&path), vec![]).expect("valid configuration");
        assert_eq!(settings.log_format, LogFormat::Json);
    }

    #[test]
    fn providers_default_to_no_keys_and_the_documented_limits() {
        let providers = load(&[]).expect("defaults are valid").providers;
        assert_eq!(providers.language.as_str(), "en-US");
        assert!(
            providers.tmdb.api_key.is_none() && providers.fanart.api_key.is_none() && providers.omdb.api_key.is_none()
        );
        assert_eq!(providers.tmdb.base_url, "https://api.themoviedb.org/3");
        assert_eq!(providers.tmdb.image_base_url, "https://image.tmdb.org/t/p");
        assert_eq!(providers.fanart.base_url, "https://webservice.fanart.tv/v3");
        assert_eq!(providers.omdb.base_url, "https://www.omdbapi.com");
        assert_eq!(providers.omdb.daily_quota.map(|quota| quota.get()), Some(1000));
        assert_eq!(providers.tmdb.daily_quota, None);
    }

    #[test]
    fn providers_come_from_the_environment_and_their_keys_are_secrets() {
        let settings = load(&[
            ("METARR_PROVIDERS__LANGUAGE", "fr-CA"),
            ("METARR_PROVIDERS__TMDB__API_KEY", "tmdb-key-0123456789"),
            ("METARR_PROVIDERS__TMDB__BASE_URL", "http://127.0.0.1:9/3"),
            ("METARR_PROVIDERS__FANART__API_KEY", "fanart-key-0123456789"),
            ("METARR_PROVIDERS__FANART__REQUESTS_PER_SECOND", "2"),
            ("METARR_PROVIDERS__OMDB__API_KEY", "omdb-key-0123456789"),
            ("METARR_PROVIDERS__OMDB__DAILY_QUOTA", "100000"),
        ])
        .expect("valid providers");
        let providers = &settings.providers;
        assert_eq!(providers.language.as_str(), "fr-CA");
        assert_eq!(providers.tmdb.base_url, "http://127.0.0.1:9/3");
        assert_eq!(providers.fanart.requests_per_second.get(), 2);
        assert_eq!(providers.omdb.daily_quota.map(|quota| quota.get()), Some(100_000));
        let secrets = settings.secrets();
        let debug = format!("{settings:?}");
        for key in ["tmdb-key-0123456789", "fanart-key-0123456789", "omdb-key-0123456789"] {
            assert!(secrets.iter().any(|secret| secret == key), "{key} is scrubbed from the logs");
            assert!(!debug.contains(key), "{key} shows in {debug}");
        }
    }

    #[test]
    fn bad_provider_settings_name_their_variable() {
        for (name, value) in [
            ("METARR_PROVIDERS__TMDB__REQUESTS_PER_SECOND", "0"),
            ("METARR_PROVIDERS__OMDB__DAILY_QUOTA", "lots"),
            ("METARR_PROVIDERS__TMDB__APIKEY", "misspelt"),
            ("METARR_PROVIDERS__LANGUAGE", "not a language"),
            // An unknown key inside any section is named once (it was `…__CONCURENCY__CONCURENCY`).
            ("METARR_WORKER__CONCURENCY", "4"),
        ] {
            let err = load(&[(name, value)]).expect_err(name).to_string();
            assert!(err.starts_with(&format!("{name}: ")), "{name}: {err}");
        }
    }

    #[test]
    fn environment_overrides_defaults() {
        let settings = load(&[
            ("METARR_BIND", "0.0.0.0:8080"),
            ("METARR_DATA_DIR", "/srv/metarr"),
            ("METARR_AUTH_REQUIRED", "always"),
            ("METARR_WORKER__CONCURRENCY", "4"),
            ("METARR_JOB_RETENTION_DAYS", "7"),
            ("METARR_HTTP__HEADER_TIMEOUT_SECS", "3"),
            ("METARR_HTTP__MAX_CONNECTIONS", "50"),
            ("METARR_API_KEY", "0123456789abcdef0123"),
            ("METARR_CONFIG", "ignored.toml"),
            ("OTHER_BIND", "ignored"),
        ])
        .expect("valid environment");
        assert_eq!(settings.bind.port(), 8080);
        assert_eq!(settings.database_url.expose(), "sqlite:///srv/metarr/metarr.db?mode=rwc");
        assert_eq!(settings.auth_required, AuthRequired::Always);
        assert_eq!(settings.worker.concurrency, 4);
        assert_eq!(settings.job_retention_days, 7);
        assert_eq!(settings.http, HttpSettings { header_timeout: Duration::from_secs(3), max_connections: 50 });
        assert_eq!(
            settings.api_key.as_ref().map(|key| key.expose_secret().to_owned()).as_deref(),
            Some("0123456789abcdef0123")
        );
    }

    #[test]
    fn bad_values_name_their_environment_variable() {
        let err = load(&[("METARR_BIND", "abc")]).expect_err("abc is no address").to_string();
        assert_eq!(err, "METARR_BIND: invalid socket address \"abc\" (expected IP:PORT)");
        let err = load(&[("METARR_WORKER__CONCURRENCY", "many")]).expect_err("not a number").to_string();
        assert!(err.starts_with("METARR_WORKER__CONCURRENCY: "), "{err}");
        let err = load(&[("METARR_AUTH_REQUIRED", "never")]).expect_err("unknown mode").to_string();
        assert!(err.starts_with("METARR_AUTH_REQUIRED: "), "{err}");
        let err = load(&[("METARR_DATABASE_URL", "mysql://x")]).expect_err("unsupported").to_string();
        assert!(err.starts_with("METARR_DATABASE_URL: "), "{err}");
        let err = load(&[("METARR_HTTP__HEADER_TIMEOUT_SECS", "0")]).expect_err("no timeout").to_string();
        assert!(err.starts_with("METARR_HTTP__HEADER_TIMEOUT_SECS: 0 is outside"), "{err}");
        let err = load(&[("METARR_HTTP__MAX_CONNECTIONS", "0")]).expect_err("no connections").to_string();
        assert!(err.starts_with("METARR_HTTP__MAX_CONNECTIONS: 0 is outside"), "{err}");
        let err = load(&[("METARR_BINDD", "x")]).expect_err("typo").to_string();
        assert!(err.contains("METARR_BINDD"), "{err}");
    }

    #[test]
    fn bad_values_in_the_file_name_the_file_and_key() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("metarr.toml");
        std::fs::write(&path, "bind = \"nowhere\"\n[worker]\nconcurrency = 0\n").expect("write config");
        let err = Settings::load_from(Some(&path), vec![]).expect_err("two bad values").to_string();
        assert!(err.contains(&format!("{}: bind: invalid socket address", path.display())), "{err}");
        assert!(err.contains(&format!("{}: worker.concurrency: 0 is outside", path.display())), "{err}");
        let err = Settings::load_from(Some(&dir.path().join("absent.toml")), vec![]).expect_err("missing");
        assert!(matches!(err, ConfigError::MissingFile(_)));
    }

    #[test]
    fn environment_wins_over_the_file() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("metarr.toml");
        std::fs::write(&path, "bind = \"127.0.0.1:4000\"\njob_retention_days = 9\n").expect("write config");
        let settings =
            Settings::load_from(Some(&path), env(&[("METARR_BIND", "127.0.0.1:5000")])).expect("valid configuration");
        assert_eq!(settings.bind.port(), 5000);
        assert_eq!(settings.job_retention_days, 9);
    }

    #[test]
    fn retentions_default_to_30_days_are_read_from_the_environment_and_zero_is_refused() {
        let settings = load(&[]).expect("defaults are valid");
        assert_eq!((settings.webhook_retention_days, settings.scan_retention_days), (30, 30));
        let settings = load(&[("METARR_WEBHOOK_RETENTION_DAYS", "3"), ("METARR_SCAN_RETENTION_DAYS", "90")])
            .expect("valid retentions");
        assert_eq!((settings.webhook_retention_days, settings.scan_retention_days), (3, 90));
        let err = load(&[("METARR_WEBHOOK_RETENTION_DAYS", "0"), ("METARR_SCAN_RETENTION_DAYS", "0")])
            .expect_err("zero days")
            .to_string();
        assert!(err.contains("METARR_WEBHOOK_RETENTION_DAYS: must be at least 1 day"), "{err}");
        assert!(err.contains("METARR_SCAN_RETENTION_DAYS: must be at least 1 day"), "{err}");
    }

    #[test]
    fn example_config_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config.example.toml");
        let settings = Settings::load_from(Some(&path), vec![]).expect("config.example.toml is valid");
        assert_eq!(settings.bind.port(), 3000);
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let settings = load(&[
            ("METARR_DATABASE_URL", "postgres://metarr:hunter2hunter2@db:5432/metarr"),
            ("METARR_API_KEY", "supersecretapikey123"),
        ])
        .expect("valid environment");
        let debug = format!("{settings:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(!debug.contains("supersecretapikey123"), "{debug}");
        assert!(debug.contains("postgres://metarr:***@db:5432/metarr"), "{debug}");
        assert_eq!(redact_url("sqlite://data/metarr.db"), "sqlite://data/metarr.db");
        assert_eq!(redact_url("postgres://postgres@127.0.0.1/x"), "postgres://postgres@127.0.0.1/x");
        let settings = load(&[("METARR_DATABASE_URL", "postgres://m@db/x?password=querysecret1&sslmode=require")])
            .expect("valid environment");
        assert_eq!(settings.database_url.to_string(), "postgres://m@db/x?password=***&sslmode=require");
        assert_eq!(settings.secrets(), ["querysecret1"]);
    }
}
