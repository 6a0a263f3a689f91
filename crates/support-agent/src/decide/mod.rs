//! The decision, typed end to end: [`gather_facts`] (the only IO: the customer, purchases,
//! charges and knowledge) and the pure [`decide`] (signals → category → route → proposals,
//! each judged by the app's policy → a draft checked by the validator). Every caller that
//! decides goes through here: the inbound workflow, the dry run behind `skill test` and
//! `skill agent`, and the operator's actions (`operator`).
//!
//! The brain only proposes. Every proposed action carries the policy's verdict, computed from
//! structured facts (purchase dates and amounts from the app, the category, signals), never
//! from the customer's words: a message that claims authority changes nothing here. A policy
//! that cannot be read decides nothing: the conversation goes to a human ([`Plan::to_human`]).

mod answer;
mod facts;
pub mod operator;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};
use support_core::classify::{Category, Classification, INJECTION_CONFIDENCE_CAP, classify};
use support_core::policy::{self, ActionKind, PolicyConfig, PolicyError, PurchaseFacts};
use support_core::routing::{RouteOutcome, route_in_thread, route_on_error};
use support_core::signals::{Signal, detect, extract_entities};
use support_core::validate::Validation;
use support_types::sdk::SdkPurchase;

pub use facts::{AppFacts, ChargeFacts, Facts, FactsError, Snippet, gather_facts};
pub use support_core::policy::Verdict;

use crate::request::{ActionRequest, MagicLinkParams, RefundParams, RequestKind, TransferParams};

/// The rule id of a refund whose charge is not on the app's connected account.
pub const CHARGE_ACCOUNT_MISMATCH: &str = "charge_account_mismatch";

/// The rule id of a proposal naming a purchase the customer does not have.
pub const UNKNOWN_NAMED_PURCHASE: &str = "unknown_named_purchase";

/// The route rule when the draft validator blocked the reply.
pub const DRAFT_BLOCKED: &str = "draft_blocked";

/// The route rule when the app's stored policy could not be read: nothing is decided on a
/// guess, a human takes the conversation.
pub const POLICY_INVALID: &str = "policy_invalid";

/// Which brain decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BrainKind {
    Rules,
    Llm,
}

impl BrainKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BrainKind::Rules => "rules",
            BrainKind::Llm => "llm",
        }
    }
}

impl std::fmt::Display for BrainKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One proposed action with the policy's verdict on it. Shown and stored as
/// `{kind, params, verdict, rule}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub request: ActionRequest,
    pub verdict: Verdict,
    /// The policy rule (or the check before the policy) that gave the verdict.
    pub rule: String,
}

impl Serialize for Proposal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Proposal", 4)?;
        st.serialize_field("kind", &self.request.kind())?;
        st.serialize_field("params", &self.request.params())?;
        st.serialize_field("verdict", &self.verdict)?;
        st.serialize_field("rule", &self.rule)?;
        st.end()
    }
}

/// The brain's output: the decision record's content and what to do.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub category: Category,
    pub confidence: f64,
    pub signals: Vec<Signal>,
    pub routing: RouteOutcome,
    pub route_rule: String,
    pub proposals: Vec<Proposal>,
    /// The reply to draft, when the route is `respond`.
    pub draft: Option<String>,
    /// The internal note for the teammate on the conversation, when the route is `comment`.
    pub comment: Option<String>,
    pub policy_version: String,
    pub policy_fingerprint: String,
    pub brain: BrainKind,
    /// `provider/model` when a model contributed.
    pub model: Option<String>,
    /// The model's reasoning, or the rules' evidence.
    pub reasoning: Vec<String>,
    /// The draft validator's verdict on the draft (before it was dropped, if it was).
    pub validation: Option<Validation>,
}

impl Plan {
    /// `version@fingerprint`, as decision records name the policy.
    pub fn policy(&self) -> String {
        format!("{}@{}", self.policy_version, self.policy_fingerprint)
    }

    /// Whether the route hands the conversation to a person.
    pub fn escalates(&self) -> bool {
        matches!(
            self.routing,
            RouteOutcome::EscalateHuman
                | RouteOutcome::EscalateUrgent
                | RouteOutcome::EscalateInstructor
        )
    }

    /// Nothing is done and nothing is drafted: a human takes the conversation, for `reason`.
    /// Used when the brain failed (`classifier_error`) or the policy could not be read.
    pub fn to_human(&mut self, rule: &str, reason: String) {
        self.routing = RouteOutcome::EscalateHuman;
        self.route_rule = rule.to_owned();
        self.proposals.clear();
        self.draft = None;
        self.comment = None;
        self.reasoning = vec![reason];
    }

    /// A brain that failed never silences and never acts.
    pub fn to_human_on_model_error(&mut self, err: &str) {
        self.to_human(&route_on_error().rule, format!("model failed: {err}"));
        self.brain = BrainKind::Llm;
    }
}

