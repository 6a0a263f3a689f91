//! Inbound webhooks. Order at every edge: raw bytes → size (413, by the body limit) →
//! signature (401, generic body; the reason goes to the `security` log) → parse (400,
//! nothing stored) → dedupe + store event and outbox row in one transaction → 200.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use support_core::signing::front as front_sig;
use support_front::WebhookEvent;
use support_store::{Inbound, NewInboundEvent, now_ms};
use support_types::api::ErrorBody;

use crate::error::ApiError;
use crate::state::AppState;
use crate::worker::TOPIC_FRONT_EVENT;

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(ErrorBody {
            error: "unauthorized".into(),
            message: "invalid or missing signature".into(),
        }),
    )
        .into_response()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `POST /webhooks/front`: Front application webhooks, including the `x-front-challenge`
/// handshake (answered only after the signature checks out).
pub async fn front(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let secret = state.config.front.app_secret.expose().as_bytes();
    if secret.is_empty() {
        tracing::warn!(target: "security", source = "front", "webhook refused: front.app_secret is not configured");
        return unauthorized();
    }
    if let Err(reason) = front_sig::verify(
        header(&headers, front_sig::SIGNATURE_HEADER),
        header(&headers, front_sig::TIMESTAMP_HEADER),
        &body,
        &[secret],
        now_ms(),
    ) {
        tracing::warn!(target: "security", source = "front", %reason, "webhook signature rejected");
        return unauthorized();
    }
    if let Some(challenge) = header(&headers, front_sig::CHALLENGE_HEADER) {
        return Json(serde_json::json!({ "challenge": challenge })).into_response();
    }
    let event: WebhookEvent = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => {
            return ApiError::BadRequest(format!("malformed Front event: {e}")).into_response();
        }
    };
    if event.id.is_empty() {
        return ApiError::BadRequest("malformed Front event: empty id".into()).into_response();
    }
    // Valid UTF-8 is guaranteed: it parsed as JSON.
    let payload = String::from_utf8_lossy(&body).into_owned();
    let stored = state
        .store
        .record_inbound(
            &NewInboundEvent {
                source: "front".into(),
                dedupe_key: event.id.clone(),
                version: 1,
                event_type: event.kind.clone(),
                occurred_at: event.emitted_at_ms(),
                trust: "verified".into(),
                payload,
            },
            TOPIC_FRONT_EVENT,
        )
        .await;
    match stored {
        Ok(Inbound::Stored { event_id }) => {
            tracing::info!(front_event = %event.id, %event_id, kind = %event.kind, "front event stored");
            Json(serde_json::json!({ "status": "accepted", "event_id": event_id })).into_response()
        }
        Ok(Inbound::Duplicate) => {
            tracing::info!(front_event = %event.id, "duplicate front delivery acknowledged");
            Json(serde_json::json!({ "status": "duplicate" })).into_response()
        }
        // 503 so Front retries; nothing was half-written (one transaction).
        Err(e) => match ApiError::from(e) {
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "could not store front event");
                ApiError::Unavailable.into_response()
            }
            other => other.into_response(),
        },
    }
}
