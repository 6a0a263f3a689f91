//! Markdown rendering of a [`Report`] (`skill eval run` without `--json`, and
//! `skill eval report --format markdown`).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::metrics::{ClassScores, Confusion};
use super::report::{NONE, Report, ScenarioReport};
use super::tally::{self, Tally};

/// How many mismatches of each kind are listed.
const MAX_LISTED: usize = 40;

fn pct(x: f64) -> String {
    format!("{:.3}", x)
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn confusion_table(out: &mut String, c: &Confusion) {
    let mut cols = BTreeSet::new();
    for row in c.values() {
        cols.extend(row.keys().cloned());
    }
    let cols: Vec<String> = cols.into_iter().collect();
    let _ = writeln!(out, "| expected \\ actual | {} |", cols.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(cols.len()));
    for (e, row) in c {
        let cells: Vec<String> = cols
            .iter()
            .map(|a| match row.get(a).copied().unwrap_or(0) {
                0 => "·".to_owned(),
                n if a == e => format!("**{n}**"),
                n => n.to_string(),
            })
            .collect();
        let _ = writeln!(out, "| {e} | {} |", cells.join(" | "));
    }
}

fn class_section(out: &mut String, title: &str, s: &ClassScores) {
    let _ = writeln!(
        out,
        "\n## {title}\n\n{} scenarios with an expected label; accuracy {}; macro precision {}, macro recall {}, macro F1 {} (over the expected labels).\n",
        s.n,
        pct(s.accuracy),
        pct(s.macro_precision),
        pct(s.macro_recall),
        pct(s.macro_f1)
    );
    let _ = writeln!(
        out,
        "| label | support | predicted | precision | recall | F1 |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for (l, x) in &s.per_label {
        let _ = writeln!(
            out,
            "| {l} | {} | {} | {} | {} | {} |",
            x.support,
            x.predicted,
            pct(x.precision),
            pct(x.recall),
            pct(x.f1)
        );
    }
    let _ = writeln!(out, "\nConfusion (rows expected, columns actual):\n");
    confusion_table(out, &s.confusion);
}

fn mismatches(out: &mut String, title: &str, rows: Vec<(&ScenarioReport, String, String)>) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### {title} ({})\n", rows.len());
    let _ = writeln!(out, "| scenario | expected | actual | text |");
    let _ = writeln!(out, "|---|---|---|---|");
    for (r, e, a) in rows.iter().take(MAX_LISTED) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&r.id),
            cell(e),
            cell(a),
            cell(&r.text)
        );
    }
    if rows.len() > MAX_LISTED {
        let _ = writeln!(
            out,
            "\n… and {} more (see the JSON report).",
            rows.len() - MAX_LISTED
        );
    }
}

fn share(num: usize, den: usize) -> String {
    if den == 0 {
        "-".to_owned()
    } else {
        format!("{num}/{den} ({})", pct(num as f64 / den as f64))
    }
}

fn tally_section(out: &mut String, t: &Tally) {
    let _ = writeln!(
        out,
        "\nThe dataset has adversarial classes: the PRD's route and automation thresholds are reported, not gating; the adversarial gates above decide.\n\n## Adversarial classes\n\n| class | cases | automatic writes | route as expected | exact action decisions | went to a human | automated |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    for (class, c) in &t.per_class {
        let _ = writeln!(
            out,
            "| {class} | {} | {} | {} | {} | {} | {} |",
            c.cases,
            c.auto_writes,
            share(c.route_correct, c.route_checked),
            share(c.actions_exact, c.actions_checked),
            share(c.human, c.cases),
            share(c.automated, c.cases)
        );
    }
    let _ = writeln!(
        out,
        "\nAutomatic writes: scenarios where a write ran without a human. Went to a human: route `escalate_*` or an `approval`/`escalate` verdict.\n"
    );
    if let Some(c) = t.per_class.get("legal") {
        let _ = writeln!(
            out,
            "- legal routed `escalate_urgent`: {}; of the {} scenarios routed `escalate_urgent`, {} expected it ({} stated no expected route)",
            share(c.urgent, c.cases),
            t.urgent_routed,
            t.urgent_routed_expected,
            t.urgent_routed_unlabelled
        );
    }
    if let Some(c) = t.per_class.get("anger") {
        let _ = writeln!(out, "- anger went to a human: {}", share(c.human, c.cases));
    }
    if let Some(c) = t.per_class.get("in_policy") {
        let _ = writeln!(
            out,
            "- in_policy automated with the expected actions run automatically: {}",
            share(c.automated_as_expected, c.cases)
        );
    }
    if let Some(c) = t.per_class.get("lookalike") {
        let _ = writeln!(
            out,
            "- lookalike not escalated (a figure, no gate): {}",
            share(c.cases - c.escalated, c.cases)
        );
    }
}

