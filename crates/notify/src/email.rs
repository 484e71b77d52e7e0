//! Email: one multipart/alternative message (plain text and HTML) over SMTP with lettre.
//!
//! TLS is rustls only (no OpenSSL to install or patch). The three modes match what mail
//! providers document: plain SMTP (a relay on the local network, port 25), STARTTLS
//! (submission, port 587) and implicit TLS (port 465).

use std::time::Duration;

use lettre::message::{Mailbox, Message, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::error::SendError;
use crate::event::Notification;
use crate::text::{escape_html, is_http_url};

/// How long the whole SMTP conversation may take. lettre's own timeout covers only the TCP
/// connect, so a server that accepts and then goes silent would hold a worker forever.
const SMTP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the TCP connect may take: a host that is up answers quickly.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// SMTP reply code for rejected credentials (RFC 4954).
const AUTH_FAILED: u16 = 535;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EmailTls {
    /// Plain SMTP, no encryption. Credentials, if any, cross the network in clear.
    None,
    /// Connect in clear, then STARTTLS; refuse to go on if the server does not offer it.
    #[serde(rename = "starttls")]
    StartTls,
    /// TLS from the first byte ("SMTPS", usually port 465).
    Tls,
}

/// Settings for the email service.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailSettings {
    /// SMTP server host name (also the name its TLS certificate must carry).
    pub host: String,
    /// SMTP server port: commonly 25 (none), 587 (STARTTLS) or 465 (TLS).
    pub port: u16,
    /// How the connection is secured.
    pub tls: EmailTls,
    /// User name for SMTP AUTH (PLAIN or LOGIN); no AUTH when `None` or empty.
    pub username: Option<String>,
    /// Password for SMTP AUTH. Secret.
    pub password: Option<String>,
    /// The sender, `metarr@example.com` or `Metarr <metarr@example.com>`.
    pub from: String,
    /// The recipients; all of them appear in `To`.
    pub to: Vec<String>,
}

impl std::fmt::Debug for EmailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .field("to", &self.to)
            .finish()
    }
}

/// Connection knobs that are not user settings. Only tests should change them.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailOptions {
    /// Accept any server certificate, even self-signed or for another host.
    ///
    /// DANGER: this removes TLS's protection against an attacker in the middle, who would
    /// then see the SMTP password. It exists so tests can talk to a loopback server with a
    /// throwaway self-signed certificate; `app` must never set it.
    pub danger_accept_invalid_certs: bool,
    /// How long the whole SMTP conversation may take (the connect alone at most 15 s).
    pub timeout: Duration,
}

impl Default for EmailOptions {
    fn default() -> Self {
        Self { danger_accept_invalid_certs: false, timeout: SMTP_TIMEOUT }
    }
}

/// Sends `notification` by email to every address in `settings.to`.
///
/// The subject is the notification's title; the body has a plain-text and an HTML part.
/// Connection failures, timeouts and SMTP 4xx replies are retryable; bad addresses,
/// TLS failures, rejected credentials and other SMTP 5xx replies are permanent.
pub async fn send_email(settings: &EmailSettings, notification: &Notification) -> Result<(), SendError> {
    send_email_with_options(settings, notification, &EmailOptions::default()).await
}

/// [`send_email`] with non-default [`EmailOptions`]; for tests.
#[doc(hidden)]
#[tracing::instrument(skip_all, fields(service = "email", event = notification.event.as_str()))]
pub async fn send_email_with_options(
    settings: &EmailSettings,
    notification: &Notification,
    options: &EmailOptions,
) -> Result<(), SendError> {
    let message = build_message(settings, notification)?;
    let transport = build_transport(settings, options)?;
    let server = format!("{}:{}", settings.host.trim(), settings.port);
    match tokio::time::timeout(options.timeout, transport.send(message)).await {
        Ok(Ok(_response)) => Ok(()),
        Ok(Err(err)) => Err(classify(&err, &server)),
        Err(_elapsed) => {
            Err(SendError::Retryable(format!("the SMTP server {server} did not finish within {:?}", options.timeout)))
        }
    }
}

