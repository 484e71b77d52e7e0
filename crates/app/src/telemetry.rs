//! Logging: a `tracing` subscriber filtered by `RUST_LOG` (default `info`) writing where it is told,
//! and the one place that keeps secrets out of what it writes.
//!
//! The writer is a parameter so that tests can silence logs or capture them (zero-to-production).
//! Secrets are kept out in two layers (issue 11): URLs are shown through [`redact_url`], and every
//! line written, like the error `main` prints, passes through [`scrub`], which replaces each
//! registered secret (database password and URL parameters, API key, webhook password) even
//! when a library's error or log line embeds it where we do not format it ourselves.

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::RwLock;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info";
/// What a secret is replaced with.
pub const REDACTED: &str = "***";
/// Secrets shorter than this are not scrubbed from free text: replacing every `ab` in the log
/// would make it unreadable. URLs still hide them (`redact_url` needs no list).
const MIN_SCRUBBED_CHARS: usize = 4;
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

/// Installs the global subscriber. Call once, at the start of `main` (or once per test binary).
///
/// `ansi` colours the output (for a terminal). Every line is scrubbed of registered secrets.
/// Returns an error when a subscriber is already installed.
pub fn init<W>(writer: W, ansi: bool) -> Result<(), tracing_subscriber::util::TryInitError>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Scrubbing(writer))
        .with_ansi(ansi)
        .with_target(true)
        .finish()
        .try_init()
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
        if secret.chars().count() >= MIN_SCRUBBED_CHARS && !registered.iter().any(|known| known == secret) {
            registered.push(secret.to_owned());
        }
    }
    registered.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
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
}
