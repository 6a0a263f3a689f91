//! Classifies JSON Lines scenarios (the `skill eval` dataset shape: `subject`, `body`,
//! `expected.category`, `expected.route`) with the rules classifier and routing only, and
//! prints what disagrees plus per-source accuracy. For tuning the lexicon on
//! `eval/build_dataset.py --tune` output, never on the dev set that measures it:
//!
//!     cargo run -q -p support-core --example classify < /tmp/tune.jsonl

use std::collections::BTreeMap;
use std::io::BufRead;

use support_core::classify::classify;
use support_core::routing::route;
use support_core::signals::detect;

fn main() {
    let mut by_source: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            eprintln!("skipped a line that is not JSON");
            continue;
        };
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
}
