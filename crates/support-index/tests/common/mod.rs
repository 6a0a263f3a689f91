//! A deterministic stand-in for the embedding model: hashed bag of words, with a few
//! synonyms folded together so "dense" can find a paraphrase that BM25 cannot (the one thing
//! a real model adds that the tests need), and a switch that makes it busy.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use support_retrieval::{DocType, Document, Embed, EmbedFailure, Metadata};

pub struct FakeEmbed {
    model: String,
    dim: usize,
    busy: AtomicBool,
    pub calls: AtomicUsize,
}

impl FakeEmbed {
    pub fn new(model: &str, dim: usize) -> Arc<Self> {
        Arc::new(Self {
            model: model.to_owned(),
            dim,
            busy: AtomicBool::new(false),
            calls: AtomicUsize::new(0),
        })
    }

    pub fn set_busy(&self, busy: bool) {
        self.busy.store(busy, Ordering::SeqCst);
    }

    pub fn vector(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0f32; self.dim];
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let word = word.to_lowercase();
            let word = match word.as_str() {
                "reimbursement" | "reimburse" | "money-back" => "refund",
                "billed" => "charged",
                "double" => "twice",
                w => w,
            };
            let h = fnv1a(word.as_bytes());
            let sign = if (h >> 63) == 1 { -1.0 } else { 1.0 };
            v[(h % self.dim as u64) as usize] += sign;
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm == 0.0 {
            v[0] = 1.0;
        } else {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[async_trait]
impl Embed for FakeEmbed {
    fn model_id(&self) -> &str {
        &self.model
    }

    fn dim(&self) -> usize {
        self.dim
    }

    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedFailure> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.busy.load(Ordering::SeqCst) {
            return Err(EmbedFailure::Busy);
        }
        Ok(texts.iter().map(|t| self.vector(t)).collect())
    }
}

pub fn embedder() -> Arc<dyn Embed> {
    FakeEmbed::new("fake-bow-64", 64)
}

pub fn doc(id: &str, app: &str, doc_type: DocType, data: &str) -> Document {
    Document {
        id: id.to_owned(),
        data: data.to_owned(),
        metadata: Metadata::new(doc_type, app),
    }
}
