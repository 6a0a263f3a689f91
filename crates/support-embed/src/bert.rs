//! A BERT encoder (the architecture of all-MiniLM-L6-v2): weights loaded with candle from
//! safetensors, the forward pass on plain slices ([`crate::kernels`]).
//!
//! Our own ~200 lines instead of `candle-transformers`, which compiles every model it ships
//! (about two minutes of a release build) when we need this one. Only what inference needs:
//! absolute positions, one token type, exact (erf) GELU, post-norm layers, a padding mask.

use candle_core::{DType, Tensor};
use pulp::Arch;
use rayon::prelude::*;
use serde::Deserialize;
use std::collections::HashMap;

use crate::EmbedError;
use crate::kernels::{Activation, Attention, dense, layer_norm};

/// The fields of a Hugging Face `config.json` that the encoder uses. Anything it cannot run
/// (another activation, relative positions) is refused when the folder is loaded.
#[derive(Debug, Clone, Deserialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    #[serde(default = "default_position_type")]
    pub position_embedding_type: String,
    #[serde(default)]
    pub model_type: Option<String>,
}

fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}
fn default_act() -> String {
    "gelu".into()
}
fn default_position_type() -> String {
    "absolute".into()
}

impl BertConfig {
    /// Refuses what this encoder would silently compute wrong.
    pub fn check(&self) -> Result<(), EmbedError> {
        let unsupported = |what: String| Err(EmbedError::Unsupported(what));
        if let Some(kind) = &self.model_type
            && kind != "bert"
        {
            return unsupported(format!("model_type {kind:?} (only \"bert\")"));
        }
        if self.hidden_act != "gelu" {
            return unsupported(format!("hidden_act {:?} (only \"gelu\")", self.hidden_act));
        }
        if self.position_embedding_type != "absolute" {
            return unsupported(format!(
                "position_embedding_type {:?} (only \"absolute\")",
                self.position_embedding_type
            ));
        }
        if self.num_attention_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            return unsupported(format!(
                "hidden_size {} not divisible by {} attention heads",
                self.hidden_size, self.num_attention_heads
            ));
        }
        Ok(())
    }
}

/// Weights by their safetensors name; each one is taken out exactly once.
pub(crate) struct Weights {
    tensors: HashMap<String, Tensor>,
}

impl Weights {
    pub(crate) fn new(tensors: HashMap<String, Tensor>) -> Self {
        // Some exports prefix every name with the architecture (`bert.`).
        let tensors = tensors
            .into_iter()
            .map(|(name, t)| {
                (
                    name.strip_prefix("bert.")
                        .map(str::to_owned)
                        .unwrap_or(name),
                    t,
                )
            })
            .collect();
        Self { tensors }
    }

    /// The tensor's values, row-major, as `f32`.
    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>, EmbedError> {
        let t = self
            .tensors
            .remove(name)
            .ok_or_else(|| EmbedError::Weights(format!("missing tensor {name}")))?;
        if t.dims() != shape {
            return Err(EmbedError::Weights(format!(
                "tensor {name} has shape {:?}, expected {shape:?}",
                t.dims()
            )));
        }
        let t: Tensor = t.to_dtype(DType::F32)?;
        Ok(t.flatten_all()?.to_vec1::<f32>()?)
    }
}

struct Linear {
    /// `[out, in]`, row-major, as stored: each output is one contiguous weight row.
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Linear {
    fn load(w: &mut Weights, prefix: &str, inp: usize, out: usize) -> Result<Self, EmbedError> {
        Ok(Self {
            weight: w.take(&format!("{prefix}.weight"), &[out, inp])?,
            bias: w.take(&format!("{prefix}.bias"), &[out])?,
        })
    }
}

struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
    eps: f32,
}

