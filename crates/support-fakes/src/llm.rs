//! A fake LLM provider speaking both wire formats the platform's LLM clients use:
//! Anthropic Messages at `POST /v1/messages` and OpenAI-compatible Chat Completions at
//! `POST /v1/chat/completions`, so the LLM brain runs on loopback with no account and no
//! model.
//!
//! What it answers comes from, in order: a FIFO queue of scripted [`FakeLlmReply`]s (each
//! request consumes one, whatever its format), a responder closure that computes the reply
//! from the request, or a fixed text. Replies cover the cases a client must survive: a tool
//! call, plain text, arguments that are not JSON, 500, 429 with `Retry-After`, 529
//! overloaded, and a delay longer than the client's timeout.
//!
//! Like the real APIs it refuses requests a client should never send, with the provider's
//! error shape: a missing or wrong key (when one is configured), a missing
//! `anthropic-version`, unknown top-level fields, malformed tools or `tool_choice`, and tool
//! results that do not answer the tool calls of the turn before. So a client bug in the
//! multi-turn wire format fails a test here instead of in production.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

use crate::server::{
    self, RequestLog, RequestRecord, Running, bearer, header_str, lock, mixed_id, now_secs,
};

/// The `anthropic-version` the fake expects (any non-empty value is accepted, as the
/// platform pins this one).
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Settings for [`FakeLlm::start`].
#[derive(Debug, Clone)]
pub struct FakeLlmConfig {
    /// Where to listen; the default `127.0.0.1:0` picks a free loopback port.
    pub bind: SocketAddr,
    /// When set, requests must carry it (`x-api-key` on `/v1/messages`, `Authorization:
    /// Bearer` on `/v1/chat/completions`) or get a 401. `None` (the default) accepts any or
    /// no key, like a local llama.cpp or Ollama server.
    pub api_key: Option<String>,
}

impl Default for FakeLlmConfig {
    fn default() -> Self {
        FakeLlmConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: None,
        }
    }
}

/// Which wire format a request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LlmWireFormat {
    /// `POST /v1/messages`.
    Anthropic,
    /// `POST /v1/chat/completions`.
    OpenAi,
}

/// One tool call in a scripted reply.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeToolCall {
    pub name: String,
    pub arguments: Value,
}

/// What the fake answers to one request. Rendered in the format of the endpoint that got it.
#[derive(Debug, Clone, PartialEq)]
pub enum FakeLlmReply {
    /// A text answer (`end_turn` / `stop`).
    Text(String),
    /// One tool call (`tool_use` / `tool_calls`).
    ToolCall { name: String, arguments: Value },
    /// Optional text, then several tool calls (a parallel call).
    ToolCalls {
        text: Option<String>,
        calls: Vec<FakeToolCall>,
    },
    /// Text cut off by `max_tokens` (`max_tokens` / `length`).
    MaxTokens(String),
    /// A tool call whose arguments are `raw` verbatim: OpenAI's `arguments` string; for
    /// Anthropic, `input` is `raw` parsed if it is JSON and the string itself if not (either
    /// way, not the object a client expects when `raw` is not an object).
    MalformedArguments { name: String, raw: String },
    /// `500` (`api_error` / `server_error`).
    ServerError,
    /// `429` with `retry-after: <secs>` when given.
    RateLimited { retry_after_secs: Option<u64> },
    /// Anthropic: `529 overloaded_error`. OpenAI has no 529; there it is `503` "engine
    /// overloaded", which is what OpenAI sends.
    Overloaded,
    /// Any error status with the provider's error body (`kind` is the error `type`).
    Error {
        status: u16,
        kind: String,
        message: String,
    },
    /// Exactly this status and body (`content-type: application/json`).
    Raw { status: u16, body: String },
    /// Wait, then answer with `then`. Longer than the client's timeout, it makes a timeout.
    Delay {
        delay: Duration,
        then: Box<FakeLlmReply>,
    },
}

impl FakeLlmReply {
    /// A tool call with these arguments.
    pub fn tool_call(name: impl Into<String>, arguments: Value) -> Self {
        FakeLlmReply::ToolCall {
            name: name.into(),
            arguments,
        }
    }

