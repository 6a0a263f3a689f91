//! Our own thin LLM clients: [`AnthropicClient`] (Messages API) and [`OpenAiCompatClient`]
//! (Chat Completions: OpenAI, vLLM, llama.cpp, Ollama) behind one [`LlmClient`] trait, with
//! provider-neutral request/response types and tool calling.
//!
//! Why our own: the decision journal must record exactly what was sent and received, retries
//! must be counted, and tests must point the client at `support_fakes::llm::FakeLlm` by base
//! URL. Both wire formats are small; this crate adds nothing to compile time beyond reqwest
//! and serde.
//!
//! The model proposes, the policy disposes: a [`ChatResponse`]'s tool calls are unchecked
//! model output. Only a [`ValidatedCall`] (the tool was offered and its arguments pass the
//! tool's schema, see [`schema`]) may feed the policy engine.
//!
//! Retries: timeouts, network errors, 429 (after `Retry-After`, capped) and
//! 500/502/503/504/529 are retried with exponential backoff and jitter up to
//! `max_retries`; other 4xx never are. [`ChatResponse::attempts`] and
//! [`LlmError::RetriesExhausted`] carry the attempt count for the journal.
//!
//! TLS: the workspace builds reqwest with `rustls-no-provider`; install a rustls crypto
//! provider before building a client ([`client_from_config`] returns
//! [`LlmError::Config`] rather than panicking when none is installed).

mod anthropic;
mod config;
mod error;
mod http;
mod openai;
pub mod schema;
mod types;
mod validated;

pub use anthropic::{ANTHROPIC_VERSION, AnthropicClient};
pub use config::{
    ApiKey, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS, LlmConfig, MAX_MAX_RETRIES, MaxTokensField,
    Provider, client_from_config,
};
pub use error::LlmError;
pub use http::{MAX_RESPONSE_BYTES, RetryPolicy};
pub use openai::OpenAiCompatClient;
pub use schema::SchemaViolation;
pub use types::{
    ChatRequest, ChatResponse, Message, StopReason, ToolCall, ToolChoice, ToolResultContent,
    ToolSpec, Usage,
};
pub use validated::{ToolCallError, ValidatedCall};

/// A chat model that can call tools. Implementations are cheap to share (`Arc<dyn
/// LlmClient>`) and safe to call concurrently.
#[async_trait::async_trait]
pub trait LlmClient: Send + Sync {
    /// One completion, retried on transient failures (see the crate docs).
    async fn complete(&self, req: &ChatRequest) -> Result<ChatResponse, LlmError>;

    /// The wire format, for the decision record.
    fn provider(&self) -> Provider;

    /// The configured model name, for the decision record (the response's
    /// [`ChatResponse::model`] is what the provider says actually answered).
    fn model(&self) -> &str;
}

/// Tool arguments must be a JSON object in both APIs; anything else is the model's mistake.
pub(crate) fn ensure_object_arguments(
    id: &str,
    name: &str,
    arguments: &serde_json::Value,
) -> Result<(), LlmError> {
    if arguments.is_object() {
        Ok(())
    } else {
        Err(LlmError::MalformedToolArguments {
            tool_call_id: id.to_owned(),
            name: name.to_owned(),
            reason: "arguments must be a JSON object".to_owned(),
        })
    }
}