impl Norm {
    fn load(w: &mut Weights, prefix: &str, size: usize, eps: f64) -> Result<Self, EmbedError> {
        Ok(Self {
            weight: w.take(&format!("{prefix}.weight"), &[size])?,
            bias: w.take(&format!("{prefix}.bias"), &[size])?,
            eps: eps as f32,
        })
    }

    fn apply(&self, x: &mut [f32]) {
        layer_norm(x, &self.weight, &self.bias, self.eps);
    }
}

struct Layer {
    /// Query, key and value in one `[3 * hidden, hidden]` projection.
    qkv: Linear,
    attn_out: Linear,
    attn_norm: Norm,
    intermediate: Linear,
    output: Linear,
    out_norm: Norm,
}

impl Layer {
    fn load(w: &mut Weights, i: usize, c: &BertConfig) -> Result<Self, EmbedError> {
        let p = format!("encoder.layer.{i}");
        let h = c.hidden_size;
        let q = Linear::load(w, &format!("{p}.attention.self.query"), h, h)?;
        let k = Linear::load(w, &format!("{p}.attention.self.key"), h, h)?;
        let v = Linear::load(w, &format!("{p}.attention.self.value"), h, h)?;
        let qkv = Linear {
            weight: [q.weight, k.weight, v.weight].concat(),
            bias: [q.bias, k.bias, v.bias].concat(),
        };
        Ok(Self {
            qkv,
            attn_out: Linear::load(w, &format!("{p}.attention.output.dense"), h, h)?,
            attn_norm: Norm::load(
                w,
                &format!("{p}.attention.output.LayerNorm"),
                h,
                c.layer_norm_eps,
            )?,
            intermediate: Linear::load(
                w,
                &format!("{p}.intermediate.dense"),
                h,
                c.intermediate_size,
            )?,
            output: Linear::load(w, &format!("{p}.output.dense"), c.intermediate_size, h)?,
            out_norm: Norm::load(w, &format!("{p}.output.LayerNorm"), h, c.layer_norm_eps)?,
        })
    }

    /// `x`: `[batch * seq, hidden]`; `real`: `[batch * seq]`, false for padding.
    fn forward(&self, bert: &Bert, x: &[f32], real: &[bool], seq: usize) -> Vec<f32> {
        let (arch, threads, hidden) = (bert.arch, bert.threads, bert.hidden);
        let tokens = real.len();
        let dense =
            |x: &[f32], l: &Linear, act| dense(arch, x, tokens, &l.weight, &l.bias, threads, act);
        let qkv = dense(x, &self.qkv, Activation::None);
        let mut context = vec![0.0f32; tokens * hidden];
        let attend = |((out, qkv), real): ((&mut [f32], &[f32]), &[bool])| {
            arch.dispatch(Attention {
                qkv,
                real,
                heads: bert.heads,
                hidden,
                out,
            })
        };
        if tokens > seq {
            context
                .par_chunks_mut(seq * hidden)
                .zip(qkv.par_chunks(seq * 3 * hidden))
                .zip(real.par_chunks(seq))
                .for_each(attend);
        } else {
            context
                .chunks_mut(seq * hidden)
                .zip(qkv.chunks(seq * 3 * hidden))
                .zip(real.chunks(seq))
                .for_each(attend);
        }
        let mut attended = dense(&context, &self.attn_out, Activation::None);
        add(&mut attended, x);
        self.attn_norm.apply(&mut attended);
        let inner = dense(&attended, &self.intermediate, Activation::GeluErf);
        let mut y = dense(&inner, &self.output, Activation::None);
        add(&mut y, &attended);
        self.out_norm.apply(&mut y);
        y
    }
}

fn add(y: &mut [f32], x: &[f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += x;
    }
}

/// The encoder: token ids in, one hidden state per token out.
pub struct Bert {
    word: Vec<f32>,
    position: Vec<f32>,
    token_type0: Vec<f32>,
    norm: Norm,
    layers: Vec<Layer>,
    heads: usize,
    hidden: usize,
    vocab: usize,
    max_positions: usize,
    /// How many ways each dense layer's outputs are split (the embedder's pool size).
    threads: usize,
    arch: Arch,
}

