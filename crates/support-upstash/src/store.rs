//! [`VectorStore`] on Upstash Vector, in one of two modes fixed at construction: Upstash
//! embeds (`-data` endpoints) or we embed locally and send vectors.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value};
use support_retrieval::{
    Capabilities, Document, Embed, Hit, Metadata, Query, QueryMode, RangePage, StoreError,
    StoreInfo, VectorStore,
};

use crate::UpstashClient;
use crate::UpstashError;
use crate::wire::{
    DataQuery, DataRecord, DeleteRequest, FetchRequest, RangeRequest, ScoredVector, StoredVector,
    VectorQuery, VectorRecord,
};

/// Who turns text into vectors.
#[derive(Clone)]
enum Embedding {
    /// The index was created with an embedding model.
    Hosted,
    /// Our own model; the index holds vectors of its dimension.
    Local(Arc<dyn Embed>),
}

/// The Upstash-backed store, scoped to the client's namespace.
#[derive(Clone)]
pub struct UpstashStore {
    client: UpstashClient,
    embedding: Embedding,
}

impl std::fmt::Debug for UpstashStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match &self.embedding {
            Embedding::Hosted => "hosted".to_owned(),
            Embedding::Local(e) => format!("local:{}", e.model_id()),
        };
        f.debug_struct("UpstashStore")
            .field("client", &self.client)
            .field("embedding", &mode)
            .finish()
    }
}

impl UpstashStore {
    /// The index embeds `data` itself: documents and queries go to `/upsert-data` and
    /// `/query-data`; on a hybrid index the query's mode is sent as `queryMode`.
    pub fn with_hosted_embedding(client: UpstashClient) -> Self {
        Self {
            client,
            embedding: Embedding::Hosted,
        }
    }

    /// We embed with `embedder` and send vectors to `/upsert` and `/query` (always dense:
    /// `/query` takes no `queryMode`, and this store computes no sparse vectors). The text is
    /// still stored as Upstash `data`.
    pub fn with_local_embedder(client: UpstashClient, embedder: Arc<dyn Embed>) -> Self {
        Self {
            client,
            embedding: Embedding::Local(embedder),
        }
    }

    /// The client underneath, for the calls the trait does not cover (namespaces, reset).
    pub fn client(&self) -> &UpstashClient {
        &self.client
    }

    /// `queryMode` only where Upstash takes it: a text query on a hybrid index.
    fn query_mode(&self, mode: QueryMode) -> Option<QueryMode> {
        self.client.is_hybrid().then_some(mode)
    }
}

/// A failed embedding is the store being unavailable: the caller falls back to keywords.
async fn embed(embedder: &dyn Embed, texts: Vec<String>) -> Result<Vec<Vec<f32>>, StoreError> {
    let n = texts.len();
    let vectors = embedder
        .embed(texts)
        .await
        .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
    if vectors.len() != n {
        return Err(StoreError::Unavailable(
            format!(
                "the embedder returned {} vectors for {n} texts",
                vectors.len()
            )
            .into(),
        ));
    }
    let dim = embedder.dim();
    if let Some(bad) = vectors
        .iter()
        .find(|v| v.len() != dim || v.iter().any(|x| !x.is_finite()))
    {
        return Err(StoreError::Unavailable(
            format!(
                "the embedder returned a vector of length {} (want {dim}) or with non-finite values",
                bad.len()
            )
            .into(),
        ));
    }
    Ok(vectors)
}

