//! The operator routes, by resource: `history` (a customer), `actions` (operator actions),
//! `reports` (logs, metrics), `export` (conversations, refund outcomes). The routes behind `skill history`, `refund`, `transfer`, `magic-link`,
//! `cancel-subscription` (one by one or in bulk), `logs`, `metrics`, `export` and `enrich`.
//!
//! Operator actions go through the same policy and ledger as the agent's proposals: the
//! server resolves the facts itself (the customer and purchase from the app's SDK, the
//! charge from the app's connected Stripe account), evaluates the app's policy and proposes
//! with the operator as the requester of record. `auto` runs; `approval` waits for an
//! approver, unless the operator is one, in which case their approval is recorded as the
//! decision (surface `cli`); `escalate` and `deny` are refused with a 422 and nothing is
//! written. A dry run only reads (SDK lookups, Stripe GETs, the ledger) and answers the
//! would-be verdict. A request carrying a client reference is exactly-once: the reference is
//! stored on the action, and a second request under it returns the first action.

mod actions;
mod export;
mod history;
mod reports;

use actions::operator_action;
use export::{export, refund_outcomes};
use history::history;
use reports::{logs, metrics};

use std::collections::{BTreeMap, HashSet};

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use support_agent::actions::{ActionError, HumanDecision, Proposal, ProposeOptions, Verdict};
use support_agent::decide::app_policy;
use support_agent::decide::operator;
use support_store::actions::ActionRow;
use support_store::{App, NewAuditEntry, User};
use support_types::Email;
use support_types::cli_api::{
    AppLogs, AppMetrics, ApprovalCounts, CustomerHistory, ExportAction, ExportConversation,
    ExportDecision, ExportMessage, ExportPage, HistoryAction, HistoryConversation, HistoryDecision,
    LogEntry, OperatorActionRef, OperatorActionRequest, OperatorActionResponse, OperatorFacts,
    RefundOutcome, RefundOutcomes, RefundOutcomesRequest, StripeRefundView, valid_client_ref,
};

use super::api::ApiJson;
use super::ops::ApiQuery;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/apps/{slug}/customers/{email}/history",
            get(history),
        )
        .route(
            "/api/v1/apps/{slug}/operator-actions",
            post(operator_action),
        )
        .route("/api/v1/apps/{slug}/logs", get(logs))
        .route("/api/v1/apps/{slug}/metrics", get(metrics))
        .route("/api/v1/apps/{slug}/export/conversations", get(export))
        .route("/api/v1/apps/{slug}/refund-outcomes", post(refund_outcomes))
}

/// The surface an operator's own approval is recorded with.
pub const CLI_SURFACE: &str = "cli";

fn refuse(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Unprocessable {
        code,
        message: message.into(),
    }
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::BadRequest(message.into())
}

fn parse_json(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or(Value::Null)
}

/// The amount of an action that moves money (refunds), from its frozen parameters.
fn action_amount(a: &ActionRow) -> Option<i64> {
    (a.kind == "refund")
        .then(|| parse_json(&a.params)["amount"].as_i64())
        .flatten()
}

fn history_action(a: &ActionRow) -> HistoryAction {
    HistoryAction {
        id: a.id.clone(),
        kind: a.kind.clone(),
        state: a.state.clone(),
        amount: action_amount(a),
        requested_by: a.requested_by.clone(),
        created_at: a.created_at,
        updated_at: a.updated_at,
    }
}
