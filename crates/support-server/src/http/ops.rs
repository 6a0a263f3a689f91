//! The operator view of durable execution and the action ledger, under `/api/v1` with the
//! same bearer auth as the rest of the API: runs with their journal and step attempts, the
//! dead letter (and retrying a dead run), everything sharing a trace id, and actions with
//! their approval. Read-only except the retry, which is audited.

use std::collections::HashSet;

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use support_engine::WfError;
use support_store::workflows::{NEVER, RunRow, status};
use support_store::{NewAuditEntry, actions::state};
use support_types::api::{
    ActionDetail, ActionView, AlertView, ApprovalView, AuditView, DeadLetter, ReconcileRequest,
    ReconcileResponse, RetryRunResponse, RunDetail, RunView, StepAttemptView, StepView, TraceView,
};

use crate::auth::ApiUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Every run status, in lifecycle order (what `?status=` accepts).
pub const RUN_STATUSES: &[&str] = &[
    status::PENDING,
    status::RUNNING,
    status::RETRYING,
    status::SLEEPING,
    status::WAITING,
    status::COMPLETED,
    status::FAILED,
    status::DEAD,
];

/// Every action state (what `?state=` accepts).
pub const ACTION_STATES: &[&str] = &[
    state::PROPOSED,
    state::APPROVED,
    state::EXECUTING,
    state::SUCCEEDED,
    state::FAILED,
    state::UNCERTAIN,
    state::REJECTED,
    state::EXPIRED,
];

/// How many recent alerts the dead letter looks through for its runs' alerts.
const ALERT_SCAN: i64 = 1_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/runs", get(list_runs))
        .route("/api/v1/runs/{id}", get(get_run))
        .route("/api/v1/dead-letter", get(dead_letter))
        .route("/api/v1/dead-letter/{id}/retry", post(retry_dead))
        .route("/api/v1/front/reconcile", post(front_reconcile))
        .route("/api/v1/trace/{trace_id}", get(trace))
        .route("/api/v1/actions", get(list_actions))
        .route("/api/v1/actions/{id}", get(get_action))
}

/// `Query` whose rejections (e.g. `limit=abc`) use our JSON error body.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(rej) => Err(ApiError::BadRequest(QueryRejection::body_text(&rej))),
        }
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    state: Option<String>,
    limit: Option<i64>,
}

impl ListQuery {
    fn limit(&self) -> i64 {
        self.limit.unwrap_or(50).clamp(1, 500)
    }

    /// The filter named `what` (`status`/`state`), checked against `valid`; empty = none.
    fn filter<'a>(
        value: &'a Option<String>,
        what: &str,
        valid: &[&str],
    ) -> ApiResult<Option<&'a str>> {
        match value.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) if valid.contains(&v) => Ok(Some(v)),
            Some(v) => Err(ApiError::BadRequest(format!(
                "unknown {what} {v:?}; expected one of: {}",
                valid.join(", ")
            ))),
        }
    }
}

/// Stored JSON text as a JSON value; text that does not parse is returned as a string
/// rather than hidden.
fn json(raw: &str) -> serde_json::Value {
    serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.to_owned()))
}

pub fn run_view(r: &RunRow) -> RunView {
    RunView {
        id: r.id.clone(),
        kind: r.kind.clone(),
        key: r.key.clone(),
        status: r.status.clone(),
        attempts: r.attempts,
        next_run_at: (r.next_run_at != NEVER).then_some(r.next_run_at),
        last_error: r.last_error.clone(),
        lock_key: r.lock_key.clone(),
        trace_id: r.trace_id.clone(),
        created_at: r.created_at,
        started_at: r.started_at,
        finished_at: r.finished_at,
    }
}

fn engine_error(e: WfError) -> ApiError {
    match e {
        WfError::Store(s) => ApiError::from(s),
        other => ApiError::Internal(other.into()),
    }
}

/// The run `id`, or 404 `run "id" not found`.
async fn run_by_id(state: &AppState, id: &str) -> ApiResult<RunRow> {
    state
        .store
        .wf_get(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("run {id:?} not found")))
}

