//! Loading a sentence-transformers model folder and embedding texts with it.

use candle_core::Device;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

use crate::EmbedError;
use crate::bert::{Bert, BertConfig, Weights};

/// `1_Pooling/config.json`: only mean pooling is implemented, so anything else is refused
/// rather than computed differently from the reference.
#[derive(Debug, Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
}

/// `sentence_bert_config.json`: the sequence limit sentence-transformers applies, which
/// overrides the tokenizer file's own truncation.
#[derive(Debug, Deserialize)]
struct SentenceConfig {
    max_seq_length: Option<usize>,
}

/// How a batch call is cut up and how many cores it uses.
#[derive(Debug, Clone, Copy)]
pub struct EmbedOptions {
    /// Texts per forward pass. Texts are sorted by length first, so a batch pads little.
    pub max_batch: usize,
    /// Threads for the matrix products; 0 = one per core.
    pub threads: usize,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        Self {
            max_batch: 32,
            threads: 0,
        }
    }
}

/// A loaded model: tokenizer plus encoder, ready on the CPU.
pub struct Embedder {
    tokenizer: Tokenizer,
    bert: Bert,
    max_tokens: usize,
    model_id: String,
    options: EmbedOptions,
    /// Every forward pass runs inside this pool, which each dense layer is split over. Called
    /// from outside a pool, each of a pass's parallel steps would hand its work to rayon and
    /// put the caller to sleep until it is done; inside, the caller is one of the workers.
    pool: rayon::ThreadPool,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, EmbedError> {
    let bytes = std::fs::read(path).map_err(|source| EmbedError::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| EmbedError::Json {
        path: path.to_owned(),
        source,
    })
}

impl Embedder {
    /// Loads `model.safetensors`, `config.json`, `tokenizer.json` and, when present,
    /// `1_Pooling/config.json` and `sentence_bert_config.json` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        Self::load_with(dir, EmbedOptions::default())
    }

    pub fn load_with(dir: &Path, options: EmbedOptions) -> Result<Self, EmbedError> {
        if !dir.is_dir() {
            return Err(EmbedError::NoModel(dir.to_owned()));
        }
        let config: BertConfig = read_json(&dir.join("config.json"))?;
        let pooling_path = dir.join("1_Pooling/config.json");
        if pooling_path.exists() {
            let p: PoolingConfig = read_json(&pooling_path)?;
            if !p.pooling_mode_mean_tokens
                || p.pooling_mode_cls_token
                || p.pooling_mode_max_tokens
                || p.pooling_mode_mean_sqrt_len_tokens
            {
                return Err(EmbedError::Unsupported(format!(
                    "pooling in {} (only mean pooling)",
                    pooling_path.display()
                )));
            }
        }
        let sentence_path = dir.join("sentence_bert_config.json");
        let max_seq = if sentence_path.exists() {
            read_json::<SentenceConfig>(&sentence_path)?.max_seq_length
        } else {
            None
        };
        let max_tokens = max_seq
            .unwrap_or(config.max_position_embeddings)
            .min(config.max_position_embeddings);

        let tokenizer_path = dir.join("tokenizer.json");
        let mut tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| EmbedError::Tokenizer {
                path: tokenizer_path.clone(),
                message: e.to_string(),
            })?;
        // The file's own settings pad every input to 128 tokens; we pad per batch instead.
        tokenizer.with_padding(None::<PaddingParams>);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..Default::default()
            }))
            .map_err(|e| EmbedError::Tokenizer {
                path: tokenizer_path.clone(),
                message: e.to_string(),
            })?;

        let weights_path = dir.join("model.safetensors");
        let device = Device::Cpu;
        let tensors = candle_core::safetensors::load(&weights_path, &device)
            .map_err(|e| EmbedError::Weights(format!("{}: {e}", weights_path.display())))?;
        let threads = match options.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let bert = Bert::load(Weights::new(tensors), &config, threads)?;
        let model_id = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("embed-{i}"))
            .build()
            .map_err(|e| EmbedError::Inference(format!("starting {threads} threads: {e}")))?;
        Ok(Self {
            tokenizer,
            bert,
            max_tokens,
            model_id,
            options: EmbedOptions {
                max_batch: options.max_batch.max(1),
                threads,
            },
            pool,
        })
    }

    /// The folder's name, recorded beside every vector so a model change is detectable.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// Length of every vector.
    pub fn dim(&self) -> usize {
        self.bert.hidden_size()
    }

    /// Longest input in tokens (special tokens included); the rest of a text is cut.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    pub fn options(&self) -> EmbedOptions {
        self.options
    }

    /// One unit-length vector per text, in input order.
    pub fn embed<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.pool.install(|| self.embed_here(texts))
    }

    fn embed_here<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let inputs: Vec<&str> = texts.iter().map(AsRef::as_ref).collect();
        let encodings = self
            .tokenizer
            .encode_batch(inputs, true)
            .map_err(|e| EmbedError::Tokenize(e.to_string()))?;
        let mut order: Vec<usize> = (0..encodings.len()).collect();
        order.sort_by_key(|&i| encodings[i].get_ids().len());

        let mut out: Vec<Vec<f32>> = vec![Vec::new(); encodings.len()];
        for chunk in order.chunks(self.options.max_batch) {
            let seq = chunk
                .iter()
                .map(|&i| encodings[i].get_ids().len())
                .max()
                .unwrap_or(0)
                .max(1);
            let mut ids = Vec::with_capacity(chunk.len() * seq);
            let mut mask = Vec::with_capacity(chunk.len() * seq);
            for &i in chunk {
                let row = encodings[i].get_ids();
                ids.extend_from_slice(row);
                mask.extend(std::iter::repeat_n(1u32, row.len()));
                let pad = seq - row.len();
                ids.extend(std::iter::repeat_n(0u32, pad));
                mask.extend(std::iter::repeat_n(0u32, pad));
            }
            let vectors = self.bert.embed_padded(&ids, &mask, chunk.len(), seq)?;
            for (&i, v) in chunk.iter().zip(vectors) {
                out[i] = v;
            }
        }
        Ok(out)
    }
}

/// Where `skill models fetch` puts a model under the data directory.
pub fn default_model_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("models").join(crate::wheel::MINILM.name)
}
