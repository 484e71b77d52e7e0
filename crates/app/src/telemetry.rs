//! Logging: a `tracing` subscriber filtered by `RUST_LOG` (default `info`) writing where it is told,
//! in the human format or as JSON lines, and the one place that keeps secrets out of what it writes.
//!
//! The writer is a parameter so that tests can silence logs or capture them (zero-to-production).
//! Secrets are kept out in two layers (issue 11): URLs are shown through [`redact_url`], and every
//! line written, like the error `main` prints, passes through [`scrub`], which replaces each
//! registered secret (database password and URL parameters, API key, webhook password) even
//! when a library's error or log line embeds it where we do not format it ourselves.
//!
//! Issue 18 made logging manageable at run time, through the [`LogControl`] that [`init`] returns
//! (and keeps for [`LogControl::installed`], since the subscriber is global: one per process, one
//! per test binary): the filter sits in a `reload` layer, so Settings can change it without a
//! restart, and every line written is also kept, scrubbed, in a bounded [`LogRing`] that the API
//! and the web UI show. The ring holds the human form of each line, whatever the output format.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, reload};

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info";
/// What a secret is replaced with.
pub const REDACTED: &str = "***";
/// Lines the ring keeps: the last few thousand are what someone looking into a problem reads,
/// and a bound keeps a chatty `debug` filter from growing the process.
pub const RING_CAPACITY: usize = 5_000;
/// Bytes of one line the ring keeps; a longer line (a large payload logged at `trace`) is cut,
/// so the ring never holds more than `RING_CAPACITY × MAX_RING_LINE_BYTES` (20 MiB).
pub const MAX_RING_LINE_BYTES: usize = 4 * 1024;
/// Characters of a filter directive string accepted from Settings.
pub const MAX_FILTER_CHARS: usize = 1_000;
/// Secrets shorter than this are not scrubbed from free text: replacing every `ab` in the log
/// would make it unreadable. URLs still hide them (`redact_url` needs no list).
const MIN_SCRUBBED_CHARS: usize = 4;
/// The level names a filter and the ring's queries take, most severe first.
pub const LEVEL_NAMES: &[&str] = &["error", "warn", "info", "debug", "trace"];
/// Query parameters of database URLs known to carry no secret; every other value is redacted,
/// so a parameter nobody thought of (`sslpassword`, `token`, …) is hidden by default.
const PUBLIC_URL_PARAMS: &[&str] = &[
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "application_name",
    "options",
    "mode",
    "cache",
    "immutable",
    "vfs",
];

/// Secrets registered so far, longest first so that one containing another is replaced whole.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());
/// What [`init`] installed, for the application to reach without a second global subscriber.
static INSTALLED: OnceLock<LogControl> = OnceLock::new();

/// How lines reach the output (`log_format`, `METARR_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event (tracing-subscriber's full format).
    #[default]
    Text,
    /// One JSON object per line (tracing-subscriber's JSON format), for log collectors.
    Json,
}

impl LogFormat {
    /// `"text"` or `"json"`.
    pub fn parse(text: &str) -> Option<LogFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }

    /// The configuration's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// Why logging could not be set up or changed.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// A global subscriber is already installed (a second `init` in one process).
    #[error("a log subscriber is already installed")]
    AlreadyInstalled(#[source] tracing_subscriber::util::TryInitError),
    /// This process did not install Metarr's subscriber, so its filter cannot be changed.
    #[error("logging is not managed by this process (no subscriber installed by metarr)")]
    NotInstalled,
    /// The reload layer refused the new filter (its subscriber is gone).
    #[error("changing the log filter")]
    Reload(#[source] reload::Error),
}

/// A log filter checked for what Settings accepts: the `RUST_LOG` syntax (comma-separated
/// directives), where every directive is a level (`debug`) or ends with one
/// (`metarr=debug`, `sqlx::query=warn`, `metarr[job{kind=scan}]=trace`).
///
/// `RUST_LOG` also takes a bare target (`metarr`) to mean "every level of it, nothing else";
/// from a Settings field that is nearly always a misspelt level (`verbose`) that would silence
/// the whole log, so it is refused here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFilter(String);

impl LogFilter {
    /// Checks `text`; the message says what is wrong with it, quoting the faulty directive.
    pub fn parse(text: &str) -> Result<LogFilter, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("must not be empty".to_owned());
        }
        if text.chars().count() > MAX_FILTER_CHARS {
            return Err(format!("is longer than {MAX_FILTER_CHARS} characters"));
        }
        let is_level = |word: &str| word.eq_ignore_ascii_case("off") || level_named(word).is_some();
        let mut directives = 0;
        for directive in text.split(',').map(str::trim).filter(|directive| !directive.is_empty()) {
            directives += 1;
            let level = directive.rsplit_once('=').map_or(directive, |(_, level)| level);
            if !is_level(level.trim()) {
                return Err(format!(
                    "{directive:?} is not a level ({}, off) nor a target=level directive",
                    LEVEL_NAMES.join(", ")
                ));
            }
        }
        if directives == 0 {
            return Err("holds no directive".to_owned());
        }
        // The rest of the syntax (targets, span and field filters) is tracing-subscriber's own.
        EnvFilter::builder().parse(text).map_err(|err| format!("{text:?} is not a valid filter: {err}"))?;
        Ok(LogFilter(text.to_owned()))
    }

    /// The filter as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn env_filter(&self) -> EnvFilter {
        // Checked in `parse`; the lenient form cannot differ from the strict one for it.
        EnvFilter::builder().parse_lossy(&self.0)
    }
}

