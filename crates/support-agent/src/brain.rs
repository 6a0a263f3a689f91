//! The rules brain: deterministic signals, classification and routing (from `support-core`),
//! then proposals for the route, each disposed by the app's policy. No network, no LLM.
//!
//! The brain only proposes. Every proposed action carries the policy's verdict, computed from
//! structured facts (purchase dates and amounts from the app, the category, signals), never
//! from the customer's words: a message that claims authority changes nothing here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use support_core::classify::{Category, classify};
use support_core::policy::{self, ActionKind, Facts, PolicyConfig, PurchaseFacts};
use support_core::routing::{RouteOutcome, route_in_thread};
use support_core::signals::{Signal, detect, extract_entities};
use support_types::sdk::{SdkPurchase, SdkUser};

use crate::actions::Verdict;

/// What the brain sees.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BrainInput {
    pub subject: String,
    /// The burst's messages, oldest first, joined.
    pub body: String,
    pub from: String,
    /// The customer as the app knows them, and their purchases (newest first).
    pub user: Option<SdkUser>,
    pub purchases: Vec<SdkPurchase>,
    /// What Stripe says about the purchases' charges, by charge id (absent: not looked up).
    #[serde(default)]
    pub charges: BTreeMap<String, ChargeFacts>,
    /// Knowledge retrieved for the message; drafts may only claim what these say.
    #[serde(default)]
    pub knowledge: Vec<Snippet>,
    /// Where the conversation stands (replies sent, the customer confirming a fix).
    #[serde(default)]
    pub thread: support_core::routing::Thread,
    /// Unix seconds.
    pub now: i64,
}

/// A purchase's charge as the app's connected Stripe account reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeFacts {
    /// False when the connected account has no such charge (it belongs to another account).
    pub on_account: bool,
    /// What Stripe still allows refunding (amount − amount_refunded).
    pub refundable_cents: i64,
}

/// The rule id of a refund whose charge is not on the app's connected account.
pub const CHARGE_ACCOUNT_MISMATCH: &str = "charge_account_mismatch";

/// The rule id of a proposal naming a purchase the customer does not have.
pub const UNKNOWN_NAMED_PURCHASE: &str = "unknown_named_purchase";

/// The route rule when the draft validator blocked the reply.
pub const DRAFT_BLOCKED: &str = "draft_blocked";

/// A knowledge snippet retrieved for the message (the app's `searchContent`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snippet {
    pub id: String,
    pub title: String,
    pub text: String,
    pub score: f64,
}

/// One proposed action with the policy's verdict on it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Proposed {
    pub kind: String,
    pub params: Value,
    pub verdict: Verdict,
    pub rule: String,
}

/// The brain's output: the decision record's content and what to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub category: String,
    pub confidence: f64,
    pub signals: Vec<String>,
    pub routing: String,
    pub route_rule: String,
    pub proposals: Vec<Proposed>,
    /// The reply to draft, when the route is `respond`.
    pub draft: Option<String>,
    /// The internal note for the teammate on the conversation, when the route is `comment`.
    #[serde(default)]
    pub comment: Option<String>,
    pub policy_version: String,
    pub policy_fingerprint: String,
    /// `rules` or `llm`.
    #[serde(default)]
    pub brain: String,
    /// `provider/model` when a model contributed.
    #[serde(default)]
    pub model: Option<String>,
    /// The model's reasoning, or the rules' evidence.
    #[serde(default)]
    pub reasoning: Vec<String>,
    /// The draft validator's verdict on the draft (before it was dropped, if it was).
    #[serde(default)]
    /// (`support_core::validate::Validation` as JSON.)
    pub validation: Option<Value>,
}

fn to_verdict(v: policy::Verdict, default_approvers: &[String]) -> Verdict {
    match v {
        policy::Verdict::Auto => Verdict::Auto,
        policy::Verdict::Approval { approvers, reason } => Verdict::Approval {
            approvers: if approvers.is_empty() {
                default_approvers.to_vec()
            } else {
                approvers
            },
            reason,
        },
        policy::Verdict::Escalate { reason } => Verdict::Escalate { reason },
        policy::Verdict::Deny { reason } => Verdict::Deny { reason },
    }
}

