//! Upstash Vector's JSON, field for field as its REST docs write it (camelCase), and the
//! envelope decoder every call goes through.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use support_retrieval::{Filter, QueryMode};

use crate::UpstashError;

fn is_false(b: &bool) -> bool {
    !*b
}

/// One record for `/upsert-data`: Upstash embeds `data` with the index's model and keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataRecord {
    pub id: String,
    pub data: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// One record for `/upsert`: a vector computed by the caller, with optional raw `data`
/// stored beside it (returned by `includeData`, never embedded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorRecord {
    pub id: String,
    pub vector: Vec<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// A `/query-data` body: text embedded by Upstash.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataQuery {
    pub data: String,
    pub top_k: usize,
    #[serde(skip_serializing_if = "is_false")]
    pub include_metadata: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub include_vectors: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub include_data: bool,
    /// Serialised as its source text, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<Filter>,
    /// Hybrid indexes only; Upstash refuses it elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_mode: Option<QueryMode>,
}

impl DataQuery {
    /// `top_k` hits for `data`, ids and scores only.
    pub fn new(data: impl Into<String>, top_k: usize) -> Self {
        Self {
            data: data.into(),
            top_k,
            include_metadata: false,
            include_vectors: false,
            include_data: false,
            filter: None,
            query_mode: None,
        }
    }
}

/// A `/query` body: a vector computed by the caller. No `queryMode`: a vector query is
/// dense (the docs list no `queryMode` for `/query`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VectorQuery {
    pub vector: Vec<f32>,
    pub top_k: usize,
    #[serde(skip_serializing_if = "is_false")]
    pub include_metadata: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub include_vectors: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub include_data: bool,
    /// Serialised as its source text, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<Filter>,
}

impl VectorQuery {
    /// `top_k` hits for `vector`, ids and scores only.
    pub fn new(vector: Vec<f32>, top_k: usize) -> Self {
        Self {
            vector,
            top_k,
            include_metadata: false,
            include_vectors: false,
            include_data: false,
            filter: None,
        }
    }
}

/// A `/fetch` body: by ids (missing ones come back `null`) or by id prefix.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub include_metadata: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub include_vectors: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub include_data: bool,
}

impl FetchRequest {
    /// These ids, in this order.
    pub fn ids(ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            ids: Some(ids.into_iter().map(Into::into).collect()),
            ..Self::empty()
        }
    }

    /// Every id starting with `prefix`.
    pub fn prefix(prefix: impl Into<String>) -> Self {
        Self {
            prefix: Some(prefix.into()),
            ..Self::empty()
        }
    }

    fn empty() -> Self {
        Self {
            ids: None,
            prefix: None,
            include_metadata: false,
            include_vectors: false,
            include_data: false,
        }
    }
}

/// A `/delete` body: exactly one way of choosing what goes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DeleteRequest {
    Ids(Vec<String>),
    Prefix(String),
    /// Serialised as its source text, verbatim.
    Filter(Filter),
}

/// A `/range` body. `cursor` is `"0"` for the first page, then the last `nextCursor`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RangeRequest {
    pub cursor: String,
    pub limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub include_metadata: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub include_vectors: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub include_data: bool,
}

impl RangeRequest {
    /// The first page of `limit`, ids only.
    pub fn first(limit: usize) -> Self {
        Self::after("0", limit)
    }

    /// The page that starts at `cursor`.
    pub fn after(cursor: impl Into<String>, limit: usize) -> Self {
        Self {
            cursor: cursor.into(),
            limit,
            prefix: None,
            include_metadata: false,
            include_vectors: false,
            include_data: false,
        }
    }
}

/// A sparse vector, as hybrid indexes return it with `includeVectors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SparseVector {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

/// A stored record as `/fetch` and `/range` return it; each part only when asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredVector {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<Vec<f32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparse_vector: Option<SparseVector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// One query result. Scores are Upstash's: 0..1 for dense (1 = most similar), fused or
/// BM25 scales for hybrid and sparse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoredVector {
    pub id: String,
    pub score: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<Vec<f32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparse_vector: Option<SparseVector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// A `/range` page. `next_cursor` is `""` after the last page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RangeResult {
    pub next_cursor: String,
    #[serde(default)]
    pub vectors: Vec<StoredVector>,
}

