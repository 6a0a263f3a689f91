//! `skill brain train`: the learned classifier's weights, from a labelled JSONL file and the
//! local embedding model. Deterministic: the same file and model give the same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde::{Deserialize, Serialize};
use support_core::learned::{Example, SIGNAL_HEADS, TrainOptions, train};
use support_embed::Embedder;

use crate::commands::serve::load_config;
use crate::exit::{self, CliError};

#[derive(Debug, Subcommand)]
pub enum BrainCommand {
    /// Train the learned classifier's heads (category, question, angry, legal, injection,
    /// instructor, automated) on MiniLM embeddings of a labelled file, and write them.
    Train {
        /// One `{"text", "labels": {...}}` object per line (see eval/brain/README.md).
        #[arg(long, value_name = "FILE", default_value = "eval/brain/train.jsonl")]
        data: PathBuf,
        /// Where the weights go (the server reads this file's copy built into the binary).
        #[arg(
            long,
            value_name = "FILE",
            default_value = "crates/support-agent/brain/head.json"
        )]
        out: PathBuf,
        /// The embedding model's folder (default: the configured `[retrieval] model_dir`).
        #[arg(long, value_name = "DIR")]
        model_dir: Option<PathBuf>,
        /// The server's configuration file (for the model folder).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Passes of gradient descent over the examples.
        #[arg(long, default_value_t = TrainOptions::default().epochs)]
        epochs: usize,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    text: String,
    #[serde(default)]
    source: Option<String>,
    labels: Labels,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Labels {
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    question: Option<u8>,
    #[serde(default)]
    angry: Option<u8>,
    #[serde(default)]
    legal: Option<u8>,
    #[serde(default)]
    injection: Option<u8>,
    #[serde(default)]
    instructor: Option<u8>,
    #[serde(default)]
    automated: Option<u8>,
}

impl Labels {
    fn signals(&self) -> Result<BTreeMap<String, bool>, String> {
        let all = [
            ("question", self.question),
            ("angry", self.angry),
            ("legal", self.legal),
            ("injection", self.injection),
            ("instructor", self.instructor),
            ("automated", self.automated),
        ];
        debug_assert_eq!(all.len(), SIGNAL_HEADS.len());
        let mut out = BTreeMap::new();
        for (name, v) in all {
            match v {
                None => {}
                Some(0) => {
                    out.insert(name.to_owned(), false);
                }
                Some(1) => {
                    out.insert(name.to_owned(), true);
                }
                Some(other) => return Err(format!("label {name} is {other}, not 0 or 1")),
            }
        }
        Ok(out)
    }
}

#[derive(Debug, Serialize)]
struct TrainReport {
    examples: usize,
    model: String,
    out: String,
    bytes: usize,
    sha256: String,
    trained_on: BTreeMap<String, usize>,
    seconds: f64,
}

/// Reads the labelled file: every line must parse, with a known category or none.
fn read_rows(path: &Path) -> Result<Vec<Row>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            exit::NOT_FOUND
        } else {
            exit::FAILURE
        };
        CliError::new(code, format!("{}: {e}", path.display()))
    })?;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row: Row = serde_json::from_str(line).map_err(|e| {
            CliError::new(exit::INVALID, format!("{}:{}: {e}", path.display(), n + 1))
        })?;
        if let Some(c) = &row.labels.category
            && support_core::classify::Category::parse(c).is_none()
        {
            return Err(CliError::new(
                exit::INVALID,
                format!("{}:{}: unknown category {c:?}", path.display(), n + 1),
            ));
        }
        row.labels.signals().map_err(|e| {
            CliError::new(exit::INVALID, format!("{}:{}: {e}", path.display(), n + 1))
        })?;
        let _ = &row.source;
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(CliError::new(
            exit::INVALID,
            format!("{}: no examples", path.display()),
        ));
    }
    Ok(rows)
}

pub async fn run(cmd: &BrainCommand, json: bool) -> Result<(), CliError> {
    let BrainCommand::Train {
        data,
        out,
        model_dir,
        config,
        epochs,
    } = cmd;
    let rows = read_rows(data)?;
    let dir = match model_dir {
        Some(d) => d.clone(),
        None => load_config(config.as_deref(), None, None)?.model_dir(),
    };
    let (out, epochs) = (out.clone(), *epochs);
    let report = tokio::task::spawn_blocking(move || -> Result<TrainReport, CliError> {
        let started = std::time::Instant::now();
        let embedder = Embedder::load(&dir).map_err(|e| {
            CliError::new(
                exit::NOT_FOUND,
                format!(
                    "{}: {e}; `skill models fetch` installs the model",
                    dir.display()
                ),
            )
        })?;
        let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
        let mut vectors = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(64) {
            vectors.extend(
                embedder
                    .embed(chunk)
                    .map_err(|e| CliError::failure(e.to_string()))?,
            );
        }
        let examples: Vec<Example> = rows
            .iter()
            .zip(vectors)
            .map(|(r, x)| Example {
                x,
                category: r.labels.category.clone(),
                // Checked when read.
                signals: r.labels.signals().unwrap_or_default(),
            })
            .collect();
        let opts = TrainOptions {
            epochs,
            ..TrainOptions::default()
        };
        let head = train(&examples, embedder.dim(), embedder.model_id(), opts);
        let text = serde_json::to_string(&head).map_err(|e| CliError::failure(e.to_string()))?;
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| CliError::failure(format!("{}: {e}", parent.display())))?;
        }
        std::fs::write(&out, &text)
            .map_err(|e| CliError::failure(format!("{}: {e}", out.display())))?;
        use sha2::Digest;
        Ok(TrainReport {
            examples: examples.len(),
            model: head.model.clone(),
            out: out.display().to_string(),
            bytes: text.len(),
            sha256: hex::encode(sha2::Sha256::digest(text.as_bytes())),
            trained_on: head.trained_on.clone(),
            seconds: started.elapsed().as_secs_f64(),
        })
    })
    .await
    .map_err(|e| CliError::failure(e.to_string()))??;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| CliError::failure(e.to_string()))?
        );
    } else {
        println!(
            "trained on {} examples with {} in {:.1} s → {} ({} bytes, sha256 {})",
            report.examples, report.model, report.seconds, report.out, report.bytes, report.sha256
        );
        for (k, v) in &report.trained_on {
            println!("  {k}: {v}");
        }
    }
    Ok(())
}
