//! Email sender through a real SMTP server on loopback (aiosmtpd, as Debian packages it).
//!
//! `tests/smtp_server.py` records each message as JSON (envelope, TLS, login, parsed MIME),
//! and `python3 -m aiosmtpd … Mailbox` checks the stock server too. Without python3-aiosmtpd
//! (or openssl, for the TLS cases) these tests skip with a message, unless `CI` is set: then
//! they fail, so CI cannot pass by not testing.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use metarr_notify::{
    EmailOptions, EmailSettings, EmailTls, EventKind, MovieInfo, Notification, SendError, send_email,
    send_email_with_options,
};
use serde_json::Value;

use crate::support::closed_port;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_server.py");
const PASSWORD: &str = "correct horse battery staple";

/// A Python interpreter that can import aiosmtpd: Debian's lives in /usr/bin, which a
/// pyenv or venv `python3` earlier on PATH would hide.
fn aiosmtpd_python() -> Option<&'static str> {
    static PYTHON: OnceLock<Option<&'static str>> = OnceLock::new();
    *PYTHON.get_or_init(|| {
        ["python3", "/usr/bin/python3"].into_iter().find(|candidate| {
            Command::new(candidate)
                .args(["-c", "import aiosmtpd"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })
    })
}

fn has_openssl() -> bool {
    Command::new("openssl").arg("version").stdout(Stdio::null()).status().is_ok_and(|status| status.success())
}

/// The interpreter to run SMTP fixtures with, or `None` when the test must skip.
fn smtp_tools(needs_openssl: bool) -> Option<&'static str> {
    let python = aiosmtpd_python();
    let openssl_ok = !needs_openssl || has_openssl();
    if let (Some(python), true) = (python, openssl_ok) {
        return Some(python);
    }
    let missing = if python.is_none() { "python3-aiosmtpd" } else { "openssl" };
    metarr_testkit::require(false, missing, "Debian: apt-get install -y python3-aiosmtpd openssl");
    None
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ServerTls {
    None,
    StartTls,
    Implicit,
}

/// The fixture server as a child process; killed and reaped on drop.
struct SmtpServer {
    child: Child,
    port: u16,
    out_dir: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    fn start(python: &str, tls: ServerTls, credentials: Option<(&str, &str)>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out_dir = dir.path().join("out");
        std::fs::create_dir(&out_dir).unwrap();
        let mut command = Command::new(python);
        command.arg(SCRIPT).arg("--out").arg(&out_dir);
        if tls != ServerTls::None {
            let (cert, key) = self_signed_cert(dir.path());
            command.arg("--cert").arg(cert).arg("--key").arg(key);
            command.arg(if tls == ServerTls::StartTls { "--starttls" } else { "--implicit-tls" });
        }
        if let Some((user, password)) = credentials {
            command.args(["--user", user, "--password", password]);
        }
        let stderr_path = dir.path().join("stderr.txt");
        // stdin stays open as a lifeline: the script exits when it closes, even if this
        // process dies before Drop runs.
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap();
        let port = read_ready_port(&mut child, &stderr_path);
        Self { child, port, out_dir, _dir: dir }
    }

    /// The recorded messages, oldest first.
    fn messages(&self) -> Vec<Value> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&self.out_dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
            .collect();
        paths.sort();
        paths.iter().map(|path| serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()).collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_ready_port(child: &mut Child, stderr_path: &Path) -> u16 {
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    let line = receiver.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
    match line.trim().strip_prefix("READY ").and_then(|port| port.parse().ok()) {
        Some(port) => port,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = std::fs::read_to_string(stderr_path).unwrap_or_default();
            panic!("the SMTP fixture did not start (stdout {line:?}):\n{stderr}");
        }
    }
}

fn self_signed_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let output = Command::new("openssl")
        .args(["req", "-x509", "-nodes", "-newkey", "rsa:2048", "-days", "1", "-subj", "/CN=localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(output.status.success(), "openssl failed: {}", String::from_utf8_lossy(&output.stderr));
    (cert, key)
}

fn settings(port: u16, tls: EmailTls) -> EmailSettings {
    EmailSettings {
        host: "127.0.0.1".to_owned(),
        port,
        tls,
        username: None,
        password: None,
        from: "Metarr <metarr@example.com>".to_owned(),
        to: vec!["alice@example.com".to_owned(), "Bob <bob@example.org>".to_owned()],
    }
}

fn with_auth(settings: EmailSettings, password: &str) -> EmailSettings {
    EmailSettings { username: Some("metarr".to_owned()), password: Some(password.to_owned()), ..settings }
}

/// Test servers use throwaway self-signed certificates.
fn trust_any_cert() -> EmailOptions {
    EmailOptions { danger_accept_invalid_certs: true, ..EmailOptions::default() }
}

/// Text full of HTML specials, to check the HTML part escapes and the text part does not.
fn html_hostile_notification() -> Notification {
    Notification {
        event: EventKind::MovieImported,
        title: "Imported: <Heat> & \"friends\"".to_owned(),
        message: "Tom & Jerry <b>bold</b>\nsecond line".to_owned(),
        movie: Some(MovieInfo {
            title: "Heat".to_owned(),
            year: Some(1995),
            overview: Some("Thieves <script>alert('x')</script> feel the heat.".to_owned()),
            poster_url: Some("https://image.tmdb.org/t/p/w500/heat.jpg?a=1&b=2".to_owned()),
        }),
        url: Some("http://127.0.0.1:3000/movies/42".to_owned()),
    }
}

fn part<'a>(message: &'a Value, content_type: &str) -> &'a str {
    let parts = message["parts"].as_array().unwrap();
    let matching: Vec<&Value> = parts.iter().filter(|part| part["content_type"] == content_type).collect();
    assert_eq!(matching.len(), 1, "exactly one {content_type} part in {message:#}");
    matching[0]["body"].as_str().unwrap()
}

