//! The retrieval vocabulary shared by the local hybrid index and the Upstash
//! Vector client: what a document and a query look like on the wire, and
//! Upstash's metadata filter language, so both stores agree on what a filter
//! means.

pub mod document;
pub mod filter;
pub mod kb;
pub mod store;

pub use document::{DocType, Document, Hit, Metadata, Query, QueryMode};
pub use filter::{Expr, Filter, FilterError};
pub use store::{
    BoxError, Capabilities, Embed, EmbedFailure, RangePage, StoreError, StoreInfo, VectorStore,
    reciprocal_rank_fusion,
};
