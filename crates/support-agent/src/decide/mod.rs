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
pub mod learned;
pub mod operator;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};
use support_core::classify::{Category, Classification, INJECTION_CONFIDENCE_CAP, classify};
use support_core::grounding::{self, Owned, PurchaseAction, Resolution};
use support_core::policy::Grounding;
use support_core::policy::{self, ActionKind, PolicyConfig, PolicyError, PurchaseFacts};
use support_core::routing::{RouteOutcome, route_in_thread, route_on_error};
use support_core::signals::{Entities, Signal, detect, extract_entities};
use support_core::validate::Validation;
use support_types::sdk::{SdkPurchase, SdkUser};

pub use facts::{AppFacts, ChargeFacts, Facts, FactsError, Snippet, gather_facts};
pub use support_core::policy::Verdict;

use crate::request::{
    ActionRequest, MagicLinkParams, RefundParams, RequestKind, TransferParams, UpdateEmailParams,
    UpdateNameParams,
};

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
    /// How the action's object was resolved from the message (`None`: a person chose it).
    pub grounding: Option<Resolution>,
}

impl Serialize for Proposal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Proposal", 5)?;
        st.serialize_field("kind", &self.request.kind())?;
        st.serialize_field("params", &self.request.params())?;
        st.serialize_field("verdict", &self.verdict)?;
        st.serialize_field("rule", &self.rule)?;
        if let Some(g) = &self.grounding {
            st.serialize_field("grounding", g)?;
        } else {
            st.skip_field("grounding")?;
        }
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
    /// The internal note for the teammate on the conversation: when the route is `comment`,
    /// or when a `respond` route has nothing to send.
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
    /// How the object of the customer's request was resolved, when they asked for a write.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grounding: Option<Resolution>,
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

/// Whether the rules and the learned classifier (when loaded) are sure enough to decide
/// without a model (`tiered`): the classification `decide` makes is sure, and the learned
/// classifier does not read another category.
pub fn rules_are_sure(facts: &Facts, min_confidence: f64) -> bool {
    let mut signals = detect(&facts.subject, &facts.body, &facts.from);
    let mut notes = Vec::new();
    if let Some(l) = facts.learned.as_ref() {
        let rules_category = classify(&facts.subject, &facts.body, &facts.from, &signals).category;
        learned::add_signals(Some(l), rules_category, &mut signals, &mut notes);
    }
    let mut c = classify(&facts.subject, &facts.body, &facts.from, &signals);
    learned::adjust(&mut c, facts.learned.as_ref(), &mut notes);
    c.category != Category::Unknown
        && c.confidence >= min_confidence
        && !learned::disagrees(facts.learned.as_ref(), c.category)
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

/// The confidence of a message that plainly asks to change the account's email or name
/// (the change itself is still judged by the policy, and email changes need an approval).
const ACCOUNT_CHANGE_CONFIDENCE: f64 = 0.8;

/// A magic link's lifetime: five minutes, as the spec says.
pub const MAGIC_LINK_TTL_SECS: u64 = 300;

/// Collects the plan's proposals, each judged by the policy on the facts of the decision.
struct Proposer<'a> {
    policy: &'a PolicyConfig,
    /// The decision's facts; each proposal sets its action, purchase and grounding.
    base: policy::Facts,
    proposals: Vec<Proposal>,
    /// Why a refund the policy would run on its own waits for a person instead (the learned
    /// classifier reads a question where the rules read a request).
    hold_refunds: Option<&'static str>,
}

