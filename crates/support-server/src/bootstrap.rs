//! First start: create the admin user and an API token, write them to a 0600 file in the
//! data directory, and write the CLI's configuration so `skill …` works with no flags.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use support_store::{NewAuditEntry, Store};

use crate::auth::{hash_password, random_password, random_token, token_hash};
use crate::config::Config;

/// What the first start created (returned so tests and the sandbox can log in).
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub admin_email: String,
    pub admin_password: String,
    pub api_token: String,
    pub credentials_file: PathBuf,
    pub cli_config_file: Option<PathBuf>,
}

/// The CLI's configuration file: `$SKILL_CONFIG`, else `$XDG_CONFIG_HOME/skill/config.toml`,
/// else `~/.config/skill/config.toml`.
pub fn default_cli_config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SKILL_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("skill").join("config.toml"))
}

/// Runs once, when the database has no users. Returns `None` on later starts.
pub async fn first_start(
    store: &Store,
    config: &Config,
    url: &str,
) -> anyhow::Result<Option<Bootstrap>> {
    if store.count_users().await? > 0 {
        return Ok(None);
    }
    let password = random_password();
    let token = random_token("skill");
    let user = store
        .create_user_with_token(
            &config.admin_email,
            "Administrator",
            "admin",
            &hash_password(&password)?,
            "created on first start",
            &token_hash(&token),
        )
        .await?;
    store
        .append_audit(&NewAuditEntry {
            actor: "system".into(),
            action: "user.created".into(),
            subject: format!("user:{}", user.email),
            trace_id: None,
            data: serde_json::json!({"role": "admin", "reason": "first start"}),
        })
        .await?;

    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("create {}", config.data_dir.display()))?;
    let credentials_file = config.data_dir.join("admin-credentials.txt");
    write_private(
        &credentials_file,
        &format!(
            "# Created on first start of skill serve. Keep this file private.\ndashboard_url = \"{url}/login\"\nemail = \"{}\"\npassword = \"{password}\"\napi_token = \"{token}\"\n",
            user.email
        ),
    )?;

    let cli_config_file = if config.write_cli_config {
        match config
            .cli_config_path
            .clone()
            .or_else(default_cli_config_path)
        {
            Some(path) => {
                write_cli_config(&path, url, &token)?;
                Some(path)
            }
            None => None,
        }
    } else {
        None
    };
    Ok(Some(Bootstrap {
        admin_email: user.email,
        admin_password: password,
        api_token: token,
        credentials_file,
        cli_config_file,
    }))
}

/// Writes `url` and `token` in the format `skill` reads.
pub fn write_cli_config(path: &Path, url: &str, token: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    }
    let body = toml::to_string(&support_types::api::CliConfig {
        url: url.to_owned(),
        token: token.to_owned(),
    })
    .context("serialise CLI config")?;
    write_private(path, &body)
}

fn write_private(path: &Path, body: &str) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("write {}", path.display()))?;
    f.write_all(body.as_bytes())
        .with_context(|| format!("write {}", path.display()))?;
    Ok(())
}
