//! The learned classifier beside the rules: logistic-regression heads over a sentence
//! embedding (all-MiniLM-L6-v2, 384 dimensions, unit length). One softmax head for the
//! category and one binary head per signal (`question`, `angry`, `legal`, `injection`,
//! `instructor`, `automated`).
//!
//! Training ([`train`]) is plain full-batch gradient descent with L2, in a fixed order with
//! `f64` sums, so the same examples give the same bytes. The weights are a small file produced
//! by `skill brain train` and committed; [`Head::predict`] is a few dot products. How a
//! prediction is combined with the rules (only ever towards a human) is the agent's decision
//! (`support-agent/src/decide/learned.rs`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The binary heads, in file order.
pub const SIGNAL_HEADS: [&str; 6] = [
    "question",
    "angry",
    "legal",
    "injection",
    "instructor",
    "automated",
];

/// The heads whose signal sends a message to a person (see `TrainOptions`).
pub const SAFETY_HEADS: [&str; 4] = ["angry", "legal", "injection", "instructor"];

/// The file format's version.
pub const HEAD_VERSION: u32 = 1;

/// A trained classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    pub version: u32,
    /// The embedding model the head was trained on (`Embed::model_id`): a head is only used
    /// with vectors of that model.
    pub model: String,
    pub dim: usize,
    /// How the head was made (examples per label, epochs): for the record.
    pub trained_on: BTreeMap<String, usize>,
    pub categories: Vec<String>,
    /// `categories.len()` rows of `dim` weights, then the biases.
    pub category_weights: Vec<Vec<f32>>,
    pub category_bias: Vec<f32>,
    pub signals: Vec<BinaryHead>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinaryHead {
    pub name: String,
    pub weights: Vec<f32>,
    pub bias: f32,
    /// A probability at or above this fires the signal.
    pub threshold: f32,
}

/// What the learned classifier read in one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnedOpinion {
    pub category: String,
    pub category_p: f32,
    /// Each binary head's probability, by name.
    pub scores: BTreeMap<String, f32>,
    /// The heads at or above their threshold.
    pub fired: Vec<String>,
}

impl LearnedOpinion {
    pub fn fired(&self, head: &str) -> bool {
        self.fired.iter().any(|f| f == head)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    #[error("the head file does not parse: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("the head file is version {0}, this build reads version {HEAD_VERSION}")]
    Version(u32),
    #[error("the head file's shapes do not match its dimension {0}")]
    Shape(usize),
}

fn dot(w: &[f32], x: &[f32]) -> f64 {
    w.iter()
        .zip(x)
        .map(|(a, b)| f64::from(*a) * f64::from(*b))
        .sum()
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn softmax(z: &[f64]) -> Vec<f64> {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - max).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.into_iter().map(|v| v / sum).collect()
}

impl Head {
    /// Parses and checks a head file.
    pub fn from_json(text: &str) -> Result<Head, HeadError> {
        let head: Head = serde_json::from_str(text)?;
        if head.version != HEAD_VERSION {
            return Err(HeadError::Version(head.version));
        }
        let ok = head.category_weights.len() == head.categories.len()
            && head.category_bias.len() == head.categories.len()
            && head.category_weights.iter().all(|w| w.len() == head.dim)
            && head.signals.iter().all(|s| s.weights.len() == head.dim);
        if !ok {
            return Err(HeadError::Shape(head.dim));
        }
        Ok(head)
    }

    /// The opinion on one embedding (of `self.dim` values).
    pub fn predict(&self, x: &[f32]) -> LearnedOpinion {
        let z: Vec<f64> = self
            .category_weights
            .iter()
            .zip(&self.category_bias)
            .map(|(w, b)| dot(w, x) + f64::from(*b))
            .collect();
        let p = softmax(&z);
        let (best, best_p) =
            p.iter().enumerate().fold(
                (0, f64::MIN),
                |acc, (i, v)| if *v > acc.1 { (i, *v) } else { acc },
            );
        let mut scores = BTreeMap::new();
        let mut fired = Vec::new();
        for s in &self.signals {
            let prob = sigmoid(dot(&s.weights, x) + f64::from(s.bias)) as f32;
            if prob >= s.threshold {
                fired.push(s.name.clone());
            }
            scores.insert(s.name.clone(), round3(prob));
        }
        LearnedOpinion {
            category: self.categories.get(best).cloned().unwrap_or_default(),
            category_p: round3(best_p as f32),
            scores,
            fired,
        }
    }
}

fn round3(v: f32) -> f32 {
    (v * 1000.0).round() / 1000.0
}

/// One training example: an embedding and what is known about it (`None`: nothing, for that
/// head).
#[derive(Debug, Clone)]
pub struct Example {
    pub x: Vec<f32>,
    pub category: Option<String>,
    pub signals: BTreeMap<String, bool>,
}

/// Training settings.
#[derive(Debug, Clone, Copy)]
pub struct TrainOptions {
    pub epochs: usize,
    pub learning_rate: f64,
    pub l2: f64,
    /// Each binary head's threshold is the lowest that reaches this held-out precision.
    pub min_precision: f64,
    /// The same for the safety heads ([`SAFETY_HEADS`]).
    pub min_precision_safety: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            epochs: 400,
            learning_rate: 2.0,
            l2: 1e-4,
            min_precision: 0.9,
            min_precision_safety: 0.8,
        }
    }
}

