//! Search for the brain's context. Dense search needs the embedding model; without one the
//! platform runs on keywords (BM25) alone and says so once at start and in `skill status`.

use std::sync::Arc;

use support_embed::{EmbedOptions, EmbedQueue, Embedder, QueueOptions};

use crate::Config;

/// What search can do in this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchMode {
    /// Keywords and sentence vectors, fused.
    Hybrid { model: String, dim: usize },
    /// Keywords only, and why.
    KeywordOnly { reason: String },
}

impl SearchMode {
    /// One line for `skill status` and the start-up log.
    pub fn describe(&self) -> String {
        match self {
            SearchMode::Hybrid { model, dim } => {
                format!("hybrid (BM25 + {model}, {dim} dimensions)")
            }
            SearchMode::KeywordOnly { reason } => format!("keyword-only (BM25): {reason}"),
        }
    }
}

/// The embedding queue, when a model loaded.
pub struct Retrieval {
    embedder: Option<EmbedQueue>,
    mode: SearchMode,
}

impl Retrieval {
    /// Loads the model named by `[retrieval]`, or settles for keywords. Never fails start-up:
    /// a missing or broken model costs search quality, not availability.
    pub fn start(config: &Config) -> Self {
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
        }
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
