//! Acting as an operator: `skill refund`, `transfer`, `magic-link` and
//! `cancel-subscription`, one at a time or (refund, transfer) for every row of a CSV file.
//!
//! Nothing here decides anything: each request goes to the server's operator-actions route,
//! which resolves the facts, asks the app's policy and proposes in the ledger with the
//! operator as requester (and as approver of record when the policy lists them). A refusal
//! (`deny`, `escalate`) comes back as a 422 and changes nothing.
//!
//! Bulk runs validate every row first and report every bad row (row number, line, why);
//! bad rows are skipped and the others proceed, because one typo should not hold back a
//! batch that was checked with `--dry-run`. A file with no valid row is refused. Each row
//! carries a client reference derived from its content (kind, app, target, amount, and the
//! recipient for transfers), never from the file, so running the same rows again, from the
//! same file or another, finds the actions already proposed and executes nothing twice.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};
use support_types::Email;
use support_types::cli_api::{OperatorActionRequest, OperatorActionResponse, OperatorKind};

use crate::client::ApiClient;
use crate::exit::{self, CliError};
use crate::output::csv::{self, TableFormat};
use crate::output::term::{self, Progress};
use crate::output::{emit, money};
use crate::{Cli, Command};

/// `--bulk --csv FILE [--dry-run]`.
#[derive(Debug, clap::Args)]
pub struct BulkArgs {
    /// Act on every row of the CSV file given with --csv instead of one target.
    #[arg(long, requires = "csv")]
    pub bulk: bool,
    /// The CSV file (with a header row) for --bulk.
    #[arg(long, value_name = "FILE", requires = "bulk")]
    pub csv: Option<PathBuf>,
    /// Evaluate against the policy and print the plan; change nothing (only lookups).
    #[arg(long)]
    pub dry_run: bool,
    /// How many rows are sent to the server at once (--bulk).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Output of --bulk: an aligned table or CSV.
    #[arg(long, value_enum, default_value_t)]
    pub format: TableFormat,
}

/// `skill refund`.
#[derive(Debug, clap::Args)]
pub struct RefundArgs {
    /// The charge (ch_…) or the purchase (pur_…) to refund.
    #[arg(required_unless_present = "bulk", conflicts_with = "bulk")]
    pub target: Option<String>,
    /// The app's slug.
    #[arg(long)]
    pub app: String,
    /// Why. Kept in the audit trail; Stripe is told `requested_by_customer` (or `duplicate`
    /// / `fraudulent` when that is the whole text). With --bulk: the reason of rows without
    /// one.
    #[arg(long, required_unless_present = "bulk")]
    pub reason: Option<String>,
    /// Amount in cents [default: everything still refundable].
    #[arg(long, value_name = "CENTS", conflicts_with = "bulk")]
    pub amount: Option<i64>,
    /// The customer's email: finds the purchase behind a charge (needed with a pur_ id).
    #[arg(long, value_name = "EMAIL", conflicts_with = "bulk")]
    pub email: Option<String>,
    #[command(flatten)]
    pub bulk: BulkArgs,
}

/// `skill transfer`.
#[derive(Debug, clap::Args)]
pub struct TransferArgs {
    /// The purchase (pur_…) to move.
    #[arg(required_unless_present = "bulk", conflicts_with = "bulk")]
    pub purchase: Option<String>,
    /// The recipient's email.
    #[arg(
        long,
        value_name = "EMAIL",
        required_unless_present = "bulk",
        conflicts_with = "bulk"
    )]
    pub to: Option<String>,
    /// The app's slug.
    #[arg(long)]
    pub app: String,
    /// The purchase owner's email (the SDK finds purchases by customer; without it the
    /// server cannot find the purchase).
    #[arg(long, value_name = "EMAIL", conflicts_with = "bulk")]
    pub email: Option<String>,
    #[command(flatten)]
    pub bulk: BulkArgs,
}

