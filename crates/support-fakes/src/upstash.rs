//! A fake Upstash Vector REST API, so the Upstash store runs on loopback with no account.
//!
//! It answers like the documented API: `{"result": …}` on success and
//! `{"error": "...", "status": N}` otherwise, the namespace as an optional last path
//! segment, `Authorization: Bearer <token>` on every call (401 `Unauthorized: Invalid
//! token`), 422 for a vector of the wrong length or `-data` on an index without an embedding
//! model, `null` for fetched ids that do not exist, and `nextCursor: ""` after the last
//! range page. Each endpoint takes its documented method and POST (what Upstash's SDKs send).
//!
//! What it computes:
//! - filters with `support_retrieval::Filter` (the same parser the stores use): a filter that
//!   does not parse is a 400 carrying the parser's message;
//! - dense scores as Upstash reports COSINE ones, normalised to 0..1: `(1 + cos) / 2`;
//! - `-data` endpoints with [`hashed_embedding`], a deterministic hashed bag of words of the
//!   configured dimension, standing in for the index's embedding model;
//! - on a hybrid index, a sparse half that is BM25 over each record's `data` (what Upstash's
//!   BM25 model does for text), fused with the dense half by RRF (default) or DBSF.
//!
//! Choices of the fake where Upstash's docs are silent, written here so tests do not mistake
//! them for Upstash's: request bodies with unknown fields are refused (400), so a client typo
//! fails a test; `queryMode` on a non-hybrid index is a 422; `delete` and `fetch` need
//! exactly one selector; `range` cursors are offsets in id order (the docs' example goes
//! from `"0"` to `"2"`); `reset` empties namespaces but keeps them listed, `reset?all` keeps
//! only the default namespace. `update`, `random`, `rename-namespace` and resumable queries
//! are not implemented (404).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use support_retrieval::{Filter, reciprocal_rank_fusion};

use crate::server::{self, RequestLog, RequestRecord, Running, bearer, lock};

/// The message of Upstash's 401.
pub const UNAUTHORIZED: &str = "Unauthorized: Invalid token";

/// Upstash's 422 for `-data` on an index created without an embedding model.
pub const NO_EMBEDDING_MODEL: &str = "Embedding data for this index is not allowed. The index \
                                      must be created with an embedding model to use it.";

/// The model name `/info` reports for [`hashed_embedding`].
pub const FAKE_EMBEDDING_MODEL: &str = "FAKE_HASHED_BOW";

/// RRF's `k`, Upstash's default.
const RRF_K: f64 = 60.0;

/// Settings for [`FakeUpstash::start`].
#[derive(Debug, Clone)]
pub struct FakeUpstashConfig {
    /// Where to listen; the default `127.0.0.1:0` picks a free loopback port.
    pub bind: SocketAddr,
    /// The REST token clients must send as `Authorization: Bearer <token>`.
    pub token: String,
    /// Vector length of the dense index.
    pub dimension: usize,
    /// The index embeds `data` itself (with [`hashed_embedding`]); otherwise `-data`
    /// endpoints answer 422.
    pub embedding_model: bool,
    /// Dense plus a BM25 sparse half; text queries may then say `queryMode`.
    pub hybrid: bool,
    /// The index name in error messages (`$NAME` in the docs).
    pub index_name: String,
}

impl Default for FakeUpstashConfig {
    fn default() -> Self {
        FakeUpstashConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: "upstash_fake_token".to_owned(),
            dimension: 64,
            embedding_model: true,
            hybrid: false,
            index_name: "fake-index".to_owned(),
        }
    }
}

/// A misbehaviour for the next request (any endpoint), queued with [`FakeUpstash::script`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstashFault {
    /// Answer `status` with Upstash's error envelope and this message.
    Error { status: u16, message: String },
    /// Answer `status` with this body as it is (a proxy's HTML, truncated JSON …).
    Raw { status: u16, body: String },
    /// Wait this long, then handle the request normally (for client timeouts).
    Delay(Duration),
}

