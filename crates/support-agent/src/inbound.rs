//! The inbound workflow (`kind = "inbound"`): gather → decide → (approval request | action)
//! → draft, one run per burst of messages on a conversation.
//!
//! Runs are keyed `conv:<conversation>:<n>` and hold the conversation's lock key, so work on
//! one conversation is serialized. A burst is coalesced: the first message schedules a run a
//! short debounce later (and at least the throttle interval after the previous run started);
//! messages arriving before it starts join its input instead of starting runs of their own.
//!
//! The run journals what it decides on (`gather`, `facts` from `decide::gather_facts`, the
//! app and its policy, the model's answer), then calls the pure `decide::decide`; the allowed
//! proposals become ledger actions, escalations tag the conversation and tell Slack, replies
//! become Front drafts. A policy that cannot be read decides nothing: a human takes it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support_core::policy::PolicyConfig;
use support_engine::{
    Burst, Durable, EmbeddedCtx, Engine, Joined, RetryPolicy, StepError, WfError, WfResult,
};
use support_llm::LlmClient;
use support_store::decisions::NewDecision;
use support_store::{NewAuditEntry, Store, StoreError};
use support_stripe::StripeApi;

use crate::actions::{ActionError, ActionService, Proposal, Verdict};
use crate::app_tools::AppDirectory;
use crate::context::Preview;
use crate::decide::{
    AppFacts, Facts, FactsError, POLICY_INVALID, Plan, app_policy, decide, decide_without_policy,
    gather_facts,
};
use crate::request::{ActionRequest, CommentParams, DraftParams, EscalateParams};

type BoxFut<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

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

/// Which brain decides (`[brain] mode` in the server's config, or `brain` in an app's
/// policy). Parsing is validation: an unknown mode is refused when the config is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BrainMode {
    #[default]
    Rules,
    Llm,
    /// Rules first; the model when the rules are unsure.
    Tiered,
}

impl BrainMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BrainMode::Rules => "rules",
            BrainMode::Llm => "llm",
            BrainMode::Tiered => "tiered",
        }
    }
}

impl std::str::FromStr for BrainMode {
    type Err = String;

    /// `rules`, `llm` or `tiered`; anything else is refused, never defaulted.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [BrainMode::Rules, BrainMode::Llm, BrainMode::Tiered]
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("unknown brain mode {s:?} (expected rules, llm or tiered)"))
    }
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
    /// The platform's search index (knowledge, similar tickets, trusted responses); without
    /// it the brain sees only what the app's own search returns.
    pub search: Option<Arc<dyn support_retrieval::VectorStore>>,
    /// The learned classifier beside the rules (needs the embedding model); without it the
    /// rules decide alone.
    pub learned: Option<Arc<crate::learned::LearnedBrain>>,
    /// How far the model's tool-using loop may go per decision.
    pub agent: crate::agent::AgentLimits,
}

impl BrainSettings {
    /// The app's policy may choose its own brain; the server's `[brain] mode` otherwise. A
    /// model brain with no `[llm]` configured decides with the rules. (The policy's parser
    /// already refused any other name, so none is defaulted here.)
    pub fn mode_for(&self, policy: &PolicyConfig) -> BrainMode {
        let chosen = policy
            .brain
            .as_deref()
            .and_then(|b| b.parse().ok())
            .unwrap_or(self.mode);
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
            search: None,
            learned: None,
            agent: crate::agent::AgentLimits::default(),
        }
    }
}

/// The run's journal for the model's loop: each turn and each tool call is a step, so a
/// replay reads the model's answers back instead of asking again.
struct Journaled<'a>(&'a EmbeddedCtx);

impl crate::agent::Journal for Journaled<'_> {
    type Error = WfError;
    async fn step<T, Fut>(&self, name: String, fut: Fut) -> WfResult<T>
    where
        T: Serialize + serde::de::DeserializeOwned + Send,
        Fut: std::future::Future<Output = T> + Send,
    {
        self.0
            .run(
                &name,
                RetryPolicy::DEFAULT,
                move || async move { Ok(fut.await) },
            )
            .await
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
    /// Earlier messages of the conversation, newest first, for short previews.
    #[serde(default)]
    earlier: Vec<Preview>,
    /// Where the conversation stands.
    #[serde(default)]
    thread: support_core::routing::Thread,
}

