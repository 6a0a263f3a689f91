//! The embedded hybrid index, the platform's default [`VectorStore`]: BM25 on tantivy and
//! exact cosine search over the documents' vectors, in one directory, for every app (each
//! query names its tenant with `appId = '…'` in its filter).
//!
//! # On disk
//!
//! ```text
//! <dir>/bm25/         the tantivy index: id, data (en_stem), raw type/appId/category
//!                     terms, the metadata JSON stored; its last commit's payload is
//!                     {"seq": N}, the number of the last batch it holds
//! <dir>/vectors.log   the vectors, an append-only log of batches (format in `vectors`)
//! ```
//!
//! # Commit protocol
//!
//! One writer thread owns the [`tantivy::IndexWriter`] and the log. Upserts and deletes
//! are queued to it; whatever has queued up while it was committing becomes the next batch
//! (group commit: a commit costs some 17 fsyncs), with the next sequence number `N`:
//!
//! 1. the batch's vector changes (PUT, or CLEAR for a deleted document or one whose
//!    embedding failed) and a COMMIT record carrying `N` are appended to `vectors.log`
//!    and fsynced;
//! 2. the documents are deleted and re-added in tantivy, which commits with the payload
//!    `{"seq": N}` (tantivy writes its `meta.json` atomically and fsyncs);
//! 3. only then are the new searcher and vectors published to queries, together.
//!
//! Tantivy's commit is the commit point. At open, the log is replayed only up to the
//! sequence number in tantivy's payload: a batch killed between 1 and 2 is in the log but
//! newer than tantivy, so it is dropped and cut off, and a batch killed during 1 is torn or
//! lacks its COMMIT record, so it is cut off too. Every batch is then wholly there (text
//! and vectors) or wholly absent. Whatever still disagrees (a document with no vector after
//! a lost log) is re-derived: it becomes *pending* and [`LocalIndex::reembed_pending`]
//! embeds it again. Re-embedding only appends PUTs under the current sequence number, no
//! tantivy commit: the text they belong to is already committed.
//!
//! A failure in the middle of step 2 leaves the writer in an unknown state, so the store
//! refuses further writes until it is reopened (queries go on from the last published
//! state); reopening applies the rule above.
//!
//! # Queries
//!
//! - Sparse: BM25 over `data`, words analyzed as indexed. The filter's `appId`/`type`/
//!   `category` equality conjuncts narrow inside tantivy; every candidate is re-checked
//!   with [`Filter::matches`](support_retrieval::Filter::matches), and the candidate list
//!   grows until `top_k` pass or none are left, so any filter is exact.
//! - Dense: exact dot products over the unit vectors in memory, kept in one matrix per
//!   `appId` and `type`; the filter's top-level `appId`/`type` equality conjuncts pick the
//!   matrices to scan (all of them for a filter without such conjuncts, e.g. an `OR`), a
//!   scan of more than 32k rows is split over two threads, and the filter is evaluated on
//!   the metadata kept beside each vector, for every vector that would enter the top list,
//!   so it is exact too.
//! - Hybrid: both lists, each `max(4·top_k, 50)` long, fused by [`fusion::Fusion::DEFAULT`]:
//!   reciprocal rank fusion with k = 20 and the dense list weighted 8 (chosen on a tuning
//!   set, decision 0013's amendment of stop 15): a document gets `8 / (20 + rank)` from the
//!   dense list and `1 / (20 + rank)` from the sparse one, so BM25 reorders what the
//!   embedding finds close, and a document third in both lists still beats the first of
//!   one.
//!
//! Without an embedder the store is keyword-only. When the embedder is busy or down, a
//! hybrid query runs as sparse, a dense one fails with `Unavailable` (the caller asked for
//! cosine scores and decides on the fallback), and an upsert keeps its documents as
//! pending rather than losing them.

mod bm25;
pub mod fusion;
mod narrow;
pub mod synthetic;
mod vectors;
mod writer;

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;