/// `"warn"` → `Level::WARN`, case-insensitive; `None` for anything else.
pub fn level_named(name: &str) -> Option<Level> {
    match name.trim().to_ascii_lowercase().as_str() {
        "error" => Some(Level::ERROR),
        "warn" => Some(Level::WARN),
        "info" => Some(Level::INFO),
        "debug" => Some(Level::DEBUG),
        "trace" => Some(Level::TRACE),
        _ => None,
    }
}

/// The lower-case name of a level, as the API shows it.
pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

/// One line kept by the ring.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LogLine {
    /// Increases by one per line written in this process: a client polls with `after`.
    pub seq: u64,
    pub time: DateTime<Utc>,
    /// `error`, `warn`, `info`, `debug` or `trace`.
    #[serde(serialize_with = "serialize_level")]
    #[schema(value_type = String, example = "info")]
    pub level: Level,
    pub target: String,
    /// The human form of the line (spans, target, message, fields), scrubbed, at most
    /// [`MAX_RING_LINE_BYTES`].
    pub line: String,
}

fn serialize_level<S: serde::Serializer>(level: &Level, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(level_name(*level))
}

/// What to read from the ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingQuery {
    /// Only lines at this level or more severe (`warn` keeps warnings and errors).
    pub min_level: Option<Level>,
    /// Only lines written after the line with this `seq`.
    pub after: Option<u64>,
    /// At most this many lines: the newest of those that match.
    pub limit: usize,
}

/// The last lines written, in memory, oldest dropped first: never more than its capacity.
#[derive(Debug)]
pub struct LogRing {
    capacity: usize,
    state: Mutex<RingState>,
}

#[derive(Debug, Default)]
struct RingState {
    lines: VecDeque<LogLine>,
    next_seq: u64,
}

impl LogRing {
    /// A ring keeping at most `capacity` lines (at least one).
    pub fn new(capacity: usize) -> LogRing {
        let capacity = capacity.max(1);
        LogRing { capacity, state: Mutex::new(RingState { lines: VecDeque::with_capacity(capacity), next_seq: 1 }) }
    }

    /// The most lines it keeps.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Lines kept now.
    pub fn len(&self) -> usize {
        self.lock().lines.len()
    }

    /// True before the first line.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps one line, scrubbed of every registered secret and cut to [`MAX_RING_LINE_BYTES`];
    /// the oldest line goes when the ring is full.
    pub fn push(&self, level: Level, target: &str, text: &str) {
        // Scrubbed before it is cut: cutting first could leave the start of a secret behind.
        let scrubbed = scrub(text.trim_end_matches(['\n', '\r']));
        let line = cut(&scrubbed, MAX_RING_LINE_BYTES);
        let time = Utc::now();
        let mut state = self.lock();
        let seq = state.next_seq;
        state.next_seq += 1;
        if state.lines.len() == self.capacity {
            state.lines.pop_front();
        }
        state.lines.push_back(LogLine { seq, time, level, target: target.to_owned(), line });
    }