/// One stored record.
#[derive(Debug, Clone, PartialEq)]
struct Rec {
    vector: Vec<f32>,
    data: Option<String>,
    metadata: Option<Map<String, Value>>,
}

#[derive(Default)]
struct UpstashData {
    /// Namespace → id → record; the default namespace `""` always exists.
    namespaces: BTreeMap<String, BTreeMap<String, Rec>>,
    faults: VecDeque<UpstashFault>,
}

struct UpstashShared {
    config: FakeUpstashConfig,
    data: Mutex<UpstashData>,
    log: RequestLog,
}

/// A running fake Upstash Vector index.
pub struct FakeUpstash {
    shared: Arc<UpstashShared>,
    running: Running,
}

impl FakeUpstash {
    /// Bind `config.bind` and start serving.
    pub async fn start(config: FakeUpstashConfig) -> anyhow::Result<Self> {
        anyhow::ensure!(config.dimension > 0, "dimension must be at least 1");
        let bound = server::bind(config.bind).await?;
        let log = RequestLog::default();
        let mut data = UpstashData::default();
        data.namespaces.insert(String::new(), BTreeMap::new());
        let shared = Arc::new(UpstashShared {
            config,
            data: Mutex::new(data),
            log: log.clone(),
        });
        let router = Router::new()
            .route("/{endpoint}", any(root_endpoint))
            .route("/{endpoint}/{namespace}", any(namespaced_endpoint))
            .fallback(fallback)
            .with_state(shared.clone());
        let running = Running::spawn(bound, router, log);
        Ok(FakeUpstash { shared, running })
    }

    /// `http://127.0.0.1:PORT`: what the client uses as `UPSTASH_VECTOR_REST_URL`.
    pub fn url(&self) -> String {
        self.running.url()
    }

    /// The token the fake accepts.
    pub fn token(&self) -> String {
        self.shared.config.token.clone()
    }

    /// The dense dimension.
    pub fn dimension(&self) -> usize {
        self.shared.config.dimension
    }

    /// Stop gracefully and wait for the server task.
    pub async fn shutdown(self) {
        self.running.shutdown().await;
    }

    /// Queue a fault; each request takes the oldest one before anything else happens.
    pub fn script(&self, fault: UpstashFault) {
        lock(&self.shared.data).faults.push_back(fault);
    }

    /// Faults still queued.
    pub fn pending_faults(&self) -> usize {
        lock(&self.shared.data).faults.len()
    }

    /// Every request received, in order (auth failures and faults included).
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.shared.log.snapshot()
    }

    /// The requests whose first path segment is `endpoint` (`"query-data"`), in order.
    pub fn requests_to(&self, endpoint: &str) -> Vec<RequestRecord> {
        self.request_log()
            .into_iter()
            .filter(|r| r.path.trim_start_matches('/').split('/').next() == Some(endpoint))
            .collect()
    }

    /// Namespaces, sorted (`""` first), as `list-namespaces` answers.
    pub fn namespaces(&self) -> Vec<String> {
        lock(&self.shared.data).namespaces.keys().cloned().collect()
    }

    /// Records in `namespace` (0 if it does not exist).
    pub fn vector_count(&self, namespace: &str) -> usize {
        lock(&self.shared.data)
            .namespaces
            .get(namespace)
            .map_or(0, BTreeMap::len)
    }

    /// A stored record as `fetch` with every `include*` would show it.
    pub fn record(&self, namespace: &str, id: &str) -> Option<Value> {
        let d = lock(&self.shared.data);
        let rec = d.namespaces.get(namespace)?.get(id)?;
        Some(record_json(id, rec, true, true, true))
    }
}