impl Proposer<'_> {
    /// Judges and records one proposal; returns its verdict.
    fn propose(
        &mut self,
        request: ActionRequest,
        action: ActionKind,
        purchase: Option<(policy::PurchaseFacts, bool)>,
        res: &Resolution,
    ) -> Verdict {
        let (purchase, known) = match purchase {
            Some((p, known)) => (Some(p), known),
            None => (None, !action.needs_purchase()),
        };
        let pf = policy::Facts {
            action,
            purchase,
            purchase_known: known,
            grounding: res.grounding(),
            ..self.base.clone()
        };
        let e = policy::evaluate_detailed(self.policy, &pf);
        let verdict = with_default_approvers(e.verdict, &self.policy.approvers);
        self.proposals.push(Proposal {
            request,
            verdict: verdict.clone(),
            rule: e.rule.to_string(),
            grounding: Some(res.clone()),
        });
        verdict
    }

    /// The refund of the grounded purchase `p`; returns the reply to draft.
    fn refund(
        &mut self,
        facts: &Facts,
        p: &SdkPurchase,
        stripe_account: Option<&str>,
        res: &Resolution,
    ) -> Option<String> {
        let (charge, account) = p.stripe_charge_id.as_deref().zip(stripe_account)?;
        let stripe = facts.charges.get(charge).copied();
        let refund = |amount: Option<i64>| {
            ActionRequest::Refund(RefundParams {
                account: account.to_owned(),
                charge: charge.to_owned(),
                amount,
                reason: Some("requested_by_customer".into()),
                purchase_id: Some(p.id.clone()),
            })
        };
        if stripe.is_some_and(|cf| !cf.on_account) {
            // Never refund a charge on an account the app does not own (C23).
            let v = Verdict::Escalate {
                reason: "the purchase's charge is not on the app's connected Stripe account".into(),
            };
            self.proposals.push(Proposal {
                request: refund(None),
                verdict: v.clone(),
                rule: CHARGE_ACCOUNT_MISMATCH.into(),
                grounding: Some(res.clone()),
            });
            return refund_draft(Some(&v), p);
        }
        let mut pf = purchase_facts(p);
        // Stripe's remaining refundable amount is the ceiling (C20); the policy denies a
        // refund of nothing before Stripe is ever called.
        let refundable = stripe.map(|cf| cf.refundable_cents);
        pf.refundable_cents = refundable.map(|r| r.min(pf.amount_cents));
        let amount = refundable
            .map_or(p.amount.amount, |r| r.min(p.amount.amount))
            .max(0);
        let mut v = self.propose(
            refund(Some(amount)),
            ActionKind::Refund,
            Some((pf, true)),
            res,
        );
        if let (Some(why), true) = (self.hold_refunds, v.is_auto())
            && let Some(last) = self.proposals.last_mut()
        {
            // With nobody to approve, a person still takes it (as the policy's rule 13).
            v = if self.policy.approvers.is_empty() {
                Verdict::Escalate {
                    reason: why.to_owned(),
                }
            } else {
                Verdict::Approval {
                    approvers: self.policy.approvers.clone(),
                    reason: why.to_owned(),
                }
            };
            last.verdict = v.clone();
            last.rule = learned::QUESTION_RULE.into();
        }
        refund_draft(Some(&v), p)
    }

    /// The transfer of the grounded purchase `p` to an address the customer wrote as its
    /// destination; returns the reply to draft. With no such address (another address is
    /// only the current holder, "X still has the course"), nothing moves: the request is
    /// unresolved and the policy escalates it.
    fn transfer(
        &mut self,
        text: &str,
        user: &SdkUser,
        p: &SdkPurchase,
        entities: &Entities,
        opinion: Option<&ModelOpinion>,
        res: &Resolution,
    ) -> Option<String> {
        let others: Vec<&str> = entities
            .emails
            .iter()
            .map(String::as_str)
            .filter(|e| !e.eq_ignore_ascii_case(user.email.as_str()))
            .collect();
        let destinations: Vec<&str> = others
            .iter()
            .copied()
            .filter(|e| grounding::is_destination_address(text, e))
            .collect();
        // A model may pick among the destinations the customer wrote, not invent one.
        let from_model = opinion
            .and_then(|o| o.transfer_to.as_deref())
            .and_then(|t| {
                destinations
                    .iter()
                    .copied()
                    .find(|e| e.eq_ignore_ascii_case(t))
            });
        let Some(to) = from_model.or_else(|| destinations.first().copied()) else {
            let unresolved = match others.first() {
                Some(other) => Resolution::ThirdParty {
                    named: (*other).to_owned(),
                },
                None => Resolution::NothingFits,
            };
            self.propose(
                ActionRequest::Unresolved {
                    kind: RequestKind::TransferPurchase,
                    purchase_id: p.id.clone(),
                },
                ActionKind::TransferPurchase,
                None,
                &unresolved,
            );
            return None;
        };
        let email = support_types::Email::parse(to).ok()?;
        let v = self.propose(
            ActionRequest::TransferPurchase(TransferParams {
                purchase_id: p.id.clone(),
                from_user_id: user.id.clone(),
                to_email: email,
            }),
            ActionKind::TransferPurchase,
            Some((purchase_facts(p), true)),
            res,
        );
        match v {
            Verdict::Auto => Some(format!(
                "Hi,\n\nI've moved your {} purchase to {to}. They can sign in with that address now.\n",
                p.product_name
            )),
            Verdict::Approval { .. } => Some(format!(
                "Hi,\n\nI've asked the team to move your {} purchase to {to}; you'll hear from us within a day.\n",
                p.product_name
            )),
            _ => None,
        }
    }
}

