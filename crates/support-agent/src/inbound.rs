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
use sha2::{Digest, Sha256};
use support_core::classify::{Category, classify};
use support_core::policy::PolicyConfig;
use support_core::signals::detect;
use support_engine::{
    Durable, EmbeddedCtx, Engine, RetryPolicy, StartOptions, StepError, WfError, WfResult,
};
use support_llm::LlmClient;
use support_store::decisions::NewDecision;

use crate::actions::{ActionService, Proposal, Verdict};
use crate::app_tools::AppDirectory;
use crate::brain::{BrainInput, ChargeFacts, ModelOpinion, Plan, Snippet};
use crate::context::Preview;
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

/// Which brain decides (see `support_server::config::BrainConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrainMode {
    Rules,
    Llm,
    /// Rules first; the model when the rules are unsure.
    Tiered,
}

/// The brain the inbound workflow uses.
#[derive(Clone)]
pub struct BrainSettings {
    pub mode: BrainMode,
    /// Required by `Llm` and `Tiered`; without it those modes decide with the rules.
    pub llm: Option<Arc<dyn LlmClient>>,
    /// `Tiered`: rules confidence at or above this keeps the rules' classification.
    pub tiered_min_confidence: f64,
    /// The context's token budget.
    pub context_budget: usize,
}

impl BrainSettings {
    /// The app's policy may choose its own brain; the server's `[brain] mode` otherwise. A
    /// model brain with no `[llm]` configured decides with the rules.
    pub fn mode_for(&self, policy: &PolicyConfig) -> BrainMode {
        let chosen = match policy.brain.as_deref() {
            Some("rules") => BrainMode::Rules,
            Some("llm") => BrainMode::Llm,
            Some("tiered") => BrainMode::Tiered,
            _ => self.mode,
        };
        if self.llm.is_none() {
            BrainMode::Rules
        } else {
            chosen
        }
    }
}

impl Default for BrainSettings {
    fn default() -> Self {
        Self {
            mode: BrainMode::Rules,
            llm: None,
            tiered_min_confidence: 0.7,
            context_budget: crate::context::DEFAULT_BUDGET_TOKENS,
        }
    }
}

/// What the model step returned (journaled, so a replay never calls the model again).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct LlmOutcome {
    opinion: Option<ModelOpinion>,
    error: Option<String>,
    elapsed_ms: i64,
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
    /// Earlier messages of the conversation, newest first, for short previews.
    #[serde(default)]
    earlier: Vec<Preview>,
    /// Where the conversation stands.
    #[serde(default)]
    thread: support_core::routing::Thread,
}

/// Starts and coalesces inbound runs.
pub struct InboundService {
    store: Store,
    engine: Arc<Engine>,
    config: InboundConfig,
    deps: Arc<Deps>,
}

