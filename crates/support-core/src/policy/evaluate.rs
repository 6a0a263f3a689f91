//! The decision: `evaluate`, `evaluate_detailed`, the verdict and the rule chain.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::*;

/// The policy's decision on one proposed action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Run it now.
    Auto,
    /// Run it once one of `approvers` approves.
    Approval {
        approvers: Vec<String>,
        reason: String,
    },
    /// Do not run it; hand the conversation to a human.
    Escalate { reason: String },
    /// Never run it.
    Deny { reason: String },
}

impl Verdict {
    /// `auto`, `approval`, `escalate` or `deny`, as in the JSON tag.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Auto => "auto",
            Verdict::Approval { .. } => "approval",
            Verdict::Escalate { .. } => "escalate",
            Verdict::Deny { .. } => "deny",
        }
    }

    pub fn is_auto(&self) -> bool {
        matches!(self, Verdict::Auto)
    }

    /// The reason, for every verdict but `Auto`.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Verdict::Auto => None,
            Verdict::Approval { reason, .. }
            | Verdict::Escalate { reason }
            | Verdict::Deny { reason } => Some(reason),
        }
    }
}

/// A verdict with what is recorded alongside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub verdict: Verdict,
    /// The rule that decided, one of [`rules`].
    pub rule: &'static str,
    pub policy_version: String,
    pub policy_fingerprint: String,
}

/// Decide a proposed action. See the [module docs](self) for the rules and their order.
pub fn evaluate(policy: &PolicyConfig, facts: &Facts) -> Verdict {
    decide(policy, facts).0
}

/// [`evaluate`], with the deciding rule and the policy's version and fingerprint.
pub fn evaluate_detailed(policy: &PolicyConfig, facts: &Facts) -> Evaluation {
    let (verdict, rule) = decide(policy, facts);
    Evaluation {
        verdict,
        rule,
        policy_version: policy.version.clone(),
        policy_fingerprint: policy.fingerprint(),
    }
}

/// A verdict before approvers are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Outcome {
    Auto,
    Approval,
    Escalate,
    Deny,
}

impl From<Mode> for Outcome {
    fn from(m: Mode) -> Self {
        match m {
            Mode::Auto => Outcome::Auto,
            Mode::Approval => Outcome::Approval,
            Mode::Escalate => Outcome::Escalate,
            Mode::Deny => Outcome::Deny,
        }
    }
}