/// The app's policy as stored, read fail-closed: no stored policy is the default policy; a
/// stored policy that does not parse is an error, never the default.
pub fn app_policy(stored: Option<&str>) -> Result<PolicyConfig, PolicyError> {
    match stored {
        None => Ok(PolicyConfig::default()),
        Some(text) => PolicyConfig::from_toml(text),
    }
}

/// What a language model contributed, already validated against the triage tool's schema
/// (see `llm_brain`). It can set the category, pick the action kind and the purchase, and
/// write a reply; it cannot set amounts, approvers or verdicts, and routing still runs the
/// deterministic rules on the deterministic signals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelOpinion {
    pub category: Category,
    pub confidence: f64,
    pub reasoning: String,
    /// `refund`, `magic_link`, `transfer_purchase` or none.
    pub action: Option<RequestKind>,
    pub purchase_id: Option<String>,
    pub transfer_to: Option<String>,
    pub draft: Option<String>,
    /// `provider/model`, for the decision record.
    pub model: String,
}

/// The action a category leads to when nobody named one.
fn default_action(category: Category) -> Option<RequestKind> {
    match category {
        Category::SupportRefund => Some(RequestKind::Refund),
        Category::SupportAccess => Some(RequestKind::MagicLink),
        Category::SupportTransfer => Some(RequestKind::TransferPurchase),
        _ => None,
    }
}

/// The policy's approvers fill a verdict that names none.
fn with_default_approvers(v: Verdict, default_approvers: &[String]) -> Verdict {
    match v {
        Verdict::Approval { approvers, reason } if approvers.is_empty() => Verdict::Approval {
            approvers: default_approvers.to_vec(),
            reason,
        },
        other => other,
    }
}

pub fn purchase_facts(p: &SdkPurchase) -> PurchaseFacts {
    PurchaseFacts {
        id: p.id.clone(),
        purchased_at: p.purchased_at,
        amount_cents: p.amount.amount,
        currency: p.amount.currency.clone(),
        status: p.status.clone(),
        team: false,
        refundable_cents: None,
    }
}

/// The rules' classification, or the model's in its place (capped when the rules saw an
/// injection: the model cannot clear what the rules saw).
fn classification(
    facts: &Facts,
    signals: &[Signal],
    opinion: Option<&ModelOpinion>,
) -> Classification {
    let rules = classify(&facts.subject, &facts.body, &facts.from, signals);
    let Some(o) = opinion else {
        return rules;
    };
    let injected = !rules.injection.is_empty();
    let confidence = if o.confidence.is_finite() {
        o.confidence.clamp(0.0, 1.0)
    } else {
        0.0
    };
    Classification {
        category: o.category,
        confidence: if injected {
            confidence.min(INJECTION_CONFIDENCE_CAP)
        } else {
            confidence
        },
        reasons: vec![format!("model {}", o.model)],
        injection: rules.injection,
    }
}

/// The rules alone: whether they are sure enough to decide without a model (`tiered`).
pub fn rules_are_sure(facts: &Facts, min_confidence: f64) -> bool {
    let signals = detect(&facts.subject, &facts.body, &facts.from);
    let c = classify(&facts.subject, &facts.body, &facts.from, &signals);
    c.category != Category::Unknown && c.confidence >= min_confidence
}

/// A refund's template reply, by verdict (escalations get a human, not a template).
fn refund_draft(verdict: Option<&Verdict>, p: &SdkPurchase) -> Option<String> {
    match verdict {
        Some(Verdict::Auto) => Some(format!(
            "Hi,\n\nThanks for writing. I've refunded your {} purchase ({}). The money goes back to the card you paid with; your bank decides how soon it shows on your statement.\n",
            p.product_name, p.amount
        )),
        Some(Verdict::Deny { .. }) => Some(format!(
            "Hi,\n\nThanks for writing. Your {} purchase has already been refunded, so there is nothing left to refund. If you see something different on your statement, reply with the date and amount and we'll look into it.\n",
            p.product_name
        )),
        Some(Verdict::Escalate { .. }) => None,
        _ => Some(format!(
            "Hi,\n\nThanks for writing. I've asked the team to review a refund of your {} purchase ({}); you'll hear from us within a day.\n",
            p.product_name, p.amount
        )),
    }
}

