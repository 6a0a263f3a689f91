//! `skill kb sync --app SLUG DIR`: an app's knowledge base from a folder of markdown.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde::{Deserialize, Serialize};

use crate::Cli;
use crate::client::ApiClient;
use crate::exit::{self, CliError};
use crate::output::emit;

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Make the app's knowledge in the search index match a folder of markdown files: each
    /// file is cut at its headings, new and changed sections are indexed, unchanged ones
    /// left alone, and sections of removed files or headings deleted. Running it again
    /// changes nothing.
    Sync {
        /// The app's slug.
        #[arg(long)]
        app: String,
        /// The folder (its .md files, subfolders included).
        dir: PathBuf,
    },
}

#[derive(Debug, Serialize)]
struct KbFile {
    path: String,
    text: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct SyncReport {
    files: usize,
    chunks: usize,
    added: usize,
    updated: usize,
    unchanged: usize,
    deleted: usize,
}

/// Every `.md` file under `dir`, with its path relative to `dir` (`/`-separated), sorted.
fn markdown_files(dir: &Path) -> Result<Vec<KbFile>, CliError> {
    let read_err = |p: &Path, e: std::io::Error| {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            exit::NOT_FOUND
        } else {
            exit::FAILURE
        };
        CliError::new(code, format!("{}: {e}", p.display()))
    };
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).map_err(|e| read_err(&current, e))? {
            let entry = entry.map_err(|e| read_err(&current, e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| read_err(&path, e))?;
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|e| e == "md") {
                let relative = path
                    .strip_prefix(dir)
                    .map_err(|e| CliError::failure(e.to_string()))?
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                let text = std::fs::read_to_string(&path).map_err(|e| read_err(&path, e))?;
                out.push(KbFile {
                    path: relative,
                    text,
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

pub async fn run(cli: &Cli, api: &ApiClient, cmd: &KbCommand) -> Result<(), CliError> {
    let KbCommand::Sync { app, dir } = cmd;
    let files = markdown_files(dir)?;
    if files.is_empty() {
        return Err(CliError::new(
            exit::INVALID,
            format!(
                "{} holds no .md files; refusing to empty the app's knowledge base",
                dir.display()
            ),
        ));
    }
    let app = crate::commands::path_id(app)?;
    let report: SyncReport = api
        .put(
            &format!("/api/v1/apps/{app}/knowledge"),
            &serde_json::json!({ "files": files }),
        )
        .await?;
    emit(cli, &report, |r| {
        println!(
            "{} file(s), {} section(s): {} added, {} updated, {} unchanged, {} deleted",
            r.files, r.chunks, r.added, r.updated, r.unchanged, r.deleted
        )
    })
}