/// Starts and coalesces inbound runs.
pub struct InboundService {
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

/// Why a dry run could not decide.
#[derive(Debug, thiserror::Error)]
pub enum DryRunError {
    #[error(transparent)]
    Facts(#[from] FactsError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("app {0} not found")]
    UnknownApp(String),
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
            store,
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
    ) -> Result<DryRun, DryRunError> {
        let d = &self.deps;
        let query = format!("{subject} {}", body.chars().take(280).collect::<String>());
        let gathered = gather_facts(
            &d.store,
            d.apps.as_ref(),
            d.stripe.as_ref(),
            d.brain.search.as_deref(),
            Some(app_id),
            Some(from),
            &query,
        )
        .await?;
        let app = d
            .store
            .app_by_id(app_id)
            .await?
            .ok_or_else(|| DryRunError::UnknownApp(app_id.to_owned()))?;
        let facts = Facts {
            subject: subject.to_owned(),
            body: body.to_owned(),
            from: from.to_owned(),
            user: gathered.user.clone(),
            purchases: gathered.purchases.clone(),
            charges: gathered.charges.clone(),
            knowledge: gathered.knowledge.clone(),
            similar: gathered.similar.clone(),
            responses: gathered.responses.clone(),
            thread: support_core::routing::Thread::default(),
            learned: match &d.brain.learned {
                Some(l) => l.opinion(subject, body).await.ok(),
                None => None,
            },
            now: now_ms.div_euclid(1000),
        };
        let context = crate::context::build(&facts, &[], d.brain.context_budget);
        let account = app
            .stripe_connected
            .then_some(app.stripe_account_id.as_deref())
            .flatten();
        let mut model_error = None;
        let plan = match app_policy(app.policy.as_deref()) {
            Err(e) => decide_without_policy(&facts, &e),
            Ok(policy_cfg) => {
                let wants_model = match d.brain.mode_for(&policy_cfg) {
                    BrainMode::Rules => false,
                    BrainMode::Llm => true,
                    BrainMode::Tiered => {
                        !crate::decide::rules_are_sure(&facts, d.brain.tiered_min_confidence)
                    }
                };
                let opinion = match (&d.brain.llm, wants_model) {
                    (Some(client), true) => {
                        let search = d.agent_search(Some(app_id));
                        let input = crate::agent::AgentInput {
                            facts: &facts,
                            context: &context,
                            earlier: &[],
                            search: &search,
                            limits: d.brain.agent,
                        };
                        let Ok(run) =
                            crate::agent::run(client.clone(), input, &crate::agent::Unjournaled)
                                .await;
                        model_error = run.error;
                        run.opinion
                    }
                    _ => None,
                };
                let mut plan = decide(&facts, &policy_cfg, account, opinion.as_ref());
                if let Some(err) = &model_error {
                    plan.to_human_on_model_error(err);
                }
                plan
            }
        };
        Ok(DryRun {
            plan,
            context,
            user: gathered.user,
            purchases: gathered.purchases,
            facts_note: gathered.note,
            model_error,
        })
    }

