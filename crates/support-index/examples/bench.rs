//! Builds an index of N synthetic documents with a hashed bag-of-words embedder (so the
//! model's own cost is left out) and times indexing, reopening and queries.
//!
//! `cargo run --release -p support-index --example bench -- [N] [BATCH] [DIM]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use support_index::{LocalIndex, synthetic};
use support_retrieval::{Embed, EmbedFailure, Filter, Query, QueryMode, VectorStore};

struct HashEmbed(usize);

#[async_trait]
impl Embed for HashEmbed {
    fn model_id(&self) -> &str {
        "hash-bow"
    }

    fn dim(&self) -> usize {
        self.0
    }

    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedFailure> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = vec![0f32; self.0];
                for w in t.split_whitespace() {
                    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
                    for b in w.bytes() {
                        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
                    }
                    v[(h % self.0 as u64) as usize] += 1.0;
                }
                v
            })
            .collect())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers: N BATCH DIM"))
        .collect();
    let n = args.first().copied().unwrap_or(10_000);
    let batch = args.get(1).copied().unwrap_or(500);
    let dim = args.get(2).copied().unwrap_or(384);
    let dir = tempfile::tempdir().expect("tempdir");
    let embedder: Arc<dyn Embed> = Arc::new(HashEmbed(dim));

    let store = LocalIndex::open(dir.path(), Some(embedder.clone())).expect("open");
    let took = synthetic::build(&store, n, 4, batch, 1)
        .await
        .expect("build");
    println!(
        "indexed {n} docs ({dim} dims, batches of {batch}) in {:.2?}: {:.0} docs/s",
        took,
        n as f64 / took.as_secs_f64()
    );
    drop(store);

    let start = Instant::now();
    let store = LocalIndex::open(dir.path(), Some(embedder)).expect("reopen");
    println!("reopened in {:.2?}", start.elapsed());
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(rss) = status.lines().find(|l| l.starts_with("VmRSS"))
    {
        println!("{rss} (this process, after building and reopening)");
    }

    // One small upsert at a time, as ingestion writes: the cost of a commit.
    let mut times = Vec::new();
    for (i, mut doc) in synthetic::documents(50, 4, 2).into_iter().enumerate() {
        doc.id = format!("single-{i:03}");
        let start = Instant::now();
        store.upsert(vec![doc]).await.expect("upsert");
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "single-document upserts: p50 {:.2?}, p95 {:.2?}",
        percentile(&times, 0.5),
        percentile(&times, 0.95)
    );

    let texts = [
        "refund charged twice",
        "cannot access lesson video",
        "reset password magic link expired",
        "invoice tax country",
        "cancel subscription renew",
    ];
    // The last three are `skill bench search`'s query: one app and type, text and metadata.
    let app_type = "appId = 'app-3' AND type = 'conversation'";
    for (mode, filter, data) in [
        (QueryMode::Sparse, "appId = 'app-1'", false),
        (QueryMode::Dense, "appId = 'app-1'", false),
        (QueryMode::Hybrid, "appId = 'app-1'", false),
        (
            QueryMode::Hybrid,
            "appId = 'app-1' AND type = 'knowledge' AND trustScore > 0.5",
            false,
        ),
        (
            QueryMode::Hybrid,
            "appId = 'app-1' OR trustScore > 0.99",
            false,
        ),
        (QueryMode::Hybrid, app_type, true),
        (QueryMode::Sparse, app_type, true),
        (QueryMode::Dense, app_type, true),
    ] {
        let mut times = Vec::new();
        for i in 0..200 {
            let mut q = Query::new(texts[i % texts.len()]);
            q.mode = mode;
            q.top_k = 10;
            q.include_metadata = true;
            q.include_data = data;
            q.filter = Some(Filter::parse(filter).expect("filter"));
            let start = Instant::now();
            let hits = store.query(&q).await.expect("query");
            times.push(start.elapsed());
            assert!(!hits.is_empty());
        }
        times.sort();
        println!(
            "{mode:?} [{filter}]{}: p50 {:.2?}, p95 {:.2?}, p99 {:.2?}, max {:.2?}",
            if data { " +data" } else { "" },
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            percentile(&times, 0.99),
            times[times.len() - 1]
        );
    }
}
