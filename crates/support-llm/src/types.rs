//! Provider-neutral request and response types. Both clients translate these to and from
//! their wire format, so the brain and the decision journal never see a provider's shapes.
//!
//! Everything here is `Serialize + Deserialize` so a workflow step can journal the exact
//! request it sent and the response it got.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::LlmError;

/// One completion request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The system prompt; empty means none is sent.
    pub system: String,
    /// The conversation so far. Must start with [`Message::User`].
    pub messages: Vec<Message>,
    /// Tools the model may call. Only these names pass
    /// [`ChatResponse::validated_call`](crate::ChatResponse::validated_call).
    pub tools: Vec<ToolSpec>,
    /// Upper bound on generated tokens (required by Anthropic, sent to both).
    pub max_tokens: u32,
    /// Sampling temperature; `None` leaves the provider's default.
    pub temperature: Option<f32>,
    /// Whether and which tool the model must call.
    pub tool_choice: ToolChoice,
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Message {
    /// What the customer (or the prompt builder on their behalf) says.
    User { text: String },
    /// A previous model turn: its text and the tool calls it made, sent back verbatim so the
    /// tool results that follow can refer to the call ids.
    Assistant {
        text: Option<String>,
        tool_calls: Vec<ToolCall>,
    },
    /// The outcome of one tool call, answered by `tool_call_id`.
    ToolResult {
        tool_call_id: String,
        content: ToolResultContent,
        /// The tool failed; `content` says how. Anthropic gets `is_error: true`; OpenAI has
        /// no such field, so the content is prefixed with `Error: ` there.
        #[serde(default)]
        is_error: bool,
    },
}

impl Message {
    /// A user turn.
    pub fn user(text: impl Into<String>) -> Self {
        Message::User { text: text.into() }
    }

    /// A successful tool result.
    pub fn tool_result(tool_call_id: impl Into<String>, content: ToolResultContent) -> Self {
        Message::ToolResult {
            tool_call_id: tool_call_id.into(),
            content,
            is_error: false,
        }
    }
}

/// What a tool returned. Both wire formats carry it as text; JSON is sent compact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum ToolResultContent {
    Text(String),
    Json(Value),
}

impl ToolResultContent {
    /// The text sent to the provider.
    pub fn to_wire_text(&self) -> String {
        match self {
            ToolResultContent::Text(t) => t.clone(),
            ToolResultContent::Json(v) => v.to_string(),
        }
    }
}

/// A tool the model may call. `input_schema` is a JSON Schema for the arguments object, in
/// the subset [`crate::schema`] supports (anything else makes every call fail validation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// `[A-Za-z0-9_-]{1,64}`, the rule both providers enforce.
    pub name: String,
    pub description: String,
    pub input_schema: Value,
}

/// Whether the model must call a tool.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "type", content = "name", rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model decides (the default).
    #[default]
    Auto,
    /// The model must call some tool (Anthropic `any`, OpenAI `required`).
    Required,
    /// The model must call this tool.
    Tool(String),
    /// The model must not call a tool.
    None,
}

/// A tool call the model made. `arguments` is always a JSON object (a client refuses
/// anything else with [`LlmError::MalformedToolArguments`]) but is NOT yet checked against
/// the tool's schema: use [`ChatResponse::validated_call`] before acting on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's call id (`toolu_…`, `call_…`), needed to answer with a tool result.
    pub id: String,
    pub name: String,
    pub arguments: Value,
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum StopReason {
    /// Finished its turn (`end_turn`, `stop`).
    EndTurn,
    /// Stopped to have tools run (`tool_use`, `tool_calls`).
    ToolUse,
    /// Hit `max_tokens` (`max_tokens`, `length`): text or arguments may be cut off.
    MaxTokens,
    /// Hit a stop sequence.
    StopSequence,
    /// Anything else the provider said (`refusal`, `content_filter`, `pause_turn` …).
    Other(String),
}

impl StopReason {
    /// Stable journal name.
    pub fn as_str(&self) -> &str {
        match self {
            StopReason::EndTurn => "end_turn",
            StopReason::ToolUse => "tool_use",
            StopReason::MaxTokens => "max_tokens",
            StopReason::StopSequence => "stop_sequence",
            StopReason::Other(s) => s,
        }
    }
}