/// The customer's purchases as grounding reads them.
pub(crate) fn owned(purchases: &[SdkPurchase]) -> Vec<Owned<'_>> {
    purchases
        .iter()
        .map(|p| Owned {
            id: &p.id,
            product: &p.product_name,
            charge: p.stripe_charge_id.as_deref(),
            amount_cents: p.amount.amount,
            currency: &p.amount.currency,
            status: &p.status,
            purchased_at: p.purchased_at,
        })
        .collect()
}

/// The reply when a request could be about several of the customer's purchases: it asks.
fn which_purchase_draft(candidates: &[String], purchases: &[SdkPurchase]) -> String {
    let names: Vec<String> = candidates
        .iter()
        .filter_map(|id| purchases.iter().find(|p| &p.id == id))
        .map(|p| format!("- {}", p.product_name))
        .collect();
    format!(
        "Hi,\n\nThanks for writing. I can see more than one purchase on your account:\n\n{}\n\nWhich one is this about? Reply with its name and I'll take it from there.\n",
        names.join("\n")
    )
}

/// Decides on one burst of messages: pure, no IO. `stripe_account` is the app's connected
/// account (refunds need one); `opinion` is a model's validated answer, when one was asked.
///
/// Every write names its object, resolved from what the customer wrote against what they own
/// ([`support_core::grounding`]); the resolution is recorded with the proposal and the policy
/// judges it (rule 2a). A question about a refund never becomes one.
pub fn decide(
    facts: &Facts,
    policy_cfg: &PolicyConfig,
    stripe_account: Option<&str>,
    opinion: Option<&ModelOpinion>,
) -> Plan {
    let approvers = policy_cfg.approvers.as_slice();
    let mut notes: Vec<String> = Vec::new();
    let mut signals = detect(&facts.subject, &facts.body, &facts.from);
    // The rules' own category, read before the learned signals join (which may change it),
    // only when there is a learned opinion to weigh: no second pass on the rules-only path.
    if let Some(l) = facts.learned.as_ref() {
        let rules_category = classify(&facts.subject, &facts.body, &facts.from, &signals).category;
        learned::add_signals(Some(l), rules_category, &mut signals, &mut notes);
    }
    let text = grounding::own_text(&facts.subject, &facts.body);
    let entities = extract_entities(&text);
    let account_email = facts
        .user
        .as_ref()
        .map_or(facts.from.as_str(), |u| u.email.as_str());
    let customer_name = facts.user.as_ref().map_or("", |u| u.name.as_str());
    let email_change = grounding::requested_email_change(&text, &entities, account_email);
    let name_change = grounding::requested_name_change(&text);
    let transfer_asked = grounding::requested_transfer(&text, &entities, account_email);
    let mut c = classification(facts, &signals, opinion);
    learned::adjust(&mut c, facts.learned.as_ref(), &mut notes);
    // Moving a purchase to an address the customer gives is a transfer, whatever else the
    // message says about how it was bought.
    if transfer_asked
        && email_change.is_none()
        && opinion.is_none()
        && c.injection.is_empty()
        && (matches!(
            c.category,
            Category::Unknown | Category::SupportRefund | Category::SupportAccess
        ) || (c.confidence < ACCOUNT_CHANGE_CONFIDENCE
            && entities.emails.iter().any(|e| {
                !e.eq_ignore_ascii_case(account_email)
                    && grounding::is_destination_address(&text, e)
            })))
    {
        c.category = Category::SupportTransfer;
        c.confidence = c.confidence.max(ACCOUNT_CHANGE_CONFIDENCE);
        c.reasons
            .push("asks to move a purchase to another address".into());
    }
    // A request to change the account's email or name is an account request, whatever else
    // the lexicon saw too little of.
    if (email_change.is_some() || name_change.is_some())
        && opinion.is_none()
        && c.injection.is_empty()
        && matches!(c.category, Category::Unknown | Category::SupportAccess)
    {
        c.category = Category::SupportAccess;
        c.confidence = c.confidence.max(ACCOUNT_CHANGE_CONFIDENCE);
        c.reasons
            .push("asks to change the account's email or name".into());
    }
    let r = route_in_thread(&c, &signals, &[], &facts.thread);
    let owned = owned(&facts.purchases);
    let category = c.category;
    let mut resolved: Option<Resolution> = None;
    let mut out = Proposer {
        policy: policy_cfg,
        base: policy::Facts {
            action: ActionKind::Refund,
            now: facts.now,
            purchase: None,
            purchase_known: false,
            requested_amount_cents: None,
            category: category.as_str().to_owned(),
            confidence: c.confidence,
            signals: signals.clone(),
            approvers: approvers.to_vec(),
            order: None,
            grounding: Grounding::Unresolved,
        },
        proposals: Vec::new(),
        hold_refunds: learned::asks_about_refund(facts.learned.as_ref())
            .then_some("the learned classifier reads a question about a refund, not a request"),
    };
    // A purchase the model names must be one of the customer's; otherwise nothing is done
    // with it (the conversation goes to a human below).
    let model_named = opinion.and_then(|o| o.purchase_id.as_deref());
    let model_unknown = model_named.filter(|id| !facts.purchases.iter().any(|p| p.id == *id));
    // What the customer asked for: a change to their account when they ask for one, else the
    // model's pick, else what the category leads to.
    let action = if email_change.is_some() {
        Some(RequestKind::UpdateEmail)
    } else if name_change.is_some() {
        Some(RequestKind::UpdateName)
    } else {
        opinion
            .and_then(|o| o.action)
            .or_else(|| default_action(category))
    };
    if r.outcome == RouteOutcome::Respond
        && let (Some(kind), Some(id)) = (action, model_unknown)
    {
        out.proposals.push(Proposal {
            request: ActionRequest::Unresolved {
                kind,
                purchase_id: id.to_owned(),
            },
            verdict: Verdict::Escalate {
                reason: "the purchase the model named is not one of the customer's".into(),
            },
            rule: UNKNOWN_NAMED_PURCHASE.into(),
            grounding: Some(Resolution::NamedNotOwned {
                named: id.to_owned(),
            }),
        });
    }
    // The object of a purchase action, from the message; a model may confirm it but not pick
    // another (its pick is not what the customer wrote).
    let resolve = |action: PurchaseAction| {
        let from_message = grounding::resolve_purchase(
            &text,
            &entities,
            action,
            (account_email, customer_name),
            &owned,
        );
        match (model_named, from_message.purchase_id()) {
            (Some(id), Some(m)) if m != id => Resolution::Ambiguous {
                candidates: vec![m.to_owned(), id.to_owned()],
            },
            _ => from_message,
        }
    };
    let mut draft = None;
    // A question about a refund (its timing, its status, the policy) proposes nothing, and
    // the app's knowledge may answer it like any other question.
    let refund_question =
        action == Some(RequestKind::Refund) && grounding::asks_about_refund(&text);
    if r.outcome == RouteOutcome::Respond && model_unknown.is_none() {
        match (action, facts.user.as_ref()) {
            (Some(RequestKind::Refund), Some(_)) if refund_question => {
                notes.push(
                    "asks about a refund (its status, its timing, the policy), not for one".into(),
                );
            }
            (Some(kind @ (RequestKind::Refund | RequestKind::TransferPurchase)), Some(user)) => {
                let (pa, ak) = if kind == RequestKind::Refund {
                    (PurchaseAction::Refund, ActionKind::Refund)
                } else {
                    (PurchaseAction::Transfer, ActionKind::TransferPurchase)
                };
                let res = resolve(pa);
                notes.push(res.describe());
                let target = res
                    .purchase_id()
                    .and_then(|id| facts.purchases.iter().find(|p| p.id == id));
                draft = match (&res, target) {
                    (_, Some(p)) if kind == RequestKind::Refund => {
                        out.refund(facts, p, stripe_account, &res)
                    }
                    (_, Some(p)) => out.transfer(&text, user, p, &entities, opinion, &res),
                    (Resolution::Ambiguous { candidates }, None) => {
                        Some(which_purchase_draft(candidates, &facts.purchases))
                    }
                    (Resolution::NothingFits, None) => None,
                    (_, None) => {
                        let named = match &res {
                            Resolution::NamedNotOwned { named }
                            | Resolution::ThirdParty { named } => named.clone(),
                            _ => String::new(),
                        };
                        out.propose(
                            ActionRequest::Unresolved {
                                kind,
                                purchase_id: named,
                            },
                            ak,
                            None,
                            &res,
                        );
                        None
                    }
                };
                resolved = Some(res);
            }
            (Some(RequestKind::MagicLink), Some(user)) => {
                let res = grounding::resolve_account(&text, &entities, account_email);
                notes.push(res.describe());
                let verdict = out.propose(
                    ActionRequest::MagicLink(MagicLinkParams {
                        email: user.email.clone(),
                        expires_in: Some(MAGIC_LINK_TTL_SECS),
                    }),
                    ActionKind::MagicLink,
                    None,
                    &res,
                );
                if verdict.is_auto() {
                    draft = Some("Hi,\n\nI've sent a fresh sign-in link to your email address. It works once and expires in 5 minutes.\n".into());
                }
                resolved = Some(res);
            }
            (Some(RequestKind::UpdateEmail), Some(user)) => {
                // The new address is meant to differ from the account's; someone else's
                // account (a relation, a pronoun) still makes it unresolved.
                let who = grounding::resolve_account(&text, &Default::default(), account_email);
                let new_email = email_change
                    .as_ref()
                    .and_then(|r| r.as_ref().ok())
                    .and_then(|e| support_types::Email::parse(e).ok());
                let res = match (&who, &new_email) {
                    (Resolution::SenderAccount, None) => Resolution::NamedNotOwned {
                        named: "no single new address in the message".into(),
                    },
                    _ => who,
                };
                notes.push(res.describe());
                let request = match &new_email {
                    Some(e) => ActionRequest::UpdateEmail(UpdateEmailParams {
                        user_id: user.id.clone(),
                        new_email: e.clone(),
                    }),
                    None => ActionRequest::Unresolved {
                        kind: RequestKind::UpdateEmail,
                        purchase_id: String::new(),
                    },
                };
                let verdict = out.propose(request, ActionKind::UpdateEmail, None, &res);
                draft = match (verdict, new_email) {
                    (Verdict::Auto, Some(e)) => Some(format!(
                        "Hi,\n\nDone: your account's email address is now {e}. Sign in with that address from now on.\n"
                    )),
                    (Verdict::Approval { .. }, Some(e)) => Some(format!(
                        "Hi,\n\nThanks. For your account's safety a teammate confirms every change of email address; I've asked them to change yours to {e}, and you'll hear from us within a day.\n"
                    )),
                    _ => None,
                };
                resolved = Some(res);
            }
            (Some(RequestKind::UpdateName), Some(user)) => {
                let res = grounding::resolve_account(&text, &Default::default(), account_email);
                notes.push(res.describe());
                if let Some(name) = name_change.clone() {
                    let verdict = out.propose(
                        ActionRequest::UpdateName(UpdateNameParams {
                            user_id: user.id.clone(),
                            name: name.clone(),
                        }),
                        ActionKind::UpdateName,
                        None,
                        &res,
                    );
                    draft = match verdict {
                        Verdict::Auto => Some(format!(
                            "Hi,\n\nDone: the name on your account is now {name}.\n"
                        )),
                        Verdict::Approval { .. } => Some(format!(
                            "Hi,\n\nThanks. I've asked the team to change the name on your account to {name}; you'll hear from us within a day.\n"
                        )),
                        _ => None,
                    };
                }
                resolved = Some(res);
            }
            _ => {}
        }
    }
    let proposals = out.proposals;
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
        && let Some((d, _)) = answer::from_knowledge(
            category,
            refund_question,
            &facts.subject,
            &facts.body,
            &facts.knowledge,
        )
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
    // A `respond` route with nothing to send (no action, no draft: a question the app's
    // knowledge does not answer) still tells the teammate why, so it is not left unseen.
    let comment = comment.or_else(|| {
        (routing == RouteOutcome::Respond && draft.is_none() && proposals.is_empty()).then(|| {
            let why = if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join("; "))
            };
            format!(
                "No reply drafted: read as {} ({:.2}){why}, and nothing in the app's knowledge answers it. This one is yours to answer.",
                category.as_str(),
                c.confidence
            )
        })
    });
    let mut reasoning = match opinion {
        Some(o) => vec![o.reasoning.clone()],
        None => c.reasons.clone(),
    };
    reasoning.extend(notes);
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
        grounding: resolved,
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
