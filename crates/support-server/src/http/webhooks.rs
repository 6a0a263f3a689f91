//! Inbound webhooks. The order at every edge: raw bytes → size (413, by the body limit) →
//! signature (401, one generic body; the reason goes to the `security` log without secrets)
//! → parse (400, nothing stored) → dedupe and store the event with its outbox row in one
//! (group-committed) transaction → 200. A storage failure is a 503 so the sender retries.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use support_front::WebhookEvent;
use support_signing::{self as signing, SignatureError, TOLERANCE_SECS};
use support_store::{Inbound, NewInboundEvent};
use support_types::api::ErrorBody;

use crate::config::live;
use crate::error::ApiError;
use crate::pipeline::topics::{
    TOPIC_APP, TOPIC_FRONT, TOPIC_SLACK, TOPIC_SLACK_INTERACTION, TOPIC_STRIPE, front_envelope,
};
use crate::state::AppState;

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

/// Logs why a request was refused (never the secret or the signature) and answers 401.
fn reject(source: &str, reason: &str) -> Response {
    tracing::warn!(target: "security", source, reason, "webhook refused");
    unauthorized()
}

fn refused(source: &str, e: SignatureError) -> Response {
    reject(source, e.reason_code())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn bad_request(what: &str, e: impl std::fmt::Display) -> Response {
    ApiError::BadRequest(format!("malformed {what}: {e}")).into_response()
}

/// Dedupes and stores a verified, parsed event; the shared tail of every route.
async fn store(state: &AppState, event: NewInboundEvent, topic: &str) -> Response {
    let (source, key) = (event.source.clone(), event.dedupe_key.clone());
    match state.ingest.submit(event, topic).await {
        Ok(Inbound::Stored { event_id }) => {
            tracing::info!(%source, dedupe_key = %key, %event_id, "event stored");
            Json(serde_json::json!({ "status": "accepted", "event_id": event_id })).into_response()
        }
        Ok(Inbound::Duplicate) => {
            tracing::info!(%source, dedupe_key = %key, "duplicate delivery acknowledged");
            Json(serde_json::json!({ "status": "duplicate" })).into_response()
        }
        Err(e) => {
            tracing::error!(%source, error = %e, "could not store event");
            ApiError::Unavailable.into_response()
        }
    }
}

/// Signatures cover the bytes as sent, and we do not decode content codings: a body labelled
/// with any coding but `identity` is refused (415) before it is read, rather than verified
/// and stored as if it were plain JSON.
pub async fn identity_encoding_only(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let coded = req
        .headers()
        .get_all(axum::http::header::CONTENT_ENCODING)
        .iter()
        .any(|v| {
            !v.to_str()
                .is_ok_and(|s| s.trim().eq_ignore_ascii_case("identity"))
        });
    if coded {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Json(ErrorBody {
                error: "unsupported_media_type".into(),
                message: "content codings are not accepted; send the body as is".into(),
            }),
        )
            .into_response();
    }
    next.run(req).await
}

/// A signed delivery that checked out: stored as version 1 with `verified` trust.
fn verified(
    source: String,
    dedupe_key: String,
    event_type: String,
    occurred_at: i64,
    payload: String,
) -> NewInboundEvent {
    NewInboundEvent {
        source,
        dedupe_key,
        version: 1,
        event_type,
        occurred_at,
        trust: "verified".into(),
        payload,
    }
}

fn utf8(body: &Bytes) -> String {
    // Only called after the body parsed as JSON, which guarantees UTF-8.
    String::from_utf8_lossy(body).into_owned()
}

