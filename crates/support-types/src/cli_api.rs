//! Request and response bodies of the operator routes the `skill` command line drives:
//! a customer's history, operator actions (refund, transfer, magic link, cancel
//! subscription) through the app's policy and the ledger, the app's logs and metrics, and
//! conversation exports. Times are epoch milliseconds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `GET /api/v1/apps/{slug}/customers/{email}/history`: everything one app has on one
/// customer, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CustomerHistory {
    pub app: String,
    pub email: String,
    pub conversations: Vec<HistoryConversation>,
    /// Actions about this customer outside any conversation (an operator's refunds, links
    /// and transfers), newest first.
    pub other_actions: Vec<HistoryAction>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryConversation {
    pub id: String,
    pub front_conversation_id: String,
    pub subject: String,
    pub status: String,
    pub message_count: i64,
    /// When the newest message was written; `None` for a conversation without messages.
    pub last_message_at: Option<i64>,
    pub updated_at: i64,
    /// Newest first.
    pub decisions: Vec<HistoryDecision>,
    /// Newest first.
    pub actions: Vec<HistoryAction>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryDecision {
    pub id: String,
    pub category: String,
    /// The route: `respond`, `silence`, `escalate_human`…
    pub routing: String,
    pub confidence: f64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryAction {
    pub id: String,
    pub kind: String,
    pub state: String,
    /// Minor units, for actions that move money (refunds).
    pub amount: Option<i64>,
    pub requested_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What an operator asks for through `POST /api/v1/apps/{slug}/operator-actions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatorKind {
    Refund,
    Transfer,
    MagicLink,
    CancelSubscription,
}

impl OperatorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OperatorKind::Refund => "refund",
            OperatorKind::Transfer => "transfer",
            OperatorKind::MagicLink => "magic_link",
            OperatorKind::CancelSubscription => "cancel_subscription",
        }
    }
}

/// `POST /api/v1/apps/{slug}/operator-actions`. The server resolves the facts (the customer
/// and purchase from the app's SDK, the charge from the app's connected Stripe account),
/// evaluates the app's policy and proposes the action in the ledger with the caller as the
/// requester of record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OperatorActionRequest {
    pub kind: OperatorKind,
    /// Refund: a charge (`ch_…`/`py_…`) or purchase (`pur_…`); transfer: a purchase;
    /// magic link: the customer's email; cancel subscription: a subscription (`sub_…`).
    pub target: String,
    /// The customer whose purchases hold the target (refund, transfer).
    #[serde(default)]
    pub email: Option<String>,
    /// Transfer: the recipient's email.
    #[serde(default)]
    pub to: Option<String>,
    /// Refund: minor units; everything still refundable when absent.
    #[serde(default)]
    pub amount: Option<i64>,
    /// Refund: the operator's words. Stripe gets `requested_by_customer` (or `duplicate` /
    /// `fraudulent` when the text is exactly that); the text itself goes to the audit trail.
    #[serde(default)]
    pub reason: Option<String>,
    /// Evaluate only: resolve the facts with lookups, return the would-be verdict, write and
    /// execute nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// The caller's reference (1-128 of `[A-Za-z0-9:_-]`): a second request under the same
    /// reference returns the first action and does nothing else.
    #[serde(default)]
    pub client_ref: Option<String>,
}

/// The facts the verdict was computed from.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct OperatorFacts {
    pub customer: Option<String>,
    pub user_id: Option<String>,
    pub purchase_id: Option<String>,
    /// The purchase is among the customer's purchases.
    pub purchase_known: bool,
    pub purchase_status: Option<String>,
    /// Unix seconds.
    pub purchased_at: Option<i64>,
    pub charge: Option<String>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    /// What Stripe still allows refunding on the charge.
    pub refundable: Option<i64>,
    pub account: Option<String>,
}

/// The answer of `POST /api/v1/apps/{slug}/operator-actions`. A refusal (`deny` or
/// `escalate`) of a real request is not this body but a 422 whose `error` is
/// `policy_deny` / `policy_escalate`; a dry run returns it here with `verdict` set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OperatorActionResponse {
    pub app: String,
    /// The ledger kind: `refund`, `transfer_purchase`, `magic_link`.
    pub kind: String,
    pub dry_run: bool,
    /// `auto`, `approval`, `escalate` or `deny`; `existing` when the reference already had
    /// an action (the policy was not asked again).
    pub verdict: String,
    /// The policy rule that decided.
    pub rule: Option<String>,
    pub reason: Option<String>,
    pub approvers: Vec<String>,
    /// The caller is one of the approvers and their approval was recorded as the decision.
    pub approved_by_requester: bool,
    /// The action already existed under the request's reference.
    pub existing: bool,
    pub action: Option<OperatorActionRef>,
    pub facts: OperatorFacts,
    /// The tool parameters the action was (or would be) proposed with.
    pub params: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OperatorActionRef {
    pub id: String,
    pub state: String,
    pub idempotency_key: String,
    pub trace_id: String,
}

/// `GET /api/v1/apps/{slug}/logs?since=MS`: the app's audit entries and decisions, oldest
/// first.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AppLogs {
    pub app: String,
    pub since: i64,
    pub entries: Vec<LogEntry>,
    /// More entries exist after the last one (raise `limit` or narrow `since`).
    pub truncated: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogEntry {
    pub at: i64,
    /// `audit` or `decision`.
    pub source: String,
    /// The audit entry's sequence number.
    pub seq: Option<i64>,
    pub actor: String,
    /// The audit verb (`action.proposed`…) or `decision`.
    pub action: String,
    pub subject: String,
    pub trace_id: Option<String>,
    /// One line for humans.
    pub summary: String,
    pub data: serde_json::Value,
}

/// `GET /api/v1/apps/{slug}/metrics?since=MS`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AppMetrics {
    pub app: String,
    pub since: i64,
    pub until: i64,
    /// Conversations created in the period.
    pub conversations: i64,
    pub decisions: i64,
    pub decisions_by_route: BTreeMap<String, i64>,
    pub decisions_by_category: BTreeMap<String, i64>,
    /// kind → state → count, for actions proposed in the period.
    pub actions: BTreeMap<String, BTreeMap<String, i64>>,
    /// Decisions whose actions all ran without a human (no approval request, no escalation)
    /// and all succeeded, over all decisions.
    pub handled_without_human: i64,
    pub handled_without_human_share: f64,
    /// Approval requests opened in the period, by status.
    pub approvals: ApprovalCounts,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApprovalCounts {
    pub pending: i64,
    pub approved: i64,
    pub rejected: i64,
    pub expired: i64,
}

/// One page of `GET /api/v1/apps/{slug}/export/conversations?since=MS`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExportPage {
    pub conversations: Vec<ExportConversation>,
    /// Pass as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

/// One conversation as exported: one JSON object per line of the JSONL file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExportConversation {
    pub id: String,
    pub app: String,
    pub front_conversation_id: String,
    pub subject: String,
    pub status: String,
    /// `[EMAIL]` unless exported with PII.
    pub customer: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Whether emails, phone and card numbers and the customer's names were redacted.
    pub redacted: bool,
    pub messages: Vec<ExportMessage>,
    /// The newest decision, if any.
    pub decision: Option<ExportDecision>,
    pub decisions: Vec<ExportDecision>,
    pub actions: Vec<ExportAction>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExportMessage {
    pub id: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    pub author: Option<String>,
    pub body: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExportDecision {
    pub id: String,
    pub category: String,
    pub routing: String,
    pub confidence: f64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExportAction {
    pub id: String,
    pub kind: String,
    pub state: String,
    pub amount: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `POST /api/v1/apps/{slug}/refund-outcomes`: what became of the refunds proposed on these
/// conversations, from the ledger and from what Stripe reported.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RefundOutcomesRequest {
    /// Our conversation ids (at most 500).
    pub conversations: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RefundOutcomes {
    /// By conversation id; conversations of other apps or unknown ids are absent.
    pub conversations: BTreeMap<String, Vec<RefundOutcome>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RefundOutcome {
    pub action_id: String,
    /// The ledger state: `succeeded`, `proposed` (waiting), `rejected`…
    pub state: String,
    pub charge: Option<String>,
    pub amount: Option<i64>,
    /// The refunds Stripe reported on the charge.
    pub stripe: Vec<StripeRefundView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StripeRefundView {
    pub refund_id: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    /// `platform` or `external`.
    pub origin: String,
    /// Whether this refund is the one this action made.
    pub this_action: bool,
}

/// A client reference is 1-128 characters of `[A-Za-z0-9:_-]`.
pub fn valid_client_ref(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 128
        && r.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_refs_are_short_and_plain() {
        assert!(valid_client_ref("bulk:refund:0123abcd"));
        assert!(!valid_client_ref(""));
        assert!(!valid_client_ref("a b"));
        assert!(!valid_client_ref(&"a".repeat(129)));
    }

    #[test]
    fn operator_requests_refuse_unknown_fields() {
        let ok: OperatorActionRequest =
            serde_json::from_str(r#"{"kind":"refund","target":"ch_1","dry_run":true}"#)
                .expect("parses");
        assert_eq!(ok.kind, OperatorKind::Refund);
        assert!(ok.dry_run);
        assert!(
            serde_json::from_str::<OperatorActionRequest>(
                r#"{"kind":"refund","target":"ch_1","amout":5}"#
            )
            .is_err()
        );
    }
}

/// `POST /api/v1/index/rebuild`: start a backfill of the search index from the platform's
/// own history (one app's conversations, or every app's), or resume the unfinished one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IndexRebuildRequest {
    /// The app's slug; every app when absent.
    #[serde(default)]
    pub app: Option<String>,
    /// Start over even if an earlier rebuild did not finish.
    #[serde(default)]
    pub restart: bool,
}

/// `POST /api/v1/index/rebuild/next`: index the next page of conversations.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IndexRebuildNext {
    #[serde(default)]
    pub app: Option<String>,
    /// Conversations per page (1–1000; 100 when absent).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Conversations read at once while building a page's documents (1–16; 4 when absent).
    #[serde(default)]
    pub concurrency: Option<usize>,
}

/// Where a rebuild stands.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IndexRebuildStatus {
    /// The app's slug, or `*` for every app.
    pub scope: String,
    /// Conversations looked at so far, and how many there are in the scope.
    pub conversations: i64,
    pub total: i64,
    /// Documents written so far (resolved conversations and unmodified sent replies).
    pub documents: i64,
    pub finished: bool,
    /// The start call found an unfinished rebuild and continues it.
    #[serde(default)]
    pub resumed: bool,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}
