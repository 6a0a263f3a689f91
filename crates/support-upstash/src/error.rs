//! What can go wrong talking to Upstash, and what that means for a [`VectorStore`] caller.
//!
//! [`VectorStore`]: support_retrieval::VectorStore

use support_retrieval::StoreError;

/// A failed Upstash call. Messages never contain the token: it only travels in a header,
/// and Upstash does not echo it.
#[derive(Debug, thiserror::Error)]
pub enum UpstashError {
    /// No usable HTTP response (connect, timeout, reset, unreadable body). Keeps reqwest's
    /// error so the cause chain says why.
    #[error("upstash transport error")]
    Transport(#[source] reqwest::Error),
    /// 401: the token is missing, wrong or revoked.
    #[error("upstash refused the token: {message}")]
    Unauthorized { message: String },
    /// 429: over the plan's request or bandwidth limit; trying later may work.
    #[error("upstash rate limited the request: {message}")]
    RateLimited { message: String },
    /// Any other 4xx: a bad filter (400), a wrong dimension or data on an index without an
    /// embedding model (422), an unknown namespace (404). Upstash's own message.
    #[error("upstash rejected the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// 5xx: Upstash could not serve the request.
    #[error("upstash unavailable ({status}): {message}")]
    Unavailable { status: u16, message: String },
    /// A response arrived but its body was not the documented envelope.
    #[error("upstash sent an undecodable {status} body")]
    Decode {
        status: u16,
        #[source]
        source: serde_json::Error,
    },
    /// A record came back without what this store writes (metadata, a vector).
    #[error("upstash record {id}: {problem}")]
    Record { id: String, problem: String },
    /// The configuration cannot work (bad base URL, empty token, zero timeout); nothing sent.
    #[error("invalid upstash configuration: {0}")]
    Config(String),
}

impl UpstashError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            UpstashError::Transport(_)
                | UpstashError::RateLimited { .. }
                | UpstashError::Unavailable { .. }
                | UpstashError::Decode { .. }
        )
    }
}

/// Transient failures become `Unavailable` (retry, or fall back to keywords); the caller's
/// mistakes become `Rejected`; a refused token is `Unauthorized`.
impl From<UpstashError> for StoreError {
    fn from(e: UpstashError) -> Self {
        match e {
            UpstashError::Unauthorized { .. } => StoreError::Unauthorized,
            UpstashError::Rejected { .. } | UpstashError::Config(_) => {
                StoreError::Rejected(e.to_string())
            }
            UpstashError::Transport(_)
            | UpstashError::RateLimited { .. }
            | UpstashError::Unavailable { .. }
            | UpstashError::Decode { .. }
            | UpstashError::Record { .. } => StoreError::Unavailable(Box::new(e)),
        }
    }
}
