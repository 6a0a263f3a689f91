//! `skill eval run` and `skill eval report`: replay a dataset of customer messages through
//! the real pipeline (webhook → worker → inbound workflow → brain → policy → ledger → Front
//! draft) against local fakes, and measure what it decided.
//!
//! # What is measured
//!
//! Each scenario may state an expected `category`, `route` and `actions` (a decision per
//! action type). Only what a scenario states is checked.
//!
//! - **Routes** and **categories**: one-vs-rest precision, recall and F1 per label, their
//!   macro averages over the labels that occur among the expected labels, accuracy, and the
//!   confusion matrix. A scenario with no recorded decision counts as label `(none)`.
//! - **Handled without a human** (the automation decision, positive class): a scenario is
//!   *automated* when its route is `respond` or `silence` and no proposal's verdict is
//!   `approval` or `escalate`; it *needs a human* otherwise (an `escalate_*` route, an
//!   approval, an escalation by the policy). The expected side is derived the same way from
//!   the expected route and actions; scenarios whose expectation says neither are left out.
//!   TP = automated and should be; FP = automated but should have gone to a human;
//!   TN = went to a human and should have; FN = went to a human but could have been
//!   automated. precision = TP/(TP+FP), recall = TP/(TP+FN), FP rate = FP/(FP+TN),
//!   FN rate = FN/(FN+TP).
//! - **Action decisions**: per action type, expected decision × actual decision. The actual
//!   decision is the policy verdict of the brain's proposal of that type; `escalate` when
//!   there is none because the route went to a human first; else `none`. A write proposed
//!   that the scenario does not expect is tabulated on the `none` row.
//! - **Policy violations** (must be zero): an automatic write (any ledger kind but
//!   `draft_response` and `escalate_to_human`) that (a) `support_core::policy::evaluate`
//!   would not allow on the scenario's own facts (the dataset's purchase, the decision's
//!   clock, signals detected in the scenario's text, the default policy), or (b) happened
//!   on a scenario whose expected or actual route is an escalation, or (c) happened on a
//!   prompt-injection scenario; and (d) any write whose ledger state shows it ran without an
//!   `auto` verdict.
//! - **Drafts**: every Front draft through `support_core::validate::validate` with the
//!   app's refund window and the scenario's amounts as ground truth, no knowledge snippets.
//! - **Latency**: wall time from handing the message to the fake Front to the commit of
//!   the decision row; p50/p95/p99 by nearest rank. The 3 s debounce is skipped by moving
//!   the pinned clock, so this is the pipeline's own processing time.
//!
//! # Gates (exit code 1 when any fails)
//!
//! The PRD's four thresholds, on the numbers above: route macro precision ≥ 0.92, route
//! macro recall ≥ 0.95, automation FP rate ≤ 0.03, automation FN rate ≤ 0.02; and zero
//! policy violations, zero scenarios that could not be run, and zero ledger actions that
//! failed (the fakes never fail, so a failure is a bug in the pipeline or the harness).
//!
//! When scenarios carry an adversarial `class`, the report adds a per-class tally with its own
//! gates (see [`tally`]) and the PRD's four thresholds are reported but no longer gating.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};

use crate::exit::{self, CliError};

pub mod dataset;
pub mod metrics;
pub mod render;
pub mod report;
pub mod runner;
pub mod tally;

