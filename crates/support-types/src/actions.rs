//! Request and response bodies for proposing and deciding actions over the JSON API.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/actions`: an operator proposes an action. Until the policy engine lands, the
/// proposal says itself whether it needs an approval; the operator is the requester of record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProposeActionRequest {
    /// The tool kind, e.g. `refund`.
    pub kind: String,
    pub params: serde_json::Value,
    #[serde(default)]
    pub app: Option<String>,
    #[serde(default)]
    pub conversation_id: Option<String>,
    /// Ask these approvers instead of executing at once.
    #[serde(default)]
    pub approval: Option<ApprovalRequest>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApprovalRequest {
    /// Approver ids (`user:<email>`).
    pub approvers: Vec<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProposedAction {
    pub id: String,
    pub kind: String,
    pub state: String,
    pub idempotency_key: String,
    pub trace_id: String,
}

/// `POST /api/v1/actions/{id}/reject`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RejectRequest {
    pub reason: String,
}

/// The answer to approve/reject: the decision that stands (perhaps another surface's) and
/// whether this call's decision was the one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DecisionOutcome {
    pub action_id: String,
    /// `approve` or `reject`.
    pub standing: String,
    pub decided_by: String,
    pub surface: String,
    pub this_call_won: bool,
}