fn assert_no_password(err: &SendError) {
    let text = format!("{err} {err:?}");
    assert!(!text.contains(PASSWORD) && !text.contains("wrong password"), "password leaked into {text}");
}

#[tokio::test]
async fn plain_smtp_delivers_both_parts_to_every_recipient() {
    let Some(python) = smtp_tools(false) else { return };
    let server = SmtpServer::start(python, ServerTls::None, None);

    send_email(&settings(server.port, EmailTls::None), &html_hostile_notification()).await.unwrap();

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message["mail_from"], "metarr@example.com");
    assert_eq!(message["rcpt_tos"], serde_json::json!(["alice@example.com", "bob@example.org"]));
    assert_eq!(message["tls"], false);
    assert_eq!(message["login"], Value::Null);
    assert_eq!(message["from"], "Metarr <metarr@example.com>");
    assert_eq!(message["to"], "alice@example.com, Bob <bob@example.org>");
    assert_eq!(message["subject"], "Imported: <Heat> & \"friends\"");
    assert_eq!(message["content_type"], "multipart/alternative");
    assert_eq!(message["parts"].as_array().unwrap().len(), 2);
    assert_eq!(message["parts"][0]["content_type"], "text/plain", "plain part first: clients prefer the last");

    let text = part(message, "text/plain");
    assert!(text.starts_with("Tom & Jerry <b>bold</b>\nsecond line\n\nHeat (1995)\n"), "{text}");
    assert!(text.contains("Thieves <script>alert('x')</script> feel the heat."), "{text}");
    assert!(text.contains("http://127.0.0.1:3000/movies/42"), "{text}");

    let html = part(message, "text/html");
    assert!(html.contains("<h2>Imported: &lt;Heat&gt; &amp; &quot;friends&quot;</h2>"), "{html}");
    assert!(html.contains("<p>Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt;<br>\nsecond line</p>"), "{html}");
    assert!(html.contains("Thieves &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; feel the heat."), "{html}");
    assert!(html.contains("<img src=\"https://image.tmdb.org/t/p/w500/heat.jpg?a=1&amp;b=2\""), "{html}");
    assert!(html.contains("<a href=\"http://127.0.0.1:3000/movies/42\">"), "{html}");
    assert!(!html.contains("<b>") && !html.contains("<script>"), "{html}");

    let headers = message["headers"].as_array().unwrap();
    let header_names: Vec<&str> = headers.iter().map(|pair| pair[0].as_str().unwrap()).collect();
    for required in ["Date", "Message-ID", "MIME-Version"] {
        assert!(header_names.contains(&required), "{required} missing from {header_names:?}");
    }
}