/// Our metadata as Upstash's JSON object.
fn metadata_object(m: &Metadata) -> Map<String, Value> {
    match m.to_value() {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn parse_metadata(id: &str, map: Map<String, Value>) -> Result<Metadata, UpstashError> {
    serde_json::from_value(Value::Object(map)).map_err(|e| UpstashError::Record {
        id: id.to_owned(),
        problem: format!("metadata is not ours: {e}"),
    })
}

fn to_document(v: StoredVector) -> Result<Document, UpstashError> {
    let metadata = match v.metadata {
        Some(m) => parse_metadata(&v.id, m)?,
        None => {
            return Err(UpstashError::Record {
                id: v.id,
                problem: "no metadata".to_owned(),
            });
        }
    };
    Ok(Document {
        // Upstash does not tell an empty `data` from none.
        data: v.data.unwrap_or_default(),
        id: v.id,
        metadata,
    })
}

fn to_hit(v: ScoredVector) -> Result<Hit, UpstashError> {
    let metadata = match v.metadata {
        Some(m) => Some(parse_metadata(&v.id, m)?),
        None => None,
    };
    Ok(Hit {
        id: v.id,
        score: v.score,
        data: v.data,
        metadata,
    })
}

#[async_trait]
impl VectorStore for UpstashStore {
    async fn upsert(&self, documents: Vec<Document>) -> Result<(), StoreError> {
        if documents.is_empty() {
            return Ok(());
        }
        match &self.embedding {
            Embedding::Hosted => {
                let records: Vec<DataRecord> = documents
                    .into_iter()
                    .map(|d| DataRecord {
                        metadata: Some(metadata_object(&d.metadata)),
                        id: d.id,
                        data: d.data,
                    })
                    .collect();
                self.client.upsert_data(&records).await?;
            }
            Embedding::Local(embedder) => {
                let texts = documents.iter().map(|d| d.data.clone()).collect();
                let vectors = embed(embedder.as_ref(), texts).await?;
                let records: Vec<VectorRecord> = documents
                    .into_iter()
                    .zip(vectors)
                    .map(|(d, vector)| VectorRecord {
                        metadata: Some(metadata_object(&d.metadata)),
                        id: d.id,
                        vector,
                        data: Some(d.data),
                    })
                    .collect();
                self.client.upsert(&records).await?;
            }
        }
        Ok(())
    }

    async fn query(&self, query: &Query) -> Result<Vec<Hit>, StoreError> {
        if query.top_k == 0 {
            return Ok(Vec::new());
        }
        let found = match &self.embedding {
            Embedding::Hosted => {
                let q = DataQuery {
                    data: query.data.clone(),
                    top_k: query.top_k,
                    include_metadata: query.include_metadata,
                    include_vectors: false,
                    include_data: query.include_data,
                    filter: query.filter.clone(),
                    query_mode: self.query_mode(query.mode),
                };
                self.client.query_data(&q).await?
            }
            Embedding::Local(embedder) => {
                let mut vectors = embed(embedder.as_ref(), vec![query.data.clone()]).await?;
                let q = VectorQuery {
                    vector: vectors.pop().unwrap_or_default(),
                    top_k: query.top_k,
                    include_metadata: query.include_metadata,
                    include_vectors: false,
                    include_data: query.include_data,
                    filter: query.filter.clone(),
                };
                self.client.query(&q).await?
            }
        };
        Ok(found
            .into_iter()
            .map(to_hit)
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn fetch(&self, ids: &[String]) -> Result<Vec<Option<Document>>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut request = FetchRequest::ids(ids.iter().cloned());
        request.include_metadata = true;
        request.include_data = true;
        let found = self.client.fetch(&request).await?;
        if found.len() != ids.len() {
            return Err(StoreError::Unavailable(
                format!(
                    "upstash answered {} records for {} ids",
                    found.len(),
                    ids.len()
                )
                .into(),
            ));
        }
        Ok(found
            .into_iter()
            .map(|v| v.map(to_document).transpose())
            .collect::<Result<Vec<_>, _>>()?)
    }

    async fn delete(&self, ids: &[String]) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        Ok(self
            .client
            .delete(&DeleteRequest::Ids(ids.to_vec()))
            .await?)
    }

    async fn range(&self, cursor: &str, limit: usize) -> Result<RangePage, StoreError> {
        if limit == 0 {
            return Err(StoreError::Rejected(
                "range limit must be at least 1".to_owned(),
            ));
        }
        // The trait starts at ""; Upstash documents "0".
        let cursor = if cursor.is_empty() { "0" } else { cursor };
        let mut request = RangeRequest::after(cursor, limit);
        request.include_metadata = true;
        request.include_data = true;
        let page = self.client.range(&request).await?;
        let documents = page
            .vectors
            .into_iter()
            .map(to_document)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RangePage {
            documents,
            next_cursor: (!page.next_cursor.is_empty()).then_some(page.next_cursor),
        })
    }

    async fn info(&self) -> Result<StoreInfo, StoreError> {
        let info = self.client.info().await?;
        let ns = info
            .namespaces
            .get(self.client.current_namespace())
            .copied()
            .unwrap_or(crate::wire::NamespaceInfo {
                vector_count: 0,
                pending_vector_count: 0,
            });
        let dimension = info
            .dense_index
            .as_ref()
            .map_or(info.dimension, |d| d.dimension);
        Ok(StoreInfo {
            documents: ns.vector_count,
            dimension: (dimension > 0).then_some(dimension),
            pending: ns.pending_vector_count,
        })
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            dense: true,
            sparse: matches!(self.embedding, Embedding::Hosted) && self.client.is_hybrid(),
        }
    }
}
