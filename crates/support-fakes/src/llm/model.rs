//! What the fake is asked and answers: wire formats, scripted replies, the recorded request, state.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::server::RequestLog;

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
pub(super) struct LlmData {
    pub(super) replies: VecDeque<FakeLlmReply>,
    pub(super) responder: Option<Responder>,
    pub(super) requests: Vec<LlmRequest>,
}

pub(super) struct LlmShared {
    pub(super) key: Option<String>,
    pub(super) data: Mutex<LlmData>,
    pub(super) log: RequestLog,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
