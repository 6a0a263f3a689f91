//! `skill brain train` as a user runs it: the same file and model give the same bytes, bad
//! input is refused with a line number and exit 7 before anything is written, a missing model
//! is exit 6. The committed tiny BERT (support-embed's fixture) stands in for MiniLM, so this
//! runs everywhere; the real head is trained with the real model (eval/brain/README.md).

mod common;

use std::path::{Path, PathBuf};

fn tiny_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../support-embed/tests/tiny-bert")
}

fn train(data: &Path, out: &Path, model: &Path) -> std::process::Output {
    common::command()
        .args([
            "--json",
            "brain",
            "train",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--model-dir",
            model.to_str().unwrap(),
            "--epochs",
            "50",
        ])
        .output()
        .unwrap()
}

const DATA: &str = r#"{"text": "please refund my course", "labels": {"category": "support_refund", "question": 0, "legal": 0}}
{"text": "when will my refund arrive?", "labels": {"category": "support_refund", "question": 1, "legal": 0}}
{"text": "my lawyer will send you a formal demand", "labels": {"category": null, "legal": 1}}
{"text": "I cannot log in to my account", "labels": {"category": "support_access", "legal": 0}}
{"text": "you will hear from my attorney", "labels": {"legal": 1}}
"#;

#[test]
fn training_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("train.jsonl");
    std::fs::write(&data, DATA).unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    for out in [&a, &b] {
        let o = train(&data, out, &tiny_model());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(report["examples"], 5);
        assert_eq!(report["trained_on"]["legal:positive"], 2);
    }
    let (a, b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_eq!(a, b, "the same data and model give the same bytes");
    let head = support_core::learned::Head::from_json(std::str::from_utf8(&a).unwrap()).unwrap();
    assert_eq!(head.model, "tiny-bert");
    assert_eq!(
        head.categories,
        vec!["support_access".to_owned(), "support_refund".to_owned()]
    );
}

#[test]
fn bad_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("head.json");
    for (bad, needle) in [
        (
            "{\"text\": \"x\", \"labels\": {\"category\": \"refunds\"}}\n",
            "unknown category",
        ),
        (
            "{\"text\": \"x\", \"labels\": {\"legal\": 2}}\n",
            "not 0 or 1",
        ),
        (
            "{\"text\": \"x\", \"labels\": {}, \"extra\": 1}\n",
            "unknown field",
        ),
        ("\n", "no examples"),
    ] {
        let data = dir.path().join("bad.jsonl");
        std::fs::write(&data, bad).unwrap();
        let o = train(&data, &out, &tiny_model());
        assert_eq!(o.status.code(), Some(7), "{bad}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains(needle), "{bad}: {stderr}");
        assert!(!out.exists());
    }
    let data = dir.path().join("good.jsonl");
    std::fs::write(&data, DATA).unwrap();
    let o = train(&data, &out, &dir.path().join("no-model-here"));
    assert_eq!(o.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&o.stderr).contains("skill models fetch"));
    let o = train(&dir.path().join("missing.jsonl"), &out, &tiny_model());
    assert_eq!(o.status.code(), Some(6));
    assert!(!out.exists());
}

#[test]
fn the_bundled_head_matches_its_model_and_shapes() {
    let head = support_core::learned::Head::from_json(support_agent::learned::BUNDLED_HEAD)
        .expect("the committed head parses");
    assert_eq!(head.model, "all-minilm-l6-v2");
    assert_eq!(head.dim, 384);
    assert_eq!(
        head.signals.len(),
        support_core::learned::SIGNAL_HEADS.len()
    );
}
