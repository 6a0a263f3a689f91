//! The brain on demand. `POST /api/v1/apps/{slug}/test` (`skill test`) shows what the brain
//! and the policy would decide on a synthetic message, doing nothing. `POST /api/v1/agent`
//! (`skill agent`) takes an operator's task in words, decides it exactly as an inbound
//! message is decided (same facts from the app and Stripe, same brain, same policy) and puts
//! the first proposal through the ledger under the policy's verdict: `auto` runs, `approval`
//! waits for an approver, `escalate` and `deny` do nothing. Nothing here sends a customer
//! message; the draft is returned as text.

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use support_agent::actions::{Proposal, Verdict};
use support_agent::inbound::DryRun;
use support_core::signals::extract_entities;
use support_store::App;
use support_types::agent::{AgentRequest, AgentResponse, TestDecision, TestMessage};

use super::api::ApiJson;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Longest task or test message accepted.
const MAX_TEXT: usize = 8_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/apps/{slug}/test", post(test_message))
        .route("/api/v1/agent", post(agent))
}

fn check_text(what: &str, s: &str) -> ApiResult<()> {
    if s.trim().is_empty() {
        return Err(ApiError::BadRequest(format!("{what} is empty")));
    }
    if s.chars().count() > MAX_TEXT {
        return Err(ApiError::BadRequest(format!(
            "{what} is longer than {MAX_TEXT} characters"
        )));
    }
    Ok(())
}

async fn app_by_slug(state: &AppState, slug: &str) -> ApiResult<App> {
    state
        .store
        .app_by_slug(slug)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("app {slug:?} not found")))
}

async fn dry_run(
    state: &AppState,
    app: &App,
    from: &str,
    subject: &str,
    body: &str,
) -> ApiResult<DryRun> {
    state
        .inbound
        .dry_run(&app.id, from, subject, body, state.clock.now_ms())
        .await
        .map_err(|e| ApiError::BadRequest(format!("could not gather facts from {}: {e}", app.slug)))
}

async fn test_message(
    State(state): State<AppState>,
    ApiUser(_user): ApiUser,
    Path(slug): Path<String>,
    ApiJson(msg): ApiJson<TestMessage>,
) -> ApiResult<Json<TestDecision>> {
    check_text("body", &msg.body)?;
    let app = app_by_slug(&state, &slug).await?;
    let d = dry_run(&state, &app, &msg.from, &msg.subject, &msg.body).await?;
    let p = d.plan;
    let policy = p.policy();
    Ok(Json(TestDecision {
        app: app.slug,
        category: p.category.as_str().to_owned(),
        confidence: p.confidence,
        signals: p.signals.iter().map(|s| s.as_str().to_owned()).collect(),
        routing: p.routing.as_str().to_owned(),
        route_rule: p.route_rule.clone(),
        proposals: p
            .proposals
            .iter()
            .filter_map(|x| serde_json::to_value(x).ok())
            .collect(),
        draft: p.draft,
        validation: p
            .validation
            .as_ref()
            .and_then(|v| serde_json::to_value(v).ok()),
        brain: p.brain.as_str().to_owned(),
        policy,
        model: p.model,
        reasoning: p.reasoning,
        customer: d
            .user
            .as_ref()
            .map(|u| json!({"id": u.id, "email": u.email, "name": u.name})),
        purchases: d.purchases.len(),
        context: json!({
            "tokens": d.context.tokens,
            "budget": d.context.budget,
            "snippets": d.context.snippets,
            "dropped": d.context.dropped,
        }),
        notes: d.facts_note.into_iter().chain(d.model_error).collect(),
    }))
}

/// The app a task is about: `--app`, the conversation's, or the one registered app whose
/// slug the task names.
async fn app_for_task(state: &AppState, named: Option<&str>, task: &str) -> ApiResult<App> {
    if let Some(slug) = named {
        return app_by_slug(state, slug).await;
    }
    let lower = task.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .collect();
    let mut found: Vec<App> = state
        .store
        .list_apps()
        .await?
        .into_iter()
        .filter(|a| words.contains(&a.slug.as_str()))
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(ApiError::BadRequest(
            "which app? name it in the task (\"… on <app>\") or pass --app".into(),
        )),
        _ => Err(ApiError::BadRequest(
            "the task names several apps; pass --app".into(),
        )),
    }
}

