//! Quick timing of the embedder on the reference texts (one at a time, then 32 per pass):
//! `cargo run --release -p support-embed --example speed -- MODEL_DIR [TEXTS] [1|32]`
//! (the last argument times only that batch size, for a profiler).
//! `skill bench embed` is the reported benchmark; this is for working on the encoder.

use std::time::Instant;
use support_embed::{EmbedOptions, Embedder, reference};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("model folder");
    let n: usize = args.next().map_or(500, |s| s.parse().expect("a count"));
    let only: Option<usize> = args.next().map(|s| s.parse().expect("1 or 32"));
    let texts = reference::texts();
    let texts = &texts[..n.min(texts.len())];
    let e = Embedder::load_with(
        dir.as_ref(),
        EmbedOptions {
            max_batch: 32,
            threads: std::env::var("EMBED_THREADS").map_or(0, |s| s.parse().expect("a count")),
        },
    )
    .expect("load");
    e.embed(&texts[..32.min(texts.len())]).expect("warm-up");
    let mut one = 0.0;
    if only != Some(32) {
        let t = Instant::now();
        for text in texts {
            e.embed(&[*text]).expect("embed");
        }
        one = texts.len() as f64 / t.elapsed().as_secs_f64();
    }
    let mut batch = 0.0;
    if only != Some(1) {
        let t = Instant::now();
        e.embed(texts).expect("embed");
        batch = texts.len() as f64 / t.elapsed().as_secs_f64();
    }
    println!(
        "{} texts: batch 1 {one:.1}/s, batch 32 {batch:.1}/s",
        texts.len()
    );
}