/// `skill magic-link`.
#[derive(Debug, clap::Args)]
pub struct MagicLinkArgs {
    /// The customer's email.
    pub email: String,
    /// The app's slug.
    #[arg(long)]
    pub app: String,
    /// Evaluate against the policy only; send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `skill cancel-subscription`.
#[derive(Debug, clap::Args)]
pub struct CancelSubscriptionArgs {
    /// The subscription (sub_…).
    pub subscription: String,
    /// The app's slug.
    #[arg(long)]
    pub app: String,
    /// Evaluate only; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::new(exit::USAGE, msg)
}

fn path_slug(app: &str) -> Result<&str, CliError> {
    support_types::AppSlug::parse(app).map_err(|e| usage(e.to_string()))?;
    Ok(app)
}

/// A request for `kind` on `target` with every optional field left out; the commands fill
/// in the ones they take.
fn plain(kind: OperatorKind, target: String, dry_run: bool) -> OperatorActionRequest {
    OperatorActionRequest {
        kind,
        target,
        email: None,
        to: None,
        amount: None,
        reason: None,
        dry_run,
        client_ref: None,
    }
}

/// Runs one of this module's commands.
pub async fn run(cli: &Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::Refund(a) if a.bulk.bulk => {
            bulk(cli, &a.app, BulkKind::Refund, a.reason.as_deref(), &a.bulk).await
        }
        Command::Transfer(a) if a.bulk.bulk => {
            bulk(cli, &a.app, BulkKind::Transfer, None, &a.bulk).await
        }
        Command::Refund(a) => {
            let target = a.target.clone().unwrap_or_default();
            if a.amount.is_some_and(|n| n <= 0) {
                return Err(usage("--amount must be a positive number of cents"));
            }
            let request = OperatorActionRequest {
                email: a.email.clone(),
                amount: a.amount,
                reason: a.reason.clone(),
                ..plain(OperatorKind::Refund, target, a.bulk.dry_run)
            };
            single(cli, &a.app, request).await
        }
        Command::Transfer(a) => {
            let target = a.purchase.clone().unwrap_or_default();
            let request = OperatorActionRequest {
                email: a.email.clone(),
                to: a.to.clone(),
                ..plain(OperatorKind::Transfer, target, a.bulk.dry_run)
            };
            single(cli, &a.app, request).await
        }
        Command::MagicLink(a) => {
            let request = plain(OperatorKind::MagicLink, a.email.clone(), a.dry_run);
            single(cli, &a.app, request).await
        }
        Command::CancelSubscription(a) => {
            let request = plain(
                OperatorKind::CancelSubscription,
                a.subscription.clone(),
                a.dry_run,
            );
            single(cli, &a.app, request).await
        }
        _ => Err(CliError::failure("internal dispatch error")),
    }
}

fn route(app: &str) -> String {
    format!("/api/v1/apps/{app}/operator-actions")
}

/// One line describing what the action is about.
fn facts_line(r: &OperatorActionResponse) -> String {
    let f = &r.facts;
    let mut parts = Vec::new();
    if let Some(c) = &f.customer {
        parts.push(format!("customer {c}"));
    }
    if let Some(p) = &f.purchase_id {
        let known = if f.purchase_known {
            f.purchase_status.clone().unwrap_or_default()
        } else {
            "not among the customer's purchases".into()
        };
        parts.push(format!("purchase {p} ({known})"));
    }
    if let Some(ch) = &f.charge {
        parts.push(format!("charge {ch}"));
    }
    if let Some(a) = r.params["amount"].as_i64() {
        parts.push(format!(
            "amount {} {}",
            money(a),
            f.currency.as_deref().unwrap_or("")
        ));
    }
    if let Some(left) = f.refundable {
        parts.push(format!("refundable {}", money(left)));
    }
    if let Some(to) = r.params["toEmail"].as_str() {
        parts.push(format!("to {to}"));
    }
    parts.join("  ")
}

