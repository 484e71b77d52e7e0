//! `/movies` pages of the web UI.

use crate::routes::AppState;
use axum::Router;

/// The movies pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