fn purchase_facts(p: &SdkPurchase) -> PurchaseFacts {
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

fn signal_names(signals: &[Signal]) -> Vec<String> {
    signals
        .iter()
        .filter_map(|s| serde_json::to_value(s).ok())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn policy_signals(signals: &[Signal]) -> Vec<policy::Signal> {
    signal_names(signals)
        .into_iter()
        .filter_map(|n| serde_json::from_value(Value::String(n)).ok())
        .collect()
}

/// Decides on one burst of messages with the rules alone.
pub fn decide(
    input: &BrainInput,
    policy_cfg: &PolicyConfig,
    approvers: &[String],
    stripe_account: Option<&str>,
) -> Plan {
    decide_with(input, policy_cfg, approvers, stripe_account, None)
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
    pub action: Option<String>,
    pub purchase_id: Option<String>,
    pub transfer_to: Option<String>,
    pub draft: Option<String>,
    /// `provider/model`, for the decision record.
    pub model: String,
}

/// The action a category leads to when nobody named one.
fn default_action(category: Category) -> Option<&'static str> {
    match category {
        Category::SupportRefund => Some("refund"),
        Category::SupportAccess => Some("magic_link"),
        Category::SupportTransfer => Some("transfer_purchase"),
        _ => None,
    }
}

/// [`decide`], optionally with a model's opinion in place of the rules' classification.
pub fn decide_with(
    input: &BrainInput,
    policy_cfg: &PolicyConfig,
    approvers: &[String],
    stripe_account: Option<&str>,
    opinion: Option<&ModelOpinion>,
) -> Plan {
    let signals = detect(&input.subject, &input.body, &input.from);
    let rules = classify(&input.subject, &input.body, &input.from, &signals);
    let c = match opinion {
        None => rules.clone(),
        Some(o) => {
            // A message the rules flag as a likely injection keeps its confidence cap, however
            // sure the model is.
            let injected = !rules.injection.is_empty();
            let confidence = if o.confidence.is_finite() {
                o.confidence.clamp(0.0, 1.0)
            } else {
                0.0
            };
            support_core::classify::Classification {
                category: o.category,
                confidence: if injected {
                    confidence.min(support_core::classify::INJECTION_CONFIDENCE_CAP)
                } else {
                    confidence
                },
                reasons: vec![format!("model {}", o.model)],
                // The model cannot clear what the rules saw.
                injection: rules.injection.clone(),
            }
        }
    };
    let r = route_in_thread(&c, &signals, &[], &input.thread);
    let entities = extract_entities(&input.body);
    let category = c.category;
    let mut proposals = Vec::new();
    let base_facts = |action: ActionKind, purchase: Option<&SdkPurchase>, known: bool| Facts {
        action,
        now: input.now,
        purchase: purchase.map(purchase_facts),
        purchase_known: known,
        requested_amount_cents: None,
        category: category.as_str().to_owned(),
        confidence: c.confidence,
        signals: policy_signals(&signals),
        approvers: approvers.to_vec(),
        order: None,
    };
    // The purchase a message is about: one it names, else the newest active one.
    let named = input.purchases.iter().find(|p| {
        entities.purchase_ids.contains(&p.id)
            || p.stripe_charge_id
                .as_ref()
                .is_some_and(|ch| entities.charge_ids.contains(ch))
    });
    let rules_target = named.or_else(|| input.purchases.iter().find(|p| p.status == "active"));
    // A purchase the model names must be one of the customer's; otherwise nothing is done
    // with it (the conversation goes to a human below).
    let model_named = opinion.and_then(|o| o.purchase_id.as_deref());
    let target = match model_named {
        Some(id) => input.purchases.iter().find(|p| p.id == id),
        None => rules_target,
    };
    let action = opinion
        .and_then(|o| o.action.as_deref())
        .or_else(|| default_action(category));
    if r.outcome == RouteOutcome::Respond
        && let (Some(a), Some(id), None) = (action, model_named, target)
    {
        proposals.push(Proposed {
            kind: a.to_owned(),
            params: json!({"purchase_id": id}),
            verdict: Verdict::Escalate {
                reason: "the purchase the model named is not one of the customer's".into(),
            },
            rule: UNKNOWN_NAMED_PURCHASE.into(),
        });
    }
    let mut propose = |kind: &str, params: Value, facts: Facts| {
        let e = policy::evaluate_detailed(policy_cfg, &facts);
        proposals.push(Proposed {
            kind: kind.into(),
            params,
            verdict: to_verdict(e.verdict, approvers),
            rule: e.rule.to_string(),
        });
    };
    let mut draft = None;
    match r.outcome {
        RouteOutcome::Respond => {
            match (action, input.user.as_ref(), target) {
                (Some("refund"), Some(_), Some(p)) => {
                    let charge = p.stripe_charge_id.as_ref().zip(stripe_account);
                    let stripe = charge.and_then(|(ch, _)| input.charges.get(ch)).copied();
                    let mut verdict = None;
                    match (charge, stripe) {
                        (Some((charge, account)), Some(cf)) if !cf.on_account => {
                            // Never refund a charge on an account the app does not own (C23).
                            let v = Verdict::Escalate {
                            reason: "the purchase's charge is not on the app's connected Stripe account".into(),
                        };
                            verdict = Some(v.clone());
                            proposals.push(Proposed {
                            kind: "refund".into(),
                            params: json!({"account": account, "charge": charge, "reason": "requested_by_customer", "purchase_id": p.id}),
                            verdict: v,
                            rule: CHARGE_ACCOUNT_MISMATCH.into(),
                        });
                        }
                        (Some((charge, account)), stripe) => {
                            let mut facts = base_facts(ActionKind::Refund, Some(p), true);
                            // Stripe's remaining refundable amount is the ceiling (C20); the
                            // policy denies a refund of nothing before Stripe is ever called.
                            let refundable = stripe.map(|cf| cf.refundable_cents);
                            if let Some(pf) = facts.purchase.as_mut() {
                                pf.refundable_cents = refundable.map(|r| r.min(pf.amount_cents));
                            }
                            let amount = refundable
                                .map_or(p.amount.amount, |r| r.min(p.amount.amount))
                                .max(0);
                            propose(
                                "refund",
                                json!({"account": account, "charge": charge, "amount": amount, "reason": "requested_by_customer", "purchase_id": p.id}),
                                facts,
                            );
                            verdict = proposals.last().map(|x| x.verdict.clone());
                        }
                        (None, _) => {}
                    }
                    draft = match verdict {
                        Some(Verdict::Auto) => Some(format!(
                            "Hi,\n\nThanks for writing. I've refunded your {} purchase ({}). The money goes back to the card you paid with; your bank decides how soon it shows on your statement.\n",
                            p.product_name, p.amount
                        )),
                        Some(Verdict::Deny { .. }) => Some(format!(
                            "Hi,\n\nThanks for writing. Your {} purchase has already been refunded, so there is nothing left to refund. If you see something different on your statement, reply with the date and amount and we'll look into it.\n",
                            p.product_name
                        )),
                        // Escalations get a human, not a template.
                        Some(Verdict::Escalate { .. }) => None,
                        _ => Some(format!(
                            "Hi,\n\nThanks for writing. I've asked the team to review a refund of your {} purchase ({}); you'll hear from us within a day.\n",
                            p.product_name, p.amount
                        )),
                    };
                }
                (Some("magic_link"), Some(user), _) => {
                    propose(
                        "magic_link",
                        json!({"email": user.email, "expires_in": 3600}),
                        base_facts(ActionKind::MagicLink, None, true),
                    );
                    draft = Some("Hi,\n\nI've sent a fresh sign-in link to your email address. It works once and expires in an hour.\n".into());
                }
                (Some("transfer_purchase"), Some(user), Some(p)) => {
                    // The new owner must be an address the customer wrote; a model may pick
                    // among them but not invent one.
                    let from_model = opinion
                        .and_then(|o| o.transfer_to.as_deref())
                        .filter(|t| entities.emails.iter().any(|e| e.eq_ignore_ascii_case(t)));
                    if let Some(to) = from_model.or_else(|| {
                        entities
                            .emails
                            .iter()
                            .find(|e| !e.eq_ignore_ascii_case(user.email.as_str()))
                            .map(String::as_str)
                    }) {
                        propose(
                            "transfer_purchase",
                            json!({"purchaseId": p.id, "fromUserId": user.id, "toEmail": to}),
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
        RouteOutcome::Silence => {}
        _ => {}
    }
    // A model's reply is used only when no action was proposed: replies about actions are
    // templates that say exactly what the policy allowed, never what a model hoped for.
    if proposals.is_empty()
        && r.outcome == RouteOutcome::Respond
        && let Some(d) = opinion.and_then(|o| o.draft.clone())
    {
        draft = Some(d);
    }
    let mut routing = serde_json::to_value(r.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let mut route_rule = r.rule;
    let mut validation = None;
    if let Some(d) = &draft {
        let knowledge: Vec<&str> = input.knowledge.iter().map(|k| k.text.as_str()).collect();
        let truth = support_core::validate::GroundTruth {
            refund_window_days: Some(policy_cfg.auto_approve_refund_days),
            amounts_cents: input.purchases.iter().map(|p| p.amount.amount).collect(),
        };
        let v = support_core::validate::validate(d, &knowledge, &truth);
        if !v.valid {
            // A reply that leaks internals, comments on itself or invents facts never goes
            // out, not even as a draft: a human writes this one.
            draft = None;
            routing = "escalate_human".into();
            route_rule = DRAFT_BLOCKED.into();
        }
        validation = serde_json::to_value(&v).ok();
    }
    let comment = (r.outcome == RouteOutcome::Comment).then(|| {
        let customer = match &input.user {
            Some(u) => format!("{} (user {}, {} purchase(s))", u.email, u.id, input.purchases.len()),
            None => format!("{} (no account found in the app)", input.from),
        };
        format!(
            "The customer wrote again after a reply. Read as {} ({:.2}){}; customer {customer}. No draft: this conversation is yours.",
            category.as_str(),
            c.confidence,
            if signals.is_empty() {
                String::new()
            } else {
                format!(", signals {}", signal_names(&signals).join(", "))
            }
        )
    });
    let reasoning = match opinion {
        Some(o) => vec![o.reasoning.clone()],
        None => c.reasons.clone(),
    };
    Plan {
        category: category.as_str().to_owned(),
        confidence: c.confidence,
        signals: signal_names(&signals),
        routing,
        route_rule,
        proposals,
        draft,
        comment,
        policy_version: policy_cfg.version.clone(),
        policy_fingerprint: policy_cfg.fingerprint(),
        brain: if opinion.is_some() { "llm" } else { "rules" }.into(),
        model: opinion.map(|o| o.model.clone()),
        reasoning,
        validation,
    }
}
