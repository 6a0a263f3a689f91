//! The operator view of durable execution: `skill runs`, `skill run`, `skill dead-letter` and
//! `skill trace`, over the server's `/api/v1/{runs,dead-letter,trace}` routes.

use clap::Subcommand;
use support_types::api::{DeadLetter, RetryRunResponse, RunDetail, RunView, TraceView};

use super::{enc, id_arg};
use crate::Cli;
use crate::client::ApiClient;
use crate::exit::CliError;
use crate::output::{clip, emit, indent, ms, opt_ms, pretty};

/// `skill runs`.
#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    /// Only runs in this status: pending, running, retrying, sleeping, waiting, completed,
    /// failed or dead.
    #[arg(long)]
    pub status: Option<String>,
    /// How many to show (1-500).
    #[arg(long, default_value_t = 20)]
    pub limit: i64,
}

#[derive(Debug, Subcommand)]
pub enum DeadLetterCommand {
    /// List dead runs with the alerts raised for them.
    List {
        /// How many to show (1-500).
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Put a dead run back in the queue with fresh retry budgets (its completed steps are
    /// not run again). Audited as `run.retried`.
    Retry {
        /// Run id.
        id: String,
    },
}

/// `skill runs`.
pub async fn list(cli: &Cli, api: &ApiClient, args: &RunsArgs) -> Result<(), CliError> {
    let mut path = format!("/api/v1/runs?limit={}", args.limit);
    if let Some(s) = &args.status {
        path.push_str(&format!("&status={}", enc(s)));
    }
    let runs: Vec<RunView> = api.get(&path).await?;
    emit(cli, &runs, |runs| {
        if runs.is_empty() {
            crate::output::term::hint("no runs");
            return;
        }
        runs_table(runs);
        if runs.iter().any(|r| r.status == "dead") {
            crate::output::term::hint(
                "dead runs: inspect with `skill run ID`, retry with `skill dead-letter retry ID`",
            );
        }
    })
}

/// `skill run ID`.
pub async fn show(cli: &Cli, api: &ApiClient, id: &str) -> Result<(), CliError> {
    let d: RunDetail = api
        .get(&format!("/api/v1/runs/{}", id_arg("run", id)?))
        .await?;
    emit(cli, &d, |d| {
        run_detail(d);
        if d.run.status == "dead" {
            crate::output::term::hint(format!(
                "this run is dead; retry it with `skill dead-letter retry {}`",
                d.run.id
            ));
        }
    })
}

/// `skill dead-letter …`.
pub async fn dead_letter(
    cli: &Cli,
    api: &ApiClient,
    cmd: &DeadLetterCommand,
) -> Result<(), CliError> {
    match cmd {
        DeadLetterCommand::List { limit } => dead_letter_list(cli, api, *limit).await,
        DeadLetterCommand::Retry { id } => retry(cli, api, id).await,
    }
}

async fn dead_letter_list(cli: &Cli, api: &ApiClient, limit: i64) -> Result<(), CliError> {
    let dl: DeadLetter = api
        .get(&format!("/api/v1/dead-letter?limit={limit}"))
        .await?;
    emit(cli, &dl, |dl| {
        if dl.runs.is_empty() {
            crate::output::term::hint("the dead letter is empty");
            return;
        }
        runs_table(&dl.runs);
        if !dl.alerts.is_empty() {
            println!("\nalerts");
            for a in &dl.alerts {
                println!(
                    "  {}  {:<14} {:<42} {}",
                    ms(a.created_at),
                    a.kind,
                    a.subject,
                    clip(&a.message, 100)
                );
            }
        }
        crate::output::term::hint("retry one with `skill dead-letter retry ID`");
    })
}

async fn retry(cli: &Cli, api: &ApiClient, id: &str) -> Result<(), CliError> {
    let r: RetryRunResponse = api
        .post(
            &format!("/api/v1/dead-letter/{}/retry", id_arg("run", id)?),
            &serde_json::json!({}),
        )
        .await?;
    emit(cli, &r, |r| {
        println!(
            "run {} ({} {}) is {} again and will run {}",
            r.run.id,
            r.run.kind,
            r.run.key,
            r.run.status,
            r.run.next_run_at.map(ms).unwrap_or_else(|| "later".into())
        );
        crate::output::term::hint(format!("follow it with `skill run {}`", r.run.id));
    })
}

/// `skill trace ID`: its runs and audit entries.
pub async fn trace(cli: &Cli, api: &ApiClient, trace_id: &str) -> Result<(), CliError> {
    let t: TraceView = api
        .get(&format!("/api/v1/trace/{}", id_arg("trace", trace_id)?))
        .await?;
    emit(cli, &t, |t| {
        println!("trace {}", t.trace_id);
        println!("\nruns ({})", t.runs.len());
        if !t.runs.is_empty() {
            runs_table(&t.runs);
        }
        println!("\naudit ({})", t.audit.len());
        for e in &t.audit {
            super::audit::print_entry(e);
        }
    })
}

fn runs_table(runs: &[RunView]) {
    println!(
        "{:<36}  {:<16} {:<9} {:>4}  {:<23}  KEY / LAST ERROR",
        "ID", "KIND", "STATUS", "ATT", "CREATED"
    );
    for r in runs {
        let mut tail = clip(&r.key, 40);
        if let Some(e) = &r.last_error {
            tail.push_str("  ! ");
            tail.push_str(&clip(e, 60));
        }
        println!(
            "{:<36}  {:<16} {:<9} {:>4}  {:<23}  {}",
            r.id,
            clip(&r.kind, 16),
            r.status,
            r.attempts,
            ms(r.created_at),
            tail
        );
    }
}

fn run_detail(d: &RunDetail) {
    let r = &d.run;
    println!("run       {}", r.id);
    println!("kind      {}  key {}", r.kind, r.key);
    println!("status    {}  ({} executions)", r.status, r.attempts);
    println!(
        "trace     {}  lock {}",
        r.trace_id.as_deref().unwrap_or("-"),
        r.lock_key.as_deref().unwrap_or("-")
    );
    println!(
        "created   {}  started {}  finished {}",
        ms(r.created_at),
        opt_ms(r.started_at),
        opt_ms(r.finished_at)
    );
    if let Some(next) = r.next_run_at {
        println!("next      {}", ms(next));
    }
    if let Some(e) = &r.last_error {
        println!("error     {e}");
    }
    println!("\ninput\n{}", indent(&pretty(&d.input)));
    if let Some(out) = &d.output {
        println!("output\n{}", indent(&pretty(out)));
    }
    println!("\nsteps ({})", d.steps.len());
    for s in &d.steps {
        println!(
            "  {:<24} {}  {}",
            s.step,
            ms(s.created_at),
            clip(&s.result.to_string(), 80)
        );
    }
    if !d.attempts.is_empty() {
        println!("\nfailing steps");
        for a in &d.attempts {
            println!(
                "  {:<24} {:>3} attempts  {}",
                a.step,
                a.attempts,
                a.last_error.as_deref().unwrap_or("-")
            );
        }
    }
}
