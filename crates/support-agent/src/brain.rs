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
use support_core::routing::{RouteOutcome, route};
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
    pub policy_version: String,
    pub policy_fingerprint: String,
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

/// Decides on one burst of messages.
pub fn decide(
    input: &BrainInput,
    policy_cfg: &PolicyConfig,
    approvers: &[String],
    stripe_account: Option<&str>,
) -> Plan {
    let signals = detect(&input.subject, &input.body, &input.from);
    let c = classify(&input.subject, &input.body, &input.from, &signals);
    let r = route(&c, &signals, &[]);
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
    let target = named.or_else(|| input.purchases.iter().find(|p| p.status == "active"));
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
            match (category, input.user.as_ref(), target) {
                (Category::SupportRefund, Some(_), Some(p)) => {
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
                            "Hi,\n\nThanks for writing. I've refunded your {} purchase ({}). It shows on your statement in 5-10 business days.\n",
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
                (Category::SupportAccess, Some(user), _) => {
                    propose(
                        "magic_link",
                        json!({"email": user.email, "expires_in": 3600}),
                        base_facts(ActionKind::MagicLink, None, true),
                    );
                    draft = Some("Hi,\n\nI've sent a fresh sign-in link to your email address. It works once and expires in an hour.\n".into());
                }
                (Category::SupportTransfer, Some(user), Some(p)) => {
                    if let Some(to) = entities
                        .emails
                        .iter()
                        .find(|e| !e.eq_ignore_ascii_case(user.email.as_str()))
                    {
                        propose(
                            "transfer_purchase",
                            json!({"purchaseId": p.id, "fromUserId": user.id, "toEmail": to}),
                            base_facts(ActionKind::TransferPurchase, Some(p), true),
                        );
                        draft = Some(format!(
                            "Hi,\n\nI've started moving your {} purchase to {to}.\n",
                            p.product_name
                        ));
                    }
                }
                _ => {}
            }
        }
        RouteOutcome::Silence => {}
        _ => {}
    }
    Plan {
        category: category.as_str().to_owned(),
        confidence: c.confidence,
        signals: signal_names(&signals),
        routing: serde_json::to_value(r.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        route_rule: r.rule,
        proposals,
        draft,
        policy_version: policy_cfg.version.clone(),
        policy_fingerprint: policy_cfg.fingerprint(),
    }
}
