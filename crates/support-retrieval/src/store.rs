//! The one interface both stores implement: the embedded hybrid index and Upstash Vector.
//!
//! Documents reach a store already redacted (`support_core::redact`); a store never sees a
//! customer's email, card, phone or name. Queries are redacted the same way by the caller.

use async_trait::async_trait;

use crate::document::{Document, Hit, Query};

/// Why a store call failed. `Unavailable` is worth a retry or a keyword fallback; the others
/// are the caller's or the configuration's fault and will fail again.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store could not be reached or answered with a server error.
    #[error("vector store unavailable: {0}")]
    Unavailable(#[source] BoxError),
    /// The store refused the request (bad filter, wrong dimension, no embedding model…).
    #[error("vector store refused the request: {0}")]
    Rejected(String),
    /// Credentials were refused.
    #[error("vector store refused the credentials")]
    Unauthorized,
    /// The query asked for a mode this store cannot serve (dense without an embedder).
    #[error("{0}")]
    Unsupported(String),
    /// Local storage failed (disk, index files).
    #[error("vector store storage: {0}")]
    Storage(#[source] BoxError),
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a store can do right now, so callers can say "keyword-only" honestly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    pub dense: bool,
    pub sparse: bool,
}

/// Counts a status page shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreInfo {
    pub documents: u64,
    /// Vector length, when the store holds vectors.
    pub dimension: Option<usize>,
    /// Documents indexed but waiting for their vector (none after a rebuild).
    pub pending: u64,
}

/// One page of `range`: the documents and where the next page starts (`None` at the end).
#[derive(Debug, Clone, PartialEq)]
pub struct RangePage {
    pub documents: Vec<Document>,
    pub next_cursor: Option<String>,
}

/// A document store with dense, sparse (BM25) and hybrid search.
#[async_trait]
pub trait VectorStore: Send + Sync {
    /// Inserts or replaces each document by id, all or none.
    async fn upsert(&self, documents: Vec<Document>) -> Result<(), StoreError>;
    /// The best `top_k` documents for the query, best first; every hit satisfies the filter.
    async fn query(&self, query: &Query) -> Result<Vec<Hit>, StoreError>;
    /// The documents with these ids, `None` where there is none, in the order asked.
    async fn fetch(&self, ids: &[String]) -> Result<Vec<Option<Document>>, StoreError>;
    /// Deletes these ids; returns how many existed.
    async fn delete(&self, ids: &[String]) -> Result<u64, StoreError>;
    /// Pages through every document in id order, starting at `cursor` ("" for the start).
    async fn range(&self, cursor: &str, limit: usize) -> Result<RangePage, StoreError>;
    async fn info(&self) -> Result<StoreInfo, StoreError>;
    fn capabilities(&self) -> Capabilities;
}

/// Why a text could not be embedded: `Busy` and `Unavailable` mean "use keywords this time".
#[derive(Debug, thiserror::Error)]
pub enum EmbedFailure {
    #[error("the embedder is busy")]
    Busy,
    #[error("the embedder is unavailable: {0}")]
    Unavailable(String),
}

/// Text to unit-length vectors. The local model (`support-embed`) implements it; a store that
/// embeds on its side (Upstash with a model) needs none.
#[async_trait]
pub trait Embed: Send + Sync {
    /// Names the model, so vectors from another model are never mixed in.
    fn model_id(&self) -> &str;
    fn dim(&self) -> usize;
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedFailure>;
}

/// Reciprocal rank fusion (Cormack et al. 2009): each list adds `1 / (k + rank)` for the ids
/// it holds, rank from 1. `k = 60` is the paper's and Upstash's default. Ties keep the order
/// of first appearance, so the result is deterministic.
pub fn reciprocal_rank_fusion(lists: &[Vec<String>], k: f64, top_k: usize) -> Vec<(String, f64)> {
    let mut scores: Vec<(String, f64)> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for list in lists {
        for (rank, id) in list.iter().enumerate() {
            let add = 1.0 / (k + rank as f64 + 1.0);
            match index.get(id.as_str()) {
                Some(&i) => scores[i].1 += add,
                None => {
                    index.insert(id.as_str(), scores.len());
                    scores.push((id.clone(), add));
                }
            }
        }
    }
    // A stable sort keeps first-appearance order among equal scores.
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    scores.truncate(top_k);
    scores
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn fusion_rewards_agreement_and_is_deterministic() {
        let fused = reciprocal_rank_fusion(&[ids("a b c"), ids("c a d")], 60.0, 10);
        let order: Vec<&str> = fused.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(order, ["a", "c", "b", "d"]);
        assert!((fused[0].1 - (1.0 / 61.0 + 1.0 / 62.0)).abs() < 1e-12);
        let tie = reciprocal_rank_fusion(&[ids("x"), ids("y")], 60.0, 10);
        assert_eq!(tie[0].0, "x");
        assert_eq!(reciprocal_rank_fusion(&[ids("a b c")], 60.0, 2).len(), 2);
        assert!(reciprocal_rank_fusion(&[], 60.0, 5).is_empty());
    }
}
