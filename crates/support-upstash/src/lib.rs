//! Upstash Vector, the hosted alternative to the embedded hybrid index: a small REST client
//! ([`UpstashClient`], one method per endpoint) and [`UpstashStore`], the
//! [`support_retrieval::VectorStore`] on top of it. Tests and the sandbox point it at
//! `support_fakes::FakeUpstash`.
//!
//! # Wire
//!
//! Every call carries `Authorization: Bearer <token>`; the namespace is the last path
//! segment (none for the default namespace `""`). Success is `{"result": …}`, failure
//! `{"error": "...", "status": N}`; [`wire::decode`] turns both into values or an
//! [`UpstashError`], which maps onto [`support_retrieval::StoreError`]. Filters travel as
//! their source text, exactly as the caller wrote them, after `support_retrieval::Filter`
//! has parsed them here once.
//!
//! Data endpoints (`upsert`, `query`, `fetch`, `range`, `delete`) are POSTed, as Upstash's
//! own SDKs do; the docs list GET or DELETE with a JSON body for `fetch`, `range` and
//! `delete`, which some proxies drop. `info`, `list-namespaces`, `delete-namespace` and
//! `reset` have no body and use the documented GET/DELETE.
//!
//! # Retries
//!
//! None here: [`UpstashError::is_transient`] tells the caller whether to try again or fall
//! back to keywords.
//!
//! # TLS
//!
//! The workspace builds reqwest with `rustls-no-provider`: the process must install a rustls
//! crypto provider before [`UpstashClient::new`] is called.

mod client;
mod config;
mod error;
mod store;
pub mod wire;

pub use client::UpstashClient;
pub use config::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, UpstashConfig};
pub use error::UpstashError;
pub use store::UpstashStore;
pub use wire::{
    DataQuery, DataRecord, DeleteRequest, FetchRequest, IndexInfo, RangeRequest, RangeResult,
    ScoredVector, StoredVector, VectorQuery, VectorRecord,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_token() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = UpstashConfig::new("http://127.0.0.1:1", "tok_secret_123");
        assert!(!format!("{config:?}").contains("tok_secret_123"));
        let client = UpstashClient::new(config).expect("client");
        assert!(!format!("{client:?}").contains("tok_secret_123"));
    }

    #[test]
    fn bad_configuration_is_refused_before_sending() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        for config in [
            UpstashConfig::new("ftp://x", "t"),
            UpstashConfig::new("not a url", "t"),
            UpstashConfig::new("https://x.upstash.io", ""),
            UpstashConfig::new("https://x.upstash.io", "has space"),
            UpstashConfig::new("https://x.upstash.io", "t")
                .with_timeouts(std::time::Duration::ZERO, DEFAULT_CONNECT_TIMEOUT),
        ] {
            assert!(
                matches!(UpstashClient::new(config), Err(UpstashError::Config(_))),
                "accepted"
            );
        }
    }
}
