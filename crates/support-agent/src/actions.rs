//! The action ledger workflow (`kind = "action"`, key = action id):
//! `proposed → approved → executing → succeeded | failed | uncertain`, plus `rejected` and
//! `expired`. The action row holds its idempotency key and frozen parameters before any
//! remote call; every attempt reuses both; an uncertain outcome is reconciled through the
//! tool's own lookup, never re-issued with a new key. The wait for a human lives here (a
//! durable promise with a deadline), not in the conversation's exclusive section.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use support_engine::{
    BoxError, Durable, EmbeddedCtx, Engine, RetryPolicy, StartOptions, StepError, WfError, WfResult,
};
use support_store::actions::{ActionRow, NewAction, Transition, state};
use support_store::{NewAuditEntry, Store, StoreError, new_id};

use crate::request::{ActionRequest, RequestError};
use crate::tools::{Tool, ToolCtx, ToolError, ToolRegistry};

/// Tool calls go through trait objects; boxing their step futures as `Send` keeps the
/// workflow future `Send` without higher-ranked lifetime trouble.
type BoxFut<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

pub const ACTION_WORKFLOW: &str = "action";
pub const DECISION: &str = "decision";
/// Approval requests expire after this long unless the policy says otherwise.
pub const DEFAULT_APPROVAL_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// What the policy decided for a proposed action: the one verdict type, from the policy.
pub use support_core::policy::Verdict;

/// A human's decision on an approval request, from any surface (Slack, dashboard, CLI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum HumanDecision {
    Approve {
        by: String,
        surface: String,
        at: i64,
    },
    Reject {
        by: String,
        surface: String,
        at: i64,
        reason: String,
    },
}

