//! Runs First App standalone:
//! `first-app --db PATH [--bind ADDR] [--public-url URL] --secret S [--secret PREVIOUS]
//! [--no-seed]`. Parsed by hand: five flags do not justify a dependency.

use anyhow::{Context as _, bail};
use first_app::{FirstApp, FirstAppConfig};

const USAGE: &str = "usage: first-app --db PATH [--bind ADDR] [--public-url URL] --secret S \
                     [--secret PREVIOUS] [--no-seed]";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut db = None;
    let mut bind = "127.0.0.1:3100".parse()?;
    let mut secrets = Vec::new();
    let mut seed = true;
    let mut public_url = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .with_context(|| format!("{name} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--db" => db = Some(value("--db")?),
            "--bind" => bind = value("--bind")?.parse().context("--bind wants HOST:PORT")?,
            "--public-url" => public_url = Some(value("--public-url")?),
            "--secret" => secrets.push(value("--secret")?),
            "--no-seed" => seed = false,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    let db_path = db.with_context(|| format!("--db is required\n{USAGE}"))?;
    let app = FirstApp::start(FirstAppConfig {
        db_path: db_path.into(),
        bind,
        secrets,
        seed,
        public_url,
    })
    .await?;
    println!(
        "first-app listening on {} (support route {})",
        app.url(),
        app.support_url()
    );
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    app.shutdown().await;
    Ok(())
}
