//! Who is visiting the UI and whether they may: loopback trust, sign-in, first run, and CSRF.
//!
//! `identify` runs on every UI request. It decides the visitor's user (from the session cookie),
//! hands out the CSRF token (a random value in a `SameSite=Strict` cookie that forms echo back),
//! and refuses any state-changing request whose token does not match or whose `Origin` is another
//! site. Because the cookie is never sent on cross-site requests, a page elsewhere cannot post to
//! Metarr even for a loopback visitor who never signed in. `require_user` then guards the pages.

use super::sign_in_limit::{ClientAddress, RetryAfter};
use super::{Ui, UiError, is_htmx, render, render_with, see_other};
use crate::config::AuthRequired;
use crate::routes::AppState;
use crate::users::{self, FirstRun, User};
use askama::Template;
use axum::Form;
use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use subtle::ConstantTimeEq;

/// Cookie holding the sign-in session token.
pub const SESSION_COOKIE: &str = "metarr_session";
/// Cookie holding the CSRF token that forms and htmx requests must echo.
pub const CSRF_COOKIE: &str = "metarr_csrf";
/// Form field and header names carrying the echoed CSRF token.
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Largest form body read to find the CSRF token.
const MAX_FORM_BYTES: usize = crate::routes::MAX_BODY_BYTES;

/// What `identify` learned about the visitor, for `require_user`.
#[derive(Debug, Clone)]
struct Visitor {
    user: Option<User>,
    /// The visitor may use the UI without signing in.
    trusted: bool,
}

/// Identifies the visitor, checks the CSRF token of state-changing requests, and sets the CSRF
/// cookie on the first visit.
pub async fn identify(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let existing_csrf = cookie(&parts.headers, CSRF_COOKIE).filter(|token| token.len() == 64);
    let csrf = existing_csrf.clone().unwrap_or_else(users::random_token);

    let mut body = body;
    if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        if !same_origin(&parts.headers) {
            return UiError::Forbidden("this request came from another site and was refused".into()).into_response();
        }
        let (echoed, rebuilt) = match echoed_token(&parts.headers, parts.uri.query(), body).await {
            Ok(found) => found,
            Err(response) => return response,
        };
        body = rebuilt;
        let valid = match (&existing_csrf, &echoed) {
            (Some(expected), Some(echoed)) => bool::from(expected.as_bytes().ct_eq(echoed.as_bytes())),
            _ => false,
        };
        if !valid {
            return UiError::Forbidden(
                "the form's security token is missing or out of date; reload the page and try again".into(),
            )
            .into_response();
        }
    }

    let session_token = cookie(&parts.headers, SESSION_COOKIE);
    let user = match &session_token {
        Some(token) => match users::session_user(&state.db, token).await {
            Ok(user) => user,
            Err(err) => return UiError::from(err).into_response(),
        },
        None => None,
    };
    let trusted = match state.settings.auth_required {
        AuthRequired::Always => false,
        AuthRequired::ExceptLocal => is_local(&parts),
    };
    parts.extensions.insert(Ui { csrf: csrf.clone(), user: user.as_ref().map(|user| user.username.clone()), nav: "" });
    parts.extensions.insert(Visitor { user, trusted });

    let mut response = next.run(Request::from_parts(parts, body)).await;
    if existing_csrf.is_none() {
        set_cookie(&mut response, CSRF_COOKIE, &csrf, None);
    }
    response
}

/// Lets signed-in users and trusted visitors through; sends others to sign in, or to first run
/// when no account exists yet.
pub async fn require_user(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(visitor) = request.extensions().get::<Visitor>() else {
        return UiError::Internal("visitor not identified".into()).into_response();
    };
    if visitor.trusted || visitor.user.is_some() {
        return next.run(request).await;
    }
    // On a database error, ask for sign-in: first run must never be offered by mistake.
    let has_accounts = users::any(&state.db).await.unwrap_or(true);
    let target = if has_accounts {
        let wanted = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
        format!("/login?next={}", form_urlencoded::byte_serialize(wanted.as_bytes()).collect::<String>())
    } else {
        "/setup".to_owned()
    };
    if is_htmx(request.headers()) {
        // htmx would swap a redirect's page into a fragment; it follows `HX-Redirect` instead.
        let mut response = StatusCode::UNAUTHORIZED.into_response();
        if let Ok(value) = HeaderValue::from_str(&target) {
            response.headers_mut().insert("hx-redirect", value);
        }
        return response;
    }
    see_other(&target)
}

