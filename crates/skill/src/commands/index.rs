//! `skill index rebuild`: backfill the search index from the platform's own history —
//! resolved conversations and replies teammates sent as drafted — a page at a time, with a
//! progress bar on a terminal. The server stores the progress after each page, so running
//! the command again after an interruption resumes where it stopped.

use clap::Subcommand;
use support_types::cli_api::{IndexRebuildNext, IndexRebuildRequest, IndexRebuildStatus};

use crate::Cli;
use crate::client::ApiClient;
use crate::exit::{self, CliError};
use crate::output::emit;
use crate::output::term::{Progress, hint};

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Index every stored conversation again (one app's, or every app's): resolved ones as
    /// similar tickets, replies sent unmodified as trusted responses. Resumes an unfinished
    /// rebuild unless --restart.
    Rebuild {
        /// Only this app's conversations.
        #[arg(long)]
        app: Option<String>,
        /// Start from the first conversation even if an earlier rebuild did not finish.
        #[arg(long)]
        restart: bool,
        /// Conversations per page (1–1000); each page is one batch written to the index.
        #[arg(long, default_value_t = 100)]
        batch: usize,
        /// Conversations read at once while a page is built (1–16).
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
}

pub async fn run(cli: &Cli, api: &ApiClient, cmd: &IndexCommand) -> Result<(), CliError> {
    let IndexCommand::Rebuild {
        app,
        restart,
        batch,
        concurrency,
    } = cmd;
    if !(1..=1000).contains(batch) {
        return Err(CliError::new(
            exit::USAGE,
            "--batch must be between 1 and 1000",
        ));
    }
    if !(1..=16).contains(concurrency) {
        return Err(CliError::new(
            exit::USAGE,
            "--concurrency must be between 1 and 16",
        ));
    }
    if let Some(app) = app {
        crate::commands::path_id(app)?;
    }
    let mut status: IndexRebuildStatus = api
        .post(
            "/api/v1/index/rebuild",
            &IndexRebuildRequest {
                app: app.clone(),
                restart: *restart,
            },
        )
        .await?;
    let resumed = status.resumed;
    if resumed {
        hint(format!(
            "resuming: {} of {} conversation(s) already indexed (--restart starts over)",
            status.conversations, status.total
        ));
    }
    let mut progress = Progress::new("conversations", status.total.max(0) as usize, cli.json);
    progress.set(status.conversations.max(0) as u64);
    while !status.finished {
        status = api
            .post(
                "/api/v1/index/rebuild/next",
                &IndexRebuildNext {
                    app: app.clone(),
                    limit: Some(*batch),
                    concurrency: Some(*concurrency),
                },
            )
            .await?;
        progress.set(status.conversations.max(0) as u64);
    }
    progress.finish();
    // The report is the run's, not the last page's: say it resumed.
    status.resumed = resumed;
    emit(cli, &status, |s| {
        println!(
            "{} conversation(s) read ({}), {} document(s) written to the index",
            s.conversations,
            if s.scope == "*" {
                "every app".to_owned()
            } else {
                format!("app {}", s.scope)
            },
            s.documents
        )
    })
}
