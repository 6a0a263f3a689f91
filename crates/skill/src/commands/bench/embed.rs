//! `skill bench embed`: embeddings per second at batch 1 and 32 and peak memory on the 2,000
//! reference texts, plus the lowest cosine to sentence-transformers' vectors for them (so a
//! fast but wrong embedder cannot pass).

use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use support_embed::{EmbedOptions, Embedder, reference};

use super::peak_rss_mib;
use crate::exit::{self, CliError};

#[derive(Debug, Serialize)]
pub struct EmbedReport {
    pub model: String,
    pub dimensions: usize,
    pub texts: usize,
    pub passes: usize,
    /// Matrix-product threads (candle's, sized to the machine unless RAYON_NUM_THREADS).
    pub threads: usize,
    pub load_ms: f64,
    /// Median over the passes; one text per call, waiting for each.
    pub batch1_per_s: f64,
    /// Median over the passes; all texts in one call, 32 per forward pass.
    pub batch32_per_s: f64,
    pub min_cosine_to_reference: f64,
    /// Peak resident memory of this process (VmHWM), model loaded and both runs done.
    pub peak_rss_mib: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub fn run(model_dir: &Path, texts: usize, passes: usize) -> Result<EmbedReport, CliError> {
    let all = reference::texts();
    let texts = texts.clamp(1, all.len());
    let sample = &all[..texts];
    let passes = passes.max(1);

    let started = Instant::now();
    let batch32 = Embedder::load_with(
        model_dir,
        EmbedOptions {
            max_batch: 32,
            ..EmbedOptions::default()
        },
    )
    .map_err(|e| {
        CliError::new(
            exit::NOT_FOUND,
            format!("{e}; `skill models fetch` installs the model"),
        )
    })?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    let fail = |e: support_embed::EmbedError| CliError::failure(e.to_string());
    // Warm-up: first-touch allocations and thread start-up stay out of the figures.
    batch32
        .embed(&sample[..sample.len().min(64)])
        .map_err(fail)?;

    let mut one_rates = Vec::new();
    let mut batch_rates = Vec::new();
    let mut vectors = Vec::new();
    for _ in 0..passes {
        let t = Instant::now();
        for text in sample {
            batch32.embed(&[*text]).map_err(fail)?;
        }
        one_rates.push(sample.len() as f64 / t.elapsed().as_secs_f64());

        let t = Instant::now();
        vectors = batch32.embed(sample).map_err(fail)?;
        batch_rates.push(sample.len() as f64 / t.elapsed().as_secs_f64());
    }
    let expected = reference::vectors();
    let min_cosine = vectors
        .iter()
        .zip(&expected)
        .map(|(a, b)| reference::cosine(a, b))
        .fold(1.0, f64::min);
    Ok(EmbedReport {
        model: batch32.model_id().to_owned(),
        dimensions: batch32.dim(),
        texts,
        passes,
        threads: candle_threads(),
        load_ms,
        batch1_per_s: median(one_rates),
        batch32_per_s: median(batch_rates),
        min_cosine_to_reference: min_cosine,
        peak_rss_mib: peak_rss_mib(),
    })
}

fn candle_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
