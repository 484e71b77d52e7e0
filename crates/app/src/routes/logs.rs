//! The logging API (issue 18): `GET/PUT /api/v1/system/logging`, the filter in force (changed at
//! once, kept for the next start), and `GET /api/v1/system/logs`, this process's recent lines
//! from the bounded ring, scrubbed of secrets like every other line.

use crate::error::{ApiJson, ApiQuery, AppError, ErrorBody, NoQuery};
use crate::log_settings::{self, LoggingView};
use crate::routes::AppState;
use crate::telemetry::{LEVEL_NAMES, LogLine, RING_CAPACITY, RingQuery, level_named};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Lines `GET /system/logs` answers without `limit`.
pub const DEFAULT_LIMIT: usize = 200;

/// The log filter in force, the stored one and the start-up default.
#[utoipa::path(get, path = "/system/logging", tag = "system", responses((status = 200, body = LoggingView), (status = 400, description = "An unknown query parameter", body = ErrorBody)))]
pub async fn get_logging(
    State(state): State<AppState>,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> Result<Json<LoggingView>, AppError> {
    Ok(Json(log_settings::view(&state.db, &state.logs, state.settings.log_format).await?))
}

/// Body of `PUT /api/v1/system/logging`: `{"level": "debug"}`, a whole filter
/// (`{"level": "info,metarr=debug"}`), or `{"level": null}` for the start-up filter.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoggingInput {
    /// Required: a level, a whole filter, or `null` for the start-up filter. Absent is refused:
    /// `{}` is more likely a mistake than a wish to reset.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, required = true, example = "info,metarr=debug")]
    pub level: Option<Option<String>>,
}

/// A field that is present, `null` included.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// Changes the log filter at once, and keeps it for the next start (`RUST_LOG` still wins).
///
/// A filter that does not parse is a 400 naming `level`; the answer is the new state.
#[utoipa::path(put, path = "/system/logging", tag = "system", request_body = LoggingInput, responses((status = 200, body = LoggingView)))]
pub async fn put_logging(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<LoggingInput>,
) -> Result<Json<LoggingView>, AppError> {
    let Some(level) = input.level else {
        return Err(AppError::BadRequest(
            "level is required: a level (\"debug\"), a filter (\"info,metarr=debug\"), or null for the default".into(),
        ));
    };
    log_settings::change(&state.db, &state.logs, level.as_deref()).await?;
    Ok(Json(log_settings::view(&state.db, &state.logs, state.settings.log_format).await?))
}

/// The query of `GET /api/v1/system/logs`; every value is checked, none is ignored.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogsQuery {
    /// At most this many lines, the newest (1 to the ring's capacity; 200 by default).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 5000)]
    pub limit: Option<String>,
    /// Only lines at this level or more severe: `error`, `warn`, `info`, `debug` or `trace`.
    #[param(example = "warn")]
    pub level: Option<String>,
    /// Only lines after the one with this `seq`, for polling.
    #[param(value_type = Option<u64>)]
    pub after: Option<String>,
}

impl LogsQuery {
    /// The ring query, or a 400 naming the parameter.
    pub fn ring_query(&self) -> Result<RingQuery, AppError> {
        let limit = match self.limit.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_LIMIT,
            Some(text) => {
                text.parse::<usize>().ok().filter(|limit| (1..=RING_CAPACITY).contains(limit)).ok_or_else(|| {
                    AppError::BadRequest(format!("limit must be an integer from 1 to {RING_CAPACITY}, got {text:?}"))
                })?
            }
        };
        let min_level = match self.level.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(level_named(text).ok_or_else(|| {
                AppError::BadRequest(format!("level must be one of {}, got {text:?}", LEVEL_NAMES.join(", ")))
            })?),
        };
        let after = match self.after.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(text.parse::<u64>().map_err(|_| {
                AppError::BadRequest(format!("after must be the seq of a line (an integer), got {text:?}"))
            })?),
        };
        Ok(RingQuery { min_level, after, limit })
    }
}

/// `{ "items": [...], "total": N, "capacity": 5000 }`: `total` counts the lines in the ring
/// that match, `items` holds the newest `limit` of them, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LogsView {
    pub items: Vec<LogLine>,
    pub total: usize,
    pub capacity: usize,
}

/// This process's recent log lines, scrubbed of secrets, oldest first.
#[utoipa::path(get, path = "/system/logs", tag = "system", params(LogsQuery), responses((status = 200, body = LogsView)))]
pub async fn recent(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<LogsQuery>,
) -> Result<Json<LogsView>, AppError> {
    let ring = state.logs.ring();
    let (items, total) = ring.recent(query.ring_query()?);
    Ok(Json(LogsView { items, total, capacity: ring.capacity() }))
}

/// This module's routes (`/api/v1`-relative), each registered with its OpenAPI description.
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_logging, put_logging)).routes(routes!(recent))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(limit: Option<&str>, level: Option<&str>, after: Option<&str>) -> LogsQuery {
        LogsQuery { limit: limit.map(str::to_owned), level: level.map(str::to_owned), after: after.map(str::to_owned) }
    }

    #[test]
    fn the_logs_query_takes_a_bounded_limit_a_level_and_a_seq() {
        let parsed = query(None, None, None).ring_query().expect("defaults");
        assert_eq!((parsed.limit, parsed.min_level, parsed.after), (DEFAULT_LIMIT, None, None));
        let parsed = query(Some("5000"), Some("WARN"), Some("17")).ring_query().expect("valid");
        assert_eq!((parsed.limit, parsed.min_level, parsed.after), (5000, Some(tracing::Level::WARN), Some(17)));
        for (bad, says) in [
            (query(Some("0"), None, None), "limit must be an integer from 1 to 5000, got \"0\""),
            (query(Some("5001"), None, None), "got \"5001\""),
            (query(Some("99999999999999999999999"), None, None), "limit must be"),
            (query(None, Some("loud"), None), "level must be one of error, warn, info, debug, trace, got \"loud\""),
            (query(None, None, Some("-1")), "after must be"),
        ] {
            let err = bad.ring_query().expect_err(says).to_string();
            assert!(err.contains(says), "{err}");
        }
    }
}