fn print_single(r: &OperatorActionResponse) {
    let rule = r.rule.as_deref().unwrap_or("-");
    let reason = r.reason.as_deref().unwrap_or("");
    if r.dry_run {
        match (&r.action, r.existing) {
            (Some(a), true) => println!(
                "dry run: already proposed as action {} ({}); nothing would be done again",
                a.id, a.state
            ),
            _ => {
                println!(
                    "dry run: this {} would be {} (rule {rule})",
                    r.kind, r.verdict
                );
                if !reason.is_empty() {
                    println!("  {reason}");
                }
            }
        }
    } else if let Some(a) = &r.action {
        if r.existing {
            println!(
                "{} was already proposed under this reference: action {} ({})",
                r.kind, a.id, a.state
            );
        } else if r.verdict == "auto" {
            println!(
                "{} proposed as action {}: the policy allows it (rule {rule}); it runs now",
                r.kind, a.id
            );
        } else if r.approved_by_requester {
            println!(
                "{} proposed as action {}: needs approval ({reason}); you are an approver, so your approval is recorded and it runs now",
                r.kind, a.id
            );
        } else {
            println!(
                "{} proposed as action {}: waits for approval by {} ({reason})",
                r.kind,
                a.id,
                r.approvers.join(", ")
            );
        }
    }
    let facts = facts_line(r);
    if !facts.is_empty() {
        println!("  {facts}");
    }
    if let Some(a) = r.action.as_ref().filter(|_| !r.dry_run) {
        term::hint(format!("follow it with `skill action {}`", a.id));
    }
}

async fn single(cli: &Cli, app: &str, req: OperatorActionRequest) -> Result<(), CliError> {
    let api = ApiClient::from_cli(cli)?;
    let r: OperatorActionResponse = api.post(&route(path_slug(app)?), &req).await?;
    emit(cli, &r, print_single)
}

// ---------------------------------------------------------------------------------------
// bulk

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkKind {
    Refund,
    Transfer,
}

impl BulkKind {
    fn name(self) -> &'static str {
        match self {
            BulkKind::Refund => "refund",
            BulkKind::Transfer => "transfer",
        }
    }
    fn columns(self) -> &'static [&'static str] {
        match self {
            BulkKind::Refund => &["charge", "purchase", "email", "amount", "reason"],
            BulkKind::Transfer => &["purchase", "email", "to"],
        }
    }
}

/// A row that passed validation, ready to send.
#[derive(Debug, Clone)]
pub struct BulkRow {
    pub row: usize,
    pub line: usize,
    pub request: OperatorActionRequest,
}

/// A row refused by validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub row: usize,
    pub line: usize,
    pub target: String,
    pub error: String,
}