/// `/delete`'s answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleted {
    pub deleted: u64,
}

/// `/info`: counts for the whole index and per namespace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexInfo {
    pub vector_count: u64,
    pub pending_vector_count: u64,
    #[serde(default)]
    pub index_size: u64,
    pub dimension: usize,
    #[serde(default)]
    pub similarity_function: String,
    /// `DENSE`, `SPARSE` or `HYBRID`; absent on older indexes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dense_index: Option<DenseIndexInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparse_index: Option<SparseIndexInfo>,
    #[serde(default)]
    pub namespaces: BTreeMap<String, NamespaceInfo>,
}

/// The dense half of `/info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DenseIndexInfo {
    pub dimension: usize,
    #[serde(default)]
    pub similarity_function: String,
    /// Present when Upstash embeds `data` itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding_model: Option<String>,
}

/// The sparse half of `/info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SparseIndexInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding_model: Option<String>,
}

/// Counts of one namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceInfo {
    pub vector_count: u64,
    pub pending_vector_count: u64,
}

/// `{"result": …}`.
#[derive(Deserialize)]
struct Success<T> {
    result: T,
}

/// `{"error": "...", "status": N}`.
#[derive(Deserialize)]
struct Failure {
    error: String,
    #[serde(default)]
    status: Option<u16>,
}

/// Longest error message kept from a body that is not Upstash's envelope (a proxy's HTML).
const MAX_FOREIGN_MESSAGE: usize = 200;

/// Turns a status and body into the result or a typed error: 2xx is `{"result": …}`,
/// anything else `{"error", "status"}` classified by the HTTP status. Public so the
/// documented examples can be replayed through exactly this code.
pub fn decode<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, UpstashError> {
    if (200..300).contains(&status) {
        return match serde_json::from_str::<Success<T>>(body) {
            Ok(ok) => Ok(ok.result),
            // A 2xx carrying the error envelope is still an error (the SDKs check `error`
            // whatever the status).
            Err(source) => match serde_json::from_str::<Failure>(body) {
                Ok(f) => Err(classify(f.status.unwrap_or(400), f.error)),
                Err(_) => Err(UpstashError::Decode { status, source }),
            },
        };
    }
    let message = match serde_json::from_str::<Failure>(body) {
        Ok(f) => f.error,
        Err(_) => body.trim().chars().take(MAX_FOREIGN_MESSAGE).collect(),
    };
    Err(classify(status, message))
}

fn classify(status: u16, message: String) -> UpstashError {
    match status {
        401 => UpstashError::Unauthorized { message },
        429 => UpstashError::RateLimited { message },
        500..=599 => UpstashError::Unavailable { status, message },
        _ => UpstashError::Rejected { status, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelopes() {
        let ok: String = decode(200, r#"{"result":"Success"}"#).expect("success");
        assert_eq!(ok, "Success");
        let e = decode::<String>(
            401,
            r#"{"error":"Unauthorized: Invalid token","status":401}"#,
        )
        .expect_err("401");
        assert!(
            matches!(&e, UpstashError::Unauthorized { message } if message == "Unauthorized: Invalid token")
        );
        let e = decode::<String>(502, "<html>bad gateway</html>").expect_err("502");
        assert!(
            matches!(&e, UpstashError::Unavailable { status: 502, message } if message.contains("bad gateway"))
        );
        let e = decode::<String>(200, "not json").expect_err("garbage");
        assert!(matches!(e, UpstashError::Decode { status: 200, .. }));
        let e =
            decode::<String>(200, r#"{"error":"nope","status":422}"#).expect_err("error in 200");
        assert!(matches!(e, UpstashError::Rejected { status: 422, .. }));
        let e = decode::<String>(429, r#"{"error":"ERR max requests limit exceeded"}"#)
            .expect_err("429");
        assert!(e.is_transient());
    }

    #[test]
    fn delete_request_shapes() {
        let f = Filter::parse("appId = 'acme'").expect("filter");
        assert_eq!(
            serde_json::to_value(DeleteRequest::Filter(f)).expect("json"),
            json!({"filter": "appId = 'acme'"})
        );
        assert_eq!(
            serde_json::to_value(DeleteRequest::Prefix("doc-".into())).expect("json"),
            json!({"prefix": "doc-"})
        );
    }
}