impl From<StopReason> for String {
    fn from(r: StopReason) -> String {
        r.as_str().to_owned()
    }
}

impl From<String> for StopReason {
    fn from(s: String) -> StopReason {
        match s.as_str() {
            "end_turn" => StopReason::EndTurn,
            "tool_use" => StopReason::ToolUse,
            "max_tokens" => StopReason::MaxTokens,
            "stop_sequence" => StopReason::StopSequence,
            _ => StopReason::Other(s),
        }
    }
}

/// Token counts as the provider reported them (0 when a local server reports none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// One completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The model's text, `None` when it only called tools.
    pub text: Option<String>,
    /// Tool calls in the order the model made them (unvalidated; see
    /// [`ChatResponse::validated_call`]).
    pub tool_calls: Vec<ToolCall>,
    pub stop_reason: StopReason,
    pub usage: Usage,
    /// The model that answered, as the provider named it (falls back to the configured one).
    pub model: String,
    /// HTTP attempts this completion took (1 = no retry), for the decision journal.
    pub attempts: u32,
}

/// `[A-Za-z0-9_-]{1,64}`: what Anthropic and OpenAI both accept as a tool name.
pub(crate) fn valid_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl ChatRequest {
    /// Refuse requests that no provider would accept (or that would make a tool result
    /// unanswerable), before anything is sent. Errors name the problem, never the content.
    pub fn check(&self) -> Result<(), LlmError> {
        let invalid = |m: String| Err(LlmError::InvalidRequest(m));
        if self.max_tokens == 0 {
            return invalid("max_tokens must be at least 1".into());
        }
        if let Some(t) = self.temperature
            && !(t.is_finite() && (0.0..=2.0).contains(&t))
        {
            return invalid("temperature must be between 0 and 2".into());
        }
        match self.messages.first() {
            None => return invalid("messages must not be empty".into()),
            Some(Message::User { .. }) => {}
            Some(_) => return invalid("the first message must be a user message".into()),
        }
        for (i, m) in self.messages.iter().enumerate() {
            match m {
                Message::User { text } if text.is_empty() => {
                    return invalid(format!("message {i}: user text must not be empty"));
                }
                Message::Assistant { text, tool_calls }
                    if text.as_deref().is_none_or(str::is_empty) && tool_calls.is_empty() =>
                {
                    return invalid(format!(
                        "message {i}: an assistant message needs text or tool calls"
                    ));
                }
                Message::Assistant { tool_calls, .. } => {
                    for c in tool_calls {
                        if c.id.is_empty() || !valid_tool_name(&c.name) || !c.arguments.is_object()
                        {
                            return invalid(format!(
                                "message {i}: tool calls need an id, a valid name and object \
                                 arguments"
                            ));
                        }
                    }
                }
                Message::ToolResult { tool_call_id, .. } if tool_call_id.is_empty() => {
                    return invalid(format!("message {i}: tool_call_id must not be empty"));
                }
                _ => {}
            }
        }
        for (i, t) in self.tools.iter().enumerate() {
            if !valid_tool_name(&t.name) {
                return invalid(format!("tool {i}: name must be 1 to 64 of A-Z a-z 0-9 _ -"));
            }
            if self.tools[..i].iter().any(|o| o.name == t.name) {
                return invalid(format!("tool {i}: duplicate name {:?}", t.name));
            }
            if t.input_schema.get("type").and_then(Value::as_str) != Some("object") {
                return invalid(format!(
                    "tool {:?}: input_schema must have \"type\": \"object\"",
                    t.name
                ));
            }
        }
        match &self.tool_choice {
            ToolChoice::Required if self.tools.is_empty() => {
                invalid("tool_choice required needs at least one tool".into())
            }
            ToolChoice::Tool(name) if !self.tools.iter().any(|t| &t.name == name) => {
                invalid(format!("tool_choice names {name:?}, which is not offered"))
            }
            _ => Ok(()),
        }
    }
}
