//! `skill audit`: the audit trail and its hash chain.

use clap::Subcommand;
use support_types::api::{AuditVerification, AuditView};

use crate::Cli;
use crate::client::ApiClient;
use crate::exit::CliError;
use crate::output::{emit, ms};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List the newest audit entries.
    List {
        /// How many entries to show (1-500).
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Verify the whole hash chain; reports the first broken entry and exits 1 if there is one.
    Verify,
}

/// `skill audit …`.
pub async fn run(cli: &Cli, api: &ApiClient, cmd: &AuditCommand) -> Result<(), CliError> {
    match cmd {
        AuditCommand::Verify => verify(cli, api).await,
        AuditCommand::List { limit } => list(cli, api, *limit).await,
    }
}

async fn verify(cli: &Cli, api: &ApiClient) -> Result<(), CliError> {
    let v: AuditVerification = api.get("/api/v1/audit/verify").await?;
    emit(cli, &v, |v| match v.first_bad_seq {
        None => println!("audit chain intact: {} entries", v.entries),
        Some(seq) => println!(
            "audit chain BROKEN at entry {seq} ({} intact entries before it)",
            v.entries
        ),
    })?;
    match v.first_bad_seq {
        None if v.ok => Ok(()),
        Some(seq) => Err(CliError::failure(format!(
            "audit chain verification failed: first break at entry {seq}"
        ))),
        None => Err(CliError::failure("audit chain verification failed")),
    }
}

async fn list(cli: &Cli, api: &ApiClient, limit: i64) -> Result<(), CliError> {
    let list: Vec<AuditView> = api.get(&format!("/api/v1/audit?limit={limit}")).await?;
    emit(cli, &list, |list| {
        if list.is_empty() {
            crate::output::term::hint("no audit entries");
        }
        for e in list {
            print_entry(e);
        }
    })
}

/// One audit entry as a table row (`skill audit list`, `skill trace`).
pub(crate) fn print_entry(e: &AuditView) {
    println!(
        "{:>6}  {}  {:<24} {:<20} {}",
        e.seq,
        ms(e.at),
        e.actor,
        e.action,
        e.subject
    );
}
