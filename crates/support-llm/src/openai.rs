//! [`OpenAiCompatClient`]: Chat Completions (`POST {base_url}/chat/completions`) as spoken by
//! OpenAI, vLLM, llama.cpp's server and Ollama.
//!
//! Wire mapping:
//! - the system prompt → a leading `system` message;
//! - [`Message::User`] → `{role: user, content}`;
//! - [`Message::Assistant`] → `{role: assistant, content (or null), tool_calls: [{id, type:
//!   function, function: {name, arguments: <JSON string>}}]}`;
//! - [`Message::ToolResult`] → `{role: tool, tool_call_id, content}`.
//!
//! Local servers differ in small ways, which the decoder tolerates: `content` may be `""`
//! (treated as no text) or a list of text parts, a tool call may lack an `id` (one is made up
//! from its position, `call_0` …), `arguments` may already be an object, and `usage` may be
//! missing (counted as 0). Arguments that do not parse to a JSON object are an
//! [`LlmError::MalformedToolArguments`], never a panic and never passed on.

use std::fmt;

use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{LlmConfig, MaxTokensField, Provider};
use crate::error::{LlmError, truncate};
use crate::http::{RetryPolicy, Transport};
use crate::types::{ChatRequest, ChatResponse, Message, StopReason, ToolCall, ToolChoice, Usage};
use crate::{LlmClient, ensure_object_arguments};

/// OpenAI-compatible Chat Completions client.
pub struct OpenAiCompatClient {
    transport: Transport,
    model: String,
    max_tokens_field: MaxTokensField,
}

impl fmt::Debug for OpenAiCompatClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiCompatClient")
            .field("url", &self.transport.url())
            .field("model", &self.model)
            .field("api_key", &"[redacted]")
            .field("retry", &self.transport.retry)
            .finish()
    }
}

/// `{base}/chat/completions`; `base` already carries the version path (`…/v1`).
pub(crate) fn completions_url(base_url: &str) -> String {
    format!("{}/chat/completions", base_url.trim().trim_end_matches('/'))
}

impl OpenAiCompatClient {
    /// A client for `config` (its `provider` field is not looked at).
    pub fn from_config(config: &LlmConfig) -> Result<Self, LlmError> {
        let auth = config
            .api_key
            .as_ref()
            .map(|k| ("authorization", format!("Bearer {}", k.expose())));
        Ok(OpenAiCompatClient {
            transport: Transport::new(
                config,
                completions_url(&config.base_url),
                HeaderMap::new(),
                auth,
            )?,
            model: config.model.trim().to_owned(),
            max_tokens_field: config.max_tokens_field,
        })
    }

    /// Replace the retry policy (tests shorten the backoff; `max_retries` comes from the
    /// config otherwise).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.transport.retry = retry;
        self
    }
}

#[async_trait::async_trait]
impl LlmClient for OpenAiCompatClient {
    async fn complete(&self, req: &ChatRequest) -> Result<ChatResponse, LlmError> {
        req.check()?;
        let body = request_body(&self.model, req, self.max_tokens_field);
        let ok = self.transport.post(&body).await?;
        let mut resp = parse_response(&ok.body, ok.status, &self.model)?;
        resp.attempts = ok.attempts;
        Ok(resp)
    }

    fn provider(&self) -> Provider {
        Provider::OpenaiCompat
    }

    fn model(&self) -> &str {
        &self.model
    }
}

