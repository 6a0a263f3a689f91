//! Search for the brain's context: the embedded hybrid index under the data directory, or an
//! Upstash Vector index when `[retrieval.upstash]` names one, fed by knowledge syncs. Dense
//! search on the embedded index needs the embedding model; without one the platform runs on
//! keywords (BM25) alone and says so once at start and in `skill status`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;
use support_embed::{EmbedOptions, EmbedQueue, Embedder, QueueOptions};
use support_index::LocalIndex;
use support_retrieval::kb::{self, KbFile};
use support_retrieval::{StoreError, VectorStore};

use crate::Config;

/// What search can do in this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchMode {
    /// Keywords and sentence vectors, fused.
    Hybrid { model: String, dim: usize },
    /// Keywords only, and why.
    KeywordOnly { reason: String },
    /// An Upstash Vector index.
    Upstash {
        namespace: String,
        /// `hosted` or the local model's id.
        embedding: String,
        hybrid: bool,
    },
}

impl SearchMode {
    /// One line for `skill status` and the start-up log.
    pub fn describe(&self) -> String {
        match self {
            SearchMode::Hybrid { model, dim } => {
                format!("hybrid (BM25 + {model}, {dim} dimensions)")
            }
            SearchMode::KeywordOnly { reason } => format!("keyword-only (BM25): {reason}"),
            SearchMode::Upstash {
                namespace,
                embedding,
                hybrid,
            } => format!(
                "Upstash Vector ({}, namespace {namespace:?}, embedding: {embedding})",
                if *hybrid { "hybrid" } else { "dense" }
            ),
        }
    }
}

/// The embedding queue, when a model loaded, and the store searches go to.
pub struct Retrieval {
    embedder: Option<EmbedQueue>,
    mode: SearchMode,
    index: Option<Arc<dyn VectorStore>>,
}

/// What a knowledge sync changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct KbSyncReport {
    pub files: usize,
    pub chunks: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deleted: usize,
}

