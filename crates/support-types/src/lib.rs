//! Shared domain and wire types. No IO: the server, the SDK side of product apps and the
//! CLI all depend on this crate, so it must stay light.

pub mod actions;
pub mod agent;
pub mod api;
pub mod cli_api;
pub mod domain;
pub mod sdk;

pub use domain::{AppSlug, DomainError, Email, Money};
