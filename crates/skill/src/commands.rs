//! Commands that talk to a running server.

use clap::Subcommand;
use serde::Serialize;
use support_types::AppSlug;
use support_types::api::{
    AppView, AuditVerification, AuditView, CliConfig, ConversationDetail, ConversationView,
    NewAppRequest, NewAppResponse, RotateSecretRequest, RotateSecretResponse, Status,
};

use support_types::actions::{DecisionOutcome, RejectRequest};

use crate::client::{ApiClient, config_path};
use crate::exit::{self, CliError};
use crate::{Cli, Command};

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

#[derive(Debug, Subcommand)]
pub enum StripeCommand {
    /// Print the URL that connects the app's Stripe account. Open it in a browser logged in
    /// to the dashboard as the same user; it works once, for 10 minutes.
    Connect {
        /// The app's slug.
        slug: String,
    },
    /// Show whether the app is connected, and to which account.
    Status {
        /// The app's slug.
        slug: String,
    },
    /// Revoke the platform's access to the app's Stripe account; refunds stop.
    Disconnect {
        /// The app's slug.
        slug: String,
    },
}

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

pub(crate) fn emit<T: Serialize>(
    cli: &Cli,
    value: &T,
    human: impl FnOnce(&T),
) -> Result<(), CliError> {
    if cli.json {
        let out = serde_json::to_string_pretty(value)
            .map_err(|e| CliError::failure(format!("serialise output: {e}")))?;
        println!("{out}");
    } else {
        human(value);
    }
    Ok(())
}

pub(crate) fn ms(t: i64) -> String {
    support_server::http::html::when(t)
}

