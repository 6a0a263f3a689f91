//! `skill bench retrieval`: does the local index find what a customer means? Every utterance
//! of a labelled set is indexed, then each one is asked for its 5 nearest other utterances by
//! BM25, by MiniLM and by both fused; the share with the same intent (intent-precision@5) says
//! how well each mode groups messages by what they are about, which is what retrieval-first
//! context needs.
//!
//! Two sets (`eval/retrieval/README.md`): `dev` (Bitext, the figure we report) and `tune`
//! (BANKING77, another source), the only one the hybrid fusion's parameters may be chosen on:
//! `--sweep` scores a grid of fusions offline from each query's dense and sparse lists, and is
//! refused on `dev`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use support_index::LocalIndex;
use support_index::fusion::{self, Fusion};
use support_retrieval::{
    DocType, Document, Embed, Filter, Metadata, Query, QueryMode, VectorStore,
};

use super::{Latency, fail, start_minilm};
use crate::exit::CliError;

/// `eval/retrieval/bitext_dev_intents.csv`, in the binary so the bench runs anywhere.
const DEV: &str = include_str!("../../../../../eval/retrieval/bitext_dev_intents.csv");
/// `eval/retrieval/banking77_tune_intents.csv`, likewise.
const TUNE: &str = include_str!("../../../../../eval/retrieval/banking77_tune_intents.csv");
const APP: &str = "bitext";
const NEIGHBOURS: usize = 5;

/// One customer message and its intent label.
pub struct Utterance {
    pub text: String,
    pub intent: String,
}

/// Which labelled set the bench runs on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Dataset {
    /// Bitext dev, 3,612 utterances, 27 intents: the reported figure; never tuned on.
    #[default]
    Dev,
    /// BANKING77, every 3rd training row, 3,335 utterances, 77 intents: the only set
    /// the hybrid fusion may be tuned on.
    Tune,
}

impl Dataset {
    pub fn path(self) -> &'static str {
        match self {
            Dataset::Dev => "eval/retrieval/bitext_dev_intents.csv",
            Dataset::Tune => "eval/retrieval/banking77_tune_intents.csv",
        }
    }

    fn text(self) -> &'static str {
        match self {
            Dataset::Dev => DEV,
            Dataset::Tune => TUNE,
        }
    }
}

/// The dataset's rows in file order, the first `limit` of them when given.
pub fn utterances(dataset: Dataset, limit: Option<usize>) -> Result<Vec<Utterance>, CliError> {
    let mut reader = csv::Reader::from_reader(dataset.text().as_bytes());
    let mut rows = Vec::new();
    for record in reader.records().take(limit.unwrap_or(usize::MAX)) {
        let record = record.map_err(fail)?;
        let (Some(text), Some(intent)) = (record.get(0), record.get(1)) else {
            return Err(fail(format!(
                "{}: a row without two columns",
                dataset.path()
            )));
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

/// One fusion of the sweep and its intent-precision@5.
#[derive(Debug, Serialize)]
pub struct SweepRow {
    pub fusion: String,
    pub precision_at_5: f64,
    /// The fusion `LocalIndex` uses for hybrid queries.
    pub current: bool,
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
    /// The hybrid mode's fusion.
    pub fusion: String,
    pub sparse: ModeReport,
    pub dense: ModeReport,
    pub hybrid: ModeReport,
    /// With `--sweep` (tune only): each candidate fusion, scored offline from each query's
    /// dense and sparse lists as the index fuses them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sweep: Vec<SweepRow>,
}

/// What `--sweep` tries: plain and dense-weighted RRF at two constants, and DBSF with the
/// same dense weights.
fn sweep_grid() -> Vec<Fusion> {
    let weights = [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 8.0];
    let mut grid = Vec::new();
    for k in [20.0, 60.0] {
        grid.extend(weights.map(|dense_weight| Fusion::Rrf { k, dense_weight }));
    }
    grid.extend(weights.map(|dense_weight| Fusion::Dbsf { dense_weight }));
    grid
}

pub async fn run(
    model_dir: &Path,
    dataset: Dataset,
    limit: Option<usize>,
    sweep: bool,
) -> Result<RetrievalReport, CliError> {
    if sweep && dataset != Dataset::Tune {
        return Err(CliError::new(
            crate::exit::INVALID,
            "--sweep chooses the fusion's parameters, so it runs on --dataset tune only",
        ));
    }
    let rows = utterances(dataset, limit)?;
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
    let sweep = if sweep {
        sweep_fusions(&store, &rows, &by_id, &filter).await?
    } else {
        Vec::new()
    };
    Ok(RetrievalReport {
        dataset: dataset.path(),
        utterances: rows.len(),
        intents: rows
            .iter()
            .map(|u| u.intent.as_str())
            .collect::<BTreeSet<_>>()
            .len(),
        model,
        dimensions,
        index_ms,
        fusion: Fusion::DEFAULT.label(),
        sparse,
        dense,
        hybrid,
        sweep,
    })
}

/// Each query's dense and sparse lists as a hybrid query for `NEIGHBOURS + 1` hits fetches
/// them, fused by every fusion of the grid; intent-precision@5 of each.
async fn sweep_fusions(
    store: &LocalIndex,
    rows: &[Utterance],
    by_id: &HashMap<String, usize>,
    filter: &Filter,
) -> Result<Vec<SweepRow>, CliError> {
    let grid = sweep_grid();
    let depth = fusion::hybrid_depth(NEIGHBOURS + 1).min(rows.len());
    let mut sums = vec![0.0; grid.len()];
    for (i, u) in rows.iter().enumerate() {
        let mut lists = Vec::with_capacity(2);
        for mode in [QueryMode::Dense, QueryMode::Sparse] {
            let mut q = Query::new(u.text.clone());
            q.top_k = depth;
            q.filter = Some(filter.clone());
            q.mode = mode;
            let hits = store.query(&q).await.map_err(fail)?;
            lists.push(
                hits.into_iter()
                    .map(|h| (h.id, h.score))
                    .collect::<Vec<(String, f64)>>(),
            );
        }
        for (f, sum) in grid.iter().zip(&mut sums) {
            let fused = fusion::fuse(*f, &lists[0], &lists[1], NEIGHBOURS + 1);
            *sum += precision_of(rows, by_id, i, fused.iter().map(|(id, _)| id.as_str()));
        }
    }
    Ok(grid
        .iter()
        .zip(sums)
        .map(|(f, sum)| SweepRow {
            fusion: f.label(),
            precision_at_5: sum / rows.len() as f64,
            current: *f == Fusion::DEFAULT,
        })
        .collect())
}

/// The share of the first 5 hits other than utterance `i` itself that have its intent.
fn precision_of<'a>(
    rows: &[Utterance],
    by_id: &HashMap<String, usize>,
    i: usize,
    hits: impl Iterator<Item = &'a str>,
) -> f64 {
    let own = id(i);
    let same = hits
        .filter(|h| *h != own)
        .take(NEIGHBOURS)
        .filter(|h| {
            by_id
                .get(*h)
                .is_some_and(|&j| rows[j].intent == rows[i].intent)
        })
        .count();
    same as f64 / NEIGHBOURS as f64
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
        let p = precision_of(rows, by_id, i, hits.iter().map(|h| h.id.as_str()));
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
