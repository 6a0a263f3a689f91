//! The HTTP layer: the two endpoints, the reply queue or responder, and auth per wire format.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use crate::server::{bearer, header_str, lock};

use super::*;

// ---------------------------------------------------------------------------------------
// Handlers.

type St = State<Arc<LlmShared>>;

pub(super) async fn anthropic_messages(State(s): St, headers: HeaderMap, body: Bytes) -> Response {
    handle(&s, LlmWireFormat::Anthropic, &headers, &body).await
}

pub(super) async fn openai_completions(State(s): St, headers: HeaderMap, body: Bytes) -> Response {
    handle(&s, LlmWireFormat::OpenAi, &headers, &body).await
}

pub(super) async fn fallback() -> Response {
    error_response(
        LlmWireFormat::Anthropic,
        StatusCode::NOT_FOUND,
        "not_found_error",
        None,
        "Not found",
    )
}

pub(super) async fn handle(
    s: &LlmShared,
    format: LlmWireFormat,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let request = LlmRequest {
        format,
        body: parsed,
    };
    lock(&s.data).requests.push(request.clone());

    if let Some(resp) = check_auth(s, format, headers) {
        return resp;
    }
    let invalid = |message: String| {
        error_response(
            format,
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            &message,
        )
    };
    if format == LlmWireFormat::Anthropic
        && header_str(headers, "anthropic-version").is_none_or(|v| v.trim().is_empty())
    {
        return invalid("anthropic-version: header is required".to_owned());
    }
    if !request.body.is_object() {
        return invalid("The request body is not valid JSON.".to_owned());
    }
    let checked = match format {
        LlmWireFormat::Anthropic => check_anthropic(&request.body),
        LlmWireFormat::OpenAi => check_openai(&request.body),
    };
    if let Err(message) = checked {
        return invalid(message);
    }

    let (scripted, responder) = {
        let mut d = lock(&s.data);
        (d.replies.pop_front(), d.responder.clone())
    };
    // The responder runs without the lock, so it may call back into the fake.
    let mut reply = match (scripted, responder) {
        (Some(r), _) => r,
        (None, Some(f)) => f(&request),
        (None, None) => FakeLlmReply::Text(DEFAULT_REPLY.to_owned()),
    };
    while let FakeLlmReply::Delay { delay, then } = reply {
        tokio::time::sleep(delay).await;
        reply = *then;
    }
    render(format, &request, reply, body.len())
}

/// `None` when the request may pass; else the provider's 401.
fn check_auth(s: &LlmShared, format: LlmWireFormat, headers: &HeaderMap) -> Option<Response> {
    let key = s.key.as_deref()?;
    let (sent, missing, wrong) = match format {
        LlmWireFormat::Anthropic => (
            header_str(headers, "x-api-key"),
            "x-api-key header is required",
            "invalid x-api-key",
        ),
        LlmWireFormat::OpenAi => (
            bearer(headers),
            "You didn't provide an API key. You need to provide your API key in an \
             Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            "Incorrect API key provided.",
        ),
    };
    let message = match sent {
        Some(k) if k == key => return None,
        Some(_) => wrong,
        None => missing,
    };
    let (kind, code) = match format {
        LlmWireFormat::Anthropic => ("authentication_error", None),
        LlmWireFormat::OpenAi => ("invalid_request_error", Some("invalid_api_key")),
    };
    Some(error_response(
        format,
        StatusCode::UNAUTHORIZED,
        kind,
        code,
        message,
    ))
}
