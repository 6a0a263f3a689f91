//! `skill bench retrieval`: does the local index find what a customer means? Every Bitext dev
//! utterance is indexed, then each one is asked for its 5 nearest other utterances by BM25,
//! by MiniLM and by both fused; the share with the same intent (intent-precision@5) says how
//! well each mode groups messages by what they are about, which is what retrieval-first
//! context needs.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use support_index::LocalIndex;
use support_retrieval::{
    DocType, Document, Embed, Filter, Metadata, Query, QueryMode, VectorStore,
};

use super::{Latency, fail, start_minilm};
use crate::exit::CliError;

/// `eval/retrieval/bitext_dev_intents.csv`, in the binary so the bench runs anywhere.
const DATASET: &str = include_str!("../../../../../eval/retrieval/bitext_dev_intents.csv");
const APP: &str = "bitext";
const NEIGHBOURS: usize = 5;

/// One customer message and its intent label.
pub struct Utterance {
    pub text: String,
    pub intent: String,
}

/// The dataset's rows in file order, the first `limit` of them when given.
pub fn utterances(limit: Option<usize>) -> Result<Vec<Utterance>, CliError> {
    let mut reader = csv::Reader::from_reader(DATASET.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records().take(limit.unwrap_or(usize::MAX)) {
        let record = record.map_err(fail)?;
        let (Some(text), Some(intent)) = (record.get(0), record.get(1)) else {
            return Err(fail("bitext_dev_intents.csv: a row without two columns"));
        };
        rows.push(Utterance {
            text: text.to_owned(),
            intent: intent.to_owned(),
        });
    }
    Ok(rows)
}

#[derive(Debug, Serialize)]
pub struct ModeReport {
    /// Mean over queries of (neighbours with the query's intent) / 5; a query with fewer than
    /// 5 neighbours counts the missing ones as misses.
    pub precision_at_5: f64,
    /// Each query's time in `VectorStore::query`, its embedding included (dense, hybrid).
    pub latency: Latency,
    /// The same precision over each intent's queries: where a mode confuses intents.
    pub by_intent: BTreeMap<String, f64>,
}

#[derive(Debug, Serialize)]
pub struct RetrievalReport {
    pub dataset: &'static str,
    pub utterances: usize,
    pub intents: usize,
    pub model: String,
    pub dimensions: usize,
    /// Upserting every utterance in one batch, embedding included.
    pub index_ms: f64,
    pub sparse: ModeReport,
    pub dense: ModeReport,
    pub hybrid: ModeReport,
}

pub async fn run(model_dir: &Path, limit: Option<usize>) -> Result<RetrievalReport, CliError> {
    let rows = utterances(limit)?;
    if rows.len() <= NEIGHBOURS {
        return Err(CliError::new(
            crate::exit::INVALID,
            format!("--limit must leave more than {NEIGHBOURS} utterances"),
        ));
    }
    let queue = start_minilm(model_dir, "").await?;
    let model = queue.model_id().to_owned();
    let dimensions = queue.dim();
    let embedder: Arc<dyn Embed> = Arc::new(queue);

    let dir = tempfile::tempdir().map_err(fail)?;
    let path = dir.path().to_owned();
    let store = tokio::task::spawn_blocking(move || LocalIndex::open(path, Some(embedder)))
        .await
        .map_err(fail)?
        .map_err(fail)?;
    let docs: Vec<Document> = rows
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let mut metadata = Metadata::new(DocType::Conversation, APP);
            metadata.category = Some(u.intent.clone());
            Document {
                id: id(i),
                data: u.text.clone(),
                metadata,
            }
        })
        .collect();
    // One upsert, so one commit and one segment: BM25's ties fall the same way every run,
    // which batches merged in the background would not guarantee.
    let started = Instant::now();
    store.upsert(docs).await.map_err(fail)?;
    let index_ms = started.elapsed().as_secs_f64() * 1e3;
    let stats = store.stats().map_err(fail)?;
    if stats.vectors != rows.len() as u64 {
        return Err(fail(format!(
            "{} of {} utterances got a vector",
            stats.vectors,
            rows.len()
        )));
    }

    let filter = Filter::parse(&format!("appId = '{APP}'")).map_err(fail)?;
    let by_id: HashMap<String, usize> = (0..rows.len()).map(|i| (id(i), i)).collect();
    let mut modes = Vec::new();
    for mode in [QueryMode::Sparse, QueryMode::Dense, QueryMode::Hybrid] {
        modes.push(score(&store, &rows, &by_id, &filter, mode).await?);
    }
    let [sparse, dense, hybrid] =
        <[ModeReport; 3]>::try_from(modes).map_err(|_| fail("three modes were scored"))?;
    Ok(RetrievalReport {
        dataset: "eval/retrieval/bitext_dev_intents.csv",
        utterances: rows.len(),
        intents: rows
            .iter()
            .map(|u| u.intent.as_str())
            .collect::<BTreeSet<_>>()
            .len(),
        model,
        dimensions,
        index_ms,
        sparse,
        dense,
        hybrid,
    })
}

fn id(row: usize) -> String {
    format!("bitext-{row:05}")
}

/// Every utterance as a query: 6 hits, itself dropped, the first 5 others compared by intent.
async fn score(
    store: &LocalIndex,
    rows: &[Utterance],
    by_id: &HashMap<String, usize>,
    filter: &Filter,
    mode: QueryMode,
) -> Result<ModeReport, CliError> {
    let mut times = Vec::with_capacity(rows.len());
    let mut precision = 0.0;
    // intent -> (sum of precisions, queries)
    let mut by_intent: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for (i, u) in rows.iter().enumerate() {
        let mut q = Query::new(u.text.clone());
        q.top_k = NEIGHBOURS + 1;
        q.filter = Some(filter.clone());
        q.mode = mode;
        let started = Instant::now();
        let hits = store.query(&q).await.map_err(fail)?;
        times.push(started.elapsed());
        let own = id(i);
        let same = hits
            .iter()
            .filter(|h| h.id != own)
            .take(NEIGHBOURS)
            .filter(|h| {
                by_id
                    .get(&h.id)
                    .is_some_and(|&j| rows[j].intent == u.intent)
            })
            .count();
        let p = same as f64 / NEIGHBOURS as f64;
        precision += p;
        let entry = by_intent.entry(u.intent.clone()).or_default();
        entry.0 += p;
        entry.1 += 1;
    }
    Ok(ModeReport {
        precision_at_5: precision / rows.len() as f64,
        latency: Latency::of(times),
        by_intent: by_intent
            .into_iter()
            .map(|(intent, (sum, n))| (intent, sum / n as f64))
            .collect(),
    })
}