/// Why search is not there for a sync.
#[derive(Debug, thiserror::Error)]
pub enum RetrievalError {
    #[error("the search index is not open: {0}")]
    NoIndex(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Retrieval {
    /// Loads the model named by `[retrieval]` (or settles for keywords) and opens the index.
    /// Never fails start-up: a missing model costs search quality, a locked or broken index
    /// costs search (the brain then decides without it), neither costs availability.
    pub async fn start(config: &Config) -> Self {
        let mut retrieval = Self::load_model(config);
        if let Some(upstash) = &config.retrieval.upstash {
            retrieval.use_upstash(upstash);
            return retrieval;
        }
        let dir = config.index_dir();
        let embedder = retrieval.embedder();
        let opened = tokio::task::spawn_blocking(move || LocalIndex::open(&dir, embedder)).await;
        match opened {
            Ok(Ok(index)) => retrieval.index = Some(Arc::new(index)),
            Ok(Err(e)) => {
                tracing::error!(index = %config.index_dir().display(), "search index: {e}");
                retrieval.mode = SearchMode::KeywordOnly {
                    reason: format!("the search index did not open: {e}"),
                };
            }
            Err(e) => tracing::error!("search index: {e}"),
        }
        retrieval
    }

    /// Searches go to the Upstash index. With `local` embedding and no model loaded there is
    /// nothing to search with (the index holds our vectors): search is off, and says why.
    fn use_upstash(&mut self, u: &crate::config::UpstashSettings) {
        let client = support_upstash::UpstashClient::new(
            support_upstash::UpstashConfig::new(u.url.clone(), u.token.expose())
                .with_namespace(u.namespace.clone())
                .with_hybrid(u.hybrid),
        );
        let client = match client {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("Upstash Vector: {e}");
                self.mode = SearchMode::KeywordOnly {
                    reason: format!("the Upstash client did not start: {e}"),
                };
                return;
            }
        };
        let (store, embedding) = match (u.embedding, self.embedder()) {
            (crate::config::UpstashEmbedding::Hosted, _) => (
                support_upstash::UpstashStore::with_hosted_embedding(client),
                "hosted".to_owned(),
            ),
            (crate::config::UpstashEmbedding::Local, Some(e)) => {
                let id = e.model_id().to_owned();
                (
                    support_upstash::UpstashStore::with_local_embedder(client, e),
                    id,
                )
            }
            (crate::config::UpstashEmbedding::Local, None) => {
                let reason = "retrieval.upstash.embedding is local but no embedding model \
                              loaded; `skill models fetch` installs it"
                    .to_owned();
                tracing::error!(search = "off", "{reason}");
                self.mode = SearchMode::KeywordOnly { reason };
                return;
            }
        };
        self.mode = SearchMode::Upstash {
            namespace: u.namespace.clone(),
            embedding,
            hybrid: u.hybrid,
        };
        tracing::info!(search = "upstash", "{}", self.mode.describe());
        self.index = Some(Arc::new(store));
    }

    fn load_model(config: &Config) -> Self {
        let dir = config.model_dir();
        if !dir.join("model.safetensors").exists() {
            let reason = format!(
                "no embedding model at {}; `skill models fetch` installs all-MiniLM-L6-v2",
                dir.display()
            );
            tracing::warn!(search = "keyword-only", "{reason}");
            return Self::keyword_only(reason);
        }
        let options = EmbedOptions {
            max_batch: config.retrieval.embed_batch,
            ..EmbedOptions::default()
        };
        let loaded = Embedder::load_with(&dir, options).and_then(|e| {
            EmbedQueue::start(
                e,
                QueueOptions {
                    capacity: config.retrieval.embed_queue,
                    max_batch: config.retrieval.embed_batch,
                },
            )
        });
        match loaded {
            Ok(queue) => {
                let mode = SearchMode::Hybrid {
                    model: queue.model_id().to_owned(),
                    dim: queue.dim(),
                };
                tracing::info!(search = "hybrid", "{}", mode.describe());
                Self {
                    embedder: Some(queue),
                    mode,
                    index: None,
                }
            }
            Err(e) => {
                let reason = format!("the model at {} did not load: {e}", dir.display());
                tracing::error!(search = "keyword-only", "{reason}");
                Self::keyword_only(reason)
            }
        }
    }

    pub fn keyword_only(reason: String) -> Self {
        Self {
            embedder: None,
            mode: SearchMode::KeywordOnly { reason },
            index: None,
        }
    }

    /// The index the brain searches, when it is open.
    pub fn store(&self) -> Option<Arc<dyn VectorStore>> {
        self.index.clone()
    }

    /// Makes the app's knowledge in the index match `files`: new and changed chunks are
    /// written (redacted), unchanged ones left alone, chunks of removed files or headings
    /// deleted. Idempotent: the same files again change nothing.
    pub async fn sync_knowledge(
        &self,
        app_id: &str,
        files: &[KbFile],
    ) -> Result<KbSyncReport, RetrievalError> {
        let index = self.index.as_ref().ok_or_else(|| {
            RetrievalError::NoIndex(match &self.mode {
                SearchMode::KeywordOnly { reason } => reason.clone(),
                SearchMode::Hybrid { .. } | SearchMode::Upstash { .. } => "not opened".into(),
            })
        })?;
        let redactor = support_core::redact::Redactor::default();
        let mut wanted: Vec<support_retrieval::Document> = files
            .iter()
            .flat_map(|f| kb::chunk(app_id, f))
            .map(|mut d| {
                d.data = redactor.redact(&d.data);
                d
            })
            .collect();
        let prefix = kb::id_prefix(app_id);
        let mut existing: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut cursor = String::new();
        loop {
            let page = index.range(&cursor, 500).await?;
            for d in page.documents {
                if d.id.starts_with(&prefix) {
                    let hash = d
                        .metadata
                        .extra
                        .get("hash")
                        .and_then(|h| h.as_str().map(str::to_owned));
                    existing.insert(d.id, hash);
                }
            }
            match page.next_cursor {
                Some(next) => cursor = next,
                None => break,
            }
        }
        let mut report = KbSyncReport {
            files: files.len(),
            chunks: wanted.len(),
            ..KbSyncReport::default()
        };
        let keep: BTreeSet<String> = wanted.iter().map(|d| d.id.clone()).collect();
        wanted.retain(|d| {
            let hash = d.metadata.extra.get("hash").and_then(|h| h.as_str());
            match existing.get(&d.id) {
                Some(old) if old.as_deref() == hash => {
                    report.unchanged += 1;
                    false
                }
                Some(_) => {
                    report.updated += 1;
                    true
                }
                None => {
                    report.added += 1;
                    true
                }
            }
        });
        for batch in wanted.chunks(256) {
            index.upsert(batch.to_vec()).await?;
        }
        let gone: Vec<String> = existing
            .into_keys()
            .filter(|id| !keep.contains(id))
            .collect();
        if !gone.is_empty() {
            report.deleted = index.delete(&gone).await? as usize;
        }
        Ok(report)
    }

    pub fn mode(&self) -> &SearchMode {
        &self.mode
    }

    /// The embedder for the stores, when there is one.
    pub fn embedder(&self) -> Option<Arc<dyn support_retrieval::Embed>> {
        self.embedder
            .clone()
            .map(|q| Arc::new(q) as Arc<dyn support_retrieval::Embed>)
    }
}
