//! `skill agent` and `skill test`: the brain on demand, through the same facts, policy and
//! ledger as an inbound message.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /api/v1/agent`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AgentRequest {
    /// What to do, in words: "refund the last charge for pat@example.com on first-app".
    pub task: String,
    /// A conversation (our id or Front's `cnv_…`) whose app and customer the task is about.
    #[serde(default)]
    pub context: Option<String>,
    /// The app's slug, when the task does not name it.
    #[serde(default)]
    pub app: Option<String>,
}

/// The PRD's agent answer: `{reasoning, action{type,…}, result{success,…}, draftResponse}`.
/// `action.type` is the ledger kind (`refund`, `magic_link`, …) or `none`; `result.status`
/// is `executing`, `succeeded`, `failed`, `awaiting_approval`, `escalated`, `denied` or
/// `no_action`. A customer message is never sent: `draftResponse` is text for a human.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AgentResponse {
    pub reasoning: String,
    pub action: Value,
    pub result: Value,
    pub draft_response: Option<String>,
}

/// `POST /api/v1/apps/{slug}/test`: a synthetic customer message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TestMessage {
    pub from: String,
    #[serde(default)]
    pub subject: String,
    pub body: String,
}

/// What the brain and the policy decided on a test message (nothing was recorded or done).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TestDecision {
    pub app: String,
    pub category: String,
    pub confidence: f64,
    pub signals: Vec<String>,
    pub routing: String,
    pub route_rule: String,
    /// Each proposal with its verdict (`{kind, params, verdict, rule}`).
    pub proposals: Vec<Value>,
    pub draft: Option<String>,
    pub validation: Option<Value>,
    pub brain: String,
    pub model: Option<String>,
    pub reasoning: Vec<String>,
    pub policy: String,
    /// The customer as the app knows them, and how many purchases.
    pub customer: Option<Value>,
    pub purchases: usize,
    /// Token estimate, snippet ids and what was dropped from the context.
    pub context: Value,
    pub notes: Vec<String>,
}
