//! `AppError`: how a failed request becomes the JSON error body (docs/contracts.md, "Errors").
//!
//! A 4xx is the client's mistake: its message is shown and it is not logged as an error.
//! A 5xx is Metarr's: the client sees a generic message, and the cause chain is logged once,
//! here, inside the request's span.

use crate::catalogue::CatalogueError;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use metarr_queue::QueueError;
use serde::{Deserialize, Serialize};

/// An error answered to an HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad parameters or body.
    #[error("{0}")]
    BadRequest(String),
    /// No or wrong API key.
    #[error("a valid API key is required (X-Api-Key header or apikey query parameter)")]
    Unauthorized,
    /// The resource does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The resource is in a state that forbids the operation.
    #[error("{0}")]
    Conflict(String),
    /// The route exists but not with this method.
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    /// The request body is larger than the server accepts.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A provider Metarr asked on the caller's behalf failed or refused; the message says
    /// which and why (never with a key).
    #[error("{0}")]
    Upstream(String),
    /// Metarr failed; the message is logged, never shown.
    #[error("{0}")]
    Internal(String),
}

/// The stable `code` of an error body: scripts branch on it, so a code is never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: a parameter or the body is malformed or refers to nothing usable.
    BadRequest,
    /// 401: no API key, or a wrong one.
    Unauthorized,
    /// 404: no such resource, or no such route.
    NotFound,
    /// 409: the resource's state forbids the operation.
    Conflict,
    /// 405: the route exists, not with this method.
    MethodNotAllowed,
    /// 413: the body is larger than the route accepts.
    PayloadTooLarge,
    /// 502: a provider Metarr asked on the caller's behalf failed or refused.
    ProviderError,
    /// 500: Metarr failed; the server log has the cause.
    Internal,
}

/// Every error answer: `{ "error": { "code", "message" } }`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for scripts (`code`) and for people (`message`).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// A sentence naming what was wrong (the parameter, the id, the state); never a secret.
    pub message: String,
}

impl AppError {
    /// The status and the stable `code` of the error body.
    pub fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            AppError::Unauthorized => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            AppError::Conflict(_) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            AppError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed),
            AppError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge),
            AppError::Upstream(_) => (StatusCode::BAD_GATEWAY, ErrorCode::ProviderError),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
        }
    }

    /// A server-side failure, keeping the whole cause chain (each cause once) for the log.
    pub fn internal(err: &(dyn std::error::Error + 'static)) -> AppError {
        AppError::Internal(metarr_errors::chain(err))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            AppError::Internal(cause) => {
                tracing::error!(error = %cause, "request failed");
                "internal server error; see the server log".to_owned()
            }
            other => other.to_string(),
        };
        (status, Json(ErrorBody { error: ErrorDetail { code, message } })).into_response()
    }
}

impl From<crate::enrich::EnrichError> for AppError {
    fn from(err: crate::enrich::EnrichError) -> AppError {
        use crate::enrich::EnrichError;
        match err {
            EnrichError::NotConfigured { .. } => AppError::Conflict(err.to_string()),
            EnrichError::Provider { .. } | EnrichError::Call { .. } => AppError::Upstream(metarr_errors::chain(&err)),
            EnrichError::Catalogue(err) => err.into(),
            EnrichError::Cache(_) | EnrichError::Budget(_) => AppError::internal(&err),
        }
    }
}

impl From<QueueError> for AppError {
    fn from(err: QueueError) -> AppError {
        match err {
            QueueError::NotFound(_) | QueueError::ScheduleNotFound(_) => AppError::NotFound(err.to_string()),
            QueueError::InvalidTransition { .. } | QueueError::UniqueConflict { .. } => {
                AppError::Conflict(err.to_string())
            }
            QueueError::InvalidCron { .. } | QueueError::Invalid(_) => AppError::BadRequest(err.to_string()),
            QueueError::Db(ref db) if db.is_bad_input() => AppError::BadRequest(err.to_string()),
            other => AppError::internal(&other),
        }
    }
}

