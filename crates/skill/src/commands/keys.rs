//! `skill keys rotate`: a new master key becomes current and every stored secret's data key
//! is re-wrapped under it. The secrets themselves are not re-encrypted.

use std::path::PathBuf;

use clap::Subcommand;
use serde::Serialize;
use support_secrets::Keyring;
use support_store::Store;

use crate::commands::serve::load_config;
use crate::exit::CliError;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a new master key, make it current, and re-wrap every stored secret under it.
    /// Restart running servers afterwards so they seal new secrets with the new key; running
    /// this again re-wraps anything sealed in the meantime.
    Rotate {
        /// The server's configuration file (for the database and the key file).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Then remove old master keys that no stored secret uses any more.
        #[arg(long)]
        retire: bool,
    },
}

#[derive(Debug, Serialize)]
struct RotateReport {
    key_file: String,
    current: String,
    rewrapped: usize,
    already_current: usize,
    retired: Vec<String>,
}

pub async fn run(cmd: &KeysCommand, json: bool) -> Result<(), CliError> {
    let KeysCommand::Rotate { config, retire } = cmd;
    let config = load_config(config.as_deref(), None, None)?;
    let path = config.master_key_path();
    if !path.is_file() {
        return Err(CliError::config(format!(
            "master key file {} does not exist; start the server once to create it",
            path.display()
        )));
    }
    let key_err = |e: support_secrets::SecretsError| CliError::failure(e.to_string());
    let new_id = Keyring::rotate_file(&path).map_err(key_err)?;
    let keyring = Keyring::load(&path).map_err(key_err)?;
    let store = Store::connect(&config.database_url)
        .await
        .map_err(|e| CliError::failure(format!("open database: {e}")))?;
    store
        .migrate()
        .await
        .map_err(|e| CliError::failure(format!("migrate database: {e}")))?;
    let (rewrapped, already_current) = support_server::secrets::rewrap_all(&store, &keyring)
        .await
        .map_err(|e| CliError::failure(e.to_string()))?;
    let mut retired = Vec::new();
    if *retire {
        for id in keyring.ids() {
            if id == new_id {
                continue;
            }
            let left = store
                .secrets_under_key(&id)
                .await
                .map_err(|e| CliError::failure(e.to_string()))?;
            if left == 0 {
                Keyring::retire_file(&path, &id).map_err(key_err)?;
                retired.push(id);
            } else {
                eprintln!("kept {id}: {left} secret(s) still use it");
            }
        }
    }
    store.close().await;
    let report = RotateReport {
        key_file: path.display().to_string(),
        current: new_id,
        rewrapped,
        already_current,
        retired,
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| CliError::failure(e.to_string()))?
        );
    } else {
        println!(
            "master key {} is current; re-wrapped {} secret(s), {} already current{}",
            report.current,
            report.rewrapped,
            report.already_current,
            if report.retired.is_empty() {
                String::new()
            } else {
                format!("; retired {}", report.retired.join(", "))
            }
        );
        eprintln!("restart running servers so new secrets are sealed with the new key");
    }
    Ok(())
}
