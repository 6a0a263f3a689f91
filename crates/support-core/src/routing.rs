//! Routing: what happens to a classified message, decided before any drafting.
//!
//! An ordered rule list, **first match wins**. Per-app rules ([`RouteRule`]) come first, sorted
//! by `priority` (higher first; equal priorities keep the order given), then the built-in
//! rules below. [`Route::rule`] names the rule that matched, for the decision record.
//!
//! | # | rule name                     | when                                                    | outcome               |
//! |---|-------------------------------|---------------------------------------------------------|-----------------------|
//! | 1 | `system_silence`              | category `system`, confidence ≥ 0.5                     | `silence`             |
//! | 2 | `spam_silence`                | category `spam`, confidence ≥ 0.5                       | `silence`             |
//! | 3 | `legal_threat_urgent`         | signal `legal_threat`                                   | `escalate_urgent`     |
//! | 3b| `prompt_injection_human`      | the classifier saw injection markers                    | `escalate_human`      |
//! | 3c| `awaiting_customer_silence`   | thread: the newest message is our reply                 | `silence`             |
//! | 3d| `resolved_silence`            | thread: replied before, customer says it is solved, calm | `silence`            |
//! | 3e| `teammate_comment`            | thread: a teammate replied before, customer spoke last  | `comment`             |
//! | 4 | `fan_mail_instructor`         | category `fan_mail`                                     | `escalate_instructor` |
//! | 5 | `personal_to_instructor`      | signal `personal_to_instructor`                         | `escalate_instructor` |
//! | 6 | `low_confidence_human`        | category `unknown`, or confidence < 0.5 (or NaN)        | `escalate_human`      |
//! | 7 | `refund_outside_window_human` | category `support_refund` + signal `outside_policy_window` | `escalate_human`   |
//! | 8 | `angry_human`                 | signal `angry`                                          | `escalate_human`      |
//! | 9 | `team_human`                  | category `presales_team`, or signal `team_enterprise`   | `escalate_human`      |
//! |10 | `support_respond`             | any `support_*` category                                | `respond`             |
//! |11 | `presales_faq_respond`        | category `presales_faq`                                 | `respond`             |
//! |12 | `default_human`               | anything else (`presales_consult`, …)                   | `escalate_human`      |
//!
//! The confidence threshold is strict: 0.49 escalates, exactly 0.50 passes.
//!
//! Safety invariants, which per-app rules cannot break:
//! - **Silence needs a confident classification.** A `silence` outcome (built-in or per-app)
//!   only applies when confidence ≥ 0.5, the category is not `unknown`, and there is no legal
//!   threat; otherwise the rule is skipped and later rules decide.
//! - **A message that talks to a model gets a human.** With injection markers, per-app rules
//!   that would respond or silence are skipped, and rule 3b escalates: nothing is done
//!   automatically on the account of a message that tries to instruct the agent.
//! - **A classifier error escalates.** When classification fails, callers use
//!   [`route_on_error`], which is `escalate_human`: never silence, never an automatic reply.

use serde::{Deserialize, Serialize};

use crate::classify::{Category, Classification};
use crate::signals::Signal;

/// The routing threshold: confidence below this goes to a human.
pub const MIN_CONFIDENCE: f64 = 0.5;

/// What to do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteOutcome {
    /// Draft a reply (the policy still decides what actions it may take).
    Respond,
    /// No reply; archive.
    Silence,
    /// A human on the support team looks at it.
    EscalateHuman,
    /// A human looks at it now (legal threats).
    EscalateUrgent,
    /// The creator / instructor looks at it.
    EscalateInstructor,
    /// A teammate is already on this conversation: leave them an internal note with the
    /// context, no draft.
    Comment,
}

impl RouteOutcome {
    /// The serde name, e.g. `escalate_human`.
    pub fn as_str(self) -> &'static str {
        match self {
            RouteOutcome::Respond => "respond",
            RouteOutcome::Silence => "silence",
            RouteOutcome::EscalateHuman => "escalate_human",
            RouteOutcome::EscalateUrgent => "escalate_urgent",
            RouteOutcome::EscalateInstructor => "escalate_instructor",
            RouteOutcome::Comment => "comment",
        }
    }
}

impl std::fmt::Display for RouteOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The routing decision and the rule that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub outcome: RouteOutcome,
    /// A built-in rule name (see the module table), `app_rule[i]` for the i-th per-app rule as
    /// given, or `classifier_error`.
    pub rule: String,
}

/// What a per-app rule matches on. Every field that is set must match; an empty condition
/// matches everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleCondition {
    pub category: Option<Category>,
    /// The signal must be present.
    pub signal: Option<Signal>,
    /// Confidence must be at least this.
    pub min_confidence: Option<f64>,
}

impl RuleCondition {
    fn matches(&self, c: &Classification, signals: &[Signal]) -> bool {
        self.category.is_none_or(|cat| cat == c.category)
            && self.signal.is_none_or(|s| signals.contains(&s))
            && self.min_confidence.is_none_or(|min| c.confidence >= min)
    }
}

/// A per-app routing rule, tried before the built-in rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    /// Higher runs first.
    pub priority: i32,
    pub when: RuleCondition,
    pub then: RouteOutcome,
}

/// Where the conversation stands, from its stored messages (never from the customer's claims
/// about it). The default, an empty thread, changes nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    /// The newest message of the conversation is an outbound reply: the customer was
    /// answered after writing, so nothing is waiting on us.
    pub last_outbound: bool,
    /// A reply was sent on this conversation before the customer's latest message. The
    /// platform only drafts, so a sent reply means a teammate is engaged.
    pub replied_before: bool,
    /// The customer's latest message only says it is solved ("that worked, all set").
    pub resolved: bool,
}

