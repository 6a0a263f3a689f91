//! Writes the tiny BERT fixture the tests load (`tests/tiny-bert/`): 2 layers, hidden 32,
//! 4 heads, a 120-piece WordPiece vocabulary, weights from a fixed-seed generator, in the same
//! folder layout as a sentence-transformers model. Deterministic: rerunning it rewrites
//! byte-identical files.
//!
//! `cargo run -p support-embed --example make_tiny_bert -- crates/support-embed/tests/tiny-bert`

use candle_core::{Device, Tensor};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;

const HIDDEN: usize = 32;
const LAYERS: usize = 2;
const HEADS: usize = 4;
const INTERMEDIATE: usize = 64;
const POSITIONS: usize = 64;

/// xorshift64*: enough randomness for weights, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let bits = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40;
        (bits as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    fn tensor(&mut self, shape: &[usize], scale: f32, offset: f32) -> Tensor {
        let n = shape.iter().product();
        let data: Vec<f32> = (0..n).map(|_| offset + scale * self.next()).collect();
        Tensor::from_vec(data, shape, &Device::Cpu).unwrap()
    }
}

fn vocab() -> Vec<String> {
    let mut v: Vec<String> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for p in [".", ",", "!", "?", "'", "-", "$", "#", "@", "(", ")"] {
        v.push(p.into());
    }
    for d in 0..10 {
        v.push(d.to_string());
    }
    let words = "i my me you your the a an to of for and is it this that was not no can \
        please help refund money back order charge charged twice card account email password \
        reset login course lesson access cancel subscription invoice receipt price how when \
        where why what thanks thank hello hi want need get got buy bought purchase payment \
        change update name address ship shipping late never received broken wrong";
    for w in words.split_whitespace() {
        v.push(w.into());
    }
    for piece in [
        "##s", "##ed", "##ing", "##er", "##ly", "##y", "##e", "##a", "##o", "##n",
    ] {
        v.push(piece.into());
    }
    for c in 'a'..='z' {
        v.push(c.to_string());
    }
    v
}

fn tokenizer(vocab: &[String], max_len: usize) -> Value {
    let ids: serde_json::Map<String, Value> = vocab
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), json!(i)))
        .collect();
    let id = |t: &str| vocab.iter().position(|v| v == t).unwrap();
    let special = |t: &str| {
        json!({"id": id(t), "special": true, "content": t, "single_word": false,
               "lstrip": false, "rstrip": false, "normalized": false})
    };
    let added: Vec<Value> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .into_iter()
        .map(special)
        .collect();
    json!({
        "version": "1.0",
        // As in real exports: fixed padding and truncation the loader must override.
        "truncation": {"max_length": max_len, "strategy": "LongestFirst", "stride": 0},
        "padding": {"strategy": {"Fixed": max_len}, "direction": "Right", "pad_to_multiple_of": null,
                    "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"},
        "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                       "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [id("[CLS]")], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [id("[SEP]")], "tokens": ["[SEP]"]}}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": ids}
    })
}

fn main() {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "crates/support-embed/tests/tiny-bert".into()),
    );
    std::fs::create_dir_all(out.join("1_Pooling")).unwrap();
    let vocab = vocab();
    let mut rng = Rng(0x5eed_cafe_f00d_beef);
    let mut t: HashMap<String, Tensor> = HashMap::new();
    let mut put = |name: &str, tensor: Tensor| {
        t.insert(name.to_string(), tensor);
    };
    put(
        "embeddings.word_embeddings.weight",
        rng.tensor(&[vocab.len(), HIDDEN], 0.5, 0.0),
    );
    put(
        "embeddings.position_embeddings.weight",
        rng.tensor(&[POSITIONS, HIDDEN], 0.1, 0.0),
    );
    put(
        "embeddings.token_type_embeddings.weight",
        rng.tensor(&[2, HIDDEN], 0.1, 0.0),
    );
    put(
        "embeddings.LayerNorm.weight",
        rng.tensor(&[HIDDEN], 0.1, 1.0),
    );
    put(
        "embeddings.LayerNorm.bias",
        rng.tensor(&[HIDDEN], 0.05, 0.0),
    );
    for i in 0..LAYERS {
        let p = format!("encoder.layer.{i}");
        for part in ["query", "key", "value"] {
            put(
                &format!("{p}.attention.self.{part}.weight"),
                rng.tensor(&[HIDDEN, HIDDEN], 0.3, 0.0),
            );
            put(
                &format!("{p}.attention.self.{part}.bias"),
                rng.tensor(&[HIDDEN], 0.05, 0.0),
            );
        }
        put(
            &format!("{p}.attention.output.dense.weight"),
            rng.tensor(&[HIDDEN, HIDDEN], 0.3, 0.0),
        );
        put(
            &format!("{p}.attention.output.dense.bias"),
            rng.tensor(&[HIDDEN], 0.05, 0.0),
        );
        put(
            &format!("{p}.attention.output.LayerNorm.weight"),
            rng.tensor(&[HIDDEN], 0.1, 1.0),
        );
        put(
            &format!("{p}.attention.output.LayerNorm.bias"),
            rng.tensor(&[HIDDEN], 0.05, 0.0),
        );
        put(
            &format!("{p}.intermediate.dense.weight"),
            rng.tensor(&[INTERMEDIATE, HIDDEN], 0.3, 0.0),
        );
        put(
            &format!("{p}.intermediate.dense.bias"),
            rng.tensor(&[INTERMEDIATE], 0.05, 0.0),
        );
        put(
            &format!("{p}.output.dense.weight"),
            rng.tensor(&[HIDDEN, INTERMEDIATE], 0.2, 0.0),
        );
        put(
            &format!("{p}.output.dense.bias"),
            rng.tensor(&[HIDDEN], 0.05, 0.0),
        );
        put(
            &format!("{p}.output.LayerNorm.weight"),
            rng.tensor(&[HIDDEN], 0.1, 1.0),
        );
        put(
            &format!("{p}.output.LayerNorm.bias"),
            rng.tensor(&[HIDDEN], 0.05, 0.0),
        );
    }
    candle_core::safetensors::save(&t, out.join("model.safetensors")).unwrap();

    let config = json!({
        "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
        "hidden_size": HIDDEN, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
        "intermediate_size": INTERMEDIATE, "max_position_embeddings": POSITIONS,
        "type_vocab_size": 2, "layer_norm_eps": 1e-12, "vocab_size": vocab.len(),
        "position_embedding_type": "absolute", "pad_token_id": 0
    });
    let write = |name: &str, v: &Value| {
        std::fs::write(
            out.join(name),
            serde_json::to_string_pretty(v).unwrap() + "\n",
        )
        .unwrap();
    };
    write("config.json", &config);
    write("tokenizer.json", &tokenizer(&vocab, 48));
    write(
        "sentence_bert_config.json",
        &json!({"max_seq_length": 24, "do_lower_case": false}),
    );
    write(
        "1_Pooling/config.json",
        &json!({"word_embedding_dimension": HIDDEN, "pooling_mode_cls_token": false,
                "pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false,
                "pooling_mode_mean_sqrt_len_tokens": false}),
    );
    println!("wrote {}", out.display());
}
