//! The real loading and inference code on the committed tiny BERT (`tests/tiny-bert/`, from
//! `examples/make_tiny_bert.rs`), checked against a plain f64 implementation of the same
//! network written out loop by loop.

use candle_core::Device;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use support_embed::{EmbedError, EmbedOptions, EmbedQueue, Embedder, QueueOptions, reference};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tiny-bert")
}

const TEXTS: &[&str] = &[
    "I was charged twice for my order, please refund",
    "hello",
    "How do I reset my password?",
    "Can I change the email address on my account? My name is wrong too.",
    "",
    "zzzz qqq never received the invoice #1234 for $49!!",
];

/// The network by hand: f64, one token at a time, straight from the config's definition.
struct Naive {
    t: HashMap<String, (Vec<f64>, Vec<usize>)>,
    hidden: usize,
    heads: usize,
    layers: usize,
}

impl Naive {
    fn load(dir: &Path) -> Self {
        let raw =
            candle_core::safetensors::load(dir.join("model.safetensors"), &Device::Cpu).unwrap();
        let t = raw
            .into_iter()
            .map(|(k, v)| {
                let shape = v.dims().to_vec();
                let data = v.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                (k, (data.into_iter().map(f64::from).collect(), shape))
            })
            .collect();
        let config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
        Self {
            t,
            hidden: config["hidden_size"].as_u64().unwrap() as usize,
            heads: config["num_attention_heads"].as_u64().unwrap() as usize,
            layers: config["num_hidden_layers"].as_u64().unwrap() as usize,
        }
    }

    fn w(&self, name: &str) -> &[f64] {
        &self.t[name].0
    }

    /// `y = x W^T + b` with W stored `[out, in]`.
    fn linear(&self, x: &[f64], name: &str) -> Vec<f64> {
        let (w, shape) = &self.t[&format!("{name}.weight")];
        let b = self.w(&format!("{name}.bias"));
        let (out, inp) = (shape[0], shape[1]);
        (0..out)
            .map(|o| b[o] + (0..inp).map(|i| w[o * inp + i] * x[i]).sum::<f64>())
            .collect()
    }

    fn norm(&self, x: &[f64], name: &str) -> Vec<f64> {
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        let (g, b) = (
            self.w(&format!("{name}.weight")),
            self.w(&format!("{name}.bias")),
        );
        x.iter()
            .enumerate()
            .map(|(i, v)| (v - mean) / (var + 1e-12).sqrt() * g[i] + b[i])
            .collect()
    }

    fn embed(&self, ids: &[u32]) -> Vec<f64> {
        let h = self.hidden;
        let (word, pos, ty) = (
            self.w("embeddings.word_embeddings.weight"),
            self.w("embeddings.position_embeddings.weight"),
            self.w("embeddings.token_type_embeddings.weight"),
        );
        let mut xs: Vec<Vec<f64>> = ids
            .iter()
            .enumerate()
            .map(|(p, &id)| {
                let v: Vec<f64> = (0..h)
                    .map(|j| word[id as usize * h + j] + pos[p * h + j] + ty[j])
                    .collect();
                self.norm(&v, "embeddings.LayerNorm")
            })
            .collect();
        let d = h / self.heads;
        for l in 0..self.layers {
            let p = format!("encoder.layer.{l}");
            let q: Vec<_> = xs
                .iter()
                .map(|x| self.linear(x, &format!("{p}.attention.self.query")))
                .collect();
            let k: Vec<_> = xs
                .iter()
                .map(|x| self.linear(x, &format!("{p}.attention.self.key")))
                .collect();
            let v: Vec<_> = xs
                .iter()
                .map(|x| self.linear(x, &format!("{p}.attention.self.value")))
                .collect();
            let mut next = Vec::new();
            for (i, x) in xs.iter().enumerate() {
                let mut ctx = vec![0.0; h];
                for head in 0..self.heads {
                    let r = head * d..(head + 1) * d;
                    let scores: Vec<f64> = k
                        .iter()
                        .map(|kj| {
                            r.clone().map(|c| q[i][c] * kj[c]).sum::<f64>() / (d as f64).sqrt()
                        })
                        .collect();
                    let max = scores.iter().cloned().fold(f64::MIN, f64::max);
                    let exps: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
                    let total: f64 = exps.iter().sum();
                    for (j, e) in exps.iter().enumerate() {
                        for c in r.clone() {
                            ctx[c] += e / total * v[j][c];
                        }
                    }
                }
                let attn: Vec<f64> = self
                    .linear(&ctx, &format!("{p}.attention.output.dense"))
                    .iter()
                    .zip(x)
                    .map(|(a, b)| a + b)
                    .collect();
                let attn = self.norm(&attn, &format!("{p}.attention.output.LayerNorm"));
                let inner: Vec<f64> = self
                    .linear(&attn, &format!("{p}.intermediate.dense"))
                    .iter()
                    .map(|&z| 0.5 * z * (1.0 + erf(z / std::f64::consts::SQRT_2)))
                    .collect();
                let out: Vec<f64> = self
                    .linear(&inner, &format!("{p}.output.dense"))
                    .iter()
                    .zip(&attn)
                    .map(|(a, b)| a + b)
                    .collect();
                next.push(self.norm(&out, &format!("{p}.output.LayerNorm")));
            }
            xs = next;
        }
        let mut mean = vec![0.0; h];
        for x in &xs {
            for j in 0..h {
                mean[j] += x[j] / xs.len() as f64;
            }
        }
        let n = mean.iter().map(|v| v * v).sum::<f64>().sqrt();
        mean.iter().map(|v| v / n).collect()
    }
}