    /// The newest lines matching `query`, oldest first, and how many lines in the ring match.
    pub fn recent(&self, query: RingQuery) -> (Vec<LogLine>, usize) {
        let matches = |line: &LogLine| {
            query.min_level.is_none_or(|level| line.level <= level) && query.after.is_none_or(|after| line.seq > after)
        };
        let (mut lines, total) = {
            let state = self.lock();
            let mut lines = Vec::with_capacity(query.limit.min(state.lines.len()));
            let mut total = 0;
            for line in state.lines.iter().rev().filter(|line| matches(line)) {
                total += 1;
                if lines.len() < query.limit {
                    lines.push(line.clone());
                }
            }
            (lines, total)
        };
        lines.reverse();
        // A secret registered after a line was kept (a key set through the API) is hidden too.
        for line in &mut lines {
            if let Cow::Owned(scrubbed) = scrub(&line.line) {
                line.line = scrubbed;
            }
        }
        (lines, total)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RingState> {
        // A panic while pushing leaves a consistent deque; the ring stays usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `text` cut to at most `max` bytes on a character boundary, marked with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let marker = " …";
    let mut end = max.saturating_sub(marker.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{marker}", &text[..end])
}

/// The handle on the installed subscriber: its filter and its ring.
#[derive(Clone)]
pub struct LogControl {
    inner: Arc<ControlInner>,
}

struct ControlInner {
    ring: Arc<LogRing>,
    /// `None` for a detached control (no subscriber of ours is installed).
    filter: Option<reload::Handle<EnvFilter, Registry>>,
    /// The filter the process started with: `RUST_LOG`, or [`DEFAULT_FILTER`].
    start_filter: String,
    /// Whether `RUST_LOG` set the start filter (it then wins over the one stored in Settings).
    from_environment: bool,
}

impl std::fmt::Debug for LogControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogControl")
            .field("installed", &self.inner.filter.is_some())
            .field("start_filter", &self.inner.start_filter)
            .field("from_environment", &self.inner.from_environment)
            .finish()
    }
}

impl LogControl {
    /// The control of the subscriber [`init`] installed in this process; without one (a tool
    /// that builds an `Application` without logging), a detached control whose ring stays
    /// empty and whose filter cannot change.
    pub fn installed() -> LogControl {
        INSTALLED.get().cloned().unwrap_or_else(|| LogControl {
            inner: Arc::new(ControlInner {
                ring: Arc::new(LogRing::new(RING_CAPACITY)),
                filter: None,
                start_filter: DEFAULT_FILTER.to_owned(),
                from_environment: false,
            }),
        })
    }

    /// Whether this control changes the installed subscriber's filter (not a detached one).
    pub fn is_installed(&self) -> bool {
        self.inner.filter.is_some()
    }

    /// The recent lines.
    pub fn ring(&self) -> &LogRing {
        &self.inner.ring
    }

    /// The filter in force, as tracing-subscriber prints it.
    pub fn current_filter(&self) -> String {
        self.inner
            .filter
            .as_ref()
            .and_then(|handle| handle.with_current(ToString::to_string).ok())
            .unwrap_or_else(|| self.inner.start_filter.clone())
    }

    /// The filter the process started with (`RUST_LOG`, else [`DEFAULT_FILTER`]).
    pub fn start_filter(&self) -> &str {
        &self.inner.start_filter
    }

    /// Whether `RUST_LOG` was set (and valid) at start-up.
    pub fn from_environment(&self) -> bool {
        self.inner.from_environment
    }

    /// Puts `filter` in force at once, for every line from now on.
    pub fn set_filter(&self, filter: &LogFilter) -> Result<(), TelemetryError> {
        let handle = self.inner.filter.as_ref().ok_or(TelemetryError::NotInstalled)?;
        // `reload` rebuilds tracing's cached interest in every call site, so call sites that
        // were off (debug lines under `info`) are asked again.
        handle.reload(filter.env_filter()).map_err(TelemetryError::Reload)
    }

