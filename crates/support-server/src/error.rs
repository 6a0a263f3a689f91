//! The one place errors become HTTP responses. Clients get a stable code and a human message;
//! internals (SQL, stack, upstream bodies) go to the log with the request's span, never out.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use support_agent::actions::ActionError;
use support_agent::decide::operator::OperatorError;
use support_store::StoreError;
use support_types::api::ErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the database is unavailable")]
    Unavailable,
    /// Well formed, but refused for a reason the caller can act on (a policy refusal, an app
    /// with no integration): 422 with a stable `code`.
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    /// A provider we called (Front, Stripe…) failed; the message says which and how.
    #[error("{0}")]
    Upstream(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => ApiError::Conflict(format!("{what} already exists")),
            StoreError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            StoreError::Database(sqlx_err) if is_unavailable(&sqlx_err) => {
                tracing::error!(error = %sqlx_err, "database unavailable");
                ApiError::Unavailable
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

/// The database cannot serve right now (as opposed to a bug in our query): the client should
/// retry, so this is a 503, never a 500 or a 200.
pub fn is_unavailable(e: &support_store::sqlx::Error) -> bool {
    use support_store::sqlx::Error as E;
    match e {
        E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::WorkerCrashed => true,
        E::Database(db) => db.code().is_some_and(|c| {
            // Postgres: connection exceptions (08…), admin shutdown / crash (57P01-03),
            // database gone (3D000), too many connections (53300). SQLite: busy/locked
            // (5, 6), read-only or I/O trouble (8, 10, 13, 14).
            c.starts_with("08")
                || matches!(
                    c.as_ref(),
                    "57P01"
                        | "57P02"
                        | "57P03"
                        | "3D000"
                        | "53300"
                        | "5"
                        | "6"
                        | "8"
                        | "10"
                        | "13"
                        | "14"
                )
        }),
        _ => false,
    }
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Unprocessable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            ApiError::Upstream(_) => (StatusCode::BAD_GATEWAY, "upstream"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let message = match &self {
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "internal error; see the server log".to_owned()
            }
            other => other.to_string(),
        };
        let mut resp = (
            status,
            Json(ErrorBody {
                error: code.to_owned(),
                message,
            }),
        )
            .into_response();
        if matches!(self, ApiError::Unauthorized) {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<ActionError> for ApiError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::UnknownKind(_) | ActionError::Invalid(_) | ActionError::NotAllowed(_) => {
                ApiError::BadRequest(e.to_string())
            }
            ActionError::NotFound(_) => ApiError::NotFound(e.to_string()),
            ActionError::Forbidden(_) => ApiError::Forbidden(e.to_string()),
            ActionError::Closed(_) => ApiError::Conflict(e.to_string()),
            ActionError::Store(s) => ApiError::from(s),
            ActionError::Engine(support_engine::WfError::Store(s)) => ApiError::from(s),
            ActionError::Engine(other) => ApiError::Internal(other.into()),
        }
    }
}

impl From<OperatorError> for ApiError {
    fn from(e: OperatorError) -> Self {
        match e {
            OperatorError::Invalid(m) => ApiError::BadRequest(m),
            OperatorError::NotFound(m) => ApiError::NotFound(m),
            OperatorError::Refused { code, message } => ApiError::Unprocessable { code, message },
            other @ (OperatorError::App { .. } | OperatorError::Stripe { .. }) => {
                ApiError::Internal(other.into())
            }
        }
    }
}