async fn agent(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(req): ApiJson<AgentRequest>,
) -> ApiResult<Json<AgentResponse>> {
    let mut task = req.task.clone();
    let mut named_app = req.app.clone();
    let mut customer = None;
    let mut conversation_id = None;
    if let Some(c) = &req.context {
        let (conv, messages) = state
            .store
            .conversation(c)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("conversation {c:?} not found")))?;
        // With no task, the task is the customer's latest message.
        if task.trim().is_empty() {
            task = messages
                .iter()
                .rev()
                .find(|m| m.direction == "inbound")
                .and_then(|m| m.body.clone())
                .unwrap_or_default();
        }
        named_app = named_app.or(conv.app_slug.clone());
        customer = conv.customer_email.clone();
        conversation_id = Some(conv.id);
    }
    check_text("task", &task)?;
    let app = app_for_task(&state, named_app.as_deref(), &task).await?;
    // The conversation's customer, else the first address the task names.
    let customer = customer
        .or_else(|| extract_entities(&task).emails.first().cloned())
        .ok_or_else(|| {
            ApiError::BadRequest(
                "whose account? name the customer's email in the task or pass --context".into(),
            )
        })?;
    let d = dry_run(&state, &app, &customer, "Operator task", &task).await?;
    let plan = d.plan;
    let mut reasoning = vec![format!(
        "Read the task as {} (confidence {:.2}, {} brain) for {customer} on {}.",
        plan.category, plan.confidence, plan.brain, app.slug
    )];
    match &d.user {
        Some(u) => reasoning.push(format!(
            "{} is user {} with {} purchase(s).",
            customer,
            u.id,
            d.purchases.len()
        )),
        None => reasoning.push(format!("{} has no account in {}.", customer, app.slug)),
    }
    let Some(p) = plan.proposals.first() else {
        reasoning.push(format!(
            "No action fits: route {} ({}).",
            plan.routing, plan.route_rule
        ));
        return Ok(Json(AgentResponse {
            reasoning: reasoning.join(" "),
            action: json!({"type": "none"}),
            result: json!({"success": false, "status": "no_action", "routing": plan.routing}),
            draft_response: plan.draft,
        }));
    };
    reasoning.push(format!(
        "Proposed {}; the policy ({}@{}) says {} by rule {}.",
        p.request.kind(),
        plan.policy_version,
        plan.policy_fingerprint,
        p.verdict.as_str(),
        p.rule
    ));
    let params = p.request.params();
    let mut action = json!({"type": p.request.kind()});
    if let (Some(obj), Some(params)) = (action.as_object_mut(), params.as_object()) {
        for (k, v) in params {
            obj.insert(k.clone(), v.clone());
        }
    }
    let result = match &p.verdict {
        Verdict::Escalate { reason } => {
            json!({"success": false, "status": "escalated", "reason": reason})
        }
        Verdict::Deny { reason } => json!({"success": false, "status": "denied", "reason": reason}),
        verdict @ (Verdict::Auto | Verdict::Approval { .. }) => {
            let row = state
                .actions
                .propose(Proposal {
                    app_id: Some(app.id.clone()),
                    conversation_id,
                    kind: p.request.kind().as_str().to_owned(),
                    params: params.clone(),
                    verdict: verdict.clone(),
                    requested_by: format!("agent:{}", user.email),
                    trace_id: support_store::new_id(),
                })
                .await?;
            match verdict {
                Verdict::Approval { approvers, reason } => json!({
                    "success": true, "status": "awaiting_approval", "actionId": row.id,
                    "approvers": approvers, "reason": reason, "traceId": row.trace_id,
                }),
                _ => json!({
                    "success": true, "status": "executing", "actionId": row.id,
                    "traceId": row.trace_id,
                }),
            }
        }
    };
    Ok(Json(AgentResponse {
        reasoning: reasoning.join(" "),
        action,
        result,
        draft_response: plan.draft,
    }))
}