impl From<CatalogueError> for AppError {
    fn from(err: CatalogueError) -> AppError {
        match err {
            CatalogueError::NotFound(message) => AppError::NotFound(message),
            CatalogueError::Invalid(message) => AppError::BadRequest(message),
            CatalogueError::Conflict(message) => AppError::Conflict(message),
            CatalogueError::Internal(message) => AppError::Internal(message),
            CatalogueError::Db(err) if err.is_bad_input() => AppError::BadRequest(err.to_string()),
            CatalogueError::Db(err) => AppError::internal(&err),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> AppError {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(rejection.body_text())
        } else {
            AppError::BadRequest(rejection.body_text())
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> AppError {
        AppError::BadRequest(rejection.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> AppError {
        AppError::BadRequest(rejection.body_text())
    }
}

/// `axum::Json` whose rejections answer in the error JSON shape.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

/// `axum::extract::Multipart` whose rejection (a body that is not `multipart/form-data`) answers
/// in the error JSON shape, as every other refusal does.
pub struct ApiMultipart(pub axum::extract::Multipart);

impl<S: Send + Sync> axum::extract::FromRequest<S> for ApiMultipart {
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        Ok(ApiMultipart(axum::extract::Multipart::from_request(request, state).await?))
    }
}

impl From<axum::extract::multipart::MultipartRejection> for AppError {
    fn from(rejection: axum::extract::multipart::MultipartRejection) -> AppError {
        AppError::BadRequest(format!("expected a multipart/form-data upload: {}", rejection.body_text()))
    }
}

/// `axum::extract::Query` whose rejections answer in the error JSON shape, and which refuses a
/// parameter its struct does not declare (400 naming it): a typo such as `libary_id` must not
/// silently answer an unfiltered list (issue 11). `apikey`, read by the API key middleware, is
/// accepted everywhere. Types that read any parameter (a map) take every one.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _state: &S) -> Result<Self, AppError> {
        let declared = query_fields::<T>();
        let mut kept = form_urlencoded::Serializer::new(String::new());
        for (name, value) in form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()) {
            if name == crate::routes::auth::API_KEY_PARAM {
                continue;
            }
            if let Some(declared) = declared
                && !declared.contains(&name.as_ref())
            {
                let takes = match declared {
                    [] => "no query parameter but apikey".to_owned(),
                    declared => format!("{} (and apikey)", declared.join(", ")),
                };
                return Err(AppError::BadRequest(format!(
                    "unknown query parameter {name:?}; this endpoint takes {takes}"
                )));
            }
            kept.append_pair(&name, &value);
        }
        let uri: axum::http::Uri = format!("/?{}", kept.finish())
            .parse()
            .map_err(|err| AppError::BadRequest(format!("malformed query string: {err}")))?;
        Ok(ApiQuery(axum::extract::Query::<T>::try_from_uri(&uri)?.0))
    }
}

/// The query of an endpoint that takes no parameter (besides `apikey`): with `ApiQuery`, any
/// other parameter answers 400 instead of being ignored.
#[derive(Debug, serde::Deserialize)]
pub struct NoQuery {}

/// The fields a derived struct declares, read the way `serde_aux::serde_introspect` does: its
/// `Deserialize` hands them to `deserialize_struct`, which stops there. `None` for types that
/// take any key (maps, flattened structs).
fn query_fields<T: serde::de::DeserializeOwned>() -> Option<&'static [&'static str]> {
    use serde::de::{Error, Visitor};
    struct Introspect(Option<&'static [&'static str]>);
    impl<'de> serde::Deserializer<'de> for &mut Introspect {
        type Error = serde::de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
            Err(Error::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = Some(fields);
            Err(Error::custom("fields read"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
            unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut introspect = Introspect(None);
    let _ = T::deserialize(&mut introspect);
    introspect.0
}

/// `axum::extract::Path` whose rejections answer in the error JSON shape.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

#[cfg(test)]
mod tests {
    use super::*;

    fn status(err: impl Into<AppError>) -> StatusCode {
        err.into().status_and_code().0
    }

    #[test]
    fn metarrs_own_faults_are_500_and_the_callers_are_4xx() {
        assert_eq!(
            status(QueueError::Internal("unique key kept changing hands".into())),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(status(CatalogueError::Internal("a task panicked".into())), StatusCode::INTERNAL_SERVER_ERROR);
        let sql = metarr_db::DbError::Sql { operation: "reading", source: sqlx::Error::PoolTimedOut };
        assert_eq!(status(CatalogueError::Db(crate::db::DbError::Db(sql))), StatusCode::INTERNAL_SERVER_ERROR);
        let nul = metarr_db::DbError::NulInText { operation: "writing" };
        assert_eq!(status(QueueError::Db(nul)), StatusCode::BAD_REQUEST);
        let nul = metarr_db::DbError::NulInText { operation: "writing" };
        assert_eq!(status(CatalogueError::Db(crate::db::DbError::Db(nul))), StatusCode::BAD_REQUEST);
        assert_eq!(status(QueueError::Invalid("priority 0 is outside 1–10".into())), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn an_internal_error_keeps_each_cause_once() {
        let sql = metarr_db::DbError::Sql { operation: "reading", source: sqlx::Error::PoolTimedOut };
        let AppError::Internal(line) = AppError::from(CatalogueError::Db(crate::db::DbError::Db(sql))) else {
            panic!("a database failure is internal");
        };
        assert_eq!(line, format!("reading: {}", sqlx::Error::PoolTimedOut));
    }
}
