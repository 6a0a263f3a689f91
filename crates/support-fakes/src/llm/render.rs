//! Replies in each wire format: tool calls, text, errors, token counts.

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::server::{mixed_id, now_secs};

use super::*;

// ---------------------------------------------------------------------------------------
// Rendering.

fn json_response(status: StatusCode, body: String) -> Response {
    let mut resp = (status, [(CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&mixed_id("req", 24)) {
        resp.headers_mut()
            .insert(HeaderName::from_static("request-id"), v);
    }
    resp
}

/// The provider's error body: Anthropic `{"type":"error","error":{"type","message"}}`,
/// OpenAI `{"error":{"message","type","param","code"}}`.
pub(super) fn error_response(
    format: LlmWireFormat,
    status: StatusCode,
    kind: &str,
    code: Option<&str>,
    message: &str,
) -> Response {
    let body = match format {
        LlmWireFormat::Anthropic => {
            json!({"type": "error", "error": {"type": kind, "message": message}})
        }
        LlmWireFormat::OpenAi => {
            json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
        }
    };
    json_response(status, body.to_string())
}

/// Rough token count (4 bytes a token), never 0.
fn tokens(bytes: usize) -> u64 {
    u64::try_from(bytes / 4).unwrap_or(u64::MAX).max(1)
}

/// A tool call on the wire: `arguments` is the object, or the raw text for a malformed one.
enum WireArgs {
    Object(Value),
    Raw(String),
}

pub(super) fn render(
    format: LlmWireFormat,
    req: &LlmRequest,
    reply: FakeLlmReply,
    in_bytes: usize,
) -> Response {
    let (text, calls, stop): (Option<String>, Vec<(String, WireArgs)>, &str) = match reply {
        FakeLlmReply::Text(t) => (Some(t), vec![], "end"),
        FakeLlmReply::MaxTokens(t) => (Some(t), vec![], "max"),
        FakeLlmReply::ToolCall { name, arguments } => {
            (None, vec![(name, WireArgs::Object(arguments))], "tool")
        }
        FakeLlmReply::ToolCalls { text, calls } => (
            text,
            calls
                .into_iter()
                .map(|c| (c.name, WireArgs::Object(c.arguments)))
                .collect(),
            "tool",
        ),
        FakeLlmReply::MalformedArguments { name, raw } => {
            (None, vec![(name, WireArgs::Raw(raw))], "tool")
        }
        FakeLlmReply::ServerError => {
            let message = match format {
                LlmWireFormat::Anthropic => "Internal server error",
                LlmWireFormat::OpenAi => {
                    "The server had an error while processing your request. Sorry about that!"
                }
            };
            let kind = match format {
                LlmWireFormat::Anthropic => "api_error",
                LlmWireFormat::OpenAi => "server_error",
            };
            return error_response(
                format,
                StatusCode::INTERNAL_SERVER_ERROR,
                kind,
                None,
                message,
            );
        }
        FakeLlmReply::Overloaded => {
            return match format {
                LlmWireFormat::Anthropic => error_response(
                    format,
                    StatusCode::from_u16(529).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
                    "overloaded_error",
                    None,
                    "Overloaded",
                ),
                LlmWireFormat::OpenAi => error_response(
                    format,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "server_error",
                    None,
                    "The engine is currently overloaded, please try again later.",
                ),
            };
        }
        FakeLlmReply::RateLimited { retry_after_secs } => {
            let mut resp = match format {
                LlmWireFormat::Anthropic => error_response(
                    format,
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit_error",
                    None,
                    "Number of request tokens has exceeded your per-minute rate limit.",
                ),
                LlmWireFormat::OpenAi => error_response(
                    format,
                    StatusCode::TOO_MANY_REQUESTS,
                    "requests",
                    Some("rate_limit_exceeded"),
                    "Rate limit reached for requests. Please try again later.",
                ),
            };
            if let Some(secs) = retry_after_secs
                && let Ok(v) = HeaderValue::from_str(&secs.to_string())
            {
                resp.headers_mut()
                    .insert(HeaderName::from_static("retry-after"), v);
            }
            return resp;
        }
        FakeLlmReply::Error {
            status,
            kind,
            message,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return error_response(format, status, &kind, None, &message);
        }
        FakeLlmReply::Raw { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return json_response(status, body);
        }
        // Unwrapped by the caller; kept total for the compiler.
        FakeLlmReply::Delay { then, .. } => return render(format, req, *then, in_bytes),
    };
    let model = req.model().unwrap_or("fake-model").to_owned();
    let out_bytes = text.as_ref().map_or(0, String::len)
        + calls
            .iter()
            .map(|(n, a)| {
                n.len()
                    + match a {
                        WireArgs::Object(v) => v.to_string().len(),
                        WireArgs::Raw(r) => r.len(),
                    }
            })
            .sum::<usize>();
    let (input_tokens, output_tokens) = (tokens(in_bytes), tokens(out_bytes));
    let body = match format {
        LlmWireFormat::Anthropic => {
            let mut content: Vec<Value> = Vec::new();
            if let Some(t) = &text {
                content.push(json!({"type": "text", "text": t}));
            }
            for (name, args) in calls {
                let input = match args {
                    WireArgs::Object(v) => v,
                    WireArgs::Raw(r) => serde_json::from_str(&r).unwrap_or(Value::String(r)),
                };
                content.push(json!({
                    "type": "tool_use", "id": mixed_id("toolu", 24), "name": name, "input": input,
                }));
            }
            let stop_reason = match stop {
                "tool" => "tool_use",
                "max" => "max_tokens",
                _ => "end_turn",
            };
            json!({
                "id": mixed_id("msg", 24),
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": content,
                "stop_reason": stop_reason,
                "stop_sequence": null,
                "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
            })
        }
        LlmWireFormat::OpenAi => {
            let mut message = Map::new();
            message.insert("role".into(), json!("assistant"));
            message.insert("content".into(), json!(text));
            if !calls.is_empty() {
                let wire: Vec<Value> = calls
                    .into_iter()
                    .map(|(name, args)| {
                        let arguments = match args {
                            WireArgs::Object(v) => v.to_string(),
                            WireArgs::Raw(r) => r,
                        };
                        json!({
                            "id": mixed_id("call", 24),
                            "type": "function",
                            "function": {"name": name, "arguments": arguments},
                        })
                    })
                    .collect();
                message.insert("tool_calls".into(), Value::Array(wire));
            }
            let finish_reason = match stop {
                "tool" => "tool_calls",
                "max" => "length",
                _ => "stop",
            };
            json!({
                "id": format!("chatcmpl-{}", &mixed_id("x", 29)[2..]),
                "object": "chat.completion",
                "created": now_secs(),
                "model": model,
                "choices": [{
                    "index": 0,
                    "message": Value::Object(message),
                    "logprobs": null,
                    "finish_reason": finish_reason,
                }],
                "usage": {
                    "prompt_tokens": input_tokens,
                    "completion_tokens": output_tokens,
                    "total_tokens": input_tokens + output_tokens,
                },
            })
        }
    };
    json_response(StatusCode::OK, body.to_string())
}
