//! The operator routes behind `skill history`, `refund`, `transfer`, `magic-link`,
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

mod redact;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use support_agent::actions::{ActionError, HumanDecision, Proposal, ProposeOptions, Verdict};
use support_agent::decide::app_policy;
use support_agent::decide::operator::{self, OperatorError};
use support_sdk::AppApi;
use support_store::actions::ActionRow;
use support_store::{App, NewAuditEntry, StoreError, User};
use support_types::Email;
use support_types::api::ErrorBody;
use support_types::cli_api::{
    AppLogs, AppMetrics, ApprovalCounts, CustomerHistory, ExportAction, ExportConversation,
    ExportDecision, ExportMessage, ExportPage, HistoryAction, HistoryConversation, HistoryDecision,
    LogEntry, OperatorActionRef, OperatorActionRequest, OperatorActionResponse, OperatorFacts,
    RefundOutcome, RefundOutcomes, RefundOutcomesRequest, StripeRefundView, valid_client_ref,
};

pub use redact::redact;

use super::api::ApiJson;
use super::ops::ApiQuery;
use crate::auth::ApiUser;
use crate::error::ApiError;
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

/// An [`ApiError`], or a status of our own (422 refusals) with the same JSON body.
#[derive(Debug)]
pub enum CliApiError {
    Api(ApiError),
    Unprocessable { code: &'static str, message: String },
}

impl From<ApiError> for CliApiError {
    fn from(e: ApiError) -> Self {
        CliApiError::Api(e)
    }
}

impl From<StoreError> for CliApiError {
    fn from(e: StoreError) -> Self {
        CliApiError::Api(e.into())
    }
}

impl From<ActionError> for CliApiError {
    fn from(e: ActionError) -> Self {
        CliApiError::Api(e.into())
    }
}

impl IntoResponse for CliApiError {
    fn into_response(self) -> Response {
        match self {
            CliApiError::Api(e) => e.into_response(),
            CliApiError::Unprocessable { code, message } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(ErrorBody {
                    error: code.to_owned(),
                    message,
                }),
            )
                .into_response(),
        }
    }
}

type CliResult<T> = Result<T, CliApiError>;

fn refuse(code: &'static str, message: impl Into<String>) -> CliApiError {
    CliApiError::Unprocessable {
        code,
        message: message.into(),
    }
}

fn bad(message: impl Into<String>) -> CliApiError {
    CliApiError::Api(ApiError::BadRequest(message.into()))
}

fn not_found(message: impl Into<String>) -> CliApiError {
    CliApiError::Api(ApiError::NotFound(message.into()))
}

async fn app_by_slug(state: &AppState, slug: &str) -> CliResult<App> {
    state
        .store
        .app_by_slug(slug)
        .await?
        .ok_or_else(|| not_found(format!("app {slug:?} not found")))
}