fn build_message(settings: &EmailSettings, notification: &Notification) -> Result<Message, SendError> {
    let from: Mailbox = settings.from.trim().parse().map_err(|err| {
        SendError::Permanent(format!("the email sender address {:?} is invalid: {err}", settings.from))
    })?;
    if settings.to.iter().all(|address| address.trim().is_empty()) {
        return Err(SendError::Permanent("no email recipient is set".to_owned()));
    }

    // Header folding is lettre's job, but a raw line break in a subject is never wanted.
    let subject: String =
        notification.title.chars().map(|character| if character.is_control() { ' ' } else { character }).collect();
    let mut builder = Message::builder()
        .from(from)
        .subject(subject.trim())
        .message_id(None)
        .user_agent(concat!("Metarr/", env!("CARGO_PKG_VERSION")).to_owned());
    for address in settings.to.iter().map(|address| address.trim()).filter(|address| !address.is_empty()) {
        let mailbox: Mailbox = address.parse().map_err(|err| {
            SendError::Permanent(format!("the email recipient address {address:?} is invalid: {err}"))
        })?;
        builder = builder.to(mailbox);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(plain_body(notification), html_body(notification)))
        .map_err(|err| SendError::Permanent(format!("could not build the email: {err}")))
}

fn build_transport(
    settings: &EmailSettings,
    options: &EmailOptions,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
    let host = settings.host.trim();
    if host.is_empty() {
        return Err(SendError::Permanent("the SMTP host is not set".to_owned()));
    }
    if settings.port == 0 {
        return Err(SendError::Permanent("the SMTP port is not set".to_owned()));
    }

    // builder_dangerous leaves TLS to us, so each mode keeps the user's port.
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(settings.port)
        .timeout(Some(options.timeout.min(CONNECT_TIMEOUT)));
    let tls_parameters = || {
        TlsParameters::builder(host.to_owned())
            .dangerous_accept_invalid_certs(options.danger_accept_invalid_certs)
            .dangerous_accept_invalid_hostnames(options.danger_accept_invalid_certs)
            .build_rustls()
            .map_err(|err| SendError::Permanent(format!("could not set up TLS for {host}: {err}")))
    };
    builder = match settings.tls {
        EmailTls::None => builder.tls(Tls::None),
        EmailTls::StartTls => builder.tls(Tls::Required(tls_parameters()?)),
        EmailTls::Tls => builder.tls(Tls::Wrapper(tls_parameters()?)),
    };

    if let Some(username) = settings.username.as_deref().map(str::trim).filter(|username| !username.is_empty()) {
        let password = settings.password.clone().unwrap_or_default();
        builder = builder
            .credentials(Credentials::new(username.to_owned(), password))
            .authentication(vec![Mechanism::Plain, Mechanism::Login]);
    }
    Ok(builder.build())
}

/// Sorts an SMTP failure into permanent or retryable, with a hint for the user. lettre's
/// messages hold the server's replies and our host name, never the password.
fn classify(err: &lettre::transport::smtp::Error, server: &str) -> SendError {
    if let Some(code) = err.status() {
        if err.is_permanent() {
            if u16::from(code) == AUTH_FAILED {
                return SendError::Permanent(format!(
                    "the SMTP server {server} rejected the user name or password ({err})"
                ));
            }
            return SendError::Permanent(format!("the SMTP server {server} refused the email ({err})"));
        }
        return SendError::Retryable(format!("the SMTP server {server} deferred the email ({err})"));
    }
    if err.is_tls() || caused_by_tls(err) {
        return SendError::Permanent(format!(
            "TLS with the SMTP server {server} failed ({err}); check the TLS mode, the port and the server's certificate"
        ));
    }
    if err.is_client() {
        // For example STARTTLS required but not offered, or no AUTH mechanism in common.
        return SendError::Permanent(format!("cannot send through the SMTP server {server}: {err}"));
    }
    if err.is_timeout() {
        return SendError::Retryable(format!("the SMTP server {server} timed out"));
    }
    // Connection refused, reset, DNS, or a garbled reply: often temporary.
    SendError::Retryable(format!("could not talk to the SMTP server {server} ({err})"))
}

/// Whether a rustls error is in the chain. lettre files handshake failures (an untrusted or
/// expired certificate, TLS spoken to a plain port) under "connection error", where they
/// would otherwise look temporary; retrying cannot fix a certificate.
fn caused_by_tls(err: &lettre::transport::smtp::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cause) = source {
        if cause.is::<rustls::Error>() {
            return true;
        }
        // io::Error::source skips the error it wraps, so look inside explicitly.
        if let Some(io_err) = cause.downcast_ref::<std::io::Error>()
            && io_err.get_ref().is_some_and(|inner| inner.is::<rustls::Error>())
        {
            return true;
        }
        source = cause.source();
    }
    false
}