/// `POST /webhooks/front`: Front application webhooks (HMAC-SHA256, millisecond timestamp)
/// including the `x-front-challenge` handshake, answered only after verification; and Front
/// rule webhooks (HMAC-SHA1, no timestamp) for apps that opted in, stored as lower trust.
pub async fn front(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = header(&headers, signing::front::SIGNATURE_HEADER);
    let timestamp = header(&headers, signing::front::TIMESTAMP_HEADER);
    if signature.is_some() && timestamp.is_none() {
        return front_rule(state, signature, body).await;
    }
    let secret = state.config.front.app_secret.expose().as_bytes();
    if secret.is_empty() {
        return reject("front", "not_configured");
    }
    if let Err(e) =
        signing::front::verify(signature, timestamp, &body, &[secret], state.clock.now_ms())
    {
        return refused("front", e);
    }
    if let Some(challenge) = header(&headers, signing::front::CHALLENGE_HEADER) {
        return Json(serde_json::json!({ "challenge": challenge })).into_response();
    }
    let event: WebhookEvent = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => return bad_request("Front event", e),
    };
    if event.id.is_empty() {
        return bad_request("Front event", "empty id");
    }
    store(
        &state,
        front_envelope(&event, "verified", utf8(&body)),
        TOPIC_FRONT,
    )
    .await
}

async fn front_rule(state: AppState, signature: Option<&str>, body: Bytes) -> Response {
    let secret = state.config.front.api_secret.expose().as_bytes();
    if secret.is_empty() {
        return reject("front_rule", "not_configured");
    }
    if let Err(e) = signing::front::verify_rule(signature, &body, &[secret]) {
        return refused("front_rule", e);
    }
    let event: WebhookEvent = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => return bad_request("Front event", e),
    };
    if event.id.is_empty() {
        return bad_request("Front event", "empty id");
    }
    // Rule webhooks carry no timestamp, so a captured one replays forever: accept them only
    // for apps that asked for it, dedupe by event id, and mark them lower trust.
    let mut allowed = false;
    for inbox in event.inbox_ids() {
        match state.store.app_for_inbox(&inbox).await {
            Ok(Some(app)) if app.front_rule_webhooks => allowed = true,
            Ok(_) => {}
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    if !allowed {
        tracing::warn!(target: "security", source = "front_rule", event = %event.id, "rule webhook for an inbox whose app has not enabled them");
        return (
            StatusCode::FORBIDDEN,
            Json(ErrorBody {
                error: "forbidden".into(),
                message: "rule webhooks are not enabled for this inbox's app".into(),
            }),
        )
            .into_response();
    }
    store(
        &state,
        front_envelope(&event, "low", utf8(&body)),
        TOPIC_FRONT,
    )
    .await
}

#[derive(Deserialize)]
struct StripeEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    created: i64,
}

/// `POST /webhooks/stripe`: Stripe (Connect) events, verified with this endpoint's own
/// secret, never with anything named in the payload.
pub async fn stripe(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let stripe = &state.config.stripe;
    let secrets = live(&stripe.webhook_secret, &stripe.previous_webhook_secret);
    if secrets.is_empty() {
        return reject("stripe", "not_configured");
    }
    if let Err(e) = signing::stripe::verify(
        header(&headers, signing::stripe::HEADER),
        &body,
        &secrets,
        state.clock.now_secs(),
        TOLERANCE_SECS,
    ) {
        return refused("stripe", e);
    }
    let event: StripeEvent = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => return bad_request("Stripe event", e),
    };
    if !event.id.starts_with("evt_") || event.kind.is_empty() {
        return bad_request("Stripe event", "id must be evt_… and type non-empty");
    }
    let envelope = verified(
        "stripe".into(),
        event.id,
        event.kind,
        event.created.saturating_mul(1000),
        utf8(&body),
    );
    store(&state, envelope, TOPIC_STRIPE).await
}

#[derive(Deserialize)]
struct SlackEnvelope {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    challenge: Option<String>,
    #[serde(default)]
    event_id: Option<String>,
    #[serde(default)]
    event_time: Option<i64>,
    #[serde(default)]
    event: Option<serde_json::Value>,
}