/// Class-balanced logistic regression; `None` without both classes.
fn logistic(data: &[(&[f32], bool)], dim: usize, opts: TrainOptions) -> Option<(Vec<f64>, f64)> {
    let pos = data.iter().filter(|(_, y)| *y).count();
    let neg = data.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    // Each class weighs half of the loss.
    let (wp, wn) = (0.5 / pos as f64, 0.5 / neg as f64);
    let mut sw = vec![0f64; dim];
    let mut sb = 0f64;
    for _ in 0..opts.epochs {
        let mut g = vec![0f64; dim];
        let mut gb = 0f64;
        for (x, y) in data {
            let z = sw
                .iter()
                .zip(x.iter())
                .map(|(a, v)| a * f64::from(*v))
                .sum::<f64>()
                + sb;
            let (t, weight) = if *y { (1.0, wp) } else { (0.0, wn) };
            let d = weight * (sigmoid(z) - t);
            for (gi, v) in g.iter_mut().zip(x.iter()) {
                *gi += d * f64::from(*v);
            }
            gb += d;
        }
        for (wi, gi) in sw.iter_mut().zip(&g) {
            *wi -= opts.learning_rate * (gi + opts.l2 * *wi);
        }
        sb -= opts.learning_rate * gb;
    }
    Some((sw, sb))
}

/// The lowest threshold in 0.50, 0.55, …, 0.95 at which the held-out precision reaches
/// `min_precision` (0.95 when none does; 0.5 with nothing held out that fires).
fn pick_threshold(held: &[(&[f32], bool)], w: &[f64], b: f64, min_precision: f64) -> f64 {
    let probs: Vec<(f64, bool)> = held
        .iter()
        .map(|(x, y)| {
            let z = w
                .iter()
                .zip(x.iter())
                .map(|(a, v)| a * f64::from(*v))
                .sum::<f64>()
                + b;
            (sigmoid(z), *y)
        })
        .collect();
    for step in 0..10 {
        let t = 0.5 + 0.05 * f64::from(step);
        let fired: Vec<bool> = probs
            .iter()
            .filter(|(p, _)| *p >= t)
            .map(|(_, y)| *y)
            .collect();
        if fired.is_empty() {
            return t;
        }
        let precision = fired.iter().filter(|y| **y).count() as f64 / fired.len() as f64;
        if precision >= min_precision {
            return t;
        }
    }
    0.95
}