fn movie_line(notification: &Notification) -> Option<String> {
    notification.movie.as_ref().map(|movie| match movie.year {
        Some(year) => format!("{} ({year})", movie.title),
        None => movie.title.clone(),
    })
}

fn plain_body(notification: &Notification) -> String {
    let mut body = notification.message.clone();
    if let Some(movie) = &notification.movie {
        body.push_str("\n\n");
        body.push_str(&movie_line(notification).unwrap_or_default());
        if let Some(overview) = movie.overview.as_deref().filter(|overview| !overview.trim().is_empty()) {
            body.push('\n');
            body.push_str(overview);
        }
    }
    if let Some(link) = notification.url.as_deref().filter(|link| is_http_url(link)) {
        body.push_str("\n\n");
        body.push_str(link);
    }
    body.push_str("\n\n-- \nSent by Metarr\n");
    body
}

fn html_body(notification: &Notification) -> String {
    let paragraph = |text: &str| format!("<p>{}</p>\n", escape_html(text).replace('\n', "<br>\n"));
    let mut html = String::from("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n");
    html.push_str(&format!("<h2>{}</h2>\n", escape_html(&notification.title)));
    html.push_str(&paragraph(&notification.message));
    if let Some(movie) = &notification.movie {
        if let Some(poster) = movie.poster_url.as_deref().filter(|poster| is_http_url(poster)) {
            html.push_str(&format!(
                "<img src=\"{}\" alt=\"{}\" width=\"150\">\n",
                escape_html(poster),
                escape_html(&movie.title)
            ));
        }
        html.push_str(&format!("<h3>{}</h3>\n", escape_html(&movie_line(notification).unwrap_or_default())));
        if let Some(overview) = movie.overview.as_deref().filter(|overview| !overview.trim().is_empty()) {
            html.push_str(&paragraph(overview));
        }
    }
    if let Some(link) = notification.url.as_deref().filter(|link| is_http_url(link)) {
        html.push_str(&format!("<p><a href=\"{0}\">{0}</a></p>\n", escape_html(link)));
    }
    html.push_str("<p style=\"color:#888\">Sent by Metarr</p>\n</body></html>\n");
    html
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;
    use crate::event::{EventKind, MovieInfo};

    fn notification() -> Notification {
        Notification {
            event: EventKind::MovieImported,
            title: "Imported <Heat>\r\nBcc: evil@example.com".to_owned(),
            message: "Tom & Jerry\nsecond line".to_owned(),
            movie: Some(MovieInfo {
                title: "Heat".to_owned(),
                year: Some(1995),
                overview: Some("A \"crew\" <script>".to_owned()),
                poster_url: Some("https://image.example/p.jpg?a=1&b=2".to_owned()),
            }),
            url: Some("javascript:alert(1)".to_owned()),
        }
    }

    #[test]
    fn html_escapes_user_text_and_drops_unsafe_links() {
        let html = html_body(&notification());
        assert!(html.contains("<h2>Imported &lt;Heat&gt;"), "{html}");
        assert!(html.contains("Tom &amp; Jerry<br>\nsecond line"), "{html}");
        assert!(html.contains("A &quot;crew&quot; &lt;script&gt;"), "{html}");
        assert!(html.contains("src=\"https://image.example/p.jpg?a=1&amp;b=2\""), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn subject_cannot_inject_headers() {
        let settings = EmailSettings {
            host: "localhost".to_owned(),
            port: 25,
            tls: EmailTls::None,
            username: None,
            password: Some("hunter2".to_owned()),
            from: "Metarr <metarr@example.com>".to_owned(),
            to: vec!["a@example.com".to_owned()],
        };
        let message = build_message(&settings, &notification()).unwrap();
        let formatted = String::from_utf8(message.formatted()).unwrap();
        let headers = formatted.split("\r\n\r\n").next().unwrap();
        assert!(headers.contains("Subject: Imported <Heat>  Bcc: evil@example.com\r\n"), "{headers}");
        assert!(!headers.lines().any(|line| line.starts_with("Bcc:")), "{headers}");
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn tls_modes_use_the_api_names() {
        let names: Vec<String> = [EmailTls::None, EmailTls::StartTls, EmailTls::Tls]
            .iter()
            .map(|tls| serde_json::to_string(tls).unwrap())
            .collect();
        assert_eq!(names, ["\"none\"", "\"starttls\"", "\"tls\""]);
    }
}