    /// A text reply.
    pub fn text(text: impl Into<String>) -> Self {
        FakeLlmReply::Text(text.into())
    }

    /// `reply` after `delay`.
    pub fn delayed(delay: Duration, reply: FakeLlmReply) -> Self {
        FakeLlmReply::Delay {
            delay,
            then: Box::new(reply),
        }
    }
}

/// The text answered when nothing is scripted and no responder is set.
pub const DEFAULT_REPLY: &str = "This is the fake LLM. Nothing was scripted for this request.";

/// One request as the fake received it, in arrival order (unauthorized and invalid ones
/// included), with its body parsed (`Value::Null` if it was not JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct LlmRequest {
    pub format: LlmWireFormat,
    pub body: Value,
}

/// Text of an Anthropic `content` (a string or blocks) or an OpenAI `content` (a string or
/// parts): the `text` parts joined, tool results left out.
fn text_of(content: &Value) -> Option<String> {
    let text = match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

impl LlmRequest {
    fn messages(&self) -> &[Value] {
        self.body
            .get("messages")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// The `model` field.
    pub fn model(&self) -> Option<&str> {
        self.body.get("model").and_then(Value::as_str)
    }

    /// The system prompt (Anthropic `system`, OpenAI's first `system` message).
    pub fn system(&self) -> Option<String> {
        match self.format {
            LlmWireFormat::Anthropic => self.body.get("system").and_then(text_of),
            LlmWireFormat::OpenAi => self
                .messages()
                .iter()
                .find(|m| m.get("role").and_then(Value::as_str) == Some("system"))
                .and_then(|m| m.get("content"))
                .and_then(text_of),
        }
    }

    /// The text of the last user message that has text (tool results are not user text).
    pub fn last_user_text(&self) -> Option<String> {
        self.messages()
            .iter()
            .rev()
            .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
            .find_map(|m| m.get("content").and_then(text_of))
    }

    /// Names of the offered tools.
    pub fn tool_names(&self) -> Vec<String> {
        let tools = self
            .body
            .get("tools")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        tools
            .iter()
            .filter_map(|t| match self.format {
                LlmWireFormat::Anthropic => t.get("name"),
                LlmWireFormat::OpenAi => t.get("function").and_then(|f| f.get("name")),
            })
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    }

    /// `(tool call id, content)` of the tool results at the end of the conversation (the
    /// last user turn's `tool_result` blocks, or the trailing `tool` messages), so a
    /// responder can answer differently once its tool ran.
    pub fn last_tool_results(&self) -> Vec<(String, String)> {
        let msgs = self.messages();
        match self.format {
            LlmWireFormat::Anthropic => {
                let Some(last) = msgs.last() else {
                    return Vec::new();
                };
                let blocks = last
                    .get("content")
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice);
                blocks
                    .iter()
                    .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
                    .map(|b| {
                        let id = b.get("tool_use_id").and_then(Value::as_str).unwrap_or("");
                        let content = b.get("content").map_or_else(String::new, |c| {
                            text_of(c).unwrap_or_else(|| c.to_string())
                        });
                        (id.to_owned(), content)
                    })
                    .collect()
            }
            LlmWireFormat::OpenAi => {
                let mut out: Vec<(String, String)> = msgs
                    .iter()
                    .rev()
                    .take_while(|m| m.get("role").and_then(Value::as_str) == Some("tool"))
                    .map(|m| {
                        let id = m.get("tool_call_id").and_then(Value::as_str).unwrap_or("");
                        let content = m.get("content").and_then(text_of).unwrap_or_default();
                        (id.to_owned(), content)
                    })
                    .collect();
                out.reverse();
                out
            }
        }
    }
}

/// Computes a reply from a request when the script queue is empty.
pub type Responder = Arc<dyn Fn(&LlmRequest) -> FakeLlmReply + Send + Sync>;

#[derive(Default)]
struct LlmData {
    replies: VecDeque<FakeLlmReply>,
    responder: Option<Responder>,
    requests: Vec<LlmRequest>,
}

struct LlmShared {
    key: Option<String>,
    data: Mutex<LlmData>,
    log: RequestLog,
}

/// A running fake LLM provider.
pub struct FakeLlm {
    shared: Arc<LlmShared>,
    running: Running,
}

impl FakeLlm {
    /// Bind `config.bind` and start serving both endpoints.
    pub async fn start(config: FakeLlmConfig) -> anyhow::Result<Self> {
        let bound = server::bind(config.bind).await?;
        let log = RequestLog::default();
        let shared = Arc::new(LlmShared {
            key: config.api_key,
            data: Mutex::new(LlmData::default()),
            log: log.clone(),
        });
        let router = Router::new()
            .route("/v1/messages", post(anthropic_messages))
            .route("/v1/chat/completions", post(openai_completions))
            .fallback(fallback)
            .with_state(shared.clone());
        let running = Running::spawn(bound, router, log);
        Ok(FakeLlm { shared, running })
    }

    /// `http://127.0.0.1:PORT`: the Anthropic base URL (in place of
    /// `https://api.anthropic.com`).
    pub fn url(&self) -> String {
        self.running.url()
    }

    /// `http://127.0.0.1:PORT/v1`: the OpenAI-compatible base URL (in place of
    /// `https://api.openai.com/v1`).
    pub fn openai_base_url(&self) -> String {
        format!("{}/v1", self.running.url())
    }

    /// Stop gracefully and wait for the server task.
    pub async fn shutdown(self) {
        self.running.shutdown().await;
    }

    /// Queue a reply; each request takes the oldest one.
    pub fn push_reply(&self, reply: FakeLlmReply) {
        lock(&self.shared.data).replies.push_back(reply);
    }

    /// Queue several replies, in order.
    pub fn push_replies(&self, replies: impl IntoIterator<Item = FakeLlmReply>) {
        lock(&self.shared.data).replies.extend(replies);
    }

    /// Replies still queued, so a test can assert its script was used up.
    pub fn pending_replies(&self) -> usize {
        lock(&self.shared.data).replies.len()
    }

    /// Compute replies from requests once the queue is empty (replaces any earlier one).
    pub fn set_responder(&self, f: impl Fn(&LlmRequest) -> FakeLlmReply + Send + Sync + 'static) {
        lock(&self.shared.data).responder = Some(Arc::new(f));
    }

    /// Requests that reached either endpoint (any outcome).
    pub fn call_count(&self) -> usize {
        lock(&self.shared.data).requests.len()
    }

    /// Every request that reached either endpoint, in order, body parsed.
    pub fn requests(&self) -> Vec<LlmRequest> {
        lock(&self.shared.data).requests.clone()
    }

    /// The most recent request.
    pub fn last_request(&self) -> Option<LlmRequest> {
        lock(&self.shared.data).requests.last().cloned()
    }

    /// Every HTTP request received (headers and raw body), in order.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.shared.log.snapshot()
    }
}

