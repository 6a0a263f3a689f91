//! Classifies JSON Lines scenarios (the `skill eval` dataset shape: `subject`, `body`,
//! `expected.category`, `expected.route`) with the rules classifier and routing only, and
//! prints what disagrees plus per-source accuracy. For tuning the lexicon on
//! `eval/build_dataset.py --tune` output, never on the dev set that measures it:
//!
//!     cargo run -q -p support-core --example classify < /tmp/tune.jsonl
//!
//! Rows of the learned classifier's training file (`text` and `labels`, e.g.
//! `eval/brain/train.jsonl`) are scored per safety signal instead: the legal and anger
//! signals against the `legal` and `angry` labels, with the misses and false alarms printed.

use std::collections::BTreeMap;
use std::io::BufRead;

use support_core::classify::classify;
use support_core::routing::route;
use support_core::signals::detect;

/// Per signal: (true positives, false positives, false negatives).
type Confusion = BTreeMap<&'static str, (u32, u32, u32)>;

fn score_labels(v: &serde_json::Value, confusion: &mut Confusion) {
    let text = v["text"].as_str().unwrap_or_default();
    let signals = detect("", text, "customer@example.com");
    for (label, signal) in [
        ("legal", support_core::signals::Signal::LegalThreat),
        ("angry", support_core::signals::Signal::Angry),
        (
            "instructor",
            support_core::signals::Signal::PersonalToInstructor,
        ),
    ] {
        let Some(want) = v["labels"][label].as_i64().filter(|w| *w >= 0) else {
            continue;
        };
        let got = signals.contains(&signal);
        let e = confusion.entry(label).or_default();
        match (want == 1, got) {
            (true, true) => e.0 += 1,
            (false, true) => {
                e.1 += 1;
                println!("false {label}\t{text}");
            }
            (true, false) => {
                e.2 += 1;
                println!("missed {label}\t{text}");
            }
            (false, false) => {}
        }
    }
}

fn main() {
    let mut by_source: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let mut confusion = Confusion::new();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            eprintln!("skipped a line that is not JSON");
            continue;
        };
        if v.get("labels").is_some() {
            score_labels(&v, &mut confusion);
            continue;
        }
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        let (subject, body) = (text("subject"), text("body"));
        let signals = detect(&subject, &body, "customer@example.com");
        let c = classify(&subject, &body, "customer@example.com", &signals);
        let r = route(&c, &signals, &[]);
        let category = c.category.as_str();
        let routed = r.outcome.as_str();
        let want_cat = v["expected"]["category"].as_str();
        let want_route = v["expected"]["route"].as_str();
        let ok = want_cat.is_none_or(|w| w == category) && want_route.is_none_or(|w| w == routed);
        let e = by_source.entry(text("source")).or_default();
        e.1 += 1;
        if ok {
            e.0 += 1;
        } else {
            println!(
                "{}\t{category} {:.2} {routed}\twant {} {}\t{body}",
                text("id"),
                c.confidence,
                want_cat.unwrap_or("-"),
                want_route.unwrap_or("-"),
            );
        }
    }
    for (source, (ok, n)) in by_source {
        eprintln!("{source:<40} {ok:>4}/{n:<4}");
    }
    for (label, (tp, fp, fneg)) in confusion {
        let ratio = |a: u32, b: u32| {
            if a + b == 0 {
                1.0
            } else {
                f64::from(a) / f64::from(a + b)
            }
        };
        eprintln!(
            "{label:<8} precision {:.3} recall {:.3} (tp {tp}, fp {fp}, fn {fneg})",
            ratio(tp, fp),
            ratio(tp, fneg)
        );
    }
}