    /// Schedules a decision for a new message on `conversation_id`: a run of its own a
    /// debounce from now, or the burst's run that has not started yet.
    pub async fn on_message(
        &self,
        app_id: Option<&str>,
        conversation_id: &str,
        message_id: &str,
        trace_id: &str,
    ) -> WfResult<Scheduled> {
        let group = format!("conv:{conversation_id}:");
        // The message id makes the key unique and makes a redelivered message idempotent.
        let key = format!("{group}{message_id}");
        let input = InboundInput {
            conversation_id: conversation_id.to_owned(),
            app_id: app_id.map(str::to_owned),
            message_ids: vec![message_id.to_owned()],
            trace_id: trace_id.to_owned(),
        };
        let joined = self
            .engine
            .start_or_join(
                Burst {
                    kind: INBOUND_WORKFLOW,
                    group: &group,
                    key: &key,
                    debounce_ms: self.config.debounce_ms,
                    throttle_ms: self.config.throttle_ms,
                    lock_key: Some(format!("conversation:{conversation_id}")),
                    trace_id: Some(trace_id.to_owned()),
                },
                input,
                |i: &InboundInput| i.message_ids.iter().any(|m| m == message_id),
                |i: &mut InboundInput| i.message_ids.push(message_id.to_owned()),
            )
            .await?;
        Ok(match joined {
            Joined::Started { run_id } => Scheduled::NewRun { run_id },
            Joined::Joined { run_id } => Scheduled::Coalesced { run_id },
        })
    }
}

struct Deps {
    store: Store,
    actions: Arc<ActionService>,
    apps: Arc<dyn AppDirectory>,
    stripe: Arc<dyn StripeApi>,
    brain: BrainSettings,
}

impl Deps {
    /// Where the model's `search_knowledge` looks for this app.
    fn agent_search(&self, app_id: Option<&str>) -> crate::agent::Search {
        crate::agent::Search {
            index: self.brain.search.clone(),
            apps: self.apps.clone(),
            app_id: app_id.map(str::to_owned),
        }
    }
}

/// How many earlier messages get a preview.
const EARLIER_PREVIEWS: usize = 5;

/// Proposes one ledger action from inside the workflow, as its own journaled step. A refusal
/// is recorded in the run's output instead of failing the run (`not_done` names the step).
async fn propose_step(
    ctx: &EmbeddedCtx,
    step: &str,
    svc: Arc<ActionService>,
    proposal: Proposal,
    not_done: &str,
) -> WfResult<String> {
    let local = RetryPolicy::DEFAULT;
    let id = ctx
        .run(step, local, || -> BoxFut<Result<String, StepError>> {
            Box::pin(async move {
                svc.propose(proposal)
                    .await
                    .map(|a| a.id)
                    .map_err(|e: ActionError| StepError::permanent(e))
            })
        })
        .await;
    match id {
        Ok(id) => Ok(id),
        Err(WfError::StepFailed { message, .. }) => Ok(format!("{not_done}: {message}")),
        Err(other) => Err(other),
    }
}

async fn inbound_workflow(ctx: EmbeddedCtx, deps: Arc<Deps>, input: Value) -> WfResult<Value> {
    let store = deps.store.clone();
    let input: InboundInput =
        serde_json::from_value(input).map_err(|e| WfError::codec("inbound run input", e))?;
    let local = RetryPolicy::DEFAULT;
    let started_at = ctx.now_ms("started_at").await?;

    let (s, i) = (store.clone(), input.clone());
    let gathered: Gathered = ctx
        .run("gather", local, || async move {
            let (conv, messages) = s
                .conversation(&i.conversation_id)
                .await
                .map_err(StepError::retryable)?
                .ok_or_else(|| {
                    StepError::permanent(format!("conversation {} not found", i.conversation_id))
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
    let app_facts: AppFacts = ctx
        .run(
            "facts",
            RetryPolicy::DEFAULT,
            || -> BoxFut<Result<AppFacts, StepError>> {
                Box::pin(async move {
                    gather_facts(
                        &s,
                        d.apps.as_ref(),
                        d.stripe.as_ref(),
                        d.brain.search.as_deref(),
                        i.app_id.as_deref(),
                        g.customer_email.as_deref(),
                        &format!("{} {}", g.subject, g.latest_preview),
                    )
                    .await
                    .map_err(StepError::from)
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
                Some(id) => s.app_by_id(id).await.map_err(StepError::retryable),
                None => Ok(None),
            }
        })
        .await?;
    // Fail closed: a stored policy that does not parse decides nothing on its own.
    let policy = app_policy(app.as_ref().and_then(|a| a.policy.as_deref()));
    let account = app
        .as_ref()
        .filter(|a| a.stripe_connected)
        .and_then(|a| a.stripe_account_id.clone());
    // The learned classifier's reading, journaled: a replay decides on the same opinion.
    let learned: Option<support_core::learned::LearnedOpinion> = match deps.brain.learned.clone() {
        Some(brain) => {
            let (subject, body) = (gathered.subject.clone(), gathered.body.clone());
            ctx.run("learned", local, move || async move {
                // An embedder that is busy or down leaves the rules to decide alone.
                Ok(brain.opinion(&subject, &body).await.ok())
            })
            .await?
        }
        None => None,
    };
    let now = ctx.now_ms("decided_at").await?;
    let facts = Facts {
        subject: gathered.subject.clone(),
        body: gathered.body.clone(),
        from: gathered.customer_email.clone().unwrap_or_default(),
        user: app_facts.user.clone(),
        purchases: app_facts.purchases.clone(),
        charges: app_facts.charges.clone(),
        knowledge: app_facts.knowledge.clone(),
        similar: app_facts.similar.clone(),
        responses: app_facts.responses.clone(),
        thread: gathered.thread,
        learned,
        now: now.div_euclid(1000),
    };
    let built = crate::context::build(&facts, &gathered.earlier, deps.brain.context_budget);

    // The model, when the mode asks for it. Its answer (or its failure) is journaled.
    let wants_model = match &policy {
        Err(_) => false,
        Ok(p) => match deps.brain.mode_for(p) {
            BrainMode::Rules => false,
            BrainMode::Llm => true,
            BrainMode::Tiered => {
                !crate::decide::rules_are_sure(&facts, deps.brain.tiered_min_confidence)
            }
        },
    };
    let model: Option<crate::agent::AgentRun> = match (&deps.brain.llm, wants_model) {
        (Some(client), true) => {
            let search = deps.agent_search(input.app_id.as_deref());
            let agent_input = crate::agent::AgentInput {
                facts: &facts,
                context: &built,
                earlier: &gathered.earlier,
                search: &search,
                limits: deps.brain.agent,
            };
            Some(crate::agent::run(client.clone(), agent_input, &Journaled(&ctx)).await?)
        }
        _ => None,
    };

    let decision_id = ctx
        .run("decision_id", local, || async {
            Ok(support_store::new_id())
        })
        .await?;
    let plan = match &policy {
        Err(e) => decide_without_policy(&facts, e),
        Ok(policy_cfg) => {
            let mut plan = decide(
                &facts,
                policy_cfg,
                account.as_deref(),
                model.as_ref().and_then(|m| m.opinion.as_ref()),
            );
            if let Some(err) = model.as_ref().and_then(|m| m.error.as_deref()) {
                plan.to_human_on_model_error(err);
            }
            plan
        }
    };
    let inputs_hash = {
        let canonical = json!({
            "input": facts,
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
        app_facts.clone(),
        plan.clone(),
        json!({
            "tokens": built.tokens,
            "budget": built.budget,
            "previews": built.preview_ids,
            "snippets": built.snippets,
            "dropped": built.dropped,
            "facts_note": app_facts.note,
            "model_ms": model.as_ref().map(|m| m.elapsed_ms),
            "model": model.as_ref().map(|m| json!({
                "turns": m.turns,
                "input_tokens": m.usage.input_tokens,
                "output_tokens": m.usage.output_tokens,
                "calls": m.calls,
                "error": m.error,
            })),
            "draft": plan.draft,
            "comment": plan.comment,
        }),
    );
    let retrieved_ids = json!(
        built
            .snippets
            .iter()
            .map(|(id, score)| json!({"id": id, "score": score}))
            .collect::<Vec<_>>()
    );
    let retrieved = retrieved_ids.to_string();
    let latency_ms = now - started_at;
    ctx.run("record_decision", local, || async move {
        let json_text = |v: Value| v.to_string();
        let mut data = json!({
            "decision_id": d,
            "category": p.category,
            "confidence": p.confidence,
            "signals": p.signals,
            "routing": p.routing,
            "route_rule": p.route_rule,
            "proposals": p.proposals,
            "messages": i.message_ids,
            "facts_note": f.note,
            // What the context was built from, so `skill logs` shows which articles, tickets
            // and replies a decision saw.
            "retrieved": retrieved_ids,
            "brain": p.brain,
            "model": p.model,
            "policy": p.policy(),
        });
        if p.route_rule == POLICY_INVALID {
            // Why nothing was decided: the policy's parse error.
            data["reasoning"] = json!(p.reasoning);
        }
        s.record_decision(
            &NewDecision {
                id: d.clone(),
                conversation_id: i.conversation_id.clone(),
                message_id: g.latest_message.clone(),
                category: p.category.as_str().to_owned(),
                routing: p.routing.as_str().to_owned(),
                signals: json_text(json!(p.signals)),
                confidence: p.confidence,
                // Field order as declared ({kind, params, verdict, rule}).
                proposed_actions: serde_json::to_string(&p.proposals)
                    .unwrap_or_else(|_| "[]".into()),
                brain: p.brain.as_str().to_owned(),
                model: p.model.clone(),
                prompt_version: (p.brain == crate::decide::BrainKind::Llm)
                    .then(|| crate::llm_brain::PROMPT_VERSION.to_owned()),
                policy_version: Some(p.policy()),
                trace_id: i.trace_id.clone(),
                inputs_hash: Some(inputs_hash),
                latency_ms: Some(latency_ms),
                validation: p.validation.as_ref().map(|v| json_text(json!(v))),
                context: Some(ctx_record.to_string()),
                retrieved,
            },
            &NewAuditEntry {
                actor: "system".into(),
                action: "decision.recorded".into(),
                subject: format!("conversation:{}", i.conversation_id),
                trace_id: Some(i.trace_id.clone()),
                data,
            },
        )
        .await
        .map_err(StepError::retryable)?;
        Ok(())
    })
    .await?;

    // Act: each allowed proposal becomes a ledger action; an escalation (by route or by the
    // policy) becomes an escalate_to_human action; a denied proposal becomes nothing.
    let mut escalate: Option<String> = plan.escalates().then(|| {
        let why = format!("{} ({})", plan.routing, plan.route_rule);
        match plan.route_rule.as_str() {
            // The reason a human needs is the parse error itself.
            POLICY_INVALID => format!("{why}: {}", plan.reasoning.join("; ")),
            _ => why,
        }
    });
    let mut started = Vec::new();
    let proposal = |request: &ActionRequest, verdict: Verdict, requested_by: String| Proposal {
        app_id: input.app_id.clone(),
        conversation_id: Some(input.conversation_id.clone()),
        kind: request.kind().as_str().to_owned(),
        params: request.params(),
        verdict,
        requested_by,
        trace_id: input.trace_id.clone(),
    };
    let requested_by = format!("agent:{}", plan.brain);
    for (n, p) in plan.proposals.iter().enumerate() {
        match &p.verdict {
            Verdict::Escalate { reason } => {
                escalate.get_or_insert_with(|| reason.clone());
            }
            Verdict::Deny { .. } => {}
            verdict @ (Verdict::Auto | Verdict::Approval { .. }) => {
                let prop = proposal(&p.request, verdict.clone(), requested_by.clone());
                let step = format!("propose:{n}");
                started.push(
                    propose_step(&ctx, &step, deps.actions.clone(), prop, "not proposed").await?,
                );
            }
        }
    }
    let inbox = app
        .as_ref()
        .and_then(|a| a.front_inbox_ids.first().cloned());
    if let Some(reason) = escalate {
        let request = ActionRequest::EscalateToHuman(EscalateParams::new(
            gathered.front_conversation_id.clone(),
            reason,
            app.as_ref()
                .and_then(|a| a.escalation_slack_channel.clone()),
        ));
        let prop = proposal(&request, Verdict::Auto, requested_by.clone());
        started.push(
            propose_step(
                &ctx,
                "escalate",
                deps.actions.clone(),
                prop,
                "not escalated",
            )
            .await?,
        );
    } else {
        // A reply draft for the customer, or an internal note for the teammate already on
        // the conversation: one ledger action either way.
        let note = match (plan.draft.clone(), plan.comment.clone(), inbox) {
            (Some(body), _, Some(inbox_id)) => Some((
                "draft",
                ActionRequest::DraftResponse(DraftParams {
                    conversation: gathered.front_conversation_id.clone(),
                    body,
                    inbox_id,
                    to: None,
                }),
            )),
            (None, Some(body), _) => Some((
                "comment",
                ActionRequest::AddComment(CommentParams {
                    conversation: gathered.front_conversation_id.clone(),
                    body,
                }),
            )),
            _ => None,
        };
        if let Some((step, request)) = note {
            let prop = proposal(&request, Verdict::Auto, requested_by.clone());
            let not_done = format!("not done ({step})");
            started.push(propose_step(&ctx, step, deps.actions.clone(), prop, &not_done).await?);
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