    /// Puts the start filter back.
    pub fn reset_filter(&self) -> Result<(), TelemetryError> {
        let start = LogFilter(self.inner.start_filter.clone());
        self.set_filter(&start)
    }
}

/// Installs the global subscriber. Call once, at the start of `main` (or once per test binary).
///
/// `format` chooses the output's form; `ansi` colours the text form (for a terminal). Every
/// line is scrubbed of registered secrets, on the output as in the ring. Returns an error when
/// a subscriber is already installed.
pub fn init<W>(writer: W, format: LogFormat, ansi: bool) -> Result<LogControl, TelemetryError>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    use tracing_subscriber::util::SubscriberInitExt;
    let (start_filter, from_environment) = match EnvFilter::try_from_default_env() {
        Ok(filter) => (filter.to_string(), true),
        // An unset or unreadable `RUST_LOG` gives the default, as before run-time changes existed.
        Err(_) => (DEFAULT_FILTER.to_owned(), false),
    };
    let ring = Arc::new(LogRing::new(RING_CAPACITY));
    let filter = EnvFilter::builder().parse_lossy(&start_filter);
    let (subscriber, handle) = subscriber(writer, format, ansi, filter, Arc::clone(&ring));
    subscriber.try_init().map_err(TelemetryError::AlreadyInstalled)?;
    let control =
        LogControl { inner: Arc::new(ControlInner { ring, filter: Some(handle), start_filter, from_environment }) };
    // `try_init` succeeded, so this is the first and only control of the process.
    let _ = INSTALLED.set(control.clone());
    Ok(control)
}

/// The subscriber `init` installs: the reloadable filter over the output in `format` and the
/// ring, both behind the secret scrubber. Built apart from `init` so that tests can run it as a
/// scoped (not global) subscriber.
fn subscriber<W>(
    writer: W,
    format: LogFormat,
    ansi: bool,
    filter: EnvFilter,
    ring: Arc<LogRing>,
) -> (impl Subscriber + Send + Sync + 'static, reload::Handle<EnvFilter, Registry>)
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let (filter, handle) = reload::Layer::new(filter);
    let output = match format {
        LogFormat::Text => {
            tracing_subscriber::fmt::layer().with_writer(Scrubbing(writer)).with_ansi(ansi).with_target(true).boxed()
        }
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(Scrubbing(writer))
            .with_ansi(false)
            .with_target(true)
            .with_current_span(true)
            .with_span_list(true)
            .boxed(),
    };
    // The ring's copy has no colours and no time of its own (each line records when it came).
    let kept = tracing_subscriber::fmt::layer().with_writer(RingWriter(ring)).with_ansi(false).without_time();
    (tracing_subscriber::registry().with(filter).with(output).with(kept), handle)
}

/// Writes each formatted event into the ring, with the event's level and target.
struct RingWriter(Arc<LogRing>);

impl<'writer> MakeWriter<'writer> for RingWriter {
    type Writer = RingLine<'writer>;

    fn make_writer(&'writer self) -> Self::Writer {
        RingLine { ring: &self.0, level: Level::INFO, target: String::new(), text: Vec::new() }
    }

    fn make_writer_for(&'writer self, meta: &Metadata<'_>) -> Self::Writer {
        RingLine { ring: &self.0, level: *meta.level(), target: meta.target().to_owned(), text: Vec::new() }
    }
}

/// One event's text, kept when the formatter is done with it (on drop), so that an event
/// written in several pieces is still one line of the ring.
struct RingLine<'ring> {
    ring: &'ring LogRing,
    level: Level,
    target: String,
    text: Vec<u8>,
}

impl Write for RingLine<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // Kept whole until scrubbed: the formatter already holds the whole event in memory, and
        // cutting before scrubbing could leave the start of a secret in the ring.
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for RingLine<'_> {
    fn drop(&mut self) {
        if !self.text.is_empty() {
            self.ring.push(self.level, &self.target, &String::from_utf8_lossy(&self.text));
        }
    }
}

/// Registers secrets that must never appear in the log; registering one twice is harmless.
pub fn register_secrets<I, S>(secrets: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    // A poisoned lock only means a panic elsewhere while it was held; the list is still usable.
    let mut registered = SECRETS.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    for secret in secrets {
        let secret = secret.as_ref();
        if secret.chars().count() < MIN_SCRUBBED_CHARS {
            continue;
        }
        // A field recorded with `?` (Debug), a JSON log line, or both (a Debug string inside
        // JSON) show a secret holding `"`, `\` or a control character escaped, so the escaped
        // forms are secrets too.
        let debug = unquote(&format!("{secret:?}"));
        let json = |text: &str| serde_json::to_string(text).map(|quoted| unquote(&quoted)).ok();
        let forms = [Some(secret.to_owned()), json(secret), json(&debug), Some(debug)];
        for form in forms.into_iter().flatten() {
            if !registered.contains(&form) {
                registered.push(form);
            }
        }
    }
    registered.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
}

