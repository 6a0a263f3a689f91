//! `skill status` and `skill login`: the server a command talks to, and who is signed in.

use support_types::api::{CliConfig, Status};

use crate::client::{ApiClient, config_path};
use crate::exit::{self, CliError};
use crate::output::emit;
use crate::{Cli, Command};

/// `skill status`.
pub async fn status(cli: &Cli, api: &ApiClient) -> Result<(), CliError> {
    let s: Status = api.get("/api/v1/status").await?;
    emit(cli, &s, |s| {
        println!("server     {} (skill {})", s.backend, s.version);
        println!("signed in  {}", s.user);
        println!("apps       {}", s.apps);
        println!("convs      {}", s.conversations);
        println!("events     {}", s.inbound_events);
        println!("queued     {}", s.outbox_pending);
        println!("audit      {}", s.audit_entries);
        println!("search     {}", s.search);
    })
}

/// `skill login`: checks the credentials against the server, then saves them.
pub async fn login(cli: &Cli, server: &str, token: &str) -> Result<(), CliError> {
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        return Err(CliError::new(
            exit::INVALID,
            format!("--server {server:?} must be an http(s) URL"),
        ));
    }
    let probe = Cli {
        url: Some(server.to_owned()),
        token: Some(token.to_owned()),
        cli_config: cli.cli_config.clone(),
        json: cli.json,
        command: Command::Status,
    };
    let status: Status = ApiClient::from_cli(&probe)?.get("/api/v1/status").await?;
    let path = config_path(cli).ok_or_else(|| {
        CliError::config("cannot tell where to write the CLI config: set SKILL_CONFIG or HOME")
    })?;
    support_server::bootstrap::write_cli_config(&path, server, token)?;
    let saved = CliConfig {
        url: server.to_owned(),
        token: "<saved>".into(),
    };
    emit(cli, &saved, |_| {
        println!(
            "logged in to {server} as {}; saved to {}",
            status.user,
            path.display()
        )
    })
}