async fn list_runs(
    State(state): State<AppState>,
    _u: ApiUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<RunView>>> {
    let status = ListQuery::filter(&q.status, "status", RUN_STATUSES)?;
    let runs = state.store.wf_list(status, q.limit()).await?;
    Ok(Json(runs.iter().map(run_view).collect()))
}

async fn get_run(
    State(state): State<AppState>,
    _u: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<RunDetail>> {
    let run = run_by_id(&state, &id).await?;
    let steps = state.store.wf_steps(&id).await?;
    let attempts = state.store.wf_step_attempts(&id).await?;
    Ok(Json(RunDetail {
        run: run_view(&run),
        input: json(&run.input),
        output: run.output.as_deref().map(json),
        steps: steps
            .into_iter()
            .map(|s| StepView {
                result: json(&s.result),
                step: s.step,
                created_at: s.created_at,
            })
            .collect(),
        attempts: attempts
            .into_iter()
            .map(|a| StepAttemptView {
                step: a.step,
                attempts: a.attempts,
                last_error: a.last_error,
            })
            .collect(),
    }))
}

/// Dead runs, newest first, with the alerts raised for them.
async fn dead_letter(
    State(state): State<AppState>,
    _u: ApiUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<DeadLetter>> {
    let runs = state.store.wf_list(Some(status::DEAD), q.limit()).await?;
    let subjects: HashSet<String> = runs.iter().map(|r| format!("run:{}", r.id)).collect();
    let alerts = if subjects.is_empty() {
        Vec::new()
    } else {
        state
            .store
            .alerts(ALERT_SCAN)
            .await?
            .into_iter()
            .filter(|a| subjects.contains(&a.subject))
            .map(|a| AlertView {
                id: a.id,
                kind: a.kind,
                subject: a.subject,
                message: a.message,
                created_at: a.created_at,
            })
            .collect()
    };
    Ok(Json(DeadLetter {
        runs: runs.iter().map(run_view).collect(),
        alerts,
    }))
}

/// Lists Front's events since `since_ms` (default: shortly before the newest stored one)
/// and stores those whose webhook never arrived, as the worker does every few minutes.
async fn front_reconcile(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    super::api::ApiJson(req): super::api::ApiJson<ReconcileRequest>,
) -> ApiResult<Json<ReconcileResponse>> {
    let now = state.clock.now_ms();
    let actor = format!("user:{}", user.email);
    let r = match req.since_ms {
        Some(ms) if !(0..=now).contains(&ms) => {
            return Err(ApiError::BadRequest(format!(
                "since_ms {ms} must be between 0 and now ({now})"
            )));
        }
        Some(ms) => crate::reconcile::reconcile_since(&state, ms, &actor).await,
        None => crate::reconcile::reconcile_front(&state, now, &actor).await,
    };
    r.map(Json).map_err(|e| match e {
        crate::reconcile::ReconcileError::Store(e) => ApiError::from(e),
        other => ApiError::Upstream(other.to_string()),
    })
}

/// Puts a dead run back in the queue with fresh step budgets; its journal is kept, so the
/// steps that succeeded are not run again.
async fn retry_dead(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<RetryRunResponse>> {
    let run = run_by_id(&state, &id).await?;
    let not_dead = |status: &str| {
        ApiError::Conflict(format!(
            "run {id:?} is {status}, not dead; only dead runs can be retried"
        ))
    };
    if run.status != status::DEAD {
        return Err(not_dead(&run.status));
    }
    if !state.engine.retry_dead(&id).await.map_err(engine_error)? {
        // Someone else retried it between our read and the compare-and-set.
        let now = state.store.wf_get(&id).await?;
        return Err(not_dead(now.as_ref().map_or("gone", |r| r.status.as_str())));
    }
    state
        .store
        .append_audit(&NewAuditEntry {
            actor: format!("user:{}", user.email),
            action: "run.retried".into(),
            subject: format!("run:{id}"),
            trace_id: run.trace_id.clone(),
            data: serde_json::json!({
                "kind": run.kind,
                "key": run.key,
                "last_error": run.last_error,
            }),
        })
        .await?;
    let run = run_by_id(&state, &id).await?;
    Ok(Json(RetryRunResponse {
        retried: true,
        run: run_view(&run),
    }))
}

async fn trace(
    State(state): State<AppState>,
    _u: ApiUser,
    Path(trace_id): Path<String>,
) -> ApiResult<Json<TraceView>> {
    let runs = state.store.wf_by_trace(&trace_id).await?;
    let audit = state.store.audit_by_trace(&trace_id).await?;
    if runs.is_empty() && audit.is_empty() {
        return Err(ApiError::NotFound(format!(
            "nothing recorded under trace {trace_id:?}"
        )));
    }
    Ok(Json(TraceView {
        runs: runs.iter().map(run_view).collect(),
        audit: audit
            .into_iter()
            .map(|e| AuditView {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                hash: e.hash,
            })
            .collect(),
        trace_id,
    }))
}

fn action_view(a: support_store::actions::ActionRow) -> ActionView {
    ActionView {
        params: json(&a.params),
        result: a.result.as_deref().map(json),
        id: a.id,
        kind: a.kind,
        state: a.state,
        idempotency_key: a.idempotency_key,
        error: a.error,
        trace_id: a.trace_id,
        created_at: a.created_at,
        updated_at: a.updated_at,
    }
}

async fn list_actions(
    State(state): State<AppState>,
    _u: ApiUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<ActionView>>> {
    let filter = ListQuery::filter(&q.state, "state", ACTION_STATES)?;
    let actions = state.store.list_actions(filter, q.limit()).await?;
    Ok(Json(actions.into_iter().map(action_view).collect()))
}

async fn get_action(
    State(state): State<AppState>,
    _u: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ActionDetail>> {
    let action = state
        .store
        .action(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("action {id:?} not found")))?;
    let approval = state.store.approval_for(&id).await?.map(|a| ApprovalView {
        status: a.status,
        reason: a.reason,
        approvers: a.approvers,
        decided_by: a.decided_by,
        surface: a.surface,
        decided_at: a.decided_at,
        expires_at: a.expires_at,
    });
    Ok(Json(ActionDetail {
        action: action_view(action),
        approval,
    }))
}
