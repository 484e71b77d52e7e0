//! Kodi for tests: a real headless Kodi under Xvfb ([`headless`]) and a faithful JSON-RPC
//! stand-in on loopback ([`standin`]), both with the web server credentials of docs/peers/kodi.md, "A real Kodi in tests".

pub mod headless;
pub mod standin;

/// The web server's user name (docs/peers/kodi.md).
pub const KODI_USER: &str = "kodi";
/// The web server's password (docs/peers/kodi.md).
pub const KODI_PASSWORD: &str = "kodi";
/// The `Authorization` header for [`KODI_USER`]:[`KODI_PASSWORD`] (base64 of `kodi:kodi`).
pub const KODI_AUTH: &str = "Basic a29kaTprb2Rp";