/// Checks a Slack request against the current and the previous signing secret; `Some`
/// holds the 401 to answer when it fails.
fn slack_refusal(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Option<Response> {
    let slack = &state.config.slack;
    let secrets = live(&slack.signing_secret, &slack.previous_signing_secret);
    if secrets.is_empty() {
        return Some(reject("slack", "not_configured"));
    }
    signing::slack::verify(
        header(headers, signing::slack::SIGNATURE_HEADER),
        header(headers, signing::slack::TIMESTAMP_HEADER),
        body,
        &secrets,
        state.clock.now_secs(),
        TOLERANCE_SECS,
    )
    .err()
    .map(|e| refused("slack", e))
}

/// `POST /webhooks/slack/events`: the Events API. `url_verification` is echoed after the
/// signature checks out; an `event_callback` is deduped on `event_id`, so Slack's retries
/// (`X-Slack-Retry-Num`) are acknowledged without being processed again.
pub async fn slack_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = slack_refusal(&state, &headers, &body) {
        return refusal;
    }
    let env: SlackEnvelope = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => return bad_request("Slack event", e),
    };
    match env.kind.as_str() {
        "url_verification" => match env.challenge {
            Some(c) => Json(serde_json::json!({ "challenge": c })).into_response(),
            None => bad_request("Slack url_verification", "no challenge"),
        },
        "event_callback" => {
            let Some(event_id) = env.event_id.filter(|i| !i.is_empty()) else {
                return bad_request("Slack event", "no event_id");
            };
            let retry = header(&headers, "x-slack-retry-num");
            if let Some(n) = retry {
                tracing::info!(%event_id, retry = n, reason = header(&headers, "x-slack-retry-reason").unwrap_or("-"), "slack retry");
            }
            let event_type = env
                .event
                .as_ref()
                .and_then(|e| e.get("type"))
                .and_then(|t| t.as_str())
                .unwrap_or("unknown")
                .to_owned();
            let envelope = verified(
                "slack".into(),
                event_id,
                event_type,
                env.event_time.unwrap_or(0).saturating_mul(1000),
                utf8(&body),
            );
            store(&state, envelope, TOPIC_SLACK).await
        }
        other => {
            tracing::info!(kind = other, "slack envelope type acknowledged and ignored");
            Json(serde_json::json!({ "status": "ignored" })).into_response()
        }
    }
}

/// The envelope product apps send: `{"id", "type", "occurredAt", "data"}`.
#[derive(Deserialize)]
struct AppEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, rename = "occurredAt")]
    occurred_at: Option<serde_json::Value>,
}

/// `occurredAt` as RFC 3339 or Unix seconds/milliseconds.
fn occurred_at_ms(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(|x| if x < 100_000_000_000 { x * 1000 } else { x }),
        serde_json::Value::String(s) => {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .ok()
                .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        }
        _ => None,
    }
}

/// `POST /webhooks/app/{slug}`: events reported by a product app, signed with
/// `x-support-signature` under the app's current or still-in-grace secret. Unknown event
/// types are stored and acknowledged so apps can evolve ahead of the platform.
pub async fn app(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let app = match state.store.app_by_slug(&slug).await {
        Ok(Some(a)) => a,
        // No secret to verify with: the same answer as a bad signature (no slug oracle).
        Ok(None) => return reject("app", "unknown_app"),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let now_ms = state.clock.now_ms();
    let secrets = match state.secrets.signing_secrets(&app.id, now_ms).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(app = %slug, error = %e, "app secrets unavailable");
            return ApiError::Unavailable.into_response();
        }
    };
    if secrets.is_empty() {
        return reject("app", "no_live_secret");
    }
    let refs: Vec<&[u8]> = secrets.iter().map(|s| s.as_slice()).collect();
    if let Err(e) = signing::support::verify(
        header(&headers, signing::support::HEADER),
        &body,
        &refs,
        now_ms.div_euclid(1000),
        TOLERANCE_SECS,
    ) {
        return refused("app", e);
    }
    let event: AppEvent = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => return bad_request("app event", e),
    };
    if event.id.is_empty() || event.id.len() > 200 || event.kind.is_empty() {
        return bad_request("app event", "id (1-200 chars) and type are required");
    }
    let occurred_at = match &event.occurred_at {
        None => now_ms,
        Some(v) => match occurred_at_ms(v) {
            Some(t) => t,
            None => return bad_request("app event", "occurredAt must be RFC 3339 or Unix time"),
        },
    };
    let envelope = verified(
        format!("app:{slug}"),
        event.id,
        event.kind,
        occurred_at,
        utf8(&body),
    );
    store(&state, envelope, TOPIC_APP).await
}

