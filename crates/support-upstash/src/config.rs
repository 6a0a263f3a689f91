//! Where the index is and how to talk to it.

use std::fmt;
use std::time::Duration;

/// Default bound on a whole request (connect, send, body): a query that takes longer is
/// better answered by the keyword fallback.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default bound on opening the connection alone.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// An Upstash Vector index: `UPSTASH_VECTOR_REST_URL` and `UPSTASH_VECTOR_REST_TOKEN` from
/// the console, the namespace this client works in, and whether the index is hybrid.
#[derive(Clone)]
pub struct UpstashConfig {
    /// `https://<index>.upstash.io`, or a fake's `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The REST token, sent as `Authorization: Bearer`. Never printed by `Debug`.
    pub token: String,
    /// The namespace every data call uses; `""` is Upstash's default namespace.
    pub namespace: String,
    /// The index has a dense and a sparse half, so text queries may say `queryMode`.
    /// Upstash does not take `queryMode` on a dense-only index.
    pub hybrid: bool,
    /// Bounds each whole request.
    pub timeout: Duration,
    /// Bounds connecting.
    pub connect_timeout: Duration,
}

impl UpstashConfig {
    /// The default namespace of a dense index, with the default timeouts.
    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            token: token.into(),
            namespace: String::new(),
            hybrid: false,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// The same index, another namespace.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Marks the index hybrid (dense + sparse).
    pub fn with_hybrid(mut self, hybrid: bool) -> Self {
        self.hybrid = hybrid;
        self
    }

    /// Both timeouts at once.
    pub fn with_timeouts(mut self, timeout: Duration, connect_timeout: Duration) -> Self {
        self.timeout = timeout;
        self.connect_timeout = connect_timeout;
        self
    }
}

/// The token stays out of logs.
impl fmt::Debug for UpstashConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstashConfig")
            .field("base_url", &self.base_url)
            .field("token", &"[redacted]")
            .field("namespace", &self.namespace)
            .field("hybrid", &self.hybrid)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}