use async_trait::async_trait;
use serde_json::Value;
use support_retrieval::{
    BoxError, Capabilities, Document, Embed, EmbedFailure, Hit, Query, QueryMode, RangePage,
    StoreError, StoreInfo, VectorStore,
};
use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexWriter, ReloadPolicy};
use tokio::sync::oneshot;

use crate::bm25::Stored;
use crate::fusion::Fusion;
use crate::vectors::{ModelKey, VectorLog, VectorSet};
use crate::writer::{Job, Prepared, Shared, State, Writer};

pub use crate::vectors::Recovery;

/// Tantivy's indexing memory: one indexing thread (the machine has few cores and queries
/// need them) with a budget large enough that a batch rarely flushes mid-way.
const WRITER_MEMORY: usize = 64 << 20;
/// How hybrid queries fuse their two lists (see [`fusion`]).
const FUSION: Fusion = Fusion::DEFAULT;
/// Texts per embedder call, so one huge upsert does not hold the model for long.
const EMBED_BATCH: usize = 64;
/// Ids are raw tantivy terms; a longer one would not be indexed.
const MAX_ID_BYTES: usize = 512;
const VECTOR_FILE: &str = "vectors.log";
const BM25_DIR: &str = "bm25";

/// The embedded hybrid index. Cheap to clone; all clones share one writer thread, which
/// stops (and releases the directory) when the last clone is dropped.
#[derive(Clone)]
pub struct LocalIndex {
    inner: Arc<Inner>,
}

/// Counts beyond [`StoreInfo`], for tests, benchmarks and a status page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexStats {
    pub documents: u64,
    /// Documents that have a vector now.
    pub vectors: u64,
    pub pending: u64,
    /// The last committed batch.
    pub seq: u64,
    /// What opening the index had to repair.
    pub recovery: Recovery,
}

struct Inner {
    dir: PathBuf,
    shared: Arc<Shared>,
    embedder: Option<Arc<dyn Embed>>,
    /// The embedder's model and dimension, when there is an embedder.
    model: Option<ModelKey>,
    recovery: Recovery,
    /// The last few query vectors by query text: one decision searches knowledge, similar
    /// tickets and trusted replies with the same text, and embedding it is most of a
    /// search's time.
    recent_queries: std::sync::Mutex<RecentQueries>,
    /// To the writer thread; taken on drop so the thread ends.
    jobs: Option<mpsc::Sender<Job>>,
    writer_thread: Option<JoinHandle<()>>,
}

/// Waits for the writer thread, so that when the last handle is gone the directory lock is
/// released and the index can be opened again at once. Blocks for at most one commit.
impl Drop for Inner {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.writer_thread.take() {
            let _ = thread.join();
        }
    }
}

pub(crate) fn storage(e: impl Into<BoxError>) -> StoreError {
    StoreError::Storage(e.into())
}

pub(crate) fn payload(seq: u64) -> String {
    serde_json::json!({ "seq": seq }).to_string()
}

fn parse_payload(payload: Option<&str>) -> Result<u64, StoreError> {
    let Some(p) = payload else { return Ok(0) };
    serde_json::from_str::<Value>(p)
        .ok()
        .and_then(|v| v.get("seq")?.as_u64())
        .ok_or_else(|| storage(format!("unexpected tantivy commit payload {p:?}")))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f).await.map_err(storage)?
}