impl HumanDecision {
    fn by(&self) -> &str {
        match self {
            HumanDecision::Approve { by, .. } | HumanDecision::Reject { by, .. } => by,
        }
    }
    fn at(&self) -> i64 {
        match self {
            HumanDecision::Approve { at, .. } | HumanDecision::Reject { at, .. } => *at,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Proposal {
    pub app_id: Option<String>,
    pub conversation_id: Option<String>,
    /// The tool kind: `refund`, `transfer_purchase`, …
    pub kind: String,
    pub params: Value,
    pub verdict: Verdict,
    /// `user:<email>`, `agent`, `policy`…
    pub requested_by: String,
    pub trace_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("no tool for action kind {0:?}")]
    UnknownKind(String),
    #[error(transparent)]
    Invalid(#[from] RequestError),
    #[error("not allowed: {0}")]
    NotAllowed(String),
    #[error("action {0} not found")]
    NotFound(String),
    #[error("{0} may not decide this approval")]
    Forbidden(String),
    #[error("the approval is no longer pending: {0}")]
    Closed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Engine(#[from] WfError),
}

/// What a decider learns: the decision that stands (maybe another surface's) and whether
/// theirs was the one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecideOutcome {
    pub standing: HumanDecision,
    pub this_call_won: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ApprovalSpec {
    approvers: Vec<String>,
    reason: String,
    expires_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ActionInput {
    action_id: String,
    approval: Option<ApprovalSpec>,
    /// The requester is one of the approvers and approved when proposing (an operator
    /// acting from the CLI): the workflow records this decision on the approval request
    /// itself, first-wins like any other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    decided: Option<HumanDecision>,
}

/// How [`ActionService::propose_with`] differs from a plain proposal.
#[derive(Debug, Clone, Default)]
pub struct ProposeOptions {
    /// The caller's reference (e.g. a bulk row's digest). Proposing again under the same
    /// reference returns the first action and writes nothing.
    pub client_ref: Option<String>,
    /// With an approval verdict: the requester, an approver, approves their own request at
    /// once (recorded as the decision on the approval request, by them, on their surface).
    pub decided: Option<HumanDecision>,
    /// Extra detail for the `action.proposed` audit entry (e.g. the operator's own words).
    pub note: Option<Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
enum Executed {
    Done { result: Value },
    Uncertain { reason: String },
}

struct Inner {
    store: Store,
    tools: ToolRegistry,
    /// Tells approvers where they are (Slack); set once by the server.
    notifier: std::sync::OnceLock<Arc<dyn ApprovalNotifier>>,
}

/// An approval request, as a surface shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalNotice {
    pub action_id: String,
    pub app_id: Option<String>,
    pub conversation_id: Option<String>,
    pub kind: String,
    pub params: Value,
    pub reason: String,
    pub approvers: Vec<String>,
}

/// A surface that shows approval requests to approvers (Slack) and, once decided, how they
/// ended. Failures here never block the request: approvers can always decide on the
/// dashboard or with `skill approve`.
#[async_trait::async_trait]
pub trait ApprovalNotifier: Send + Sync {
    /// Shows the request; returns where it was shown (journaled, passed back to `ended`).
    async fn requested(&self, notice: &ApprovalNotice) -> Result<Option<Value>, BoxError>;
    /// The request ended: `state` is the action's final state (`succeeded`, `failed`,
    /// `uncertain`, `rejected`, `expired`), `by` who decided, `detail` a reason or an error.
    async fn ended(
        &self,
        notice: &ApprovalNotice,
        shown: &Value,
        state: &str,
        by: Option<&str>,
        detail: Option<&str>,
    ) -> Result<(), BoxError>;
}

/// Proposes actions, takes human decisions, and runs the action workflow on the engine.
pub struct ActionService {
    inner: Arc<Inner>,
    engine: Arc<Engine>,
    approval_ttl_ms: i64,
}

fn audit(actor: &str, action: &str, action_id: &str, trace: &str, data: Value) -> NewAuditEntry {
    NewAuditEntry {
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject: format!("action:{action_id}"),
        trace_id: Some(trace.to_owned()),
        data,
    }
}

impl ActionService {
    /// Creates the service and registers the action workflow on `engine`.
    pub fn new(store: Store, engine: Arc<Engine>, tools: ToolRegistry) -> Arc<Self> {
        let inner = Arc::new(Inner {
            store,
            tools,
            notifier: std::sync::OnceLock::new(),
        });
        let wf_inner = inner.clone();
        engine.register(ACTION_WORKFLOW, move |ctx: EmbeddedCtx, input: Value| {
            let inner = wf_inner.clone();
            async move { action_workflow(ctx, inner, input).await }
        });
        Arc::new(Self {
            inner,
            engine,
            approval_ttl_ms: DEFAULT_APPROVAL_TTL_MS,
        })
    }

    /// Sets the approval surface (once; later calls are ignored).
    pub fn set_notifier(&self, notifier: Arc<dyn ApprovalNotifier>) {
        let _ = self.inner.notifier.set(notifier);
    }

    pub fn with_approval_ttl(self: Arc<Self>, ms: i64) -> Arc<Self> {
        Arc::new(Self {
            inner: self.inner.clone(),
            engine: self.engine.clone(),
            approval_ttl_ms: ms,
        })
    }

    pub fn tools(&self) -> &ToolRegistry {
        &self.inner.tools
    }

    /// Validates the parameters, writes the action (key and parameters frozen) and starts its
    /// workflow. A `deny` or `escalate` verdict writes nothing and is an error.
    pub async fn propose(&self, p: Proposal) -> Result<ActionRow, ActionError> {
        self.propose_with(p, ProposeOptions::default())
            .await
            .map(|(row, _)| row)
    }

    /// [`ActionService::propose`] with options. Returns the action and whether it already
    /// existed under `opts.client_ref` (then nothing new was written; its workflow is started
    /// only if an earlier call was interrupted before starting it).
    pub async fn propose_with(
        &self,
        p: Proposal,
        opts: ProposeOptions,
    ) -> Result<(ActionRow, bool), ActionError> {
        if let Some(r) = &opts.client_ref
            && let Some(row) = self.inner.store.action_by_client_ref(r).await?
        {
            return self.resume_existing(row, &p, &opts).await;
        }
        if self.inner.tools.get(&p.kind).is_none() {
            return Err(ActionError::UnknownKind(p.kind.clone()));
        }
        // The one check of the input: it parses into its kind's typed request.
        ActionRequest::parse(&p.kind, &p.params)?;
        let approval = match &p.verdict {
            Verdict::Auto => None,
            Verdict::Approval { approvers, reason } => Some(ApprovalSpec {
                approvers: approvers.clone(),
                reason: reason.clone(),
                expires_at: self.engine.now() + self.approval_ttl_ms,
            }),
            Verdict::Deny { reason } | Verdict::Escalate { reason } => {
                return Err(ActionError::NotAllowed(reason.clone()));
            }
        };
        let id = new_id();
        let new = NewAction {
            id: id.clone(),
            app_id: p.app_id.clone(),
            conversation_id: p.conversation_id.clone(),
            kind: p.kind.clone(),
            params: p.params.to_string(),
            idempotency_key: format!("{}:{id}", p.kind),
            trace_id: p.trace_id.clone(),
            requested_by: Some(p.requested_by.clone()),
        };
        let mut data = json!({"kind": p.kind, "params": p.params, "verdict": p.verdict});
        if let Some(note) = &opts.note {
            data["note"] = note.clone();
        }
        if let Some(r) = &opts.client_ref {
            data["client_ref"] = json!(r);
        }
        let entry = audit(&p.requested_by, "action.proposed", &id, &p.trace_id, data);
        let row =
            match &opts.client_ref {
                None => self.inner.store.create_action(&new, &entry).await?,
                Some(r) => {
                    match self
                        .inner
                        .store
                        .create_action_with_ref(&new, r, &entry)
                        .await
                    {
                        Ok(row) => row,
                        // A concurrent call under the same reference won the insert.
                        Err(StoreError::Conflict(_)) => {
                            let row = self.inner.store.action_by_client_ref(r).await?.ok_or_else(
                                || ActionError::NotFound(format!("action with reference {r}")),
                            )?;
                            return self.resume_existing(row, &p, &opts).await;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            };
        self.start_workflow(&row, approval, &opts).await?;
        Ok((row, false))
    }

    fn approval_spec(&self, verdict: &Verdict) -> Option<ApprovalSpec> {
        match verdict {
            Verdict::Approval { approvers, reason } => Some(ApprovalSpec {
                approvers: approvers.clone(),
                reason: reason.clone(),
                expires_at: self.engine.now() + self.approval_ttl_ms,
            }),
            _ => None,
        }
    }

    async fn start_workflow(
        &self,
        row: &ActionRow,
        approval: Option<ApprovalSpec>,
        opts: &ProposeOptions,
    ) -> Result<(), ActionError> {
        let decided = approval.as_ref().and(opts.decided.clone());
        self.engine
            .start(
                ACTION_WORKFLOW,
                &row.id,
                &ActionInput {
                    action_id: row.id.clone(),
                    approval,
                    decided,
                },
                StartOptions {
                    trace_id: Some(row.trace_id.clone()),
                    ..StartOptions::default()
                },
            )
            .await?;
        Ok(())
    }

    /// An action proposed earlier under the same reference: returned as is. If the earlier
    /// call stopped between writing it and starting its workflow, the workflow is started now
    /// (starting is idempotent on the action id).
    async fn resume_existing(
        &self,
        row: ActionRow,
        p: &Proposal,
        opts: &ProposeOptions,
    ) -> Result<(ActionRow, bool), ActionError> {
        if self
            .engine
            .run_by_key(ACTION_WORKFLOW, &row.id)
            .await?
            .is_none()
            && row.state == state::PROPOSED
        {
            if matches!(p.verdict, Verdict::Deny { .. } | Verdict::Escalate { .. }) {
                return Err(ActionError::NotAllowed(format!(
                    "action {} was proposed under this reference but never started, and the policy now refuses it",
                    row.id
                )));
            }
            self.start_workflow(&row, self.approval_spec(&p.verdict), opts)
                .await?;
        }
        Ok((row, true))
    }

    /// A human decides. Only a listed approver who is not the requester may; the first
    /// decision to land wins and every caller learns which one stands.
    pub async fn decide(
        &self,
        action_id: &str,
        decision: HumanDecision,
    ) -> Result<DecideOutcome, ActionError> {
        let store = &self.inner.store;
        let action = store
            .action(action_id)
            .await?
            .ok_or_else(|| ActionError::NotFound(action_id.to_owned()))?;
        let approval = store
            .approval_for(action_id)
            .await?
            .ok_or_else(|| ActionError::Closed("this action needs no approval".into()))?;
        let by = decision.by().to_owned();
        let allowed = approval.approvers.iter().any(|a| a == &by)
            && action.requested_by.as_deref() != Some(by.as_str());
        if !allowed {
            store
                .append_audit(&audit(
                    &by,
                    "approval.refused",
                    action_id,
                    &action.trace_id,
                    json!({"reason": if action.requested_by.as_deref() == Some(by.as_str()) { "requester" } else { "not an approver" }}),
                ))
                .await?;
            return Err(ActionError::Forbidden(by));
        }
        if approval.status != "pending" {
            return Err(ActionError::Closed(approval.status));
        }
        if decision.at() >= approval.expires_at {
            return Err(ActionError::Closed("expired".into()));
        }
        let run = self
            .engine
            .run_by_key(ACTION_WORKFLOW, action_id)
            .await?
            .ok_or_else(|| ActionError::NotFound(format!("workflow of {action_id}")))?;
        let (standing, won) = self
            .engine
            .resolve(&run.id, DECISION, &decision, &by)
            .await?;
        let standing: HumanDecision = serde_json::from_value(standing)
            .map_err(|e| ActionError::Engine(WfError::codec("approval decision", e)))?;
        if !won {
            store
                .append_audit(&audit(
                    &by,
                    "approval.duplicate_ignored",
                    action_id,
                    &action.trace_id,
                    json!({"attempted": decision, "standing": standing}),
                ))
                .await?;
        }
        Ok(DecideOutcome {
            standing,
            this_call_won: won,
        })
    }
}

/// Moves the action and treats "already there" as done, so a step replayed after a crash
/// between the transition and its journal entry converges.
async fn transition(
    store: &Store,
    id: &str,
    from: &[&str],
    to: &str,
    result: Option<&str>,
    error: Option<&str>,
    entry: NewAuditEntry,
) -> Result<ActionRow, StepError> {
    match store
        .transition_action(id, from, to, result, error, &entry)
        .await
    {
        Ok(Transition::Applied(row)) => Ok(*row),
        Ok(Transition::Refused { current }) if current == to => store
            .action(id)
            .await
            .map_err(StepError::retryable)?
            .ok_or_else(|| StepError::permanent(format!("action {id} vanished"))),
        Ok(Transition::Refused { current }) => Err(StepError::permanent(format!(
            "action {id} is {current}, cannot move to {to}"
        ))),
        Err(e) => Err(StepError::retryable(e)),
    }
}

/// The typed request frozen on an action's row. A row that no longer parses is a permanent
/// failure: it never runs with a guess.
fn row_request(row: &ActionRow) -> Result<ActionRequest, StepError> {
    let params: Value = serde_json::from_str(&row.params).map_err(StepError::permanent)?;
    ActionRequest::parse(&row.kind, &params).map_err(StepError::permanent)
}

/// The action workflow, with the approval surface told where the request is and, at the
/// end, how it ended.
async fn action_workflow(ctx: EmbeddedCtx, inner: Arc<Inner>, input: Value) -> WfResult<Value> {
    let parsed: ActionInput =
        serde_json::from_value(input.clone()).map_err(|e| WfError::codec("action run input", e))?;
    let notifier = inner.notifier.get().cloned();
    let (Some(spec), Some(notifier)) = (parsed.approval.clone(), notifier) else {
        return run_action(&ctx, inner, input, None).await;
    };
    let action = inner
        .store
        .action(&parsed.action_id)
        .await?
        .ok_or_else(|| WfError::missing("action", parsed.action_id.clone()))?;
    let notice = ApprovalNotice {
        action_id: action.id.clone(),
        app_id: action.app_id.clone(),
        conversation_id: action.conversation_id.clone(),
        kind: action.kind.clone(),
        params: serde_json::from_str(&action.params).unwrap_or(Value::Null),
        reason: spec.reason.clone(),
        approvers: spec.approvers.clone(),
    };
    let cell = Arc::new(std::sync::Mutex::new(None));
    let out = run_action(
        &ctx,
        inner.clone(),
        input,
        Some((notifier.clone(), notice.clone(), cell.clone())),
    )
    .await?;
    let shown = cell.lock().ok().and_then(|mut c| c.take());
    if let Some(shown) = shown {
        let state = out["state"].as_str().unwrap_or_default().to_owned();
        let row = inner.store.action(&notice.action_id).await?;
        let approval = inner.store.approval_for(&notice.action_id).await?;
        let by = approval.and_then(|a| a.decided_by);
        let detail = row.and_then(|r| r.error);
        let n = notifier.clone();
        ctx.run("approval_ended", RetryPolicy::SLACK, || async move {
            if let Err(e) = n
                .ended(&notice, &shown, &state, by.as_deref(), detail.as_deref())
                .await
            {
                tracing::warn!(error = %e, "could not show how the approval ended");
            }
            Ok(())
        })
        .await?;
    }
    Ok(out)
}

/// The approval surface, the request as it shows it, and where the request was shown.
type Notify = (
    Arc<dyn ApprovalNotifier>,
    ApprovalNotice,
    Arc<std::sync::Mutex<Option<Value>>>,
);

async fn run_action(
    ctx: &EmbeddedCtx,
    inner: Arc<Inner>,
    input: Value,
    notify: Option<Notify>,
) -> WfResult<Value> {
    let input: ActionInput =
        serde_json::from_value(input).map_err(|e| WfError::codec("action run input", e))?;
    let id = input.action_id.clone();
    let store = inner.store.clone();
    let action = store
        .action(&id)
        .await?
        .ok_or_else(|| WfError::missing("action", id.clone()))?;
    let trace = action.trace_id.clone();
    let tool: Arc<dyn Tool> = inner
        .tools
        .get(&action.kind)
        .ok_or_else(|| WfError::missing("tool for action kind", action.kind.clone()))?;
    let local = RetryPolicy::DEFAULT;

    if let Some(spec) = &input.approval {
        let (s, a, t) = (store.clone(), id.clone(), trace.clone());
        let spec2 = spec.clone();
        ctx.run("request_approval", local, || async move {
            s.create_approval(
                &a,
                &spec2.reason,
                &spec2.approvers,
                spec2.expires_at,
                &audit("policy", "approval.requested", &a, &t, json!({"approvers": spec2.approvers, "reason": spec2.reason, "expires_at": spec2.expires_at})),
            )
            .await
            .map(|_| ())
            .map_err(StepError::retryable)
        })
        .await?;
        if let Some((notifier, notice, cell)) = notify {
            // Journaled, so a replay finds where the request was shown without showing it
            // again; the end of the workflow updates it there.
            let shown: Option<Value> = ctx
                .run("approval_shown", RetryPolicy::SLACK, || async move {
                    match notifier.requested(&notice).await {
                        Ok(shown) => Ok(shown),
                        Err(e) => {
                            tracing::warn!(error = %e, "could not show the approval request");
                            Ok(None)
                        }
                    }
                })
                .await?;
            if let Ok(mut c) = cell.lock() {
                *c = shown;
            }
        }
        if let Some(d) = input.decided.clone() {
            // The requester approved their own request when proposing: record it as the
            // decision on the promise, first-wins like a decision from any surface.
            let (s, run) = (store.clone(), ctx.run_id().to_owned());
            ctx.run("requester_decision", local, || async move {
                let raw = serde_json::to_string(&d).map_err(StepError::permanent)?;
                s.wf_resolve_promise(&run, DECISION, &raw, d.by(), d.at())
                    .await
                    .map(|_| ())
                    .map_err(StepError::retryable)
            })
            .await?;
        }
        let decision: Option<HumanDecision> = ctx.promise(DECISION, Some(spec.expires_at)).await?;
        // A decision that arrived after the deadline counts as no decision.
        let decision = decision.filter(|d| d.at() < spec.expires_at);
        match decision {
            None => {
                let (s, a, t) = (store.clone(), id.clone(), trace.clone());
                ctx.run("expire", local, || async move {
                    let _ = s
                        .decide_approval(&a, "expired", "system", "timer", support_store::now_ms())
                        .await;
                    transition(
                        &s,
                        &a,
                        &[state::PROPOSED],
                        state::EXPIRED,
                        None,
                        Some("approval expired"),
                        audit("system", "action.expired", &a, &t, json!({})),
                    )
                    .await
                    .map(|_| ())
                })
                .await?;
                return Ok(json!({"state": state::EXPIRED}));
            }
            Some(HumanDecision::Reject {
                by,
                surface,
                at,
                reason,
            }) => {
                let (s, a, t) = (store.clone(), id.clone(), trace.clone());
                ctx.run("reject", local, || async move {
                    let _ = s.decide_approval(&a, "rejected", &by, &surface, at).await;
                    transition(
                        &s,
                        &a,
                        &[state::PROPOSED],
                        state::REJECTED,
                        None,
                        Some(&reason),
                        audit(
                            &by,
                            "action.rejected",
                            &a,
                            &t,
                            json!({"surface": surface, "reason": reason}),
                        ),
                    )
                    .await
                    .map(|_| ())
                })
                .await?;
                return Ok(json!({"state": state::REJECTED}));
            }
            Some(HumanDecision::Approve { by, surface, at }) => {
                let (s, a, t) = (store.clone(), id.clone(), trace.clone());
                ctx.run("approve", local, || async move {
                    let _ = s.decide_approval(&a, "approved", &by, &surface, at).await;
                    transition(
                        &s,
                        &a,
                        &[state::PROPOSED],
                        state::APPROVED,
                        None,
                        None,
                        audit(&by, "action.approved", &a, &t, json!({"surface": surface})),
                    )
                    .await
                    .map(|_| ())
                })
                .await?;
            }
        }
    } else {
        let (s, a, t) = (store.clone(), id.clone(), trace.clone());
        ctx.run("auto_approve", local, || async move {
            transition(
                &s,
                &a,
                &[state::PROPOSED],
                state::APPROVED,
                None,
                None,
                audit("policy", "action.approved", &a, &t, json!({"auto": true})),
            )
            .await
            .map(|_| ())
        })
        .await?;
    }

    let (s, a, t) = (store.clone(), id.clone(), trace.clone());
    ctx.run("begin", local, || async move {
        transition(
            &s,
            &a,
            &[state::APPROVED],
            state::EXECUTING,
            None,
            None,
            audit("system", "action.executing", &a, &t, json!({})),
        )
        .await
        .map(|_| ())
    })
    .await?;

    // The remote call. Parameters are read from the ledger row at every attempt: they are
    // frozen there, and if a bug ever changed them the provider's idempotency check refuses
    // the mismatch instead of us sending a second, different request under a new key.
    let (s, a, t, tl) = (store.clone(), id.clone(), trace.clone(), tool.clone());
    let executed: WfResult<Executed> = ctx
        .run(
            "execute",
            tool.retry_policy(),
            || -> BoxFut<Result<Executed, StepError>> {
                Box::pin(async move {
                    let row = s
                        .action(&a)
                        .await
                        .map_err(StepError::retryable)?
                        .ok_or_else(|| StepError::permanent(format!("action {a} vanished")))?;
                    let req = row_request(&row)?;
                    s.append_audit(&audit(
                        "system",
                        "action.attempt",
                        &a,
                        &t,
                        json!({"idempotency_key": row.idempotency_key, "tool": tl.name()}),
                    ))
                    .await
                    .map_err(StepError::retryable)?;
                    match tl
                        .execute(
                            &ToolCtx {
                                action_id: a.clone(),
                                idempotency_key: row.idempotency_key.clone(),
                                app_id: row.app_id.clone(),
                            },
                            &req,
                        )
                        .await
                    {
                        Ok(result) => Ok(Executed::Done { result }),
                        Err(ToolError::Uncertain(e)) => Ok(Executed::Uncertain {
                            reason: support_engine::error_chain(e.as_ref()),
                        }),
                        Err(e) => Err(e.into()),
                    }
                })
            },
        )
        .await;

    let result = match executed {
        Ok(Executed::Done { result }) => Some(result),
        Ok(Executed::Uncertain { reason }) => {
            tracing::warn!(action = %id, %reason, "outcome uncertain; reconciling");
            let (s, a, tl) = (store.clone(), id.clone(), tool.clone());
            let found: Option<Value> = ctx
                .run(
                    "reconcile",
                    tool.retry_policy(),
                    || -> BoxFut<Result<Option<Value>, StepError>> {
                        Box::pin(async move {
                            let row = s
                                .action(&a)
                                .await
                                .map_err(StepError::retryable)?
                                .ok_or_else(|| {
                                    StepError::permanent(format!("action {a} vanished"))
                                })?;
                            let req = row_request(&row)?;
                            tl.reconcile(
                                &ToolCtx {
                                    action_id: a.clone(),
                                    idempotency_key: row.idempotency_key.clone(),
                                    app_id: row.app_id.clone(),
                                },
                                &req,
                            )
                            .await
                            .map_err(StepError::from)
                        })
                    },
                )
                .await?;
            if found.is_none() {
                let (s, a, t) = (store.clone(), id.clone(), trace.clone());
                ctx.run("uncertain", local, || async move {
                    s.alert(
                        "action.uncertain",
                        &format!("action:{a}"),
                        &format!("outcome unknown and not found by reconciliation: {reason}"),
                    )
                    .await
                    .map_err(StepError::retryable)?;
                    transition(
                        &s,
                        &a,
                        &[state::EXECUTING],
                        state::UNCERTAIN,
                        None,
                        Some(&reason),
                        audit(
                            "system",
                            "action.uncertain",
                            &a,
                            &t,
                            json!({"reason": reason}),
                        ),
                    )
                    .await
                    .map(|_| ())
                })
                .await?;
                return Ok(json!({"state": state::UNCERTAIN}));
            }
            found
        }
        Err(WfError::StepFailed { message, .. }) => {
            let (s, a, t) = (store.clone(), id.clone(), trace.clone());
            ctx.run("fail", local, || async move {
                if message.contains("idempotency") {
                    s.alert(
                        "action.idempotency_mismatch",
                        &format!("action:{a}"),
                        &message,
                    )
                    .await
                    .map_err(StepError::retryable)?;
                }
                transition(
                    &s,
                    &a,
                    &[state::EXECUTING],
                    state::FAILED,
                    None,
                    Some(&message),
                    audit("system", "action.failed", &a, &t, json!({"error": message})),
                )
                .await
                .map(|_| ())
            })
            .await?;
            return Ok(json!({"state": state::FAILED}));
        }
        Err(other) => return Err(other),
    };
    let result = result.unwrap_or(Value::Null);
    // Follow-up work (revoking access after a refund) is its own step: the remote call above
    // is never repeated because of it, and a failure here alerts rather than undoing the
    // success.
    let row = store
        .action(&id)
        .await?
        .ok_or_else(|| WfError::missing("action", id.clone()))?;
    let tctx = ToolCtx {
        action_id: id.clone(),
        idempotency_key: row.idempotency_key.clone(),
        app_id: row.app_id.clone(),
    };
    let mut result = result;
    if let Ok(req) = row_request(&row)
        && tool.wants_follow_up(&tctx, &req)
    {
        let (tl, c, r) = (tool.clone(), tctx.clone(), result.clone());
        let followed: WfResult<Value> = ctx
            .run(
                "follow_up",
                local,
                || -> BoxFut<Result<Value, StepError>> {
                    Box::pin(
                        async move { tl.follow_up(&c, &req, &r).await.map_err(StepError::from) },
                    )
                },
            )
            .await;
        match followed {
            Ok(v) => result = json!({"result": result, "follow_up": v}),
            Err(WfError::StepFailed { message, .. }) => {
                store
                    .alert("action.follow_up_failed", &format!("action:{id}"), &message)
                    .await?;
                result = json!({"result": result, "follow_up_error": message});
            }
            Err(other) => return Err(other),
        }
    }
    let (s, a, t) = (store.clone(), id.clone(), trace.clone());
    let raw = result.to_string();
    ctx.run("succeed", local, || async move {
        transition(
            &s,
            &a,
            &[state::EXECUTING],
            state::SUCCEEDED,
            Some(&raw),
            None,
            audit(
                "system",
                "action.succeeded",
                &a,
                &t,
                json!({"result": result}),
            ),
        )
        .await
        .map(|_| ())
    })
    .await?;
    Ok(json!({"state": state::SUCCEEDED}))
}