/// An outcome, the rule that produced it and why.
pub(super) type Ruling = (Outcome, &'static str, String);

fn decide(policy: &PolicyConfig, facts: &Facts) -> (Verdict, &'static str) {
    let (outcome, rule, reason) = rule_chain(policy, facts);
    let verdict = match outcome {
        Outcome::Auto => Verdict::Auto,
        Outcome::Escalate => Verdict::Escalate { reason },
        Outcome::Deny => Verdict::Deny { reason },
        Outcome::Approval => {
            let approvers = approvers_for(policy, facts);
            if approvers.is_empty() {
                return (
                    Verdict::Escalate {
                        reason: format!("{reason}; no approvers are configured"),
                    },
                    rules::NO_APPROVERS,
                );
            }
            Verdict::Approval { approvers, reason }
        }
    };
    (verdict, rule)
}

fn approvers_for(policy: &PolicyConfig, facts: &Facts) -> Vec<String> {
    if !facts.approvers.is_empty() {
        return facts.approvers.clone();
    }
    policy
        .approvers_by_kind
        .get(&facts.action)
        .unwrap_or(&policy.approvers)
        .clone()
}

fn rule_chain(policy: &PolicyConfig, facts: &Facts) -> Ruling {
    // 1. Escalating signals, by precedence.
    let escalating = Signal::PRECEDENCE.into_iter().find(|s| {
        facts.signals.contains(s)
            && (*s == Signal::RepeatedFailures || policy.escalate_signals.contains(s))
    });
    if let Some(signal) = escalating {
        return (
            Outcome::Escalate,
            rules::ESCALATE_SIGNAL,
            format!("signal {signal} always escalates"),
        );
    }

    // 2. Confidence, strictly below the floor. A NaN on either side compares as `None` and
    // escalates too.
    let passes = matches!(
        facts.confidence.partial_cmp(&policy.min_confidence),
        Some(Ordering::Greater | Ordering::Equal)
    );
    if !passes {
        return (
            Outcome::Escalate,
            rules::LOW_CONFIDENCE,
            format!(
                "classifier confidence {} is below the policy minimum {}",
                facts.confidence, policy.min_confidence
            ),
        );
    }

    // 2a. The object must be the one the customer named and owns.
    if facts.grounding == Grounding::Unresolved {
        return if policy.require_grounding.contains(&facts.action) {
            (
                Outcome::Escalate,
                rules::OBJECT_NOT_GROUNDED,
                format!(
                    "the {} names no object the customer owns, and the policy requires one",
                    facts.action.as_str()
                ),
            )
        } else {
            (
                Outcome::Approval,
                rules::OBJECT_NOT_GROUNDED,
                format!(
                    "the {}'s object is not the customer's own, so a person confirms it",
                    facts.action.as_str()
                ),
            )
        };
    }

    // 3. The purchase must be one of the customer's.
    let purchase = match &facts.purchase {
        Some(p) if facts.purchase_known => Some(p),
        Some(_) => return unknown_purchase(),
        None if facts.action.needs_purchase() => return unknown_purchase(),
        None => None,
    };

    // 10. What the order must look like, for kinds with order rules.
    if let Some(rules) = policy
        .orders
        .as_ref()
        .and_then(|o| o.rules_for(facts.action))
        && let Some(refusal) = check_order(facts.action, rules, facts.order.as_ref())
    {
        return refusal;
    }

    match (facts.action, purchase) {
        (ActionKind::Refund, Some(p)) => refund(policy, facts, p),
        (ActionKind::TransferPurchase, Some(p)) => transfer(policy, facts, p),
        (kind, _) => match policy.mode_for(kind) {
            Some((key, mode)) => by_mode(key, mode, kind.as_str()),
            // Refunds and transfers always have a purchase by now.
            None => unknown_purchase(),
        },
    }
}

fn unknown_purchase() -> Ruling {
    (
        Outcome::Approval,
        rules::UNKNOWN_PURCHASE,
        "the purchase is not among the customer's purchases".to_owned(),
    )
}

/// 4. Only active purchases can be refunded or transferred.
fn check_status(p: &PurchaseFacts) -> Option<Ruling> {
    match p.status.as_str() {
        "active" => None,
        "refunded" | "transferred" => Some((
            Outcome::Deny,
            rules::PURCHASE_NOT_ACTIVE,
            format!("the purchase is already {}", p.status),
        )),
        _ => Some((
            Outcome::Escalate,
            rules::UNRECOGNISED_PURCHASE_STATUS,
            "the purchase status is not one the policy recognises".to_owned(),
        )),
    }
}

/// 6. Clock skew or bad data: never automatic.
fn check_future(age: i64) -> Option<Ruling> {
    (age < 0).then(|| {
        (
            Outcome::Approval,
            rules::FUTURE_PURCHASE,
            format!(
                "the purchase is dated {} in the future",
                fmt_duration(age.saturating_neg())
            ),
        )
    })
}

fn refund(policy: &PolicyConfig, facts: &Facts, p: &PurchaseFacts) -> Ruling {
    if let Some(r) = check_status(p) {
        return r;
    }

    // 5. Amounts.
    let refundable = p.refundable();
    let amount = facts.requested_amount_cents.unwrap_or(refundable);
    if amount <= 0 {
        let reason = if facts.requested_amount_cents.is_some() {
            format!("the requested refund of {amount} cents is not a positive amount")
        } else {
            "nothing is left to refund on the purchase".to_owned()
        };
        return (Outcome::Deny, rules::NOTHING_TO_REFUND, reason);
    }
    if amount > refundable {
        return (
            Outcome::Deny,
            rules::REFUND_EXCEEDS_REFUNDABLE,
            format!(
                "the requested refund of {amount} cents exceeds the refundable {refundable} cents"
            ),
        );
    }

    let age = facts.now.saturating_sub(p.purchased_at);
    if let Some(r) = check_future(age) {
        return r;
    }

    // 7. Age windows, inclusive, to the second.
    let auto_days = policy.auto_approve_refund_days;
    let approval_days = policy.approval_refund_days;
    let by_age = if age <= days(auto_days) {
        match policy.max_auto_refund_cents {
            Some(cap) if amount > cap => (
                Outcome::Approval,
                rules::REFUND_OVER_AUTO_CAP,
                format!("a refund of {amount} cents is over the automatic limit of {cap} cents"),
            ),
            _ => (
                Outcome::Auto,
                rules::REFUND_AUTO_WINDOW,
                format!(
                    "purchased {} ago, within {auto_days} days",
                    fmt_duration(age)
                ),
            ),
        }
    } else if age <= days(approval_days) {
        (
            Outcome::Approval,
            rules::REFUND_APPROVAL_WINDOW,
            format!(
                "purchased {} ago, after the {auto_days}-day automatic refund window",
                fmt_duration(age)
            ),
        )
    } else {
        (
            Outcome::Escalate,
            rules::REFUND_OUTSIDE_WINDOW,
            format!(
                "purchased {} ago, outside the {approval_days}-day refund window",
                fmt_duration(age)
            ),
        )
    };
    team_floor(policy, p, by_age)
}

fn transfer(policy: &PolicyConfig, facts: &Facts, p: &PurchaseFacts) -> Ruling {
    if let Some(r) = check_status(p) {
        return r;
    }
    let age = facts.now.saturating_sub(p.purchased_at);
    if let Some(r) = check_future(age) {
        return r;
    }

    // 8.
    let window = policy.auto_approve_transfer_days;
    let by_age = if age <= days(window) {
        (
            Outcome::Auto,
            rules::TRANSFER_AUTO_WINDOW,
            format!("purchased {} ago, within {window} days", fmt_duration(age)),
        )
    } else {
        (
            Outcome::Approval,
            rules::TRANSFER_AFTER_WINDOW,
            format!(
                "purchased {} ago, after the {window}-day automatic transfer window",
                fmt_duration(age)
            ),
        )
    };
    team_floor(policy, p, by_age)
}

/// 9. A team/bundle purchase gets the `team_purchases` mode when that is stricter.
fn team_floor(policy: &PolicyConfig, p: &PurchaseFacts, by_age: Ruling) -> Ruling {
    if !p.team {
        return by_age;
    }
    let team = match Mode::parse(&policy.team_purchases) {
        Some(mode) => (
            Outcome::from(mode),
            rules::TEAM_PURCHASE,
            format!(
                "team and bundle purchases are configured as {}",
                mode.as_str()
            ),
        ),
        None => unrecognised_mode("team_purchases"),
    };
    if team.0 > by_age.0 { team } else { by_age }
}

/// 11–12. Kinds decided by their configured mode.
fn by_mode(key: &'static str, mode: &str, kind: &str) -> Ruling {
    match Mode::parse(mode) {
        Some(m) => (
            Outcome::from(m),
            rules::CONFIGURED_MODE,
            format!("{kind} is configured as {}", m.as_str()),
        ),
        None => unrecognised_mode(key),
    }
}

fn unrecognised_mode(key: &'static str) -> Ruling {
    (
        Outcome::Escalate,
        rules::UNRECOGNISED_MODE,
        format!("policy key {key} has an unrecognised mode"),
    )
}

fn days(d: u32) -> i64 {
    i64::from(d) * DAY_SECS
}

/// `30 days`, `30 days 00:00:01`: whole days stay short, anything else shows the seconds
/// that put it over a boundary.
fn fmt_duration(secs: i64) -> String {
    let (d, rest) = (secs / DAY_SECS, secs % DAY_SECS);
    let unit = if d == 1 { "day" } else { "days" };
    if rest == 0 {
        format!("{d} {unit}")
    } else {
        format!(
            "{d} {unit} {:02}:{:02}:{:02}",
            rest / 3600,
            rest % 3600 / 60,
            rest % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_strictness_order() {
        assert!(Outcome::Auto < Outcome::Approval);
        assert!(Outcome::Approval < Outcome::Escalate);
        assert!(Outcome::Escalate < Outcome::Deny);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(fmt_duration(0), "0 days");
        assert_eq!(fmt_duration(DAY_SECS), "1 day");
        assert_eq!(fmt_duration(30 * DAY_SECS), "30 days");
        assert_eq!(fmt_duration(30 * DAY_SECS + 1), "30 days 00:00:01");
        assert_eq!(fmt_duration(3661), "0 days 01:01:01");
    }

    #[test]
    fn nan_confidence_escalates() {
        let facts = Facts {
            action: ActionKind::MagicLink,
            now: 0,
            purchase: None,
            purchase_known: false,
            requested_amount_cents: None,
            category: "support_access".into(),
            confidence: f64::NAN,
            signals: vec![],
            approvers: vec![],
            order: None,
            grounding: Default::default(),
        };
        let e = evaluate_detailed(&PolicyConfig::default(), &facts);
        assert_eq!(e.rule, rules::LOW_CONFIDENCE);
        // A policy built in code with a NaN floor escalates everything rather than nothing.
        let policy = PolicyConfig {
            min_confidence: f64::NAN,
            ..PolicyConfig::default()
        };
        let facts = Facts {
            confidence: 1.0,
            ..facts
        };
        assert_eq!(
            evaluate_detailed(&policy, &facts).rule,
            rules::LOW_CONFIDENCE
        );
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        let purchase = PurchaseFacts {
            id: "p".into(),
            purchased_at: i64::MIN,
            amount_cents: 100,
            currency: "usd".into(),
            status: "active".into(),
            team: false,
            refundable_cents: None,
        };
        let facts = Facts {
            action: ActionKind::Refund,
            now: i64::MAX,
            purchase: Some(purchase.clone()),
            purchase_known: true,
            requested_amount_cents: None,
            category: "support_refund".into(),
            confidence: 1.0,
            signals: vec![],
            approvers: vec![],
            order: None,
            grounding: Default::default(),
        };
        let policy = PolicyConfig::default();
        assert_eq!(
            evaluate_detailed(&policy, &facts).rule,
            rules::REFUND_OUTSIDE_WINDOW
        );
        let facts = Facts {
            now: i64::MIN,
            purchase: Some(PurchaseFacts {
                purchased_at: i64::MAX,
                ..purchase
            }),
            ..facts
        };
        assert_eq!(
            evaluate_detailed(&policy, &facts).rule,
            rules::FUTURE_PURCHASE
        );
    }
}