impl LocalIndex {
    /// Opens the index in `dir`, creating it if needed, and recovers from any interrupted
    /// write (see the crate docs). Blocking: it reads every stored document once to load
    /// the vectors' metadata. With `embedder`, vectors of another model (or dimension) are
    /// discarded and every document becomes pending. Fails if another process (or another
    /// `LocalIndex` in this one) has the index open.
    pub fn open(
        dir: impl AsRef<Path>,
        embedder: Option<Arc<dyn Embed>>,
    ) -> Result<Self, StoreError> {
        let dir = dir.as_ref().to_owned();
        let bm25_dir = dir.join(BM25_DIR);
        std::fs::create_dir_all(&bm25_dir).map_err(storage)?;
        let (schema, fields) = bm25::schema();
        let mmap = MmapDirectory::open(&bm25_dir).map_err(storage)?;
        let index = Index::open_or_create(mmap, schema).map_err(storage)?;
        let tantivy: IndexWriter = index
            .writer_with_num_threads(1, WRITER_MEMORY)
            .map_err(storage)?;
        let seq = parse_payload(index.load_metas().map_err(storage)?.payload.as_deref())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(storage)?;
        let searcher = reader.searcher();

        let model = embedder.as_ref().map(|e| ModelKey {
            model: e.model_id().to_owned(),
            dim: e.dim(),
        });
        let (mut log, mut logged, mut recovery) =
            VectorLog::open(&dir.join(VECTOR_FILE), seq, model.as_ref()).map_err(storage)?;

        let mut ids = BTreeSet::new();
        let mut vectors = VectorSet::new(model.as_ref().map_or(0, |m| m.dim));
        let mut pending = BTreeSet::new();
        bm25::scan_all(&searcher, &fields, |doc| {
            if let Some(m) = &model {
                match logged.remove(&doc.id) {
                    Some(v) if v.len() == m.dim => vectors.put(&doc.id, &v, Arc::new(doc.value)),
                    _ => {
                        pending.insert(doc.id.clone());
                    }
                }
            }
            ids.insert(doc.id);
        })
        .map_err(storage)?;
        // Vectors whose document is gone (should not happen) or a log mostly made of
        // replaced vectors: rewrite it with the live ones only.
        if let Some(m) = &model {
            let live = vectors.len() as u64 * (20 + 4 * m.dim as u64 + 24);
            if !logged.is_empty() || (log.len() > 1 << 20 && log.len() > 2 * live) {
                log.compact(&vectors.to_map(), seq).map_err(storage)?;
                recovery.compacted = true;
            }
        }

        let shared = Arc::new(Shared {
            index,
            fields,
            reader,
            state: RwLock::new(State {
                searcher,
                ids,
                vectors,
                pending,
                seq,
            }),
            poisoned: AtomicBool::new(false),
            has_model: model.is_some(),
        });
        let writer = Writer {
            tantivy,
            log,
            seq,
            shared: shared.clone(),
        };
        let (jobs, rx) = mpsc::channel();
        let writer_thread = std::thread::Builder::new()
            .name("support-index-writer".to_owned())
            .spawn(move || writer.run(rx))
            .map_err(storage)?;
        Ok(Self {
            inner: Arc::new(Inner {
                dir,
                shared,
                embedder,
                model,
                recovery,
                recent_queries: Default::default(),
                jobs: Some(jobs),
                writer_thread: Some(writer_thread),
            }),
        })
    }

    /// The directory the index lives in.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    pub fn stats(&self) -> Result<IndexStats, StoreError> {
        let s = self.inner.shared.read_state()?;
        Ok(IndexStats {
            documents: s.ids.len() as u64,
            vectors: s.vectors.len() as u64,
            pending: s.pending.len() as u64,
            seq: s.seq,
            recovery: self.inner.recovery.clone(),
        })
    }

    /// Embeds the documents still waiting for a vector (an embedder that failed during
    /// their upsert, or a new model), a chunk at a time, each chunk logged. Returns how
    /// many got a vector. Stops with `Unavailable` when the embedder fails; what was done
    /// until then is kept.
    pub async fn reembed_pending(&self) -> Result<u64, StoreError> {
        let Some(embedder) = self.inner.embedder.clone() else {
            return Err(StoreError::Unsupported(
                "this index has no embedding model".to_owned(),
            ));
        };
        let dim = embedder.dim();
        let mut done = 0u64;
        let mut cursor = String::new();
        loop {
            let inner = self.inner.clone();
            let after = cursor.clone();
            let chunk: Vec<Stored> = blocking(move || inner.pending_chunk(&after)).await?;
            let Some(last) = chunk.last() else { break };
            cursor = last.id.clone();
            let texts: Vec<String> = chunk.iter().map(|d| d.data.clone()).collect();
            let vectors = embedder
                .embed(texts)
                .await
                .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
            if vectors.len() != chunk.len() {
                return Err(StoreError::Unavailable(
                    "the embedder returned the wrong number of vectors".into(),
                ));
            }
            let ready: Vec<(Stored, Vec<f32>)> = chunk
                .into_iter()
                .zip(vectors)
                .filter_map(|(doc, v)| {
                    vectors::normalize(v)
                        .filter(|v| v.len() == dim)
                        .map(|v| (doc, v))
                })
                .collect();
            done += self
                .inner
                .submit(|reply| Job::Reembed { ready, reply })
                .await?;
        }
        Ok(done)
    }
}