/// What the brain would decide on a message, computed with no side effect (`skill test`,
/// `skill agent`): the same facts, context, brain and policy as a real run, nothing recorded.
#[derive(Debug, Clone, Serialize)]
pub struct DryRun {
    pub plan: Plan,
    pub context: crate::context::BuiltContext,
    pub user: Option<support_types::sdk::SdkUser>,
    pub purchases: Vec<support_types::sdk::SdkPurchase>,
    pub facts_note: Option<String>,
    /// The model's failure, when it failed (the plan then escalates).
    pub model_error: Option<String>,
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
        brain: BrainSettings,
    ) -> Arc<Self> {
        let deps = Arc::new(Deps {
            store: store.clone(),
            actions,
            apps,
            stripe,
            brain,
        });
        let deps_for_dry_runs = deps.clone();
        engine.register(INBOUND_WORKFLOW, move |ctx: EmbeddedCtx, input: Value| {
            let deps = deps.clone();
            async move { inbound_workflow(ctx, deps, input).await }
        });
        Arc::new(Self {
            store,
            engine,
            config,
            deps: deps_for_dry_runs,
        })
    }

    /// Decides on a message as a real run would, without recording or doing anything. The
    /// model (when the brain uses one) is called for real.
    pub async fn dry_run(
        &self,
        app_id: &str,
        from: &str,
        subject: &str,
        body: &str,
        now_ms: i64,
    ) -> Result<DryRun, String> {
        let d = &self.deps;
        let query = format!("{subject} {}", body.chars().take(280).collect::<String>());
        let facts = app_facts(
            &d.store,
            d.apps.as_ref(),
            d.stripe.as_ref(),
            Some(app_id),
            Some(from),
            &query,
        )
        .await
        .map_err(|e| e.to_string())?;
        let app = d
            .store
            .app_by_id(app_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("app {app_id} not found"))?;
        let policy_cfg = app
            .policy
            .as_deref()
            .and_then(|t| PolicyConfig::from_toml(t).ok())
            .unwrap_or_default();
        let input = BrainInput {
            subject: subject.to_owned(),
            body: body.to_owned(),
            from: from.to_owned(),
            user: facts.user.clone(),
            purchases: facts.purchases.clone(),
            charges: facts.charges.clone(),
            knowledge: facts.knowledge.clone(),
            thread: support_core::routing::Thread::default(),
            now: now_ms.div_euclid(1000),
        };
        let context = crate::context::build(&input, &[], d.brain.context_budget);
        let mut model_error = None;
        let opinion = match (&d.brain.llm, d.brain.mode_for(&policy_cfg)) {
            (Some(client), BrainMode::Llm | BrainMode::Tiered) => {
                match crate::llm_brain::opinion(client.as_ref(), &context).await {
                    Ok(o) => Some(o),
                    Err(e) => {
                        model_error = Some(e.to_string());
                        None
                    }
                }
            }
            _ => None,
        };
        let account = app
            .stripe_connected
            .then_some(app.stripe_account_id.as_deref())
            .flatten();
        let mut plan = crate::brain::decide_with(
            &input,
            &policy_cfg,
            &policy_cfg.approvers,
            account,
            opinion.as_ref(),
        );
        if let Some(err) = &model_error {
            to_human_on_model_error(&mut plan, err);
        }
        Ok(DryRun {
            plan,
            context,
            user: facts.user,
            purchases: facts.purchases,
            facts_note: facts.note,
            model_error,
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
    /// Knowledge the app's `searchContent` returned for the message.
    #[serde(default)]
    knowledge: Vec<Snippet>,
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
    query: &str,
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
    // Retrieval first: the app's own knowledge for the message (an app without
    // `searchContent` answers 501, which is "none"; a failing search is only a note).
    let mut notes = Vec::new();
    let knowledge = match api.search_content(query).await {
        Ok(Some(hits)) => hits
            .into_iter()
            .take(5)
            .enumerate()
            .map(|(rank, h)| Snippet {
                id: h.url.clone(),
                text: h.snippet.unwrap_or_default(),
                title: h.title,
                score: 1.0 / (rank as f64 + 1.0),
            })
            .collect(),
        Ok(None) => Vec::new(),
        Err(e) => {
            notes.push(format!("searchContent: {e}"));
            Vec::new()
        }
    };
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
    notes.extend(note);
    Ok(AppFacts {
        user,
        purchases,
        charges,
        knowledge,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    })
}

struct Deps {
    store: Store,
    actions: Arc<ActionService>,
    apps: Arc<dyn AppDirectory>,
    stripe: Arc<dyn StripeApi>,
    brain: BrainSettings,
}

/// A brain that failed never silences and never acts: a human takes the conversation.
fn to_human_on_model_error(plan: &mut Plan, err: &str) {
    plan.routing = "escalate_human".into();
    plan.route_rule = support_core::routing::route_on_error().rule;
    plan.proposals.clear();
    plan.draft = None;
    plan.brain = "llm".into();
    plan.reasoning = vec![format!("model failed: {err}")];
}

/// How many earlier messages get a preview.
const EARLIER_PREVIEWS: usize = 5;

async fn inbound_workflow(ctx: EmbeddedCtx, deps: Arc<Deps>, input: Value) -> WfResult<Value> {
    let store = deps.store.clone();
    let input: InboundInput =
        serde_json::from_value(input).map_err(|e| WfError::Invalid(e.to_string()))?;
    let local = RetryPolicy::DEFAULT;
    let started_at = ctx.now_ms("started_at").await?;

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
            let earlier = messages
                .iter()
                .rev()
                .filter(|m| !i.message_ids.contains(&m.front_message_id))
                .filter_map(|m| {
                    m.body.clone().map(|text| Preview {
                        id: m.id.clone(),
                        direction: m.direction.clone(),
                        text,
                    })
                })
                .take(EARLIER_PREVIEWS)
                .collect();
            let thread = support_core::routing::Thread {
                last_outbound: messages.last().is_some_and(|m| m.direction == "outbound"),
                replied_before: messages.iter().any(|m| m.direction == "outbound"),
                resolved: support_core::signals::says_resolved(&body),
            };
            Ok(Gathered {
                earlier,
                thread,
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
                        &format!("{} {}", g.subject, g.latest_preview),
                    )
                    .await
                })
            },
        )
        .await?;

    // The app, its policy and the brain's input: pure functions of journaled values, so a
    // replay rebuilds exactly what the first run decided on.
    let (s, i) = (store.clone(), input.clone());
    let app: Option<support_store::App> = ctx
        .run("app", local, || async move {
            match &i.app_id {
                Some(id) => s.app_by_id(id).await.map_err(retryable),
                None => Ok(None),
            }
        })
        .await?;
    let policy_cfg = app
        .as_ref()
        .and_then(|a| a.policy.as_deref())
        .and_then(|t| PolicyConfig::from_toml(t).ok())
        .unwrap_or_default();
    let account = app
        .as_ref()
        .filter(|a| a.stripe_connected)
        .and_then(|a| a.stripe_account_id.clone());
    let now = ctx.now_ms("decided_at").await?;
    let brain_input = BrainInput {
        subject: gathered.subject.clone(),
        body: gathered.body.clone(),
        from: gathered.customer_email.clone().unwrap_or_default(),
        user: facts.user.clone(),
        purchases: facts.purchases.clone(),
        charges: facts.charges.clone(),
        knowledge: facts.knowledge.clone(),
        thread: gathered.thread,
        now: now.div_euclid(1000),
    };
    let built = crate::context::build(&brain_input, &gathered.earlier, deps.brain.context_budget);

    // The model, when the mode asks for it. Its answer (or its failure) is journaled.
    let mode = deps.brain.mode_for(&policy_cfg);
    let wants_model = match mode {
        BrainMode::Rules => false,
        BrainMode::Llm => true,
        BrainMode::Tiered => {
            let sig = detect(&brain_input.subject, &brain_input.body, &brain_input.from);
            let c = classify(
                &brain_input.subject,
                &brain_input.body,
                &brain_input.from,
                &sig,
            );
            c.category == Category::Unknown || c.confidence < deps.brain.tiered_min_confidence
        }
    };
    let model: Option<LlmOutcome> = match (&deps.brain.llm, wants_model) {
        (Some(client), true) => {
            let (client, b) = (client.clone(), built.clone());
            Some(
                ctx.run("llm", local, || async move {
                    let t = std::time::Instant::now();
                    let r = crate::llm_brain::opinion(client.as_ref(), &b).await;
                    let elapsed_ms = i64::try_from(t.elapsed().as_millis()).unwrap_or(i64::MAX);
                    Ok(match r {
                        Ok(o) => LlmOutcome {
                            opinion: Some(o),
                            error: None,
                            elapsed_ms,
                        },
                        Err(e) => LlmOutcome {
                            opinion: None,
                            error: Some(e.to_string()),
                            elapsed_ms,
                        },
                    })
                })
                .await?,
            )
        }
        _ => None,
    };

    let decision_id = ctx
        .run("decision_id", local, || async {
            Ok(support_store::new_id())
        })
        .await?;
    let mut plan = crate::brain::decide_with(
        &brain_input,
        &policy_cfg,
        &policy_cfg.approvers,
        account.as_deref(),
        model.as_ref().and_then(|m| m.opinion.as_ref()),
    );
    if let Some(err) = model.as_ref().and_then(|m| m.error.as_deref()) {
        to_human_on_model_error(&mut plan, err);
    }
    let inputs_hash = {
        let canonical = json!({
            "input": brain_input,
            "context": built.text,
            "policy": plan.policy_fingerprint,
            "brain": plan.brain,
            "prompt_version": crate::llm_brain::PROMPT_VERSION,
        });
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    };
    let (s, i, g, d, f, p, ctx_record) = (
        store.clone(),
        input.clone(),
        gathered.clone(),
        decision_id.clone(),
        facts.clone(),
        plan.clone(),
        json!({
            "tokens": built.tokens,
            "budget": built.budget,
            "previews": built.preview_ids,
            "snippets": built.snippets,
            "dropped": built.dropped,
            "facts_note": facts.note,
            "model_ms": model.as_ref().map(|m| m.elapsed_ms),
            "draft": plan.draft,
            "comment": plan.comment,
        }),
    );
    let retrieved = json!(
        built
            .snippets
            .iter()
            .map(|(id, score)| json!({"id": id, "score": score}))
            .collect::<Vec<_>>()
    )
    .to_string();
    let latency_ms = now - started_at;
    ctx.run("record_decision", local, || async move {
        s.record_decision(
            &NewDecision {
                id: d.clone(),
                conversation_id: i.conversation_id.clone(),
                message_id: g.latest_message.clone(),
                category: p.category.clone(),
                routing: p.routing.clone(),
                signals: serde_json::to_string(&p.signals).unwrap_or_else(|_| "[]".into()),
                confidence: p.confidence,
                proposed_actions: serde_json::to_string(&p.proposals)
                    .unwrap_or_else(|_| "[]".into()),
                brain: p.brain.clone(),
                model: p.model.clone(),
                prompt_version: (p.brain == "llm")
                    .then(|| crate::llm_brain::PROMPT_VERSION.to_owned()),
                policy_version: Some(format!("{}@{}", p.policy_version, p.policy_fingerprint)),
                trace_id: i.trace_id.clone(),
                inputs_hash: Some(inputs_hash),
                latency_ms: Some(latency_ms),
                validation: p.validation.as_ref().map(Value::to_string),
                context: Some(ctx_record.to_string()),
                retrieved,
            },
            &NewAuditEntry {
                actor: "system".into(),
                action: "decision.recorded".into(),
                subject: format!("conversation:{}", i.conversation_id),
                trace_id: Some(i.trace_id.clone()),
                data: json!({
                    "decision_id": d,
                    "category": p.category,
                    "confidence": p.confidence,
                    "signals": p.signals,
                    "routing": p.routing,
                    "route_rule": p.route_rule,
                    "proposals": p.proposals,
                    "messages": i.message_ids,
                    "facts_note": f.note,
                    "brain": p.brain,
                    "model": p.model,
                    "policy": format!("{}@{}", p.policy_version, p.policy_fingerprint),
                }),
            },
        )
        .await
        .map_err(retryable)?;
        Ok(())
    })
    .await?;
    let decided = (plan, app);
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
    } else {
        // A reply draft for the customer, or an internal note for the teammate already on
        // the conversation: one ledger action either way.
        let note = match (plan.draft.clone(), plan.comment.clone(), inbox) {
            (Some(body), _, Some(inbox)) => Some((
                "draft",
                "draft_response",
                json!({"conversation": gathered.front_conversation_id, "inbox_id": inbox, "body": body}),
            )),
            (None, Some(body), _) => Some((
                "comment",
                "add_comment",
                json!({"conversation": gathered.front_conversation_id, "body": body}),
            )),
            _ => None,
        };
        if let Some((step, kind, params)) = note {
            let (svc, i) = (deps.actions.clone(), input.clone());
            let requested_by = format!("agent:{}", plan.brain);
            let id: String = ctx
                .run(step, local, || -> BoxFut<Result<String, StepError>> {
                    Box::pin(async move {
                        svc.propose(Proposal {
                            app_id: i.app_id.clone(),
                            conversation_id: Some(i.conversation_id.clone()),
                            kind: kind.into(),
                            params,
                            verdict: Verdict::Auto,
                            requested_by,
                            trace_id: i.trace_id.clone(),
                        })
                        .await
                        .map(|a| a.id)
                        .map_err(|e| StepError::Permanent(e.to_string()))
                    })
                })
                .await
                .unwrap_or_else(|e| format!("not done ({step}): {e}"));
            started.push(id);
        }
    }

    Ok(json!({
        "decision_id": decision_id,
        "category": plan.category,
        "routing": plan.routing,
        "messages": input.message_ids.len(),
        "actions": started,
    }))
}
