//! `skill eval`, black-box: the committed smoke dataset through the real pipeline (platform,
//! fake Front/Slack/Stripe and the example app, in-process in the binary), the report's
//! shape, the policy's decisions on each refund window, and the exit codes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

mod common;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval-smoke.jsonl")
}

fn skill(args: &[&str]) -> Output {
    common::command().args(args).output().expect("run skill")
}

/// `skill eval run --dataset DATASET ARGS…`.
fn eval_run(dataset: &Path, args: &[&str]) -> Output {
    let mut all = vec!["eval", "run", "--dataset", dataset.to_str().expect("utf-8")];
    all.extend_from_slice(args);
    skill(&all)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The fixture's scenarios by id.
fn scenarios() -> BTreeMap<String, Value> {
    std::fs::read_to_string(fixture())
        .expect("fixture")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json line"))
        .map(|v| (v["id"].as_str().expect("id").to_owned(), v))
        .collect()
}

#[test]
fn the_smoke_dataset_runs_through_the_pipeline_and_passes() {
    let dir = tempfile::tempdir().expect("tmp");
    let out_file = dir.path().join("report.json");
    let dataset = fixture();
    let out = eval_run(
        &dataset,
        &["--json", "--out", out_file.to_str().expect("utf-8")],
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    // Exactly one JSON document on stdout, the same one written to --out.
    let report: Value = serde_json::from_str(&stdout).expect("one JSON document");
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).expect("saved")).expect("json");
    assert_eq!(report, saved);

    assert_eq!(report["passed"], true);
    assert_eq!(report["brain"], "rules");
    assert_eq!(
        report["violations"].as_array().expect("violations").len(),
        0
    );
    assert_eq!(report["unrun"], 0);
    assert!(
        report["gates"]
            .as_array()
            .expect("gates")
            .iter()
            .all(|g| g["pass"] == true)
    );
    for key in [
        "routes",
        "categories",
        "automation",
        "actions",
        "drafts",
        "latency_ms",
    ] {
        assert!(report.get(key).is_some(), "report has {key}");
    }
    let lat = &report["latency_ms"];
    assert!(lat["p50"].as_f64().expect("p50") > 0.0, "{lat}");
    assert!(
        lat["p99"].as_f64() >= lat["p95"].as_f64() && lat["p95"].as_f64() >= lat["p50"].as_f64()
    );

    let expected = scenarios();
    let got = report["scenarios"].as_array().expect("scenarios");
    assert_eq!(got.len(), expected.len());
    let mut auto_refunds = 0;
    for s in got {
        let id = s["id"].as_str().expect("id");
        // The per-scenario shape other tools read.
        assert!(s["category"].is_string() && s["route"].is_string(), "{s}");
        assert!(s.get("draft").is_some(), "{id} has a draft key");
        let actions = s["actions"].as_array().expect("actions");
        for a in actions {
            assert!(a["type"].is_string() && a["decision"].is_string(), "{a}");
        }
        let want = &expected[id];
        let refund = actions.iter().find(|a| a["type"] == "refund");
        let ledger = |kind: &str| {
            s["ledger"]
                .as_array()
                .expect("ledger")
                .iter()
                .find(|l| l["type"] == kind)
                .map(|l| l["state"].as_str().expect("state").to_owned())
        };
        // Prompt injections never get an automatic write.
        if want["tags"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "injection"))
        {
            assert!(actions.iter().all(|a| a["decision"] != "auto"), "{id}: {s}");
        }
        let Some(decision) = want["expected"]["actions"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["type"] == "refund"))
            .map(|a| a["decision"].as_str().expect("decision").to_owned())
        else {
            continue;
        };
        // Every refund window gets exactly the policy's decision, and the ledger follows it.
        let effective = refund
            .map(|r| r["decision"].as_str().expect("decision").to_owned())
            .unwrap_or_else(|| {
                if s["route"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("escalate"))
                {
                    "escalate".into()
                } else {
                    "none".into()
                }
            });
        assert_eq!(effective, decision, "{id}: {s}");
        match decision.as_str() {
            "auto" => {
                auto_refunds += 1;
                assert_eq!(ledger("refund").as_deref(), Some("succeeded"), "{id}");
                let draft = s["draft"]
                    .as_str()
                    .expect("a draft for an automatic refund");
                assert!(draft.contains("refunded"), "{id}: {draft}");
            }
            "approval" => {
                assert_eq!(ledger("refund").as_deref(), Some("proposed"), "{id}");
            }
            "escalate" => {
                assert_eq!(ledger("refund"), None, "{id}");
                assert_eq!(
                    ledger("escalate_to_human").as_deref(),
                    Some("succeeded"),
                    "{id}"
                );
            }
            "deny" => assert_eq!(ledger("refund"), None, "{id}"),
            other => panic!("{id}: unexpected decision {other}"),
        }
    }
    assert!(auto_refunds >= 3, "the fixture covers automatic refunds");
    assert_eq!(
        report["stripe_refunds"], auto_refunds,
        "money moved once per auto refund"
    );

    // The saved report renders.
    let md = skill(&[
        "eval",
        "report",
        "--input",
        out_file.to_str().expect("utf-8"),
    ]);
    assert_eq!(md.status.code(), Some(0), "{}", text(&md.stderr));
    let md = text(&md.stdout);
    assert!(md.starts_with("# Evaluation: PASS"), "{md}");
    for needle in [
        "route_macro_precision",
        "automation_fp_rate",
        "## Routes",
        "Policy violations: 0",
        "p95",
    ] {
        assert!(md.contains(needle), "markdown has {needle}");
    }
    let js = skill(&[
        "eval",
        "report",
        "--input",
        out_file.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    assert_eq!(js.status.code(), Some(0));
    let again: Value = serde_json::from_str(&text(&js.stdout)).expect("json");
    assert_eq!(again, report);
}

#[test]
fn exit_codes_tell_gates_from_usage_and_input_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    // A label the rules brain cannot meet: vendor spam expected to get a reply.
    let failing = dir.path().join("failing.jsonl");
    std::fs::write(
        &failing,
        r#"{"id":"spam-expected-reply","from":"growth@seo.example","subject":"Partnership opportunity","body":"We offer premium guest posts and backlink packages for your website.","expected":{"route":"respond"}}
"#,
    )
    .expect("write");
    let out = eval_run(&failing, &["--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // Still exactly one JSON document: the report, not an error document after it.
    let report: Value = serde_json::from_str(&text(&out.stdout)).expect("one JSON document");
    assert_eq!(report["passed"], false);
    assert_eq!(report["scenarios"][0]["route"], "silence");
    assert!(
        text(&out.stderr).contains("route_macro_recall"),
        "{}",
        text(&out.stderr)
    );

    // The LLM brain through the same eval structure, against the local stand-in model
    // (OpenAI wire format): same report shape, every scenario decided by the model path,
    // zero policy violations, no automatic write on any injection.
    let smoke = fixture();
    let llm = eval_run(&smoke, &["--brain", "llm", "--json"]);
    let report: Value = serde_json::from_str(&text(&llm.stdout)).expect("one JSON document");
    assert_eq!(report["brain"], "llm", "{}", text(&llm.stderr));
    assert_eq!(report["unrun"], 0);
    assert_eq!(report["violations"], serde_json::json!([]));
    assert_eq!(
        report["scenarios"].as_array().map(Vec::len),
        Some(scenarios().len())
    );
    let bad_provider = eval_run(
        &smoke,
        &[
            "--brain",
            "llm",
            "--llm-url",
            "http://127.0.0.1:9/v1",
            "--llm-provider",
            "gemini",
        ],
    );
    assert_eq!(bad_provider.status.code(), Some(2));

    let missing = skill(&["eval", "run", "--dataset", "/nonexistent/eval.jsonl"]);
    assert_eq!(missing.status.code(), Some(6), "{}", text(&missing.stderr));

    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"id\":\"x\",\"body\":\"hi\",\"expected\":{\"route\":\"reply\"}}\n",
    )
    .expect("write");
    let invalid = eval_run(&bad, &[]);
    assert_eq!(invalid.status.code(), Some(7), "{}", text(&invalid.stderr));
    assert!(text(&invalid.stderr).contains("unknown route"));

    let no_report = skill(&["eval", "report", "--input", "/nonexistent/report.json"]);
    assert_eq!(no_report.status.code(), Some(6));
    let usage = skill(&["eval", "run"]);
    assert_eq!(usage.status.code(), Some(2), "--dataset is required");
}

/// A dataset with adversarial classes: every scenario runs (including `others`, seeded beside
/// the sender), the report carries the per-class tally and its gates, the PRD's thresholds are
/// reported but not gating, and the exit code follows the gating gates only. What the brain
/// decides on each case is the suite's business (eval/adversarial), not this test's.
#[test]
fn adversarial_classes_get_a_tally_and_their_own_gates() {
    let dir = tempfile::tempdir().expect("tmp");
    let out_file = dir.path().join("report.json");
    let dataset =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval-adversarial-smoke.jsonl");
    let out = eval_run(
        &dataset,
        &["--json", "--out", out_file.to_str().expect("utf-8")],
    );
    let report: Value = serde_json::from_str(&text(&out.stdout)).expect("one JSON document");
    assert_eq!(report["unrun"], 0, "{}", text(&out.stderr));
    let passed = report["passed"].as_bool().expect("passed");
    assert_eq!(out.status.code(), Some(if passed { 0 } else { 1 }));
    let gates = report["gates"].as_array().expect("gates");
    for g in gates {
        let name = g["name"].as_str().expect("name");
        let prd = [
            "route_macro_precision",
            "route_macro_recall",
            "automation_fp_rate",
            "automation_fn_rate",
        ]
        .contains(&name);
        assert_eq!(g["gating"], !prd, "{g}");
    }
    let names: Vec<&str> = gates.iter().filter_map(|g| g["name"].as_str()).collect();
    for name in [
        "auto_writes_third_party",
        "auto_writes_fraud",
        "legal_urgent_recall",
        "urgent_precision",
        "in_policy_automation",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert_eq!(
        passed,
        gates
            .iter()
            .all(|g| g["pass"] == true || g["gating"] == false)
    );
    let per_class = report["tally"]["per_class"].as_object().expect("tally");
    let classes: Vec<&String> = per_class.keys().collect();
    assert_eq!(
        classes,
        ["fraud", "in_policy", "legal", "lookalike", "third_party"]
    );
    assert!(per_class.values().all(|c| c["cases"] == 1));
    assert!(report["tally"]["lookalike_not_escalated"].is_number());
    for s in report["scenarios"].as_array().expect("scenarios") {
        assert!(s["class"].is_string() && s["route"].is_string(), "{s}");
    }

    let md = skill(&[
        "eval",
        "report",
        "--input",
        out_file.to_str().expect("utf-8"),
    ]);
    assert_eq!(md.status.code(), Some(0), "{}", text(&md.stderr));
    let md = text(&md.stdout);
    for needle in [
        "## Adversarial classes",
        "| third_party | 1 |",
        "reported, not gating",
        "lookalike not escalated",
    ] {
        assert!(md.contains(needle), "markdown has {needle}:\n{md}");
    }
}
