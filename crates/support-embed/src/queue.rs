//! A bounded queue in front of the embedder, so async callers never block a runtime thread on
//! inference and never wait behind an unbounded backlog.
//!
//! One worker thread owns the model and drains whatever is queued into one forward pass (up
//! to `max_batch` texts): concurrent single-text requests share a batch. The dense layers
//! inside a pass already use every core (split over the embedder's pool), so more workers would
//! only fight over the same cores. When the queue is full a caller gets [`EmbedError::Busy`]
//! at once and can fall back to keyword search.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};

use crate::{EmbedError, Embedder};

/// Queue sizing.
#[derive(Debug, Clone, Copy)]
pub struct QueueOptions {
    /// Requests that may wait; one more is refused with `Busy`.
    pub capacity: usize,
    /// Texts per forward pass when requests are merged.
    pub max_batch: usize,
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self {
            capacity: 256,
            max_batch: 32,
        }
    }
}

struct Job {
    texts: Vec<String>,
    reply: oneshot::Sender<Result<Vec<Vec<f32>>, EmbedError>>,
}

/// Counters a status page can show.
#[derive(Debug, Default)]
pub struct QueueStats {
    pub embedded: AtomicU64,
    pub passes: AtomicU64,
    pub refused_busy: AtomicU64,
}

/// A cloneable handle; the worker stops when the last handle is dropped.
#[derive(Clone)]
pub struct EmbedQueue {
    tx: mpsc::Sender<Job>,
    model_id: Arc<str>,
    dim: usize,
    stats: Arc<QueueStats>,
}

impl EmbedQueue {
    /// Starts the worker thread that owns `embedder`.
    pub fn start(embedder: Embedder, options: QueueOptions) -> Result<Self, EmbedError> {
        let (tx, rx) = mpsc::channel(options.capacity.max(1));
        let model_id: Arc<str> = embedder.model_id().into();
        let dim = embedder.dim();
        let stats = Arc::new(QueueStats::default());
        let worker_stats = stats.clone();
        let max_batch = options.max_batch.max(1);
        std::thread::Builder::new()
            .name("embed".into())
            .spawn(move || worker(embedder, rx, max_batch, &worker_stats))
            .map_err(EmbedError::Spawn)?;
        Ok(Self {
            tx,
            model_id,
            dim,
            stats,
        })
    }

    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn stats(&self) -> &QueueStats {
        &self.stats
    }

    /// Embeds `texts` (one vector each, in order), or `Busy` at once if the queue is full.
    pub async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        match self.tx.try_send(Job { texts, reply }) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.stats.refused_busy.fetch_add(1, Ordering::Relaxed);
                return Err(EmbedError::Busy);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(EmbedError::Stopped),
        }
        answer.await.map_err(|_| EmbedError::Stopped)?
    }

    /// One text's vector.
    pub async fn embed_one(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let mut v = self.embed(vec![text.to_owned()]).await?;
        v.pop().ok_or(EmbedError::Stopped)
    }
}

fn worker(embedder: Embedder, mut rx: mpsc::Receiver<Job>, max_batch: usize, stats: &QueueStats) {
    while let Some(first) = rx.blocking_recv() {
        let mut jobs = vec![first];
        let mut count = jobs[0].texts.len();
        while count < max_batch {
            match rx.try_recv() {
                Ok(job) => {
                    count += job.texts.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let texts: Vec<&str> = jobs
            .iter()
            .flat_map(|j| j.texts.iter().map(String::as_str))
            .collect();
        let result = embedder.embed(&texts);
        stats.passes.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(mut vectors) => {
                stats
                    .embedded
                    .fetch_add(vectors.len() as u64, Ordering::Relaxed);
                // Hand each job its own slice, in order.
                for job in jobs.into_iter().rev() {
                    let own = vectors.split_off(vectors.len() - job.texts.len());
                    let _ = job.reply.send(Ok(own));
                }
            }
            Err(e) => {
                let message = e.to_string();
                for job in jobs {
                    let _ = job.reply.send(Err(EmbedError::Inference(message.clone())));
                }
            }
        }
    }
}

/// The queue is the platform's embedder for the stores: `Busy` and a stopped worker both mean
/// "search by keywords this time".
#[async_trait::async_trait]
impl support_retrieval::Embed for EmbedQueue {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    async fn embed(
        &self,
        texts: Vec<String>,
    ) -> Result<Vec<Vec<f32>>, support_retrieval::EmbedFailure> {
        EmbedQueue::embed(self, texts).await.map_err(|e| match e {
            EmbedError::Busy => support_retrieval::EmbedFailure::Busy,
            other => support_retrieval::EmbedFailure::Unavailable(other.to_string()),
        })
    }
}
