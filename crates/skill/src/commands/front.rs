//! `skill front reconcile`: store the Front events whose webhook never arrived.

use clap::Subcommand;
use support_types::api::{ReconcileRequest, ReconcileResponse};

use crate::Cli;
use crate::client::ApiClient;
use crate::exit::CliError;
use crate::output::{emit, ms};

#[derive(Debug, Subcommand)]
pub enum FrontCommand {
    /// List Front's events and store those whose webhook never arrived, as the worker does
    /// every few minutes (after an outage, do not wait for it). Events that did arrive are
    /// recognised by id and change nothing. Audited as `front.reconciled`.
    Reconcile {
        /// From when: a duration back from now (30m, 6h, 2d, 1w) or an RFC 3339 time.
        /// Default: 15 minutes before the newest Front event stored.
        #[arg(long)]
        since: Option<String>,
    },
}

/// `skill front …`.
pub async fn run(cli: &Cli, api: &ApiClient, cmd: &FrontCommand) -> Result<(), CliError> {
    match cmd {
        FrontCommand::Reconcile { since } => reconcile(cli, api, since.as_deref()).await,
    }
}

async fn reconcile(cli: &Cli, api: &ApiClient, since: Option<&str>) -> Result<(), CliError> {
    let since_ms = since
        .map(|raw| crate::commands::observe::parse_since(raw, support_store::now_ms()))
        .transpose()?;
    let r: ReconcileResponse = api
        .post("/api/v1/front/reconcile", &ReconcileRequest { since_ms })
        .await?;
    emit(cli, &r, |r| {
        println!(
            "Front listed {} event(s) since {}; {} had not arrived and are now stored",
            r.listed,
            ms(r.since_ms),
            r.recovered
        );
        if r.recovered > 0 {
            crate::output::term::hint(
                "they are decided on like any webhook: `skill runs` shows them",
            );
        }
    })
}
