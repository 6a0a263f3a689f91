//! `POST /api/support`, the one signed route the platform calls. Order matters: size first
//! (cheap, bounds memory), then the signature over the raw bytes (nothing unauthenticated is
//! parsed), then JSON, then the app's code.

use std::pin::Pin;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{Body, HttpBody as _};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize as _, Serialize};
use serde_json::Value;
use support_signing::{SignatureError, TOLERANCE_SECS, support};
use support_types::Email;
use support_types::api::ErrorBody;
use support_types::sdk::{SdkMethod, SdkRequest, error_code};

use crate::integration::{IntegrationError, SupportIntegration};

/// Requests are tiny JSON objects; anything bigger is a mistake or an attack.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Where [`support_routes`] mounts the route.
pub const SUPPORT_PATH: &str = "/api/support";

struct RouteState<I: ?Sized> {
    integration: Arc<I>,
    /// Current first, then previous ones, so a rotation never rejects the old secret while
    /// the platform catches up.
    secrets: Vec<Vec<u8>>,
}

/// A router serving `POST /api/support` for `integration`, accepting requests signed with any
/// of `secrets` (current first, then previous). Empty secrets are ignored: an empty HMAC key
/// would let anyone sign. Merge it into the app's own router.
pub fn support_routes<I: SupportIntegration + 'static>(
    integration: Arc<I>,
    secrets: Vec<String>,
) -> Router {
    let secrets: Vec<Vec<u8>> = secrets
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(String::into_bytes)
        .collect();
    if secrets.is_empty() {
        tracing::error!("support route has no signing secret: every request will be refused");
    }
    let state = Arc::new(RouteState {
        integration,
        secrets,
    });
    Router::new()
        .route(SUPPORT_PATH, post(handle::<I>))
        .with_state(state)
}

/// A refusal: `{"error": code, "message": text}` with a status.
#[derive(Debug)]
struct RouteError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl RouteError {
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

    /// The caller only learns that something failed; the details go to the app's log.
    fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            error_code::INTERNAL,
            "Internal error; see the app's logs",
        )
    }
}

impl IntoResponse for RouteError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code.to_owned(),
            message: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

fn signature_error(err: SignatureError) -> RouteError {
    let (code, message) = match err {
        SignatureError::MissingHeader => (
            error_code::MISSING_SIGNATURE,
            format!("Missing {} header", support::HEADER),
        ),
        SignatureError::MalformedHeader
        | SignatureError::NoV1Signature
        | SignatureError::UnsupportedVersion => (
            error_code::MALFORMED_SIGNATURE,
            format!(
                "Malformed {} header: expected t=<unix seconds>,v1=<hex>",
                support::HEADER
            ),
        ),
        SignatureError::TimestampTooOld => (
            error_code::SIGNATURE_EXPIRED,
            format!(
                "Signature expired: timestamp is more than {TOLERANCE_SECS} s old; sign each request when sending it"
            ),
        ),
        SignatureError::TimestampTooNew => (
            error_code::SIGNATURE_EXPIRED,
            format!(
                "Signature not yet valid: timestamp is more than {TOLERANCE_SECS} s in the future; check the sender's clock"
            ),
        ),
        SignatureError::Mismatch => (
            error_code::INVALID_SIGNATURE,
            "Signature does not match any configured secret".to_owned(),
        ),
    };
    tracing::warn!(
        reason = err.reason_code(),
        "support route: request signature refused"
    );
    RouteError::new(StatusCode::UNAUTHORIZED, code, message)
}

fn too_large() -> RouteError {
    RouteError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        error_code::BODY_TOO_LARGE,
        format!("Request body exceeds {MAX_BODY_BYTES} bytes"),
    )
}

/// Reads the body but stops at [`MAX_BODY_BYTES`], so an oversized or endless body costs at
/// most that much memory. `None` means too large.
async fn read_limited(mut body: Body) -> Result<Option<Vec<u8>>, RouteError> {
    let mut buf = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| {
            RouteError::bad_request(
                error_code::UNREADABLE_BODY,
                format!("Could not read body: {e}"),
            )
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

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

async fn handle<I: SupportIntegration + 'static>(
    State(state): State<Arc<RouteState<I>>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match handle_inner(&state, &headers, body).await {
        Ok(json) => (StatusCode::OK, Json(json)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn handle_inner<I: SupportIntegration + 'static>(
    state: &RouteState<I>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Value, RouteError> {
    let declared_too_large = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > MAX_BODY_BYTES as u64);
    if declared_too_large {
        return Err(too_large());
    }
    let raw = read_limited(body).await?.ok_or_else(too_large)?;

    // A header that is not visible ASCII cannot be a valid signature; treat it as malformed
    // rather than missing so the sender is told the right thing.
    let signature = match headers.get(support::HEADER) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| signature_error(SignatureError::MalformedHeader))?,
        ),
    };
    let secrets: Vec<&[u8]> = state.secrets.iter().map(Vec::as_slice).collect();
    support::verify(signature, &raw, &secrets, now_unix(), TOLERANCE_SECS)
        .map_err(signature_error)?;

    let request = parse_request(&raw)?;
    let method = request.method();
    // Run the app's code on its own task: a panic becomes a 500 instead of a dropped
    // connection, and a caller hanging up mid-write cannot cancel the write half-way.
    let integration = Arc::clone(&state.integration);
    let outcome = tokio::spawn(async move { dispatch(integration.as_ref(), request).await }).await;
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(integration_error(method, err)),
        Err(join) => {
            tracing::error!(%method, error = %join, "support route: the integration panicked");
            Err(RouteError::internal())
        }
    }
}

