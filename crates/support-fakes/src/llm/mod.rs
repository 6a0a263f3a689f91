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

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::post;

use crate::server::{self, RequestLog, RequestRecord, Running, lock};

mod checks;
mod model;
mod render;
mod routes;

pub use model::{DEFAULT_REPLY, FakeLlmReply, FakeToolCall, LlmRequest, LlmWireFormat, Responder};

use checks::*;
use model::*;
use render::*;
use routes::*;

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
