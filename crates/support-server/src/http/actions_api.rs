//! Proposing and deciding actions over the JSON API (the CLI and dashboard surfaces). The
//! ledger, the workflow and the approval rules live in `support_agent::actions`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use support_agent::actions::{HumanDecision, Proposal, Verdict};
use support_types::actions::{
    DecisionOutcome, ProposeActionRequest, ProposedAction, RejectRequest,
};

use super::api::ApiJson;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/actions", post(propose))
        .route("/api/v1/actions/{id}/approve", post(approve))
        .route("/api/v1/actions/{id}/reject", post(reject))
}

async fn propose(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<ProposeActionRequest>,
) -> ApiResult<(StatusCode, Json<ProposedAction>)> {
    let app_id = match &req.app {
        Some(slug) => Some(super::app_by_slug(&state, slug).await?.id),
        None => None,
    };
    let verdict = match req.approval {
        Some(a) if a.approvers.is_empty() => {
            return Err(ApiError::BadRequest(
                "approval needs at least one approver".into(),
            ));
        }
        Some(a) => Verdict::Approval {
            approvers: a.approvers,
            reason: a.reason,
        },
        None => Verdict::Auto,
    };
    let row = state
        .actions
        .propose(Proposal {
            app_id,
            conversation_id: req.conversation_id,
            kind: req.kind,
            params: req.params,
            verdict,
            requested_by: format!("user:{}", user.email),
            trace_id: support_store::new_id(),
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ProposedAction {
            id: row.id,
            kind: row.kind,
            state: row.state,
            idempotency_key: row.idempotency_key,
            trace_id: row.trace_id,
        }),
    ))
}

fn outcome(action_id: String, o: support_agent::actions::DecideOutcome) -> DecisionOutcome {
    let (standing, by, surface) = match o.standing {
        HumanDecision::Approve { by, surface, .. } => ("approve", by, surface),
        HumanDecision::Reject { by, surface, .. } => ("reject", by, surface),
    };
    DecisionOutcome {
        action_id,
        standing: standing.into(),
        decided_by: by,
        surface,
        this_call_won: o.this_call_won,
    }
}

async fn approve(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DecisionOutcome>> {
    let decision = HumanDecision::Approve {
        by: format!("user:{}", user.email),
        surface: "api".into(),
        at: state.clock.now_ms(),
    };
    let o = state.actions.decide(&id, decision).await?;
    Ok(Json(outcome(id, o)))
}

async fn reject(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RejectRequest>,
) -> ApiResult<Json<DecisionOutcome>> {
    if req.reason.trim().is_empty() {
        return Err(ApiError::BadRequest("a rejection needs a reason".into()));
    }
    let decision = HumanDecision::Reject {
        by: format!("user:{}", user.email),
        surface: "api".into(),
        at: state.clock.now_ms(),
        reason: req.reason,
    };
    let o = state.actions.decide(&id, decision).await?;
    Ok(Json(outcome(id, o)))
}
