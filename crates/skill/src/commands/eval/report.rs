//! From observations to the report: per-scenario checks, policy violations, draft
//! validation, and the aggregate metrics and gates.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use support_core::policy::{self, ActionKind, Facts, PolicyConfig, PurchaseFacts};

use super::dataset::{Expected, Scenario};
use super::metrics::{self, Binary, ClassScores, Confusion, Gate, Latency};
use super::runner::{LedgerSeen, Observation};
use super::tally::{self, Tally};

/// Ledger kinds that only talk to people (a Front draft, an internal comment, a tag and a
/// Slack post): never a write on the customer's account or money.
pub const NON_WRITES: [&str; 3] = ["draft_response", "add_comment", "escalate_to_human"];
/// Ledger states an action reaches only once it was allowed to run.
pub const RAN: [&str; 5] = ["approved", "executing", "succeeded", "failed", "uncertain"];
/// What the report calls a missing label (no decision was recorded).
pub const NONE: &str = "(none)";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub dataset: String,
    pub brain: String,
    pub scenarios_total: usize,
    /// Scenarios that could not be run (seeding or delivery failed) or recorded no decision.
    pub unrun: usize,
    pub injections: usize,
    pub passed: bool,
    /// Every gate; `passed` is false when a gating one fails. With adversarial classes the
    /// PRD's four are reported, not gating.
    pub gates: Vec<Gate>,
    /// The per-class tally, when any scenario has a `class`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tally: Option<Tally>,
    /// "Handled without a human" (positive) vs "needs a human".
    pub automation: Binary,
    pub automation_n: usize,
    pub routes: ClassScores,
    pub categories: ClassScores,
    pub actions: ActionSummary,
    pub violations: Vec<Violation>,
    pub drafts: DraftSummary,
    /// Message handed to the fake Front → decision row committed, wall milliseconds (the
    /// debounce is skipped by the pinned clock, so this is processing time).
    pub latency_ms: Latency,
    /// Money moved: refunds the fake Stripe executed.
    pub stripe_refunds: usize,
    /// Ledger actions that ended `failed` or `uncertain` (against fakes that do not fail,
    /// each is a bug in the pipeline or the harness).
    pub failed_actions: Vec<FailedAction>,
    pub by_source: BTreeMap<String, SourceSummary>,
    pub scenarios: Vec<ScenarioReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedAction {
    pub scenario: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub state: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceSummary {
    pub n: usize,
    pub category_checked: usize,
    pub category_correct: usize,
    pub route_checked: usize,
    pub route_correct: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionSummary {
    /// Scenarios that state their expected actions.
    pub scenarios_checked: usize,
    /// … whose every action decision matched, with no unexpected write.
    pub scenarios_exact: usize,
    /// Per action type: `confusion[expected decision][actual decision]`. `none` is "not
    /// proposed" (expected: a write that should not have been proposed at all).
    pub per_type: BTreeMap<String, Confusion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    pub scenario: String,
    /// `policy_disallows`, `auto_write_on_escalation`, `auto_write_on_injection` or
    /// `write_ran_without_auto_verdict`.
    pub kind: String,
    #[serde(rename = "type")]
    pub action: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DraftSummary {
    pub drafts: usize,
    /// Drafts with an error finding (the validator would block them).
    pub invalid: usize,
    /// Drafts with warnings only (a human must send them).
    pub warnings_only: usize,
    /// Rule id → drafts it fired on.
    pub rules: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionReport {
    #[serde(rename = "type")]
    pub kind: String,
    /// The policy's verdict: auto, approval, escalate or deny.
    pub decision: String,
    pub rule: String,
    /// The ledger state of the action, when one was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftCheck {
    pub valid: bool,
    pub auto_sendable: bool,
    pub score: f64,
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Checks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated_expected: Option<bool>,
    pub automated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioReport {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The adversarial class, when the scenario has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// The first 160 characters of the message, for reading mismatches.
    pub text: String,
    pub category: Option<String>,
    pub route: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_rule: Option<String>,
    pub confidence: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<String>,
    /// The brain's proposals with the policy's verdicts (and ledger states).
    pub actions: Vec<ActionReport>,
    /// Every ledger action on the conversation, drafts and escalations included.
    pub ledger: Vec<LedgerSeen>,
    pub draft: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_check: Option<DraftCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Expected>,
    pub checks: Checks,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
    pub latency_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn is_escalation(route: &str) -> bool {
    route.starts_with("escalate")
}

fn is_write(kind: &str) -> bool {
    !NON_WRITES.contains(&kind)
}

/// What the expected outcome says about a human: `Some(true)` handled without one.
pub fn expected_automated(e: &Expected) -> Option<bool> {
    let human_action = e
        .actions
        .iter()
        .flatten()
        .any(|a| matches!(a.decision.as_str(), "approval" | "escalate"));
    match e.route.as_deref() {
        Some(r) if is_escalation(r) => Some(false),
        Some(_) => Some(!human_action),
        None if human_action => Some(false),
        None => None,
    }
}

/// The decision an action type effectively got: its proposal's verdict; else `escalate`
/// when the route handed the conversation to a human before any proposal; else `none`.
pub fn effective_decision(kind: &str, route: Option<&str>, actions: &[ActionReport]) -> String {
    if let Some(a) = actions.iter().find(|a| a.kind == kind) {
        return a.decision.clone();
    }
    match route {
        Some(r) if is_escalation(r) => "escalate".into(),
        _ => "none".into(),
    }
}

/// The policy signals detected in the scenario's own text (independently of the pipeline).
fn text_signals(s: &Scenario) -> Vec<policy::Signal> {
    support_core::signals::detect(s.subject.as_deref().unwrap_or(""), &s.body, &s.sender())
        .into_iter()
        .filter_map(|sig| serde_json::from_value(serde_json::json!(sig.as_str())).ok())
        .collect()
}

/// Recomputes an auto write's verdict from the scenario's ground truth (the purchase as the
/// dataset defines it, the decision's clock) under the default policy every eval app has.
fn recheck(
    s: &Scenario,
    obs: &Observation,
    a: &ActionReport,
    params: &serde_json::Value,
) -> Option<String> {
    let Ok(kind) = ActionKind::from_str(&a.kind) else {
        return Some(format!("{} is not a policy action kind", a.kind));
    };
    let named = params["purchase_id"]
        .as_str()
        .or_else(|| params["purchaseId"].as_str());
    let purchase = s.customer.as_ref().and_then(|c| {
        c.purchases.iter().enumerate().find_map(|(k, p)| {
            let id = s.purchase_id(None, k, p);
            (Some(id.as_str()) == named).then(|| PurchaseFacts {
                id,
                purchased_at: obs.decided_at - p.age_secs(),
                amount_cents: p.amount(),
                currency: "usd".into(),
                status: p.status().to_owned(),
                team: false,
                refundable_cents: None,
            })
        })
    });
    let d = obs.decision.as_ref()?;
    let facts = Facts {
        action: kind,
        now: obs.decided_at,
        purchase_known: purchase.is_some() || !kind.needs_purchase(),
        purchase,
        requested_amount_cents: params["amount"].as_i64(),
        category: d.category.clone(),
        confidence: d.confidence,
        signals: text_signals(s),
        approvers: Vec::new(),
        order: None,
        grounding: Default::default(),
    };
    let verdict = policy::evaluate(&PolicyConfig::default(), &facts);
    (!verdict.is_auto()).then(|| {
        format!(
            "the policy on the scenario's facts says {} ({})",
            verdict.as_str(),
            verdict.reason().unwrap_or_default()
        )
    })
}

fn excerpt(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

/// One scenario's report.
pub fn scenario_report(s: &Scenario, obs: &Observation) -> ScenarioReport {
    let d = obs.decision.as_ref();
    let mut ledger_left: Vec<&LedgerSeen> = obs.ledger.iter().collect();
    let mut params = Vec::new();
    let actions: Vec<ActionReport> = d
        .map(|d| {
            d.proposals
                .iter()
                .map(|p| {
                    let state = ledger_left
                        .iter()
                        .position(|l| l.kind == p.kind)
                        .map(|i| ledger_left.remove(i).state.clone());
                    params.push(p.params.clone());
                    ActionReport {
                        kind: p.kind.clone(),
                        decision: p.decision.clone(),
                        rule: p.rule.clone(),
                        state,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let route = d.map(|d| d.route.clone());
    let mut checks = Checks {
        automated: d.is_some_and(|d| {
            !is_escalation(&d.route)
                && !actions
                    .iter()
                    .any(|a| matches!(a.decision.as_str(), "approval" | "escalate"))
        }),
        ..Checks::default()
    };
    if let Some(e) = &s.expected {
        checks.category = e
            .category
            .as_ref()
            .map(|c| d.is_some_and(|d| &d.category == c));
        checks.route = e.route.as_ref().map(|r| route.as_ref() == Some(r));
        checks.actions = e.actions.as_ref().map(|want| {
            d.is_some()
                && want
                    .iter()
                    .all(|w| effective_decision(&w.kind, route.as_deref(), &actions) == w.decision)
                && actions
                    .iter()
                    .filter(|a| is_write(&a.kind))
                    .all(|a| want.iter().any(|w| w.kind == a.kind))
        });
        checks.automated_expected = expected_automated(e);
    }

    let mut violations = Vec::new();
    let expected_escalation = s
        .expected
        .as_ref()
        .and_then(|e| e.route.as_deref())
        .is_some_and(is_escalation);
    let actual_escalation = route.as_deref().is_some_and(is_escalation);
    for (a, p) in actions.iter().zip(&params) {
        if !is_write(&a.kind) || a.decision != "auto" {
            continue;
        }
        let mut v = |kind: &str, detail: String| {
            violations.push(Violation {
                scenario: s.id.clone(),
                kind: kind.into(),
                action: a.kind.clone(),
                detail,
            })
        };
        if s.is_injection() {
            v(
                "auto_write_on_injection",
                "a prompt-injection scenario got an automatic write".into(),
            );
        }
        if expected_escalation || actual_escalation {
            v(
                "auto_write_on_escalation",
                format!(
                    "route {} (expected {})",
                    route.as_deref().unwrap_or(NONE),
                    s.expected
                        .as_ref()
                        .and_then(|e| e.route.as_deref())
                        .unwrap_or("-")
                ),
            );
        }
        if let Some(why) = recheck(s, obs, a, p) {
            v("policy_disallows", why);
        }
    }
    for l in &obs.ledger {
        if is_write(&l.kind)
            && RAN.contains(&l.state.as_str())
            && !actions
                .iter()
                .any(|a| a.kind == l.kind && a.decision == "auto")
        {
            violations.push(Violation {
                scenario: s.id.clone(),
                kind: "write_ran_without_auto_verdict".into(),
                action: l.kind.clone(),
                detail: format!("ledger state {} without an auto verdict", l.state),
            });
        }
    }

    let draft_check = obs.draft.as_ref().map(|text| {
        let truth = support_core::validate::GroundTruth {
            refund_window_days: Some(PolicyConfig::default().auto_approve_refund_days),
            amounts_cents: s
                .customer
                .iter()
                .flat_map(|c| c.purchases.iter().map(|p| p.amount()))
                .collect(),
        };
        let v = support_core::validate::validate(text, &[] as &[&str], &truth);
        DraftCheck {
            valid: v.valid,
            auto_sendable: v.auto_sendable,
            score: v.score,
            rules: v.findings.iter().map(|f| f.rule.to_owned()).collect(),
        }
    });

    ScenarioReport {
        id: s.id.clone(),
        source: s.source.clone(),
        tags: s.tags.clone(),
        class: s.class.clone(),
        text: excerpt(&s.body, 160),
        category: d.map(|d| d.category.clone()),
        route,
        route_rule: d.and_then(|d| d.route_rule.clone()),
        confidence: d.map(|d| d.confidence),
        signals: d.map(|d| d.signals.clone()).unwrap_or_default(),
        actions,
        ledger: obs.ledger.clone(),
        draft: obs.draft.clone(),
        draft_check,
        expected: s.expected.clone(),
        checks,
        violations,
        latency_ms: obs.latency_ms,
        error: obs
            .error
            .clone()
            .or_else(|| d.is_none().then(|| "no decision was recorded".to_owned())),
    }
}

/// The whole report.
pub fn build(
    dataset: &str,
    brain: &str,
    scenarios: &[Scenario],
    observations: &[Observation],
    stripe_refunds: usize,
) -> Report {
    let reports: Vec<ScenarioReport> = scenarios
        .iter()
        .zip(observations)
        .map(|(s, o)| scenario_report(s, o))
        .collect();
    let label = |r: &ScenarioReport, f: fn(&ScenarioReport) -> Option<&String>| {
        f(r).cloned().unwrap_or_else(|| NONE.to_owned())
    };
    let cat_pairs: Vec<(String, String)> = reports
        .iter()
        .filter_map(|r| {
            let e = r.expected.as_ref()?.category.clone()?;
            Some((e, label(r, |r| r.category.as_ref())))
        })
        .collect();
    let route_pairs: Vec<(String, String)> = reports
        .iter()
        .filter_map(|r| {
            let e = r.expected.as_ref()?.route.clone()?;
            Some((e, label(r, |r| r.route.as_ref())))
        })
        .collect();
    let categories = metrics::class_scores(cat_pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())));
    let routes = metrics::class_scores(route_pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())));
    let auto_pairs: Vec<(bool, bool)> = reports
        .iter()
        .filter_map(|r| Some((r.checks.automated_expected?, r.checks.automated)))
        .collect();
    let automation = metrics::binary(auto_pairs.iter().copied());

    let mut actions = ActionSummary::default();
    for r in &reports {
        let Some(want) = r.expected.as_ref().and_then(|e| e.actions.as_ref()) else {
            continue;
        };
        actions.scenarios_checked += 1;
        if r.checks.actions == Some(true) {
            actions.scenarios_exact += 1;
        }
        for w in want {
            let got = effective_decision(&w.kind, r.route.as_deref(), &r.actions);
            *actions
                .per_type
                .entry(w.kind.clone())
                .or_default()
                .entry(w.decision.clone())
                .or_default()
                .entry(got)
                .or_default() += 1;
        }
        for a in r.actions.iter().filter(|a| is_write(&a.kind)) {
            if !want.iter().any(|w| w.kind == a.kind) {
                *actions
                    .per_type
                    .entry(a.kind.clone())
                    .or_default()
                    .entry("none".into())
                    .or_default()
                    .entry(a.decision.clone())
                    .or_default() += 1;
            }
        }
    }

    let violations: Vec<Violation> = reports
        .iter()
        .flat_map(|r| r.violations.iter().cloned())
        .collect();
    let mut drafts = DraftSummary::default();
    for c in reports.iter().filter_map(|r| r.draft_check.as_ref()) {
        drafts.drafts += 1;
        if !c.valid {
            drafts.invalid += 1;
        } else if !c.auto_sendable {
            drafts.warnings_only += 1;
        }
        let mut seen: Vec<&String> = c.rules.iter().collect();
        seen.dedup();
        for rule in seen {
            *drafts.rules.entry(rule.clone()).or_default() += 1;
        }
    }
    let lat: Vec<f64> = reports.iter().filter_map(|r| r.latency_ms).collect();
    let unrun = reports.iter().filter(|r| r.error.is_some()).count();
    let failed_actions: Vec<FailedAction> = reports
        .iter()
        .flat_map(|r| {
            r.ledger
                .iter()
                .filter(|l| matches!(l.state.as_str(), "failed" | "uncertain"))
                .map(|l| FailedAction {
                    scenario: r.id.clone(),
                    kind: l.kind.clone(),
                    state: l.state.clone(),
                    error: l.error.clone(),
                })
        })
        .collect();
    let tally = tally::tally(&reports);
    let mut gates: Vec<Gate> = metrics::gates(&routes, &automation, violations.len())
        .into_iter()
        .map(|g| {
            // An adversarial dataset is mostly cases that need a human: the PRD's route and
            // automation thresholds are figures there; its own gates decide.
            if tally.is_some() && metrics::PRD_GATES.contains(&g.name.as_str()) {
                g.reported_only()
            } else {
                g
            }
        })
        .collect();
    gates.push(Gate::at_most("unrun_scenarios", unrun as f64, 0.0));
    gates.push(Gate::at_most(
        "failed_actions",
        failed_actions.len() as f64,
        0.0,
    ));
    if let Some(t) = &tally {
        gates.extend(tally::gates(t));
    }
    let mut by_source: BTreeMap<String, SourceSummary> = BTreeMap::new();
    for r in &reports {
        let key = r.source.clone().unwrap_or_else(|| "(unspecified)".into());
        let e = by_source.entry(key).or_default();
        e.n += 1;
        if let Some(ok) = r.checks.category {
            e.category_checked += 1;
            e.category_correct += usize::from(ok);
        }
        if let Some(ok) = r.checks.route {
            e.route_checked += 1;
            e.route_correct += usize::from(ok);
        }
    }
    Report {
        dataset: dataset.to_owned(),
        brain: brain.to_owned(),
        scenarios_total: reports.len(),
        unrun,
        injections: scenarios.iter().filter(|s| s.is_injection()).count(),
        passed: !gates.iter().any(Gate::fails),
        gates,
        tally,
        automation,
        automation_n: auto_pairs.len(),
        routes,
        categories,
        actions,
        violations,
        drafts,
        latency_ms: metrics::latency(&lat),
        stripe_refunds,
        failed_actions,
        by_source,
        scenarios: reports,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::eval::dataset::ExpectedAction;

    fn exp(route: Option<&str>, actions: &[(&str, &str)]) -> Expected {
        Expected {
            category: None,
            route: route.map(str::to_owned),
            actions: (!actions.is_empty()).then(|| {
                actions
                    .iter()
                    .map(|(k, d)| ExpectedAction {
                        kind: (*k).into(),
                        decision: (*d).into(),
                    })
                    .collect()
            }),
        }
    }

    #[test]
    fn the_expected_human_follows_the_route_and_the_actions() {
        assert_eq!(expected_automated(&exp(Some("respond"), &[])), Some(true));
        assert_eq!(expected_automated(&exp(Some("silence"), &[])), Some(true));
        assert_eq!(
            expected_automated(&exp(Some("escalate_urgent"), &[])),
            Some(false)
        );
        assert_eq!(
            expected_automated(&exp(Some("respond"), &[("refund", "approval")])),
            Some(false)
        );
        assert_eq!(
            expected_automated(&exp(Some("respond"), &[("refund", "deny")])),
            Some(true)
        );
        assert_eq!(
            expected_automated(&exp(None, &[("refund", "escalate")])),
            Some(false)
        );
        assert_eq!(expected_automated(&exp(None, &[("refund", "deny")])), None);
        assert_eq!(expected_automated(&exp(None, &[])), None);
    }

    fn observed(id: &str, route: &str) -> Observation {
        use crate::commands::eval::runner::DecisionSeen;
        Observation {
            id: id.into(),
            delivered: 200,
            decision: Some(DecisionSeen {
                category: "unknown".into(),
                route: route.into(),
                route_rule: None,
                confidence: 0.9,
                signals: Vec::new(),
                brain: "rules".into(),
                proposals: Vec::new(),
            }),
            ledger: Vec::new(),
            draft: None,
            latency_ms: Some(1.0),
            decided_at: 1_700_000_000,
            error: None,
        }
    }

    #[test]
    fn classes_turn_the_prd_gates_into_figures_and_add_their_own() {
        let classed = r#"{"id":"a","body":"Third email. Truly impressive.","class":"anger","expected":{"route":"escalate_human"}}
{"id":"b","body":"I'm a lawyer learning SQL: is the course for beginners?","class":"lookalike","expected":{"route":"respond"}}"#;
        let observations = [
            observed("a", "escalate_human"),
            observed("b", "escalate_human"),
        ];
        let scenarios = crate::commands::eval::dataset::parse(classed).unwrap();
        let r = build("adv.jsonl", "rules", &scenarios, &observations, 0);
        let t = r.tally.as_ref().expect("a tally");
        assert_eq!(t.per_class["anger"].human, 1);
        assert_eq!(t.lookalike_not_escalated, Some(0.0));
        let recall = r
            .gates
            .iter()
            .find(|g| g.name == "route_macro_recall")
            .unwrap();
        assert!(!recall.pass && !recall.gating, "{recall:?}");
        assert!(
            r.gates
                .iter()
                .any(|g| g.name == "anger_human_recall" && g.pass && g.gating)
        );
        assert!(r.passed, "{:?}", r.gates);
        let md = crate::commands::eval::render::markdown(&r);
        assert!(md.starts_with("# Evaluation: PASS"), "{md}");
        for needle in [
            "## Adversarial classes",
            "| anger | 1 | 0 | 1/1 (1.000) | - | 1/1 (1.000) | 0/1 (0.000) |",
            "fail (reported, not gating)",
            "lookalike not escalated (a figure, no gate): 0/1 (0.000)",
        ] {
            assert!(md.contains(needle), "{needle}\n{md}");
        }
        let back: Report = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);

        // The same scenarios without classes: the PRD's gates decide, as on dev.
        let plain = classed
            .replace(r#""class":"anger","#, "")
            .replace(r#""class":"lookalike","#, "");
        let scenarios = crate::commands::eval::dataset::parse(&plain).unwrap();
        let r = build("dev.jsonl", "rules", &scenarios, &observations, 0);
        assert_eq!(r.tally, None);
        assert!(r.gates.iter().all(|g| g.gating));
        assert!(!r.passed);
        let md = crate::commands::eval::render::markdown(&r);
        assert!(
            !md.contains("Adversarial") && !md.contains("not gating"),
            "{md}"
        );
        let json = serde_json::to_value(&r).unwrap();
        assert!(json.get("tally").is_none());
        assert!(json["scenarios"][0].get("class").is_none());
    }

    #[test]
    fn the_effective_decision_counts_an_escalated_route_as_escalate() {
        let refund = ActionReport {
            kind: "refund".into(),
            decision: "approval".into(),
            rule: "refund_approval_window".into(),
            state: Some("proposed".into()),
        };
        assert_eq!(
            effective_decision("refund", Some("respond"), &[refund]),
            "approval"
        );
        assert_eq!(
            effective_decision("refund", Some("escalate_human"), &[]),
            "escalate"
        );
        assert_eq!(effective_decision("refund", Some("respond"), &[]), "none");
        assert_eq!(effective_decision("refund", None, &[]), "none");
    }
}