/// The fake's stand-in for an embedding model: each lower-cased alphanumeric word hashed
/// (FNV-1a) to one of `dim` buckets with a hashed sign, then scaled to unit length. Texts
/// sharing words get similar vectors; the same text always gets the same one. An empty text
/// is the zero vector.
pub fn hashed_embedding(text: &str, dim: usize) -> Vec<f32> {
    let mut v = vec![0f32; dim.max(1)];
    for token in tokens(text) {
        let h = fnv1a(token.as_bytes());
        let i = usize::try_from(h % (dim.max(1) as u64)).unwrap_or(0);
        v[i] += if h >> 63 == 0 { 1.0 } else { -1.0 };
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in &mut v {
            *x /= norm;
        }
    }
    v
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
}

// ---------------------------------------------------------------------------------------
// Wire.

fn ok(result: Value) -> Response {
    (StatusCode::OK, axum::Json(json!({ "result": result }))).into_response()
}

/// Upstash's failure body, `{"error": "...", "status": N}`.
struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.message, "status": self.status.as_u16()});
        (self.status, axum::Json(body)).into_response()
    }
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

fn unprocessable(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
}

fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "Not Found")
}

fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| bad_request(format!("Invalid request body: {e}")))
}

/// One object or an array of them, as `upsert` and `query` take; `true` for an array.
fn parse_one_or_many<T: DeserializeOwned>(body: &[u8]) -> Result<(Vec<T>, bool), ApiError> {
    let value: Value = parse_body(body)?;
    match value {
        Value::Array(items) => items
            .into_iter()
            .map(serde_json::from_value)
            .collect::<Result<Vec<T>, _>>()
            .map(|v| (v, true))
            .map_err(|e| bad_request(format!("Invalid request body: {e}"))),
        other => serde_json::from_value(other)
            .map(|one| (vec![one], false))
            .map_err(|e| bad_request(format!("Invalid request body: {e}"))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpsertItem {
    id: String,
    #[serde(default)]
    vector: Option<Vec<f32>>,
    /// Accepted for the wire's sake; the fake's sparse half is BM25 over `data`.
    #[serde(default, rename = "sparseVector")]
    _sparse_vector: Option<Value>,
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    metadata: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpsertDataItem {
    id: String,
    data: String,
    #[serde(default)]
    metadata: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct QueryBody {
    #[serde(default)]
    vector: Option<Vec<f32>>,
    #[serde(default)]
    data: Option<String>,
    #[serde(default = "default_top_k")]
    top_k: usize,
    #[serde(default)]
    include_metadata: bool,
    #[serde(default)]
    include_vectors: bool,
    #[serde(default)]
    include_data: bool,
    #[serde(default)]
    filter: Option<String>,
    #[serde(default)]
    weighting_strategy: Option<String>,
    #[serde(default)]
    fusion_algorithm: Option<String>,
    #[serde(default)]
    query_mode: Option<String>,
}

fn default_top_k() -> usize {
    10
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FetchBody {
    #[serde(default)]
    ids: Option<Vec<String>>,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    include_metadata: bool,
    #[serde(default)]
    include_vectors: bool,
    #[serde(default)]
    include_data: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteBody {
    #[serde(default)]
    ids: Option<Vec<String>>,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    filter: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RangeBody {
    cursor: String,
    limit: usize,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    include_metadata: bool,
    #[serde(default)]
    include_vectors: bool,
    #[serde(default)]
    include_data: bool,
}

fn record_json(id: &str, rec: &Rec, vectors: bool, metadata: bool, data: bool) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    if vectors {
        out.insert("vector".into(), json!(rec.vector));
    }
    if metadata && let Some(m) = &rec.metadata {
        out.insert("metadata".into(), Value::Object(m.clone()));
    }
    if data && let Some(d) = &rec.data {
        out.insert("data".into(), json!(d));
    }
    Value::Object(out)
}

// ---------------------------------------------------------------------------------------
// Handlers.

type St = State<Arc<UpstashShared>>;

async fn root_endpoint(
    State(s): St,
    Path(endpoint): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&s, &endpoint, None, &method, &uri, &headers, &body).await
}

async fn namespaced_endpoint(
    State(s): St,
    Path((endpoint, namespace)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(
        &s,
        &endpoint,
        Some(&namespace),
        &method,
        &uri,
        &headers,
        &body,
    )
    .await
}

async fn fallback() -> Response {
    not_found().into_response()
}

/// The methods an endpoint answers: the documented one, and POST.
fn allowed(endpoint: &str) -> Option<&'static [Method]> {
    const POST: &[Method] = &[Method::POST];
    const GET_POST: &[Method] = &[Method::GET, Method::POST];
    const DELETE_POST: &[Method] = &[Method::DELETE, Method::POST];
    Some(match endpoint {
        "upsert" | "upsert-data" | "query" | "query-data" => POST,
        "fetch" | "range" | "info" | "list-namespaces" => GET_POST,
        "delete" | "delete-namespace" | "reset" => DELETE_POST,
        _ => return None,
    })
}

async fn handle(
    s: &UpstashShared,
    endpoint: &str,
    namespace: Option<&str>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let fault = lock(&s.data).faults.pop_front();
    match fault {
        Some(UpstashFault::Error { status, message }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return ApiError::new(status, message).into_response();
        }
        Some(UpstashFault::Raw { status, body }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, body).into_response();
        }
        Some(UpstashFault::Delay(d)) => tokio::time::sleep(d).await,
        None => {}
    }
    if bearer(headers) != Some(s.config.token.as_str()) {
        return ApiError::new(StatusCode::UNAUTHORIZED, UNAUTHORIZED).into_response();
    }
    let Some(methods) = allowed(endpoint) else {
        return not_found().into_response();
    };
    if !methods.contains(method) {
        return ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed").into_response();
    }
    let ns = namespace.unwrap_or("");
    let result = match endpoint {
        "upsert" => upsert(s, ns, body, false),
        "upsert-data" => upsert(s, ns, body, true),
        "query" => query(s, ns, body, false),
        "query-data" => query(s, ns, body, true),
        "fetch" => fetch(s, ns, body),
        "delete" => delete(s, ns, body),
        "range" => range(s, ns, body),
        "info" if namespace.is_none() => Ok(info(s)),
        "list-namespaces" if namespace.is_none() => {
            Ok(json!(lock(&s.data).namespaces.keys().collect::<Vec<_>>()))
        }
        "delete-namespace" => match namespace {
            Some(ns) => delete_namespace(s, ns),
            None => Err(not_found()),
        },
        "reset" => Ok(reset(s, ns, uri.query())),
        _ => Err(not_found()),
    };
    match result {
        Ok(v) => ok(v),
        Err(e) => e.into_response(),
    }
}

fn check_dimension(s: &UpstashShared, v: &[f32]) -> Result<(), ApiError> {
    let want = s.config.dimension;
    if v.len() == want {
        Ok(())
    } else {
        Err(unprocessable(format!(
            "Invalid vector dimension: {}, expected: {want}",
            v.len()
        )))
    }
}

fn upsert(
    s: &UpstashShared,
    ns: &str,
    body: &[u8],
    data_endpoint: bool,
) -> Result<Value, ApiError> {
    if data_endpoint && !s.config.embedding_model {
        return Err(unprocessable(NO_EMBEDDING_MODEL));
    }
    let dim = s.config.dimension;
    let mut records = Vec::new();
    if data_endpoint {
        let (items, _) = parse_one_or_many::<UpsertDataItem>(body)?;
        for item in items {
            records.push((
                item.id,
                Rec {
                    vector: hashed_embedding(&item.data, dim),
                    data: Some(item.data),
                    metadata: item.metadata,
                },
            ));
        }
    } else {
        let (items, _) = parse_one_or_many::<UpsertItem>(body)?;
        for item in items {
            let vector = match (item.vector, &item.data) {
                (Some(v), _) => v,
                // An index with a model embeds `data` sent to /upsert too.
                (None, Some(data)) if s.config.embedding_model => hashed_embedding(data, dim),
                (None, _) => return Err(unprocessable("Vector is required for upsert")),
            };
            check_dimension(s, &vector)?;
            records.push((
                item.id,
                Rec {
                    vector,
                    data: item.data,
                    metadata: item.metadata,
                },
            ));
        }
    }
    if let Some((id, _)) = records.iter().find(|(id, _)| id.is_empty()) {
        return Err(bad_request(format!("Invalid id: {id:?}")));
    }
    // All checked first, so a bad record leaves the namespace as it was.
    let mut d = lock(&s.data);
    let space = d.namespaces.entry(ns.to_owned()).or_default();
    for (id, rec) in records {
        space.insert(id, rec);
    }
    Ok(json!("Success"))
}

fn parse_filter(source: Option<&str>) -> Result<Option<Filter>, ApiError> {
    match source {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => Filter::parse(s)
            .map(Some)
            .map_err(|e| bad_request(format!("Invalid filter: {e}"))),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Dense,
    Sparse,
    Hybrid,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fusion {
    Rrf,
    Dbsf,
}

fn query(s: &UpstashShared, ns: &str, body: &[u8], data_endpoint: bool) -> Result<Value, ApiError> {
    if data_endpoint && !s.config.embedding_model {
        return Err(unprocessable(NO_EMBEDDING_MODEL));
    }
    let (queries, batch) = parse_one_or_many::<QueryBody>(body)?;
    let d = lock(&s.data);
    let empty = BTreeMap::new();
    let space = d.namespaces.get(ns).unwrap_or(&empty);
    let mut results = Vec::with_capacity(queries.len());
    for q in queries {
        results.push(Value::Array(run_query(s, space, q, data_endpoint)?));
    }
    Ok(if batch {
        Value::Array(results)
    } else {
        results.pop().unwrap_or(Value::Array(Vec::new()))
    })
}

fn run_query(
    s: &UpstashShared,
    space: &BTreeMap<String, Rec>,
    q: QueryBody,
    data_endpoint: bool,
) -> Result<Vec<Value>, ApiError> {
    let (vector, text) = if data_endpoint {
        if q.vector.is_some() {
            return Err(bad_request("Invalid request body: unknown field `vector`"));
        }
        let Some(text) = q.data else {
            return Err(bad_request("Invalid request body: missing field `data`"));
        };
        (hashed_embedding(&text, s.config.dimension), Some(text))
    } else {
        if q.data.is_some() || q.query_mode.is_some() {
            let field = if q.data.is_some() {
                "data"
            } else {
                "queryMode"
            };
            return Err(bad_request(format!(
                "Invalid request body: unknown field `{field}`"
            )));
        }
        let Some(v) = q.vector else {
            return Err(bad_request("Invalid request body: missing field `vector`"));
        };
        check_dimension(s, &v)?;
        (v, None)
    };
    let mode = match q.query_mode.as_deref() {
        None => Mode::Hybrid,
        Some(_) if !s.config.hybrid => {
            return Err(unprocessable(
                "queryMode is only allowed for hybrid indexes",
            ));
        }
        Some("HYBRID") => Mode::Hybrid,
        Some("DENSE") => Mode::Dense,
        Some("SPARSE") => Mode::Sparse,
        Some(other) => return Err(bad_request(format!("Invalid queryMode: {other}"))),
    };
    let fusion = match q.fusion_algorithm.as_deref() {
        None | Some("RRF") => Fusion::Rrf,
        Some("DBSF") => Fusion::Dbsf,
        Some(other) => return Err(bad_request(format!("Invalid fusionAlgorithm: {other}"))),
    };
    match q.weighting_strategy.as_deref() {
        None | Some("IDF") => {}
        Some(other) => return Err(bad_request(format!("Invalid weightingStrategy: {other}"))),
    }
    let filter = parse_filter(q.filter.as_deref())?;

    let candidates: Vec<(&String, &Rec)> = space
        .iter()
        .filter(|(_, rec)| match &filter {
            None => true,
            Some(f) => f.matches(&Value::Object(rec.metadata.clone().unwrap_or_default())),
        })
        .collect();
    let dense = || {
        let mut scored: Vec<(String, f64)> = candidates
            .iter()
            .map(|(id, rec)| ((*id).clone(), normalised_cosine(&vector, &rec.vector)))
            .collect();
        sort_scored(&mut scored);
        scored
    };
    // A vector query on a hybrid index only has the dense half here (no sparse vectors).
    let scored = match (s.config.hybrid, text) {
        (true, Some(text)) => {
            let sparse = || bm25(space, &candidates, &text);
            match mode {
                Mode::Dense => dense(),
                Mode::Sparse => sparse(),
                Mode::Hybrid => fuse(&dense(), &sparse(), fusion),
            }
        }
        _ => dense(),
    };
    Ok(scored
        .into_iter()
        .take(q.top_k)
        .filter_map(|(id, score)| {
            let rec = space.get(&id)?;
            let mut v = record_json(
                &id,
                rec,
                q.include_vectors,
                q.include_metadata,
                q.include_data,
            );
            if let Value::Object(m) = &mut v {
                m.insert("score".into(), json!(score));
            }
            Some(v)
        })
        .collect())
}

/// Best first; equal scores in id order, so answers are deterministic.
fn sort_scored(v: &mut [(String, f64)]) {
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
}

/// Cosine similarity mapped to 0..1 as Upstash reports it; a zero vector scores 0.5.
fn normalised_cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut dot, mut na, mut nb) = (0f64, 0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    let cos = if na > 0.0 && nb > 0.0 {
        (dot / (na.sqrt() * nb.sqrt())).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    (1.0 + cos) / 2.0
}

/// BM25 (k1 = 1.2, b = 0.75) of `text` against the candidates' `data`, statistics over the
/// whole namespace; only records sharing a word with the query are returned.
fn bm25(
    space: &BTreeMap<String, Rec>,
    candidates: &[(&String, &Rec)],
    text: &str,
) -> Vec<(String, f64)> {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    let docs: Vec<Vec<String>> = space
        .values()
        .map(|r| tokens(r.data.as_deref().unwrap_or("")).collect())
        .collect();
    let n = docs.len() as f64;
    let avg_len = (docs.iter().map(Vec::len).sum::<usize>() as f64 / n.max(1.0)).max(1.0);
    let mut df: HashMap<&str, usize> = HashMap::new();
    for doc in &docs {
        let mut seen: Vec<&str> = doc.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for t in seen {
            *df.entry(t).or_default() += 1;
        }
    }
    let mut query: Vec<String> = tokens(text).collect();
    query.sort_unstable();
    query.dedup();
    let mut scored = Vec::new();
    for (id, rec) in candidates {
        let doc: Vec<String> = tokens(rec.data.as_deref().unwrap_or("")).collect();
        let len = doc.len() as f64;
        let mut score = 0.0;
        for t in &query {
            let tf = doc.iter().filter(|w| *w == t).count() as f64;
            if tf == 0.0 {
                continue;
            }
            let df = df.get(t.as_str()).copied().unwrap_or(0) as f64;
            let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
            score += idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / avg_len));
        }
        if score > 0.0 {
            scored.push(((*id).clone(), score));
        }
    }
    sort_scored(&mut scored);
    scored
}

fn fuse(dense: &[(String, f64)], sparse: &[(String, f64)], fusion: Fusion) -> Vec<(String, f64)> {
    match fusion {
        Fusion::Rrf => {
            let lists: Vec<Vec<String>> = [dense, sparse]
                .iter()
                .map(|l| l.iter().map(|(id, _)| id.clone()).collect())
                .collect();
            let mut fused = reciprocal_rank_fusion(&lists, RRF_K, usize::MAX);
            sort_scored(&mut fused);
            fused
        }
        Fusion::Dbsf => {
            // Distribution-based score fusion: each list scaled by mean ± 3σ, then summed.
            let mut total: BTreeMap<String, f64> = BTreeMap::new();
            for list in [dense, sparse] {
                let n = list.len() as f64;
                if n == 0.0 {
                    continue;
                }
                let mean = list.iter().map(|(_, s)| s).sum::<f64>() / n;
                let sd = (list.iter().map(|(_, s)| (s - mean).powi(2)).sum::<f64>() / n).sqrt();
                let (lo, hi) = (mean - 3.0 * sd, mean + 3.0 * sd);
                for (id, s) in list {
                    let scaled = if hi > lo { (s - lo) / (hi - lo) } else { 0.5 };
                    *total.entry(id.clone()).or_default() += scaled.clamp(0.0, 1.0);
                }
            }
            let mut fused: Vec<(String, f64)> = total.into_iter().collect();
            sort_scored(&mut fused);
            fused
        }
    }
}

fn fetch(s: &UpstashShared, ns: &str, body: &[u8]) -> Result<Value, ApiError> {
    let f: FetchBody = parse_body(body)?;
    let d = lock(&s.data);
    let empty = BTreeMap::new();
    let space = d.namespaces.get(ns).unwrap_or(&empty);
    let show = |id: &str, rec: &Rec| {
        record_json(
            id,
            rec,
            f.include_vectors,
            f.include_metadata,
            f.include_data,
        )
    };
    match (&f.ids, &f.prefix) {
        (Some(ids), None) => Ok(Value::Array(
            ids.iter()
                .map(|id| space.get(id).map_or(Value::Null, |rec| show(id, rec)))
                .collect(),
        )),
        (None, Some(prefix)) => Ok(Value::Array(
            space
                .iter()
                .filter(|(id, _)| id.starts_with(prefix.as_str()))
                .map(|(id, rec)| show(id, rec))
                .collect(),
        )),
        _ => Err(bad_request("Either ids or prefix must be given, not both")),
    }
}

fn delete(s: &UpstashShared, ns: &str, body: &[u8]) -> Result<Value, ApiError> {
    let b: DeleteBody = parse_body(body)?;
    let mut d = lock(&s.data);
    let Some(space) = d.namespaces.get_mut(ns) else {
        return Ok(json!({"deleted": 0}));
    };
    let before = space.len();
    match (b.ids, b.prefix, b.filter) {
        (Some(ids), None, None) => {
            for id in ids {
                space.remove(&id);
            }
        }
        (None, Some(prefix), None) => space.retain(|id, _| !id.starts_with(&prefix)),
        (None, None, Some(filter)) => {
            let Some(filter) = parse_filter(Some(&filter))? else {
                return Err(bad_request("Invalid filter: empty filter"));
            };
            space.retain(|_, rec| {
                !filter.matches(&Value::Object(rec.metadata.clone().unwrap_or_default()))
            });
        }
        _ => {
            return Err(bad_request(
                "Exactly one of ids, prefix or filter must be given",
            ));
        }
    }
    Ok(json!({"deleted": before - space.len()}))
}

fn range(s: &UpstashShared, ns: &str, body: &[u8]) -> Result<Value, ApiError> {
    let r: RangeBody = parse_body(body)?;
    if r.limit == 0 {
        return Err(bad_request("limit must be greater than 0"));
    }
    let start = match r.cursor.as_str() {
        "" => 0,
        c => c
            .parse::<usize>()
            .map_err(|_| bad_request(format!("Invalid cursor: {c}")))?,
    };
    let d = lock(&s.data);
    let empty = BTreeMap::new();
    let space = d.namespaces.get(ns).unwrap_or(&empty);
    let prefix = r.prefix.as_deref().unwrap_or("");
    let matching: Vec<(&String, &Rec)> = space
        .iter()
        .filter(|(id, _)| id.starts_with(prefix))
        .collect();
    let end = start.saturating_add(r.limit).min(matching.len());
    let vectors: Vec<Value> = matching
        .get(start..end)
        .unwrap_or(&[])
        .iter()
        .map(|(id, rec)| {
            record_json(
                id,
                rec,
                r.include_vectors,
                r.include_metadata,
                r.include_data,
            )
        })
        .collect();
    let next = if end < matching.len() {
        end.to_string()
    } else {
        String::new()
    };
    Ok(json!({"nextCursor": next, "vectors": vectors}))
}

fn info(s: &UpstashShared) -> Value {
    let d = lock(&s.data);
    let c = &s.config;
    let mut namespaces = Map::new();
    let mut total = 0usize;
    let mut size = 0usize;
    for (name, space) in &d.namespaces {
        total += space.len();
        for rec in space.values() {
            size += rec.vector.len() * 4
                + rec.data.as_ref().map_or(0, String::len)
                + rec
                    .metadata
                    .as_ref()
                    .map_or(0, |m| Value::Object(m.clone()).to_string().len());
        }
        namespaces.insert(
            name.clone(),
            json!({"vectorCount": space.len(), "pendingVectorCount": 0}),
        );
    }
    let mut dense = json!({"dimension": c.dimension, "similarityFunction": "COSINE"});
    if c.embedding_model {
        dense["embeddingModel"] = json!(FAKE_EMBEDDING_MODEL);
    }
    let mut out = json!({
        "vectorCount": total,
        "pendingVectorCount": 0,
        "indexSize": size,
        "dimension": c.dimension,
        "similarityFunction": "COSINE",
        "indexType": if c.hybrid { "HYBRID" } else { "DENSE" },
        "denseIndex": dense,
        "namespaces": namespaces,
    });
    if c.hybrid {
        out["sparseIndex"] = json!({"embeddingModel": "BM25"});
    }
    out
}

fn delete_namespace(s: &UpstashShared, ns: &str) -> Result<Value, ApiError> {
    let mut d = lock(&s.data);
    if ns.is_empty() || d.namespaces.remove(ns).is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "Namespace {ns} for the index {} does not exist",
                s.config.index_name
            ),
        ));
    }
    Ok(json!("Success"))
}

fn reset(s: &UpstashShared, ns: &str, query: Option<&str>) -> Value {
    let all = query.is_some_and(|q| q.split('&').any(|p| p == "all" || p.starts_with("all=")));
    let mut d = lock(&s.data);
    if all {
        d.namespaces.clear();
        d.namespaces.insert(String::new(), BTreeMap::new());
    } else if let Some(space) = d.namespaces.get_mut(ns) {
        space.clear();
    }
    json!("Success")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedding_is_deterministic_unit_length_and_word_based() {
        let a = hashed_embedding("Refund my order, please", 64);
        assert_eq!(a, hashed_embedding("refund MY order please", 64));
        let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(hashed_embedding("", 8).iter().all(|x| *x == 0.0));
        let b = hashed_embedding("refund order", 64);
        let c = hashed_embedding("kubernetes cluster", 64);
        assert!(normalised_cosine(&a, &b) > normalised_cosine(&a, &c));
    }

    #[test]
    fn cosine_is_normalised_like_upstash() {
        assert!((normalised_cosine(&[1.0, 0.0], &[2.0, 0.0]) - 1.0).abs() < 1e-12);
        assert!(normalised_cosine(&[1.0, 0.0], &[-1.0, 0.0]).abs() < 1e-12);
        assert!((normalised_cosine(&[1.0, 0.0], &[0.0, 1.0]) - 0.5).abs() < 1e-12);
        assert!((normalised_cosine(&[0.0, 0.0], &[0.0, 1.0]) - 0.5).abs() < 1e-12);
    }
}
