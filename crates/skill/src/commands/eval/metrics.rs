//! The numbers of an evaluation: confusion matrices, per-label precision/recall/F1, the
//! binary "handled without a human" decision with its false-positive and false-negative
//! rates, percentiles, and the gates. Pure functions over what the runner observed, so each
//! is tested on hand-computed examples.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// A confusion matrix: `counts[expected][actual]`.
pub type Confusion = BTreeMap<String, BTreeMap<String, usize>>;

/// Precision, recall and F1 of one label, one-vs-rest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LabelScore {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Scenarios whose expected label is this one.
    pub support: usize,
    /// Scenarios the platform gave this label (among those with an expected label).
    pub predicted: usize,
}

/// Multi-class scores of one labelled dimension (categories, or routes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassScores {
    /// Scenarios with an expected label.
    pub n: usize,
    /// Share whose actual label equals the expected one.
    pub accuracy: f64,
    /// Mean over the labels that occur in the expected labels (support ≥ 1).
    pub macro_precision: f64,
    pub macro_recall: f64,
    pub macro_f1: f64,
    /// Every label seen, expected or actual.
    pub per_label: BTreeMap<String, LabelScore>,
    pub confusion: Confusion,
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

/// Scores `(expected, actual)` pairs. A label never predicted has precision 0; a label
/// never expected has recall 0 and is left out of the macro averages.
pub fn class_scores<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> ClassScores {
    let mut confusion: Confusion = BTreeMap::new();
    let mut n = 0;
    let mut correct = 0;
    let mut labels = BTreeSet::new();
    for (e, a) in pairs {
        n += 1;
        if e == a {
            correct += 1;
        }
        labels.insert(e.to_owned());
        labels.insert(a.to_owned());
        *confusion
            .entry(e.to_owned())
            .or_default()
            .entry(a.to_owned())
            .or_default() += 1;
    }
    let mut per_label = BTreeMap::new();
    for l in &labels {
        let tp = confusion
            .get(l)
            .and_then(|row| row.get(l))
            .copied()
            .unwrap_or(0);
        let support: usize = confusion.get(l).map(|row| row.values().sum()).unwrap_or(0);
        let predicted: usize = confusion
            .values()
            .map(|row| row.get(l).copied().unwrap_or(0))
            .sum();
        let precision = ratio(tp, predicted);
        let recall = ratio(tp, support);
        per_label.insert(
            l.clone(),
            LabelScore {
                precision,
                recall,
                f1: f1(precision, recall),
                support,
                predicted,
            },
        );
    }
    let expected: Vec<&LabelScore> = per_label.values().filter(|s| s.support > 0).collect();
    let mean = |f: fn(&LabelScore) -> f64| {
        if expected.is_empty() {
            0.0
        } else {
            expected.iter().map(|s| f(s)).sum::<f64>() / expected.len() as f64
        }
    };
    ClassScores {
        n,
        accuracy: ratio(correct, n),
        macro_precision: mean(|s| s.precision),
        macro_recall: mean(|s| s.recall),
        macro_f1: mean(|s| s.f1),
        per_label,
        confusion,
    }
}

/// The binary decision "handled without a human" (positive) vs "needs a human" (negative).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Binary {
    /// Handled automatically, and should have been.
    pub tp: usize,
    /// Handled automatically, but should have gone to a human.
    pub fp: usize,
    /// Went to a human, and should have.
    pub tn: usize,
    /// Went to a human, but could have been handled automatically.
    pub fn_: usize,
    /// tp / (tp + fp): of what was handled automatically, the share that should have been.
    pub precision: f64,
    /// tp / (tp + fn): of what could be handled automatically, the share that was.
    pub recall: f64,
    /// fp / (fp + tn): of what needed a human, the share handled automatically.
    pub fp_rate: f64,
    /// fn / (fn + tp): of what could be handled automatically, the share sent to a human.
    pub fn_rate: f64,
}

/// Scores `(expected_automated, actual_automated)` pairs.
pub fn binary(pairs: impl IntoIterator<Item = (bool, bool)>) -> Binary {
    let mut b = Binary::default();
    for (expected, actual) in pairs {
        match (expected, actual) {
            (true, true) => b.tp += 1,
            (false, true) => b.fp += 1,
            (false, false) => b.tn += 1,
            (true, false) => b.fn_ += 1,
        }
    }
    b.precision = ratio(b.tp, b.tp + b.fp);
    b.recall = ratio(b.tp, b.tp + b.fn_);
    b.fp_rate = ratio(b.fp, b.fp + b.tn);
    b.fn_rate = ratio(b.fn_, b.fn_ + b.tp);
    b
}