impl Bert {
    /// `threads`: how many ways each dense layer's outputs are split.
    pub(crate) fn load(mut w: Weights, c: &BertConfig, threads: usize) -> Result<Self, EmbedError> {
        c.check()?;
        let h = c.hidden_size;
        let word = w.take("embeddings.word_embeddings.weight", &[c.vocab_size, h])?;
        let position = w.take(
            "embeddings.position_embeddings.weight",
            &[c.max_position_embeddings, h],
        )?;
        let token_type = w.take(
            "embeddings.token_type_embeddings.weight",
            &[c.type_vocab_size, h],
        )?;
        let norm = Norm::load(&mut w, "embeddings.LayerNorm", h, c.layer_norm_eps)?;
        let layers = (0..c.num_hidden_layers)
            .map(|i| Layer::load(&mut w, i, c))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            word,
            position,
            // Sentence embeddings encode one segment: every token has type 0.
            token_type0: token_type[..h].to_vec(),
            norm,
            layers,
            heads: c.num_attention_heads,
            hidden: h,
            vocab: c.vocab_size,
            max_positions: c.max_position_embeddings,
            threads: threads.max(1),
            arch: Arch::new(),
        })
    }

    pub fn hidden_size(&self) -> usize {
        self.hidden
    }

    pub fn max_positions(&self) -> usize {
        self.max_positions
    }

    /// Mean-pooled, L2-normalised sentence vectors for a padded batch: `ids` and `mask` are
    /// `batch` rows of `seq` tokens (mask 1 for a real token, 0 for padding).
    pub(crate) fn embed_padded(
        &self,
        ids: &[u32],
        mask: &[u32],
        batch: usize,
        seq: usize,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let h = self.hidden;
        if seq > self.max_positions {
            return Err(EmbedError::Inference(format!(
                "{seq} tokens is more than the model's {} positions",
                self.max_positions
            )));
        }
        if ids.len() != batch * seq || mask.len() != batch * seq {
            return Err(EmbedError::Inference(format!(
                "{} ids and {} mask values for {batch} rows of {seq}",
                ids.len(),
                mask.len()
            )));
        }
        let mut x = vec![0.0f32; batch * seq * h];
        for (t, (&id, row)) in ids.iter().zip(x.chunks_exact_mut(h)).enumerate() {
            let id = id as usize;
            if id >= self.vocab {
                return Err(EmbedError::Inference(format!(
                    "token id {id} is outside the vocabulary of {}",
                    self.vocab
                )));
            }
            let pos = t % seq;
            let word = &self.word[id * h..(id + 1) * h];
            let position = &self.position[pos * h..(pos + 1) * h];
            for (((v, w), p), k) in row
                .iter_mut()
                .zip(word)
                .zip(position)
                .zip(&self.token_type0)
            {
                *v = w + p + k;
            }
        }
        self.norm.apply(&mut x);
        let real: Vec<bool> = mask.iter().map(|&m| m != 0).collect();
        for layer in &self.layers {
            x = layer.forward(self, &x, &real, seq);
        }

        // Mean over real tokens, then unit length (sentence-transformers' Pooling + Normalize).
        let mut out = Vec::with_capacity(batch);
        for (states, real) in x.chunks_exact(seq * h).zip(real.chunks_exact(seq)) {
            let mut mean = vec![0.0f32; h];
            let mut count = 0usize;
            for (row, _) in states.chunks_exact(h).zip(real).filter(|(_, r)| **r) {
                add(&mut mean, row);
                count += 1;
            }
            let count = (count as f32).max(1e-9);
            mean.iter_mut().for_each(|v| *v /= count);
            let norm = mean.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
            mean.iter_mut().for_each(|v| *v /= norm);
            out.push(mean);
        }
        Ok(out)
    }
}