/// The UI's own WebSocket of live events: the API's stream, behind the UI's sign-in instead of
/// the API key. Browsers do not apply CORS to WebSockets, so the origin is checked here.
pub async fn events(State(state): State<AppState>, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    if !same_origin(&headers) {
        return UiError::Forbidden("WebSocket from another site refused".into()).into_response();
    }
    crate::routes::events::subscribe(State(state), upgrade).await
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /login`
pub async fn login_page(ui: Ui, Query(query): Query<NextQuery>) -> Response {
    render(&LoginPage { csrf: ui.csrf, next: safe_next(query.next.as_deref()), username: String::new(), error: None })
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// `POST /login`: a session cookie and back to where the visitor was going. Too many failures
/// from the client's address or for the account answer 429 with `Retry-After`, before the
/// password is even checked (`sign_in_limit`).
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ui: Ui,
    Form(form): Form<LoginForm>,
) -> Result<Response, UiError> {
    let next = safe_next(form.next.as_deref());
    if let Err(RetryAfter(wait)) = state.sign_in_limits.attempt(address, &form.username) {
        // Whole minutes for people, exact seconds (rounded up) for the header.
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let minutes = seconds.div_ceil(60).max(1);
        let unit = if minutes == 1 { "minute" } else { "minutes" };
        let page = LoginPage {
            csrf: ui.csrf,
            next,
            username: form.username,
            error: Some(format!("Too many failed sign-ins. Try again in {minutes} {unit}.")),
        };
        let mut response = render_with(StatusCode::TOO_MANY_REQUESTS, &page);
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        return Ok(response);
    }
    let Some(user) = users::verify(&state.db, &form.username, &form.password).await? else {
        let page = LoginPage {
            csrf: ui.csrf,
            next,
            username: form.username,
            error: Some("Wrong username or password.".into()),
        };
        return Ok(render_with(StatusCode::UNAUTHORIZED, &page));
    };
    state.sign_in_limits.succeeded(address, &form.username);
    signed_in(&state, &user, &next).await
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    csrf: String,
    username: String,
    error: Option<String>,
    min_password: usize,
}

/// `GET /setup`: first run, only while no account exists.
pub async fn setup_page(State(state): State<AppState>, ui: Ui) -> Result<Response, UiError> {
    if users::any(&state.db).await? {
        return Ok(see_other("/login"));
    }
    Ok(render(&SetupPage {
        csrf: ui.csrf,
        username: String::new(),
        error: None,
        min_password: users::MIN_PASSWORD_CHARS,
    }))
}

#[derive(Debug, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /setup`: creates the first account and signs it in. Once an account exists this
/// answers 409 and starts no session: further accounts are not created from an unauthenticated
/// page, also when several first-run requests race (`users::create_first` decides in the database).
pub async fn setup(State(state): State<AppState>, ui: Ui, Form(form): Form<SetupForm>) -> Result<Response, UiError> {
    let already_done = || UiError::Conflict("an account exists already; sign in with it".into());
    if users::any(&state.db).await? {
        return Err(already_done());
    }
    let again = |error: String| SetupPage {
        csrf: ui.csrf.clone(),
        username: form.username.clone(),
        error: Some(error),
        min_password: users::MIN_PASSWORD_CHARS,
    };
    if form.password != form.confirm {
        return Ok(render_with(StatusCode::BAD_REQUEST, &again("The two passwords differ.".into())));
    }
    match users::create_first(&state.db, &form.username, &form.password).await {
        Ok(FirstRun::Created(user)) => signed_in(&state, &user, "/").await,
        Ok(FirstRun::AlreadyDone) => Err(already_done()),
        Err(crate::catalogue::CatalogueError::Invalid(message)) => {
            Ok(render_with(StatusCode::BAD_REQUEST, &again(message)))
        }
        Err(err) => Err(err.into()),
    }
}

/// `POST /logout`
pub async fn logout(State(state): State<AppState>, request: Request) -> Result<Response, UiError> {
    if let Some(token) = cookie(request.headers(), SESSION_COOKIE) {
        users::end_session(&state.db, &token).await?;
    }
    let mut response = see_other("/login");
    set_cookie(&mut response, SESSION_COOKIE, "", Some(0));
    Ok(response)
}

async fn signed_in(state: &AppState, user: &User, next: &str) -> Result<Response, UiError> {
    let token = users::start_session(&state.db, user).await?;
    tracing::info!(user = %user.username, "signed in to the web UI");
    let mut response = see_other(next);
    let max_age = users::SESSION_LIFETIME.as_secs();
    set_cookie(&mut response, SESSION_COOKIE, &token, Some(max_age));
    Ok(response)
}

/// Only a path on this server: `//evil.example` or `https://…` would be an open redirect.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next) if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') => next.to_owned(),
        _ => "/".to_owned(),
    }
}