pub async fn run(cli: &Cli) -> Result<(), CliError> {
    let api = ApiClient::from_cli(cli)?;
    match &cli.command {
        Command::Status => {
            let s: Status = api.get("/api/v1/status").await?;
            emit(cli, &s, |s| {
                println!("server     {} (skill {})", s.backend, s.version);
                println!("signed in  {}", s.user);
                println!("apps       {}", s.apps);
                println!("convs      {}", s.conversations);
                println!("events     {}", s.inbound_events);
                println!("queued     {}", s.outbox_pending);
                println!("audit      {}", s.audit_entries);
            })
        }
        Command::Apps(AppsCommand::List) => {
            let apps: Vec<AppView> = api.get("/api/v1/apps").await?;
            emit(cli, &apps, |apps| {
                if apps.is_empty() {
                    crate::term::hint("no apps registered; add one with `skill init`");
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
        Command::Init(args) => {
            let slug = AppSlug::parse(&args.slug)
                .map_err(|e| CliError::new(exit::INVALID, e.to_string()))?;
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
                crate::term::hint(format!(
                    "The app signs events to POST /webhooks/app/{} with x-support-signature, and verifies the platform's calls with the same secret.",
                    c.app.slug
                ));
            })
        }
        Command::Apps(AppsCommand::Policy { slug }) => {
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
        Command::Apps(AppsCommand::RotateSecret { slug, grace_hours }) => {
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
                crate::term::hint(format!(
                    "The previous secret keeps verifying until {}.",
                    ms(r.previous_valid_until)
                ));
            })
        }
        Command::Stripe(cmd) => {
            let show = |s: &support_types::api::StripeStatus| match (&s.account, s.connected) {
                (Some(a), true) => println!("{}: connected to Stripe account {a}", s.app),
                (Some(a), false) => println!("{}: not connected (was {a})", s.app),
                (None, _) => println!("{}: not connected", s.app),
            };
            match cmd {
                StripeCommand::Connect { slug } => {
                    let r: support_types::api::StripeConnectStart = api
                        .post(
                            &format!("/api/v1/apps/{}/stripe/connect", path_id(slug)?),
                            &serde_json::json!({}),
                        )
                        .await?;
                    emit(cli, &r, |r| {
                        println!("{}", r.url);
                        crate::term::hint(format!(
                            "Open this in a browser logged in to the dashboard as you, before {}. It works once.",
                            ms(r.expires_at)
                        ));
                    })
                }
                StripeCommand::Status { slug } => {
                    let r: support_types::api::StripeStatus = api
                        .get(&format!("/api/v1/apps/{}/stripe", path_id(slug)?))
                        .await?;
                    emit(cli, &r, show)
                }
                StripeCommand::Disconnect { slug } => {
                    let r: support_types::api::StripeStatus = api
                        .post(
                            &format!("/api/v1/apps/{}/stripe/disconnect", path_id(slug)?),
                            &serde_json::json!({}),
                        )
                        .await?;
                    emit(cli, &r, show)
                }
            }
        }
        Command::Lookup { email, app } | Command::Purchases { email, app } => {
            let email = support_types::Email::parse(email)
                .map_err(|e| CliError::new(exit::INVALID, e.to_string()))?;
            let v: serde_json::Value = api
                .get(&format!(
                    "/api/v1/apps/{}/customers/{}",
                    path_id(app)?,
                    email
                ))
                .await?;
            let purchases_only = matches!(cli.command, Command::Purchases { .. });
            if cli.json {
                let doc = if purchases_only {
                    v["purchases"].clone()
                } else {
                    v.clone()
                };
                return emit(cli, &doc, |_| {});
            }
            if v["user"].is_null() {
                println!("no customer {email} in {app}");
                return Ok(());
            }
            if !purchases_only {
                println!(
                    "{} <{}>  id {}",
                    v["user"]["name"].as_str().unwrap_or("-"),
                    email,
                    v["user"]["id"].as_str().unwrap_or("-")
                );
            }
            for p in v["purchases"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                println!(
                    "{:<22} {:<28} {:>10} {:<4} {:<11} {}",
                    p["id"].as_str().unwrap_or("-"),
                    p["productName"].as_str().unwrap_or("-"),
                    p["amount"]["amount"]
                        .as_i64()
                        .map(|a| format!("{}.{:02}", a / 100, a % 100))
                        .unwrap_or_default(),
                    p["amount"]["currency"].as_str().unwrap_or(""),
                    p["status"].as_str().unwrap_or("-"),
                    p["purchasedAt"]
                        .as_i64()
                        .map(|t| ms(t * 1000))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Doctor { app } => {
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
                return Err(
                    CliError::failure(format!("doctor: {app} has failing checks")).reported(),
                );
            }
            Ok(())
        }
        Command::Approve { id } => {
            let d: DecisionOutcome = api
                .post(
                    &format!("/api/v1/actions/{}/approve", path_id(id)?),
                    &serde_json::json!({}),
                )
                .await?;
            emit(cli, &d, print_decision)
        }
        Command::Reject { id, reason } => {
            let d: DecisionOutcome = api
                .post(
                    &format!("/api/v1/actions/{}/reject", path_id(id)?),
                    &RejectRequest {
                        reason: reason.clone(),
                    },
                )
                .await?;
            emit(cli, &d, print_decision)
        }
        Command::Conversations { limit } => {
            let list: Vec<ConversationView> = api
                .get(&format!("/api/v1/conversations?limit={limit}"))
                .await?;
            emit(cli, &list, |list| {
                if list.is_empty() {
                    crate::term::hint("no conversations yet");
                }
                for c in list {
                    println!(
                        "{}  {:<12} {:<28} {:>3} msg  {}",
                        c.id,
                        c.app_slug.as_deref().unwrap_or("-"),
                        c.customer_email.as_deref().unwrap_or("-"),
                        c.message_count,
                        c.subject
                    );
                }
            })
        }
        Command::Conversation { id } => {
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(CliError::new(
                    exit::INVALID,
                    format!("invalid conversation id {id:?}"),
                ));
            }
            let d: ConversationDetail = api.get(&format!("/api/v1/conversations/{id}")).await?;
            emit(cli, &d, |d| {
                let c = &d.conversation;
                println!("{} [{}] {}", c.subject, c.status, c.front_conversation_id);
                println!(
                    "app {}  customer {}",
                    c.app_slug.as_deref().unwrap_or("-"),
                    c.customer_email.as_deref().unwrap_or("-")
                );
                for m in &d.messages {
                    println!(
                        "\n--- {} {} {}\n{}",
                        m.direction,
                        m.author.as_deref().unwrap_or("-"),
                        ms(m.created_at),
                        m.body
                    );
                }
            })
        }
        Command::Audit(AuditCommand::Verify) => {
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
        Command::Audit(AuditCommand::List { limit }) => {
            let list: Vec<AuditView> = api.get(&format!("/api/v1/audit?limit={limit}")).await?;
            emit(cli, &list, |list| {
                if list.is_empty() {
                    crate::term::hint("no audit entries");
                }
                for e in list {
                    println!(
                        "{:>6}  {}  {:<24} {:<20} {}",
                        e.seq,
                        ms(e.at),
                        e.actor,
                        e.action,
                        e.subject
                    );
                }
            })
        }
        Command::Runs(_)
        | Command::Run { .. }
        | Command::DeadLetter(_)
        | Command::Front(_)
        | Command::Trace { .. }
        | Command::Actions(_)
        | Command::Action { .. } => crate::ops::run(cli, &api).await,
        // Dispatched in `crate::run` before reaching here.
        _ => Err(CliError::failure("internal dispatch error")),
    }
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

/// An id safe to put in a URL path.
fn path_id(id: &str) -> Result<&str, CliError> {
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(CliError::new(exit::INVALID, format!("invalid id {id:?}")));
    }
    Ok(id)
}

fn print_decision(d: &DecisionOutcome) {
    if d.this_call_won {
        println!("{}d action {}", d.standing, d.action_id);
    } else {
        println!(
            "action {} was already decided: {} by {} ({})",
            d.action_id, d.standing, d.decided_by, d.surface
        );
    }
}