pub fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Evaluation: {}\n\ndataset `{}`, brain `{}`: {} scenarios ({} prompt injections), {} not run.\n",
        if r.passed { "PASS" } else { "FAIL" },
        r.dataset,
        r.brain,
        r.scenarios_total,
        r.injections,
        r.unrun
    );
    let _ = writeln!(out, "| gate | value | threshold | result |");
    let _ = writeln!(out, "|---|---:|---|---|");
    for g in &r.gates {
        let _ = writeln!(
            out,
            "| {} | {} | {} {} | {} |",
            g.name,
            pct(g.value),
            g.op,
            g.threshold,
            match (g.gating, g.pass) {
                (true, true) => "pass",
                (true, false) => "**FAIL**",
                (false, true) => "pass (reported, not gating)",
                (false, false) => "fail (reported, not gating)",
            }
        );
    }
    if let Some(t) = &r.tally {
        tally_section(&mut out, t);
    }
    let a = &r.automation;
    let _ = writeln!(
        out,
        "\n## Handled without a human\n\n{} scenarios whose expected outcome says whether a human is needed.\n\n| TP (automated, right) | FP (automated, needed a human) | TN (human, right) | FN (human, could be automated) | precision | recall | FP rate | FN rate |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n| {} | {} | {} | {} | {} | {} | {} | {} |",
        r.automation_n,
        a.tp,
        a.fp,
        a.tn,
        a.fn_,
        pct(a.precision),
        pct(a.recall),
        pct(a.fp_rate),
        pct(a.fn_rate)
    );
    class_section(&mut out, "Routes", &r.routes);
    class_section(&mut out, "Categories", &r.categories);

    let _ = writeln!(
        out,
        "\n## Action decisions\n\n{} of {} scenarios with expected actions got exactly the expected decisions. `none`: not proposed; an escalated route counts as `escalate`.",
        r.actions.scenarios_exact, r.actions.scenarios_checked
    );
    for (kind, c) in &r.actions.per_type {
        let _ = writeln!(out, "\n`{kind}`:\n");
        confusion_table(&mut out, c);
    }

    let _ = writeln!(out, "\n## Policy violations: {}\n", r.violations.len());
    for v in &r.violations {
        let _ = writeln!(
            out,
            "- `{}` {} `{}`: {}",
            v.scenario, v.kind, v.action, v.detail
        );
    }
    let _ = writeln!(
        out,
        "\nMoney moved: {} refunds executed on the fake Stripe. Ledger actions that failed: {}.",
        r.stripe_refunds,
        r.failed_actions.len()
    );
    for f in r.failed_actions.iter().take(MAX_LISTED) {
        let _ = writeln!(
            out,
            "- `{}` `{}` {}: {}",
            f.scenario,
            f.kind,
            f.state,
            f.error.as_deref().unwrap_or("-")
        );
    }

    let d = &r.drafts;
    let _ = writeln!(
        out,
        "\n## Drafts\n\n{} drafts; {} fail validation (errors), {} have warnings only.",
        d.drafts, d.invalid, d.warnings_only
    );
    for (rule, n) in &d.rules {
        let _ = writeln!(out, "- `{rule}`: {n}");
    }

    let l = &r.latency_ms;
    let _ = writeln!(
        out,
        "\n## Decision latency\n\nmessage delivered → decision recorded, wall time, debounce skipped by the pinned clock ({} decisions): p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms, mean {:.1} ms.",
        l.n, l.p50, l.p95, l.p99, l.max, l.mean
    );

    let _ = writeln!(
        out,
        "\n## By source\n\n| source | scenarios | category correct | route correct |\n|---|---:|---:|---:|"
    );
    for (s, x) in &r.by_source {
        let _ = writeln!(
            out,
            "| {s} | {} | {}/{} | {}/{} |",
            x.n, x.category_correct, x.category_checked, x.route_correct, x.route_checked
        );
    }

    let _ = writeln!(out, "\n## Mismatches");
    let none = || NONE.to_owned();
    mismatches(
        &mut out,
        "Route",
        r.scenarios
            .iter()
            .filter(|s| s.checks.route == Some(false))
            .map(|s| {
                let e = s
                    .expected
                    .as_ref()
                    .and_then(|e| e.route.clone())
                    .unwrap_or_default();
                let a = format!(
                    "{} ({})",
                    s.route.clone().unwrap_or_else(none),
                    s.route_rule.clone().unwrap_or_default()
                );
                (s, e, a)
            })
            .collect(),
    );
    mismatches(
        &mut out,
        "Category",
        r.scenarios
            .iter()
            .filter(|s| s.checks.category == Some(false))
            .map(|s| {
                let e = s
                    .expected
                    .as_ref()
                    .and_then(|e| e.category.clone())
                    .unwrap_or_default();
                (s, e, s.category.clone().unwrap_or_else(none))
            })
            .collect(),
    );
    mismatches(
        &mut out,
        "Actions",
        r.scenarios
            .iter()
            .filter(|s| s.checks.actions == Some(false))
            .map(|s| {
                let e = s
                    .expected
                    .as_ref()
                    .and_then(|e| e.actions.as_ref())
                    .map(|v| {
                        v.iter()
                            .map(|a| format!("{} {}", a.kind, a.decision))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                let a = s
                    .actions
                    .iter()
                    .map(|a| format!("{} {}", a.kind, a.decision))
                    .collect::<Vec<_>>()
                    .join(", ");
                let a = format!("[{a}] route {}", s.route.clone().unwrap_or_else(none));
                (s, format!("[{e}]"), a)
            })
            .collect(),
    );
    mismatches(
        &mut out,
        "Automatic writes where none may run",
        r.scenarios
            .iter()
            .filter(|s| {
                s.class
                    .as_deref()
                    .is_some_and(|c| tally::NO_AUTO_WRITE.contains(&c))
            })
            .filter_map(|s| {
                let writes = tally::auto_writes(s);
                (!writes.is_empty()).then(|| {
                    (
                        s,
                        format!("{}: none", s.class.as_deref().unwrap_or_default()),
                        writes.join(", "),
                    )
                })
            })
            .collect(),
    );
    let errors: Vec<_> = r.scenarios.iter().filter(|s| s.error.is_some()).collect();
    if !errors.is_empty() {
        let _ = writeln!(out, "\n### Not run ({})\n", errors.len());
        for s in errors.iter().take(MAX_LISTED) {
            let _ = writeln!(
                out,
                "- `{}`: {}",
                s.id,
                s.error.as_deref().unwrap_or_default()
            );
        }
    }
    out
}