/// Trains every head on `examples` (each of `dim` values). Class weights balance each binary
/// head's positives and negatives, so a rare signal is not learned as "never". Deterministic.
pub fn train(examples: &[Example], dim: usize, model: &str, opts: TrainOptions) -> Head {
    let mut categories: Vec<String> = examples.iter().filter_map(|e| e.category.clone()).collect();
    categories.sort();
    categories.dedup();
    let mut trained_on = BTreeMap::new();
    for c in &categories {
        let n = examples
            .iter()
            .filter(|e| e.category.as_ref() == Some(c))
            .count();
        trained_on.insert(format!("category:{c}"), n);
    }
    trained_on.insert("epochs".into(), opts.epochs);

    // Softmax regression for the category.
    let labelled: Vec<(&[f32], usize)> = examples
        .iter()
        .filter_map(|e| {
            let c = e.category.as_ref()?;
            let i = categories.binary_search(c).ok()?;
            Some((e.x.as_slice(), i))
        })
        .collect();
    let k = categories.len();
    let mut w = vec![vec![0f64; dim]; k];
    let mut b = vec![0f64; k];
    if !labelled.is_empty() {
        let n = labelled.len() as f64;
        for _ in 0..opts.epochs {
            let mut gw = vec![vec![0f64; dim]; k];
            let mut gb = vec![0f64; k];
            for (x, y) in &labelled {
                let z: Vec<f64> = (0..k)
                    .map(|c| {
                        w[c].iter()
                            .zip(x.iter())
                            .map(|(a, v)| a * f64::from(*v))
                            .sum::<f64>()
                            + b[c]
                    })
                    .collect();
                let p = softmax(&z);
                for c in 0..k {
                    let d = p[c] - if c == *y { 1.0 } else { 0.0 };
                    for (g, v) in gw[c].iter_mut().zip(x.iter()) {
                        *g += d * f64::from(*v);
                    }
                    gb[c] += d;
                }
            }
            for c in 0..k {
                for (wi, gi) in w[c].iter_mut().zip(&gw[c]) {
                    *wi -= opts.learning_rate * (gi / n + opts.l2 * *wi);
                }
                b[c] -= opts.learning_rate * gb[c] / n;
            }
        }
    }

    let mut signals = Vec::new();
    for name in SIGNAL_HEADS {
        let data: Vec<(&[f32], bool)> = examples
            .iter()
            .filter_map(|e| e.signals.get(name).map(|y| (e.x.as_slice(), *y)))
            .collect();
        let pos = data.iter().filter(|(_, y)| *y).count();
        let neg = data.len() - pos;
        trained_on.insert(format!("{name}:positive"), pos);
        trained_on.insert(format!("{name}:negative"), neg);
        if pos == 0 || neg == 0 {
            // A head with nothing to learn from never fires.
            signals.push(BinaryHead {
                name: name.to_owned(),
                weights: vec![0.0; dim],
                bias: -30.0,
                threshold: 0.5,
            });
            continue;
        }
        // The threshold is chosen on every fifth example, held out, as the lowest at which
        // the head's precision reaches `opts.min_precision`; then the head is trained on all.
        let (held, rest): (Vec<_>, Vec<_>) = data.iter().enumerate().partition(|(i, _)| i % 5 == 4);
        let rest: Vec<(&[f32], bool)> = rest.into_iter().map(|(_, d)| *d).collect();
        let held: Vec<(&[f32], bool)> = held.into_iter().map(|(_, d)| *d).collect();
        // A safety head's miss leaves a threat with an automatic reply; its false alarm costs
        // a person's minute: those heads favour recall. The question head's false alarm holds a
        // refund that should run, so it keeps the stricter target.
        let target = if SAFETY_HEADS.contains(&name) {
            opts.min_precision_safety
        } else {
            opts.min_precision
        };
        let threshold = match logistic(&rest, dim, opts) {
            Some((w, b)) => pick_threshold(&held, &w, b, target),
            None => 0.5,
        };
        trained_on.insert(
            format!("{name}:threshold_pct"),
            (threshold * 100.0).round() as usize,
        );
        let (w, b) = logistic(&data, dim, opts).unwrap_or((vec![0.0; dim], -30.0));
        signals.push(BinaryHead {
            name: name.to_owned(),
            weights: w.iter().map(|v| *v as f32).collect(),
            bias: b as f32,
            threshold: threshold as f32,
        });
    }
    Head {
        version: HEAD_VERSION,
        model: model.to_owned(),
        dim,
        trained_on,
        categories,
        category_weights: w
            .iter()
            .map(|r| r.iter().map(|v| *v as f32).collect())
            .collect(),
        category_bias: b.iter().map(|v| *v as f32).collect(),
        signals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two clusters in 4 dimensions: "refund-like" around e0, "legal-like" around e1.
    fn examples() -> Vec<Example> {
        let mut out = Vec::new();
        for i in 0..20 {
            let j = i as f32 / 100.0;
            out.push(Example {
                x: vec![1.0 - j, j, 0.0, 0.1],
                category: Some("support_refund".into()),
                signals: [("legal".to_owned(), false)].into(),
            });
            out.push(Example {
                x: vec![j, 1.0 - j, 0.1, 0.0],
                category: Some("unknown".into()),
                signals: [("legal".to_owned(), true)].into(),
            });
        }
        out
    }

    #[test]
    fn learns_separable_heads_and_is_deterministic() {
        let a = train(&examples(), 4, "test-model", TrainOptions::default());
        let b = train(&examples(), 4, "test-model", TrainOptions::default());
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        let o = a.predict(&[0.95, 0.05, 0.0, 0.1]);
        assert_eq!(o.category, "support_refund");
        assert!(!o.fired("legal"), "{o:?}");
        let o = a.predict(&[0.05, 0.95, 0.1, 0.0]);
        assert_eq!(o.category, "unknown");
        assert!(o.fired("legal"), "{o:?}");
        // A head with no examples never fires.
        assert!(!o.fired("angry"));
        // The file round-trips and is checked.
        let text = serde_json::to_string(&a).unwrap();
        assert_eq!(Head::from_json(&text).unwrap(), a);
        let mut bad = a.clone();
        bad.signals[0].weights.pop();
        assert!(matches!(
            Head::from_json(&serde_json::to_string(&bad).unwrap()),
            Err(HeadError::Shape(4))
        ));
    }
}