fn integration_error(method: SdkMethod, err: IntegrationError) -> RouteError {
    match err {
        IntegrationError::NotImplemented => RouteError::new(
            StatusCode::NOT_IMPLEMENTED,
            error_code::NOT_IMPLEMENTED,
            format!("Method not implemented: {method}"),
        ),
        IntegrationError::NotFound(message) => {
            RouteError::new(StatusCode::NOT_FOUND, error_code::NOT_FOUND, message)
        }
        IntegrationError::InvalidRequest(message) => {
            RouteError::bad_request(error_code::INVALID_REQUEST, message)
        }
        IntegrationError::Conflict(message) => {
            RouteError::new(StatusCode::CONFLICT, error_code::CONFLICT, message)
        }
        IntegrationError::Internal(source) => {
            tracing::error!(%method, error = %error_chain(source.as_ref()), "support route: the integration failed");
            RouteError::internal()
        }
    }
}

/// `e` and its sources, `: `-joined, for the log.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

fn to_json<T: Serialize>(value: T) -> Result<Value, IntegrationError> {
    serde_json::to_value(value).map_err(IntegrationError::internal)
}

async fn dispatch<I: SupportIntegration + ?Sized>(
    app: &I,
    request: SdkRequest,
) -> Result<Value, IntegrationError> {
    match request {
        SdkRequest::LookupUser { email } => to_json(app.lookup_user(&email).await?),
        SdkRequest::GetPurchases { user_id } => to_json(app.get_purchases(&user_id).await?),
        SdkRequest::RevokeAccess {
            purchase_id,
            reason,
            refund_id,
        } => to_json(app.revoke_access(&purchase_id, &reason, &refund_id).await?),
        SdkRequest::TransferPurchase {
            purchase_id,
            from_user_id,
            to_email,
        } => to_json(
            app.transfer_purchase(&purchase_id, &from_user_id, &to_email)
                .await?,
        ),
        SdkRequest::GenerateMagicLink { email, expires_in } => {
            to_json(app.generate_magic_link(&email, expires_in).await?)
        }
        SdkRequest::GetSubscriptions { user_id } => to_json(app.get_subscriptions(&user_id).await?),
        SdkRequest::UpdateEmail { user_id, new_email } => {
            to_json(app.update_email(&user_id, &new_email).await?)
        }
        SdkRequest::UpdateName { user_id, name } => {
            to_json(app.update_name(&user_id, &name).await?)
        }
        SdkRequest::GetClaimedSeats { bulk_coupon_id } => {
            to_json(app.get_claimed_seats(&bulk_coupon_id).await?)
        }
        SdkRequest::SearchContent { query } => to_json(app.search_content(&query).await?),
        SdkRequest::GetRefundPolicy => to_json(app.get_refund_policy().await?),
    }
}

/// The request fields that carry an email address, whatever the action.
const EMAIL_FIELDS: [&str; 3] = ["email", "toEmail", "newEmail"];

/// Turns the verified bytes into a request, naming the specific problem when it is not one.
fn parse_request(raw: &[u8]) -> Result<SdkRequest, RouteError> {
    let value: Value = serde_json::from_slice(raw).map_err(|e| {
        RouteError::bad_request(
            error_code::INVALID_JSON,
            format!("Body is not valid JSON: {e}"),
        )
    })?;
    let Some(obj) = value.as_object() else {
        return Err(RouteError::bad_request(
            error_code::INVALID_REQUEST,
            "Body must be a JSON object with an `action` field",
        ));
    };
    let action = match obj.get("action") {
        None => {
            return Err(RouteError::bad_request(
                error_code::MISSING_ACTION,
                "Missing `action` field",
            ));
        }
        Some(Value::String(a)) => a.as_str(),
        Some(_) => {
            return Err(RouteError::bad_request(
                error_code::INVALID_REQUEST,
                "`action` must be a string",
            ));
        }
    };
    if SdkMethod::from_name(action).is_none() {
        return Err(RouteError::bad_request(
            error_code::UNKNOWN_ACTION,
            format!("Unknown action: {action}"),
        ));
    }
    // Deserializing from a borrowed `Value` keeps `obj` usable for the error message.
    SdkRequest::deserialize(&value).map_err(|e| {
        for field in EMAIL_FIELDS {
            if let Some(Value::String(raw_email)) = obj.get(field)
                && let Err(bad) = Email::parse(raw_email)
            {
                return RouteError::bad_request(error_code::INVALID_EMAIL, bad.to_string());
            }
        }
        RouteError::bad_request(
            error_code::INVALID_REQUEST,
            format!("Invalid {action} request: {e}"),
        )
    })
}
