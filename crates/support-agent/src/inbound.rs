//! The inbound workflow (`kind = "inbound"`): gather → decide → (approval request | action)
//! → draft, one run per burst of messages on a conversation.
//!
//! Runs are keyed `conv:<conversation>:<n>` and hold the conversation's lock key, so work on
//! one conversation is serialized. A burst is coalesced: the first message schedules a run a
//! short debounce later (and at least the throttle interval after the previous run started);
//! messages arriving before it starts join its input instead of starting runs of their own.
//!
//! The brain (classification, routing, policy, drafting) lands with its own issue. Until
//! then the decide step records an honest decision: no brain, so the conversation is routed
//! to a human (`escalate_human`), which is what routing does for any unsure classification.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use support_engine::{
    Durable, EmbeddedCtx, Engine, RetryPolicy, StartOptions, StepError, WfError, WfResult,
};
use support_store::decisions::NewDecision;
use support_store::{NewAuditEntry, Store};

pub const INBOUND_WORKFLOW: &str = "inbound";

#[derive(Debug, Clone, Copy)]
pub struct InboundConfig {
    /// Wait this long after the first message of a burst before deciding.
    pub debounce_ms: i64,
    /// At most one decision run per conversation per this interval.
    pub throttle_ms: i64,
}

impl Default for InboundConfig {
    fn default() -> Self {
        Self {
            debounce_ms: 3_000,
            throttle_ms: 10_000,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InboundInput {
    pub conversation_id: String,
    pub app_id: Option<String>,
    /// Every message (Front ids) this run decides on (a coalesced burst).
    pub message_ids: Vec<String>,
    pub trace_id: String,
}

/// What the gather step saw (journaled, so a replay decides on the same context).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Gathered {
    subject: String,
    customer_email: Option<String>,
    message_count: usize,
    latest_preview: String,
    /// Our id of the newest message in the burst.
    latest_message: Option<String>,
}

/// Starts and coalesces inbound runs.
pub struct InboundService {
    store: Store,
    engine: Arc<Engine>,
    config: InboundConfig,
}

/// What happened to a new message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheduled {
    /// A new run will decide on it.
    NewRun { run_id: String },
    /// It joined a run that has not started yet.
    Coalesced { run_id: String },
}

impl InboundService {
    pub fn new(store: Store, engine: Arc<Engine>, config: InboundConfig) -> Arc<Self> {
        let s = store.clone();
        engine.register(INBOUND_WORKFLOW, move |ctx: EmbeddedCtx, input: Value| {
            let s = s.clone();
            async move { inbound_workflow(ctx, s, input).await }
        });
        Arc::new(Self {
            store,
            engine,
            config,
        })
    }

