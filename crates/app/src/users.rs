//! Web UI accounts and sign-in sessions: argon2 password hashes and hashed session tokens.
//!
//! The session token lives only in the browser's cookie; the database keeps its SHA-256, so a
//! copy of the database (a backup, a support bundle) holds no usable session.

use crate::catalogue::{CatalogueError, Result, now_ms};
use crate::db::{Db, Param};
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// How long a sign-in lasts.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// Shortest password accepted when creating an account.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest username or password accepted; argon2 itself would take anything, the form should not.
const MAX_INPUT_CHARS: usize = 256;

/// A signed-in user, as the pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
}

/// A `ui_users` row with its password hash (`verify`).
#[derive(sqlx::FromRow)]
struct CredentialsRow {
    id: i64,
    username: String,
    password_hash: String,
}

/// A `ui_users` row without secrets (`session_user`).
#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
}

/// Whether any account exists: until one does, a server that requires sign-in shows first-run.
pub async fn any(db: &Db) -> Result<bool> {
    Ok(db.fetch_optional::<(i64,)>("SELECT id FROM ui_users LIMIT 1", &[]).await?.is_some())
}

/// What first run's account creation came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstRun {
    /// This request created the first account.
    Created(User),
    /// An account existed already, or another request created it first.
    AlreadyDone,
}

/// Creates the first account, unless one exists: exactly one of any number of concurrent calls
/// gets `Created`. The username is trimmed and must be valid, the password long enough.
///
/// The insert only happens when no account exists, and the `ui_users_one_first_run` unique index
/// admits one first-run account, so two requests that both saw an empty table cannot both
/// succeed (the loser's insert breaks the index, or finds the winner's row).
pub async fn create_first(db: &Db, username: &str, password: &str) -> Result<FirstRun> {
    let username = validate_new_account(username, password)?;
    let hash = hash_password(password.to_owned()).await?;
    let inserted = db
        .write::<(i64,)>(
            "INSERT INTO ui_users (username, password_hash, created_at, created_by_first_run) \
             SELECT $1, $2, $3, TRUE WHERE NOT EXISTS (SELECT 1 FROM ui_users) RETURNING id",
            &[username.into(), hash.into(), now_ms().into()],
        )
        .await;
    let rows = match inserted {
        Ok(rows) => rows,
        // The username's or the first-run index: either way another request got there first.
        Err(err) if err.is_unique_violation() => return Ok(FirstRun::AlreadyDone),
        Err(err) => return Err(err.into()),
    };
    match rows.first() {
        Some(&(id,)) => Ok(FirstRun::Created(User { id, username: username.to_owned() })),
        None => Ok(FirstRun::AlreadyDone),
    }
}

/// The trimmed username when the username and password are acceptable for a new account.
fn validate_new_account<'name>(username: &'name str, password: &str) -> Result<&'name str> {
    let username = username.trim();
    if username.is_empty() || username.chars().count() > MAX_INPUT_CHARS {
        return Err(CatalogueError::Invalid(format!("a username of 1 to {MAX_INPUT_CHARS} characters is required")));
    }
    if username.chars().any(char::is_control) {
        return Err(CatalogueError::Invalid("the username must not contain control characters".into()));
    }
    let length = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_INPUT_CHARS).contains(&length) {
        return Err(CatalogueError::Invalid(format!(
            "the password must have {MIN_PASSWORD_CHARS} to {MAX_INPUT_CHARS} characters"
        )));
    }
    Ok(username)
}

/// The account when the password is right; `None` for an unknown user or a wrong password
/// (indistinguishable to the caller, and both cost one argon2 verification).
pub async fn verify(db: &Db, username: &str, password: &str) -> Result<Option<User>> {
    if username.chars().count() > MAX_INPUT_CHARS || password.chars().count() > MAX_INPUT_CHARS {
        return Ok(None);
    }
    let row = db
        .fetch_optional::<CredentialsRow>(
            "SELECT id, username, password_hash FROM ui_users WHERE username = $1",
            &[username.trim().into()],
        )
        .await?;
    let (user, stored) = match row {
        Some(row) => (Some(User { id: row.id, username: row.username }), row.password_hash),
        // Verify against a throwaway hash so that unknown names take as long as wrong passwords.
        None => (None, dummy_hash().to_owned()),
    };
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
    })
    .await
    .map_err(|err| CatalogueError::Internal(format!("password check failed: {err}")))?;
    Ok(user.filter(|_| matches))
}

/// Starts a session; returns the token for the cookie.
pub async fn start_session(db: &Db, user: &User) -> Result<String> {
    let token = random_token();
    let now = now_ms();
    let expires = now + i64::try_from(SESSION_LIFETIME.as_millis()).unwrap_or(i64::MAX);
    // Expired sessions are swept by the nightly cleanup (`jobs::cleanup`), in batches.
    db.execute(
        "INSERT INTO ui_sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        &[token_hash(&token).into(), user.id.into(), now.into(), expires.into()],
    )
    .await?;
    Ok(token)
}

/// The user of a live session.
pub async fn session_user(db: &Db, token: &str) -> Result<Option<User>> {
    if token.len() != 64 {
        return Ok(None);
    }
    let row = db
        .fetch_optional::<UserRow>(
            "SELECT u.id, u.username FROM ui_sessions s JOIN ui_users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
            &[token_hash(token).into(), Param::Int(now_ms())],
        )
        .await?;
    Ok(row.map(|row| User { id: row.id, username: row.username }))
}

/// Ends a session (sign-out).
pub async fn end_session(db: &Db, token: &str) -> Result<()> {
    db.execute("DELETE FROM ui_sessions WHERE token_hash = $1", &[token_hash(token).into()]).await?;
    Ok(())
}

/// 32 random bytes as 64 hex characters, for cookies and CSRF tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available on every supported system");
    hex(&bytes)
}

async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default().hash_password(password.as_bytes()).map(|hash| hash.to_string())
    })
    .await
    .map_err(|err| CatalogueError::Internal(format!("password hashing failed: {err}")))?
    .map_err(|err| CatalogueError::Internal(format!("password hashing failed: {err}")))
}

fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        Argon2::default().hash_password(b"not a password anyone has").map(|hash| hash.to_string()).unwrap_or_default()
    })
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}
