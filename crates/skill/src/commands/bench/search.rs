//! `skill bench search`: search speed at scale. N synthetic documents (`support_index::synthetic`)
//! over several apps go into a fresh `LocalIndex` through the embedder, the index is reopened
//! as a restarted server would, and Q queries run with one app's filter: hybrid (the default
//! mode, the target), then sparse and dense alone to show where the time goes. A query's time
//! includes embedding its text.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Serialize;
use support_index::{LocalIndex, synthetic};
use support_retrieval::{Embed, EmbedFailure, Filter, Query, QueryMode, VectorStore};

use super::{Latency, fail, peak_rss_mib, start_minilm};
use crate::exit::{self, CliError};
use crate::output::term::Progress;

/// The documents' seed; the query texts come from another one.
const DOC_SEED: u64 = 1;
const QUERY_SEED: u64 = 7;
const TOP_K: usize = 10;
/// Queries run before timing starts (first-touch of pages and threads).
const WARM_UP: usize = 20;
const HASHED_DIM: usize = 384;

/// What turns texts into vectors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum EmbedderKind {
    /// all-MiniLM-L6-v2 behind the server's embedding queue.
    #[default]
    Minilm,
    /// A deterministic hashed bag of words (384 dims): no model, nearly free, so the figures
    /// are the index's own.
    Hashed,
}

/// Words hashed into a fixed number of buckets (FNV-1a); the index normalises the vector.
/// Stands in for the model when only the index's cost is of interest.
struct HashedEmbed;

#[async_trait]
impl Embed for HashedEmbed {
    fn model_id(&self) -> &str {
        "hashed-bow-384"
    }

    fn dim(&self) -> usize {
        HASHED_DIM
    }

    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedFailure> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = vec![0f32; HASHED_DIM];
                for w in t.split_whitespace() {
                    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
                    for b in w.to_lowercase().bytes() {
                        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
                    }
                    v[(h % HASHED_DIM as u64) as usize] += 1.0;
                }
                v
            })
            .collect())
    }
}

pub struct SearchArgs<'a> {
    pub docs: usize,
    pub queries: usize,
    pub apps: usize,
    pub batch: usize,
    pub embedder: EmbedderKind,
    pub model_dir: Option<&'a Path>,
    pub json: bool,
}

#[derive(Debug, Serialize)]
pub struct SearchReport {
    /// `minilm` or `hashed`.
    pub embedder: &'static str,
    pub model: String,
    pub dimensions: usize,
    pub docs: usize,
    pub apps: usize,
    pub batch: usize,
    /// Upserting every document, embedding included.
    pub index_s: f64,
    pub docs_per_s: f64,
    /// Opening the built index again (every stored document read, vectors loaded).
    pub reopen_ms: f64,
    pub queries: usize,
    pub top_k: usize,
    pub filter: String,
    /// Documents the filter lets through.
    pub filter_matches: usize,
    pub hybrid: Latency,
    pub sparse: Latency,
    pub dense: Latency,
    /// VmHWM of this process: indexing, the model and the queries.
    pub peak_rss_mib: f64,
}

/// The query texts: the opening 2 to 5 words of other synthetic documents, so they use the
/// corpus's vocabulary (a topic, then ordinary words).
pub fn query_texts(n: usize) -> Vec<String> {
    synthetic::documents(n, 1, QUERY_SEED)
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            d.data
                .split_whitespace()
                .take(2 + i % 4)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

pub async fn run(args: SearchArgs<'_>) -> Result<SearchReport, CliError> {
    if args.docs == 0 || args.queries == 0 || args.apps < 4 {
        return Err(CliError::new(
            exit::INVALID,
            "--docs and --queries must be positive and --apps at least 4 (the filter names app-3)",
        ));
    }
    let (embedder, name): (Arc<dyn Embed>, &'static str) = match args.embedder {
        EmbedderKind::Minilm => {
            let dir = args
                .model_dir
                .ok_or_else(|| fail("no model folder for --embedder minilm"))?;
            let or = " (or --embedder hashed measures the index without it)";
            (Arc::new(start_minilm(dir, or).await?), "minilm")
        }
        EmbedderKind::Hashed => (Arc::new(HashedEmbed), "hashed"),
    };
    let filter_text = "appId = 'app-3' AND type = 'conversation'";
    let filter = Filter::parse(filter_text).map_err(fail)?;

    let dir = tempfile::tempdir().map_err(fail)?;
    let store = open(dir.path(), embedder.clone()).await?;
    let docs = synthetic::documents(args.docs, args.apps, DOC_SEED);
    let filter_matches = docs
        .iter()
        .filter(|d| filter.matches(&d.metadata.to_value()))
        .count();
    let batch = args.batch.max(1);
    let mut progress = Progress::new("indexed batches", args.docs.div_ceil(batch), args.json);
    let started = Instant::now();
    let mut docs = docs.into_iter().peekable();
    while docs.peek().is_some() {
        store
            .upsert(docs.by_ref().take(batch).collect())
            .await
            .map_err(fail)?;
        progress.tick();
    }
    let index_s = started.elapsed().as_secs_f64();
    progress.finish();
    drop(progress);
    let stats = store.stats().map_err(fail)?;
    if stats.vectors != args.docs as u64 {
        return Err(fail(format!(
            "{} of {} documents got a vector",
            stats.vectors, args.docs
        )));
    }
    drop(store);

    let started = Instant::now();
    let store = open(dir.path(), embedder.clone()).await?;
    let reopen_ms = started.elapsed().as_secs_f64() * 1e3;

    let texts = query_texts(args.queries);
    let query = |text: &str, mode: QueryMode| {
        let mut q = Query::new(text);
        q.top_k = TOP_K;
        q.filter = Some(filter.clone());
        q.mode = mode;
        // What the brain's context step asks for: the snippet and its metadata.
        q.include_data = true;
        q.include_metadata = true;
        q
    };
    for text in texts.iter().cycle().take(WARM_UP) {
        store
            .query(&query(text, QueryMode::Hybrid))
            .await
            .map_err(fail)?;
    }
    let mut latencies = Vec::new();
    for mode in [QueryMode::Hybrid, QueryMode::Sparse, QueryMode::Dense] {
        let mut times: Vec<Duration> = Vec::with_capacity(texts.len());
        for text in &texts {
            let q = query(text, mode);
            let started = Instant::now();
            store.query(&q).await.map_err(fail)?;
            times.push(started.elapsed());
        }
        latencies.push(Latency::of(times));
    }
    let [hybrid, sparse, dense] =
        <[Latency; 3]>::try_from(latencies).map_err(|_| fail("three modes were timed"))?;
    drop(store);
    Ok(SearchReport {
        embedder: name,
        model: embedder.model_id().to_owned(),
        dimensions: embedder.dim(),
        docs: args.docs,
        apps: args.apps,
        batch,
        index_s,
        docs_per_s: args.docs as f64 / index_s,
        reopen_ms,
        queries: args.queries,
        top_k: TOP_K,
        filter: filter_text.to_owned(),
        filter_matches,
        hybrid,
        sparse,
        dense,
        peak_rss_mib: peak_rss_mib(),
    })
}

async fn open(dir: &Path, embedder: Arc<dyn Embed>) -> Result<LocalIndex, CliError> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || LocalIndex::open(dir, Some(embedder)))
        .await
        .map_err(fail)?
        .map_err(fail)
}