/// Nearest-rank percentile (`p` in 0..=1) of unsorted values; 0 for none.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return 0.0;
    }
    let rank = (v.len() as f64 * p).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

/// Latency summary in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub n: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

pub fn latency(values: &[f64]) -> Latency {
    Latency {
        n: values.len(),
        p50: percentile(values, 0.50),
        p95: percentile(values, 0.95),
        p99: percentile(values, 0.99),
        max: values.iter().copied().fold(0.0, f64::max),
        mean: if values.is_empty() {
            0.0
        } else {
            values.iter().sum::<f64>() / values.len() as f64
        },
    }
}

/// One gate: a measured value against its threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    pub name: String,
    pub value: f64,
    /// `>=` (at least) or `<=` (at most).
    pub op: String,
    pub threshold: f64,
    pub pass: bool,
    /// Whether the gate decides the run's result (and exit code). A gate that is not gating
    /// is computed and reported only (the PRD's thresholds on an adversarial dataset).
    #[serde(default = "gating_default")]
    pub gating: bool,
}

fn gating_default() -> bool {
    true
}

impl Gate {
    pub fn at_least(name: &str, value: f64, threshold: f64) -> Self {
        Gate {
            name: name.into(),
            value,
            op: ">=".into(),
            threshold,
            pass: value >= threshold,
            gating: true,
        }
    }
    pub fn at_most(name: &str, value: f64, threshold: f64) -> Self {
        Gate {
            name: name.into(),
            value,
            op: "<=".into(),
            threshold,
            pass: value <= threshold,
            gating: true,
        }
    }
    /// The same gate, reported but not deciding the result.
    pub fn reported_only(mut self) -> Self {
        self.gating = false;
        self
    }
    /// Whether this gate makes the run fail.
    pub fn fails(&self) -> bool {
        self.gating && !self.pass
    }
}

/// The PRD's thresholds (peer check 69).
pub const MIN_PRECISION: f64 = 0.92;
pub const MIN_RECALL: f64 = 0.95;
pub const MAX_FP_RATE: f64 = 0.03;
pub const MAX_FN_RATE: f64 = 0.02;

/// The names of the PRD's four gates (reported, not gating, on an adversarial dataset).
pub const PRD_GATES: [&str; 4] = [
    "route_macro_precision",
    "route_macro_recall",
    "automation_fp_rate",
    "automation_fn_rate",
];