/// The JSON body for `req`.
pub(crate) fn request_body(model: &str, req: &ChatRequest, max_field: MaxTokensField) -> Value {
    let mut messages = Vec::with_capacity(req.messages.len() + 1);
    if !req.system.is_empty() {
        messages.push(json!({"role": "system", "content": req.system}));
    }
    for m in &req.messages {
        messages.push(match m {
            Message::User { text } => json!({"role": "user", "content": text}),
            Message::Assistant { text, tool_calls } => {
                let mut msg = json!({
                    "role": "assistant",
                    "content": text.as_deref().filter(|t| !t.is_empty()),
                });
                if !tool_calls.is_empty() {
                    msg["tool_calls"] = tool_calls
                        .iter()
                        .map(|c| {
                            json!({
                                "id": c.id,
                                "type": "function",
                                "function": {"name": c.name, "arguments": c.arguments.to_string()},
                            })
                        })
                        .collect();
                }
                msg
            }
            Message::ToolResult {
                tool_call_id,
                content,
                is_error,
            } => {
                let text = content.to_wire_text();
                let text = if *is_error {
                    format!("Error: {text}")
                } else {
                    text
                };
                json!({"role": "tool", "tool_call_id": tool_call_id, "content": text})
            }
        });
    }
    let mut body = json!({
        "model": model,
        "messages": messages,
        "stream": false,
    });
    body[max_field.as_str()] = json!(req.max_tokens);
    if let Some(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    // OpenAI rejects an empty `tools` array, and `tool_choice` without tools.
    if !req.tools.is_empty() {
        body["tools"] = req
            .tools
            .iter()
            .map(|t| {
                json!({
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.input_schema},
                })
            })
            .collect();
        body["tool_choice"] = match &req.tool_choice {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::Required => json!("required"),
            ToolChoice::None => json!("none"),
            ToolChoice::Tool(name) => json!({"type": "function", "function": {"name": name}}),
        };
    }
    body
}