#[tokio::test]
async fn stock_aiosmtpd_mailbox_stores_a_non_ascii_message() {
    let Some(python) = smtp_tools(false) else { return };
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let port = closed_port();
    let child = Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = KillOnDrop(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "aiosmtpd did not start listening on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let notification = Notification {
        event: EventKind::ScanCompleted,
        title: "Scan terminé : Amélie — 12 films".to_owned(),
        message: "Bibliothèque « Films » analysée.\n12 films trouvés.".to_owned(),
        movie: None,
        url: None,
    };

    send_email(&settings(port, EmailTls::None), &notification).await.unwrap();

    let stored: Vec<PathBuf> =
        std::fs::read_dir(maildir.join("new")).unwrap().map(|entry| entry.unwrap().path()).collect();
    assert_eq!(stored.len(), 1);
    let raw = std::fs::read(&stored[0]).unwrap();
    assert!(raw.is_ascii(), "headers and bodies are encoded for 7-bit transport");
    let dump = Command::new(python).arg(SCRIPT).arg("--dump").arg(&stored[0]).output().unwrap();
    assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
    let message: Value = serde_json::from_slice(&dump.stdout).unwrap();
    assert_eq!(message["subject"], "Scan terminé : Amélie — 12 films");
    assert_eq!(message["to"], "alice@example.com, Bob <bob@example.org>");
    assert!(part(&message, "text/plain").starts_with("Bibliothèque « Films » analysée.\n12 films trouvés.\n"));
    assert!(part(&message, "text/html").contains("<p>Bibliothèque « Films » analysée.<br>\n12 films trouvés.</p>"));
    let headers = message["headers"].as_array().unwrap();
    let rcpt = headers.iter().find(|pair| pair[0] == "X-RcptTo").unwrap();
    assert_eq!(rcpt[1], "alice@example.com, bob@example.org");
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn starttls_delivers_over_an_encrypted_session() {
    let Some(python) = smtp_tools(true) else { return };
    let server = SmtpServer::start(python, ServerTls::StartTls, None);

    send_email_with_options(
        &settings(server.port, EmailTls::StartTls),
        &html_hostile_notification(),
        &trust_any_cert(),
    )
    .await
    .unwrap();

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["tls"], true);
    assert_eq!(messages[0]["subject"], "Imported: <Heat> & \"friends\"");
}

#[tokio::test]
async fn starttls_refuses_an_untrusted_certificate_by_default() {
    let Some(python) = smtp_tools(true) else { return };
    let server = SmtpServer::start(python, ServerTls::StartTls, None);

    let err = send_email(&settings(server.port, EmailTls::StartTls), &html_hostile_notification()).await.unwrap_err();

    let SendError::Permanent(message) = &err else { panic!("expected Permanent, got {err:?}") };
    assert!(message.contains("TLS"), "{message}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn starttls_required_but_not_offered_is_permanent() {
    let Some(python) = smtp_tools(false) else { return };
    let server = SmtpServer::start(python, ServerTls::None, None);

    let err = send_email_with_options(
        &settings(server.port, EmailTls::StartTls),
        &html_hostile_notification(),
        &trust_any_cert(),
    )
    .await
    .unwrap_err();

    assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
    assert!(server.messages().is_empty(), "nothing is sent in clear when STARTTLS was asked for");
}

#[tokio::test]
async fn implicit_tls_delivers() {
    let Some(python) = smtp_tools(true) else { return };
    let server = SmtpServer::start(python, ServerTls::Implicit, None);

    send_email_with_options(&settings(server.port, EmailTls::Tls), &html_hostile_notification(), &trust_any_cert())
        .await
        .unwrap();

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["tls"], true);
}

#[tokio::test]
async fn auth_with_the_right_password_delivers() {
    let Some(python) = smtp_tools(false) else { return };
    let server = SmtpServer::start(python, ServerTls::None, Some(("metarr", PASSWORD)));

    send_email(&with_auth(settings(server.port, EmailTls::None), PASSWORD), &html_hostile_notification())
        .await
        .unwrap();

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["login"], "metarr");
}

#[tokio::test]
async fn auth_over_starttls_delivers() {
    let Some(python) = smtp_tools(true) else { return };
    let server = SmtpServer::start(python, ServerTls::StartTls, Some(("metarr", PASSWORD)));

    send_email_with_options(
        &with_auth(settings(server.port, EmailTls::StartTls), PASSWORD),
        &html_hostile_notification(),
        &trust_any_cert(),
    )
    .await
    .unwrap();

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["login"], "metarr");
    assert_eq!(messages[0]["tls"], true);
}