/// `"text"` → `text`.
fn unquote(quoted: &str) -> String {
    quoted.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')).unwrap_or(quoted).to_owned()
}

/// `text` with every registered secret replaced by `***`.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let registered = SECRETS.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut text = Cow::Borrowed(text);
    for secret in registered.iter() {
        if text.contains(secret.as_str()) {
            text = Cow::Owned(text.replace(secret.as_str(), REDACTED));
        }
    }
    text
}

/// A URL fit for logs: the password of `scheme://user:password@host…` and the value of every
/// query parameter not known to be harmless become `***`. The one function that displays URLs.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut redacted = redact_user_info(base);
    if let Some(query) = query {
        redacted.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if !is_public_param(key) => format!("{key}={REDACTED}"),
                _ => pair.to_owned(),
            })
            .collect();
        redacted.push_str(&pairs.join("&"));
    }
    redacted
}

/// The pieces of a URL that `redact_url` hides, as written and percent-decoded, for [`scrub`]:
/// libraries that echo a URL's parts in their errors or logs show them decoded.
pub fn url_secrets(url: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    if let Some(password) = user_info_password(base) {
        secrets.push(password.to_owned());
        secrets.extend(decoded(password));
    }
    for pair in query.into_iter().flat_map(|query| query.split('&')) {
        if let Some((key, value)) = pair.split_once('=')
            && !is_public_param(key)
            && !value.is_empty()
        {
            secrets.push(value.to_owned());
            secrets.extend(decoded(value));
        }
    }
    secrets
}

fn is_public_param(key: &str) -> bool {
    PUBLIC_URL_PARAMS.iter().any(|public| public.eq_ignore_ascii_case(key))
}

/// The percent-decoded form of `raw`, when it differs.
fn decoded(raw: &str) -> Option<String> {
    // form_urlencoded also turns `+` into a space; a URL's `+` stays `+`, so both forms are kept.
    let decoded: String = form_urlencoded::parse(format!("v={raw}").as_bytes()).next()?.1.into_owned();
    (decoded != raw).then_some(decoded)
}

fn user_info_password(base: &str) -> Option<&str> {
    let scheme_end = base.find("://")?;
    let rest = &base[scheme_end + 3..];
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let user_info = &authority[..authority.rfind('@')?];
    user_info.split_once(':').map(|(_, password)| password)
}

fn redact_user_info(base: &str) -> String {
    match user_info_password(base) {
        Some(password) => {
            // The password sits between the user's `:` and the last `@` of the authority.
            let scheme_end = base.find("://").map_or(0, |index| index + 3);
            let rest = &base[scheme_end..];
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let at = rest[..authority_end].rfind('@').map_or(0, |index| index + scheme_end);
            let start = at - password.len();
            format!("{}{REDACTED}{}", &base[..start], &base[at..])
        }
        None => base.to_owned(),
    }
}

/// A `MakeWriter` whose writers scrub secrets from each formatted line.
struct Scrubbing<M>(M);

impl<'writer, M: MakeWriter<'writer>> MakeWriter<'writer> for Scrubbing<M> {
    type Writer = ScrubbingWriter<M::Writer>;

    fn make_writer(&'writer self) -> Self::Writer {
        ScrubbingWriter(self.0.make_writer())
    }
}

/// `tracing_subscriber` formats a whole event and writes it at once, so a secret inside one
/// field never straddles two writes.
struct ScrubbingWriter<W>(W);

impl<W: Write> Write for ScrubbingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match std::str::from_utf8(buf).map(scrub) {
            Ok(Cow::Owned(scrubbed)) => self.0.write_all(scrubbed.as_bytes())?,
            _ => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_hide_passwords_and_parameter_values() {
        assert_eq!(
            redact_url("postgres://metarr:hunter2@db:5432/metarr?password=x2&sslmode=require&sslpassword=k"),
            "postgres://metarr:***@db:5432/metarr?password=***&sslmode=require&sslpassword=***"
        );
        assert_eq!(redact_url("postgres://a:p@ss@db/x"), "postgres://a:***@db/x");
        assert_eq!(redact_url("postgres://postgres@127.0.0.1/x"), "postgres://postgres@127.0.0.1/x");
        assert_eq!(redact_url("sqlite://data/metarr.db?mode=rwc"), "sqlite://data/metarr.db?mode=rwc");
        assert_eq!(redact_url("postgres://h/db?token=abc&flag"), "postgres://h/db?token=***&flag");
    }