/// The digest that makes a row exactly-once: what it does, not where it came from.
pub fn client_ref(kind: BulkKind, app: &str, req: &OperatorActionRequest) -> String {
    let mut h = Sha256::new();
    for part in [
        "v1",
        kind.name(),
        app,
        req.target.as_str(),
        &req.amount.map(|a| a.to_string()).unwrap_or_default(),
        req.to.as_deref().unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let hex = hex::encode(h.finalize());
    format!("bulk:{}:{}", kind.name(), &hex[..40])
}

fn id_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Parses and validates a bulk CSV. A file-level problem (unreadable, no header, unknown or
/// missing columns) is an error; row problems are returned as bad rows, all of them.
pub fn parse_bulk(
    kind: BulkKind,
    app: &str,
    text: &str,
    default_reason: Option<&str>,
    dry_run: bool,
) -> Result<(Vec<BulkRow>, Vec<BadRow>), CliError> {
    let records = csv::parse(text).map_err(|e| usage(format!("the CSV file is malformed: {e}")))?;
    let Some((header, rows)) = records.split_first() else {
        return Err(usage(
            "the CSV file is empty: nothing selected, nothing done",
        ));
    };
    let names: Vec<String> = header
        .fields
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let mut col: HashMap<&str, usize> = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        let Some(known) = kind.columns().iter().find(|c| **c == n.as_str()) else {
            return Err(usage(format!(
                "unknown column {n:?} in the header; a {} CSV has the columns {}",
                kind.name(),
                kind.columns().join(", ")
            )));
        };
        if col.insert(known, i).is_some() {
            return Err(usage(format!("column {n:?} appears twice in the header")));
        }
    }
    let required: &[&str] = match kind {
        BulkKind::Refund => &["email"],
        BulkKind::Transfer => &["purchase", "email", "to"],
    };
    for r in required {
        if !col.contains_key(r) {
            return Err(usage(format!("the header has no {r:?} column")));
        }
    }
    if kind == BulkKind::Refund && !col.contains_key("charge") && !col.contains_key("purchase") {
        return Err(usage(
            "the header needs a \"charge\" or a \"purchase\" column",
        ));
    }
    let mut good = Vec::new();
    let mut bad = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, rec) in rows.iter().enumerate() {
        let row = i + 1;
        let get = |name: &str| -> String {
            col.get(name)
                .and_then(|&c| rec.fields.get(c))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let mut errors = Vec::new();
        if rec.fields.len() != names.len() {
            errors.push(format!(
                "has {} fields, the header has {}",
                rec.fields.len(),
                names.len()
            ));
        }
        let email = get("email");
        if let Err(e) = Email::parse(&email) {
            errors.push(if email.is_empty() {
                "email is missing".to_owned()
            } else {
                e.to_string()
            });
        }
        let request = match kind {
            BulkKind::Refund => {
                let (charge, purchase) = (get("charge"), get("purchase"));
                let target = match (charge.is_empty(), purchase.is_empty()) {
                    (false, true) => {
                        if !(charge.starts_with("ch_") || charge.starts_with("py_"))
                            || !id_ok(&charge)
                        {
                            errors.push(format!("charge {charge:?} is not a charge id (ch_…)"));
                        }
                        charge
                    }
                    (true, false) => {
                        if !id_ok(&purchase) {
                            errors.push(format!("purchase {purchase:?} is not an id"));
                        }
                        purchase
                    }
                    (true, true) => {
                        errors.push("give a charge or a purchase".into());
                        String::new()
                    }
                    (false, false) => {
                        errors.push("give a charge or a purchase, not both".into());
                        charge
                    }
                };
                let raw_amount = get("amount");
                let amount = if raw_amount.is_empty() {
                    None
                } else {
                    match raw_amount.parse::<i64>() {
                        Ok(a)
                            if a > 0
                                && a <= 100_000_000_000
                                && raw_amount.bytes().all(|b| b.is_ascii_digit()) =>
                        {
                            Some(a)
                        }
                        _ => {
                            errors.push(format!(
                                "amount {raw_amount:?} is not a positive whole number of cents"
                            ));
                            None
                        }
                    }
                };
                let reason = Some(get("reason"))
                    .filter(|r| !r.is_empty())
                    .or_else(|| default_reason.map(str::to_owned));
                if reason.is_none() {
                    errors.push("reason is missing (add a reason column or pass --reason)".into());
                }
                OperatorActionRequest {
                    kind: OperatorKind::Refund,
                    target,
                    email: Some(email.clone()),
                    to: None,
                    amount,
                    reason,
                    dry_run,
                    client_ref: None,
                }
            }
            BulkKind::Transfer => {
                let purchase = get("purchase");
                if !id_ok(&purchase) {
                    errors.push(if purchase.is_empty() {
                        "purchase is missing".to_owned()
                    } else {
                        format!("purchase {purchase:?} is not an id")
                    });
                }
                let to = get("to");
                match Email::parse(&to) {
                    Err(e) => errors.push(if to.is_empty() {
                        "to is missing".to_owned()
                    } else {
                        format!("to: {e}")
                    }),
                    Ok(t) if Email::parse(&email).is_ok_and(|f| f == t) => {
                        errors.push("to is the purchase owner".into())
                    }
                    Ok(_) => {}
                }
                OperatorActionRequest {
                    kind: OperatorKind::Transfer,
                    target: purchase,
                    email: Some(email.clone()),
                    to: Some(to),
                    amount: None,
                    reason: None,
                    dry_run,
                    client_ref: None,
                }
            }
        };
        if errors.is_empty() {
            let r = client_ref(kind, app, &request);
            if let Some(first) = seen.get(&r) {
                errors.push(format!("duplicate of row {first}"));
            } else {
                seen.insert(r.clone(), row);
                good.push(BulkRow {
                    row,
                    line: rec.line,
                    request: OperatorActionRequest {
                        client_ref: Some(r),
                        ..request
                    },
                });
                continue;
            }
        }
        bad.push(BadRow {
            row,
            line: rec.line,
            target: request.target,
            error: errors.join("; "),
        });
    }
    Ok((good, bad))
}

/// One row of the bulk report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RowReport {
    pub row: usize,
    pub line: usize,
    pub target: String,
    pub email: Option<String>,
    /// `auto`, `approval`, `existing`, `escalate`, `deny`, `invalid` or `error`.
    pub verdict: String,
    pub rule: Option<String>,
    pub action_id: Option<String>,
    pub state: Option<String>,
    /// The approval reason, the refusal or the error.
    pub detail: Option<String>,
    /// The row was (or, in a dry run, would be) accepted: proposed, or already there.
    pub ok: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct BulkReport {
    pub success: bool,
    pub kind: String,
    pub app: String,
    pub dry_run: bool,
    pub file: String,
    pub rows: usize,
    pub valid: usize,
    pub invalid: usize,
    /// Rows by verdict.
    pub verdicts: BTreeMap<String, usize>,
    pub results: Vec<RowReport>,
}

fn report_row(
    row: &BulkRow,
    outcome: Result<OperatorActionResponse, (u16, String, String)>,
) -> RowReport {
    let base = RowReport {
        row: row.row,
        line: row.line,
        target: row.request.target.clone(),
        email: row.request.email.clone(),
        verdict: String::new(),
        rule: None,
        action_id: None,
        state: None,
        detail: None,
        ok: false,
    };
    match outcome {
        Ok(r) => {
            let ok = matches!(r.verdict.as_str(), "auto" | "approval" | "existing");
            let detail = if r.verdict == "approval" && !r.dry_run {
                Some(if r.approved_by_requester {
                    format!("approved by you: {}", r.reason.clone().unwrap_or_default())
                } else {
                    format!(
                        "waits for {}: {}",
                        r.approvers.join(", "),
                        r.reason.clone().unwrap_or_default()
                    )
                })
            } else {
                r.reason.clone()
            };
            RowReport {
                verdict: r.verdict.clone(),
                rule: r.rule.clone(),
                action_id: r.action.as_ref().map(|a| a.id.clone()),
                state: r.action.as_ref().map(|a| a.state.clone()),
                detail,
                ok,
                ..base
            }
        }
        Err((_, code, message)) => {
            let verdict = match code.as_str() {
                "policy_deny" => "deny",
                "policy_escalate" => "escalate",
                _ => "error",
            };
            RowReport {
                verdict: verdict.into(),
                detail: Some(message),
                ..base
            }
        }
    }
}

fn print_report(r: &BulkReport, format: TableFormat) {
    let header = [
        "row",
        "line",
        "target",
        "email",
        "verdict",
        "rule",
        "action_id",
        "state",
        "detail",
    ];
    let rows: Vec<Vec<String>> = r
        .results
        .iter()
        .map(|x| {
            vec![
                x.row.to_string(),
                x.line.to_string(),
                x.target.clone(),
                x.email.clone().unwrap_or_default(),
                x.verdict.clone(),
                x.rule.clone().unwrap_or_default(),
                x.action_id.clone().unwrap_or_default(),
                x.state.clone().unwrap_or_default(),
                x.detail.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let summary = format!(
        "{}{} rows: {} valid, {} invalid (skipped); {}",
        if r.dry_run { "dry run: " } else { "" },
        r.rows,
        r.valid,
        r.invalid,
        r.verdicts
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    match format {
        TableFormat::Csv => {
            csv::print(&header, &rows);
            term::hint(summary);
        }
        TableFormat::Table => {
            println!(
                "{:>5}  {:<24} {:<9} {:<36}  {:<10} DETAIL",
                "ROW", "TARGET", "VERDICT", "ACTION", "STATE"
            );
            for x in &r.results {
                println!(
                    "{:>5}  {:<24} {:<9} {:<36}  {:<10} {}",
                    x.row,
                    x.target,
                    x.verdict,
                    x.action_id.as_deref().unwrap_or("-"),
                    x.state.as_deref().unwrap_or("-"),
                    x.detail.as_deref().unwrap_or("")
                );
            }
            println!("{summary}");
        }
    }
}

async fn bulk(
    cli: &Cli,
    app: &str,
    kind: BulkKind,
    default_reason: Option<&str>,
    args: &BulkArgs,
) -> Result<(), CliError> {
    let app = path_slug(app)?;
    let path = args
        .csv
        .as_ref()
        .ok_or_else(|| usage("--bulk needs --csv FILE"))?;
    let text = crate::commands::read_file(path)?;
    let (good, bad) = parse_bulk(kind, app, &text, default_reason, args.dry_run)?;
    let total = good.len() + bad.len();
    if good.is_empty() {
        for b in &bad {
            eprintln!("row {} (line {}): {}", b.row, b.line, b.error);
        }
        return Err(usage(format!(
            "no valid row in {} ({total} rows, {} invalid): nothing selected, nothing done",
            path.display(),
            bad.len()
        )));
    }
    let api = Arc::new(ApiClient::from_cli(cli)?);
    let route = Arc::new(route(app));
    let permits = Arc::new(tokio::sync::Semaphore::new(usize::from(args.concurrency)));
    let mut tasks = tokio::task::JoinSet::new();
    for row in good.clone() {
        let (api, route, permits) = (api.clone(), route.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let answer = api
                .post_outcome::<OperatorActionResponse, _>(&route, &row.request)
                .await;
            (row, answer)
        });
    }
    let mut progress = Progress::new(
        if args.dry_run {
            "evaluating"
        } else {
            "sending"
        },
        good.len(),
        cli.json,
    );
    let mut results = Vec::with_capacity(total);
    let mut worst: Option<CliError> = None;
    while let Some(joined) = tasks.join_next().await {
        let (row, answer) =
            joined.map_err(|e| CliError::failure(format!("a row task failed: {e}")))?;
        progress.tick();
        let outcome = match answer {
            Ok(Ok(r)) => Ok(r),
            Ok(Err((status, body))) => {
                if matches!(status, 401 | 403) && worst.is_none() {
                    worst = Some(CliError::new(exit::AUTH, body.message.clone()));
                }
                Err((status, body.error, body.message))
            }
            Err(e) => {
                let msg = e.to_string();
                if worst.is_none() {
                    worst = Some(e);
                }
                Err((0, "unreachable".into(), msg))
            }
        };
        results.push(report_row(&row, outcome));
    }
    progress.finish();
    results.extend(bad.iter().map(|b| RowReport {
        row: b.row,
        line: b.line,
        target: b.target.clone(),
        email: None,
        verdict: "invalid".into(),
        rule: None,
        action_id: None,
        state: None,
        detail: Some(b.error.clone()),
        ok: false,
    }));
    results.sort_by_key(|r| r.row);
    let mut verdicts = BTreeMap::new();
    for r in &results {
        *verdicts.entry(r.verdict.clone()).or_insert(0) += 1;
    }
    let all_ok = results.iter().all(|r| r.ok);
    let report = BulkReport {
        success: all_ok,
        kind: kind.name().into(),
        app: app.into(),
        dry_run: args.dry_run,
        file: path.display().to_string(),
        rows: total,
        valid: good.len(),
        invalid: bad.len(),
        verdicts,
        results,
    };
    emit(cli, &report, |r| print_report(r, args.format))?;
    if let Some(e) = worst {
        return Err(CliError::new(
            e.code(),
            format!("{e} (the rows already sent are recorded; run the same file again to resume)"),
        )
        .reported_if(cli.json));
    }
    if !all_ok {
        let not_done = report.results.iter().filter(|r| !r.ok).count();
        return Err(CliError::failure(format!(
            "{not_done} of {total} rows {}: see the report",
            if args.dry_run {
                "would not be done"
            } else {
                "were not done"
            }
        ))
        .reported_if(cli.json));
    }
    Ok(())
}

trait ReportedIf {
    fn reported_if(self, json: bool) -> Self;
}

impl ReportedIf for CliError {
    fn reported_if(self, json: bool) -> Self {
        if json { self.reported() } else { self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refund(text: &str) -> (Vec<BulkRow>, Vec<BadRow>) {
        parse_bulk(BulkKind::Refund, "shop", text, None, false).expect("parses")
    }

    #[test]
    fn every_bad_row_is_reported_with_its_number_and_the_rest_proceed() {
        let (good, bad) = refund(
            "charge,email,amount,reason\n\
             ch_1,a@example.com,500,dup\n\
             ch_2,not-an-email,500,x\n\
             ch_3,b@example.com,-5,x\n\
             pur_4,c@example.com,,x\n\
             ch_5,d@example.com,12.5,\n\
             ch_1,e@example.com,500,again\n\
             ch_6,f@example.com,,late\n",
        );
        assert_eq!(good.iter().map(|r| r.row).collect::<Vec<_>>(), [1, 7]);
        let rows: Vec<(usize, usize)> = bad.iter().map(|b| (b.row, b.line)).collect();
        assert_eq!(rows, [(2, 3), (3, 4), (4, 5), (5, 6), (6, 7)]);
        assert!(bad[0].error.contains("not-an-email"), "{bad:?}");
        assert!(bad[1].error.contains("positive whole number"), "{bad:?}");
        assert!(bad[2].error.contains("not a charge id"), "{bad:?}");
        assert!(bad[3].error.contains("12.5") && bad[3].error.contains("reason is missing"));
        assert!(bad[4].error.contains("duplicate of row 1"), "{bad:?}");
        assert_eq!(good[0].request.amount, Some(500));
        assert_eq!(good[1].request.amount, None);
    }

    #[test]
    fn file_level_problems_are_usage_errors() {
        for text in [
            "",
            "\n\n",
            "charge,email,ammount\nch_1,a@example.com,5\n",
            "charge,email,email\n",
            "amount,email\n5,a@example.com\n",
            "charge,reason\nch_1,x\n",
        ] {
            let e = parse_bulk(BulkKind::Refund, "shop", text, Some("r"), false).expect_err(text);
            assert_eq!(e.code(), exit::USAGE, "{text:?}: {e}");
        }
        let e = parse_bulk(BulkKind::Transfer, "shop", "purchase,email\n", None, false)
            .expect_err("no to");
        assert!(e.to_string().contains("\"to\""), "{e}");
    }

    #[test]
    fn references_depend_on_what_a_row_does_not_where_it_is() {
        let (a, _) = refund("charge,email,amount,reason\nch_1,a@example.com,500,x\n");
        let (b, _) = refund(
            "email,reason,charge,amount\nother@example.com,y,ch_2,1\nA@example.com,z,ch_1,500\n",
        );
        assert_eq!(a[0].request.client_ref, b[1].request.client_ref);
        assert_ne!(a[0].request.client_ref, b[0].request.client_ref);
        let (c, _) = refund("charge,email,amount,reason\nch_1,a@example.com,501,x\n");
        assert_ne!(a[0].request.client_ref, c[0].request.client_ref);
        let r = a[0].request.client_ref.as_deref().expect("ref");
        assert!(support_types::cli_api::valid_client_ref(r), "{r}");
        let (t, bad) = parse_bulk(
            BulkKind::Transfer,
            "shop",
            "purchase,email,to\npur_1,a@example.com,b@example.com\npur_1,a@example.com,a@example.com\n",
            None,
            true,
        )
        .expect("parses");
        assert_eq!(t.len(), 1);
        assert!(t[0].request.dry_run);
        assert!(bad[0].error.contains("owner"), "{bad:?}");
    }

    #[test]
    fn default_reason_fills_rows_without_one() {
        let (good, bad) = parse_bulk(
            BulkKind::Refund,
            "shop",
            "purchase,email\npur_1,a@example.com\n",
            Some("goodwill"),
            false,
        )
        .expect("parses");
        assert!(bad.is_empty());
        assert_eq!(good[0].request.reason.as_deref(), Some("goodwill"));
    }
}
