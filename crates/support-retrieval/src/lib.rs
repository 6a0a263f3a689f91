//! The retrieval vocabulary shared by the local hybrid index and the Upstash
//! Vector client, so both stores agree on what a filter means.

pub mod filter;

pub use filter::{Expr, Filter, FilterError};
