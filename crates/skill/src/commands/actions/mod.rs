//! The action ledger from the command line: `skill actions`, `skill action`, `skill approve`
//! and `skill reject`; acting through it (`skill refund`, `transfer`, `magic-link`,
//! `cancel-subscription`, one at a time or in bulk from CSV) is [`operator`].

pub mod operator;

use support_types::actions::{DecisionOutcome, RejectRequest};
use support_types::api::{ActionDetail, ActionView};

use super::{enc, id_arg, path_id};
use crate::Cli;
use crate::client::ApiClient;
use crate::exit::CliError;
use crate::output::{clip, emit, indent, ms, opt_ms, pretty};

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
    pub format: crate::output::csv::TableFormat,
}

/// `skill actions`.
pub async fn list(cli: &Cli, api: &ApiClient, args: &ActionsArgs) -> Result<(), CliError> {
    let mut path = format!("/api/v1/actions?limit={}", args.limit);
    if let Some(s) = &args.state {
        path.push_str(&format!("&state={}", enc(s)));
    }
    let actions: Vec<ActionView> = api.get(&path).await?;
    emit(cli, &actions, |actions| {
        if args.format == crate::output::csv::TableFormat::Csv {
            actions_csv(actions);
            return;
        }
        if actions.is_empty() {
            crate::output::term::hint("no actions");
            return;
        }
        actions_table(actions);
    })
}

/// `skill action ID`.
pub async fn show(cli: &Cli, api: &ApiClient, id: &str) -> Result<(), CliError> {
    let d: ActionDetail = api
        .get(&format!("/api/v1/actions/{}", id_arg("action", id)?))
        .await?;
    emit(cli, &d, action_detail)
}

/// `skill approve ID`.
pub async fn approve(cli: &Cli, api: &ApiClient, id: &str) -> Result<(), CliError> {
    let d: DecisionOutcome = api
        .post(
            &format!("/api/v1/actions/{}/approve", path_id(id)?),
            &serde_json::json!({}),
        )
        .await?;
    emit(cli, &d, print_decision)
}

/// `skill reject ID --reason …`.
pub async fn reject(cli: &Cli, api: &ApiClient, id: &str, reason: &str) -> Result<(), CliError> {
    let d: DecisionOutcome = api
        .post(
            &format!("/api/v1/actions/{}/reject", path_id(id)?),
            &RejectRequest {
                reason: reason.to_owned(),
            },
        )
        .await?;
    emit(cli, &d, print_decision)
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
    crate::output::csv::print(
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
