//! The API key: taken from the configuration, or generated once and kept in the data directory.
//!
//! The file is created readable by its owner only (0600), because anyone holding the key
//! controls the service. The key itself is never logged; the start-up log names the file.

use secrecy::{ExposeSecret, SecretString};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file, inside the data directory, that holds a generated key.
pub const API_KEY_FILE: &str = "api_key";

/// Where the key in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `api_key` in the configuration (file or `METARR_API_KEY`).
    Configured,
    /// The key file, created now.
    Created(PathBuf),
    /// The key file, as found.
    Existing(PathBuf),
}

/// A problem reading or writing the key file.
#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("{operation} API key file {}", path.display())]
    Io {
        operation: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("API key file {} is empty or too short; delete it or run `metarr api-key --regenerate`", .0.display())]
    Malformed(PathBuf),
}

fn io_error(operation: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ApiKeyError + use<> {
    let path = path.to_owned();
    move |source| ApiKeyError::Io { operation, path, source }
}

/// The key in force, shared by every request handler and replaceable while the server runs
/// (the web UI's "regenerate"). Cloning shares the same key.
#[derive(Clone)]
pub struct SharedKey(std::sync::Arc<std::sync::RwLock<SecretString>>);

impl SharedKey {
    pub fn new(key: SecretString) -> SharedKey {
        SharedKey(std::sync::Arc::new(std::sync::RwLock::new(key)))
    }

    /// The key now.
    pub fn current(&self) -> SecretString {
        // A poisoned lock still holds a whole key: replacing it is a single assignment.
        self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// True when `presented` is the key, compared in constant time.
    pub fn matches(&self, presented: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        let key = self.current();
        bool::from(presented.ct_eq(key.expose_secret().as_bytes()))
    }

    /// Puts a new key in force for every later request.
    pub fn replace(&self, key: SecretString) {
        *self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner) = key;
    }
}

/// A fresh key: 32 lowercase hex characters from the OS random source (uuid v4).
pub fn generate() -> SecretString {
    SecretString::from(uuid::Uuid::new_v4().simple().to_string())
}

/// The key to use: the configured one, else the one in `<data_dir>/api_key`, created if missing.
pub fn load_or_create(
    configured: Option<&SecretString>,
    data_dir: &Path,
) -> Result<(SecretString, KeySource), ApiKeyError> {
    if let Some(key) = configured {
        return Ok((key.clone(), KeySource::Configured));
    }
    let path = data_dir.join(API_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let key = text.trim();
            if key.len() < 16 {
                return Err(ApiKeyError::Malformed(path));
            }
            restrict_permissions(&path)?;
            Ok((SecretString::from(key.to_owned()), KeySource::Existing(path)))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let key = generate();
            write_key(&path, &key)?;
            Ok((key, KeySource::Created(path)))
        }
        Err(err) => Err(io_error("reading", &path)(err)),
    }
}

/// Replaces the key file with a new key and returns it.
pub fn regenerate(data_dir: &Path) -> Result<(SecretString, PathBuf), ApiKeyError> {
    let path = data_dir.join(API_KEY_FILE);
    let key = generate();
    write_key(&path, &key)?;
    Ok((key, path))
}

/// Writes through a temporary file and a rename, so a crash never leaves a half-written key,
/// and creates the file with mode 0600 so the key is never readable by others, even briefly.
fn write_key(path: &Path, key: &SecretString) -> Result<(), ApiKeyError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_error("creating the directory of", path))?;
    let temporary = dir.join(format!(".{API_KEY_FILE}.{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&temporary).map_err(io_error("creating", &temporary))?;
    file.write_all(format!("{}\n", key.expose_secret()).as_bytes()).map_err(io_error("writing", &temporary))?;
    file.sync_all().map_err(io_error("syncing", &temporary))?;
    drop(file);
    restrict_permissions(&temporary)?;
    std::fs::rename(&temporary, path).map_err(io_error("replacing", path))
}

/// Makes the file owner-only again if someone widened its permissions.
fn restrict_permissions(path: &Path) -> Result<(), ApiKeyError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let metadata = std::fs::metadata(path).map_err(io_error("inspecting", path))?;
        if metadata.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(io_error("restricting permissions of", path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_an_owner_only_key_once_and_reuses_it() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (first, source) = load_or_create(None, dir.path()).expect("created");
        let path = dir.path().join(API_KEY_FILE);
        assert_eq!(source, KeySource::Created(path.clone()));
        assert_eq!(first.expose_secret().len(), 32);
        assert!(first.expose_secret().chars().all(|c| c.is_ascii_hexdigit()));
        let mode = std::fs::metadata(&path).expect("file exists").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        let (second, source) = load_or_create(None, dir.path()).expect("reused");
        assert_eq!(source, KeySource::Existing(path.clone()));
        assert_eq!(first.expose_secret(), second.expose_secret());

        let (third, _) = regenerate(dir.path()).expect("regenerated");
        assert_ne!(first.expose_secret(), third.expose_secret());
        let (fourth, _) = load_or_create(None, dir.path()).expect("reused");
        assert_eq!(third.expose_secret(), fourth.expose_secret());
        let mode = std::fs::metadata(&path).expect("file exists").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_configured_key_wins_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let configured = SecretString::from("configured-key-0123456789".to_owned());
        let (key, source) = load_or_create(Some(&configured), dir.path()).expect("configured");
        assert_eq!(source, KeySource::Configured);
        assert_eq!(key.expose_secret(), "configured-key-0123456789");
        assert!(!dir.path().join(API_KEY_FILE).exists());
    }

    #[test]
    fn a_truncated_key_file_is_refused() {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::write(dir.path().join(API_KEY_FILE), "abc\n").expect("write");
        assert!(matches!(load_or_create(None, dir.path()), Err(ApiKeyError::Malformed(_))));
    }
}
