//! [`AnthropicClient`]: the Messages API (`POST {base_url}/v1/messages`).
//!
//! Wire mapping:
//! - [`Message::User`] → a user turn with one `text` block;
//! - [`Message::Assistant`] → an assistant turn with a `text` block (when there is text) and
//!   one `tool_use {id, name, input}` block per call;
//! - [`Message::ToolResult`] → a `tool_result {tool_use_id, content, is_error?}` block in a
//!   user turn.
//!
//! Consecutive turns of the same role are merged into one (the API would merge them anyway),
//! and inside a user turn the `tool_result` blocks come first, as the API requires: so the
//! results of a parallel tool call, and a user text that follows them, travel together.

use std::fmt;

use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{LlmConfig, Provider};
use crate::error::LlmError;
use crate::http::{RetryPolicy, Transport};
use crate::types::{ChatRequest, ChatResponse, Message, StopReason, ToolCall, ToolChoice, Usage};
use crate::{LlmClient, ensure_object_arguments};

/// The `anthropic-version` header every request carries.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Anthropic Messages client.
pub struct AnthropicClient {
    transport: Transport,
    model: String,
}

impl fmt::Debug for AnthropicClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicClient")
            .field("url", &self.transport.url())
            .field("model", &self.model)
            .field("api_key", &"[redacted]")
            .field("retry", &self.transport.retry)
            .finish()
    }
}

/// `{base}/v1/messages`, tolerating a trailing slash and a base that already ends in `/v1`.
pub(crate) fn messages_url(base_url: &str) -> String {
    let base = base_url.trim().trim_end_matches('/');
    if base.ends_with("/v1") {
        format!("{base}/messages")
    } else {
        format!("{base}/v1/messages")
    }
}