impl Inner {
    /// Hands a job to the writer thread and waits for its commit.
    async fn submit<T>(
        &self,
        job: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Job,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        let stopped = || storage("the index writer has stopped");
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job(tx))
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }

    /// The next pending documents after `after`, with their text.
    fn pending_chunk(&self, after: &str) -> Result<Vec<Stored>, StoreError> {
        let s = self.shared.read_state()?;
        let mut out = Vec::new();
        for id in s
            .pending
            .range::<str, _>((Bound::Excluded(after), Bound::Unbounded))
            .take(EMBED_BATCH)
        {
            if let Some(doc) = bm25::load(&s.searcher, &self.shared.fields, id).map_err(storage)? {
                out.push(doc);
            }
        }
        Ok(out)
    }

    fn search(&self, q: &Query, qvec: Option<Vec<f32>>) -> Result<Vec<Hit>, StoreError> {
        let filter = q.filter.as_ref();
        // The dense list under the state lock, then the lock is let go and BM25 runs on the
        // searcher of the same snapshot, so a slow filtered search never holds up a commit.
        let (searcher, dense, top_k, depth) = {
            let s = self.shared.read_state()?;
            // No list is longer than the index, whatever `topK` asked (it sizes buffers).
            let total = s.ids.len();
            let top_k = q.top_k.min(total);
            let depth = match q.mode {
                QueryMode::Hybrid => fusion::hybrid_depth(top_k).min(total),
                _ => top_k,
            };
            let dense: Option<Vec<(String, f64)>> = qvec.map(|v| {
                s.vectors
                    .top_k(&v, depth, filter)
                    .into_iter()
                    .map(|(id, score)| (id.to_owned(), f64::from(score)))
                    .collect()
            });
            (s.searcher.clone(), dense, top_k, depth)
        };
        let mut docs: HashMap<String, Stored> = HashMap::new();
        let mut sparse = |k: usize| -> Result<Vec<(String, f64)>, StoreError> {
            let hits = bm25::search(
                &self.shared.index,
                &searcher,
                &self.shared.fields,
                &q.data,
                filter,
                k,
            )
            .map_err(storage)?;
            Ok(hits
                .into_iter()
                .map(|h| {
                    let id = h.doc.id.clone();
                    docs.insert(id.clone(), h.doc);
                    (id, f64::from(h.score))
                })
                .collect())
        };
        let ranked = match (q.mode, dense) {
            (QueryMode::Dense, Some(dense)) => dense,
            (QueryMode::Hybrid, Some(dense)) => {
                let sparse = sparse(depth)?;
                fusion::fuse(FUSION, &dense, &sparse, top_k)
            }
            (QueryMode::Dense, None) => {
                return Err(StoreError::Unsupported(
                    "dense search needs an embedding model".to_owned(),
                ));
            }
            (QueryMode::Sparse | QueryMode::Hybrid, _) => sparse(top_k)?,
        };

        let mut hits = Vec::with_capacity(ranked.len());
        for (id, score) in ranked {
            let mut hit = Hit {
                id,
                score,
                data: None,
                metadata: None,
            };
            if q.include_data || q.include_metadata {
                let doc = match docs.remove(&hit.id) {
                    Some(d) => d,
                    None => bm25::load(&searcher, &self.shared.fields, &hit.id)
                        .map_err(storage)?
                        .ok_or_else(|| storage(format!("hit {} vanished", hit.id)))?,
                };
                if q.include_metadata {
                    hit.metadata = Some(doc.metadata().map_err(storage)?);
                }
                if q.include_data {
                    hit.data = Some(doc.data);
                }
            }
            hits.push(hit);
        }
        Ok(hits)
    }

    fn fetch(&self, ids: &[String]) -> Result<Vec<Option<Document>>, StoreError> {
        let searcher = self.shared.read_state()?.searcher.clone();
        ids.iter()
            .map(|id| {
                bm25::load(&searcher, &self.shared.fields, id)
                    .and_then(|d| d.map(Stored::into_document).transpose())
                    .map_err(storage)
            })
            .collect()
    }

    fn range(&self, cursor: &str, limit: usize) -> Result<RangePage, StoreError> {
        let (searcher, mut ids) = {
            let s = self.shared.read_state()?;
            let ids: Vec<String> = s
                .ids
                .range::<str, _>((Bound::Excluded(cursor), Bound::Unbounded))
                .take(limit.saturating_add(1))
                .cloned()
                .collect();
            (s.searcher.clone(), ids)
        };
        let more = ids.len() > limit;
        ids.truncate(limit);
        let next_cursor = if more { ids.last().cloned() } else { None };
        let mut documents = Vec::with_capacity(ids.len());
        for id in &ids {
            if let Some(d) = bm25::load(&searcher, &self.shared.fields, id).map_err(storage)? {
                documents.push(d.into_document().map_err(storage)?);
            }
        }
        Ok(RangePage {
            documents,
            next_cursor,
        })
    }
}

