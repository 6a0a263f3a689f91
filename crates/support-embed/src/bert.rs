//! A BERT encoder (the architecture of all-MiniLM-L6-v2) on candle's CPU tensors.
//!
//! Our own ~150 lines instead of `candle-transformers`, which compiles every model it ships
//! (about two minutes of a release build) when we need this one. Only what inference needs:
//! absolute positions, one token type, exact (erf) GELU, post-norm layers, a padding mask.

use candle_core::{D, DType, Device, Tensor};
use candle_nn::ops::{layer_norm, softmax_last_dim};
use rayon::prelude::*;
use serde::Deserialize;
use std::collections::HashMap;

use crate::EmbedError;

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

    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Tensor, EmbedError> {
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
        Ok(t.to_dtype(DType::F32)?)
    }
}

struct Linear {
    /// `[out, in]`, as stored.
    weight: Tensor,
    bias: Tensor,
    /// Row blocks of `weight` (views, no copies), one per thread: each thread computes its
    /// share of the outputs. candle's own gemm threading follows RAYON_NUM_THREADS or the
    /// physical core count, which a VM may report as 1; this does not depend on either.
    blocks: Vec<Tensor>,
}

impl Linear {
    fn load(w: &mut Weights, prefix: &str, inp: usize, out: usize) -> Result<Self, EmbedError> {
        let weight = w.take(&format!("{prefix}.weight"), &[out, inp])?;
        let bias = w.take(&format!("{prefix}.bias"), &[out])?;
        Ok(Self {
            weight,
            bias,
            blocks: Vec::new(),
        })
    }

    fn split(&mut self, threads: usize) -> candle_core::Result<()> {
        let out = self.weight.dim(0)?;
        self.blocks.clear();
        if threads <= 1 {
            return Ok(());
        }
        let step = out.div_ceil(threads);
        let mut start = 0;
        while start < out {
            let len = step.min(out - start);
            self.blocks.push(self.weight.narrow(0, start, len)?);
            start += len;
        }
        Ok(())
    }

    /// `x`: `[tokens, in]`. Computed as `(W x^T)^T`: the large output dimension becomes
    /// the matrix product's row count, which suits the gemm kernels when tokens are few.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let xt = x.t()?;
        let y = if self.blocks.len() > 1 {
            let parts = self
                .blocks
                .par_iter()
                .map(|w| w.matmul(&xt))
                .collect::<candle_core::Result<Vec<_>>>()?;
            Tensor::cat(&parts, 0)?
        } else {
            self.weight.matmul(&xt)?
        };
        y.t()?.broadcast_add(&self.bias)
    }
}

struct Norm {
    weight: Tensor,
    bias: Tensor,
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

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        layer_norm(&x.contiguous()?, &self.weight, &self.bias, self.eps)
    }
}

struct Layer {
    /// Query, key and value in one `[hidden, 3 * hidden]` projection.
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
            weight: Tensor::cat(&[&q.weight, &k.weight, &v.weight], 0)?.contiguous()?,
            bias: Tensor::cat(&[&q.bias, &k.bias, &v.bias], 0)?,
            blocks: Vec::new(),
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

    /// `x`: `[batch * seq, hidden]`; `mask_bias`: `[batch, 1, 1, seq]` (0 or a large negative).
    fn forward(
        &self,
        x: &Tensor,
        mask_bias: Option<&Tensor>,
        batch: usize,
        seq: usize,
        heads: usize,
    ) -> candle_core::Result<Tensor> {
        let hidden = x.dim(1)?;
        let head_dim = hidden / heads;
        // [b*s, 3h] -> [b, s, 3, heads, d] -> three [b, heads, s, d]
        let qkv = self
            .qkv
            .forward(x)?
            .reshape((batch, seq, 3, heads, head_dim))?;
        let part = |i: usize| {
            qkv.narrow(2, i, 1)?
                .squeeze(2)?
                .transpose(1, 2)?
                .contiguous()
        };
        let (q, k, v) = (part(0)?, part(1)?, part(2)?);
        let scale = 1.0 / (head_dim as f64).sqrt();
        let mut scores = (q.matmul(&k.t()?)? * scale)?;
        if let Some(bias) = mask_bias {
            scores = scores.broadcast_add(bias)?;
        }
        let probs = softmax_last_dim(&scores)?;
        let context = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((batch * seq, hidden))?;
        let attended = self
            .attn_norm
            .forward(&(self.attn_out.forward(&context)? + x)?)?;
        let inner = self.intermediate.forward(&attended)?.gelu_erf()?;
        self.out_norm
            .forward(&(self.output.forward(&inner)? + attended)?)
    }
}

/// The encoder: token ids in, one hidden state per token out.
pub struct Bert {
    word: Tensor,
    position: Tensor,
    token_type0: Tensor,
    norm: Norm,
    layers: Vec<Layer>,
    heads: usize,
    hidden: usize,
    max_positions: usize,
    device: Device,
}

impl Bert {
    /// `threads`: how many ways each dense layer's outputs are split.
    pub(crate) fn load(
        mut w: Weights,
        c: &BertConfig,
        device: &Device,
        threads: usize,
    ) -> Result<Self, EmbedError> {
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
        let mut layers = (0..c.num_hidden_layers)
            .map(|i| Layer::load(&mut w, i, c))
            .collect::<Result<Vec<_>, _>>()?;
        for layer in &mut layers {
            for linear in [
                &mut layer.qkv,
                &mut layer.attn_out,
                &mut layer.intermediate,
                &mut layer.output,
            ] {
                linear.split(threads)?;
            }
        }
        Ok(Self {
            word,
            position,
            // Sentence embeddings encode one segment: every token has type 0.
            token_type0: token_type.get(0)?,
            norm,
            layers,
            heads: c.num_attention_heads,
            hidden: h,
            max_positions: c.max_position_embeddings,
            device: device.clone(),
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
    ) -> candle_core::Result<Vec<Vec<f32>>> {
        let ids = Tensor::from_slice(ids, batch * seq, &self.device)?;
        let positions = self.position.narrow(0, 0, seq)?;
        let x = self
            .word
            .index_select(&ids, 0)?
            .reshape((batch, seq, self.hidden))?
            .broadcast_add(&positions)?
            .broadcast_add(&self.token_type0)?
            .reshape((batch * seq, self.hidden))?;
        let mut x = self.norm.forward(&x)?;

        let mask_f: Vec<f32> = mask.iter().map(|&m| m as f32).collect();
        let mask_t = Tensor::from_vec(mask_f, (batch, seq), &self.device)?;
        // Padding only exists when rows differ in length; skip the add when none is there.
        let bias = if mask.contains(&0) {
            let neg = ((mask_t.ones_like()? - &mask_t)? * f32::MIN as f64)?;
            Some(neg.reshape((batch, 1, 1, seq))?)
        } else {
            None
        };
        for layer in &self.layers {
            x = layer.forward(&x, bias.as_ref(), batch, seq, self.heads)?;
        }

        // Mean over real tokens, then unit length (sentence-transformers' Pooling + Normalize).
        let x = x.reshape((batch, seq, self.hidden))?;
        let m = mask_t.unsqueeze(2)?;
        let summed = x.broadcast_mul(&m)?.sum(1)?;
        let counts = m.sum(1)?.clamp(1e-9, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean
            .sqr()?
            .sum_keepdim(D::Minus1)?
            .sqrt()?
            .clamp(1e-12, f64::MAX)?;
        mean.broadcast_div(&norms)?.to_vec2::<f32>()
    }
}