/// The interaction payload fields that identify one click or submission.
#[derive(Deserialize)]
struct SlackInteraction {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    trigger_id: Option<String>,
    #[serde(default)]
    actions: Vec<SlackAction>,
    #[serde(default)]
    view: Option<SlackView>,
}

#[derive(Deserialize)]
struct SlackAction {
    #[serde(default)]
    action_ts: Option<String>,
    #[serde(default)]
    action_id: Option<String>,
}

#[derive(Deserialize)]
struct SlackView {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    hash: Option<String>,
}

impl SlackInteraction {
    /// One delivery of one human action: Slack sends a fresh `trigger_id` per click and an
    /// `action_ts` per action, so a byte-identical replay maps to the same key.
    fn dedupe_key(&self) -> Option<String> {
        let action = self.actions.first();
        let parts = [
            Some(self.kind.as_str()),
            self.trigger_id.as_deref(),
            action.and_then(|a| a.action_id.as_deref()),
            action.and_then(|a| a.action_ts.as_deref()),
            self.view.as_ref().and_then(|v| v.id.as_deref()),
            self.view.as_ref().and_then(|v| v.hash.as_deref()),
        ];
        let key: Vec<&str> = parts.iter().map(|p| p.unwrap_or("")).collect();
        (self.trigger_id.is_some() || action.is_some_and(|a| a.action_ts.is_some()))
            .then(|| key.join(":"))
    }
}

/// `POST /webhooks/slack/interactions`: button clicks and modal submissions, form-encoded
/// as `payload=<json>`. Verified on the raw bytes, then deduplicated: a replay inside the
/// signature window is acknowledged (so Slack shows no error), changes nothing, and is
/// noted in the audit log.
pub async fn slack_interactions(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = slack_refusal(&state, &headers, &body) {
        return refusal;
    }
    let Some(payload) = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v.into_owned())
    else {
        return bad_request("Slack interaction", "no payload field");
    };
    let interaction: SlackInteraction = match serde_json::from_str(&payload) {
        Ok(i) => i,
        Err(e) => return bad_request("Slack interaction", e),
    };
    let Some(key) = interaction.dedupe_key() else {
        return bad_request("Slack interaction", "no trigger_id or action_ts");
    };
    let envelope = verified(
        "slack".into(),
        format!("interaction:{key}"),
        interaction.kind.clone(),
        state.clock.now_ms(),
        payload,
    );
    match state.ingest.submit(envelope, TOPIC_SLACK_INTERACTION).await {
        Ok(Inbound::Stored { event_id }) => {
            tracing::info!(%event_id, kind = %interaction.kind, "slack interaction stored");
            StatusCode::OK.into_response()
        }
        Ok(Inbound::Duplicate) => {
            let noted = state
                .store
                .append_audit(&support_store::NewAuditEntry {
                    actor: "slack".into(),
                    action: "slack.interaction.duplicate_ignored".into(),
                    subject: format!("slack:{}", interaction.kind),
                    trace_id: None,
                    data: serde_json::json!({ "dedupe_key": key }),
                })
                .await;
            if let Err(e) = noted {
                tracing::error!(error = %e, "could not audit a duplicate slack interaction");
            }
            StatusCode::OK.into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "could not store slack interaction");
            ApiError::Unavailable.into_response()
        }
    }
}