/// The error function by its Maclaurin series (exact GELU needs it; std has no `erf`).
fn erf(x: f64) -> f64 {
    // The series converges for every x but cancels badly for large |x|; past 4, erf is ±1
    // to 2e-8, which GELU scales down further.
    if x.abs() > 4.0 {
        return x.signum();
    }
    let mut sum = 0.0;
    let mut term = x;
    let mut n = 0.0;
    while n < 200.0 {
        sum += term / (2.0 * n + 1.0);
        n += 1.0;
        term *= -x * x / n;
        if term.abs() < 1e-300 {
            break;
        }
    }
    sum * 2.0 / std::f64::consts::PI.sqrt()
}

#[test]
fn candle_encoder_matches_the_loop_by_loop_network() {
    let dir = fixture();
    let embedder = Embedder::load(&dir).unwrap();
    assert_eq!(embedder.dim(), 32);
    assert_eq!(
        embedder.max_tokens(),
        24,
        "sentence_bert_config.json's limit wins"
    );
    let naive = Naive::load(&dir);
    let mut tokenizer = tokenizers::Tokenizer::from_file(dir.join("tokenizer.json")).unwrap();
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(tokenizers::TruncationParams {
            max_length: 24,
            ..Default::default()
        }))
        .unwrap();
    let got = embedder.embed(TEXTS).unwrap();
    for (text, vector) in TEXTS.iter().zip(&got) {
        let ids = tokenizer.encode(*text, true).unwrap().get_ids().to_vec();
        let expected = naive.embed(&ids);
        let max_diff = vector
            .iter()
            .zip(&expected)
            .map(|(a, b)| (f64::from(*a) - b).abs())
            .fold(0.0, f64::max);
        assert!(max_diff < 1e-5, "{text:?}: max difference {max_diff}");
    }
}

#[test]
fn vectors_are_unit_length_deterministic_and_independent_of_batching() {
    let dir = fixture();
    let batched = Embedder::load_with(
        &dir,
        EmbedOptions {
            max_batch: 32,
            ..EmbedOptions::default()
        },
    )
    .unwrap();
    let single = Embedder::load_with(
        &dir,
        EmbedOptions {
            max_batch: 1,
            ..EmbedOptions::default()
        },
    )
    .unwrap();
    let a = batched.embed(TEXTS).unwrap();
    let b = single.embed(TEXTS).unwrap();
    let again = batched.embed(TEXTS).unwrap();
    assert_eq!(a, again, "same input, same output");
    for (x, y) in a.iter().zip(&b) {
        let norm = x.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
        assert!(
            reference::cosine(x, y) > 0.999_999,
            "padding changed a vector"
        );
    }
    // Different texts, different vectors; the same text in another batch, the same vector.
    assert!(reference::cosine(&a[0], &a[2]) < 0.999);
    let alone = batched.embed(&[TEXTS[3]]).unwrap();
    assert!(reference::cosine(&alone[0], &a[3]) > 0.999_999);
    assert!(batched.embed::<&str>(&[]).unwrap().is_empty());
}

#[test]
fn long_texts_are_cut_at_the_model_limit() {
    let embedder = Embedder::load(&fixture()).unwrap();
    let words: Vec<&str> = std::iter::repeat_n("refund", 200).collect();
    let long = words.join(" ");
    let cut = words[..22].join(" "); // 22 words + [CLS] + [SEP] = the 24-token limit
    let v = embedder.embed(&[long.as_str(), cut.as_str()]).unwrap();
    assert!(reference::cosine(&v[0], &v[1]) > 0.999_999);
}

