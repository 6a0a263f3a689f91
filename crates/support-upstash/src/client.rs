//! The REST client: one method per endpoint, the namespace as the last path segment.

use std::fmt;

use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::UpstashConfig;
use crate::UpstashError;
use crate::wire::{
    DataQuery, DataRecord, DeleteRequest, Deleted, FetchRequest, IndexInfo, RangeRequest,
    RangeResult, ScoredVector, StoredVector, VectorQuery, VectorRecord, decode,
};

/// A client for one namespace of one index. Cloning (or [`UpstashClient::namespace`]) shares
/// the connection pool.
#[derive(Clone)]
pub struct UpstashClient {
    http: reqwest::Client,
    base: Url,
    token: String,
    namespace: String,
    hybrid: bool,
}

impl fmt::Debug for UpstashClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstashClient")
            .field("base", &self.base.as_str())
            .field("token", &"[redacted]")
            .field("namespace", &self.namespace)
            .field("hybrid", &self.hybrid)
            .finish()
    }
}

impl UpstashClient {
    /// Checks the configuration and builds the one HTTP client every call shares.
    ///
    /// # Panics
    ///
    /// reqwest panics here if no rustls crypto provider is installed for the process (the
    /// workspace uses `rustls-no-provider`); install one at startup.
    pub fn new(config: UpstashConfig) -> Result<Self, UpstashError> {
        let base = Url::parse(config.base_url.trim_end_matches('/'))
            .map_err(|e| UpstashError::Config(format!("base url: {e}")))?;
        if !matches!(base.scheme(), "https" | "http") || base.cannot_be_a_base() {
            return Err(UpstashError::Config(
                "base url must be an http(s) URL".to_owned(),
            ));
        }
        if config.token.is_empty() || !config.token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(UpstashError::Config(
                "token must be non-empty printable ASCII".to_owned(),
            ));
        }
        check_namespace(&config.namespace)?;
        if config.timeout.is_zero() || config.connect_timeout.is_zero() {
            return Err(UpstashError::Config(
                "timeouts must be greater than 0".to_owned(),
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            // Callers decide about retries (or a keyword fallback); nothing is resent here.
            .retry(reqwest::retry::never())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(UpstashError::Transport)?;
        Ok(Self {
            http,
            base,
            token: config.token,
            namespace: config.namespace,
            hybrid: config.hybrid,
        })
    }

    /// The same index and connection pool, another namespace.
    pub fn namespace(&self, namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            ..self.clone()
        }
    }

    /// The namespace this client works in (`""` is the default one).
    pub fn current_namespace(&self) -> &str {
        &self.namespace
    }

    /// Whether the configuration says the index is hybrid.
    pub fn is_hybrid(&self) -> bool {
        self.hybrid
    }

    /// `base/segment/...`, each segment percent-encoded; empty segments left out, so the
    /// default namespace has no segment at all. `.` and `..` are refused: URL rules drop
    /// them, which would send a call for namespace `..` to the default namespace.
    fn url(&self, segments: &[&str]) -> Result<Url, UpstashError> {
        check_namespace(segments.last().copied().unwrap_or(""))?;
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            path.extend(segments.iter().filter(|s| !s.is_empty()));
        }
        Ok(url)
    }

