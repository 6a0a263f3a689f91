//! `skill init`, `skill apps` and `skill doctor`: the product apps the platform serves.

use clap::Subcommand;
use support_types::AppSlug;
use support_types::api::{
    AppView, NewAppRequest, NewAppResponse, RotateSecretRequest, RotateSecretResponse,
};

use super::path_id;
use crate::Cli;
use crate::client::ApiClient;
use crate::exit::{self, CliError};
use crate::output::{emit, ms};

#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// List registered apps.
    List,
    /// Show the policy in force for an app (TOML), with its version and fingerprint.
    Policy {
        /// The app's slug.
        slug: String,
    },
    /// Replace an app's signing secret; the previous one keeps working for a grace period.
    RotateSecret {
        /// The app's slug.
        slug: String,
        /// Hours the previous secret keeps verifying [default: the server's, 24].
        #[arg(long)]
        grace_hours: Option<u64>,
    },
}

/// `skill init`: register an app with no redeploy and no restart.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Slug: 2-40 lowercase letters, digits or '-', starting with a letter.
    pub slug: String,
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// A Front inbox id (inb_…) this app owns; repeat for several.
    #[arg(long = "front-inbox", value_name = "INBOX")]
    pub front_inboxes: Vec<String>,
    /// The app's support integration URL (its signed SDK route).
    #[arg(long, value_name = "URL")]
    pub integration_url: Option<String>,
    /// Accept Front rule webhooks (no timestamp, lower trust) for these inboxes.
    #[arg(long)]
    pub front_rule_webhooks: bool,
}

/// `skill init`: register an app with no redeploy and no restart.
pub async fn init(cli: &Cli, api: &ApiClient, args: &InitArgs) -> Result<(), CliError> {
    let slug =
        AppSlug::parse(&args.slug).map_err(|e| CliError::new(exit::INVALID, e.to_string()))?;
    let created: NewAppResponse = api
        .post(
            "/api/v1/apps",
            &NewAppRequest {
                slug,
                name: args.name.clone(),
                front_inbox_ids: args.front_inboxes.clone(),
                integration_url: args.integration_url.clone(),
                front_rule_webhooks: args.front_rule_webhooks,
            },
        )
        .await?;
    emit(cli, &created, |c| {
        println!("Registered app {} ({}).", c.app.slug, c.app.name);
        println!("Signing secret (shown once; store it in the app's config):");
        println!("{}", c.webhook_secret);
        crate::output::term::hint(format!(
            "The app signs events to POST /webhooks/app/{} with x-support-signature, and verifies the platform's calls with the same secret.",
            c.app.slug
        ));
    })
}

/// `skill apps …`.
pub async fn run(cli: &Cli, api: &ApiClient, cmd: &AppsCommand) -> Result<(), CliError> {
    match cmd {
        AppsCommand::List => list(cli, api).await,
        AppsCommand::Policy { slug } => policy(cli, api, slug).await,
        AppsCommand::RotateSecret { slug, grace_hours } => {
            rotate_secret(cli, api, slug, grace_hours).await
        }
    }
}

async fn list(cli: &Cli, api: &ApiClient) -> Result<(), CliError> {
    let apps: Vec<AppView> = api.get("/api/v1/apps").await?;
    emit(cli, &apps, |apps| {
        if apps.is_empty() {
            crate::output::term::hint("no apps registered; add one with `skill init`");
        }
        for a in apps {
            println!(
                "{:<20} {:<30} {}",
                a.slug,
                a.name,
                a.front_inbox_ids.join(",")
            );
        }
    })
}

async fn policy(cli: &Cli, api: &ApiClient, slug: &str) -> Result<(), CliError> {
    let p: support_types::api::PolicyView = api
        .get(&format!("/api/v1/apps/{}/policy", path_id(slug)?))
        .await?;
    emit(cli, &p, |p| {
        println!(
            "# policy of {} ({}), version {}, fingerprint {}",
            p.app, p.source, p.version, p.fingerprint
        );
        print!("{}", p.toml);
    })
}

async fn rotate_secret(
    cli: &Cli,
    api: &ApiClient,
    slug: &str,
    grace_hours: &Option<u64>,
) -> Result<(), CliError> {
    let r: RotateSecretResponse = api
        .post(
            &format!("/api/v1/apps/{slug}/rotate-secret"),
            &RotateSecretRequest {
                grace_hours: *grace_hours,
                secret: None,
            },
        )
        .await?;
    emit(cli, &r, |r| {
        println!("New signing secret for {} (shown once):", r.app);
        println!("{}", r.webhook_secret);
        crate::output::term::hint(format!(
            "The previous secret keeps verifying until {}.",
            ms(r.previous_valid_until)
        ));
    })
}

/// `skill doctor`: exits 1 when any check fails.
pub async fn doctor(cli: &Cli, api: &ApiClient, app: &str) -> Result<(), CliError> {
    let r: serde_json::Value = api
        .get(&format!("/api/v1/apps/{}/doctor", path_id(app)?))
        .await?;
    emit(cli, &r, |r| {
        for c in r["checks"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            println!(
                "{:<5} {:<18} {}",
                c["status"].as_str().unwrap_or("?"),
                c["name"].as_str().unwrap_or("?"),
                c["detail"].as_str().unwrap_or("")
            );
        }
        println!("overall: {}", r["overall"].as_str().unwrap_or("?"));
    })?;
    if r["overall"] == "fail" {
        return Err(CliError::failure(format!("doctor: {app} has failing checks")).reported());
    }
    Ok(())
}