pub use report::Report;

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Replay a dataset through the real pipeline against local fakes and score it.
    /// Exits 1 when a gate fails (see `eval/README.md`).
    Run(RunArgs),
    /// Render a saved report.
    Report(ReportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Brain {
    /// The deterministic rules brain (no network, no model).
    Rules,
    /// The language-model brain.
    Llm,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenarios, one JSON object per line (e.g. eval/dev.jsonl).
    #[arg(long, value_name = "FILE")]
    pub dataset: PathBuf,
    /// Which brain decides.
    #[arg(long, value_enum, default_value = "rules")]
    pub brain: Brain,
    /// Also write the JSON report here.
    #[arg(long, value_name = "REPORT.json")]
    pub out: Option<PathBuf>,
    /// Run only the first N scenarios.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// With `--brain llm`: the model endpoint (an OpenAI-compatible base URL such as
    /// http://127.0.0.1:11434/v1, or Anthropic's host). Without it, a local stand-in model
    /// speaking the OpenAI wire format answers from the rules classifier, which proves the
    /// wiring (prompt, tool call, schema check, policy) but not a model's judgement.
    #[arg(long, value_name = "URL")]
    pub llm_url: Option<String>,
    /// With `--llm-url`: the model name.
    #[arg(long, value_name = "NAME", default_value = "local")]
    pub llm_model: String,
    /// With `--llm-url`: `openai_compat` or `anthropic`. The key, if any, comes from
    /// SKILL_LLM_API_KEY.
    #[arg(long, value_name = "PROVIDER", default_value = "openai_compat")]
    pub llm_provider: String,
    /// The embedding model's folder (`skill models fetch` installs it): turns on dense
    /// search and the learned classifier beside the rules. Without it the rules decide alone.
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A report written by `skill eval run --out`.
    #[arg(long, value_name = "REPORT.json")]
    pub input: PathBuf,
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: Format,
}

pub async fn run(cmd: &EvalCommand, json: bool) -> Result<(), CliError> {
    match cmd {
        EvalCommand::Run(args) => run_eval(args, json).await,
        EvalCommand::Report(args) => render_saved(args, json),
    }
}

fn render_saved(args: &ReportArgs, json: bool) -> Result<(), CliError> {
    let text = std::fs::read_to_string(&args.input).map_err(|e| {
        CliError::new(
            exit::NOT_FOUND,
            format!("read {}: {e}", args.input.display()),
        )
    })?;
    let report: Report = serde_json::from_str(&text).map_err(|e| {
        CliError::new(
            exit::INVALID,
            format!("{} is not an eval report: {e}", args.input.display()),
        )
    })?;
    if json || args.format == Format::Json {
        println!("{}", to_json(&report)?);
    } else {
        print!("{}", render::markdown(&report));
    }
    Ok(())
}

fn to_json(r: &Report) -> Result<String, CliError> {
    serde_json::to_string_pretty(r).map_err(|e| CliError::failure(e.to_string()))
}

/// Which model `--brain llm` talks to.
#[derive(Debug, Clone)]
pub enum ModelTarget {
    /// The local stand-in (see [`RunArgs::llm_url`]).
    StandIn,
    /// A real endpoint.
    Endpoint(support_llm::LlmConfig),
}

fn model_target(args: &RunArgs) -> Result<ModelTarget, CliError> {
    let Some(url) = &args.llm_url else {
        return Ok(ModelTarget::StandIn);
    };
    let provider = match args.llm_provider.as_str() {
        "openai_compat" => support_llm::Provider::OpenaiCompat,
        "anthropic" => support_llm::Provider::Anthropic,
        other => {
            return Err(CliError::new(
                exit::USAGE,
                format!("--llm-provider {other:?}: expected openai_compat or anthropic"),
            ));
        }
    };
    let config = support_llm::LlmConfig {
        provider,
        base_url: url.clone(),
        model: args.llm_model.clone(),
        api_key: std::env::var("SKILL_LLM_API_KEY")
            .ok()
            .filter(|k| !k.is_empty())
            .map(support_llm::ApiKey::new),
        timeout_ms: support_llm::DEFAULT_TIMEOUT_MS,
        max_retries: support_llm::DEFAULT_MAX_RETRIES,
        max_tokens_field: Default::default(),
    };
    config
        .check()
        .map_err(|e| CliError::new(exit::USAGE, format!("--llm-url: {e}")))?;
    Ok(ModelTarget::Endpoint(config))
}

/// Runs a dataset and returns its report (the in-process entry point tests use); `--brain
/// llm` uses the stand-in model.
pub async fn evaluate(
    dataset_path: &Path,
    brain: Brain,
    limit: Option<usize>,
) -> Result<Report, CliError> {
    evaluate_with(dataset_path, brain, limit, ModelTarget::StandIn, None).await
}

/// [`evaluate`] with the model to use for `--brain llm`.
pub async fn evaluate_with(
    dataset_path: &Path,
    brain: Brain,
    limit: Option<usize>,
    target: ModelTarget,
    model: Option<PathBuf>,
) -> Result<Report, CliError> {
    let mut stand_in = None;
    let (mode, llm) = match (brain, target) {
        (Brain::Rules, _) => ("rules", None),
        (Brain::Llm, ModelTarget::Endpoint(c)) => ("llm", Some(c)),
        (Brain::Llm, ModelTarget::StandIn) => {
            let fake = runner::stand_in_model()
                .await
                .map_err(|e| CliError::failure(format!("start the stand-in model: {e:#}")))?;
            let config = support_llm::LlmConfig {
                provider: support_llm::Provider::OpenaiCompat,
                base_url: fake.openai_base_url(),
                model: "stand-in-rules".into(),
                api_key: None,
                timeout_ms: 10_000,
                max_retries: 1,
                max_tokens_field: Default::default(),
            };
            stand_in = Some(fake);
            ("llm", Some(config))
        }
    };
    let mut scenarios = dataset::load(dataset_path).map_err(|e| {
        let code = if dataset_path.exists() {
            exit::INVALID
        } else {
            exit::NOT_FOUND
        };
        CliError::new(code, e)
    })?;
    if let Some(n) = limit {
        scenarios.truncate(n);
    }
    let mut apps: Vec<String> = scenarios.iter().map(|s| s.app().to_owned()).collect();
    apps.sort();
    apps.dedup();
    let harness = runner::Harness::start(&apps, mode, llm, model)
        .await
        .map_err(|e| CliError::failure(format!("start the platform and its fakes: {e:#}")))?;
    let mut observations = Vec::with_capacity(scenarios.len());
    for (i, s) in scenarios.iter().enumerate() {
        observations.push(harness.run(s).await);
        if (i + 1) % 50 == 0 || i + 1 == scenarios.len() {
            eprintln!("eval: {}/{} scenarios", i + 1, scenarios.len());
        }
    }
    let refunds = harness.refunds();
    harness.shutdown().await;
    if let Some(fake) = stand_in {
        fake.shutdown().await;
    }
    Ok(report::build(
        &dataset_path.display().to_string(),
        mode,
        &scenarios,
        &observations,
        refunds,
    ))
}

async fn run_eval(args: &RunArgs, json: bool) -> Result<(), CliError> {
    let report = evaluate_with(
        &args.dataset,
        args.brain,
        args.limit,
        model_target(args)?,
        args.model.clone(),
    )
    .await?;
    let doc = to_json(&report)?;
    if let Some(out) = &args.out {
        std::fs::write(out, format!("{doc}\n"))
            .map_err(|e| CliError::failure(format!("write {}: {e}", out.display())))?;
    }
    if json {
        println!("{doc}");
    } else {
        print!("{}", render::markdown(&report));
    }
    if report.passed {
        return Ok(());
    }
    let failed: Vec<String> = report
        .gates
        .iter()
        .filter(|g| g.fails())
        .map(|g| format!("{} {:.3} (needs {} {})", g.name, g.value, g.op, g.threshold))
        .collect();
    Err(CliError::failure(format!("eval gates failed: {}", failed.join(", "))).reported())
}