/// Checks ids, keeps the last of repeated ids (as applying them in order would), and
/// makes each metadata canonical. Refuses the whole batch on a bad id: all or none.
fn prepare(documents: Vec<Document>) -> Result<Vec<Prepared>, StoreError> {
    let mut last: HashMap<String, usize> = HashMap::new();
    for (i, d) in documents.iter().enumerate() {
        if d.id.is_empty() || d.id.len() > MAX_ID_BYTES {
            return Err(StoreError::Rejected(format!(
                "document ids must be 1 to {MAX_ID_BYTES} bytes long"
            )));
        }
        last.insert(d.id.clone(), i);
    }
    Ok(documents
        .into_iter()
        .enumerate()
        .filter(|(i, d)| last[&d.id] == *i)
        .map(|(_, mut doc)| {
            doc.metadata = bm25::sanitize(doc.metadata);
            let value = Arc::new(doc.metadata.to_value());
            Prepared { doc, value }
        })
        .collect())
}

/// Embeds `texts` a chunk at a time; a chunk that fails (or returns unusable vectors)
/// leaves its documents without a vector, and once the embedder has said busy or down
/// the rest are not even tried.
async fn embed_all(embedder: &dyn Embed, texts: Vec<String>) -> Vec<Option<Vec<f32>>> {
    let dim = embedder.dim();
    let mut out = Vec::with_capacity(texts.len());
    let mut failed = false;
    for chunk in texts.chunks(EMBED_BATCH) {
        if !failed {
            match embedder.embed(chunk.to_vec()).await {
                Ok(vs) if vs.len() == chunk.len() => {
                    out.extend(
                        vs.into_iter()
                            .map(|v| vectors::normalize(v).filter(|v| v.len() == dim)),
                    );
                    continue;
                }
                Ok(_) | Err(EmbedFailure::Busy | EmbedFailure::Unavailable(_)) => failed = true,
            }
        }
        out.extend(chunk.iter().map(|_| None));
    }
    out
}

/// Query vectors remembered per index.
const RECENT_QUERIES: usize = 16;

/// Query texts and their vectors, oldest first.
type RecentQueries = std::collections::VecDeque<(String, Vec<f32>)>;