#[tokio::test]
async fn wrong_password_is_permanent_and_not_echoed() {
    let Some(python) = smtp_tools(false) else { return };
    let server = SmtpServer::start(python, ServerTls::None, Some(("metarr", PASSWORD)));

    let err =
        send_email(&with_auth(settings(server.port, EmailTls::None), "wrong password"), &html_hostile_notification())
            .await
            .unwrap_err();

    let SendError::Permanent(message) = &err else { panic!("expected Permanent, got {err:?}") };
    assert!(message.contains("rejected the user name or password"), "{message}");
    assert!(message.contains("535"), "{message}");
    assert!(message.contains(&format!("127.0.0.1:{}", server.port)), "{message}");
    assert_no_password(&err);
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn missing_credentials_for_a_server_that_requires_auth_is_permanent() {
    let Some(python) = smtp_tools(false) else { return };
    let server = SmtpServer::start(python, ServerTls::None, Some(("metarr", PASSWORD)));

    let err = send_email(&settings(server.port, EmailTls::None), &html_hostile_notification()).await.unwrap_err();

    assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn rejected_recipient_is_permanent() {
    let Some(python) = smtp_tools(false) else { return };
    let server = SmtpServer::start(python, ServerTls::None, None);
    let settings = EmailSettings {
        to: vec!["alice@example.com".to_owned(), "nobody@rejected.invalid".to_owned()],
        ..settings(server.port, EmailTls::None)
    };

    let err = send_email(&settings, &html_hostile_notification()).await.unwrap_err();

    let SendError::Permanent(message) = &err else { panic!("expected Permanent, got {err:?}") };
    assert!(message.contains("550"), "{message}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn deferred_recipient_is_retryable() {
    let Some(python) = smtp_tools(false) else { return };
    let server = SmtpServer::start(python, ServerTls::None, None);
    let settings =
        EmailSettings { to: vec!["later@deferred.invalid".to_owned()], ..settings(server.port, EmailTls::None) };

    let err = send_email(&settings, &html_hostile_notification()).await.unwrap_err();

    let SendError::Retryable(message) = &err else { panic!("expected Retryable, got {err:?}") };
    assert!(message.contains("451"), "{message}");
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    let port = closed_port();
    for tls in [EmailTls::None, EmailTls::StartTls, EmailTls::Tls] {
        let settings = with_auth(settings(port, tls), PASSWORD);

        let err = send_email(&settings, &html_hostile_notification()).await.unwrap_err();

        let SendError::Retryable(message) = &err else { panic!("expected Retryable, got {err:?}") };
        assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
        assert_no_password(&err);
    }
}

#[tokio::test]
async fn invalid_settings_are_permanent() {
    let port = closed_port();
    let valid = settings(port, EmailTls::None);
    let cases = [
        (EmailSettings { from: "not an address".to_owned(), ..valid.clone() }, "sender address"),
        (EmailSettings { to: vec![], ..valid.clone() }, "no email recipient"),
        (EmailSettings { to: vec![" ".to_owned()], ..valid.clone() }, "no email recipient"),
        (EmailSettings { to: vec!["alice@example.com".to_owned(), "bob".to_owned()], ..valid.clone() }, "\"bob\""),
        (EmailSettings { host: String::new(), ..valid.clone() }, "SMTP host"),
        (EmailSettings { port: 0, ..valid.clone() }, "SMTP port"),
    ];
    for (settings, expected) in cases {
        let err = send_email(&settings, &html_hostile_notification()).await.unwrap_err();
        let SendError::Permanent(message) = &err else { panic!("{settings:?}: expected Permanent, got {err:?}") };
        assert!(message.contains(expected), "{message}");
    }
}

#[tokio::test]
async fn silent_server_times_out_as_retryable() {
    // Accepts the connection and never sends a banner: lettre alone would wait forever.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(socket);
    });
    let options = EmailOptions { timeout: Duration::from_millis(500), ..EmailOptions::default() };

    let started = Instant::now();
    let err = send_email_with_options(&settings(port, EmailTls::None), &html_hostile_notification(), &options)
        .await
        .unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(5));
    let SendError::Retryable(message) = &err else { panic!("expected Retryable, got {err:?}") };
    assert!(message.contains("did not finish"), "{message}");
    holder.abort();
}

#[tokio::test]
async fn implicit_tls_against_a_plain_server_is_permanent() {
    let Some(python) = smtp_tools(false) else { return };
    let server = SmtpServer::start(python, ServerTls::None, None);

    let err =
        send_email_with_options(&settings(server.port, EmailTls::Tls), &html_hostile_notification(), &trust_any_cert())
            .await
            .unwrap_err();

    let SendError::Permanent(message) = &err else { panic!("expected Permanent, got {err:?}") };
    assert!(message.contains("check the TLS mode"), "{message}");
}