async fn sdk(state: &AppState, app: &App) -> CliResult<Arc<dyn AppApi>> {
    if app.integration_url.is_none() {
        return Err(refuse(
            "no_integration",
            format!(
                "app {} has no integration URL: the platform cannot look its customers up",
                app.slug
            ),
        ));
    }
    state
        .apps
        .app_api(&app.id)
        .await
        .map_err(|e| refuse("no_integration", format!("app {}: {e}", app.slug)))
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

// ---------------------------------------------------------------------------------------
// history

#[derive(Deserialize)]
struct HistoryQuery {
    limit: Option<i64>,
}

/// `GET /api/v1/apps/{slug}/customers/{email}/history`.
async fn history(
    State(state): State<AppState>,
    _u: ApiUser,
    Path((slug, email)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> CliResult<Json<CustomerHistory>> {
    let email = Email::parse(&email).map_err(|e| bad(e.to_string()))?;
    let app = app_by_slug(&state, &slug).await?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let convs = state
        .store
        .customer_conversations(&app.id, email.as_str(), limit)
        .await?;
    let mut conversations = Vec::with_capacity(convs.len());
    let mut seen: HashSet<String> = HashSet::new();
    for c in convs {
        let mut decisions = state.store.decisions_for(&c.id).await?;
        decisions.reverse();
        let mut actions = state.store.actions_for_conversation(&c.id).await?;
        actions.reverse();
        seen.extend(actions.iter().map(|a| a.id.clone()));
        conversations.push(HistoryConversation {
            id: c.id,
            front_conversation_id: c.front_conversation_id,
            subject: c.subject,
            status: c.status,
            message_count: c.message_count,
            last_message_at: c.last_message_at,
            updated_at: c.updated_at,
            decisions: decisions
                .into_iter()
                .map(|d| HistoryDecision {
                    id: d.id,
                    category: d.category,
                    routing: d.routing,
                    confidence: d.confidence,
                    created_at: d.created_at,
                })
                .collect(),
            actions: actions.iter().map(history_action).collect(),
        });
    }
    // Actions about this customer outside a conversation (an operator's refunds, links,
    // transfers): found by the email, and by their purchases and charges when the app
    // answers.
    let mut fragments = vec![email.to_string()];
    if let Ok(api) = sdk(&state, &app).await
        && let Ok(Some(user)) = api.lookup_user(&email).await
        && let Ok(purchases) = api.get_purchases(&user.id).await
    {
        for p in purchases {
            fragments.extend(p.stripe_charge_id);
            fragments.push(p.id);
        }
    }
    let mut other: Vec<ActionRow> = Vec::new();
    for kind in ["refund", "transfer_purchase", "magic_link"] {
        for f in &fragments {
            for a in state
                .store
                .actions_with_params_fragment(&app.id, kind, f)
                .await?
            {
                let params = parse_json(&a.params);
                let names = |key: &str| params[key].as_str() == Some(f.as_str());
                let about = match kind {
                    "refund" => names("charge") || names("purchase_id"),
                    "transfer_purchase" => names("purchaseId") || names("toEmail"),
                    _ => names("email"),
                };
                if about && a.conversation_id.is_none() && seen.insert(a.id.clone()) {
                    other.push(a);
                }
            }
        }
    }
    other.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    Ok(Json(CustomerHistory {
        app: app.slug,
        email: email.to_string(),
        conversations,
        other_actions: other.iter().map(history_action).collect(),
    }))
}

// ---------------------------------------------------------------------------------------
// operator actions

impl From<OperatorError> for CliApiError {
    fn from(e: OperatorError) -> Self {
        match e {
            OperatorError::Invalid(m) => bad(m),
            OperatorError::NotFound(m) => not_found(m),
            OperatorError::Refused { code, message } => refuse(code, message),
            other @ (OperatorError::App { .. } | OperatorError::Stripe { .. }) => {
                CliApiError::Api(ApiError::Internal(other.into()))
            }
        }
    }
}

fn action_ref(a: &ActionRow) -> OperatorActionRef {
    OperatorActionRef {
        id: a.id.clone(),
        state: a.state.clone(),
        idempotency_key: a.idempotency_key.clone(),
        trace_id: a.trace_id.clone(),
    }
}

/// The answer for an action that already exists under the request's reference.
fn existing_response(
    app: &App,
    req: &OperatorActionRequest,
    a: &ActionRow,
) -> OperatorActionResponse {
    OperatorActionResponse {
        app: app.slug.clone(),
        kind: a.kind.clone(),
        dry_run: req.dry_run,
        verdict: "existing".into(),
        rule: None,
        reason: Some(format!(
            "already proposed under this reference as action {}",
            a.id
        )),
        approvers: Vec::new(),
        approved_by_requester: false,
        existing: true,
        action: Some(action_ref(a)),
        facts: OperatorFacts::default(),
        params: parse_json(&a.params),
    }
}

/// `POST /api/v1/apps/{slug}/operator-actions`.
async fn operator_action(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(slug): Path<String>,
    ApiJson(req): ApiJson<OperatorActionRequest>,
) -> CliResult<Json<OperatorActionResponse>> {
    let app = app_by_slug(&state, &slug).await?;
    if let Some(r) = &req.client_ref {
        if !valid_client_ref(r) {
            return Err(bad("client_ref must be 1-128 of [A-Za-z0-9:_-]"));
        }
        if let Some(a) = state.store.action_by_client_ref(r).await? {
            if a.app_id.as_deref() != Some(app.id.as_str()) {
                return Err(CliApiError::Api(ApiError::Conflict(format!(
                    "reference {r} belongs to an action of another app"
                ))));
            }
            let started = state
                .engine
                .run_by_key(support_agent::actions::ACTION_WORKFLOW, &a.id)
                .await
                .map_err(|e| CliApiError::Api(ActionError::from(e).into()))?
                .is_some();
            if started || req.dry_run {
                return Ok(Json(existing_response(&app, &req, &a)));
            }
            // Written but never started (an interrupted earlier call): decide again below;
            // the ledger then starts the existing action instead of writing a new one.
        }
    }
    // Fail closed: a stored policy that cannot be read judges nothing, not even a dry run.
    let policy_cfg = app_policy(app.policy.as_deref()).map_err(|e| {
        refuse(
            "policy_invalid",
            format!(
                "the stored policy of {} cannot be read, so nothing is decided: {e}; fix it with `skill apps policy`",
                app.slug
            ),
        )
    })?;
    let case = operator::gather(
        state.apps.as_ref(),
        state.stripe.as_ref(),
        &app,
        &req,
        state.clock.now_secs(),
    )
    .await?;
    let (verdict, rule) = operator::decide(&case, &policy_cfg);
    let kind = case.request.kind().as_str();
    let params = case.request.params();
    let requester = format!("user:{}", user.email);
    let (reason, approvers) = match &verdict {
        Verdict::Auto => (None, Vec::new()),
        Verdict::Approval { approvers, reason } => (Some(reason.clone()), approvers.clone()),
        Verdict::Escalate { reason } | Verdict::Deny { reason } => {
            (Some(reason.clone()), Vec::new())
        }
    };
    let self_approves = approvers.iter().any(|a| a == &requester);
    let mut answer = OperatorActionResponse {
        app: app.slug.clone(),
        kind: kind.to_owned(),
        dry_run: req.dry_run,
        verdict: Verdict::as_str(&verdict).into(),
        rule: Some(rule.clone()),
        reason: reason.clone(),
        approvers,
        approved_by_requester: false,
        existing: false,
        action: None,
        facts: case.facts.clone(),
        params: params.clone(),
    };
    if req.dry_run {
        answer.approved_by_requester = self_approves;
        return Ok(Json(answer));
    }
    if let Verdict::Escalate { reason } | Verdict::Deny { reason } = &verdict {
        let code = if matches!(verdict, Verdict::Deny { .. }) {
            "policy_deny"
        } else {
            "policy_escalate"
        };
        return Err(refuse(
            code,
            format!(
                "the policy of {} refuses this {} ({}: {reason}, rule {rule}); nothing was done",
                app.slug,
                kind,
                Verdict::as_str(&verdict)
            ),
        ));
    }
    let decided = self_approves.then(|| HumanDecision::Approve {
        by: requester.clone(),
        surface: CLI_SURFACE.into(),
        at: state.clock.now_ms(),
    });
    let note = json!({
        "surface": CLI_SURFACE,
        "operator_reason": req.reason,
        "rule": rule,
        "facts": case.facts,
        "self_approved": self_approves,
    });
    let (row, existing) = state
        .actions
        .propose_with(
            Proposal {
                app_id: Some(app.id.clone()),
                conversation_id: None,
                kind: kind.to_owned(),
                params,
                verdict,
                requested_by: requester,
                trace_id: support_store::new_id(),
            },
            ProposeOptions {
                client_ref: req.client_ref.clone(),
                decided,
                note: Some(note),
            },
        )
        .await
        .map_err(|e| match e {
            ActionError::NotAllowed(m) => refuse("policy_refused", m),
            other => CliApiError::Api(other.into()),
        })?;
    answer.approved_by_requester = self_approves && !existing;
    answer.existing = existing;
    answer.action = Some(action_ref(&row));
    if existing {
        answer.verdict = "existing".into();
    }
    Ok(Json(answer))
}

// ---------------------------------------------------------------------------------------
// logs and metrics

#[derive(Deserialize)]
struct SinceQuery {
    since: Option<i64>,
    until: Option<i64>,
    limit: Option<i64>,
}

fn audit_summary(action: &str, subject: &str, data: &Value) -> String {
    match action {
        "decision.recorded" => format!(
            "{subject}: {} → {}",
            data["category"].as_str().unwrap_or("?"),
            data["routing"].as_str().unwrap_or("?")
        ),
        "action.proposed" => format!(
            "{subject}: {} proposed ({})",
            data["kind"].as_str().unwrap_or("?"),
            data["verdict"]["verdict"].as_str().unwrap_or("?")
        ),
        "action.failed" | "action.uncertain" => format!(
            "{subject}: {}",
            data["error"]
                .as_str()
                .or(data["reason"].as_str())
                .unwrap_or(action)
        ),
        _ => format!("{action} {subject}"),
    }
}

/// `GET /api/v1/apps/{slug}/logs?since=MS&limit=N`: audit entries about the app and the
/// decisions on its conversations, oldest first.
async fn logs(
    State(state): State<AppState>,
    _u: ApiUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<SinceQuery>,
) -> CliResult<Json<AppLogs>> {
    let app = app_by_slug(&state, &slug).await?;
    let since = q.since.unwrap_or(0);
    let limit = q.limit.unwrap_or(1_000).clamp(1, 10_000);
    let audit = state
        .store
        .app_audit_since(&app.id, &app.slug, since, limit + 1)
        .await?;
    let decisions = state
        .store
        .app_decisions_between(&app.id, since, i64::MAX, limit + 1)
        .await?;
    let truncated = audit.len() as i64 > limit || decisions.len() as i64 > limit;
    let mut entries: Vec<LogEntry> = audit
        .into_iter()
        .take(limit as usize)
        .map(|e| {
            let data = parse_json(&e.data);
            LogEntry {
                at: e.at,
                source: "audit".into(),
                seq: Some(e.seq),
                summary: audit_summary(&e.action, &e.subject, &data),
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                trace_id: e.trace_id,
                data,
            }
        })
        .collect();
    entries.extend(
        decisions
            .into_iter()
            .take(limit as usize)
            .map(|d| LogEntry {
                at: d.created_at,
                source: "decision".into(),
                seq: None,
                actor: format!("brain:{}", d.brain),
                action: "decision".into(),
                subject: format!("conversation:{}", d.conversation_id),
                trace_id: Some(d.trace_id),
                summary: format!(
                    "{} → {} (confidence {:.2})",
                    d.category, d.routing, d.confidence
                ),
                data: json!({
                    "decision_id": d.id,
                    "category": d.category,
                    "routing": d.routing,
                    "confidence": d.confidence,
                    "proposals": parse_json(&d.proposed_actions),
                }),
            }),
    );
    // Stable: an audit entry and the decision it records keep their order.
    entries.sort_by_key(|e| e.at);
    entries.truncate(limit as usize);
    Ok(Json(AppLogs {
        app: app.slug,
        since,
        entries,
        truncated,
    }))
}

/// Upper bound on the rows one metrics call reads per table.
const METRICS_SCAN: i64 = 200_000;

/// `GET /api/v1/apps/{slug}/metrics?since=MS[&until=MS]`.
async fn metrics(
    State(state): State<AppState>,
    _u: ApiUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<SinceQuery>,
) -> CliResult<Json<AppMetrics>> {
    let app = app_by_slug(&state, &slug).await?;
    let until = q.until.unwrap_or_else(|| state.clock.now_ms() + 1);
    let since = q.since.unwrap_or(until - 24 * 3_600_000);
    if since >= until {
        return Err(bad("since must be before until"));
    }
    let store = &state.store;
    let conversations = store
        .app_conversations_created(&app.id, since, until)
        .await?;
    let decisions = store
        .app_decisions_between(&app.id, since, until, METRICS_SCAN)
        .await?;
    let actions = store
        .app_actions_between(&app.id, since, until, METRICS_SCAN)
        .await?;
    // A decision's actions carry its trace and are proposed after it, possibly after the
    // period ends.
    let later = store
        .app_actions_between(&app.id, since, i64::MAX, METRICS_SCAN)
        .await?;
    let approvals_opened = store.app_approvals_between(&app.id, since, until).await?;
    let with_approval: HashSet<String> = store
        .app_approvals_between(&app.id, since, i64::MAX)
        .await?
        .into_iter()
        .map(|a| a.action_id)
        .collect();
    let mut by_trace: BTreeMap<&str, Vec<&ActionRow>> = BTreeMap::new();
    for a in &later {
        by_trace.entry(a.trace_id.as_str()).or_default().push(a);
    }
    let mut by_route = BTreeMap::new();
    let mut by_category = BTreeMap::new();
    let mut handled = 0;
    for d in &decisions {
        *by_route.entry(d.routing.clone()).or_insert(0) += 1;
        *by_category.entry(d.category.clone()).or_insert(0) += 1;
        let acts = by_trace
            .get(d.trace_id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let untouched = !d.routing.starts_with("escalate")
            && acts.iter().all(|a| {
                a.kind != "escalate_to_human"
                    && a.state == support_store::actions::state::SUCCEEDED
                    && !with_approval.contains(&a.id)
            });
        if untouched {
            handled += 1;
        }
    }
    let mut by_kind: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for a in &actions {
        *by_kind
            .entry(a.kind.clone())
            .or_default()
            .entry(a.state.clone())
            .or_insert(0) += 1;
    }
    let mut approvals = ApprovalCounts::default();
    for a in &approvals_opened {
        match a.status.as_str() {
            "pending" => approvals.pending += 1,
            "approved" => approvals.approved += 1,
            "rejected" => approvals.rejected += 1,
            "expired" => approvals.expired += 1,
            _ => {}
        }
    }
    let n = decisions.len() as i64;
    Ok(Json(AppMetrics {
        app: app.slug,
        since,
        until,
        conversations,
        decisions: n,
        decisions_by_route: by_route,
        decisions_by_category: by_category,
        actions: by_kind,
        handled_without_human: handled,
        handled_without_human_share: if n == 0 {
            0.0
        } else {
            handled as f64 / n as f64
        },
        approvals,
    }))
}

// ---------------------------------------------------------------------------------------
// export and refund outcomes

#[derive(Deserialize)]
struct ExportQuery {
    since: Option<i64>,
    after: Option<String>,
    limit: Option<i64>,
    #[serde(default)]
    include_pii: bool,
}

fn require_admin(user: &User, what: &str) -> CliResult<()> {
    if user.role == "admin" {
        Ok(())
    } else {
        Err(CliApiError::Api(ApiError::Forbidden(format!(
            "{what} needs the admin role"
        ))))
    }
}

fn cursor(raw: &str) -> CliResult<(i64, String)> {
    raw.split_once(':')
        .and_then(|(t, id)| Some((t.parse().ok()?, id.to_owned())))
        .ok_or_else(|| bad(format!("invalid cursor {raw:?}")))
}

/// `GET /api/v1/apps/{slug}/export/conversations?since=MS[&after=CURSOR][&include_pii=true]`:
/// conversations updated since, oldest update first, with their messages, decisions and
/// actions. Emails, phone numbers and card numbers are redacted unless an admin asks for PII
/// (which is audited).
async fn export(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> CliResult<Json<ExportPage>> {
    if q.include_pii {
        require_admin(&user, "exporting with --include-pii")?;
    }
    let app = app_by_slug(&state, &slug).await?;
    let since = q.since.unwrap_or(0);
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let after = q.after.as_deref().map(cursor).transpose()?;
    let page = state
        .store
        .app_conversations_since(
            &app.id,
            since,
            after.as_ref().map(|(t, id)| (*t, id.as_str())),
            limit,
        )
        .await?;
    if q.include_pii && after.is_none() {
        state
            .store
            .append_audit(&NewAuditEntry {
                actor: format!("user:{}", user.email),
                action: "export.pii".into(),
                subject: format!("app:{}", app.slug),
                trace_id: None,
                data: json!({"since": since}),
            })
            .await?;
    }
    let pii = q.include_pii;
    let clean = |s: &str| if pii { s.to_owned() } else { redact(s) };
    let mut conversations = Vec::with_capacity(page.len());
    for c in &page {
        let messages = state
            .store
            .conversation(&c.id)
            .await?
            .map(|(_, m)| m)
            .unwrap_or_default();
        let decisions: Vec<ExportDecision> = state
            .store
            .decisions_for(&c.id)
            .await?
            .into_iter()
            .map(|d| ExportDecision {
                id: d.id,
                category: d.category,
                routing: d.routing,
                confidence: d.confidence,
                created_at: d.created_at,
            })
            .collect();
        let actions = state.store.actions_for_conversation(&c.id).await?;
        conversations.push(ExportConversation {
            id: c.id.clone(),
            app: app.slug.clone(),
            front_conversation_id: c.front_conversation_id.clone(),
            subject: clean(&c.subject),
            status: c.status.clone(),
            customer: c
                .customer_email
                .as_deref()
                .map(|e| if pii { e.to_owned() } else { "[EMAIL]".into() }),
            created_at: c.created_at,
            updated_at: c.updated_at,
            redacted: !pii,
            messages: messages
                .into_iter()
                .map(|m| ExportMessage {
                    id: m.id,
                    direction: m.direction,
                    author: m.author.as_deref().map(clean),
                    body: m.body.as_deref().map(clean),
                    created_at: m.created_at,
                })
                .collect(),
            decision: decisions.last().cloned(),
            decisions,
            actions: actions
                .iter()
                .map(|a| ExportAction {
                    id: a.id.clone(),
                    kind: a.kind.clone(),
                    state: a.state.clone(),
                    amount: action_amount(a),
                    created_at: a.created_at,
                    updated_at: a.updated_at,
                })
                .collect(),
        });
    }
    let next = (page.len() as i64 == limit)
        .then(|| page.last().map(|c| format!("{}:{}", c.updated_at, c.id)))
        .flatten();
    Ok(Json(ExportPage {
        conversations,
        next,
    }))
}

/// `POST /api/v1/apps/{slug}/refund-outcomes`.
async fn refund_outcomes(
    State(state): State<AppState>,
    _u: ApiUser,
    Path(slug): Path<String>,
    ApiJson(req): ApiJson<RefundOutcomesRequest>,
) -> CliResult<Json<RefundOutcomes>> {
    let app = app_by_slug(&state, &slug).await?;
    if req.conversations.len() > 500 {
        return Err(bad("at most 500 conversations per request"));
    }
    let mut out = BTreeMap::new();
    for id in &req.conversations {
        let Some((c, _)) = state.store.conversation(id).await? else {
            continue;
        };
        if c.app_slug.as_deref() != Some(app.slug.as_str()) {
            continue;
        }
        let mut outcomes = Vec::new();
        for a in state.store.actions_for_conversation(&c.id).await? {
            if a.kind != "refund" {
                continue;
            }
            let params = parse_json(&a.params);
            let charge = params["charge"].as_str().map(str::to_owned);
            let stripe = match &charge {
                Some(ch) => state
                    .store
                    .stripe_refunds_for_charge(ch)
                    .await?
                    .into_iter()
                    .filter(|r| r.app_id == app.id)
                    .map(|r| StripeRefundView {
                        this_action: r.action_id.as_deref() == Some(a.id.as_str()),
                        refund_id: r.refund_id,
                        amount: r.amount,
                        currency: r.currency,
                        status: r.status,
                        origin: r.origin,
                    })
                    .collect(),
                None => Vec::new(),
            };
            outcomes.push(RefundOutcome {
                action_id: a.id.clone(),
                state: a.state.clone(),
                amount: params["amount"].as_i64(),
                charge,
                stripe,
            });
        }
        out.insert(id.clone(), outcomes);
    }
    Ok(Json(RefundOutcomes { conversations: out }))
}