#[derive(Deserialize)]
struct WireResponse {
    #[serde(default)]
    choices: Option<Vec<WireChoice>>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct WireChoice {
    message: WireMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
}

#[derive(Deserialize)]
struct WireToolCall {
    #[serde(default)]
    id: Option<String>,
    function: WireFunction,
}

#[derive(Deserialize)]
struct WireFunction {
    name: String,
    #[serde(default)]
    arguments: Option<Value>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}

/// The text of `content`: a string, or the `text` of a list of parts.
fn content_text(content: Option<Value>) -> Option<String> {
    let text = match content? {
        Value::String(s) => s,
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// Parse `arguments` (a JSON string the model wrote, or an object some servers send).
fn parse_arguments(id: &str, name: &str, raw: Option<Value>) -> Result<Value, LlmError> {
    let value = match raw {
        None | Some(Value::Null) => json!({}),
        Some(Value::String(s)) if s.trim().is_empty() => json!({}),
        Some(Value::String(s)) => {
            serde_json::from_str(&s).map_err(|e| LlmError::MalformedToolArguments {
                tool_call_id: id.to_owned(),
                name: name.to_owned(),
                reason: truncate(&format!("not valid JSON: {e}")),
            })?
        }
        Some(other) => other,
    };
    ensure_object_arguments(id, name, &value)?;
    Ok(value)
}

/// Decode a 2xx body. `attempts` is left at 1 for the caller to fill in.
pub(crate) fn parse_response(
    body: &str,
    status: u16,
    configured_model: &str,
) -> Result<ChatResponse, LlmError> {
    let wire: WireResponse = serde_json::from_str(body)
        .map_err(|e| LlmError::Decode(format!("not a chat completion: {e}")))?;
    let choice = match (wire.choices, wire.error) {
        (Some(choices), _) if !choices.is_empty() => choices.into_iter().next(),
        // Some proxies answer 200 with an error body.
        (_, Some(_)) => {
            let (kind, message) = crate::http::error_fields(body);
            return Err(LlmError::Api {
                status,
                kind,
                message,
            });
        }
        _ => None,
    };
    let Some(choice) = choice else {
        return Err(LlmError::Decode(
            "chat completion has no choices".to_owned(),
        ));
    };
    let mut tool_calls = Vec::new();
    for (i, call) in choice
        .message
        .tool_calls
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let id = call
            .id
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| format!("call_{i}"));
        if call.function.name.is_empty() {
            return Err(LlmError::Decode("tool call without a name".to_owned()));
        }
        let arguments = parse_arguments(&id, &call.function.name, call.function.arguments)?;
        tool_calls.push(ToolCall {
            id,
            name: call.function.name,
            arguments,
        });
    }
    let stop_reason = match choice.finish_reason.as_deref() {
        Some("stop") => StopReason::EndTurn,
        Some("tool_calls" | "function_call") => StopReason::ToolUse,
        Some("length") => StopReason::MaxTokens,
        Some(other) => StopReason::Other(other.to_owned()),
        None if !tool_calls.is_empty() => StopReason::ToolUse,
        None => StopReason::EndTurn,
    };
    let usage = wire.usage.map_or_else(Usage::default, |u| Usage {
        input_tokens: u.prompt_tokens.unwrap_or(0),
        output_tokens: u.completion_tokens.unwrap_or(0),
    });
    Ok(ChatResponse {
        text: content_text(choice.message.content),
        tool_calls,
        stop_reason,
        usage,
        model: wire
            .model
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| configured_model.to_owned()),
        attempts: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ToolResultContent, ToolSpec};

    #[test]
    fn url_joining() {
        for base in ["http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1/"] {
            assert_eq!(
                completions_url(base),
                "http://127.0.0.1:11434/v1/chat/completions"
            );
        }
    }

    #[test]
    fn body_shape() {
        let req = ChatRequest {
            system: "sys".into(),
            messages: vec![
                Message::user("hi"),
                Message::Assistant {
                    text: None,
                    tool_calls: vec![ToolCall {
                        id: "call_1".into(),
                        name: "lookup".into(),
                        arguments: json!({"email": "a@b.c"}),
                    }],
                },
                Message::ToolResult {
                    tool_call_id: "call_1".into(),
                    content: ToolResultContent::Text("down".into()),
                    is_error: true,
                },
            ],
            tools: vec![ToolSpec {
                name: "lookup".into(),
                description: "d".into(),
                input_schema: json!({"type": "object"}),
            }],
            max_tokens: 64,
            temperature: Some(0.0),
            tool_choice: ToolChoice::Tool("lookup".into()),
        };
        assert_eq!(
            request_body("gpt-x", &req, MaxTokensField::MaxTokens),
            json!({
                "model": "gpt-x",
                "max_tokens": 64,
                "stream": false,
                "temperature": 0.0,
                "messages": [
                    {"role": "system", "content": "sys"},
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": null, "tool_calls": [
                        {"id": "call_1", "type": "function",
                         "function": {"name": "lookup", "arguments": "{\"email\":\"a@b.c\"}"}}]},
                    {"role": "tool", "tool_call_id": "call_1", "content": "Error: down"},
                ],
                "tools": [{"type": "function", "function": {"name": "lookup", "description": "d",
                           "parameters": {"type": "object"}}}],
                "tool_choice": {"type": "function", "function": {"name": "lookup"}},
            })
        );
    }

    #[test]
    fn tolerant_decoding() {
        let r = parse_response(
            r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"",
                "tool_calls":[{"function":{"name":"a","arguments":{"x":1}}},
                              {"id":"","type":"function","function":{"name":"b","arguments":""}}]},
                "finish_reason":null}]}"#,
            200,
            "configured",
        )
        .unwrap();
        assert_eq!(r.text, None);
        assert_eq!(r.tool_calls[0].id, "call_0");
        assert_eq!(r.tool_calls[0].arguments, json!({"x": 1}));
        assert_eq!(r.tool_calls[1].id, "call_1");
        assert_eq!(r.tool_calls[1].arguments, json!({}));
        assert_eq!(r.stop_reason, StopReason::ToolUse);
        assert_eq!(r.usage, Usage::default());
        assert_eq!(r.model, "configured");

        let r = parse_response(
            r#"{"model":"m","choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},"finish_reason":"length"}],
                "usage":{"prompt_tokens":3,"completion_tokens":4}}"#,
            200,
            "x",
        )
        .unwrap();
        assert_eq!(r.text.as_deref(), Some("ab"));
        assert_eq!(r.stop_reason, StopReason::MaxTokens);
        assert_eq!(r.usage.input_tokens, 3);
    }

    #[test]
    fn bad_arguments_and_bodies_are_typed_errors() {
        for args in [r#""{\"x\": 1""#, r#""[1,2]""#, r#""42""#, "7"] {
            let body = format!(
                r#"{{"choices":[{{"message":{{"tool_calls":[{{"id":"call_z","function":{{"name":"t","arguments":{args}}}}}]}},"finish_reason":"tool_calls"}}]}}"#
            );
            let e = parse_response(&body, 200, "m").unwrap_err();
            assert!(
                matches!(&e, LlmError::MalformedToolArguments { tool_call_id, name, .. } if tool_call_id == "call_z" && name == "t"),
                "{args}: {e:?}"
            );
        }
        assert!(matches!(
            parse_response(r#"{"choices":[]}"#, 200, "m"),
            Err(LlmError::Decode(_))
        ));
        assert!(matches!(
            parse_response(
                r#"{"error":{"message":"boom","type":"server_error"}}"#,
                200,
                "m"
            ),
            Err(LlmError::Api { status: 200, .. })
        ));
    }
}