    #[test]
    fn url_secrets_are_found_as_written_and_decoded() {
        let secrets = url_secrets("postgres://u:p%40ssword@h/db?apikey=a%2Bb123&sslmode=disable");
        assert!(secrets.contains(&"p%40ssword".to_owned()), "{secrets:?}");
        assert!(secrets.contains(&"p@ssword".to_owned()), "{secrets:?}");
        assert!(secrets.contains(&"a+b123".to_owned()), "{secrets:?}");
        assert!(!secrets.contains(&"disable".to_owned()), "{secrets:?}");
    }

    #[test]
    fn scrub_replaces_registered_secrets_only() {
        register_secrets(["telemetry-test-secret", "ab"]);
        assert_eq!(scrub("connect failed: telemetry-test-secret!"), "connect failed: ***!");
        assert_eq!(scrub("ab stays: too short to scrub"), "ab stays: too short to scrub");
        let mut written = Vec::new();
        ScrubbingWriter(&mut written).write_all(b"key=telemetry-test-secret\n").expect("write");
        assert_eq!(String::from_utf8(written).expect("utf-8"), "key=***\n");
    }

    /// Captures what a subscriber writes, for assertions.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().expect("capture").clone()).expect("utf-8 output")
        }
    }

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("capture").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'writer> MakeWriter<'writer> for Captured {
        type Writer = Captured;

        fn make_writer(&'writer self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn json_lines_carry_level_target_message_and_fields_and_no_secret() {
        const SECRET: &str = "json-test-secret-42";
        const QUOTED_SECRET: &str = "quo\"ted-secret-77";
        register_secrets([SECRET, QUOTED_SECRET]);
        let output = Captured::default();
        let ring = Arc::new(LogRing::new(10));
        let (subscriber, _handle) =
            subscriber(output.clone(), LogFormat::Json, false, EnvFilter::new("info"), Arc::clone(&ring));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("job", id = 7, kind = "scan");
            let _entered = span.enter();
            tracing::info!(target: "metarr::jobs::test", movie_id = 42, key = SECRET, quoted = ?QUOTED_SECRET, "probing with {SECRET}");
            tracing::debug!("not under info");
        });

        let text = output.text();
        assert!(!text.contains(SECRET) && !text.contains("quo\\\"ted-secret-77"), "a secret shows: {text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let line: serde_json::Value = serde_json::from_str(lines[0]).expect("each line is a JSON object");
        assert_eq!(line["level"], "INFO", "{line}");
        assert_eq!(line["target"], "metarr::jobs::test", "{line}");
        assert_eq!(line["fields"]["message"], "probing with ***", "{line}");
        assert_eq!(line["fields"]["movie_id"], 42, "{line}");
        assert_eq!(line["fields"]["key"], "***", "{line}");
        assert_eq!(line["fields"]["quoted"], "\"***\"", "{line}");
        assert_eq!(line["span"]["name"], "job", "{line}");
        assert_eq!(line["spans"][0]["kind"], "scan", "{line}");
        assert!(line["timestamp"].is_string(), "{line}");

        // The ring keeps the human form of the same line, scrubbed too.
        let (kept, total) = ring.recent(RingQuery { min_level: None, after: None, limit: 10 });
        assert_eq!(total, 1);
        assert_eq!(kept[0].level, Level::INFO);
        assert_eq!(kept[0].target, "metarr::jobs::test");
        assert!(kept[0].line.contains("job{id=7 kind=\"scan\"}"), "{}", kept[0].line);
        assert!(kept[0].line.contains("probing with *** movie_id=42 key=\"***\""), "{}", kept[0].line);
        assert!(!kept[0].line.contains(SECRET), "{}", kept[0].line);
    }

    #[test]
    fn the_text_format_is_the_default_and_is_scrubbed() {
        register_secrets(["text-test-secret-13"]);
        assert_eq!(LogFormat::default(), LogFormat::Text);
        let output = Captured::default();
        let (subscriber, _handle) =
            subscriber(output.clone(), LogFormat::Text, false, EnvFilter::new("info"), Arc::new(LogRing::new(10)));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "metarr::test", token = "text-test-secret-13", "plain");
        });
        let text = output.text();
        assert!(text.contains(" INFO metarr::test: plain token=\"***\""), "{text}");
        assert!(serde_json::from_str::<serde_json::Value>(text.trim()).is_err(), "{text}");
    }

    #[test]
    fn a_reloaded_filter_applies_to_the_next_line() {
        let output = Captured::default();
        let ring = Arc::new(LogRing::new(10));
        let (subscriber, handle) =
            subscriber(output.clone(), LogFormat::Text, false, EnvFilter::new("info"), Arc::clone(&ring));
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "metarr::test", "debug before");
            let debug = LogFilter::parse("info,metarr=debug").expect("valid filter");
            handle.reload(debug.env_filter()).expect("reload");
            tracing::debug!(target: "metarr::test", "debug after");
            tracing::debug!(target: "sqlx::query", "other targets stay at info");
            // Read while the subscriber lives: the handle holds it weakly.
            assert_eq!(handle.with_current(ToString::to_string).expect("filter"), "metarr=debug,info");
        });
        let text = output.text();
        assert!(!text.contains("debug before") && text.contains("debug after"), "{text}");
        assert!(!text.contains("other targets"), "{text}");
        assert_eq!(ring.len(), 1);
    }

    #[test]
    fn filters_from_settings_are_levels_or_directives_with_a_level() {
        for good in ["debug", " WARN ", "info,metarr=debug", "metarr::jobs=trace,sqlx=off", "error,metarr[job]=debug"] {
            assert!(LogFilter::parse(good).is_ok(), "{good}");
        }
        for (bad, says) in [
            ("", "must not be empty"),
            ("verbose", "\"verbose\" is not a level"),
            ("info,metarr", "\"metarr\" is not a level"),
            ("metarr=loud", "\"metarr=loud\" is not a level"),
            (",,", "holds no directive"),
        ] {
            let err = LogFilter::parse(bad).expect_err(bad);
            assert!(err.contains(says), "{bad}: {err}");
        }
        assert!(LogFilter::parse(&"a=info,".repeat(200)).expect_err("too long").contains("longer than"));
        assert!(LogFilter::parse("metarr[=debug").is_err());
    }

    fn everything(limit: usize) -> RingQuery {
        RingQuery { min_level: None, after: None, limit }
    }

    #[test]
    fn the_ring_keeps_its_newest_lines_and_never_more_than_its_capacity() {
        let ring = LogRing::new(3);
        for index in 0..5 {
            ring.push(if index % 2 == 0 { Level::INFO } else { Level::DEBUG }, "metarr", &format!("line {index}\n"));
        }
        assert_eq!(ring.len(), 3);
        let (lines, total) = ring.recent(everything(10));
        assert_eq!(total, 3);
        assert_eq!(lines.iter().map(|line| line.line.as_str()).collect::<Vec<_>>(), ["line 2", "line 3", "line 4"]);
        assert_eq!(lines.iter().map(|line| line.seq).collect::<Vec<_>>(), [3, 4, 5]);

        let (lines, total) = ring.recent(RingQuery { min_level: Some(Level::INFO), after: None, limit: 10 });
        assert_eq!((lines.len(), total), (2, 2), "debug lines are left out under info");
        let (lines, total) = ring.recent(everything(1));
        assert_eq!((lines[0].line.as_str(), total), ("line 4", 3), "the limit keeps the newest");
        let (lines, _) = ring.recent(RingQuery { min_level: None, after: Some(4), limit: 10 });
        assert_eq!(lines.iter().map(|line| line.seq).collect::<Vec<_>>(), [5]);
    }

    #[test]
    fn the_ring_cuts_long_lines_after_scrubbing_and_scrubs_again_when_read() {
        let ring = LogRing::new(3);
        register_secrets(["ring-cut-secret-31"]);
        // Cut first, the line would end inside the secret and show its start.
        let long = format!("{}ring-cut-secret-31{}", "x".repeat(MAX_RING_LINE_BYTES - 10), "y".repeat(100));
        ring.push(Level::INFO, "metarr", &long);
        let (lines, _) = ring.recent(everything(1));
        assert!(lines[0].line.len() <= MAX_RING_LINE_BYTES);
        assert!(!lines[0].line.contains("ring-cut"), "the secret was scrubbed before the cut");
        assert!(lines[0].line.ends_with(" …"));
        assert_eq!(cut("éééé", 7), "é …");

        ring.push(Level::INFO, "metarr", "set later: ring-late-secret-55");
        register_secrets(["ring-late-secret-55"]);
        let (lines, _) = ring.recent(everything(1));
        assert_eq!(lines[0].line, "set later: ***");
    }
}
