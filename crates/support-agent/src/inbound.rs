//! The inbound workflow (`kind = "inbound"`): gather → decide → (approval request | action)
//! → draft, one run per burst of messages on a conversation.
//!
//! Runs are keyed `conv:<conversation>:<n>` and hold the conversation's lock key, so work on
//! one conversation is serialized. A burst is coalesced: the first message schedules a run a
//! short debounce later (and at least the throttle interval after the previous run started);
//! messages arriving before it starts join its input instead of starting runs of their own.
//!
//! The decide step runs the rules brain (signals, classification, routing) and the app's
//! policy over facts from the app (customer, purchases); the allowed proposals become ledger
//! actions, escalations tag the conversation and tell Slack, replies become Front drafts.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use support_core::policy::PolicyConfig;
use support_engine::{
    Durable, EmbeddedCtx, Engine, RetryPolicy, StartOptions, StepError, WfError, WfResult,
};
use support_store::decisions::NewDecision;

use crate::actions::{ActionService, Proposal, Verdict};
use crate::app_tools::AppDirectory;
use crate::brain::{BrainInput, ChargeFacts, Plan};
use crate::tools::ToolError;

type BoxFut<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;
use support_store::{NewAuditEntry, Store};
use support_stripe::StripeApi;

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
    /// Every message of the burst, joined.
    body: String,
    front_conversation_id: String,
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
    pub fn new(
        store: Store,
        engine: Arc<Engine>,
        config: InboundConfig,
        actions: Arc<ActionService>,
        apps: Arc<dyn AppDirectory>,
        stripe: Arc<dyn StripeApi>,
    ) -> Arc<Self> {
        let deps = Arc::new(Deps {
            store: store.clone(),
            actions,
            apps,
            stripe,
        });
        engine.register(INBOUND_WORKFLOW, move |ctx: EmbeddedCtx, input: Value| {
            let deps = deps.clone();
            async move { inbound_workflow(ctx, deps, input).await }
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

/// What the app knows about the customer (journaled with the run).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct AppFacts {
    user: Option<support_types::sdk::SdkUser>,
    purchases: Vec<support_types::sdk::SdkPurchase>,
    /// Stripe's view of the active purchases' charges on the app's connected account.
    #[serde(default)]
    charges: BTreeMap<String, ChargeFacts>,
    note: Option<String>,
}

/// How many of the newest active purchases get their Stripe charge looked up.
const CHARGE_LOOKUPS: usize = 5;

/// Asks the app's connected Stripe account about the active purchases' charges. A charge the
/// account does not have is recorded as not on the account; a transient failure retries the
/// step; any other failure leaves the charge unknown (the policy then goes by the app).
async fn charge_facts(
    stripe: &dyn StripeApi,
    account: &str,
    purchases: &[support_types::sdk::SdkPurchase],
) -> Result<(BTreeMap<String, ChargeFacts>, Option<String>), StepError> {
    let mut out = BTreeMap::new();
    let mut note = None;
    for ch in purchases
        .iter()
        .filter(|p| p.status == "active")
        .filter_map(|p| p.stripe_charge_id.as_deref())
        .take(CHARGE_LOOKUPS)
    {
        match stripe.retrieve_charge(account, ch).await {
            Ok(c) => {
                out.insert(
                    ch.to_owned(),
                    ChargeFacts {
                        on_account: true,
                        refundable_cents: c.refundable(),
                    },
                );
            }
            Err(e) if e.code() == Some("resource_missing") => {
                out.insert(
                    ch.to_owned(),
                    ChargeFacts {
                        on_account: false,
                        refundable_cents: 0,
                    },
                );
            }
            Err(e) if e.outcome() == support_stripe::Outcome::RetrySameKey => {
                return Err(StepError::Retryable(format!("stripe charge {ch}: {e}")));
            }
            Err(e) => note = Some(format!("stripe charge {ch}: {e}")),
        }
    }
    Ok((out, note))
}

/// Looks the customer up in their app; a missing integration is not an error (the policy
/// then treats every purchase as unknown, which means approval at most).
async fn app_facts(
    store: &Store,
    apps: &dyn AppDirectory,
    stripe: &dyn StripeApi,
    app_id: Option<&str>,
    email: Option<&str>,
) -> Result<AppFacts, StepError> {
    let (Some(app_id), Some(email)) = (app_id, email) else {
        return Ok(AppFacts {
            note: Some("no app or no customer email".into()),
            ..AppFacts::default()
        });
    };
    let Ok(email) = support_types::Email::parse(email) else {
        return Ok(AppFacts {
            note: Some("customer address is not an email".into()),
            ..AppFacts::default()
        });
    };
    let app = store.app_by_id(app_id).await.map_err(retryable)?;
    if app.as_ref().is_none_or(|a| a.integration_url.is_none()) {
        return Ok(AppFacts {
            note: Some("the app has no integration".into()),
            ..AppFacts::default()
        });
    }
    let api = match apps.app_api(app_id).await {
        Ok(api) => api,
        Err(ToolError::Retry(m)) => return Err(StepError::Retryable(m)),
        Err(e) => {
            return Ok(AppFacts {
                note: Some(e.to_string()),
                ..AppFacts::default()
            });
        }
    };
    let sdk = |e: support_sdk::SdkError| match e {
        support_sdk::SdkError::Server(_) | support_sdk::SdkError::Transport { .. } => {
            StepError::Retryable(e.to_string())
        }
        other => StepError::Permanent(other.to_string()),
    };
    let user = api.lookup_user(&email).await.map_err(sdk)?;
    let purchases = match &user {
        Some(u) => api.get_purchases(&u.id).await.map_err(sdk)?,
        None => Vec::new(),
    };
    let (charges, note) = match app
        .as_ref()
        .filter(|a| a.stripe_connected)
        .and_then(|a| a.stripe_account_id.as_deref())
    {
        Some(account) => charge_facts(stripe, account, &purchases).await?,
        None => (BTreeMap::new(), None),
    };
    Ok(AppFacts {
        user,
        purchases,
        charges,
        note,
    })
}

struct Deps {
    store: Store,
    actions: Arc<ActionService>,
    apps: Arc<dyn AppDirectory>,
    stripe: Arc<dyn StripeApi>,
}

async fn inbound_workflow(ctx: EmbeddedCtx, deps: Arc<Deps>, input: Value) -> WfResult<Value> {
    let store = deps.store.clone();
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
            let body = mine
                .iter()
                .filter_map(|m| m.body.clone())
                .collect::<Vec<_>>()
                .join("\n\n");
            Ok(Gathered {
                subject: conv.subject,
                customer_email: conv.customer_email,
                message_count: mine.len(),
                latest_preview: body.chars().take(280).collect(),
                body,
                front_conversation_id: conv.front_conversation_id,
                latest_message: mine.last().map(|m| m.id.clone()),
            })
        })
        .await?;

    let (s, d, i, g) = (store.clone(), deps.clone(), input.clone(), gathered.clone());
    let facts: AppFacts = ctx
        .run(
            "facts",
            RetryPolicy::DEFAULT,
            || -> BoxFut<Result<AppFacts, StepError>> {
                Box::pin(async move {
                    app_facts(
                        &s,
                        d.apps.as_ref(),
                        d.stripe.as_ref(),
                        i.app_id.as_deref(),
                        g.customer_email.as_deref(),
                    )
                    .await
                })
            },
        )
        .await?;

    let now = ctx.now_ms("decided_at").await?;
    let decision_id = ctx
        .run("decision_id", local, || async {
            Ok(support_store::new_id())
        })
        .await?;
    let (s, i, g, d, f) = (
        store.clone(),
        input.clone(),
        gathered.clone(),
        decision_id.clone(),
        facts.clone(),
    );
    let decided: (Plan, Option<support_store::App>) = ctx
        .run("decide", local, || async move {
            let app = match &i.app_id {
                Some(id) => s.app_by_id(id).await.map_err(retryable)?,
                None => None,
            };
            let policy_cfg = app
                .as_ref()
                .and_then(|a| a.policy.as_deref())
                .and_then(|t| PolicyConfig::from_toml(t).ok())
                .unwrap_or_default();
            let plan = crate::brain::decide(
                &BrainInput {
                    subject: g.subject.clone(),
                    body: g.body.clone(),
                    from: g.customer_email.clone().unwrap_or_default(),
                    user: f.user.clone(),
                    purchases: f.purchases.clone(),
                    charges: f.charges.clone(),
                    now: now.div_euclid(1000),
                },
                &policy_cfg,
                &policy_cfg.approvers,
                app.as_ref()
                    .filter(|a| a.stripe_connected)
                    .and_then(|a| a.stripe_account_id.as_deref()),
            );
            s.record_decision(
                &NewDecision {
                    id: d.clone(),
                    conversation_id: i.conversation_id.clone(),
                    message_id: g.latest_message.clone(),
                    category: plan.category.clone(),
                    routing: plan.routing.clone(),
                    signals: serde_json::to_string(&plan.signals).unwrap_or_else(|_| "[]".into()),
                    confidence: plan.confidence,
                    proposed_actions: serde_json::to_string(&plan.proposals)
                        .unwrap_or_else(|_| "[]".into()),
                    brain: "rules".into(),
                    model: None,
                    prompt_version: None,
                    policy_version: Some(format!(
                        "{}@{}",
                        plan.policy_version, plan.policy_fingerprint
                    )),
                    trace_id: i.trace_id.clone(),
                },
                &NewAuditEntry {
                    actor: "system".into(),
                    action: "decision.recorded".into(),
                    subject: format!("conversation:{}", i.conversation_id),
                    trace_id: Some(i.trace_id.clone()),
                    data: json!({
                        "decision_id": d,
                        "category": plan.category,
                        "confidence": plan.confidence,
                        "signals": plan.signals,
                        "routing": plan.routing,
                        "route_rule": plan.route_rule,
                        "proposals": plan.proposals,
                        "messages": i.message_ids,
                        "facts_note": f.note,
                        "policy": format!("{}@{}", plan.policy_version, plan.policy_fingerprint),
                    }),
                },
            )
            .await
            .map_err(retryable)?;
            Ok((plan, app))
        })
        .await?;
    let (plan, app) = decided;

    // Act: each allowed proposal becomes a ledger action; an escalation (by route or by the
    // policy) becomes an escalate_to_human action; a denied proposal becomes nothing.
    let mut escalate: Option<String> = match plan.routing.as_str() {
        "escalate_human" | "escalate_urgent" | "escalate_instructor" => {
            Some(format!("{} ({})", plan.routing, plan.route_rule))
        }
        _ => None,
    };
    let mut started = Vec::new();
    for (n, p) in plan.proposals.iter().enumerate() {
        if let Verdict::Escalate { reason } = &p.verdict {
            escalate.get_or_insert_with(|| reason.clone());
            continue;
        }
        if matches!(p.verdict, Verdict::Deny { .. }) {
            continue;
        }
        let (svc, i, p) = (deps.actions.clone(), input.clone(), p.clone());
        let id: String = ctx
            .run(
                &format!("propose:{n}"),
                local,
                || -> BoxFut<Result<String, StepError>> {
                    Box::pin(async move {
                        svc.propose(Proposal {
                            app_id: i.app_id.clone(),
                            conversation_id: Some(i.conversation_id.clone()),
                            kind: p.kind.clone(),
                            params: p.params.clone(),
                            verdict: p.verdict.clone(),
                            requested_by: "agent:rules".into(),
                            trace_id: i.trace_id.clone(),
                        })
                        .await
                        .map(|a| a.id)
                        .map_err(|e| StepError::Permanent(e.to_string()))
                    })
                },
            )
            .await
            .unwrap_or_else(|e| format!("not proposed: {e}"));
        started.push(id);
    }
    let inbox = app
        .as_ref()
        .and_then(|a| a.front_inbox_ids.first().cloned());
    if let Some(reason) = &escalate {
        let (svc, i, g, app) = (
            deps.actions.clone(),
            input.clone(),
            gathered.clone(),
            app.clone(),
        );
        let reason = reason.clone();
        let id: String = ctx
            .run(
                "escalate",
                local,
                || -> BoxFut<Result<String, StepError>> {
                    Box::pin(async move {
                        let mut params =
                            json!({"conversation": g.front_conversation_id, "reason": reason});
                        if let Some(ch) = app
                            .as_ref()
                            .and_then(|a| a.escalation_slack_channel.clone())
                        {
                            params["slack_channel"] = json!(ch);
                        }
                        svc.propose(Proposal {
                            app_id: i.app_id.clone(),
                            conversation_id: Some(i.conversation_id.clone()),
                            kind: "escalate_to_human".into(),
                            params,
                            verdict: Verdict::Auto,
                            requested_by: "agent:rules".into(),
                            trace_id: i.trace_id.clone(),
                        })
                        .await
                        .map(|a| a.id)
                        .map_err(|e| StepError::Permanent(e.to_string()))
                    })
                },
            )
            .await
            .unwrap_or_else(|e| format!("not escalated: {e}"));
        started.push(id);
    } else if let (Some(body), Some(inbox)) = (plan.draft.clone(), inbox) {
        let (svc, i, g) = (deps.actions.clone(), input.clone(), gathered.clone());
        let id: String = ctx
            .run("draft", local, || -> BoxFut<Result<String, StepError>> {
                Box::pin(async move {
                    svc.propose(Proposal {
                        app_id: i.app_id.clone(),
                        conversation_id: Some(i.conversation_id.clone()),
                        kind: "draft_response".into(),
                        params: json!({"conversation": g.front_conversation_id, "inbox_id": inbox, "body": body}),
                        verdict: Verdict::Auto,
                        requested_by: "agent:rules".into(),
                        trace_id: i.trace_id.clone(),
                    })
                    .await
                    .map(|a| a.id)
                    .map_err(|e| StepError::Permanent(e.to_string()))
                })
            })
            .await
            .unwrap_or_else(|e| format!("not drafted: {e}"));
        started.push(id);
    }

    Ok(json!({
        "decision_id": decision_id,
        "category": plan.category,
        "routing": plan.routing,
        "messages": input.message_ids.len(),
        "actions": started,
    }))
}