impl AnthropicClient {
    /// A client for `config` (its `provider` field is not looked at).
    pub fn from_config(config: &LlmConfig) -> Result<Self, LlmError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            "anthropic-version",
            HeaderValue::from_static(ANTHROPIC_VERSION),
        );
        let auth = config
            .api_key
            .as_ref()
            .map(|k| ("x-api-key", k.expose().to_owned()));
        Ok(AnthropicClient {
            transport: Transport::new(config, messages_url(&config.base_url), headers, auth)?,
            model: config.model.trim().to_owned(),
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
impl LlmClient for AnthropicClient {
    async fn complete(&self, req: &ChatRequest) -> Result<ChatResponse, LlmError> {
        req.check()?;
        let body = request_body(&self.model, req);
        let ok = self.transport.post(&body).await?;
        let mut resp = parse_response(&ok.body, &self.model)?;
        resp.attempts = ok.attempts;
        Ok(resp)
    }

    fn provider(&self) -> Provider {
        Provider::Anthropic
    }

    fn model(&self) -> &str {
        &self.model
    }
}

/// The JSON body for `req`.
pub(crate) fn request_body(model: &str, req: &ChatRequest) -> Value {
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for m in &req.messages {
        let (role, blocks) = match m {
            Message::User { text } => ("user", vec![json!({"type": "text", "text": text})]),
            Message::Assistant { text, tool_calls } => {
                let mut blocks = Vec::new();
                if let Some(t) = text.as_deref().filter(|t| !t.is_empty()) {
                    blocks.push(json!({"type": "text", "text": t}));
                }
                blocks.extend(tool_calls.iter().map(|c| {
                    json!({"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments})
                }));
                ("assistant", blocks)
            }
            Message::ToolResult {
                tool_call_id,
                content,
                is_error,
            } => {
                let mut block = json!({
                    "type": "tool_result",
                    "tool_use_id": tool_call_id,
                    "content": content.to_wire_text(),
                });
                if *is_error {
                    block["is_error"] = Value::Bool(true);
                }
                ("user", vec![block])
            }
        };
        match turns.last_mut() {
            Some((last_role, last_blocks)) if *last_role == role => last_blocks.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    let messages: Vec<Value> = turns
        .into_iter()
        .map(|(role, mut blocks)| {
            if role == "user" {
                // Stable: results keep their order, texts keep theirs.
                blocks.sort_by_key(|b| b["type"] != "tool_result");
            }
            json!({"role": role, "content": blocks})
        })
        .collect();

    let mut body = json!({
        "model": model,
        "max_tokens": req.max_tokens,
        "messages": messages,
    });
    if !req.system.is_empty() {
        body["system"] = json!(req.system);
    }
    if let Some(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    // The API refuses `tool_choice` without `tools`, and an empty `tools` is pointless.
    if !req.tools.is_empty() {
        body["tools"] = req
            .tools
            .iter()
            .map(|t| {
                json!({"name": t.name, "description": t.description, "input_schema": t.input_schema})
            })
            .collect();
        body["tool_choice"] = match &req.tool_choice {
            ToolChoice::Auto => json!({"type": "auto"}),
            ToolChoice::Required => json!({"type": "any"}),
            ToolChoice::Tool(name) => json!({"type": "tool", "name": name}),
            ToolChoice::None => json!({"type": "none"}),
        };
    }
    body
}

#[derive(Deserialize)]
struct WireResponse {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    content: Vec<WireBlock>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireBlock {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    input: Option<Value>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
}

/// Decode a 2xx body. `attempts` is left at 1 for the caller to fill in.
pub(crate) fn parse_response(body: &str, configured_model: &str) -> Result<ChatResponse, LlmError> {
    let wire: WireResponse = serde_json::from_str(body)
        .map_err(|e| LlmError::Decode(format!("not an Anthropic message: {e}")))?;
    if wire.kind.as_deref() == Some("error") {
        let (kind, message) = crate::http::error_fields(body);
        return Err(LlmError::Api {
            status: 200,
            kind,
            message,
        });
    }
    let mut texts: Vec<String> = Vec::new();
    let mut tool_calls = Vec::new();
    for block in wire.content {
        match block.kind.as_str() {
            "text" => {
                if let Some(t) = block.text.filter(|t| !t.is_empty()) {
                    texts.push(t);
                }
            }
            "tool_use" => {
                let (Some(id), Some(name)) = (block.id, block.name) else {
                    return Err(LlmError::Decode(
                        "tool_use block without id or name".to_owned(),
                    ));
                };
                let arguments = block.input.unwrap_or_else(|| json!({}));
                ensure_object_arguments(&id, &name, &arguments)?;
                tool_calls.push(ToolCall {
                    id,
                    name,
                    arguments,
                });
            }
            // thinking, server tool blocks …: nothing the platform acts on.
            _ => {}
        }
    }
    let stop_reason = match wire.stop_reason {
        Some(s) => StopReason::from(s),
        None if !tool_calls.is_empty() => StopReason::ToolUse,
        None => StopReason::EndTurn,
    };
    let usage = wire.usage.map_or_else(Usage::default, |u| Usage {
        input_tokens: u.input_tokens.unwrap_or(0),
        output_tokens: u.output_tokens.unwrap_or(0),
    });
    Ok(ChatResponse {
        text: (!texts.is_empty()).then(|| texts.join("\n")),
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
        for base in [
            "https://api.anthropic.com",
            "https://api.anthropic.com/",
            "https://api.anthropic.com/v1",
            "https://api.anthropic.com/v1/",
        ] {
            assert_eq!(
                messages_url(base),
                "https://api.anthropic.com/v1/messages",
                "{base}"
            );
        }
        assert_eq!(
            messages_url("http://127.0.0.1:9/proxy/anthropic/"),
            "http://127.0.0.1:9/proxy/anthropic/v1/messages"
        );
    }

    fn tool() -> ToolSpec {
        ToolSpec {
            name: "lookup".into(),
            description: "Look a customer up".into(),
            input_schema: json!({"type": "object", "properties": {"email": {"type": "string"}}}),
        }
    }

    #[test]
    fn body_merges_turns_and_puts_results_first() {
        let req = ChatRequest {
            system: "be brief".into(),
            messages: vec![
                Message::user("hi"),
                Message::Assistant {
                    text: Some("checking".into()),
                    tool_calls: vec![
                        ToolCall {
                            id: "toolu_1".into(),
                            name: "lookup".into(),
                            arguments: json!({"email": "a@b.c"}),
                        },
                        ToolCall {
                            id: "toolu_2".into(),
                            name: "lookup".into(),
                            arguments: json!({"email": "d@e.f"}),
                        },
                    ],
                },
                Message::tool_result("toolu_1", ToolResultContent::Json(json!({"found": true}))),
                Message::ToolResult {
                    tool_call_id: "toolu_2".into(),
                    content: ToolResultContent::Text("no such user".into()),
                    is_error: true,
                },
                Message::user("thanks"),
            ],
            tools: vec![tool()],
            max_tokens: 256,
            temperature: None,
            tool_choice: ToolChoice::Tool("lookup".into()),
        };
        let body = request_body("claude-x", &req);
        assert_eq!(
            body,
            json!({
                "model": "claude-x",
                "max_tokens": 256,
                "system": "be brief",
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "hi"}]},
                    {"role": "assistant", "content": [
                        {"type": "text", "text": "checking"},
                        {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"email": "a@b.c"}},
                        {"type": "tool_use", "id": "toolu_2", "name": "lookup", "input": {"email": "d@e.f"}},
                    ]},
                    {"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "{\"found\":true}"},
                        {"type": "tool_result", "tool_use_id": "toolu_2", "content": "no such user", "is_error": true},
                        {"type": "text", "text": "thanks"},
                    ]},
                ],
                "tools": [{"name": "lookup", "description": "Look a customer up",
                           "input_schema": {"type": "object", "properties": {"email": {"type": "string"}}}}],
                "tool_choice": {"type": "tool", "name": "lookup"},
            })
        );
    }

    #[test]
    fn no_tools_means_no_tool_choice_and_choices_map() {
        let mut req = ChatRequest {
            system: String::new(),
            messages: vec![Message::user("hi")],
            tools: vec![],
            max_tokens: 10,
            temperature: Some(0.5),
            tool_choice: ToolChoice::Auto,
        };
        let body = request_body("m", &req);
        assert!(body.get("tools").is_none() && body.get("tool_choice").is_none());
        assert!(body.get("system").is_none());
        assert_eq!(body["temperature"], json!(0.5));
        req.tools = vec![tool()];
        for (choice, wire) in [
            (ToolChoice::Auto, json!({"type": "auto"})),
            (ToolChoice::Required, json!({"type": "any"})),
            (ToolChoice::None, json!({"type": "none"})),
        ] {
            req.tool_choice = choice;
            assert_eq!(request_body("m", &req)["tool_choice"], wire);
        }
    }

    #[test]
    fn parses_text_and_tool_use() {
        let r = parse_response(
            r#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-real",
                "content":[{"type":"text","text":"Let me look."},
                           {"type":"tool_use","id":"toolu_9","name":"lookup","input":{"email":"a@b.c"}}],
                "stop_reason":"tool_use","stop_sequence":null,
                "usage":{"input_tokens":12,"output_tokens":7}}"#,
            "configured",
        )
        .unwrap();
        assert_eq!(r.text.as_deref(), Some("Let me look."));
        assert_eq!(r.tool_calls.len(), 1);
        assert_eq!(r.tool_calls[0].id, "toolu_9");
        assert_eq!(r.tool_calls[0].arguments, json!({"email": "a@b.c"}));
        assert_eq!(r.stop_reason, StopReason::ToolUse);
        assert_eq!(
            r.usage,
            Usage {
                input_tokens: 12,
                output_tokens: 7
            }
        );
        assert_eq!(r.model, "claude-real");
    }

    #[test]
    fn non_object_input_is_a_typed_error() {
        let e = parse_response(
            r#"{"type":"message","content":[{"type":"tool_use","id":"toolu_1","name":"x","input":"{oops"}],"stop_reason":"tool_use"}"#,
            "m",
        )
        .unwrap_err();
        assert!(
            matches!(&e, LlmError::MalformedToolArguments { tool_call_id, name, .. } if tool_call_id == "toolu_1" && name == "x"),
            "{e:?}"
        );
        assert!(matches!(
            parse_response("not json", "m"),
            Err(LlmError::Decode(_))
        ));
        assert!(matches!(
            parse_response(
                r#"{"type":"message","content":[{"type":"tool_use","input":{}}]}"#,
                "m"
            ),
            Err(LlmError::Decode(_))
        ));
    }
}
