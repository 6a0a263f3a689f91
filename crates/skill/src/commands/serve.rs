//! `skill serve`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use support_server::{Application, Config};

use crate::exit::CliError;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Configuration file (default: ./support.toml if present). Environment variables
    /// SUPPORT_* override it, e.g. SUPPORT_DATABASE_URL or SUPPORT_FRONT__APP_SECRET.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:3000].
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// Database URL: sqlite://PATH or postgres://… [default: sqlite://./data/support.db].
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

/// Loads config with command-line flags applied last.
pub fn load_config(
    file: Option<&std::path::Path>,
    bind: Option<SocketAddr>,
    database_url: Option<&str>,
) -> Result<Config, CliError> {
    let mut config = Config::load(file).map_err(|e| CliError::config(e.to_string()))?;
    if let Some(b) = bind {
        config.bind = b;
    }
    if let Some(u) = database_url {
        config.database_url = u.to_owned();
    }
    Ok(config)
}

/// Installs the JSON (or pretty) log subscriber; `RUST_LOG` filters.
pub fn init_logging(format: &str) {
    init_logging_to(format, std::io::stderr);
}

/// [`init_logging`] to any writer (tests capture the log lines this way).
pub fn init_logging_to<W>(format: &str, writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _ = if format == "pretty" {
        builder.try_init()
    } else {
        builder.json().flatten_event(true).try_init()
    };
}

pub async fn run(args: &ServeArgs) -> Result<(), CliError> {
    let config = load_config(
        args.config.as_deref(),
        args.bind,
        args.database_url.as_deref(),
    )?;
    init_logging(&config.log_format);
    let app = Application::build(config).await.map_err(startup_error)?;
    print_bootstrap(&app);
    tracing::info!(url = %app.url(), addr = %app.state().config.bind, backend = app.state().store.backend().as_str(), "listening");
    eprintln!(
        "skill serve: listening on {} (dashboard {}/login)",
        app.url(),
        app.url()
    );
    app.run(support_server::shutdown_signal()).await?;
    eprintln!("skill serve: stopped");
    Ok(())
}

/// Tells a human where the first start put the credentials (never the secrets themselves
/// into the log).
pub fn print_bootstrap(app: &Application) {
    if let Some(b) = app.bootstrap() {
        eprintln!(
            "First start: created admin {} with a password and an API token, written to {}",
            b.admin_email,
            b.credentials_file.display()
        );
        if let Some(p) = &b.cli_config_file {
            eprintln!(
                "The CLI is configured in {}: `skill status` now works with no flags.",
                p.display()
            );
        }
    }
}

/// A start-up failure, with the database ones told apart (exit 12).
pub fn startup_error(e: anyhow::Error) -> CliError {
    let database = e
        .chain()
        .any(|c| c.downcast_ref::<support_store::StoreError>().is_some());
    if database {
        CliError::new(crate::exit::DATABASE, format!("{e:#}"))
    } else {
        CliError::failure(format!("{e:#}"))
    }
}