/// The four PRD gates, plus zero policy violations. See the module docs of
/// [`crate::commands::eval`] for what each number is computed on.
pub fn gates(routes: &ClassScores, human: &Binary, violations: usize) -> Vec<Gate> {
    vec![
        Gate::at_least(
            "route_macro_precision",
            routes.macro_precision,
            MIN_PRECISION,
        ),
        Gate::at_least("route_macro_recall", routes.macro_recall, MIN_RECALL),
        Gate::at_most("automation_fp_rate", human.fp_rate, MAX_FP_RATE),
        Gate::at_most("automation_fn_rate", human.fn_rate, MAX_FN_RATE),
        Gate::at_most("policy_violations", violations as f64, 0.0),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn class_scores_match_a_hand_computed_example() {
        // expected → actual:
        //   refund → refund ×3, refund → access ×1
        //   access → access ×2
        //   billing → refund ×1, billing → billing ×1
        let pairs = [
            ("refund", "refund"),
            ("refund", "refund"),
            ("refund", "refund"),
            ("refund", "access"),
            ("access", "access"),
            ("access", "access"),
            ("billing", "refund"),
            ("billing", "billing"),
        ];
        let s = class_scores(pairs);
        assert_eq!(s.n, 8);
        assert!(close(s.accuracy, 6.0 / 8.0));
        let r = s.per_label["refund"];
        // tp 3, predicted 4 (3 + billing's 1), support 4.
        assert!(close(r.precision, 0.75) && close(r.recall, 0.75), "{r:?}");
        assert!(close(r.f1, 0.75));
        let a = s.per_label["access"];
        // tp 2, predicted 3, support 2.
        assert!(
            close(a.precision, 2.0 / 3.0) && close(a.recall, 1.0),
            "{a:?}"
        );
        assert!(close(a.f1, 0.8));
        let b = s.per_label["billing"];
        assert!(close(b.precision, 1.0) && close(b.recall, 0.5), "{b:?}");
        assert!(close(s.macro_precision, (0.75 + 2.0 / 3.0 + 1.0) / 3.0));
        assert!(close(s.macro_recall, (0.75 + 1.0 + 0.5) / 3.0));
        assert_eq!(s.confusion["refund"]["access"], 1);
        assert_eq!(s.confusion["billing"]["refund"], 1);
    }

    #[test]
    fn labels_only_predicted_stay_out_of_the_macro_average() {
        let s = class_scores([("unknown", "spam"), ("unknown", "unknown")]);
        let spam = s.per_label["spam"];
        assert_eq!((spam.support, spam.predicted), (0, 1));
        assert!(close(spam.precision, 0.0) && close(spam.recall, 0.0));
        // Only `unknown` counts: precision 1/1, recall 1/2.
        assert!(close(s.macro_precision, 1.0));
        assert!(close(s.macro_recall, 0.5));
        let empty = class_scores(std::iter::empty());
        assert_eq!(empty.n, 0);
        assert!(close(empty.macro_precision, 0.0) && close(empty.accuracy, 0.0));
    }

    #[test]
    fn binary_rates_match_a_hand_computed_example() {
        // 6 should be automated: 5 were (tp), 1 went to a human (fn).
        // 4 needed a human: 1 was automated (fp), 3 went to a human (tn).
        let mut pairs = vec![(true, true); 5];
        pairs.push((true, false));
        pairs.push((false, true));
        pairs.extend([(false, false); 3]);
        let b = binary(pairs);
        assert_eq!((b.tp, b.fp, b.tn, b.fn_), (5, 1, 3, 1));
        assert!(close(b.precision, 5.0 / 6.0));
        assert!(close(b.recall, 5.0 / 6.0));
        assert!(close(b.fp_rate, 0.25));
        assert!(close(b.fn_rate, 1.0 / 6.0));
        let none = binary(std::iter::empty());
        assert!(close(none.fp_rate, 0.0) && close(none.precision, 0.0));
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert!(close(percentile(&v, 0.50), 50.0));
        assert!(close(percentile(&v, 0.95), 95.0));
        assert!(close(percentile(&v, 0.99), 99.0));
        assert!(close(percentile(&[7.0, 1.0, 3.0], 0.5), 3.0));
        assert!(close(percentile(&[4.0], 0.99), 4.0));
        assert!(close(percentile(&[], 0.5), 0.0));
        let l = latency(&[1.0, 2.0, 3.0, 10.0]);
        assert_eq!(l.n, 4);
        assert!(close(l.max, 10.0) && close(l.mean, 4.0) && close(l.p50, 2.0));
    }

    #[test]
    fn gates_compare_inclusively() {
        let routes = class_scores([("respond", "respond")]);
        let human = binary([(true, true), (false, false)]);
        let g = gates(&routes, &human, 0);
        assert!(g.iter().all(|g| g.pass), "{g:?}");
        let g = gates(&routes, &human, 1);
        assert!(
            !g.iter()
                .find(|g| g.name == "policy_violations")
                .unwrap()
                .pass
        );
        let reported = Gate::at_least("x", 0.5, MIN_PRECISION).reported_only();
        assert!(!reported.pass && !reported.gating && !reported.fails());
        assert!(Gate::at_least("x", 0.5, MIN_PRECISION).fails());
        // Reports saved before `gating` existed read as gating.
        let old: Gate = serde_json::from_str(
            r#"{"name":"x","value":1.0,"op":">=","threshold":0.5,"pass":true}"#,
        )
        .unwrap();
        assert!(old.gating);
        assert!(Gate::at_least("x", 0.92, MIN_PRECISION).pass);
        assert!(!Gate::at_least("x", 0.9199, MIN_PRECISION).pass);
        assert!(Gate::at_most("x", 0.03, MAX_FP_RATE).pass);
        assert!(!Gate::at_most("x", 0.0301, MAX_FP_RATE).pass);
    }
}