/// The route for a message whose classification failed: a human, never silence.
pub fn route_on_error() -> Route {
    Route {
        outcome: RouteOutcome::EscalateHuman,
        rule: "classifier_error".to_owned(),
    }
}

/// Whether the classification is confident enough to act on without a human.
fn confident(c: &Classification) -> bool {
    // `!(x < 0.5)` would let NaN through; this does not.
    c.confidence >= MIN_CONFIDENCE
}

/// Silence is only ever allowed for a confident, known category without a legal threat.
fn may_silence(c: &Classification, signals: &[Signal]) -> bool {
    confident(c) && c.category != Category::Unknown && !signals.contains(&Signal::LegalThreat)
}

/// Routes a classified message; see the module documentation for the rule list.
pub fn route(c: &Classification, signals: &[Signal], app_rules: &[RouteRule]) -> Route {
    route_in_thread(c, signals, app_rules, &Thread::default())
}

/// [`route`], aware of the thread: after the legal and injection rules, a conversation whose
/// last message is ours is silenced (`awaiting_customer_silence`), a customer confirming the
/// fix after a reply is silenced (`resolved_silence`), and a conversation a teammate already
/// answered gets an internal comment instead of a draft (`teammate_comment`).
pub fn route_in_thread(
    c: &Classification,
    signals: &[Signal],
    app_rules: &[RouteRule],
    thread: &Thread,
) -> Route {
    let has = |s: Signal| signals.contains(&s);
    let hit = |outcome: RouteOutcome, rule: &str| Route {
        outcome,
        rule: rule.to_owned(),
    };

    let mut ordered: Vec<(usize, &RouteRule)> = app_rules.iter().enumerate().collect();
    // Stable: equal priorities keep the order the app gave.
    ordered.sort_by_key(|(_, r)| std::cmp::Reverse(r.priority));
    for (i, rule) in ordered {
        if !rule.when.matches(c, signals) {
            continue;
        }
        if rule.then == RouteOutcome::Silence && !may_silence(c, signals) {
            continue;
        }
        if !c.injection.is_empty()
            && matches!(rule.then, RouteOutcome::Silence | RouteOutcome::Respond)
        {
            continue;
        }
        return hit(rule.then, &format!("app_rule[{i}]"));
    }

    let silence_ok = may_silence(c, signals);
    if c.category == Category::System && silence_ok {
        return hit(RouteOutcome::Silence, "system_silence");
    }
    if c.category == Category::Spam && silence_ok {
        return hit(RouteOutcome::Silence, "spam_silence");
    }
    if has(Signal::LegalThreat) {
        return hit(RouteOutcome::EscalateUrgent, "legal_threat_urgent");
    }
    if !c.injection.is_empty() {
        return hit(RouteOutcome::EscalateHuman, "prompt_injection_human");
    }
    if thread.last_outbound {
        return hit(RouteOutcome::Silence, "awaiting_customer_silence");
    }
    if thread.replied_before && thread.resolved && !has(Signal::Angry) {
        return hit(RouteOutcome::Silence, "resolved_silence");
    }
    if thread.replied_before {
        return hit(RouteOutcome::Comment, "teammate_comment");
    }
    if c.category == Category::FanMail {
        return hit(RouteOutcome::EscalateInstructor, "fan_mail_instructor");
    }
    if has(Signal::PersonalToInstructor) {
        return hit(RouteOutcome::EscalateInstructor, "personal_to_instructor");
    }
    if c.category == Category::Unknown || !confident(c) {
        return hit(RouteOutcome::EscalateHuman, "low_confidence_human");
    }
    if c.category == Category::SupportRefund && has(Signal::OutsidePolicyWindow) {
        return hit(RouteOutcome::EscalateHuman, "refund_outside_window_human");
    }
    if has(Signal::Angry) {
        return hit(RouteOutcome::EscalateHuman, "angry_human");
    }
    if c.category == Category::PresalesTeam || has(Signal::TeamEnterprise) {
        return hit(RouteOutcome::EscalateHuman, "team_human");
    }
    if c.category.is_support() {
        return hit(RouteOutcome::Respond, "support_respond");
    }
    if c.category == Category::PresalesFaq {
        return hit(RouteOutcome::Respond, "presales_faq_respond");
    }
    hit(RouteOutcome::EscalateHuman, "default_human")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(category: Category, confidence: f64) -> Classification {
        Classification {
            category,
            confidence,
            reasons: vec![],
            injection: vec![],
        }
    }

    #[test]
    fn nan_confidence_escalates() {
        let r = route(&c(Category::Spam, f64::NAN), &[], &[]);
        assert_eq!(r.outcome, RouteOutcome::EscalateHuman);
        let r = route(&c(Category::SupportRefund, f64::NAN), &[], &[]);
        assert_eq!(r.outcome, RouteOutcome::EscalateHuman);
    }

    #[test]
    fn rule_condition_deserialises_from_json() {
        let r: RouteRule = serde_json::from_value(serde_json::json!({
            "priority": 10,
            "when": {"category": "support_billing", "min_confidence": 0.7},
            "then": "escalate_human"
        }))
        .unwrap();
        assert_eq!(r.when.category, Some(Category::SupportBilling));
        assert_eq!(r.when.signal, None);
    }
}
