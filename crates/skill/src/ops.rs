//! The operator view of durable execution and the action ledger: `skill runs`, `skill run`,
//! `skill dead-letter`, `skill trace`, `skill actions` and `skill action`, over the server's
//! `/api/v1/{runs,dead-letter,trace,actions}` routes.

use clap::Subcommand;
use support_types::api::{
    ActionDetail, ActionView, DeadLetter, ReconcileRequest, ReconcileResponse, RetryRunResponse,
    RunDetail, RunView, TraceView,
};

use crate::client::ApiClient;
use crate::commands::{emit, ms};
use crate::exit::{self, CliError};
use crate::{Cli, Command};

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

/// `skill actions`.
#[derive(Debug, clap::Args)]
pub struct ActionsArgs {
    /// Only actions in this state: proposed, approved, executing, succeeded, failed,
    /// uncertain, rejected or expired.
    #[arg(long)]
    pub state: Option<String>,
    /// How many to show (1-500).
    #[arg(long, default_value_t = 20)]
    pub limit: i64,
    /// Output: aligned columns, or CSV with a header row.
    #[arg(long, value_enum, default_value_t)]
    pub format: crate::csv::TableFormat,
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

#[derive(Debug, Subcommand)]
pub enum FrontCommand {
    /// List Front's events and store those whose webhook never arrived, as the worker does
    /// every few minutes (after an outage, do not wait for it). Events that did arrive are
    /// recognised by id and change nothing. Audited as `front.reconciled`.
    Reconcile {
        /// From when: a duration back from now (30m, 6h, 2d, 1w) or an RFC 3339 time.
        /// Default: 15 minutes before the newest Front event stored.
        #[arg(long)]
        since: Option<String>,
    },
}

/// Percent-encodes everything but RFC 3986 unreserved characters, for a path segment or a
/// query value.
pub(crate) fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A non-empty id argument, encoded for a path.
fn id_arg(what: &str, id: &str) -> Result<String, CliError> {
    let id = id.trim();
    if id.is_empty() {
        return Err(CliError::new(
            exit::INVALID,
            format!("{what} id must not be empty"),
        ));
    }
    Ok(enc(id))
}

/// At most `n` characters on one line, with an ellipsis when cut.
fn clip(s: &str, n: usize) -> String {
    let one_line = s.replace(['\n', '\r'], " ");
    if one_line.chars().count() <= n {
        one_line
    } else {
        let mut out: String = one_line.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn opt_ms(t: Option<i64>) -> String {
    t.map(ms).unwrap_or_else(|| "-".into())
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

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
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

fn actions_table(actions: &[ActionView]) {
    println!(
        "{:<36}  {:<20} {:<10} {:<23}  TRACE",
        "ID", "KIND", "STATE", "UPDATED"
    );
    for a in actions {
        println!(
            "{:<36}  {:<20} {:<10} {:<23}  {}",
            a.id,
            clip(&a.kind, 20),
            a.state,
            ms(a.updated_at),
            a.trace_id
        );
    }
}

fn actions_csv(actions: &[ActionView]) {
    let rows: Vec<Vec<String>> = actions
        .iter()
        .map(|a| {
            vec![
                a.id.clone(),
                a.kind.clone(),
                a.state.clone(),
                a.params["amount"]
                    .as_i64()
                    .filter(|_| a.kind == "refund")
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                ms(a.created_at),
                ms(a.updated_at),
                a.trace_id.clone(),
                a.error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    crate::csv::print(
        &[
            "id", "kind", "state", "amount", "created", "updated", "trace", "error",
        ],
        &rows,
    );
}

fn action_detail(d: &ActionDetail) {
    let a = &d.action;
    println!("action    {}", a.id);
    println!("kind      {}  state {}", a.kind, a.state);
    println!("key       {}", a.idempotency_key);
    println!("trace     {}", a.trace_id);
    println!(
        "created   {}  updated {}",
        ms(a.created_at),
        ms(a.updated_at)
    );
    if let Some(e) = &a.error {
        println!("error     {e}");
    }
    println!("\nparams\n{}", indent(&pretty(&a.params)));
    if let Some(r) = &a.result {
        println!("result\n{}", indent(&pretty(r)));
    }
    match &d.approval {
        None => println!("\napproval  none"),
        Some(p) => {
            println!("\napproval  {}  ({})", p.status, p.reason);
            println!("approvers {}", p.approvers.join(", "));
            println!("expires   {}", ms(p.expires_at));
            if let Some(by) = &p.decided_by {
                println!(
                    "decided   by {by} via {} at {}",
                    p.surface.as_deref().unwrap_or("-"),
                    opt_ms(p.decided_at)
                );
            }
        }
    }
}

/// Runs one of this module's commands.
pub async fn run(cli: &Cli, api: &ApiClient) -> Result<(), CliError> {
    match &cli.command {
        Command::Runs(args) => {
            let mut path = format!("/api/v1/runs?limit={}", args.limit);
            if let Some(s) = &args.status {
                path.push_str(&format!("&status={}", enc(s)));
            }
            let runs: Vec<RunView> = api.get(&path).await?;
            emit(cli, &runs, |runs| {
                if runs.is_empty() {
                    crate::term::hint("no runs");
                    return;
                }
                runs_table(runs);
                if runs.iter().any(|r| r.status == "dead") {
                    crate::term::hint(
                        "dead runs: inspect with `skill run ID`, retry with `skill dead-letter retry ID`",
                    );
                }
            })
        }
        Command::Run { id } => {
            let d: RunDetail = api
                .get(&format!("/api/v1/runs/{}", id_arg("run", id)?))
                .await?;
            emit(cli, &d, |d| {
                run_detail(d);
                if d.run.status == "dead" {
                    crate::term::hint(format!(
                        "this run is dead; retry it with `skill dead-letter retry {}`",
                        d.run.id
                    ));
                }
            })
        }
        Command::DeadLetter(DeadLetterCommand::List { limit }) => {
            let dl: DeadLetter = api
                .get(&format!("/api/v1/dead-letter?limit={limit}"))
                .await?;
            emit(cli, &dl, |dl| {
                if dl.runs.is_empty() {
                    crate::term::hint("the dead letter is empty");
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
                crate::term::hint("retry one with `skill dead-letter retry ID`");
            })
        }
        Command::Front(FrontCommand::Reconcile { since }) => {
            let since_ms = since
                .as_deref()
                .map(|raw| crate::observe::parse_since(raw, support_store::now_ms()))
                .transpose()?;
            let r: ReconcileResponse = api
                .post("/api/v1/front/reconcile", &ReconcileRequest { since_ms })
                .await?;
            emit(cli, &r, |r| {
                println!(
                    "Front listed {} event(s) since {}; {} had not arrived and are now stored",
                    r.listed,
                    ms(r.since_ms),
                    r.recovered
                );
                if r.recovered > 0 {
                    crate::term::hint(
                        "they are decided on like any webhook: `skill runs` shows them",
                    );
                }
            })
        }
        Command::DeadLetter(DeadLetterCommand::Retry { id }) => {
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
                crate::term::hint(format!("follow it with `skill run {}`", r.run.id));
            })
        }
        Command::Trace { trace_id } => {
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
        Command::Actions(args) => {
            let mut path = format!("/api/v1/actions?limit={}", args.limit);
            if let Some(s) = &args.state {
                path.push_str(&format!("&state={}", enc(s)));
            }
            let actions: Vec<ActionView> = api.get(&path).await?;
            emit(cli, &actions, |actions| {
                if args.format == crate::csv::TableFormat::Csv {
                    actions_csv(actions);
                    return;
                }
                if actions.is_empty() {
                    crate::term::hint("no actions");
                    return;
                }
                actions_table(actions);
            })
        }
        Command::Action { id } => {
            let d: ActionDetail = api
                .get(&format!("/api/v1/actions/{}", id_arg("action", id)?))
                .await?;
            emit(cli, &d, action_detail)
        }
        _ => Err(CliError::failure("internal dispatch error")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_path_and_query_values() {
        assert_eq!(enc("0192-abc_x.y~"), "0192-abc_x.y~");
        assert_eq!(enc("a/b?c=d&e f"), "a%2Fb%3Fc%3Dd%26e%20f");
        assert_eq!(enc("é"), "%C3%A9");
    }

    #[test]
    fn clips_on_characters() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("ééééé", 3), "éé…");
        assert_eq!(clip("a\nb", 10), "a b");
    }
}