impl LocalIndex {
    /// The query's vector: remembered if the same text was embedded lately, else embedded.
    async fn query_vector(
        &self,
        embedder: &dyn Embed,
        text: &str,
    ) -> Result<Vec<f32>, EmbedFailure> {
        let remembered = self
            .inner
            .recent_queries
            .lock()
            .ok()
            .and_then(|q| q.iter().find(|(t, _)| t == text).map(|(_, v)| v.clone()));
        if let Some(v) = remembered {
            return Ok(v);
        }
        let v = embed_query(embedder, text).await?;
        if let Ok(mut q) = self.inner.recent_queries.lock() {
            if q.len() >= RECENT_QUERIES {
                q.pop_front();
            }
            q.push_back((text.to_owned(), v.clone()));
        }
        Ok(v)
    }
}

async fn embed_query(embedder: &dyn Embed, text: &str) -> Result<Vec<f32>, EmbedFailure> {
    let mut vs = embedder.embed(vec![text.to_owned()]).await?;
    let v = vs.pop().filter(|_| vs.is_empty());
    v.and_then(vectors::normalize)
        .filter(|v| v.len() == embedder.dim())
        .ok_or_else(|| EmbedFailure::Unavailable("the embedder returned an unusable vector".into()))
}

#[async_trait]
impl VectorStore for LocalIndex {
    async fn upsert(&self, documents: Vec<Document>) -> Result<(), StoreError> {
        let docs = prepare(documents)?;
        if docs.is_empty() {
            return Ok(());
        }
        let embedded = match &self.inner.embedder {
            Some(e) => {
                let texts = docs.iter().map(|d| d.doc.data.clone()).collect();
                embed_all(e.as_ref(), texts).await
            }
            None => vec![None; docs.len()],
        };
        self.inner
            .submit(|reply| Job::Upsert {
                docs,
                embedded,
                reply,
            })
            .await
    }

    async fn query(&self, query: &Query) -> Result<Vec<Hit>, StoreError> {
        if query.top_k == 0 {
            return Ok(Vec::new());
        }
        let qvec = match (query.mode, &self.inner.embedder) {
            (QueryMode::Sparse, _) | (QueryMode::Hybrid, None) => None,
            (QueryMode::Dense, None) => {
                return Err(StoreError::Unsupported(
                    "dense search needs an embedding model; this index is keyword-only".to_owned(),
                ));
            }
            (mode, Some(e)) => match self.query_vector(e.as_ref(), &query.data).await {
                Ok(v) => Some(v),
                Err(failure) if mode == QueryMode::Dense => {
                    return Err(StoreError::Unavailable(Box::new(failure)));
                }
                // Hybrid: keywords alone this time.
                Err(_) => None,
            },
        };
        let inner = self.inner.clone();
        let query = query.clone();
        blocking(move || inner.search(&query, qvec)).await
    }

    async fn fetch(&self, ids: &[String]) -> Result<Vec<Option<Document>>, StoreError> {
        let inner = self.inner.clone();
        let ids = ids.to_vec();
        blocking(move || inner.fetch(&ids)).await
    }

    async fn delete(&self, ids: &[String]) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let ids = ids.to_vec();
        self.inner.submit(|reply| Job::Delete { ids, reply }).await
    }

    async fn range(&self, cursor: &str, limit: usize) -> Result<RangePage, StoreError> {
        if limit == 0 {
            return Err(StoreError::Rejected(
                "range limit must be positive".to_owned(),
            ));
        }
        let inner = self.inner.clone();
        let cursor = cursor.to_owned();
        blocking(move || inner.range(&cursor, limit)).await
    }

    async fn info(&self) -> Result<StoreInfo, StoreError> {
        let s = self.inner.shared.read_state()?;
        Ok(StoreInfo {
            documents: s.ids.len() as u64,
            dimension: self.inner.model.as_ref().map(|m| m.dim),
            pending: s.pending.len() as u64,
        })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            dense: self.inner.embedder.is_some(),
            sparse: true,
        }
    }
}