fn copy_fixture(to: &Path) {
    std::fs::create_dir_all(to.join("1_Pooling")).unwrap();
    for f in [
        "config.json",
        "tokenizer.json",
        "model.safetensors",
        "sentence_bert_config.json",
        "1_Pooling/config.json",
    ] {
        std::fs::copy(fixture().join(f), to.join(f)).unwrap();
    }
}

fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(path, serde_json::to_vec(&v).unwrap()).unwrap();
}

fn load_err(dir: &Path) -> String {
    match Embedder::load(dir) {
        Ok(_) => panic!("{} loaded", dir.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn what_the_encoder_cannot_run_is_refused_with_the_reason() {
    let scratch = tempfile::tempdir().unwrap();
    assert!(matches!(
        Embedder::load(&scratch.path().join("absent")),
        Err(EmbedError::NoModel(_))
    ));

    let dir = scratch.path().join("act");
    copy_fixture(&dir);
    edit_json(&dir.join("config.json"), |c| {
        c["hidden_act"] = "relu".into()
    });
    assert!(load_err(&dir).contains("hidden_act \"relu\""));

    let dir = scratch.path().join("pool");
    copy_fixture(&dir);
    edit_json(&dir.join("1_Pooling/config.json"), |c| {
        c["pooling_mode_cls_token"] = true.into();
        c["pooling_mode_mean_tokens"] = false.into();
    });
    assert!(load_err(&dir).contains("only mean pooling"));

    let dir = scratch.path().join("shape");
    copy_fixture(&dir);
    edit_json(&dir.join("config.json"), |c| {
        c["intermediate_size"] = 65.into()
    });
    let e = load_err(&dir);
    assert!(
        e.contains("encoder.layer.0.intermediate.dense.weight") && e.contains("shape"),
        "{e}"
    );

    let dir = scratch.path().join("tokenizer");
    copy_fixture(&dir);
    std::fs::write(dir.join("tokenizer.json"), b"{ not json").unwrap();
    assert!(load_err(&dir).contains("tokenizer"));

    let dir = scratch.path().join("weights");
    copy_fixture(&dir);
    std::fs::write(dir.join("model.safetensors"), b"truncated").unwrap();
    assert!(load_err(&dir).contains("model.safetensors"));

    let dir = scratch.path().join("config");
    copy_fixture(&dir);
    std::fs::remove_file(dir.join("config.json")).unwrap();
    assert!(load_err(&dir).contains("config.json"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_merges_concurrent_requests_and_answers_each_in_order() {
    let direct = Embedder::load(&fixture()).unwrap().embed(TEXTS).unwrap();
    let queue = EmbedQueue::start(
        Embedder::load(&fixture()).unwrap(),
        QueueOptions {
            capacity: 64,
            max_batch: 32,
        },
    )
    .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..20 {
        let q = queue.clone();
        tasks.spawn(async move {
            let pick: Vec<String> = (0..=(round % 3))
                .map(|k| TEXTS[(round + k) % TEXTS.len()].to_string())
                .collect();
            let got = q.embed(pick.clone()).await.unwrap();
            (round, got)
        });
    }
    while let Some(res) = tasks.join_next().await {
        let (round, got) = res.unwrap();
        for (k, v) in got.iter().enumerate() {
            let want = &direct[(round + k) % TEXTS.len()];
            assert!(
                reference::cosine(v, want) > 0.999_999,
                "round {round} text {k}"
            );
        }
    }
    let embedded = queue
        .stats()
        .embedded
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(embedded, (0..20).map(|r| (r % 3 + 1) as u64).sum::<u64>());
    let one = queue.embed_one("hello").await.unwrap();
    assert!(reference::cosine(&one, &direct[1]) > 0.999_999);
}

#[tokio::test(flavor = "current_thread")]
async fn a_full_queue_refuses_at_once_instead_of_waiting() {
    let queue = EmbedQueue::start(
        Embedder::load(&fixture()).unwrap(),
        QueueOptions {
            capacity: 1,
            max_batch: 1,
        },
    )
    .unwrap();
    // Long inputs keep the worker busy while every request is offered in the same poll.
    let long = std::iter::repeat_n("refund my order please", 50)
        .collect::<Vec<_>>()
        .join(" ");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let q = queue.clone();
        let text = long.clone();
        tasks.spawn(async move { q.embed(vec![text; 8]).await });
    }
    let (mut ok, mut busy) = (0, 0);
    while let Some(res) = tasks.join_next().await {
        match res.unwrap() {
            Ok(v) => {
                assert_eq!(v.len(), 8);
                ok += 1;
            }
            Err(EmbedError::Busy) => busy += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(ok >= 1 && busy >= 1, "ok {ok}, busy {busy}");
    assert_eq!(
        queue
            .stats()
            .refused_busy
            .load(std::sync::atomic::Ordering::Relaxed),
        busy
    );
}
