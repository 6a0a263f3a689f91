//! The product-app integration contract ([`support_types::sdk`]) in Rust, both ends of it.
//!
//! - **App side.** Implement [`SupportIntegration`] against the app's own data and mount
//!   [`support_routes`]: it serves `POST /api/support`, bounds the body, verifies
//!   `x-support-signature` over the raw bytes, parses the `action`, dispatches and turns every
//!   failure into a JSON `{"error": code, "message": text}` with the right status.
//! - **Platform side.** [`SdkClient`] calls an app's support route: it signs every request,
//!   applies a timeout, resends only read-only methods after transport errors and 5xx, and
//!   maps answers to [`SdkError`]. The platform holds it as `Arc<dyn AppApi>`, so tests can
//!   substitute their own [`AppApi`].
//! - **Other languages.** [`openapi()`] is the same contract as an OpenAPI 3.0 document.
//!
//! Signing is `support_signing::support` (the `support-signing` crate), the one
//! implementation the platform uses; the SDK does not compile the rules brain.
//!
//! # TLS
//!
//! The workspace builds reqwest with `rustls-no-provider`: the process must install a rustls
//! crypto provider (e.g. `rustls::crypto::ring::default_provider().install_default()`)
//! before [`SdkClient::new`] is called.

mod client;
mod handler;
mod integration;
mod openapi;

pub use client::{AppApi, DEFAULT_RETRY_BACKOFF, READ_ATTEMPTS, SdkClient, SdkError};
pub use handler::{MAX_BODY_BYTES, SUPPORT_PATH, support_routes};
pub use integration::{IntegrationError, SupportIntegration};
pub use openapi::openapi;

/// The contract types, re-exported so apps need only this crate.
pub use support_types::sdk;