    /// Schedules a decision for a new message on `conversation_id`.
    pub async fn on_message(
        &self,
        app_id: Option<&str>,
        conversation_id: &str,
        message_id: &str,
        trace_id: &str,
    ) -> WfResult<Scheduled> {
        let prefix = format!("conv:{conversation_id}:");
        let key = format!("{prefix}{message_id}");
        if let Some(run) = self.store.wf_by_key(INBOUND_WORKFLOW, &key).await? {
            return Ok(Scheduled::NewRun { run_id: run.id });
        }
        let now = self.engine.now();
        let latest = self
            .store
            .wf_latest_with_prefix(INBOUND_WORKFLOW, &prefix)
            .await?;
        if let Some(run) = &latest
            && serde_json::from_str::<InboundInput>(&run.input)
                .is_ok_and(|i| i.message_ids.iter().any(|m| m == message_id))
        {
            return Ok(Scheduled::Coalesced {
                run_id: run.id.clone(),
            });
        }
        if let Some(run) = &latest
            && run.status == "pending"
            && run.started_at.is_none()
        {
            let mut input: InboundInput =
                serde_json::from_str(&run.input).map_err(|e| WfError::Invalid(e.to_string()))?;
            if !input.message_ids.iter().any(|m| m == message_id) {
                input.message_ids.push(message_id.to_owned());
            }
            let raw = serde_json::to_string(&input).map_err(|e| WfError::Invalid(e.to_string()))?;
            if self.store.wf_update_pending_input(&run.id, &raw).await? {
                return Ok(Scheduled::Coalesced {
                    run_id: run.id.clone(),
                });
            }
        }
        let not_before = latest
            .as_ref()
            .and_then(|r| r.started_at.or(Some(r.created_at)))
            .map(|t| t + self.config.throttle_ms)
            .unwrap_or(i64::MIN);
        let run_at = (now + self.config.debounce_ms).max(not_before);
        let input = InboundInput {
            conversation_id: conversation_id.to_owned(),
            app_id: app_id.map(str::to_owned),
            message_ids: vec![message_id.to_owned()],
            trace_id: trace_id.to_owned(),
        };
        // The message id makes the key unique and makes a redelivered message idempotent.
        let (run_id, _) = self
            .engine
            .start(
                INBOUND_WORKFLOW,
                &key,
                &input,
                StartOptions {
                    lock_key: Some(format!("conversation:{conversation_id}")),
                    trace_id: Some(trace_id.to_owned()),
                    run_at: Some(run_at),
                },
            )
            .await?;
        Ok(Scheduled::NewRun { run_id })
    }
}

fn retryable(e: impl std::fmt::Display) -> StepError {
    StepError::Retryable(e.to_string())
}

async fn inbound_workflow(ctx: EmbeddedCtx, store: Store, input: Value) -> WfResult<Value> {
    let input: InboundInput =
        serde_json::from_value(input).map_err(|e| WfError::Invalid(e.to_string()))?;
    let local = RetryPolicy::DEFAULT;

    let (s, i) = (store.clone(), input.clone());
    let gathered: Gathered = ctx
        .run("gather", local, || async move {
            let (conv, messages) = s
                .conversation(&i.conversation_id)
                .await
                .map_err(retryable)?
                .ok_or_else(|| {
                    StepError::Permanent(format!("conversation {} not found", i.conversation_id))
                })?;
            let mine: Vec<_> = messages
                .iter()
                .filter(|m| i.message_ids.contains(&m.front_message_id))
                .collect();
            let latest = mine.last().and_then(|m| m.body.clone()).unwrap_or_default();
            Ok(Gathered {
                subject: conv.subject,
                customer_email: conv.customer_email,
                message_count: mine.len(),
                latest_preview: latest.chars().take(280).collect(),
                latest_message: mine.last().map(|m| m.id.clone()),
            })
        })
        .await?;

    let decision_id = ctx
        .run("decision_id", local, || async {
            Ok(support_store::new_id())
        })
        .await?;
    let (s, i, g, d) = (
        store.clone(),
        input.clone(),
        gathered.clone(),
        decision_id.clone(),
    );
    let routing: String = ctx
        .run("decide", local, || async move {
            let routing = "escalate_human".to_owned();
            s.record_decision(
                &NewDecision {
                    id: d.clone(),
                    conversation_id: i.conversation_id.clone(),
                    message_id: g.latest_message.clone(),
                    category: "unknown".into(),
                    routing: routing.clone(),
                    signals: "[]".into(),
                    confidence: 0.0,
                    proposed_actions: "[]".into(),
                    brain: "none".into(),
                    model: None,
                    prompt_version: None,
                    policy_version: None,
                    trace_id: i.trace_id.clone(),
                },
                &NewAuditEntry {
                    actor: "system".into(),
                    action: "decision.recorded".into(),
                    subject: format!("conversation:{}", i.conversation_id),
                    trace_id: Some(i.trace_id.clone()),
                    data: json!({
                        "decision_id": d,
                        "routing": routing,
                        "category": "unknown",
                        "messages": i.message_ids,
                        "seen": g.message_count,
                        "reason": "no brain configured: unsure classifications go to a human",
                    }),
                },
            )
            .await
            .map_err(retryable)?;
            Ok(routing)
        })
        .await?;

    Ok(json!({
        "decision_id": decision_id,
        "routing": routing,
        "messages": input.message_ids.len(),
    }))
}