/// A loopback peer that is not a reverse proxy forwarding someone else: behind nginx on the same
/// machine every request comes from 127.0.0.1, and trusting those would let everyone in.
fn is_local(parts: &axum::http::request::Parts) -> bool {
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"].iter().any(|name| parts.headers.contains_key(*name));
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip().to_canonical());
    !forwarded && peer.is_some_and(|ip| ip.is_loopback())
}

/// A request without `Origin` (a plain form post from an old browser, curl) passes; one with an
/// `Origin` must name this server's own host.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let Some(host) = headers.get(header::HOST).and_then(|host| host.to_str().ok()) else { return false };
    let Ok(origin) = origin.to_str() else { return false };
    let authority = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
    authority.is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

/// The token echoed by the request: the header, or the `csrf` field of a form body (which is read
/// and put back for the handler).
async fn echoed_token(
    headers: &HeaderMap,
    query: Option<&str>,
    body: Body,
) -> Result<(Option<String>, Body), Response> {
    if let Some(token) = headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok()) {
        return Ok((Some(token.to_owned()), body));
    }
    // A file upload's body is multipart and may be large: its form carries the token in its
    // action's query instead, which the request trace never records.
    if let Some(query) = query.filter(|_| is_multipart(headers)) {
        let token = form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == CSRF_FIELD)
            .map(|(_, value)| value.into_owned());
        return Ok((token, body));
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((None, body));
    }
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| UiError::BadRequest(format!("the form is larger than {MAX_FORM_BYTES} bytes")).into_response())?;
    let token =
        form_urlencoded::parse(&bytes).find(|(name, _)| name == CSRF_FIELD).map(|(_, value)| value.into_owned());
    Ok((token, Body::from(bytes)))
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"))
}

/// One cookie's value from the `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

fn set_cookie(response: &mut Response, name: &str, value: &str, max_age: Option<u64>) {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(max_age) = max_age {
        cookie.push_str(&format!("; Max-Age={max_age}"));
    }
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_server() {
        assert_eq!(safe_next(Some("/movies?q=x")), "/movies?q=x");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn origin_must_be_this_host() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("nas.local:3000"));
        assert!(same_origin(&headers), "no Origin: a plain form post");
        headers.insert(header::ORIGIN, HeaderValue::from_static("http://nas.local:3000"));
        assert!(same_origin(&headers));
        headers.insert(header::ORIGIN, HeaderValue::from_static("http://evil.example"));
        assert!(!same_origin(&headers));
        headers.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin(&headers));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; metarr_csrf=abc; b=2"));
        assert_eq!(cookie(&headers, "metarr_csrf").as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "metarr_session"), None);
    }
}
