//! What every test file needs: a fake index, a client pointed at it, documents and embedders.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use serde_json::Value;
use support_fakes::{FakeUpstash, FakeUpstashConfig, RequestRecord, hashed_embedding};
use support_retrieval::{DocType, Document, Embed, EmbedFailure, Metadata};
use support_upstash::{UpstashClient, UpstashConfig, UpstashStore};

pub fn provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A fake with Upstash's defaults here: an embedding model, dense, 64 dimensions.
pub async fn fake() -> FakeUpstash {
    fake_with(FakeUpstashConfig::default()).await
}

pub async fn fake_with(config: FakeUpstashConfig) -> FakeUpstash {
    provider();
    FakeUpstash::start(config).await.expect("fake starts")
}

/// A fake without an embedding model, of this dimension (vectors only).
pub async fn vector_fake(dimension: usize) -> FakeUpstash {
    fake_with(FakeUpstashConfig {
        dimension,
        embedding_model: false,
        ..FakeUpstashConfig::default()
    })
    .await
}

pub fn config_for(fake: &FakeUpstash) -> UpstashConfig {
    UpstashConfig::new(fake.url(), fake.token())
}

pub fn client_for(fake: &FakeUpstash) -> UpstashClient {
    provider();
    UpstashClient::new(config_for(fake)).expect("client")
}

pub fn hosted_store(fake: &FakeUpstash) -> UpstashStore {
    UpstashStore::with_hosted_embedding(client_for(fake))
}

pub fn local_store(fake: &FakeUpstash) -> UpstashStore {
    UpstashStore::with_local_embedder(
        client_for(fake),
        Arc::new(HashEmbedder::new(fake.dimension())),
    )
}

/// The fake's own embedding run on our side, so local and hosted modes rank alike.
pub struct HashEmbedder {
    pub dim: usize,
    pub calls: AtomicUsize,
}

impl HashEmbedder {
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            calls: AtomicUsize::new(0),
        }
    }
}

#[async_trait]
impl Embed for HashEmbedder {
    fn model_id(&self) -> &str {
        "test-hashed-bow"
    }

    fn dim(&self) -> usize {
        self.dim
    }

    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedFailure> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(texts
            .iter()
            .map(|t| hashed_embedding(t, self.dim))
            .collect())
    }
}

/// An embedder that is always busy.
pub struct BusyEmbedder;

#[async_trait]
impl Embed for BusyEmbedder {
    fn model_id(&self) -> &str {
        "busy"
    }

    fn dim(&self) -> usize {
        64
    }

    async fn embed(&self, _texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedFailure> {
        Err(EmbedFailure::Busy)
    }
}

pub fn doc(id: &str, data: &str, doc_type: DocType, app: &str) -> Document {
    Document {
        id: id.to_owned(),
        data: data.to_owned(),
        metadata: Metadata::new(doc_type, app),
    }
}

/// Six support documents of two tenants.
pub fn support_docs() -> Vec<Document> {
    let mut docs = vec![
        doc(
            "kb-refund",
            "Refund policy: refunds within 30 days of purchase",
            DocType::Knowledge,
            "acme",
        ),
        doc(
            "kb-login",
            "Reset your password to log in again",
            DocType::Knowledge,
            "acme",
        ),
        doc(
            "conv-1",
            "Customer asked for a refund of a double charge",
            DocType::Conversation,
            "acme",
        ),
        doc(
            "resp-1",
            "We have issued your refund",
            DocType::Response,
            "acme",
        ),
        doc(
            "kb-api",
            "API rate limits and 429 errors",
            DocType::Knowledge,
            "globex",
        ),
        doc(
            "conv-2",
            "Outage: the API returns 503",
            DocType::Conversation,
            "globex",
        ),
    ];
    docs[0].metadata.category = Some("billing".into());
    docs[0].metadata.trust_score = Some(1.0);
    docs[2].metadata.category = Some("billing".into());
    docs[2].metadata.trust_score = Some(0.8);
    docs[4].metadata.category = Some("api".into());
    docs
}

/// A recorded request's body as JSON.
pub fn body_json(r: &RequestRecord) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{} body: {e}: {}", r.path, r.body))
}
