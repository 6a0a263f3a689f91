//! `POST /api/support`: the one signed route the platform calls. Order matters: size first
//! (cheap, bounds memory), then the signature over the raw bytes (nothing unauthenticated is
//! parsed), then JSON, then the database.

use std::pin::Pin;
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, HttpBody as _};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sqlx::Row as _;
use support_core::signing::{SignatureError, TOLERANCE_SECS, support};
use support_types::sdk::{SdkPurchase, SdkRequest, SdkUser};
use support_types::{Email, Money};

use crate::AppState;

/// Requests are tiny JSON objects; anything bigger is a mistake or an attack.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON error body `{"error": code, "message": text}`: the code is for programs, the
/// message for the human reading the platform's logs.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// Logs the details and answers a generic 500, so schema or path details never leak.
    fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "first-app support route: {context}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error; see the app's logs",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.code, "message": self.message });
        (self.status, Json(body)).into_response()
    }
}

fn signature_error(err: SignatureError) -> ApiError {
    let (code, message) = match err {
        SignatureError::MissingHeader => (
            "missing_signature",
            format!("Missing {} header", support::HEADER),
        ),
        SignatureError::MalformedHeader
        | SignatureError::NoV1Signature
        | SignatureError::UnsupportedVersion => (
            "malformed_signature",
            format!(
                "Malformed {} header: expected t=<unix seconds>,v1=<hex>",
                support::HEADER
            ),
        ),
        SignatureError::TimestampTooOld => (
            "signature_expired",
            format!(
                "Signature timestamp is more than {TOLERANCE_SECS} s old; sign each request when sending it"
            ),
        ),
        SignatureError::TimestampTooNew => (
            "signature_expired",
            format!(
                "Signature timestamp is more than {TOLERANCE_SECS} s in the future; check the sender's clock"
            ),
        ),
        SignatureError::Mismatch => (
            "invalid_signature",
            "Signature does not match any configured secret".to_owned(),
        ),
    };
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

/// Reads the body but stops at `MAX_BODY_BYTES`, so an oversized or endless body costs at
/// most that much memory. `None` means too large.
async fn read_limited(mut body: Body) -> Result<Option<Vec<u8>>, ApiError> {
    let mut buf = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| {
            ApiError::bad_request("unreadable_body", format!("Could not read body: {e}"))
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > MAX_BODY_BYTES {
                return Ok(None);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Some(buf))
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("Request body exceeds {MAX_BODY_BYTES} bytes"),
    )
}

pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match handle_inner(&state, &headers, body).await {
        Ok(json) => (StatusCode::OK, Json(json)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn handle_inner(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Value, ApiError> {
    let declared_too_large = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > MAX_BODY_BYTES as u64);
    if declared_too_large {
        return Err(too_large());
    }
    let raw = read_limited(body).await?.ok_or_else(too_large)?;

    // A header that is not visible ASCII cannot be a valid signature; treat it as malformed
    // rather than missing so the sender is told the right thing.
    let header = match headers.get(support::HEADER) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| signature_error(SignatureError::MalformedHeader))?,
        ),
    };
    let secrets: Vec<&[u8]> = state.secrets.iter().map(|s| s.as_bytes()).collect();
    support::verify(header, &raw, &secrets, crate::now_unix(), TOLERANCE_SECS)
        .map_err(signature_error)?;

    let request = parse_request(&raw)?;
    match request {
        SdkRequest::LookupUser { email } => {
            let user = lookup_user(state, &email).await?;
            serde_json::to_value(user).map_err(|e| ApiError::internal("encoding user", e))
        }
        SdkRequest::GetPurchases { user_id } => {
            let purchases = get_purchases(state, &user_id).await?;
            serde_json::to_value(purchases).map_err(|e| ApiError::internal("encoding purchases", e))
        }
    }
}

/// Turns the verified bytes into a request, naming the specific problem when it is not one.
fn parse_request(raw: &[u8]) -> Result<SdkRequest, ApiError> {
    let value: Value = serde_json::from_slice(raw).map_err(|e| {
        ApiError::bad_request("invalid_json", format!("Body is not valid JSON: {e}"))
    })?;
    let Some(obj) = value.as_object() else {
        return Err(ApiError::bad_request(
            "invalid_request",
            "Body must be a JSON object with an `action` field",
        ));
    };
    let action = match obj.get("action") {
        None => {
            return Err(ApiError::bad_request(
                "missing_action",
                "Missing `action` field",
            ));
        }
        Some(Value::String(a)) => a.clone(),
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_request",
                "`action` must be a string",
            ));
        }
    };
    serde_json::from_value::<SdkRequest>(value.clone()).map_err(|e| {
        // serde reports an unknown tag as "unknown variant `x`, expected ...".
        if e.to_string().starts_with("unknown variant") {
            return ApiError::bad_request("unknown_action", format!("Unknown action: {action}"));
        }
        if action == "lookupUser"
            && let Some(Value::String(raw_email)) = obj.get("email")
            && let Err(bad) = Email::parse(raw_email)
        {
            return ApiError::bad_request("invalid_email", bad.to_string());
        }
        ApiError::bad_request("invalid_request", format!("Invalid {action} request: {e}"))
    })
}

async fn lookup_user(state: &AppState, email: &Email) -> Result<Option<SdkUser>, ApiError> {
    let row = sqlx::query("SELECT id, email, name FROM users WHERE email = ?")
        .bind(email.as_str())
        .fetch_optional(&state.pool)
        .await
        .map_err(|e| ApiError::internal("looking up user", e))?;
    let Some(row) = row else { return Ok(None) };
    let read = |e: sqlx::Error| ApiError::internal("reading user row", e);
    let stored: String = row.try_get("email").map_err(read)?;
    Ok(Some(SdkUser {
        id: row.try_get("id").map_err(read)?,
        email: Email::parse(&stored).map_err(|e| ApiError::internal("stored email", e))?,
        name: row.try_get("name").map_err(read)?,
    }))
}

async fn get_purchases(state: &AppState, user_id: &str) -> Result<Vec<SdkPurchase>, ApiError> {
    let rows = sqlx::query(
        "SELECT p.id, p.product_id, pr.name AS product_name, p.amount_cents, p.currency, \
                p.purchased_at, p.status, p.stripe_charge_id \
         FROM purchases p JOIN products pr ON pr.id = p.product_id \
         WHERE p.user_id = ? \
         ORDER BY p.purchased_at DESC, p.id DESC",
    )
    .bind(user_id)
    .fetch_all(&state.pool)
    .await
    .map_err(|e| ApiError::internal("listing purchases", e))?;
    let read = |e: sqlx::Error| ApiError::internal("reading purchase row", e);
    rows.iter()
        .map(|row| {
            let amount: i64 = row.try_get("amount_cents").map_err(read)?;
            let currency: String = row.try_get("currency").map_err(read)?;
            Ok(SdkPurchase {
                id: row.try_get("id").map_err(read)?,
                product_id: row.try_get("product_id").map_err(read)?,
                product_name: row.try_get("product_name").map_err(read)?,
                amount: Money::new(amount, &currency)
                    .map_err(|e| ApiError::internal("stored currency", e))?,
                purchased_at: row.try_get("purchased_at").map_err(read)?,
                status: row.try_get("status").map_err(read)?,
                stripe_charge_id: row.try_get("stripe_charge_id").map_err(read)?,
            })
        })
        .collect()
}