// ---------------------------------------------------------------------------------------
// Handlers.

type St = State<Arc<LlmShared>>;

async fn anthropic_messages(State(s): St, headers: HeaderMap, body: Bytes) -> Response {
    handle(&s, LlmWireFormat::Anthropic, &headers, &body).await
}

async fn openai_completions(State(s): St, headers: HeaderMap, body: Bytes) -> Response {
    handle(&s, LlmWireFormat::OpenAi, &headers, &body).await
}

async fn fallback() -> Response {
    error_response(
        LlmWireFormat::Anthropic,
        StatusCode::NOT_FOUND,
        "not_found_error",
        None,
        "Not found",
    )
}

async fn handle(
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
fn error_response(
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

fn render(
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

// ---------------------------------------------------------------------------------------
// Request checks (the rules of the real APIs that a client bug would break).

fn valid_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

const ANTHROPIC_FIELDS: &[&str] = &[
    "model",
    "messages",
    "max_tokens",
    "system",
    "tools",
    "tool_choice",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "stream",
    "metadata",
    "thinking",
    "service_tier",
];

fn check_anthropic(b: &Value) -> Result<(), String> {
    let Some(obj) = b.as_object() else {
        return Err("The request body is not valid JSON.".into());
    };
    if let Some(k) = obj.keys().find(|k| !ANTHROPIC_FIELDS.contains(&k.as_str())) {
        return Err(format!("{k}: Extra inputs are not permitted"));
    }
    if str_field(b, "model").is_none_or(str::is_empty) {
        return Err("model: Field required".into());
    }
    match b.get("max_tokens").map(Value::as_u64) {
        None => return Err("max_tokens: Field required".into()),
        Some(Some(n)) if n >= 1 => {}
        Some(_) => return Err("max_tokens: Input should be greater than or equal to 1".into()),
    }
    if b.get("stream").and_then(Value::as_bool) == Some(true) {
        return Err("stream: this fake does not stream".into());
    }
    if let Some(t) = b.get("temperature") {
        match t.as_f64() {
            Some(x) if (0.0..=1.0).contains(&x) => {}
            _ => return Err("temperature: Input should be between 0 and 1".into()),
        }
    }
    if let Some(sys) = b.get("system")
        && !(sys.is_string() || sys.is_array())
    {
        return Err("system: Input should be a valid string or list of blocks".into());
    }
    let mut tool_names: Vec<&str> = Vec::new();
    if let Some(tools) = b.get("tools") {
        let Some(tools) = tools.as_array() else {
            return Err("tools: Input should be a valid list".into());
        };
        for (i, t) in tools.iter().enumerate() {
            let name = str_field(t, "name").unwrap_or("");
            if !valid_tool_name(name) {
                return Err(format!(
                    "tools.{i}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
                ));
            }
            if tool_names.contains(&name) {
                return Err("tools: Tool names must be unique.".into());
            }
            tool_names.push(name);
            let schema_ok = t
                .get("input_schema")
                .is_some_and(|s| str_field(s, "type") == Some("object"));
            if !schema_ok {
                return Err(format!(
                    "tools.{i}.input_schema: Input should be an object with type 'object'"
                ));
            }
            if t.get("description").is_some_and(|d| !d.is_string()) {
                return Err(format!(
                    "tools.{i}.description: Input should be a valid string"
                ));
            }
        }
    }
    if let Some(choice) = b.get("tool_choice") {
        if tool_names.is_empty() {
            return Err("tool_choice may only be specified while providing tools.".into());
        }
        match str_field(choice, "type") {
            Some("auto" | "any" | "none") => {}
            Some("tool") => {
                let name = str_field(choice, "name").unwrap_or("");
                if !tool_names.contains(&name) {
                    return Err(format!(
                        "tool_choice.name: Tool '{name}' not found in provided tools"
                    ));
                }
            }
            _ => {
                return Err(
                    "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'".into(),
                );
            }
        }
    }
    let Some(messages) = b.get("messages").and_then(Value::as_array) else {
        return Err("messages: Field required".into());
    };
    if messages.is_empty() {
        return Err("messages: at least one message is required".into());
    }
    let mut prev_tool_uses: Vec<String> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let role = str_field(m, "role").unwrap_or("");
        if !matches!(role, "user" | "assistant") {
            return Err(format!(
                "messages.{i}.role: Input should be 'user' or 'assistant'"
            ));
        }
        if i == 0 && role != "user" {
            return Err("messages: first message must use the \"user\" role".into());
        }
        let blocks: Vec<Value> = match m.get("content") {
            Some(Value::String(s)) if !s.is_empty() => vec![json!({"type": "text", "text": s})],
            Some(Value::Array(b)) if !b.is_empty() => b.clone(),
            _ => {
                return Err(format!(
                    "messages.{i}: all messages must have non-empty content"
                ));
            }
        };
        let mut tool_uses = Vec::new();
        let mut results = Vec::new();
        let mut seen_non_result = false;
        for (j, block) in blocks.iter().enumerate() {
            match str_field(block, "type").unwrap_or("") {
                "text" => {
                    if str_field(block, "text").is_none_or(str::is_empty) {
                        return Err(format!(
                            "messages.{i}.content.{j}: text content blocks must be non-empty"
                        ));
                    }
                    seen_non_result = true;
                }
                "tool_use" if role == "assistant" => {
                    let id = str_field(block, "id").unwrap_or("");
                    if id.is_empty()
                        || !valid_tool_name(str_field(block, "name").unwrap_or(""))
                        || !block.get("input").is_some_and(Value::is_object)
                    {
                        return Err(format!(
                            "messages.{i}.content.{j}: tool_use needs id, name and an object input"
                        ));
                    }
                    tool_uses.push(id.to_owned());
                }
                "tool_result" if role == "user" => {
                    if seen_non_result {
                        return Err(format!(
                            "messages.{i}: tool_result blocks must come before any other content"
                        ));
                    }
                    let id = str_field(block, "tool_use_id").unwrap_or("");
                    if !prev_tool_uses.iter().any(|p| p == id) {
                        return Err(format!(
                            "messages.{i}.content.{j}: unexpected `tool_use_id` found in \
                             `tool_result` blocks: {id}. Each `tool_result` block must have a \
                             corresponding `tool_use` block in the previous message."
                        ));
                    }
                    if let Some(c) = block.get("content")
                        && !(c.is_string() || c.is_array())
                    {
                        return Err(format!(
                            "messages.{i}.content.{j}.content: Input should be a string or a list"
                        ));
                    }
                    if block.get("is_error").is_some_and(|e| !e.is_boolean()) {
                        return Err(format!(
                            "messages.{i}.content.{j}.is_error: Input should be a boolean"
                        ));
                    }
                    results.push(id.to_owned());
                }
                "image" | "document" => seen_non_result = true,
                other => {
                    return Err(format!(
                        "messages.{i}.content.{j}: block type '{other}' is not allowed in a \
                         {role} message"
                    ));
                }
            }
        }
        if !prev_tool_uses.is_empty() {
            let missing: Vec<&String> = prev_tool_uses
                .iter()
                .filter(|id| !results.contains(id))
                .collect();
            if role != "user" || !missing.is_empty() {
                return Err(format!(
                    "messages.{}: `tool_use` ids were found without `tool_result` blocks \
                     immediately after: {}",
                    i - 1,
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        prev_tool_uses = tool_uses;
    }
    Ok(())
}

const OPENAI_FIELDS: &[&str] = &[
    "model",
    "messages",
    "tools",
    "tool_choice",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "stream",
    "stream_options",
    "stop",
    "n",
    "seed",
    "user",
    "response_format",
    "parallel_tool_calls",
    "frequency_penalty",
    "presence_penalty",
    "logprobs",
    "top_logprobs",
    "metadata",
    "store",
    "reasoning_effort",
];

fn check_openai(b: &Value) -> Result<(), String> {
    let Some(obj) = b.as_object() else {
        return Err("The request body is not valid JSON.".into());
    };
    if let Some(k) = obj.keys().find(|k| !OPENAI_FIELDS.contains(&k.as_str())) {
        return Err(format!("Unrecognized request argument supplied: {k}"));
    }
    if str_field(b, "model").is_none_or(str::is_empty) {
        return Err("you must provide a model parameter".into());
    }
    if b.get("stream").and_then(Value::as_bool) == Some(true) {
        return Err("stream: this fake does not stream".into());
    }
    for k in ["max_tokens", "max_completion_tokens"] {
        if let Some(v) = b.get(k)
            && v.as_u64().is_none_or(|n| n < 1)
        {
            return Err(format!("Invalid '{k}': integer below minimum value."));
        }
    }
    if let Some(t) = b.get("temperature") {
        match t.as_f64() {
            Some(x) if (0.0..=2.0).contains(&x) => {}
            _ => return Err("Invalid 'temperature': must be between 0 and 2.".into()),
        }
    }
    let mut tool_names: Vec<&str> = Vec::new();
    if let Some(tools) = b.get("tools") {
        let Some(tools) = tools.as_array() else {
            return Err("Invalid type for 'tools': expected an array.".into());
        };
        if tools.is_empty() {
            return Err("[] is too short - 'tools'".into());
        }
        for (i, t) in tools.iter().enumerate() {
            let f = t.get("function");
            let name = f.and_then(|f| str_field(f, "name")).unwrap_or("");
            if str_field(t, "type") != Some("function") || !valid_tool_name(name) {
                return Err(format!(
                    "Invalid 'tools[{i}]': expected {{type: 'function', function: {{name}}}} with \
                     a name matching '^[a-zA-Z0-9_-]{{1,64}}$'."
                ));
            }
            if f.and_then(|f| f.get("parameters"))
                .is_some_and(|p| !p.is_object())
            {
                return Err(format!(
                    "Invalid 'tools[{i}].function.parameters': expected an object."
                ));
            }
            tool_names.push(name);
        }
    }
    if let Some(choice) = b.get("tool_choice") {
        if tool_names.is_empty() {
            return Err(
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when \
                        'tools' are specified."
                    .into(),
            );
        }
        let ok = match choice {
            Value::String(s) => matches!(s.as_str(), "none" | "auto" | "required"),
            Value::Object(_) => {
                let name = choice
                    .get("function")
                    .and_then(|f| str_field(f, "name"))
                    .unwrap_or("");
                str_field(choice, "type") == Some("function") && tool_names.contains(&name)
            }
            _ => false,
        };
        if !ok {
            return Err("Invalid value for 'tool_choice'.".into());
        }
    }
    let Some(messages) = b.get("messages").and_then(Value::as_array) else {
        return Err("Missing required parameter: 'messages'.".into());
    };
    if messages.is_empty() {
        return Err("[] is too short - 'messages'".into());
    }
    let mut pending: Vec<String> = Vec::new();
    let unanswered = |pending: &[String]| {
        format!(
            "An assistant message with 'tool_calls' must be followed by tool messages \
             responding to each 'tool_call_id'. The following tool_call_ids did not have \
             response messages: {}",
            pending.join(", ")
        )
    };
    for (i, m) in messages.iter().enumerate() {
        let role = str_field(m, "role").unwrap_or("");
        if role != "tool" && !pending.is_empty() {
            return Err(unanswered(&pending));
        }
        let content = m.get("content");
        let content_ok = |allow_null: bool| match content {
            Some(Value::String(_) | Value::Array(_)) => true,
            Some(Value::Null) | None => allow_null,
            _ => false,
        };
        match role {
            "system" | "developer" | "user" => {
                if !content_ok(false) {
                    return Err(format!(
                        "Invalid 'messages[{i}].content': expected a string or an array."
                    ));
                }
            }
            "assistant" => {
                if !content_ok(true) {
                    return Err(format!(
                        "Invalid 'messages[{i}].content': expected a string, an array or null."
                    ));
                }
                let calls = match m.get("tool_calls") {
                    None | Some(Value::Null) => &[][..],
                    Some(Value::Array(c)) => c.as_slice(),
                    Some(_) => {
                        return Err(format!(
                            "Invalid 'messages[{i}].tool_calls': expected an array."
                        ));
                    }
                };
                if calls.is_empty() && content.is_none_or(Value::is_null) {
                    return Err(format!(
                        "Invalid 'messages[{i}]': an assistant message needs content or \
                         tool_calls."
                    ));
                }
                for (j, c) in calls.iter().enumerate() {
                    let f = c.get("function");
                    let ok = str_field(c, "id").is_some_and(|id| !id.is_empty())
                        && str_field(c, "type") == Some("function")
                        && f.and_then(|f| str_field(f, "name"))
                            .is_some_and(valid_tool_name)
                        && f.and_then(|f| f.get("arguments"))
                            .is_some_and(Value::is_string);
                    if !ok {
                        return Err(format!(
                            "Invalid 'messages[{i}].tool_calls[{j}]': expected {{id, type: \
                             'function', function: {{name, arguments: string}}}}."
                        ));
                    }
                    pending.push(str_field(c, "id").unwrap_or("").to_owned());
                }
            }
            "tool" => {
                let id = str_field(m, "tool_call_id").unwrap_or("");
                let Some(pos) = pending.iter().position(|p| p == id) else {
                    return Err(format!(
                        "Invalid parameter: messages with role 'tool' must be a response to a \
                         preceeding message with 'tool_calls' (messages[{i}], tool_call_id \
                         {id:?})."
                    ));
                };
                pending.remove(pos);
                if !content_ok(false) {
                    return Err(format!(
                        "Invalid 'messages[{i}].content': expected a string or an array."
                    ));
                }
            }
            other => {
                return Err(format!(
                    "Invalid value: '{other}'. Supported values are: 'system', 'developer', \
                     'user', 'assistant' and 'tool'."
                ));
            }
        }
    }
    if !pending.is_empty() {
        return Err(unanswered(&pending));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_checks_tool_result_pairing() {
        let good = json!({
            "model": "m", "max_tokens": 10,
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "x", "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"},
                                             {"type": "text", "text": "and?"}]},
            ],
        });
        assert_eq!(check_anthropic(&good), Ok(()));
        let mut wrong_id = good.clone();
        wrong_id["messages"][2]["content"][0]["tool_use_id"] = json!("t2");
        assert!(check_anthropic(&wrong_id).unwrap_err().contains("t2"));
        let mut text_first = good.clone();
        text_first["messages"][2]["content"] = json!([
            {"type": "text", "text": "and?"},
            {"type": "tool_result", "tool_use_id": "t1", "content": "ok"},
        ]);
        assert!(check_anthropic(&text_first).is_err());
        let mut unanswered = good.clone();
        unanswered["messages"][2] = json!({"role": "user", "content": "no result"});
        assert!(check_anthropic(&unanswered).unwrap_err().contains("t1"));
        let mut extra = good.clone();
        extra["bogus"] = json!(1);
        assert!(check_anthropic(&extra).unwrap_err().contains("bogus"));
        let mut no_max = good;
        no_max.as_object_mut().map(|o| o.remove("max_tokens"));
        assert!(check_anthropic(&no_max).is_err());
    }

    #[test]
    fn openai_checks_tool_message_pairing() {
        let good = json!({
            "model": "m",
            "messages": [
                {"role": "system", "content": "s"},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "x", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "ok"},
            ],
            "tools": [{"type": "function", "function": {"name": "x", "parameters": {"type": "object"}}}],
            "tool_choice": "auto",
        });
        assert_eq!(check_openai(&good), Ok(()));
        let mut orphan = good.clone();
        orphan["messages"][3]["tool_call_id"] = json!("c9");
        assert!(check_openai(&orphan).is_err());
        let mut unanswered = good.clone();
        unanswered["messages"][3] = json!({"role": "user", "content": "?"});
        assert!(check_openai(&unanswered).unwrap_err().contains("c1"));
        let mut object_args = good.clone();
        object_args["messages"][2]["tool_calls"][0]["function"]["arguments"] = json!({});
        assert!(check_openai(&object_args).is_err());
        let mut empty_tools = good.clone();
        empty_tools["tools"] = json!([]);
        assert!(check_openai(&empty_tools).is_err());
        let mut choice_unknown = good;
        choice_unknown["tool_choice"] = json!({"type": "function", "function": {"name": "y"}});
        assert!(check_openai(&choice_unknown).is_err());
    }

    #[test]
    fn request_helpers_read_both_formats() {
        let a = LlmRequest {
            format: LlmWireFormat::Anthropic,
            body: json!({
                "model": "claude", "system": "be kind",
                "tools": [{"name": "refund", "input_schema": {"type": "object"}}],
                "messages": [
                    {"role": "user", "content": "refund please"},
                    {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "refund", "input": {}}]},
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "done"}]},
                ],
            }),
        };
        assert_eq!(a.model(), Some("claude"));
        assert_eq!(a.system().as_deref(), Some("be kind"));
        assert_eq!(a.last_user_text().as_deref(), Some("refund please"));
        assert_eq!(a.tool_names(), vec!["refund"]);
        assert_eq!(
            a.last_tool_results(),
            vec![("t1".to_owned(), "done".to_owned())]
        );
        let o = LlmRequest {
            format: LlmWireFormat::OpenAi,
            body: json!({
                "model": "gpt",
                "tools": [{"type": "function", "function": {"name": "refund"}}],
                "messages": [
                    {"role": "system", "content": "sys"},
                    {"role": "user", "content": "hello"},
                    {"role": "assistant", "content": null, "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "refund", "arguments": "{}"}}]},
                    {"role": "tool", "tool_call_id": "c1", "content": "ok"},
                ],
            }),
        };
        assert_eq!(o.system().as_deref(), Some("sys"));
        assert_eq!(o.last_user_text().as_deref(), Some("hello"));
        assert_eq!(o.tool_names(), vec!["refund"]);
        assert_eq!(
            o.last_tool_results(),
            vec![("c1".to_owned(), "ok".to_owned())]
        );
    }
}