    async fn call<B: Serialize + Sync + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
    ) -> Result<T, UpstashError> {
        let mut rb = self.http.request(method, url).bearer_auth(&self.token);
        if let Some(body) = body {
            rb = rb.json(body);
        }
        let resp = rb.send().await.map_err(UpstashError::Transport)?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(UpstashError::Transport)?;
        decode(status, &text)
    }

    /// A call without a body.
    async fn bare<T: DeserializeOwned>(&self, method: Method, url: Url) -> Result<T, UpstashError> {
        self.call::<(), T>(method, url, None).await
    }

    /// A data endpoint in this client's namespace. POST, as Upstash's own SDKs send every
    /// command (the docs list GET/DELETE with a JSON body for `fetch`, `range`, `delete`).
    async fn post<B: Serialize + Sync + ?Sized, T: DeserializeOwned>(
        &self,
        endpoint: &str,
        body: &B,
    ) -> Result<T, UpstashError> {
        let url = self.url(&[endpoint, &self.namespace])?;
        self.call(Method::POST, url, Some(body)).await
    }

    /// `POST /upsert-data/{ns}`: Upstash embeds each `data` with the index's model. An
    /// index without a model answers 422.
    pub async fn upsert_data(&self, records: &[DataRecord]) -> Result<(), UpstashError> {
        self.post::<_, Value>("upsert-data", &records).await?;
        Ok(())
    }

    /// `POST /upsert/{ns}`: vectors computed by the caller; a wrong length answers 422.
    pub async fn upsert(&self, records: &[VectorRecord]) -> Result<(), UpstashError> {
        self.post::<_, Value>("upsert", &records).await?;
        Ok(())
    }

    /// `POST /query-data/{ns}`, best first.
    pub async fn query_data(&self, query: &DataQuery) -> Result<Vec<ScoredVector>, UpstashError> {
        self.post("query-data", query).await
    }

    /// `POST /query-data/{ns}` with an array: one result list per query, in order.
    pub async fn query_data_batch(
        &self,
        queries: &[DataQuery],
    ) -> Result<Vec<Vec<ScoredVector>>, UpstashError> {
        self.post("query-data", &queries).await
    }

    /// `POST /query/{ns}`, best first.
    pub async fn query(&self, query: &VectorQuery) -> Result<Vec<ScoredVector>, UpstashError> {
        self.post("query", query).await
    }

    /// `POST /query/{ns}` with an array: one result list per query, in order.
    pub async fn query_batch(
        &self,
        queries: &[VectorQuery],
    ) -> Result<Vec<Vec<ScoredVector>>, UpstashError> {
        self.post("query", &queries).await
    }

    /// `/fetch/{ns}`: by ids, `None` where an id has no record; or by prefix.
    pub async fn fetch(
        &self,
        request: &FetchRequest,
    ) -> Result<Vec<Option<StoredVector>>, UpstashError> {
        self.post("fetch", request).await
    }

    /// `/delete/{ns}`: how many records were deleted.
    pub async fn delete(&self, request: &DeleteRequest) -> Result<u64, UpstashError> {
        let deleted: Deleted = self.post("delete", request).await?;
        Ok(deleted.deleted)
    }

    /// `/range/{ns}`: one page; `next_cursor` is `""` after the last.
    pub async fn range(&self, request: &RangeRequest) -> Result<RangeResult, UpstashError> {
        self.post("range", request).await
    }

    /// `GET /info`: the whole index, every namespace.
    pub async fn info(&self) -> Result<IndexInfo, UpstashError> {
        self.bare(Method::GET, self.url(&["info"])?).await
    }

    /// `GET /list-namespaces`; the default namespace is `""`.
    pub async fn list_namespaces(&self) -> Result<Vec<String>, UpstashError> {
        self.bare(Method::GET, self.url(&["list-namespaces"])?)
            .await
    }

    /// `DELETE /delete-namespace/{namespace}`: any namespace, not only this client's. The
    /// default one cannot be deleted (refused here, as Upstash's SDKs do).
    pub async fn delete_namespace(&self, namespace: &str) -> Result<(), UpstashError> {
        if namespace.is_empty() {
            return Err(UpstashError::Config(
                "the default namespace cannot be deleted".to_owned(),
            ));
        }
        let url = self.url(&["delete-namespace", namespace])?;
        self.bare::<Value>(Method::DELETE, url).await?;
        Ok(())
    }

    /// `DELETE /reset/{ns}`: every record of this client's namespace.
    pub async fn reset(&self) -> Result<(), UpstashError> {
        let url = self.url(&["reset", &self.namespace])?;
        self.bare::<Value>(Method::DELETE, url).await?;
        Ok(())
    }

    /// `DELETE /reset?all`: every record of every namespace.
    pub async fn reset_all(&self) -> Result<(), UpstashError> {
        let mut url = self.url(&["reset"])?;
        url.set_query(Some("all"));
        self.bare::<Value>(Method::DELETE, url).await?;
        Ok(())
    }

    /// `POST /{endpoint}/{ns}` with any JSON body, for what this client does not wrap
    /// (`update`, `rename-namespace` …): the envelope is still decoded and classified.
    pub async fn post_raw(&self, endpoint: &str, body: &Value) -> Result<Value, UpstashError> {
        self.post(endpoint, body).await
    }
}

fn check_namespace(namespace: &str) -> Result<(), UpstashError> {
    if matches!(namespace, "." | "..") {
        return Err(UpstashError::Config(format!(
            "{namespace:?} cannot be a namespace (URLs drop it)"
        )));
    }
    Ok(())
}