/// Decides on one burst of messages: pure, no IO. `stripe_account` is the app's connected
/// account (refunds need one); `opinion` is a model's validated answer, when one was asked.
pub fn decide(
    facts: &Facts,
    policy_cfg: &PolicyConfig,
    stripe_account: Option<&str>,
    opinion: Option<&ModelOpinion>,
) -> Plan {
    let approvers = policy_cfg.approvers.as_slice();
    let signals = detect(&facts.subject, &facts.body, &facts.from);
    let c = classification(facts, &signals, opinion);
    let r = route_in_thread(&c, &signals, &[], &facts.thread);
    let entities = extract_entities(&facts.body);
    let category = c.category;
    let mut proposals = Vec::new();
    let base_facts =
        |action: ActionKind, purchase: Option<&SdkPurchase>, known: bool| policy::Facts {
            action,
            now: facts.now,
            purchase: purchase.map(purchase_facts),
            purchase_known: known,
            requested_amount_cents: None,
            category: category.as_str().to_owned(),
            confidence: c.confidence,
            signals: signals.clone(),
            approvers: approvers.to_vec(),
            order: None,
        };
    // The purchase a message is about: one it names, else the newest active one.
    let named = facts.purchases.iter().find(|p| {
        entities.purchase_ids.contains(&p.id)
            || p.stripe_charge_id
                .as_ref()
                .is_some_and(|ch| entities.charge_ids.contains(ch))
    });
    let rules_target = named.or_else(|| facts.purchases.iter().find(|p| p.status == "active"));
    // A purchase the model names must be one of the customer's; otherwise nothing is done
    // with it (the conversation goes to a human below).
    let model_named = opinion.and_then(|o| o.purchase_id.as_deref());
    let target = match model_named {
        Some(id) => facts.purchases.iter().find(|p| p.id == id),
        None => rules_target,
    };
    let action = opinion
        .and_then(|o| o.action)
        .or_else(|| default_action(category));
    if r.outcome == RouteOutcome::Respond
        && let (Some(kind), Some(id), None) = (action, model_named, target)
    {
        proposals.push(Proposal {
            request: ActionRequest::Unresolved {
                kind,
                purchase_id: id.to_owned(),
            },
            verdict: Verdict::Escalate {
                reason: "the purchase the model named is not one of the customer's".into(),
            },
            rule: UNKNOWN_NAMED_PURCHASE.into(),
        });
    }
    let mut propose = |request: ActionRequest, pf: policy::Facts| {
        let e = policy::evaluate_detailed(policy_cfg, &pf);
        proposals.push(Proposal {
            request,
            verdict: with_default_approvers(e.verdict, approvers),
            rule: e.rule.to_string(),
        });
    };
    let mut draft = None;
    if r.outcome == RouteOutcome::Respond {
        match (action, facts.user.as_ref(), target) {
            (Some(RequestKind::Refund), Some(_), Some(p)) => {
                let charge = p.stripe_charge_id.as_ref().zip(stripe_account);
                let stripe = charge.and_then(|(ch, _)| facts.charges.get(ch)).copied();
                let refund = |charge: &str, account: &str, amount: Option<i64>| RefundParams {
                    account: account.to_owned(),
                    charge: charge.to_owned(),
                    amount,
                    reason: Some("requested_by_customer".into()),
                    purchase_id: Some(p.id.clone()),
                };
                let mut verdict = None;
                match (charge, stripe) {
                    (Some((charge, account)), Some(cf)) if !cf.on_account => {
                        // Never refund a charge on an account the app does not own (C23).
                        let v = Verdict::Escalate {
                            reason:
                                "the purchase's charge is not on the app's connected Stripe account"
                                    .into(),
                        };
                        verdict = Some(v.clone());
                        proposals.push(Proposal {
                            request: ActionRequest::Refund(refund(charge, account, None)),
                            verdict: v,
                            rule: CHARGE_ACCOUNT_MISMATCH.into(),
                        });
                    }
                    (Some((charge, account)), stripe) => {
                        let mut pf = base_facts(ActionKind::Refund, Some(p), true);
                        // Stripe's remaining refundable amount is the ceiling (C20); the
                        // policy denies a refund of nothing before Stripe is ever called.
                        let refundable = stripe.map(|cf| cf.refundable_cents);
                        if let Some(pf) = pf.purchase.as_mut() {
                            pf.refundable_cents = refundable.map(|r| r.min(pf.amount_cents));
                        }
                        let amount = refundable
                            .map_or(p.amount.amount, |r| r.min(p.amount.amount))
                            .max(0);
                        propose(
                            ActionRequest::Refund(refund(charge, account, Some(amount))),
                            pf,
                        );
                        verdict = proposals.last().map(|x| x.verdict.clone());
                    }
                    (None, _) => {}
                }
                draft = refund_draft(verdict.as_ref(), p);
            }
            (Some(RequestKind::MagicLink), Some(user), _) => {
                propose(
                    ActionRequest::MagicLink(MagicLinkParams {
                        email: user.email.clone(),
                        expires_in: Some(3600),
                    }),
                    base_facts(ActionKind::MagicLink, None, true),
                );
                draft = Some("Hi,\n\nI've sent a fresh sign-in link to your email address. It works once and expires in an hour.\n".into());
            }
            (Some(RequestKind::TransferPurchase), Some(user), Some(p)) => {
                // The new owner must be an address the customer wrote; a model may pick
                // among them but not invent one.
                let from_model = opinion
                    .and_then(|o| o.transfer_to.as_deref())
                    .filter(|t| entities.emails.iter().any(|e| e.eq_ignore_ascii_case(t)));
                let to = from_model.or_else(|| {
                    entities
                        .emails
                        .iter()
                        .find(|e| !e.eq_ignore_ascii_case(user.email.as_str()))
                        .map(String::as_str)
                });
                if let Some((to, email)) =
                    to.and_then(|t| support_types::Email::parse(t).ok().map(|e| (t, e)))
                {
                    propose(
                        ActionRequest::TransferPurchase(TransferParams {
                            purchase_id: p.id.clone(),
                            from_user_id: user.id.clone(),
                            to_email: email,
                        }),
                        base_facts(ActionKind::TransferPurchase, Some(p), true),
                    );
                    draft = match proposals.last().map(|x| &x.verdict) {
                        Some(Verdict::Auto) => Some(format!(
                            "Hi,\n\nI've moved your {} purchase to {to}. They can sign in with that address now.\n",
                            p.product_name
                        )),
                        Some(Verdict::Approval { .. }) => Some(format!(
                            "Hi,\n\nI've asked the team to move your {} purchase to {to}; you'll hear from us within a day.\n",
                            p.product_name
                        )),
                        _ => None,
                    };
                }
            }
            _ => {}
        }
    }
    // A model's reply is used only when no action was proposed: replies about actions are
    // templates that say exactly what the policy allowed, never what a model hoped for.
    if proposals.is_empty()
        && r.outcome == RouteOutcome::Respond
        && let Some(d) = opinion.and_then(|o| o.draft.clone())
    {
        draft = Some(d);
    }
    // The rules' own answer to a question: quoted from an app article that covers it.
    if proposals.is_empty()
        && draft.is_none()
        && r.outcome == RouteOutcome::Respond
        && let Some((d, _)) =
            answer::from_knowledge(category, &facts.subject, &facts.body, &facts.knowledge)
    {
        draft = Some(d);
    }
    let mut routing = r.outcome;
    let mut route_rule = r.rule;
    let mut validation = None;
    if let Some(d) = &draft {
        let knowledge: Vec<&str> = facts.knowledge.iter().map(|k| k.text.as_str()).collect();
        let truth = support_core::validate::GroundTruth {
            refund_window_days: Some(policy_cfg.auto_approve_refund_days),
            amounts_cents: facts.purchases.iter().map(|p| p.amount.amount).collect(),
        };
        let v = support_core::validate::validate(d, &knowledge, &truth);
        if !v.valid {
            // A reply that leaks internals, comments on itself or invents facts never goes
            // out, not even as a draft: a human writes this one.
            draft = None;
            routing = RouteOutcome::EscalateHuman;
            route_rule = DRAFT_BLOCKED.into();
        }
        validation = Some(v);
    }
    let comment = (r.outcome == RouteOutcome::Comment).then(|| {
        let customer = match &facts.user {
            Some(u) => format!("{} (user {}, {} purchase(s))", u.email, u.id, facts.purchases.len()),
            None => format!("{} (no account found in the app)", facts.from),
        };
        format!(
            "The customer wrote again after a reply. Read as {} ({:.2}){}; customer {customer}. No draft: this conversation is yours.",
            category.as_str(),
            c.confidence,
            if signals.is_empty() {
                String::new()
            } else {
                format!(
                    ", signals {}",
                    signals.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                )
            }
        )
    });
    let reasoning = match opinion {
        Some(o) => vec![o.reasoning.clone()],
        None => c.reasons.clone(),
    };
    Plan {
        category,
        confidence: c.confidence,
        signals,
        routing,
        route_rule,
        proposals,
        draft,
        comment,
        policy_version: policy_cfg.version.clone(),
        policy_fingerprint: policy_cfg.fingerprint(),
        brain: if opinion.is_some() {
            BrainKind::Llm
        } else {
            BrainKind::Rules
        },
        model: opinion.map(|o| o.model.clone()),
        reasoning,
        validation,
    }
}

/// The decision when the app's stored policy cannot be read: the message is still read (so
/// the record says what it was about), but nothing is proposed or drafted, and a human takes
/// it with the parse error as the reason.
pub fn decide_without_policy(facts: &Facts, error: &PolicyError) -> Plan {
    let mut plan = decide(facts, &PolicyConfig::default(), None, None);
    plan.policy_version = "unreadable".into();
    plan.policy_fingerprint = "-".into();
    plan.validation = None;
    plan.to_human(
        POLICY_INVALID,
        format!(
            "the app's stored policy cannot be read, so nothing is decided automatically: {error}"
        ),
    );
    plan
}
